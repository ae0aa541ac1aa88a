"""The admin site, which sends signed-in users without admin rights to the
command center instead of offering them the admin's login form."""

from django.conf import settings
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, resolve_url

NOT_FOR_YOUR_ROLE = (
    "The admin is for staff accounts; your role works in the command center."
)


class MlgovAdminSite(admin.AdminSite):
    """Django's admin site, with the login form kept for anonymous users."""

    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        if request.user.is_authenticated and not self.has_permission(request):
            messages.info(request, NOT_FOR_YOUR_ROLE)
            return redirect(resolve_url(settings.LOGIN_REDIRECT_URL))
        return super().login(request, extra_context)
