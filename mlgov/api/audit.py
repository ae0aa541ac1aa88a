"""The audit trail over the API, for auditors and governance admins."""

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.permissions import BasePermission

from mlgov.api.filters import QueryFilter
from mlgov.audit import (
    audit_entries,
    object_type_choices,
    readable_changes,
    usernames_in_changes,
)
from mlgov.permissions import can_read_audit_trail


class CanReadAuditTrail(BasePermission):
    message = "The audit trail is for auditors and governance admins."

    def has_permission(self, request, view):
        return can_read_audit_trail(request.user)


class LogEntryListSerializer(serializers.ListSerializer):
    """Looks up the usernames a page of entries mentions in one query."""

    def to_representation(self, data):
        entries = list(data)
        assert isinstance(self.child, LogEntrySerializer)
        self.child.usernames = usernames_in_changes(entries)
        return super().to_representation(entries)


class LogEntrySerializer(serializers.ModelSerializer):
    object_type = serializers.SerializerMethodField()
    action = serializers.CharField(source="get_action_display")
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)
    changes = serializers.SerializerMethodField(
        help_text="Field: [before, after]; users appear by username."
    )
    usernames: dict[str, str] = {}

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
        list_serializer_class = LogEntryListSerializer

    def get_changes(self, entry) -> dict:
        return readable_changes(entry, self.usernames)

    def get_object_type(self, entry) -> str:
        content_type = entry.content_type
        return f"{content_type.app_label}.{content_type.model}"


class AuditTrailFilter(QueryFilter):
    object_type = serializers.CharField(
        required=False,
        help_text="An audited model, as app_label.model (registry.modelversion) "
        "or the model alone (modelversion).",
    )
    object_id = serializers.IntegerField(required=False, min_value=0)
    actor = serializers.CharField(required=False, help_text="Username.")
    since = serializers.DateTimeField(required=False, help_text="ISO 8601, inclusive.")
    until = serializers.DateTimeField(required=False, help_text="ISO 8601, exclusive.")

    def validate_object_type(self, value: str) -> ContentType:
        choices = object_type_choices()
        content_type = choices.get(value.lower())
        if content_type is None:
            raise serializers.ValidationError(
                f"Unknown object type {value!r}. Use one of: "
                f"{', '.join(sorted(choices))}."
            )
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
