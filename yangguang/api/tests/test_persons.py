"""/persons: the same rules and error codes as the import, audited reads and writes,
masked numbers, pagination."""

import datetime as dt

import pytest

from yangguang.api.pagination import MAX_PAGE_SIZE
from yangguang.api.tests.conftest import COUNTY_A, field_codes
from yangguang.audit.models import AuditEvent
from yangguang.audit.services import verify_chain
from yangguang.core.crypto import decrypt_id
from yangguang.demo.generator import create_person, person_row
from yangguang.registry.models import Person
from yangguang.registry.vocabulary import HEADER_TO_KEY

pytestmark = pytest.mark.django_db


def new_row(**overrides) -> dict:
    """A valid POST body: an import row by column key, dates as text."""
    overrides.setdefault("legacy_id", False)
    row = {HEADER_TO_KEY[h]: v for h, v in person_row(hukou_region=COUNTY_A, **overrides).items()}
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()
            if v not in ("", None)}


def test_create_registers_the_person_with_masked_numbers_and_audits(registrar_a):
    row = new_row(phone="13912345678")
    response = registrar_a.post("/persons", row)
    assert response.status_code == 201, response.content
    body = response.json()
    person = Person.objects.get(pk=body["id"])
    assert decrypt_id(person.id_number_encrypted) == row["id_number"]
    assert body["id_number_masked"] == row["id_number"][:4] + "*" * 10 + row["id_number"][-4:]
    assert body["certificate"]["number_masked"] == body["id_number_masked"] + row["certificate_number"][18:]
    assert row["id_number"] not in response.content.decode()
    assert body["phone"] == "13912345678"
    assert body["hukou_region"]["code"].startswith(COUNTY_A)
    events = AuditEvent.objects.filter(person_id=person.pk).values_list("action", "object_type",
                                                                        "actor_id")
    assert list(events) == [("create", "person", registrar_a.user.pk)]
    assert verify_chain() is None


def test_create_reports_every_problem_with_the_registry_codes(registrar_a):
    row = new_row()
    row |= {"id_number": row["id_number"][:17] + ("0" if row["id_number"][17] != "0" else "1"),
            "category": "九", "phone": "12345", "issue_date": "2021-02-30",
            "relation_to_head": "邻居"}
    assert field_codes(registrar_a.post("/persons", row)) == {
        "id_number": "id_checksum", "category": "category_invalid", "phone": "phone_invalid",
        "issue_date": "date_invalid", "relation_to_head": "relation_invalid",
    }
    assert not Person.objects.exists()


def test_create_checks_the_certificate_number_against_the_id(registrar_a):
    row = new_row(category="肢体", level="二级")
    row["certificate_number"] = row["id_number"] + "52"
    assert field_codes(registrar_a.post("/persons", row)) == {
        "certificate_number": "cert_category_mismatch"}


def test_registering_an_id_twice_is_id_exists(registrar_a):
    row = new_row()
    assert registrar_a.post("/persons", row).status_code == 201
    assert field_codes(registrar_a.post("/persons", row)) == {"id_number": "id_exists"}


def test_schema_problems_come_in_the_same_shape(registrar_a):
    row = new_row()
    del row["name"]
    row["nickname"] = "x"
    row["hukou_region"] = 630102
    assert field_codes(registrar_a.post("/persons", row)) == {
        "name": "required", "nickname": "unknown_field", "hukou_region": "type_invalid"}


def test_detail_is_recorded_as_a_view(reviewer_a, person_a):
    response = reviewer_a.get(f"/persons/{person_a.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == person_a.name
    assert body["household"]["number"] == "A-0001"
    assert body["relation_to_head"] == "head"
    assert decrypt_id(person_a.id_number_encrypted) not in response.content.decode()
    event = AuditEvent.objects.filter(action="view").get()
    assert (event.object_type, event.object_id, event.person_id, event.actor_id) == \
        ("person", str(person_a.pk), person_a.pk, reviewer_a.user.pk)
    assert event.region_code == person_a.hukou_region_id


def test_patch_changes_only_the_fields_given(registrar_a, person_a):
    before = person_a.phone
    response = registrar_a.patch(f"/persons/{person_a.pk}", {"phone": "0971-1234567"})
    assert response.status_code == 200, response.content
    assert response.json()["phone"] == "0971-1234567"
    person_a.refresh_from_db()
    assert (person_a.phone, person_a.household.number) == ("0971-1234567", "A-0001")
    event = AuditEvent.objects.filter(person_id=person_a.pk, action="update").get()
    assert event.data["changes"] == {"phone": [before, "0971-1234567"]}
    assert event.actor_id == registrar_a.user.pk


def test_patch_with_null_clears_an_optional_field_but_not_a_required_one(registrar_a, person_a):
    assert registrar_a.patch(f"/persons/{person_a.pk}",
                             {"household_number": None, "relation_to_head": None}).status_code == 200
    person_a.refresh_from_db()
    assert person_a.household_id is None
    assert field_codes(registrar_a.patch(f"/persons/{person_a.pk}", {"name": None})) == \
        {"name": "required"}


def test_patch_validates_with_the_registry_rules(registrar_a, person_a):
    assert field_codes(registrar_a.patch(f"/persons/{person_a.pk}", {
        "phone": "12", "residence_region": "999999", "relation_to_head": "配偶",
        "household_number": ""})) == {
        "phone": "phone_invalid", "residence_region": "region_unknown",
        "relation_to_head": "relation_without_household"}


def test_the_id_number_cannot_be_changed(registrar_a, person_a):
    row = new_row()
    assert field_codes(registrar_a.patch(f"/persons/{person_a.pk}",
                                         {"id_number": row["id_number"]})) == \
        {"id_number": "unknown_field"}


def test_put_replaces_every_field(registrar_a, person_a):
    registrar_a.patch(f"/persons/{person_a.pk}", {"phone": "13912345678"})
    response = registrar_a.put(f"/persons/{person_a.pk}", {"name": "张 伟",
                                                           "hukou_region": COUNTY_A + "001000"})
    assert response.status_code == 200, response.content
    person_a.refresh_from_db()
    assert (person_a.name, person_a.phone, person_a.household_id, person_a.hukou_region_id) == \
        ("张 伟", "", None, COUNTY_A + "001000")
    assert field_codes(registrar_a.put(f"/persons/{person_a.pk}", {"name": "张伟"})) == \
        {"hukou_region": "required"}


def test_list_pages(registrar_a, actor):
    persons = [create_person(actor=actor, hukou_region=COUNTY_A) for _ in range(5)]
    first = registrar_a.get("/persons", {"page_size": 2}).json()
    assert first["count"] == 5
    assert [p["id"] for p in first["results"]] == [p.pk for p in persons[:2]]
    assert first["previous"] is None
    assert first["next"].endswith("/api/v1/persons?page=2&page_size=2")
    last = registrar_a.client.get(first["next"].replace("page=2", "page=3"),
                                  headers={"Authorization": f"Bearer {registrar_a.token}"}).json()
    assert [p["id"] for p in last["results"]] == [persons[4].pk]
    assert last["next"] is None and last["previous"].endswith("page=2&page_size=2")
    beyond = registrar_a.get("/persons", {"page": 9, "page_size": 2}).json()
    assert (beyond["count"], beyond["results"], beyond["next"]) == (5, [], None)
    assert beyond["previous"].endswith("page=3&page_size=2")


def test_a_cursor_walks_the_same_rows_as_page_numbers(registrar_a, actor):
    """``?after=`` pages in id order from the given id on; ``next`` carries the cursor."""
    persons = [create_person(actor=actor, hukou_region=COUNTY_A) for _ in range(5)]
    auth = {"Authorization": f"Bearer {registrar_a.token}"}
    page = registrar_a.get("/persons", {"after": 0, "page_size": 2}).json()
    walked, links = [], []
    while True:
        assert page["count"] is None and page["previous"] is None
        walked += [p["id"] for p in page["results"]]
        if page["next"] is None:
            break
        links.append(page["next"])
        page = registrar_a.client.get(page["next"], headers=auth).json()
    assert walked == [p.pk for p in persons]
    assert links[0].endswith(f"/api/v1/persons?after={persons[1].pk}&page_size=2")
    assert len(links) == 2  # 2 + 2 + 1: no empty last page
    middle = registrar_a.get("/persons", {"after": persons[2].pk}).json()
    assert [p["id"] for p in middle["results"]] == [p.pk for p in persons[3:]]
    assert registrar_a.get("/persons", {"after": persons[4].pk}).json()["results"] == []
    event = AuditEvent.objects.filter(action="view").order_by("-id").first()
    assert event.data["query"]["after"] == persons[4].pk


def test_a_cursor_is_checked(registrar_a):
    assert field_codes(registrar_a.get("/persons", {"after": -1})) == {"after": "too_small"}
    assert field_codes(registrar_a.get("/persons", {"after": "x"})) == {"after": "type_invalid"}
    response = registrar_a.get("/persons", {"after": 0, "page": 2})
    assert response.status_code == 422
    assert field_codes(response) == {"after": "page_with_after"}
    assert "游标" in response.json()["errors"][0]["message"]


def test_page_size_is_bounded(registrar_a):
    assert field_codes(registrar_a.get("/persons", {"page_size": MAX_PAGE_SIZE + 1})) == \
        {"page_size": "too_large"}
    assert field_codes(registrar_a.get("/persons", {"page": 0})) == {"page": "too_small"}
    assert field_codes(registrar_a.get("/persons", {"page": "x"})) == {"page": "type_invalid"}


def test_a_list_call_is_one_view_event_with_the_ids_returned(registrar_a, actor):
    persons = [create_person(actor=actor, hukou_region=COUNTY_A, name=name)
               for name in ("王一", "王二", "李三")]
    registrar_a.get("/persons", {"name": "王", "page_size": 10})
    event = AuditEvent.objects.filter(action="view").get()
    assert event.object_type == "person" and event.person_id is None
    assert event.region_code == COUNTY_A + "000000"  # the caller's, for the county's auditors
    assert event.data["ids"] == [persons[0].pk, persons[1].pk]
    assert event.data["query"] == {"name": "王", "page": 1, "page_size": 10}


def test_list_filters_by_region_subtree(registrar_a, actor):
    inside = create_person(actor=actor, hukou_region=COUNTY_A + "001000")
    create_person(actor=actor, hukou_region=COUNTY_A + "002000")
    ids = [p["id"] for p in registrar_a.get("/persons", {"region": COUNTY_A + "001000"})
           .json()["results"]]
    assert ids == [inside.pk]
    assert field_codes(registrar_a.get("/persons", {"region": "12"})) == {"region": "region_unknown"}


def test_a_legacy_15_digit_id_is_registered_in_its_18_digit_form(registrar_a):
    row = new_row(legacy_id=True, birth_date=dt.date(1975, 6, 1))
    assert len(row["id_number"]) == 15
    response = registrar_a.post("/persons", row)
    assert response.status_code == 201, response.content
    person = Person.objects.get(pk=response.json()["id"])
    assert len(decrypt_id(person.id_number_encrypted)) == 18
    assert response.json()["birth_date"] == "1975-06-01"


def test_list_filters_by_certificate_and_death(registrar_a, actor):
    from yangguang.registry import services

    visual = create_person(actor=actor, hukou_region=COUNTY_A, category="视力", level="一级")
    create_person(actor=actor, hukou_region=COUNTY_A, category="肢体", level="三级")
    dead = create_person(actor=actor, hukou_region=COUNTY_A, category="肢体", level="三级")
    services.record_death(dead, dt.date.today(), actor=actor)

    def ids(**params):
        return [p["id"] for p in registrar_a.get("/persons", params).json()["results"]]

    assert ids(category=1, level=1) == [visual.pk]
    assert ids(status="deceased") == [dead.pk]
    assert ids(status="cancelled") == [dead.pk]
    assert field_codes(registrar_a.get("/persons", {"status": "gone"})) == {"status": "choice_invalid"}
