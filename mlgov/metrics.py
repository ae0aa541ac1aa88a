"""Domain metrics for Prometheus, and the guarded /metrics endpoint.

Counters move when the services announce domain events: EVENT_COUNTERS maps
each event to a `record_*` helper (which keeps label values bounded). Gauges of
state are computed from the database when Prometheus scrapes, by collectors the
apps register (registry and drift, from their AppConfig.ready()). With
PROMETHEUS_MULTIPROC_DIR set (gunicorn.conf.py sets it) every worker writes its
counters there and a scrape of any worker reports the sum. The list is in
docs/operations.md.
"""

import hmac
import ipaddress
import logging
import os
import time
from collections.abc import Iterator, Mapping

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from mlgov.events import Subscriber, subscribe
from mlgov.http import client_ip

GATE_DECISIONS = Counter(
    "mlgov_gate_decisions_total",
    "Deployment gate decisions recorded, by outcome (approved | blocked).",
    ["outcome", "environment"],
)
GATE_CHECK_FAILURES = Counter(
    "mlgov_gate_check_failures_total",
    "Failing checks in recorded gate decisions, by check name.",
    ["check", "environment"],
)
DEPLOYMENT_MOVES = Counter(
    "mlgov_deployment_moves_total",
    "Deployment status moves (start, complete, fail, promote, rollback), by "
    "action and environment.",
    ["action", "environment"],
)
EVALUATIONS = Counter(
    "mlgov_evaluations_total",
    "Governance evaluations run, by verdict (passed | failed).",
    ["outcome", "environment"],
)
APPROVALS = Counter(
    "mlgov_approvals_total",
    "Reviewer decisions recorded, by decision (approve | reject).",
    ["decision"],
)
VERSION_SUBMISSIONS = Counter(
    "mlgov_version_submissions_total",
    "Model versions submitted for review, by the model's risk tier.",
    ["risk_tier"],
)
RATELIMIT_THROTTLED = Counter(
    "mlgov_ratelimit_throttled_total",
    "Requests refused with 429 by the rate limiter, by scope.",
    ["scope"],
)
RATELIMIT_CACHE_FAILURES = Counter(
    "mlgov_ratelimit_cache_failures_total",
    "Requests the rate limiter could not count because the cache failed, by "
    "what happened to them (allowed when failing open, refused otherwise).",
    ["outcome"],
)
CACHE_ERRORS = Counter(
    "mlgov_cache_errors_total",
    "Cache operations that failed and were ignored (Redis down or too slow).",
)
READINESS_FAILURES = Counter(
    "mlgov_readiness_failures_total",
    "Readiness probes (/readyz) that found a dependency failing, by check "
    "(database | cache).",
    ["check"],
)

ANY_ENVIRONMENT = "any"


def record_gate_decision(
    *, outcome: str, environment: str, failing_checks: list[str] | tuple[str, ...]
) -> None:
    """Count one recorded gate decision and each check that failed in it."""
    GATE_DECISIONS.labels(outcome=outcome, environment=environment).inc()
    for check in failing_checks:
        GATE_CHECK_FAILURES.labels(check=check, environment=environment).inc()


def record_deployment_move(*, action: str, environment: str) -> None:
    """Count one deployment move a client asked for."""
    DEPLOYMENT_MOVES.labels(action=action, environment=environment).inc()


def record_evaluation(*, passed: bool, environment: str | None = None) -> None:
    """Count one governance evaluation; no environment means environment-free."""
    EVALUATIONS.labels(
        outcome="passed" if passed else "failed",
        environment=environment or ANY_ENVIRONMENT,
    ).inc()


def record_approval(*, decision: str) -> None:
    """Count one reviewer decision (approve | reject)."""
    APPROVALS.labels(decision=decision).inc()


def record_version_submission(*, risk_tier: str) -> None:
    """Count one version sent to review."""
    VERSION_SUBMISSIONS.labels(risk_tier=risk_tier).inc()


def record_readiness_failure(*, check: str) -> None:
    """Count one /readyz answer on which `check` failed."""
    READINESS_FAILURES.labels(check=check).inc()


# The last `verify_audit` run, kept in the shared cache: the command runs in
# its own process (the scheduler, a CronJob), whose counters no scrape of an
# app server sees, while every app server reads the same Redis. Kept a week:
# the daily run refreshes it long before (docs/decisions.md).
AUDIT_VERIFICATION_KEY = "metrics:audit-verification"
AUDIT_VERIFICATION_TTL_SECONDS = 7 * 24 * 3600


def record_audit_verification(*, intact: bool) -> None:
    """Remember the outcome and time of a `verify_audit` run for the scrape."""
    cache.set(
        AUDIT_VERIFICATION_KEY,
        {"intact": intact, "at": time.time()},
        timeout=AUDIT_VERIFICATION_TTL_SECONDS,
    )


class AuditVerificationCollector(Collector):
    """mlgov_audit_verification_*: the last run's outcome and time, read from
    the cache at scrape time (0 and 0 when no run is known)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        last = cache.get(AUDIT_VERIFICATION_KEY) or {}
        yield GaugeMetricFamily(
            "mlgov_audit_verification_failed",
            "1 when the last verify_audit run found the audit chain or a sealed "
            "record broken, else 0 (also when no run is known).",
            value=0 if last.get("intact", True) else 1,
        )
        yield GaugeMetricFamily(
            "mlgov_audit_verification_last_run_timestamp_seconds",
            "Unix time of the last verify_audit run, passed or failed (0: none known).",
            value=float(last.get("at", 0)),
        )


class CacheErrorCounter(logging.Filter):
    """Logging filter on django-redis's logger: every error it swallows is
    logged there once, so counting the records counts the failures."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR:
            CACHE_ERRORS.inc()
        return True


# Domain events and the counters they move: the one place that maps them. The
# services announce events (mlgov.events); subscribe_event_counters() wires
# this table from MlgovConfig.ready(). A new app adds its rows here.
EVENT_COUNTERS: Mapping[str, Subscriber] = {
    "version.submitted": lambda event: record_version_submission(
        risk_tier=event["risk_tier"]
    ),
    "approval.recorded": lambda event: record_approval(decision=event["decision"]),
    "evaluation.computed": lambda event: record_evaluation(
        passed=event["passed"], environment=event["environment"]
    ),
    "deployment.requested": lambda event: record_gate_decision(
        outcome=event["decision"],
        environment=event["environment"],
        failing_checks=event["failing_checks"],
    ),
    "deployment.moved": lambda event: record_deployment_move(
        action=event["action"], environment=event["environment"]
    ),
}


def subscribe_event_counters() -> None:
    """Make every row of EVENT_COUNTERS count its event."""
    for event, counter in EVENT_COUNTERS.items():
        subscribe(event, counter)


# Gauges of state that apps compute from their tables at scrape time, by name;
# each app registers its own from AppConfig.ready().
state_collectors: dict[str, Collector] = {}


def register_state_collector(name: str, collector: Collector) -> None:
    """Add (or replace) a collector of state gauges to every scrape."""
    state_collectors[name] = collector


class _ProcessRegistry(Collector):
    """This process's default registry, as one collector among others."""

    def collect(self) -> Iterator:
        yield from REGISTRY.collect()


def scrape() -> bytes:
    """The metrics page: every worker's counters, then the state gauges."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ProcessRegistry())
    for collector in state_collectors.values():
        registry.register(collector)
    return generate_latest(registry)


def _is_allowed_address(address: str | None, allowed: list[str]) -> bool:
    if address is None:
        return False
    ip = ipaddress.ip_address(address)
    return any(ip in ipaddress.ip_network(entry, strict=False) for entry in allowed)


def can_scrape(request: HttpRequest) -> bool | None:
    """True when the caller may read /metrics; None when the endpoint is off
    (neither METRICS_TOKEN nor METRICS_ALLOWED_IPS configured)."""
    token = settings.METRICS_TOKEN
    allowed = settings.METRICS_ALLOWED_IPS
    if not token and not allowed:
        return None
    if token:
        scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            presented.strip().encode(), token.encode()
        ):
            return True
    return bool(allowed) and _is_allowed_address(client_ip(request), allowed)


def metrics_view(request: HttpRequest) -> HttpResponse:
    """GET /metrics for Prometheus; 404 when off, 403 for anyone not allowed."""
    allowed = can_scrape(request)
    if allowed is None:
        return HttpResponse("Not found.\n", status=404, content_type="text/plain")
    if not allowed:
        return HttpResponse(
            "Forbidden: /metrics needs METRICS_TOKEN or an allowed address.\n",
            status=403,
            content_type="text/plain",
        )
    return HttpResponse(scrape(), content_type=CONTENT_TYPE_LATEST)
