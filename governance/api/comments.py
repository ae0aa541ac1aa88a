"""Governance API: the comment thread of a version."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from governance import selectors, services
from governance.constants import VERSION_COMMENT_MAX_CHARS
from governance.models import VersionComment
from mlgov.api.permissions import IsDataScientistForWrites
from mlgov.api.serializers import StrictInputSerializer
from registry import selectors as registry_selectors


class VersionCommentSerializer(serializers.ModelSerializer):
    model = serializers.CharField(source="version.model.name", read_only=True)
    version = serializers.IntegerField(source="version.version", read_only=True)
    author = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = VersionComment
        fields = ["id", "model", "version", "author", "body", "created_at"]
        read_only_fields = fields


class AddCommentSerializer(StrictInputSerializer):
    body = serializers.CharField(
        max_length=VERSION_COMMENT_MAX_CHARS,
        help_text="The comment; not blank.",
        error_messages={
            "blank": "Write the comment.",
            "required": "Write the comment.",
        },
    )


class VersionCommentListView(generics.ListAPIView):
    """A version's comment thread, oldest first. Every role reads it;
    reviewers, governance admins and the model's team write."""

    serializer_class = VersionCommentSerializer
    permission_classes = [IsDataScientistForWrites]
    cursor_ordering = "id"

    def get_queryset(self):
        version = registry_selectors.version_by_name(
            name=self.kwargs["name"], number=self.kwargs["number"]
        )
        return selectors.version_comments(version=version)

    @extend_schema(
        request=AddCommentSerializer, responses={201: VersionCommentSerializer}
    )
    def post(self, request, name, number):
        payload = AddCommentSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        version = registry_selectors.version_by_name(name=name, number=number)
        comment = services.add_comment(
            author=request.user, version=version, body=payload.validated_data["body"]
        )
        return Response(
            VersionCommentSerializer(
                selectors.version_comments(version=version).get(pk=comment.pk)
            ).data,
            status=status.HTTP_201_CREATED,
        )
