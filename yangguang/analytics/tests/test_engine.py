"""The catalogue on the hand-built world (conftest.py), the snapshot's de-identification,
the JSON of ``indicators compute``, and the status rule."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal as D

import pyarrow.parquet as pq
import pytest
from django.core.management import call_command

from yangguang.analytics import engine, snapshot
from yangguang.analytics.models import IndicatorResult
from yangguang.analytics.status import status
from yangguang.analytics.tests.conftest import AS_OF
from yangguang.core.crypto import decrypt_id
from yangguang.registry.models import Person
from yangguang.survey.models import AnnualSurvey


def _by(rows, key, region):
    return next(r for r in rows if r.indicator.catalogue_key == key and r.region_code == region)


@pytest.mark.django_db
def test_catalogue_by_hand(world, tmp_path):
    snapshot.write(AS_OF, tmp_path)
    rows = engine.compute(world, AS_OF, tmp_path)
    # 五台县: pension P1, P4 of P1, P2, P4 (P3 a pupil, P5 dead) = 2/3
    county = {r.indicator.catalogue_key: r for r in rows if r.region_code == "140922"}
    assert (
        county["pension_insurance_rate"].numerator,
        county["pension_insurance_rate"].denominator,
        county["pension_insurance_rate"].value,
    ) == (2, 3, D("66.67"))
    assert (county["medical_insurance_rate"].numerator, county["medical_insurance_rate"].denominator) == (3, 4)
    assert county["medical_insurance_rate"].value == D("75.00")
    assert (county["compulsory_education_rate"].numerator, county["compulsory_education_rate"].denominator) == (1, 1)
    assert (county["rehab_coverage"].numerator, county["rehab_coverage"].denominator) == (1, 2)
    assert (county["device_fitting_rate"].numerator, county["device_fitting_rate"].denominator) == (1, 2)
    assert county["vocational_training"].value == 2  # P1 in 2022, P4 in 2024
    # townships: 台城镇 pension 1/2, 耿镇镇 1/1; a township without persons has no data
    assert _by(rows, "pension_insurance_rate", "140922100000").value == D("50.00")
    assert _by(rows, "pension_insurance_rate", "140922102000").value == D("100.00")
    empty = _by(rows, "pension_insurance_rate", "140922103000")
    assert (empty.value, empty.status) == (None, "no_data")
    # statuses: pension >90 expected, during the period: at risk; training 200 cumulative: 2 is behind
    assert county["pension_insurance_rate"].status == "at_risk"
    assert _by(rows, "pension_insurance_rate", "140922102000").status == "achieved"
    assert county["vocational_training"].status == "at_risk"
    # dibao without households (test_catalogue.py has them): nobody in the denominator, no data, never 0
    dibao = _by(rows, "dibao_coverage", "140922")
    assert (dibao.value, dibao.status) == (None, "no_data")


@pytest.mark.django_db
def test_snapshot_has_no_names_or_ids(world, tmp_path):
    snapshot.write(AS_OF, tmp_path)
    first = pq.read_table(tmp_path / "persons.parquet")
    assert first.num_rows == 4  # the dead person is not there
    secrets = set()
    for person in Person.objects.all():
        secrets |= {
            person.name,
            decrypt_id(person.id_number_encrypted),
            person.id_number_masked,
            person.id_number_hash,
            person.birth_date.isoformat(),
        }
    for name in ("persons", "surveys"):
        table = pq.read_table(tmp_path / f"{name}.parquet")
        assert not {"name", "id_number", "birth_date", "person_id", "id"} & set(table.column_names)
        for column in table.columns:
            values = {str(v) for v in column.to_pylist()}
            assert not values & secrets, (name, column)
    # the key is no database id: a random 63-bit number drawn for this snapshot
    assert str(first.schema.field("person_key").type) == "int64"
    assert not {p.pk for p in Person.objects.all()} & set(first["person_key"].to_pylist())
    again = tmp_path / "again"
    snapshot.write(AS_OF, again)
    # a per-snapshot key: two snapshots share no key
    assert not set(first["person_key"].to_pylist()) & set(
        pq.read_table(again / "persons.parquet")["person_key"].to_pylist()
    )


@pytest.mark.django_db
def test_compute_json_and_stored(world):
    out = io.StringIO()
    call_command("indicators", "compute", "--plan", "wutai", "--as-of", "2024-06-30", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert (data["plan"], data["as_of"]) == ("wutai", "2024-06-30")
    row = next(r for r in data["results"] if r["row"] == 6 and r["region"] == "140922")
    assert row == {
        "row": 6,
        "indicator": "pension_insurance_rate",
        "region": "140922",
        "value": 66.67,
        "numerator": 2,
        "denominator": 3,
        "target": {"op": ">", "value": 90, "text": ">90"},
        "status": "at_risk",
    }
    townships = {r["region"] for r in data["results"] if len(r["region"]) == 12}
    assert "140922102000" in townships
    assert IndicatorResult.objects.filter(indicator__plan__key="wutai", as_of=AS_OF).count() == len(data["results"])


def _s(value, op, target, accumulation="point", as_of=dt.date(2023, 6, 30), compared=None):
    return status(
        value=None if value is None else D(value),
        op=op,
        target=None if target is None else D(target),
        accumulation=accumulation,
        as_of=as_of,
        start_year=2021,
        end_year=2025,
        compared_with=None if compared is None else D(compared),
    )


def test_status_rules():
    end = dt.date(2025, 12, 31)
    assert _s(None, "≥", "97") == "no_data"
    assert _s("97", "≥", "97") == "achieved"
    assert _s("97", ">", "97") == "at_risk"
    assert _s("97", ">", "97", as_of=end) == "not_achieved"
    assert _s("90", "=", "90") == "achieved"
    # a bare printed target (临夏 row 8: 「97」) is a level to reach, not an exact value
    assert _s("100", "=", "97") == "achieved"
    assert _s("96", "=", "97") == "at_risk"
    assert _s("96", "=", "97", as_of=end) == "not_achieved"
    assert _s("4", "<", "5") == "achieved"
    assert _s("5", "≤", "5") == "achieved"
    assert _s("6", "≤", "5", as_of=end) == "not_achieved"
    # cumulative: 200 over 2021–2025, on 2023-06-30 about half is due
    assert _s("100", "≥", "200", "cumulative") == "on_track"
    assert _s("80", "≥", "200", "cumulative") == "at_risk"
    assert _s("100", "≥", "200", "cumulative", as_of=end) == "not_achieved"
    assert _s("100", "=", "200", "cumulative") == "on_track"
    # relative: compared with the value entered for the region
    assert _s("6.5", "relative", None, compared="6.0") == "achieved"
    assert _s("5.5", "relative", None, compared="6.0") == "at_risk"
    assert _s("5.5", "relative", None) == "no_data"
    assert _s("5", "text", None) == "no_data"


@pytest.mark.django_db
def test_count_is_zero_where_surveyed_and_nobody_counted(world, tmp_path):
    # 耿镇镇: P4 surveyed in 2024 without training now → counted 0 of 1 surveyed: 0, not no data;
    # 台城镇: P1 trained in 2022 → 1; 五台县 1; a township with no survey at all: no data
    AnnualSurvey.objects.filter(person__name="赵六", year=2024).update(vocational_training=False)
    snapshot.write(AS_OF, tmp_path)
    rows = engine.compute(world, AS_OF, tmp_path)
    gengzhen = _by(rows, "vocational_training", "140922102000")
    assert (gengzhen.value, gengzhen.numerator, gengzhen.denominator, gengzhen.status) == (0, 0, None, "at_risk")
    assert _by(rows, "vocational_training", "140922100000").value == 1
    assert _by(rows, "vocational_training", "140922").value == 1
    empty = _by(rows, "vocational_training", "140922103000")
    assert (empty.value, empty.numerator, empty.status) == (None, None, "no_data")
