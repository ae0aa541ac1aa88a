"""Evaluations: the engine run on one version's facts, optionally recorded."""

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from governance.engine import Verdict, evaluate
from governance.models import Evaluation
from governance.selectors import current_policy_specs, version_facts, waiver_specs
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
    versions = ModelVersion.objects.filter(pk=version.pk)
    facts = version_facts(versions)[version.pk]
    waivers = waiver_specs(versions=versions, now=now).get(version.pk, [])
    return evaluate(
        facts,
        current_policy_specs(),
        environment=environment.name if environment else None,
        now=now,
        waivers=waivers,
    )


def record_evaluation(
    *,
    version: ModelVersion,
    environment: Environment | None,
    trigger: str,
    actor: AbstractBaseUser | None,
    now: datetime | None = None,
) -> Evaluation:
    """Evaluate and store the verdict with the exact rules it used."""
    now = now or timezone.now()
    verdict = evaluate_version(version=version, environment=environment, now=now)
    return Evaluation.objects.create(
        version=version,
        environment=environment,
        passed=verdict.passed,
        results=verdict.as_dict()["results"],
        trigger=trigger,
        requested_by=actor,
        evaluated_at=now,
    )
