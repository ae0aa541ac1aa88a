"""Redis stopped and stalled while mlgov serves: answers keep coming, each
within a bound, /readyz names the cache, and service is whole again once
Redis is back."""

import copy
import time

import pytest

from mlgov.redis_client import reset_breakers
from mlgov.roles import Role
from mlgov.services import issue_token
from registry.models import Team
from tests.factories import MLModelFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# No request may take longer than this while Redis misbehaves. Unhindered, a
# request here takes tens of milliseconds; the bound leaves room for a loaded
# 2-core CI machine, and is still below what a stall costs when every cache
# call waits out its socket timeout (2.7-3.2 s measured before the breaker).
REQUEST_BOUND = 2.0
HEALTHZ_BOUND = 0.25
REQUESTS = 30


@pytest.fixture
def serving(server, private_redis):
    user = UserFactory(username="drill", roles=[Role.VIEWER])
    team = TeamFactory(name="drill")
    team.members.add(user)
    model = MLModelFactory(name="drill-model", team=team)
    server.token = issue_token(user=user, name="drill").raw
    server.paths = [f"/api/v1/models/{model.name}/", "/api/v1/environments/"]
    for path in server.paths:  # warm the cache while Redis is healthy
        assert server.get(path).status == 200
    assert server.get("/readyz").status == 200
    return server


def hammer(server, count: int) -> list:
    answers = []
    for index in range(count):
        answers.append(server.get(server.paths[index % len(server.paths)]))
    return answers


def wait_until_ready(server, timeout: float = 20) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if server.get("/readyz", timeout=5).status == 200:
            return time.monotonic() - started
        time.sleep(0.05)
    pytest.fail(f"/readyz not 200 within {timeout} s of Redis coming back")


def summary(fault: str, answers: list, recovery: float) -> str:
    failed = sum(answer.status != 200 for answer in answers)
    slowest = max(answer.seconds for answer in answers)
    return (
        f"{fault}: {failed} of {len(answers)} requests failed, slowest "
        f"{slowest:.2f} s, ready again {recovery:.2f} s after Redis returned"
    )


def test_redis_stopped_while_serving(record_figure, serving, private_redis):
    private_redis.stop()

    answers = hammer(serving, REQUESTS)
    ready = serving.get("/readyz")
    healthz = serving.get("/healthz", auth=False)
    private_redis.start()
    recovery = wait_until_ready(serving)
    after = hammer(serving, len(serving.paths))
    record_figure(summary("redis stopped", answers, recovery))

    assert [a.status for a in answers] == [200] * REQUESTS
    assert max(a.seconds for a in answers) <= REQUEST_BOUND
    assert ready.status == 503
    assert ready.json()["failing"] == ["cache"]
    assert healthz.status == 200
    assert healthz.seconds <= HEALTHZ_BOUND
    assert [a.status for a in after] == [200] * len(serving.paths)


def test_redis_stalled_while_serving(record_figure, serving, private_redis):
    private_redis.stall()
    try:
        answers = hammer(serving, REQUESTS)
        ready = serving.get("/readyz")
        healthz = serving.get("/healthz", auth=False)
    finally:
        private_redis.resume()
    recovery = wait_until_ready(serving)
    after = hammer(serving, len(serving.paths))
    record_figure(summary("redis stalled (SIGSTOP)", answers, recovery))

    assert [a.status for a in answers] == [200] * REQUESTS
    slow = [round(a.seconds, 2) for a in answers if a.seconds > REQUEST_BOUND]
    assert slow == [], f"requests slower than {REQUEST_BOUND} s during the stall"
    assert ready.status == 503
    assert ready.json()["failing"] == ["cache"]
    assert healthz.status == 200
    assert healthz.seconds <= HEALTHZ_BOUND
    assert [a.status for a in after] == [200] * len(serving.paths)


def test_an_edit_in_one_worker_during_a_stall_is_not_read_stale_in_another(
    settings, serving, private_redis
):
    """Two workers, each with its own breaker (one per process under
    gunicorn; here two spellings of the same Redis address): the writer's
    invalidation is lost during the stall, the reader made no call during it.
    The writer makes up for the lost invalidation as soon as Redis answers,
    without waiting for a request or its breaker's cooldown."""
    settings.REDIS_BREAKER_COOLDOWN = 60  # no trial call within this test
    reset_breakers()
    reader_cache = copy.deepcopy(settings.CACHES)
    writer_cache = copy.deepcopy(settings.CACHES)
    writer_cache["default"]["LOCATION"] = private_redis.url.removesuffix("/0")
    writer = UserFactory(username="drill-writer", roles=[Role.DATA_SCIENTIST])
    Team.objects.get(name="drill").members.add(writer)
    reader_token = serving.token
    path = serving.paths[0]
    assert serving.get(path).json()["description"] == ""

    private_redis.stall()
    try:
        settings.CACHES = writer_cache
        hammer(serving, 5)  # the writer's stalled calls open its breaker
        serving.token = issue_token(user=writer, name="drill-writer").raw
        written = serving.request("PATCH", path, body={"description": "new"})
        serving.token = reader_token
        settings.CACHES = reader_cache
    finally:
        private_redis.resume()
    fresh = wait_for(lambda: serving.get(path).json()["description"] == "new")
    later = [serving.get(path).json()["description"] for _ in range(10)]

    assert written.status == 200, written.body
    assert fresh, "the reader still served the description from before the stall"
    assert later == ["new"] * 10


def wait_for(condition, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False
