from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.apps import apps

from drift.quality import parse_performance
from drift.services import ingest_performance_report
from governance.selectors import version_facts
from governance.services import evaluate_version, run_simulation
from governance.simulation import compare_outcomes
from mlgov.exceptions import FieldError, PermissionDeniedError
from registry.models import Environment, ModelVersion
from tests.factories import MLModelFactory, ModelVersionFactory
from tests.governance.conftest import approvals, auc_floor

pytestmark = pytest.mark.django_db


@pytest.fixture
def portfolio(team, make_policy):
    make_policy("floor", [auc_floor(0.80)], environments=["production"])
    make_policy("review", [approvals(1)], risk_tiers=["high"], enforcement="advisory")
    for index, (tier, auc) in enumerate(
        [("high", 0.82), ("high", 0.95), ("low", 0.84), ("low", 0.70), ("medium", 0.86)]
    ):
        model = MLModelFactory(name=f"m-{index}", team=team, risk_tier=tier)
        ModelVersionFactory(
            model=model, version=1, status="approved", metrics={"auc": auc}
        )
    ModelVersionFactory(
        model=MLModelFactory(name="retired", team=team),
        version=1,
        status="retired",
        metrics={"auc": 0.1},
    )


def table_counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def test_raising_a_threshold_reports_the_newly_failing(portfolio, governance_admin):
    result = run_simulation(
        actor=governance_admin,
        upsert=[{"name": "floor", "rules": [auc_floor(0.85)]}],
        remove=[],
    )

    summary = result["summary"]
    assert summary["evaluated"] == 5 * 3
    assert summary["newly_failing"] == 2
    assert summary["newly_passing"] == 0
    assert summary["by_environment"]["production"]["newly_failing"] == 2
    assert summary["by_environment"]["staging"]["newly_failing"] == 0
    assert summary["by_risk_tier"]["high"]["newly_failing"] == 1
    assert summary["by_risk_tier"]["low"]["newly_failing"] == 1
    assert [
        (c["model"], c["environment"], c["before"], c["after"])
        for c in result["changes"]
    ] == [
        ("m-0", "production", True, False),
        ("m-2", "production", True, False),
    ]
    assert result["changes"][0]["reasons"] == ["auc 0.82 is below the minimum 0.85"]


def test_removing_a_policy_reports_the_newly_passing(portfolio, governance_admin):
    result = run_simulation(actor=governance_admin, upsert=[], remove=["floor"])

    assert result["summary"]["newly_passing"] == 1
    assert result["changes"][0]["model"] == "m-3"
    assert result["changes"][0]["reasons"] == ["auc 0.70 is below the minimum 0.80"]


def test_enforcing_an_advisory_policy_and_adding_a_new_one(portfolio, governance_admin):
    result = run_simulation(
        actor=governance_admin,
        upsert=[
            {"name": "review", "enforcement": "enforce"},
            {
                "name": "card",
                "rules": [
                    {"kind": "model_card_fields", "params": {"fields": ["caveats"]}}
                ],
                "scope": {"environments": ["staging"]},
            },
        ],
        remove=[],
    )

    summary = result["summary"]
    assert summary["by_environment"]["staging"]["newly_failing"] == 5
    # the two high-risk versions have no approvals: they fail everywhere
    assert summary["by_risk_tier"]["high"]["newly_failing"] == 2 * 3


def test_simulation_matches_a_direct_evaluation(
    portfolio, governance_admin, make_policy
):
    from governance.models import Policy

    production = Environment.objects.get(name="production")
    versions = list(ModelVersion.objects.filter(status="approved"))
    today = {
        version.model.name: evaluate_version(
            version=version, environment=production
        ).passed
        for version in versions
    }
    run = run_simulation(actor=governance_admin, upsert=[], remove=["floor"])
    changed = {(c["model"], c["environment"]): c["after"] for c in run["changes"]}

    # A simulation that reports no change at all must fail this test.
    assert changed == {("m-3", "production"): True}
    Policy.objects.filter(name="floor").delete()
    for version in versions:
        name = version.model.name
        direct = evaluate_version(version=version, environment=production)
        assert direct.passed == changed.get((name, "production"), today[name]), name


def test_simulation_writes_nothing(portfolio, governance_admin):
    before = table_counts()
    entries = LogEntry.objects.count()

    run_simulation(
        actor=governance_admin,
        upsert=[
            {"name": "floor", "rules": [auc_floor(0.99)]},
            {"name": "new", "rules": [approvals(3)]},
        ],
        remove=["review"],
    )

    assert table_counts() == before
    assert LogEntry.objects.count() == entries
    assert ModelVersion.objects.filter(status="approved").count() == 5


@pytest.mark.parametrize(
    ("upsert", "remove", "field"),
    [
        (
            [{"name": "floor", "rules": [{"kind": "metric_threshold", "params": {}}]}],
            [],
            "upsert[1].rules[1].params",
        ),
        ([{"name": "brand-new"}], [], "upsert[1].rules"),
        ([], ["ghost"], "remove"),
    ],
)
def test_bad_proposals_name_the_field(
    portfolio, governance_admin, upsert, remove, field
):
    with pytest.raises(FieldError) as error:
        run_simulation(actor=governance_admin, upsert=upsert, remove=remove)

    assert error.value.field.startswith(field)


def test_executives_may_simulate_and_reviewers_may_not(portfolio, executive, reviewer):
    assert (
        run_simulation(actor=executive, upsert=[], remove=[])["summary"]["evaluated"]
        == 15
    )
    with pytest.raises(PermissionDeniedError):
        run_simulation(actor=reviewer, upsert=[], remove=[])


@pytest.mark.parametrize("count", [3, 30])
def test_facts_are_gathered_in_a_constant_number_of_queries(
    team, reviewer, django_assert_num_queries, count
):
    for index in range(count):
        model = MLModelFactory(name=f"m-{index}", team=team, tags=["pii"])
        version = ModelVersionFactory(model=model, version=1, status="in_review")
        from governance.models import Approval

        Approval.objects.create(version=version, reviewer=reviewer, decision="approve")

    # versions, tags, approvals, open drift, latest monitoring reports
    with django_assert_num_queries(5):
        facts = version_facts(ModelVersion.objects.all())

    assert len(facts) == count
    first = next(iter(facts.values()))
    assert first.tags == {"pii"}
    assert first.approver_ids == {reviewer.pk}


def test_open_drift_feeds_the_drift_rule(team, make_policy):
    from tests.factories import DriftAlertFactory

    make_policy(
        "drift", [{"kind": "max_drift_severity", "params": {"severity": "warning"}}]
    )
    version = ModelVersionFactory(model=MLModelFactory(team=team), version=1)
    DriftAlertFactory(latest_report__version=version, severity="critical")
    DriftAlertFactory(
        latest_report__version=version,
        severity="warning",
        status="resolved",
        resolved_at="2026-01-01T00:00:00Z",
    )

    production = Environment.objects.get(name="production")
    verdict = evaluate_version(version=version, environment=production)

    assert not verdict.passed
    assert "critical" in verdict.results[0].detail


def _change(model, before, after, reasons, environment="production"):
    return {
        "model": model,
        "version": 1,
        "environment": environment,
        "before": before,
        "after": after,
        "reasons": reasons,
    }


def test_compare_outcomes_lists_only_where_two_runs_disagree():
    stricter = [
        _change("alpha", True, False, ["auc 0.90 is below the minimum 0.92"]),
        _change("delta", True, False, ["too old"], environment="staging"),
    ]
    looser = [
        _change("bravo", False, True, ["auc 0.70 is below the minimum 0.80"]),
        _change("delta", True, False, ["too old"], environment="staging"),
    ]

    rows = compare_outcomes(stricter, looser)

    assert rows == [
        {
            "model": "alpha",
            "version": 1,
            "environment": "production",
            "first_passes": False,
            "second_passes": True,
            "reasons": ["auc 0.90 is below the minimum 0.92"],
        },
        {
            "model": "bravo",
            "version": 1,
            "environment": "production",
            "first_passes": False,
            "second_passes": True,
            "reasons": ["auc 0.70 is below the minimum 0.80"],
        },
    ]
    assert compare_outcomes(stricter, stricter) == []
    assert [row["first_passes"] for row in compare_outcomes(looser, stricter)] == [
        True,
        True,
    ]


def test_a_proposed_performance_floor_fails_where_production_reports_miss_it(
    portfolio, governance_admin, data_scientist
):
    production = Environment.objects.get(name="production")
    for name, tp in (("m-0", 90), ("m-1", 50)):
        version = ModelVersion.objects.get(model__name=name)
        ingest_performance_report(
            actor=data_scientist,
            version=version,
            environment=production,
            window_start=version.created_at,
            window_end=version.created_at + timedelta(days=1),
            data=parse_performance(
                {"confusion_matrix": {"tp": tp, "fp": 5, "tn": 50, "fn": 100 - tp}},
                max_rows=1,
            ),
        )
    floor = {
        "kind": "performance_floor",
        "params": {"metric": "recall", "op": ">=", "value": 0.8},
    }

    result = run_simulation(
        actor=governance_admin,
        upsert=[
            {
                "name": "live-recall",
                "scope": {"environments": ["production"]},
                "rules": [floor],
            }
        ],
        remove=[],
    )

    changes = {c["model"]: c["reasons"] for c in result["changes"]}
    assert changes["m-1"] == ["recall 0.50 is below the minimum 0.80 in production"]
    assert changes["m-2"] == ["no performance report in production"]
    assert "m-0" not in changes
