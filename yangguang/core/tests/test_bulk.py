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
                .values_list("components", flat=True)) == [
        [{"category": 1, "level": 1}, {"category": 4, "level": 3}], []]

    with pytest.raises(ValueError, match="differ in length"):
        columns.insert_columns(Household, {"id": [1, 2], "number": ["x"], "region_id": region,
                                        "created_at": now, "updated_at": now})

