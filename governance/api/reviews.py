"""Governance API: submission and review decisions."""

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from governance import selectors, services
from governance.api.evaluations import StoredEvaluationSerializer
from governance.models import Approval
from mlgov.api.filters import QueryFilter
from mlgov.api.permissions import IsDataScientistForWrites, IsReviewer
from mlgov.api.serializers import StrictInputSerializer
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
