"""API routes of the exchange app."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import audit_views, views

router = SimpleRouter()
router.register("webhooks", views.WebhookEndpointViewSet, basename="webhook")
router.register("deliveries", views.DeliveryViewSet, basename="delivery")
router.register("audit-events", views.AuditEventViewSet, basename="audit-event")
router.register("audit/tree-heads", audit_views.TreeHeadViewSet, basename="audit-tree-head")

urlpatterns = [path("events/", views.EventFeedView.as_view(), name="event-feed"), *router.urls]
