import os
import signal
import socket
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.utils import timezone

from mlgov import scheduler


class Command(BaseCommand):
    help = (
        "Run the periodic jobs (mlgov.scheduler.SCHEDULE: snapshot_portfolio "
        "daily, notify_expiring_waivers and send_review_reminders hourly, "
        "send_notification_digests and verify_audit daily), each once "
        "per period however many schedulers run: a job is claimed in the shared "
        "cache (Redis) before it runs. Runs until stopped, or one tick with --once."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="Run what is due now, then stop."
        )
        parser.add_argument(
            "--tick-seconds",
            type=float,
            default=30.0,
            help="How often to look for due jobs (default 30).",
        )
        parser.add_argument(
            "--list",
            action="store_true",
            dest="show_schedule",
            help="Print the schedule and stop.",
        )

    def handle(self, *args, once, tick_seconds, show_schedule, **options):
        if show_schedule:
            for job in scheduler.SCHEDULE:
                self.stdout.write(
                    f"{job.command}: every {job.every}, {job.offset} after its start"
                )
            return
        if tick_seconds <= 0:
            raise CommandError("--tick-seconds must be positive.")
        owner = f"{socket.gethostname()}:{os.getpid()}"
        stopping: list[bool] = []
        if not once:
            for stop in (signal.SIGTERM, signal.SIGINT):
                signal.signal(stop, lambda *_: stopping.append(True))
        while not stopping:
            outcomes = scheduler.run_due_jobs(now=timezone.now(), owner=owner)
            for outcome in outcomes:
                line = f"{outcome.job} [{outcome.slot}] {outcome.state}"
                if outcome.detail:
                    line += f": {outcome.detail}"
                self.stdout.write(line)
            # Between ticks the scheduler holds no database connection (it
            # goes back to the pool). Nothing wraps a tick in a transaction
            # but a test, whose connection stays.
            for connection in connections.all(initialized_only=True):
                if not connection.in_atomic_block:
                    connection.close()
            if once:
                # A one-off run (a cron line, a Kubernetes CronJob) reports a
                # failed job by its exit status; the loop logs and retries.
                failed = [o.job for o in outcomes if o.state == "failed"]
                if failed:
                    raise CommandError(f"failed: {', '.join(failed)}")
                break
            deadline = time.monotonic() + tick_seconds
            while not stopping and time.monotonic() < deadline:
                time.sleep(min(1.0, tick_seconds))
