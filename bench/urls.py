"""The API's URLs and the bench-only comparison views (never mounted in production)."""

from django.urls import path

from config.urls import handler400, handler403, handler404, handler500
from config.urls import urlpatterns as api_urlpatterns

from .views import PlainInsertView, ServicesWriteView, referral_page_floor

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]

urlpatterns = [
    path("bench/floor/referrals/", referral_page_floor, name="bench-floor"),
    path("bench/write/services/", ServicesWriteView.as_view(), name="bench-write-services"),
    path("bench/write/plain/", PlainInsertView.as_view(), name="bench-write-plain"),
    *api_urlpatterns,
]
