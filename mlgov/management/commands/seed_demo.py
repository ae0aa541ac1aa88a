from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from mlgov.demo import DemoRun, demo_password, demo_password_file, demo_steps


class Command(BaseCommand):
    help = (
        "Create the demo portfolio across every app (idempotent; it touches only "
        "the rows it made) and print how to log in."
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
        password, is_new = demo_password()
        run = DemoRun(
            models=models,
            versions_per_model=versions,
            password=password,
            password_is_new=is_new,
            now=timezone.now(),
            progress=self.stdout.write,
        )
        for name, step in demo_steps():
            self.stdout.write(f"{name}: {step(run)}")
        self.stdout.write(self.style.SUCCESS("Demo portfolio ready."))
        self.stdout.write(
            f"Log in as 'admin' (or any demo user: gina, rita, ravi, vera, eve, "
            f"arthur, ds-fraud, …) with the password kept in "
            f"{demo_password_file()}: {password}"
        )
