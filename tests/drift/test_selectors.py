"""drift.selectors.open_alert_counts_by_model: the per-model open alert
counts the command center's rows and CSV show."""

import pytest
from django.utils import timezone

from drift.models import DriftAlert
from drift.selectors import open_alert_counts_by_model, with_open_alert_counts
from registry.models import MLModel
from tests.factories import DriftAlertFactory, MLModelFactory, ModelVersionFactory

pytestmark = pytest.mark.django_db


def test_counts_sum_every_version_per_severity_and_skip_resolved_alerts():
    model = MLModelFactory(name="scored")
    quiet = MLModelFactory(name="quiet")
    other = MLModelFactory(name="other")
    v1 = ModelVersionFactory(model=model, version=1, status="approved")
    v2 = ModelVersionFactory(model=model, version=2, status="approved")
    DriftAlertFactory(latest_report__version=v1, severity="critical")
    DriftAlertFactory(
        latest_report__version=v2,
        severity="critical",
        status=DriftAlert.Status.ACKNOWLEDGED,
        acknowledged_at=timezone.now(),
    )
    DriftAlertFactory(latest_report__version=v2, severity="warning")
    DriftAlertFactory(
        latest_report__version=v2,
        severity="warning",
        status=DriftAlert.Status.RESOLVED,
        resolved_at=timezone.now(),
    )
    DriftAlertFactory(
        latest_report__version=ModelVersionFactory(model=other, version=1),
        severity="warning",
    )

    counts = open_alert_counts_by_model(MLModel.objects.exclude(pk=other.pk))

    assert counts == {model.pk: {"warning": 1, "critical": 2}}
    assert quiet.pk not in counts
    # The admin's column counts the same alerts.
    annotated = with_open_alert_counts(MLModel.objects.filter(pk=model.pk)).get()
    assert (annotated.open_warning_alerts, annotated.open_critical_alerts) == (1, 2)
