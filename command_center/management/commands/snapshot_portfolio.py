from django.core.management.base import BaseCommand

from command_center.services import take_portfolio_snapshot


class Command(BaseCommand):
    help = (
        "Record today's portfolio numbers for the compliance trend (run daily; "
        "a second run the same day updates today's row)."
    )

    def handle(self, *args, **options):
        snapshot, created = take_portfolio_snapshot()
        verb = "recorded" if created else "updated"
        rate = snapshot.models_compliance_rate
        self.stdout.write(
            f"Snapshot for {snapshot.day:%Y-%m-%d} {verb}: {snapshot.model_count} "
            f"models, {'—' if rate is None else f'{rate:.1%}'} compliant."
        )
