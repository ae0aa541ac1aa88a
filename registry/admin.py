from collections.abc import Callable, Sequence

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.utils.html import format_html, format_html_join

from mlgov.admin_tools import (
    NoteActionForm,
    ReadOnlyAdminMixin,
    ServiceErrorsAsMessagesMixin,
    key_value_table,
    run_service_on_each,
)
from registry import intake, services
from registry.models import (
    Environment,
    MLModel,
    ModelVersion,
    RiskClassChange,
    Tag,
    Team,
    UseCaseIntake,
)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "display_name", "member_count", "model_count"]
    search_fields = ["name", "display_name"]
    filter_horizontal = ["members"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                member_count=Count("members", distinct=True),
                model_count=Count("models", distinct=True),
            )
        )

    @admin.display(ordering="member_count")
    def member_count(self, team):
        return team.member_count

    @admin.display(ordering="model_count")
    def model_count(self, team):
        return team.model_count


@admin.register(Environment)
class EnvironmentAdmin(ServiceErrorsAsMessagesMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "rank",
        "requires",
        "min_soak_hours",
        "frozen",
        "freeze_reason",
        "frozen_by",
        "frozen_at",
    ]
    list_filter = ["frozen"]
    list_select_related = ["requires", "frozen_by"]
    search_fields = ["name"]
    # A freeze needs a reason and records who froze it: only the actions do it.
    readonly_fields = ["frozen", "freeze_reason", "frozen_by", "frozen_at"]
    action_form = NoteActionForm
    actions = ["freeze", "unfreeze"]

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        services.save_environment(actor=request.user, environment=obj)

    def _change_freeze(self, request, queryset, service, done):
        reason = request.POST.get("note", "")
        run_service_on_each(
            request,
            queryset,
            lambda environment: service(
                actor=request.user, environment=environment, reason=reason
            ),
            done,
        )

    @admin.action(description="Freeze the selected environments (reason required)")
    def freeze(self, request, queryset):
        self._change_freeze(
            request,
            queryset,
            services.freeze_environment,
            ("environment frozen", "environments frozen"),
        )

    @admin.action(description="Unfreeze the selected environments (reason required)")
    def unfreeze(self, request, queryset):
        self._change_freeze(
            request,
            queryset,
            services.unfreeze_environment,
            ("environment unfrozen", "environments unfrozen"),
        )


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]


class ArchivedFilter(admin.SimpleListFilter):
    title = "archived"
    parameter_name = "archived"

    def lookups(self, request, model_admin):
        return [("no", "Active"), ("yes", "Archived")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(archived_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(archived_at__isnull=True)
        return queryset


class MLModelChangeList(ChangeList):
    """The model list; once the page's rows are read, each app's bulk loader
    attaches what its columns show, in a fixed number of queries."""

    model_admin: "MLModelAdmin"

    def get_results(self, request):
        super().get_results(request)
        self.result_list = list(self.result_list)
        for load in MLModelAdmin.page_loaders:
            load(self.result_list)


@admin.register(MLModel)
class MLModelAdmin(ServiceErrorsAsMessagesMixin, admin.ModelAdmin):
    """The model list. Apps built on the registry add their columns through
    `extend_model_admin` below: drift adds the open alerts, deployments the
    production verdict of the version that speaks for the model."""

    # Filled by `extend_model_admin`: queryset annotations and page loaders.
    annotations: list[Callable[[QuerySet], QuerySet]] = []
    page_loaders: list[Callable[[list[MLModel]], None]] = []
    list_display = [
        "name",
        "display_name",
        "team",
        "risk_tier",
        "kind",
        "ai_act_category",
        "latest_version",
        "latest_status",
        "owner",
        "is_archived",
    ]
    list_filter = ["risk_tier", "kind", ArchivedFilter, "team", "tags"]
    list_filter = ["risk_tier", "ai_act_category", ArchivedFilter, "team", "tags"]
    list_select_related = ["team", "owner"]
    search_fields = ["name", "display_name", "description"]
    autocomplete_fields = ["owner", "team", "tags"]
    # The category is derived by the intake; a lower tier is asked for
    # (registry.intake): the form's save refuses a lowering with a message.
    readonly_fields = ["ai_act_category", "archived_at", "created_at", "updated_at"]
    actions = ["archive", "unarchive"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "name", "team"] if obj else fields

    def get_queryset(self, request):
        latest = ModelVersion.objects.filter(model=OuterRef("pk")).order_by("-version")
        models = (
            super()
            .get_queryset(request)
            .annotate(
                latest_version_id=Subquery(latest.values("pk")[:1]),
                latest_version_number=Subquery(latest.values("version")[:1]),
                latest_version_status=Subquery(latest.values("status")[:1]),
            )
        )
        for annotate in self.annotations:
            models = annotate(models)
        return models

    def get_changelist(self, request, **kwargs):
        return MLModelChangeList

    @admin.display(description="latest version", ordering="latest_version_number")
    def latest_version(self, model):
        return model.latest_version_number or "—"

    @admin.display(description="status", ordering="latest_version_status")
    def latest_status(self, model):
        status = model.latest_version_status
        return ModelVersion.Status(status).label if status else "—"

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        fields = {
            name: form.cleaned_data[name]
            for name in services.MODEL_EDITABLE_FIELDS
            if name in form.cleaned_data
        }
        if change:
            services.update_model(actor=request.user, model=obj, **fields)
        else:
            created = services.register_model(
                actor=request.user,
                name=form.cleaned_data["name"],
                team=form.cleaned_data["team"],
                **fields,
            )
            obj.pk = created.pk

    @admin.action(description="Archive the selected models")
    def archive(self, request, queryset):
        run_service_on_each(
            request,
            queryset,
            lambda model: services.update_model(
                actor=request.user, model=model, archived=True
            ),
            ("model archived", "models archived"),
        )

    @admin.action(description="Unarchive the selected models")
    def unarchive(self, request, queryset):
        run_service_on_each(
            request,
            queryset,
            lambda model: services.update_model(
                actor=request.user, model=model, archived=False
            ),
            ("model unarchived", "models unarchived"),
        )


@admin.register(ModelVersion)
class ModelVersionAdmin(ServiceErrorsAsMessagesMixin, admin.ModelAdmin):
    """The one admin page of versions. Apps built on the registry add their
    actions and inlines through `extend_version_admin` below: governance adds
    submit, approve and reject with the approvals and waivers inlines."""

    action_form = NoteActionForm
    list_display = [
        "__str__",
        "status",
        "framework",
        "provider_model",
        "created_by",
        "submitted_by",
        "submitted_at",
        "created_at",
    ]
    list_filter = [
        "status",
        "model__risk_tier",
        "model__kind",
        "provider",
        "framework",
        "model__team",
    ]
    list_select_related = ["model", "created_by", "submitted_by"]
    search_fields = ["model__name", "model__display_name", "framework"]
    readonly_fields = [
        "model",
        "version",
        "status",
        "parent",
        "created_by",
        "submitted_by",
        "submitted_at",
        "created_at",
        "updated_at",
    ]
    actions = ["retire"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and not obj.is_editable:
            fields += [*services.VERSION_EVIDENCE_FIELDS, *self.TABLES.values()]
        return fields

    # Frozen evidence reads as tables rather than raw JSON.
    TABLES = {
        "metrics": "metrics_table",
        "params": "params_table",
        "model_card": "model_card_table",
        "prompt_template": "prompt_template_text",
        "evaluation_results": "evaluation_results_table",
    }

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is None or obj.is_editable:
            return [name for name in fields if name not in self.TABLES.values()]
        return [
            self.TABLES.get(str(name), str(name))
            for name in fields
            if name not in self.TABLES.values()
        ]

    @admin.display(description="metrics")
    def metrics_table(self, version):
        return key_value_table(version.metrics)

    @admin.display(description="parameters")
    def params_table(self, version):
        return key_value_table(version.params)

    @admin.display(description="model card")
    def model_card_table(self, version):
        return key_value_table(version.model_card)

    @admin.display(description="prompt template")
    def prompt_template_text(self, version):
        if not version.prompt_template:
            return "—"
        return format_html(
            "<pre class='mlgov-prompt'>{}</pre>", version.prompt_template
        )

    @admin.display(description="evaluation results")
    def evaluation_results_table(self, version):
        if not version.evaluation_results:
            return "—"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    result["metric"],
                    result["value"],
                    result["judge"],
                    result["sample_size"],
                    result["suite"],
                    result.get("dataset_ref") or "—",
                )
                for result in version.evaluation_results
            ),
        )
        return format_html(
            "<table class='mlgov-kv'><thead><tr><th>metric</th><th>value</th>"
            "<th>judge</th><th>sample size</th><th>suite</th><th>dataset</th>"
            "</tr></thead><tbody>{}</tbody></table>",
            rows,
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        version = self.get_object(request, object_id)
        if version is not None and not version.is_editable:
            # Nothing on the page can be edited: actions live on the list.
            extra_context = {
                **(extra_context or {}),
                "show_save": False,
                "show_save_and_continue": False,
                "show_save_and_add_another": False,
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def has_add_permission(self, request):
        # Versions are registered by pipelines through the API, which assigns
        # their numbers; the admin reviews and edits drafts.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        changes = {
            name: form.cleaned_data[name]
            for name in services.VERSION_EVIDENCE_FIELDS
            if name in form.changed_data
        }
        services.update_version(actor=request.user, version=obj, **changes)

    @admin.action(description="Retire the selected approved versions")
    def retire(self, request, queryset):
        run_service_on_each(
            request,
            queryset.select_related("model"),
            lambda version: services.retire_version(
                actor=request.user, version=version
            ),
            ("version retired", "versions retired"),
        )


def extend_version_admin(
    *, actions: Sequence[Callable] = (), inlines: Sequence[type] = ()
) -> None:
    """The extension point of the version page: an app above the registry adds
    its admin actions (functions decorated with `@admin.action`) and inlines,
    from its own admin module."""
    ModelVersionAdmin.actions = [*actions, *ModelVersionAdmin.actions]
    ModelVersionAdmin.inlines = [*ModelVersionAdmin.inlines, *inlines]


def extend_model_admin(
    *,
    columns: Sequence[Callable] = (),
    annotate: Callable[[QuerySet], QuerySet] | None = None,
    load_page: Callable[[list[MLModel]], None] | None = None,
) -> None:
    """The extension point of the model list: an app above the registry adds
    columns (functions of one model, decorated with `@admin.display`) after the
    latest version's status. Their values come without a query per row, from
    `annotate` (adds annotations to the list's queryset) or `load_page` (reads
    for all the page's models at once and sets attributes on them; each model
    carries `latest_version_id`)."""
    at = MLModelAdmin.list_display.index("latest_status") + 1
    MLModelAdmin.list_display = [
        *MLModelAdmin.list_display[:at],
        *columns,
        *MLModelAdmin.list_display[at:],
    ]
    if annotate is not None:
        MLModelAdmin.annotations = [*MLModelAdmin.annotations, annotate]
    if load_page is not None:
        MLModelAdmin.page_loaders = [*MLModelAdmin.page_loaders, load_page]


def _lines(rows: list[dict], *keys: str) -> str:
    if not rows:
        return "—"
    return format_html(
        "<ol>{}</ol>",
        format_html_join(
            "", "<li>{}: {}</li>", ((row[keys[0]], row[keys[1]]) for row in rows)
        ),
    )


@admin.register(UseCaseIntake)
class UseCaseIntakeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Intake revisions, as answered: evidence, never edited."""

    list_display = [
        "model",
        "revision",
        "derived_category",
        "proposed_tier",
        "domain",
        "answered_by",
        "answered_at",
    ]
    list_filter = ["derived_category", "proposed_tier", "domain", "autonomy"]
    list_select_related = ["model", "answered_by"]
    search_fields = ["model__name", "purpose"]
    exclude = ["reasoning", "transparency_duties"]
    readonly_fields = ["reasoning_lines", "duty_lines"]

    @admin.display(description="reasoning")
    def reasoning_lines(self, obj):
        return _lines(obj.reasoning, "citation", "text")

    @admin.display(description="transparency duties (Art. 50)")
    def duty_lines(self, obj):
        return _lines(obj.transparency_duties, "citation", "text")


@admin.register(RiskClassChange)
class RiskClassChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Requests to lower a model's risk class; a governance admin who did not
    ask approves or rejects them with the actions (registry.intake)."""

    list_display = [
        "model",
        "from_tier",
        "to_tier",
        "from_category",
        "to_category",
        "status",
        "requested_by",
        "requested_at",
        "decided_by",
    ]
    list_filter = ["status", "to_tier", "to_category"]
    list_select_related = ["model", "requested_by", "decided_by"]
    search_fields = ["model__name", "reason"]
    action_form = NoteActionForm
    actions = ["approve", "reject"]

    def _decide(self, request, queryset, service, done):
        note = request.POST.get("note", "")
        run_service_on_each(
            request,
            queryset,
            lambda change: service(actor=request.user, change=change, comment=note),
            done,
        )

    @admin.action(description="Approve the selected requests")
    def approve(self, request, queryset):
        self._decide(
            request,
            queryset,
            intake.approve_risk_class_change,
            ("request approved", "requests approved"),
        )

    @admin.action(description="Reject the selected requests (reason required)")
    def reject(self, request, queryset):
        self._decide(
            request,
            queryset,
            intake.reject_risk_class_change,
            ("request rejected", "requests rejected"),
        )
