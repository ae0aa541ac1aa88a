"""The audit trail over the API, for auditors and governance admins."""

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.permissions import BasePermission

from mlgov.api.filters import QueryFilter
from mlgov.audit import audit_entries
from mlgov.permissions import can_read_audit_trail


class CanReadAuditTrail(BasePermission):
    message = "The audit trail is for auditors and governance admins."

    def has_permission(self, request, view):
        return can_read_audit_trail(request.user)


class LogEntrySerializer(serializers.ModelSerializer):
    object_type = serializers.SerializerMethodField()
    action = serializers.CharField(source="get_action_display")
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = LogEntry
        fields = [
            "id",
            "timestamp",
            "actor",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "changes",
            "remote_addr",
            "cid",
        ]
        read_only_fields = fields

    def get_object_type(self, entry) -> str:
        content_type = entry.content_type
        return f"{content_type.app_label}.{content_type.model}"


class AuditTrailFilter(QueryFilter):
    object_type = serializers.CharField(
        required=False, help_text="app_label.model, e.g. registry.modelversion"
    )
    object_id = serializers.IntegerField(required=False, min_value=0)
    actor = serializers.CharField(required=False, help_text="Username.")
    since = serializers.DateTimeField(required=False, help_text="ISO 8601, inclusive.")
    until = serializers.DateTimeField(required=False, help_text="ISO 8601, exclusive.")

    def validate_object_type(self, value: str) -> ContentType:
        app_label, _, model = value.lower().partition(".")
        content_type = ContentType.objects.filter(
            app_label=app_label, model=model
        ).first()
        if content_type is None:
            raise serializers.ValidationError(f"Unknown object type {value!r}.")
        return content_type


class AuditTrailView(generics.ListAPIView):
    """Every recorded change, newest first, filterable by object and actor."""

    serializer_class = LogEntrySerializer
    permission_classes = [CanReadAuditTrail]
    cursor_ordering = "-id"

    def get_queryset(self):
        return audit_entries(**AuditTrailFilter.from_request(self.request))

    @extend_schema(parameters=[AuditTrailFilter])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
