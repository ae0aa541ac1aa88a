"""Import registered models and their versions from MLflow: create or update
mlgov models and draft versions, all or nothing, attributed to the importer."""

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Field
from django.utils import timezone

from integrations.mlflow_answers import MlflowModel, MlflowVersion, shown
from integrations.models import MlflowModelLink, MlflowVersionLink
from mlgov.actors import Actor
from mlgov.exceptions import DomainError, PermissionDeniedError
from mlgov.permissions import can_write_for_team
from registry.constants import (
    DESCRIPTION_MAX_LENGTH,
    METRIC_NAME_MAX_LENGTH,
    MODEL_NAME_MAX_LENGTH,
    PROMPT_TEMPLATE_MAX_LENGTH,
)
from registry.models import MLModel, Team
from registry.services import create_version, register_model, update_model

SLUG = re.compile(rf"^[-a-zA-Z0-9_]{{1,{MODEL_NAME_MAX_LENGTH}}}$")
RISK_TIER_TAG = "mlgov.risk_tier"


class ImportRefusedError(DomainError):
    """The import would be wrong somewhere; nothing was written."""

    code = "import_refused"
    status_code = 400

    def __init__(self, problems: list[str]) -> None:
        super().__init__(
            f"Nothing was imported: {problems[0]}"
            if len(problems) == 1
            else "Nothing was imported:\n" + "\n".join(f"  - {p}" for p in problems),
            details={"problems": problems},
        )
        self.problems = problems


@dataclass
class ImportRow:
    """What the import did, or would do, to one model."""

    name: str
    action: str = "unchanged"  # created | updated | unchanged
    versions_added: list[tuple[int, int]] = field(default_factory=list)
    versions_updated: list[int] = field(default_factory=list)
    versions_unchanged: int = 0
    skipped: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.action != "unchanged"


def _problems(
    *,
    actor: Actor,
    team: Team,
    tracking_uri: str,
    models: list[MlflowModel],
) -> list[str]:
    problems = []
    if not can_write_for_team(actor, team.pk):
        raise PermissionDeniedError(
            f"{actor.get_username()} may not register models for team {team.name}."
        )
    existing = {
        model.name: model
        for model in MLModel.objects.filter(name__in=[m.name for m in models])
        .select_related("team")
        .prefetch_related("mlflow_links")
    }
    for mlflow_model in models:
        name = mlflow_model.name
        if not SLUG.match(name):
            problems.append(
                f"MLflow model {shown(name, 120)} cannot be an mlgov model name: "
                f"use up to {MODEL_NAME_MAX_LENGTH} letters, digits, hyphens or "
                "underscores (rename it in MLflow, or leave it out with --model)."
            )
            continue
        problems.extend(_oversized(mlflow_model))
        model = existing.get(name)
        if model is not None and model.team_id != team.pk:
            problems.append(
                f"mlgov model {name!r} belongs to team {model.team.name}, not "
                f"{team.name}."
            )
        link = next(iter(model.mlflow_links.all()), None) if model else None
        if link is not None and link.tracking_uri != tracking_uri:
            problems.append(
                f"mlgov model {name!r} was imported from {link.tracking_uri}, not "
                f"{tracking_uri}."
            )
        if model is not None and model.is_archived:
            problems.append(f"mlgov model {name!r} is archived; unarchive it first.")
    return problems


def _too_long(item: str, name: str, text: str, limit: int | None) -> list[str]:
    if limit is None or len(text) <= limit:
        return []
    return [
        f"{item}: {name} is {len(text):,} characters; mlgov allows at most {limit:,}."
    ]


def _too_large(item: str, name: str, value: Any) -> list[str]:
    # Free-form JSON (params, tags, aliases) has no limit of its own in the
    # registry; the API's is the request body, and so is the import's.
    cap = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    size = len(json.dumps(value).encode())
    if cap is None or size <= cap:
        return []
    return [
        f"{item}: {name} are {size:,} bytes as JSON; the registry API takes at most "
        f"{cap:,} bytes in one request (DATA_UPLOAD_MAX_MEMORY_SIZE)."
    ]


def _oversized(mlflow_model: MlflowModel) -> list[str]:
    """Every field longer than the registry allows for it: the same limits as
    the API, from the same constants and columns."""
    item = f"MLflow model {mlflow_model.name!r}"
    problems = [
        *_too_long(
            item, "description", mlflow_model.description, DESCRIPTION_MAX_LENGTH
        ),
        *_too_large(item, "tags", mlflow_model.tags),
        *_too_large(item, "aliases", mlflow_model.aliases),
    ]
    for version in mlflow_model.versions:
        where = f"{item} version {version.version}"
        problems += [
            *_too_long(
                where, "description", version.description, DESCRIPTION_MAX_LENGTH
            ),
            *_too_long(where, "source", version.source, _column("source")),
            *_too_long(where, "run_id", version.run_id, _column("run_id")),
            *_too_large(where, "tags", version.tags),
            *_too_large(where, "params", version.params),
            *_too_long(
                where,
                "prompt template",
                version.prompt_template,
                PROMPT_TEMPLATE_MAX_LENGTH,
            ),
        ]
        for metric in version.metrics:
            if not metric.strip():
                problems.append(f"{where}: metric name {metric!r} is blank.")
            problems += _too_long(
                where, f"metric name {shown(metric)}", metric, METRIC_NAME_MAX_LENGTH
            )
    return problems


def _column(name: str) -> int | None:
    """The length of a text column of MlflowVersionLink."""
    column = MlflowVersionLink._meta.get_field(name)
    return column.max_length if isinstance(column, Field) else None


def _risk_tier(mlflow_model: MlflowModel, default: str) -> str:
    tier = mlflow_model.tags.get(RISK_TIER_TAG, "")
    return tier if tier in MLModel.RiskTier.values else default


def _import_model(
    *,
    actor: Actor,
    team: Team,
    tracking_uri: str,
    mlflow_model: MlflowModel,
    risk_tier: str,
    model: MLModel | None,
    link: MlflowModelLink | None,
) -> ImportRow:
    row = ImportRow(name=mlflow_model.name)
    if model is None:
        model = register_model(
            actor=actor,
            name=mlflow_model.name,
            display_name=mlflow_model.name,
            description=mlflow_model.description,
            team=team,
            risk_tier=_risk_tier(mlflow_model, risk_tier),
            # An MLflow 3 registered prompt: its versions are prompt templates.
            kind=(
                MLModel.Kind.LLM_APPLICATION
                if mlflow_model.is_prompt
                else MLModel.Kind.PREDICTIVE
            ),
        )
        row.action = "created"
    elif mlflow_model.description and model.description != mlflow_model.description:
        model = update_model(
            actor=actor, model=model, description=mlflow_model.description
        )
        row.action = "updated"
    aliases = dict(sorted(mlflow_model.aliases.items()))
    new_link = link is None
    if link is None:
        link = MlflowModelLink.objects.create(
            model=model,
            tracking_uri=tracking_uri,
            mlflow_name=mlflow_model.name,
            tags=mlflow_model.tags,
            aliases=aliases,
            imported_by=actor,
        )
        row.action = row.action if row.changed else "updated"
    elif (link.tags, link.aliases) != (mlflow_model.tags, aliases):
        link.tags, link.aliases = mlflow_model.tags, aliases
        link.last_imported_at = timezone.now()
        link.save()
        row.action = row.action if row.changed else "updated"
    known = {} if new_link else {v.mlflow_version: v for v in link.versions.all()}
    for version in mlflow_model.versions:
        _import_version(
            actor=actor, model=model, link=link, known=known, version=version, row=row
        )
    if row.action == "unchanged" and (row.versions_added or row.versions_updated):
        row.action = "updated"
    return row


def _import_version(
    *,
    actor: Actor,
    model: MLModel,
    link: MlflowModelLink,
    known: dict[int, MlflowVersionLink],
    version: MlflowVersion,
    row: ImportRow,
) -> None:
    existing = known.get(version.version)
    if existing is not None:
        if (existing.tags, existing.aliases) != (version.tags, version.aliases):
            existing.tags, existing.aliases = version.tags, version.aliases
            existing.save(update_fields=["tags", "aliases"])
            row.versions_updated.append(version.version)
        else:
            row.versions_unchanged += 1
        return
    if version.status != "READY":
        row.skipped.append(f"v{version.version}: {version.status.lower()} in MLflow")
        return
    created = create_version(
        actor=actor,
        model=model,
        artifact_uri=version.reference,
        metrics=version.metrics,
        params=version.params,
        prompt_template=version.prompt_template,
    )
    MlflowVersionLink.objects.create(
        version=created,
        model_link=link,
        mlflow_version=version.version,
        source=version.source,
        run_id=version.run_id,
        description=version.description,
        tags=version.tags,
        aliases=version.aliases,
    )
    row.versions_added.append((version.version, created.version))
    if version.run_missing:
        row.skipped.append(
            f"v{version.version}: run {version.run_id} is gone, no metrics"
        )
    if version.dropped_metrics:
        row.skipped.append(
            f"v{version.version}: non-finite metrics left out: "
            + ", ".join(version.dropped_metrics)
        )


def import_mlflow_models(
    *,
    actor: Actor,
    team: Team,
    tracking_uri: str,
    models: list[MlflowModel],
    risk_tier: str = MLModel.RiskTier.MEDIUM,
    dry_run: bool = False,
    progress: Callable[[int, int, ImportRow], None] | None = None,
    deadline: float | None = None,
) -> list[ImportRow]:
    """Create or update one mlgov model per MLflow model and a draft per new
    MLflow version, in one transaction: any refusal writes nothing. A dry
    run does all of it and rolls back. `deadline` (a time.monotonic() instant)
    bounds the whole run: past it, the import stops and writes nothing."""
    problems = _problems(
        actor=actor, team=team, tracking_uri=tracking_uri, models=models
    )
    if problems:
        raise ImportRefusedError(problems)
    rows = []
    names = [m.name for m in models]
    with transaction.atomic():
        # Everything already there, in three queries rather than per model.
        existing = {m.name: m for m in MLModel.objects.filter(name__in=names)}
        links = {
            link.model_id: link
            for link in MlflowModelLink.objects.filter(
                model__name__in=names
            ).prefetch_related("versions")
        }
        for index, mlflow_model in enumerate(models, start=1):
            model = existing.get(mlflow_model.name)
            row = _import_model(
                actor=actor,
                team=team,
                tracking_uri=tracking_uri,
                mlflow_model=mlflow_model,
                risk_tier=risk_tier,
                model=model,
                link=links.get(model.pk) if model else None,
            )
            rows.append(row)
            if progress is not None:
                progress(index, len(models), row)
            if deadline is not None and time.monotonic() > deadline:
                raise ImportRefusedError(
                    [
                        f"the import passed its deadline (--deadline, "
                        f"MLFLOW_IMPORT_DEADLINE_SECONDS) after {index} of "
                        f"{len(models)} model(s)."
                    ]
                )
        if dry_run:
            transaction.set_rollback(True)
    return rows
