"""The registry's compiled queries (mlgov.db), each the compiled form of a
QuerySet of registry.selectors, for the endpoints whose CPU they decide:
reading one version or the first page of a model's versions, creating one,
and the deployment gate's lookups.
tests/registry/test_hot.py holds each to its ORM twin."""

import functools
from datetime import datetime
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import OuterRef, Subquery
from django.db.models.expressions import RawSQL

from mlgov.db import CompiledInstances, CompiledRows, fetch_together
from registry.models import Environment, MLModel, ModelVersion
from registry.selectors import environments, version_rows, version_rows_named


class VersionApiRow(NamedTuple):
    """A version as its API row shows it (registry.api.version_data)."""

    id: int
    version: int
    status: str
    artifact_uri: str
    artifact_sha256: str
    framework: str
    training_data_ref: str
    metrics: dict[str, Any]
    params: dict[str, Any]
    model_card: dict[str, Any]
    prompt_template: str
    provider: str
    provider_name: str
    provider_model: str
    evaluation_results: list[dict[str, Any]]
    submitted_at: datetime | None
    created_at: datetime
    updated_at: datetime
    model_name: str
    parent_number: int | None
    created_by_name: str | None
    submitted_by_name: str | None


# The version endpoints are the registry's hottest reads.
version_row_query = CompiledRows(
    lambda name, number: version_rows().filter(model__name=name, version=number)[:1],
    VersionApiRow,
    name=str,
    number=int,
)


def version_row(*, name: str, number: int) -> VersionApiRow | None:
    """One version as an API row, addressed as in URLs, in one query; None
    when there is none (registry.selectors.missing_version says so)."""
    rows = version_row_query(name=name, number=number)
    return rows[0] if rows else None


@functools.cache
def version_page_query(limit: int) -> CompiledRows[VersionApiRow]:
    """A model's newest `limit` versions, compiled once per limit: the ORM
    writes a slice into the SQL, so each page size is a query of its own
    (at most API_MAX_PAGE_SIZE + 1 of them, the paginator's cap)."""
    return CompiledRows(
        lambda name: version_rows_named(name=name).order_by("-version")[:limit],
        VersionApiRow,
        name=str,
    )


def version_page(*, name: str, limit: int) -> list[VersionApiRow]:
    """The first page of a model's version list: its newest `limit` versions
    as API rows, newest first, in one query; none for a model without
    versions or no model at all."""
    return version_page_query(limit)(name=name)


# The first statement of a version POST: prepared, and the whole row, so the
# version's audit entry and response read the model without a query.
model_lock_query: CompiledInstances[MLModel] = CompiledInstances(
    lambda name: MLModel.objects.select_for_update().filter(name=name)[:1],
    name=str,
)


class LatestVersion(NamedTuple):
    version: int


latest_version_query = CompiledRows(
    lambda model_id: (
        ModelVersion.objects.filter(model_id=model_id)
        .order_by("-version")
        .values("version")[:1]
    ),
    LatestVersion,
    model_id=int,
)


def latest_version_number(*, model_id: int) -> int:
    """The highest version number of a model, 0 when it has none."""
    rows = latest_version_query(model_id=model_id)
    return rows[0].version if rows else 0


latest_version_of_named_query = CompiledRows(
    lambda name: (
        ModelVersion.objects.filter(model__name=name)
        .order_by("-version")
        .values("version")[:1]
    ),
    LatestVersion,
    name=str,
)


class LatestAndNextId(NamedTuple):
    latest: int | None
    next_id: int


# PostgreSQL only (a sequence): a model's highest version number, and the
# next version's primary key drawn from its sequence, so that the version
# and its audit entry, which names it, are inserted in one round trip.
latest_and_next_id_query = CompiledRows(
    lambda name: MLModel.objects.filter(name=name).values(
        latest=Subquery(
            ModelVersion.objects.filter(model=OuterRef("pk"))
            .order_by("-version")
            .values("version")[:1]
        ),
        next_id=RawSQL(
            "nextval(pg_get_serial_sequence(%s, %s))",
            (ModelVersion._meta.db_table, ModelVersion._meta.pk.column),
        ),
    )[:1],
    LatestAndNextId,
    name=str,
)


def model_locked_for_versions(*, name: str) -> tuple[MLModel | None, int, int | None]:
    """The model named `name`, its row locked until the transaction ends
    (None when there is none), its highest version number read under that
    lock (0 when it has none), and on PostgreSQL the primary key of its next
    version (None elsewhere, or without a model), in one round trip:
    PostgreSQL runs the statements of a pipeline in order, so the number is
    read once the lock is held."""
    if connection.vendor != "postgresql":
        models, latest = fetch_together(
            model_lock_query.bound(name=name),
            latest_version_of_named_query.bound(name=name),
        )
        numbers = latest_version_of_named_query.results(latest)
        found = model_lock_query.results(models)
        return (
            found[0] if found else None,
            numbers[0].version if numbers else 0,
            None,
        )
    models, rows = fetch_together(
        model_lock_query.bound(name=name),
        latest_and_next_id_query.bound(name=name),
    )
    found = model_lock_query.results(models)
    drawn = latest_and_next_id_query.results(rows)
    if not found or not drawn:
        return None, 0, None
    return found[0], drawn[0].latest or 0, drawn[0].next_id


# The deployment gate's two lookups, in one round trip: a version with its
# model (the full selector joined four tables and every column of two user
# rows, and its compilation cost more than the rest of a check), and an
# environment with the one it requires and whoever froze it.
version_with_model_query: CompiledInstances[ModelVersion] = CompiledInstances(
    lambda name, number: ModelVersion.objects.select_related("model").filter(
        model__name=name, version=number
    )[:1],
    name=str,
    number=int,
)
environment_query: CompiledInstances[Environment] = CompiledInstances(
    lambda name: environments().filter(name=name)[:1], name=str
)


def version_and_environment(
    *, name: str, number: int, environment: str
) -> tuple[ModelVersion | None, Environment | None]:
    """A version addressed as in URLs (its model loaded), and an environment
    by name (`requires` and `frozen_by` loaded), in one round trip; None for
    either not found (`missing_version` and `missing_environment` say so)."""
    version_found, environment_found = fetch_together(
        version_with_model_query.bound(name=name, number=number),
        environment_query.bound(name=environment),
    )
    versions = version_with_model_query.results(version_found)
    found = environment_query.results(environment_found)
    return (versions[0] if versions else None, found[0] if found else None)
