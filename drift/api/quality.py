"""Performance and fairness reports of a version, and their alerts."""

from django.conf import settings
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from drift import selectors, services
from drift.api.alerts import (
    ACKNOWLEDGE,
    RESOLVE,
    AlertEndpoints,
    AlertListView,
    AlertMoveView,
    AlertNoteSerializer,
)
from drift.api.drift import DriftReportListFilter
from drift.models import (
    FairnessGroup,
    FairnessReport,
    MonitoringAlert,
    PerformanceReport,
    ReportKind,
)
from drift.quality.constants import MONITORED_METRICS
from mlgov.api.bodycap import BodyCapMixin
from mlgov.api.filters import QueryFilter
from mlgov.api.permissions import IsDataScientistForWrites
from mlgov.api.serializers import StrictInputSerializer
from mlgov.exceptions import FieldError, NotFoundError
from registry import selectors as registry_selectors


class MonitoringAlertSerializer(serializers.ModelSerializer):
    model = serializers.CharField(source="version.model.name", read_only=True)
    version = serializers.IntegerField(source="version.version", read_only=True)
    environment = serializers.CharField(source="environment.name", read_only=True)
    latest_report = serializers.IntegerField(read_only=True, source="latest_report_id")
    acknowledged_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    resolved_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = MonitoringAlert
        fields = [
            "id",
            "model",
            "version",
            "environment",
            "kind",
            "metric",
            "attribute",
            "severity",
            "status",
            "value",
            "limit",
            "first_seen_at",
            "last_seen_at",
            "latest_report",
            "acknowledged_by",
            "acknowledged_at",
            "acknowledgement_note",
            "resolved_by",
            "resolved_at",
            "resolution_note",
        ]
        read_only_fields = fields


_REPORT_FIELDS = [
    "id",
    "model",
    "version",
    "environment",
    "window_start",
    "window_end",
    "submitted_by",
    "created_at",
    "input_kind",
    "sample_size",
    "notes",
]


class _ReportSerializer(serializers.ModelSerializer):
    model = serializers.CharField(source="version.model.name", read_only=True)
    version = serializers.IntegerField(source="version.version", read_only=True)
    environment = serializers.CharField(source="environment.name", read_only=True)
    submitted_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    notes = serializers.ListField(child=serializers.CharField(), read_only=True)


class ConfusionSerializer(serializers.Serializer):
    tp = serializers.IntegerField(min_value=0)
    fp = serializers.IntegerField(min_value=0)
    tn = serializers.IntegerField(min_value=0)
    fn = serializers.IntegerField(min_value=0)


class CalibrationBinSerializer(serializers.Serializer):
    mean_score = serializers.FloatField()
    share_positive = serializers.FloatField()
    count = serializers.IntegerField()


class PerformanceReportSerializer(_ReportSerializer):
    calibration = CalibrationBinSerializer(many=True, read_only=True)

    class Meta:
        model = PerformanceReport
        fields = [
            *_REPORT_FIELDS,
            "positives",
            "positives_share",
            "auc",
            "auc_method",
            "accuracy",
            "precision",
            "recall",
            "f1",
            "ece",
            "ece_method",
            "decision_threshold",
            "tp",
            "fp",
            "tn",
            "fn",
            "calibration",
        ]
        read_only_fields = fields


class PerformanceReportDetailSerializer(PerformanceReportSerializer):
    alerts = MonitoringAlertSerializer(many=True, read_only=True)

    class Meta(PerformanceReportSerializer.Meta):
        fields = [*PerformanceReportSerializer.Meta.fields, "alerts"]
        read_only_fields = fields


class FairnessGroupSerializer(serializers.ModelSerializer):
    class Meta:
        model = FairnessGroup
        fields = [
            "group",
            "n",
            "positives",
            "selected",
            "tp",
            "fp",
            "tn",
            "fn",
            "selection_rate",
            "tpr",
            "fpr",
            "selection_rate_difference",
            "selection_rate_ratio",
            "tpr_difference",
            "tpr_ratio",
            "is_reference",
            "fails_four_fifths",
        ]
        read_only_fields = fields


class FairnessReportSerializer(_ReportSerializer):
    groups = FairnessGroupSerializer(many=True, read_only=True)

    class Meta:
        model = FairnessReport
        fields = [
            *_REPORT_FIELDS,
            "attribute",
            "reference_group",
            "reference_choice",
            "demographic_parity_difference",
            "equal_opportunity_difference",
            "disparate_impact_ratio",
            "equal_opportunity_ratio",
            "four_fifths_passed",
            "groups",
        ]
        read_only_fields = fields


class FairnessReportDetailSerializer(FairnessReportSerializer):
    alerts = MonitoringAlertSerializer(many=True, read_only=True)

    class Meta(FairnessReportSerializer.Meta):
        fields = [*FairnessReportSerializer.Meta.fields, "alerts"]
        read_only_fields = fields


class RawRowsField(serializers.ListField):
    """One value per row, checked value by value (and capped) by drift.quality,
    which names the row: `labels[3]`. Only the list itself is checked here;
    DRF's per-child validation would walk (and re-encode) every value before
    the cap is looked at, tens of seconds for a body of millions of rows."""

    def __init__(self, **kwargs) -> None:
        super().__init__(child=serializers.JSONField(), **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, list):
            self.fail("not_a_list", input_type=type(data).__name__)
        return data


class _WindowSerializer(StrictInputSerializer):
    environment = serializers.SlugField()
    window_start = serializers.DateTimeField()
    window_end = serializers.DateTimeField()


class ScoreBinsSerializer(serializers.Serializer):
    bin_edges = serializers.ListField(child=serializers.FloatField())
    positives = serializers.ListField(child=serializers.IntegerField(min_value=0))
    negatives = serializers.ListField(child=serializers.IntegerField(min_value=0))


class PerformanceReportInputSerializer(_WindowSerializer):
    """Raw pairs (`labels` with `scores` and/or `predictions`) or summaries
    (`confusion_matrix` and/or `score_bins`); checked in depth by drift.quality."""

    labels = RawRowsField(
        required=False,
        help_text="Ground truth per row: 0/1 or true/false.",
    )
    scores = RawRowsField(
        required=False,
        help_text="Predicted probability of the positive class per row, 0 to 1.",
    )
    predictions = RawRowsField(
        required=False,
        help_text="The decision per row: 0/1 or true/false.",
    )
    decision_threshold = serializers.FloatField(
        required=False,
        min_value=0,
        max_value=1,
        help_text="Score at or above which a row is positive (default 0.5).",
    )
    confusion_matrix = serializers.DictField(
        required=False, help_text="{tp, fp, tn, fn}."
    )
    score_bins = serializers.DictField(
        required=False,
        help_text="{bin_edges, positives, negatives}: per score bin the counts.",
    )


class FairnessReportInputSerializer(_WindowSerializer):
    """Raw rows (`predictions`, `labels`, `groups`) or `group_counts`."""

    attribute = serializers.CharField(max_length=200, help_text="e.g. sex, age_band.")
    reference_group = serializers.CharField(
        max_length=200,
        required=False,
        help_text="Default: the most favoured group (highest selection rate).",
    )
    predictions = RawRowsField(required=False)
    labels = RawRowsField(required=False)
    groups = RawRowsField(
        required=False,
        help_text="The group of each row.",
    )
    group_counts = serializers.DictField(
        required=False, help_text="Per group {tp, fp, tn, fn}."
    )


class MonitoringReportFilter(QueryFilter):
    environment = serializers.CharField(required=False, help_text="Environment name.")


class MonitoringAlertListFilter(DriftReportListFilter):
    status = serializers.ChoiceField(MonitoringAlert.Status.choices, required=False)
    kind = serializers.ChoiceField(ReportKind.choices, required=False)
    metric = serializers.ChoiceField(MONITORED_METRICS, required=False)


def _target(request, name: str, number: int, data: dict):
    """The version to write for (404 when the caller may not) and the
    environment of the body (400 naming the field)."""
    model = registry_selectors.writable_model_by_name(user=request.user, name=name)
    version = registry_selectors.version_by_number(model=model, number=number)
    try:
        environment = registry_selectors.environment_by_name(name=data["environment"])
    except NotFoundError as error:
        raise FieldError("environment", error.message) from error
    return version, environment


PERFORMANCE_EXAMPLE = OpenApiExample(
    "Binned scores",
    request_only=True,
    value={
        "environment": "production",
        "window_start": "2026-11-01T00:00:00Z",
        "window_end": "2026-11-08T00:00:00Z",
        "score_bins": {
            "bin_edges": [0, 0.25, 0.5, 0.75, 1],
            "positives": [10, 30, 80, 180],
            "negatives": [400, 200, 60, 40],
        },
    },
)
FAIRNESS_EXAMPLE = OpenApiExample(
    "Counts per group",
    request_only=True,
    value={
        "environment": "production",
        "window_start": "2026-11-01T00:00:00Z",
        "window_end": "2026-11-08T00:00:00Z",
        "attribute": "sex",
        "group_counts": {
            "female": {"tp": 80, "fp": 20, "tn": 250, "fn": 50},
            "male": {"tp": 120, "fp": 30, "tn": 220, "fn": 30},
        },
    },
)


class _ReportListView(BodyCapMixin, generics.ListAPIView):
    body_cap_hint = " Send summaries instead of raw rows."
    permission_classes = [IsDataScientistForWrites]
    cursor_ordering = "-id"

    def max_body_bytes(self) -> int:
        return settings.DRIFT_MAX_BODY_BYTES

    def version(self):
        return registry_selectors.version_by_name(
            name=self.kwargs["name"], number=self.kwargs["number"]
        )


class PerformanceReportListView(_ReportListView):
    """A version's performance reports, newest first; POST computes and
    stores one and updates the alerts."""

    serializer_class = PerformanceReportSerializer

    def get_queryset(self):
        return selectors.performance_report_list(
            version=self.version(),
            **MonitoringReportFilter.from_request(self.request),
        )

    @extend_schema(parameters=[MonitoringReportFilter])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=PerformanceReportInputSerializer,
        responses={201: PerformanceReportDetailSerializer},
        examples=[PERFORMANCE_EXAMPLE],
    )
    def post(self, request, name, number):
        payload = PerformanceReportInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        version, environment = _target(request, name, number, data)
        ingested = services.ingest_performance_report(
            actor=request.user,
            version=version,
            environment=environment,
            window_start=data["window_start"],
            window_end=data["window_end"],
            data=services.parse_performance_payload(request.data),
        )
        body = PerformanceReportSerializer(ingested.report).data
        body["alerts"] = MonitoringAlertSerializer(ingested.alerts, many=True).data
        return Response(body, status=status.HTTP_201_CREATED)


class PerformanceReportDetailView(APIView):
    """One performance report with the alerts it last touched."""

    @extend_schema(responses=PerformanceReportDetailSerializer)
    def get(self, request, name, number, pk):
        version = registry_selectors.version_by_name(name=name, number=number)
        report = selectors.performance_report_detail(version=version, pk=pk)
        return Response(PerformanceReportDetailSerializer(report).data)


class FairnessReportListView(_ReportListView):
    """A version's fairness reports, newest first, with per-group rows; POST
    computes and stores one and updates the alerts."""

    serializer_class = FairnessReportSerializer

    def get_queryset(self):
        return selectors.fairness_report_list(
            version=self.version(),
            **MonitoringReportFilter.from_request(self.request),
        )

    @extend_schema(parameters=[MonitoringReportFilter])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=FairnessReportInputSerializer,
        responses={201: FairnessReportDetailSerializer},
        examples=[FAIRNESS_EXAMPLE],
    )
    def post(self, request, name, number):
        payload = FairnessReportInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        version, environment = _target(request, name, number, data)
        ingested = services.ingest_fairness_report(
            actor=request.user,
            version=version,
            environment=environment,
            window_start=data["window_start"],
            window_end=data["window_end"],
            data=services.parse_fairness_payload(request.data),
        )
        body = FairnessReportSerializer(ingested.report).data
        body["groups"] = FairnessGroupSerializer(ingested.groups, many=True).data
        body["alerts"] = MonitoringAlertSerializer(ingested.alerts, many=True).data
        return Response(body, status=status.HTTP_201_CREATED)


class FairnessReportDetailView(APIView):
    """One fairness report with its groups and the alerts it last touched."""

    @extend_schema(responses=FairnessReportDetailSerializer)
    def get(self, request, name, number, pk):
        version = registry_selectors.version_by_name(name=name, number=number)
        report = selectors.fairness_report_detail(version=version, pk=pk)
        return Response(FairnessReportDetailSerializer(report).data)


MONITORING_ALERTS = AlertEndpoints(
    serializer=MonitoringAlertSerializer,
    list_filter=MonitoringAlertListFilter,
    alert_list=selectors.monitoring_alert_list,
    alert_by_id=selectors.monitoring_alert_by_id,
)


@extend_schema_view(get=extend_schema(parameters=[MonitoringAlertListFilter]))
class MonitoringAlertListView(AlertListView):
    """Performance and fairness alerts, most recently seen first."""

    endpoints = MONITORING_ALERTS
    serializer_class = MonitoringAlertSerializer


@extend_schema_view(
    post=extend_schema(request=AlertNoteSerializer, responses=MonitoringAlertSerializer)
)
class AcknowledgeMonitoringAlertView(AlertMoveView):
    """Someone is looking into it; the alert stays unresolved."""

    endpoints = MONITORING_ALERTS
    move = ACKNOWLEDGE


@extend_schema_view(
    post=extend_schema(request=AlertNoteSerializer, responses=MonitoringAlertSerializer)
)
class ResolveMonitoringAlertView(AlertMoveView):
    """The cause is explained or fixed; the alert closes."""

    endpoints = MONITORING_ALERTS
    move = RESOLVE
