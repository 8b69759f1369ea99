"""Staff of two counties in different provinces, signed in through the test client.

Users and roles are made by ``accounts.services``, persons by the demo factory.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from yangguang.accounts import services as accounts

PASSWORD = "Yg-pages-Tests-2025!"
COUNTY_A = "140922"  # 五台县, Shanxi
VILLAGE_A = "140922100001"  # 西米市社区, 台城镇, 五台县
COUNTY_B = "610103"  # 碑林区, Shaanxi
VILLAGE_B = "610103001002"  # 大车家巷社区, 南院门街道, 碑林区


@pytest.fixture
def staff(actor) -> Callable[..., Client]:
    """``staff("registrar", COUNTY_A)``: a signed-in client of a new user with that role
    (several ``(role, region)`` pairs may follow). The user is ``client.user``."""
    count = [0]

    def make(role: str, region: str, *more: tuple[str, str]) -> Client:
        count[0] += 1
        user = accounts.create_user(f"{role}{count[0]}", PASSWORD, [(role, region), *more],
                                    actor=actor)
        client = Client()
        client.force_login(user)
        client.user = user
        return client

    return make
