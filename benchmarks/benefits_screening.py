"""Benefit screening benchmark: set-based screening against the per-person loop.

    .venv/bin/python benchmarks/benefits_screening.py [--persons N] [--loop-persons L] [--on DAY]

On a fresh SQLite database in a temporary var directory (or DATABASE_URL's database,
which must then be empty): migrate, import N generated persons of the five
jurisdictions (the demo generator, the registry's import), give their households
economic statuses (dibao 15 %, near-dibao 5 %, tekun 2 %) and a few persons other
benefits (elderly care allowance, orphan support, work-injury care fee, a motorized
wheelchair), then screen every programme on DAY two ways, in the same run on the same
data:

- set-based: ``benefits.rules.screen`` per programme over all persons, the rule as SQL
  (every eligible person's decision with its reasons materialised);
- the loop: ``benefits.rules.decide`` for each person in turn, every programme (what
  OpenSPP-style systems do: evaluate each registrant), on the first L persons
  (default all), its time scaled to N when L < N.

Both must find the same eligible persons among the first L (checked); prints both
timings, persons per second and the ratio as one JSON line at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=20_000)
    parser.add_argument("--loop-persons", type=int, default=0, help="0: all")
    parser.add_argument("--on", default="2025-06-01")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as var:
        os.environ.setdefault("YANGGUANG_VAR_DIR", var)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yangguang.settings")
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        print(json.dumps(run(args.persons, args.loop_persons or args.persons,
                             dt.date.fromisoformat(args.on)), ensure_ascii=False))


def populate(persons: int) -> None:
    from decimal import Decimal

    from yangguang.audit.services import Actor
    from yangguang.benefits.models import PersonFact
    from yangguang.demo.generator import iter_rows
    from yangguang.registry.importing import import_rows
    from yangguang.registry.models import Household, HouseholdStatus, Person

    import_rows(iter_rows(persons), actor=Actor("benchmark"))
    rng = random.Random(19)
    statuses = []
    for household in Household.objects.values_list("pk", flat=True).iterator():
        draw = rng.random()
        status = "dibao" if draw < 0.15 else "near_dibao" if draw < 0.20 else \
            "tekun" if draw < 0.22 else None
        if status:
            start = dt.date(2016, 1, 1) + dt.timedelta(days=rng.randrange(3600))
            statuses.append(HouseholdStatus(household_id=household, status=status, start_date=start))
    HouseholdStatus.objects.bulk_create(statuses, batch_size=5000)
    facts = []
    kinds = [("elderly_care_allowance", 150), ("orphan_support", 1200),
             ("work_injury_care_fee", 900), ("motorized_wheelchair", None)]
    for pk in Person.objects.values_list("pk", flat=True).iterator():
        if rng.random() < 0.03:
            kind, amount = rng.choice(kinds)
            facts.append(PersonFact(person_id=pk, kind=kind, start_date=dt.date(2020, 1, 1),
                                    monthly_amount=Decimal(amount) if amount else None,
                                    source="benchmark"))
    PersonFact.objects.bulk_create(facts, batch_size=5000)


def run(persons: int, loop_persons: int, on: dt.date) -> dict[str, object]:
    from django.db import connection

    from yangguang.benefits import policy, rules
    from yangguang.registry.models import Person

    started = time.perf_counter()
    populate(persons)
    setup_s = time.perf_counter() - started
    pol = policy.policies()
    stored = Person.objects.count()

    started = time.perf_counter()
    eligible_set: dict[str, set[int]] = {}
    for key in pol.programmes:
        eligible_set[key] = {d.person_id for d in rules.screen(Person.objects.all(), key, on,
                                                                eligible=True)}
    set_s = time.perf_counter() - started

    sample = list(Person.objects.order_by("id")[:loop_persons])
    started = time.perf_counter()
    eligible_loop: dict[str, set[int]] = {key: set() for key in pol.programmes}
    for person in sample:
        for decision in rules.decide(person, on):
            if decision.eligible:
                eligible_loop[decision.programme].add(person.pk)
    loop_s = time.perf_counter() - started
    sampled = {p.pk for p in sample}
    agree = all(eligible_set[k] & sampled == eligible_loop[k] for k in pol.programmes)
    loop_all_s = loop_s * stored / max(len(sample), 1)
    return {
        "persons": stored, "on": on.isoformat(), "programmes": len(pol.programmes),
        "database": connection.vendor,
        "setup_s": round(setup_s, 1),
        "eligible": {k: len(v) for k, v in eligible_set.items()},
        "set_based_s": round(set_s, 2),
        "set_based_persons_per_s": round(stored / set_s),
        "loop_persons": len(sample), "loop_s": round(loop_s, 2),
        "loop_s_for_all": round(loop_all_s, 1),
        "loop_persons_per_s": round(len(sample) / loop_s),
        "ratio": round(loop_all_s / set_s, 1),
        "agree_on_loop_persons": agree,
    }


if __name__ == "__main__":
    main()
