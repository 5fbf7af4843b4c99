"""The project's URLs plus one new API viewset: what a colleague adding an endpoint would write."""

from django.urls import include, path
from rest_framework import mixins, viewsets

from fleets.models import Fleet
from vpp.routers import ApiRouter
from vpp.urls import urlpatterns as project_urlpatterns


class ThingViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Fleet.objects.none()


router = ApiRouter()
router.register("things", ThingViewSet, basename="thing")

urlpatterns = [
    path("api/v1/new/", include((router.urls, "api-new"), namespace="api-new")),
    *project_urlpatterns,
]
