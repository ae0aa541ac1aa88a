"""Governance API: policies and their rules."""

from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from governance import selectors, services
from governance.documents import parse_policy_document
from governance.engine import RULE_KINDS
from governance.models import Policy
from mlgov.api.permissions import IsGovernanceAdminForWrites
from registry import selectors as registry_selectors


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
