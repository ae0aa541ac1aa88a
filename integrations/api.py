"""Webhook subscriptions and their delivery log, for governance admins; the
receiver of MLflow's webhooks."""

import time

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from integrations import mlflow_signing, selectors, services
from integrations.models import (
    DeliveryAttempt,
    WebhookDelivery,
    WebhookEventType,
    WebhookSubscription,
)
from mlgov.api.filters import QueryFilter
from mlgov.api.permissions import role_required
from mlgov.api.serializers import StrictInputSerializer
from mlgov.audit import attribute_changes_to
from mlgov.roles import Role

IsGovernanceAdmin = role_required(Role.GOVERNANCE_ADMIN, for_writes_only=False)


class SubscriptionSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    pending_deliveries = serializers.IntegerField(read_only=True)
    failed_deliveries = serializers.IntegerField(read_only=True)

    class Meta:
        model = WebhookSubscription
        fields = [
            "id",
            "name",
            "url",
            "event_types",
            "is_active",
            "consecutive_failures",
            "disabled_at",
            "disabled_reason",
            "pending_deliveries",
            "failed_deliveries",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class SubscriptionWithSecretSerializer(SubscriptionSerializer):
    """Shown once: on creation and when the secret is rotated."""

    class Meta(SubscriptionSerializer.Meta):
        fields = [*SubscriptionSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class SubscriptionCreateSerializer(StrictInputSerializer):
    name = serializers.SlugField(max_length=100)
    url = serializers.URLField(max_length=1000)
    event_types = serializers.ListField(
        child=serializers.ChoiceField(WebhookEventType.choices), allow_empty=False
    )
    secret = serializers.CharField(
        required=False,
        min_length=16,
        max_length=200,
        help_text="Leave out to have one generated (returned once).",
    )


class SubscriptionUpdateSerializer(StrictInputSerializer):
    url = serializers.URLField(max_length=1000, required=False)
    event_types = serializers.ListField(
        child=serializers.ChoiceField(WebhookEventType.choices),
        allow_empty=False,
        required=False,
    )
    is_active = serializers.BooleanField(required=False)
    rotate_secret = serializers.BooleanField(
        required=False, help_text="Generate a new secret (returned once)."
    )


class SubscriptionListFilter(QueryFilter):
    event_type = serializers.ChoiceField(WebhookEventType.choices, required=False)
    is_active = serializers.BooleanField(required=False, allow_null=True, default=None)


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeliveryAttempt
        fields = [
            "number",
            "attempted_at",
            "succeeded",
            "status_code",
            "latency_ms",
            "response_excerpt",
            "error",
        ]
        read_only_fields = fields


class DeliverySerializer(serializers.ModelSerializer):
    event_id = serializers.UUIDField(source="event.id", read_only=True)
    event_type = serializers.CharField(source="event.event_type", read_only=True)
    payload = serializers.JSONField(source="event.payload", read_only=True)
    attempt_log = AttemptSerializer(many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event_id",
            "event_type",
            "status",
            "attempts",
            "next_attempt_at",
            "delivered_at",
            "created_at",
            "payload",
            "attempt_log",
        ]
        read_only_fields = fields


class DeliveryListFilter(QueryFilter):
    status = serializers.ChoiceField(WebhookDelivery.Status.choices, required=False)
    event_type = serializers.ChoiceField(WebhookEventType.choices, required=False)


class SubscriptionListView(generics.ListAPIView):
    """Webhook subscriptions; governance admins subscribe receivers."""

    serializer_class = SubscriptionSerializer
    permission_classes = [IsGovernanceAdmin]
    cursor_ordering = "name"

    def get_queryset(self):
        return selectors.subscription_list(
            **SubscriptionListFilter.from_request(self.request)
        )

    @extend_schema(parameters=[SubscriptionListFilter])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=SubscriptionCreateSerializer,
        responses={201: SubscriptionWithSecretSerializer},
    )
    def post(self, request):
        payload = SubscriptionCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        subscription = services.create_subscription(
            actor=request.user, **payload.validated_data
        )
        return Response(
            SubscriptionWithSecretSerializer(
                selectors.subscription_by_id(pk=subscription.pk)
            ).data,
            status=status.HTTP_201_CREATED,
        )


class SubscriptionDetailView(APIView):
    """One subscription; PATCH changes it, re-enables it or rotates its secret."""

    permission_classes = [IsGovernanceAdmin]

    @extend_schema(responses=SubscriptionSerializer)
    def get(self, request, pk):
        return Response(
            SubscriptionSerializer(selectors.subscription_by_id(pk=pk)).data
        )

    @extend_schema(
        request=SubscriptionUpdateSerializer, responses=SubscriptionWithSecretSerializer
    )
    def patch(self, request, pk):
        payload = SubscriptionUpdateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.update_subscription(
            actor=request.user,
            subscription=selectors.subscription_by_id(pk=pk),
            **payload.validated_data,
        )
        output = (
            SubscriptionWithSecretSerializer
            if payload.validated_data.get("rotate_secret")
            else SubscriptionSerializer
        )
        return Response(output(selectors.subscription_by_id(pk=pk)).data)


class DeliveryListView(generics.ListAPIView):
    """A subscription's delivery log: every event, every attempt."""

    serializer_class = DeliverySerializer
    permission_classes = [IsGovernanceAdmin]
    cursor_ordering = "-id"

    def get_queryset(self):
        return selectors.delivery_log(
            subscription=selectors.subscription_by_id(pk=self.kwargs["pk"]),
            **DeliveryListFilter.from_request(self.request),
        )

    @extend_schema(parameters=[DeliveryListFilter])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class MlflowWebhookView(APIView):
    """MLflow's registry webhooks for one sync. No session or token: MLflow
    signs each delivery with the sync's secret, and only a signed, fresh,
    new delivery is applied."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(request=None, responses={200: None})
    def post(self, request, name):
        sync = selectors.mlflow_sync_or_404(name=name)
        body = request.body
        headers = request.headers
        timestamp = headers.get(mlflow_signing.TIMESTAMP_HEADER, "")
        delivery_id = headers.get(mlflow_signing.DELIVERY_ID_HEADER, "")
        services.check_mlflow_delivery(
            sync=sync,
            delivery_id=delivery_id,
            timestamp=timestamp,
            signature=headers.get(mlflow_signing.SIGNATURE_HEADER, ""),
            body=body,
            now=int(time.time()),
        )
        attribute_changes_to(sync.account)
        receipt = services.receive_mlflow_webhook(
            sync=sync,
            delivery_id=delivery_id,
            sent_at=services.mlflow_sent_at(timestamp),
            event=services.read_mlflow_event(body),
        )
        return Response(
            {
                "delivery_id": receipt.delivery_id,
                "event": receipt.event,
                "outcome": receipt.outcome,
                "summary": receipt.summary,
            }
        )
