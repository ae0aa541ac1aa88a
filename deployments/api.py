"""Deployments API: the gate (dry-run and recorded), rollout moves, ledger."""

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import generics, serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from deployments import selectors, services
from deployments.constants import UNMOVED_STATUSES
from deployments.models import Decision, Deployment, Strategy
from mlgov.api.filters import QueryFilter
from mlgov.api.permissions import InATeamForWrites, IsDataScientistForWrites
from mlgov.api.serializers import StrictInputSerializer, represent, validated
from mlgov.exceptions import FieldError, NotFoundError
from mlgov.http import client_ip
from mlgov.logging import current_request_id
from mlgov.permissions import can_write_model
from registry import hot as registry_hot
from registry import selectors as registry_selectors

# Requests and moves: a data scientist of the owning team (or a governance
# admin). One in no team may write nothing (403); a team's model that the
# caller may not deploy answers 404, as a read would not reveal more.
MOVE_PERMISSIONS: list[type[BasePermission]] = [
    IsDataScientistForWrites,
    InATeamForWrites,
]


@extend_schema_serializer(component_name="Deployment")
class DeploymentRequestSerializer(StrictInputSerializer):
    """A deployment request (or its dry-run): what, where, and how much
    traffic; a canary names its share, a full deployment does not."""

    model = serializers.SlugField(max_length=100)
    version = serializers.IntegerField(min_value=1)
    environment = serializers.SlugField(max_length=64)
    strategy = serializers.ChoiceField(Strategy.choices, default=Strategy.FULL)
    traffic_percent = serializers.IntegerField(
        min_value=1, max_value=99, required=False, allow_null=True
    )

    def validate(self, data):
        percent = data.get("traffic_percent")
        if data["strategy"] == Strategy.CANARY and percent is None:
            raise serializers.ValidationError(
                {"traffic_percent": ["A canary needs a share from 1 to 99."]}
            )
        if data["strategy"] == Strategy.FULL and percent is not None:
            raise serializers.ValidationError(
                {"traffic_percent": ["A full deployment takes all traffic; omit it."]}
            )
        return data


class ReasonSerializer(StrictInputSerializer):
    reason = serializers.CharField(max_length=5000, required=False, allow_blank=True)


class RollbackSerializer(StrictInputSerializer):
    reason = serializers.CharField(
        max_length=5000,
        error_messages={
            "required": services.ROLLBACK_REASON_REQUIRED,
            "blank": services.ROLLBACK_REASON_REQUIRED,
        },
    )


class PromoteSerializer(ReasonSerializer):
    traffic_percent = serializers.IntegerField(min_value=2, max_value=100)


class StepSerializer(serializers.Serializer):
    action = serializers.CharField()
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    traffic_percent = serializers.IntegerField()
    reason = serializers.CharField()
    actor = serializers.CharField(source="actor.username")
    at = serializers.DateTimeField()


class CheckResultSerializer(serializers.Serializer):
    check = serializers.CharField()
    passed = serializers.BooleanField()
    detail = serializers.CharField()


class DeploymentSerializer(serializers.ModelSerializer):
    """A deployment with its gate decision; the dry-run answers the same shape
    without `id` (and with nothing yet to show for the rollout)."""

    model = serializers.CharField(source="model.name")
    version = serializers.IntegerField(source="version.version")
    environment = serializers.CharField(source="environment.name")
    checks = CheckResultSerializer(source="gate_decision.checks", many=True)
    warnings = serializers.ListField(
        source="gate_decision.warnings", child=serializers.CharField()
    )
    evaluation = serializers.DictField(source="gate_decision.evaluation")
    approvals = serializers.ListField(
        source="gate_decision.approval_ids", child=serializers.IntegerField()
    )
    waivers = serializers.ListField(
        source="gate_decision.waiver_ids", child=serializers.IntegerField()
    )
    requested_by = serializers.CharField(source="requested_by.username")
    steps = serializers.SerializerMethodField()

    class Meta:
        model = Deployment
        fields = [
            "id",
            "model",
            "version",
            "environment",
            "strategy",
            "traffic_percent",
            "decision",
            "status",
            "checks",
            "warnings",
            "evaluation",
            "approvals",
            "waivers",
            "requested_by",
            "requested_at",
            "started_at",
            "activated_at",
            "ended_at",
            "supersedes",
            "steps",
        ]
        read_only_fields = fields

    def get_steps(self, deployment) -> list[dict]:
        if deployment.pk is None or deployment.status in UNMOVED_STATUSES:
            return []  # never moved: no step to read
        return list(StepSerializer(deployment.steps.all(), many=True).data)


class LedgerRowSerializer(DeploymentSerializer):
    """A ledger row: the deployment without the full evaluation."""

    class Meta(DeploymentSerializer.Meta):
        fields = [f for f in DeploymentSerializer.Meta.fields if f != "evaluation"]
        read_only_fields = fields


class DeploymentListFilter(QueryFilter):
    model = serializers.SlugField(required=False, help_text="Model name.")
    version = serializers.IntegerField(min_value=1, required=False)
    environment = serializers.SlugField(required=False)
    status = serializers.ChoiceField(Deployment.Status.choices, required=False)
    decision = serializers.ChoiceField(Decision.choices, required=False)


class ModelDeploymentListFilter(QueryFilter):
    version = serializers.IntegerField(min_value=1, required=False)
    environment = serializers.SlugField(required=False)
    status = serializers.ChoiceField(Deployment.Status.choices, required=False)
    decision = serializers.ChoiceField(Decision.choices, required=False)


def _resolve(data: dict):
    """The version and environment a request names, read in one round trip;
    unknown ones are 400s naming the field (a missing model is told apart
    from a missing version by one more query, on that path only)."""
    version, environment = registry_hot.version_and_environment(
        name=data["model"], number=data["version"], environment=data["environment"]
    )
    if version is None:
        try:
            registry_selectors.model_by_name(name=data["model"])
        except NotFoundError as no_model:
            raise FieldError("model", no_model.message) from no_model
        no_version = registry_selectors.missing_version(
            name=data["model"], number=data["version"]
        )
        raise FieldError("version", no_version.message)
    if environment is None:
        no_environment = registry_selectors.missing_environment(
            name=data["environment"]
        )
        raise FieldError("environment", no_environment.message)
    return version, environment


class DeploymentCheckView(APIView):
    """Dry-run: the gate's answer to a request, recording nothing (for CI
    pre-checks). Same body and answer as a request, without `id`."""

    @extend_schema(request=DeploymentRequestSerializer, responses=DeploymentSerializer)
    def post(self, request):
        data = validated(DeploymentRequestSerializer, request.data)
        version, environment = _resolve(data)
        check = services.check_deployment(
            actor=request.user,
            version=version,
            environment=environment,
            strategy=data["strategy"],
            traffic_percent=data.get("traffic_percent"),
        )
        body = represent(DeploymentSerializer, check.unsaved_deployment())
        body.pop("id")
        return Response(body)


class DeploymentListView(generics.ListAPIView):
    """The ledger, and deployment requests: the gate runs and its decision is
    recorded, a blocked one too (201 with `decision: blocked`)."""

    serializer_class = LedgerRowSerializer
    permission_classes = MOVE_PERMISSIONS
    cursor_ordering = "-id"

    def get_queryset(self):
        return selectors.deployment_ledger(
            **DeploymentListFilter.from_request(self.request)
        )

    @extend_schema(parameters=[DeploymentListFilter])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=DeploymentRequestSerializer, responses={201: DeploymentSerializer}
    )
    def post(self, request):
        data = validated(DeploymentRequestSerializer, request.data)
        version, environment = _resolve(data)
        if not can_write_model(request.user, version.model):
            raise NotFoundError(
                f"No model named {version.model.name!r} that you may deploy."
            )
        deployment = services.request_deployment(
            actor=request.user,
            version=version,
            environment=environment,
            strategy=data["strategy"],
            traffic_percent=data.get("traffic_percent"),
            client_ip=client_ip(request),
            request_id=current_request_id(),
        )
        # Answered from the rows just written (a fresh request has no steps),
        # not read back: the same body deployment_by_id would give.
        return Response(
            represent(DeploymentSerializer, deployment), status=status.HTTP_201_CREATED
        )


class ModelDeploymentListView(generics.ListAPIView):
    """One model's ledger: every request and rollout, newest first."""

    serializer_class = LedgerRowSerializer
    cursor_ordering = "-id"

    def get_queryset(self):
        model = registry_selectors.model_by_name(name=self.kwargs["name"])
        return selectors.deployment_ledger(
            model=model.name, **ModelDeploymentListFilter.from_request(self.request)
        )

    @extend_schema(parameters=[ModelDeploymentListFilter])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class DeploymentDetailView(APIView):
    """One deployment with its decision record and steps."""

    @extend_schema(responses=DeploymentSerializer)
    def get(self, request, pk):
        return Response(DeploymentSerializer(selectors.deployment_by_id(pk=pk)).data)


def _movable(request, pk: int) -> Deployment:
    deployment = selectors.deployment_by_id(pk=pk)
    if not can_write_model(request.user, deployment.model):
        raise NotFoundError(f"No deployment {pk} that you may move.")
    return deployment


def _moved(pk: int) -> Response:
    """The deployment after a move, read back with its steps."""
    return Response(DeploymentSerializer(selectors.deployment_by_id(pk=pk)).data)


class StartDeploymentView(APIView):
    """Begin the rollout of an approved deployment (the freeze and the
    governance verdict are checked again, and the approval must not have
    expired)."""

    permission_classes = MOVE_PERMISSIONS

    @extend_schema(request=ReasonSerializer, responses=DeploymentSerializer)
    def post(self, request, pk):
        payload = validated(ReasonSerializer, request.data)
        services.start_deployment(
            actor=request.user, deployment=_movable(request, pk), **payload
        )
        return _moved(pk)


class CompleteDeploymentView(APIView):
    """The rollout finished: the deployment serves (a full one replaces the
    primary), if the freeze and governance checks still pass."""

    permission_classes = MOVE_PERMISSIONS

    @extend_schema(request=ReasonSerializer, responses=DeploymentSerializer)
    def post(self, request, pk):
        payload = validated(ReasonSerializer, request.data)
        services.complete_deployment(
            actor=request.user, deployment=_movable(request, pk), **payload
        )
        return _moved(pk)


class FailDeploymentView(APIView):
    """The rollout did not finish."""

    permission_classes = MOVE_PERMISSIONS

    @extend_schema(request=ReasonSerializer, responses=DeploymentSerializer)
    def post(self, request, pk):
        payload = validated(ReasonSerializer, request.data)
        services.fail_deployment(
            actor=request.user, deployment=_movable(request, pk), **payload
        )
        return _moved(pk)


class PromoteDeploymentView(APIView):
    """Raise a canary's traffic share; 100 makes it the primary. The freeze
    and governance checks run again."""

    permission_classes = MOVE_PERMISSIONS

    @extend_schema(request=PromoteSerializer, responses=DeploymentSerializer)
    def post(self, request, pk):
        payload = validated(PromoteSerializer, request.data)
        services.promote_deployment(
            actor=request.user, deployment=_movable(request, pk), **payload
        )
        return _moved(pk)


class RollbackDeploymentView(APIView):
    """Take an active deployment out; a primary hands back to the one it
    superseded. Allowed during a freeze."""

    permission_classes = MOVE_PERMISSIONS

    @extend_schema(request=RollbackSerializer, responses=DeploymentSerializer)
    def post(self, request, pk):
        payload = validated(RollbackSerializer, request.data)
        services.rollback_deployment(
            actor=request.user, deployment=_movable(request, pk), **payload
        )
        return _moved(pk)
