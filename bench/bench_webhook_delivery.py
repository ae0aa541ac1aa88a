"""Benchmark: webhook delivery latency, from the commit of the change to the
receiver having the signed request, with `manage.py deliver_webhooks`
running as a separate process (woken by NOTIFY on PostgreSQL, polling
every second elsewhere), against a real
receiver on loopback. Also prints the per-attempt HTTP latency the worker
records, and the drain rate of a backlog.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/mlgov_bench
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/bench_webhook_delivery.py [events]
"""

import os
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mlgov.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.db import transaction  # noqa: E402

from integrations.models import DeliveryAttempt, WebhookSubscription  # noqa: E402
from integrations.outbox import enqueue_event  # noqa: E402
from mlgov.roles import Role  # noqa: E402
from tests.factories import UserFactory  # noqa: E402

PORT = int(os.environ.get("RECEIVER_PORT", "18712"))
received: dict[str, float] = {}


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        received[self.headers["Idempotency-Key"]] = time.time()
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def percentile(values: list[float], share: float) -> float:
    return sorted(values)[min(len(values) - 1, int(share * len(values)))]


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    server = ThreadingHTTPServer(("127.0.0.1", PORT), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    admin = UserFactory(username="bench-admin", roles=[Role.GOVERNANCE_ADMIN])
    subscription = WebhookSubscription.objects.create(
        name=f"bench-{int(time.time())}",
        url=f"http://127.0.0.1:{PORT}/hook",
        secret="bench-secret-0123456789",
        event_types=["version.approved"],
        created_by=admin,
    )
    worker = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "deliver_webhooks",
            "--waiver-check-seconds",
            "0",
        ],
        cwd=ROOT,
        env={**os.environ, "LOG_LEVEL": "WARNING"},
        stdout=subprocess.DEVNULL,
    )
    try:
        time.sleep(5)  # the worker's start-up
        committed: dict[str, float] = {}
        for index in range(count):
            with transaction.atomic():
                event = enqueue_event(
                    event_type="version.approved",
                    data={"model": "churn", "version": index},
                    subscriptions=[subscription],
                )
            committed[str(event.id)] = time.time()
            time.sleep(0.2)
        deadline = time.time() + 30
        while len(received) < count and time.time() < deadline:
            time.sleep(0.1)
        latencies = [(received[key] - at) * 1000 for key, at in committed.items()]
        print(
            f"commit → receipt over {count} events, worker idle (woken by NOTIFY "
            f"on PostgreSQL, else polling every 1 s): "
            f"p50 {percentile(latencies, 0.5):.0f} ms, "
            f"p95 {percentile(latencies, 0.95):.0f} ms, max {max(latencies):.0f} ms"
        )
        received.clear()
        started = time.time()
        with transaction.atomic():
            backlog = [
                enqueue_event(
                    event_type="version.approved",
                    data={"model": "churn", "version": index},
                    subscriptions=[subscription],
                )
                for index in range(500)
            ]
        while len(received) < len(backlog) and time.time() < started + 120:
            time.sleep(0.05)
        drained = time.time() - started
        print(
            f"backlog of 500 drained by one worker in {drained:.1f} s "
            f"({len(received) / drained:.0f} deliveries/s)"
        )
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        server.shutdown()
    attempts = list(
        DeliveryAttempt.objects.filter(delivery__subscription=subscription).values_list(
            "latency_ms", flat=True
        )
    )
    print(
        f"HTTP attempt latency recorded by the worker ({len(attempts)} attempts): "
        f"p50 {statistics.median(attempts):.1f} ms, "
        f"p95 {percentile(attempts, 0.95):.1f} ms "
        f"(at {datetime.now(UTC):%Y-%m-%d %H:%M}Z)"
    )


if __name__ == "__main__":
    main()
