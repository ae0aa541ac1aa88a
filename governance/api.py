"""Governance API: submission, review decisions, evaluations, policies,
waivers and simulations."""

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from governance import selectors, services
from governance.constants import WAIVER_STATES
from governance.documents import parse_policy_document
from governance.engine import RULE_KINDS
from governance.models import Approval, Policy, Waiver
from mlgov.api.bodycap import BodyCapMixin
from mlgov.api.filters import QueryFilter
from mlgov.api.permissions import (
    IsDataScientistForWrites,
    IsGovernanceAdminForWrites,
    IsReviewer,
)
from mlgov.api.serializers import StrictInputSerializer
from mlgov.exceptions import FieldError, NotFoundError
from registry import selectors as registry_selectors
from registry.api import VersionSerializer


class CommentSerializer(StrictInputSerializer):
    comment = serializers.CharField(allow_blank=True, required=False, max_length=5000)


class ApprovalSerializer(serializers.ModelSerializer):
    model = serializers.CharField(source="version.model.name", read_only=True)
    version = serializers.IntegerField(source="version.version", read_only=True)
    version_status = serializers.CharField(source="version.status", read_only=True)
    reviewer = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Approval
        fields = [
            "model",
            "version",
            "reviewer",
            "decision",
            "comment",
            "created_at",
            "version_status",
        ]
        read_only_fields = fields


class SubmitVersionView(APIView):
    """Send a draft to review; its evidence is frozen and it is evaluated."""

    permission_classes = [IsDataScientistForWrites]

    @extend_schema(request=None, responses=VersionSerializer)
    def post(self, request, name, number):
        model = registry_selectors.writable_model_by_name(user=request.user, name=name)
        version = registry_selectors.version_by_number(model=model, number=number)
        services.submit_for_review(actor=request.user, version=version)
        version = registry_selectors.version_by_name(name=name, number=number)
        return Response(VersionSerializer(version).data)


def decision_response(approval: Approval) -> Response:
    """201 with the recorded decision and the version's status after it."""
    approval.version.refresh_from_db(fields=["status"])
    return Response(ApprovalSerializer(approval).data, status=status.HTTP_201_CREATED)


class ApproveVersionView(APIView):
    """Approve a version you neither created nor submitted."""

    permission_classes = [IsReviewer]

    @extend_schema(request=CommentSerializer, responses={201: ApprovalSerializer})
    def post(self, request, name, number):
        payload = CommentSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        approval = services.approve_version(
            version=registry_selectors.version_by_name(name=name, number=number),
            reviewer=request.user,
            **payload.validated_data,
        )
        return decision_response(approval)


class RejectVersionView(APIView):
    """Reject a version you neither created nor submitted."""

    permission_classes = [IsReviewer]

    @extend_schema(request=CommentSerializer, responses={201: ApprovalSerializer})
    def post(self, request, name, number):
        payload = CommentSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        approval = services.reject_version(
            version=registry_selectors.version_by_name(name=name, number=number),
            reviewer=request.user,
            **payload.validated_data,
        )
        return decision_response(approval)


class RuleResultSerializer(serializers.Serializer):
    policy = serializers.CharField()
    revision = serializers.IntegerField()
    rule = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=RULE_KINDS)
    params = serializers.DictField()
    enforcement = serializers.CharField()
    passed = serializers.BooleanField()
    waived = serializers.BooleanField()
    detail = serializers.CharField()


class EvaluationSerializer(serializers.Serializer):
    passed = serializers.BooleanField()
    evaluated_at = serializers.DateTimeField()
    environment = serializers.CharField(allow_null=True)
    results = RuleResultSerializer(many=True)


class EvaluationFilter(QueryFilter):
    environment = serializers.CharField(
        required=False,
        help_text="Environment name; without one, the verdict for approval.",
    )


class EvaluationView(APIView):
    """The verdict today for a version, in an environment or (without one)
    for its approval; computed on request, not stored."""

    @extend_schema(
        parameters=[EvaluationFilter],
        responses=EvaluationSerializer,
    )
    def get(self, request, name, number):
        version = registry_selectors.version_by_name(name=name, number=number)
        environment_name = EvaluationFilter.from_request(request).get("environment")
        environment = None
        if environment_name:
            try:
                environment = registry_selectors.environment_by_name(
                    name=environment_name
                )
            except NotFoundError as error:
                raise FieldError("environment", error.message) from error
        now = timezone.now()
        verdict = services.evaluate_version(
            version=version, environment=environment, now=now
        )
        return Response(
            {
                **verdict.as_dict(),
                "evaluated_at": now,
                "environment": environment_name or None,
            }
        )


class PolicySerializer(serializers.ModelSerializer):
    scope = serializers.SerializerMethodField()
    rules = serializers.SerializerMethodField()

    class Meta:
        model = Policy
        fields = [
            "id",
            "name",
            "description",
            "enforcement",
            "scope",
            "rules",
            "revision",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_scope(self, policy) -> dict:
        return {
            "risk_tiers": policy.risk_tiers,
            "environments": policy.environments,
            "tags": policy.tags,
        }

    def get_rules(self, policy) -> list[dict]:
        return [
            {"rule": rule.position, "kind": rule.kind, "params": rule.params}
            for rule in policy.rules.all()
        ]


PolicyDocumentSchema = inline_serializer(
    "PolicyDocument",
    {
        "name": serializers.SlugField(),
        "description": serializers.CharField(required=False),
        "enforcement": serializers.ChoiceField(
            choices=Policy.Enforcement.choices, required=False
        ),
        "scope": inline_serializer(
            "PolicyScope",
            {
                "risk_tiers": serializers.ListField(child=serializers.CharField()),
                "environments": serializers.ListField(child=serializers.CharField()),
                "tags": serializers.ListField(child=serializers.CharField()),
            },
            required=False,
        ),
        "rules": inline_serializer(
            "PolicyRuleDocument",
            {
                "kind": serializers.ChoiceField(choices=RULE_KINDS),
                "params": serializers.DictField(),
            },
            many=True,
        ),
    },
)


class PolicyListView(generics.ListAPIView):
    """Policies with their rules; governance admins create them."""

    serializer_class = PolicySerializer
    permission_classes = [IsGovernanceAdminForWrites]
    cursor_ordering = "name"

    def get_queryset(self):
        return selectors.policies_with_rules()

    @extend_schema(request=PolicyDocumentSchema, responses={201: PolicySerializer})
    def post(self, request):
        document = parse_policy_document(
            request.data, environments=registry_selectors.environment_names()
        )
        policy = services.create_policy(actor=request.user, document=document)
        return Response(
            PolicySerializer(selectors.policy_by_id(pk=policy.pk)).data,
            status=status.HTTP_201_CREATED,
        )


class PolicyDetailView(APIView):
    """One policy; PATCH applies a partial document (rules replace the list)."""

    permission_classes = [IsGovernanceAdminForWrites]

    @extend_schema(responses=PolicySerializer)
    def get(self, request, pk):
        return Response(PolicySerializer(selectors.policy_by_id(pk=pk)).data)

    @extend_schema(request=PolicyDocumentSchema, responses=PolicySerializer)
    def patch(self, request, pk):
        policy = selectors.policy_by_id(pk=pk)
        document = parse_policy_document(
            request.data,
            environments=registry_selectors.environment_names(),
            base=selectors.policy_document(policy),
        )
        services.update_policy(actor=request.user, policy=policy, document=document)
        return Response(PolicySerializer(selectors.policy_by_id(pk=pk)).data)

    @extend_schema(responses={204: None})
    def delete(self, request, pk):
        services.delete_policy(actor=request.user, policy=selectors.policy_by_id(pk=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


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
    justification = serializers.CharField(max_length=5000)
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


class SimulationRequestSerializer(StrictInputSerializer):
    upsert = serializers.ListField(child=serializers.DictField(), required=False)
    remove = serializers.ListField(child=serializers.SlugField(), required=False)


class SimulationView(BodyCapMixin, APIView):
    """What-if: the portfolio under a proposed policy set. Enforces nothing and
    writes nothing. Bounded: SIMULATION_MAX_BODY_BYTES of body, and the
    service's caps on policies, rules and seconds."""

    def max_body_bytes(self) -> int:
        return settings.SIMULATION_MAX_BODY_BYTES

    @extend_schema(
        request=SimulationRequestSerializer,
        responses=inline_serializer(
            "SimulationResult",
            {
                "summary": serializers.DictField(),
                "changes": serializers.ListField(child=serializers.DictField()),
                "changes_total": serializers.IntegerField(),
                "changes_truncated": serializers.BooleanField(),
            },
        ),
    )
    def post(self, request):
        payload = SimulationRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        result = services.run_simulation(
            actor=request.user,
            upsert=payload.validated_data.get("upsert", []),
            remove=payload.validated_data.get("remove", []),
        )
        return Response(result)
