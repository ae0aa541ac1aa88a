"""API routes of technical documentation, under a model version."""

from django.urls import path

from compliance.documentation import api

DOCUMENTATION = "models/<slug:name>/versions/<int:number>/documentation/"
REVISION = f"{DOCUMENTATION}<int:revision>/"

urlpatterns = [
    path(
        DOCUMENTATION,
        api.TechnicalDocumentListView.as_view(),
        name="technical-document-list",
    ),
    path(
        REVISION,
        api.TechnicalDocumentDetailView.as_view(),
        name="technical-document-detail",
    ),
    path(
        f"{REVISION}pdf/",
        api.TechnicalDocumentPdfView.as_view(),
        name="technical-document-pdf",
    ),
    path(
        f"{REVISION}html/",
        api.TechnicalDocumentHtmlView.as_view(),
        name="technical-document-html",
    ),
]
