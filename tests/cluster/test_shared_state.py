"""What two instances share: the rate-limit budget and fresh reads."""

import pytest

from tests.cluster.conftest import CLUSTER_SETTINGS, issue_tokens
from tests.cluster.flows import register_model, release, served_by, unique_name

pytestmark = pytest.mark.cluster


def test_the_read_budget_is_the_budget_across_both_instances(cluster):
    (reader,) = issue_tokens(cluster, "viewer")
    budget = int(CLUSTER_SETTINGS["RATELIMIT_API_READ"].split("/")[0])

    answers = [reader.call("GET", "models/") for _ in range(budget + 20)]

    codes = [answer.status_code for answer in answers]
    assert codes == [200] * budget + [429] * 20
    # Both instances counted into the one budget (round robin alternates).
    assert {served_by(a) for a in answers[:budget]} == {"a", "b"}
    assert {served_by(a) for a in answers[budget:]} == {"a", "b"}
    assert answers[-1].json()["error"]["code"] == "throttled"


def test_a_write_on_one_instance_is_read_at_once_on_the_other(cluster):
    scientist, reviewer = issue_tokens(cluster, "data_scientist", "reviewer")
    on_a = scientist.on(cluster.env["A_PORT"])
    on_b = scientist.on(cluster.env["B_PORT"])
    name = unique_name("fresh")

    register_model(on_a, name)
    assert on_b.ok("GET", f"models/{name}/")["latest_version"] is None

    release(on_b, reviewer.on(cluster.env["B_PORT"]), name, 1)
    assert on_a.ok("GET", f"models/{name}/versions/1/")["status"] == "approved"
    assert on_a.ok("GET", f"models/{name}/")["latest_version"] is not None


def test_the_portfolio_summary_on_one_instance_counts_a_model_made_on_the_other(
    cluster,
):
    (scientist,) = issue_tokens(cluster, "data_scientist")
    on_a = scientist.on(cluster.env["A_PORT"])
    on_b = scientist.on(cluster.env["B_PORT"])
    before = on_b.ok("GET", "portfolio/summary/")  # B has it cached now
    assert on_a.ok("GET", "portfolio/summary/") == before

    register_model(on_a, unique_name("counted"))

    after = on_b.ok("GET", "portfolio/summary/")
    assert after["models"] == before["models"] + 1
    assert on_a.ok("GET", "portfolio/summary/")["models"] == before["models"] + 1
