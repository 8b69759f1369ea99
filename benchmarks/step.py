"""One step of the import benchmark, run by ``run.py`` in its own process.

``run.py`` sets DATABASE_URL, YANGGUANG_VAR_DIR and DJANGO_SETTINGS_MODULE for the
step, so each starts from clean settings. The step prints one JSON object on its last
line of stdout. ``seconds`` is measured inside the process around the work itself,
after Python and Django have started (``run.py`` also reports the process's wall
time, start-up included).

    python benchmarks/step.py generate --rows N --out FILE [--prefix-rows M --prefix-out FILE2]
    python benchmarks/step.py migrate
    python benchmarks/step.py check-rows FILE [--limit N]   # checking alone, no database
    python benchmarks/step.py yangguang FILE     # yangguang import persons FILE --json
    python benchmarks/step.py baseline FILE      # django-import-export, bulk mode
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import time
from pathlib import Path
from typing import Any


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yangguang.settings")
    import django

    django.setup()


def table_counts() -> dict[str, int]:
    """Rows in the tables an import writes, to check both sides did the same job."""
    from yangguang.audit.models import AuditEvent
    from yangguang.registry.models import (
        Certificate,
        CertificateStatusChange,
        Household,
        Person,
    )

    return {
        "persons": Person.objects.count(),
        "certificates": Certificate.objects.count(),
        "status_changes": CertificateStatusChange.objects.count(),
        "households": Household.objects.count(),
        "audit_events": AuditEvent.objects.count(),
    }


def content_digest() -> str:
    """A digest of what an import wrote, independent of keys, timestamps and batch ids:
    persons (the ID decrypted), their households, certificates and status history, in
    the order of the ID hash (the same key set on both sides of a comparison)."""
    import hashlib

    from yangguang.core.crypto import decrypt_id
    from yangguang.registry.models import Certificate, CertificateStatusChange, Person

    digest = hashlib.sha256()
    persons = Person.objects.order_by("id_number_hash").values_list(
        "id_number_hash", "id_number_encrypted", "id_number_masked", "name", "sex",
        "birth_date", "ethnicity", "hukou_region_id", "residence_region_id", "phone",
        "household__number", "household__region_id", "relation_to_head", "guardian_name",
        "guardian_phone", "guardian_relation", "deceased_date")
    for row in persons.iterator(chunk_size=10000):
        digest.update(repr((row[0], decrypt_id(row[1]), *row[2:])).encode())
    key = ("person__id_number_hash", "category", "level", "reissue_count")
    certificates = Certificate.objects.order_by(*key).values_list(
        *key, "components", "issue_date", "valid_until", "status")
    for row in certificates.iterator(chunk_size=10000):
        digest.update(repr(row).encode())
    key = tuple(f"certificate__{k}" for k in key)
    history = CertificateStatusChange.objects.order_by(
        *key, "effective_date", "status").values_list(
        *key, "status", "reason", "effective_date", "note")
    for row in history.iterator(chunk_size=10000):
        digest.update(repr(row).encode())
    return digest.hexdigest()[:16]


class CpuMeter:
    """CPU seconds a step used, by where they were spent: this process (its threads
    included), its child processes that have ended (the import starts none now), and the
    PostgreSQL server processes serving this process's connections.

    The server's figure is read from ``/proc/<backend pid>/stat``, so only when the
    server runs on this machine (else None). The connections are opened during the
    step, so their backends' whole lives are the step's; read it before the checks
    that follow the import, which use the same connections.
    """

    def __init__(self) -> None:
        import resource

        self._resource = resource
        self._self = self._used(resource.RUSAGE_SELF)
        self._children = self._used(resource.RUSAGE_CHILDREN)
        # Server processes that end during the step (a connection the import opens in
        # a thread and closes, like the id pool's) leave their CPU time with their
        # parent, the postmaster, as its children's time.
        self._postmaster = self._postmaster_pid()
        self._ended = self._children_of(self._postmaster)

    def _used(self, who: int) -> float:
        usage = self._resource.getrusage(who)
        return usage.ru_utime + usage.ru_stime

    @staticmethod
    def _stat(pid: int) -> list[str]:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()

    @classmethod
    def _postmaster_pid(cls) -> int | None:
        from django.db import connection

        if connection.vendor != "postgresql":
            return None
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = cursor.fetchone()[0]
        try:
            return int(cls._stat(backend)[1])  # the backend's parent
        except OSError:
            return None  # the server runs elsewhere

    @classmethod
    def _children_of(cls, pid: int | None) -> float:
        if pid is None:
            return 0.0
        fields = cls._stat(pid)
        return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")

    @staticmethod
    def _servers() -> list[float] | None:
        """CPU seconds of each server process serving this process (None: elsewhere)."""
        from django.db import connections

        used = []
        for conn in connections.all(initialized_only=True):
            if conn.vendor != "postgresql" or conn.connection is None:
                continue
            with conn.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pid = cursor.fetchone()[0]
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                return None  # the server runs elsewhere
            used.append((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"))
        return used or None  # None too: no PostgreSQL connection

    def read(self) -> dict[str, float | None]:
        servers = self._servers()
        ended = self._children_of(self._postmaster) - self._ended
        return {"process": self._used(self._resource.RUSAGE_SELF) - self._self,
                "workers": self._used(self._resource.RUSAGE_CHILDREN) - self._children,
                # (Any server process that ended meanwhile counts: autovacuum's too.)
                "server": sum(servers) + ended if servers else None,
                # The busiest one: the connection that writes.
                "server_busiest": max(servers) if servers else None}


def check() -> dict[str, Any]:
    """Counts and digest of what was written, and how long computing them took (the
    runner subtracts that from the step's wall time)."""
    start = time.perf_counter()
    out: dict[str, Any] = {"counts": table_counts(), "digest": content_digest()}
    out["check_seconds"] = time.perf_counter() - start
    return out


def generate(args: argparse.Namespace) -> dict[str, Any]:
    """The file, written by the project's demo generator (``write_rows``)."""
    import csv
    from itertools import islice

    from yangguang.demo import generator

    start = time.perf_counter()
    written = generator.write_rows(generator.iter_rows(args.rows, seed=args.seed), args.out)
    out: dict[str, Any] = {"rows": written, "bytes": Path(args.out).stat().st_size}
    if args.prefix_out:
        # The first M rows of the same file (not a separate M-row generation, which
        # would spread its rows over the jurisdictions differently).
        if str(args.prefix_out).lower().endswith(".csv"):
            with (open(args.out, encoding="utf-8-sig", newline="") as src,
                  open(args.prefix_out, "w", encoding="utf-8-sig", newline="") as dst):
                writer = csv.writer(dst)
                prefix = 0
                for line in islice(csv.reader(src), args.prefix_rows + 1):  # + header
                    writer.writerow(line)
                    prefix += 1
                prefix -= 1
        else:
            prefix = generator.write_rows(
                islice(generator.iter_rows(args.rows, seed=args.seed), args.prefix_rows),
                args.prefix_out)
        out["prefix_rows"] = prefix
    out["seconds"] = time.perf_counter() - start
    return out


def check_rows(args: argparse.Namespace) -> dict[str, Any]:
    """Checking alone: what the import does to each row before writing it (the columns'
    check, ``parse_row`` for the rows it does not accept, the ID's hash and encryption),
    in this one process, with no database: a bound on how many rows per second the
    import can check. At most ``--limit`` rows of the file."""
    from pathlib import Path

    from django.utils import timezone

    from yangguang.core.crypto import encrypt_ids, hash_ids
    from yangguang.core.errors import ValidationFailed
    from yangguang.imports.reading import read_table
    from yangguang.registry import columnar, importing
    from yangguang.registry.rules import parse_row

    blocks = list(importing.table_blocks(read_table(Path(args.file), importing.COLUMNS)))
    rows = 0
    limited = []
    for block in blocks:  # (whole blocks: the last one may take the count past --limit)
        if rows >= args.limit:
            break
        limited.append(block)
        rows += len(block)
    today = timezone.localdate()
    warm = columnar.Rules(today)
    columnar.check(blocks[0], warm)  # loads the catalog, keys, rules
    hash_ids(["0"])
    start = time.perf_counter()
    rules = columnar.Rules(today)
    for block in limited:
        checked = columnar.check(block, rules)
        for i in checked.others:
            with contextlib.suppress(ValidationFailed):
                parse_row(block.cells(i), today=today)
        numbers = checked.accepted["id_number"].to_list()
        hash_ids(numbers)
        encrypt_ids(numbers)
    seconds = time.perf_counter() - start
    return {"rows": rows, "seconds": seconds}


def migrate(args: argparse.Namespace) -> dict[str, Any]:
    from django.core.management import call_command

    start = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    return {"seconds": time.perf_counter() - start}


def yangguang(args: argparse.Namespace) -> dict[str, Any]:
    """``yangguang import persons FILE --json``: the management command the CLI runs,
    called in this process so that the timing leaves out interpreter and Django start-up."""
    from django.core.management import call_command, load_command_class

    # The command's modules are imported before the clock starts, as the baseline's are.
    load_command_class("yangguang.imports", "import")
    stdout, stderr = io.StringIO(), io.StringIO()
    meter = CpuMeter()
    start = time.perf_counter()
    call_command("import", "persons", args.file, "--json", stdout=stdout, stderr=stderr)
    seconds = time.perf_counter() - start
    cpu = meter.read()
    result = json.loads(stdout.getvalue())
    errors = result.pop("errors")
    return {"seconds": seconds, "cpu": cpu, "result": result, "first_errors": errors[:5],
            **check()}


def baseline(args: argparse.Namespace) -> dict[str, Any]:
    """django-import-export: what its ``import`` management command does (read the file
    with its format class, ``resource.import_data``), with our resource. (Its command
    cannot be called by name here: yangguang's own ``import`` command has that name.)"""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import baseline_import_export

    meter = CpuMeter()
    start = time.perf_counter()
    result = baseline_import_export.import_file(args.file)
    seconds = time.perf_counter() - start
    cpu = meter.read()
    totals = dict(result.totals)
    out: dict[str, Any] = {
        "seconds": seconds,
        "cpu": cpu,
        "result": {"rows": result.total_rows, "created": totals["new"],
                   "updated": totals["update"], "unchanged": totals["skip"],
                   "rejected": totals["invalid"] + totals["error"]},
        "rolled_back": result.has_errors(),
        "first_errors": [repr(e.error) for e in result.base_errors[:3]]
        + [f"row {n + 1}: {errors[0].error!r}" for n, errors in result.row_errors()[:3]]
        + [f"row {r.number + 1}: {r.error_dict}" for r in result.invalid_rows[:5]],
        **check(),
    }
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="step", required=True)
    p = sub.add_parser("generate")
    p.add_argument("--rows", type=int, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=2021)
    p.add_argument("--prefix-rows", type=int, default=0)
    p.add_argument("--prefix-out")
    sub.add_parser("migrate")
    p = sub.add_parser("check-rows")
    p.add_argument("file")
    p.add_argument("--limit", type=int, default=50_000)
    for name in ("yangguang", "baseline"):
        sub.add_parser(name).add_argument("file")
    args = parser.parse_args(argv)
    _setup()
    out = {"generate": generate, "migrate": migrate, "check-rows": check_rows,
           "yangguang": yangguang, "baseline": baseline}[args.step](args)
    print(json.dumps(out, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
