from django.urls import path

from yangguang.accounts import user_views, views

app_name = "accounts"
urlpatterns = [
    path("", views.account, name="account"),
    path("login/", views.login_view, name="login"),
    path("login/verify/", views.login_verify, name="login_verify"),
    path("logout/", views.logout_view, name="logout"),
    path("totp/", views.totp_setup, name="totp_setup"),
    path("password/", user_views.password_change, name="password_change"),
    path("users/", user_views.user_list, name="users"),
    path("users/new/", user_views.user_create, name="user_create"),
    path("users/<int:user_id>/", user_views.user_detail, name="user"),
    path("users/<int:user_id>/roles/grant/", user_views.role_grant, name="role_grant"),
    path("users/<int:user_id>/roles/revoke/", user_views.role_revoke, name="role_revoke"),
    path("users/<int:user_id>/lock/", user_views.user_lock, name="user_lock"),
    path("users/<int:user_id>/unlock/", user_views.user_unlock, name="user_unlock"),
    path("users/<int:user_id>/password/", user_views.password_reset, name="password_reset"),
    path("users/<int:user_id>/tokens/", user_views.token_create, name="token_create"),
    path("users/<int:user_id>/tokens/revoke/", user_views.token_revoke, name="token_revoke"),
]
