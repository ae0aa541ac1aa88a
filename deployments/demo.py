"""Demo deployment history: months of rollouts for part of the demo portfolio,
with blocked requests and their reasons (a past freeze among them), canaries
and a rollback, then drift reports for the versions that serve production.
Every decision is the real gate run on the history as it stood (governance
facts as of today), so the ledger reads as the gate would have answered. One
timeline: a version is requested a day after its last review decision, each
row and its audit entry carry the time it happened, and the newest rollouts
fall in the last 30 days."""

from collections import defaultdict
from dataclasses import replace
from datetime import datetime, timedelta

from auditlog.context import set_actor
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Max, Q

from deployments.gates import GateFacts, GateResult, ServingPeriod, run_gate
from deployments.models import Deployment, DeploymentStep, GateDecision
from drift.demo import ServedVersion, seed_drift, seed_monitoring
from governance.models import Evaluation
from governance.selectors import evaluation_inputs
from governance.services import store_verdict
from mlgov.actors import Actor
from mlgov.audit import audit_entries_dated
from mlgov.demo import DemoRun, demo_objects, mark_as_demo
from registry.models import Environment, ModelVersion

PATH = ("development", "staging", "production")
PAST_FREEZE_REASON = "Year-end change freeze (no production changes)."
# A model's first rollout starts about five months back, its newest in the
# last 30 days; a rollout (development, staging, production after the soak)
# takes three days and an hour.
HISTORY_DAYS = 150
RECENT_DAYS = 25
ROLLOUT = timedelta(days=3, hours=1)


class _History:
    """The rows being written for one model, and the gate facts they imply."""

    def __init__(self, environments: dict[str, Environment], now: datetime) -> None:
        self.environments = environments
        self.now = now
        self.primary: dict[str, Deployment] = {}
        self.served: dict[tuple[int, str], list[ServingPeriod]] = defaultdict(list)
        self.added = 0
        self.decisions: list[int] = []
        self.deployments: list[int] = []
        self.evaluations: list[int] = []

    def gate(
        self, version: ModelVersion, environment: str, at: datetime, **facts_changes
    ) -> GateResult:
        target = self.environments[environment]
        required = target.requires.name if target.requires else None
        version_facts, policies, waivers = evaluation_inputs(version=version, now=at)
        facts = GateFacts(
            model=version.model.name,
            version=version.version,
            version_status=version.status,
            environment=environment,
            required_environment=required,
            min_soak_hours=target.min_soak_hours,
            served_in_required=tuple(self.served[(version.pk, required or "")]),
            frozen=False,
            freeze_reason="",
            frozen_by=None,
            frozen_at=None,
            rollouts_in_progress=(),
            version_facts=version_facts,
            policies=policies,
            waivers=waivers,
        )
        return run_gate(replace(facts, **facts_changes), now=at)

    def request(
        self,
        version: ModelVersion,
        environment: str,
        at: datetime,
        actor,
        *,
        traffic: int = 100,
        **facts_changes,
    ) -> Deployment | None:
        """Record a request at `at`; when approved, roll it out an hour later."""
        with audit_entries_dated(at):
            return self._request(
                version, environment, at, actor, traffic, facts_changes
            )

    def _request(
        self, version, environment, at, actor, traffic, facts_changes
    ) -> Deployment | None:
        result = self.gate(version, environment, at, **facts_changes)
        target = self.environments[environment]
        strategy = "full" if traffic == 100 else "canary"
        record = GateDecision.objects.create(
            version=version,
            environment=target,
            strategy=strategy,
            traffic_percent=traffic,
            decision=result.decision,
            checks=[check.as_dict() for check in result.checks],
            warnings=list(result.warnings),
            evaluation=result.verdict.as_dict(),
            requested_by=actor,
            requested_at=at,
            request_id="demo",
        )
        self.added += 1
        self.decisions.append(record.pk)
        # The gate's verdict, stored as the design has gates store it, so the
        # version's evaluations (and its Annex IV) show it was evaluated.
        evaluation = store_verdict(
            version=version,
            environment=target,
            verdict=result.verdict,
            trigger=Evaluation.Trigger.GATE,
            actor=actor,
            evaluated_at=at,
        )
        self.evaluations.append(evaluation.pk)
        if not result.is_approved:
            blocked = Deployment.objects.create(
                gate_decision=record,
                model=version.model,
                version=version,
                environment=target,
                strategy=strategy,
                traffic_percent=traffic,
                decision="blocked",
                status="blocked",
                requested_by=actor,
                requested_at=at,
            )
            self.deployments.append(blocked.pk)
            return None
        active_at = at + timedelta(hours=1)
        previous = self.primary.get(environment) if traffic == 100 else None
        if previous is not None:
            self._end(previous, "supersede", "superseded", active_at, actor)
        deployment = Deployment.objects.create(
            gate_decision=record,
            model=version.model,
            version=version,
            environment=target,
            strategy=strategy,
            traffic_percent=traffic,
            decision="approved",
            status="active",
            requested_by=actor,
            requested_at=at,
            started_at=at + timedelta(minutes=20),
            activated_at=active_at,
            supersedes=previous,
        )
        self.deployments.append(deployment.pk)
        for action, from_status, to_status, when in (
            ("start", "approved", "in_progress", deployment.started_at),
            ("complete", "in_progress", "active", active_at),
        ):
            self._step(deployment, action, from_status, to_status, when, actor)
        if traffic == 100:
            self.primary[environment] = deployment
            self.served[(version.pk, environment)].append(
                ServingPeriod(active_at, None)
            )
        return deployment

    def rollback(
        self, deployment: Deployment, at: datetime, actor: Actor, reason: str
    ) -> None:
        """Roll a primary back to the one it superseded."""
        previous = deployment.supersedes
        assert previous is not None
        self._end(deployment, "rollback", "rolled_back", at, actor, reason)
        Deployment.objects.filter(pk=previous.pk).update(status="active", ended_at=None)
        self._step(previous, "restore", "superseded", "active", at, actor, reason)
        self.primary[deployment.environment.name] = previous

    def _end(self, deployment, action, status, at, actor, reason="") -> None:
        Deployment.objects.filter(pk=deployment.pk).update(status=status, ended_at=at)
        self._step(deployment, action, "active", status, at, actor, reason)
        periods = self.served[(deployment.version_id, deployment.environment.name)]
        if periods and periods[-1].ended_at is None:
            periods[-1] = ServingPeriod(periods[-1].started_at, at)

    def _step(self, deployment, action, from_status, to_status, at, actor, reason=""):
        with audit_entries_dated(at):
            self._write_step(
                deployment, action, from_status, to_status, at, actor, reason
            )

    def _write_step(
        self, deployment, action, from_status, to_status, at, actor, reason
    ) -> None:
        DeploymentStep.objects.create(
            deployment=deployment,
            action=action,
            from_status=from_status,
            to_status=to_status,
            traffic_percent=deployment.traffic_percent,
            reason=reason,
            actor=actor,
            at=at,
        )


def seed_deployments_demo(run: DemoRun) -> str:
    """The deployments app's demo step."""
    return f"{seed_deployments(now=run.now)} gate decisions added"


def seed_deployments(*, now: datetime, max_models: int = 24) -> int:
    """Deployment history for up to `max_models` of the demo's models with
    approved versions; returns the gate decisions added (none when the demo
    has deployments already). Only demo versions are deployed; no environment
    is left frozen (the freeze is history, in the decisions it blocked)."""
    if demo_objects(Deployment).exists():
        return 0
    environments = {
        e.name: e for e in Environment.objects.select_related("requires").all()
    }
    if set(PATH) - set(environments):
        return 0
    users = {user.username: user for user in demo_objects(get_user_model())}
    versions_by_model: dict[int, list[ModelVersion]] = defaultdict(list)
    for version in (
        demo_objects(ModelVersion)
        .filter(status=ModelVersion.Status.APPROVED)
        .annotate(decided_at=Max("approvals__created_at"))
        .select_related("model__team")
        .order_by("model_id", "version")
    ):
        versions_by_model[version.model_id].append(version)
    # Models with several approved versions first: they have a history to show.
    chosen = sorted(versions_by_model.values(), key=lambda vs: (-len(vs), vs[0].pk))
    wanted = {"canary": 2, "rollback": 2}
    added = 0
    with transaction.atomic():
        for index, versions in enumerate(chosen[:max_models]):
            actor = users.get(f"ds-{versions[0].model.team.name}")
            if actor is None:
                continue
            with set_actor(actor):
                history = _seed_model(
                    index, versions[-3:], environments, actor, now, wanted
                )
            mark_as_demo(GateDecision, history.decisions)
            mark_as_demo(Deployment, history.deployments)
            mark_as_demo(Evaluation, history.evaluations)
            added += history.added
    return added


def _seed_model(
    index: int,
    versions: list[ModelVersion],
    environments: dict[str, Environment],
    actor: Actor,
    now: datetime,
    wanted: dict[str, int],
) -> _History:
    history = _History(environments, now)
    first = now - timedelta(days=HISTORY_DAYS - 2 * index)
    newest = now - timedelta(days=RECENT_DAYS - index % 20)
    production: Deployment | None = None
    previous: datetime | None = None
    for position, version in enumerate(versions):
        planned = (
            first + (newest - first) * position / (len(versions) - 1)
            if len(versions) > 1
            else newest
        )
        at = max(planned, _reviewed_at(version) + timedelta(days=1))
        if previous is not None:
            at = max(at, previous + ROLLOUT + timedelta(days=2))
        if at + ROLLOUT > now:
            break
        previous = at
        history.request(version, "development", at, actor)
        history.request(version, "staging", at + timedelta(days=1), actor)
        if index % 5 == 0:
            # Asked for production before the staging soak was over: blocked.
            history.request(
                version, "production", at + timedelta(days=1, hours=3), actor
            )
        if index % 7 == 3 and position == 0:
            history.request(
                version,
                "production",
                at + timedelta(days=2, hours=2),
                actor,
                frozen=True,
                freeze_reason=PAST_FREEZE_REASON,
                frozen_by="gina",
                frozen_at=at + timedelta(days=1, hours=12),
            )
        is_last = position == len(versions) - 1
        if is_last and wanted["canary"] and production is not None:
            if history.request(
                version, "production", at + timedelta(days=3), actor, traffic=10
            ):
                wanted["canary"] -= 1
            continue
        deployed = history.request(version, "production", at + timedelta(days=3), actor)
        if deployed is not None:
            production = deployed
    if (
        wanted["rollback"]
        and production is not None
        and production.supersedes_id
        and production.activated_at is not None
        and production.activated_at + timedelta(days=2) < now
    ):
        wanted["rollback"] -= 1
        history.rollback(
            production,
            production.activated_at + timedelta(days=2),
            actor,
            "Approval rate fell 4 % against the previous version.",
        )
    return history


def _reviewed_at(version: ModelVersion) -> datetime:
    """When the version's last review decision was made (its submission when
    the demo recorded none)."""
    decided = getattr(version, "decided_at", None) or version.submitted_at
    assert decided is not None  # only approved versions are deployed
    return decided


def seed_serving_drift_demo(run: DemoRun) -> str:
    """Drift's demo step, run after the deployment history: it reports drift
    only for versions serving production, and only since they served."""
    return f"{seed_drift(now=run.now, serving=served_in_production())} reports added"


def seed_serving_monitoring_demo(run: DemoRun) -> str:
    """Performance and fairness reports for the versions serving production,
    since they served."""
    performance, fairness = seed_monitoring(now=run.now, serving=served_in_production())
    return f"{performance} performance and {fairness} fairness reports added"


def served_in_production() -> list[ServedVersion]:
    """The demo's deployments serving production now (primaries and canaries),
    each since it last became active."""
    serving = (
        demo_objects(Deployment)
        .filter(status="active", environment__name="production")
        .annotate(since=Max("steps__at", filter=Q(steps__to_status="active")))
        .select_related("version__model__team", "environment")
        .order_by("pk")
    )
    return [
        ServedVersion(
            version=deployment.version,
            environment=deployment.environment,
            since=deployment.since,
        )
        for deployment in serving
        if deployment.since is not None
    ]
