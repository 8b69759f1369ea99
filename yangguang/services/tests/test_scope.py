"""Scope: a need, referral or provider outside the user's regions is not found, and no
write reaches it; providers above the user's regions are visible (they serve them)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.http import Http404

from yangguang.core.errors import ValidationFailed
from yangguang.services import actions, selectors
from yangguang.services.models import Need, ServiceKind
from yangguang.services.tests.conftest import COUNTY_A, COUNTY_B, VILLAGE_B

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


def test_needs_of_another_county_are_not_found_nor_written(person, provider, staff, actor):
    ours = actions.open_need(person(), ServiceKind.HOME_VISIT, opened_on=TODAY, actor=actor,
                             scope=None)
    theirs = actions.open_need(person(region=VILLAGE_B), ServiceKind.HOME_VISIT, opened_on=TODAY,
                               actor=actor, scope=None)
    user = staff("registrar", COUNTY_A).user
    assert list(selectors.search_needs(user)) == [ours]
    assert selectors.get_need_for(user, ours.pk) == ours
    with pytest.raises(Http404):
        selectors.get_need_for(user, theirs.pk)
    scope = actions.write_scope(user)
    with pytest.raises(ValidationFailed) as exc:
        actions.open_need(theirs.person, ServiceKind.LEGAL_AID, opened_on=TODAY, actor=user,
                          scope=scope)
    assert exc.value.problems[0].code == "out_of_scope"
    with pytest.raises(ValidationFailed):
        actions.withdraw_need(theirs, reason="x", day=TODAY, actor=user, scope=scope)
    assert Need.objects.get(pk=theirs.pk).state == "open"


def test_analyst_sees_no_needs_and_reviewer_cannot_write(person, staff, actor):
    actions.open_need(person(), ServiceKind.HOME_VISIT, opened_on=TODAY, actor=actor, scope=None)
    assert not selectors.search_needs(staff("analyst", COUNTY_A).user).exists()
    reviewer = staff("reviewer", COUNTY_A).user
    assert selectors.search_needs(reviewer).count() == 1
    assert actions.write_scope(reviewer) == ()
    with pytest.raises(ValidationFailed):
        actions.open_need(person(), ServiceKind.LEGAL_AID, opened_on=TODAY, actor=reviewer,
                          scope=actions.write_scope(reviewer))


def test_providers_of_the_region_and_above_are_visible(provider, staff):
    county = provider(region=COUNTY_A)
    prefecture = provider(region="140900")  # 忻州市: serves Wutai
    elsewhere = provider(region=COUNTY_B)
    user = staff("registrar", "140922100000").user  # a township's registrar
    assert set(selectors.search_providers(user)) == {county, prefecture}
    with pytest.raises(Http404):
        selectors.get_provider_for(user, elsewhere.pk)
    with pytest.raises(Http404):  # may see it, but not change it
        selectors.get_provider_for(user, county.pk, "manage_providers")
