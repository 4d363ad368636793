"""API routes of the referrals app."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import oversight, statistics_views, views

router = SimpleRouter()
router.register("referrals", views.ReferralViewSet, basename="referral")
router.register("returns", views.ReturnViewSet, basename="return")

urlpatterns = [
    path("reports/sla/", oversight.SlaReportView.as_view(), name="sla-report"),
    path(
        "reports/statistics/",
        statistics_views.StatisticsView.as_view(),
        name="statistics-report",
    ),
    *router.urls,
]
