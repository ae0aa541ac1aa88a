"""Governance API: the reviewers assigned to a version."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from governance import selectors, services
from governance.models import ReviewAssignment
from mlgov.api.permissions import IsGovernanceAdminForWrites
from mlgov.api.serializers import StrictInputSerializer
from registry import selectors as registry_selectors


class ReviewAssignmentSerializer(serializers.ModelSerializer):
    model = serializers.CharField(source="version.model.name", read_only=True)
    version = serializers.IntegerField(source="version.version", read_only=True)
    reviewer = serializers.SlugRelatedField(slug_field="username", read_only=True)
    assigned_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ReviewAssignment
        fields = ["model", "version", "reviewer", "assigned_by", "assigned_at"]
        read_only_fields = fields


class AssignReviewerSerializer(StrictInputSerializer):
    reviewer = serializers.CharField(
        max_length=150,
        help_text="Username of a reviewer who neither created nor submitted "
        "the version.",
    )


class ReviewAssignmentListView(generics.ListAPIView):
    """A version's assigned reviewers, first assigned first; governance admins
    assign (assigning someone already assigned answers 200 with the existing
    assignment)."""

    serializer_class = ReviewAssignmentSerializer
    permission_classes = [IsGovernanceAdminForWrites]
    cursor_ordering = "id"

    def get_queryset(self):
        version = registry_selectors.version_by_name(
            name=self.kwargs["name"], number=self.kwargs["number"]
        )
        return selectors.version_assignments(version=version)

    @extend_schema(
        request=AssignReviewerSerializer,
        responses={201: ReviewAssignmentSerializer, 200: ReviewAssignmentSerializer},
    )
    def post(self, request, name, number):
        payload = AssignReviewerSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        version = registry_selectors.version_by_name(name=name, number=number)
        reviewer = selectors.reviewer_by_username(
            username=payload.validated_data["reviewer"]
        )
        already = selectors.version_assignments(version=version).filter(
            reviewer=reviewer
        )
        existed = already.exists()
        services.assign_reviewer(actor=request.user, version=version, reviewer=reviewer)
        return Response(
            ReviewAssignmentSerializer(already.get()).data,
            status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED,
        )
