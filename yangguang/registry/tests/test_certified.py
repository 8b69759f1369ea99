"""Who is certified: one rule (``rules.certified_q``) for a day (the indicator snapshot)
and for a year (the survey), worked out by hand at its edges."""

from __future__ import annotations

import datetime as dt

import pytest

from yangguang.demo.generator import create_person
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
