"""Demo history for the command center: six months of daily portfolio
snapshots ending with today's real numbers, so the trend has a shape from the
first start. Past days are synthesised (there was no portfolio to measure) and
marked as the demo's; today's row is a real snapshot, as the daily job would
write it. Idempotent: days that have a snapshot are never touched."""

import math
import random
from datetime import datetime, timedelta

from command_center.models import PortfolioSnapshot
from command_center.services import take_portfolio_snapshot
from mlgov.demo import DemoRun, mark_as_demo

DEMO_DAYS = 183


def seed_command_center_demo(run: DemoRun) -> str:
    """The command center's demo step."""
    added = seed_snapshots(now=run.now)
    return f"{added} daily snapshots added for the compliance trend"


def seed_snapshots(*, days: int = DEMO_DAYS, now: datetime | None = None) -> int:
    """Add the missing daily snapshots of the last `days` days; returns how many."""
    today_row, _ = take_portfolio_snapshot(now=now)
    existing = set(
        PortfolioSnapshot.objects.filter(
            day__gt=today_row.day - timedelta(days=days)
        ).values_list("day", flat=True)
    )
    rng = random.Random(11)
    final = today_row.models_compliance_rate or 0.0
    rows = []
    for back in range(days - 1, 0, -1):
        day = today_row.day - timedelta(days=back)
        if day in existing:
            continue
        # A slow climb towards today's rate with a dip mid-period and noise.
        progress = 1 - back / days
        rate = final - 0.12 * (1 - progress) - 0.04 * math.sin(progress * math.pi * 2)
        rate = min(max(rate + rng.uniform(-0.01, 0.01), 0.0), 1.0)
        models = max(0, round(today_row.model_count * (0.8 + 0.2 * progress)))
        compliant = min(models, round(models * rate))
        rows.append(
            PortfolioSnapshot(
                day=day,
                taken_at=today_row.taken_at - timedelta(days=back),
                model_count=models,
                version_count=round(today_row.version_count * (0.75 + 0.25 * progress)),
                models_compliant=compliant,
                models_compliance_rate=round(compliant / models, 3) if models else None,
                drift_alerts_warning=max(
                    0, today_row.drift_alerts_warning + rng.randint(-2, 3)
                ),
                drift_alerts_critical=max(
                    0, today_row.drift_alerts_critical + rng.randint(-1, 2)
                ),
                overdue_reviews=max(0, today_row.overdue_reviews + rng.randint(-2, 2)),
                summary={"demo": True},
            )
        )
    created = PortfolioSnapshot.objects.bulk_create(rows)
    mark_as_demo(PortfolioSnapshot, [row.pk for row in created])
    return len(created)
