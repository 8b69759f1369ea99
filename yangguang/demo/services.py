"""Loading the demo data: import the generated rows, apply the life events, create
the demo accounts. Every write goes through the registry's import and services.

``load_demo`` is idempotent: persons already in the registry are not imported again,
events already applied are skipped, so running it twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from yangguang.accounts import services as account_services
from yangguang.accounts.models import Role
from yangguang.audit.services import Actor
from yangguang.core.crypto import hash_id
from yangguang.demo import generator
from yangguang.demo.benefits import load_benefits
from yangguang.demo.cases import load_cases
from yangguang.demo.comparison import load_comparison
from yangguang.demo.generator import (
    CERTIFICATE_NUMBER,
    DEFAULT_SCALE,
    DEFAULT_SEED,
    CertificateEvent,
    DemoEvents,
    DemoGenerator,
)
from yangguang.demo.indicators import load_indicators
from yangguang.demo.service_loop import LoopSummary, load_service_loop
from yangguang.demo.surveys import load_surveys
from yangguang.registry import importing, services
from yangguang.registry.models import (
    Certificate,
    CertificateStatus,
    Household,
    HouseholdStatus,
    Person,
)

ACCOUNTS_FILE_NAME = "demo-accounts.json"
#: Besides one registrar per jurisdiction (its ``account`` in jurisdictions.json):
#: (username, role, jurisdiction keys; None for all five). The administrator manages
#: accounts only and the auditor only reads the log (三权分立), so neither is a superuser.
STAFF_ACCOUNTS: list[tuple[str, str, list[str] | None]] = [
    ("admin", Role.ADMINISTRATOR, None),
    ("auditor", Role.AUDITOR, None),
    ("wutai_reviewer", Role.REVIEWER, ["wutai"]),
    ("wutai_civil_affairs", Role.CIVIL_AFFAIRS, ["wutai"]),
    ("qinghai_analyst", Role.ANALYST, ["qinghai"]),
    ("linxia_monitor", Role.MONITOR, ["linxia"]),
]
DEMO_ACTOR = Actor(name="demo")
_LOOKUP_BATCH = 2000

Progress = Callable[[int, int | None], None]


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: str
    regions: tuple[tuple[str, str], ...]  # (6-digit code, name) of each region the role covers

    @property
    def role_name(self) -> str:
        return str(Role(self.role).label)


@dataclass
class EventCounts:
    applied: int = 0
    skipped: int = 0  # already applied, or no longer applicable


@dataclass
class DemoSummary:
    scale: float
    seed: int
    as_of: dt.date
    plan: dict[str, int]  # persons per jurisdiction key
    names: dict[str, str]  # jurisdiction key → name
    already_present: int = 0  # generated persons found in the registry and not re-imported
    imported: importing.ImportResult | None = None
    deaths: EventCounts = field(default_factory=EventCounts)
    cancellations: EventCounts = field(default_factory=EventCounts)
    freezes: EventCounts = field(default_factory=EventCounts)
    household_statuses: EventCounts = field(default_factory=EventCounts)
    expired: int = 0  # certificates this run marked expired (the import marks most itself)
    certificates: dict[str, int] = field(default_factory=dict)  # by status, after the run
    surveys: int = 0  # annual surveys written (2021–2025)
    cases: int = 0  # certificate cases opened (``demo.cases``)
    loop: LoopSummary = field(default_factory=LoopSummary)  # providers, needs, referrals …
    comparison: int = 0  # department lists matched (``demo.comparison``)
    benefits: dict[str, int] = field(default_factory=dict)  # applications, screening items
    indicators: int = 0  # indicator results stored (``demo.indicators``: each plan's year ends)
    accounts: list[DemoAccount] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.plan.values())

    @property
    def changed(self) -> bool:
        result = self.imported
        return bool(
            (result is not None and (result.created or result.updated))
            or self.deaths.applied or self.cancellations.applied or self.freezes.applied
            or self.household_statuses.applied or self.expired or self.surveys or self.cases
            or self.loop.providers or self.loop.survey_needs or self.loop.direct_needs
            or self.loop.referrals or self.comparison or self.indicators
        )


# ---------------------------------------------------------------------------
# Accounts


def accounts_file() -> Path:
    return Path(settings.VAR_DIR) / ACCOUNTS_FILE_NAME


def _intended_accounts() -> list[tuple[str, str, tuple[tuple[str, str], ...]]]:
    """(username, role, regions) of every demo account."""
    specs = generator.jurisdictions()
    regions = {spec["key"]: (spec["code"], spec["name"]) for spec in specs}
    result = [(username, str(role), tuple(regions[k] for k in keys or regions))
              for username, role, keys in STAFF_ACCOUNTS]
    result += [(spec["account"], str(Role.REGISTRAR), (regions[spec["key"]],))
               for spec in specs if spec.get("account")]
    return result


def _read_passwords(path: Path) -> dict[str, str]:
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {a["username"]: a["password"] for a in stored.get("accounts", [])
            if isinstance(a, dict) and a.get("username") and a.get("password")}


def _write_accounts(path: Path, accounts: list[DemoAccount]) -> None:
    payload = {
        "about": "Demo accounts created by `yangguang demo`. Passwords are random, made on "
                 "the first run and reused afterwards. Each account has one role over the "
                 "regions listed and everything below them.",
        "accounts": [
            {"username": a.username, "password": a.password, "role": a.role,
             "role_name": a.role_name,
             "regions": [{"code": code, "name": name} for code, name in a.regions]}
            for a in accounts
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(payload, f, ensure_ascii=False, indent=2)
        f.write("\n")
    os.replace(tmp, path)


def _new_password() -> str:
    return secrets.token_urlsafe(12)


def ensure_demo_accounts(path: Path | None = None) -> list[DemoAccount]:
    """Create the demo accounts that are missing, with their roles; return all with their
    passwords.

    An administrator ``admin`` and an auditor ``auditor`` over the five jurisdictions,
    a registrar per jurisdiction, a reviewer in Wutai and an analyst in Qinghai
    (``STAFF_ACCOUNTS``). Passwords are made at random on the first run and kept in
    ``var/demo-accounts.json``; an existing user whose password is not in the file
    (the file was deleted) gets a new one, so the file is always right. Missing roles
    are granted again. Every change goes through ``accounts.services`` and is audited.
    """
    path = path or accounts_file()
    stored = _read_passwords(path)
    accounts: list[DemoAccount] = []
    dirty = False
    for username, role, regions in _intended_accounts():
        password = stored.get(username)
        if password is None:
            password = _new_password()
            dirty = True
        roles = [(role, code) for code, _name in regions]
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            account_services.create_user(username, password, roles, actor=DEMO_ACTOR)
        else:
            if username not in stored:
                account_services.set_password(user, password, actor=DEMO_ACTOR)
            for role_name, code in roles:
                account_services.grant_role(user, role_name, code, actor=DEMO_ACTOR)
        accounts.append(DemoAccount(username, password, role, regions))
    if dirty or not path.exists():
        _write_accounts(path, accounts)
    return accounts


# ---------------------------------------------------------------------------
# Loading


def _new_rows(rows: Iterable[dict[str, Any]], known: set[str], counter: list[int]
              ) -> Iterator[dict[str, Any]]:
    """The rows whose person is not yet registered (the certificate number starts with
    the normalised ID number)."""
    for row in rows:
        if hash_id(row[CERTIFICATE_NUMBER][:18]) in known:
            counter[0] += 1
            continue
        yield row


def _people(id_numbers: Iterable[str]) -> dict[str, Person]:
    """Persons by normalised ID number."""
    by_hash = {hash_id(n): n for n in id_numbers}
    hashes = list(by_hash)
    result: dict[str, Person] = {}
    for start in range(0, len(hashes), _LOOKUP_BATCH):
        for person in Person.objects.filter(id_number_hash__in=hashes[start:start + _LOOKUP_BATCH]):
            result[by_hash[person.id_number_hash]] = person
    return result


def _apply_deaths(events: DemoEvents, actor: Actor) -> EventCounts:
    counts = EventCounts()
    people = _people(e.id_number for e in events.deaths)
    for event in events.deaths:
        person = people.get(event.id_number)
        if person is None or person.deceased_date is not None:
            counts.skipped += 1
            continue
        services.record_death(person, event.date, actor=actor)
        counts.applied += 1
    return counts


def _apply_certificate_events(items: list[CertificateEvent], *, freeze: bool,
                              actor: Actor) -> EventCounts:
    counts = EventCounts()
    people = _people(e.id_number for e in items)
    for event in items:
        person = people.get(event.id_number)
        current = (services.current_certificate(person)
                   if person is not None and person.deceased_date is None else None)
        # Skip what was applied before (cancelled, frozen) or no longer fits (expired).
        if (current is None or event.date < current.issue_date
                or (freeze and current.status != CertificateStatus.VALID)):
            counts.skipped += 1
            continue
        apply = services.freeze_certificate if freeze else services.cancel_certificate
        apply(current, reason=event.reason, day=event.date, actor=actor, note=event.note)
        counts.applied += 1
    return counts


def _apply_household_statuses(events: DemoEvents, actor: Actor) -> EventCounts:
    counts = EventCounts()
    numbers = sorted({e.household_number for e in events.household_statuses})
    households: dict[str, Household] = {}
    existing: set[tuple[int, str, dt.date]] = set()
    for start in range(0, len(numbers), _LOOKUP_BATCH):
        batch = numbers[start:start + _LOOKUP_BATCH]
        found = {h.number: h for h in Household.objects.filter(number__in=batch)}
        households.update(found)
        existing.update(HouseholdStatus.objects.filter(
            household__in=list(found.values())).values_list("household_id", "status",
                                                           "start_date"))
    for event in events.household_statuses:
        household = households.get(event.household_number)
        if household is None or (household.pk, event.status, event.start_date) in existing:
            counts.skipped += 1
            continue
        services.set_household_status(household, event.status, event.start_date,
                                      event.end_date, actor=actor)
        existing.add((household.pk, event.status, event.start_date))
        counts.applied += 1
    return counts


def load_demo(scale: float = DEFAULT_SCALE, seed: int = DEFAULT_SEED,
              actor: Actor | Any = None, *, progress: Progress | None = None,
              accounts: bool = True) -> DemoSummary:
    """Generate the demo data for ``scale`` and ``seed`` and load it.

    1. import the rows of persons not yet registered through ``importing.import_rows``;
    2. apply the deaths, cancellations, freezes and household economic statuses
       through the registry services (skipping those already applied);
    3. mark certificates past their validity expired (``expire_certificates``);
    4. survey the persons certified in each year 2021–2025 (``demo.surveys``), and open
       a few certificate cases in each county (``demo.cases``);
       providers, the 2025 survey's needs and others, referrals and services
       (``demo.service_loop``); a deaths list and two dibao rolls matched in one county
       of each jurisdiction (``demo.comparison``); each loaded plan's indicators as of
       the end of every year of its period (``demo.indicators``);
    5. create the demo accounts (``ensure_demo_accounts``) unless ``accounts=False``.

    ``progress(done, total)`` is called during the import.
    """
    started = time.monotonic()
    actor = Actor.of(actor) if actor is not None else DEMO_ACTOR
    demo = DemoGenerator(seed, scale=scale)
    summary = DemoSummary(scale=scale, seed=seed, as_of=demo.as_of, plan=dict(demo.plan),
                          names={j["key"]: j["name"] for j in generator.jurisdictions()})
    known = set(Person.objects.values_list("id_number_hash", flat=True))
    events = DemoEvents()
    skipped = [0]
    summary.imported = importing.import_rows(
        _new_rows(demo.iter_rows(events), known, skipped), actor=actor, progress=progress,
        total=demo.total, source=f"demo seed={seed} scale={scale}",
    )
    summary.already_present = skipped[0]
    with transaction.atomic():
        summary.deaths = _apply_deaths(events, actor)
        summary.cancellations = _apply_certificate_events(events.cancellations, freeze=False,
                                                          actor=actor)
        summary.freezes = _apply_certificate_events(events.freezes, freeze=True, actor=actor)
        summary.household_statuses = _apply_household_statuses(events, actor)
        summary.expired = services.expire_certificates(timezone.localdate(), actor=actor)
    summary.surveys = load_surveys(seed, actor, as_of=min(demo.as_of, timezone.localdate()))
    summary.cases = load_cases(actor, as_of=timezone.localdate())
    summary.loop = load_service_loop(seed, actor, as_of=min(demo.as_of, timezone.localdate()))
    summary.comparison = load_comparison(generator.jurisdictions(), actor,
                                         as_of=min(demo.as_of, timezone.localdate()))
    summary.benefits = load_benefits(generator.jurisdictions(), actor, as_of=timezone.localdate())
    summary.indicators = load_indicators(actor, as_of=min(demo.as_of, timezone.localdate()))
    summary.certificates = dict(
        Certificate.objects.values_list("status").annotate(n=Count("id")).order_by())
    if accounts:
        summary.accounts = ensure_demo_accounts()
    summary.seconds = time.monotonic() - started
    return summary


def registry_is_empty() -> bool:
    return not Person.objects.exists()


__all__ = ["DemoAccount", "DemoSummary", "EventCounts", "accounts_file",
           "ensure_demo_accounts", "load_demo", "registry_is_empty"]
