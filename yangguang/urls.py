from django.urls import include, path

from yangguang.core import views

urlpatterns = [
    path("", views.home, name="home"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("display/", views.display, name="display"),
    path("registry/", include("yangguang.registry.urls")),
    path("regions/", include("yangguang.regions.urls")),
    path("api/", include("yangguang.api.urls")),
    path("accounts/", include("yangguang.accounts.urls")),
    path("audit/", include("yangguang.audit.urls")),
]
