"""The command center's pages. Each reads through a selector or calls one
service; the numbers come from command_center.selectors, like the API's."""

import csv
import json
from collections.abc import Iterator
from typing import Any, cast

from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.views import LoginView, LogoutView
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView
from rest_framework import serializers

from command_center import charts, deployment_data, selectors
from command_center.filters import (
    DEFAULT_PAGE_SIZE,
    DeploymentListFilter,
    DriftAlertListFilter,
    ModelListFilter,
    PageFilter,
)
from command_center.portfolio import (
    READINESS_BANDS,
    READINESS_WEIGHTS_LABELS,
    REVIEW_CADENCE_DAYS,
    RISK_TIERS,
)
from command_center.proposals import (
    form_policies,
    form_with_submitted,
    proposal_from_form,
)
from command_center.services import save_simulation
from drift import constants as drift_vocabulary
from governance.engine import ENFORCEMENTS, RULE_KINDS
from governance.selectors import policies_with_rules, policy_document
from governance.services import run_simulation
from mlgov.exceptions import DomainError, FieldError, NotFoundError
from mlgov.permissions import (
    can_read_audit_trail,
    can_read_inventory,
    can_run_simulations,
)


def _actor(request: HttpRequest) -> AbstractBaseUser:
    """The signed-in user (the role mixins have turned anonymous users away)."""
    return cast(AbstractBaseUser, request.user)


class SignInView(LoginView):
    """The product's own sign-in page (rate-limited like the admin's: the
    rate-limit middleware counts POSTs to every LoginView)."""

    template_name = "command_center/sign_in.html"
    redirect_authenticated_user = True


class SignOutView(LogoutView):
    """Sign out (POST only) and return to the sign-in page."""

    next_page = "command_center:sign-in"


class RoleRequiredMixin(LoginRequiredMixin):
    """Anonymous users go to sign in; signed-in users without the role get 403."""

    section = ""

    def has_role(self, user) -> bool:
        return can_read_inventory(user)

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not self.has_role(request.user):
            raise PermissionDenied("Your role does not open this page.")
        return super().dispatch(request, *args, **kwargs)


class RolePage(RoleRequiredMixin, TemplateView):
    """A page of the command center, naming its section for the navigation."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["section"] = self.section
        return context


def _invalid(
    request: HttpRequest, error: Exception, template: str, context: dict
) -> HttpResponse:
    """The page with the filter errors named, answered 400."""
    if isinstance(error, FieldError):
        errors = {error.field: error.details[error.field]}
    elif isinstance(error, serializers.ValidationError) and isinstance(
        error.detail, dict
    ):
        errors = {
            field: [str(message) for message in messages]
            for field, messages in error.detail.items()
        }
    else:
        errors = {"non_field_errors": [str(error)]}
    context = {**context, "filter_errors": errors}
    return render(request, template, context, status=400)


def _query_without(request: HttpRequest, *names: str) -> str:
    params = request.GET.copy()
    for name in names:
        params.pop(name, None)
    return params.urlencode()


def _page(request: HttpRequest, items, filters: dict):
    paginator = Paginator(items, filters.get("page_size", DEFAULT_PAGE_SIZE))
    return paginator.get_page(filters.get("page", 1))


class OverviewView(RolePage):
    """The portfolio in ten seconds: every number links to its list."""

    template_name = "command_center/overview.html"
    section = "overview"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        data = selectors.overview()
        summary = data["summary"]
        tiers = [
            {
                "tier": tier,
                **summary["by_risk_tier"][tier],
                "cells": [
                    {
                        "environment": environment,
                        **summary["by_risk_tier"][tier]["environments"][environment],
                        "heat": _heat(
                            summary["by_risk_tier"][tier]["environments"][environment][
                                "compliance_rate"
                            ]
                        ),
                    }
                    for environment in data["environments"]
                ],
            }
            for tier in RISK_TIERS
        ]
        context.update(
            summary=summary,
            environments=data["environments"],
            tiers=tiers,
            computed_at=data["computed_at"],
            deployments_available=deployment_data.deployments_available(),
            trend_chart=charts.trend_chart(
                "trend",
                [(day, rate) for day, rate, _production in data["trend"]],
                title="Share of models compliant in production, daily",
            ),
            trend_rows=data["trend"][-7:],
            trend_days=len(data["trend"]),
            models_non_compliant=summary["models"] - summary["models_compliant"],
            models_heat=_heat(summary["models_compliance_rate"]),
            production_heat=_heat(summary["production"]["compliance_rate"]),
            drift_max=max(
                1,
                summary["drift_alerts_open"]["warning"],
                summary["drift_alerts_open"]["critical"],
            ),
            gate_max=max(
                1,
                *(
                    (summary["gate_decisions_30d"] or {}).get(key, 0)
                    for key in ("approved", "blocked")
                ),
            ),
            overdue_rows=[
                (
                    tier,
                    summary["overdue_reviews"]["by_risk_tier"][tier],
                    REVIEW_CADENCE_DAYS[tier],
                )
                for tier in RISK_TIERS
            ],
        )
        return context


def _heat(rate: float | None) -> str:
    """A heat-map class for a compliance rate (the cell shows the number too)."""
    if rate is None:
        return "none"
    if rate >= 0.95:
        return "good"
    if rate >= 0.8:
        return "fair"
    if rate >= 0.5:
        return "poor"
    return "bad"


class ModelListView(RolePage):
    """The inventory: filters, sort, search and pages in the query string."""

    template_name = "command_center/model_list.html"
    section = "models"

    def get(self, request, *args, **kwargs):
        context = self.get_context_data(**kwargs)
        try:
            filters = ModelListFilter.from_get(request)
        except (FieldError, serializers.ValidationError) as error:
            return _invalid(request, error, self.template_name, context)
        state = selectors.portfolio_state()
        environment = filters.get("environment") or selectors.PRODUCTION
        if environment not in state.environments:
            return _invalid(
                request,
                FieldError("environment", "No such environment."),
                self.template_name,
                context,
            )
        rows = selectors.filter_model_rows(
            state.rows,
            team=filters.get("team"),
            risk_tier=filters.get("risk_tier"),
            compliance=filters.get("compliance"),
            environment=environment,
            readiness=filters.get("readiness"),
            overdue=filters.get("overdue"),
            q=filters.get("q"),
            sort=filters.get("sort", "name"),
        )
        context.update(
            page=_page(request, rows, filters),
            total=len(rows),
            filters=filters,
            environment=environment,
            environments=state.environments,
            query=_query_without(request, "page"),
            today=timezone.now().date(),
            csv_query=_query_without(request, "page", "page_size"),
        )
        return self.render_to_response(context)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            teams=selectors.team_names(),
            risk_tiers=RISK_TIERS,
            readiness_bands=READINESS_BANDS,
            sorts=[
                ("name", "Name"),
                ("readiness", "Readiness, lowest first"),
                ("-readiness", "Readiness, highest first"),
                ("risk_tier", "Risk tier"),
                ("review_due", "Review due, soonest first"),
                ("team", "Team"),
            ],
            filters={},
        )
        return context


class ModelDetailView(RolePage):
    """One model: readiness and its parts, versions, evaluations, reviews,
    waivers, drift charts, deployments and the audit history."""

    template_name = "command_center/model_detail.html"
    section = "models"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        try:
            page = selectors.model_page(name=kwargs["name"])
        except NotFoundError as error:
            raise Http404(str(error)) from error
        context.update(
            page=page,
            model=page.model,
            row=page.row,
            readiness_parts=[
                (label, page.row.readiness_points.get(key, 0.0), weight)
                for key, label, weight in READINESS_WEIGHTS_LABELS
            ],
            drift_charts=[
                (series, charts.drift_chart(f"drift-{index}", series))
                for index, series in enumerate(page.drift, start=1)
            ],
            today=timezone.now().date(),
            deployments_available=deployment_data.deployments_available(),
        )
        return context


class DriftAlertListView(RolePage):
    """Drift alerts, unresolved by default."""

    template_name = "command_center/alert_list.html"
    section = "drift"

    def get(self, request, *args, **kwargs):
        context = self.get_context_data(**kwargs)
        try:
            filters = DriftAlertListFilter.from_get(request)
        except (FieldError, serializers.ValidationError) as error:
            return _invalid(request, error, self.template_name, context)
        filters.setdefault("status", "unresolved")
        alerts = selectors.alert_list(
            severity=filters.get("severity"),
            status=filters.get("status"),
            model=filters.get("model"),
            environment=filters.get("environment"),
        )
        context.update(
            page=_page(request, alerts, filters),
            filters=filters,
            query=_query_without(request, "page"),
        )
        return self.render_to_response(context)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            severities=list(reversed(drift_vocabulary.SEVERITIES)),
            statuses=["unresolved", *drift_vocabulary.ALERT_STATUSES],
            environments=selectors.environment_names(),
            filters={},
        )
        return context


class DeploymentListView(RolePage):
    """The deployment ledger (once the deployments app records it)."""

    template_name = "command_center/deployment_list.html"
    section = "deployments"

    def get(self, request, *args, **kwargs):
        context = self.get_context_data(**kwargs)
        try:
            filters = DeploymentListFilter.from_get(request)
        except (FieldError, serializers.ValidationError) as error:
            return _invalid(request, error, self.template_name, context)
        deployments = deployment_data.deployment_list(
            **{k: v for k, v in filters.items() if k not in ("page", "page_size")}
        )
        context.update(
            filters=filters,
            deployments_available=deployments is not None,
            page=_page(request, deployments, filters)
            if deployments is not None
            else None,
            query=_query_without(request, "page"),
        )
        return self.render_to_response(context)


class AuditListView(RolePage):
    """The audit trail, for auditors and governance admins."""

    template_name = "command_center/audit_list.html"
    section = "audit"

    def has_role(self, user) -> bool:
        return can_read_audit_trail(user)

    def get(self, request, *args, **kwargs):
        context = self.get_context_data(**kwargs)
        try:
            filters = PageFilter.from_get(request)
        except (FieldError, serializers.ValidationError) as error:
            return _invalid(request, error, self.template_name, context)
        context.update(
            page=_page(request, selectors.audit_entries(), filters), query=""
        )
        return self.render_to_response(context)


class InventoryCSVView(RoleRequiredMixin, View):
    """The inventory as CSV, streamed a batch of models at a time."""

    def get(self, request, *args, **kwargs):
        environments = selectors.environment_names()
        today = timezone.now().date()
        response = StreamingHttpResponse(
            _csv_lines(environments, today), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = (
            f'attachment; filename="mlgov-inventory-{today:%Y-%m-%d}.csv"'
        )
        return response


class _Echo:
    def write(self, value: str) -> str:
        return value


CSV_HEADER = [
    "model",
    "display_name",
    "team",
    "owner",
    "risk_tier",
    "current_version",
    "version_status",
    "versions",
]
CSV_TAIL = ["readiness", "last_approval", "next_review_due", "review_overdue"]


def _csv_lines(environments: list[str], today) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(
        CSV_HEADER
        + [f"compliant_{environment}" for environment in environments]
        + CSV_TAIL
    )
    for row in selectors.inventory_rows_in_batches():
        yield writer.writerow(
            [
                _csv_safe(row.name),
                _csv_safe(row.display_name),
                _csv_safe(row.team),
                _csv_safe(row.owner),
                row.risk_tier,
                row.version if row.version is not None else "",
                row.version_status or "",
                row.versions,
                *(
                    ("yes" if row.compliance.get(environment) else "no")
                    if row.version is not None
                    else ""
                    for environment in environments
                ),
                "" if row.readiness is None else f"{row.readiness:.1f}",
                row.last_approved_at.isoformat() if row.last_approved_at else "",
                row.review_due.isoformat() if row.review_due else "",
                "yes" if row.is_overdue(today) else "no",
            ]
        )


def _csv_safe(value: str) -> str:
    """Neutralise spreadsheet formulas in free text (CSV injection)."""
    if value and value[0] in "=+-@\t\r":
        return "'" + value
    return value


class SimulationView(RolePage):
    """Pick policies, change them, run: the impact of the proposal. Nothing
    here is enforced; running and saving change no policy."""

    template_name = "command_center/simulation.html"
    section = "simulation"

    def has_role(self, user) -> bool:
        return can_run_simulations(user)

    def _documents(self):
        return [policy_document(policy) for policy in policies_with_rules()]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        documents = kwargs.get("documents") or self._documents()
        context.update(
            policies=form_with_submitted(
                form_policies(documents), kwargs.get("submitted")
            ),
            environments=selectors.environment_names(),
            risk_tiers=RISK_TIERS,
            enforcements=list(ENFORCEMENTS),
            rule_kinds=list(RULE_KINDS),
            saved_runs=list(selectors.saved_simulations()[:20]),
        )
        return context

    def post(self, request, *args, **kwargs):
        documents = self._documents()
        context = self.get_context_data(documents=documents, submitted=request.POST)
        context["submitted"] = request.POST
        try:
            proposal = proposal_from_form(
                documents, request.POST, environments=context["environments"]
            )
            if request.POST.get("action") == "save":
                run = save_simulation(
                    actor=_actor(request),
                    name=request.POST.get("name", ""),
                    upsert=proposal["upsert"],
                    remove=proposal["remove"],
                )
                return redirect("command_center:simulation-detail", pk=run.pk)
            result = run_simulation(
                actor=_actor(request),
                upsert=proposal["upsert"],
                remove=proposal["remove"],
            )
        except DomainError as error:
            context["error"] = error
            return self.render_to_response(context, status=error.status_code)
        context.update(
            proposal=proposal,
            result=_tiers_in_order(result),
            deployments_available=deployment_data.deployments_available(),
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
        context["result"] = _tiers_in_order(run.result)
        context["proposal_json"] = json.dumps(run.proposal, indent=2, sort_keys=True)
        context["deployments_available"] = deployment_data.deployments_available()
        if self.request.GET.get("compare"):
            try:
                now = run_simulation(
                    actor=_actor(self.request),
                    upsert=run.proposal.get("upsert", []),
                    remove=run.proposal.get("remove", []),
                )
            except DomainError as error:
                context["compare_error"] = error
            else:
                context["now"] = now
                context["comparison"] = _compare(run.result["summary"], now["summary"])
        return context


def _tiers_in_order(result: dict[str, Any]) -> dict[str, Any]:
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
