"""Demo compliance: the EU AI Act pack enabled by the demo's governance
admin, so coverage shows real met and unmet obligations from the first start.

The credit-risk team's models score creditworthiness (EU AI Act Annex III,
5(b)): until the use-case intake answers their questionnaires, the demo
records them as high-risk so the pack's high-risk obligations apply. A model
whose category is already derived is left alone. Idempotent."""

from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.contrib.auth.models import User

from compliance.services import set_framework_enabled
from mlgov.audit import record_bulk_changes
from mlgov.demo import DemoRun, demo_objects
from registry.constants import AI_ACT_HIGH_RISK, AI_ACT_UNASSESSED
from registry.models import MLModel

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
    return (
        f"EU AI Act pack enabled; {len(models)} credit-risk models "
        "recorded as high-risk (Annex III creditworthiness)"
    )
