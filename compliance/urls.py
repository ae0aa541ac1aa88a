from django.urls import path

from compliance import api
from compliance.documentation.urls import urlpatterns as documentation

app_name = "compliance"

urlpatterns = [
    path(
        "models/<slug:name>/obligations/",
        api.ModelObligationsView.as_view(),
        name="model-obligations",
    ),
    path(
        "compliance/coverage/",
        api.PortfolioCoverageView.as_view(),
        name="coverage",
    ),
    path(
        "compliance/frameworks/", api.FrameworkPackListView.as_view(), name="pack-list"
    ),
    path(
        "compliance/frameworks/<slug:framework>/enable/",
        api.EnableFrameworkPackView.as_view(),
        name="pack-enable",
    ),
    path(
        "compliance/frameworks/<slug:framework>/disable/",
        api.DisableFrameworkPackView.as_view(),
        name="pack-disable",
    ),
    path(
        "compliance/obligations/",
        api.CustomObligationListView.as_view(),
        name="obligation-list",
    ),
    path(
        "compliance/obligations/<int:pk>/",
        api.CustomObligationDetailView.as_view(),
        name="obligation-detail",
    ),
    *documentation,
]
