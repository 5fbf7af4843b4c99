from django.urls import path

import vpp.routers  # noqa: F401 - registers the <id:...> converter: a bigint, else no route (a 404)
from console import views

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
