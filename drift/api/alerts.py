"""The alert endpoints drift and monitoring alerts share: a filtered list,
and acknowledge and resolve with a note. Each kind of alert names its parts
once (`AlertEndpoints`); its views are these classes with that set and their
own docstrings and schema, so the URLs and the OpenAPI names stay per kind."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from django.db.models import QuerySet
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from drift.constants import ALERT_NOTE_MAX_CHARS
from drift.services import ACKNOWLEDGE as ACKNOWLEDGE
from drift.services import ALERT_MOVES
from drift.services import RESOLVE as RESOLVE
from mlgov.api.filters import QueryFilter
from mlgov.api.permissions import IsReviewer
from mlgov.api.serializers import StrictInputSerializer


class AlertNoteSerializer(StrictInputSerializer):
    note = serializers.CharField(max_length=ALERT_NOTE_MAX_CHARS)


@dataclass(frozen=True)
class AlertEndpoints:
    """One kind of alert: how it is listed, found, moved and shown."""

    serializer: type[serializers.Serializer]
    list_filter: type[QueryFilter]
    alert_list: Callable[..., QuerySet]
    alert_by_id: Callable[..., Any]


class AlertListView(generics.ListAPIView):
    """A kind's alerts, most recently seen first, filtered."""

    endpoints: ClassVar[AlertEndpoints]
    cursor_ordering = "-id"

    def get_serializer_class(self) -> Any:
        return self.endpoints.serializer

    def get_queryset(self):
        filters = self.endpoints.list_filter.from_request(self.request)
        return self.endpoints.alert_list(**filters)

    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class AlertMoveView(APIView):
    """Acknowledge or resolve (`move`) one alert of a kind, with a note."""

    endpoints: ClassVar[AlertEndpoints]
    move: ClassVar[str]
    permission_classes = [IsReviewer]

    def post(self, request, pk):
        payload = AlertNoteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        service = ALERT_MOVES[self.move]
        service(
            actor=request.user,
            alert=self.endpoints.alert_by_id(pk=pk),
            note=payload.validated_data["note"],
        )
        alert = self.endpoints.alert_by_id(pk=pk)
        return Response(self.endpoints.serializer(alert).data)
