"""Governance API: policies and their rules."""

from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from governance import selectors, services
from governance.documents import parse_policy_document
from governance.engine import RULE_KINDS
from governance.models import Policy, PolicyRevision
from mlgov.api.permissions import IsGovernanceAdminForWrites
from mlgov.exceptions import FieldError
from registry import selectors as registry_selectors
from registry.models import MLModel


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
            "model_kinds": policy.model_kinds,
        }

    def get_rules(self, policy) -> list[dict]:
        return [
            {"rule": rule.position, "kind": rule.kind, "params": rule.params}
            for rule in policy.rules.all()
        ]


# A policy created without a stated reason: its description says what it is for.
CREATED_REASON = "Policy created"


def split_change_request(data: object, *extra: str) -> tuple[object, dict]:
    """The policy document of a request and, apart, the change's own fields
    (`reason`, `revision`), which are not part of the document."""
    if not isinstance(data, dict):
        return data, {}
    document = {key: value for key, value in data.items() if key not in extra}
    return document, {key: data[key] for key in extra if key in data}


def _reason(fields: dict, *, default: str | None) -> str:
    reason = fields.get("reason", default)
    if reason is None:
        raise FieldError("reason", "Say why the policy changes; the revision keeps it.")
    if not isinstance(reason, str):
        raise FieldError("reason", "Must be a string.")
    return reason


def _expected_revision(fields: dict) -> int | None:
    revision = fields.get("revision")
    if revision is None:
        return None
    if isinstance(revision, bool) or not isinstance(revision, int) or revision < 1:
        raise FieldError("revision", "Must be the revision number you started from.")
    return revision


class PolicyRevisionSerializer(serializers.ModelSerializer):
    changed_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = PolicyRevision
        fields = ["revision", "document", "changed_by", "reason", "created_at"]
        read_only_fields = fields


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
                "model_kinds": serializers.ListField(
                    child=serializers.ChoiceField(choices=MLModel.Kind.choices),
                    help_text="Kinds of model in scope; empty means every kind.",
                ),
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
        "reason": serializers.CharField(
            required=False,
            help_text="Why the policy changes, kept with the revision the change "
            f"records. Required to change a policy; a new one defaults to "
            f"{CREATED_REASON!r}.",
        ),
        "revision": serializers.IntegerField(
            required=False,
            help_text="On a change, the revision it starts from: if the policy "
            "moved on since, 409 policy_changed and nothing is written.",
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
                        "model_kinds": [],
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
        data, fields = split_change_request(request.data, "reason")
        document = parse_policy_document(
            data, environments=registry_selectors.environment_names()
        )
        reason = _reason(fields, default=CREATED_REASON)
        policy = services.create_policy(
            actor=request.user, document=document, reason=reason
        )
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
        data, fields = split_change_request(request.data, "reason", "revision")
        document = parse_policy_document(
            data,
            environments=registry_selectors.environment_names(),
            base=selectors.policy_document(policy),
        )
        reason = _reason(fields, default=None)
        expected_revision = _expected_revision(fields)
        services.update_policy(
            actor=request.user,
            policy=policy,
            document=document,
            reason=reason,
            expected_revision=expected_revision,
        )
        return Response(PolicySerializer(selectors.policy_by_id(pk=pk)).data)

    @extend_schema(responses={204: None})
    def delete(self, request, pk):
        services.delete_policy(actor=request.user, policy=selectors.policy_by_id(pk=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class PolicyRevisionListView(generics.ListAPIView):
    """A policy's revisions, newest first: each as the policy document it
    recorded, who changed it and why."""

    serializer_class = PolicyRevisionSerializer
    cursor_ordering = "-revision"

    def get_queryset(self):
        policy = selectors.policy_by_name(name=self.kwargs["name"])
        return selectors.policy_revisions(policy=policy)
