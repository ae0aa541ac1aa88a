"""Governance API: waivers, granted and revoked."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from governance import selectors, services
from governance.constants import WAIVER_STATES
from governance.models import Waiver
from mlgov.api.filters import QueryFilter
from mlgov.api.permissions import IsGovernanceAdminForWrites
from mlgov.api.serializers import StrictInputSerializer
from mlgov.exceptions import FieldError, NotFoundError
from registry import selectors as registry_selectors


class WaiverSerializer(serializers.ModelSerializer):
    model = serializers.CharField(source="version.model.name", read_only=True)
    version = serializers.IntegerField(source="version.version", read_only=True)
    policy = serializers.CharField(source="policy.name", read_only=True)
    rule = serializers.IntegerField(source="rule_position", read_only=True)
    granted_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    revoked_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    state = serializers.CharField(read_only=True)

    class Meta:
        model = Waiver
        fields = [
            "id",
            "model",
            "version",
            "policy",
            "rule",
            "justification",
            "ticket",
            "state",
            "granted_by",
            "granted_at",
            "expires_at",
            "revoked_by",
            "revoked_at",
            "revocation_reason",
        ]
        read_only_fields = fields


class WaiverGrantSerializer(StrictInputSerializer):
    model = serializers.SlugField()
    version = serializers.IntegerField(min_value=1)
    policy = serializers.SlugField()
    rule = serializers.IntegerField(min_value=1)
    justification = serializers.CharField(
        max_length=5000,
        help_text="Why the exception is acceptable: at least 20 characters "
        "(the WAIVER_MIN_JUSTIFICATION_CHARS setting).",
    )
    ticket = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text="Optional change or risk ticket (key or URL).",
    )
    expires_at = serializers.DateTimeField()


class WaiverRevokeSerializer(StrictInputSerializer):
    reason = serializers.CharField(max_length=5000)


class WaiverListFilter(QueryFilter):
    model = serializers.CharField(required=False, help_text="Model name.")
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="Version number."
    )
    state = serializers.ChoiceField(WAIVER_STATES, required=False)


class WaiverListView(generics.ListAPIView):
    """Waivers, filtered by model, version and state; governance admins grant."""

    serializer_class = WaiverSerializer
    permission_classes = [IsGovernanceAdminForWrites]
    cursor_ordering = "-id"

    def get_queryset(self):
        return selectors.waiver_list(**WaiverListFilter.from_request(self.request))

    @extend_schema(parameters=[WaiverListFilter])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=WaiverGrantSerializer, responses={201: WaiverSerializer})
    def post(self, request):
        payload = WaiverGrantSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        try:
            version = registry_selectors.version_by_name(
                name=data["model"], number=data["version"]
            )
        except NotFoundError as error:
            raise FieldError("version", error.message) from error
        try:
            policy = selectors.policy_by_name(name=data["policy"])
        except NotFoundError as error:
            raise FieldError("policy", error.message) from error
        waiver = services.grant_waiver(
            actor=request.user,
            version=version,
            policy=policy,
            rule_position=data["rule"],
            justification=data["justification"],
            ticket=data.get("ticket", ""),
            expires_at=data["expires_at"],
        )
        return Response(
            WaiverSerializer(selectors.waiver_by_id(pk=waiver.pk)).data,
            status=status.HTTP_201_CREATED,
        )


class WaiverRevokeView(APIView):
    """End a waiver now."""

    permission_classes = [IsGovernanceAdminForWrites]

    @extend_schema(request=WaiverRevokeSerializer, responses=WaiverSerializer)
    def post(self, request, pk):
        payload = WaiverRevokeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.revoke_waiver(
            actor=request.user,
            waiver=selectors.waiver_by_id(pk=pk),
            reason=payload.validated_data["reason"],
        )
        return Response(WaiverSerializer(selectors.waiver_by_id(pk=pk)).data)
