"""Bearer tokens: every refusal is a 401 in the one error shape, and says nothing more."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from yangguang.accounts import services as accounts
from yangguang.api.tests.conftest import API, assert_error, example_url

pytestmark = pytest.mark.django_db


def get(headers: dict[str, str]):
    return Client().get(API + "/persons", headers=headers)


def test_missing_token_is_401_token_missing():
    response = get({})
    assert_error(response, 401, "token_missing")
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", [
    "Bearer yg_not-a-real-token",
    "Bearer ",
    "Basic dXNlcjpwYXNz",
    "yg_no-scheme",
    "Bearer yg_a yg_b",
])
def test_invalid_token_is_401_token_invalid(header):
    assert_error(get({"Authorization": header}), 401, "token_invalid")


def test_revoked_token_is_401(registrar_a, actor):
    token = registrar_a.user.api_tokens.get()
    assert registrar_a.get("/persons").status_code == 200
    accounts.revoke_token(token, actor=actor)
    assert_error(registrar_a.get("/persons"), 401, "token_invalid")


def test_expired_token_is_401(registrar_a, actor):
    key = accounts.create_token(registrar_a.user, "short", timezone.now() - dt.timedelta(seconds=1),
                                actor=actor).key
    assert_error(get({"Authorization": f"Bearer {key}"}), 401, "token_invalid")


def test_token_of_an_inactive_user_is_401(registrar_a):
    registrar_a.user.is_active = False
    registrar_a.user.save(update_fields=["is_active"])
    assert_error(registrar_a.get("/persons"), 401, "token_invalid")


def test_a_session_does_not_authenticate_the_api(registrar_a):
    """The API takes bearer tokens only: a signed-in browser session is not enough."""
    client = Client()
    client.force_login(registrar_a.user)
    assert_error(client.get(API + "/persons"), 401, "token_missing")


def test_every_operation_requires_a_token(registrar_a):
    from yangguang.api import PUBLIC, routes

    for method, path in routes():
        if (method, path) in PUBLIC:
            assert Client().get(example_url(path)).status_code == 200
            continue
        url = example_url(path)
        client = Client()
        response = (client.get(url) if method == "GET" else
                    getattr(client, method.lower())(url, "{}", content_type="application/json"))
        assert_error(response, 401, "token_missing")


def test_openapi_document_needs_no_token():
    assert Client().get(API + "/openapi.json").status_code == 200
