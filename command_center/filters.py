"""Query-string filters of the command center's lists, declared once with
mlgov.api.filters.QueryFilter: the same validation, the same refusal of
unknown parameters (a 400 naming it) and the same `page_size` as the API."""

from typing import cast

from django.conf import settings
from django.http import HttpRequest
from rest_framework import serializers
from rest_framework.request import Request

from command_center.portfolio import READINESS_BANDS, RISK_TIERS
from command_center.selectors import MODEL_SORTS, OBLIGATIONS_FILTERS
from drift import constants as drift_vocabulary
from drift.quality import constants as monitoring_vocabulary
from mlgov.api.filters import QueryFilter
from registry import constants as registry_vocabulary

DEFAULT_PAGE_SIZE = 50


class _GetParams:
    """A Django request seen as DRF's `request.query_params`."""

    def __init__(self, request: HttpRequest) -> None:
        self.query_params = request.GET


class PageFilter(QueryFilter):
    page = serializers.IntegerField(min_value=1, required=False)
    page_size = serializers.IntegerField(min_value=1, required=False)

    def validate_page_size(self, value: int) -> int:
        if value > settings.API_MAX_PAGE_SIZE:
            raise serializers.ValidationError(f"At most {settings.API_MAX_PAGE_SIZE}.")
        return value

    @classmethod
    def from_get(cls, request: HttpRequest) -> dict:
        """The validated filters of a page request (FieldError when invalid)."""
        return cls.from_request(cast(Request, _GetParams(request)))


class ModelListFilter(PageFilter):
    team = serializers.SlugField(required=False)
    risk_tier = serializers.ChoiceField(choices=RISK_TIERS, required=False)
    kind = serializers.ChoiceField(
        choices=registry_vocabulary.MODEL_KINDS, required=False
    )
    compliance = serializers.ChoiceField(
        choices=["compliant", "non_compliant"], required=False
    )
    environment = serializers.SlugField(required=False)
    readiness = serializers.ChoiceField(
        choices=[name for name, _low, _label in READINESS_BANDS], required=False
    )
    overdue = serializers.BooleanField(required=False, allow_null=True, default=None)
    obligations = serializers.ChoiceField(choices=OBLIGATIONS_FILTERS, required=False)
    # An enabled framework's id; the view checks it against the enabled ones.
    framework = serializers.SlugField(required=False)
    q = serializers.CharField(required=False, max_length=200)
    sort = serializers.ChoiceField(choices=list(MODEL_SORTS), required=False)


class DriftAlertListFilter(PageFilter):
    severity = serializers.ChoiceField(
        choices=drift_vocabulary.SEVERITIES, required=False
    )
    status = serializers.ChoiceField(
        choices=[*drift_vocabulary.ALERT_STATUSES, drift_vocabulary.UNRESOLVED],
        required=False,
    )
    model = serializers.SlugField(required=False)
    environment = serializers.SlugField(required=False)


class MonitoringAlertListFilter(DriftAlertListFilter):
    kind = serializers.ChoiceField(
        choices=monitoring_vocabulary.REPORT_KINDS, required=False
    )
    metric = serializers.ChoiceField(
        choices=monitoring_vocabulary.MONITORED_METRICS, required=False
    )


class DeploymentListFilter(PageFilter):
    model = serializers.SlugField(required=False)
    environment = serializers.SlugField(required=False)
    status = serializers.CharField(required=False, max_length=20)
    decision = serializers.CharField(required=False, max_length=20)
    since_days = serializers.IntegerField(required=False, min_value=1, max_value=3650)


class ReviewQueueFilter(PageFilter):
    assigned = serializers.ChoiceField(
        choices=["me"], required=False, help_text="me: only reviews assigned to me."
    )
