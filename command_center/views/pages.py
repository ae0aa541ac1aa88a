"""The read pages: the overview, the lists and the model page."""

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404
from django.utils import timezone
from rest_framework import serializers

from command_center import charts, selectors
from command_center.filters import (
    DeploymentListFilter,
    ModelListFilter,
    PageFilter,
)
from command_center.portfolio import (
    OBLIGATIONS_PART_LABEL,
    OBLIGATIONS_PART_MEANING,
    READINESS_BANDS,
    READINESS_PART_LABELS,
    READINESS_PART_MEANINGS,
    REVIEW_CADENCE_DAYS,
    RISK_TIERS,
)
from command_center.selectors.deployments import deployment_list
from command_center.selectors.portfolio import heat
from command_center.views.access import (
    RolePage,
    invalid_filters_page,
    page_of,
    query_without,
)
from command_center.views.intake import intake_context
from command_center.views.reviews import may_use_the_workspace
from governance.engine import (
    MODEL_CARD_FIELDS,
    OBLIGATIONS_WEIGHT,
    READINESS_WEIGHTS,
    readiness_weights,
)
from governance.engine.constants import DRIFT_HEALTH
from integrations.selectors import open_ungoverned_changes
from mlgov.audit import audit_entries
from mlgov.exceptions import FieldError, NotFoundError
from mlgov.permissions import (
    can_download_evidence_pack,
    can_read_audit_trail,
    can_read_technical_documentation,
)
from registry.constants import PRODUCTION
from registry.models import MLModel


class OverviewView(RolePage):
    """The portfolio in ten seconds: every number links to its list."""

    template_name = "command_center/overview.html"
    section = "overview"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        data = selectors.overview()
        summary = data.summary
        context.update(
            summary=summary,
            environments=data.environments,
            heat_map=data.heat_map,
            computed_at=data.computed_at,
            reviews_past_due=data.reviews_past_due,
            review_sla_days=[
                (tier, settings.REVIEW_SLA_DAYS[tier]) for tier in RISK_TIERS
            ],
            can_open_reviews=may_use_the_workspace(self.request.user),
            obligations_weight=OBLIGATIONS_WEIGHT,
            # Read on every view, outside the cached overview: an alert.
            ungoverned_changes=open_ungoverned_changes(),
            trend_chart=charts.trend_chart(
                "trend",
                [(point.day, point.models_compliance_rate) for point in data.trend],
                title="Share of models compliant in production, daily",
            ),
            trend_rows=data.trend[-7:],
            frozen_environments=data.frozen,
            trend_days=len(data.trend),
            models_non_compliant=summary["models"] - summary["models_compliant"],
            models_heat=heat(summary["models_compliance_rate"]),
            production_heat=heat(summary["production"]["compliance_rate"]),
            drift_max=max(
                1,
                summary["drift_alerts_open"]["warning"],
                summary["drift_alerts_open"]["critical"],
            ),
            gate_max=max(
                1,
                *(
                    summary["gate_decisions_30d"].get(key, 0)
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


class ModelListView(RolePage):
    """The inventory: filters, sort, search and pages in the query string."""

    template_name = "command_center/model_list.html"
    section = "models"

    def get(self, request, *args, **kwargs):
        context = self.get_context_data(**kwargs)
        try:
            filters = ModelListFilter.from_get(request)
        except (FieldError, serializers.ValidationError) as error:
            return invalid_filters_page(request, error, self.template_name, context)
        state = selectors.portfolio_state()
        environment = filters.get("environment") or PRODUCTION
        if environment not in state.environments:
            return invalid_filters_page(
                request,
                FieldError("environment", "No such environment."),
                self.template_name,
                context,
            )
        frameworks = state.frameworks
        framework = filters.get("framework")
        if framework and framework not in dict(frameworks):
            return invalid_filters_page(
                request,
                FieldError("framework", "No such enabled framework."),
                self.template_name,
                context,
            )
        rows = selectors.filter_model_rows(
            state.rows,
            team=filters.get("team"),
            risk_tier=filters.get("risk_tier"),
            kind=filters.get("kind"),
            compliance=filters.get("compliance"),
            environment=environment,
            readiness=filters.get("readiness"),
            overdue=filters.get("overdue"),
            obligations=filters.get("obligations"),
            framework=framework,
            q=filters.get("q"),
            sort=filters.get("sort", "name"),
        )
        context.update(
            page=page_of(request, rows, filters),
            total=len(rows),
            filters=filters,
            environment=environment,
            environments=state.environments,
            frameworks=frameworks,
            query=query_without(request, "page"),
            today=timezone.now().date(),
            csv_query=query_without(request, "page", "page_size"),
        )
        return self.render_to_response(context)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            teams=selectors.team_names(),
            risk_tiers=RISK_TIERS,
            model_kinds=MLModel.Kind.choices,
            readiness_bands=READINESS_BANDS,
            sorts=[
                ("name", "Name"),
                ("readiness", "Readiness, lowest first"),
                ("-readiness", "Readiness, highest first"),
                ("exposure", "Exposure, highest first"),
                ("risk_tier", "Risk tier"),
                ("review_due", "Review due, soonest first"),
                ("team", "Team"),
                ("obligations", "Obligations met, lowest share first"),
            ],
            frameworks=(),
            filters={},
        )
        return context


AUDIT_PAGE_SIZE = 25


class ModelDetailView(RolePage):
    """One model: per environment who speaks for it and why it passes or
    fails, readiness and its parts, versions, evaluations, reviews, waivers,
    drift charts, deployments and the audit history, a page at a time."""

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
            audit_page=Paginator(page.audit, AUDIT_PAGE_SIZE).get_page(
                self.request.GET.get("page")
            ),
            can_download_evidence_pack=can_download_evidence_pack(self.request.user),
            can_read_documentation=can_read_technical_documentation(
                self.request.user, page.model
            ),
            model=page.model,
            row=page.row,
            readiness_parts=[
                (
                    READINESS_PART_LABELS.get(part, OBLIGATIONS_PART_LABEL),
                    page.row.readiness_points.get(part, 0.0),
                    round(weight, 1),
                )
                for part, weight in readiness_weights(
                    with_obligations="obligations" in page.row.readiness_points
                ).items()
            ],
            drift_charts=[
                (series, charts.drift_chart(f"drift-{index}", series))
                for index, series in enumerate(page.drift, start=1)
            ],
            performance_charts=[
                (series, charts.performance_chart(f"performance-{index}", series))
                for index, series in enumerate(page.performance, start=1)
            ],
            fairness_charts=[
                (report, charts.fairness_chart(f"fairness-{index}", report))
                for index, report in enumerate(page.fairness, start=1)
            ],
            today=timezone.now().date(),
            # The newest version that describes an LLM application or a
            # vendor model: what the model page's generative section shows.
            generative_version=next(
                (version for version in page.versions if version.is_generative),
                None,
            ),
            **intake_context(self.request.user, page.model, back="model"),
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
            return invalid_filters_page(request, error, self.template_name, context)
        deployments = deployment_list(
            **{k: v for k, v in filters.items() if k not in ("page", "page_size")}
        )
        context.update(
            filters=filters,
            page=page_of(request, deployments, filters),
            query=query_without(request, "page"),
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
            return invalid_filters_page(request, error, self.template_name, context)
        context.update(page=page_of(request, audit_entries(), filters), query="")
        return self.render_to_response(context)


class ReadinessHelpView(RolePage):
    """How the readiness score is computed, from the engine's own weights."""

    template_name = "command_center/readiness_help.html"
    section = "models"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            parts=[
                (READINESS_PART_LABELS[part], weight, READINESS_PART_MEANINGS[part])
                for part, weight in READINESS_WEIGHTS.items()
            ],
            total=sum(READINESS_WEIGHTS.values()),
            obligations_part=(
                OBLIGATIONS_PART_LABEL,
                OBLIGATIONS_WEIGHT,
                OBLIGATIONS_PART_MEANING,
            ),
            scaled_parts=[
                (READINESS_PART_LABELS[part], round(weight, 1))
                for part, weight in readiness_weights(with_obligations=True).items()
                if part in READINESS_PART_LABELS
            ],
            drift_health=sorted(DRIFT_HEALTH.items(), key=lambda item: -item[1]),
            card_fields=MODEL_CARD_FIELDS,
            bands=READINESS_BANDS,
            review_sla=list(settings.REVIEW_SLA_DAYS.items()),
        )
        return context
