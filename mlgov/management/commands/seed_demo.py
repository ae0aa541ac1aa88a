from django.conf import settings
from django.core.management.base import BaseCommand

from command_center.demo import seed_snapshots
from drift.demo import seed_drift
from governance.demo import seed_governance
from registry.demo import seed_portfolio


class Command(BaseCommand):
    help = (
        "Create the demo portfolio across every app (idempotent) and print how "
        "to log in."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--models",
            type=int,
            default=settings.DEMO_MODELS_DEFAULT,
            help="How many models the portfolio should hold.",
        )
        parser.add_argument(
            "--versions",
            type=int,
            choices=range(1, 11),
            default=None,
            metavar="1-10",
            help="Versions per new model (default: one to four, varied).",
        )

    def handle(self, *args, models: int, versions: int | None, **options):
        result = seed_portfolio(
            models=models, versions_per_model=versions, progress=self.stdout.write
        )
        reports = seed_drift()
        self.stdout.write(f"drift: {reports} reports added")
        decisions = seed_governance()
        self.stdout.write(
            f"governance: policies in place, {decisions} review decisions added"
        )
        snapshots = seed_snapshots()
        self.stdout.write(f"command center: {snapshots} daily snapshots added")
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo portfolio ready: {result.models_created} models and "
                f"{result.versions_created} versions added."
            )
        )
        self.stdout.write(
            f"Log in as 'admin' (or any demo user: gina, rita, ravi, vera, eve, "
            f"arthur, ds-fraud, …) with the password: {result.password}"
        )
