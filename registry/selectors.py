"""Reads of the registry that pages and endpoints need."""

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery

from mlgov.cache import cached, namespaced_key
from mlgov.exceptions import NotFoundError
from mlgov.permissions import can_write_model
from registry.constants import RISK_TIERS
from registry.models import Environment, MLModel, ModelVersion


def model_inventory(
    *,
    team: str | None = None,
    risk_tier: str | None = None,
    tag: str | None = None,
    q: str | None = None,
    include_archived: bool = False,
) -> QuerySet[MLModel]:
    """Models matching the filters, with what their list rows show."""
    # A correlated subquery, not Max() over a join: the database computes it
    # only for the rows of the page, where an aggregate groups every model
    # before the page is cut (7 ms at 1,000 models, growing with the
    # inventory; the subquery stays under 1 ms on the (model, version) index).
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
    if tag:
        models = models.filter(tags__name=tag)
    if q:
        models = models.filter(
            Q(name__icontains=q)
            | Q(display_name__icontains=q)
            | Q(description__icontains=q)
        )
    return models


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


def writable_model_by_name(*, user: AbstractBaseUser, name: str) -> MLModel:
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


ENVIRONMENTS_CACHE_NAMESPACE = "registry:environments"


def version_by_name(*, name: str, number: int) -> ModelVersion:
    """A version addressed as in URLs (model name, number), in one query."""
    version = versions_of_all().filter(model__name=name, version=number).first()
    if version is None:
        raise NotFoundError(f"No version {number} of a model named {name!r}.")
    return version


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
        raise NotFoundError(f"No environment named {name!r}.")
    return environment
