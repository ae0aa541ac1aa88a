from django import forms
from django.contrib import admin
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from governance import services
from governance.constants import WAIVER_STATES
from governance.documents import PolicyDocument, RuleDocument
from governance.engine import RuleParamsError, validate_rule
from governance.models import (
    Approval,
    Evaluation,
    Policy,
    PolicyRevision,
    ReviewAssignment,
    Rule,
    VersionComment,
    Waiver,
)
from mlgov.admin_tools import (
    NoteActionForm,
    ReadOnlyAdminMixin,
    ServiceErrorsAsMessagesMixin,
    run_service_on_each,
)
from mlgov.exceptions import DomainError, FieldError
from registry.admin import extend_version_admin
from registry.constants import MODEL_KINDS, RISK_TIERS
from registry.selectors import environment_names


class RuleForm(forms.ModelForm):
    class Meta:
        model = Rule
        fields = ["position", "kind", "params"]

    def clean(self):
        cleaned = super().clean()
        kind, params = cleaned.get("kind"), cleaned.get("params")
        if kind and params is not None:
            try:
                cleaned["params"] = validate_rule(kind, params)
            except RuleParamsError as error:
                field = "kind" if error.field == "kind" else "params"
                self.add_error(field, f"{error.field}: {error.message}")
        return cleaned


class RuleInline(admin.TabularInline):
    model = Rule
    form = RuleForm
    extra = 1
    ordering = ["position"]


class PolicyForm(forms.ModelForm):
    risk_tiers = forms.MultipleChoiceField(
        choices=[(tier, tier) for tier in RISK_TIERS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked means every tier.",
    )
    environments = forms.MultipleChoiceField(
        choices=[],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked means every environment and the approval decision.",
    )
    tags = forms.CharField(
        required=False, help_text="Comma-separated model tags; empty means all."
    )
    model_kinds = forms.MultipleChoiceField(
        choices=[(kind, kind.replace("_", " ")) for kind in MODEL_KINDS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked means every kind of model.",
    )
    reason = forms.CharField(
        label="Reason for the change",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept with the revision this save records.",
    )

    class Meta:
        model = Policy
        fields = ["name", "description", "enforcement"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["environments"].choices = [
            (name, name) for name in environment_names()
        ]
        if self.instance.pk:
            self.initial.update(
                risk_tiers=self.instance.risk_tiers,
                environments=self.instance.environments,
                tags=", ".join(self.instance.tags),
                model_kinds=self.instance.model_kinds,
            )

    def clean_tags(self):
        return sorted(
            {tag.strip() for tag in self.cleaned_data["tags"].split(",") if tag.strip()}
        )


@admin.register(Policy)
class PolicyAdmin(ServiceErrorsAsMessagesMixin, admin.ModelAdmin):
    form = PolicyForm
    inlines = [RuleInline]
    fields = [
        "name",
        "description",
        "enforcement",
        "risk_tiers",
        "environments",
        "tags",
        "model_kinds",
        "reason",
        "revision",
        "created_at",
        "updated_at",
    ]
    list_display = ["name", "enforcement", "revision", "scope_summary", "updated_at"]
    list_filter = ["enforcement"]
    search_fields = ["name", "description"]
    readonly_fields = ["revision", "created_at", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "name"] if obj else fields

    @admin.display(description="scope")
    def scope_summary(self, policy):
        parts = [
            ", ".join(policy.risk_tiers) or "all tiers",
            ", ".join(policy.environments) or "all environments",
        ]
        if policy.tags:
            parts.append("tags " + ", ".join(policy.tags))
        if policy.model_kinds:
            parts.append("kinds " + ", ".join(policy.model_kinds))
        return "; ".join(parts)

    def save_model(self, request, obj, form, change):
        # Saved with its rules in save_related, through the service, so the
        # revision rises once per change and the rules are validated together.
        pass

    def delete_model(self, request, obj):
        services.delete_policy(actor=request.user, policy=obj)

    def delete_queryset(self, request, queryset):
        for policy in queryset:
            services.delete_policy(actor=request.user, policy=policy)

    def construct_change_message(self, request, form, formsets, add=False):
        # The rules were written by the service, not by the formsets; the
        # audit trail holds their rule-by-rule changes.
        return super().construct_change_message(request, form, [], add)

    def save_related(self, request, form, formsets, change):
        rule_forms = [
            rule_form.cleaned_data
            for formset in formsets
            for rule_form in formset.forms
            if rule_form.cleaned_data and not rule_form.cleaned_data.get("DELETE")
        ]
        rules = tuple(
            RuleDocument(kind=data["kind"], params=data["params"])
            for data in sorted(rule_forms, key=lambda data: data["position"])
        )
        data = form.cleaned_data
        document = PolicyDocument(
            name=data.get("name") or form.instance.name,
            description=data["description"],
            enforcement=data["enforcement"],
            risk_tiers=tuple(data["risk_tiers"]),
            environments=tuple(data["environments"]),
            tags=tuple(data["tags"]),
            model_kinds=tuple(sorted(data["model_kinds"])),
            rules=rules,
        )
        if change:
            services.update_policy(
                actor=request.user,
                policy=form.instance,
                document=document,
                reason=data["reason"],
            )
        else:
            policy = services.create_policy(
                actor=request.user, document=document, reason=data["reason"]
            )
            form.instance.pk = policy.pk


@admin.register(PolicyRevision)
class PolicyRevisionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Each policy's revisions, read-only: saving a policy records them."""

    list_display = ["policy", "revision", "changed_by", "reason", "created_at"]
    list_select_related = ["policy", "changed_by"]
    search_fields = ["policy__name", "reason"]
    readonly_fields = [
        "policy",
        "revision",
        "document",
        "changed_by",
        "reason",
        "created_at",
    ]


@admin.register(Approval)
class ApprovalAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Review decisions, read-only: they are taken with the approve and reject
    actions on versions."""

    list_display = ["version", "reviewer", "decision", "created_at"]
    list_filter = ["decision"]
    list_select_related = ["version__model", "reviewer"]
    search_fields = ["version__model__name", "reviewer__username", "comment"]
    readonly_fields = ["version", "reviewer", "decision", "comment", "created_at"]


@admin.register(ReviewAssignment)
class ReviewAssignmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Review assignments, read-only: governance admins make them on the
    version's review page or through the API."""

    list_display = ["version", "reviewer", "assigned_by", "assigned_at"]
    list_select_related = ["version__model", "reviewer", "assigned_by"]
    search_fields = ["version__model__name", "reviewer__username"]
    readonly_fields = ["version", "reviewer", "assigned_by", "assigned_at"]


@admin.register(VersionComment)
class VersionCommentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Comments on versions, read-only: a thread is a record."""

    list_display = ["version", "author", "created_at"]
    list_select_related = ["version__model", "author"]
    search_fields = ["version__model__name", "author__username", "body"]
    readonly_fields = ["version", "author", "body", "created_at"]


class WaiverStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("active", "Active"), ("expired", "Expired"), ("revoked", "Revoked")]

    def queryset(self, request, queryset):
        if self.value() in WAIVER_STATES:
            return queryset.in_state(self.value(), timezone.now())
        return queryset


class WaiverForm(forms.ModelForm):
    class Meta:
        model = Waiver
        fields = [
            "version",
            "policy",
            "rule_position",
            "justification",
            "ticket",
            "expires_at",
        ]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            services.check_waiver_grant(
                actor=self.actor,
                now=timezone.now(),
                **{k: v for k, v in cleaned.items() if k != "ticket"},
            )
        except FieldError as error:
            field = "rule_position" if error.field == "rule" else error.field
            self.add_error(field if field in self.fields else None, error.message)
        except DomainError as error:
            self.add_error(None, error.message)
        return cleaned


@admin.register(Waiver)
class WaiverAdmin(ServiceErrorsAsMessagesMixin, admin.ModelAdmin):
    form = WaiverForm
    action_form = NoteActionForm
    list_display = [
        "version",
        "policy",
        "rule_position",
        "state",
        "granted_by",
        "expires_at",
        "revoked_at",
    ]
    list_filter = [WaiverStateFilter, "policy"]
    list_select_related = ["version__model", "policy", "granted_by"]
    search_fields = ["version__model__name", "policy__name", "justification"]
    autocomplete_fields = ["version", "policy"]
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [
            "version",
            "policy",
            "rule_position",
            "justification",
            "ticket",
            "granted_by",
            "granted_at",
            "expires_at",
            "revoked_by",
            "revoked_at",
            "revocation_reason",
        ]

    def has_delete_permission(self, request, obj=None):
        return False

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.actor = request.user
        return form

    def save_model(self, request, obj, form, change):
        if not change:
            waiver = services.grant_waiver(actor=request.user, **form.cleaned_data)
            obj.pk = waiver.pk

    @admin.action(description="Revoke the selected waivers (reason required)")
    def revoke(self, request, queryset):
        reason = request.POST.get("note", "")
        run_service_on_each(
            request,
            queryset,
            lambda waiver: services.revoke_waiver(
                actor=request.user, waiver=waiver, reason=reason
            ),
            ("waiver revoked", "waivers revoked"),
        )


@admin.register(Evaluation)
class EvaluationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["version", "environment", "passed", "trigger", "evaluated_at"]
    list_filter = ["passed", "trigger", "environment"]
    list_select_related = ["version__model", "environment"]
    search_fields = ["version__model__name"]
    readonly_fields = [
        "version",
        "environment",
        "passed",
        "results",
        "trigger",
        "requested_by",
        "evaluated_at",
    ]


class ApprovalInline(admin.TabularInline):
    model = Approval
    fields = ["reviewer", "decision", "comment", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return (
            super().get_queryset(request).select_related("version__model", "reviewer")
        )

    def has_add_permission(self, request, obj=None):
        return False


class WaiverInline(admin.TabularInline):
    model = Waiver
    fields = ["policy", "rule_position", "justification", "expires_at", "revoked_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("version__model", "policy")

    def has_add_permission(self, request, obj=None):
        return False


@admin.action(description="Submit the selected drafts for review")
def submit(modeladmin, request, queryset):
    run_service_on_each(
        request,
        queryset.select_related("model"),
        lambda version: services.submit_for_review(actor=request.user, version=version),
        ("version submitted", "versions submitted"),
    )


@admin.action(description="Approve the selected versions (comment optional)")
def approve(modeladmin, request, queryset):
    comment = request.POST.get("note", "")
    run_service_on_each(
        request,
        queryset.select_related("model"),
        lambda version: services.approve_version(
            version=version, reviewer=request.user, comment=comment
        ),
        ("approval recorded", "approvals recorded"),
    )


@admin.action(description="Reject the selected versions (comment required)")
def reject(modeladmin, request, queryset):
    comment = request.POST.get("note", "")
    run_service_on_each(
        request,
        queryset.select_related("model"),
        lambda version: services.reject_version(
            version=version, reviewer=request.user, comment=comment
        ),
        ("rejection recorded", "rejections recorded"),
    )


class EvaluationInline(ReadOnlyAdminMixin, admin.TabularInline):
    """A version's stored evaluations, newest first, with their sentences."""

    model = Evaluation
    fields = ["evaluated_at", "environment", "trigger", "passed", "reasons"]
    readonly_fields = fields
    ordering = ["-evaluated_at", "-id"]
    extra = 0
    can_delete = False
    verbose_name_plural = "evaluations"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("version__model", "environment")
        )

    @admin.display(description="why")
    def reasons(self, evaluation):
        failing = [
            result["detail"]
            for result in evaluation.results
            if not result["passed"] and not result["waived"]
        ]
        return (
            format_html_join(mark_safe("<br>"), "{}", ((line,) for line in failing))
            or "every rule passes"
        )


# Review on the registry's one version page: its actions and inlines.
extend_version_admin(
    actions=[submit, approve, reject],
    inlines=[EvaluationInline, ApprovalInline, WaiverInline],
)
