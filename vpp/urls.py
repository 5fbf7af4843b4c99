from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from vpp import views

api_v1 = [
    path("health", views.health, name="health"),
    path("", include("fleets.api.urls")),
    path("", include("dispatch.api.urls")),
    path("", include("dispatch.campaigns.urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # GET and HEAD only: the page's HTML renderer cannot render an OPTIONS answer (a 500 otherwise).
    path(
        "api/docs/",
        SpectacularSwaggerView.as_view(url_name="schema", http_method_names=["get", "head"]),
        name="docs",
    ),
]
