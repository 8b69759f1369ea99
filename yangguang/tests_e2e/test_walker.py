"""The authorisation walker catches what it is there to catch: routes added without
teaching it, a page that ignores the user's scope, a page that lists everyone."""

from __future__ import annotations

import pytest

from yangguang.tests_e2e import walker

pytestmark = [pytest.mark.django_db, pytest.mark.urls("yangguang.tests_e2e.leaky_urls")]


def test_a_route_it_cannot_fill_fails_with_a_message_saying_how_to_teach_it():
    gadget = next(route for route in walker.routes() if route.name == "gadget")

    assert walker.unfillable(gadget) == ["gadget_id"]
    message = walker.TEACH.format(param="gadget_id", route=gadget.label)
    assert "add a filler for it to FILLERS in yangguang/tests_e2e/fillers.py" in message


def test_new_routes_are_walked_and_their_leaks_reported(world):
    problems = walker.walk_as(world, "registrar", "A")
    other = world.b.person

    leaky = [p for p in problems if "/leaky/" in p]
    assert any(f"/leaky/persons/{other.pk}/" in p and "must answer like one that does not exist" in p
               for p in leaky), problems
    assert any("/leaky/everyone/" in p and other.name in p for p in leaky), problems
    assert any("gadget_id" in p for p in problems)


def test_roles_without_personal_data_see_no_names_even_of_their_own_county(world):
    problems = walker.walk_as(world, "administrator", "A")

    assert any("/leaky/everyone/" in p and world.a.person.name in p for p in problems), problems
