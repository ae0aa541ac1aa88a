"""The signed-in user's own settings: which notifications they receive."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect
from django.views.generic import TemplateView

from command_center.account_forms import NotificationPreferencesForm
from command_center.views.access import acting_user
from integrations.models import NotificationKind
from integrations.selectors import notification_preference, recent_notifications
from integrations.services import set_notification_preferences
from mlgov.exceptions import FieldError


class NotificationPreferencesView(LoginRequiredMixin, TemplateView):
    """Every signed-in user, whatever their role, chooses the e-mails they
    receive and whether at once or in a daily digest."""

    template_name = "command_center/notification_preferences.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if "form" not in context:
            preference = notification_preference(user=acting_user(self.request))
            context["form"] = NotificationPreferencesForm(
                initial={
                    "kinds": [
                        kind
                        for kind in NotificationKind.values
                        if preference.receives(kind)
                    ],
                    "delivery": preference.delivery,
                }
            )
        user = acting_user(self.request)
        context["address"] = user.email
        context["recent"] = recent_notifications(user=user)
        return context

    def post(self, request, *args, **kwargs):
        form = NotificationPreferencesForm(request.POST)
        if form.is_valid():
            try:
                set_notification_preferences(
                    actor=acting_user(request),
                    kinds=form.cleaned_data["kinds"],
                    delivery=form.cleaned_data["delivery"],
                )
            except FieldError as error:
                form.add_error(error.field, error.details[error.field][0])
            else:
                messages.success(request, "Your notification settings are saved.")
                return redirect("command_center:notification-preferences")
        return self.render_to_response(self.get_context_data(form=form), status=400)
