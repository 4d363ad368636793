"""API routes of the referrals app."""

from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("referrals", views.ReferralViewSet, basename="referral")
router.register("returns", views.ReturnViewSet, basename="return")

urlpatterns = router.urls
