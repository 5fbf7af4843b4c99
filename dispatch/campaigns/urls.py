from rest_framework.routers import SimpleRouter

from dispatch.campaigns.api import CampaignViewSet

router = SimpleRouter(trailing_slash=False)
router.register("campaigns", CampaignViewSet, basename="campaign")
urlpatterns = router.urls
