"""Rate limits: per user or address, stricter on writes and logins, 429 with
Retry-After in the error shape, applied to every API path centrally."""

import time

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import resolve
from django_ratelimit.exceptions import Ratelimited
from rest_framework.test import APIClient

from mlgov import ratelimit
from mlgov.api.errors import exception_handler
from tests.factories import MLModelFactory
from tests.mlgov.test_settings import run_manage

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _one_window_per_test(monkeypatch):
    """Every count of a test falls in one window. Windows end at a second of
    the minute that depends on the key, so a slow run (a loaded CI host, two
    workers) could see the budget renewed between a test's requests and a
    429 turn into a 200."""
    window_end = int(time.time()) + 30
    monkeypatch.setattr("mlgov.ratelimit._window_end", lambda key, period: window_end)
    monkeypatch.setattr(
        "django_ratelimit.core._get_window", lambda value, period: window_end
    )


def assert_throttled(response):
    assert response.status_code == 429
    body = response.json()
    assert body["error"]["code"] == "throttled"
    assert body["error"]["message"]
    retry_after = int(response["Retry-After"])
    assert 1 <= retry_after <= 60
    assert body["error"]["details"] == {"retry_after": retry_after}


def test_authenticated_reads_are_refused_with_429_past_the_read_rate(
    settings, api_client_for, viewer
):
    settings.RATELIMIT_API_READ = "3/m"
    client = api_client_for(viewer)

    statuses = [client.get("/api/v1/models/").status_code for _ in range(3)]
    fourth = client.get("/api/v1/models/")

    assert statuses == [200, 200, 200]
    assert_throttled(fourth)


def test_the_limit_is_per_user_not_per_address(
    settings, api_client_for, viewer, executive
):
    settings.RATELIMIT_API_READ = "2/m"
    first = api_client_for(viewer)
    for _ in range(2):
        first.get("/api/v1/environments/", REMOTE_ADDR="10.0.0.1")

    # The same token from another address is the same user: still limited.
    assert_throttled(first.get("/api/v1/environments/", REMOTE_ADDR="10.0.0.2"))
    # Another user from the first address has a budget of their own.
    other = api_client_for(executive).get(
        "/api/v1/environments/", REMOTE_ADDR="10.0.0.1"
    )
    assert other.status_code == 200


def test_writes_have_a_stricter_budget_of_their_own(
    settings, api_client_for, data_scientist, team
):
    settings.RATELIMIT_API_WRITE = "1/m"
    model = MLModelFactory(team=team, name="churn")
    client = api_client_for(data_scientist)
    payload = {"artifact_uri": "s3://models/churn/1"}

    created = client.post(
        f"/api/v1/models/{model.name}/versions/", payload, format="json"
    )
    refused = client.post(
        f"/api/v1/models/{model.name}/versions/", payload, format="json"
    )
    read = client.get(f"/api/v1/models/{model.name}/versions/")

    assert created.status_code == 201
    assert_throttled(refused)
    assert read.status_code == 200
    assert model.versions.count() == 1


def test_unauthenticated_calls_are_counted_per_client_address(settings):
    settings.RATELIMIT_API_ANONYMOUS = "2/m"
    client = APIClient()

    answers = [
        client.get("/api/v1/models/", REMOTE_ADDR="192.0.2.10") for _ in range(3)
    ]
    elsewhere = client.get("/api/v1/models/", REMOTE_ADDR="192.0.2.11")

    assert [a.status_code for a in answers[:2]] == [401, 401]
    assert_throttled(answers[2])
    assert elsewhere.status_code == 401


def test_invalid_tokens_count_against_the_address_not_a_user(settings):
    settings.RATELIMIT_API_ANONYMOUS = "1/m"
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer mlg_not-a-real-token-at-all")

    assert client.get("/api/v1/models/").status_code == 401
    assert_throttled(client.get("/api/v1/models/"))


def test_a_revoked_token_counts_against_the_address_not_its_former_owner(
    settings, api_client_for, viewer
):
    from mlgov.models import APIToken
    from mlgov.services import revoke_token

    settings.RATELIMIT_API_READ = "2/m"
    settings.RATELIMIT_API_ANONYMOUS = "100/m"
    revoked = api_client_for(viewer)
    assert revoked.get("/api/v1/environments/").status_code == 200
    revoke_token(token=APIToken.objects.get(user=viewer))

    refused = [revoked.get("/api/v1/environments/").status_code for _ in range(3)]
    owner = api_client_for(viewer).get("/api/v1/environments/")

    assert refused == [401, 401, 401]
    # The owner has spent one of two reads; the revoked token spent none.
    assert owner.status_code == 200


def redis_round_trips(monkeypatch) -> tuple[list, list]:
    """The rate limiter's round trips and the cache's GET keys from now on."""
    from mlgov import redis_client

    pipelines, gets = [], []
    for name in ("run_pipeline", "run_script"):
        send = getattr(redis_client, name)
        monkeypatch.setattr(
            f"mlgov.ratelimit.{name}",
            lambda *args, send=send: pipelines.append(1) or send(*args),
        )
    cache_get = cache.get
    monkeypatch.setattr(
        cache, "get", lambda key, *args: gets.append(key) or cache_get(key, *args)
    )
    return pipelines, gets


@pytest.mark.skipif(
    not hasattr(cache, "delete_pattern"), reason="the shared round trip is Redis's"
)
def test_a_known_token_is_counted_and_resolved_in_one_redis_round_trip(
    api_client_for, viewer, monkeypatch
):
    client = api_client_for(viewer)
    assert client.get("/api/v1/environments/").status_code == 200  # now known
    pipelines, gets = redis_round_trips(monkeypatch)

    response = client.get("/api/v1/environments/")

    assert response.status_code == 200
    assert pipelines == [1]
    assert not [key for key in gets if key.startswith("auth:token:")]


@pytest.mark.skipif(
    not hasattr(cache, "delete_pattern"), reason="the shared round trip is Redis's"
)
def test_a_token_another_process_cached_takes_one_round_trip_from_its_second_use(
    api_client_for, viewer, monkeypatch
):
    from mlgov.api.authentication import forget_token_owners

    client = api_client_for(viewer)
    assert client.get("/api/v1/environments/").status_code == 200  # cached
    forget_token_owners()  # as a fresh worker, which only finds it cached
    assert client.get("/api/v1/environments/").status_code == 200
    pipelines, gets = redis_round_trips(monkeypatch)

    response = client.get("/api/v1/environments/")

    assert response.status_code == 200
    assert pipelines == [1]
    assert not [key for key in gets if key.startswith("auth:token:")]


def test_a_forged_x_forwarded_for_does_not_buy_a_new_budget(settings):
    settings.RATELIMIT_API_ANONYMOUS = "1/m"
    settings.CLIENT_IP_HEADER = ""
    client = APIClient()

    client.get("/api/v1/models/", HTTP_X_FORWARDED_FOR="203.0.113.1")
    second = client.get("/api/v1/models/", HTTP_X_FORWARDED_FOR="203.0.113.2")

    assert_throttled(second)


def test_the_address_comes_from_the_trusted_proxy_header(settings):
    settings.RATELIMIT_API_ANONYMOUS = "1/m"
    settings.CLIENT_IP_HEADER = "X-Real-IP"
    client = APIClient()

    client.get("/api/v1/models/", HTTP_X_REAL_IP="203.0.113.1")
    other_client = client.get("/api/v1/models/", HTTP_X_REAL_IP="203.0.113.2")
    same_client = client.get("/api/v1/models/", HTTP_X_REAL_IP="203.0.113.1")

    assert other_client.status_code == 401
    assert_throttled(same_client)


def test_every_api_path_is_limited_including_ones_no_view_opted_into(settings):
    settings.RATELIMIT_API_ANONYMOUS = "1/m"
    client = APIClient()

    client.get("/api/schema/")
    assert_throttled(client.get("/api/v1/no-such-endpoint/"))


def test_admin_login_attempts_are_limited_per_address(settings, viewer):
    settings.RATELIMIT_LOGIN = "2/m"
    client = Client()
    attempt = {"username": "viewer", "password": "wrong", "next": "/admin/"}

    page = client.get("/admin/login/")
    tries = [client.post("/admin/login/", attempt) for _ in range(2)]
    refused = client.post("/admin/login/", attempt)

    assert page.status_code == 200
    assert [t.status_code for t in tries] == [200, 200]
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert b"Too many login attempts" in refused.content
    # Viewing the form is not an attempt, and other addresses may still try.
    assert client.get("/admin/login/").status_code == 200
    assert (
        client.post("/admin/login/", attempt, REMOTE_ADDR="10.9.9.9").status_code == 200
    )


@pytest.mark.urls("tests.mlgov.urls_extra")
def test_a_login_view_added_later_is_limited_without_opting_in(settings, viewer):
    settings.RATELIMIT_LOGIN = "1/m"
    client = Client()
    attempt = {"username": "viewer", "password": "wrong"}

    first = client.post("/dashboard/login/", attempt)
    second = client.post("/dashboard/login/", attempt)

    assert first.status_code == 200
    assert second.status_code == 429


def test_ordinary_admin_pages_are_not_login_attempts(settings, governance_admin):
    settings.RATELIMIT_LOGIN = "1/m"
    client = Client()
    client.force_login(governance_admin)

    statuses = [client.post("/admin/logout/").status_code for _ in range(3)]

    assert 429 not in statuses
    assert ratelimit.is_login_view(
        type("Request", (), {"resolver_match": resolve("/admin/login/")})(), None
    )


def test_health_and_metrics_are_not_rate_limited(settings):
    settings.RATELIMIT_API_ANONYMOUS = "1/m"
    settings.RATELIMIT_API_READ = "1/m"
    client = Client()

    statuses = {client.get(path).status_code for path in ["/healthz", "/readyz"] * 3}

    assert statuses == {200}


def test_a_ratelimited_exception_raised_in_a_view_becomes_429_with_retry_after():
    error = Ratelimited()
    error.retry_after = 17

    response = exception_handler(error, {})

    assert response.status_code == 429
    assert response["Retry-After"] == "17"
    assert response.data["error"]["code"] == "throttled"


def test_a_ratelimited_exception_without_a_wait_still_says_when_to_retry():
    response = exception_handler(Ratelimited(), {})

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0


def test_limits_can_be_switched_off(settings, api_client_for, viewer):
    settings.RATELIMIT_ENABLE = False
    settings.RATELIMIT_API_READ = "1/m"
    client = api_client_for(viewer)

    assert {client.get("/api/v1/models/").status_code for _ in range(3)} == {200}


@pytest.mark.parametrize("rate", ["lots", "100", "0/m", "100/x", "/m"])
def test_a_malformed_rate_is_refused_at_startup(rate):
    result = run_manage("check", RATELIMIT_API_READ=rate)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "RATELIMIT_API_READ" in result.stderr


def test_429s_are_counted_in_the_responses_by_status_metric(
    settings, api_client_for, viewer
):
    from tests.mlgov.conftest import metric

    settings.RATELIMIT_API_READ = "1/m"
    client = api_client_for(viewer)
    name = "django_http_responses_total_by_status_total"
    before = metric(name, status="429")

    client.get("/api/v1/models/")
    assert client.get("/api/v1/models/").status_code == 429

    assert metric(name, status="429") == before + 1
