"""Reads of benefits: decisions and screening within the user's scope, policies in force."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.db.models import Q, QuerySet

from yangguang.accounts.permissions import Capability
from yangguang.accounts.selectors import can, scope_prefixes, scope_q
from yangguang.benefits import policy, rules, states
from yangguang.benefits.models import (
    ACTIVE_ITEM_STATUSES,
    BenefitApplication,
    BenefitGrant,
    Payroll,
    PayrollLine,
    ScreeningItem,
)
from yangguang.benefits.states import DEADLINES, OPEN_STATES, STAFF_PERIODS
from yangguang.registry.models import Person, Region
from yangguang.registry.selectors import id_key


def person_by_key(key: str, persons: QuerySet[Person] | None = None) -> Person | None:
    """The person whose ID number (full, checked) or record id is ``key``."""
    persons = Person.objects.all() if persons is None else persons
    key = key.strip()
    found = id_key(key)
    if found is not None:
        return persons.filter(id_number_hash=found[0]).first()
    if key.isdigit() and len(key) < 15:
        return persons.filter(pk=int(key)).first()
    return None


def household_visible(user: Any, person: Person) -> bool:
    """Whether ``user`` may see the economic status of ``person``'s household (its region
    in the user's scope), which the reasons of a decision name."""
    return person.household_id is None or person.household.region_id.startswith(
        tuple(scope_prefixes(user, Capability.VIEW_PERSON)))


def persons_in(user: Any | None, region_prefix: str) -> QuerySet[Person]:
    """The persons whose hukou lies under ``region_prefix``, within ``user``'s scope
    (None: the command line, everywhere)."""
    persons = Person.objects.filter(hukou_region__code__startswith=region_prefix)
    if user is not None:
        persons = persons.filter(scope_q(user, Capability.VIEW_PERSON))
    return persons


def screen(user: Any | None, key: str, region_prefix: str, on: dt.date, *,
           eligible: bool | None = None) -> Iterator[rules.Decision]:
    """``rules.screen`` over the persons of ``persons_in``."""
    return rules.screen(persons_in(user, region_prefix), key, on, region_prefix=region_prefix,
                        eligible=eligible)


def jurisdiction_name(code: str) -> str:
    if code == policy.NATIONAL:
        return "全国"
    region = Region.objects.filter(pk=code.ljust(12, "0")).values_list("name", flat=True).first()
    return region or code


def in_force(region_code: str, on: dt.date) -> list[dict[str, Any]]:
    """Each programme's rule in force for a hukou in ``region_code`` on ``on``: where it
    comes from, since when, its sources, conditions and amounts (placeholders flagged)."""
    pol = policy.policies()
    out = []
    for key, programme in pol.programmes.items():
        rule = policy.resolve(pol, key, region_code, on)
        if rule is None:
            out.append({"programme": programme, "rule": None})
            continue
        out.append({
            "programme": programme, "rule": rule,
            "jurisdiction": jurisdiction_name(rule.jurisdiction),
            "versions": [{"jurisdiction": jurisdiction_name(v.jurisdiction), "start": v.start,
                          "until": v.until, "source": v.values["source"],
                          "confidence": v.values.get("confidence", "S"),
                          "note": v.values.get("note", ""), "file": v.file}
                         for v in rule.versions],
            "conditions": [rules.describe_condition(c) for c in rule.conditions.values()],
            "amounts": rules.describe_amounts(rule, region_code, on, pol),
        })
    return out


def names_of(person_ids: list[int]) -> dict[int, str]:
    return dict(Person.objects.filter(pk__in=person_ids).values_list("pk", "name"))


# ---------------------------------------------------------------------------
# Applications and grants


def applications_for(user: Any | None, *, state: str = "", programme: str = "",
                     region_prefix: str = "", overdue_on: dt.date | None = None
                     ) -> QuerySet[BenefitApplication]:
    """The applications of persons in ``user``'s scope (None: the command line), and
    those lodged at a county of usual residence in it (跨省通办), filtered; ``overdue_on``:
    those whose staff period (review, level check) ended before that day."""
    apps = BenefitApplication.objects.select_related("person")
    if user is not None:
        apps = apps.filter(
            scope_q(user, Capability.VIEW_PERSON, region_field="person__hukou_region")
            | scope_q(user, Capability.VIEW_PERSON, region_field="residence_region"))
    if overdue_on is not None:
        apps = apps.filter(deadline__lt=overdue_on, state__in=[
            s for s, (period, _next) in DEADLINES.items() if period in STAFF_PERIODS])
    if state:
        apps = apps.filter(state=state)
    if programme:
        apps = apps.filter(programme=programme)
    if region_prefix:
        apps = apps.filter(person__hukou_region__code__startswith=region_prefix)
    return apps


def acting_region(app: BenefitApplication) -> str:
    """Where a step on ``app`` is taken: the county of usual residence while it holds
    the application (跨省通办), else the hukou region."""
    return app.residence_region_id if app.at_residence else app.person.hukou_region_id


def actions_for(user: Any, app: BenefitApplication) -> list[str]:
    """The steps ``user`` may take on ``app`` now: allowed from its state, with the
    step's capability over the region where it is taken (``acting_region``)."""
    region = acting_region(app)
    return states.actions_from(app.state, lambda capability: can(user, capability, region),
                               at_residence=app.at_residence)


def application_for(user: Any | None, pk: int) -> BenefitApplication | None:
    """One application, or None when it does not exist or lies outside ``user``'s scope."""
    return applications_for(user).filter(pk=pk).prefetch_related("steps").first()


def grants_for(user: Any | None, *, programme: str = "", region_prefix: str = "",
               running_on: dt.date | None = None) -> QuerySet[BenefitGrant]:
    """The grants of persons in ``user``'s scope; ``running_on``: those paying that month."""
    grants = BenefitGrant.objects.select_related("person")
    if user is not None:
        grants = grants.filter(scope_q(user, Capability.VIEW_PERSON,
                                       region_field="person__hukou_region"))
    if programme:
        grants = grants.filter(programme=programme)
    if region_prefix:
        grants = grants.filter(person__hukou_region__code__startswith=region_prefix)
    if running_on is not None:
        month = running_on.replace(day=1)
        grants = grants.filter(start_month__lte=month).exclude(stop_month__lte=month)
    return grants


def eligible_not_receiving(user: Any | None, key: str, region_prefix: str, on: dt.date, *,
                           persons: QuerySet[Person] | None = None) -> Iterator[rules.Decision]:
    """``rules.screen``'s eligible persons of ``persons_in`` (narrowed to ``persons``
    when given: data comparison screens the persons a department's list named) who
    receive no grant of programme ``key`` in the month of ``on`` (主动发现)."""
    receiving = grants_for(user, programme=key, region_prefix=region_prefix,
                           running_on=on).values("person_id")
    found = persons_in(user, region_prefix)
    if persons is not None:
        found = found.filter(pk__in=persons.values("pk"))
    return rules.screen(found.exclude(pk__in=receiving), key, on, region_prefix=region_prefix,
                        eligible=True)


def screening_report(user: Any | None, key: str, region_prefix: str, on: dt.date
                     ) -> dict[str, Any]:
    """The issue's shape: eligible but not receiving (主动发现) and receiving but no longer
    eligible (动态监管) on ``on``, each person with the reasons of ``rules.screen``."""
    receiving = grants_for(user, programme=key, region_prefix=region_prefix,
                           running_on=on).values("person_id")
    found = persons_in(user, region_prefix)
    eligible_not = eligible_not_receiving(user, key, region_prefix, on)
    receiving_not = rules.screen(found.filter(pk__in=receiving), key, on,
                                 region_prefix=region_prefix, eligible=False)
    return {"programme": key, "on": on.isoformat(),
            "eligible_not_receiving": [{"person_id": d.person_id, "reasons": d.reasons}
                                       for d in eligible_not],
            "receiving_not_eligible": [{"person_id": d.person_id, "reasons": d.reasons}
                                       for d in receiving_not]}


def published_in(county_prefix: str) -> QuerySet[BenefitApplication]:
    """The applications in 公示 now of persons whose hukou lies in the county (the public
    page: it shows a masked name, the programme and the amount only)."""
    return (BenefitApplication.objects.filter(state=states.ApplicationState.PUBLISHED,
                                              person__hukou_region__code__startswith=county_prefix)
            .select_related("person").order_by("programme", "pk"))


def items_for(user: Any | None, *, status: str = "", kind: str = "", programme: str = ""
              ) -> QuerySet[ScreeningItem]:
    """The screening work items of ``user``'s regions (None: all); by default the active
    ones (open, contacted)."""
    items = ScreeningItem.objects.select_related("person", "region")
    if user is not None:
        items = items.filter(scope_q(user, Capability.VIEW_PERSON, region_field="region"))
    items = items.filter(status=status) if status else items.filter(status__in=ACTIVE_ITEM_STATUSES)
    if kind:
        items = items.filter(kind=kind)
    if programme:
        items = items.filter(programme=programme)
    return items.order_by("found_on", "pk")


def item_for(user: Any | None, pk: int) -> ScreeningItem | None:
    return ScreeningItem.objects.filter(pk=pk).filter(
        scope_q(user, Capability.VIEW_PERSON, region_field="region") if user is not None else Q()
    ).select_related("person", "region", "application").first()


def open_items_count(user: Any) -> int:
    """The screening work items of ``user``'s regions still to follow up (home page)."""
    return items_for(user).count()


def open_applications_count(user: Any) -> int:
    """The applications of ``user``'s regions still moving (the home page's count)."""
    return applications_for(user).filter(state__in=OPEN_STATES).count()


# ---------------------------------------------------------------------------
# Payrolls


def payrolls_for(user: Any | None, *, state: str = "") -> QuerySet[Payroll]:
    """The payrolls of regions within ``user``'s scope (a county user sees the payrolls
    of the county and its townships, not the province's, which pays other counties)."""
    found = Payroll.objects.select_related("region").order_by("-month", "region_id")
    if user is not None:
        found = found.filter(scope_q(user, Capability.VIEW_PERSON, region_field="region"))
    if state:
        found = found.filter(state=state)
    return found


def payroll_for(user: Any | None, pk: int) -> Payroll | None:
    """One payroll, or None when it does not exist or lies outside ``user``'s scope."""
    return payrolls_for(user).filter(pk=pk).first()


def payroll_lines(payroll: Payroll, *, region_prefix: str = "") -> QuerySet[PayrollLine]:
    """The payroll's lines, by region, person, programme and month."""
    lines = payroll.lines.select_related("person", "region")
    if region_prefix:
        lines = lines.filter(region__code__startswith=region_prefix)
    return lines.order_by("region_id", "person_id", "programme", "for_month", "kind")


def awaiting_decision_count(user: Any) -> int:
    """The applications of ``user``'s regions the civil-affairs bureau is to decide,
    publish or grant (the home page's count for them)."""
    return applications_for(user).filter(state__in=(
        states.ApplicationState.LEVEL_CHECKED, states.ApplicationState.DECIDED,
        states.ApplicationState.PUBLISHED)).count()
