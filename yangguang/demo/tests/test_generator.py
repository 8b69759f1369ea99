"""The demo data generator and loader."""

from __future__ import annotations

import collections
import datetime as dt
import io
import json
import random

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Count

from yangguang.accounts.permissions import Capability
from yangguang.accounts.selectors import can
from yangguang.audit.models import AuditEvent
from yangguang.demo import generator as g
from yangguang.demo import services as demo
from yangguang.regions import catalog
from yangguang.registry import importing, rules, validation, vocabulary
from yangguang.registry.models import (
    Certificate,
    CertificateStatus,
    CertificateStatusChange,
    Household,
    HouseholdStatus,
    Person,
)


@pytest.fixture(scope="module")
def sample() -> g.DemoData:
    """About 9,000 persons: enough for the shares to settle."""
    return g.DemoGenerator(11, scale=0.03).generate()


def _village(prefix: str) -> str:
    return next(e.code for e in catalog.rows()
                if e.level == 5 and e.code.startswith(prefix) and e.valid_until is None)


def _keyed(row: dict) -> dict:
    return {vocabulary.HEADER_TO_KEY[h]: v for h, v in row.items()}


# ---------------------------------------------------------------------------
# Determinism


def test_same_seed_gives_the_same_data():
    first = g.DemoGenerator(5, scale=0.004).generate()
    second = g.DemoGenerator(5, scale=0.004).generate()
    assert first.rows == second.rows
    assert first.events == second.events
    assert len(first.rows) == sum(first.plan.values())


def test_different_seed_gives_different_data():
    first = g.DemoGenerator(5, scale=0.002).generate()
    other = g.DemoGenerator(6, scale=0.002).generate()
    assert len(first.rows) == len(other.rows)
    ids = {r[g.ID_NUMBER] for r in first.rows}
    assert len(ids & {r[g.ID_NUMBER] for r in other.rows}) < len(ids) // 10


def test_count_and_plan():
    assert len(list(g.iter_rows(1234, seed=1))) == 1234
    plan = g.apportion(1000)
    assert sum(plan.values()) == 1000
    assert plan["qinghai"] > plan["linxia"] > plan["qingzhou"] > plan["beilin"] > plan["wutai"]
    full = g.plan_for_scale(1.0)
    assert full["qinghai"] == 180_000 and full["linxia"] == 83_000
    assert sum(full.values()) > 300_000


def test_jurisdiction_data_documents_its_sources():
    for spec in g.jurisdictions():
        assert spec["source"]
        assert spec["certified_persons"] > 0
        assert catalog.lookup(spec["code"]) is not None
        for prefix, mix in spec["ethnicity"].items():
            assert spec["code"].startswith(prefix) or prefix.startswith(
                catalog.lookup(spec["code"]).short_code)
            assert all(name in validation.ethnicities().values() for name in mix)
    estimated = [s["key"] for s in g.jurisdictions() if "ESTIMATE" in s["source"]]
    assert sorted(estimated) == ["beilin", "qingzhou", "wutai"]


def test_headers_are_the_import_template():
    assert tuple(c.header for c in importing.COLUMNS) == g.HEADERS
    assert dict(g.FIELDS) == {c.key: c.header for c in importing.COLUMNS}


# ---------------------------------------------------------------------------
# Validity of every row


def test_every_row_is_valid_and_consistent(sample):
    retired_birthplaces = legacy = reissued = multiple = 0
    for row in sample.rows:
        assert list(row) == list(g.HEADERS)
        data = rules.parse_row(_keyed(row))  # raises on any problem
        id_number = validation.parse_id_number(row[g.ID_NUMBER])
        assert id_number.normalized == data.id_number.normalized
        assert id_number.birth_date == row[g.BIRTH_DATE] == data.birth_date
        assert id_number.sex == validation.check_sex(row[g.SEX], id_number)
        assert row[g.SEX] == ("男" if int(id_number.normalized[16]) % 2 else "女")
        cert = row[g.CERTIFICATE_NUMBER]
        assert cert[:18] == id_number.normalized
        assert cert[18:20] == row[g.CATEGORY] + row[g.LEVEL]
        assert data.certificate.reissue_count == (int(cert[21:]) if len(cert) > 20 else 0)
        assert row[g.BIRTH_DATE] < row[g.ISSUE_DATE] <= sample.as_of
        if row[g.CATEGORY] == "7":
            multiple += 1
            components = data.certificate.components
            assert 2 <= len(components) <= 3
            assert min(c["level"] for c in components) == int(row[g.LEVEL])
        else:
            assert row[g.COMPONENTS] == ""
        if row[g.RELATION]:
            assert row[g.HOUSEHOLD_NUMBER]
        retired_birthplaces += catalog.lookup(id_number.birthplace_code).valid_until is not None
        legacy += len(row[g.ID_NUMBER]) == 15
        reissued += len(cert) > 20
    n = len(sample.rows)
    assert multiple > n * 0.03
    assert 0 < legacy < n * 0.03
    assert 0 < reissued < n * 0.05
    assert retired_birthplaces > 0  # e.g. 乐都县 632123 for those born before 2013


def test_ids_are_unique(sample):
    ids = [r[g.CERTIFICATE_NUMBER][:18] for r in sample.rows]
    assert len(set(ids)) == len(ids)


def test_make_id_number():
    rng = random.Random(3)
    for i in range(300):
        birth = dt.date(1930, 1, 1) + dt.timedelta(days=rng.randrange(30000))
        sex = 1 + i % 2
        number = g.make_id_number(rng, "622901", birth, sex)
        parsed = validation.parse_id_number(number)
        assert (parsed.birth_date, parsed.sex, parsed.birthplace_code) == (birth, sex, "622901")
    assert g.make_id_number(rng, "110105", dt.date(1949, 12, 31), "女")[:14] == "11010519491231"
    assert g.check_char("11010519491231002") == "X"


# ---------------------------------------------------------------------------
# Distributions


def test_category_level_age_and_sex_shares(sample):
    rows = sample.rows
    n = len(rows)
    categories = collections.Counter(int(r[g.CATEGORY]) for r in rows)
    for category, share in g.expected_category_shares().items():
        assert abs(categories[category] / n - share) < 0.025, category
    physical = [int(r[g.LEVEL]) for r in rows if r[g.CATEGORY] == "4"]
    levels = collections.Counter(physical)
    for level, share in g.expected_level_shares(4).items():
        assert abs(levels[level] / len(physical) - share) < 0.03, level
    bands = g.load_config()["distributions"]["age_bands"]
    elderly_expected = sum(s for s, b in zip(g.expected_age_band_shares(), bands, strict=True)
                           if b["from"] >= 60)
    elderly = sum((sample.as_of - r[g.BIRTH_DATE]).days >= 60 * 365.25 for r in rows) / n
    assert 0.35 < elderly_expected < 0.55
    assert abs(elderly - elderly_expected) < 0.05
    children = [r for r in rows if (sample.as_of - r[g.BIRTH_DATE]).days < 18 * 365.25]
    child_categories = collections.Counter(r[g.CATEGORY] for r in children)
    assert child_categories["5"] / len(children) > categories[5] / n  # intellectual
    male = sum(r[g.SEX] == "男" for r in rows) / n
    assert abs(male - g.load_config()["distributions"]["male_share"]) < 0.03


def test_ethnic_mix_follows_the_jurisdiction(sample):
    def mix(prefix: str) -> collections.Counter:
        return collections.Counter(r[g.ETHNICITY] for r in sample.rows
                                   if r[g.HUKOU_REGION].startswith(prefix))

    linxia, qinghai, dongxiang = mix("6229"), mix("63"), mix("622926")
    assert linxia["回族"] / linxia.total() > 0.2 and linxia["东乡族"] / linxia.total() > 0.1
    assert dongxiang.most_common(1)[0][0] == "东乡族"
    assert qinghai["藏族"] / qinghai.total() > 0.15
    assert {"土族", "撒拉族"} <= set(qinghai)
    wutai = mix("140922")
    assert wutai["汉族"] / wutai.total() > 0.95
    tibetan_names = [r[g.NAME] for r in sample.rows if r[g.ETHNICITY] == "藏族"]
    assert any(name[:2] in ("扎西", "才让", "索南") for name in tibetan_names)


def test_households_with_several_disabled_members(sample):
    members = collections.defaultdict(list)
    for row in sample.rows:
        if row[g.HOUSEHOLD_NUMBER]:
            members[row[g.HOUSEHOLD_NUMBER]].append(row)
    multi = [m for m in members.values() if len(m) > 1]
    assert len(multi) > 100
    assert {len(m) for m in multi} == {2, 3}
    for household in members.values():
        assert sum(r[g.RELATION] == "户主" for r in household) <= 1
        assert len({r[g.HUKOU_REGION] for r in household}) == 1
    for household in multi:
        assert sum(r[g.RELATION] == "户主" for r in household) == 1
    relations = collections.Counter(r[g.RELATION] for m in multi for r in m)
    assert relations["配偶"] and relations["子女"]


def test_events(sample):
    rows = {r[g.CERTIFICATE_NUMBER][:18]: r for r in sample.rows}
    events = sample.events
    n = len(sample.rows)
    assert n * 0.01 < len(events.deaths) < n * 0.08
    assert events.cancellations and events.freezes
    for death in events.deaths:
        row = rows[death.id_number]
        assert row[g.ISSUE_DATE] < death.date <= sample.as_of
    for event in [*events.cancellations, *events.freezes]:
        assert event.reason in ("moved_away", "no_longer_eligible", "voluntary")
        assert rows[event.id_number][g.ISSUE_DATE] < event.date <= sample.as_of
    numbers = {r[g.HOUSEHOLD_NUMBER] for r in sample.rows}
    statuses = collections.Counter(e.status for e in events.household_statuses)
    assert {"dibao", "tekun", "poverty_exited", "monitored"} <= set(statuses)
    for period in events.household_statuses:
        assert period.household_number in numbers
        assert period.start_date <= sample.as_of
        assert period.end_date is None or period.end_date >= period.start_date
    # Certificates issued more than ten years before the reference date (not renewed).
    old = sum(r[g.ISSUE_DATE] < validation.add_years(sample.as_of, -10) for r in sample.rows)
    assert 0.02 * n < old < 0.1 * n


# ---------------------------------------------------------------------------
# The test factory


def test_person_row_is_valid_and_takes_overrides():
    row = g.person_row()
    rules.parse_row(_keyed(row))
    assert g.person_row()[g.ID_NUMBER] != row[g.ID_NUMBER]

    multiple = g.person_row(category=7)
    data = rules.parse_row(_keyed(multiple))
    assert data.certificate.category == 7 and len(data.certificate.components) >= 2

    listed = g.person_row(components="视力二级；肢体三级")
    data = rules.parse_row(_keyed(listed))
    assert (data.certificate.category, data.certificate.level) == (7, 2)

    woman = g.person_row(**{"性别": "女", "birth_date": dt.date(1950, 2, 3), "残疾等级": "1",
                             "category": "肢体"})
    data = rules.parse_row(_keyed(woman))
    assert (data.sex, data.birth_date) == (2, dt.date(1950, 2, 3))
    # Category 4, level 1, then any reissue suffix the generator drew (B1, B2 …).
    assert woman[g.CERTIFICATE_NUMBER][18:20] == "41"

    village = _village("140922")
    given = g.person_row(id_number="11010519491231002X", hukou_region=village)
    data = rules.parse_row(_keyed(given))
    assert given[g.CERTIFICATE_NUMBER].startswith("11010519491231002X")
    assert data.birth_date == dt.date(1949, 12, 31) and data.hukou_region == village

    legacy = g.person_row(legacy_id=True, birth_date=dt.date(1960, 5, 6), reissue_count=1)
    assert len(legacy[g.ID_NUMBER]) == 15 and legacy[g.CERTIFICATE_NUMBER].endswith("B1")
    rules.parse_row(_keyed(legacy))

    planted = g.person_row(name="", certificate_number="123")
    with pytest.raises(validation.ValidationFailed) as failed:
        rules.parse_row(_keyed(planted))
    assert {p.code for p in failed.value.problems} == {"required", "cert_format"}

    with pytest.raises(TypeError):
        g.person_row(favourite_colour="red")


@pytest.mark.parametrize("issued", [dt.date(2006, 3, 1), g.reference_date() - dt.timedelta(days=30)])
def test_person_row_draws_a_birth_date_before_a_given_issue_date(issued):
    """An overridden issue date bounds the birth date the generator draws (the issue
    at least the configured minimum age after birth), whatever the age band drawn:
    young categories and old issue dates included."""
    for seed in range(300):
        row = g.person_row(random.Random(seed), issue_date=issued)
        assert row[g.ISSUE_DATE] == issued
        assert row[g.BIRTH_DATE] <= issued - dt.timedelta(days=180), (seed, row[g.BIRTH_DATE])
        rules.parse_row(_keyed(row))


def test_person_row_with_rng_is_reproducible():
    assert g.person_row(random.Random(9)) == g.person_row(random.Random(9))


@pytest.mark.django_db
def test_create_person():
    village = _village("622926")
    person = g.create_person(category=2, level=3, hukou_region=village)
    assert Person.objects.filter(pk=person.pk).exists()
    certificate = person.certificates.get()
    assert (certificate.category, certificate.level) == (2, 3)
    assert certificate.number()[:18].startswith(person.id_number_masked[:4])
    assert person.hukou_region_id == village


# ---------------------------------------------------------------------------
# Files


@pytest.mark.django_db
@pytest.mark.parametrize("name,encoding", [("rows.csv", None), ("rows.csv", "gb18030"),
                                           ("rows.xlsx", None)])
def test_write_rows_round_trip(tmp_path, actor, name, encoding):
    rows = list(g.iter_rows(60, seed=4))
    path = tmp_path / name
    assert g.write_rows(rows, path, encoding=encoding) == 60
    if encoding:
        path.read_bytes().decode(encoding)
    elif name.endswith(".csv"):
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    result = importing.import_file(path, actor=actor, dry_run=True)
    assert (result.rows, result.created, result.rejected) == (60, 60, 0), result.errors[:3]


# ---------------------------------------------------------------------------
# Loading


def _state() -> dict:
    return {
        "persons": Person.objects.count(),
        "deceased": Person.objects.filter(deceased_date__isnull=False).count(),
        "certificates": sorted(Certificate.objects.values_list("id", "status")),
        "history": CertificateStatusChange.objects.count(),
        "households": Household.objects.count(),
        "statuses": HouseholdStatus.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


@pytest.mark.django_db
def test_load_demo_creates_everything_and_is_idempotent(tmp_var, actor):
    summary = demo.load_demo(scale=0.005, seed=3, actor=actor)
    assert summary.imported.rejected == 0, summary.imported.errors[:3]
    assert Person.objects.count() == summary.total == summary.imported.created
    assert summary.deaths.applied > 0
    assert Person.objects.filter(deceased_date__isnull=False).count() == summary.deaths.applied
    statuses = collections.Counter(Certificate.objects.values_list("status", flat=True))
    assert statuses[CertificateStatus.VALID] > summary.total * 0.8
    assert statuses[CertificateStatus.EXPIRED] > 0
    assert statuses[CertificateStatus.FROZEN] == summary.freezes.applied > 0
    assert (statuses[CertificateStatus.CANCELLED]
            == summary.deaths.applied + summary.cancellations.applied)
    assert summary.cancellations.applied > 0
    assert CertificateStatusChange.objects.filter(reason="moved_away",
                                                  status="cancelled").exists()
    assert Household.objects.annotate(n=Count("members")).filter(n__gte=2).count() > 5
    assert HouseholdStatus.objects.filter(status="dibao").exists()
    elderly = Person.objects.filter(birth_date__lte=dt.date(1966, 6, 30)).count()
    assert elderly > summary.total * 0.3
    # Surveys 2021–2025 of most persons certified in each year, each within the rules.
    from yangguang.survey import rules as survey_rules
    from yangguang.survey.models import AnnualSurvey

    by_year = collections.Counter(AnnualSurvey.objects.values_list("year", flat=True))
    assert sorted(by_year) == [2021, 2022, 2023, 2024, 2025]
    assert summary.surveys == sum(by_year.values())
    for year, count in by_year.items():
        certified = Person.objects.filter(survey_rules.certified_q(year)).count()
        assert 0.75 * certified < count <= certified, year
    assert AnnualSurvey.objects.filter(reached=False, not_reached_reason="deceased").exists()
    assert AnnualSurvey.objects.filter(employment_form="flexible").exists()

    accounts = {a.username: a for a in summary.accounts}
    assert set(accounts) == {"admin", "auditor", "wutai_reviewer", "wutai_civil_affairs",
                             "qinghai_analyst", "linxia_monitor",
                             "qinghai", "linxia", "wutai", "beilin", "qingzhou"}
    assert accounts["linxia"].role == "registrar"
    assert accounts["linxia"].regions == (("622900", "临夏回族自治州"),)
    user_model = get_user_model()
    admin = user_model.objects.get(username="admin")
    assert not admin.is_superuser  # 三权分立: the administrator manages accounts only
    assert can(admin, Capability.MANAGE_USERS) and not can(admin, Capability.VIEW_PERSON)
    assert can(user_model.objects.get(username="linxia"), Capability.EDIT_PERSON, "622900000000")
    assert not can(user_model.objects.get(username="linxia"), Capability.VIEW_PERSON, "630000000000")
    assert can(user_model.objects.get(username="auditor"), Capability.VIEW_AUDIT, "370781000000")
    assert user_model.objects.get(username="wutai").check_password(accounts["wutai"].password)
    stored = json.loads((tmp_var / "demo-accounts.json").read_text("utf-8"))
    assert {a["username"]: a["password"] for a in stored["accounts"]} == {
        u: a.password for u, a in accounts.items()}

    before = _state()
    again = demo.load_demo(scale=0.005, seed=3, actor=actor)
    assert not again.changed
    assert again.already_present == summary.total
    assert again.surveys == 0
    assert _state() == before
    assert [a.password for a in again.accounts] == [a.password for a in summary.accounts]


@pytest.mark.django_db
def test_lost_accounts_file_gets_new_passwords(tmp_var):
    first = {a.username: a.password for a in demo.ensure_demo_accounts()}
    (tmp_var / "demo-accounts.json").unlink()
    second = {a.username: a.password for a in demo.ensure_demo_accounts()}
    assert first.keys() == second.keys() and first != second
    assert get_user_model().objects.get(username="admin").check_password(second["admin"])


@pytest.mark.django_db
def test_command(tmp_var):
    out = io.StringIO()
    call_command("demo", scale=0.001, seed=2, stdout=out, stderr=io.StringIO())
    text = out.getvalue()
    assert "演示账号" in text and "admin" in text and "青海省" in text
    assert Person.objects.exists()
    out = io.StringIO()
    call_command("demo", if_empty=True, stdout=out)
    assert "未生成演示数据" in out.getvalue() and "qingzhou" in out.getvalue()
