"""Governance API: what-if simulations of a proposed policy set."""

from django.conf import settings
from drf_spectacular.utils import (
    OpenApiExample,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from governance import services
from governance.models import Policy
from mlgov.api.bodycap import BodyCapMixin
from mlgov.api.serializers import StrictInputSerializer
from registry.models import MLModel

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
                "model_kinds": serializers.ListField(
                    child=serializers.ChoiceField(choices=MLModel.Kind.choices),
                    help_text="Kinds of model in scope; empty means every kind.",
                ),
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
    name = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text="The saved run's name (required with save; at most 200).",
    )

    def get_fields(self):
        # Added here: a field declared as `save` would shadow Serializer.save.
        fields = super().get_fields()
        fields["save"] = serializers.BooleanField(
            required=False,
            default=False,
            help_text="Keep the run under `name`; it joins the command center's "
            "saved runs, and the answer is 201 with `saved_run`.",
        )
        return fields


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


class SavedRunSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class SimulationResultSerializer(serializers.Serializer):
    summary = SimulationSummarySerializer()
    changes = SimulationChangeSerializer(many=True)
    changes_total = serializers.IntegerField()
    changes_truncated = serializers.BooleanField()
    saved_run = SavedRunSerializer(
        required=False, help_text="With save: the kept run's id and name."
    )


class SimulationView(BodyCapMixin, APIView):
    """What-if: the portfolio under a proposed policy set. Enforces nothing and
    writes nothing. Bounded: SIMULATION_MAX_BODY_BYTES of body, and the
    service's caps on policies, rules and seconds."""

    def max_body_bytes(self) -> int:
        return settings.SIMULATION_MAX_BODY_BYTES

    @extend_schema(
        request=SimulationRequestSerializer,
        responses={200: SimulationResultSerializer, 201: SimulationResultSerializer},
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
                                "model_kinds": [],
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
        upsert = payload.validated_data.get("upsert", [])
        remove = payload.validated_data.get("remove", [])
        if payload.validated_data["save"]:
            run = services.save_simulation_run(
                actor=request.user,
                name=payload.validated_data.get("name", ""),
                upsert=upsert,
                remove=remove,
            )
            saved_run = {"id": run.id, "name": run.name}
            return Response({**run.result, "saved_run": saved_run}, status=201)
        result = services.run_simulation(
            actor=request.user, upsert=upsert, remove=remove
        )
        return Response(result)
