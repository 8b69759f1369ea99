"""Set up what the load test needs, in the benchmark database (run by ``run.py``).

    python benchmarks/web/prepare.py PLAN.json [--samples N] [--seed S]

Creates one registrar per seed jurisdiction (``bench_<code>``, through
``accounts.services.create_user``; kept when they exist), picks for each the search
terms and person ids its simulated staff will use — names, two-character and one-
character name prefixes of persons in its scope, and ids in its scope — runs
``VACUUM ANALYZE`` (the state autovacuum leaves a table in shortly after a bulk
load: statistics, and the visibility map that lets searches read only the index),
and writes it all to PLAN.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys

PASSWORD = "Bench-Web-Passphrase-2025"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("plan")
    parser.add_argument("--samples", type=int, default=400)
    parser.add_argument("--seed", type=int, default=2021)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yangguang.settings")
    import django

    django.setup()
    from django.db import connection

    from yangguang.accounts import services
    from yangguang.accounts.models import User
    from yangguang.accounts.permissions import Capability
    from yangguang.accounts.selectors import scope_q
    from yangguang.audit.services import Actor
    from yangguang.demo.generator import jurisdictions
    from yangguang.registry.models import Person

    rng = random.Random(args.seed)
    accounts = []
    for spec in jurisdictions():
        code = spec["code"]
        username = f"bench_{code}"
        user = User.objects.filter(username=username).first() or services.create_user(
            username, PASSWORD, [("registrar", code)], actor=Actor("webbench"))
        scoped = Person.objects.filter(scope_q(user, Capability.VIEW_PERSON))
        total = scoped.count()
        if not total:
            continue
        # Evenly spaced ids in the scope: a fair sample without ORDER BY random().
        ids = list(scoped.order_by("id").values_list("id", flat=True)[:: max(1, total // args.samples)])
        ids = ids[: args.samples]
        names = list(Person.objects.filter(pk__in=ids).values_list("name", flat=True))
        terms = [rng.choice((name, name[:2], name[:1])) for name in names]
        rng.shuffle(ids)
        accounts.append({"username": username, "password": PASSWORD, "region": code,
                         "persons": total, "ids": ids, "terms": terms})
        print(f"{username}: {total} persons in scope", file=sys.stderr)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE")
    with open(args.plan, "w", encoding="utf-8") as fh:
        json.dump({"accounts": accounts}, fh, ensure_ascii=False)


if __name__ == "__main__":
    main()
