"""Plain values for the policy engine's tests: facts, rules, policies, results."""

from datetime import UTC, datetime, timedelta

from governance.engine import (
    MODEL_CARD_FIELDS,
    PolicySpec,
    RuleResult,
    RuleSpec,
    VersionFacts,
    evaluate,
)

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
CREATOR, SUBMITTER, ALICE, BOB, CAROL = 1, 2, 10, 11, 12
FULL_CARD = {name: f"About {name}." for name in MODEL_CARD_FIELDS}


def make_facts(**overrides: object) -> VersionFacts:
    values: dict[str, object] = {
        "version_id": 70,
        "model": "churn",
        "version": 7,
        "risk_tier": "high",
        "model_kind": "predictive",
        "tags": frozenset({"credit"}),
        "metrics": {"auc": 0.91, "latency_ms": 100.0},
        "model_card": dict(FULL_CARD),
        "approver_ids": frozenset({ALICE, BOB}),
        "creator_id": CREATOR,
        "submitter_id": SUBMITTER,
        "created_at": NOW - timedelta(days=10),
        "open_drift": {},
    }
    values.update(overrides)
    return VersionFacts(**values)  # type: ignore[arg-type]


def rule(kind: str, position: int = 1, **params: object) -> RuleSpec:
    return RuleSpec(position=position, kind=kind, params=params)


def policy(
    *rules: RuleSpec,
    name: str = "floor",
    revision: int = 1,
    enforcement: str = "enforce",
    risk_tiers: tuple[str, ...] = (),
    environments: tuple[str, ...] = (),
    tags: tuple[str, ...] = (),
    model_kinds: tuple[str, ...] = (),
) -> PolicySpec:
    return PolicySpec(
        name=name,
        revision=revision,
        enforcement=enforcement,
        risk_tiers=frozenset(risk_tiers),
        environments=frozenset(environments),
        tags=frozenset(tags),
        model_kinds=frozenset(model_kinds),
        rules=rules,
    )


def only_result(
    facts: VersionFacts, spec: RuleSpec, *, environment: str | None = None
) -> RuleResult:
    verdict = evaluate(facts, [policy(spec)], environment=environment, now=NOW)
    (result,) = verdict.results
    return result


def result(
    *, passed: bool, enforcement: str = "enforce", waived: bool = False
) -> RuleResult:
    return RuleResult(
        policy="p",
        revision=1,
        rule=1,
        kind="min_approvals",
        params={"count": 1},
        passed=passed,
        waived=waived,
        enforcement=enforcement,
        detail="",
    )
