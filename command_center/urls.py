from django.urls import path

from command_center import views

app_name = "command_center"

urlpatterns = [
    path("", views.OverviewView.as_view(), name="overview"),
    path("sign-in/", views.SignInView.as_view(), name="sign-in"),
    path("sign-out/", views.SignOutView.as_view(), name="sign-out"),
    path("oidc/authenticate/", views.SsoStartView.as_view(), name="sso-start"),
    path("oidc/callback/", views.SsoCallbackView.as_view(), name="sso-callback"),
    path("models/", views.ModelListView.as_view(), name="model-list"),
    path("models/<slug:name>/", views.ModelDetailView.as_view(), name="model-detail"),
    path("drift/", views.DriftAlertListView.as_view(), name="alert-list"),
    path("deployments/", views.DeploymentListView.as_view(), name="deployment-list"),
    path("audit/", views.AuditListView.as_view(), name="audit"),
    path("simulation/", views.SimulationView.as_view(), name="simulation"),
    path(
        "simulation/<int:pk>/",
        views.SavedSimulationView.as_view(),
        name="simulation-detail",
    ),
    path(
        "exports/inventory.csv", views.InventoryCSVView.as_view(), name="inventory-csv"
    ),
]
