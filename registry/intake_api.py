"""The use-case intake's API: a model's questionnaire and what it derives, its
revisions, and the risk class changes a governance admin decides."""

from collections.abc import Callable

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from mlgov.api.filters import QueryFilter
from mlgov.api.permissions import (
    IsDataScientistForWrites,
    IsGovernanceAdminForWrites,
)
from mlgov.api.serializers import StrictInputSerializer, validated
from registry import ai_act, intake, selectors
from registry.constants import INTAKE_NAME_MAX_LENGTH, INTAKE_TEXT_MAX_LENGTH
from registry.models import MLModel, RiskClassChange, UseCaseIntake


def _choices(vocabulary: dict) -> list[str]:
    return list(vocabulary)


class IntakeAnswersSerializer(StrictInputSerializer):
    """The questionnaire: every answer of a revision (a new POST is a new
    revision; nothing is patched)."""

    purpose = serializers.CharField(max_length=INTAKE_TEXT_MAX_LENGTH)
    affected_persons = serializers.CharField(max_length=INTAKE_TEXT_MAX_LENGTH)
    affected_groups = serializers.ListField(
        child=serializers.ChoiceField(_choices(ai_act.AFFECTED_GROUPS)),
        required=False,
        default=list,
    )
    autonomy = serializers.ChoiceField(_choices(ai_act.AUTONOMY_LEVELS))
    domain = serializers.ChoiceField(
        _choices(ai_act.DOMAINS),
        help_text="The area of use; the Annex III areas make a system high-risk.",
    )
    prohibited_practices = serializers.ListField(
        child=serializers.ChoiceField(_choices(ai_act.PROHIBITED_PRACTICES)),
        required=False,
        default=list,
        help_text="Art. 5 practices the system performs; normally empty.",
    )
    personal_data = serializers.ListField(
        child=serializers.ChoiceField(_choices(ai_act.PERSONAL_DATA)),
        required=False,
        default=list,
    )
    general_purpose = serializers.BooleanField(required=False, default=False)
    generative = serializers.BooleanField(required=False, default=False)
    interacts_with_people = serializers.BooleanField(required=False, default=False)
    synthetic_content = serializers.BooleanField(required=False, default=False)
    emotion_or_biometric_categorisation = serializers.BooleanField(
        required=False, default=False
    )
    provenance = serializers.ChoiceField(
        _choices(ai_act.PROVENANCES), required=False, default="in_house"
    )
    vendor_name = serializers.CharField(
        max_length=INTAKE_NAME_MAX_LENGTH, allow_blank=True, required=False, default=""
    )
    human_oversight_measures = serializers.CharField(
        max_length=INTAKE_TEXT_MAX_LENGTH,
        allow_blank=True,
        required=False,
        default="",
        help_text="Who can intervene, override or stop the system, and how (Art. 14).",
    )
    human_oversight_contact = serializers.CharField(
        max_length=INTAKE_NAME_MAX_LENGTH, allow_blank=True, required=False, default=""
    )


class ReasonLineSerializer(serializers.Serializer):
    citation = serializers.CharField()
    text = serializers.CharField()


class DutySerializer(serializers.Serializer):
    code = serializers.CharField()
    citation = serializers.CharField()
    text = serializers.CharField()


class IntakeSerializer(serializers.ModelSerializer):
    model = serializers.SlugRelatedField(slug_field="name", read_only=True)
    answered_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    annex_iii_point = serializers.CharField(read_only=True)
    summary = serializers.CharField(read_only=True)
    reasoning = ReasonLineSerializer(many=True, read_only=True)
    transparency_duties = DutySerializer(many=True, read_only=True)

    class Meta:
        model = UseCaseIntake
        fields = [
            "model",
            "revision",
            "answered_by",
            "answered_at",
            "purpose",
            "affected_persons",
            "affected_groups",
            "autonomy",
            "domain",
            "annex_iii_point",
            "prohibited_practices",
            "personal_data",
            "general_purpose",
            "generative",
            "interacts_with_people",
            "synthetic_content",
            "emotion_or_biometric_categorisation",
            "provenance",
            "vendor_name",
            "human_oversight_measures",
            "human_oversight_contact",
            "derived_category",
            "proposed_tier",
            "summary",
            "reasoning",
            "transparency_duties",
        ]
        read_only_fields = fields


class RiskClassChangeSerializer(serializers.ModelSerializer):
    model = serializers.SlugRelatedField(slug_field="name", read_only=True)
    intake_revision = serializers.IntegerField(
        source="intake.revision", read_only=True, allow_null=True, default=None
    )
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = RiskClassChange
        fields = [
            "id",
            "model",
            "intake_revision",
            "from_tier",
            "to_tier",
            "from_category",
            "to_category",
            "reason",
            "status",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
            "decision_comment",
        ]
        read_only_fields = fields


class IntakeStateSerializer(serializers.Serializer):
    """A model's risk class, its current intake and the pending request."""

    model = serializers.CharField()
    risk_tier = serializers.ChoiceField(MLModel.RiskTier.choices)
    ai_act_category = serializers.CharField()
    intake = IntakeSerializer(allow_null=True)
    pending_change = RiskClassChangeSerializer(allow_null=True)
    applied = serializers.BooleanField(
        required=False,
        help_text="On a submission: whether the model's tier or category changed "
        "at once (a raise, or a first assessment).",
    )


def _state(model: MLModel, **extra) -> dict:
    return IntakeStateSerializer(
        {
            "model": model.name,
            "risk_tier": model.risk_tier,
            "ai_act_category": model.ai_act_category,
            "intake": selectors.current_intake(model=model),
            "pending_change": selectors.pending_risk_class_change(model=model),
            **extra,
        }
    ).data


class IntakeView(APIView):
    """A model's current intake and what it derives; POST answers the
    questionnaire again (a new revision)."""

    permission_classes = [IsDataScientistForWrites]

    @extend_schema(responses=IntakeStateSerializer)
    def get(self, request, name):
        return Response(_state(selectors.model_by_name(name=name)))

    @extend_schema(
        request=IntakeAnswersSerializer, responses={201: IntakeStateSerializer}
    )
    def post(self, request, name):
        model = selectors.writable_model_by_name(user=request.user, name=name)
        answers = validated(IntakeAnswersSerializer, request.data)
        outcome = intake.submit_intake(actor=request.user, model=model, answers=answers)
        return Response(
            _state(outcome.model, applied=outcome.applied),
            status=status.HTTP_201_CREATED,
        )


class IntakeRevisionListView(generics.ListAPIView):
    """Every revision of a model's intake, newest first."""

    serializer_class = IntakeSerializer
    cursor_ordering = "-revision"

    def get_queryset(self):
        model = selectors.model_by_name(name=self.kwargs["name"])
        return selectors.intake_revisions(model=model)


class RiskClassChangeAskSerializer(StrictInputSerializer):
    to_tier = serializers.ChoiceField(MLModel.RiskTier.choices)
    reason = serializers.CharField(max_length=5000)


class ModelRiskClassChangeListView(generics.ListAPIView):
    """A model's risk class change requests, newest first; POST asks for a
    lower tier (a governance admin who did not ask decides)."""

    serializer_class = RiskClassChangeSerializer
    permission_classes = [IsDataScientistForWrites]
    cursor_ordering = ("-requested_at", "-id")

    def get_queryset(self):
        model = selectors.model_by_name(name=self.kwargs["name"])
        return selectors.risk_class_changes_of(model=model)

    @extend_schema(
        request=RiskClassChangeAskSerializer,
        responses={201: RiskClassChangeSerializer},
    )
    def post(self, request, name):
        model = selectors.writable_model_by_name(user=request.user, name=name)
        change = intake.request_risk_class_change(
            actor=request.user,
            model=model,
            **validated(RiskClassChangeAskSerializer, request.data),
        )
        return Response(
            RiskClassChangeSerializer(change).data, status=status.HTTP_201_CREATED
        )


class RiskClassChangeListFilter(QueryFilter):
    status = serializers.ChoiceField(RiskClassChange.Status.choices, required=False)
    model = serializers.CharField(required=False, help_text="Model name.")


class RiskClassChangeListView(generics.ListAPIView):
    """Risk class changes across the portfolio, oldest first: with
    `?status=pending`, the governance admins' queue."""

    serializer_class = RiskClassChangeSerializer
    cursor_ordering = ("requested_at", "id")

    def get_queryset(self):
        filters = RiskClassChangeListFilter.from_request(self.request)
        changes = selectors.risk_class_changes(status=filters.get("status"))
        if filters.get("model"):
            changes = changes.filter(model__name=filters["model"])
        return changes

    @extend_schema(parameters=[RiskClassChangeListFilter])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class DecisionSerializer(StrictInputSerializer):
    comment = serializers.CharField(max_length=5000, allow_blank=True, required=False)


class _DecideView(APIView):
    permission_classes = [IsGovernanceAdminForWrites]
    decide: Callable[..., RiskClassChange]

    @extend_schema(request=DecisionSerializer, responses=RiskClassChangeSerializer)
    def post(self, request, pk):
        payload = validated(DecisionSerializer, request.data)
        change = self.decide(
            actor=request.user,
            change=selectors.risk_class_change_by_id(pk=pk),
            comment=payload.get("comment", ""),
        )
        return Response(RiskClassChangeSerializer(change).data)


class RiskClassChangeApproveView(_DecideView):
    """Approve a risk class change: the model takes the requested tier and
    category (never by the admin who asked)."""

    decide = staticmethod(intake.approve_risk_class_change)


class RiskClassChangeRejectView(_DecideView):
    """Reject a risk class change, saying why (`comment`)."""

    decide = staticmethod(intake.reject_risk_class_change)
