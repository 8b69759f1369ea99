"""Loading plan files: idempotent, checked before anything is written, with errors that
name the file and the field."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from yangguang.audit.models import AuditEvent
from yangguang.plans import files, services, values
from yangguang.plans.models import Plan, PlanIndicator, PlanTask, TaskUnit

pytestmark = pytest.mark.django_db

WUTAI = files.PLANS_DIR / "wutai.toml"


def counts() -> tuple[int, int, int, int]:
    return (Plan.objects.count(), PlanIndicator.objects.count(), PlanTask.objects.count(),
            TaskUnit.objects.count())


def test_loading_twice_writes_nothing_the_second_time(plans):
    before, events = counts(), AuditEvent.objects.filter(object_type="plan").count()

    result = services.load_plans()

    assert result.unchanged == sorted(plans) and not result.created and not result.updated
    assert counts() == before
    assert AuditEvent.objects.filter(object_type="plan").count() == events == 5


def test_a_changed_file_updates_its_plan_in_place(plans, tmp_path):
    task_ids = list(plans["wutai"].tasks.order_by("position").values_list("pk", flat=True))
    changed = tmp_path / "wutai.toml"
    changed.write_text(WUTAI.read_text(encoding="utf-8").replace('target = "200"', 'target = "250"'),
                       encoding="utf-8")

    result = services.load_plans([changed])

    assert result.updated == ["wutai"]
    row = PlanIndicator.objects.get(plan__key="wutai", row=2)
    assert (row.target_text, row.target_value) == ("250", Decimal(250))
    assert list(plans["wutai"].tasks.order_by("position").values_list("pk", flat=True)) == task_ids
    event = AuditEvent.objects.filter(object_type="plan", action="update").get()
    assert event.data["key"] == "wutai"


def bad_copy(tmp_path: Path, old: str, new: str) -> Path:
    text = WUTAI.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "wutai.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(("old", "new", "expected"), [
    ('target = "与全县地区生产总值增长同步"\n', 'target = "与全县地区生产总值增长同步"\n# no op\n',
     None),  # unchanged semantics: still valid (target_op given below it)
    ('target_op = "relative"', 'target_op = "≥"', "wutai.toml：indicators[1].target_value：运算符 ≥ 需要数值"),
    ('target = ">90"', 'target = "九十"',
     "wutai.toml：indicators[6].target：无法从「九十」读出运算符和数值"),
    ('catalogue = "dibao_coverage"', 'catalogue = "dibao"',
     "wutai.toml：indicators[3].catalogue：「dibao」不在指标目录中"),
    ('kind = "binding"', 'kind = "must"', "wutai.toml：indicators[3].kind：应为以下之一"),
    ('region = "140922"', 'region = "149999"', "wutai.toml：region：区划代码 149999 不存在"),
    ('row = 2\n', 'row = 1\n', "wutai.toml：indicators[2].row：序号 1 重复"),
    ('level = "section"', 'level = "subtask"', "wutai.toml：tasks[1].level：子任务前面没有上一层级"),
    ('accumulation = "point"', 'accumulation = "point"\ncolour = "red"',
     "wutai.toml：indicators[1].colour：不认识的字段"),
    ('title_en = "Wutai County 14th Five-Year Plan for the Protection and Development of Persons with '
     'Disabilities"\n', "", "wutai.toml：title_en：不能为空"),
    ('jurisdiction_en = "Wutai County, Xinzhou, Shanxi"', 'jurisdiction_en = ""',
     "wutai.toml：jurisdiction_en：不能为空"),
    ('issuer_en = "People\'s Government of Wutai County"\n', "", "wutai.toml：issuer_en：不能为空"),
    ('unit = "人"', 'unit = "名"', "wutai.toml：indicators[2].unit：单位「名」不在 units.toml 中"),
])
def test_a_bad_file_is_refused_naming_file_and_field_and_nothing_is_written(db, tmp_path, old, new, expected):
    path = bad_copy(tmp_path, old, new)
    if expected is None:
        services.load_plans([path])
        return
    with pytest.raises(files.PlanFileError) as raised:
        services.load_plans([path, files.PLANS_DIR / "linxia.toml"])

    assert any(problem.startswith(expected) for problem in raised.value.problems), raised.value.problems
    assert counts() == (0, 0, 0, 0)
    assert not AuditEvent.objects.filter(object_type="plan").exists()


def test_a_status_needs_its_english_name(db, tmp_path):
    path = bad_copy(tmp_path, 'status = ""', 'status = "征求意见稿"')

    with pytest.raises(files.PlanFileError) as raised:
        files.read_file(path)

    assert raised.value.problems == ["wutai.toml：status_en：不能为空"]


def test_every_catalogue_entry_and_unit_has_an_english_name():
    assert all(entry.name_zh and entry.name_en for entry in files.catalogue().values())
    assert files.units()["户"] == "households" and "%" in files.units()


def test_a_given_value_must_agree_with_the_printed_text(db, tmp_path):
    path = bad_copy(tmp_path, 'target = "120"', 'target = "120"\ntarget_value = 12')

    with pytest.raises(files.PlanFileError) as raised:
        files.read_file(path)

    assert raised.value.problems == ["wutai.toml：indicators[11].target_value：与原文「120」的数值 120 不一致"]


def test_the_command_loads_and_reports_problems_as_an_error(db, tmp_path, capsys):
    call_command("plans", "load")
    assert "新增 5" in capsys.readouterr().out
    call_command("plans", "check")
    assert "规划文件无误：5" in capsys.readouterr().out

    with pytest.raises(CommandError, match="wutai.toml：region"):
        call_command("plans", "load", str(bad_copy(tmp_path, 'region = "140922"', 'region = "1"')))


@pytest.mark.parametrize(("text", "expected"), [
    ("＞80", (">", Decimal(80))), (">0.9万", (">", Decimal(9000))), ("≥97", ("≥", Decimal(97))),
    ("0.75万", ("=", Decimal(7500))), ("100", ("=", Decimal(100))), ("——", ("", None)),
    ("≤ 5%", ("≤", Decimal(5))),
])
def test_printed_values_are_read(text, expected):
    assert values.read(text) == expected


@pytest.mark.parametrize("text", ["与全县地区生产总值增长同步", "达到 90%以上", "约90", "80-85"])
def test_words_are_not_guessed(text):
    with pytest.raises(values.Unreadable):
        values.read(text)
