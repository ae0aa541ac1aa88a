"""The counts path (`CountsPlan`, read by the models list, the CSV and the
overview) counts exactly what the rich path (`model_coverage`, read by the
obligations page and API) does, for every model and framework."""

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from compliance.engine import (
    AuditRetentionFacts,
    CountsPlan,
    CoverageCounts,
    CoverageFacts,
    DocumentRef,
    DriftReportRef,
    EnforcedRule,
    ProvenanceFacts,
    model_coverage,
    validate_obligation,
)
from compliance.packs import shipped_packs
from compliance.selectors import (
    coverage_counts_by_model,
    enabled_frameworks,
    portfolio_coverage,
)
from compliance.services import set_framework_enabled
from governance.engine import MonitoredReport
from registry.constants import AI_ACT_CATEGORIES, RISK_TIERS
from registry.models import MLModel
from tests.factories import MLModelFactory

NOW = datetime(2026, 12, 4, 12, tzinfo=UTC)
CARDS: tuple[dict[str, str], ...] = (
    {},
    {"intended_use": "Scoring.", "limitations": "  "},
    {
        name: "Filled."
        for name in (
            "intended_use",
            "limitations",
            "training_data",
            "evaluation_data",
            "ethical_considerations",
            "caveats",
        )
    },
)
RULES = (
    (),
    (EnforcedRule("floor", 1, "metric_threshold", False, False),),
    (
        EnforcedRule("floor", 1, "metric_threshold", True, False),
        EnforcedRule("drift", 1, "max_drift_severity", False, True),
        EnforcedRule("eyes", 2, "min_approvals", True, False),
    ),
)
MONITORING: tuple[dict[str, tuple[MonitoredReport, ...]], ...] = (
    {},
    {
        "production": (
            MonitoredReport("performance", "", NOW - timedelta(days=3), {}),
            MonitoredReport(
                "fairness",
                "sex",
                NOW - timedelta(days=200),
                {"disparate_impact_ratio": 0.9},
            ),
        )
    },
    {
        "staging": (
            MonitoredReport("performance", "", NOW - timedelta(days=1), {}),
            MonitoredReport(
                "fairness",
                "age",
                NOW - timedelta(days=2),
                {"disparate_impact_ratio": 0.5},
            ),
        )
    },
)
CUSTOM = validate_obligation(
    {
        "id": "x-1",
        "reference": "Internal 1",
        "title": "Fairness floor and documentation",
        "summary": "Fair enough, documented recently.",
        "evidence": [
            {
                "kind": "fairness_examined",
                "params": {"max_age_days": 30, "min_ratio": 0.8},
            },
            {"kind": "documentation_generated", "params": {"max_age_days": 30}},
            {"kind": "intake_answered", "params": {}},
        ],
    },
    custom=True,
)


def portfolio() -> list[CoverageFacts]:
    """Facts varied over every field the evidence kinds read: each category
    and tier, with and without a version, serving or not, and the evidence
    present, stale or missing."""
    found = []
    variations = itertools.product(
        AI_ACT_CATEGORIES, RISK_TIERS, (None, 1), (False, True), range(3)
    )
    for index, (category, tier, version, serving, shade) in enumerate(variations):
        found.append(
            CoverageFacts(
                model=f"m{index}",
                risk_tier=tier,
                ai_act_category=category,
                kind=("predictive", "llm_application", "vendor_model")[index % 3],
                intake_revision=(None, 1, 2)[shade],
                human_oversight_measures=("", "Reviewed weekly.", " ")[index % 3],
                human_oversight_contact=("", "risk@example.com")[index % 2],
                version=version,
                is_serving=serving and version is not None,
                model_card=CARDS[(shade + index) % 3],
                independent_approvals=(0, 1, 2)[(index // 3) % 3],
                enforced_rules=RULES[(shade + index // 2) % 3],
                production_deployment_id=(None, 7)[index % 2],
                latest_production_drift=(
                    None,
                    DriftReportRef(4, NOW - timedelta(days=2)),
                    DriftReportRef(5, NOW - timedelta(days=60)),
                )[(index // 5) % 3],
                oldest_unhandled_alert_at=(
                    None,
                    NOW - timedelta(days=20),
                    NOW - timedelta(days=1),
                )[(index // 7) % 3],
                unhandled_alerts=(index // 7) % 3,
                audit_retention=AuditRetentionFacts(
                    (None, timedelta(days=800), timedelta(days=4000))[shade]
                ),
                monitoring=MONITORING[(index // 2) % 3],
                provenance=(
                    ProvenanceFacts(),
                    ProvenanceFacts("ab" * 32, "s3://data", "openai", "gpt"),
                    ProvenanceFacts("ab" * 32, "", "openai", ""),
                )[(index // 4) % 3],
                latest_document=(
                    None,
                    DocumentRef(1, NOW - timedelta(days=90)),
                    DocumentRef(2, NOW - timedelta(days=5)),
                )[(index // 6) % 3],
            )
        )
    return found


def rich_counts(frameworks, facts: CoverageFacts) -> dict[str, CoverageCounts]:
    return {
        coverage.framework.id: coverage.counts
        for coverage in model_coverage(frameworks, facts, NOW)
    }


def test_the_counts_path_equals_the_rich_path_for_every_model_and_framework():
    packs = tuple(shipped_packs().values())
    frameworks = (packs[0].with_obligations((CUSTOM,)), *packs[1:])
    plan = CountsPlan(frameworks)
    models = portfolio()
    statuses_seen: set[str] = set()
    for facts in models:
        expected = rich_counts(frameworks, facts)
        assert plan.counts(facts, NOW) == expected, facts.model
        for counts in expected.values():
            statuses_seen.update(
                name for name in ("met", "partly_met", "unmet") if getattr(counts, name)
            )
    # The portfolio is varied enough to reach every status under each kind
    # of judgment, and nothing-applies (empty counts) too.
    assert statuses_seen == {"met", "partly_met", "unmet"}
    assert len({tuple(rich_counts(frameworks, f).values()) for f in models}) > 20


def test_a_plan_is_reused_across_models_without_carrying_one_models_evidence():
    frameworks = tuple(shipped_packs().values())
    plan = CountsPlan(frameworks)
    bare, *rest = portfolio()[::-1]
    for facts in (*rest, bare):
        assert plan.counts(facts, NOW) == rich_counts(frameworks, facts)


@pytest.mark.django_db
def test_the_selectors_counts_equal_the_portfolio_coverage_counts(
    scene, governance_admin
):
    for framework in shipped_packs():
        set_framework_enabled(actor=governance_admin, framework=framework, enabled=True)
    MLModelFactory(name="ledger", team=scene.credit.team)
    models = MLModel.objects.all()
    frameworks = enabled_frameworks()
    counts = coverage_counts_by_model(models, frameworks=frameworks)
    rich = portfolio_coverage(models, frameworks=frameworks)
    by_name = {model.pk: model.name for model in models}
    assert {by_name[pk]: found for pk, found in counts.items()} == {
        facts.model: {coverage.framework.id: coverage.counts for coverage in found}
        for facts, found in rich.models
    }
    assert len(counts) == 3
