"""The authorisation walk: every route, as every kind of visitor, with both counties' objects.

``walk_as(world, role, home)`` signs in the ``role`` user of county ``home`` and
requests every route the URL resolver knows (``routes.walk``), with parameters
filled from the user's own county, from the other county, and with objects that do
not exist. It returns the problems found, each one line a developer can act on.
The rules are those of ``accounts`` (see ``accounts/decorators.py`` and
``api/access.py``):

- an object outside the user's scope answers exactly like one that does not exist
  (404), never 200, and no request changes the other county's data;
- nothing the user receives names a person of the other county (name, masked or full
  ID number), whatever the route, parameters or query string;
- roles without a personal-data capability (``view_person``; ``view_audit`` for the
  audit log, whose events name persons) never receive a person's name or ID at all;
- a page that requires a capability the role lacks answers 404 (pages) or 403 (API),
  never 200;
- anonymous visitors are sent to the login page (pages) or get 401 (API), except on
  the pages listed in ``PUBLIC_ROUTES``.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Model
from django.http import HttpResponseBase
from django.shortcuts import resolve_url
from django.test import Client

from yangguang.accounts.models import ApiToken, Role, RoleAssignment, User
from yangguang.accounts.permissions import ROLE_CAPABILITIES, Capability
from yangguang.registry.models import Certificate, Household, HouseholdStatus, Person
from yangguang.tests_e2e import fillers
from yangguang.tests_e2e.responses import describe, leaks
from yangguang.tests_e2e.routes import Route, required_capability, unwrap, walk
from yangguang.tests_e2e.world import County, World

#: Routes that answer visitors who are not signed in. Everything else must send them
#: to the login page (or answer 401, for the API). Add a route here only if it is
#: meant to be public.
PUBLIC_ROUTES = frozenset({
    "home",
    "set_language",
    "display",
    "accounts:login",
    "api-v1:openapi-json",
    "api-v1:openapi-view",  # the documentation page of the API
    # E-certificate verification: anyone may scan the QR code (rate-limited per address).
    "verify",
    "verify_form",  # the form for the code printed under the QR code
    "api-v1:verify",
    # A county's benefit 公示 list: a masked name (张*), the programme and the amount.
    "benefits:publication",
})

#: Capabilities under which a role may see persons' names and ID numbers (of its own
#: scope): the registry itself, and the audit log, whose events name persons.
PERSONAL_DATA_CAPABILITIES = frozenset({Capability.VIEW_PERSON, Capability.VIEW_AUDIT})

TEACH_BODY = ("the authorisation walker has no value for the required field {field!r} of "
              "{method} {route}: add one to body_values in yangguang/tests_e2e/fillers.py")
TEACH = ("the authorisation walker cannot fill parameter {param!r} of route {route}: add a "
         "filler for it to FILLERS in yangguang/tests_e2e/fillers.py (a function returning "
         "a county's object of that kind), so the route is checked for leaks across counties")

@dataclass
class Visitor:
    """Someone making requests: a signed-in user (session for pages, token for the API)
    or an anonymous visitor (user None)."""

    label: str
    user: User | None
    token: str | None
    capabilities: frozenset[str]

    def __post_init__(self) -> None:
        self.web = Client(raise_request_exception=False)
        headers = {"HTTP_AUTHORIZATION": f"Bearer {self.token}"} if self.token else {}
        self.api = Client(raise_request_exception=False, **headers)

    def client(self, route: Route) -> Client:
        if not route.is_api and self.user is not None and "_auth_user_id" not in self.web.session:
            # Signed in again before each page, in case a route (logout) signed it out.
            self.web.force_login(self.user, backend="yangguang.accounts.backends.StaffBackend")
        return self.api if route.is_api else self.web

    def request(self, route: Route, method: str, url: str, data: dict[str, Any] | None = None
                ) -> HttpResponseBase:
        client = self.client(route)
        if method == "GET":
            return client.get(url, data or {})
        if route.is_api:
            return client.generic(method, url, json.dumps(data or {}), content_type="application/json")
        return client.generic(method, url, _form(data or {}),
                              content_type="application/x-www-form-urlencoded")


def _form(data: dict[str, Any]) -> str:
    return urlencode(data)


@dataclass
class Problems:
    lines: list[str]

    def add(self, who: str, method: str, url: str, response: HttpResponseBase | None, what: str) -> None:
        got = f" -> {describe(response)}" if response is not None else ""
        self.lines.append(f"{who}: {method} {url}{got}: {what}")



# ---------------------------------------------------------------------------
# What the walker knows about routes


def routes() -> list[Route]:
    """Every route once (django-ninja mounts one pattern per operation of a path)."""
    seen: dict[str, Route] = {}
    for route in walk():
        seen.setdefault(route.template, route)
    return list(seen.values())


def unfillable(route: Route) -> list[str]:
    return [p for p in route.params if fillers.filler_for(route, p) is None]


def ninja_methods(route: Route) -> list[str] | None:
    """The HTTP methods of an API operation, read from django-ninja's PathView behind
    the route; None for a view that is not django-ninja's."""
    for obj in unwrap(route.callback):
        operations = getattr(obj, "operations", None)
        if operations is not None and not callable(obj):
            return sorted({m.upper() for op in operations for m in op.methods})
    return None


def api_methods(route: Route) -> list[str]:
    """The methods to try on a route: an API operation's own, else GET and POST."""
    return (ninja_methods(route) if route.is_api else None) or ["GET", "POST"]


def openapi() -> dict[str, Any]:
    """The API's OpenAPI document, as a client reads it (the route that serves it is
    found by the walker, by its name)."""
    route = next((r for r in routes() if r.name.endswith(":openapi-json")), None)
    if route is None:
        return {"paths": {}}
    return Client().get(route.url()).json()


def request_body(schema: dict[str, Any], route: Route, method: str, county: County
                 ) -> tuple[dict[str, Any], list[str]]:
    """A body for ``method`` on ``route`` from the OpenAPI request schema, with the
    county's values; and the required fields the walker has no value for."""
    path = "/" + route.template.replace("%(", "{").replace(")s", "}")
    operation = schema["paths"].get(path, {}).get(method.lower(), {})
    ref = (operation.get("requestBody", {}).get("content", {}).get("application/json", {})
           .get("schema", {}).get("$ref", ""))
    if not ref:
        return {}, []
    body_schema = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    values = fillers.body_values_for(route, county)
    body = {name: values[name] for name in body_schema.get("properties", {}) if name in values}
    return body, [name for name in body_schema.get("required", []) if name not in values]


def is_scoped(route: Route) -> bool:
    """Whether the route's parameters name objects that belong to a county."""
    return any(fillers.filler_for(route, p).scoped for p in route.params)


def _is_login_redirect(response: HttpResponseBase) -> bool:
    login = resolve_url(settings.LOGIN_URL)
    return response.status_code == 302 and response.get("Location", "").split("?")[0] == login


def _secrets_for(visitor: Visitor, own: County | None, world: World) -> list[str]:
    """What this visitor must never receive."""
    if own is None:
        return world.all_secrets()
    foreign = world.other(own).secrets()
    if visitor.capabilities & PERSONAL_DATA_CAPABILITIES:
        return foreign
    return foreign + own.secrets()


# ---------------------------------------------------------------------------
# Snapshots: the other county's data must not change


def _rows(model: type[Model], **filters: Any) -> list[tuple]:
    fields = [f.attname for f in model._meta.concrete_fields]
    return sorted(model.objects.filter(**filters).values_list(*fields))


def snapshot(county: County) -> dict[str, list[tuple]]:
    persons = [p.pk for p in county.persons]
    users = [u.pk for u in county.users.values()]
    return {
        "registered": [(Person.objects.filter(hukou_region__code__startswith=county.code).count(),)],
        "persons": _rows(Person, pk__in=persons),
        "certificates": _rows(Certificate, person__in=persons),
        "households": _rows(Household, members__in=persons),
        "household_statuses": _rows(HouseholdStatus, household__members__in=persons),
        "users": _rows(User, pk__in=users),
        "roles": _rows(RoleAssignment, user__in=users),
        "tokens": _rows(ApiToken, user__in=users),
    }


def _changed(before: dict[str, list[tuple]], after: dict[str, list[tuple]]) -> list[str]:
    return [name for name in before if before[name] != after[name]]


# ---------------------------------------------------------------------------
# The walk


def _check_content(problems: Problems, who: str, method: str, url: str,
                   response: HttpResponseBase, secrets: list[str]) -> None:
    if response.status_code >= 500:
        problems.add(who, method, url, response, "server error")
    found = leaks(response, secrets)
    if found:
        problems.add(who, method, url, response, f"response contains {found}")


def _check_capability(problems: Problems, visitor: Visitor, capability: str | None, method: str,
                      url: str, response: HttpResponseBase) -> None:
    if capability and capability not in visitor.capabilities and response.status_code not in (403, 404, 405):
        problems.add(visitor.label, method, url, response,
                     f"the route requires {capability!r}, which the role lacks: expected 404 (403 for the API)")


def _probe_data(foreign: County, response: HttpResponseBase | None = None) -> list[dict[str, Any]]:
    """The query probes, and one per field of the page's GET forms."""
    probes = fillers.query_probes(foreign)
    values = fillers.probe_values(foreign)
    if response is not None:
        for name in form_fields(response):
            probe = {name: values.get(name, foreign.person.name)}
            if probe not in probes:
                probes.append(probe)
    return probes


class _FormFields(HTMLParser):
    """The names of the text fields of the GET forms in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []
        self._in_get_form = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "form":
            self._in_get_form = (attributes.get("method") or "get").lower() == "get"
        elif (self._in_get_form and tag in ("input", "textarea") and attributes.get("name")
              and (attributes.get("type") or "text").lower() in ("text", "search", "tel", "number")):
            self.names.append(attributes["name"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_get_form = False


def form_fields(response: HttpResponseBase) -> list[str]:
    if not response.get("Content-Type", "").startswith("text/html"):
        return []
    parser = _FormFields()
    parser.feed(response.content.decode("utf-8", errors="replace"))
    return list(dict.fromkeys(parser.names))


def _minus(secrets: list[str], probe: dict[str, Any] | None) -> list[str]:
    """The secrets less those the request itself sends (a page may echo its query;
    a certificate number holds the ID number)."""
    sent = [str(v) for v in (probe or {}).values()]
    return [s for s in secrets if not any(s in value for value in sent)]


def _write_data() -> dict[str, Any]:
    """A form body that the registry's forms accept (reason, day, note …): a write to
    another county's object that got past the scope check would succeed with it."""
    return {"reason": "other", "day": dt.date.today().isoformat(), "note": "e2e",
            "name": "冒名顶替"}


def _body(problems: Problems, schema: dict[str, Any], route: Route, method: str,
          county: County) -> dict[str, Any] | None:
    """What to send with ``method``: nothing for GET, a form for pages, for the API a
    body built from its OpenAPI schema with ``county``'s values."""
    if method == "GET":
        return None
    if not route.is_api:
        return _write_data()
    body, missing = request_body(schema, route, method, county)
    for field_name in missing:
        line = TEACH_BODY.format(field=field_name, method=method, route=route.label)
        if line not in problems.lines:
            problems.lines.append(line)
    return body


def walk_as(world: World, role: str, home: str) -> list[str]:
    """Walk every route as the ``role`` user of county ``home``; the problems found."""
    own = world.counties[home]
    foreign = world.other(own)
    capabilities = ROLE_CAPABILITIES[role]
    visitor = Visitor(f"{role}@{own.spec.name}", own.users[role], own.tokens.get(role),
                      frozenset(capabilities))
    secrets = _secrets_for(visitor, own, world)
    problems = Problems([])
    schema = openapi()
    before = snapshot(foreign)
    for route in routes():
        if missing := unfillable(route):
            problems.lines += [TEACH.format(param=p, route=route.label) for p in missing]
            continue
        _walk_route(problems, visitor, route, own, foreign, secrets, schema)
    after = snapshot(foreign)
    if changed := _changed(before, after):
        problems.lines.append(f"{visitor.label}: the walk changed {foreign.spec.name}'s {changed}")
    return problems.lines


def _walk_route(problems: Problems, visitor: Visitor, route: Route, own: County,
                foreign: County, secrets: list[str], schema: dict[str, Any]) -> None:
    who = visitor.label
    capability = required_capability(route)
    methods = api_methods(route)
    own_url = route.url(fillers.fill(route, own))

    if "GET" in methods:
        response = visitor.request(route, "GET", own_url)
        _check_content(problems, who, "GET", own_url, response, secrets)
        _check_capability(problems, visitor, capability, "GET", own_url, response)
        if response.status_code == 200:
            for probe in _probe_data(foreign, response):
                probed = visitor.request(route, "GET", own_url, probe)
                _check_content(problems, who, "GET", f"{own_url}?{_form(probe)}", probed,
                               _minus(secrets, probe))

    if not route.params and not route.is_api:
        # A form without an object: post the other county's values (searches, exports).
        for probe in _probe_data(foreign):
            response = visitor.request(route, "POST", own_url, probe)
            _check_content(problems, who, "POST", f"{own_url} {probe}", response,
                           _minus(secrets, probe))
            _check_capability(problems, visitor, capability, "POST", own_url, response)

    if not route.params and route.is_api and ninja_methods(route):
        # Creating in the other county: refused, whatever the role.
        for method in (m for m in methods if m != "GET"):
            answer = visitor.request(route, method, own_url, _body(problems, schema, route, method, foreign))
            _check_content(problems, who, method, own_url, answer, secrets)
            if answer.status_code < 300:
                problems.add(who, method, own_url, answer,
                             f"wrote with {foreign.spec.name}'s values: expected a refusal")

    if route.params and is_scoped(route):
        foreign_url = route.url(fillers.fill(route, foreign))
        missing_url = route.url(fillers.fill_missing(route, own))
        for method in methods:
            data = _body(problems, schema, route, method, foreign)
            answer = visitor.request(route, method, foreign_url, data)
            _check_content(problems, who, method, foreign_url, answer, secrets)
            if answer.status_code in (404, 405):
                continue
            absent = visitor.request(route, method, missing_url, data)
            if answer.status_code != absent.status_code or answer.status_code < 400:
                problems.add(who, method, foreign_url, answer,
                             f"an object of {foreign.spec.name} must answer like one that does not "
                             f"exist (404); {missing_url} gave {describe(absent)}")


def walk_anonymous(world: World) -> list[str]:
    """Every route as a visitor who is not signed in; the problems found."""
    visitor = Visitor("anonymous", None, None, frozenset())
    secrets = world.all_secrets()
    problems = Problems([])
    for route in routes():
        if missing := unfillable(route):
            problems.lines += [TEACH.format(param=p, route=route.label) for p in missing]
            continue
        for county in world.counties.values():
            url = route.url(fillers.fill(route, county))
            for method in api_methods(route):
                response = visitor.request(route, method, url,
                                           _write_data() if method != "GET" else None)
                _check_content(problems, "anonymous", method, url, response, secrets)
                if route.name in PUBLIC_ROUTES or response.status_code == 405:
                    continue
                if route.is_api and response.status_code not in (401, 404):
                    problems.add("anonymous", method, url, response,
                                 "the API must answer 401 (or 404 where nothing is)")
                elif not route.is_api and not _is_login_redirect(response):
                    problems.add("anonymous", method, url, response,
                                 "a page must send anonymous visitors to the login page "
                                 "(or be listed in PUBLIC_ROUTES in yangguang/tests_e2e/walker.py)")
            if not route.params:
                break
    return problems.lines


def reachable_problems(world: World) -> list[str]:
    """Positive control: every parameterised route, with county A's objects, answers
    some role with something other than 404 — so the fillers name real objects and a
    404 elsewhere means "out of scope", not "the walker built a wrong URL"."""
    problems: list[str] = []
    county = world.a
    schema = openapi()
    for route in routes():
        if not route.params or unfillable(route):
            continue
        url = route.url(fillers.fill(route, county))
        methods = api_methods(route)
        method = "GET" if "GET" in methods else methods[0]
        # A valid body, so that django-ninja's schema check (422) does not answer first.
        data = request_body(schema, route, method, county)[0] if method != "GET" else None
        answers = []
        for role, user in county.users.items():
            visitor = Visitor(role, user, county.tokens.get(role), ROLE_CAPABILITIES[role])
            response = visitor.request(route, method, url, data)
            answers.append(f"{role}: {response.status_code}")
            if response.status_code != 404:
                break
        else:
            problems.append(f"{route.label}: {url} is 404 for every role of {county.spec.name} "
                            f"({', '.join(answers)}): its filler does not name a reachable object")
    return problems


# ---------------------------------------------------------------------------
# Households: a household belongs to its region, whoever names its number


def household_problems(world: World, home: str) -> list[str]:
    """The registrar of ``home`` names a household of the other county on every write
    path (the API's create and update, the edit page, an import row), then, with one of
    their persons put into it behind their back, reads the person page and the API's
    person: every write is refused, the other county's households keep their members,
    and nothing of that household's economic status is shown. The problems found."""
    from yangguang.registry import importing
    from yangguang.registry.services import write_scope
    from yangguang.tests_e2e.world import row_in

    own, foreign = world.counties[home], world.other(world.counties[home])
    user = own.users[Role.REGISTRAR]
    visitor = Visitor(f"registrar@{own.spec.name}", user, own.tokens.get(Role.REGISTRAR),
                      ROLE_CAPABILITIES[Role.REGISTRAR])
    household = foreign.households[0]
    person = own.person
    problems = Problems([])
    members = sorted(household.members.values_list("pk", flat=True))

    api = next(r for r in routes() if r.is_api and r.template.endswith("/persons"))
    new = {key: str(value) for key, value in _keyed(row_in(own.spec)).items() if value}
    answer = visitor.request(api, "POST", api.url({}), new | {
        "household_number": household.number, "relation_to_head": "子女"})
    if answer.status_code < 300:
        problems.add(visitor.label, "POST", api.url({}), answer,
                     f"registered a person into {foreign.spec.name}'s household")
    detail = next(r for r in routes() if r.is_api and r.template.endswith("/persons/%(person_id)s"))
    url = detail.url({"person_id": person.pk})
    answer = visitor.request(detail, "PATCH", url, {"household_number": household.number})
    if answer.status_code < 300:
        problems.add(visitor.label, "PATCH", url, answer,
                     f"moved a person into {foreign.spec.name}'s household")
    page = next(r for r in routes() if r.name == "registry:edit")
    url = page.url({"pk": person.pk})
    visitor.request(page, "POST", url, {
        "name": person.name, "hukou_region": person.hukou_region_id,
        "household_number": household.number, "relation_to_head": "child",
        "issue_date": own.certificates[0].issue_date.isoformat()})
    result = importing.import_rows([row_in(own.spec, 家庭编号=household.number, 与户主关系="子女")],
                                   actor=user, scope=write_scope(user))
    if result.created or result.updated:
        problems.lines.append(f"{visitor.label}: an import row joined {foreign.spec.name}'s "
                              "household")
    if sorted(household.members.values_list("pk", flat=True)) != members:
        problems.lines.append(f"{visitor.label}: {foreign.spec.name}'s household "
                              f"{household.number} gained members")

    status = HouseholdStatus.objects.create(household=household, status="dibao",
                                            start_date=dt.date(2001, 2, 3))
    Person.objects.filter(pk=person.pk).update(household=household)
    try:
        shown = next(r for r in routes() if r.name == "registry:person")
        url = shown.url({"pk": person.pk})
        response = visitor.request(shown, "GET", url)
        if "2001-02-03" in response.content.decode():
            problems.add(visitor.label, "GET", url, response,
                         f"shows the economic status of {foreign.spec.name}'s household")
    finally:
        Person.objects.filter(pk=person.pk).update(household=own.person.household)
        status.delete()
    return problems.lines


def _keyed(row: dict[str, Any]) -> dict[str, Any]:
    from yangguang.registry.vocabulary import HEADER_TO_KEY

    keyed = {HEADER_TO_KEY[header]: value for header, value in row.items()}
    keyed.pop("birth_date", None)
    return keyed
