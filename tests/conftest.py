import pytest
from auditlog.cid import correlation_id
from auditlog.context import auditlog_value
from django.core.cache import cache
from rest_framework.test import APIClient

from governance.documents import parse_policy_document
from governance.services import create_policy, known_environment_names
from mlgov.api.authentication import forget_token_owners
from mlgov.roles import Role
from mlgov.services import issue_token
from tests.factories import TeamFactory, UserFactory


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Browser tests last: pytest-django already puts transactional tests after
    the others, and the flush that ends a browser test would take the rows of
    data migrations (role groups, environments) from any test after it."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(autouse=True, scope="session")
def _flush_may_clear_the_audit_trail():
    """The database refuses to delete audit rows (mlgov/audit_chain.py); the
    flush that ends a transactional test is let through, and only it."""
    from django.core.management.commands import flush

    from mlgov.audit_chain import audit_maintenance

    original = flush.Command.handle

    def handle(self, *args, **options):
        with audit_maintenance(options.get("database", "default")):
            return original(self, *args, **options)

    flush.Command.handle = handle
    yield
    flush.Command.handle = original


def _is_transactional(request: pytest.FixtureRequest) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return bool(marker and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )


@pytest.fixture(autouse=True)
def _fresh_connection_pool_after_threaded_tests(request):
    """A transactional test runs the app in threads, and some kill database
    sessions on purpose (fault drills): the next test gets a new PostgreSQL
    pool instead of inheriting sessions a thread or a drill left behind."""
    yield
    from django.db import connection

    if connection.vendor == "postgresql" and _is_transactional(request):
        connection.close()
        connection.close_pool()


@pytest.fixture(autouse=True)
def _no_audit_context_left_by_an_earlier_test():
    """auditlog's set_actor and set_cid never reset their context variables,
    so an actor from an earlier test (a user rolled back since) would sign
    the entries a later one writes outside a request."""
    actor = auditlog_value.set({})
    cid = correlation_id.set(None)
    yield
    correlation_id.reset(cid)
    auditlog_value.reset(actor)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _clear_cache() -> None:
    # Only this process's keys: parallel workers share the Redis database, and
    # django-redis's clear() would flush the other worker's keys too.
    if hasattr(cache, "delete_pattern"):
        cache.delete_pattern("*")
    else:
        cache.clear()
    forget_token_owners()


@pytest.fixture(autouse=True)
def _fresh_cache():
    _clear_cache()
    yield
    _clear_cache()


@pytest.fixture
def team(db):
    return TeamFactory(name="fraud")


@pytest.fixture
def other_team(db):
    return TeamFactory(name="pricing")


@pytest.fixture
def viewer(db):
    return UserFactory(username="viewer", roles=[Role.VIEWER])


@pytest.fixture
def data_scientist(team):
    user = UserFactory(username="scientist", roles=[Role.DATA_SCIENTIST])
    team.members.add(user)
    return user


@pytest.fixture
def other_data_scientist(other_team):
    user = UserFactory(username="other-scientist", roles=[Role.DATA_SCIENTIST])
    other_team.members.add(user)
    return user


@pytest.fixture
def reviewer(db):
    return UserFactory(username="reviewer", roles=[Role.REVIEWER])


@pytest.fixture
def second_reviewer(db):
    return UserFactory(username="reviewer2", roles=[Role.REVIEWER])


@pytest.fixture
def governance_admin(db):
    return UserFactory(username="gov-admin", roles=[Role.GOVERNANCE_ADMIN])


@pytest.fixture
def executive(db):
    return UserFactory(username="executive", roles=[Role.EXECUTIVE])


@pytest.fixture
def auditor(db):
    return UserFactory(username="auditor", roles=[Role.AUDITOR])


@pytest.fixture
def no_role_user(db):
    return UserFactory(username="nobody")


@pytest.fixture
def anonymous_client():
    return APIClient()


@pytest.fixture
def api_client_for():
    """An API client authenticated with a fresh bearer token of `user`."""

    def make(user):
        client = APIClient()
        raw = issue_token(user=user, name="test").raw
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return client

    return make


ROLE_FIXTURES = [
    "viewer",
    "data_scientist",
    "reviewer",
    "governance_admin",
    "executive",
    "auditor",
]


@pytest.fixture(params=ROLE_FIXTURES)
def any_role_user(request):
    """Each of the six roles in turn."""
    return request.getfixturevalue(request.param)


@pytest.fixture
def make_policy(governance_admin):
    """Store a policy from a document; scope and enforcement default to all/enforce."""

    def make(name, rules, *, enforcement="enforce", **scope):
        document = parse_policy_document(
            {
                "name": name,
                "enforcement": enforcement,
                "scope": {
                    "risk_tiers": scope.get("risk_tiers", []),
                    "environments": scope.get("environments", []),
                    "tags": scope.get("tags", []),
                    "model_kinds": scope.get("model_kinds", []),
                },
                "rules": rules,
            },
            environments=known_environment_names(),
        )
        return create_policy(
            actor=governance_admin, document=document, reason="Test policy"
        )

    return make


@pytest.fixture(scope="session", autouse=True)
def _release_test_database(django_db_setup, django_db_blocker):
    """Before the test database is dropped, end the sessions that still hold
    it: pooled connections opened by live-server request threads."""
    yield
    from django.db import connection, connections

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
        for alias in connections:
            close_pool = getattr(connections[alias], "close_pool", None)
            if close_pool is not None:
                close_pool()


# Figures the fault drills measure (tests/drills), carried in the test reports
# and printed at the end of the run; here, not in tests/drills/conftest.py,
# because an xdist controller loads only the root conftest.
DRILL_FIGURES: list[str] = []


def pytest_runtest_logreport(report):
    if report.when == "call":
        DRILL_FIGURES.extend(
            value for key, value in report.user_properties if key == "drill figure"
        )


def pytest_terminal_summary(terminalreporter):
    if DRILL_FIGURES:
        terminalreporter.section("fault drill figures")
        for line in DRILL_FIGURES:
            terminalreporter.write_line(line)
