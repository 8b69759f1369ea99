"""Values for URL parameters, keyed by the parameter's name.

The authorisation walker fills every route's parameters from here, once with
county A's objects and once with county B's. A route whose parameter has no filler
fails the walk (see ``test_authorisation``): add one here, returning the county's
object of the kind the parameter names. A parameter is looked up, first match wins,
as ``"route-name.param"`` (``"registry:certificate_action.action"``), as the path
segment before it and its name (``"persons/pk"``: the ``pk`` in ``persons/<int:pk>/``
and every route below it), and as its name alone (``person_id``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from yangguang.tests_e2e.routes import Route
from yangguang.tests_e2e.world import County


@dataclass(frozen=True)
class Filler:
    """How to fill one parameter from a county. ``scoped`` is False for reference data
    that every user may read whatever their county (the region tree)."""

    value: Callable[[County], Any]
    scoped: bool = True

    def missing(self, county: County) -> Any:
        """A value of the same kind that names nothing."""
        value = self.value(county)
        if isinstance(value, uuid.UUID):
            return uuid.UUID(int=0)
        if isinstance(value, int):
            return 2_000_000_000
        if isinstance(value, str) and value.isdigit():
            return "9" * len(value)
        return f"no-such-{value}"


def _person(county: County) -> Any:
    return county.person.pk


def _case(county: County) -> Any:
    return county.cases[0].pk


def _household(county: County) -> Any:
    return county.households[0].pk


def _certificate(county: County) -> Any:
    return county.certificates[0].pk


def _region(county: County) -> Any:
    return county.code


def _region12(county: County) -> Any:
    return county.code.ljust(12, "0")


def _user(county: County) -> Any:
    return county.users["registrar"].pk


def _username(county: County) -> Any:
    return county.users["registrar"].username


def _token(county: County) -> Any:
    return county.token_rows["registrar"].pk


def _audit_event(county: County) -> Any:
    return county.audit_events[-1].pk


def _import_job(county: County) -> Any:
    return county.import_job.pk


def _job(county: County) -> Any:
    return county.import_job.job_id


def _plan(county: County) -> Any:
    """The plan of the county's own jurisdiction (the world loads the five plans)."""
    return {"140922": "wutai", "370781": "qingzhou"}[county.spec.code]


def _plan_task(county: County) -> Any:
    """The first task of that plan that names its units."""
    from yangguang.plans.models import PlanTask

    return PlanTask.objects.filter(plan__key=_plan(county), units__isnull=False).order_by("position")[0].pk


def _hand_value(county: County) -> Any:
    """A value entered by hand on the county's plan, with an evidence file (made on first
    use: the comparison value of the plan's first row, for the county)."""
    from django.core.files.base import ContentFile

    from yangguang.analytics.models import HandValue
    from yangguang.plans.models import PlanIndicator

    found = HandValue.objects.filter(indicator__plan__key=_plan(county), region_code=county.spec.code).first()
    if found is None:
        indicator = PlanIndicator.objects.filter(plan__key=_plan(county)).order_by("row")[0]
        found = HandValue.objects.create(indicator=indicator, region_code=county.spec.code,
                                         year=dt.date.today().year, value=1, compared_with=True, source="e2e",
                                         reported_on=dt.date.today(), unit="e2e", evidence_name="e2e.pdf")
        found.evidence.save("e2e.pdf", ContentFile(b"%PDF-1.4 e2e"))
    return found.pk


def _plan_report(county: County) -> Any:
    """A finished monitoring report of the county's plan, its monitor's (made on first
    use: the mid-term evaluation, run as its job runs)."""
    from yangguang.jobs import services as jobs
    from yangguang.jobs.models import Job, JobState

    monitor = county.users["monitor"]
    found = Job.objects.filter(kind="plan_report", owner=monitor, state=JobState.DONE).first()
    if found is None:
        found = jobs.submit("plan_report", owner=monitor, params={"plan": _plan(county), "kind": "midterm",
                                                                  "year": None, "language": "zh-hans"})
        jobs.run(found.pk)
    return found.pk


def _benefit_application(county: County) -> Any:
    """The county's benefit application (made on first use: an application for the
    first person's care allowance, by the county's registrar's hand)."""
    from yangguang.audit.services import Actor
    from yangguang.benefits import services as benefits
    from yangguang.benefits.models import BenefitApplication

    found = BenefitApplication.objects.filter(person=county.person).first()
    if found is None:
        found = benefits.apply(county.person, "care_allowance", applicant_type="person",
                               applied_on=dt.date.today(), actor=Actor("e2e-world"), scope=None)
    return found.pk


def _payroll(county: County) -> Any:
    """The county's payroll of this month (made on first use, as a draft; the walk may
    approve it, after which it stays frozen)."""
    from yangguang.audit.services import Actor
    from yangguang.benefits import payroll
    from yangguang.benefits.models import Payroll
    from yangguang.regions.models import Region

    month = dt.date.today().replace(day=1)
    region = Region.objects.get(pk=county.spec.code.ljust(12, "0"))
    found = Payroll.objects.filter(month=month, region=region).first()
    if found is None:
        found = payroll.run_payroll(month, region, actor=Actor("e2e-world"), scope=None)
    return found.pk
def _screening_item(county: County) -> Any:
    """The county's screening work item (made on first use: the first person found
    eligible for the care allowance and not receiving it)."""
    from yangguang.benefits.models import ItemKind, ScreeningItem

    item, _created = ScreeningItem.objects.get_or_create(
        person=county.person, programme="care_allowance", kind=ItemKind.ELIGIBLE_NOT_RECEIVING,
        defaults={"region_id": county.person.hukou_region_id, "found_on": dt.date.today(),
                  "last_seen_on": dt.date.today(), "reasons": ["e2e"]})
    return item.pk


FILLERS: dict[str, Filler] = {
    "person_id": Filler(_person),
    "person_pk": Filler(_person),
    "case_id": Filler(_case),
    "cases/pk": Filler(_case),
    "certificates:case_step.action": Filler(lambda county: "accept", scoped=False),
    "household_id": Filler(_household),
    "certificate_id": Filler(_certificate),
    "region": Filler(_region),
    "region_code": Filler(_region),
    "user_id": Filler(_user),
    "username": Filler(_username),
    "token_id": Filler(_token),
    "event_id": Filler(_audit_event),
    "persons/pk": Filler(_person),
    "person/pk": Filler(_person),  # survey/person/<pk>/
    # A survey's year (the world records this year's survey of the county's person).
    "year": Filler(lambda county: county.surveys[0].year, scoped=False),
    "certificates/pk": Filler(_certificate),
    "households/pk": Filler(_household),
    "imports/pk": Filler(_import_job),
    "jobs/pk": Filler(_job),
    "plans/key": Filler(_plan),
    "needs/pk": Filler(lambda county: county.loop.need.pk),
    "referrals/pk": Filler(lambda county: county.loop.referral.pk),
    "providers/pk": Filler(lambda county: county.loop.provider.pk),
    "need_id": Filler(lambda county: county.loop.need.pk),
    "referral_id": Filler(lambda county: county.loop.referral.pk),
    "provider_id": Filler(lambda county: county.loop.provider.pk),
    "tasks/task_id": Filler(_plan_task),
    "hand-values/hand_id": Filler(_hand_value),
    "reports/job_id": Filler(_plan_report),
    "analytics:report_file.fmt": Filler(lambda county: "docx", scoped=False),
    "runs/pk": Filler(lambda county: county.match_run.pk),
    "applications/pk": Filler(_benefit_application),
    "application_id": Filler(_benefit_application),
    "payrolls/pk": Filler(_payroll),
    "payroll_id": Filler(_payroll),
    "benefits:payroll_download.fmt": Filler(lambda county: "csv", scoped=False),
    "items/pk": Filler(_screening_item),
    # A county's 公示 list is public: masked names, programme and amount only.
    "publication/code": Filler(_region, scoped=False),
    "review/pk": Filler(lambda county: county.match_candidate.pk),
    "run_id": Filler(lambda county: county.match_run.pk),
    "candidate_id": Filler(lambda county: county.match_candidate.pk),
    "statistics/code": Filler(_region12),
    "regions/code": Filler(_region12),  # the statistics pages' old addresses
    # Not objects: the verbs of a route.
    "registry:certificate_action.action": Filler(lambda county: "freeze", scoped=False),
    "registry:import_template.kind": Filler(lambda county: "persons", scoped=False),
    # An e-certificate's token: verification is public by design and names the holder of
    # a real token to anyone (test_ecert covers that); the walk checks it with a token
    # that names nobody.
    "token": Filler(lambda county: "not-a-token", scoped=False),
    # The region tree is public reference data (the API's regions carry no persons).
    "api-v1:get_region.code": Filler(_region12, scoped=False),
}


def filler_for(route: Route, param: str) -> Filler | None:
    before = route.template.split(f"%({param})s", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    return (FILLERS.get(f"{route.name}.{param}") or FILLERS.get(f"{before}/{param}")
            or FILLERS.get(param))


def fill(route: Route, county: County) -> dict[str, Any]:
    """Values for every parameter of ``route`` from ``county`` (KeyError if one has no filler)."""
    values = {}
    for param in route.params:
        filler = filler_for(route, param)
        if filler is None:
            raise KeyError(param)
        values[param] = filler.value(county)
    return values


def fill_missing(route: Route, county: County) -> dict[str, Any]:
    """Like ``fill``, with objects that do not exist in place of the county's."""
    return {p: (filler_for(route, p).missing(county) if filler_for(route, p).scoped
                else filler_for(route, p).value(county)) for p in route.params}


#: Query strings tried on every page and API list that answers, with the other county's
#: values: a search must not find a person outside the user's scope. Besides these,
#: every field of a page's GET forms is tried (``form_fields`` in walker.py), with the
#: value ``PROBE_VALUES`` gives for its name, or the other county's person's name.
def query_probes(county: County) -> list[dict[str, Any]]:
    values = probe_values(county)
    return [{name: value} for name, value in values.items()]


def probe_values(county: County) -> dict[str, Any]:
    """The other county's values, by the name of the field or parameter they go in."""
    person = county.person
    id_number = county.id_numbers[person.pk]
    certificate = county.certificates[0]
    return {
        "q": person.name,
        "name": person.name,
        "id_number": id_number,
        "certificate_number": id_number + certificate.suffix,
        "region": county.code,
        "person_id": person.pk,
        "household_id": county.households[0].pk,
        "username": county.users["registrar"].username,
    }


#: Body values for one API route, over ``body_values``' (keyed by the route's name): the
#: same field name means another thing there.
ROUTE_BODY_VALUES: dict[str, dict[str, Any]] = {
    # A benefit application's step: its first step (``action`` above is a case's).
    "api-v1:take_application_step": {"action": "review"},
}


def body_values_for(route: Route, county: County) -> dict[str, Any]:
    """``body_values`` with the route's own (``ROUTE_BODY_VALUES``) over them."""
    return body_values(county) | ROUTE_BODY_VALUES.get(route.name, {})


def body_values(county: County) -> dict[str, Any]:
    """Values for the fields of API request bodies (from the OpenAPI schema), naming
    ``county``'s places: a write that got past the scope check would succeed with them."""
    today = dt.date.today().isoformat()
    return {
        "name": "冒名顶替",
        "hukou_region": county.spec.township,
        "residence_region": county.spec.township,
        "phone": "13800000000",
        "id_number": county.id_numbers[county.person.pk],
        "certificate_number": county.id_numbers[county.person.pk] + "43",
        "category": "4",
        "level": "3",
        "issue_date": today,
        "status": "frozen",
        "decision": "reject",
        "reason": "other",
        "effective_date": today,
        "note": "e2e",
        "institution": "e2e评定机构",
        "assessed_on": today,
        # Certificate cases: a reissue for the county's second person; the first step.
        "person_id": county.persons[1].pk,
        "kind": "reissue",
        "action": "accept",
        # The service loop (/needs, /referrals, /providers; person_id and kind as above).
        "provider_id": county.loop.provider.pk,
        "started_on": today,
        "staff": "e2e",
        "payer": "free",
        "outcome": "ongoing",
        "kinds": ["legal_aid"],
        "capacity": 5,
        "region": county.spec.township,
        # A survey of last year (this year's of the first person is recorded): not reached.
        "year": dt.date.today().year - 1,
        "reached": False,
        "not_reached_reason": "moved",
        # Benefit applications (/benefit-applications; person_id as above): the person
        # applies for the care allowance; a step is dated today (action as above).
        "programme": "care_allowance",
        "applicant_type": "person",
        "applied_on": today,
        "day": today,
        # Payrolls (/payrolls; region as above): this month's.
        "month": today[:7],
    }
