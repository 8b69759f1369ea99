from django.urls import path

from yangguang.services import views

app_name = "services"
urlpatterns = [
    path("needs/", views.needs, name="needs"),
    path("needs/overdue/", views.overdue, name="overdue"),
    path("needs/export/", views.needs_export, name="needs_export"),
    path("needs/<int:pk>/", views.need, name="need"),
    path("needs/<int:pk>/refer/", views.need_refer, name="need_refer"),
    path("needs/<int:pk>/reopen/", views.need_reopen, name="need_reopen"),
    path("needs/<int:pk>/withdraw/", views.need_withdraw, name="need_withdraw"),
    path("persons/<int:pk>/", views.person_needs, name="person_needs"),
    path("persons/<int:pk>/needs/new/", views.need_new, name="need_new"),
    path("referrals/<int:pk>/accept/", views.referral_accept, name="referral_accept"),
    path("referrals/<int:pk>/decline/", views.referral_decline, name="referral_decline"),
    path("referrals/<int:pk>/service/", views.referral_service, name="referral_service"),
    path("providers/", views.providers, name="providers"),
    path("providers/new/", views.provider_new, name="provider_new"),
    path("providers/export/", views.providers_export, name="providers_export"),
    path("providers/<int:pk>/", views.provider, name="provider"),
    path("providers/<int:pk>/edit/", views.provider_edit, name="provider_edit"),
    path("coverage/", views.coverage, name="coverage"),
]
