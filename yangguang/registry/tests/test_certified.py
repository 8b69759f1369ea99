"""Who is certified: one rule (``rules.certified_q``) for a day (the indicator snapshot)
and for a year (the survey), worked out by hand at its edges."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yangguang.demo.generator import create_person
from yangguang.registry import rules
from yangguang.registry.models import Certificate, CertificateStatus, CertificateStatusChange, Person
from yangguang.registry.rules import certified_q
from yangguang.survey import rules as survey_rules

D = dt.date


def _held(person: Person, start: dt.date, end: dt.date | None = None) -> bool:
    return Person.objects.filter(certified_q(start, end), pk=person.pk).exists()


@pytest.mark.django_db
def test_a_day_and_a_year_under_one_rule():
    person = create_person(issue_date=D(2020, 3, 1), birth_date=D(1980, 1, 1))
    certificate = Certificate.objects.get(person=person)
    # issued 2020-03-01, valid ten years
    assert not _held(person, D(2020, 2, 29))
    assert _held(person, D(2020, 3, 1))
    assert _held(person, D(2020, 1, 1), D(2020, 12, 31))  # some time in 2020
    # cancelled from 2023-06-01: held on 31 May and on the day itself (it takes effect after), not later;
    # held in 2023, not in 2024
    CertificateStatusChange.objects.create(certificate=certificate, status=CertificateStatus.CANCELLED,
                                           reason="no_longer_eligible", effective_date=D(2023, 6, 1))
    assert _held(person, D(2023, 5, 31)) and _held(person, D(2023, 6, 1))
    assert not _held(person, D(2023, 6, 2))
    assert _held(person, D(2023, 1, 1), D(2023, 12, 31)) and not _held(person, D(2024, 1, 1), D(2024, 12, 31))
    # the survey's year is the same rule from 1 January to 31 December
    for year in (2019, 2020, 2023, 2024):
        assert (Person.objects.filter(survey_rules.certified_q(year), pk=person.pk).exists()
                == _held(person, D(year, 1, 1), D(year, 12, 31)))
    # a renewal moved the issue date to 2025, but a status change shows it was held in 2021
    CertificateStatusChange.objects.filter(certificate=certificate).delete()
    Certificate.objects.filter(pk=certificate.pk).update(issue_date=D(2025, 3, 1))
    assert not _held(person, D(2021, 6, 1))
    CertificateStatusChange.objects.create(certificate=certificate, status=CertificateStatus.VALID,
                                           reason="issued", effective_date=D(2020, 3, 1))
    assert _held(person, D(2021, 6, 1))
    # dead on 2022-02-01: counted that day, not after
    Person.objects.filter(pk=person.pk).update(deceased_date=D(2022, 2, 1))
    assert _held(person, D(2022, 2, 1)) and not _held(person, D(2022, 2, 2))


# ---------------------------------------------------------------------------
# One rule, two evaluations: certificate_held_q (a filter, for one person's
# certificates) and certificate_held_sql (the same rule in SQL, for a whole set, on the
# database and on DuckDB) agree on every certificate, day and period.

STATUSES = (CertificateStatus.VALID, CertificateStatus.FROZEN, CertificateStatus.CANCELLED,
            CertificateStatus.EXPIRED)
days = st.dates(min_value=D(2015, 1, 1), max_value=D(2026, 12, 31))


@st.composite
def certificates(draw) -> dict:
    issue = draw(days)
    return {"issue": issue, "until": draw(st.dates(min_value=issue, max_value=D(2032, 12, 31))),
            "changes": draw(st.lists(st.tuples(st.sampled_from(STATUSES), days), max_size=4))}


def _literal(day: dt.date, vendor: str) -> str:
    return f"'{day.isoformat()}'" if vendor == "sqlite" else f"DATE '{day.isoformat()}'"


class _Undo(Exception):
    pass


@pytest.mark.django_db
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(specs=st.lists(certificates(), min_size=1, max_size=4), start=days,
       span=st.none() | st.integers(0, 400))
def test_held_is_the_same_rule_for_one_certificate_and_for_a_set(specs, start, span):
    end = None if span is None else start + dt.timedelta(days=span)
    table, changes = Certificate._meta.db_table, CertificateStatusChange._meta.db_table
    try:
        with transaction.atomic():
            person = create_person(issue_date=D(2014, 1, 1), birth_date=D(1980, 1, 1))
            Certificate.objects.filter(person=person).delete()
            for i, spec in enumerate(specs):
                # the current status (one open certificate a person) is not what the rule reads
                certificate = Certificate.objects.create(
                    person=person, reissue_count=i, category=4, level=2, issue_date=spec["issue"],
                    valid_until=spec["until"],
                    status=CertificateStatus.VALID if i == 0 else CertificateStatus.CANCELLED)
                for status, day in spec["changes"]:
                    CertificateStatusChange.objects.create(certificate=certificate, status=status,
                                                           reason="test", effective_date=day)
            one = {c.pk for c in Certificate.objects.filter(person=person)
                   if Certificate.objects.filter(rules.certificate_held_q(start, end), pk=c.pk).exists()}
            vendor = connection.vendor
            where = rules.certificate_held_sql(_literal(start, vendor), end and _literal(end, vendor))
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT c.id FROM {table} c WHERE c.person_id = %s AND {where}", [person.pk])
                on_database = {row[0] for row in cursor.fetchall()}
            duck = duckdb.connect()
            duck.execute(f"CREATE TABLE {table} (id BIGINT, person_id BIGINT, issue_date DATE, valid_until DATE)")
            duck.execute(f"CREATE TABLE {changes} (id BIGINT, certificate_id BIGINT, status VARCHAR, "
                         "effective_date DATE)")
            for name, rows in (
                    (table, Certificate.objects.filter(person=person)
                     .values_list("id", "person_id", "issue_date", "valid_until")),
                    (changes, CertificateStatusChange.objects.filter(certificate__person=person)
                     .values_list("id", "certificate_id", "status", "effective_date"))):
                if rows:
                    duck.executemany(f"INSERT INTO {name} VALUES (?, ?, ?, ?)", list(rows))
            where = rules.certificate_held_sql(_literal(start, "duckdb"), end and _literal(end, "duckdb"))
            on_duckdb = {row[0] for row in duck.execute(f"SELECT c.id FROM {table} c WHERE {where}").fetchall()}
            assert one == on_database == on_duckdb, (start, end, specs)
            # and certified_q is that rule for the person (alive)
            assert Person.objects.filter(certified_q(start, end), pk=person.pk).exists() == bool(one)
            raise _Undo
    except _Undo:
        pass


@pytest.mark.django_db
def test_a_frozen_certificate_is_held_by_the_registry_a_cancelled_one_is_not():
    person = create_person(issue_date=D(2020, 3, 1), birth_date=D(1980, 1, 1))
    certificate = Certificate.objects.get(person=person)
    CertificateStatusChange.objects.create(certificate=certificate, status=CertificateStatus.FROZEN,
                                           reason="moved_away", effective_date=D(2023, 1, 1))
    assert _held(person, D(2023, 6, 1))  # frozen: still certified
    CertificateStatusChange.objects.create(certificate=certificate, status=CertificateStatus.CANCELLED,
                                           reason="moved_away", effective_date=D(2023, 7, 1))
    assert _held(person, D(2023, 7, 1)) and not _held(person, D(2023, 7, 2))
