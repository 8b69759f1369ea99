"""The de-identified Parquet snapshot the catalogue is computed over.

``write(as_of, out)`` writes ``persons.parquet`` (one row per person with a valid
certificate on the as-of date, alive, with the hukou region's code, age and the most
severe level) and ``surveys.parquet`` (their annual surveys up to the as-of year), and
``manifest.json``. No names, ID numbers, birth dates, addresses or database keys leave
the database: each person is a pseudonymous key, the HMAC of the database id under a
random secret made for this snapshot and never written, so keys cannot be joined across
snapshots or back to the registry.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import secrets
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from django.db.models import Exists, OuterRef, Q

from yangguang.registry.models import Certificate, CertificateStatus, CertificateStatusChange, Person
from yangguang.survey.models import AnnualSurvey

#: Bumped when a table's columns or meaning change; the catalogue names the one it reads.
SNAPSHOT_VERSION = "1"

SURVEY_COLUMNS = ["year", "reached", "vocational_training", "household_income", "pension_insurance",
                  "medical_insurance", "schooling", "rehabilitation_need", "rehabilitation_received",
                  "device_need", "device_fitted", "support"]


def certified_q(as_of: datetime.date) -> Q:
    """Persons alive on ``as_of`` holding a certificate valid on it (issued by then,
    valid until then or later, not cancelled by then)."""
    cancelled = CertificateStatusChange.objects.filter(
        certificate=OuterRef("pk"), status=CertificateStatus.CANCELLED, effective_date__lte=as_of)
    held = (Certificate.objects.filter(person=OuterRef("pk"), issue_date__lte=as_of, valid_until__gte=as_of)
            .exclude(Exists(cancelled)))
    return (Q(deceased_date__isnull=True) | Q(deceased_date__gt=as_of)) & Q(Exists(held))


def _age(birth: datetime.date, on: datetime.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def write(as_of: datetime.date, out: Path) -> dict[str, int]:
    """Write the snapshot for ``as_of`` into ``out``; the row counts per table."""
    out.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_bytes(32)

    def key(pk: int) -> str:
        return hmac.new(secret, str(pk).encode(), hashlib.sha256).hexdigest()[:24]

    persons = Person.objects.filter(certified_q(as_of))
    levels: dict[int, int] = {}
    for person_id, level in (Certificate.objects.filter(person__in=persons, issue_date__lte=as_of,
                                                        valid_until__gte=as_of)
                             .values_list("person_id", "level")):
        levels[person_id] = min(level, levels.get(person_id, level))
    rows = list(persons.values_list("pk", "hukou_region_id", "birth_date"))
    keys = {pk: key(pk) for pk, _, _ in rows}
    person_table = pa.table({
        "person_key": pa.array([keys[pk] for pk, _, _ in rows], pa.string()),
        "region_code": pa.array([code for _, code, _ in rows], pa.string()),
        "age": pa.array([_age(birth, as_of) for _, _, birth in rows], pa.int32()),
        "level": pa.array([levels.get(pk) for pk, _, _ in rows], pa.int32()),
    })
    pq.write_table(person_table, out / "persons.parquet")

    surveys = list(AnnualSurvey.objects.filter(person__in=persons, year__lte=as_of.year)
                   .values_list("person_id", *SURVEY_COLUMNS))
    columns = list(zip(*surveys, strict=True)) if surveys else [[] for _ in range(len(SURVEY_COLUMNS) + 1)]
    types = {"year": pa.int32(), "household_income": pa.int64(), "reached": pa.bool_(),
             "vocational_training": pa.bool_(), "rehabilitation_received": pa.bool_(),
             "device_fitted": pa.bool_()}
    survey_table = pa.table({
        "person_key": pa.array([keys[pk] for pk in columns[0]], pa.string()),
        **{name: pa.array([v if v != "" else None for v in values], types.get(name, pa.string()))
           for name, values in zip(SURVEY_COLUMNS, columns[1:], strict=True)},
    })
    pq.write_table(survey_table, out / "surveys.parquet")
    counts = {"persons": person_table.num_rows, "surveys": survey_table.num_rows}
    (out / "manifest.json").write_text(json.dumps(
        {"as_of": as_of.isoformat(), "version": SNAPSHOT_VERSION, "rows": counts}, ensure_ascii=False))
    return counts
