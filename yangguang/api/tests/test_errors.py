"""Every error path answers in the one JSON shape, including 404s outside any route,
wrong methods, unreadable bodies and unexpected exceptions (500, logged)."""

import logging

import pytest
from django.test import RequestFactory
from ninja import NinjaAPI
from ninja.testing import TestClient

from yangguang.api import errors
from yangguang.api.tests.conftest import API, assert_error

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/api/", "/api/v1/", "/api/v1/nothing", "/api/v2/persons",
                                  "/api/v1/persons/abc", "/api/v1/persons/-1",
                                  "/api/v1/persons/1/nothing"])
def test_addresses_without_a_route_are_json_404(registrar_a, path):
    response = registrar_a.client.get(path, headers={"Authorization": f"Bearer {registrar_a.token}"})
    assert_error(response, 404, "not_found")


def test_a_method_the_route_does_not_take_is_json_405(registrar_a):
    response = registrar_a.client.delete(API + "/persons",
                                         headers={"Authorization": f"Bearer {registrar_a.token}"})
    document = assert_error(response, 405, "method_not_allowed")
    assert "DELETE" in document["message"]
    assert set(response["Allow"].split(", ")) == {"GET", "POST"}


def test_a_body_that_is_not_json_is_400(registrar_a):
    response = registrar_a.client.post(API + "/persons", "{not json", content_type="application/json",
                                       headers={"Authorization": f"Bearer {registrar_a.token}"})
    assert_error(response, 400, "bad_request")
    response = registrar_a.client.post(API + "/persons", b"\xff\xfe", content_type="application/json",
                                       headers={"Authorization": f"Bearer {registrar_a.token}"})
    assert_error(response, 400, "bad_request")


def test_a_body_of_the_wrong_type_is_422(registrar_a):
    response = registrar_a.post("/persons", ["a", "list"])
    assert_error(response, 422, "validation_failed")


def test_a_body_over_the_limit_is_413(registrar_a, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = registrar_a.post("/persons", {"name": "x" * 2000})
    assert_error(response, 413, "payload_too_large")


def test_an_unexpected_exception_is_a_logged_json_500(caplog):
    """The handler installed on the real API, run on a route that fails for real."""
    api = NinjaAPI(urls_namespace="test-errors")
    errors.install(api)

    @api.get("/boom")
    def boom(request):
        return 1 / 0

    with caplog.at_level(logging.ERROR, logger="yangguang.api"):
        response = TestClient(api).get("/boom")
    assert response.status_code == 500
    assert response.json() == {"code": "server_error", "message": str(errors.MESSAGES["server_error"]),
                               "errors": []}
    assert "ZeroDivisionError" in caplog.text
    assert "/boom" in caplog.text


def test_a_failing_handler_still_answers_json_500(caplog):
    """The URL wrapper is the net under ninja's own handlers."""

    def view(request):
        raise RuntimeError("a handler failed")

    with caplog.at_level(logging.ERROR, logger="yangguang.api"):
        response = errors.json_errors(view)(RequestFactory().get("/api/v1/x"))
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert "a handler failed" in caplog.text


def test_messages_follow_the_request_language(registrar_a):
    response = registrar_a.client.get(API + "/persons", headers={"Accept-Language": "zh-hans"})
    assert assert_error(response, 401, "token_missing")["message"].startswith("缺少接口令牌")


def test_a_request_waits_briefly_for_a_locked_registry_then_answers_busy(
        registrar_a, settings, locked_elsewhere):
    from django.db import connection

    from yangguang.registry.models import Person

    settings.YANGGUANG_REQUEST_LOCK_TIMEOUT_MS = 200
    with locked_elsewhere(Person._meta.db_table):
        response = registrar_a.get("/persons", {"name": "张"})
    if connection.vendor != "postgresql":  # nothing locked
        assert response.status_code == 200
        return
    assert_error(response, 503, "busy")
    assert response["Retry-After"] == "30"


def _raw(caller, method: str, path: str, body: str):
    """Send ``body`` as is (``\\ud800`` escapes stay escapes, as a client would send them)."""
    return getattr(caller.client, method)(API + path, body.encode(), content_type="application/json",
                                          headers={"Authorization": f"Bearer {caller.token}"})


@pytest.mark.parametrize("field", ["name", "phone", "hukou_region", "household_number"])
def test_a_lone_surrogate_in_a_person_field_is_422(registrar_a, person_a, field):
    response = _raw(registrar_a, "patch", f"/persons/{person_a.pk}", f'{{"{field}": "a\\ud800"}}')
    document = assert_error(response, 422, "validation_failed")
    assert [e["field"] for e in document["errors"]] == [field]


def test_a_lone_surrogate_in_a_new_person_or_certificate_is_422(registrar_a, person_a):
    response = _raw(registrar_a, "post", "/persons",
                    '{"name": "\\udfff", "id_number": "\\ud83d", "certificate_number": "1",'
                    ' "category": "\\ud800", "level": 2, "hukou_region": "630102",'
                    ' "issue_date": "2021-03-05"}')
    document = assert_error(response, 422, "validation_failed")
    assert {e["field"] for e in document["errors"]} == {"name", "id_number", "category"}
    certificate = person_a.certificates.get()
    response = _raw(registrar_a, "post", f"/certificates/{certificate.pk}/status",
                    '{"status": "frozen", "reason": "other", "note": "\\ud800"}')
    assert [e["field"] for e in assert_error(response, 422, "validation_failed")["errors"]] == ["note"]


def test_no_answer_may_be_cached(registrar_a, person_a):
    answers = [registrar_a.get("/persons"), registrar_a.get(f"/persons/{person_a.pk}"),
               registrar_a.patch(f"/persons/{person_a.pk}", {"phone": "12ab"}),
               registrar_a.client.get(API + "/persons")]  # no token: 401
    assert [a.status_code for a in answers] == [200, 200, 422, 401]
    for answer in answers:
        assert "no-store" in answer["Cache-Control"], answer.status_code
