from django.urls import path

from integrations import api, views

app_name = "integrations"

urlpatterns = [
    path("webhooks/", api.SubscriptionListView.as_view(), name="webhook-list"),
    path(
        "webhooks/<int:pk>/",
        api.SubscriptionDetailView.as_view(),
        name="webhook-detail",
    ),
    path(
        "webhooks/<int:pk>/deliveries/",
        api.DeliveryListView.as_view(),
        name="webhook-deliveries",
    ),
    path(
        "integrations/mlflow/<slug:name>/webhooks/",
        api.MlflowWebhookView.as_view(),
        name="mlflow-webhook",
    ),
    path(
        "models/<slug:name>/evidence-pack/",
        views.EvidencePackApiView.as_view(),
        name="evidence-pack-api",
    ),
]
