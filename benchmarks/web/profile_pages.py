"""Where the time of the web benchmark's two pages goes, in-process, on its database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yg_webbench YANGGUANG_VAR_DIR=var/webbench \\
        .venv/bin/python benchmarks/web/profile_pages.py [--requests 40] [--explain] [--pyinstrument]

Signs in (``force_login``) as the benchmark's registrars (``prepare.py`` made them),
requests search and person pages with the Django test client on persons and name
parts of each registrar's scope, as ``run.py``'s users do, and prints for each page:
the median wall time per request, the queries per request and the database time of
each query shape (wall time as the client measures it, summed over the requests).
``--explain`` adds ``EXPLAIN (ANALYZE, BUFFERS)`` of each query shape's slowest query
(writes in a rolled-back transaction); ``--pyinstrument`` a call-tree profile of the
requests (needs ``pip install pyinstrument``, not in the locks). Nothing is timed
under load: this says where one request spends its time, ``run.py`` how fast the
pages answer 20 users.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import time
from collections import defaultdict


def _shape(sql: str) -> str:
    """A query without its literal values, to group the queries of many requests."""
    sql = re.sub(r"'(?:[^']|'')*'", "?", sql)
    sql = re.sub(r"\b\d+\b", "?", sql)
    return re.sub(r"\(\?(?:, \?)+\)", "(…)", sql)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=40, help="requests per page")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--pyinstrument", action="store_true")
    parser.add_argument("--seed", type=int, default=2021)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yangguang.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from yangguang.accounts.models import User
    from yangguang.accounts.permissions import Capability
    from yangguang.accounts.selectors import scope_q
    from yangguang.registry.models import Person

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    rng = random.Random(args.seed)
    users = list(User.objects.filter(username__startswith="bench_").order_by("username"))
    if not users:
        sys.exit("no bench_ users: run benchmarks/web/run.py on this database first")
    plans = []
    for user in users:
        scoped = Person.objects.filter(scope_q(user, Capability.VIEW_PERSON))
        top = scoped.order_by("-id").values_list("id", flat=True).first() or 0
        ids = list(scoped.filter(id__lte=top).order_by("id").values_list("id", flat=True)
                   [:: max(1, scoped.count() // args.requests)])[: args.requests]
        names = list(Person.objects.filter(pk__in=ids).values_list("name", flat=True))
        plans.append((user, ids, [rng.choice((n, n[:2], n[:1])) for n in names]))

    requests = []
    for i in range(args.requests):
        user, ids, terms = plans[i % len(plans)]
        requests.append(("search", user, "/registry/persons/", {"name": rng.choice(terms)}))
        requests.append(("person", user, f"/registry/persons/{rng.choice(ids)}/", {}))
    clients = {}
    for user in users:
        clients[user.pk] = Client()
        clients[user.pk].force_login(user)
        clients[user.pk].get("/")  # warm: templates, policies, contributions

    profiler = None
    if args.pyinstrument:
        from pyinstrument import Profiler

        profiler = {page: Profiler(interval=0.0005) for page in ("search", "person")}
    walls: dict[str, list[float]] = defaultdict(list)
    cpus: dict[str, list[float]] = defaultdict(list)
    counts: dict[str, list[int]] = defaultdict(list)
    shapes: dict[str, dict[str, list[tuple[float, str]]]] = defaultdict(lambda: defaultdict(list))
    for page, user, path, params in requests:
        with CaptureQueriesContext(connection) as captured:
            if profiler:
                profiler[page].start()
            started, cpu = time.perf_counter(), time.process_time()
            response = clients[user.pk].get(path, params)
            walls[page].append(time.perf_counter() - started)
            cpus[page].append(time.process_time() - cpu)
            if profiler:
                profiler[page].stop()
        assert response.status_code == 200, (path, response.status_code)
        counts[page].append(len(captured.captured_queries))
        for query in captured.captured_queries:
            shapes[page][_shape(query["sql"])].append((float(query["time"]), query["sql"]))

    for page in ("search", "person"):
        wall = statistics.median(walls[page]) * 1000
        db = sum(t for qs in shapes[page].values() for t, _sql in qs) * 1000 / len(walls[page])
        cpu = statistics.median(cpus[page]) * 1000
        print(f"\n=== {page}: {len(walls[page])} requests, median {wall:.1f} ms "
              f"(Python CPU {cpu:.1f} ms), mean database {db:.1f} ms, queries per request "
              f"{min(counts[page])}–{max(counts[page])}")
        ranked = sorted(shapes[page].items(), key=lambda item: -sum(t for t, _s in item[1]))
        for shape, queries in ranked:
            total = sum(t for t, _s in queries) * 1000
            print(f"{total / len(walls[page]):7.2f} ms/request  {len(queries):4d}×  {shape[:160]}")
        if args.explain:
            explainable = [(shape, queries) for shape, queries in ranked
                           if shape.startswith(("SELECT", "INSERT", "UPDATE", "DELETE", "WITH"))]
            for shape, queries in explainable[:8]:
                _t, sql = max(queries)
                print(f"\n--- EXPLAIN {shape[:120]}")
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                    print("\n".join(row[0] for row in cursor.fetchall()))
                    transaction.set_rollback(True)
        if profiler:
            print(profiler[page].output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main()
