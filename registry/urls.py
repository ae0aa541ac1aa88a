from django.urls import path

from registry import api, intake_api

app_name = "registry"

urlpatterns = [
    path("models/", api.ModelListView.as_view(), name="model-list"),
    path("models/<slug:name>/", api.ModelDetailView.as_view(), name="model-detail"),
    path(
        "models/<slug:name>/versions/",
        api.VersionListView.as_view(),
        name="version-list",
    ),
    path(
        "versions/",
        api.PortfolioVersionListView.as_view(),
        name="version-portfolio",
    ),
    path(
        "models/<slug:name>/versions/<int:number>/",
        api.VersionDetailView.as_view(),
        name="version-detail",
    ),
    path(
        "models/<slug:name>/versions/<int:number>/prompt-diff/",
        api.PromptDiffView.as_view(),
        name="version-prompt-diff",
    ),
    path("models/<slug:name>/intake/", intake_api.IntakeView.as_view(), name="intake"),
    path(
        "models/<slug:name>/intake/revisions/",
        intake_api.IntakeRevisionListView.as_view(),
        name="intake-revisions",
    ),
    path(
        "models/<slug:name>/risk-class-changes/",
        intake_api.ModelRiskClassChangeListView.as_view(),
        name="model-risk-class-changes",
    ),
    path(
        "risk-class-changes/",
        intake_api.RiskClassChangeListView.as_view(),
        name="risk-class-change-list",
    ),
    path(
        "risk-class-changes/<int:pk>/approve/",
        intake_api.RiskClassChangeApproveView.as_view(),
        name="risk-class-change-approve",
    ),
    path(
        "risk-class-changes/<int:pk>/reject/",
        intake_api.RiskClassChangeRejectView.as_view(),
        name="risk-class-change-reject",
    ),
    path("environments/", api.EnvironmentListView.as_view(), name="environment-list"),
    path(
        "environments/<slug:name>/freeze/",
        api.EnvironmentFreezeView.as_view(),
        name="environment-freeze",
    ),
    path(
        "environments/<slug:name>/unfreeze/",
        api.EnvironmentUnfreezeView.as_view(),
        name="environment-unfreeze",
    ),
]
