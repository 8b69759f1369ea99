"""The probabilistic pass gives the same results on DuckDB and on Spark (local mode,
the session shared with analytics' Spark test in a test process: ``core.spark``):
the same list, with typos, homophones, variant characters, swapped or mistyped birth
dates, missing and invalid ID numbers, namesakes and a pair of twins, matched by
``matching run --engine duckdb`` and ``--engine spark`` gives each row the same
person, match type, weight and comparison levels (Spark needs Java 17: .ci/run
installs it)."""

from __future__ import annotations

import csv
import datetime as dt
import random
import sys

import pytest
from django.core.management import call_command
from django.test import Client

from yangguang.accounts import services as accounts
from yangguang.jobs.models import Job
from yangguang.matching.models import Candidate, DepartmentList, MatchRun, MatchType
from yangguang.matching.tests.conftest import VILLAGE_A, VILLAGE_B, id_of, run_json, write_csv

HEADERS = ["姓名", "公民身份号码", "性别", "出生日期", "户籍地区划代码", "险种"]
SURNAMES = "王李张刘陈杨赵周吴"
GIVEN = "伟芳丽军明华红强静哲峰坤清宁升"
#: A character → one that sounds the same (toneless pinyin), or nearly (明 ming → 敏 min).
SOUND_ALIKE = {
    "伟": "玮",
    "芳": "方",
    "丽": "莉",
    "军": "君",
    "明": "敏",
    "华": "花",
    "红": "洪",
    "强": "墙",
    "静": "婧",
    "王": "汪",
    "李": "里",
    "张": "章",
    "刘": "留",
    "陈": "晨",
}
#: A standard character → its variant (data/variants.csv).
VARIANT = {
    "哲": "喆",
    "峰": "峯",
    "坤": "堃",
    "清": "淸",
    "宁": "甯",
    "升": "昇",
    "华": "華",
    "张": "張",
    "陈": "陳",
    "刘": "劉",
}


def _sound_alike(name: str) -> str:
    for i, ch in enumerate(name):
        if ch in SOUND_ALIKE:
            return name[:i] + SOUND_ALIKE[ch] + name[i + 1 :]
    return name + "明"


def _variant(name: str) -> str:
    for i, ch in enumerate(name):
        if ch in VARIANT:
            return name[:i] + VARIANT[ch] + name[i + 1 :]
    return _sound_alike(name)


def _typo(day: dt.date) -> str:
    text = day.isoformat()
    digit = "1" if text[-1] != "1" else "2"
    return text[:-1] + digit


def _rows(person, rng: random.Random) -> list[list[str]]:
    people = []
    for i in range(24):
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        birth = dt.date(1945, 1, 1) + dt.timedelta(days=rng.randrange(25_000))
        if i % 12 == 4:  # month and day can be swapped
            birth = birth.replace(day=birth.month % 12 + 1)
        people.append(
            person(
                姓名=name,
                性别=rng.choice(("男", "女")),
                出生日期=birth.isoformat(),
                户籍地区划代码=VILLAGE_A if i % 3 else VILLAGE_B,
            )
        )
    twin = people[0]
    person(
        姓名=twin.name,
        性别="男" if twin.sex == 1 else "女",
        出生日期=twin.birth_date.isoformat(),
        户籍地区划代码=twin.hukou_region_id,
    )
    sex = {1: "男", 2: "女"}
    rows = []
    for i, p in enumerate(people):
        name, birth, region, number = p.name, p.birth_date.isoformat(), p.hukou_region_id[:6], ""
        gender = sex[p.sex]
        match i % 12:
            case 0:
                pass  # identical, without a number (the twin makes it ambiguous)
            case 1:
                number = id_of(p)  # exact
            case 2:
                name = _sound_alike(name)
            case 3:
                name = _variant(name)
            case 4:
                birth = f"{p.birth_date.year}-{p.birth_date.day:02d}-{p.birth_date.month:02d}"
            case 5:
                birth = _typo(p.birth_date)
            case 6:
                gender, region = "", ""
            case 7:
                number = id_of(p)[:17] + ("0" if id_of(p)[17] != "0" else "1")  # invalid check digit
                name = _sound_alike(name)
            case 8:
                name, birth = _variant(name), _typo(p.birth_date)
            case 9:
                birth = f"{p.birth_date.year}-01-01" if p.birth_date.month > 1 else f"{p.birth_date.year}-12-31"
            case 10:
                name = name + "明"  # a longer name: pinyin close, not equal
            case 11:
                region = "610103" if region != "610103" else "140922"
        rows.append([name, number, gender, birth, region, "城乡居民"])
    for i in range(6):  # strangers; half share a registry person's name
        name = people[i].name if i % 2 else rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
        birth = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(20_000))
        rows.append([name, "", rng.choice(("男", "女")), birth.isoformat(), "140922", "职工"])
    rng.shuffle(rows)
    return rows


@pytest.mark.spark
@pytest.mark.django_db
def test_duckdb_and_spark_give_the_same_matches(tmp_path, person):
    file = write_csv(tmp_path / "medical.csv", HEADERS, _rows(person, random.Random(20)))
    found, results = {}, {}
    for engine in ("duckdb", "spark"):
        out = tmp_path / f"{engine}.csv"
        summary = run_json("--kind", "medical-insurance", str(file), "--engine", engine, "--out", str(out))
        run = MatchRun.objects.order_by("-id").first()
        found[engine] = {c.list_row.row: c for c in Candidate.objects.filter(run=run).select_related("list_row")}
        with open(out, encoding="utf-8") as f:
            results[engine] = (summary, list(csv.reader(f)))
    assert results["duckdb"] == results["spark"]
    duck, spark = found["duckdb"], found["spark"]
    assert duck.keys() == spark.keys()
    for row, c in duck.items():
        other = spark[row]
        assert (c.person_id, c.match_type) == (other.person_id, other.match_type), row
        assert (c.weight is None) == (other.weight is None), row
        if c.weight is not None:
            assert abs(c.weight - other.weight) < 1e-9, row
            assert abs(c.probability - other.probability) < 1e-12, row
            assert [(lv["comparison"], lv["label"]) for lv in c.levels] == [
                (lv["comparison"], lv["label"]) for lv in other.levels
            ], row
            for a, b in zip(c.levels, other.levels, strict=True):
                assert abs(a["weight"] - b["weight"]) < 0.011, row
    # The list reaches every outcome and the levels that call the two engines' own
    # similarity functions (Jaro-Winkler on the pinyin, Damerau-Levenshtein on the date).
    assert {c.match_type for c in duck.values()} == set(MatchType.values)
    labels = {lv["label"] for c in duck.values() for lv in c.levels}
    assert {
        "拼音相近",
        "一位数字不同或相邻两位颠倒",
        "月、日颠倒",
        "异体字归一后相同",
        "拼音相同（同音字）",
        "性别缺失",
    } <= labels


@pytest.mark.django_db
@pytest.mark.parametrize("missing", ["java", "pyspark"])
def test_spark_without_java_or_pyspark_is_refused_in_chinese_before_anything_is_kept(
    tmp_path, monkeypatch, capsys, missing
):
    file = write_csv(tmp_path / "medical.csv", HEADERS, [["王伟", "", "男", "1970-01-02", "140922", "职工"]])
    if missing == "java":
        monkeypatch.delenv("JAVA_HOME", raising=False)
        monkeypatch.setenv("PATH", str(tmp_path))  # no java on it
    else:
        monkeypatch.setitem(sys.modules, "pyspark", None)  # as without the spark extra: not importable
    with pytest.raises(SystemExit) as exited:
        call_command("matching", "run", "--kind", "medical-insurance", str(file), "--engine", "spark")
    assert exited.value.code == 2
    expected = {"java": "Spark 引擎需要 Java 17：找不到 java",
                "pyspark": "Spark 引擎需要 PySpark 和 Java 17：pip install"}
    assert expected[missing] in capsys.readouterr().err
    assert not DepartmentList.objects.exists() and not MatchRun.objects.exists()


@pytest.mark.django_db
def test_an_upload_with_the_spark_setting_and_no_java_fails_its_job_in_the_readers_language(
    tmp_path, tmp_var, settings, monkeypatch, actor
):
    settings.YANGGUANG_MATCHING_ENGINE = "spark"
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    user = accounts.create_user("registrar1", "Yg-matching-Tests-2025!", [("registrar", "140922")], actor=actor)
    client = Client()
    client.force_login(user)
    file = write_csv(tmp_path / "medical.csv", HEADERS, [["王伟", "", "男", "1970-01-02", "140922", "职工"]])
    with open(file, "rb") as f:
        response = client.post("/matching/", {"kind": "medical-insurance", "list_date": "2025-04-01", "file": f},
                               follow=True)
    job = Job.objects.get()
    assert response.redirect_chain[-1][0] == f"/jobs/{job.pk}/"
    page = response.content.decode()
    assert "名单没有比对：原因见后台任务。" in page and "Spark 引擎需要 Java 17：找不到 java" in page
    assert not DepartmentList.objects.exists() and not MatchRun.objects.exists()
    uploads = tmp_var / "media" / "matching"
    assert uploads.is_dir() and not list(uploads.iterdir())  # the upload is not kept
