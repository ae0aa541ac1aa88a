"""PostgreSQL faults while mlgov serves: backends terminated under load and
while idle, and a request killed in the middle of a multi-row change."""

import threading
import time

import psycopg
import pytest
from auditlog.models import LogEntry
from django.db import connection

from governance.models import Policy, Rule
from mlgov.audit_chain import HEAD_TABLE, verify_chain
from mlgov.roles import Role
from mlgov.services import issue_token
from tests.factories import MLModelFactory, TeamFactory, UserFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("terminating backends needs PostgreSQL")


def terminate_other_backends() -> int:
    """End every session of the test database except this one; never those of
    any other database."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


@pytest.fixture
def serving(server):
    user = UserFactory(username="drill", roles=[Role.GOVERNANCE_ADMIN])
    team = TeamFactory(name="drill")
    team.members.add(user)
    MLModelFactory(name="drill-model", team=team)
    server.token = issue_token(user=user, name="drill").raw
    return server


def assert_failures_are_503_in_the_error_shape(answers) -> None:
    failures = [a for a in answers if a.status != 200]
    assert all(a.status == 503 and a.is_error_shape for a in failures), [
        (a.status, a.body[:120]) for a in failures
    ]


def test_backends_terminated_while_idle_cost_no_request(record_figure, serving):
    # The pool holds connections from earlier requests; PostgreSQL drops them.
    for _ in range(8):
        assert serving.get("/api/v1/models/").status == 200
    terminated = terminate_other_backends()

    answers = [serving.get("/api/v1/models/") for _ in range(12)]
    failed = sum(a.status != 200 for a in answers)
    record_figure(
        f"postgres backends terminated while idle ({terminated} sessions): "
        f"{failed} of {len(answers)} requests failed"
    )

    assert_failures_are_503_in_the_error_shape(answers)
    assert failed == 0


def test_backends_terminated_under_load_fail_at_most_the_requests_in_flight(
    record_figure,
    serving,
):
    workers, answers, stop = 4, [], threading.Event()
    lock = threading.Lock()

    def load():
        while not stop.is_set():
            answer = serving.get("/api/v1/models/drill-model/versions/")
            answer.finished = time.monotonic()
            with lock:
                answers.append(answer)

    threads = [threading.Thread(target=load) for _ in range(workers)]
    for thread in threads:
        thread.start()
    time.sleep(1.0)
    fault_at = time.monotonic()
    terminated = terminate_other_backends()
    time.sleep(2.0)
    stop.set()
    for thread in threads:
        thread.join()

    after = [a for a in answers if a.finished > fault_at]
    failed = [a for a in after if a.status != 200]
    recovered = min(
        (a.finished for a in after if a.status == 200), default=float("inf")
    )
    record_figure(
        f"postgres backends terminated under load ({terminated} sessions, "
        f"{workers} clients): {len(failed)} of {len(after)} requests failed, "
        f"first success {recovered - fault_at:.2f} s after the fault"
    )

    assert_failures_are_503_in_the_error_shape(after)
    assert len(failed) <= workers
    assert after[-workers:] and all(a.status == 200 for a in after[-workers:])
    assert serving.get("/readyz").status == 200


def test_a_request_killed_mid_change_leaves_nothing_half_written(
    record_figure, serving
):
    """The request creates a policy and its rules in one transaction; its
    database session is killed after every row is written, while its commit
    waits for the audit chain's lock to seal the entries."""
    entries_before = LogEntry.objects.count()
    document = {
        "name": "killed-midway",
        "enforcement": "enforce",
        "scope": {"risk_tiers": [], "environments": [], "tags": []},
        "rules": [
            {
                "kind": "metric_threshold",
                "params": {"metric": metric, "op": ">=", "value": 0.5},
            }
            for metric in ("auc", "precision", "recall")
        ],
    }
    settings = connection.settings_dict
    blocker = psycopg.connect(
        dbname=settings["NAME"],
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        user=settings["USER"],
    )
    result = {}
    try:
        blocker.execute(f"SELECT 1 FROM {HEAD_TABLE} FOR UPDATE")
        request = threading.Thread(
            target=lambda: result.update(
                answer=serving.request(
                    "POST", "/api/v1/policies/", body=document, timeout=30
                )
            )
        )
        request.start()
        victim = wait_for_lock_waiter(exclude=blocker.info.backend_pid)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [victim])
        request.join(timeout=30)
    finally:
        blocker.rollback()
        blocker.close()

    answer = result["answer"]
    record_figure(
        f"request killed mid-change: answered {answer.status}, "
        f"policies {Policy.objects.filter(name='killed-midway').count()}, "
        f"audit entries added {LogEntry.objects.count() - entries_before}"
    )
    # 503 rather than 500 is held by the drills above (#12 item 9).
    assert answer.status >= 500 and answer.is_error_shape, answer.body[:200]
    assert not Policy.objects.filter(name="killed-midway").exists()
    assert not Rule.objects.filter(policy__name="killed-midway").exists()
    assert LogEntry.objects.count() == entries_before
    assert verify_chain().is_intact
    retry = serving.request("POST", "/api/v1/policies/", body=document)
    assert retry.status == 201, retry.body[:200]
    assert Rule.objects.filter(policy__name="killed-midway").count() == 3


def wait_for_lock_waiter(*, exclude: int, timeout: float = 20) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid NOT IN (%s, pg_backend_pid())",
                [exclude],
            )
            row = cursor.fetchone()
        if row:
            return row[0]
        time.sleep(0.05)
    pytest.fail("the request never reached the audit chain's lock")
