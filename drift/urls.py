from django.urls import path

from drift.api import drift as api
from drift.api import quality

app_name = "drift"

VERSION = "models/<slug:name>/versions/<int:number>/"

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
    path(
        VERSION + "performance-reports/",
        quality.PerformanceReportListView.as_view(),
        name="performancereport-list",
    ),
    path(
        VERSION + "performance-reports/<int:pk>/",
        quality.PerformanceReportDetailView.as_view(),
        name="performancereport-detail",
    ),
    path(
        VERSION + "fairness-reports/",
        quality.FairnessReportListView.as_view(),
        name="fairnessreport-list",
    ),
    path(
        VERSION + "fairness-reports/<int:pk>/",
        quality.FairnessReportDetailView.as_view(),
        name="fairnessreport-detail",
    ),
    path(
        "monitoring/alerts/",
        quality.MonitoringAlertListView.as_view(),
        name="monitoringalert-list",
    ),
    path(
        "monitoring/alerts/<int:pk>/acknowledge/",
        quality.AcknowledgeMonitoringAlertView.as_view(),
        name="monitoringalert-acknowledge",
    ),
    path(
        "monitoring/alerts/<int:pk>/resolve/",
        quality.ResolveMonitoringAlertView.as_view(),
        name="monitoringalert-resolve",
    ),
]
