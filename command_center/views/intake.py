"""The use-case intake page, the risk class change queue, and their POST
actions; each action calls one service of registry.intake."""

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect

from command_center.intake_forms import (
    IntakeForm,
    RiskClassChangeAskForm,
    RiskClassChangeDecisionForm,
)
from command_center.views.access import RolePage, acting_user
from mlgov.exceptions import DomainError, FieldError, NotFoundError
from mlgov.permissions import can_administer_governance, can_write_model
from registry import intake as intake_services
from registry import selectors
from registry.models import MLModel, RiskClassChange

# How many decided requests the queue shows under the pending ones.
RECENT_DECISIONS = 20


def _model_or_404(name: str) -> MLModel:
    try:
        return selectors.model_by_name(name=name)
    except NotFoundError as error:
        raise Http404(str(error)) from error


class IntakePageView(RolePage):
    """A model's questionnaire and what it derived: the result line by line,
    the transparency duties, the revisions, and the pending request."""

    template_name = "command_center/intake.html"
    section = "models"

    def page(self, *, form=None, ask_form=None, status: int = 200) -> HttpResponse:
        model = _model_or_404(self.kwargs["name"])
        revisions = list(selectors.intake_revisions(model=model))
        shown = revisions[0] if revisions else None
        wanted = self.request.GET.get("revision", "")
        if wanted:
            shown = next((r for r in revisions if str(r.revision) == wanted), None)
            if shown is None:
                raise Http404(f"{model.name} has no intake revision {wanted}.")
        can_answer = can_write_model(self.request.user, model)
        if form is None and can_answer:
            initial = IntakeForm.initial_from(revisions[0]) if revisions else None
            form = IntakeForm(initial=initial)
        pending = selectors.pending_risk_class_change(model=model)
        context = self.get_context_data(
            model=model,
            revisions=revisions,
            shown=shown,
            is_current=bool(revisions) and shown is revisions[0],
            form=form,
            can_answer=can_answer,
            ask_form=ask_form or (RiskClassChangeAskForm() if can_answer else None),
            pending=pending,
            can_decide=_can_decide(self.request.user, pending),
            decision_form=RiskClassChangeDecisionForm(
                auto_id=False, initial={"back": "intake"}
            ),
        )
        return self.render_to_response(context, status=status)

    def get(self, request, *args, **kwargs):
        return self.page()

    def post(self, request, *args, **kwargs):
        model = _model_or_404(kwargs["name"])
        if not can_write_model(request.user, model):
            raise PermissionDenied("Only the owning team answers the intake.")
        form = IntakeForm(request.POST)
        if not form.is_valid():
            return self.page(form=form, status=400)
        try:
            outcome = intake_services.submit_intake(
                actor=acting_user(request), model=model, answers=form.cleaned_data
            )
        except FieldError as error:
            if error.field not in form.fields:
                raise
            form.add_error(error.field, error.details[error.field][0])
            return self.page(form=form, status=400)
        stored = outcome.intake
        text = f"Intake revision {stored.revision} stored: {stored.summary}."
        if outcome.change_request is not None:
            text += (
                " It would lower the model's risk class: a governance admin "
                "decides the request."
            )
        messages.success(request, text)
        return redirect("command_center:model-intake", name=model.name)


def intake_context(user, model: MLModel, *, back: str) -> dict:
    """What the model page shows of the intake: the current revision's
    summary and the pending request, with approve/reject for a governance
    admin who did not ask (two queries)."""
    pending = selectors.pending_risk_class_change(model=model)
    return {
        "current_intake": selectors.current_intakes([model.pk]).get(model.pk),
        "pending_change": pending,
        "can_decide_change": _can_decide(user, pending),
        "decision_form": RiskClassChangeDecisionForm(
            auto_id=False, initial={"back": back}
        ),
    }


def _can_decide(user, pending: RiskClassChange | None) -> bool:
    return (
        pending is not None
        and can_administer_governance(user)
        and pending.requested_by_id != user.pk
    )


class RiskClassChangeAskView(IntakePageView):
    """POST: ask for a lower tier (registry.intake.request_risk_class_change)."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        model = _model_or_404(kwargs["name"])
        form = RiskClassChangeAskForm(request.POST)
        if not form.is_valid():
            return self.page(ask_form=form, status=400)
        try:
            intake_services.request_risk_class_change(
                actor=acting_user(request), model=model, **form.cleaned_data
            )
        except FieldError as error:
            if error.field not in form.fields:
                raise
            form.add_error(error.field, error.details[error.field][0])
            return self.page(ask_form=form, status=400)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                f"Asked for {model.name} to move to the "
                f"{form.cleaned_data['to_tier']} tier; a governance admin decides.",
            )
        return redirect("command_center:model-intake", name=model.name)


class RiskClassChangeQueueView(RolePage):
    """Pending risk class changes, oldest first, and the latest decisions."""

    template_name = "command_center/risk_class_change_list.html"
    section = "risk-classes"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        pending = list(selectors.risk_class_changes(status="pending"))
        decided = list(
            selectors.risk_class_changes()
            .exclude(status="pending")
            .order_by("-decided_at", "-pk")[:RECENT_DECISIONS]
        )
        context.update(
            pending=[(change, _can_decide(user, change)) for change in pending],
            decided=decided,
            decision_form=RiskClassChangeDecisionForm(
                auto_id=False, initial={"back": "queue"}
            ),
        )
        return context


class _DecideView(RolePage):
    http_method_names = ["post"]
    decide: Callable[..., RiskClassChange]
    verb = ""

    def post(self, request, *args, **kwargs):
        try:
            change = selectors.risk_class_change_by_id(pk=kwargs["pk"])
        except NotFoundError as error:
            raise Http404(str(error)) from error
        form = RiskClassChangeDecisionForm(request.POST)
        form.is_valid()
        try:
            decided = self.decide(
                actor=acting_user(request),
                change=change,
                comment=form.cleaned_data.get("comment", ""),
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            model = decided.model
            messages.success(
                request,
                f"{self.verb} the request: {model.name} is {model.risk_tier} risk "
                f"({model.get_ai_act_category_display()}).",
            )
        back = form.cleaned_data.get("back")
        if back == "model":
            return redirect("command_center:model-detail", name=change.model.name)
        if back == "intake":
            return redirect("command_center:model-intake", name=change.model.name)
        return redirect("command_center:risk-class-change-list")


class RiskClassChangeApproveView(_DecideView):
    """POST: a second governance admin approves; the model takes the tier."""

    decide = staticmethod(intake_services.approve_risk_class_change)
    verb = "Approved"


class RiskClassChangeRejectView(_DecideView):
    """POST: a second governance admin rejects, saying why."""

    decide = staticmethod(intake_services.reject_risk_class_change)
    verb = "Rejected"
