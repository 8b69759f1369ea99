from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "yangguang.accounts"
    label = "accounts"
