"""A model's obligations page: per enabled framework, every obligation with
its status and its evidence, linked, or the gap."""

from django.http import Http404
from django.urls import reverse

from command_center.views.access import RolePage
from compliance.engine import (
    NOT_APPLICABLE,
    STATUS_LABELS,
    EvidenceLink,
    FrameworkCoverage,
)
from compliance.selectors import coverage_for_model
from mlgov.exceptions import NotFoundError


def evidence_url(link: EvidenceLink | None, model: str) -> str | None:
    """The page where a piece of evidence (or the place to fix a gap) is."""
    if link is None:
        return None
    detail = reverse("command_center:model-detail", args=[model])
    if link.target == "policy":
        return reverse("command_center:policy-detail", args=[link.ref])
    if link.target == "version":
        return f"{detail}#versions-title"
    if link.target == "drift_report":
        return f"{detail}#drift-title"
    if link.target == "deployment":
        deployments = reverse("command_center:deployment-list")
        return f"{deployments}?model={model}&environment=production"
    if link.target == "drift_alerts":
        return f"{reverse('command_center:alert-list')}?model={model}"
    if link.target == "intake":
        return reverse("command_center:model-intake", args=[model])
    if link.target == "documentation":
        return reverse("command_center:documentation", args=[model, int(link.ref)])
    if link.target == "audit":
        return reverse("command_center:audit")
    return detail


def _framework_rows(coverage: FrameworkCoverage, model: str) -> dict:
    counts = coverage.counts
    return {
        "framework": coverage.framework,
        "counts": counts,
        "not_applicable": len(coverage.obligations) - counts.applicable,
        "obligations": [
            {
                "obligation": result.obligation,
                "status": result.status,
                "status_label": STATUS_LABELS[result.status],
                "evidence": [
                    {"result": item, "url": evidence_url(item.link, model)}
                    for item in result.evidence
                ],
            }
            for result in coverage.obligations
            if result.status != NOT_APPLICABLE
        ],
        "not_applicable_obligations": [
            result.obligation
            for result in coverage.obligations
            if result.status == NOT_APPLICABLE
        ],
    }


class ModelObligationsView(RolePage):
    """Which obligations of the enabled frameworks a model meets, and where
    the evidence is: the examiner's first question, in one click."""

    template_name = "command_center/model_obligations.html"
    section = "models"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        try:
            found = coverage_for_model(name=kwargs["name"])
        except NotFoundError as error:
            raise Http404(str(error)) from error
        context.update(
            model=found.model,
            facts=found.facts,
            frameworks=[
                _framework_rows(coverage, found.model.name)
                for coverage in found.frameworks
            ],
        )
        return context
