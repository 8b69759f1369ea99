"""The per-township table: every township in scope (zeros shown), against the providers
that serve it: those of its own township and county (and the regions above), and those
of neighbouring counties whose service area lists its county (form, API and import)."""

from __future__ import annotations

import datetime as dt

import pytest

from yangguang.core.errors import ValidationFailed
from yangguang.regions.models import Region
from yangguang.services import actions, selectors
from yangguang.services.models import Need, ServiceKind
from yangguang.services.tests.conftest import COUNTY_A, TOWNSHIP_A

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()
DINGXIANG = "140921000000"  # 定襄县, beside 五台县
DINGXIANG_TOWN = "140921100000"  # 晋昌镇
DAIXIAN = "140923000000"  # 代县
OTHER_TOWNSHIP_A = "140922102000"  # 耿镇镇, another township of 五台县


def _rows(user, region=COUNTY_A):
    return {r.region.code: r for r in selectors.township_coverage(
        user, Region.objects.get(code=region.ljust(12, "0")))}


def test_every_township_in_scope_is_listed_with_zeros(person, staff):
    analyst = staff("analyst", COUNTY_A).user
    someone = person()
    Need.objects.create(person=someone, kind="legal_aid", opened_on=TODAY, state_since=TODAY)
    rows = _rows(analyst)
    townships = set(Region.objects.filter(code__startswith="140922", level=4)
                    .values_list("code", flat=True))
    assert set(rows) == townships and len(townships) > 5
    assert [(k.kind, k.unmet, k.gap) for k in rows[TOWNSHIP_A].kinds] == [("legal_aid", 1, True)]
    quiet = [r for code, r in rows.items() if code != TOWNSHIP_A]
    assert all(r.unmet == 0 and r.kinds == [] for r in quiet)
    ordered = selectors.township_coverage(analyst, Region.objects.get(code="140922000000"))
    assert ordered[0].region.code == TOWNSHIP_A  # the gap first


def test_providers_of_the_county_and_of_neighbours_that_list_it_serve(person, provider, staff):
    analyst = staff("analyst", COUNTY_A, ("analyst", "140921")).user
    someone = person()
    Need.objects.create(person=someone, kind="care_day", opened_on=TODAY, state_since=TODAY)
    same_township = provider([ServiceKind.CARE_DAY], region=TOWNSHIP_A, capacity=1)
    same_county = provider([ServiceKind.CARE_DAY], region=OTHER_TOWNSHIP_A, capacity=2)
    neighbour = provider([ServiceKind.CARE_DAY], region=DINGXIANG_TOWN, capacity=4,
                         service_counties=["140922"])
    elsewhere = provider([ServiceKind.CARE_DAY], region=DINGXIANG, capacity=8,
                         service_counties=[DAIXIAN])
    assert neighbour.service_county_codes == ["140922000000"]

    (row,) = _rows(analyst)[TOWNSHIP_A].kinds
    assert {p.pk for p in row.providers} == {same_township.pk, same_county.pk, neighbour.pk}
    assert (row.unmet, row.capacity, row.gap) == (1, 7, False)
    for p in (same_township, same_county, neighbour):
        assert selectors.serves(p, TOWNSHIP_A)
    assert not selectors.serves(elsewhere, TOWNSHIP_A)
    # 定襄's own townships are served by both of its providers, not by 五台's
    (dingxiang,) = _rows(analyst, "140921")[DINGXIANG_TOWN].kinds
    assert {p.pk for p in dingxiang.providers} == {neighbour.pk, elsewhere.pk}


def test_the_service_area_is_checked_and_changes_are_audited(provider, actor):
    with pytest.raises(ValidationFailed) as exc:
        provider([ServiceKind.CARE_DAY], region=DINGXIANG, service_counties=[TOWNSHIP_A])
    assert exc.value.problems[0].code == "county_level"
    assert exc.value.problems[0].field == "service_counties"
    with pytest.raises(ValidationFailed) as exc:
        provider([ServiceKind.CARE_DAY], region=DINGXIANG, service_counties=["149999"])
    assert exc.value.problems[0].code == "region_unknown"
    made = provider([ServiceKind.CARE_DAY], region=DINGXIANG,
                    service_counties=["140922", "140922000000", "140921"])
    assert made.service_county_codes == ["140922000000"]  # its own county is implied
    data = actions.ProviderData(name=made.name, kind=made.kind, region=made.region_id,
                                kinds=made.kinds, capacity=made.capacity,
                                service_counties=["140922", DAIXIAN])
    _p, changes = actions.save_provider(data, actor=actor, scope=None, provider=made)
    assert changes == {"service_counties": [["140922000000"], ["140922000000", DAIXIAN]]}
    _p, changes = actions.save_provider(data, actor=actor, scope=None, provider=made)
    assert changes == {}
