from django.core.management.base import BaseCommand

from integrations.notifications import send_review_reminders


class Command(BaseCommand):
    help = (
        "Remind eligible reviewers by e-mail of reviews waiting past half their "
        "SLA (REVIEW_SLA_DAYS), once per version and reviewer. Idempotent; the "
        "scheduler runs it hourly."
    )

    def handle(self, *args, **options):
        written = send_review_reminders()
        self.stdout.write(f"{written} review reminder(s) written.")
