"""The deployment gate: five checks over plain facts, every one reported, in
order. Pure: no Django, no database, no clock (callers pass `now`). The
governance check runs `governance.engine.evaluate`, the evaluator that the
evaluation endpoint and the simulation use, on the same facts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from deployments.constants import DECISION_APPROVED, DECISION_BLOCKED
from governance.constants import ENFORCE
from governance.engine import PolicySpec, Verdict, VersionFacts, WaiverSpec, evaluate
from registry.constants import VERSION_APPROVED


@dataclass(frozen=True)
class ServingPeriod:
    """When a deployment of the version served in the required environment."""

    started_at: datetime
    ended_at: datetime | None  # None: still serving


@dataclass(frozen=True)
class Rollout:
    """Another deployment of the model in progress in the target environment."""

    deployment_id: int
    version: int


@dataclass(frozen=True)
class GateFacts:
    """Everything the gate looks at for one request."""

    model: str
    version: int
    version_status: str
    environment: str
    required_environment: str | None
    min_soak_hours: int
    served_in_required: Sequence[ServingPeriod]
    frozen: bool
    freeze_reason: str
    frozen_by: str | None
    frozen_at: datetime | None
    rollouts_in_progress: Sequence[Rollout]
    version_facts: VersionFacts
    policies: Sequence[PolicySpec]
    waivers: Sequence[WaiverSpec] = ()


@dataclass(frozen=True)
class CheckResult:
    """One check's outcome with a sentence a person can act on."""

    check: str
    passed: bool
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {"check": self.check, "passed": self.passed, "detail": self.detail}


@dataclass(frozen=True)
class GateResult:
    """The decision, every check, advisory warnings and the verdict used."""

    checks: tuple[CheckResult, ...]
    warnings: tuple[str, ...]
    verdict: Verdict
    decision: str = field(init=False)

    def __post_init__(self) -> None:
        approved = all(check.passed for check in self.checks)
        decision = DECISION_APPROVED if approved else DECISION_BLOCKED
        object.__setattr__(self, "decision", decision)

    @property
    def is_approved(self) -> bool:
        return self.decision == DECISION_APPROVED

    @property
    def failing_checks(self) -> tuple[str, ...]:
        return tuple(check.check for check in self.checks if not check.passed)


def format_time(moment: datetime) -> str:
    """A UTC instant as the gate's sentences show it."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def format_hours(duration: timedelta) -> str:
    """Whole hours, or hours with one decimal under ten."""
    hours = duration.total_seconds() / 3600
    if hours < 10 and hours != int(hours):
        return f"{hours:.1f} h"
    return f"{int(hours)} h"


def check_version_status(facts: GateFacts) -> CheckResult:
    """Only approved versions deploy."""
    passed = facts.version_status == VERSION_APPROVED
    detail = f"version {facts.version} is {facts.version_status.replace('_', ' ')}"
    if not passed:
        detail += "; only approved versions may be deployed"
    return CheckResult("version_status", passed, detail)


def check_promotion_path(facts: GateFacts, *, now: datetime) -> CheckResult:
    """The version served in the required environment for the soak time.

    The longest single serving period counts: soak is continuous service."""
    required = facts.required_environment
    if required is None:
        return CheckResult(
            "promotion_path",
            True,
            f"{facts.environment} requires no earlier environment",
        )
    soak = timedelta(hours=facts.min_soak_hours)
    if not facts.served_in_required:
        return CheckResult(
            "promotion_path",
            False,
            f"never active in {required}; {facts.environment} requires "
            f"{facts.min_soak_hours} h there first",
        )
    longest = max(
        facts.served_in_required,
        key=lambda period: (period.ended_at or now) - period.started_at,
    )
    served = (longest.ended_at or now) - longest.started_at
    if served >= soak:
        return CheckResult(
            "promotion_path",
            True,
            f"active in {required} for {format_hours(served)} "
            f"(required {facts.min_soak_hours} h)",
        )
    detail = (
        f"active in {required} for {format_hours(served)} of the required "
        f"{facts.min_soak_hours} h"
    )
    if longest.ended_at is None:
        detail += f"; eligible from {format_time(longest.started_at + soak)}"
    else:
        detail += f"; it stopped serving there on {format_time(longest.ended_at)}"
    return CheckResult("promotion_path", False, detail)


def check_freeze(facts: GateFacts) -> CheckResult:
    """A frozen environment takes no deployment."""
    if not facts.frozen:
        return CheckResult("freeze", True, f"{facts.environment} is not frozen")
    who = f" by {facts.frozen_by}" if facts.frozen_by else ""
    since = f" since {format_time(facts.frozen_at)}" if facts.frozen_at else ""
    return CheckResult(
        "freeze",
        False,
        f"{facts.environment} is frozen{since}{who}: {facts.freeze_reason}",
    )


def check_governance(
    facts: GateFacts, *, now: datetime
) -> tuple[CheckResult, tuple[str, ...], Verdict]:
    """The governance verdict for the target environment; advisory failures
    become warnings, waived rules pass."""
    verdict = evaluate(
        facts.version_facts,
        facts.policies,
        environment=facts.environment,
        now=now,
        waivers=facts.waivers,
    )
    warnings = tuple(
        f"{result.policy} (advisory): {result.detail}" for result in verdict.warnings
    )
    if verdict.passed:
        enforced = sum(1 for r in verdict.results if r.enforcement == ENFORCE)
        waived = sum(1 for r in verdict.results if r.waived)
        detail = (
            f"the evaluation for {facts.environment} passes: "
            f"{enforced} enforced rule{'s' if enforced != 1 else ''} checked"
        )
        if waived:
            detail += f", {waived} waived"
        return CheckResult("governance", True, detail), warnings, verdict
    failures = verdict.failures
    reasons = "; ".join(f"{r.policy}: {r.detail}" for r in failures)
    detail = (
        f"the evaluation for {facts.environment} fails "
        f"{len(failures)} enforced rule{'s' if len(failures) != 1 else ''}: {reasons}"
    )
    return CheckResult("governance", False, detail), warnings, verdict


def check_no_concurrent_rollout(facts: GateFacts) -> CheckResult:
    """No other deployment of the model is rolling out in that environment."""
    if not facts.rollouts_in_progress:
        return CheckResult(
            "no_concurrent_rollout",
            True,
            f"no other rollout of {facts.model} is in progress in {facts.environment}",
        )
    others = ", ".join(
        f"deployment {r.deployment_id} (version {r.version})"
        for r in facts.rollouts_in_progress
    )
    return CheckResult(
        "no_concurrent_rollout",
        False,
        f"{others} of {facts.model} is in progress in {facts.environment}; "
        "complete or fail it first",
    )


def checks_before_service(
    facts: GateFacts, *, now: datetime
) -> tuple[CheckResult, CheckResult]:
    """The checks a move repeats when it puts a version into service (start,
    complete, promote): the freeze and the governance verdict, as the gate
    runs them. The others were settled by the request or by the move itself
    (the status table, the rollout lock)."""
    governance, _warnings, _verdict = check_governance(facts, now=now)
    return check_freeze(facts), governance


def run_gate(facts: GateFacts, *, now: datetime) -> GateResult:
    """Every check, in DESIGN's order; approved only when all pass."""
    governance, warnings, verdict = check_governance(facts, now=now)
    checks = (
        check_version_status(facts),
        check_promotion_path(facts, now=now),
        check_freeze(facts),
        governance,
        check_no_concurrent_rollout(facts),
    )
    return GateResult(checks=checks, warnings=warnings, verdict=verdict)
