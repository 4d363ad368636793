"""API routes of the exchange app."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("webhooks", views.WebhookEndpointViewSet, basename="webhook")
router.register("deliveries", views.DeliveryViewSet, basename="delivery")
router.register("audit-events", views.AuditEventViewSet, basename="audit-event")

urlpatterns = [path("events/", views.EventFeedView.as_view(), name="event-feed"), *router.urls]
