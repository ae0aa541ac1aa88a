"""The simulation page and saved runs: nothing here is enforced."""

import json
from typing import Any

from django.http import Http404
from django.shortcuts import redirect

from command_center import selectors
from command_center.forms import SimulationForm
from command_center.portfolio import RISK_TIERS
from command_center.services import save_simulation
from command_center.views.access import RolePage, acting_user
from governance.selectors import policies_with_rules, policy_document
from governance.services import run_simulation
from governance.simulation import compare_outcomes
from mlgov.exceptions import DomainError, FieldError, NotFoundError
from mlgov.permissions import can_run_simulations
from registry.selectors import environment_names, tag_names


class SimulationView(RolePage):
    """Pick policies, change them, run: the impact of the proposal. Nothing
    here is enforced; running and saving change no policy."""

    template_name = "command_center/simulation.html"
    section = "simulation"

    def has_role(self, user) -> bool:
        return can_run_simulations(user)

    def _form(self, data=None) -> SimulationForm:
        return SimulationForm(
            data,
            documents=[policy_document(policy) for policy in policies_with_rules()],
            environments=environment_names(),
            tags=tag_names(),
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", self._form())
        context["saved_runs"] = list(selectors.saved_simulations()[:20])
        return context

    def post(self, request, *args, **kwargs):
        form = self._form(request.POST)
        if not form.is_valid():
            return self.render_to_response(
                self.get_context_data(form=form, invalid=True), status=400
            )
        proposal = form.proposal()
        try:
            if form.run.is_save:
                run = save_simulation(
                    actor=acting_user(request),
                    name=form.run.cleaned_data["name"],
                    upsert=proposal["upsert"],
                    remove=proposal["remove"],
                )
                return redirect("command_center:simulation-detail", pk=run.pk)
            result = run_simulation(
                actor=acting_user(request),
                upsert=proposal["upsert"],
                remove=proposal["remove"],
            )
        except DomainError as error:
            shown = isinstance(error, FieldError) and form.show_error(error)
            context = self.get_context_data(
                form=form, invalid=shown, error=None if shown else error
            )
            return self.render_to_response(context, status=error.status_code)
        context = self.get_context_data(
            form=form, proposal=proposal, result=tiers_in_order(result)
        )
        return self.render_to_response(context)


class SavedSimulationView(RolePage):
    """A saved run as it was, and, on request, the same proposal run now."""

    template_name = "command_center/simulation_detail.html"
    section = "simulation"

    def has_role(self, user) -> bool:
        return can_run_simulations(user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        try:
            run = selectors.saved_simulation(pk=kwargs["pk"])
        except NotFoundError as error:
            raise Http404(str(error)) from error
        context["run"] = run
        context["result"] = tiers_in_order(run.result)
        context["proposal_json"] = json.dumps(run.proposal, indent=2, sort_keys=True)
        if self.request.GET.get("compare"):
            try:
                now = run_simulation(
                    actor=acting_user(self.request),
                    upsert=run.proposal.get("upsert", []),
                    remove=run.proposal.get("remove", []),
                )
            except DomainError as error:
                context["compare_error"] = error
            else:
                context["now"] = now
                context["comparison"] = _compare(run.result["summary"], now["summary"])
        return context


class SimulationCompareView(RolePage):
    """Two saved runs side by side: their numbers, and every version and
    environment one run fails and the other passes."""

    template_name = "command_center/simulation_compare.html"
    section = "simulation"

    def has_role(self, user) -> bool:
        return can_run_simulations(user)

    def _run(self, field: str):
        raw = self.request.GET.get(field, "")
        if not raw.isdigit():
            raise FieldError(field, "Choose a saved run (its number).")
        try:
            return selectors.saved_simulation(pk=int(raw))
        except NotFoundError as error:
            raise FieldError(field, f"No saved run {raw}.") from error

    def get(self, request, *args, **kwargs):
        context = self.get_context_data(**kwargs)
        try:
            first, second = self._run("a"), self._run("b")
        except FieldError as error:
            context["compare_error"] = error
            return self.render_to_response(context, status=400)
        context.update(
            first=first,
            second=second,
            summary=_compare(first.result["summary"], second.result["summary"]),
            rows=compare_outcomes(
                first.result.get("changes", []), second.result.get("changes", [])
            ),
            truncated=first.result.get("changes_truncated")
            or second.result.get("changes_truncated"),
        )
        return self.render_to_response(context)


def tiers_in_order(result: dict[str, Any]) -> dict[str, Any]:
    """The simulation's answer with its risk tiers gravest first."""
    tiers = result["summary"]["by_risk_tier"]
    ordered = {tier: tiers[tier] for tier in RISK_TIERS if tier in tiers}
    summary = {**result["summary"], "by_risk_tier": ordered}
    return {**result, "summary": summary}


def _compare(
    saved: dict[str, Any], now: dict[str, Any]
) -> list[tuple[str, Any, Any, Any]]:
    rows = []
    for key, label in (
        ("evaluated", "Pairs evaluated"),
        ("newly_failing", "Newly failing"),
        ("newly_passing", "Newly passing"),
        (
            "active_deployments_out_of_compliance",
            "Active deployments out of compliance",
        ),
    ):
        before, after = saved.get(key), now.get(key)
        delta = (
            after - before
            if isinstance(before, int) and isinstance(after, int)
            else None
        )
        rows.append((label, before, after, delta))
    return rows
