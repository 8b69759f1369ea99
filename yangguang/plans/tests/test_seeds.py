"""Each plan file against its seed, row by row.

The seed texts are shipped beside the files (``plans/data/sources/``, the documents as
published). The indicator tables of 临夏, 五台 and 青州 and the units of every task of
五台 and 青州 are parsed from the seed here and compared with what was loaded; the
targets 青海 and 碑林 state in their running text are compared with a hand-checked
table quoting the seed.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from yangguang.plans.files import SOURCES_DIR
from yangguang.plans.models import IndicatorKind, Operator, Plan, TaskUnit, UnitRole

pytestmark = pytest.mark.django_db

KIND_PRINTED = {IndicatorKind.BINDING: "约束性", IndicatorKind.EXPECTED: "预期性"}


def seed_lines(plan: Plan) -> list[str]:
    return (SOURCES_DIR / plan.source).read_text(encoding="utf-8").split("\n")


def squeeze(text: str) -> str:
    """The text without whitespace and the extraction's Markdown marks."""
    return re.sub(r"[\s*#]+", "", text)


def table_text(plan: Plan, first: str) -> str:
    """The seed's indicator table, squeezed into one string: from the line holding
    ``first`` to the end of row 11 (its 约束性 or 预期性)."""
    lines = seed_lines(plan)
    start = next(n for n, line in enumerate(lines) if first in squeeze(line))
    return squeeze("".join(lines[start:start + 150]))


# (plan, a text on the table's first line)
TABLES = [("linxia", "专栏1临夏州"), ("wutai", "专栏1五台县"), ("qingzhou", "1.符合条件残疾人纳入最低生活保障比例")]


@pytest.mark.parametrize(("key", "first"), TABLES)
def test_every_indicator_row_is_the_seeds_row(plans, key, first):
    plan = plans[key]
    text = table_text(plan, first)
    # The table ends with row 11's kind: cut after it.
    eleventh = text.index("11.")
    end = min(text.find(label, eleventh) for label in KIND_PRINTED.values() if text.find(label, eleventh) > 0)
    text = text[:end + 3]
    printed_rows = [int(n) for n in re.findall(r"(?<![\d.])(\d{1,2})\.(?=\D)", text)]
    assert printed_rows == list(range(1, 12))

    indicators = list(plan.indicators.order_by("row"))
    assert [i.row for i in indicators] == list(range(1, 12))
    rows = re.split(r"(?<![\d.])(?=(?:[1-9]|1[01])\.\D)", text)[1:]
    assert len(rows) == 11
    for indicator, printed in zip(indicators, rows, strict=True):
        expected = (f"{indicator.number}.{indicator.wording}{indicator.baseline_text}"
                    f"{indicator.target_text}{KIND_PRINTED[indicator.kind]}")
        # A row is the printed row, possibly followed by the next row's category.
        assert printed.startswith(squeeze(expected)), (indicator.row, printed, expected)
        # The row's line number points at its start.
        assert squeeze(seed_lines(plan)[indicator.line - 1]).startswith(f"{indicator.row}.")


def test_the_printed_values_are_read_as_the_plans_mean_them(plans):
    read = {(p.key, i.row): (i.baseline_op, i.baseline_value, i.target_op, i.target_value)
            for p in plans.values() for i in p.indicators.all()}
    none, rel = Operator.NONE, Operator.RELATIVE
    assert read["linxia", 1] == (none, None, rel, None)  # —— / 与国内生产总值增长基本同步
    assert read["linxia", 6] == ("=", Decimal(90), ">", Decimal(90))  # 90 / ＞90
    assert read["linxia", 9] == (">", Decimal(80), ">", Decimal(85))  # ＞80 / ＞85
    assert read["linxia", 11] == (none, None, "=", Decimal(4027))  # —— / 4027
    assert read["wutai", 1] == (none, None, rel, None)  # 与全县地区生产总值增长同步
    assert read["wutai", 8] == (none, None, "≥", Decimal(97))  # ≥97 (no 2020 column)
    assert read["wutai", 6] == (none, None, ">", Decimal(90))
    assert read["qingzhou", 9] == ("=", Decimal(7500), ">", Decimal(9000))  # 0.75万 / >0.9万
    assert read["qingzhou", 10] == ("=", Decimal(24000), ">", Decimal(5000))  # 2.4万 / >0.5万
    assert read["qingzhou", 6] == (">", Decimal(95), ">", Decimal(98))


def test_the_inconsistencies_the_extractions_point_out_are_noted(plans):
    def note(key: str, row: int) -> str:
        return plans[key].indicators.get(row=row).note

    assert "85%以上" in note("linxia", 9) and "85%以上" in note("linxia", 10)
    assert "90" in note("wutai", 9) and "90" in note("wutai", 10)
    assert "每年职业技能培训残疾人达到20名以上" in note("wutai", 2)
    assert "低于基期" in note("qingzhou", 10)
    assert "约束性" in note("qingzhou", 1)
    assert plans["wutai"].baseline_year is None and "没有2020年基期值" in plans["wutai"].note


UNITS = re.compile(r"[（(](?:(?:牵头单位|牵头部门)：([^；）]*)；(?:参与单位|参与部门)：([^）]*)"
                   r"|责任单位：([^）]*))[）)]")


def printed_units(plan: Plan) -> list[dict[str, list[str]]]:
    """Every unit annotation of the seed, in order, as {role: [unit, …]}."""
    found = []
    for match in UNITS.finditer("\n".join(seed_lines(plan))):
        def names(text: str) -> list[str]:
            return [n for n in text.split("、") if n]
        if match[3] is not None:
            found.append({UnitRole.RESPONSIBLE: names(match[3])})
        else:
            found.append({UnitRole.LEAD: names(match[1]), UnitRole.PARTICIPATING: names(match[2])})
    return found


def loaded_units(plan: Plan) -> list[dict[str, list[str]]]:
    result = []
    for task in plan.tasks.order_by("position").prefetch_related("units"):
        units: dict[str, list[str]] = {}
        for unit in sorted(task.units.all(), key=lambda u: u.position):
            units.setdefault(unit.role, []).append(unit.name)
        if units:
            result.append(units)
    return result


@pytest.mark.parametrize(("key", "count"), [("wutai", 22), ("qingzhou", 35)])
def test_every_task_carries_the_units_the_seed_names(plans, key, count):
    plan = plans[key]
    printed = printed_units(plan)

    assert len(printed) == count
    assert loaded_units(plan) == printed


def test_a_unit_list_with_a_stray_comma_is_noted():
    text = "（牵头单位：县人力资源和社会保障局；参与单位：、县民政局、县残联）"
    assert UNITS.search(text)[2].startswith("、")  # as printed in 五台's 二(三)②


def test_the_stray_comma_in_wutai_is_noted(plans):
    task = plans["wutai"].tasks.get(title="鼓励残疾人就业创业")
    assert "多一个顿号" in task.note
    assert [u.name for u in task.units.filter(role=UnitRole.PARTICIPATING)] == ["县民政局", "县残联"]


@pytest.mark.parametrize("key", ["qinghai", "linxia", "wutai", "beilin", "qingzhou"])
def test_every_task_is_where_its_line_says(plans, key):
    plan = plans[key]
    lines = seed_lines(plan)
    for task in plan.tasks.all():
        following = squeeze("".join(lines[task.line - 1:task.line + 6]))
        assert task.title in following[:len(task.number) + len(task.title) + 4], (task.line, task.title)
        if not task.number.startswith(tuple("①②③④⑤⑥")):  # circled numbers are the extraction's
            assert following.startswith(task.number.rstrip("、.") ), (task.line, task.number, following[:20])


def test_the_task_trees_have_the_seeds_shape(plans):
    def shape(key: str) -> list[int]:
        tasks = plans[key].tasks.filter(level="task").order_by("position")
        return [t.children.count() for t in tasks]

    assert shape("linxia") == [3, 7, 5, 11, 4, 8]
    assert shape("qingzhou") == [7, 4, 4, 5, 3, 2, 3, 3, 0, 0, 0, 0]
    assert shape("wutai") == [0, 4, 3, 5, 3, 1, 0, 0, 0, 0, 0]
    assert shape("qinghai") == [8, 6, 4, 3, 3, 4, 2, 9]
    assert shape("beilin") == [4, 4, 5, 6, 2, 3, 5, 7]
    assert not TaskUnit.objects.filter(task__plan__key__in=["qinghai", "linxia", "beilin"]).exists()


# The targets 青海 and 碑林 state in their text: (row, the seed's words on the row's line,
# the target as printed, operator, value, catalogue key or "" for reported by hand).
TEXT_TARGETS = {
    "qinghai": [
        (1, "帮助残疾人按规定参加基本养老和基本医疗保险，实现应保尽保", "实现应保尽保", "=", 100,
         "pension_insurance_rate"),
        (2, "帮助残疾人按规定参加基本养老和基本医疗保险，实现应保尽保", "实现应保尽保", "=", 100,
         "medical_insurance_rate"),
        (3, "严格落实29项符合条件的残疾人医疗康复项目纳入基本医保支付范围政策", "29项", "=", 29, ""),
        (4, "使完成义务教育且有意愿的残疾青少年都能够接受适宜的中等职业教育", "都能够", "=", 100, ""),
        (5, "落实从学前到研究生教育全覆盖的学生资助政策", "全覆盖", "=", 100, ""),
        (6, "推动各县(市、区、行委)建成一批残疾人体育健身示范点", "各县(市、区、行委)建成一批", "text", None, ""),
        (7, "全面推行残疾人证电子证照应用，实现“跨省通办”", "实现“跨省通办”", "text", None, ""),
        (8, "乡镇(街道)普遍建立“阳光家园”“残疾人之家”等服务机构", "普遍建立", "text", None,
         "township_service_coverage"),
        (9, "村(社区)残疾人协会实现全覆盖", "实现全覆盖", "=", 100, ""),
    ],
    "beilin": [
        (1, "全面提升残疾人“两项补贴”精准发放水平，确保不漏一人", "确保不漏一人", "=", 100, ""),
        (2, "落实 29 项医疗康复项目纳入基本医疗保障范围的政策", "29 项", "=", 29, ""),
        (3, "确保符合条件的残疾少年儿童应救尽救", "应救尽救", "=", 100, ""),
        (4, "二级以上医疗机构设置康复医学科比例达到 90%", "达到 90%", "≥", 90, ""),
        (5, "有需求残疾人辅助器具适配率达到90%", "达到90%", "≥", 90, "device_fitting_rate"),
        (6, "残疾人基本康复服务覆盖率达到 90%以上", "达到 90%以上", "≥", 90, "rehab_coverage"),
        (7, "党政机关、事业单位和国有企业安置残疾人比例达到 1.5%要求", "达到 1.5%要求", "≥", Decimal("1.5"), ""),
        (8, "确保每户残疾人家庭至少有一人就业", "至少有一人", "≥", 1, ""),
        (9, "基本普及残疾儿童少年十五年免费基础教育", "基本普及", "text", None, ""),
        (10, "实现残疾学生从学前到高等教育全覆盖的资助", "全覆盖", "=", 100, ""),
        (11, "实现困难重度残疾人居家无障碍覆盖率达到95%", "达到95%", "≥", 95, ""),
        (12, "完成第三代残疾人证（智能化）制发工作", "完成", "text", None, ""),
    ],
}


@pytest.mark.parametrize("key", ["qinghai", "beilin"])
def test_the_targets_stated_in_the_text_are_the_seeds(plans, key):
    plan = plans[key]
    lines = seed_lines(plan)
    loaded = list(plan.indicators.order_by("row"))

    assert len(loaded) == len(TEXT_TARGETS[key])
    for indicator, (row, quote, target, op, value, catalogue) in zip(loaded, TEXT_TARGETS[key], strict=True):
        assert indicator.row == row
        assert squeeze(quote) in squeeze(lines[indicator.line - 1]), (row, indicator.line)
        assert indicator.target_text == target and squeeze(target) in squeeze(quote)
        assert indicator.target_op == op
        assert indicator.target_value == (None if value is None else Decimal(value))
        assert indicator.catalogue_key == catalogue
        assert indicator.kind == IndicatorKind.UNSPECIFIED  # these plans mark no 约束性/预期性
