"""Evaluations: the engine run on one version's facts, optionally recorded."""

from datetime import datetime

from django.utils import timezone

from governance.engine import Verdict
from governance.models import Evaluation
from governance.selectors import VersionVerdicts, evaluation_evidence
from mlgov.actors import Actor
from mlgov.events import announce, publish
from registry.models import Environment, ModelVersion


def evaluate_version(
    *,
    version: ModelVersion,
    environment: Environment | None,
    now: datetime | None = None,
) -> Verdict:
    """The verdict for a version in an environment (None: the approval
    decision, which only environment-independent policies take part in)."""
    now = now or timezone.now()
    environment_name = environment.name if environment else None
    evidence = evaluation_evidence(version=version, now=now)
    verdict = VersionVerdicts.of_evidence(evidence, now=now).verdict(
        version.pk, environment_name
    )
    publish(
        "evaluation.computed",
        version_id=version.pk,
        environment=environment_name,
        passed=verdict.passed,
    )
    return verdict


def record_evaluation(
    *,
    version: ModelVersion,
    environment: Environment | None,
    trigger: str,
    actor: Actor | None,
    now: datetime | None = None,
) -> Evaluation:
    """Evaluate and store the verdict with the exact rules it used."""
    now = now or timezone.now()
    verdict = evaluate_version(version=version, environment=environment, now=now)
    return store_verdict(
        version=version,
        environment=environment,
        verdict=verdict,
        trigger=trigger,
        actor=actor,
        evaluated_at=now,
    )


def store_verdict(
    *,
    version: ModelVersion,
    environment: Environment | None,
    verdict: Verdict,
    trigger: str,
    actor: Actor | None,
    evaluated_at: datetime,
) -> Evaluation:
    """Store a verdict already computed from the evaluation inputs (the
    deployment gate's), with the exact rules it used."""
    evaluation = Evaluation.objects.create(
        version=version,
        environment=environment,
        passed=verdict.passed,
        results=verdict.as_dict()["results"],
        trigger=trigger,
        requested_by=actor,
        evaluated_at=evaluated_at,
    )
    announce(
        "evaluation.recorded",
        model=version.model.name,
        version=version.version,
        environment=environment.name if environment else None,
        trigger=trigger,
        passed=verdict.passed,
        failing_rules=len(verdict.failures),
    )
    return evaluation
