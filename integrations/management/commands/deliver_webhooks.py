import signal
import time

from django.core.management.base import BaseCommand

from integrations.services import deliver_due, notify_expiring_waivers


class Command(BaseCommand):
    help = (
        "Deliver pending webhook events (signed, retried with backoff). Runs "
        "until stopped, or once with --once. Several workers may run at once on "
        "PostgreSQL; on SQLite run one. Also announces expiring waivers every "
        "--waiver-check-seconds."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="Deliver what is due, then stop."
        )
        parser.add_argument(
            "--idle-seconds",
            type=float,
            default=1.0,
            help="Pause when nothing is due (default 1).",
        )
        parser.add_argument(
            "--waiver-check-seconds",
            type=float,
            default=3600.0,
            help="How often to look for expiring waivers (default 3600; 0: never).",
        )

    def handle(self, *args, once, idle_seconds, waiver_check_seconds, **options):
        stopping = []
        if not once:
            for stop in (signal.SIGTERM, signal.SIGINT):
                signal.signal(stop, lambda *_: stopping.append(True))
        next_waiver_check = time.monotonic()
        delivered = 0
        while not stopping:
            if waiver_check_seconds and time.monotonic() >= next_waiver_check:
                notify_expiring_waivers()
                next_waiver_check = time.monotonic() + waiver_check_seconds
            done = deliver_due(limit=100)
            delivered += done
            if once and done < 100:
                break
            if not done:
                time.sleep(idle_seconds)
        self.stdout.write(f"{delivered} delivery attempt(s) made.")
