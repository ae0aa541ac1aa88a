"""Server-rendered evidence pack pages, mounted at /evidence/."""

from django.urls import path

from integrations import views

app_name = "evidence"

urlpatterns = [
    path("<slug:name>/", views.EvidencePageView.as_view(), name="model-page"),
    path(
        "<slug:name>/v<int:number>/",
        views.EvidencePageView.as_view(),
        name="version-page",
    ),
    path(
        "<slug:name>/download/",
        views.EvidenceArchiveView.as_view(),
        name="model-archive",
    ),
    path(
        "<slug:name>/v<int:number>/download/",
        views.EvidenceArchiveView.as_view(),
        name="version-archive",
    ),
]
