"""Deployment requests and the dry-run check through the API."""

from contextlib import nullcontext
from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.apps import apps
from django.utils import timezone

from deployments.models import Deployment, GateDecision
from governance.models import Approval, Evaluation, Waiver
from tests.deployments.conftest import checks_of, request_body
from tests.factories import (
    DeploymentFactory,
    DriftAlertFactory,
    MLModelFactory,
    ModelVersionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

CHECK_URL = "/api/v1/deployments/check/"
LIST_URL = "/api/v1/deployments/"


def test_an_approved_request_is_recorded_with_every_check(
    scientist_client, soaked, data_scientist
):
    response = scientist_client.post(LIST_URL, request_body(), format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["decision"] == "approved"
    assert body["status"] == "approved"
    assert body["traffic_percent"] == 100
    assert [c["check"] for c in body["checks"]] == [
        "version_status",
        "promotion_path",
        "freeze",
        "governance",
        "no_concurrent_rollout",
    ]
    assert body["requested_by"] == "scientist"
    record = GateDecision.objects.get(environment__name="production")
    assert record.deployment.pk == body["id"]
    assert record.checks == body["checks"]
    assert record.requested_by == data_scientist
    assert record.client_ip == "127.0.0.1"
    assert record.request_id


def test_a_blocked_request_is_recorded_too_as_evidence(scientist_client, approved):
    response = scientist_client.post(LIST_URL, request_body(), format="json")

    assert response.status_code == 201
    body = response.json()
    assert (body["decision"], body["status"]) == ("blocked", "blocked")
    assert checks_of(body)["promotion_path"]["passed"] is False
    assert Deployment.objects.get().status == "blocked"


def test_the_dry_run_agrees_with_the_request_and_writes_nothing(
    scientist_client, soaked
):
    tables = [m for m in apps.get_models() if m._meta.managed]
    before = {m._meta.label: m.objects.count() for m in tables}

    check = scientist_client.post(
        CHECK_URL, request_body(strategy="canary", traffic_percent=10), format="json"
    )

    assert check.status_code == 200
    assert {m._meta.label: m.objects.count() for m in tables} == before
    real = scientist_client.post(
        LIST_URL, request_body(strategy="canary", traffic_percent=10), format="json"
    )
    assert real.status_code == 201
    checked, recorded = check.json(), real.json()
    assert "id" not in checked
    recorded.pop("id")
    recorded.pop("requested_at")
    checked.pop("requested_at")
    assert checked == recorded


def test_the_dry_run_agrees_on_a_blocked_state_too(scientist_client, approved):
    checked = scientist_client.post(CHECK_URL, request_body(), format="json").json()
    recorded = scientist_client.post(LIST_URL, request_body(), format="json").json()

    assert checked["decision"] == recorded["decision"] == "blocked"
    assert checked["checks"] == recorded["checks"]


def test_a_draft_version_blocks_on_version_status(scientist_client, churn):
    ModelVersionFactory(model=churn, version=8, status="draft")

    body = scientist_client.post(
        LIST_URL, request_body(version=8, environment="development"), format="json"
    ).json()

    assert body["decision"] == "blocked"
    assert [c["check"] for c in body["checks"] if not c["passed"]] == ["version_status"]
    assert checks_of(body)["version_status"]["detail"] == (
        "version 8 is draft; only approved versions may be deployed"
    )


def test_never_active_in_staging_blocks_on_promotion_path(scientist_client, approved):
    body = scientist_client.post(LIST_URL, request_body(), format="json").json()

    assert [c["check"] for c in body["checks"] if not c["passed"]] == ["promotion_path"]
    assert checks_of(body)["promotion_path"]["detail"] == (
        "never active in staging; production requires 24 h there first"
    )


def test_a_short_soak_blocks_until_the_time_comes(
    scientist_client, approved, environments, monkeypatch
):
    started = timezone.now()
    DeploymentFactory(
        version=approved, environment=environments["staging"], activated_at=started
    )
    monkeypatch.setattr(timezone, "now", lambda: started + timedelta(hours=6))

    early = scientist_client.post(CHECK_URL, request_body(), format="json").json()

    eligible = (started + timedelta(hours=24)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert checks_of(early)["promotion_path"] == {
        "check": "promotion_path",
        "passed": False,
        "detail": "active in staging for 6 h of the required 24 h; "
        f"eligible from {eligible}",
    }
    monkeypatch.setattr(timezone, "now", lambda: started + timedelta(hours=25))
    late = scientist_client.post(CHECK_URL, request_body(), format="json").json()
    assert late["decision"] == "approved"


def test_a_rolled_back_staging_run_does_not_count_as_soak(
    scientist_client, approved, environments
):
    DeploymentFactory(
        version=approved,
        environment=environments["staging"],
        status="rolled_back",
        activated_at=timezone.now() - timedelta(days=5),
        ended_at=timezone.now() - timedelta(days=2),
    )

    body = scientist_client.post(CHECK_URL, request_body(), format="json").json()

    assert checks_of(body)["promotion_path"]["passed"] is False


def test_a_frozen_environment_blocks_with_its_reason(
    scientist_client, soaked, environments, governance_admin
):
    from registry.services import freeze_environment

    freeze_environment(
        actor=governance_admin,
        environment=environments["production"],
        reason="Quarter-end close",
    )

    body = scientist_client.post(LIST_URL, request_body(), format="json").json()

    assert [c["check"] for c in body["checks"] if not c["passed"]] == ["freeze"]
    detail = checks_of(body)["freeze"]["detail"]
    assert detail.startswith("production is frozen since ")
    assert detail.endswith(" by gov-admin: Quarter-end close")


def test_a_failing_enforced_policy_blocks_on_governance(
    scientist_client, soaked, make_policy
):
    make_policy(
        "production-floor",
        [
            {
                "kind": "metric_threshold",
                "params": {"metric": "auc", "op": ">=", "value": 0.95},
            }
        ],
        environments=["production"],
    )

    body = scientist_client.post(LIST_URL, request_body(), format="json").json()

    assert [c["check"] for c in body["checks"] if not c["passed"]] == ["governance"]
    assert (
        "auc 0.90 is below the minimum 0.95" in checks_of(body)["governance"]["detail"]
    )
    result = body["evaluation"]["results"][0]
    assert (result["policy"], result["revision"], result["params"]["value"]) == (
        "production-floor",
        1,
        0.95,
    )
    record = GateDecision.objects.get(environment__name="production")
    assert record.evaluation == body["evaluation"]
    stored = Evaluation.objects.get(trigger="gate")
    assert (stored.version, stored.environment.name, stored.passed) == (
        soaked.version,
        "production",
        False,
    )
    assert stored.results == body["evaluation"]["results"]


def test_every_gate_decision_stores_the_evaluation_it_made(
    scientist_client, soaked, data_scientist
):
    scientist_client.post(CHECK_URL, request_body(), format="json")
    assert not Evaluation.objects.exists()

    body = scientist_client.post(LIST_URL, request_body(), format="json").json()

    stored = Evaluation.objects.get()
    assert stored.trigger == "gate"
    assert (stored.version, stored.environment.name) == (soaked.version, "production")
    assert stored.passed is body["evaluation"]["passed"] is True
    assert stored.results == body["evaluation"]["results"]
    assert stored.requested_by == data_scientist
    decision = GateDecision.objects.get(environment__name="production")
    assert stored.evaluated_at == decision.requested_at
    listed = scientist_client.get(
        f"/api/v1/models/{soaked.version.model.name}/versions/"
        f"{soaked.version.version}/evaluations/"
    ).json()
    assert [item["trigger"] for item in listed["results"]] == ["gate"]


def test_an_advisory_failure_is_a_warning(scientist_client, soaked, make_policy):
    make_policy(
        "stretch",
        [
            {
                "kind": "metric_threshold",
                "params": {"metric": "auc", "op": ">=", "value": 0.95},
            }
        ],
        enforcement="advisory",
    )

    body = scientist_client.post(LIST_URL, request_body(), format="json").json()

    assert body["decision"] == "approved"
    assert body["warnings"] == [
        "stretch (advisory): auc 0.90 is below the minimum 0.95"
    ]


def test_a_critical_open_drift_alert_blocks_through_max_drift_severity(
    scientist_client, soaked, make_policy, environments
):
    make_policy(
        "drift-limit",
        [{"kind": "max_drift_severity", "params": {"severity": "warning"}}],
        environments=["production"],
    )
    DriftAlertFactory(
        latest_report__version=soaked.version,
        latest_report__environment=environments["production"],
        severity="critical",
    )

    body = scientist_client.post(LIST_URL, request_body(), format="json").json()

    assert [c["check"] for c in body["checks"] if not c["passed"]] == ["governance"]
    assert "critical drift" in checks_of(body)["governance"]["detail"]


def test_a_rollout_in_progress_blocks(scientist_client, soaked, churn, environments):
    other = ModelVersionFactory(model=churn, version=6, status="approved")
    running = DeploymentFactory(
        version=other, environment=environments["production"], status="in_progress"
    )

    body = scientist_client.post(LIST_URL, request_body(), format="json").json()

    assert [c["check"] for c in body["checks"] if not c["passed"]] == [
        "no_concurrent_rollout"
    ]
    assert checks_of(body)["no_concurrent_rollout"]["detail"] == (
        f"deployment {running.pk} (version 6) of churn is in progress in "
        "production; complete or fail it first"
    )


def test_the_record_counts_approvals_and_waivers_with_their_ids(
    scientist_client, soaked, reviewer, governance_admin, make_policy
):
    policy = make_policy(
        "floor",
        [
            {
                "kind": "metric_threshold",
                "params": {"metric": "auc", "op": ">=", "value": 0.95},
            }
        ],
    )
    approval = Approval.objects.create(
        version=soaked.version, reviewer=reviewer, decision="approve"
    )
    waiver = Waiver.objects.create(
        version=soaked.version,
        policy=policy,
        rule_position=1,
        justification="Known gap, fixed in v8.",
        granted_by=governance_admin,
        expires_at=timezone.now() + timedelta(days=30),
    )

    body = scientist_client.post(LIST_URL, request_body(), format="json").json()

    assert body["decision"] == "approved"
    assert body["approvals"] == [approval.pk]
    assert body["waivers"] == [waiver.pk]
    assert body["evaluation"]["results"][0]["waived"] is True
    record = GateDecision.objects.get(environment__name="production")
    assert (record.approval_ids, record.waiver_ids) == ([approval.pk], [waiver.pk])


def test_a_request_lands_in_the_audit_trail_with_the_token_user(
    scientist_client, soaked, data_scientist
):
    response = scientist_client.post(
        LIST_URL, request_body(), format="json", REMOTE_ADDR="10.1.2.3"
    )

    deployment = Deployment.objects.get(pk=response.json()["id"])
    deployment_entry = LogEntry.objects.get_for_object(deployment).get()
    decision_entry = LogEntry.objects.get_for_object(deployment.gate_decision).get()
    for entry in (deployment_entry, decision_entry):
        assert entry.action == LogEntry.Action.CREATE
        assert (entry.actor, entry.remote_addr) == (data_scientist, "10.1.2.3")
    assert deployment_entry.changes["status"] == ["None", "approved"]
    assert decision_entry.changes["decision"] == ["None", "approved"]
    assert "evaluation" not in decision_entry.changes  # excluded when registered


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"model": "nope"}, "model"),
        ({"version": 99}, "version"),
        ({"environment": "moon"}, "environment"),
        ({"strategy": "canary"}, "traffic_percent"),
        ({"strategy": "canary", "traffic_percent": 0}, "traffic_percent"),
        ({"strategy": "canary", "traffic_percent": 100}, "traffic_percent"),
        ({"strategy": "full", "traffic_percent": 50}, "traffic_percent"),
        ({"strategy": "blue-green"}, "strategy"),
        ({"colour": "blue"}, "colour"),
        ({"version": "seven"}, "version"),
        # Python reads Arabic-Indic, Devanagari and superscript digits as
        # numbers; the query string refuses them, and so does the body.
        ({"version": "\u0667"}, "version"),
        ({"version": "\u096d"}, "version"),
        ({"version": "0_7"}, "version"),
        ({"strategy": "canary", "traffic_percent": "\u0665\u0660"}, "traffic_percent"),
    ],
)
@pytest.mark.parametrize("url", [CHECK_URL, LIST_URL])
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(
    scientist_client, approved, overrides, field, url
):
    response = scientist_client.post(url, request_body(**overrides), format="json")

    assert response.status_code == 400
    assert field in response.json()["error"]["details"]
    assert not GateDecision.objects.exists()
    assert not Evaluation.objects.filter(trigger="gate").exists()


def test_a_missing_field_is_named(scientist_client, approved):
    response = scientist_client.post(LIST_URL, {"model": "churn"}, format="json")

    assert response.status_code == 400
    assert {"version", "environment"} <= set(response.json()["error"]["details"])


def test_another_teams_model_is_not_found_for_requests(
    api_client_for, other_data_scientist, approved
):
    response = api_client_for(other_data_scientist).post(
        LIST_URL, request_body(), format="json"
    )

    assert response.status_code == 404
    assert not GateDecision.objects.exists()


def test_a_data_scientist_in_no_team_is_forbidden_to_request(api_client_for, approved):
    teamless = UserFactory(username="teamless", roles=["data_scientist"])

    response = api_client_for(teamless).post(LIST_URL, request_body(), format="json")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert "no team" in response.json()["error"]["message"]
    assert not GateDecision.objects.exists()


@pytest.mark.parametrize("role", ["viewer", "executive", "auditor"])
def test_read_only_roles_may_not_request(api_client_for, request, role, approved):
    client = api_client_for(request.getfixturevalue(role))

    assert client.post(LIST_URL, request_body(), format="json").status_code == 403
    assert client.get(LIST_URL).status_code == 200
    assert not Evaluation.objects.filter(trigger="gate").exists()


def test_a_user_without_a_role_is_refused_and_anonymous_must_log_in(
    api_client_for, no_role_user, anonymous_client, approved
):
    assert (
        api_client_for(no_role_user)
        .post(CHECK_URL, request_body(), format="json")
        .status_code
        == 403
    )
    assert (
        anonymous_client.post(LIST_URL, request_body(), format="json").status_code
        == 401
    )


def test_a_service_account_with_the_role_may_request(api_client_for, soaked, team):
    bot = UserFactory(username="ci-bot", roles=["data_scientist"])
    team.members.add(bot)

    response = api_client_for(bot).post(LIST_URL, request_body(), format="json")

    assert response.status_code == 201
    assert response.json()["requested_by"] == "ci-bot"


# One check: the version with its model, the environment, deployments, five
# for the version's facts (version, tags, approvals, drift, and the latest
# performance and fairness reports that the performance_floor and
# fairness_gap rules read), its waivers, and the policies with their rules;
# the approval and waiver ids come from the same rows, and the token's
# resolution is cached since the warm-up. None depends on the size of the
# portfolio. On PostgreSQL they are still two round trips
# (mlgov.db.fetch_together): the monitoring query joins the pipeline.
CHECK_QUERIES = 10
# A recorded request: the check's ten, the decision, the deployment, both
# their audit entries in one INSERT, the webhook subscriptions, the version's
# MLflow origin (for the verdict tags written back to MLflow), and the
# savepoint's two (the request's transaction, nested in the test's), and the
# evaluation the gate made. The answer is built from the rows written, not
# read back.
REQUEST_QUERIES = 10 + 3 + 1 + 1 + 2 + 1


def grow_portfolio(churn, make_policy, governance_admin, reviewer, size):
    """More of everything the gate reads: models and versions, policies with
    rules, approvals, waivers, open drift alerts and deployments."""
    for index in range(size):
        other = ModelVersionFactory(
            model=MLModelFactory(name=f"other-{size}-{index}", team=churn.team),
            version=1,
            status="approved",
        )
        ModelVersionFactory(model=churn, version=100 * size + index, status="approved")
        Approval.objects.create(version=other, reviewer=reviewer, decision="approve")
        DriftAlertFactory(version=other, latest_report__version=other)
        DeploymentFactory(version=other)
        policy = make_policy(
            f"floor-{size}-{index}",
            [
                {
                    "kind": "metric_threshold",
                    "params": {"metric": "auc", "op": ">=", "value": 0.5},
                },
                {"kind": "min_approvals", "params": {"count": 1}},
            ],
        )
        Waiver.objects.create(
            version=other,
            policy=policy,
            rule_position=1,
            justification="Known gap, fixed in the next version.",
            granted_by=governance_admin,
            expires_at=timezone.now() + timedelta(days=30),
        )


@pytest.mark.parametrize("url", [CHECK_URL, LIST_URL])
def test_the_gate_costs_a_fixed_number_of_queries(
    scientist_client,
    soaked,
    django_assert_num_queries,
    churn,
    make_policy,
    governance_admin,
    url,
):
    reviewer = UserFactory(username="rita")
    expected = CHECK_QUERIES if url == CHECK_URL else REQUEST_QUERIES
    scientist_client.post(CHECK_URL, request_body(), format="json")  # warm caches
    Approval.objects.create(
        version=soaked.version, reviewer=reviewer, decision="approve"
    )

    for size in (1, 6):
        grow_portfolio(churn, make_policy, governance_admin, reviewer, size)
        with django_assert_num_queries(expected):
            response = scientist_client.post(url, request_body(), format="json")
        assert response.status_code in (200, 201)
        assert len(response.json()["approvals"]) == 1


# A start re-runs the gate: the latest monitoring reports are one of them.
START_QUERIES = 25


def test_a_start_costs_a_fixed_number_of_queries(
    scientist_client,
    soaked,
    django_assert_num_queries,
    churn,
    make_policy,
    governance_admin,
):
    reviewer = UserFactory(username="rita")
    Approval.objects.create(
        version=soaked.version, reviewer=reviewer, decision="approve"
    )

    def start_and_fail(measured):
        pk = scientist_client.post(LIST_URL, request_body(), format="json").json()["id"]
        with measured:
            response = scientist_client.post(f"{LIST_URL}{pk}/start/")
        assert response.status_code == 200, response.content
        scientist_client.post(f"{LIST_URL}{pk}/fail/")

    start_and_fail(nullcontext())  # warm caches
    for size in (1, 6):
        grow_portfolio(churn, make_policy, governance_admin, reviewer, size)
        start_and_fail(django_assert_num_queries(START_QUERIES))
