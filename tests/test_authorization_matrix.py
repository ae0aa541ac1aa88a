"""The authorization matrix: every API route by every kind of caller, against
DESIGN.md §4. Each route is one row of MATRIX; a route the URL resolver knows
and the matrix does not fails `test_every_api_route_is_in_the_matrix`.

Callers: anonymous; a token of each of the six roles; a user with no role;
revoked and expired tokens (of a governance admin, so the role cannot be what
lets them through); a data scientist in no team; and a data scientist of
another team, for whom the world's objects are another team's.

An allowed call succeeds (the rows' bodies are valid); a denied one answers
401 (no valid credentials), 403 (the role does not allow it) or, for a team's
model written by a data scientist outside the team, 404. Nothing answers 5xx."""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from compliance.models import TechnicalDocument
from compliance.services import add_custom_obligation
from drift.models import DriftAlert
from drift.quality import parse_fairness, parse_performance
from drift.services import ingest_fairness_report, ingest_performance_report
from governance.models import Approval
from governance.services import grant_waiver
from integrations.models import MlflowSync
from integrations.services.webhooks import create_subscription
from mlgov.models import APIToken
from mlgov.roles import Role
from mlgov.services import issue_token, revoke_token
from registry.models import Environment, Team
from tests.factories import (
    DeploymentFactory,
    DriftAlertFactory,
    DriftReportFactory,
    MLModelFactory,
    ModelVersionFactory,
    TeamFactory,
    UserFactory,
)
from tests.governance.conftest import approvals, auc_floor

pytestmark = pytest.mark.django_db

# ----------------------------------------------------------------- callers

ROLES = [role.value for role in Role]
CALLERS = [
    "anonymous",
    *ROLES,
    "no_role",
    "revoked_token",
    "expired_token",
    "teamless_scientist",
    "other_team_scientist",
]
INVALID_CREDENTIALS = {"anonymous", "revoked_token", "expired_token"}

# Who may do what (DESIGN.md §4). A role includes the ones before it: the
# reviewer and the governance admin are data scientists too, but writing a
# team's model needs membership of that team (or the governance admin role).
READERS = {
    *ROLES,
    "teamless_scientist",
    "other_team_scientist",
}
TEAM_WRITERS = {"data_scientist", "governance_admin"}
# Data scientists outside the owning team: a team's model they may not change
# answers 404, as if missing (registry.selectors.writable_model_by_name), so a
# write reveals no more than a read.
OUTSIDERS = {"reviewer", "teamless_scientist", "other_team_scientist"}
# Deployment requests and moves tell a data scientist in no team (the reviewer
# here is in none) that the account may write nothing, as the README says: 403.
# A member of another team still gets 404 for a model it may not deploy.
OTHER_TEAMS = {"other_team_scientist"}
REVIEWERS = {"reviewer", "governance_admin"}
# Comments on a version: reviewers and governance admins, and the model's team.
COMMENTERS = {"data_scientist", "reviewer", "governance_admin"}
GOVERNANCE = {"governance_admin"}
SIMULATORS = {"governance_admin", "executive"}
AUDIT_READERS = {"auditor", "governance_admin"}
# Technical documentation: read by audit readers and the model's team, which
# generates it with governance admins.
DOCUMENTATION_READERS = {"auditor", "governance_admin", "data_scientist"}


# ------------------------------------------------------------------- world

OBLIGATION = {
    "id": "internal-1",
    "reference": "Internal policy 1",
    "title": "Two reviewers",
    "summary": "Two independent reviewers approve it.",
    "evidence": [{"kind": "independent_approval", "params": {"count": 2}}],
}


@dataclass
class World:
    """The objects every row acts on, owned by team "fraud"."""

    scientist: object
    admin: object
    draft: object
    in_review: object
    policy: object
    spare_policy: object
    waiver: object
    alert: object
    report: object
    deployments: dict[str, object]
    subscription: object
    # A performance report, a fairness report and the alert it opened.
    monitoring: dict[str, object]
    obligation: object = None


@pytest.fixture
def world(make_policy):
    team = TeamFactory(name="fraud")
    scientist = UserFactory(username="data_scientist", roles=[Role.DATA_SCIENTIST])
    team.members.add(scientist)
    admin = UserFactory(username="governance_admin", roles=[Role.GOVERNANCE_ADMIN])
    model = MLModelFactory(name="churn", team=team)
    in_review = ModelVersionFactory(
        model=model, version=1, status="in_review", created_by=scientist
    )
    draft = ModelVersionFactory(model=model, version=2, created_by=scientist)
    pdf = b"%PDF-1.7 matrix"
    TechnicalDocument.objects.create(
        version=in_review,
        revision=1,
        generated_by=admin,
        content={"sections": []},
        html="<p>matrix</p>",
        pdf=pdf,
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
    )
    policy = make_policy("floor", [auc_floor(0.95), approvals(1)])
    spare_policy = make_policy("spare", [auc_floor(0.5)])
    waiver = grant_waiver(
        actor=admin,
        version=in_review,
        policy=policy,
        rule_position=1,
        justification="Known gap, fixed in the next release of the model.",
        expires_at=timezone.now() + timedelta(days=5),
    )
    report = DriftReportFactory(version=in_review)
    alert = DriftAlertFactory(latest_report=report)
    assert alert.status == DriftAlert.Status.OPEN
    # v3 passes "floor" (AUC and an approval): moves that put it into service
    # check the verdict again.
    approved = ModelVersionFactory(
        model=model, version=3, status="approved", metrics={"auc": 0.97}
    )
    Approval.objects.create(
        version=approved,
        reviewer=UserFactory(username="world-reviewer", roles=[Role.REVIEWER]),
        decision="approve",
    )
    environments = {env.name: env for env in Environment.objects.all()}
    deployments = {
        "approved": DeploymentFactory(
            version=approved, environment=environments["staging"], status="approved"
        ),
        "in_progress": DeploymentFactory(
            version=approved,
            environment=environments["development"],
            status="in_progress",
        ),
        "active": DeploymentFactory(
            version=approved,
            environment=environments["production"],
            strategy="canary",
            traffic_percent=10,
        ),
    }
    world = World(
        scientist,
        admin,
        draft,
        in_review,
        policy,
        spare_policy,
        waiver,
        alert,
        report,
        deployments,
        create_subscription(
            actor=admin,
            name="risk-feed",
            url="https://hooks.example.com/mlgov",
            event_types=["version.approved"],
        ),
        _monitoring(admin, in_review, environments["production"]),
    )
    world.obligation = add_custom_obligation(
        actor=admin, framework="eu_ai_act", document=OBLIGATION
    )
    return world


def _monitoring(admin, version, production) -> dict[str, object]:
    window = {
        "actor": admin,
        "version": version,
        "environment": production,
        "window_start": timezone.now() - timedelta(days=7),
        "window_end": timezone.now(),
    }
    performance = ingest_performance_report(
        **window,
        data=parse_performance(
            {"confusion_matrix": {"tp": 5, "fp": 1, "tn": 5, "fn": 1}}, max_rows=1
        ),
    )
    fairness = ingest_fairness_report(
        **window,
        data=parse_fairness(
            {
                "attribute": "sex",
                "group_counts": {
                    "men": {"tp": 40, "fp": 20, "tn": 30, "fn": 10},
                    "women": {"tp": 20, "fp": 0, "tn": 70, "fn": 10},
                },
            },
            max_rows=1,
        ),
    )
    (alert,) = fairness.alerts
    return {
        "performance": performance.report,
        "fairness": fairness.report,
        "alert": alert,
    }


def _client(raw: str | None) -> APIClient:
    client = APIClient()
    if raw:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def client_for(caller: str, world: World) -> APIClient:
    if caller == "anonymous":
        return _client(None)
    if caller == "data_scientist":
        user = world.scientist
    elif caller == "governance_admin":
        user = world.admin
    elif caller in ROLES:
        user = UserFactory(username=caller, roles=[caller])
    elif caller == "no_role":
        user = UserFactory(username="nobody")
    elif caller == "teamless_scientist":
        user = UserFactory(username="teamless", roles=[Role.DATA_SCIENTIST])
    elif caller == "other_team_scientist":
        user = UserFactory(username="other", roles=[Role.DATA_SCIENTIST])
        TeamFactory(name="pricing").members.add(user)
    else:
        issued = issue_token(user=world.admin, name=caller)
        if caller == "revoked_token":
            revoke_token(token=issued.token)
        else:
            past = timezone.now() - timedelta(days=2)
            APIToken.objects.filter(pk=issued.token.pk).update(
                created_at=past, expires_at=past + timedelta(days=1)
            )
        return _client(issued.raw)
    return _client(issue_token(user=user, name="matrix").raw)


# ------------------------------------------------------------------ matrix


def _version(attribute: str) -> Callable[[World], dict]:
    return lambda w: {"name": "churn", "number": getattr(w, attribute).version}


@dataclass(frozen=True)
class Row:
    method: str
    route: str  # URL name, "namespace:name"
    allowed: frozenset[str] | set[str]
    kwargs: Callable[[World], dict] = field(default=lambda w: {})
    body: Callable[[World], dict] | None = None
    hidden: frozenset[str] | set[str] = frozenset()  # denied with a 404
    # Statuses an allowed caller may get besides 2xx: the row's object is in a
    # state the move refuses (409). The state machine itself is proven in its
    # app's tests; here only who gets past authorization is checked.
    state_refusals: frozenset[int] = frozenset()

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.route


MODEL = lambda w: {"name": "churn"}  # noqa: E731
DEPLOY = {"model": "churn", "version": 3, "environment": "staging"}


def _deployment(state: str) -> Callable[[World], dict]:
    return lambda w: {"pk": w.deployments[state].pk}


SUBSCRIPTION = lambda w: {"pk": w.subscription.pk}  # noqa: E731
OBLIGATION_PK = lambda w: {"pk": w.obligation.pk}  # noqa: E731


def _pending_change(w: World) -> dict:
    """A request the world's data scientist made: anyone but them may decide."""
    from registry.intake import request_risk_class_change
    from registry.models import MLModel, RiskClassChange

    change = RiskClassChange.objects.filter(status="pending").first()
    if change is None:
        model = MLModel.objects.get(name="churn")
        MLModel.objects.filter(pk=model.pk).update(risk_tier="critical")
        model.refresh_from_db()
        change = request_risk_class_change(
            actor=w.scientist, model=model, to_tier="high", reason="Reassessed."
        )
    return {"pk": change.pk}


INTAKE_ANSWERS = {
    "purpose": "Predicts churn.",
    "affected_persons": "Customers.",
    "autonomy": "advisory",
    "domain": "other",
}
DRAFT = _version("draft")
IN_REVIEW = _version("in_review")

MATRIX = [
    # registry
    Row("GET", "registry:model-list", READERS),
    Row(
        "POST",
        "registry:model-list",
        TEAM_WRITERS,
        body=lambda w: {
            "name": "fresh",
            "display_name": "Fresh",
            "team": "fraud",
            "risk_tier": "low",
        },
    ),
    Row("GET", "registry:model-detail", READERS, MODEL),
    Row(
        "PATCH",
        "registry:model-detail",
        TEAM_WRITERS,
        MODEL,
        lambda w: {"display_name": "Churn 2"},
        OUTSIDERS,
    ),
    Row("GET", "registry:version-list", READERS, MODEL),
    Row(
        "POST",
        "registry:version-list",
        TEAM_WRITERS,
        MODEL,
        lambda w: {"artifact_uri": "s3://models/churn/3"},
        OUTSIDERS,
    ),
    Row("GET", "registry:version-portfolio", READERS),
    Row("GET", "registry:version-detail", READERS, DRAFT),
    Row(
        "PATCH",
        "registry:version-detail",
        TEAM_WRITERS,
        DRAFT,
        lambda w: {"metrics": {"auc": 0.97}},
        OUTSIDERS,
    ),
    Row(
        "GET",
        "registry:version-prompt-diff",
        READERS,
        DRAFT,
        lambda w: {"against": 1},  # the query string
    ),
    Row("GET", "registry:environment-list", READERS),
    Row("GET", "registry:intake", READERS, MODEL),
    Row(
        "POST",
        "registry:intake",
        TEAM_WRITERS,
        MODEL,
        lambda w: INTAKE_ANSWERS,
        OUTSIDERS,
    ),
    Row("GET", "registry:intake-revisions", READERS, MODEL),
    Row("GET", "registry:model-risk-class-changes", READERS, MODEL),
    Row(
        "POST",
        "registry:model-risk-class-changes",
        TEAM_WRITERS,
        MODEL,
        lambda w: {"to_tier": "low", "reason": "Advisory only."},
        OUTSIDERS,
    ),
    Row("GET", "registry:risk-class-change-list", READERS),
    Row(
        "POST",
        "registry:risk-class-change-approve",
        GOVERNANCE,
        _pending_change,
        lambda w: {"comment": "Agreed."},
    ),
    Row(
        "POST",
        "registry:risk-class-change-reject",
        GOVERNANCE,
        _pending_change,
        lambda w: {"comment": "Not convinced."},
    ),
    # governance
    Row(
        "POST",
        "governance:version-submit",
        TEAM_WRITERS,
        DRAFT,
        lambda w: {},
        OUTSIDERS,
    ),
    Row("POST", "governance:version-approve", REVIEWERS, IN_REVIEW, lambda w: {}),
    Row(
        "POST",
        "governance:version-reject",
        REVIEWERS,
        IN_REVIEW,
        lambda w: {"comment": "The AUC is below the floor."},
    ),
    Row("GET", "governance:version-evaluation", READERS, IN_REVIEW),
    Row("GET", "governance:version-approval-list", READERS, IN_REVIEW),
    Row("GET", "governance:version-evaluation-list", READERS, IN_REVIEW),
    Row("GET", "governance:version-reviewer-list", READERS, IN_REVIEW),
    Row(
        "POST",
        "governance:version-reviewer-list",
        GOVERNANCE,
        IN_REVIEW,
        lambda w: {"reviewer": "world-reviewer"},
    ),
    Row("GET", "governance:version-comment-list", READERS, IN_REVIEW),
    Row(
        "POST",
        "governance:version-comment-list",
        COMMENTERS,
        IN_REVIEW,
        lambda w: {"body": "Why did the AUC drop?"},
    ),
    Row("GET", "governance:policy-list", READERS),
    Row(
        "POST",
        "governance:policy-list",
        GOVERNANCE,
        body=lambda w: {"name": "fresh", "rules": [auc_floor(0.7)]},
    ),
    Row("GET", "governance:policy-detail", READERS, lambda w: {"pk": w.policy.pk}),
    Row(
        "PATCH",
        "governance:policy-detail",
        GOVERNANCE,
        lambda w: {"pk": w.policy.pk},
        lambda w: {"description": "Stricter.", "reason": "Say it plainly."},
    ),
    Row(
        "GET",
        "governance:policy-revision-list",
        READERS,
        lambda w: {"name": w.policy.name},
    ),
    Row(
        "DELETE",
        "governance:policy-detail",
        GOVERNANCE,
        lambda w: {"pk": w.spare_policy.pk},
    ),
    Row("GET", "governance:waiver-list", READERS),
    Row(
        "POST",
        "governance:waiver-list",
        GOVERNANCE,
        body=lambda w: {
            "model": "churn",
            "version": w.in_review.version,
            "policy": "floor",
            "rule": 2,
            "justification": "Pending the retraining scheduled for next week.",
            "expires_at": (timezone.now() + timedelta(days=3)).isoformat(),
        },
    ),
    Row(
        "POST",
        "governance:waiver-revoke",
        GOVERNANCE,
        lambda w: {"pk": w.waiver.pk},
        lambda w: {"reason": "Fixed by the retrained version of the model."},
    ),
    Row(
        "POST",
        "governance:simulation-run",
        SIMULATORS,
        body=lambda w: {"upsert": [{"name": "floor", "rules": [auc_floor(0.99)]}]},
    ),
    # drift
    Row("GET", "drift:report-list", READERS),
    Row(
        "POST",
        "drift:report-list",
        TEAM_WRITERS,
        body=lambda w: {
            "model": "churn",
            "version": w.in_review.version,
            "environment": "production",
            "window_start": "2026-11-01T00:00:00Z",
            "window_end": "2026-11-08T00:00:00Z",
            "features": [
                {
                    "name": "country",
                    "kind": "categorical",
                    "reference": {"categories": {"DE": 500, "FR": 300}},
                    "current": {"categories": {"DE": 450, "FR": 320}},
                }
            ],
        },
        hidden=OUTSIDERS,
    ),
    Row("GET", "drift:report-detail", READERS, lambda w: {"pk": w.report.pk}),
    Row("GET", "drift:alert-list", READERS),
    Row(
        "POST",
        "drift:alert-acknowledge",
        REVIEWERS,
        lambda w: {"pk": w.alert.pk},
        lambda w: {"note": "Looking into it."},
    ),
    Row(
        "POST",
        "drift:alert-resolve",
        REVIEWERS,
        lambda w: {"pk": w.alert.pk},
        lambda w: {"note": "Looking into it."},
    ),
    # performance and fairness
    Row("GET", "drift:performancereport-list", READERS, _version("in_review")),
    Row(
        "POST",
        "drift:performancereport-list",
        TEAM_WRITERS,
        _version("in_review"),
        lambda w: {
            "environment": "production",
            "window_start": "2026-11-01T00:00:00Z",
            "window_end": "2026-11-08T00:00:00Z",
            "confusion_matrix": {"tp": 5, "fp": 1, "tn": 5, "fn": 1},
        },
        hidden=OUTSIDERS,
    ),
    Row(
        "GET",
        "drift:performancereport-detail",
        READERS,
        lambda w: {
            **_version("in_review")(w),
            "pk": w.monitoring["performance"].pk,
        },
    ),
    Row("GET", "drift:fairnessreport-list", READERS, _version("in_review")),
    Row(
        "POST",
        "drift:fairnessreport-list",
        TEAM_WRITERS,
        _version("in_review"),
        lambda w: {
            "environment": "production",
            "window_start": "2026-11-01T00:00:00Z",
            "window_end": "2026-11-08T00:00:00Z",
            "attribute": "sex",
            "group_counts": {
                "men": {"tp": 4, "fp": 2, "tn": 3, "fn": 1},
                "women": {"tp": 4, "fp": 2, "tn": 3, "fn": 1},
            },
        },
        hidden=OUTSIDERS,
    ),
    Row(
        "GET",
        "drift:fairnessreport-detail",
        READERS,
        lambda w: {**_version("in_review")(w), "pk": w.monitoring["fairness"].pk},
    ),
    Row("GET", "drift:monitoringalert-list", READERS),
    Row(
        "POST",
        "drift:monitoringalert-acknowledge",
        REVIEWERS,
        lambda w: {"pk": w.monitoring["alert"].pk},
        lambda w: {"note": "Looking into it."},
    ),
    Row(
        "POST",
        "drift:monitoringalert-resolve",
        REVIEWERS,
        lambda w: {"pk": w.monitoring["alert"].pk},
        lambda w: {"note": "Looking into it."},
    ),
    # deployments and environment freezes
    Row(
        "POST",
        "registry:environment-freeze",
        GOVERNANCE,
        lambda w: {"name": "staging"},
        lambda w: {"reason": "Quarter-end change freeze."},
    ),
    Row(
        "POST",
        "registry:environment-unfreeze",
        GOVERNANCE,
        lambda w: {"name": "staging"},
        lambda w: {"reason": "Freeze over."},
        state_refusals=frozenset({409}),
    ),
    Row("POST", "deployments:deployment-check", READERS, body=lambda w: DEPLOY),
    Row("GET", "deployments:deployment-list", READERS),
    Row(
        "POST",
        "deployments:deployment-list",
        TEAM_WRITERS,
        body=lambda w: DEPLOY,
        hidden=OTHER_TEAMS,
    ),
    Row("GET", "deployments:deployment-detail", READERS, _deployment("approved")),
    Row("GET", "deployments:model-deployment-list", READERS, MODEL),
    *(
        Row(
            "POST",
            f"deployments:deployment-{action}",
            TEAM_WRITERS,
            _deployment(state),
            lambda w, body=body: body,
            hidden=OTHER_TEAMS,
            state_refusals=refusals,
        )
        for action, state, body, refusals in (
            ("start", "approved", {}, frozenset()),
            ("complete", "in_progress", {}, frozenset()),
            ("fail", "in_progress", {}, frozenset()),
            ("rollback", "active", {"reason": "auc dropped"}, frozenset({409})),
        )
    ),
    Row(
        "POST",
        "deployments:deployment-promote",
        TEAM_WRITERS,
        _deployment("active"),
        lambda w: {"traffic_percent": 50},
        hidden=OTHER_TEAMS,
        state_refusals=frozenset({409}),
    ),
    # command center
    Row("GET", "command_center_api:portfolio-summary", READERS),
    # compliance: coverage for readers, packs and obligations for governance
    Row("GET", "compliance:model-obligations", READERS, MODEL),
    Row("GET", "compliance:coverage", READERS),
    Row("GET", "compliance:pack-list", READERS),
    Row(
        "POST",
        "compliance:pack-enable",
        GOVERNANCE,
        lambda w: {"framework": "eu_ai_act"},
    ),
    Row(
        "POST",
        "compliance:pack-disable",
        GOVERNANCE,
        lambda w: {"framework": "eu_ai_act"},
    ),
    Row("GET", "compliance:obligation-list", READERS),
    Row(
        "POST",
        "compliance:obligation-list",
        GOVERNANCE,
        body=lambda w: {**OBLIGATION, "id": "internal-2", "framework": "eu_ai_act"},
    ),
    Row("GET", "compliance:obligation-detail", READERS, OBLIGATION_PK),
    Row(
        "PATCH",
        "compliance:obligation-detail",
        GOVERNANCE,
        OBLIGATION_PK,
        lambda w: {"title": "Three reviewers"},
    ),
    Row("DELETE", "compliance:obligation-detail", GOVERNANCE, OBLIGATION_PK),
    # integrations: webhooks for governance admins, evidence for audit readers
    Row("GET", "integrations:webhook-list", GOVERNANCE),
    Row(
        "POST",
        "integrations:webhook-list",
        GOVERNANCE,
        body=lambda w: {
            "name": "second-feed",
            "url": "https://hooks.example.com/second",
            "event_types": ["version.rejected"],
        },
    ),
    Row("GET", "integrations:webhook-detail", GOVERNANCE, SUBSCRIPTION),
    Row(
        "PATCH",
        "integrations:webhook-detail",
        GOVERNANCE,
        SUBSCRIPTION,
        lambda w: {"event_types": ["version.approved", "version.rejected"]},
    ),
    Row("GET", "integrations:webhook-deliveries", GOVERNANCE, SUBSCRIPTION),
    Row("GET", "integrations:evidence-pack-api", AUDIT_READERS, MODEL),
    # compliance: technical documentation of a version (revision 1 exists)
    Row("GET", "compliance:technical-document-list", DOCUMENTATION_READERS, IN_REVIEW),
    Row("POST", "compliance:technical-document-list", TEAM_WRITERS, IN_REVIEW),
    *(
        Row(
            "GET",
            f"compliance:technical-document-{view}",
            DOCUMENTATION_READERS,
            lambda w: {"name": "churn", "number": 1, "revision": 1},
        )
        for view in ("detail", "pdf", "html")
    ),
    # audit trail
    Row("GET", "audit-trail", AUDIT_READERS),
]


# ---------------------------------------------------------- the API routes


def _walk(resolver: URLResolver, prefix: str = "", namespace: str = ""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = (
                f"{namespace}:{entry.namespace}".strip(":")
                if entry.namespace
                else namespace
            )
            yield from _walk(entry, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), namespace, entry


def api_routes() -> set[tuple[str, str]]:
    """(method, URL name) of every route under /api/v1/, from the resolver."""
    routes = set()
    for path, namespace, pattern in _walk(get_resolver()):
        if not path.startswith("api/v1/"):
            continue
        view = getattr(pattern.callback, "view_class", None) or getattr(
            pattern.callback, "cls", None
        )
        name = f"{namespace}:{pattern.name}" if namespace else pattern.name
        assert view is not None and pattern.name, f"unnamed or function view: {path}"
        for method in view.http_method_names:
            if method in ("options", "head") or not hasattr(view, method):
                continue
            routes.add((method.upper(), name))
    return routes


# Routes a caller's credentials never open: MLflow's webhook receiver takes
# MLflow's signature with the sync's secret, and refuses everything else
# (test_signed_routes_refuse_every_caller; its own tests, including the
# signed deliveries, are in tests/integrations/test_mlflow_webhooks.py).
SIGNED_ROUTES = {("POST", "integrations:mlflow-webhook")}


def test_every_api_route_is_in_the_matrix():
    missing = api_routes() - SIGNED_ROUTES - {row.key for row in MATRIX}
    assert not missing, (
        "API routes missing from the authorization matrix (add a Row to "
        f"tests/test_authorization_matrix.py): {sorted(missing)}"
    )


def test_the_matrix_names_no_route_that_does_not_exist():
    assert {row.key for row in MATRIX} <= api_routes()


@pytest.mark.parametrize("caller", CALLERS)
def test_signed_routes_refuse_every_caller(caller, world, monkeypatch):
    monkeypatch.setenv("MLFLOW_WEBHOOK_SECRET_MAIN", "mlflow-secret")
    MlflowSync.objects.create(
        name="main",
        tracking_uri="http://127.0.0.1:9",
        team=Team.objects.get(name="fraud"),
        account=world.scientist,
        environment=Environment.objects.get(name="production"),
    )
    url = reverse("integrations:mlflow-webhook", kwargs={"name": "main"})

    response = client_for(caller, world).post(url, {}, format="json")

    assert response.status_code == 401, response.content[:300]
    assert not MlflowSync.objects.get().receipts.exists()


def test_the_matrix_has_one_row_per_route():
    keys = [row.key for row in MATRIX]
    assert len(keys) == len(set(keys))


# ------------------------------------------------------------- the walk


def expected_status_class(row: Row, caller: str) -> str:
    if caller in INVALID_CREDENTIALS:
        return "unauthenticated"
    if caller in row.allowed:
        return "allowed"
    return "hidden" if caller in row.hidden else "forbidden"


def observed_status_class(status: int, detail: str) -> str:
    assert status < 500, f"server error {status}: {detail}"
    if status == 401:
        return "unauthenticated"
    if status == 403:
        return "forbidden"
    if status == 404:
        return "hidden"
    assert 200 <= status < 300, f"unexpected status {status}: {detail}"
    return "allowed"


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("row", MATRIX, ids=lambda row: f"{row.method} {row.route}")
def test_authorization_matrix(row, caller, world):
    client = client_for(caller, world)
    url = reverse(row.route, kwargs=row.kwargs(world))
    kwargs = {"format": "json"}
    if row.body is not None:
        kwargs["data"] = row.body(world)
    response = getattr(client, row.method.lower())(url, **kwargs)

    detail = f"{caller} {row.method} {url}: {response.content[:300]!r}"
    if response.status_code in row.state_refusals:
        observed = "refused_by_state" if caller in row.allowed else "wrong"
    else:
        observed = observed_status_class(response.status_code, detail)
    expected = expected_status_class(row, caller)
    if observed == "refused_by_state":
        expected = "refused_by_state" if expected == "allowed" else expected
    assert observed == expected, (
        f"{caller} {row.method} {url}: {response.status_code} "
        f"{response.content[:300]!r}"
    )
    if observed == "allowed":
        # The matrix's bodies are valid: an allowed call does its work.
        assert 200 <= response.status_code < 300, response.content[:300]
    elif observed == "refused_by_state":
        assert caller in row.allowed, detail
