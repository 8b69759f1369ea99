"""The demo's data comparison: a deaths list and two dibao rolls in a county, matched
with exact, probable, review and unmatched rows; loading again changes nothing."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from yangguang.accounts import services as accounts
from yangguang.audit.services import Actor
from yangguang.demo.comparison import load_comparison
from yangguang.demo.generator import create_person
from yangguang.matching import changes, reports
from yangguang.matching.models import MatchRun
from yangguang.registry import services as registry

pytestmark = pytest.mark.django_db
ACTOR = Actor("demo-test")
COUNTY = "630102"
_numbers = itertools.count(1)


def person(**overrides):
    return create_person(actor=ACTOR, hukou_region=COUNTY, household_number=f"CMP{next(_numbers):05d}",
                         relation_to_head="head", **overrides)


def test_the_demo_lists_give_every_kind_of_match_and_load_once():
    for _ in range(18):
        person(姓名="王" + "明刚强伟".__getitem__(_ % 4) + "一二三四五六七八九"[_ % 9])
    person(姓名="张哲", 性别="男")
    for name in ("赵刚", "钱伟", "孙强", "李峰"):
        registry.record_death(person(姓名=name), dt.date(2025, 3, 1), actor=ACTOR)

    assert load_comparison([{"code": "630000"}], ACTOR, as_of=dt.date(2025, 6, 30)) == 3

    deaths, earlier, current = MatchRun.objects.order_by("pk")
    assert (deaths.matched_exact, deaths.matched_probable, deaths.review, deaths.unmatched) == (2, 1, 1, 2)
    # The deaths were known: one confirmed with the same date, one with another.
    assert sorted(deaths.candidates.exclude(effect="").values_list("effect", flat=True)) == [
        "death_date_differs", "unchanged", "unchanged"]
    assert (current.matched_exact, current.review, current.unmatched) == (6, 1, 2)
    assert current.matched_probable == 1
    registrar = accounts.create_user("cmp-registrar", "Yg-demo-Tests-2025!", [("registrar", COUNTY)],
                                     actor=ACTOR)
    found = {c.change for c in changes.compare(registrar, current, earlier)}
    assert found == {"new", "gone", "changed"}
    categories = {f.category for f in reports.run_findings(registrar, current)}
    assert {"status_differs", "unknown_to_registry"} <= categories

    assert load_comparison([{"code": "630000"}], ACTOR, as_of=dt.date(2025, 6, 30)) == 0
    assert MatchRun.objects.count() == 3
