"""PgBouncer in transaction mode serves the API's flows: the instances run
without prepared statements, and no answer or log shows a pooling error."""

import pytest

from tests.cluster.conftest import issue_tokens
from tests.cluster.flows import (
    drift_report_body,
    register_model,
    release,
    request_deployment,
    unique_name,
)

pytestmark = pytest.mark.cluster


def test_the_gate_an_approval_and_a_drift_report_through_pgbouncer(cluster):
    assert cluster.env["PGBOUNCER_PORT"] in cluster.env["BOUNCER_DATABASE_URL"]
    scientist, reviewer = issue_tokens(cluster, "data_scientist", "reviewer")
    model = unique_name("pooled")
    register_model(scientist, model)

    # The approval (and the submission and evaluation before it).
    approved = release(scientist, reviewer, model, 1)
    assert approved["version_status"] == "approved"
    # The gate, many times, so every worker's hot queries run repeatedly:
    # prepared statements would be prepared on one server connection and
    # looked up on another.
    for _ in range(12):
        gate = scientist.ok(
            "POST",
            "deployments/check/",
            {"model": model, "version": 1, "environment": "development"},
        )
        assert gate["decision"] == "approved"
    assert request_deployment(scientist, model, 1)["decision"] == "approved"
    report = scientist.ok(
        "POST",
        "drift/reports/",
        drift_report_body(model, 1, "development"),
        status=201,
    )
    assert report["severity"] == "ok"

    logs = "".join((cluster.run_dir / f"{name}.log").read_text() for name in ("a", "b"))
    assert "prepared statement" not in logs
    assert "Traceback" not in logs
