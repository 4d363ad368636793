"""URL wiring."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from exchange.views import AuditedTokenView
from protocol.views import healthz, readyz
from referrals.oversight import oversight_page

api_v1 = [
    path("", include("agencies.urls")),
    path("", include("exchange.urls")),
    path("", include("referrals.urls")),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("o/token/", AuditedTokenView.as_view(), name="oauth2-token"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("admin/", admin.site.urls),
    path("api-auth/", include("rest_framework.urls")),
    path("oversight/", oversight_page, name="oversight"),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
]

handler400 = "protocol.views.bad_request"
handler403 = "protocol.views.permission_denied"
handler404 = "protocol.views.not_found"
handler500 = "protocol.views.server_error"
