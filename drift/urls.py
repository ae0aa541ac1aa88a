from django.urls import path

from drift import api

app_name = "drift"

urlpatterns = [
    path("drift/reports/", api.DriftReportListView.as_view(), name="report-list"),
    path(
        "drift/reports/<int:pk>/",
        api.DriftReportDetailView.as_view(),
        name="report-detail",
    ),
    path("drift/alerts/", api.DriftAlertListView.as_view(), name="alert-list"),
    path(
        "drift/alerts/<int:pk>/acknowledge/",
        api.AcknowledgeAlertView.as_view(),
        name="alert-acknowledge",
    ),
    path(
        "drift/alerts/<int:pk>/resolve/",
        api.ResolveAlertView.as_view(),
        name="alert-resolve",
    ),
]
