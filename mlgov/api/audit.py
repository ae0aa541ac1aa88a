"""The audit trail over the API, for auditors and governance admins."""

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.permissions import BasePermission

from mlgov.exceptions import FieldError
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


class AuditTrailView(generics.ListAPIView):
    """Every recorded change, newest first, filterable by object and actor."""

    serializer_class = LogEntrySerializer
    permission_classes = [CanReadAuditTrail]
    cursor_ordering = "-id"

    def get_queryset(self):
        params = self.request.query_params
        entries = LogEntry.objects.select_related("actor", "content_type")
        object_type = params.get("object_type")
        if object_type:
            app_label, _, model = object_type.lower().partition(".")
            content_type = ContentType.objects.filter(
                app_label=app_label, model=model
            ).first()
            if content_type is None:
                raise FieldError("object_type", f"Unknown object type {object_type!r}.")
            entries = entries.filter(content_type=content_type)
        object_id = params.get("object_id")
        if object_id:
            if not (object_id.isascii() and object_id.isdigit()):
                raise FieldError("object_id", "Must be a number.")
            entries = entries.filter(object_id=int(object_id))
        if params.get("actor"):
            entries = entries.filter(actor__username=params["actor"])
        for name, lookup in (("since", "timestamp__gte"), ("until", "timestamp__lt")):
            if params.get(name):
                try:
                    moment = parse_datetime(params[name])
                except ValueError:
                    moment = None  # well formed but impossible: 30 February
                if moment is None:
                    raise FieldError(name, "Use an ISO 8601 date and time.")
                entries = entries.filter(**{lookup: moment})
        return entries

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "object_type", str, description="e.g. registry.modelversion"
            ),
            OpenApiParameter("object_id", int),
            OpenApiParameter("actor", str, description="Username."),
            OpenApiParameter("since", str, description="ISO 8601, inclusive."),
            OpenApiParameter("until", str, description="ISO 8601, exclusive."),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
