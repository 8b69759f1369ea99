from django.urls import include, path, re_path

from yangguang.certificates import views as certificate_views
from yangguang.core import views
from yangguang.registry import statistics

urlpatterns = [
    path("", views.home, name="home"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("display/", views.display, name="display"),
    path("registry/", include("yangguang.registry.urls")),
    path("benefits/", include("yangguang.benefits.urls")),
    path("certificates/", include("yangguang.certificates.urls")),
    path("survey/", include("yangguang.survey.urls")),
    path("matching/", include("yangguang.matching.urls")),
    # Public: the address in an e-certificate's QR code, and the form for its printed code.
    path("verify/", certificate_views.verify_form, name="verify_form"),
    path("verify/<str:token>", certificate_views.verify, name="verify"),
    path("statistics/", include("yangguang.registry.statistics_urls")),
    # The statistics pages' addresses before they moved from the regions app.
    re_path(r"^regions/(?:(?P<code>[0-9]{6}|[0-9]{12})/)?$", statistics.moved, name="statistics_moved"),
    path("regions/", include("yangguang.regions.urls")),
    path("services/", include("yangguang.services.urls")),
    path("api/", include("yangguang.api.urls")),
    path("accounts/", include("yangguang.accounts.urls")),
    path("audit/", include("yangguang.audit.urls")),
    path("jobs/", include("yangguang.jobs.urls")),
    path("plans/", include("yangguang.plans.urls")),
    path("analytics/", include("yangguang.analytics.urls")),
]

# 400, 403 and 404 are Django's handlers with our templates; 500 needs the request.
handler500 = "yangguang.core.views.server_error"
