"""Signing in and out, and who may open which page."""

from typing import cast

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import LoginView, LogoutView
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.generic import TemplateView
from rest_framework import serializers

from command_center.filters import (
    DEFAULT_PAGE_SIZE,
)
from mlgov.actors import Actor
from mlgov.exceptions import FieldError
from mlgov.permissions import (
    can_read_inventory,
)
from mlgov.sso import sso_is_configured


def acting_user(request: HttpRequest) -> Actor:
    """The signed-in user (the role mixins have turned anonymous users away)."""
    return cast(Actor, request.user)


class SignInView(LoginView):
    """The product's own sign-in page (rate-limited like the admin's: the
    rate-limit middleware counts POSTs to every LoginView)."""

    template_name = "command_center/sign_in.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["sso_enabled"] = sso_is_configured()
        context["sso_provider_name"] = settings.OIDC_PROVIDER_NAME
        # With local passwords off, the form is for the break-glass users, at
        # /sign-in/?local=1 (docs/operations.md), and after a failed attempt.
        context["show_password_form"] = (
            settings.LOCAL_PASSWORD_LOGIN
            or "local" in self.request.GET
            or self.request.method == "POST"
        )
        return context


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


def invalid_filters_page(
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


def query_without(request: HttpRequest, *names: str) -> str:
    params = request.GET.copy()
    for name in names:
        params.pop(name, None)
    return params.urlencode()


def page_of(request: HttpRequest, items, filters: dict):
    paginator = Paginator(items, filters.get("page_size", DEFAULT_PAGE_SIZE))
    return paginator.get_page(filters.get("page", 1))
