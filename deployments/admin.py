from django.contrib import admin, messages
from django.templatetags.static import static
from django.utils.html import format_html, format_html_join

from deployments import services
from deployments.models import Deployment, DeploymentStep, GateDecision, MoveRefusal
from deployments.selectors import model_standings
from mlgov.admin_tools import NoteActionForm, ReadOnlyAdminMixin, run_service_on_each
from registry.admin import extend_model_admin
from registry.constants import PRODUCTION
from registry.models import MLModel


def _checks_list(checks: list[dict]):
    return format_html(
        "<ul>{}</ul>",
        format_html_join(
            "",
            "<li>{} <strong>{}</strong>: {}</li>",
            (
                ("✓" if check["passed"] else "✗", check["check"], check["detail"])
                for check in checks
            ),
        ),
    )


class StepInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = DeploymentStep
    fields = [
        "at",
        "action",
        "from_status",
        "to_status",
        "traffic_percent",
        "actor",
        "reason",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class RefusalInline(admin.TabularInline):
    model = MoveRefusal
    fields = ["at", "action", "failed_check", "detail", "actor", "reason"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "refused moves"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


@admin.register(Deployment)
class DeploymentAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "model",
        "version_number",
        "environment",
        "strategy",
        "traffic_percent",
        "decision",
        "status",
        "requested_by",
        "requested_at",
        "activated_at",
        "ended_at",
    ]
    list_filter = [
        "environment",
        "status",
        "decision",
        "strategy",
        ("model", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["model", "version", "environment", "requested_by"]
    search_fields = ["model__name"]
    date_hierarchy = "requested_at"
    fields = [
        "model",
        "version",
        "environment",
        "strategy",
        "traffic_percent",
        "decision",
        "status",
        "gate_checks",
        "gate_warnings",
        "requested_by",
        "requested_at",
        "started_at",
        "activated_at",
        "ended_at",
        "supersedes",
        "gate_decision",
    ]
    readonly_fields = fields
    inlines = [StepInline, RefusalInline]
    action_form = NoteActionForm
    actions = ["start", "complete", "fail", "promote_to_primary", "rollback"]

    def get_queryset(self, request):
        # The changelist skips list_select_related when the queryset already
        # selects something, so name every relation here.
        return (
            super()
            .get_queryset(request)
            .select_related("gate_decision", *self.list_select_related)
        )

    def has_add_permission(self, request):
        # Requests go through the gate: POST /api/v1/deployments/.
        return False

    def has_change_permission(self, request, obj=None):
        # The page of one deployment is read-only; the list's actions move it.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="version", ordering="version__version")
    def version_number(self, deployment):
        return deployment.version.version

    @admin.display(description="gate checks")
    def gate_checks(self, deployment):
        return _checks_list(deployment.gate_decision.checks)

    @admin.display(description="warnings")
    def gate_warnings(self, deployment):
        return "; ".join(deployment.gate_decision.warnings) or "none"

    def _note(self, request) -> str:
        return request.POST.get("note", "")

    @admin.action(
        description="Start the selected approved deployments", permissions=["change"]
    )
    def start(self, request, queryset):
        reason = self._note(request)
        run_service_on_each(
            request,
            queryset,
            lambda deployment: services.start_deployment(
                actor=request.user, deployment=deployment, reason=reason
            ),
            ("deployment started", "deployments started"),
        )

    @admin.action(description="Complete the selected rollouts", permissions=["change"])
    def complete(self, request, queryset):
        reason = self._note(request)
        run_service_on_each(
            request,
            queryset,
            lambda deployment: services.complete_deployment(
                actor=request.user, deployment=deployment, reason=reason
            ),
            ("deployment completed", "deployments completed"),
        )

    @admin.action(
        description="Mark the selected rollouts failed", permissions=["change"]
    )
    def fail(self, request, queryset):
        reason = self._note(request)
        run_service_on_each(
            request,
            queryset,
            lambda deployment: services.fail_deployment(
                actor=request.user, deployment=deployment, reason=reason
            ),
            ("deployment failed", "deployments failed"),
        )

    @admin.action(
        description="Promote the selected canaries to all traffic",
        permissions=["change"],
    )
    def promote_to_primary(self, request, queryset):
        reason = self._note(request)
        run_service_on_each(
            request,
            queryset,
            lambda deployment: services.promote_deployment(
                actor=request.user,
                deployment=deployment,
                traffic_percent=100,
                reason=reason,
            ),
            ("canary promoted", "canaries promoted"),
        )

    @admin.action(
        description="Roll back the selected active deployments", permissions=["change"]
    )
    def rollback(self, request, queryset):
        reason = self._note(request).strip()
        if not reason:
            messages.error(
                request,
                "A rollback needs a reason: write it in “Comment or reason”, "
                "then roll back again. Nothing was rolled back.",
            )
            return
        run_service_on_each(
            request,
            queryset,
            lambda deployment: services.rollback_deployment(
                actor=request.user, deployment=deployment, reason=reason
            ),
            ("deployment rolled back", "deployments rolled back"),
        )


@admin.register(MoveRefusal)
class MoveRefusalAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "id",
        "deployment",
        "action",
        "status",
        "failed_check",
        "actor",
        "at",
    ]
    list_filter = ["action", "failed_check"]
    list_select_related = ["deployment", "actor"]
    search_fields = ["deployment__model__name"]
    date_hierarchy = "at"
    fields = [
        "deployment",
        "action",
        "status",
        "traffic_percent",
        "failed_check",
        "detail",
        "reason",
        "actor",
        "at",
    ]
    readonly_fields = fields


@admin.register(GateDecision)
class GateDecisionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "id",
        "version",
        "environment",
        "decision",
        "blocking",
        "requested_by",
        "requested_at",
    ]
    list_filter = ["decision", "environment"]
    list_select_related = ["version__model", "environment", "requested_by"]
    search_fields = ["version__model__name", "request_id"]
    date_hierarchy = "requested_at"
    fields = [
        "version",
        "environment",
        "strategy",
        "traffic_percent",
        "decision",
        "gate_checks",
        "warnings",
        "evaluation",
        "approval_ids",
        "waiver_ids",
        "requested_by",
        "requested_at",
        "client_ip",
        "request_id",
    ]
    readonly_fields = fields

    @admin.display(description="blocking checks")
    def blocking(self, decision):
        return ", ".join(check["check"] for check in decision.blocking_checks) or "-"

    @admin.display(description="gate checks")
    def gate_checks(self, decision):
        return _checks_list(decision.checks)


# The production verdict on the registry's model list, computed now as the
# gate computes it, about the version serving production, else the model's
# candidate (DESIGN §2): the same answer as the command center's.


def load_production_verdicts(models: list[MLModel]) -> None:
    """Set `production_standing` on each model of the page."""
    standings = model_standings(
        MLModel.objects.filter(pk__in=[model.pk for model in models]),
        environments=[PRODUCTION],
    )
    for model in models:
        standing = standings.get(model.pk)
        model.production_standing = (
            standing.environments.get(PRODUCTION) if standing else None
        )


@admin.display(description="production verdict")
def production_verdict(model) -> str:
    """The version and its verdict after an icon: "v3 serving: passes",
    "v5 candidate: fails: <first reason>", or "no submitted version"."""
    standing = model.production_standing
    if standing is None:
        icon, text = "unknown", "no submitted version"
    elif standing.passed:
        icon, text = "yes", f"{standing.label}: passes"
    else:
        icon, text = "no", f"{standing.label}: fails: {standing.verdict.reasons[0]}"
    return format_html(
        '<img src="{}" alt=""> {}', static(f"admin/img/icon-{icon}.svg"), text
    )


extend_model_admin(columns=[production_verdict], load_page=load_production_verdicts)
