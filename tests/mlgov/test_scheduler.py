"""run_scheduler: the periodic jobs run once per period, however many
schedulers run (mlgov.scheduler)."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from command_center.models import PortfolioSnapshot
from mlgov import scheduler
from mlgov.scheduler import Job, due_slot, run_due_jobs

DAILY = Job("daily_job", every="day", offset=timedelta(minutes=15))
HOURLY = Job("hourly_job", every="hour", offset=timedelta(minutes=5))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class Recorder:
    """Stands in for call_command: records each job run, fails on request."""

    def __init__(self, failing: frozenset[str] = frozenset()):
        self.runs: list[str] = []
        self.failing = failing
        self.lock = threading.Lock()

    def __call__(self, command, *args, stdout, stderr):
        with self.lock:
            self.runs.append(command)
        if command in self.failing:
            raise CommandError(f"{command} broke")
        stdout.write(f"{command} done")


class TestDueSlot:
    def test_a_daily_job_is_due_from_its_offset_until_the_day_ends(self):
        assert due_slot(DAILY, at("2026-12-03T00:14:59")) is None
        assert due_slot(DAILY, at("2026-12-03T00:15:00")) == "2026-12-03"
        assert due_slot(DAILY, at("2026-12-03T23:59:59")) == "2026-12-03"
        assert due_slot(DAILY, at("2026-12-04T00:00:00")) is None

    def test_an_hourly_job_has_one_slot_per_hour(self):
        assert due_slot(HOURLY, at("2026-12-03T14:04:00")) is None
        assert due_slot(HOURLY, at("2026-12-03T14:05:00")) == "2026-12-03T14"
        assert due_slot(HOURLY, at("2026-12-03T15:30:00")) == "2026-12-03T15"


class TestRunDueJobs:
    def test_a_due_job_runs_once_per_period_across_schedulers(self):
        runner = Recorder()
        now = at("2026-12-03T10:00:00")
        first = run_due_jobs(now=now, owner="a:1", schedule=[DAILY], runner=runner)
        second = run_due_jobs(
            now=now + timedelta(hours=3), owner="b:2", schedule=[DAILY], runner=runner
        )
        assert runner.runs == ["daily_job"]
        assert [o.state for o in first] == ["succeeded"]
        assert first[0].detail == "daily_job done"
        assert [(o.state, o.detail) for o in second] == [("skipped", "done:a:1")]

    def test_the_next_period_runs_again(self):
        runner = Recorder()
        for hour in ("10", "11"):
            run_due_jobs(
                now=at(f"2026-12-03T{hour}:30:00"),
                owner="a:1",
                schedule=[HOURLY],
                runner=runner,
            )
        assert runner.runs == ["hourly_job", "hourly_job"]

    def test_a_job_not_yet_due_does_not_run(self):
        runner = Recorder()
        outcomes = run_due_jobs(
            now=at("2026-12-03T00:10:00"), owner="a:1", schedule=[DAILY], runner=runner
        )
        assert outcomes == []
        assert runner.runs == []

    def test_concurrent_schedulers_run_a_job_exactly_once(self):
        started = threading.Barrier(8)
        runner = Recorder()
        now = at("2026-12-03T10:00:00")

        def tick(owner):
            started.wait()
            run_due_jobs(now=now, owner=owner, schedule=[DAILY], runner=runner)

        threads = [threading.Thread(target=tick, args=(f"host:{n}",)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert runner.runs == ["daily_job"]

    def test_a_failed_job_waits_for_its_retry_and_keeps_the_others_running(
        self, monkeypatch, log_lines
    ):
        runner = Recorder(failing=frozenset({"daily_job"}))
        now = at("2026-12-03T10:30:00")
        outcomes = run_due_jobs(
            now=now, owner="a:1", schedule=[DAILY, HOURLY], runner=runner
        )
        assert [(o.job, o.state) for o in outcomes] == [
            ("daily_job", "failed"),
            ("hourly_job", "succeeded"),
        ]
        assert outcomes[0].detail == "daily_job broke"
        failure = [line for line in log_lines() if line["level"] == "error"]
        assert failure[0]["message"] == "scheduler: daily_job failed for 2026-12-03"
        assert "daily_job broke" in failure[0]["exception"]

        # Within the retry delay another scheduler leaves it alone...
        again = run_due_jobs(now=now, owner="b:2", schedule=[DAILY], runner=runner)
        assert [(o.state, o.detail) for o in again] == [("skipped", "failed:a:1")]
        assert runner.runs == ["daily_job", "hourly_job"]

    def test_a_failed_job_is_tried_again_after_the_retry_delay(self, monkeypatch):
        # One second, so the claim's expiry is real (locmem and Redis alike).
        monkeypatch.setattr(scheduler, "RETRY_AFTER", timedelta(seconds=1))
        failing, fixed = Recorder(failing=frozenset({"daily_job"})), Recorder()
        now = at("2026-12-03T10:00:00")
        run_due_jobs(now=now, owner="a:1", schedule=[DAILY], runner=failing)
        deadline = timezone.now() + timedelta(seconds=10)
        outcomes = []
        while timezone.now() < deadline and not outcomes:
            outcomes = [
                o
                for o in run_due_jobs(
                    now=now, owner="b:2", schedule=[DAILY], runner=fixed
                )
                if o.state == "succeeded"
            ]
            threading.Event().wait(0.2)
        assert fixed.runs == ["daily_job"]

    def test_without_the_cache_no_job_runs(self, broken_cache):
        runner = Recorder()
        outcomes = run_due_jobs(
            now=at("2026-12-03T10:00:00"),
            owner="a:1",
            schedule=[DAILY],
            runner=runner,
        )
        assert runner.runs == []
        assert [(o.state, o.detail) for o in outcomes] == [
            ("skipped", "cache unavailable")
        ]


@pytest.mark.django_db
class TestCommand:
    @pytest.fixture
    def clock(self, monkeypatch):
        def set_now(text):
            monkeypatch.setattr(timezone, "now", lambda: at(text))

        return set_now

    def test_once_runs_the_real_jobs_due_and_a_second_scheduler_skips_them(
        self, clock, capsys
    ):
        clock("2026-12-03T03:10:00")
        call_command("run_scheduler", "--once")
        first = capsys.readouterr().out
        assert "snapshot_portfolio [2026-12-03] succeeded: Snapshot for 2026-12-03" in (
            first
        )
        assert "notify_expiring_waivers [2026-12-03T03] succeeded" in first
        assert "verify_audit [2026-12-03] succeeded: audit chain intact" in first
        assert "send_notification_digests [2026-12-03] succeeded" not in first
        assert PortfolioSnapshot.objects.filter(day="2026-12-03").count() == 1

        call_command("run_scheduler", "--once")
        second = capsys.readouterr().out
        assert "snapshot_portfolio [2026-12-03] skipped: done:" in second
        assert "succeeded" not in second

    def test_before_the_snapshot_offset_only_the_hourly_jobs_run(self, clock, capsys):
        clock("2026-12-03T00:10:00")
        call_command("run_scheduler", "--once")
        assert capsys.readouterr().out.splitlines() == [
            "notify_expiring_waivers [2026-12-03T00] succeeded: "
            "0 expiring waiver(s) announced.",
            "send_review_reminders [2026-12-03T00] succeeded: "
            "0 review reminder(s) written.",
        ]
        assert not PortfolioSnapshot.objects.exists()

    def test_once_exits_with_an_error_naming_the_failed_job(self, clock, monkeypatch):
        clock("2026-12-03T03:10:00")
        monkeypatch.setattr(
            scheduler,
            "SCHEDULE",
            (Job("verify_audit", every="day", args=("--expect-head", "f" * 64)),),
        )
        with pytest.raises(CommandError, match="failed: verify_audit"):
            call_command("run_scheduler", "--once")

    def test_a_tick_must_be_positive(self):
        with pytest.raises(CommandError, match="--tick-seconds must be positive"):
            call_command("run_scheduler", "--tick-seconds", "0")

    def test_list_prints_the_schedule(self, capsys):
        call_command("run_scheduler", "--list")
        out = capsys.readouterr().out
        assert "snapshot_portfolio: every day" in out
        assert "notify_expiring_waivers: every hour" in out
        assert "send_review_reminders: every hour" in out
        assert "send_notification_digests: every day" in out
