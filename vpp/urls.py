from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from console import views as console_views
from vpp import metrics, views

api_v1 = [
    path("health", views.health, name="health"),
    path("", include("fleets.api.urls")),
    path("", include("dispatch.api.urls")),
    path("", include("dispatch.campaigns.urls")),
    path("", include("webhooks.urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its init script as a file (no inline script: CSP script-src 'self'). GET and
    # HEAD only: the page's HTML renderer cannot render an OPTIONS answer (a 500 otherwise).
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="schema", template_name="vpp/swagger_ui.html", http_method_names=["get", "head"]
        ),
        name="docs",
    ),
    path("console/", include("console.urls")),
    path("", RedirectView.as_view(pattern_name="console:overview"), name="home"),
    path("favicon.ico", console_views.favicon),
]
