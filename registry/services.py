"""Every state change of the registry. The use-case intake's services live in
registry.intake and are re-exported here."""

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from django.utils import timezone

from mlgov.actors import Actor
from mlgov.audit import create_audited
from mlgov.cache import invalidate
from mlgov.events import announce
from mlgov.exceptions import FieldError, NotFoundError, PermissionDeniedError
from mlgov.permissions import can_write_for_team, can_write_model, has_role
from mlgov.roles import Role
from registry.ai_act import tier_rank
from registry.exceptions import (
    EnvironmentFreezeError,
    InvalidTransitionError,
    ModelArchivedError,
    RiskClassChangeRequiredError,
    VersionNotEditableError,
)
from registry.generative import (
    validate_evaluation_results,
    validate_prompt_template,
    validate_provider,
)
from registry.hot import latest_version_number, model_locked_for_versions
from registry.intake import (
    approve_risk_class_change as approve_risk_class_change,
)
from registry.intake import reject_risk_class_change as reject_risk_class_change
from registry.intake import (
    request_risk_class_change as request_risk_class_change,
)
from registry.intake import submit_intake as submit_intake
from registry.intake import withdraw_stale_requests
from registry.models import (
    ARTIFACT_URI_SCHEMES,
    MODEL_CARD_FIELDS,
    VERSION_TRANSITIONS,
    Environment,
    MLModel,
    ModelVersion,
    Tag,
    Team,
)
from registry.selectors import (
    ENVIRONMENTS_CACHE_NAMESPACE,
    model_detail_cache_namespace,
)

MODEL_EDITABLE_FIELDS = (
    "display_name",
    "description",
    "owner",
    "risk_tier",
    "kind",
    "business_use",
)
VERSION_EVIDENCE_FIELDS = (
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
)
_PROVIDER_FIELDS = ("provider", "provider_name", "provider_model")


def validate_artifact_uri(uri: str) -> str:
    """Refuse URIs outside the scheme allow-list; the server never fetches them.

    Schemes are case-insensitive (RFC 3986), so `S3://` is stored as `s3://`,
    which the database's constraint also accepts. The scheme is read from the
    text as given: urlsplit drops tabs and leading blanks the database keeps."""
    uri = uri.strip()
    scheme = urlsplit(uri).scheme.lower()
    if uri[: len(scheme) + 1].lower() != f"{scheme}:":
        scheme = ""
    if scheme not in ARTIFACT_URI_SCHEMES:
        allowed = ", ".join(ARTIFACT_URI_SCHEMES)
        raise FieldError(
            "artifact_uri",
            f"Scheme {scheme or '(none)'!r} is not allowed; use {allowed}.",
        )
    if not uri[len(scheme) + 1 :].strip("/"):
        raise FieldError("artifact_uri", "The URI names no location.")
    return scheme + uri[len(scheme) :]


def validate_metrics(metrics: Mapping[str, Any]) -> dict[str, float]:
    """Metric names map to finite floats."""
    cleaned: dict[str, float] = {}
    for name, value in metrics.items():
        if not isinstance(name, str) or not name.strip():
            raise FieldError("metrics", "Metric names must be non-blank strings.")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise FieldError(f"metrics.{name}", "Must be a number.")
        if not math.isfinite(value):
            raise FieldError(f"metrics.{name}", "Must be a finite number.")
        cleaned[name] = float(value)
    return cleaned


def validate_model_card(card: Mapping[str, Any]) -> dict[str, str]:
    """Only the six model-card fields, each a string."""
    unknown = sorted(set(card) - set(MODEL_CARD_FIELDS))
    if unknown:
        raise FieldError(
            "model_card",
            f"Unknown field(s) {', '.join(unknown)}; "
            f"known: {', '.join(MODEL_CARD_FIELDS)}.",
        )
    for name, value in card.items():
        if not isinstance(value, str):
            raise FieldError(f"model_card.{name}", "Must be a string.")
    return dict(card)


def ensure_tags(names: Iterable[str]) -> list[Tag]:
    """The tags with these names, creating the missing ones."""
    names = sorted(set(names))
    existing = {tag.name: tag for tag in Tag.objects.filter(name__in=names)}
    missing = [Tag(name=name) for name in names if name not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {tag.name: tag for tag in Tag.objects.filter(name__in=names)}
    return [existing[name] for name in names]


@transaction.atomic
def join_teams(*, user: Actor, team_names: Iterable[str]) -> list[Team]:
    """Add `user` to each named team; returns every team it is now in."""
    names = list(dict.fromkeys(team_names))
    teams = list(Team.objects.filter(name__in=names))
    unknown = sorted(set(names) - {team.name for team in teams})
    if unknown:
        known = ", ".join(Team.objects.values_list("name", flat=True)) or "none yet"
        raise FieldError(
            "team", f"No team named {', '.join(unknown)}; known teams: {known}."
        )
    for team in teams:
        team.members.add(user)
    return list(Team.objects.filter(members=user).order_by("name"))


@transaction.atomic
def set_sso_teams(*, user: Actor, team_names: Iterable[str]) -> list[Team]:
    """Make the user a member of exactly the named teams that exist, as the
    identity provider says at sign-in; names of no team are ignored (an admin
    creates teams). Returns the user's teams, by name."""
    wanted = set(team_names)
    current = set(Team.objects.filter(members=user))
    target = set(Team.objects.filter(name__in=wanted))
    for team in sorted(current - target, key=lambda team: team.name):
        team.members.remove(user)
    for team in sorted(target - current, key=lambda team: team.name):
        team.members.add(user)
    # The user's cached team ids (mlgov.permissions) describe the old teams.
    user.__dict__.pop("_mlgov_team_ids", None)
    return sorted(target, key=lambda team: team.name)


@transaction.atomic
def register_model(
    *,
    actor: Actor,
    name: str,
    display_name: str,
    team: Team,
    risk_tier: str,
    kind: str = MLModel.Kind.PREDICTIVE,
    description: str = "",
    owner: Actor | None = None,
    business_use: str = "",
    tags: Iterable[str] = (),
) -> MLModel:
    """Add a model to the inventory, owned by one of the actor's teams."""
    if not can_write_for_team(actor, team.pk):
        raise PermissionDeniedError(
            f"You may register models only for your own teams, not {team.name}."
        )
    if MLModel.objects.filter(name=name).exists():
        raise FieldError("name", f"A model named {name!r} already exists.")
    try:
        with transaction.atomic():
            model = MLModel.objects.create(
                name=name,
                display_name=display_name,
                description=description,
                team=team,
                owner=owner or actor,
                risk_tier=risk_tier,
                kind=kind,
                business_use=business_use,
            )
    except IntegrityError as error:
        raise FieldError("name", f"A model named {name!r} already exists.") from error
    model.tags.set(ensure_tags(tags))
    return model


@transaction.atomic
def update_model(
    *,
    actor: Actor,
    model: MLModel,
    tags: Iterable[str] | None = None,
    archived: bool | None = None,
    **changes: Any,
) -> MLModel:
    """Edit a model's description fields, tags, or archive it."""
    model = MLModel.objects.select_for_update().get(pk=model.pk)
    if not can_write_model(actor, model):
        raise PermissionDeniedError(f"You may not edit {model.name}.")
    unknown = set(changes) - set(MODEL_EDITABLE_FIELDS)
    if unknown:
        raise FieldError(sorted(unknown)[0], "This field cannot be changed.")
    model_tier_before = model.risk_tier
    new_tier = changes.get("risk_tier", model.risk_tier)
    if tier_rank(new_tier) < tier_rank(model.risk_tier):
        # Lowering decides which policies stop applying: four eyes, for
        # governance admins too (registry.intake).
        raise RiskClassChangeRequiredError(model, new_tier)
    for field, value in changes.items():
        setattr(model, field, value)
    if archived is not None:
        model.archived_at = (model.archived_at or timezone.now()) if archived else None
    model.save()
    if new_tier != model_tier_before:
        withdraw_stale_requests(model=model)
    if tags is not None:
        model.tags.set(ensure_tags(tags))
    invalidate(model_detail_cache_namespace(model.name))
    return model


def _parent_of(model: MLModel, parent_version: int | None) -> ModelVersion | None:
    if parent_version is None:
        return None
    parent = ModelVersion.objects.filter(model=model, version=parent_version).first()
    if parent is None:
        raise FieldError(
            "parent_version", f"{model.name} has no version {parent_version}."
        )
    return parent


@transaction.atomic
def create_version(*, actor: Actor, model: MLModel, **evidence: Any) -> ModelVersion:
    """Create a draft with the next version number of its model.

    The model row is locked first, so concurrent creations queue and each
    takes the next number: no duplicate, no gap."""
    model = MLModel.objects.select_for_update().get(pk=model.pk)
    if not can_write_model(actor, model):
        raise PermissionDeniedError(f"You may not add versions to {model.name}.")
    latest = latest_version_number(model_id=model.pk)
    return _create_version_of_locked(
        actor=actor, model=model, latest=latest, **evidence
    )


@transaction.atomic
def create_version_by_name(*, actor: Actor, name: str, **evidence: Any) -> ModelVersion:
    """create_version for the model named `name`, found, locked and its
    latest number read in one round trip (the API's path). Another team's
    model is reported as missing, as
    registry.selectors.writable_model_by_name does."""
    model, latest, version_id = model_locked_for_versions(name=name)
    if model is None or not can_write_model(actor, model):
        raise NotFoundError(f"No model named {name!r} that you may change.")
    return _create_version_of_locked(
        actor=actor, model=model, latest=latest, version_id=version_id, **evidence
    )


def _create_version_of_locked(
    *,
    actor: Actor,
    model: MLModel,
    latest: int,
    version_id: int | None = None,
    artifact_uri: str,
    artifact_sha256: str = "",
    framework: str = "",
    training_data_ref: str = "",
    metrics: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
    model_card: Mapping[str, Any] | None = None,
    parent_version: int | None = None,
    prompt_template: str = "",
    provider: str = "",
    provider_name: str = "",
    provider_model: str = "",
    evaluation_results: Sequence[Mapping[str, Any]] = (),
) -> ModelVersion:
    if model.is_archived:
        raise ModelArchivedError(model)
    metrics = validate_metrics(metrics or {})
    provider, provider_name, provider_model = validate_provider(
        provider=provider, provider_name=provider_name, provider_model=provider_model
    )
    invalidate(model_detail_cache_namespace(model.name))
    version = ModelVersion(
        id=version_id,
        model=model,
        version=latest + 1,
        artifact_uri=validate_artifact_uri(artifact_uri),
        artifact_sha256=artifact_sha256,
        framework=framework,
        training_data_ref=training_data_ref,
        metrics=metrics,
        params=dict(params or {}),
        model_card=validate_model_card(model_card or {}),
        prompt_template=validate_prompt_template(prompt_template),
        provider=provider,
        provider_name=provider_name,
        provider_model=provider_model,
        evaluation_results=validate_evaluation_results(
            list(evaluation_results), metrics=metrics
        ),
        parent=_parent_of(model, parent_version),
        created_by=actor,
    )
    # The row and the entry auditlog's receiver would write for it, in one
    # round trip when its key was drawn with the lock (mlgov.audit): the
    # receiver's per-field diff and the ORM's save were most of a version
    # POST's CPU.
    create_audited([version])
    return version


@transaction.atomic
def update_version(
    *, actor: Actor, version: ModelVersion, **changes: Any
) -> ModelVersion:
    """Edit a draft's evidence or lineage (`parent_version`); nothing else."""
    version = (
        ModelVersion.objects.select_for_update()
        .select_related("model")
        .get(pk=version.pk)
    )
    if not can_write_model(actor, version.model):
        raise PermissionDeniedError(f"You may not edit {version}.")
    if not version.is_editable:
        raise VersionNotEditableError(version)
    unknown = set(changes) - {*VERSION_EVIDENCE_FIELDS, "parent_version"}
    if unknown:
        raise FieldError(sorted(unknown)[0], "This field cannot be changed.")
    update_fields = ["updated_at"]
    if "parent_version" in changes:
        parent_version = changes.pop("parent_version")
        if parent_version == version.version:
            raise FieldError("parent_version", "A version cannot be its own parent.")
        version.parent = _parent_of(version.model, parent_version)
        update_fields.append("parent")
    validators: dict[str, Callable[[Any], Any]] = {
        "artifact_uri": validate_artifact_uri,
        "metrics": validate_metrics,
        "model_card": validate_model_card,
        "prompt_template": validate_prompt_template,
    }
    for field, value in changes.items():
        validate = validators.get(field)
        setattr(version, field, validate(value) if validate else value)
        update_fields.append(field)
    # Checked on the version as it will be: a PATCH may change one side of a pair.
    if set(changes) & set(_PROVIDER_FIELDS):
        version.provider, version.provider_name, version.provider_model = (
            validate_provider(
                provider=version.provider,
                provider_name=version.provider_name,
                provider_model=version.provider_model,
            )
        )
        update_fields.extend(f for f in _PROVIDER_FIELDS if f not in update_fields)
    if {"evaluation_results", "metrics"} & set(changes):
        version.evaluation_results = validate_evaluation_results(
            version.evaluation_results, metrics=version.metrics
        )
        if "evaluation_results" not in update_fields:
            update_fields.append("evaluation_results")
    version.save(update_fields=update_fields)
    return version


@transaction.atomic
def move_version(*, version: ModelVersion, to: str, **fields: Any) -> ModelVersion:
    """Apply one status move of VERSION_TRANSITIONS, under a row lock."""
    locked = ModelVersion.objects.select_for_update().get(pk=version.pk)
    if to not in VERSION_TRANSITIONS[locked.status]:
        raise InvalidTransitionError(locked, to)
    locked.status = to
    for field, value in fields.items():
        setattr(locked, field, value)
    locked.save(update_fields=["status", "updated_at", *fields])
    locked.model = version.model
    return locked


@transaction.atomic
def submit_version(*, actor: Actor, version: ModelVersion) -> ModelVersion:
    """Send a draft to review; from now on its evidence is frozen."""
    if not can_write_model(actor, version.model):
        raise PermissionDeniedError(f"You may not submit {version}.")
    submitted = move_version(
        version=version,
        to=ModelVersion.Status.IN_REVIEW,
        submitted_by=actor,
        submitted_at=timezone.now(),
    )
    announce(
        "version.submitted",
        model=submitted.model.name,
        version=submitted.version,
        risk_tier=submitted.model.risk_tier,
        actor_id=actor.pk,
    )
    return submitted


def retire_version(*, actor: Actor, version: ModelVersion) -> ModelVersion:
    """Take an approved version out of service for good."""
    if not can_write_model(actor, version.model):
        raise PermissionDeniedError(f"You may not retire {version}.")
    return move_version(version=version, to=ModelVersion.Status.RETIRED)


@transaction.atomic
def save_environment(*, actor: Actor, environment: Environment) -> Environment:
    """Store an environment's new settings (rank, promotion rule, soak, freeze)."""
    if not has_role(actor, Role.GOVERNANCE_ADMIN):
        raise PermissionDeniedError("Only a governance admin may change environments.")
    environment.full_clean()
    environment.save()
    invalidate(ENVIRONMENTS_CACHE_NAMESPACE)
    announce(
        "environment.saved",
        environment=environment.name,
        frozen=environment.frozen,
        actor_id=actor.pk,
    )
    return environment


@transaction.atomic
def freeze_environment(
    *, actor: Actor, environment: Environment, reason: str
) -> Environment:
    """Stop deployments to an environment until it is unfrozen; the gate
    quotes the reason, who froze it and since when."""
    if not has_role(actor, Role.GOVERNANCE_ADMIN):
        raise PermissionDeniedError("Only a governance admin may freeze environments.")
    if not reason.strip():
        raise FieldError("reason", "Say why the environment is frozen.")
    locked = Environment.objects.select_for_update().get(pk=environment.pk)
    if locked.frozen:
        raise EnvironmentFreezeError(locked, frozen=True)
    locked.frozen = True
    locked.freeze_reason = reason.strip()
    locked.frozen_by = actor
    locked.frozen_at = timezone.now()
    locked._audit_note = locked.freeze_reason
    locked.save(update_fields=["frozen", "freeze_reason", "frozen_by", "frozen_at"])
    invalidate(ENVIRONMENTS_CACHE_NAMESPACE)
    announce(
        "environment.frozen",
        environment=locked.name,
        reason=locked.freeze_reason,
        actor_id=actor.pk,
    )
    return locked


@transaction.atomic
def unfreeze_environment(
    *, actor: Actor, environment: Environment, reason: str
) -> Environment:
    """Open a frozen environment to deployments again; the reason goes to the
    audit entry and the event."""
    if not has_role(actor, Role.GOVERNANCE_ADMIN):
        raise PermissionDeniedError(
            "Only a governance admin may unfreeze environments."
        )
    if not reason.strip():
        raise FieldError("reason", "Say why the environment is unfrozen.")
    locked = Environment.objects.select_for_update().get(pk=environment.pk)
    if not locked.frozen:
        raise EnvironmentFreezeError(locked, frozen=False)
    locked.frozen = False
    locked.freeze_reason = ""
    locked.frozen_by = None
    locked.frozen_at = None
    locked._audit_note = reason.strip()
    locked.save(update_fields=["frozen", "freeze_reason", "frozen_by", "frozen_at"])
    invalidate(ENVIRONMENTS_CACHE_NAMESPACE)
    announce(
        "environment.unfrozen",
        environment=locked.name,
        reason=reason.strip(),
        actor_id=actor.pk,
    )
    return locked
