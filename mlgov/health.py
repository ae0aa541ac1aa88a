"""Health endpoints for load balancers and orchestrators."""

import logging
import uuid

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse

from mlgov.metrics import record_readiness_failure

logger = logging.getLogger(__name__)


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Touches nothing outside it."""
    return JsonResponse({"status": "ok"})


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logger.warning("readiness: database unreachable", exc_info=True)
        return False


def _cache_ok() -> bool:
    # django-redis is configured to swallow connection errors, so a failure
    # shows as a value that does not come back rather than as an exception.
    # A key of its own per probe: parallel probes sharing one key overwrote
    # each other's value and read as failures.
    probe = uuid.uuid4().hex
    key = f"readyz:probe:{probe}"
    try:
        cache.set(key, probe, timeout=10)
        ok = cache.get(key) == probe
        cache.delete(key)
    except Exception:
        ok = False
    if not ok:
        logger.warning("readiness: cache unreachable")
    return ok


def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: the database and the cache answer; 503 names what failed."""
    checks = {
        "database": "ok" if _database_ok() else "unavailable",
        "cache": "ok" if _cache_ok() else "unavailable",
    }
    failing = [name for name, state in checks.items() if state != "ok"]
    for name in failing:
        record_readiness_failure(check=name)
    return JsonResponse(
        {
            "status": "unavailable" if failing else "ok",
            "checks": checks,
            "failing": failing,
        },
        status=503 if failing else 200,
    )
