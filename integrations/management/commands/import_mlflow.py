import fnmatch
import os
import re
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from auditlog.context import set_actor
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from integrations.mlflow_client import MlflowClient, MlflowError
from integrations.models import MlflowSync
from integrations.services import (
    ImportRow,
    import_mlflow_models,
    models_to_reconcile,
)
from mlgov.actors import Actor
from mlgov.exceptions import DomainError
from registry.models import MLModel, Team

DURATION = re.compile(r"^(\d+)([mhd])$")
UNITS = {"m": "minutes", "h": "hours", "d": "days"}


@dataclass(frozen=True)
class Target:
    """One server to import from, into a team, as a user."""

    tracking_uri: str
    team: Team
    actor: Actor
    model_filter: str = "*"
    label: str = ""


def _since(value: str) -> datetime:
    """--since: a duration back from now (90m, 2h, 7d) or an ISO 8601 time."""
    if match := DURATION.match(value):
        amount, unit = match.groups()
        return timezone.now() - timedelta(**{UNITS[unit]: int(amount)})
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(
            f"--since must be a duration (90m, 2h, 7d) or an ISO 8601 time, not "
            f"{value!r}.",
            returncode=2,
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _versions(pairs: list[tuple[int, int]]) -> str:
    return ", ".join(f"{mlflow}→v{mlgov}" for mlflow, mlgov in pairs) or "-"


class Command(BaseCommand):
    help = (
        "Import registered models and their versions from an MLflow tracking "
        "server into TEAM, as the user named by --as: new models, and a draft per "
        "new MLflow version (artifact_uri models:/NAME/N, the run's metrics and "
        "params). Idempotent; all or nothing: any refusal exits 2 with nothing "
        "written. Credentials come from MLFLOW_TRACKING_TOKEN or "
        "MLFLOW_TRACKING_USERNAME/PASSWORD. With --sync or --every-sync, the "
        "server, team, user and model filter are the MLflow sync's; with "
        "--since, only models changed since then (or whose aliases moved) "
        "are read: the reconciliation that catches a missed webhook."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tracking-uri")
        parser.add_argument("--team", help="Team name (slug).")
        parser.add_argument("--as", dest="username", help="The importing user.")
        parser.add_argument(
            "--sync",
            dest="syncs",
            action="append",
            default=[],
            metavar="NAME",
            help="Import as this MLflow sync is set up (repeatable).",
        )
        parser.add_argument(
            "--every-sync",
            action="store_true",
            help="Import for every active MLflow sync.",
        )
        parser.add_argument(
            "--since",
            metavar="WHEN",
            help="Only models changed since WHEN (90m, 2h, 7d, or ISO 8601), "
            "or whose aliases differ from mlgov's.",
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
        syncs,
        every_sync,
        since,
        models,
        risk_tier,
        dry_run,
        deadline,
        **options,
    ):
        seconds = (
            settings.MLFLOW_IMPORT_DEADLINE_SECONDS if deadline is None else deadline
        )
        if not seconds > 0:
            raise CommandError(
                "--deadline must be a positive number of seconds.", returncode=2
            )
        since_time = _since(since) if since else None
        targets = self._targets(tracking_uri, team, username, syncs, every_sync)
        if not targets:
            self.stdout.write("No active MLflow sync: nothing to import.")
            return
        for target in targets:
            if target.label:
                self.stdout.write(target.label)
            self._import(
                target,
                models=models,
                since=since_time,
                risk_tier=risk_tier,
                dry_run=dry_run,
                seconds=seconds,
            )

    def _targets(
        self,
        tracking_uri: str | None,
        team: str | None,
        username: str | None,
        syncs: list[str],
        every_sync: bool,
    ) -> list[Target]:
        if syncs or every_sync:
            if tracking_uri or team or username:
                raise CommandError(
                    "--sync and --every-sync take the server, team and user from "
                    "the sync: leave out --tracking-uri, --team and --as.",
                    returncode=2,
                )
            rows = MlflowSync.objects.select_related("team", "account")
            rows = rows.active() if every_sync else rows.filter(name__in=syncs)
            found = list(rows)
            missing = sorted(set(syncs) - {sync.name for sync in found})
            if missing:
                raise CommandError(
                    f"No MLflow sync {', '.join(map(repr, missing))}.", returncode=2
                )
            return [
                Target(
                    tracking_uri=sync.tracking_uri,
                    team=sync.team,
                    actor=sync.account,
                    model_filter=sync.model_filter,
                    label=f"MLflow sync {sync.name} ({sync.tracking_uri}):",
                )
                for sync in found
            ]
        if not (tracking_uri and team and username):
            raise CommandError(
                "Give --tracking-uri, --team and --as, or --sync NAME, or "
                "--every-sync.",
                returncode=2,
            )
        actor = get_user_model().objects.filter(username=username).first()
        if actor is None:
            raise CommandError(f"No user {username!r}.", returncode=2)
        team_row = Team.objects.filter(name=team).first()
        if team_row is None:
            raise CommandError(f"No team {team!r}.", returncode=2)
        return [Target(tracking_uri=tracking_uri, team=team_row, actor=actor)]

    def _import(
        self,
        target: Target,
        *,
        models: list[str],
        since: datetime | None,
        risk_tier: str,
        dry_run: bool,
        seconds: float,
    ) -> None:
        tracking_uri = target.tracking_uri
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
            names = models or None
            if since is not None:
                changed = models_to_reconcile(
                    tracking_uri=tracking_uri,
                    changes=client.model_changes(),
                    since=since,
                    model_filter=target.model_filter,
                )
                names = [n for n in changed if not models or n in models]
                if not names:
                    self.stdout.write(
                        f"Nothing to reconcile: no model changed since "
                        f"{since:%Y-%m-%d %H:%M:%S} UTC."
                    )
                    return
            mlflow_models = [
                model
                for model in client.read_models(names)
                if fnmatch.fnmatchcase(model.name, target.model_filter)
            ]
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
            with set_actor(target.actor):
                rows = import_mlflow_models(
                    actor=target.actor,
                    team=target.team,
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
