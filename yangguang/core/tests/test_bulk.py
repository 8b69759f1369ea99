"""Bulk writes: ids reserved ahead, rows inserted by columns (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import threading

import polars as pl
import pytest
from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

from yangguang.core import bulk, columns
from yangguang.registry.models import Certificate, CertificateStatus, Household, Person

POSTGRES = "postgresql" in settings.DATABASES["default"]["ENGINE"]
pytestmark = pytest.mark.django_db


# (On PostgreSQL the pool reserves ids through the second connection; SQLite has none.)
@pytest.mark.django_db(databases=["default", bulk.READS] if POSTGRES else ["default"])
def test_ids_reserved_ahead_are_unique_even_when_others_take_some_meanwhile():
    ahead = connection.vendor == "postgresql"
    pool = bulk.IdPool(block=5, using=bulk.READS if ahead else "default", ahead=ahead)
    taken = []
    try:
        for size in (3, 7, 7, 1, 12, 4):
            taken += pool.take(Household, size)
            if POSTGRES:  # someone else takes ids of the same sequence meanwhile
                taken += bulk.allocate_ids(Household, 2)
            assert [t.name for t in threading.enumerate() if t.name.startswith("id-pool")] == (
                ["id-pool_0"] if ahead else [])
    finally:
        pool.close()
        connections[bulk.READS].close()
    assert len(taken) == len(set(taken)) == 3 + 7 + 7 + 1 + 12 + 4 + (6 * 2 if POSTGRES else 0)
    assert not [t for t in threading.enumerate() if t.name.startswith("id-pool")]
    pool.close()  # (twice is fine)


def test_columns_are_inserted_with_their_types_and_one_value_for_all():
    from yangguang.regions.models import Region

    region = Region.objects.filter(level=5).values_list("code", flat=True).first()
    now = timezone.now()
    ids = bulk.allocate_ids(Household, 3)
    assert columns.insert_columns(Household, {
        "id": ids, "number": pl.Series(["C-1", "C-2", "C-3"]), "region_id": region,
        "created_at": now, "updated_at": now}) == 3
    stored = list(Household.objects.filter(id__in=ids).order_by("id")
                  .values_list("number", "region_id", "created_at"))
    assert stored == [("C-1", region, now), ("C-2", region, now), ("C-3", region, now)]

    person_ids = bulk.allocate_ids(Person, 2)
    columns.insert_columns(Person, {
        "id": person_ids, "id_number_encrypted": [b"\x01a", b"\x01b"],
        "id_number_hash": ["h1", "h2"], "id_number_masked": ["6301**********0001"] * 2,
        "name": ["甲", "乙"], "sex": [1, 2], "birth_date": [dt.date(1950, 1, 2), dt.date(2000, 2, 29)],
        "ethnicity": "", "hukou_region_id": region, "residence_region_id": [None, region],
        "phone": "", "guardian_name": "", "guardian_phone": "", "guardian_relation": "",
        "household_id": [ids[0], None], "relation_to_head": "", "deceased_date": None,
        "created_at": now, "updated_at": now})
    people = list(Person.objects.filter(id__in=person_ids).order_by("id").values_list(
        "name", "sex", "birth_date", "residence_region_id", "household_id"))
    assert people == [("甲", 1, dt.date(1950, 1, 2), None, ids[0]),
                      ("乙", 2, dt.date(2000, 2, 29), region, None)]
    cert_ids = bulk.allocate_ids(Certificate, 2)
    columns.insert_columns(Certificate, {
        "id": cert_ids, "person_id": person_ids, "reissue_count": [0, 1], "category": 7,
        "level": [1, 2], "components": ['[{"category":1,"level":1},{"category":4,"level":3}]', "[]"],
        "issue_date": dt.date(2020, 1, 1), "valid_until": dt.date(2030, 1, 1),
        "status": CertificateStatus.VALID.value, "created_at": now, "updated_at": now})
    assert list(Certificate.objects.filter(id__in=cert_ids).order_by("id")
                .values_list("components", "issue_date", "valid_until", "category")) == [
        ([{"category": 1, "level": 1}, {"category": 4, "level": 3}], dt.date(2020, 1, 1),
         dt.date(2030, 1, 1), 7),
        ([], dt.date(2020, 1, 1), dt.date(2030, 1, 1), 7)]
    # A JSON field's one value for every row is JSON text, stored as it is.
    more = bulk.allocate_ids(Certificate, 1)
    person = bulk.allocate_ids(Person, 1)
    columns.insert_columns(Person, {
        "id": person, "id_number_encrypted": [b"\x01c"], "id_number_hash": ["h3"],
        "id_number_masked": "6301**********0003", "name": "丙", "sex": 1,
        "birth_date": dt.date(1960, 3, 4), "ethnicity": "", "hukou_region_id": region,
        "residence_region_id": None, "phone": "", "guardian_name": "", "guardian_phone": "",
        "guardian_relation": "", "household_id": None, "relation_to_head": "",
        "deceased_date": None, "created_at": now, "updated_at": now})
    columns.insert_columns(Certificate, {
        "id": more, "person_id": person, "reissue_count": 0, "category": 1, "level": 1,
        "components": '[{"category":1,"level":1}]', "issue_date": dt.date(2021, 5, 6),
        "valid_until": dt.date(2031, 5, 6), "status": CertificateStatus.VALID.value,
        "created_at": now, "updated_at": now})
    assert Certificate.objects.get(id=more[0]).components == [{"category": 1, "level": 1}]
    assert Person.objects.get(id=person[0]).birth_date == dt.date(1960, 3, 4)

    with pytest.raises(ValueError, match="differ in length"):
        columns.insert_columns(Household, {"id": [1, 2], "number": ["x"], "region_id": region,
                                        "created_at": now, "updated_at": now})



def _households(count: int, prefix: str) -> dict:
    from yangguang.regions.models import Region

    region = Region.objects.filter(level=5).values_list("code", flat=True).first()
    now = timezone.now()
    return {"id": bulk.allocate_ids(Household, count),
            "number": [f"{prefix}-{i}" for i in range(count)], "region_id": region,
            "created_at": now, "updated_at": now}


@pytest.mark.parametrize("count", [1, columns.ROWS_PER_STATEMENT - 1, columns.ROWS_PER_STATEMENT,
                                   2 * columns.ROWS_PER_STATEMENT + 7])
def test_rows_in_full_and_partial_statements_all_land_in_order(count):
    households = _households(count, f"S{count}")
    assert columns.insert_columns(Household, households) == count
    assert list(Household.objects.filter(id__in=households["id"]).order_by("id")
                .values_list("id", "number")) == list(zip(households["id"],
                                                          households["number"], strict=True))


def test_statements_take_the_constants_once_then_the_rows_within_the_limit():
    assert bulk.values_statement(Household, ["id", "number"], 3) == (
        'INSERT INTO "registry_household" ("id", "number") VALUES (?, ?), (?, ?), (?, ?)')
    # One value for every row: first, one numbered parameter used in every row.
    assert bulk.values_statement(Household, ["id", "region_id", "number", "created_at"], 2,
                                 constant=["region_id", "created_at"]) == (
        'INSERT INTO "registry_household" ("region_id", "created_at", "id", "number") '
        'VALUES (?1, ?2, ?, ?), (?1, ?2, ?, ?)')
    assert columns.rows_per_statement(19, 32_766) == columns.ROWS_PER_STATEMENT
    assert columns.rows_per_statement(19, 999) == 52  # an SQLite built before 3.32
    if connection.vendor == "sqlite":
        households = _households(5, "L")
        [(sql, [parameters])] = columns.sqlite_statements(Household, households)
        assert sql.startswith('INSERT INTO "registry_household" '
                              '("region_id", "created_at", "updated_at", "id", "number")')
        # region_id, created_at and updated_at bound once, then the rows.
        created = connection.ops.adapt_datetimefield_value(households["created_at"])
        assert parameters[:3] == [households["region_id"], created, created]
        assert parameters[3:] == [value for pair in zip(households["id"], households["number"],
                                                       strict=True) for value in pair]
        assert sql.count("(?1, ?2, ?3, ?, ?)") == 5 and "?4" not in sql


def test_writer_thread_keeps_order_and_the_callers_transaction():
    from django.db import transaction

    households = _households(900, "W")
    with transaction.atomic():
        with bulk.Writer() as writer:
            assert [t.name for t in threading.enumerate()].count("bulk-writer") == 1
            writer.insert_columns(Household, households)
            # Rows inserted by rows after by columns: the queue first runs dry.
            writer.insert(Household, ["id", "number", "region_id", "created_at", "updated_at"],
                          [(bulk.allocate_ids(Household, 1)[0] + 1000, "W-last",
                            households["region_id"], households["created_at"],
                            households["created_at"])])
            writer.flush()
            assert Household.objects.filter(number__startswith="W-").count() == 901
        assert not [t for t in threading.enumerate() if t.name == "bulk-writer"]
    assert Household.objects.filter(number__startswith="W-").count() == 901


def test_a_failed_insert_in_the_writer_thread_is_raised_to_the_caller_and_rolls_back():
    from django.db import IntegrityError, transaction

    before = Household.objects.count()
    first = _households(10, "F")
    again = {**first, "id": bulk.allocate_ids(Household, 10)}  # the same numbers: unique
    with pytest.raises(IntegrityError) as raised, transaction.atomic(), bulk.Writer() as writer:
        writer.insert_columns(Household, first)
        writer.insert_columns(Household, again)
    assert "unique" in str(raised.value).lower() or "duplicate" in str(raised.value).lower()
    assert Household.objects.count() == before
    assert not [t for t in threading.enumerate() if t.name == "bulk-writer"]
