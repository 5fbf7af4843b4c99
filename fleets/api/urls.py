"""/api/v1/ routes of fleets: plants, fleets, enrolments, vendor accounts (included by vpp/urls.py)."""

from fleets.api import views
from vpp.routers import ApiRouter

router = ApiRouter()
router.register("plants", views.PlantViewSet, basename="plant")
router.register("fleets", views.FleetViewSet, basename="fleet")
router.register("enrolments", views.EnrolmentViewSet, basename="enrolment")
router.register("vendor-accounts", views.VendorAccountViewSet, basename="vendor-account")

urlpatterns: list = router.urls
