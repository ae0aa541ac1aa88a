"""Reads of deployments: the gate's facts, the ledger, and the questions the
command center asks (what serves where, what the gate decided)."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import (
    Case,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from deployments import hot
from deployments.constants import FULL_TRAFFIC
from deployments.gates import GateFacts, Rollout, ServingPeriod
from deployments.models import Deployment, DeploymentStep, GateDecision
from deployments.standing import (
    Canary,
    EnvironmentStanding,
    ModelStanding,
    verdict_subject,
)
from governance.hot import EvidenceQuery
from governance.selectors import evaluate_versions
from mlgov.db import fetch_together
from mlgov.exceptions import NotFoundError
from registry.constants import PRODUCTION
from registry.models import Environment, MLModel, ModelVersion
from registry.refs import VersionRef
from registry.selectors import candidate_version_ids, candidate_versions


@dataclass(frozen=True)
class GateInputs:
    """The gate's facts, and the evidence its decision record counts."""

    facts: GateFacts
    approval_ids: list[int]
    waiver_ids: list[int]


def gate_inputs(
    *, version: ModelVersion, environment: Environment, now: datetime
) -> GateInputs:
    """What the gate needs for `version` (model loaded) into `environment`
    (requires and frozen_by loaded), in one round trip: its deployments
    query, and governance's evaluation evidence (the same facts the
    evaluation endpoint and the simulation read)."""
    served: list[ServingPeriod] = []
    rollouts: list[Rollout] = []
    required = environment.requires
    if required is None:
        deployments = hot.rollout_query.bound(
            model_id=version.model_id, environment_id=environment.pk
        )
    else:
        deployments = hot.rollout_and_service_query.bound(
            model_id=version.model_id,
            environment_id=environment.pk,
            required_id=required.pk,
            version_id=version.pk,
        )
    evidence_query = EvidenceQuery(version)
    deployment_rows, *evidence_rows = fetch_together(
        deployments, *evidence_query.queries
    )
    evidence = evidence_query.decode(evidence_rows, now=now)
    for row in deployments.query.results(deployment_rows):
        if (
            row.status == Deployment.Status.IN_PROGRESS
            and row.environment_id == environment.pk
        ):
            rollouts.append(Rollout(deployment_id=row.id, version=row.version_number))
        elif row.activated_at is not None:
            served.append(
                ServingPeriod(
                    started_at=row.activated_at,
                    ended_at=(
                        None if row.status == Deployment.Status.ACTIVE else row.ended_at
                    ),
                )
            )
    facts = GateFacts(
        model=version.model.name,
        version=version.version,
        version_status=version.status,
        environment=environment.name,
        required_environment=required.name if required else None,
        min_soak_hours=environment.min_soak_hours,
        served_in_required=tuple(served),
        frozen=environment.frozen,
        freeze_reason=environment.freeze_reason,
        frozen_by=environment.frozen_by.username if environment.frozen_by else None,
        frozen_at=environment.frozen_at,
        rollouts_in_progress=tuple(rollouts),
        version_facts=evidence.facts,
        policies=evidence.policies,
        waivers=evidence.waivers,
    )
    return GateInputs(
        facts=facts,
        approval_ids=evidence.approval_ids,
        waiver_ids=evidence.waiver_ids,
    )


def deployments_with_rows() -> QuerySet[Deployment]:
    """Deployments with everything a ledger row shows."""
    return Deployment.objects.select_related(
        "model", "version", "environment", "requested_by", "gate_decision"
    ).prefetch_related(
        Prefetch("steps", queryset=DeploymentStep.objects.select_related("actor"))
    )


def deployment_ledger(
    *,
    model: str | None = None,
    environment: str | None = None,
    status: str | None = None,
    decision: str | None = None,
    version: int | None = None,
) -> QuerySet[Deployment]:
    """The ledger: every request (blocked ones included) and its rollout."""
    deployments = deployments_with_rows()
    if model:
        deployments = deployments.filter(model__name=model)
    if environment:
        deployments = deployments.filter(environment__name=environment)
    if status:
        deployments = deployments.filter(status=status)
    if decision:
        deployments = deployments.filter(decision=decision)
    if version:
        deployments = deployments.filter(version__version=version)
    return deployments


def deployment_by_id(*, pk: int) -> Deployment:
    """One deployment with its ledger row, or NotFoundError."""
    deployment = deployments_with_rows().filter(pk=pk).first()
    if deployment is None:
        raise NotFoundError(f"No deployment {pk}.")
    return deployment


def active_deployments(
    *, model: str | None = None, environment: str | None = None
) -> QuerySet[Deployment]:
    """What serves now, primaries and canaries, by model and environment."""
    deployments = Deployment.objects.active().select_related(
        "model", "version", "environment"
    )
    if model:
        deployments = deployments.filter(model__name=model)
    if environment:
        deployments = deployments.filter(environment__name=environment)
    return deployments.order_by("model__name", "environment__rank", "-traffic_percent")


def active_deployments_by_model_environment(
    *, environment: str | None = None
) -> dict[tuple[str, str], dict[str, Deployment | None]]:
    """{(model name, environment name): {"primary": …, "canary": …}}, one query."""
    found: dict[tuple[str, str], dict[str, Deployment | None]] = defaultdict(
        lambda: {"primary": None, "canary": None}
    )
    for deployment in active_deployments(environment=environment):
        role = "primary" if deployment.is_primary else "canary"
        found[(deployment.model.name, deployment.environment.name)][role] = deployment
    return dict(found)


def active_deployment_pairs() -> set[tuple[int, str]]:
    """(version id, environment name) of every active deployment, one query."""
    return set(
        Deployment.objects.active().values_list("version_id", "environment__name")
    )


def gate_decisions_since(
    *, since: datetime, environment: str | None = None
) -> QuerySet[GateDecision]:
    """Recorded gate decisions from `since`, newest first; each row's
    `blocking_checks` names the checks that failed."""
    decisions = GateDecision.objects.filter(requested_at__gte=since).select_related(
        "version__model", "environment", "requested_by"
    )
    if environment:
        decisions = decisions.filter(environment__name=environment)
    return decisions


# --- what speaks for a model, and its verdict (DESIGN §2) ---------------------


def _serving(
    models: QuerySet[MLModel],
) -> dict[tuple[int, str], tuple[VersionRef | None, Canary | None]]:
    """(primary, canary) active per (model id, environment name), one query."""
    found: dict[tuple[int, str], tuple[VersionRef | None, Canary | None]] = {}
    rows = (
        Deployment.objects.active()
        .filter(model__in=models.values("pk"))
        .values_list(
            "model_id",
            "environment__name",
            "version_id",
            "version__version",
            "traffic_percent",
        )
    )
    for model_id, environment, version_id, number, percent in rows:
        primary, canary = found.get((model_id, environment), (None, None))
        ref = VersionRef(version_id, number)
        if percent == FULL_TRAFFIC:
            primary = ref
        else:
            canary = Canary(ref, percent)
        found[(model_id, environment)] = (primary, canary)
    return found


def _speaking_versions(models: QuerySet[MLModel]) -> QuerySet[ModelVersion]:
    """Every version that may speak for one of `models`: the candidates and
    whatever serves, as subqueries."""
    serving = Deployment.objects.active().filter(model__in=models.values("pk"))
    return ModelVersion.objects.filter(
        Q(pk__in=candidate_version_ids(models)) | Q(pk__in=serving.values("version_id"))
    )


def model_standings(
    models: QuerySet[MLModel],
    *,
    environments: Sequence[str],
    now: datetime | None = None,
) -> dict[int, ModelStanding]:
    """Per model id (models with a version), the version that speaks for it in
    each environment and that version's verdict there, computed now as the
    gate computes it; readiness from the version speaking in production.
    The one answer every surface shows; a constant number of queries."""
    now = now or timezone.now()
    candidates = candidate_versions(models)
    serving = _serving(models)
    verdicts = evaluate_versions(versions=_speaking_versions(models), now=now)
    readiness_environment = PRODUCTION if PRODUCTION in environments else None
    standings = {}
    for model_id, versions in candidates.items():
        where_nothing_serves = verdict_subject(
            primary=None, canary=None, candidate=versions.candidate
        )
        by_environment = {}
        for environment in environments:
            serves = serving.get((model_id, environment))
            subject = (
                verdict_subject(
                    primary=serves[0], canary=serves[1], candidate=versions.candidate
                )
                if serves
                else where_nothing_serves
            )
            if subject is None:
                continue
            canary = subject.canary
            by_environment[environment] = EnvironmentStanding(
                subject=subject,
                verdict=verdicts.verdict(subject.version.version_id, environment),
                canary_verdict=verdicts.verdict(canary.version.version_id, environment)
                if canary
                else None,
                facts=verdicts.facts[subject.version.version_id],
            )
        if readiness_environment is None:
            readiness_subject = where_nothing_serves
        else:
            speaking = by_environment.get(readiness_environment)
            readiness_subject = speaking.subject if speaking else None
        standings[model_id] = ModelStanding(
            versions=versions.versions,
            environments=by_environment,
            readiness_subject=readiness_subject,
            readiness=verdicts.readiness(
                readiness_subject.version.version_id, readiness_environment
            )
            if readiness_subject
            else None,
        )
    return standings


@dataclass(frozen=True)
class DeploymentOffRecords:
    """A deployment's status and share, and what its sealed records say."""

    pk: int
    status: str
    traffic_percent: int
    expected_status: str
    expected_traffic: int


def deployments_off_their_records(
    *, using: str = "default"
) -> list[DeploymentOffRecords]:
    """Deployments whose row disagrees with the sealed records it follows
    from: what its gate decision recorded, and the status and share of its
    last rollout step (the decision's, before any step)."""
    last_step = (
        DeploymentStep.objects.using(using)
        .filter(deployment=OuterRef("pk"))
        .order_by("-id")
    )
    before_any_step = Case(
        When(
            gate_decision__decision=Deployment.Status.APPROVED,
            then=Value(Deployment.Status.APPROVED),
        ),
        default=Value(Deployment.Status.BLOCKED),
    )
    requested = (
        "version_id",
        "environment_id",
        "strategy",
        "decision",
        "requested_by_id",
        "requested_at",
    )
    differs = Q()
    for name in requested:
        differs |= ~Q(**{name: F(f"gate_decision__{name}")})
    rows = (
        Deployment.objects.using(using)
        .annotate(
            expected_status=Coalesce(
                Subquery(last_step.values("to_status")[:1]), before_any_step
            ),
            expected_traffic=Coalesce(
                Subquery(last_step.values("traffic_percent")[:1]),
                F("gate_decision__traffic_percent"),
            ),
        )
        .filter(
            differs
            | ~Q(model_id=F("version__model_id"))
            | ~Q(status=F("expected_status"))
            | ~Q(traffic_percent=F("expected_traffic"))
        )
        .order_by("pk")
        .values_list(
            "pk", "status", "traffic_percent", "expected_status", "expected_traffic"
        )
    )
    return [DeploymentOffRecords(*row) for row in rows]
