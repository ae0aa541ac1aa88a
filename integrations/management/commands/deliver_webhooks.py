import signal
import time
from collections.abc import Callable

from django.core.management.base import BaseCommand
from django.db import connection

from integrations.outbox import NOTIFY_CHANNEL
from integrations.services import (
    allowed_networks,
    deliver_due,
    notify_expiring_waivers,
    push_due_write_backs,
    send_due_emails,
)


def _idle_waiter(seconds: float) -> Callable[[], None]:
    """Wait up to `seconds` for new work: on PostgreSQL until an outbox
    NOTIFY arrives, elsewhere by sleeping."""
    if connection.vendor != "postgresql":
        return lambda: time.sleep(seconds)
    with connection.cursor() as cursor:
        cursor.execute(f"LISTEN {NOTIFY_CHANNEL}")
    listener = connection.connection

    def wait() -> None:
        for _ in listener.notifies(timeout=seconds, stop_after=1):
            pass

    return wait


class Command(BaseCommand):
    help = (
        "Deliver pending webhook events (signed, retried with backoff) and send "
        "pending e-mail notifications (retried with backoff). Runs "
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
            help="Longest pause when nothing is due (default 1); on PostgreSQL "
            "a new event ends the pause at once.",
        )
        parser.add_argument(
            "--waiver-check-seconds",
            type=float,
            default=3600.0,
            help="How often to look for expiring waivers (default 3600; 0: never).",
        )

    def handle(self, *args, once, idle_seconds, waiver_check_seconds, **options):
        allowed_networks()  # a malformed WEBHOOK_ALLOWED_NETWORKS stops it here
        stopping = []
        if not once:
            for stop in (signal.SIGTERM, signal.SIGINT):
                signal.signal(stop, lambda *_: stopping.append(True))
            # A supervisor (or a test) may stop the worker gracefully from here.
            self.stdout.write("Delivering webhooks until SIGTERM.")
            self.stdout.flush()
        next_waiver_check = time.monotonic()
        delivered = 0
        wait = _idle_waiter(idle_seconds)
        while not stopping:
            if waiver_check_seconds and time.monotonic() >= next_waiver_check:
                notify_expiring_waivers()
                next_waiver_check = time.monotonic() + waiver_check_seconds
            webhooks = deliver_due(limit=100)
            emails = send_due_emails(limit=100)
            write_backs = push_due_write_backs(limit=100)
            done = webhooks + emails + write_backs
            delivered += done
            if once and max(webhooks, emails, write_backs) < 100:
                break
            if not done:
                wait()
        self.stdout.write(f"{delivered} delivery attempt(s) made.")
