"""URL wiring."""

from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from exchange.views import AuditedTokenView
from protocol.views import healthz, readyz


def docs_page(view, **options):
    """The API's documentation: its scripts are served from here; their widgets set styles."""
    return csp_update({"style-src": ["'unsafe-inline'"]})(
        view.as_view(url_name="schema", **options)
    )


api_v1 = [
    path("", include("agencies.urls")),
    path("", include("exchange.urls")),
    path("", include("referrals.urls")),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("o/token/", AuditedTokenView.as_view(), name="oauth2-token"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", docs_page(SpectacularSwaggerSplitView), name="swagger-ui"),
    path(
        "api/redoc/",
        docs_page(SpectacularRedocView, template_name="portal/redoc.html"),
        name="redoc",
    ),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("", include("portal.urls")),
]

handler400 = "protocol.views.bad_request"
handler403 = "protocol.views.permission_denied"
handler404 = "protocol.views.not_found"
handler500 = "protocol.views.server_error"
