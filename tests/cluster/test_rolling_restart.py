"""A rolling restart under steady load: instance A drained, stopped and
started, then B, while clients keep calling through the balancer."""

import threading

import pytest
import requests

from tests.cluster.conftest import HTTP_TIMEOUT, issue_tokens
from tests.cluster.flows import register_model, release, served_by, unique_name

pytestmark = pytest.mark.cluster

CLIENTS = 4


def test_a_rolling_restart_under_load_loses_no_request(cluster, record_property):
    scientist, reviewer = issue_tokens(cluster, "data_scientist", "reviewer")
    model = unique_name("steady")
    register_model(scientist, model)
    release(scientist, reviewer, model, 1)
    check = {"model": model, "version": 1, "environment": "development"}
    stop = threading.Event()
    answered: list[str] = []
    lost: list[str] = []

    def load() -> None:
        # The gate's dry run (a POST, never retried at layer 7 by HAProxy)
        # and the readiness probe, alternately, as fast as they answer.
        client = scientist.fresh()
        probe = requests.Session()
        while not stop.is_set():
            try:
                gate = client.call("POST", "deployments/check/", check)
                ready = probe.get(f"{cluster.url}/readyz", timeout=HTTP_TIMEOUT)
            except requests.RequestException as error:
                lost.append(repr(error))
                continue
            for answer in (gate, ready):
                if answer.status_code == 200:
                    answered.append(served_by(answer))
                else:
                    lost.append(f"{answer.status_code} {answer.text[:200]}")

    threads = [threading.Thread(target=load) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    try:
        cluster.script("restart", "a")
        during_a = len(answered)
        cluster.script("restart", "b")
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=120)

    record_property("requests_answered", len(answered))
    record_property("requests_lost", len(lost))
    print(f"rolling restart: {len(answered)} answered, {len(lost)} lost")
    assert lost == []
    assert during_a > 0
    assert set(answered) == {"a", "b"}
    status = cluster.script("status")
    assert "a: UP" in status
    assert "b: UP" in status
