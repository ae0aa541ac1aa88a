import os
import sys
import time

from auditlog.context import set_actor
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from integrations.mlflow_client import MlflowClient, MlflowError
from integrations.services import ImportRow, import_mlflow_models
from mlgov.exceptions import DomainError
from registry.models import MLModel, Team


def _versions(pairs: list[tuple[int, int]]) -> str:
    return ", ".join(f"{mlflow}→v{mlgov}" for mlflow, mlgov in pairs) or "-"


class Command(BaseCommand):
    help = (
        "Import registered models and their versions from an MLflow tracking "
        "server into TEAM, as the user named by --as: new models, and a draft per "
        "new MLflow version (artifact_uri models:/NAME/N, the run's metrics and "
        "params). Idempotent; all or nothing: any refusal exits 2 with nothing "
        "written. Credentials come from MLFLOW_TRACKING_TOKEN or "
        "MLFLOW_TRACKING_USERNAME/PASSWORD."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tracking-uri", required=True)
        parser.add_argument("--team", required=True, help="Team name (slug).")
        parser.add_argument(
            "--as", dest="username", required=True, help="The importing user."
        )
        parser.add_argument(
            "--model",
            dest="models",
            action="append",
            default=[],
            metavar="NAME",
            help="Only this MLflow model (repeatable); default: all.",
        )
        parser.add_argument(
            "--risk-tier",
            choices=MLModel.RiskTier.values,
            default=MLModel.RiskTier.MEDIUM,
            help="Tier of new models without an mlgov.risk_tier tag in MLflow.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would change only."
        )
        parser.add_argument(
            "--deadline",
            type=float,
            metavar="SECONDS",
            help="Give up, importing nothing, after this long "
            "(default: MLFLOW_IMPORT_DEADLINE_SECONDS).",
        )

    def handle(
        self,
        *args,
        tracking_uri,
        team,
        username,
        models,
        risk_tier,
        dry_run,
        deadline,
        **options,
    ):
        actor = get_user_model().objects.filter(username=username).first()
        if actor is None:
            raise CommandError(f"No user {username!r}.", returncode=2)
        team_row = Team.objects.filter(name=team).first()
        if team_row is None:
            raise CommandError(f"No team {team!r}.", returncode=2)
        seconds = (
            settings.MLFLOW_IMPORT_DEADLINE_SECONDS if deadline is None else deadline
        )
        if not seconds > 0:
            raise CommandError(
                "--deadline must be a positive number of seconds.", returncode=2
            )
        started = time.perf_counter()
        try:
            client = MlflowClient(
                tracking_uri,
                token=os.environ.get("MLFLOW_TRACKING_TOKEN", ""),
                username=os.environ.get("MLFLOW_TRACKING_USERNAME", ""),
                password=os.environ.get("MLFLOW_TRACKING_PASSWORD", ""),
                deadline_seconds=seconds,
                max_answer_bytes=settings.MLFLOW_IMPORT_MAX_ANSWER_BYTES,
                max_pages=settings.MLFLOW_IMPORT_MAX_PAGES,
            )
            self.stderr.write(f"Reading {tracking_uri} …")
            mlflow_models = client.read_models(models or None)
        except MlflowError as error:
            raise CommandError(
                f"{error} Nothing was imported.", returncode=2
            ) from error
        fetched = time.perf_counter()
        self.stderr.write(
            f"Read {len(mlflow_models)} model(s), "
            f"{sum(len(m.versions) for m in mlflow_models)} version(s) in "
            f"{fetched - started:.1f} s; importing{' (dry run)' if dry_run else ''} …"
        )
        try:
            with set_actor(actor):
                rows = import_mlflow_models(
                    actor=actor,
                    team=team_row,
                    tracking_uri=tracking_uri,
                    models=mlflow_models,
                    risk_tier=risk_tier,
                    dry_run=dry_run,
                    progress=self._progress,
                    deadline=client.deadline,
                )
        except DomainError as error:
            raise CommandError(error.message, returncode=2) from error
        self._summary(rows, dry_run=dry_run, seconds=time.perf_counter() - started)

    def _progress(self, index: int, total: int, row: ImportRow) -> None:
        if sys.stderr.isatty():
            self.stderr.write(f"\r[{index}/{total}] {row.name[:60]:<60}", ending="")
            if index == total:
                self.stderr.write("")
        elif row.changed or index == total or index % 100 == 0:
            self.stderr.write(f"[{index}/{total}] {row.name}: {row.action}")

    def _summary(self, rows: list[ImportRow], *, dry_run: bool, seconds: float) -> None:
        header = (
            "model",
            "action",
            "versions added (mlflow→mlgov)",
            "updated",
            "unchanged",
        )
        table = [
            (
                row.name,
                row.action,
                _versions(row.versions_added),
                str(len(row.versions_updated)),
                str(row.versions_unchanged),
            )
            for row in rows
        ]
        widths = [max(len(line[i]) for line in [header, *table]) for i in range(5)]
        for line in [header, tuple("-" * w for w in widths), *table]:
            self.stdout.write(
                "  ".join(
                    cell.ljust(w) for cell, w in zip(line, widths, strict=True)
                ).rstrip()
            )
        for row in rows:
            for note in row.skipped:
                self.stdout.write(f"note: {row.name} {note}")
        created = sum(row.action == "created" for row in rows)
        updated = sum(row.action == "updated" for row in rows)
        added = sum(len(row.versions_added) for row in rows)
        verb = "would be" if dry_run else "were"
        if not created and not updated:
            self.stdout.write(
                f"Nothing to import: all {len(rows)} model(s) are up to date "
                f"({seconds:.1f} s)."
            )
        else:
            self.stdout.write(
                f"{created} model(s) {verb} created, {updated} updated, "
                f"{len(rows) - created - updated} unchanged; {added} version(s) "
                f"{verb} added ({seconds:.1f} s)."
                + (" Dry run: nothing was written." if dry_run else "")
            )
