"""Body caps: the drift endpoint's documented 32 MiB cap is the real one;
every other endpoint keeps Django's small default, answered in the error
shape with the cap named."""

import json

import pytest
from django.conf import settings

from tests.drift.conftest import report_body, shifted_numeric
from tests.factories import MLModelFactory, ModelVersionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def version(team, data_scientist):
    model = MLModelFactory(name="churn", team=team)
    return ModelVersionFactory(model=model, version=7, status="approved")


def test_drift_body_above_djangos_default_below_the_drift_cap_is_ingested(
    api_client_for, data_scientist, version
):
    features = [shifted_numeric(f"f{i}", n=40_000, seed=i) for i in range(3)]
    raw = json.dumps(report_body(features)).encode()
    assert len(raw) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    response = api_client_for(data_scientist).generic(
        "POST", "/api/v1/drift/reports/", raw, "application/json"
    )
    assert response.status_code == 201, response.content[:500]


def test_drift_body_over_the_drift_cap_is_a_413_naming_it(
    api_client_for, data_scientist, version, settings
):
    settings.DRIFT_MAX_BODY_BYTES = 4 * 1024 * 1024
    features = [shifted_numeric(f"f{i}", n=40_000, seed=i) for i in range(5)]
    raw = json.dumps(report_body(features)).encode()
    assert len(raw) > settings.DRIFT_MAX_BODY_BYTES
    response = api_client_for(data_scientist).generic(
        "POST", "/api/v1/drift/reports/", raw, "application/json"
    )
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["details"] == {"max_body_bytes": 4 * 1024 * 1024}
    assert "4,194,304" in error["message"]


def test_other_endpoints_keep_the_small_default_and_name_it(
    api_client_for, data_scientist, team
):
    MLModelFactory(name="churn", team=team)
    big = {"artifact_uri": "s3://a/b", "params": {"x": "a" * 3 * 1024 * 1024}}
    response = api_client_for(data_scientist).post(
        "/api/v1/models/churn/versions/", big, format="json"
    )
    assert response.status_code == 413
    cap = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert response.json()["error"]["details"] == {"max_body_bytes": cap}


def test_anonymous_drift_posts_are_refused_before_the_body_is_read(
    anonymous_client, version
):
    raw = b"{" * 100
    response = anonymous_client.generic(
        "POST", "/api/v1/drift/reports/", raw, "application/json"
    )
    assert response.status_code == 401
