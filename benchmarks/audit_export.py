"""Audit log export benchmark: how long an auditor waits for the XLSX of 10,000 events.

    .venv/bin/python benchmarks/audit_export.py [--events N] [--persons P] [--repeat R]

On a fresh SQLite database in a temporary var directory (or DATABASE_URL's database,
which must then be empty): migrate, register P persons in 五台县 through the
registry's services, make a county auditor, record N events like a working day's
(persons viewed, edited — a phone number changed —, certificates expired, sign-ins),
then time ``audit.exporting.export_events`` for the auditor R times and print each run
and the median, wall and CPU seconds, as one JSON line at the end.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--persons", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as var:
        os.environ.setdefault("YANGGUANG_VAR_DIR", var)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yangguang.settings")
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        print(json.dumps(run(args.events, args.persons, args.repeat), ensure_ascii=False))


def run(events: int, persons: int, repeat: int) -> dict[str, object]:
    from yangguang.accounts import services as accounts
    from yangguang.audit.models import AuditAction, AuditEvent
    from yangguang.audit.selectors import EventFilters
    from yangguang.audit.services import Actor, Event, record_many
    from yangguang.demo.generator import create_person

    setup = Actor("benchmark")
    people = [create_person(actor=setup, 户籍地区划代码="140922100000") for _ in range(persons)]
    auditor = accounts.create_user("bench_auditor", "Bench-Auditor-Passphrase-2026",
                                   [("auditor", "140922")], actor=setup)
    clerk = accounts.create_user("bench_clerk", "Bench-Clerk-Passphrase-2026",
                                 [("registrar", "140922")], actor=setup)
    batch: list[Event] = []
    for i in range(events - AuditEvent.objects.count()):
        person = people[i % len(people)]
        kind = i % 4
        if kind == 0:
            batch.append(Event(AuditAction.VIEW, "person", str(person.pk), person.pk,
                               person.hukou_region_id))
        elif kind == 1:
            batch.append(Event(AuditAction.UPDATE, "person", str(person.pk), person.pk,
                               person.hukou_region_id,
                               {"changes": {"phone": [f"138{i:08d}", f"139{i:08d}"]}}))
        elif kind == 2:
            batch.append(Event(AuditAction.UPDATE, "certificate", str(i), person.pk,
                               person.hukou_region_id,
                               {"number": "140922********123443", "status": ["valid", "expired"],
                                "reason": "expired"}))
        else:
            batch.append(Event(AuditAction.LOGIN, "user", str(clerk.pk), None, "140922000000",
                               {"method": "password", "ip": "127.0.0.1"}))
    record_many(Actor.of(clerk), batch)
    from yangguang.audit.exporting import export_events

    seconds, cpu, rows = [], [], 0
    for _ in range(repeat):
        out = io.BytesIO()
        start, start_cpu = time.perf_counter(), time.process_time()
        rows = export_events(auditor, EventFilters(), out)
        seconds.append(round(time.perf_counter() - start, 3))
        cpu.append(round(time.process_time() - start_cpu, 3))
    # CPU seconds too: on a shared machine the wall time says as much about the neighbours.
    return {"events_exported": rows, "runs_s": seconds, "median_s": statistics.median(seconds),
            "cpu_runs_s": cpu, "median_cpu_s": statistics.median(cpu)}


if __name__ == "__main__":
    main()
