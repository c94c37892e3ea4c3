from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from config.api import api
from config.health import health, live
from outreach.common.forms import LoginForm, PasswordChangeForm
from outreach.offline.views import LogoutView

admin.site.site_header = _("Daiban administration")
admin.site.site_title = _("Daiban")

urlpatterns = [
    path(
        "account/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=LoginForm),
        name="login",
    ),
    path("account/logout/", LogoutView.as_view(), name="logout"),  # also wipes the phone's offline data
    path(
        "account/password/",
        auth_views.PasswordChangeView.as_view(form_class=PasswordChangeForm),
        name="password_change",
    ),
    path("account/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("healthz", health, name="health"),  # readiness: database, storage, queue (two queries)
    path("healthz/live", live, name="health-live"),  # liveness, and the bench's floor: no database
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("", include("outreach.urls")),
    path("", include("grid.urls")),
]
