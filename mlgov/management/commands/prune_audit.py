import contextvars
from datetime import UTC, datetime, time

from auditlog.context import set_actor
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_date

from mlgov.audit_chain import prune_audit_entries


class Command(BaseCommand):
    help = (
        "Retention: delete audit entries older than a date (the oldest part of "
        "the chain only) and record the pruning as an audited AuditRetention."
    )

    def add_arguments(self, parser):
        parser.add_argument("--before", required=True, help="YYYY-MM-DD (UTC)")
        parser.add_argument("--as", dest="username", required=True)
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, before, username, dry_run, **options):
        day = parse_date(before)
        if day is None:
            raise CommandError("--before must be a date, YYYY-MM-DD")
        cutoff = datetime.combine(day, time.min, tzinfo=UTC)
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username!r}")
        # auditlog's set_actor leaves its context variable set; a copied
        # context keeps the actor from outliving the command.
        result = contextvars.copy_context().run(
            self._prune, user=user, cutoff=cutoff, dry_run=dry_run
        )
        verb = "would delete" if dry_run else "deleted"
        self.stdout.write(
            f"{verb} {result.deleted} audit entries, through chain position "
            f"{result.through_position}"
        )

    @staticmethod
    def _prune(*, user, cutoff, dry_run):
        with set_actor(user):
            return prune_audit_entries(before=cutoff, dry_run=dry_run)
