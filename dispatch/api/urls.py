from dispatch.api.views import DispatchJobViewSet
from vpp.routers import ApiRouter

router = ApiRouter()
router.register("dispatches", DispatchJobViewSet, basename="dispatch")

urlpatterns: list = router.urls
