"""The de-identified Parquet snapshot the catalogue is computed over.

``write(as_of, out)`` writes one Parquet file per table and ``manifest.json``:

- ``persons``: one row per person certified on the as-of date (``registry.rules.
  certified_q``, the rule the survey uses for a year), with the hukou region's code,
  age, the most severe level and the household's key;
- ``households``: their households, with the household's region code;
- ``household_statuses``: those households' economic statuses (低保, 特困 …) and dates;
- ``surveys``: their annual surveys up to the as-of year;
- ``benefits``: per person and programme (``BENEFIT_PROGRAMMES``), whether eligible on
  the as-of date under the jurisdiction's policy (``benefits.rules``, the screening's
  rule) and whether a grant pays that month;
- ``services``: their service records begun by the as-of date (kind, dates, outcome,
  the provider's key);
- ``providers``: every service provider with its region code, kind and whether active
  on the as-of date (running and designated);
- ``townships``: the codes of the townships current on the as-of date.

No names, ID numbers, birth dates, addresses, household numbers or database keys leave
the database: persons, households and providers are pseudonymous keys, the HMAC of the
database id under a random secret made for this snapshot and never written, so keys
cannot be joined across snapshots or back to the registry.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from django.db.models import Q

from yangguang.benefits import rules as benefit_rules
from yangguang.benefits import selectors as benefit_selectors
from yangguang.regions.models import Region, RegionLevel
from yangguang.registry.models import Certificate, Household, HouseholdStatus, Person
from yangguang.registry.rules import certified_q
from yangguang.services.models import Provider, ProviderStatus, ServiceRecord
from yangguang.survey.models import AnnualSurvey

#: Bumped when a table's columns or meaning change; the catalogue names the one it reads.
SNAPSHOT_VERSION = "2"

SURVEY_COLUMNS = ["year", "reached", "vocational_training", "household_income", "pension_insurance",
                  "medical_insurance", "schooling", "rehabilitation_need", "rehabilitation_received",
                  "device_need", "device_fitted", "care_need", "care_received", "accessibility_need",
                  "accessibility_done", "support", "main_difficulty"]
#: The programmes whose eligibility and grants the snapshot carries.
BENEFIT_PROGRAMMES = ["living_allowance", "care_allowance", "dibao_single_household"]
TABLES = ["persons", "households", "household_statuses", "surveys", "benefits", "services", "providers",
          "townships"]

_FLAGS = {"reached", "vocational_training", "rehabilitation_received", "device_fitted", "care_received",
          "accessibility_need", "accessibility_done", "eligible", "receiving", "active"}
_INTS = {"year", "age", "level"}
BATCH_ROWS = 100_000
CHUNK = 20_000  # rows fetched at a time


def _age(birth: datetime.date, on: datetime.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _type(name: str) -> pa.DataType:
    if name in _FLAGS:
        return pa.bool_()
    if name in _INTS:
        return pa.int32()
    if name == "household_income":
        return pa.int64()
    if name.endswith(("_date", "_on")):
        return pa.date32()
    return pa.string()


def _schema(names: list[str]) -> pa.Schema:
    return pa.schema([(name, _type(name)) for name in names])


def _batch(schema: pa.Schema, rows: list[tuple[Any, ...]]) -> pa.RecordBatch:
    columns = list(zip(*rows, strict=True)) or [() for _ in schema.names]
    return pa.record_batch([pa.array([None if v == "" else v for v in values], field.type)
                            for field, values in zip(schema, columns, strict=True)], schema=schema)


def _write(path: Path, names: list[str], rows: Iterable[tuple[Any, ...]]) -> int:
    """Write ``rows`` as a Parquet file in batches (a large registry never sits in memory
    whole); the row count."""
    schema = _schema(names)
    count = 0
    with pq.ParquetWriter(path, schema) as writer:
        chunk: list[tuple[Any, ...]] = []
        for row in rows:
            chunk.append(row)
            if len(chunk) == BATCH_ROWS:
                writer.write_batch(_batch(schema, chunk))
                count += len(chunk)
                chunk = []
        writer.write_batch(_batch(schema, chunk))
    return count + len(chunk)


def write(as_of: datetime.date, out: Path) -> dict[str, int]:
    """Write the snapshot for ``as_of`` into ``out``; the row counts per table."""
    out.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_bytes(32)

    def key(kind: str, pk: int | None) -> str | None:
        if pk is None:
            return None
        return hmac.new(secret, f"{kind}:{pk}".encode(), hashlib.sha256).hexdigest()[:24]

    persons = Person.objects.filter(certified_q(as_of))
    levels: dict[int, int] = {}
    for person_id, level in (Certificate.objects.filter(person__in=persons, issue_date__lte=as_of,
                                                        valid_until__gte=as_of)
                             .values_list("person_id", "level").iterator(chunk_size=CHUNK)):
        levels[person_id] = min(level, levels.get(person_id, level))
    keys: dict[int, str] = {}
    counts: dict[str, int] = {}

    def person_rows() -> Iterable[tuple[Any, ...]]:
        for pk, code, birth, household in (persons.values_list("pk", "hukou_region_id", "birth_date", "household_id")
                                           .iterator(chunk_size=CHUNK)):
            keys[pk] = key("p", pk)
            yield keys[pk], key("h", household), code, _age(birth, as_of), levels.get(pk)

    counts["persons"] = _write(out / "persons.parquet", ["person_key", "household_key", "region_code", "age",
                                                         "level"], person_rows())
    households = Household.objects.filter(members__in=persons).distinct()
    counts["households"] = _write(out / "households.parquet", ["household_key", "region_code"], (
        (key("h", pk), code) for pk, code in households.values_list("pk", "region_id").iterator(chunk_size=CHUNK)))
    counts["household_statuses"] = _write(
        out / "household_statuses.parquet", ["household_key", "status", "start_date", "end_date"], (
            (key("h", h), status, start, end) for h, status, start, end in
            HouseholdStatus.objects.filter(household__in=households, start_date__lte=as_of)
            .values_list("household_id", "status", "start_date", "end_date").iterator(chunk_size=CHUNK)))
    counts["surveys"] = _write(out / "surveys.parquet", ["person_key", *SURVEY_COLUMNS], (
        (keys[pk], *rest) for pk, *rest in
        AnnualSurvey.objects.filter(person__in=persons, year__lte=as_of.year)
        .values_list("person_id", *SURVEY_COLUMNS).iterator(chunk_size=CHUNK)))
    benefit_rows = []
    for programme in BENEFIT_PROGRAMMES:
        eligible = set(benefit_rules.eligible_ids(persons, programme, as_of))
        receiving = set(benefit_selectors.grants_for(None, programme=programme, running_on=as_of)
                        .filter(person__in=persons).values_list("person_id", flat=True))
        benefit_rows += [(keys[pk], programme, pk in eligible, pk in receiving)
                         for pk in sorted(eligible | receiving)]
    counts["benefits"] = _write(out / "benefits.parquet", ["person_key", "programme", "eligible", "receiving"],
                                benefit_rows)
    counts["services"] = _write(
        out / "services.parquet", ["person_key", "provider_key", "kind", "started_on", "ended_on", "outcome"], (
            (keys[pk], key("s", provider), *rest) for pk, provider, *rest in
            ServiceRecord.objects.filter(need__person__in=persons, started_on__lte=as_of)
            .values_list("need__person_id", "provider_id", "kind", "started_on", "ended_on", "outcome")
            .iterator(chunk_size=CHUNK)))
    designated = ((Q(designated_from__isnull=True) | Q(designated_from__lte=as_of))
                  & (Q(designated_until__isnull=True) | Q(designated_until__gte=as_of)))
    active = set(Provider.objects.filter(designated, status=ProviderStatus.ACTIVE).values_list("pk", flat=True))
    counts["providers"] = _write(out / "providers.parquet", ["provider_key", "region_code", "kind", "active"], (
        (key("s", pk), code, kind, pk in active)
        for pk, code, kind in Provider.objects.values_list("pk", "region_id", "kind")))
    current = ((Q(valid_from__isnull=True) | Q(valid_from__lte=as_of))
               & (Q(valid_until__isnull=True) | Q(valid_until__gt=as_of)))
    counts["townships"] = _write(out / "townships.parquet", ["region_code"], (
        (code,) for code in Region.objects.filter(current, level=RegionLevel.TOWNSHIP)
        .order_by("code").values_list("code", flat=True)))
    (out / "manifest.json").write_text(json.dumps(
        {"as_of": as_of.isoformat(), "version": SNAPSHOT_VERSION, "rows": counts}, ensure_ascii=False))
    return counts
