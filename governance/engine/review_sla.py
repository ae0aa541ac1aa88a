"""When a version's review is due: each risk tier gives reviewers a number of
days from submission (settings.REVIEW_SLA_DAYS). Pure: callers pass `now`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple


@dataclass(frozen=True, slots=True)
class ReviewClock:
    """A review's deadline, read at `now`."""

    submitted_at: datetime
    due_at: datetime
    now: datetime

    @property
    def overdue(self) -> bool:
        return self.now > self.due_at

    @property
    def past_half(self) -> bool:
        """Waiting longer than half the SLA: reviewers are reminded from here."""
        return self.now >= self.submitted_at + (self.due_at - self.submitted_at) / 2

    @property
    def days_left(self) -> int:
        """Whole days until the deadline; negative once it has passed."""
        seconds = (self.due_at - self.now).total_seconds()
        return int(seconds // 86400)

    @property
    def days_overdue(self) -> int:
        """Whole days past the deadline, at least 1 once it has passed; 0
        while it has not."""
        if not self.overdue:
            return 0
        seconds = (self.now - self.due_at).total_seconds()
        return max(1, int(seconds // 86400))


class OverdueReview(NamedTuple):
    """A version waiting in review past its deadline, and by how many days."""

    version: int
    days_overdue: int


def review_due_at(
    submitted_at: datetime, risk_tier: str, sla_days: Mapping[str, int]
) -> datetime:
    """The moment a review submitted at `submitted_at` falls due."""
    try:
        days = sla_days[risk_tier]
    except KeyError:
        raise ValueError(f"No review SLA for risk tier {risk_tier!r}.") from None
    return submitted_at + timedelta(days=days)


def review_clock(
    submitted_at: datetime,
    risk_tier: str,
    sla_days: Mapping[str, int],
    now: datetime,
) -> ReviewClock:
    """The deadline of a review submitted at `submitted_at`, read at `now`."""
    return ReviewClock(
        submitted_at=submitted_at,
        due_at=review_due_at(submitted_at, risk_tier, sla_days),
        now=now,
    )


def is_review_overdue(
    in_review_since: datetime | None,
    risk_tier: str,
    sla_days: Mapping[str, int],
    now: datetime,
) -> bool:
    """Whether a version in review since `in_review_since` (None: not in
    review) is past its deadline at `now`."""
    if in_review_since is None:
        return False
    return review_clock(in_review_since, risk_tier, sla_days, now).overdue
