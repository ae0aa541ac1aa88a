from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from mlgov.api.audit import AuditTrailView

handler404 = "mlgov.api.errors.json_not_found"
handler500 = "mlgov.api.errors.json_server_error"

api_v1 = [
    path("", include("registry.urls")),
    path("", include("drift.urls")),
    path("", include("governance.urls")),
    path("audit/", AuditTrailView.as_view(), name="audit-trail"),
]

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index"), name="home"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "api/docs/",
        SpectacularSwaggerView.as_view(url_name="api-schema"),
        name="api-docs",
    ),
]
