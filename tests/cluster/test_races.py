"""Races across the two instances: one winner per rollout, one audit chain."""

import pytest

from tests.cluster.conftest import issue_tokens
from tests.cluster.flows import (
    at_once,
    register_model,
    release,
    request_deployment,
    served_by,
    unique_name,
)

pytestmark = pytest.mark.cluster

RACERS = 20


def test_twenty_starts_at_once_over_both_instances_leave_one_rollout(cluster):
    scientist, reviewer = issue_tokens(cluster, "data_scientist", "reviewer")
    model = unique_name("race")
    register_model(scientist, model)
    release(scientist, reviewer, model, 1)
    requests_ = [request_deployment(scientist, model, 1) for _ in range(RACERS)]
    assert {r["status"] for r in requests_} == {"approved"}
    clients = [scientist.fresh() for _ in requests_]

    def start(client, deployment):
        return lambda: client.call("POST", f"deployments/{deployment['id']}/start/")

    answers = at_once([start(c, r) for c, r in zip(clients, requests_, strict=True)])

    codes = sorted(answer.status_code for answer in answers)
    assert codes == [200] + [409] * (RACERS - 1)
    assert {served_by(answer) for answer in answers} == {"a", "b"}
    refusals = [a.json()["error"]["code"] for a in answers if a.status_code == 409]
    assert set(refusals) == {"concurrent_rollout"}
    listed = scientist.ok(
        "GET", f"deployments/?model={model}&environment=development&page_size=100"
    )["results"]
    assert [d["status"] for d in listed].count("in_progress") == 1
    winner = next(a.json() for a in answers if a.status_code == 200)
    assert winner["status"] == "in_progress"


def test_concurrent_writes_through_both_instances_leave_an_intact_audit_chain(
    cluster,
):
    scientist, reviewer = issue_tokens(cluster, "data_scientist", "reviewer")
    ports = [cluster.env["A_PORT"], cluster.env["B_PORT"]]

    def write(n: int):
        # Half the writers on each instance, all at once.
        port = ports[n % 2]
        client, approver = scientist.on(port), reviewer.on(port)
        model = unique_name("audited")

        def run() -> None:
            register_model(client, model)
            release(client, approver, model, 1)
            request_deployment(client, model, 1)

        return run

    at_once([write(n) for n in range(8)])

    verified = cluster.manage("verify_audit")
    assert verified.returncode == 0, verified.stderr
    assert "audit chain intact" in verified.stdout
