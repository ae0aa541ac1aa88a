"""The balancer's weights hold: the canary's share is the share asked for."""

import subprocess
from collections import Counter

import pytest
import requests

from tests.cluster.conftest import CLUSTER_SH, HTTP_TIMEOUT
from tests.cluster.flows import served_by

pytestmark = pytest.mark.cluster

REQUESTS = 400


@pytest.mark.parametrize(("weights", "share_of_b"), [("95,5", 0.05), ("75,25", 0.25)])
def test_the_weights_hold_over_a_few_hundred_requests(cluster, weights, share_of_b):
    cluster.script("weights", weights)
    try:
        with requests.Session() as client:
            counts = Counter(
                served_by(client.get(f"{cluster.url}/healthz", timeout=HTTP_TIMEOUT))
                for _ in range(REQUESTS)
            )
    finally:
        cluster.script("weights", "50,50")

    assert set(counts) == {"a", "b"}
    assert abs(counts["b"] / REQUESTS - share_of_b) <= 0.03


def test_weights_are_refused_unless_two_numbers(cluster):
    for bad in ("95", "95,5,1", "a,b", "0,0", "300,1"):
        done = subprocess.run(
            [str(CLUSTER_SH), "weights", bad],
            env={"PATH": "/usr/bin:/bin", "MLGOV_CLUSTER_DIR": str(cluster.run_dir)},
            capture_output=True,
            text=True,
        )
        assert done.returncode == 1
        assert "weights" in done.stderr
