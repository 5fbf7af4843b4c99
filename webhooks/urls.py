"""/api/v1/ routes of webhooks (included by vpp/urls.py)."""

from vpp.routers import ApiRouter
from webhooks import api

router = ApiRouter()
router.register("webhooks/deliveries", api.WebhookDeliveryViewSet, basename="webhook-delivery")
router.register("webhooks", api.WebhookSubscriptionViewSet, basename="webhook")

urlpatterns: list = router.urls
