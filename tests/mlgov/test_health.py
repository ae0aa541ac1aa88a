"""/healthz answers while the process lives; /readyz checks the database and
the cache and names what failed."""

import pytest
from django.db import OperationalError, connection
from django.test import Client

from tests.mlgov.test_settings import PRODUCTION, run_manage


@pytest.mark.django_db
def test_healthz_answers_without_touching_the_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        response = Client().get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_is_ok_when_database_and_cache_answer():
    response = Client().get("/readyz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok"},
        "failing": [],
    }


@pytest.mark.django_db
def test_readyz_names_the_database_when_it_is_down(monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)

    response = Client().get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"] == {"database": "unavailable", "cache": "ok"}
    assert body["failing"] == ["database"]


@pytest.mark.django_db
def test_readyz_names_both_when_both_are_down(monkeypatch, broken_cache):
    monkeypatch.setattr(
        connection, "cursor", lambda *a, **k: (_ for _ in ()).throw(OperationalError())
    )

    response = Client().get("/readyz")

    assert response.status_code == 503
    assert response.json()["failing"] == ["database", "cache"]


def test_probes_are_exempt_from_the_https_redirect_in_production():
    script = (
        "from django.test import Client; c = Client(HTTP_HOST='mlgov.example.com'); "
        "print([c.get(p).status_code for p in ('/healthz', '/admin/login/')])"
    )

    result = run_manage("shell", "-c", script, **PRODUCTION)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[200, 301]"


@pytest.mark.django_db
def test_parallel_readiness_probes_do_not_disturb_each_other(monkeypatch):
    """A second probe landing between the first one's write and read (as
    under parallel probes) must not make the first read as a failure."""
    from mlgov import health

    real_set = health.cache.set
    nested = []
    started = []

    def set_then_let_another_probe_run(key, value, *args, **kwargs):
        real_set(key, value, *args, **kwargs)
        if not started:
            started.append(True)
            nested.append(Client().get("/readyz").status_code)

    monkeypatch.setattr(health.cache, "set", set_then_let_another_probe_run)

    response = Client().get("/readyz")

    assert nested == [200]
    assert response.status_code == 200, response.json()
