"""/households (read-only, members in scope) and /regions (reference data)."""

import datetime as dt

import pytest

from yangguang.api.tests.conftest import COUNTY_A, COUNTY_B, assert_error, field_codes
from yangguang.audit.models import AuditEvent
from yangguang.demo.generator import create_person
from yangguang.registry import services

pytestmark = pytest.mark.django_db


def test_household_detail_lists_status_and_members_in_scope(reviewer_a, person_a, actor):
    spouse = create_person(actor=actor, hukou_region=COUNTY_A, household_number="A-0001",
                           relation_to_head="配偶")
    # A member whose hukou lies in the other county stays invisible.
    create_person(actor=actor, hukou_region=COUNTY_B, household_number="A-0001",
                  relation_to_head="子女")
    services.set_household_status(person_a.household, "dibao", dt.date(2023, 1, 1), actor=actor)
    response = reviewer_a.get(f"/households/{person_a.household_id}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["number"] == "A-0001"
    assert [(m["id"], m["relation_to_head"]) for m in body["members"]] == [
        (person_a.pk, "head"), (spouse.pk, "spouse")]
    assert body["statuses"] == [{"status": "dibao", "status_label": "低保",
                                 "start_date": "2023-01-01", "end_date": None}]
    event = AuditEvent.objects.filter(action="view").get()
    assert (event.object_type, event.data["ids"]) == ("household", [person_a.pk, spouse.pk])


def test_household_list_filters(reviewer_a, person_a, actor):
    create_person(actor=actor, hukou_region=COUNTY_A, household_number="A-0002")
    numbers = [h["number"] for h in reviewer_a.get("/households", {"number": "A-0002"})
               .json()["results"]]
    assert numbers == ["A-0002"]
    assert reviewer_a.get("/households").json()["count"] == 2
    assert field_codes(reviewer_a.get("/households", {"number": "a b"})) == {"number": "text_invalid"}


def test_household_and_certificate_lists_page_by_cursor_too(reviewer_a, person_a, actor):
    others = [create_person(actor=actor, hukou_region=COUNTY_A, household_number=f"A-00{n}")
              for n in (10, 11, 12)]
    households = [person_a.household_id, *(p.household_id for p in others)]
    certificates = [p.certificates.get().pk for p in (person_a, *others)]
    for path, expected in (("/households", households), ("/certificates", certificates)):
        walked, page = [], reviewer_a.get(path, {"after": 0, "page_size": 3}).json()
        walked += [item["id"] for item in page["results"]]
        assert page["count"] is None and page["next"].endswith(f"after={expected[2]}&page_size=3")
        page = reviewer_a.get(path, {"after": expected[2], "page_size": 3}).json()
        walked += [item["id"] for item in page["results"]]
        assert page["next"] is None and walked == sorted(expected)


def test_region_detail_has_ancestors_and_children(analyst_a):
    body = analyst_a.get("/regions/610103").json()
    assert (body["code"], body["full_name"], body["level"]) == ("610103000000", "陕西省西安市碑林区", 3)
    assert [a["code"] for a in body["ancestors"]] == ["610000000000", "610100000000"]
    assert body["children"] and all(c["parent"] == "610103000000" for c in body["children"])
    assert all(c["valid_until"] is None for c in body["children"])


def test_regions_list_children_of_a_parent(analyst_a):
    page = analyst_a.get("/regions", {"parent": "630000", "page_size": 100}).json()
    assert "630100000000" in [r["code"] for r in page["results"]]
    assert all(r["level"] == 2 for r in page["results"])
    assert field_codes(analyst_a.get("/regions", {"parent": "990000"})) == {"parent": "region_unknown"}


def test_unknown_region_is_404(analyst_a):
    assert_error(analyst_a.get("/regions/990000"), 404, "not_found")
    assert_error(analyst_a.get("/regions/abc"), 404, "not_found")
