from django.urls import path

from command_center import views

app_name = "command_center"

REVIEW = "reviews/<slug:name>/v<int:number>/"

urlpatterns = [
    path("", views.OverviewView.as_view(), name="overview"),
    path("sign-in/", views.SignInView.as_view(), name="sign-in"),
    path("sign-out/", views.SignOutView.as_view(), name="sign-out"),
    path(
        "account/notifications/",
        views.NotificationPreferencesView.as_view(),
        name="notification-preferences",
    ),
    path("oidc/authenticate/", views.SsoStartView.as_view(), name="sso-start"),
    path("oidc/callback/", views.SsoCallbackView.as_view(), name="sso-callback"),
    path("models/", views.ModelListView.as_view(), name="model-list"),
    path("models/<slug:name>/", views.ModelDetailView.as_view(), name="model-detail"),
    path(
        "models/<slug:name>/v<int:number>/documentation/",
        views.DocumentationView.as_view(),
        name="documentation",
    ),
    path(
        "models/<slug:name>/v<int:number>/documentation/generate/",
        views.GenerateDocumentationView.as_view(),
        name="documentation-generate",
    ),
    path(
        "models/<slug:name>/obligations/",
        views.ModelObligationsView.as_view(),
        name="model-obligations",
    ),
    path(
        "models/<slug:name>/prompts/",
        views.PromptDiffView.as_view(),
        name="prompt-diff",
    ),
    path(
        "models/<slug:name>/intake/",
        views.IntakePageView.as_view(),
        name="model-intake",
    ),
    path(
        "models/<slug:name>/risk-class-changes/",
        views.RiskClassChangeAskView.as_view(),
        name="risk-class-change-ask",
    ),
    path(
        "risk-class-changes/",
        views.RiskClassChangeQueueView.as_view(),
        name="risk-class-change-list",
    ),
    path(
        "risk-class-changes/<int:pk>/approve/",
        views.RiskClassChangeApproveView.as_view(),
        name="risk-class-change-approve",
    ),
    path(
        "risk-class-changes/<int:pk>/reject/",
        views.RiskClassChangeRejectView.as_view(),
        name="risk-class-change-reject",
    ),
    path("drift/", views.DriftAlertListView.as_view(), name="alert-list"),
    path("drift/<int:pk>/move/", views.DriftAlertMoveView.as_view(), name="alert-move"),
    path(
        "monitoring/",
        views.MonitoringAlertListView.as_view(),
        name="monitoring-alert-list",
    ),
    path(
        "monitoring/<int:pk>/move/",
        views.MonitoringAlertMoveView.as_view(),
        name="monitoring-alert-move",
    ),
    path("deployments/", views.DeploymentListView.as_view(), name="deployment-list"),
    path("reviews/", views.ReviewQueueView.as_view(), name="review-list"),
    path(f"{REVIEW}", views.ReviewDetailView.as_view(), name="review-detail"),
    path(f"{REVIEW}approve/", views.ApproveView.as_view(), name="review-approve"),
    path(f"{REVIEW}reject/", views.RejectView.as_view(), name="review-reject"),
    path(f"{REVIEW}comment/", views.CommentView.as_view(), name="review-comment"),
    path(f"{REVIEW}assign/", views.AssignView.as_view(), name="review-assign"),
    path(f"{REVIEW}waive/", views.WaiveView.as_view(), name="review-waive"),
    path("audit/", views.AuditListView.as_view(), name="audit"),
    path("policies/", views.PolicyListView.as_view(), name="policy-list"),
    path("policies/new/", views.PolicyEditView.as_view(), name="policy-create"),
    path(
        "policies/<slug:name>/", views.PolicyDetailView.as_view(), name="policy-detail"
    ),
    path(
        "policies/<slug:name>/edit/",
        views.PolicyEditView.as_view(),
        name="policy-edit",
    ),
    path(
        "policies/<slug:name>/revisions/",
        views.PolicyRevisionDiffView.as_view(),
        name="policy-revisions",
    ),
    path("help/readiness/", views.ReadinessHelpView.as_view(), name="readiness-help"),
    path("simulation/", views.SimulationView.as_view(), name="simulation"),
    path(
        "simulation/compare/",
        views.SimulationCompareView.as_view(),
        name="simulation-compare",
    ),
    path(
        "simulation/<int:pk>/",
        views.SavedSimulationView.as_view(),
        name="simulation-detail",
    ),
    path(
        "exports/inventory.csv", views.InventoryCSVView.as_view(), name="inventory-csv"
    ),
]
