"""Governance API: submission, review decisions, evaluations, policies,
waivers and simulations."""

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiExample,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from governance import selectors, services
from governance.constants import WAIVER_STATES
from governance.documents import parse_policy_document
from governance.engine import RULE_KINDS
from governance.models import Approval, Evaluation, Policy, Waiver
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
    comment = serializers.CharField(
        allow_blank=True,
        required=False,
        max_length=5000,
        help_text="Optional note for the record.",
    )


class RejectionSerializer(StrictInputSerializer):
    comment = serializers.CharField(
        max_length=5000,
        help_text="Required: why the version is rejected, for its author and "
        "the audit trail.",
        error_messages={
            "required": "Say why the version is rejected.",
            "blank": "Say why the version is rejected.",
        },
    )


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


class StoredEvaluationSerializer(serializers.ModelSerializer):
    environment = serializers.SlugRelatedField(
        slug_field="name",
        read_only=True,
        allow_null=True,
        help_text="null: the environment-independent approval decision.",
    )
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    results = RuleResultSerializer(many=True, read_only=True)

    class Meta:
        model = Evaluation
        fields = [
            "id",
            "passed",
            "environment",
            "trigger",
            "requested_by",
            "evaluated_at",
            "results",
        ]
        read_only_fields = fields


class ReviewProgressSerializer(serializers.Serializer):
    status = serializers.CharField(help_text="The version's status now.")
    approvals = serializers.IntegerField(
        help_text="Independent approvals (never the creator's or submitter's)."
    )
    required_approvals = serializers.IntegerField(
        help_text="The most any enforced min_approvals rule in scope requires."
    )
    summary = serializers.CharField(help_text='"1 of 2 required approvals"')


class SubmissionSerializer(VersionSerializer):
    """The submitted version, the evaluation recorded at submission, and how
    far its review has come."""

    evaluation = serializers.SerializerMethodField()
    review = serializers.SerializerMethodField()

    class Meta(VersionSerializer.Meta):
        fields = [*VersionSerializer.Meta.fields, "evaluation", "review"]
        read_only_fields = fields

    @extend_schema_field(StoredEvaluationSerializer)
    def get_evaluation(self, version):
        evaluation = self.context["evaluation"]
        return StoredEvaluationSerializer(evaluation).data if evaluation else None

    @extend_schema_field(ReviewProgressSerializer)
    def get_review(self, version):
        return selectors.review_progress(
            version=version, evaluation=self.context["evaluation"]
        )


class DecisionSerializer(ApprovalSerializer):
    """The decision recorded, the evaluation it settled the version with
    (none after a rejection, which settles it alone), and the review so far."""

    evaluation = serializers.SerializerMethodField()
    review = serializers.SerializerMethodField()

    class Meta(ApprovalSerializer.Meta):
        fields = [*ApprovalSerializer.Meta.fields, "evaluation", "review"]
        read_only_fields = fields

    @extend_schema_field(StoredEvaluationSerializer(allow_null=True))
    def get_evaluation(self, approval):
        evaluation = self.context["evaluation"]
        return StoredEvaluationSerializer(evaluation).data if evaluation else None

    @extend_schema_field(ReviewProgressSerializer)
    def get_review(self, approval):
        return selectors.review_progress(
            version=approval.version, evaluation=self.context["evaluation"]
        )


class SubmitVersionView(APIView):
    """Send a draft to review; its evidence is frozen and it is evaluated. The
    answer carries that evaluation and the approvals the review needs."""

    permission_classes = [IsDataScientistForWrites]

    @extend_schema(request=None, responses=SubmissionSerializer)
    def post(self, request, name, number):
        model = registry_selectors.writable_model_by_name(user=request.user, name=name)
        version = registry_selectors.version_by_number(model=model, number=number)
        services.submit_for_review(actor=request.user, version=version)
        version = registry_selectors.version_by_name(name=name, number=number)
        evaluation = selectors.latest_approval_evaluation(version=version)
        return Response(
            SubmissionSerializer(version, context={"evaluation": evaluation}).data
        )


def decision_response(approval: Approval) -> Response:
    """201 with the recorded decision, the evaluation it settled the version
    with (none after a rejection), and the review so far."""
    approval.version.refresh_from_db(fields=["status"])
    evaluation = None
    if approval.decision == Approval.Decision.APPROVE:
        evaluation = selectors.latest_approval_evaluation(version=approval.version)
    return Response(
        DecisionSerializer(approval, context={"evaluation": evaluation}).data,
        status=status.HTTP_201_CREATED,
    )


class ApproveVersionView(APIView):
    """Approve a version you neither created nor submitted; the comment is
    optional."""

    permission_classes = [IsReviewer]

    @extend_schema(request=CommentSerializer, responses={201: DecisionSerializer})
    def post(self, request, name, number):
        version = registry_selectors.version_by_name(name=name, number=number)
        payload = CommentSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        approval = services.approve_version(
            version=version, reviewer=request.user, **payload.validated_data
        )
        return decision_response(approval)


class RejectVersionView(APIView):
    """Reject a version you neither created nor submitted, saying why."""

    permission_classes = [IsReviewer]

    @extend_schema(request=RejectionSerializer, responses={201: DecisionSerializer})
    def post(self, request, name, number):
        version = registry_selectors.version_by_name(name=name, number=number)
        payload = RejectionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        approval = services.reject_version(
            version=version, reviewer=request.user, **payload.validated_data
        )
        return decision_response(approval)


class ApprovalListFilter(QueryFilter):
    decision = serializers.ChoiceField(Approval.Decision.choices, required=False)


class ApprovalListView(generics.ListAPIView):
    """A version's review decisions, newest first."""

    serializer_class = ApprovalSerializer
    cursor_ordering = "-id"

    def get_queryset(self):
        filters = ApprovalListFilter.from_request(self.request)
        version = registry_selectors.version_by_name(
            name=self.kwargs["name"], number=self.kwargs["number"]
        )
        approvals = selectors.version_approvals(version=version)
        if "decision" in filters:
            approvals = approvals.filter(decision=filters["decision"])
        return approvals

    @extend_schema(parameters=[ApprovalListFilter])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class EvaluationListFilter(QueryFilter):
    environment = serializers.SlugField(
        required=False,
        help_text='An environment name, or "approval" for the '
        "environment-independent approval decision.",
    )
    trigger = serializers.ChoiceField(Evaluation.Trigger.choices, required=False)


class EvaluationListView(generics.ListAPIView):
    """A version's stored evaluations (at submission, after each review
    decision, on request, at deployment gates), newest first, each with the
    exact rule parameters it used."""

    serializer_class = StoredEvaluationSerializer
    cursor_ordering = "-id"

    def get_queryset(self):
        filters = EvaluationListFilter.from_request(self.request)
        version = registry_selectors.version_by_name(
            name=self.kwargs["name"], number=self.kwargs["number"]
        )
        return selectors.version_evaluations(version=version, **filters)

    @extend_schema(parameters=[EvaluationListFilter])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


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
        examples=[
            OpenApiExample(
                "A failing threshold",
                response_only=True,
                value={
                    "passed": False,
                    "evaluated_at": "2026-11-29T10:00:00Z",
                    "environment": "production",
                    "results": [
                        {
                            "policy": "production-floor",
                            "revision": 3,
                            "rule": 1,
                            "kind": "metric_threshold",
                            "params": {"metric": "auc", "op": ">=", "value": 0.8},
                            "enforcement": "enforce",
                            "passed": False,
                            "waived": False,
                            "detail": "auc 0.78 is below the minimum 0.80",
                        }
                    ],
                },
            )
        ],
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

    @extend_schema(
        request=PolicyDocumentSchema,
        responses={201: PolicySerializer},
        examples=[
            OpenApiExample(
                "Production floor",
                request_only=True,
                value={
                    "name": "production-floor",
                    "description": "Minimum AUC and two approvals for risky models.",
                    "enforcement": "enforce",
                    "scope": {
                        "risk_tiers": ["high", "critical"],
                        "environments": ["production"],
                        "tags": [],
                    },
                    "rules": [
                        {
                            "kind": "metric_threshold",
                            "params": {"metric": "auc", "op": ">=", "value": 0.8},
                        },
                        {"kind": "min_approvals", "params": {"count": 2}},
                    ],
                },
            )
        ],
    )
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


SimulationPolicySchema = inline_serializer(
    "SimulationPolicy",
    {
        "name": serializers.SlugField(
            help_text="A stored policy's name (then every other field is "
            "optional), or a new one (then rules are required)."
        ),
        "description": serializers.CharField(required=False),
        "enforcement": serializers.ChoiceField(
            choices=Policy.Enforcement.choices, required=False
        ),
        "scope": inline_serializer(
            "SimulationPolicyScope",
            {
                "risk_tiers": serializers.ListField(child=serializers.CharField()),
                "environments": serializers.ListField(child=serializers.CharField()),
                "tags": serializers.ListField(child=serializers.CharField()),
            },
            required=False,
        ),
        "rules": serializers.JSONField(
            required=False,
            help_text="The whole list ([{kind, params}, …]), or, for a stored "
            'policy, changes by rule position: {"2": {"params": {"value": 0.85}}} '
            "merges the given params into rule 2.",
        ),
    },
    many=True,
)


@extend_schema_field(SimulationPolicySchema)
class SimulationPoliciesField(serializers.ListField):
    """Policy documents, checked in depth by governance.documents."""


@extend_schema_serializer(component_name="Simulation")
class SimulationRequestSerializer(StrictInputSerializer):
    upsert = SimulationPoliciesField(
        child=serializers.DictField(),
        required=False,
        help_text="Policies to add or change, matched by name.",
    )
    remove = serializers.ListField(
        child=serializers.SlugField(),
        required=False,
        help_text="Names of stored policies to drop.",
    )


class SimulationCountsSerializer(serializers.Serializer):
    evaluated = serializers.IntegerField()
    newly_failing = serializers.IntegerField()
    newly_passing = serializers.IntegerField()


class SimulationSummarySerializer(SimulationCountsSerializer):
    by_risk_tier = serializers.DictField(child=SimulationCountsSerializer())
    by_environment = serializers.DictField(
        child=SimulationCountsSerializer(),
        help_text='Environment name, or "approval" for the approval decision.',
    )
    active_deployments_out_of_compliance = serializers.IntegerField()


class SimulationChangeSerializer(serializers.Serializer):
    model = serializers.CharField()
    version = serializers.IntegerField()
    environment = serializers.CharField(allow_null=True)
    before = serializers.BooleanField(help_text="Passes today.")
    after = serializers.BooleanField(help_text="Passes under the proposal.")
    reasons = serializers.ListField(child=serializers.CharField())


class SimulationResultSerializer(serializers.Serializer):
    summary = SimulationSummarySerializer()
    changes = SimulationChangeSerializer(many=True)
    changes_total = serializers.IntegerField()
    changes_truncated = serializers.BooleanField()


class SimulationView(BodyCapMixin, APIView):
    """What-if: the portfolio under a proposed policy set. Enforces nothing and
    writes nothing. Bounded: SIMULATION_MAX_BODY_BYTES of body, and the
    service's caps on policies, rules and seconds."""

    def max_body_bytes(self) -> int:
        return settings.SIMULATION_MAX_BODY_BYTES

    @extend_schema(
        request=SimulationRequestSerializer,
        responses=SimulationResultSerializer,
        examples=[
            OpenApiExample(
                "Raise one threshold",
                request_only=True,
                value={
                    "upsert": [
                        {
                            "name": "production-floor",
                            "rules": {"1": {"params": {"value": 0.85}}},
                        }
                    ]
                },
            ),
            OpenApiExample(
                "Whole documents and a removal",
                request_only=True,
                value={
                    "upsert": [
                        {
                            "name": "production-floor",
                            "enforcement": "enforce",
                            "scope": {
                                "risk_tiers": ["high", "critical"],
                                "environments": ["production"],
                                "tags": [],
                            },
                            "rules": [
                                {
                                    "kind": "metric_threshold",
                                    "params": {
                                        "metric": "auc",
                                        "op": ">=",
                                        "value": 0.85,
                                    },
                                }
                            ],
                        }
                    ],
                    "remove": ["freshness"],
                },
            ),
            OpenApiExample(
                "Result",
                response_only=True,
                value={
                    "summary": {
                        "evaluated": 30000,
                        "newly_failing": 412,
                        "newly_passing": 3,
                        "by_risk_tier": {
                            "high": {
                                "evaluated": 9000,
                                "newly_failing": 120,
                                "newly_passing": 0,
                            }
                        },
                        "by_environment": {
                            "production": {
                                "evaluated": 10000,
                                "newly_failing": 300,
                                "newly_passing": 1,
                            }
                        },
                        "active_deployments_out_of_compliance": 37,
                    },
                    "changes": [
                        {
                            "model": "churn",
                            "version": 7,
                            "environment": "production",
                            "before": True,
                            "after": False,
                            "reasons": ["auc 0.82 is below the minimum 0.85"],
                        }
                    ],
                    "changes_total": 412,
                    "changes_truncated": False,
                },
            ),
        ],
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
