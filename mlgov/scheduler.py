"""The periodic jobs and who runs each one (`manage.py run_scheduler`).

Each job runs once per period (a day, an hour): the period's start plus the
job's offset makes it due, and it stays due until it has succeeded in that
period, so a scheduler started late catches up on the current period (never
on earlier ones). Any number of schedulers may run: before running a job for
a period, a scheduler claims it in the shared cache (Redis in production)
with an atomic add, so two schedulers never run the same job for the same
period, at the same time or one after the other. A claim is a lease: a
scheduler that dies mid-job leaves it to another once the lease expires. A
failed run is claimed for RETRY_AFTER, then tried again.

The jobs are named management commands, run by name: the kernel imports no
app (tests/test_architecture.py). Every job is idempotent (a second
snapshot the same day updates the day's row; a waiver is announced once, a
review reminder and a day's digest written once; verify_audit only reads),
so a claim lost with a flushed Redis costs at most one extra run, never a
wrong result.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.core.management import call_command

from mlgov.logging import log_event

PERIODS = {"day": timedelta(days=1), "hour": timedelta(hours=1)}
# A failed run is left alone this long, then tried again in the same period.
RETRY_AFTER = timedelta(minutes=15)
# Kept after a success beyond the period's end, so a scheduler whose clock is
# a little behind still sees the period done.
DONE_MARGIN = timedelta(hours=1)
KEY_PREFIX = "scheduler"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    command: str
    every: str  # a key of PERIODS
    offset: timedelta = timedelta(0)  # due this long after the period starts
    # Longer than the job ever runs: a second scheduler may take over a
    # claim only after it, when the first is presumed dead.
    lease: timedelta = timedelta(minutes=50)
    args: tuple[str, ...] = ()


SCHEDULE: tuple[Job, ...] = (
    # After the night's pipelines, as docs/operations.md's cron line had it.
    Job("snapshot_portfolio", every="day", offset=timedelta(minutes=15)),
    # The command's own advice: hourly (idempotent; a waiver is announced once).
    Job("notify_expiring_waivers", every="hour", offset=timedelta(minutes=5)),
    # After the waiver check, whose e-mails it does not touch; a reminder is
    # written once per version and reviewer.
    Job("send_review_reminders", every="hour", offset=timedelta(minutes=10)),
    # Before the working day in Europe; each user's digest is written once a day.
    Job("send_notification_digests", every="day", offset=timedelta(hours=6)),
    # What a missed MLflow webhook left behind: two hours back, so an hour's
    # run that failed is covered by the next (idempotent: a second run
    # finds nothing to reconcile).
    Job(
        "import_mlflow",
        every="hour",
        offset=timedelta(minutes=20),
        args=("--every-sync", "--since", "2h"),
    ),
    # Tamper evidence checked daily; a broken chain fails the job (exit 1)
    # and is logged as scheduler.job_failed at ERROR, every RETRY_AFTER.
    Job("verify_audit", every="day", offset=timedelta(hours=2)),
)


def period_start(job: Job, now: datetime) -> datetime:
    """The start of the period `now` falls in (UTC days and hours)."""
    start = now.replace(minute=0, second=0, microsecond=0)
    return start.replace(hour=0) if job.every == "day" else start


def due_slot(job: Job, now: datetime) -> str | None:
    """The period the job is due for at `now` (its key), or None before the
    period's offset has passed."""
    start = period_start(job, now)
    if now < start + job.offset:
        return None
    return start.strftime("%Y-%m-%d" if job.every == "day" else "%Y-%m-%dT%H")


@dataclass(frozen=True)
class Outcome:
    job: str
    slot: str
    state: str  # "succeeded" | "failed" | "skipped"
    detail: str = ""


def _key(job: Job, slot: str) -> str:
    return f"{KEY_PREFIX}:{job.command}:{slot}"


def _seconds(delta: timedelta) -> int:
    return max(1, int(delta.total_seconds()))


def run_job(
    job: Job,
    *,
    now: datetime,
    owner: str,
    runner: Callable[..., object] = call_command,
) -> Outcome | None:
    """Run `job` for its due period if no scheduler has claimed it; None
    when it is not due."""
    slot = due_slot(job, now)
    if slot is None:
        return None
    key = _key(job, slot)
    if not cache.add(key, f"running:{owner}", timeout=_seconds(job.lease)):
        holder = cache.get(key)
        # django-redis answers a failed add with a refusal too: without the
        # cache there is no claim, so the job waits rather than risk a
        # second run.
        detail = holder or "cache unavailable"
        return Outcome(job.command, slot, "skipped", str(detail))
    output = io.StringIO()
    try:
        runner(job.command, *job.args, stdout=output, stderr=output)
    except Exception as error:
        cache.set(key, f"failed:{owner}", timeout=_seconds(RETRY_AFTER))
        # At ERROR with the traceback, so Sentry and log alerts see it.
        logger.error("scheduler: %s failed for %s", job.command, slot, exc_info=True)
        log_event(
            "scheduler.job_failed",
            job=job.command,
            slot=slot,
            error=type(error).__name__,
            retry_in_seconds=_seconds(RETRY_AFTER),
        )
        return Outcome(job.command, slot, "failed", f"{error}")
    period_end = period_start(job, now) + PERIODS[job.every]
    cache.set(
        key,
        f"done:{owner}",
        timeout=_seconds(period_end - now + DONE_MARGIN),
    )
    log_event("scheduler.job_succeeded", job=job.command, slot=slot)
    return Outcome(job.command, slot, "succeeded", output.getvalue().strip())


def run_due_jobs(
    *,
    now: datetime,
    owner: str,
    schedule: Sequence[Job] | None = None,
    runner: Callable[..., object] = call_command,
) -> list[Outcome]:
    """One tick: every due job (of SCHEDULE unless given) not claimed
    elsewhere, in schedule order. A failing job does not keep the others
    from running."""
    outcomes = []
    for job in SCHEDULE if schedule is None else schedule:
        outcome = run_job(job, now=now, owner=owner, runner=runner)
        if outcome is not None:
            outcomes.append(outcome)
    return outcomes
