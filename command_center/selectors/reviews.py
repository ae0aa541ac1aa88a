"""What the reviewers' workspace shows: the queue with each review's
deadline, and everything a reviewer weighs on one version's review page.
Deadlines come from `governance.engine.review_clock`, verdicts from
`governance.selectors.evaluate_versions`: nothing here re-derives either."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from drift.constants import UNRESOLVED
from drift.models import DriftAlert, DriftReport
from drift.selectors import alert_list, report_list
from governance.engine import ReviewClock, RuleResult, Verdict, review_clock
from governance.models import Approval, ReviewAssignment, VersionComment, Waiver
from governance.selectors import (
    assignable_reviewers,
    evaluate_versions,
    version_approvals,
    version_assignments,
    version_comments,
    versions_awaiting_review,
    waiver_list,
)
from mlgov.actors import Actor
from mlgov.exceptions import NotFoundError
from mlgov.permissions import (
    can_administer_governance,
    can_assign_reviewers,
    can_comment_on_version,
    can_review,
    is_author,
)
from registry.constants import MODEL_CARD_FIELDS
from registry.models import ModelVersion
from registry.selectors import environment_names

# --- the queue ---------------------------------------------------------------


def clock_of(version: ModelVersion, *, now: datetime) -> ReviewClock:
    """A submitted version's review deadline at `now`."""
    assert version.submitted_at is not None, "only submitted versions have a clock"
    return review_clock(
        version.submitted_at, version.model.risk_tier, settings.REVIEW_SLA_DAYS, now
    )


@dataclass(frozen=True)
class QueueRow:
    """One version a reviewer may decide on, with its deadline."""

    version: ModelVersion
    clock: ReviewClock
    assigned: tuple[str, ...]
    is_assigned_to_me: bool

    @property
    def model(self) -> str:
        return self.version.model.name

    @property
    def number(self) -> int:
        return self.version.version


def review_queue(
    *, user: Actor, assigned_only: bool = False, now: datetime | None = None
) -> list[QueueRow]:
    """The versions `user` may decide on, soonest due first (ties: oldest
    submission, then model name), in two queries."""
    now = now or timezone.now()
    rows = []
    for version in versions_awaiting_review(reviewer=user):
        assigned = [a.reviewer for a in version.review_assignments.all()]
        mine = any(reviewer.pk == user.pk for reviewer in assigned)
        if assigned_only and not mine:
            continue
        rows.append(
            QueueRow(
                version=version,
                clock=clock_of(version, now=now),
                assigned=tuple(reviewer.get_username() for reviewer in assigned),
                is_assigned_to_me=mine,
            )
        )
    rows.sort(key=lambda row: (row.clock.due_at, row.model, row.number))
    return rows


# --- the review page ---------------------------------------------------------


@dataclass(frozen=True)
class EnvironmentVerdict:
    """The version's verdict now, for the approval decision (environment
    None) or for deploying to one environment."""

    environment: str | None
    verdict: Verdict

    @property
    def label(self) -> str:
        return self.environment or "approval decision"


@dataclass(frozen=True)
class FailingRule:
    """A rule the version fails, unwaived, somewhere: what a waiver excuses."""

    policy: str
    rule: int
    kind: str
    enforcement: str
    detail: str

    @property
    def key(self) -> str:
        """How the waiver form names this rule."""
        return f"{self.policy}#{self.rule}"


@dataclass(frozen=True)
class WaiverLine:
    """A waiver of the version, with the rule it excuses as the evaluation
    names it (None when the policy no longer has or applies that rule)."""

    waiver: Waiver
    rule: RuleResult | None


@dataclass(frozen=True)
class MetricLine:
    """One metric, beside the previous version's value of it."""

    name: str
    value: float | None
    previous: float | None

    @property
    def delta(self) -> float | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous


@dataclass(frozen=True)
class ReviewPermissions:
    """What the signed-in user may do on the page."""

    can_decide: bool
    can_comment: bool
    can_assign: bool
    can_grant_waiver: bool


@dataclass(frozen=True)
class ReviewPage:
    """Everything a reviewer weighs before deciding on one version."""

    version: ModelVersion
    previous: ModelVersion | None
    clock: ReviewClock | None
    verdicts: tuple[EnvironmentVerdict, ...]
    failing_rules: tuple[FailingRule, ...]
    metrics: tuple[MetricLine, ...]
    model_card: tuple[tuple[str, str], ...]
    drift_reports: tuple[DriftReport, ...]
    open_alerts: tuple[DriftAlert, ...]
    approvals: tuple[Approval, ...]
    comments: tuple[VersionComment, ...]
    waivers: tuple[WaiverLine, ...]
    assignments: tuple[ReviewAssignment, ...]
    assignable: tuple[str, ...]
    permissions: ReviewPermissions
    decided: Approval | None

    @property
    def decision_verdict(self) -> Verdict:
        """The verdict the approval settles on."""
        return self.verdicts[0].verdict


def _failing_rules(verdicts: tuple[EnvironmentVerdict, ...]) -> tuple[FailingRule, ...]:
    seen: dict[tuple[str, int], FailingRule] = {}
    for item in verdicts:
        for result in item.verdict.results:
            if not result.passed and not result.waived:
                seen.setdefault((result.policy, result.rule), _failing(result))
    return tuple(sorted(seen.values(), key=lambda rule: (rule.policy, rule.rule)))


def _failing(result: RuleResult) -> FailingRule:
    return FailingRule(
        policy=result.policy,
        rule=result.rule,
        kind=result.kind,
        enforcement=result.enforcement,
        detail=result.detail,
    )


def _waiver_lines(
    waivers: Iterable[Waiver], verdicts: tuple[EnvironmentVerdict, ...]
) -> tuple[WaiverLine, ...]:
    rules = {
        (result.policy, result.rule): result
        for item in verdicts
        for result in item.verdict.results
    }
    return tuple(
        WaiverLine(waiver, rules.get((waiver.policy.name, waiver.rule_position)))
        for waiver in waivers
    )


def _metric_lines(
    version: ModelVersion, previous: ModelVersion | None
) -> tuple[MetricLine, ...]:
    before = previous.metrics if previous else {}
    names = sorted(set(version.metrics) | set(before))
    return tuple(
        MetricLine(
            name=name, value=version.metrics.get(name), previous=before.get(name)
        )
        for name in names
    )


DRIFT_REPORTS_SHOWN = 10


def review_page(
    *, name: str, number: int, user: Actor, now: datetime | None = None
) -> ReviewPage:
    """The review page's data for one version, or NotFoundError."""
    now = now or timezone.now()
    version = (
        ModelVersion.objects.select_related(
            "model__team", "created_by", "submitted_by", "parent"
        )
        .filter(model__name=name, version=number)
        .first()
    )
    if version is None:
        raise NotFoundError(f"No version {number} of a model named {name!r}.")
    previous = (
        ModelVersion.objects.filter(model_id=version.model_id, version__lt=number)
        .order_by("-version")
        .only("version", "metrics", "status")
        .first()
    )
    verdicts = evaluate_versions(
        versions=ModelVersion.objects.filter(pk=version.pk), now=now
    )
    environment_verdicts = tuple(
        EnvironmentVerdict(environment, verdicts.verdict(version.pk, environment))
        for environment in [None, *environment_names()]
    )
    approvals = tuple(version_approvals(version=version).order_by("created_at", "id"))
    decided = next((a for a in approvals if a.reviewer_id == user.pk), None)
    is_in_review = version.status == ModelVersion.Status.IN_REVIEW
    can_assign = can_assign_reviewers(user) and is_in_review
    permissions = ReviewPermissions(
        can_decide=is_in_review
        and can_review(user)
        and not is_author(user, version)
        and decided is None,
        can_comment=can_comment_on_version(user, version.model),
        can_assign=can_assign,
        can_grant_waiver=can_administer_governance(user)
        and not is_author(user, version),
    )
    assignments = tuple(version_assignments(version=version))
    assigned_ids = {assignment.reviewer_id for assignment in assignments}
    return ReviewPage(
        version=version,
        previous=previous,
        clock=clock_of(version, now=now) if version.submitted_at else None,
        verdicts=environment_verdicts,
        failing_rules=_failing_rules(environment_verdicts),
        metrics=_metric_lines(version, previous),
        model_card=tuple(
            (field, str(version.model_card.get(field) or ""))
            for field in MODEL_CARD_FIELDS
        ),
        drift_reports=tuple(
            report_list(model=name, version=number).order_by("-window_end", "-id")[
                :DRIFT_REPORTS_SHOWN
            ]
        ),
        open_alerts=tuple(alert_list(model=name, version=number, status=UNRESOLVED)),
        approvals=approvals,
        comments=tuple(version_comments(version=version)),
        waivers=_waiver_lines(
            waiver_list(model=name, version=number), environment_verdicts
        ),
        assignments=assignments,
        assignable=tuple(
            candidate.get_username()
            for candidate in assignable_reviewers(version=version)
            if candidate.pk not in assigned_ids
        )
        if can_assign
        else (),
        permissions=permissions,
        decided=decided,
    )
