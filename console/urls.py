from django.urls import path, register_converter

from console import views


class IdConverter:
    """A primary key: at most 18 digits, so it fits PostgreSQL's bigint (a longer one is a 404, not a
    database error)."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(value)


register_converter(IdConverter, "id")

app_name = "console"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("dispatches/", views.dispatch_list, name="dispatches"),
    path("dispatches/new/<str:kind>/", views.dispatch_new, name="dispatch-new"),
    path("dispatches/<id:pk>/", views.dispatch_detail, name="dispatch"),
    path("dispatches/<id:pk>/progress.json", views.dispatch_progress, name="dispatch-progress"),
    path("dispatches/<id:pk>/cancel/", views.dispatch_cancel, name="dispatch-cancel"),
    path("plants/", views.plant_index, name="plants"),
    path("plants/<id:pk>/", views.plant_detail, name="plant"),
    path("vendor-accounts/", views.vendor_accounts, name="vendor-accounts"),
]
