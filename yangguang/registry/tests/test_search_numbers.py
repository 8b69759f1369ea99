"""Full ID and certificate numbers never travel in a URL (issue 16 fault 6): the search
form posts them, the results' address holds an opaque token, and a search by number is
audited by the number's keyed hash."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from yangguang.accounts.models import Role
from yangguang.audit.models import AuditEvent
from yangguang.core.crypto import decrypt_id, hash_id
from yangguang.demo.generator import create_person
from yangguang.registry.models import Person
from yangguang.registry.tests.conftest import COUNTY_A, VILLAGE_A

pytestmark = pytest.mark.django_db


@pytest.fixture
def person() -> Person:
    return create_person(户籍地区划代码=VILLAGE_A, 姓名="张阳光")


def _visited(response) -> list[str]:
    return [url for url, _status in response.redirect_chain]


def test_a_search_by_id_number_keeps_the_number_out_of_every_url_and_is_audited(staff, person):
    registrar = staff(Role.REGISTRAR, COUNTY_A)
    number = decrypt_id(person.id_number_encrypted)
    AuditEvent.objects.all().delete()

    response = registrar.post("/registry/persons/", {"id_number": number, "name": ""}, follow=True)

    page = response.content.decode()
    assert "张阳光" in page and "找到1人" in page
    [url] = _visited(response)
    assert number not in url and number[-6:] not in url and "q=" in url
    assert not [link for link in re.findall(r'(?:href|action|hx-\w+)="([^"]*)"', page)
                if number in link]  # no link carries it
    [event] = AuditEvent.objects.filter(action="view", object_type="person")
    assert event.data["ids"] == [person.pk]
    assert event.data["query"]["id_number_hash"] == hash_id(number)
    assert number not in event.data_text and number[-6:] not in event.data_text
    assert event.actor_id == registrar.user.pk
    # The address can be reloaded in the same session.
    assert "张阳光" in registrar.get(url).content.decode()


def test_a_search_by_certificate_number_keeps_it_out_of_the_url(staff, person):
    registrar = staff(Role.REGISTRAR, COUNTY_A)
    number = person.certificates.get().number()

    response = registrar.post("/registry/persons/", {"certificate_number": number}, follow=True)

    assert "张阳光" in response.content.decode()
    [url] = _visited(response)
    assert number[:18] not in url
    [event] = AuditEvent.objects.filter(action="view", object_type="person", data__via="web")
    assert event.data["query"]["certificate_id_number_hash"] == hash_id(number[:18])
    assert number[:18] not in event.data_text


def test_an_old_address_with_a_number_moves_it_behind_a_token(staff, person):
    registrar = staff(Role.REGISTRAR, COUNTY_A)
    number = decrypt_id(person.id_number_encrypted)

    response = registrar.get("/registry/persons/", {"id_number": number, "status": "valid"})

    assert response.status_code == 302
    assert number not in response["Location"] and "status=valid" in response["Location"]


def test_a_token_is_good_only_in_the_session_that_made_it(staff, person):
    registrar = staff(Role.REGISTRAR, COUNTY_A)
    other = Client()
    other.force_login(registrar.user)
    number = decrypt_id(person.id_number_encrypted)
    url = registrar.post("/registry/persons/", {"id_number": number})["Location"]

    page = other.get(url).content.decode()

    assert "查询已过期" in page and "张阳光" not in page  # not a search without the number


def test_htmx_is_sent_to_the_token_address_for_the_results(staff, person):
    registrar = staff(Role.REGISTRAR, COUNTY_A)
    number = decrypt_id(person.id_number_encrypted)

    response = registrar.post("/registry/persons/", {"id_number": number},
                              headers={"HX-Request": "true"})

    assert number not in response["HX-Location"] and '"target": "#results"' in response["HX-Location"]
