"""Demo compliance: the EU AI Act pack enabled by the demo's governance
admin, so coverage shows real met and unmet obligations from the first start.

The credit-risk team's models score creditworthiness (EU AI Act Annex III,
5(b)): until the use-case intake answers their questionnaires, the demo
records them as high-risk so the pack's high-risk obligations apply. A model
whose category is already derived is left alone.

Then the worked example of issue 24 reaches its end: `pd-00001`, high-risk
by its intake, had its human oversight blank (art-14 unmet); its team
answers those questions in a new intake revision and generates the Annex IV
technical documentation of the version speaking for it in production (its
fairness reports come from the monitoring step). Idempotent."""

from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.contrib.auth.models import User

from compliance.documentation.services import generate_technical_document
from compliance.models import TechnicalDocument
from compliance.services import set_framework_enabled
from deployments.selectors import model_standings
from mlgov.audit import record_bulk_changes
from mlgov.demo import DemoRun, demo_objects
from registry.constants import AI_ACT_HIGH_RISK, AI_ACT_UNASSESSED, PRODUCTION
from registry.demo_intakes import WORKED_EXAMPLE, answer_worked_example_oversight
from registry.models import MLModel, ModelVersion

DEMO_FRAMEWORK = "eu_ai_act"
DEMO_ADMIN = "gina"
CREDITWORTHINESS_TEAM = "credit-risk"


def seed_compliance_demo(run: DemoRun) -> str:
    """The compliance demo step."""
    admin = demo_objects(User).filter(username=DEMO_ADMIN).first()
    if admin is None:
        return "no demo governance admin, so no framework enabled"
    with set_actor(admin):
        set_framework_enabled(actor=admin, framework=DEMO_FRAMEWORK, enabled=True)
        models = list(
            demo_objects(MLModel).filter(
                team__name=CREDITWORTHINESS_TEAM, ai_act_category=AI_ACT_UNASSESSED
            )
        )
        for model in models:
            model.ai_act_category = AI_ACT_HIGH_RISK
        MLModel.objects.bulk_update(models, ["ai_act_category"], batch_size=2000)
        record_bulk_changes(
            models,
            action=LogEntry.Action.UPDATE,
            changes=lambda model: {
                "ai_act_category": [AI_ACT_UNASSESSED, AI_ACT_HIGH_RISK]
            },
        )
    story = _finish_worked_example(run)
    return (
        f"EU AI Act pack enabled; {len(models)} credit-risk models "
        f"recorded as high-risk (Annex III creditworthiness){story}"
    )


def _finish_worked_example(run: DemoRun) -> str:
    """The worked example's oversight answers and technical documentation;
    what was added, as the end of the step's sentence."""
    answered = answer_worked_example_oversight(now=run.now)
    model = (
        demo_objects(MLModel)
        .filter(name=WORKED_EXAMPLE, owner__isnull=False)
        .select_related("owner")
        .first()
    )
    if model is None or model.owner is None:
        return ""
    standing = model_standings(
        MLModel.objects.filter(pk=model.pk), environments=[PRODUCTION], now=run.now
    ).get(model.pk)
    found = standing.environments.get(PRODUCTION) if standing else None
    documented = False
    if found is not None:
        version = ModelVersion.objects.get(pk=found.subject.version.version_id)
        if not TechnicalDocument.objects.filter(version=version).exists():
            with set_actor(model.owner):
                generate_technical_document(actor=model.owner, version=version)
            documented = True
    added = [
        *(["its human oversight answered"] if answered else []),
        *(["its Annex IV documentation generated"] if documented else []),
    ]
    return f"; {WORKED_EXAMPLE}: {' and '.join(added)}" if added else ""
