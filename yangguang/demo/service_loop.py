"""Demo service loop: providers in the demo counties and townships, the needs the 2025
survey found (``services.survey_needs``), some needs recorded directly, and their
referrals and services with plausible rates, all written through ``services.actions``.

Each draw comes from a generator seeded by the seed and what it is about (a county
code, a township code, a person's keyed ID hash and the kind), so the data do not depend
on database ids or load order. Loading twice changes nothing: providers are looked up
by region and name, needs already open are not opened again, and a need that has a
referral is not taken round the loop again.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction

from yangguang.core.errors import ValidationFailed
from yangguang.regions.models import Region
from yangguang.registry.models import Person
from yangguang.services import actions
from yangguang.services.models import Need, NeedSource, Provider, ProviderStatus, ServiceKind
from yangguang.services.states import NeedState
from yangguang.services.survey_needs import open_needs_from_surveys

SURVEY_YEAR = 2025

#: (name suffix, provider kind, kinds offered, capacity range, share of counties with one)
COUNTY_PROVIDERS = (
    ("残疾人康复中心", "rehabilitation", ["basic_rehabilitation", "psychological_support"],
     (30, 120), 1.0),
    ("残疾儿童康复定点机构", "child_rehabilitation", ["child_rehabilitation"], (10, 40), 0.6),
    ("辅助器具服务站", "device_centre", ["device_fitting", "device_loan"], (50, 200), 0.9),
    ("残疾人托养中心", "care_institution", ["care_residential", "care_day"], (10, 60), 0.55),
    ("特殊教育学校", "special_school", ["education_placement"], (40, 200), 0.5),
    ("残疾人职业培训基地", "training_base", ["vocational_training", "employment_placement"],
     (20, 80), 0.45),
    ("残联法律援助工作站", "other", ["legal_aid", "psychological_support"], (20, 60), 0.5),
    ("残联无障碍改造服务队", "other", ["home_modification"], (10, 50), 0.7),
)
#: 残疾人之家 in this share of the townships with persons: day care, visits, home care.
COMMUNITY_SHARE = 0.3
COMMUNITY_KINDS = ["care_day", "care_home", "home_visit", "basic_rehabilitation"]
#: Needs recorded directly (not from the survey): share of living persons, and kinds.
DIRECT_SHARE = 0.03
DIRECT_KINDS = {"home_visit": 0.4, "legal_aid": 0.15, "psychological_support": 0.15,
                "device_loan": 0.15, "vocational_training": 0.1, "employment_placement": 0.05}
#: Of needs with a provider at hand: referred; of referrals: declined, served.
REFERRED = 0.8
DECLINED = 0.06
SERVED = 0.8
OUTCOMES = {"met": 0.7, "ongoing": 0.22, "not_met": 0.08}
COSTS = {"basic_rehabilitation": (800, 6000), "child_rehabilitation": (8000, 20000),
         "device_fitting": (200, 5000), "device_loan": (0, 0), "care_residential": (3000, 12000),
         "care_day": (1000, 5000), "care_home": (1000, 4000), "home_modification": (2000, 8000)}
PAYERS = {"basic_rehabilitation": "medical_insurance", "child_rehabilitation": "federation",
          "device_fitting": "federation", "care_residential": "civil_affairs",
          "care_day": "federation", "care_home": "federation", "home_modification": "federation",
          "vocational_training": "human_resources", "employment_placement": "human_resources",
          "education_placement": "education"}
STAFF = ("李康复", "王医生", "赵老师", "刘社工", "陈律师", "杨技师", "马护理", "韩老师")
NOT_MET_REASONS = ("本人不愿继续接受服务", "家庭迁居外地", "服务效果不明显，需另行安排")
DECLINE_REASONS = ("床位已满", "不符合机构收住条件", "距离过远，家属要求另行转介")


@dataclass
class LoopSummary:
    providers: int = 0
    survey_needs: int = 0
    direct_needs: int = 0
    referrals: int = 0
    services: int = 0


def _rng(seed: int, *parts: Any) -> random.Random:
    return random.Random(":".join(str(p) for p in (seed, *parts)))


def _providers(seed: int, actor: Any) -> int:
    """The demo counties' providers and the townships' 残疾人之家 (those not yet there)."""
    counties: set[str] = set()
    townships: set[str] = set()
    for code in Person.objects.values_list("hukou_region_id", flat=True).distinct():
        counties.add(code[:6].ljust(12, "0"))
        townships.add(code[:9].ljust(12, "0"))
    names = {r.code: r.name for r in Region.objects.filter(code__in=counties | townships)}
    existing = set(Provider.objects.values_list("region_id", "name"))
    created = 0

    def save(name: str, kind: str, region: str, kinds: list[str], capacity: int,
             rng: random.Random) -> None:
        nonlocal created
        if (region, name) in existing:
            return
        start = dt.date(rng.randint(2016, 2023), rng.randint(1, 12), 1)
        status = ProviderStatus.SUSPENDED if rng.random() < 0.05 else ProviderStatus.ACTIVE
        actions.save_provider(actions.ProviderData(
            name=name, kind=kind, region=region, kinds=kinds, capacity=capacity,
            designated_from=start if kind == "child_rehabilitation" or rng.random() < 0.5 else None,
            designated_until=(start.replace(year=start.year + 5)
                              if kind == "child_rehabilitation" else None),
            status=status), actor=actor, scope=None)
        created += 1

    for county in sorted(counties):
        if county not in names:
            continue
        for suffix, kind, kinds, (low, high), share in COUNTY_PROVIDERS:
            rng = _rng(seed, "provider", county, suffix)
            if rng.random() < share:
                save(names[county] + suffix, kind, county, kinds, rng.randint(low, high), rng)
    for township in sorted(townships):
        rng = _rng(seed, "community", township)
        if township in names and rng.random() < COMMUNITY_SHARE:
            save(names[township] + "残疾人之家", "community_centre", township, COMMUNITY_KINDS,
                 rng.randint(8, 30), rng)
    return created


def _direct_needs(seed: int, actor: Any, as_of: dt.date) -> int:
    opened = 0
    persons = Person.objects.filter(deceased_date__isnull=True).order_by("pk")
    for person in persons.iterator(chunk_size=2000):
        rng = _rng(seed, "direct", person.id_number_hash)
        if rng.random() >= DIRECT_SHARE:
            continue
        kind = rng.choices(list(DIRECT_KINDS), list(DIRECT_KINDS.values()))[0]
        day = as_of - dt.timedelta(days=rng.randint(20, 600))
        if day <= person.birth_date or Need.objects.filter(
                person=person, kind=kind, source=NeedSource.DIRECT).exists():
            continue
        try:
            actions.open_need(person, kind, opened_on=day, actor=actor, scope=None)
        except ValidationFailed:
            continue
        opened += 1
    return opened


def _serving(providers: dict[str, list[Provider]], need: Need) -> list[Provider]:
    region = need.person.hukou_region_id
    return [p for p in providers[need.kind] if region.startswith(p.region.short_code)]


def _round_the_loop(seed: int, actor: Any, as_of: dt.date) -> tuple[int, int]:
    """Refer the open needs that have no referral yet, and serve most of them."""
    providers: dict[str, list[Provider]] = defaultdict(list)
    for provider in (Provider.objects.filter(status=ProviderStatus.ACTIVE)
                     .select_related("region").prefetch_related("offerings")):
        for offering in provider.offerings.all():
            providers[offering.kind].append(provider)
    referrals = services = 0
    needs = (Need.objects.filter(state=NeedState.OPEN, referrals__isnull=True)
             .select_related("person", "person__hukou_region").order_by("pk"))
    for need in needs:
        rng = _rng(seed, "loop", need.person.id_number_hash, need.kind)
        at_hand = _serving(providers, need)
        if not at_hand or rng.random() >= REFERRED:
            continue
        referred = need.opened_on + dt.timedelta(days=rng.randint(5, 90))
        if referred > as_of:
            continue
        referral = actions.refer(need, rng.choice(at_hand), day=referred, actor=actor, scope=None)
        referrals += 1
        draw = rng.random()
        if draw < DECLINED:
            actions.decline_referral(referral, reason=rng.choice(DECLINE_REASONS),
                                     day=min(referred + dt.timedelta(days=rng.randint(1, 14)),
                                             as_of), actor=actor, scope=None)
            continue
        if draw >= DECLINED + SERVED:
            continue  # referred, waiting for the provider
        started = referred + dt.timedelta(days=rng.randint(3, 30))
        if started > as_of:
            continue
        outcome = rng.choices(list(OUTCOMES), list(OUTCOMES.values()))[0]
        ended = started + dt.timedelta(days=rng.randint(14, 150))
        if ended > as_of:
            outcome, ended = "ongoing", None
        if outcome == "ongoing":
            ended = None
        low, high = COSTS.get(need.kind, (0, 500))
        actions.record_service(referral, actions.ServiceData(
            started_on=started, ended_on=ended, staff=rng.choice(STAFF),
            cost=Decimal(rng.randint(low, high)) if high else Decimal(0),
            payer=PAYERS.get(need.kind, "free" if not high else "federation"), outcome=outcome,
            loan_action="lend" if need.kind == ServiceKind.DEVICE_LOAN else "",
            note=rng.choice(NOT_MET_REASONS) if outcome == "not_met" else ""),
            actor=actor, scope=None)
        services += 1
    return referrals, services


def load_service_loop(seed: int, actor: Any, *, as_of: dt.date) -> LoopSummary:
    """Providers, the 2025 survey's needs, direct needs, referrals and services, in one
    transaction (a demo load is all or nothing, and SQLite writes it once)."""
    summary = LoopSummary()
    with transaction.atomic():
        summary.providers = _providers(seed, actor)
        if as_of.year >= SURVEY_YEAR:
            summary.survey_needs = open_needs_from_surveys(SURVEY_YEAR, actor=actor).opened
        summary.direct_needs = _direct_needs(seed, actor, as_of)
        summary.referrals, summary.services = _round_the_loop(seed, actor, as_of)
    return summary
