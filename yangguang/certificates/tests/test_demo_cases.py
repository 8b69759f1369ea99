"""The demo's certificate cases: opened through the services, at several steps, once."""

from __future__ import annotations

import datetime as dt

import pytest

from yangguang.certificates.models import CertificateCase
from yangguang.certificates.tests.cases_fixtures import certified
from yangguang.demo.cases import load_cases
from yangguang.registry.tests.conftest import VILLAGE_A

pytestmark = pytest.mark.django_db


def test_demo_cases_are_opened_once_at_several_steps(actor):
    for days in (3400, 3500, 3450, 300, 400, 500, 600, 700):
        certified(actor, VILLAGE_A, 发证日期=dt.date.today() - dt.timedelta(days=days))
    opened = load_cases(actor, as_of=dt.date.today())
    assert opened == 5
    states = sorted(CertificateCase.objects.values_list("kind", "state"))
    assert states == sorted([("renewal", "applied"), ("reissue", "accepted"),
                             ("renewal", "issued"), ("reassessment", "reviewing"),
                             ("cancellation", "applied")])
    assert load_cases(actor, as_of=dt.date.today()) == 0
