import numpy as np
import pytest

from drift.models import MonitoringThreshold
from registry.models import Environment
from tests.factories import MLModelFactory, ModelVersionFactory


@pytest.fixture
def version(team, data_scientist):
    model = MLModelFactory(name="churn", team=team)
    return ModelVersionFactory(model=model, version=7, status="approved")


def report_body(report_features, **overrides):
    return {
        "model": "churn",
        "version": 7,
        "environment": "production",
        "window_start": "2026-11-01T00:00:00Z",
        "window_end": "2026-11-08T00:00:00Z",
        "features": report_features,
        **overrides,
    }


def shifted_numeric(name="age", shift=5.0, n=2000, seed=0):
    rng = np.random.default_rng(seed)
    return {
        "name": name,
        "kind": "numeric",
        "reference": {"values": rng.normal(40, 10, n).tolist()},
        "current": {"values": rng.normal(40 + shift, 10, n).tolist()},
    }


def stable_categorical(name="country"):
    return {
        "name": name,
        "kind": "categorical",
        "reference": {"categories": {"DE": 500, "FR": 300}},
        "current": {"categories": {"DE": 500, "FR": 300}},
    }


def set_production_floors() -> None:
    """Production's auc floor (warning under 0.8, critical under 0.7) and
    demographic parity ceiling (warning over 0.1, critical over 0.3)."""
    production = Environment.objects.get(name="production")
    MonitoringThreshold.objects.create(
        environment=production, metric="auc", warning=0.8, critical=0.7
    )
    MonitoringThreshold.objects.create(
        environment=production,
        metric="demographic_parity_difference",
        warning=0.1,
        critical=0.3,
    )
