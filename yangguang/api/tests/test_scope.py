"""The scope filter: a person outside the caller's regions does not exist for them."""

from typing import Any

import pytest

from yangguang.api.tests.conftest import COUNTY_A, COUNTY_B, assert_error, field_codes

pytestmark = pytest.mark.django_db


def test_out_of_scope_person_is_404_like_a_missing_one(registrar_a, person_a, person_b):
    out_of_scope = registrar_a.get(f"/persons/{person_b.pk}")
    missing = registrar_a.get("/persons/999999")
    assert_error(out_of_scope, 404, "not_found")
    assert out_of_scope.json() == missing.json()
    assert registrar_a.get(f"/persons/{person_a.pk}").status_code == 200


def test_lists_hold_only_persons_in_scope(registrar_a, registrar_b, person_a, person_b):
    assert [p["id"] for p in registrar_a.get("/persons").json()["results"]] == [person_a.pk]
    assert [p["id"] for p in registrar_b.get("/persons").json()["results"]] == [person_b.pk]
    certificates = registrar_a.get("/certificates").json()["results"]
    assert {c["person_id"] for c in certificates} == {person_a.pk}
    households = registrar_a.get("/households").json()["results"]
    assert [h["number"] for h in households] == ["A-0001"]


def test_out_of_scope_person_cannot_be_changed(registrar_a, person_b):
    before = person_b.phone
    for response in (
        registrar_a.patch(f"/persons/{person_b.pk}", {"phone": "13912345678"}),
        registrar_a.put(f"/persons/{person_b.pk}", {"name": "张三", "hukou_region": COUNTY_B}),
        registrar_a.post(f"/persons/{person_b.pk}/certificates",
                         {"category": 4, "level": 1, "issue_date": "2024-01-02"}),
    ):
        assert_error(response, 404, "not_found")
    person_b.refresh_from_db()
    assert person_b.phone == before
    assert person_b.certificates.count() == 1


def test_out_of_scope_certificate_and_household_are_404(reviewer_a, person_b):
    certificate = person_b.certificates.get()
    assert_error(reviewer_a.get(f"/certificates/{certificate.pk}"), 404, "not_found")
    assert_error(reviewer_a.post(f"/certificates/{certificate.pk}/status",
                                 {"status": "frozen", "reason": "moved_away"}), 404, "not_found")
    assert_error(reviewer_a.get(f"/households/{person_b.household_id}"), 404, "not_found")
    certificate.refresh_from_db()
    assert certificate.status == "valid"


def test_registrar_cannot_register_or_move_a_person_into_another_county(registrar_a, person_a):
    from yangguang.demo.generator import person_row
    from yangguang.registry.vocabulary import HEADER_TO_KEY

    row = {HEADER_TO_KEY[h]: v for h, v in person_row(hukou_region=COUNTY_B).items()}
    row["issue_date"] = str(row["issue_date"])
    row.pop("birth_date", None)
    assert field_codes(registrar_a.post("/persons", row)) == {"hukou_region": "region_out_of_scope"}
    assert field_codes(registrar_a.patch(f"/persons/{person_a.pk}", {"hukou_region": COUNTY_B})) \
        == {"hukou_region": "region_out_of_scope"}
    person_a.refresh_from_db()
    assert person_a.hukou_region_id.startswith("630102")


def test_a_role_without_the_capability_anywhere_is_403(analyst_a, reviewer_a, registrar_a, person_a):
    assert_error(analyst_a.get("/persons"), 403, "forbidden")
    assert_error(analyst_a.get(f"/persons/{person_a.pk}"), 403, "forbidden")
    # A reviewer sees persons but does not edit them; a registrar does not change certificates.
    assert reviewer_a.get(f"/persons/{person_a.pk}").status_code == 200
    assert_error(reviewer_a.patch(f"/persons/{person_a.pk}", {"phone": "13912345678"}),
                 403, "forbidden")
    certificate = person_a.certificates.get()
    assert_error(registrar_a.post(f"/certificates/{certificate.pk}/status",
                                  {"status": "frozen", "reason": "moved_away"}), 403, "forbidden")


def test_regions_are_reference_data_for_every_caller(analyst_a):
    assert analyst_a.get("/regions/610103").json()["name"] == "碑林区"


def _new_person_row(**overrides: Any) -> dict[str, Any]:
    from yangguang.demo.generator import person_row
    from yangguang.registry.vocabulary import HEADER_TO_KEY

    row = {HEADER_TO_KEY[h]: v for h, v in person_row(hukou_region=COUNTY_A, **overrides).items()}
    row["issue_date"] = str(row["issue_date"])
    row.pop("birth_date", None)
    return {k: v for k, v in row.items() if v not in ("", None)}


def test_a_household_of_another_county_is_refused_on_create_and_update(registrar_a, person_a,
                                                                        person_b):
    # (Issue 16, fault 1: a guessed household number of another county was accepted.)
    row = _new_person_row(household_number="B-0001", relation_to_head="子女")
    assert field_codes(registrar_a.post("/persons", row)) == {
        "household_number": "region_out_of_scope"}
    assert field_codes(registrar_a.patch(f"/persons/{person_a.pk}",
                                         {"household_number": "B-0001",
                                          "relation_to_head": "子女"})) == {
        "household_number": "region_out_of_scope"}
    person_a.refresh_from_db()
    assert person_a.household.number == "A-0001"
    assert list(person_b.household.members.all()) == [person_b]


def test_registering_a_number_of_another_county_tells_not_where_and_is_audited(registrar_a,
                                                                                person_b):
    # (Issue 16, fault 2: the answer was an oracle, and nothing was audited.)
    from yangguang.audit.models import AuditEvent
    from yangguang.core.crypto import decrypt_id

    number = decrypt_id(person_b.id_number_encrypted)
    response = registrar_a.post("/persons", _new_person_row(id_number=number))
    assert field_codes(response) == {"id_number": "person_out_of_scope"}
    assert "610103" not in response.content.decode()
    event = AuditEvent.objects.filter(person_id=person_b.pk, actor_id=registrar_a.user.pk).get()
    assert (event.region_code, event.data) == (
        person_b.hukou_region_id, {"check": "registered_elsewhere",
                                   "id_hash": person_b.id_number_hash})
