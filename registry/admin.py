from collections.abc import Callable, Sequence

from django.contrib import admin
from django.db.models import Count, OuterRef, Subquery

from mlgov.admin_tools import (
    NoteActionForm,
    ServiceErrorsAsMessagesMixin,
    key_value_table,
    run_service_on_each,
)
from registry import services
from registry.models import Environment, MLModel, ModelVersion, Tag, Team


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
    ]
    list_filter = ["frozen"]
    list_select_related = ["requires"]
    search_fields = ["name"]

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        services.save_environment(actor=request.user, environment=obj)


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


@admin.register(MLModel)
class MLModelAdmin(ServiceErrorsAsMessagesMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "display_name",
        "team",
        "risk_tier",
        "latest_version",
        "latest_status",
        "owner",
        "is_archived",
    ]
    list_filter = ["risk_tier", ArchivedFilter, "team", "tags"]
    list_select_related = ["team", "owner"]
    search_fields = ["name", "display_name", "description"]
    autocomplete_fields = ["owner", "team", "tags"]
    readonly_fields = ["archived_at", "created_at", "updated_at"]
    actions = ["archive", "unarchive"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "name", "team"] if obj else fields

    def get_queryset(self, request):
        latest = ModelVersion.objects.filter(model=OuterRef("pk")).order_by("-version")
        return (
            super()
            .get_queryset(request)
            .annotate(
                latest_version_number=Subquery(latest.values("version")[:1]),
                latest_version_status=Subquery(latest.values("status")[:1]),
            )
        )

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
            "models archived",
        )

    @admin.action(description="Unarchive the selected models")
    def unarchive(self, request, queryset):
        run_service_on_each(
            request,
            queryset,
            lambda model: services.update_model(
                actor=request.user, model=model, archived=False
            ),
            "models unarchived",
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
        "created_by",
        "submitted_by",
        "submitted_at",
        "created_at",
    ]
    list_filter = ["status", "model__risk_tier", "framework", "model__team"]
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
            "versions retired",
        )


def extend_version_admin(
    *, actions: Sequence[Callable] = (), inlines: Sequence[type] = ()
) -> None:
    """The extension point of the version page: an app above the registry adds
    its admin actions (functions decorated with `@admin.action`) and inlines,
    from its own admin module."""
    ModelVersionAdmin.actions = [*actions, *ModelVersionAdmin.actions]
    ModelVersionAdmin.inlines = [*ModelVersionAdmin.inlines, *inlines]
