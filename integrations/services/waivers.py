"""The scheduled check that announces waivers about to expire."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from governance.models import Waiver
from integrations.models import WaiverExpiryNotice
from mlgov.events import announce


def notify_expiring_waivers(*, now: datetime | None = None) -> list[Waiver]:
    """Announce `waiver.expiring` once for each active waiver that expires
    within WEBHOOK_WAIVER_NOTICE_DAYS; running it again announces nothing new."""
    now = now or timezone.now()
    horizon = now + timedelta(days=settings.WEBHOOK_WAIVER_NOTICE_DAYS)
    candidates = list(
        Waiver.objects.active(now)
        .filter(expires_at__lte=horizon, expiry_notices__isnull=True)
        .select_related("version__model", "policy", "granted_by")
        .order_by("expires_at", "pk")
    )
    announced = []
    for waiver in candidates:
        with transaction.atomic():
            _, created = WaiverExpiryNotice.objects.get_or_create(
                waiver=waiver,
                defaults={"expires_at": waiver.expires_at, "notified_at": now},
            )
            if not created:
                continue
            announce(
                "waiver.expiring",
                waiver_id=waiver.pk,
                model=waiver.version.model.name,
                version=waiver.version.version,
                policy=waiver.policy.name,
                rule=waiver.rule_position,
                expires_at=waiver.expires_at.isoformat().replace("+00:00", "Z"),
                granted_by=waiver.granted_by.get_username(),
            )
        announced.append(waiver)
    return announced
