"""The alert pages: drift alerts, and performance and fairness alerts. Each
is a filtered list, unresolved by default, on which reviewers acknowledge or
resolve an alert with a note. Both kinds share one list page, one form and
one action view; an `AlertKind` names what differs."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from rest_framework import serializers

from command_center.alert_forms import AlertMoveForm
from command_center.filters import (
    DriftAlertListFilter,
    MonitoringAlertListFilter,
    PageFilter,
)
from command_center.views.access import (
    RolePage,
    acting_user,
    invalid_filters_page,
    page_of,
    query_without,
)
from drift import constants as drift_vocabulary
from drift import selectors as drift_selectors
from drift import services as drift_services
from drift.exceptions import AlertMovedError, InvalidAlertTransitionError
from drift.quality import constants as monitoring_vocabulary
from mlgov.exceptions import (
    DomainError,
    FieldError,
    NotFoundError,
    PermissionDeniedError,
)
from mlgov.permissions import can_handle_alerts
from registry.selectors import environment_names


@dataclass(frozen=True)
class AlertKind:
    """What the drift and the monitoring alert pages do differently."""

    list_filter: type[PageFilter]
    alert_list: Callable[..., QuerySet]
    alert_by_id: Callable[..., Any]
    list_url: str
    move_url: str


DRIFT_ALERTS = AlertKind(
    list_filter=DriftAlertListFilter,
    alert_list=drift_selectors.alert_list,
    alert_by_id=drift_selectors.alert_by_id,
    list_url="command_center:alert-list",
    move_url="command_center:alert-move",
)
MONITORING_ALERTS = AlertKind(
    list_filter=MonitoringAlertListFilter,
    alert_list=drift_selectors.monitoring_alert_list,
    alert_by_id=drift_selectors.monitoring_alert_by_id,
    list_url="command_center:monitoring-alert-list",
    move_url="command_center:monitoring-alert-move",
)

# The form field a refusal of the alert services is shown on.
REFUSAL_FIELDS: dict[type[DomainError], str] = {
    AlertMovedError: "seen_status",
    InvalidAlertTransitionError: "move",
}


def move_form(alert, data=None) -> AlertMoveForm:
    """The form of one row (its ids unique on the page); the row itself
    carries the status the page shows."""
    return AlertMoveForm(data, auto_id=f"alert-{alert.pk}-%s")


class AlertListPage(RolePage):
    """One kind's alerts, unresolved by default; reviewers see a form on
    every alert not yet resolved."""

    kind: ClassVar[AlertKind]
    template_name: str

    def get(self, request, *args, **kwargs):
        return self.list_page(request)

    def list_page(
        self,
        request: HttpRequest,
        *,
        refused: tuple[Any, AlertMoveForm] | None = None,
        status: int = 200,
    ) -> HttpResponse:
        """The list; with `refused` (an alert and its bound form), the
        form's errors on the alert's row and above the list."""
        context = self.get_context_data(**self.kwargs)
        try:
            filters = self.kind.list_filter.from_get(request)
        except (FieldError, serializers.ValidationError) as error:
            return invalid_filters_page(request, error, self.template_name, context)
        filters.setdefault("status", drift_vocabulary.UNRESOLVED)
        alerts = self.kind.alert_list(
            inventory_only=True,
            **{k: v for k, v in filters.items() if k not in ("page", "page_size")},
        )
        page = page_of(request, alerts, filters)
        forms: dict[int, AlertMoveForm] = {}
        may_handle = can_handle_alerts(request.user)
        if may_handle:
            forms = {
                alert.pk: move_form(alert)
                for alert in page
                if alert.status != drift_vocabulary.ALERT_RESOLVED
            }
        if refused is not None:
            forms[refused[0].pk] = refused[1]
        query = query_without(request, "page")
        context.update(
            page=page,
            rows=[(alert, forms.get(alert.pk)) for alert in page],
            refused=refused,
            can_handle_alerts=may_handle,
            filters=filters,
            query=query,
            # A refusal renders at the action's address: links go to the list.
            list_path=reverse(self.kind.list_url),
            return_query=request.GET.urlencode(),
        )
        return self.render_to_response(context, status=status)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            severities=list(reversed(drift_vocabulary.SEVERITIES)),
            statuses=[drift_vocabulary.UNRESOLVED, *drift_vocabulary.ALERT_STATUSES],
            environments=environment_names(),
            move_url=self.kind.move_url,
            filters={},
        )
        return context


class DriftAlertListView(AlertListPage):
    """Drift alerts, unresolved by default."""

    template_name = "command_center/alert_list.html"
    section = "drift"
    kind = DRIFT_ALERTS


class MonitoringAlertListView(AlertListPage):
    """Performance and fairness alerts, unresolved by default."""

    template_name = "command_center/monitoring_alert_list.html"
    section = "monitoring"
    kind = MONITORING_ALERTS

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            kinds=monitoring_vocabulary.REPORT_KINDS,
            metrics=monitoring_vocabulary.MONITORED_METRICS,
        )
        return context


class AlertMoveView(AlertListPage):
    """POST: a reviewer acknowledges or resolves one alert with a note, then
    goes back to the list as filtered; a refusal is shown on the list, on
    the field it concerns. Others get 403."""

    http_method_names = ["post"]

    def has_role(self, user) -> bool:
        return can_handle_alerts(user)

    def post(self, request, *args, **kwargs):
        try:
            alert = self.kind.alert_by_id(pk=kwargs["pk"])
        except NotFoundError as error:
            raise Http404(str(error)) from error
        form = move_form(alert, request.POST)
        if not form.is_valid():
            return self.list_page(request, refused=(alert, form), status=400)
        move = drift_services.ALERT_MOVES[form.cleaned_data["move"]]
        try:
            moved = move(
                actor=acting_user(request),
                alert=alert,
                note=form.cleaned_data["note"],
                seen_status=form.cleaned_data["seen_status"],
            )
        except PermissionDeniedError as error:
            raise PermissionDenied(error.message) from error
        except DomainError as error:
            form.add_error(self.refusal_field(form, error), error.message)
            return self.list_page(
                request, refused=(alert, form), status=error.status_code
            )
        messages.success(
            request,
            f"The {moved.severity} alert on {self.subject(moved)} "
            f"(v{moved.version.version} of {moved.version.model.name} in "
            f"{moved.environment.name}) is now {moved.status}.",
        )
        back = reverse(self.kind.list_url)
        query = request.GET.urlencode()
        return redirect(f"{back}?{query}" if query else back)

    @staticmethod
    def refusal_field(form: AlertMoveForm, error: DomainError) -> str | None:
        if isinstance(error, FieldError) and error.field in form.fields:
            return error.field
        return REFUSAL_FIELDS.get(type(error))

    @staticmethod
    def subject(alert) -> str:
        return getattr(alert, "subject", None) or alert.feature


class DriftAlertMoveView(AlertMoveView, DriftAlertListView):
    kind = DRIFT_ALERTS


class MonitoringAlertMoveView(AlertMoveView, MonitoringAlertListView):
    kind = MONITORING_ALERTS
