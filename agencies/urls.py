"""API routes of the agencies app."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("agencies", views.AgencyViewSet, basename="agency")
router.register("checkpoints", views.CheckpointViewSet, basename="checkpoint")
router.register("agency/members", views.MemberViewSet, basename="member")
router.register("agency/clients", views.ApiClientViewSet, basename="api-client")

urlpatterns = [path("me/", views.MeView.as_view(), name="me"), *router.urls]
