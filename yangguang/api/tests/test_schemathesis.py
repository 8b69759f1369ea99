"""Property-based run of every operation in the OpenAPI document (schemathesis).

Inputs are generated from the document itself — valid and invalid bodies, query
strings and path parameters — and sent through the real WSGI application with a
valid token of a registrar and reviewer of county A, who owns a few persons. No
answer may be a 5xx; every answer must be the documented JSON. Bounded to a few
examples per operation so the whole run stays well under a minute.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from yangguang.accounts.models import Role
from yangguang.api.tests.conftest import COUNTY_A
from yangguang.demo.generator import create_person

pytestmark = pytest.mark.django_db


schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Django's test client does the same: a request must not close the connection that
    holds the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(make_caller, actor):
    for _ in range(3):
        create_person(actor=actor, hukou_region=COUNTY_A)
    return make_caller("fuzzer", (Role.REGISTRAR, COUNTY_A), (Role.REVIEWER, COUNTY_A)).token


@schema.parametrize()
@settings(max_examples=20, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_operation_fails_on_generated_input(case, token):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"},
        checks=[not_a_server_error, content_type_conformance, response_schema_conformance],
    )
