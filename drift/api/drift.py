"""Drift API: report ingestion and reading, alerts and their lifecycle."""

from django.conf import settings
from drf_spectacular.utils import (
    OpenApiExample,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
    extend_schema_view,
)
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
from drift.models import DriftAlert, DriftReport, FeatureDrift, Severity
from drift.stats.constants import KINDS, METHODS
from mlgov.api.bodycap import BodyCapMixin
from mlgov.api.filters import QueryFilter
from mlgov.api.permissions import IsDataScientistForWrites
from mlgov.api.serializers import StrictInputSerializer
from mlgov.exceptions import FieldError, NotFoundError
from registry import selectors as registry_selectors


class HistogramSerializer(serializers.Serializer):
    """A chart of one side: numeric bins, or counts per category."""

    bin_edges = serializers.ListField(
        child=serializers.FloatField(allow_null=True),
        required=False,
        help_text="Numeric: ascending edges; null is an open outer edge.",
    )
    counts = serializers.ListField(
        child=serializers.IntegerField(min_value=0),
        required=False,
        help_text="Numeric: one count per bin (one fewer than the edges).",
    )
    categories = serializers.DictField(
        child=serializers.IntegerField(min_value=0),
        required=False,
        help_text="Categorical: count per category.",
    )


class SampleSerializer(HistogramSerializer):
    """One side of a feature: raw `values`, numeric `bin_edges` with `counts`
    (and optionally PSI's bins, `psi_bin_edges` with `psi_counts`), or
    categorical `categories` (exactly one of the three forms)."""

    values = serializers.ListField(
        child=serializers.JSONField(),
        required=False,
        help_text="Raw values: numbers (numeric) or labels (categorical); null "
        "is a missing value.",
    )
    psi_bin_edges = serializers.ListField(
        child=serializers.FloatField(allow_null=True),
        required=False,
        help_text="Numeric summaries, optional, on both sides or neither: PSI's "
        "bins, the inner edges the reference's deciles (numpy.quantile, linear), "
        "null at both ends; the same on both sides. Without them PSI is computed "
        "on bin_edges, which is not the decile PSI raw values get.",
    )
    psi_counts = serializers.ListField(
        child=serializers.IntegerField(min_value=0),
        required=False,
        help_text="This side's counts in PSI's bins, a value in [edge, next edge); "
        "they add up to the same total as counts.",
    )


class FeatureInputSerializer(serializers.Serializer):
    """One feature of a drift report (the schema of what drift.stats checks)."""

    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=list(KINDS))
    method = serializers.ChoiceField(
        choices=list(METHODS),
        required=False,
        help_text="Default: KS or Wasserstein (numeric), chi-square (categorical).",
    )
    threshold = serializers.FloatField(
        required=False, help_text="Default: the method's threshold."
    )
    reference = SampleSerializer()
    current = SampleSerializer()


@extend_schema_field(FeatureInputSerializer(many=True))
class FeaturesField(serializers.ListField):
    """A list of objects, checked in depth by drift.stats; not a JSONField,
    which would re-encode megabytes of raw values only to prove they are JSON."""


class FeatureDriftSerializer(serializers.ModelSerializer):
    """Every column is a plain value, so `to_representation` reads them
    directly: a report carries hundreds of rows, and DRF's per-field
    machinery cost more than the statistics. The declared fields type the
    charts in the schema."""

    reference_histogram = HistogramSerializer(read_only=True)
    current_histogram = HistogramSerializer(read_only=True)

    def to_representation(self, instance):
        return {name: getattr(instance, name) for name in self.Meta.fields}

    class Meta:
        model = FeatureDrift
        fields = [
            "feature",
            "kind",
            "method",
            "threshold",
            "statistic",
            "p_value",
            "psi",
            "drifted",
            "severity",
            "n_reference",
            "n_current",
            "excluded",
            "evaluable",
            "reason",
            "approximation",
            "bins",
            "reference_histogram",
            "current_histogram",
        ]
        read_only_fields = fields


class DriftAlertSerializer(serializers.ModelSerializer):
    model = serializers.CharField(source="version.model.name", read_only=True)
    version = serializers.IntegerField(source="version.version", read_only=True)
    environment = serializers.CharField(source="environment.name", read_only=True)
    latest_report = serializers.IntegerField(source="latest_report_id", read_only=True)
    acknowledged_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    resolved_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = DriftAlert
        fields = [
            "id",
            "model",
            "version",
            "environment",
            "feature",
            "severity",
            "status",
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


class DriftReportSerializer(serializers.ModelSerializer):
    model = serializers.CharField(source="version.model.name", read_only=True)
    version = serializers.IntegerField(source="version.version", read_only=True)
    environment = serializers.CharField(source="environment.name", read_only=True)
    submitted_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = DriftReport
        fields = [
            "id",
            "model",
            "version",
            "environment",
            "window_start",
            "window_end",
            "submitted_by",
            "created_at",
            "severity",
            "drift_share",
            "dataset_drift",
            "dataset_drift_share",
            "n_features",
            "n_evaluable",
            "n_drifted",
        ]
        read_only_fields = fields


class DriftReportDetailSerializer(DriftReportSerializer):
    features = FeatureDriftSerializer(many=True, read_only=True)
    alerts = DriftAlertSerializer(many=True, read_only=True)

    class Meta(DriftReportSerializer.Meta):
        fields = [*DriftReportSerializer.Meta.fields, "features", "alerts"]
        read_only_fields = fields


# The reference's deciles of the example's income, with each side's counts.
PSI_EDGES_EXAMPLE = [None, 600, 900, 1200, 1500, 1900, 2400, 3000, 3800, 4600, None]


DRIFT_REPORT_EXAMPLE = OpenApiExample(
    "Raw values, a numeric histogram and categories",
    request_only=True,
    value={
        "model": "churn",
        "version": 7,
        "environment": "production",
        "window_start": "2026-11-01T00:00:00Z",
        "window_end": "2026-11-08T00:00:00Z",
        "features": [
            {
                "name": "age",
                "kind": "numeric",
                "reference": {"values": [31, 45, None, 52, 38, 27, 61]},
                "current": {"values": [44, 58, 61, 49, None, 70, 66]},
            },
            {
                "name": "income",
                "kind": "numeric",
                "reference": {
                    "bin_edges": [None, 0, 1000, 5000, None],
                    "counts": [0, 40, 300, 160],
                    "psi_bin_edges": PSI_EDGES_EXAMPLE,
                    "psi_counts": [50] * 10,
                },
                "current": {
                    "bin_edges": [None, 0, 1000, 5000, None],
                    "counts": [2, 90, 280, 128],
                    "psi_bin_edges": PSI_EDGES_EXAMPLE,
                    "psi_counts": [80, 70, 60, 55, 50, 45, 40, 40, 35, 25],
                },
            },
            {
                "name": "country",
                "kind": "categorical",
                "reference": {"categories": {"DE": 500, "FR": 300}},
                "current": {"categories": {"DE": 450, "FR": 320, "IT": 30}},
            },
        ],
    },
)


@extend_schema_serializer(component_name="DriftReport")
class DriftReportInputSerializer(StrictInputSerializer):
    model = serializers.SlugField()
    version = serializers.IntegerField(min_value=1)
    environment = serializers.SlugField()
    window_start = serializers.DateTimeField()
    window_end = serializers.DateTimeField()
    dataset_drift_share = serializers.FloatField(
        min_value=0.01, max_value=1, required=False
    )
    features = FeaturesField(
        child=serializers.DictField(),
        help_text="Per feature: name, kind, reference and current (raw `values`, "
        "numeric `bin_edges` + `counts` with optional `psi_bin_edges` + "
        "`psi_counts`, or categorical `categories`), and optionally method and "
        "threshold.",
    )


class DriftReportListFilter(QueryFilter):
    model = serializers.CharField(required=False, help_text="Model name.")
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="Version number."
    )
    environment = serializers.CharField(required=False, help_text="Environment name.")
    severity = serializers.ChoiceField(Severity.choices, required=False)


class DriftAlertListFilter(DriftReportListFilter):
    status = serializers.ChoiceField(DriftAlert.Status.choices, required=False)


class DriftReportListView(BodyCapMixin, generics.ListAPIView):
    """Drift reports, newest first; POST ingests one and updates alerts.

    Its body cap is DRIFT_MAX_BODY_BYTES (raw values are large), not the
    small default every other endpoint keeps."""

    body_cap_hint = " Send histograms instead of raw values."

    serializer_class = DriftReportSerializer
    permission_classes = [IsDataScientistForWrites]
    cursor_ordering = "-id"

    def get_queryset(self):
        return selectors.report_list(**DriftReportListFilter.from_request(self.request))

    @extend_schema(parameters=[DriftReportListFilter])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def max_body_bytes(self) -> int:
        return settings.DRIFT_MAX_BODY_BYTES

    @extend_schema(
        request=DriftReportInputSerializer,
        responses={201: DriftReportDetailSerializer},
        examples=[DRIFT_REPORT_EXAMPLE],
    )
    def post(self, request):
        payload = DriftReportInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        model = registry_selectors.writable_model_by_name(
            user=request.user, name=data["model"]
        )
        try:
            version = registry_selectors.version_by_number(
                model=model, number=data["version"]
            )
        except NotFoundError as error:
            raise FieldError("version", error.message) from error
        try:
            environment = registry_selectors.environment_by_name(
                name=data["environment"]
            )
        except NotFoundError as error:
            raise FieldError("environment", error.message) from error
        ingested = services.ingest_drift_report(
            actor=request.user,
            version=version,
            environment=environment,
            window_start=data["window_start"],
            window_end=data["window_end"],
            features=services.parse_report_features(data["features"]),
            dataset_drift_share=data.get("dataset_drift_share"),
        )
        # Answered from the rows just written: reading them back would cost as
        # much as writing them.
        body = DriftReportSerializer(ingested.report).data
        body["features"] = FeatureDriftSerializer(ingested.features, many=True).data
        body["alerts"] = DriftAlertSerializer(ingested.alerts, many=True).data
        return Response(body, status=status.HTTP_201_CREATED)


class DriftReportDetailView(APIView):
    """One report with every feature's result."""

    @extend_schema(responses=DriftReportDetailSerializer)
    def get(self, request, pk):
        return Response(
            DriftReportDetailSerializer(selectors.report_detail(pk=pk)).data
        )


DRIFT_ALERTS = AlertEndpoints(
    serializer=DriftAlertSerializer,
    list_filter=DriftAlertListFilter,
    alert_list=selectors.alert_list,
    alert_by_id=selectors.alert_by_id,
)


@extend_schema_view(get=extend_schema(parameters=[DriftAlertListFilter]))
class DriftAlertListView(AlertListView):
    """Drift alerts, most recently seen first."""

    endpoints = DRIFT_ALERTS
    serializer_class = DriftAlertSerializer


@extend_schema_view(
    post=extend_schema(request=AlertNoteSerializer, responses=DriftAlertSerializer)
)
class AcknowledgeAlertView(AlertMoveView):
    """Someone is looking into the drift; the alert stays unresolved."""

    endpoints = DRIFT_ALERTS
    move = ACKNOWLEDGE


@extend_schema_view(
    post=extend_schema(request=AlertNoteSerializer, responses=DriftAlertSerializer)
)
class ResolveAlertView(AlertMoveView):
    """The drift is explained or fixed; the alert closes."""

    endpoints = DRIFT_ALERTS
    move = RESOLVE
