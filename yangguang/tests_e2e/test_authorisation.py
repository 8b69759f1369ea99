"""Nothing leaks across counties or roles, on any page or API route.

The routes come from Django's URL resolver (``routes.walk``), so a route added later
is walked without editing this file; a route whose parameters the walker cannot fill
fails here until ``fillers.py`` learns them. See ``walker.py`` for the rules.
"""

from __future__ import annotations

import pytest

from yangguang.accounts.models import Role
from yangguang.tests_e2e import walker

pytestmark = pytest.mark.django_db


def test_the_walker_finds_pages_and_api_routes():
    names = {route.name for route in walker.routes()}

    assert {"home", "accounts:login"} <= names
    assert any(route.is_api for route in walker.routes()), "no /api/ route found"


def test_every_route_parameter_has_a_filler():
    missing = [walker.TEACH.format(param=p, route=route.label)
               for route in walker.routes() for p in walker.unfillable(route)]

    assert not missing, "\n".join(missing)


def test_anonymous_visitors_are_sent_to_sign_in_and_see_no_person(world):
    problems = walker.walk_anonymous(world)

    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)


@pytest.mark.parametrize("home", ["A", "B"])
@pytest.mark.parametrize("role", Role.values)
def test_staff_see_nothing_outside_their_county_or_role(world, role, home):
    problems = walker.walk_as(world, role, home)

    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)


def test_every_parameterised_route_reaches_its_own_countys_object(world):
    problems = walker.reachable_problems(world)

    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("home", ["A", "B"])
def test_no_write_joins_and_no_page_shows_a_household_of_another_county(world, home):
    problems = walker.household_problems(world, home)

    assert not problems, "\n".join(problems)
