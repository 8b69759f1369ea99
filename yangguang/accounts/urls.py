from django.urls import path

from yangguang.accounts import views

app_name = "accounts"
urlpatterns = [
    path("", views.account, name="account"),
    path("login/", views.login_view, name="login"),
    path("login/verify/", views.login_verify, name="login_verify"),
    path("logout/", views.logout_view, name="logout"),
    path("totp/", views.totp_setup, name="totp_setup"),
]
