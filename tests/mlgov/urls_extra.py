"""The project's URLs plus views that only tests need: a dashboard-style login
added by some later app, and a view that fails."""

from django.contrib.auth.views import LoginView
from django.http import HttpRequest
from django.urls import path

from mlgov.urls import handler404, handler500
from mlgov.urls import urlpatterns as project_urlpatterns

__all__ = ["handler404", "handler500", "urlpatterns"]


def failing_view(request: HttpRequest):
    # Echoes the caller's credentials into the error, as careless code might.
    raise ValueError(
        f"cannot use {request.headers.get('Authorization')} "
        f"with password={request.GET.get('password')}"
    )


urlpatterns = [
    path(
        "dashboard/login/",
        LoginView.as_view(template_name="admin/login.html"),
        name="dashboard-login",
    ),
    path("api/v1/failing/", failing_view, name="failing"),
    path("failing/", failing_view, name="failing-page"),
    *project_urlpatterns,
]
