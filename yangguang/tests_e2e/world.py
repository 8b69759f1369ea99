"""Two counties with persons, households, certificates, audit events and staff of
every role: the world the authorisation walker and the browser tests run in.

Everything is made through the project's own factories and services
(``demo.generator.create_person``, ``accounts.services``), as the demo data is.
County A is 五台县 (Shanxi), county B is 青州市 (Shandong): two seed jurisdictions in
different provinces, so no scope of one county reaches the other.
"""

from __future__ import annotations

import datetime as dt
import random
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from yangguang.accounts.models import ApiToken, Role, User
from yangguang.audit.models import AuditEvent
from yangguang.audit.services import Actor
from yangguang.registry.models import Certificate, Household, ImportJob, Person

#: A password every test user shares; it passes Django's validators.
PASSWORD = "Yg-e2e-Walker-2025!"


@dataclass(frozen=True)
class CountySpec:
    key: str  # "A" or "B"
    code: str  # 6-digit county code
    name: str
    township: str  # a 12-digit township code in the county
    # Distinctive names, so that finding one in a page can only mean that person.
    person_names: tuple[str, ...]
    rejected_name: str  # the name on the import file's rejected row


COUNTIES = {
    "A": CountySpec("A", "140922", "五台县", "140922100000", ("赵晓岚", "钱文博", "孙雨桐"), "冯静怡"),
    "B": CountySpec("B", "370781", "青州市", "370781001000", ("周梓涵", "吴浩然", "郑思远"), "陈嘉懿"),
}


@dataclass
class County:
    spec: CountySpec
    persons: list[Person] = field(default_factory=list)
    id_numbers: dict[int, str] = field(default_factory=dict)  # person pk -> full ID number
    households: list[Household] = field(default_factory=list)
    certificates: list[Certificate] = field(default_factory=list)
    #: Open certificate cases (certificates app), one per county.
    cases: list[Any] = field(default_factory=list)
    #: This year's survey of the first person (survey app), one per county.
    surveys: list[Any] = field(default_factory=list)
    users: dict[str, User] = field(default_factory=dict)  # role -> user scoped to the county
    tokens: dict[str, str] = field(default_factory=dict)  # role -> API bearer token
    token_rows: dict[str, ApiToken] = field(default_factory=dict)
    audit_events: list[AuditEvent] = field(default_factory=list)
    import_job: ImportJob | None = None  # the registrar's, with a rejected row
    loop: Any = None  # the service loop's objects: provider, need, referral (``_service_loop``)
    #: A dibao roll matched by the county's registrar: its run and the candidate waiting
    #: for review (``_match_run``).
    match_run: Any = None
    match_candidate: Any = None

    @property
    def key(self) -> str:
        return self.spec.key

    @property
    def code(self) -> str:
        return self.spec.code

    @property
    def person(self) -> Person:
        return self.persons[0]

    def secrets(self) -> list[str]:
        """Strings that identify this county's persons: names, masked and full ID numbers."""
        out: list[str] = []
        for person in self.persons:
            out += [person.name, person.id_number_masked, self.id_numbers[person.pk]]
        return [*out, self.spec.rejected_name]


@dataclass
class World:
    counties: dict[str, County]
    url: str = ""  # the live server's, in browser tests

    @property
    def a(self) -> County:
        return self.counties["A"]

    @property
    def b(self) -> County:
        return self.counties["B"]

    def other(self, county: County) -> County:
        return self.b if county.key == "A" else self.a

    def all_secrets(self) -> list[str]:
        return [s for c in self.counties.values() for s in c.secrets()]


def _username(spec: CountySpec, role: str) -> str:
    return f"{role}_{spec.code}"


def build_world(*, api_tokens: bool = True) -> World:
    """Create both counties: three persons each (with certificate and household), one
    user per role scoped to the county, an API token per user, and audit events."""
    from yangguang.accounts import services as accounts
    from yangguang.certificates.services import open_case
    from yangguang.core.crypto import decrypt_id
    from yangguang.demo.generator import create_person
    from yangguang.plans.services import load_plans
    from yangguang.survey.rules import SurveyData
    from yangguang.survey.services import record_survey

    admin = Actor("e2e-setup")
    load_plans(actor=admin)  # the five plans: 五台's and 青州's are the counties'
    world = World({key: County(spec) for key, spec in COUNTIES.items()})
    for county in world.counties.values():
        spec = county.spec
        for i, name in enumerate(spec.person_names):
            person = create_person(
                actor=admin, 姓名=name, 户籍地区划代码=spec.township, 居住地区划代码=spec.township,
                家庭编号=f"{spec.township}{i + 1:06d}",
                # Valid certificates: a random issue date may lie past the ten years'
                # validity, and pages such as the e-certificate are for valid ones only.
                发证日期=(dt.date.today() - dt.timedelta(days=365 + i)).isoformat(),
            )
            county.persons.append(person)
            county.id_numbers[person.pk] = decrypt_id(person.id_number_encrypted)
        county.households = list(Household.objects.filter(members__in=county.persons).distinct())
        county.certificates = list(Certificate.objects.filter(person__in=county.persons))
        county.cases = [open_case(county.persons[0], {"kind": "reissue", "applicant": "guardian",
                                                      "guardian_name": "监护人"}, actor=admin)]
        county.surveys = [record_survey(
            county.persons[0], SurveyData(dt.date.today().year, False, "unreachable"),
            actor=admin, scope=None)[0]]
        for role in Role.values:
            user = accounts.create_user(_username(spec, role), PASSWORD, [(role, spec.code)],
                                        actor=admin)
            county.users[role] = user
            if api_tokens:
                issued = accounts.create_token(user, "e2e", actor=admin)
                county.tokens[role] = issued.key
                county.token_rows[role] = issued.token
        county.import_job = _import_with_a_rejected_row(county)
        county.loop = _service_loop(county, admin)
        county.match_run, county.match_candidate = _match_run(county)
        county.audit_events = list(
            AuditEvent.objects.filter(region_code__startswith=spec.code).order_by("id")
        )
    return world


def _match_run(county: County) -> tuple[Any, Any]:
    """A dibao roll uploaded and matched by the county's registrar: the first person by
    ID number (exact), the second without one and without a region (waits for review)."""
    import csv

    from yangguang.matching import kinds, services

    first, second = county.persons[0], county.persons[1]
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "dibao.csv"
        with open(path, "w", encoding="utf-8-sig", newline="") as f:
            csv.writer(f).writerows([
                ["姓名", "公民身份号码", "性别", "出生日期", "户籍地区划代码", "开始日期"],
                [first.name, county.id_numbers[first.pk], "", "", "", "2024-01-01"],
                [second.name, "", "男" if second.sex == 1 else "女", second.birth_date.isoformat(), "",
                 "2024-01-01"]])
        registrar = county.users["registrar"]
        _result, kept = services.import_list(kinds.get("dibao"), path, actor=registrar,
                                             department=f"{county.spec.name}民政局")
    run = services.run_match(kept, actor=registrar, user=registrar)
    return run, run.candidates.get(match_type="review")


@dataclass
class Loop:
    provider: Any
    need: Any
    referral: Any


def _service_loop(county: County, actor: Actor) -> Loop:
    """A provider in the county's township, and the first person's need referred to it
    with a service under way (``services.actions``, as the pages write them)."""
    from yangguang.services import actions

    today = dt.date.today()
    provider, _changes = actions.save_provider(actions.ProviderData(
        name=f"{county.spec.name}康复服务中心", kind="rehabilitation", region=county.spec.township,
        kinds=["home_visit", "basic_rehabilitation"], capacity=20), actor=actor, scope=None)
    need = actions.open_need(county.person, "home_visit", opened_on=today - dt.timedelta(days=3),
                             actor=actor, scope=None)
    referral = actions.refer(need, provider, day=today - dt.timedelta(days=2), actor=actor,
                             scope=None)
    actions.record_service(referral, actions.ServiceData(
        started_on=today - dt.timedelta(days=1), staff="e2e", payer="free", outcome="ongoing"),
        actor=actor, scope=None)
    return Loop(provider, need, referral)


def row_in(spec: CountySpec, **overrides: Any) -> dict[str, Any]:
    """An import row of a person living in ``spec``'s township (the generator would
    otherwise give some a residence anywhere in China)."""
    from yangguang.demo.generator import person_row

    return person_row(户籍地区划代码=spec.township, 居住地区划代码=spec.township, **overrides)


def with_wrong_check_digit(row: dict[str, Any]) -> dict[str, Any]:
    """The row with its ID number's check character wrong (``id_checksum``)."""
    from yangguang.demo.generator import make_id_number

    valid = make_id_number(random.Random(row["姓名"]), row["户籍地区划代码"],
                           dt.date(1980, 5, 17), 1)
    wrong = "0" if valid[-1] != "0" else "1"
    return {**row, "公民身份号码": valid[:17] + wrong, "残疾人证号": ""}


def import_file(spec: CountySpec, path: Path) -> Path:
    """A CSV with one good row and one rejected row (a wrong ID check digit), in ``spec``."""
    from yangguang.demo.generator import write_rows

    write_rows([row_in(spec), with_wrong_check_digit(row_in(spec, 姓名=spec.rejected_name))], path)
    return path


def _import_with_a_rejected_row(county: County) -> ImportJob:
    """A dry-run import by the county's registrar, whose error report names the county's
    ``rejected_name``."""
    from yangguang.registry.services import import_jobs

    with tempfile.TemporaryDirectory() as tmp:
        path = import_file(county.spec, Path(tmp) / f"import-{county.code}.csv")
        upload = SimpleUploadedFile(path.name, path.read_bytes(), content_type="text/csv")
    job = import_jobs.start_import(county.users["registrar"], upload, dry_run=True)
    assert job.finished and import_jobs.report_path(job).exists(), job.error
    return job
