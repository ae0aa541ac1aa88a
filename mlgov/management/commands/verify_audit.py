from django.core.management.base import BaseCommand, CommandError

from mlgov.audit_chain import verify_chain
from mlgov.metrics import record_audit_verification
from mlgov.sealed_records import verify_records


class Command(BaseCommand):
    help = (
        "Walk the audit chain and name the first entry changed, inserted or "
        "deleted behind the application's back; then check every sealed record "
        "(gate decisions, rollout steps, and the deployments they make) against "
        "the chain, and that their guards are in place. Exits 1 on any problem."
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
        problems = [] if report.is_intact else [f"audit chain broken: {report.problem}"]
        if report.is_intact and expect_head and expect_head != report.head_hash:
            problems.append(
                f"audit chain head is {report.head_hash}, expected {expect_head}"
            )
        records = verify_records(using=database)
        problems += records.problems
        record_audit_verification(intact=not problems)
        if problems:
            raise CommandError("\n".join(problems))
        self.stdout.write(
            f"audit chain intact: {report.entries} entries, "
            f"head #{report.head_position} {report.head_hash}"
        )
        counts = ", ".join(
            f"{count} {noun}s" for noun, count in records.checked.items()
        )
        self.stdout.write(f"sealed records match the chain: {counts}")
        for noun, count in records.unverifiable.items():
            self.stdout.write(
                f"{count} {noun}s recorded before sealing or older than the "
                "retained audit trail: not verifiable"
            )
