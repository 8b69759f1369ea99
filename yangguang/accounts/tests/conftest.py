"""Staff users for tests, made by the same service the demo accounts and the CLI use."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from yangguang.accounts import services
from yangguang.accounts.models import User
from yangguang.audit.services import Actor

PASSWORD = "Sunny-Test-Passphrase-2025"

StaffFactory = Callable[..., User]


@pytest.fixture
def staff(db) -> StaffFactory:
    """``staff("wutai", ("registrar", "140922"), …)``: a user with those roles and PASSWORD."""

    def make(username: str, *roles: tuple[str, str], password: str = PASSWORD) -> User:
        return services.create_user(username, password, roles, actor=Actor("test"))

    return make


def sign_in(client: Client, username: str, password: str = PASSWORD, **extra) -> object:
    """Post the login form, as a browser would."""
    return client.post("/accounts/login/", {"username": username, "password": password, **extra})
