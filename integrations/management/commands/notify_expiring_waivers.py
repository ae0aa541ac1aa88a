from django.core.management.base import BaseCommand

from integrations.services import notify_expiring_waivers


class Command(BaseCommand):
    help = (
        "Announce waiver.expiring once for each waiver expiring within "
        "WEBHOOK_WAIVER_NOTICE_DAYS. Idempotent; run it hourly from cron or a "
        "systemd timer (deliver_webhooks also runs it every hour)."
    )

    def handle(self, *args, **options):
        waivers = notify_expiring_waivers()
        for waiver in waivers:
            self.stdout.write(
                f"waiver {waiver.pk} ({waiver.version}, {waiver.policy.name} rule "
                f"{waiver.rule_position}) expires {waiver.expires_at:%Y-%m-%d %H:%M}Z"
            )
        self.stdout.write(f"{len(waivers)} expiring waiver(s) announced.")
