from datetime import UTC, datetime, timedelta

import pytest

from governance.engine import is_review_overdue, review_clock, review_due_at

SLA = {"critical": 3, "high": 5, "medium": 10, "low": 15}
SUBMITTED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(("tier", "days"), sorted(SLA.items()))
def test_due_date_is_the_tiers_days_after_submission(tier, days):
    assert review_due_at(SUBMITTED, tier, SLA) == SUBMITTED + timedelta(days=days)


def test_unknown_tier_is_refused_by_name():
    with pytest.raises(ValueError, match="'extreme'"):
        review_due_at(SUBMITTED, "extreme", SLA)


def test_a_review_is_overdue_only_after_its_deadline():
    due = SUBMITTED + timedelta(days=5)
    assert not review_clock(SUBMITTED, "high", SLA, now=due).overdue
    late = review_clock(SUBMITTED, "high", SLA, now=due + timedelta(seconds=1))
    assert late.overdue
    assert late.days_left == -1


def test_reminders_start_at_half_the_sla():
    half = SUBMITTED + timedelta(days=5)
    before = review_clock(SUBMITTED, "medium", SLA, now=half - timedelta(minutes=1))
    assert not before.past_half
    assert review_clock(SUBMITTED, "medium", SLA, now=half).past_half
    assert before.days_left == 5


def test_days_overdue_counts_whole_days_past_the_deadline_at_least_one():
    due = SUBMITTED + timedelta(days=3)

    def days_overdue(after: timedelta) -> int:
        return review_clock(SUBMITTED, "critical", SLA, now=due + after).days_overdue

    assert days_overdue(timedelta(0)) == 0
    assert days_overdue(timedelta(seconds=1)) == 1
    assert days_overdue(timedelta(days=2, hours=23)) == 2
    assert days_overdue(timedelta(days=3)) == 3


def test_a_version_not_in_review_is_never_overdue():
    long_ago = SUBMITTED - timedelta(days=400)

    assert not is_review_overdue(None, "critical", SLA, SUBMITTED)
    assert is_review_overdue(long_ago, "critical", SLA, SUBMITTED)
    assert not is_review_overdue(SUBMITTED, "low", SLA, SUBMITTED)
