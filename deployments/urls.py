from django.urls import path

from deployments import api

app_name = "deployments"

urlpatterns = [
    path(
        "deployments/check/",
        api.DeploymentCheckView.as_view(),
        name="deployment-check",
    ),
    path("deployments/", api.DeploymentListView.as_view(), name="deployment-list"),
    path(
        "deployments/<int:pk>/",
        api.DeploymentDetailView.as_view(),
        name="deployment-detail",
    ),
    path(
        "deployments/<int:pk>/start/",
        api.StartDeploymentView.as_view(),
        name="deployment-start",
    ),
    path(
        "deployments/<int:pk>/complete/",
        api.CompleteDeploymentView.as_view(),
        name="deployment-complete",
    ),
    path(
        "deployments/<int:pk>/fail/",
        api.FailDeploymentView.as_view(),
        name="deployment-fail",
    ),
    path(
        "deployments/<int:pk>/promote/",
        api.PromoteDeploymentView.as_view(),
        name="deployment-promote",
    ),
    path(
        "deployments/<int:pk>/rollback/",
        api.RollbackDeploymentView.as_view(),
        name="deployment-rollback",
    ),
    path(
        "models/<slug:name>/deployments/",
        api.ModelDeploymentListView.as_view(),
        name="model-deployment-list",
    ),
]
