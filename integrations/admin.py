from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html

from integrations import services
from integrations.models import (
    DeliveryAttempt,
    EmailNotification,
    MlflowModelLink,
    MlflowSync,
    MlflowVersionLink,
    MlflowWebhookReceipt,
    MlflowWriteBack,
    NotificationPreference,
    WaiverExpiryNotice,
    WebhookDelivery,
    WebhookEvent,
    WebhookEventType,
    WebhookSubscription,
)
from mlgov.admin_tools import ReadOnlyAdminMixin, run_service_on_each
from mlgov.exceptions import DomainError, FieldError


class SubscriptionForm(forms.ModelForm):
    url = forms.URLField(max_length=1000, assume_scheme="https")
    event_types = forms.MultipleChoiceField(
        choices=WebhookEventType.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookSubscription
        fields = ["name", "url", "event_types"]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            # Stored as the service stores it (lower-case scheme and host),
            # which the model's own check below then accepts.
            cleaned["url"] = services.check_subscription(
                url=cleaned["url"], event_types=cleaned["event_types"]
            )
        except FieldError as error:
            self.add_error(
                error.field if error.field in self.fields else None, error.message
            )
        return cleaned


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = readonly_fields = [
        "number",
        "attempted_at",
        "succeeded",
        "status_code",
        "latency_ms",
        "error",
        "response_excerpt",
    ]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    form = SubscriptionForm
    list_display = [
        "name",
        "url",
        "is_active",
        "event_list",
        "consecutive_failures",
        "disabled_reason",
    ]
    list_filter = ["is_active"]
    search_fields = ["name", "url"]
    list_select_related = ["created_by"]
    actions = ["enable", "disable", "rotate_secret"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [
            "name",
            "is_active",
            "consecutive_failures",
            "disabled_at",
            "disabled_reason",
            "created_by",
            "created_at",
        ]

    @admin.display(description="events")
    def event_list(self, subscription):
        return ", ".join(subscription.event_types)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            services.update_subscription(
                actor=request.user,
                subscription=obj,
                url=data["url"],
                event_types=data["event_types"],
            )
            return
        subscription = services.create_subscription(actor=request.user, **data)
        obj.pk = subscription.pk
        self._show_secret(request, subscription)

    def _show_secret(self, request, subscription):
        messages.warning(
            request,
            format_html(
                "Signing secret of {}: <code>{}</code> — copy it now, it is not "
                "shown again.",
                subscription.name,
                subscription.secret,
            ),
        )

    @admin.action(description="Enable the selected subscriptions")
    def enable(self, request, queryset):
        run_service_on_each(
            request,
            queryset,
            lambda s: services.update_subscription(
                actor=request.user, subscription=s, is_active=True
            ),
            ("subscription enabled", "subscriptions enabled"),
        )

    @admin.action(description="Disable the selected subscriptions")
    def disable(self, request, queryset):
        run_service_on_each(
            request,
            queryset,
            lambda s: services.update_subscription(
                actor=request.user, subscription=s, is_active=False
            ),
            ("subscription disabled", "subscriptions disabled"),
        )

    @admin.action(description="Rotate the signing secret of the selected")
    def rotate_secret(self, request, queryset):
        for subscription in queryset:
            try:
                rotated = services.update_subscription(
                    actor=request.user, subscription=subscription, rotate_secret=True
                )
            except DomainError as error:
                messages.error(request, f"{subscription}: {error.message}")
            else:
                self._show_secret(request, rotated)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "event_type",
        "subscription",
        "status",
        "attempts",
        "next_attempt_at",
        "delivered_at",
    ]
    list_filter = ["status", "event__event_type", "subscription"]
    list_select_related = ["event", "subscription"]
    search_fields = ["subscription__name", "event__id"]
    readonly_fields = [
        "event",
        "subscription",
        "status",
        "attempts",
        "next_attempt_at",
        "delivered_at",
        "created_at",
        "payload",
    ]
    inlines = [DeliveryAttemptInline]

    @admin.display(description="event")
    def event_type(self, delivery):
        return delivery.event.event_type

    @admin.display(description="payload")
    def payload(self, delivery):
        return format_html("<pre>{}</pre>", delivery.event.payload)


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["event_type", "id", "created_at"]
    list_filter = ["event_type"]
    search_fields = ["id"]
    readonly_fields = ["id", "event_type", "payload", "created_at"]


@admin.register(MlflowModelLink)
class MlflowModelLinkAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["mlflow_name", "model", "tracking_uri", "last_imported_at"]
    list_select_related = ["model"]
    search_fields = ["mlflow_name", "model__name", "tracking_uri"]
    readonly_fields = [
        "model",
        "tracking_uri",
        "mlflow_name",
        "tags",
        "aliases",
        "imported_by",
        "last_imported_at",
    ]


@admin.register(MlflowVersionLink)
class MlflowVersionLinkAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "version", "run_id"]
    list_select_related = ["model_link", "version__model"]
    search_fields = ["model_link__mlflow_name", "run_id"]
    readonly_fields = [
        "version",
        "model_link",
        "mlflow_version",
        "source",
        "run_id",
        "description",
        "tags",
        "aliases",
    ]


@admin.register(MlflowSync)
class MlflowSyncAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "tracking_uri",
        "model_filter",
        "team",
        "account",
        "alias",
        "environment",
        "is_active",
    ]
    list_filter = ["is_active", "environment"]
    list_select_related = ["team", "account", "environment"]
    search_fields = ["name", "tracking_uri"]
    autocomplete_fields = ["account"]


@admin.register(MlflowWebhookReceipt)
class MlflowWebhookReceiptAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["received_at", "sync", "event", "model_name", "outcome"]
    list_filter = ["outcome", "event", "sync"]
    list_select_related = ["sync"]
    search_fields = ["delivery_id", "model_name"]
    readonly_fields = [
        "sync",
        "delivery_id",
        "event",
        "model_name",
        "outcome",
        "summary",
        "sent_at",
        "received_at",
    ]


@admin.register(MlflowWriteBack)
class MlflowWriteBackAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "created_at",
        "sync",
        "kind",
        "mlflow_name",
        "mlflow_version",
        "status",
        "attempts",
    ]
    list_filter = ["status", "kind", "sync"]
    list_select_related = ["sync"]
    search_fields = ["mlflow_name"]
    readonly_fields = [
        "sync",
        "kind",
        "model",
        "mlflow_name",
        "mlflow_version",
        "tags",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
        "done_at",
    ]


@admin.register(WaiverExpiryNotice)
class WaiverExpiryNoticeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["waiver", "expires_at", "notified_at"]
    list_select_related = ["waiver__policy", "waiver__version__model"]
    readonly_fields = ["waiver", "expires_at", "notified_at"]


@admin.register(EmailNotification)
class EmailNotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The e-mail outbox, to see what was sent, what waits and why it failed."""

    list_display = [
        "created_at",
        "kind",
        "recipient",
        "subject",
        "state",
        "attempts",
        "next_attempt_at",
        "sent_at",
    ]
    list_filter = ["state", "kind"]
    search_fields = ["recipient__username", "address", "subject"]
    list_select_related = ["recipient"]
    date_hierarchy = "created_at"


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Users' choices, set by each user on /account/notifications/."""

    list_display = ["user", "delivery", "muted_kinds", "updated_at"]
    list_filter = ["delivery"]
    search_fields = ["user__username"]
    list_select_related = ["user"]
