from django.urls import path

from yangguang.registry import views

app_name = "registry"
urlpatterns = [
    path("persons/", views.search, name="search"),
    path("persons/new/", views.create, name="create"),
    path("persons/export/", views.export, name="export"),
    path("persons/<int:pk>/", views.person, name="person"),
    path("persons/<int:pk>/edit/", views.edit, name="edit"),
    path("persons/<int:pk>/reveal/", views.reveal, name="reveal"),
    path("persons/<int:pk>/death/", views.death, name="death"),
    path("persons/<int:pk>/move-away/", views.move_away, name="move_away"),
    path("persons/<int:pk>/reassess/", views.reassess, name="reassess"),
    path("certificates/<int:pk>/<slug:action>/", views.certificate_action, name="certificate_action"),
    path("imports/", views.import_page, name="import"),
    path("imports/templates/<slug:kind>.xlsx", views.import_template, name="import_template"),
    path("imports/<uuid:pk>/", views.import_job, name="import_job"),
    path("imports/<uuid:pk>/errors.xlsx", views.import_report, name="import_report"),
    path("imports/<uuid:pk>/confirm/", views.import_confirm, name="import_confirm"),
]
