"""/api/v1/ routes of webhooks (included by vpp/urls.py)."""

from rest_framework.routers import SimpleRouter

from webhooks import api

router = SimpleRouter(trailing_slash=False)
router.register("webhooks", api.WebhookSubscriptionViewSet, basename="webhook")

urlpatterns: list = router.urls
