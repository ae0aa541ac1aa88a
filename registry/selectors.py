"""Reads of the registry that pages and endpoints need."""

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber

from mlgov.actors import Actor
from mlgov.cache import cached, namespaced_key
from mlgov.exceptions import NotFoundError
from mlgov.permissions import can_write_model
from registry import constants
from registry.constants import RISK_TIERS
from registry.models import (
    Environment,
    MLModel,
    ModelVersion,
    RiskClassChange,
    Tag,
    UseCaseIntake,
)
from registry.refs import VersionRef


def model_inventory(
    *,
    team: str | None = None,
    risk_tier: str | None = None,
    kind: str | None = None,
    tag: str | None = None,
    q: str | None = None,
    include_archived: bool = False,
    ai_act_category: str | None = None,
) -> QuerySet[MLModel]:
    """Models matching the filters, with what their list rows show."""
    # A correlated subquery, not Max() over a join: the database computes it
    # only for the rows of the page, where an aggregate groups every model
    # before the page is cut: its cost grows with the inventory, the
    # subquery's stays flat on the (model, version) index (docs/performance.md).
    latest = (
        ModelVersion.objects.filter(model=OuterRef("pk"))
        .order_by("-version")
        .values("version")[:1]
    )
    models = (
        MLModel.objects.select_related("team", "owner")
        .prefetch_related("tags")
        .annotate(latest_version=Subquery(latest))
    )
    if not include_archived:
        models = models.filter(archived_at__isnull=True)
    if team:
        models = models.filter(team__name=team)
    if risk_tier:
        models = models.filter(risk_tier=risk_tier)
    if kind:
        models = models.filter(kind=kind)
    if ai_act_category:
        models = models.filter(ai_act_category=ai_act_category)
    if tag:
        models = models.filter(tags__name=tag)
    if q:
        models = models.filter(
            Q(name__icontains=q)
            | Q(display_name__icontains=q)
            | Q(description__icontains=q)
        )
    return models


# The columns of an inventory row in the API (registry.api.model_data), read
# as plain dicts: the search page builds 100 rows, and model instances with
# their team, owner and prefetched tags cost more to build than the query.
MODEL_ROW_COLUMNS = (
    "id",
    "name",
    "display_name",
    "description",
    "risk_tier",
    "kind",
    "ai_act_category",
    "business_use",
    "latest_version",
    "archived_at",
    "created_at",
    "updated_at",
)


def model_inventory_rows(**filters: Any) -> QuerySet:
    """model_inventory's models as dicts of what the API row shows (team and
    owner by name); their tags come from tag_names_of, one query a page."""
    return (
        model_inventory(**filters)
        .prefetch_related(None)
        .values(
            *MODEL_ROW_COLUMNS,
            team_name=F("team__name"),
            owner_name=F("owner__username"),
        )
    )


def model_row(*, name: str) -> dict:
    """One model as an API row (archived or not), uncached, or NotFoundError."""
    row = model_inventory_rows(include_archived=True).filter(name=name).first()
    if row is None:
        raise NotFoundError(f"No model named {name!r}.")
    return row


def tag_names_of(model_ids: list[int]) -> dict[int, list[str]]:
    """Each model's tag names, sorted, for a page of models: one query."""
    through = MLModel.tags.through
    names: dict[int, list[str]] = {model_id: [] for model_id in model_ids}
    if not model_ids:
        return names
    if connection.vendor == "postgresql":
        # The ids as one array parameter: `IN (%s, ... x 100)` made the ORM
        # prepare and psycopg parse a hundred placeholders, a large share of
        # a search page's CPU (docs/performance.md). Same rows, same order as
        # the ORM query below.
        with connection.cursor() as cursor:
            cursor.execute(_tag_names_sql(), [list(model_ids)])
            rows = cursor.fetchall()
    else:
        rows = (
            through.objects.filter(mlmodel_id__in=model_ids)
            .order_by("tag__name")
            .values_list("mlmodel_id", "tag__name")
        )
    for model_id, name in rows:
        names[model_id].append(name)
    return names


@functools.cache
def _tag_names_sql() -> str:
    through, tag = MLModel.tags.through._meta, Tag._meta
    model_column = through.get_field("mlmodel").column
    tag_column = through.get_field("tag").column
    return (
        f'SELECT mt."{model_column}", t."name" FROM "{through.db_table}" mt '
        f'JOIN "{tag.db_table}" t ON t."id" = mt."{tag_column}" '
        f'WHERE mt."{model_column}" = ANY(%s) ORDER BY t."name"'
    )


def model_by_name(*, name: str) -> MLModel:
    """One model, or NotFoundError."""
    model = MLModel.objects.select_related("team").filter(name=name).first()
    if model is None:
        raise NotFoundError(f"No model named {name!r}.")
    return model


def model_detail_cache_namespace(name: str) -> str:
    """The cache namespace of one model's detail; services invalidate it."""
    return f"registry:model:{name}"


def model_detail(*, name: str) -> MLModel:
    """One model with the facts its detail view shows, or NotFoundError.

    Cached (the annotated latest version and the tags cost three queries);
    registry.services invalidates it whenever the model or its versions change."""

    def load() -> MLModel:
        model = model_inventory(include_archived=True).filter(name=name).first()
        if model is None:
            raise NotFoundError(f"No model named {name!r}.")
        return model

    return cached(namespaced_key(model_detail_cache_namespace(name), "detail"), load)


def writable_model_by_name(*, user: Actor, name: str) -> MLModel:
    """A model the user may change; another team's model is reported as
    missing, so a write never reveals more than a read would allow."""
    model = model_by_name(name=name)
    if not can_write_model(user, model):
        raise NotFoundError(f"No model named {name!r} that you may change.")
    return model


def versions_of_all() -> QuerySet[ModelVersion]:
    """Versions with the model, users and lineage their rows show."""
    return ModelVersion.objects.select_related(
        "model", "created_by", "submitted_by", "parent"
    )


def versions_of(*, model: MLModel) -> QuerySet[ModelVersion]:
    """A model's versions with the users and lineage their rows show."""
    return versions_of_all().filter(model=model)


@dataclass(frozen=True, slots=True)
class ModelVersions:
    """How many versions a model has, and its candidate (`candidate_versions`)."""

    versions: int
    candidate: VersionRef | None


def _newest_by_model(models: QuerySet[MLModel]) -> QuerySet:
    """Each model's first version in candidacy order: approved first, then any
    submitted one, then drafts, newest first within each; with the model's
    version count. It is the model's candidate unless it is a draft."""
    rank = Case(
        When(status=constants.VERSION_APPROVED, then=Value(2)),
        When(status=constants.VERSION_DRAFT, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return (
        ModelVersion.objects.filter(model__in=models.values("pk"))
        .annotate(
            place=Window(
                RowNumber(),
                partition_by=[F("model_id")],
                order_by=[rank.desc(), F("version").desc()],
            ),
            model_versions=Window(Count("pk"), partition_by=[F("model_id")]),
        )
        .filter(place=1)
    )


def candidate_versions(models: QuerySet[MLModel]) -> dict[int, ModelVersions]:
    """Per model id (models with at least one version): its version count and
    the version that speaks for it where none serves (DESIGN §2), its newest
    approved version, else its newest submitted one; a draft never does. One
    query, a window over the models' versions."""
    rows = _newest_by_model(models).values_list(
        "model_id", "pk", "version", "status", "model_versions"
    )
    return {
        model_id: ModelVersions(
            versions=count,
            candidate=None
            if status == constants.VERSION_DRAFT
            else VersionRef(pk, number),
        )
        for model_id, pk, number, status, count in rows
    }


def candidate_version_ids(models: QuerySet[MLModel]) -> QuerySet:
    """The ids of the models' candidate versions, as a subquery (a list of ten
    thousand ids costs psycopg more than the database's answer)."""
    return _newest_by_model(models).exclude(status=constants.VERSION_DRAFT).values("pk")


def version_list(
    *,
    model: MLModel | str | None = None,
    status: str | None = None,
    created_after: datetime | None = None,
) -> QuerySet[ModelVersion]:
    """Versions with what their list rows show, filtered: `model` is a model
    or a model name, `created_after` is exclusive."""
    versions = versions_of_all()
    if isinstance(model, MLModel):
        versions = versions.filter(model=model)
    elif model:
        versions = versions.filter(model__name=model)
    if status:
        versions = versions.filter(status=status)
    if created_after is not None:
        versions = versions.filter(created_at__gt=created_after)
    return versions


def version_by_number(*, model: MLModel, number: int) -> ModelVersion:
    """One version of a model, or NotFoundError."""
    version = versions_of(model=model).filter(version=number).first()
    if version is None:
        raise NotFoundError(f"{model.name} has no version {number}.")
    return version


def version_ref(*, model: MLModel, number: int) -> ModelVersion:
    """Which version of a model (its key columns only), or NotFoundError: for
    services that lock and read the row themselves. The full selector joined
    four tables and every column of two user rows for nothing there."""
    version = (
        ModelVersion.objects.filter(model=model, version=number)
        .only("id", "model_id", "version")
        .first()
    )
    if version is None:
        raise NotFoundError(f"{model.name} has no version {number}.")
    version.model = model
    return version


ENVIRONMENTS_CACHE_NAMESPACE = "registry:environments"

# The columns of a version's API row (registry.api.version_data), read as
# plain dicts. The version endpoints are the registry's hottest reads: a
# model instance per row plus four related instances (model, two users with
# every auth column, the parent) cost more than PostgreSQL's answer, and the
# rows show one column of each related table.
VERSION_ROW_COLUMNS = (
    "id",
    "version",
    "status",
    "artifact_uri",
    "artifact_sha256",
    "framework",
    "training_data_ref",
    "metrics",
    "params",
    "model_card",
    "prompt_template",
    "provider",
    "provider_name",
    "provider_model",
    "evaluation_results",
    "submitted_at",
    "created_at",
    "updated_at",
)


def version_rows() -> QuerySet:
    """Versions as dicts of what the API row shows."""
    return ModelVersion.objects.values(
        *VERSION_ROW_COLUMNS,
        model_name=F("model__name"),
        parent_number=F("parent__version"),
        created_by_name=F("created_by__username"),
        submitted_by_name=F("submitted_by__username"),
    )


def version_rows_of(*, model: MLModel) -> QuerySet:
    """A model's versions as API rows (dicts)."""
    return version_rows().filter(model=model)


def missing_version(*, name: str, number: int) -> NotFoundError:
    """What a request for an unknown version is told."""
    return NotFoundError(f"No version {number} of a model named {name!r}.")


def missing_environment(*, name: str) -> NotFoundError:
    """What a request for an unknown environment is told."""
    return NotFoundError(f"No environment named {name!r}.")


def version_rows_named(
    *, name: str, status: str | None = None, created_after: datetime | None = None
) -> QuerySet:
    """A model's versions as API rows, by the model's name, filtered as
    version_list filters: one query, no lookup of the model first
    (model_exists tells an empty page's 404)."""
    rows = version_rows().filter(model__name=name)
    if status:
        rows = rows.filter(status=status)
    if created_after is not None:
        rows = rows.filter(created_at__gt=created_after)
    return rows


def model_exists(*, name: str) -> bool:
    return MLModel.objects.filter(name=name).exists()


def version_by_name(*, name: str, number: int) -> ModelVersion:
    """A version addressed as in URLs (model name, number), in one query."""
    version = versions_of_all().filter(model__name=name, version=number).first()
    if version is None:
        raise missing_version(name=name, number=number)
    return version


class PromptSide(NamedTuple):
    """One side of a prompt diff: a version's template and what runs it."""

    version: int
    status: str
    prompt_template: str
    provider: str
    provider_name: str
    provider_model: str


def prompt_sides(*, name: str, numbers: tuple[int, int]) -> tuple[PromptSide, ...]:
    """Two versions' prompt templates, in the order asked, in one query; a
    missing model or version is a NotFoundError naming it."""
    rows = {
        row.version: row
        for row in ModelVersion.objects.filter(
            model__name=name, version__in=numbers
        ).values_list(*PromptSide._fields, named=True)
    }
    for number in numbers:
        if number not in rows:
            raise missing_version(name=name, number=number)
    return tuple(PromptSide(*rows[number]) for number in numbers)


def prompt_history(*, model: MLModel) -> list[PromptSide]:
    """Every version of a model with its prompt template, oldest first, in one
    query (the prompt diff page's choices and sides)."""
    return [
        PromptSide(*row)
        for row in ModelVersion.objects.filter(model=model)
        .order_by("version")
        .values_list(*PromptSide._fields)
    ]


def inventory_counts_by_risk_tier() -> dict[str, int]:
    """Models in the inventory (not archived), by risk tier, 0 for empty tiers."""
    counts = dict.fromkeys(RISK_TIERS, 0)
    rows = (
        MLModel.objects.filter(archived_at__isnull=True)
        .values("risk_tier")
        .annotate(count=Count("pk"))
    )
    counts.update((row["risk_tier"], row["count"]) for row in rows)
    return counts


def environments() -> QuerySet[Environment]:
    """Environments along the promotion path."""
    return Environment.objects.select_related("requires", "frozen_by").order_by(
        "rank", "name"
    )


def environment_names() -> list[str]:
    """Environment names along the promotion path (by rank), in one query."""
    return list(
        Environment.objects.order_by("rank", "name").values_list("name", flat=True)
    )


def environment_by_name(*, name: str) -> Environment:
    """One environment with its promotion rule and freeze, or NotFoundError."""
    environment = environments().filter(name=name).first()
    if environment is None:
        raise missing_environment(name=name)
    return environment


def frozen_environments() -> QuerySet[Environment]:
    """Environments under a change freeze, with who froze them, by rank."""
    return environments().filter(frozen=True)


def tag_names() -> list[str]:
    """Every model tag's name, in order: what a policy scope may pick from."""
    return list(Tag.objects.order_by("name").values_list("name", flat=True))


# -- the use-case intake ----------------------------------------------------


def current_intakes(model_ids: Iterable[int]) -> dict[int, UseCaseIntake]:
    """Each model's newest intake revision (with who answered), by model id:
    one query. Models never assessed are absent."""
    ids = list(model_ids)
    if not ids:
        return {}
    newest = (
        UseCaseIntake.objects.filter(model=OuterRef("model"))
        .order_by("-revision")
        .values("revision")[:1]
    )
    rows = UseCaseIntake.objects.filter(
        model_id__in=ids, revision=Subquery(newest)
    ).select_related("answered_by", "model")
    return {intake.model_id: intake for intake in rows}


def current_intake(*, model: MLModel) -> UseCaseIntake | None:
    """The model's newest intake revision, or None if never answered."""
    return (
        UseCaseIntake.objects.filter(model=model)
        .select_related("answered_by")
        .order_by("-revision")
        .first()
    )


def intake_revisions(*, model: MLModel) -> QuerySet[UseCaseIntake]:
    """Every intake revision of the model, newest first."""
    return (
        UseCaseIntake.objects.filter(model=model)
        .select_related("answered_by", "model")
        .order_by("-revision")
    )


def intake_revision(*, model: MLModel, revision: int) -> UseCaseIntake:
    """One revision of a model's intake, or NotFoundError."""
    intake = intake_revisions(model=model).filter(revision=revision).first()
    if intake is None:
        raise NotFoundError(f"{model.name} has no intake revision {revision}.")
    return intake


def _risk_class_changes() -> QuerySet[RiskClassChange]:
    return RiskClassChange.objects.select_related(
        "model", "intake", "requested_by", "decided_by"
    )


def risk_class_changes_of(*, model: MLModel) -> QuerySet[RiskClassChange]:
    """A model's risk class change requests, newest first."""
    return _risk_class_changes().filter(model=model).order_by("-requested_at", "-pk")


def risk_class_changes(*, status: str | None = None) -> QuerySet[RiskClassChange]:
    """Risk class change requests across the portfolio (the governance
    queue with status=pending), oldest first."""
    changes = _risk_class_changes().order_by("requested_at", "pk")
    return changes.filter(status=status) if status else changes


def pending_risk_class_change(*, model: MLModel) -> RiskClassChange | None:
    """The model's pending request, if any (at most one)."""
    return risk_class_changes_of(model=model).filter(status="pending").first()


def risk_class_change_by_id(*, pk: int) -> RiskClassChange:
    """One request, or NotFoundError."""
    change = _risk_class_changes().filter(pk=pk).first()
    if change is None:
        raise NotFoundError(f"No risk class change #{pk}.")
    return change
