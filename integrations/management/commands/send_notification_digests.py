from django.core.management.base import BaseCommand

from integrations.services import send_digests


class Command(BaseCommand):
    help = (
        "Group each digest user's held notifications into one e-mail, once a "
        "day per user. The scheduler runs it daily; the worker sends them."
    )

    def handle(self, *args, **options):
        written = send_digests()
        self.stdout.write(f"{written} digest(s) written.")
