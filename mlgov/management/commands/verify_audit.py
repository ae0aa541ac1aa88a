from django.core.management.base import BaseCommand, CommandError

from mlgov.audit_chain import verify_chain


class Command(BaseCommand):
    help = (
        "Walk the audit chain and name the first entry changed, inserted or "
        "deleted behind the application's back. Exits 1 when the chain is broken."
    )

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default")
        parser.add_argument(
            "--expect-head",
            metavar="HASH",
            help="A head hash recorded earlier outside the database (the whole "
            "chain rewritten by someone with full database access cannot match).",
        )

    def handle(self, *args, database, expect_head, **options):
        report = verify_chain(using=database)
        if not report.is_intact:
            raise CommandError(f"audit chain broken: {report.problem}")
        if expect_head and expect_head != report.head_hash:
            raise CommandError(
                f"audit chain head is {report.head_hash}, expected {expect_head}"
            )
        self.stdout.write(
            f"audit chain intact: {report.entries} entries, "
            f"head #{report.head_position} {report.head_hash}"
        )
