"""One rule, one home: the care-service and child-rehabilitation criteria live in
``registry/data/criteria.toml`` alone; the services' eligibility (``eligibility.decide``)
and the benefit programmes that name them (``benefits.rules.decide``) agree on every
generated person and day, and nothing restates them elsewhere (the drift tests)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.db import transaction
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from yangguang.benefits import policy, rules
from yangguang.benefits.tests.conftest import make_person
from yangguang.benefits.tests.test_agreement import days, made_from, persons
from yangguang.core.errors import ValidationFailed
from yangguang.registry import criteria
from yangguang.registry.models import Person
from yangguang.services import eligibility
from yangguang.services.models import ServiceKind

#: The programmes and the service kind that share each criterion.
SHARED = {"care_service": ("care_service", ServiceKind.CARE_RESIDENTIAL),
          "child_rehabilitation": ("child_rehabilitation", ServiceKind.CHILD_REHABILITATION)}
CRITERION_TESTS = {"age", "disability", "household_status"}


class _Undo(Exception):
    pass


def _compare(on: dt.date) -> None:
    pol = policy.policies()
    for person in Person.objects.order_by("id"):
        for key, (programme, kind) in SHARED.items():
            service = eligibility.decide(person, kind, on)
            every = criteria.for_service(kind, person.hukou_region_id, on)
            criterion = criteria.resolve(key, person.hukou_region_id, on)
            benefit = rules.decide(person, on, [programme], pol)[0]
            if criterion is None:
                assert criterion not in every
                continue
            verdicts = [criteria.evaluate(c, person, on) for c in every]
            verdict = criteria.evaluate(criterion, person, on)
            assert service.eligible is any(v.eligible for v in verdicts)
            if not service.eligible:
                assert service.unmet[every.index(criterion)][1] == verdict.failed
            if benefit.rule is None:  # the programme is not in force (care: from 2021)
                continue
            n = len(criterion.conditions)
            names = list(benefit.rule.conditions)
            assert names[:n] == list(criterion.conditions), (key, names)
            # the benefit's first reasons are the criterion's, word for word
            assert benefit.reasons[:n] == verdict.reasons, (key, on, person.pk)
            if benefit.eligible:
                assert verdict.eligible and service.eligible, (key, on, person.pk)


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(specs=st.lists(persons(), min_size=1, max_size=4),
       on=days(dt.date(2015, 1, 1), dt.date(2026, 11, 30)))
def test_services_and_benefits_decide_the_shared_criteria_alike(specs, on):
    try:
        with transaction.atomic():
            for spec in specs:
                try:
                    made_from(spec)
                except ValidationFailed:
                    assume(False)
            _compare(on)
            raise _Undo
    except _Undo:
        pass


@pytest.mark.django_db
def test_a_qinghai_teenager_in_a_dibao_family_is_eligible_for_both():
    on = dt.date(2025, 6, 1)
    child = make_person(region="630102", category="听力", level="二级", birth=dt.date(2012, 3, 1),
                        issued=dt.date(2020, 1, 1),
                        statuses=(("dibao", dt.date(2019, 1, 1), None),))
    assert eligibility.decide(child, ServiceKind.CHILD_REHABILITATION, on).eligible
    (benefit,) = rules.decide(child, on, ["child_rehabilitation"])
    assert benefit.eligible and benefit.reasons[1].startswith("13周岁")


# ---------------------------------------------------------------------------
# Drift: nothing restates the shared criteria


def test_each_criterion_has_one_home_and_its_users_name_it():
    pol = policy.policies()
    for key, (programme, kind) in SHARED.items():
        assert key in criteria.keys_for_service(kind)
        for code, versions in pol.files[programme].items():
            for version in versions:
                # the programme names the criterion (here or in a jurisdiction above) …
                rule = policy.rule_of(pol, programme, code, version.start)
                assert rule is not None and set(criteria.resolve(key, code, version.start)
                                                 .conditions) <= set(rule.conditions)
                # … and says nothing of its own about age, disability or family status
                own = version.values.get("conditions", {})
                assert not {c.get("test") for c in own.values()} & CRITERION_TESTS, version.file
    # the services' former data file is gone
    assert not (Path(eligibility.__file__).parent / "data" / "eligibility.json").exists()
    assert set(criteria.service_kinds()) <= set(ServiceKind.values)


def test_every_criterion_jurisdiction_is_one_of_the_programme_too():
    """Benefits decide a person under the most specific jurisdiction with a policy file;
    a criterion's jurisdiction without one (a province's own ages) would be read at the
    national level by the benefits and at the province by the services."""
    pol = policy.policies()
    on = dt.date(2025, 1, 1)
    for key, (programme, _kind) in SHARED.items():
        for code in criteria.jurisdictions(key):
            assert code in pol.files[programme], (key, code)
            region = code[:2] + "0102001001" if code != criteria.NATIONAL else "140922100001"
            benefit = policy.resolve(pol, programme, region, on)
            service = criteria.resolve(key, region, on)
            assert benefit is not None and service is not None
            assert {n: c for n, c in benefit.conditions.items() if n in service.conditions} \
                == service.conditions


def test_the_file_is_checked():
    head = '[[criteria]]\nkey = "x"\nfrom = 2020-01-01\nlabel = "x"\nsource = "x"\n'
    with pytest.raises(criteria.CriteriaError, match="缺少全国"):
        criteria.load(head + 'jurisdiction = "630000"\nlabel_en = "x"\n')
    with pytest.raises(criteria.CriteriaError, match="未知的字段"):
        criteria.load(head + 'jurisdiction = "000000"\nlabel_en = "x"\nage = 3\n')
    with pytest.raises(criteria.CriteriaError, match="label_en: 必填"):
        criteria.load(head + 'jurisdiction = "000000"\n')


def test_the_labels_follow_the_language():
    from django.utils import translation

    on = dt.date(2025, 1, 1)
    with translation.override("en"):
        assert criteria.resolve("child_rehabilitation", "630102001001", on).label.startswith(
            "Child rehabilitation aid (Qinghai): disabled children aged 0 to 17")
    with translation.override("zh-hans"):
        assert criteria.resolve("care_service", "140922", on).label.startswith("托养服务")
