from rest_framework.routers import SimpleRouter

from dispatch.api.views import DispatchJobViewSet

router = SimpleRouter(trailing_slash=False)
router.register("dispatches", DispatchJobViewSet, basename="dispatch")

urlpatterns: list = router.urls
