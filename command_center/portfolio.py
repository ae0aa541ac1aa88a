"""The command center's arithmetic: pure functions from per-model rows to the
overview's numbers. No Django, no database, no clock: callers pass `now`.

The selectors gather one `ModelRow` per model in a constant number of queries;
everything the overview, the lists, the CSV and the API show is derived here,
so they cannot disagree."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from command_center.exposure import (
    Exposure,
    ExposureFacts,
    exposure,
    exposure_score,
)
from compliance.engine import CoverageCounts
from deployments.standing import EnvironmentStanding, canary_label, subject_label
from drift import constants as drift_vocabulary
from governance.engine import OverdueReview, Verdict
from registry import constants as registry_vocabulary

# The registry's tiers, gravest first: the order pages and tables show them in.
RISK_TIERS: tuple[str, ...] = tuple(reversed(registry_vocabulary.RISK_TIERS))

# Days allowed since the last approval before a model's review is overdue.
REVIEW_CADENCE_DAYS: Mapping[str, int] = {
    registry_vocabulary.RISK_CRITICAL: 180,
    registry_vocabulary.RISK_HIGH: 365,
    registry_vocabulary.RISK_MEDIUM: 730,
    registry_vocabulary.RISK_LOW: 1095,
}

# Readiness bands of the models list: (name, lowest score, label).
READINESS_BANDS: tuple[tuple[str, float, str], ...] = (
    ("ready", 80.0, "Ready (80-100)"),
    ("partial", 50.0, "Partly ready (50-79.9)"),
    ("low", 0.0, "Not ready (below 50)"),
)

ATTENTION_SIZE = 10

# The readiness score's parts as the model page lists them, in the order of
# governance's weights (DESIGN §2).
READINESS_PART_LABELS: Mapping[str, str] = {
    "rules": "Enforced rules passing",
    "approvals": "Approvals complete",
    "model_card": "Model card fields filled",
    "drift": "Drift health",
}
# The part obligation coverage adds where an enabled framework applies
# (governance.engine.OBLIGATIONS_WEIGHT), labelled and explained the same way.
OBLIGATIONS_PART_LABEL = "Obligations met"
OBLIGATIONS_PART_MEANING = (
    "Where an enabled obligation framework (EU AI Act, NIST AI RMF, ISO/IEC "
    "42001) applies to the model: its applicable obligations met (1) or partly "
    "met (0.5), over all of them. The other parts then share the rest of the "
    "100 points in their proportions; with no framework applying the part is "
    "left out."
)
# What each part measures, as the readiness help page explains it
# (docs/design.md, "Readiness").
READINESS_PART_MEANINGS: Mapping[str, str] = {
    "rules": (
        "The share of the enforced rules that apply to the version which pass "
        "or are covered by an active waiver. Advisory rules do not count; with "
        "no enforced rule the part is full."
    ),
    "approvals": (
        "Independent approvals (not by the version's author or submitter) "
        "against the most an enforced, unwaived minimum-approvals rule asks "
        "for, at most 1. With no such rule the part is full. While the "
        "version waits in review past its deadline (by risk tier) the part "
        "scores 0."
    ),
    "model_card": "The share of the model card's fields that are filled.",
    "drift": (
        "The health of the worst unresolved drift alert on the version, in any "
        "environment: none open is full health."
    ),
}


class FailingRule(NamedTuple):
    """An enforced, unwaived rule a version fails, and the engine's sentence."""

    version: int
    policy: str
    rule: int
    kind: str
    reason: str

    @property
    def name(self) -> str:
        """How the CSV names the rule: "floor rule 1 (metric_threshold)"."""
        return f"{self.policy} rule {self.rule} ({self.kind})"

    @classmethod
    def all_of(cls, version: int, verdict: Verdict) -> tuple[FailingRule, ...]:
        return tuple(
            cls(version, result.policy, result.rule, result.kind, result.detail)
            for result in verdict.failures
        )


class Compliance(NamedTuple):
    """A model's verdict in one environment as the pages show it: about the
    version that speaks for the model there (deployments.standing), named.
    A tuple: the portfolio's rows are cached, and tuples load fastest."""

    version: int
    is_serving: bool
    passed: bool
    reasons: tuple[str, ...] = ()
    canary_version: int | None = None
    canary_percent: int | None = None
    canary_passed: bool | None = None
    # The subject's failures, then the canary's.
    failures: tuple[FailingRule, ...] = ()

    @classmethod
    def of(cls, standing: EnvironmentStanding) -> Compliance:
        subject = standing.subject
        canary = subject.canary
        passed = standing.passed
        canary_verdict = standing.canary_verdict
        failures = FailingRule.all_of(subject.version.version, standing.verdict)
        if canary and canary_verdict:
            failures += FailingRule.all_of(canary.version.version, canary_verdict)
        return cls(
            subject.version.version,
            subject.is_serving,
            passed,
            () if passed else standing.verdict.reasons,
            canary.version.version if canary else None,
            canary.traffic_percent if canary else None,
            canary_verdict.passed if canary_verdict else None,
            failures,
        )

    @property
    def failing_rule_count(self) -> int:
        """The distinct rules failing on the versions this verdict speaks of."""
        return len({(failure.policy, failure.rule) for failure in self.failures})

    @property
    def label(self) -> str:
        return subject_label(self.version, serving=self.is_serving)

    @property
    def canary_label(self) -> str | None:
        if self.canary_version is None or self.canary_percent is None:
            return None
        return canary_label(self.canary_version, self.canary_percent)

    @property
    def serving_passes(self) -> tuple[bool, ...]:
        """Whether each version serving here passes: primary, then canary."""
        if not self.is_serving:
            return ()
        if self.canary_passed is None:
            return (self.passed,)
        return (self.passed, self.canary_passed)


class ModelRow(NamedTuple):
    """One model as the command center sees it: per environment, the verdict
    on the version that speaks for it there; readiness from the version that
    speaks in production. `compliance` has no entry for an environment where
    no version speaks (a model of drafts, or none). A tuple: every warm page
    loads the whole inventory's rows from the cache, and a dataclass with
    slots unpickles field by field, ten times slower."""

    model_id: int
    name: str
    display_name: str
    team: str
    team_display: str
    owner: str
    risk_tier: str
    registered_at: datetime
    versions: int
    compliance: Mapping[str, Compliance]
    readiness_label: str | None
    readiness: float | None
    readiness_points: Mapping[str, float]
    last_approved_at: datetime | None = None
    review_due: date | None = None
    # Unresolved drift alerts of any of its versions, per alert severity.
    open_alerts: Mapping[str, int] = {}
    overdue_review: OverdueReview | None = None
    # Per enabled framework id: (met, partly met, unmet) applicable obligations.
    coverage: Mapping[str, tuple[int, int, int]] = {}
    # predictive, llm_application or vendor_model (registry.constants.MODEL_KINDS).
    kind: str = registry_vocabulary.KIND_PREDICTIVE

    @property
    def unmet_obligations(self) -> int:
        """Unmet obligations over every enabled framework."""
        return sum(unmet for _met, _partly, unmet in self.coverage.values())

    def coverage_counts(self, framework: str | None = None) -> CoverageCounts | None:
        """Compliance's counts under one enabled `framework`, or summed over
        every enabled framework that applies; None when none applies."""
        if framework is not None:
            counts = self.coverage.get(framework)
            return None if counts is None else CoverageCounts(*counts)
        if not self.coverage:
            return None
        # Summed by hand: the list sorts 10,000 rows by this on a warm page.
        met = partly_met = unmet = 0
        for found_met, found_partly, found_unmet in self.coverage.values():
            met += found_met
            partly_met += found_partly
            unmet += found_unmet
        return CoverageCounts(met, partly_met, unmet)

    # The EU AI Act category the model's use-case intake derived.
    ai_act_category: str = "unassessed"

    @property
    def is_compliant(self) -> bool:
        """Whether the version speaking in production passes there."""
        return self.is_compliant_in(registry_vocabulary.PRODUCTION)

    def is_compliant_in(self, environment: str) -> bool:
        """Whether the version speaking in `environment` passes there."""
        found = self.compliance.get(environment)
        return found is not None and found.passed

    def is_overdue(self, today: date) -> bool:
        """Whether its review is past due on `today`."""
        return self.review_due is not None and self.review_due < today

    @property
    def exposure_facts(self) -> ExposureFacts:
        """What the exposure score reads about this model (command_center.exposure)."""
        overdue = self.overdue_review
        found = self.compliance.get(registry_vocabulary.PRODUCTION)
        serving_share = failing_share = 0
        only_canary_fails = False
        if found is not None and found.is_serving:
            serving_share = 100
            only_canary_fails = found.passed and found.canary_passed is False
            if only_canary_fails:
                failing_share = found.canary_percent or 0
            elif not found.passed:
                failing_share = 100
        return ExposureFacts(
            self.risk_tier,
            serving_share,
            failing_share,
            found.failing_rule_count if found is not None else 0,
            only_canary_fails,
            self.open_alerts.get(drift_vocabulary.SEVERITY_CRITICAL, 0),
            overdue.version if overdue else None,
            overdue.days_overdue if overdue else 0,
            self.unmet_obligations,
        )

    @property
    def exposure_score(self) -> float:
        """How exposed the model is in production now, 0-100."""
        return exposure_score(self.exposure_facts)

    @property
    def exposure(self) -> Exposure:
        """The exposure score with its top reason as a sentence."""
        return exposure(self.exposure_facts)

    @property
    def readiness_band(self) -> str | None:
        """The band of READINESS_BANDS the score falls in (None: no version)."""
        return readiness_band(self.readiness)


def readiness_band(score: float | None) -> str | None:
    """The name of the band `score` falls in; None for no score."""
    if score is None:
        return None
    for name, lowest, _label in READINESS_BANDS:
        if score >= lowest:
            return name
    return READINESS_BANDS[-1][0]


def review_due(
    *, risk_tier: str, last_approved_at: datetime | None, registered_at: datetime
) -> date:
    """When the next review is due: the tier's cadence after the last approval,
    or after registration for a model never approved."""
    since = last_approved_at or registered_at
    return (since + timedelta(days=REVIEW_CADENCE_DAYS[risk_tier])).date()


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def tier_compliance(
    rows: Sequence[ModelRow], environments: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """Per risk tier: models, compliant and not (in production), and per
    environment the compliant count and rate for the heat map, with how many
    of those verdicts speak about a serving version and how many about a
    candidate."""
    result: dict[str, dict[str, Any]] = {}
    for tier in RISK_TIERS:
        in_tier = [row for row in rows if row.risk_tier == tier]
        compliant = sum(row.is_compliant for row in in_tier)
        per_environment = {}
        for environment in environments:
            speaking = [
                found
                for row in in_tier
                if (found := row.compliance.get(environment)) is not None
            ]
            passing = sum(found.passed for found in speaking)
            serving = sum(found.is_serving for found in speaking)
            per_environment[environment] = {
                "compliant": passing,
                "compliance_rate": _rate(passing, len(in_tier)),
                "serving": serving,
                "candidates": len(speaking) - serving,
            }
        result[tier] = {
            "models": len(in_tier),
            "compliant": compliant,
            "non_compliant": len(in_tier) - compliant,
            "environments": per_environment,
        }
    return result


def overdue_reviews(rows: Sequence[ModelRow], today: date) -> dict[str, Any]:
    """How many models are past their review date, in total and per tier."""
    by_tier = dict.fromkeys(RISK_TIERS, 0)
    for row in rows:
        if row.is_overdue(today):
            by_tier[row.risk_tier] += 1
    return {"total": sum(by_tier.values()), "by_risk_tier": by_tier}


def attention(rows: Sequence[ModelRow], size: int = ATTENTION_SIZE) -> list[dict]:
    """The most exposed models, ties by lowest readiness, then by name; models
    without a version have nothing to deploy and are left out."""
    scored = [(row.exposure_score, row) for row in rows if row.readiness is not None]
    scored.sort(key=lambda pair: (-pair[0], pair[1].readiness, pair[1].name))
    return [
        {
            "model": row.name,
            "version": row.readiness_label,
            "readiness": row.readiness,
            "exposure": found.score,
            "reason": found.reason,
            "risk_tier": row.risk_tier,
            "team": row.team,
        }
        for row, found in ((row, row.exposure) for _score, row in scored[:size])
    ]


def obligation_coverage(
    rows: Sequence[ModelRow], frameworks: Sequence[tuple[str, str]]
) -> list[dict[str, Any]]:
    """Per enabled framework (id, title): the models it applies to, how many
    meet all their applicable obligations, and the obligations met, partly met
    and unmet over the portfolio."""
    result = []
    for framework, title in frameworks:
        counts = [
            found
            for row in rows
            if (found := row.coverage.get(framework)) is not None and any(found)
        ]
        result.append(
            {
                "framework": framework,
                "title": title,
                "models": len(counts),
                "models_fully_met": sum(
                    not partly and not unmet for _met, partly, unmet in counts
                ),
                "met": sum(found[0] for found in counts),
                "partly_met": sum(found[1] for found in counts),
                "unmet": sum(found[2] for found in counts),
            }
        )
    return result


def production_compliance(rows: Sequence[ModelRow]) -> dict[str, Any]:
    """The versions serving production (primaries and canaries of inventory
    models) and how many of them pass there now."""
    serving = [
        passed
        for row in rows
        if (found := row.compliance.get(registry_vocabulary.PRODUCTION))
        for passed in found.serving_passes
    ]
    compliant = sum(serving)
    return {
        "active": len(serving),
        "compliant": compliant,
        "compliance_rate": _rate(compliant, len(serving)),
    }


def summarize(
    *,
    rows: Sequence[ModelRow],
    versions: int,
    environments: Sequence[str],
    drift_alerts_open: Mapping[str, int],
    gate_decisions: Mapping[str, Any],
    today: date,
    frameworks: Sequence[tuple[str, str]] = (),
) -> dict[str, Any]:
    """The overview's numbers with DESIGN §3's field names."""
    compliant = sum(row.is_compliant for row in rows)
    return {
        "models": len(rows),
        "versions": versions,
        "models_compliant": compliant,
        "models_compliance_rate": _rate(compliant, len(rows)),
        "production": production_compliance(rows),
        "by_risk_tier": tier_compliance(rows, environments),
        "drift_alerts_open": {
            severity: drift_alerts_open.get(severity, 0)
            for severity in drift_vocabulary.ALERT_SEVERITIES
        },
        "gate_decisions_30d": gate_decisions,
        "overdue_reviews": overdue_reviews(rows, today),
        "attention": attention(rows),
        "obligation_coverage": obligation_coverage(rows, frameworks),
    }
