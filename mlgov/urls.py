from django.contrib import admin
from django.templatetags.static import static
from django.urls import URLPattern, URLResolver, include, path
from django.utils.functional import lazy
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from mlgov import health, metrics
from mlgov.api.audit import AuditTrailView

handler404 = "mlgov.api.errors.json_not_found"
handler500 = "mlgov.api.errors.json_server_error"

api_v1: list[URLPattern | URLResolver] = [
    path("", include("registry.urls")),
    path("", include("drift.urls")),
    path("", include("governance.urls")),
    path("", include("deployments.urls")),
    path("", include("compliance.urls")),
    path("", include("integrations.urls")),
    path("", include("command_center.api_urls")),
    path("audit/", AuditTrailView.as_view(), name="audit-trail"),
]

urlpatterns = [
    # Browsers ask for /favicon.ico on every page; a 404 there is console noise.
    # Lazy: the manifest of static files may not exist when URLs are imported.
    path(
        "favicon.ico",
        RedirectView.as_view(
            url=lazy(static, str)("mlgov/favicon.svg"), permanent=True
        ),
        name="favicon",
    ),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("evidence/", include("integrations.page_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "api/docs/",
        SpectacularSwaggerView.as_view(url_name="api-schema"),
        name="api-docs",
    ),
    path("", include("command_center.urls")),
]
