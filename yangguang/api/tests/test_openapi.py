"""The OpenAPI document: valid OpenAPI 3.1, every route in it, every error documented;
the documentation page."""

import html
import json
import re

import pytest
from django.test import Client
from django.urls import get_resolver
from schemathesis.specs.openapi.definitions import OPENAPI_31_VALIDATOR

from yangguang.api import PUBLIC, routes
from yangguang.api.tests.conftest import API, example_url

pytestmark = pytest.mark.django_db

EXPECTED = {
    ("GET", "/api/v1/persons"), ("POST", "/api/v1/persons"),
    ("GET", "/api/v1/persons/{person_id}"), ("PUT", "/api/v1/persons/{person_id}"),
    ("PATCH", "/api/v1/persons/{person_id}"),
    ("POST", "/api/v1/persons/{person_id}/certificates"),
    ("POST", "/api/v1/persons/{person_id}/reassessments"),
    ("GET", "/api/v1/persons/{person_id}/benefits"), ("GET", "/api/v1/benefit-programmes"),
    ("GET", "/api/v1/benefit-applications"), ("POST", "/api/v1/benefit-applications"),
    ("GET", "/api/v1/benefit-applications/{application_id}"),
    ("POST", "/api/v1/benefit-applications/{application_id}/transitions"),
    ("POST", "/api/v1/benefit-applications/at-residence"),
    ("GET", "/api/v1/payrolls"), ("POST", "/api/v1/payrolls"), ("GET", "/api/v1/payrolls/{payroll_id}"),
    ("GET", "/api/v1/payrolls/{payroll_id}/lines"), ("POST", "/api/v1/payrolls/{payroll_id}/approve"),
    ("GET", "/api/v1/payrolls/{payroll_id}/bank-file"),
    ("GET", "/api/v1/certificates"), ("GET", "/api/v1/certificates/{certificate_id}"),
    ("POST", "/api/v1/certificates/{certificate_id}/status"),
    ("GET", "/api/v1/households"), ("GET", "/api/v1/households/{household_id}"),
    ("GET", "/api/v1/persons/{person_id}/surveys"), ("POST", "/api/v1/persons/{person_id}/surveys"),
    ("GET", "/api/v1/persons/{person_id}/surveys/{year}"),
    ("GET", "/api/v1/cases"), ("POST", "/api/v1/cases"), ("GET", "/api/v1/cases/{case_id}"),
    ("POST", "/api/v1/cases/{case_id}/transitions"), ("POST", "/api/v1/cases/at-residence"),
    ("GET", "/api/v1/regions"), ("GET", "/api/v1/regions/{code}"),
    ("GET", "/api/v1/verify/{token}"),
    ("GET", "/api/v1/plans"), ("GET", "/api/v1/plans/{key}"), ("GET", "/api/v1/plans/{key}/tasks"),
    ("GET", "/api/v1/needs"), ("POST", "/api/v1/needs"), ("GET", "/api/v1/needs/{need_id}"),
    ("POST", "/api/v1/needs/{need_id}/referrals"), ("POST", "/api/v1/needs/{need_id}/reopen"),
    ("POST", "/api/v1/needs/{need_id}/withdraw"),
    ("POST", "/api/v1/referrals/{referral_id}/accept"),
    ("POST", "/api/v1/referrals/{referral_id}/decline"),
    ("POST", "/api/v1/referrals/{referral_id}/services"),
    ("GET", "/api/v1/providers"), ("POST", "/api/v1/providers"),
    ("GET", "/api/v1/providers/{provider_id}"), ("PUT", "/api/v1/providers/{provider_id}"),
    ("GET", "/api/v1/service-coverage"),
    ("GET", "/api/v1/matching/runs/{run_id}"), ("GET", "/api/v1/matching/review"),
    ("POST", "/api/v1/matching/candidates/{candidate_id}/decision"),
    ("GET", "/api/v1/matching/runs/{run_id}/discrepancies"),
    ("GET", "/api/v1/matching/runs/{run_id}/discrepancies/findings"),
    ("GET", "/api/v1/matching/runs/{run_id}/discrepancies/xlsx"),
    ("GET", "/api/v1/matching/report"), ("GET", "/api/v1/matching/report/findings"),
    ("GET", "/api/v1/matching/report/xlsx"),
}


@pytest.fixture
def document():
    response = Client().get(API + "/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_the_document_is_valid_openapi_3(document):
    assert document["openapi"].startswith("3.")
    errors = [e.message for e in OPENAPI_31_VALIDATOR.iter_errors(document)]
    assert errors == []


def test_routes_lists_every_operation_of_the_document_and_of_the_urlconf(document):
    listed = set(routes())
    assert listed == EXPECTED
    assert listed == {(method.upper(), path) for path, operations in document["paths"].items()
                      for method in operations}
    # Every operation listed is mounted in the URLconf, behind the JSON error wrapper.
    resolver = get_resolver()
    for _method, path in listed:
        view = resolver.resolve(example_url(path)).func
        assert hasattr(view, "__wrapped__"), path  # by errors.json_errors


def test_every_operation_needs_the_bearer_token_and_documents_its_errors(document):
    assert document["components"]["securitySchemes"] == {
        "BearerToken": {"type": "http", "scheme": "bearer"}}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if (method.upper(), path) in PUBLIC:
                assert "security" not in operation, (method, path)
                statuses = ("422", "429")
            else:
                assert operation["security"] == [{"BearerToken": []}], (method, path)
                statuses = ("401", "403", "404", "422")
            for status in statuses:
                schema = operation["responses"][status]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}, (method, path, status)
            assert operation.get("summary"), (method, path)
    operation_ids = [o["operationId"] for ops in document["paths"].values() for o in ops.values()]
    assert len(set(operation_ids)) == len(operation_ids)
    assert "list_persons" in operation_ids


def test_the_documentation_page_uses_only_our_own_files():
    """Swagger UI from our static files (no CDN), under the same CSP as every page: no
    inline script, its settings JSON in a hidden element (Chromium: tests_e2e/test_api_docs.py)."""
    response = Client().get(API + "/docs")

    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "script-src 'self';" in response["Content-Security-Policy"]
    urls = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert "/static/ninja/swagger-ui-bundle.js" in urls and "/static/ninja/swagger-ui.css" in urls
    assert not [url for url in urls if "//" in url], urls
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)
    assert scripts and all('src="' in attributes and not body.strip() for attributes, body in scripts)
    settings = re.search(r'<div id="swagger-settings" hidden>(.*?)</div>', page, re.S).group(1)
    assert json.loads(html.unescape(settings))["validatorUrl"] is None  # no badge from swagger.io
    assert '<a href="openapi.json">' in page  # without JavaScript, the document itself
    for url in urls:
        if url.startswith("/static/"):
            assert Client().get(url).status_code == 200, url


def test_ids_in_paths_are_integers(document):
    for path, operations in document["paths"].items():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter["name"].endswith("_id"):
                    assert parameter["schema"]["type"] == "integer", path

