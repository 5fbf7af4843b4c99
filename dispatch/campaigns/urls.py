from dispatch.campaigns.api import CampaignViewSet
from vpp.routers import ApiRouter

router = ApiRouter()
router.register("campaigns", CampaignViewSet, basename="campaign")
urlpatterns = router.urls
