"""What the command center reads about deployments: what the gate decided in
the last 30 days, the ledger and a model's timeline, from deployments'
selectors. What serves where, and its verdict, come with the rows
(deployments.selectors.model_standings)."""

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, QuerySet
from django.utils import timezone

from deployments.models import Deployment
from deployments.selectors import deployment_ledger, gate_decisions_since

GATE_WINDOW_DAYS = 30
TOP_BLOCKING_REASONS = 5


def gate_decisions_last_30_days(*, now: datetime | None = None) -> dict[str, Any]:
    """Approved and blocked gate decisions of the last 30 days with the checks
    that blocked most often, in two queries."""
    now = now or timezone.now()
    decisions = gate_decisions_since(since=now - timedelta(days=GATE_WINDOW_DAYS))
    counts = {
        row["decision"]: row["n"]
        for row in decisions.order_by().values("decision").annotate(n=Count("pk"))
    }
    reasons: Counter[str] = Counter()
    for checks in decisions.filter(decision="blocked").values_list("checks", flat=True):
        reasons.update(check["check"] for check in checks if not check["passed"])
    return {
        "approved": counts.get("approved", 0),
        "blocked": counts.get("blocked", 0),
        "top_blocking_reasons": [
            {"check": check, "count": count}
            for check, count in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))[
                :TOP_BLOCKING_REASONS
            ]
        ],
    }


def deployment_timeline(*, model_id: int, limit: int = 50) -> list[Deployment]:
    """One model's ledger, newest request first."""
    return list(
        deployment_ledger()
        .filter(model_id=model_id)
        .order_by("-requested_at", "-id")[:limit]
    )


def deployment_list(
    *, since_days: int | None = None, now: datetime | None = None, **filters: Any
) -> QuerySet[Deployment]:
    """The ledger for the deployments page, filtered."""
    deployments = deployment_ledger(**filters)
    if since_days:
        since = (now or timezone.now()) - timedelta(days=since_days)
        deployments = deployments.filter(requested_at__gte=since)
    return deployments.order_by("-requested_at", "-id")
