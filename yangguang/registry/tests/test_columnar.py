"""The columns' check against ``parse_row``: for every row the columns accept,
``parse_row`` accepts it too and makes the same person; a row the columns do not
accept is left to ``parse_row`` (so every problem is reported by ``parse_row``).

Rows come from the demo generator, many of them with cells changed into the forms
files really hold (spaces, full-width digits, a lower-case x, 15-digit IDs, Excel
numbers and dates, other date formats, wrong check digits, mismatches …). No database.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from stdnum.cn import ric

from yangguang.core.errors import ValidationFailed
from yangguang.demo.generator import person_row, write_rows
from yangguang.imports.reading import read_table
from yangguang.registry import columnar, importing, rules, vocabulary
from yangguang.registry import validation as v
from yangguang.registry.tests.conftest import VILLAGE_A
from yangguang.registry.vocabulary import KEY_TO_HEADER

TODAY = dt.date(2026, 6, 30)


def _cells(row: dict) -> dict:
    return {vocabulary.HEADER_TO_KEY[k]: v for k, v in row.items()}


def _with_check_digit(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")


def _mutations(rng: random.Random, cells: dict) -> None:
    """Change one or two cells of a valid row into something a file may hold."""
    number = cells["id_number"]
    cert = cells["certificate_number"]
    choices = [
        ("id_number", lambda: f" {number} "),
        ("id_number", lambda: number.lower() if number.endswith("X") else number[:-1] + "x"),
        ("id_number", lambda: number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))),
        ("id_number", lambda: number[:6] + "-" + number[6:]),
        ("id_number", lambda: number[:17] + ("0" if number[17] != "0" else "1")),
        ("id_number", lambda: _with_check_digit("9" + number[1:17])),
        ("id_number", lambda: _with_check_digit(number[:6] + "20991231" + number[14:17])),
        ("id_number", lambda: _with_check_digit(number[:6] + "19900230" + number[14:17])),
        ("id_number", lambda: _with_check_digit(number[:6] + "18700101" + number[14:17])),
        ("id_number", lambda: _with_check_digit("000000" + number[6:17])),
        ("id_number", lambda: float(number[:17])),
        ("id_number", lambda: int(number[:17] + "0") if number[17] != "X" else number),
        ("id_number", lambda: ""),
        ("id_number", lambda: number[:6] + number[8:17]),  # a 15-digit form
        ("name", lambda: " " + cells["name"] + " "),
        ("name", lambda: cells["name"] + "1"),
        ("name", lambda: "阿卜杜·热合曼"),
        ("name", lambda: "买买提·" * 12 + "江"),  # too long
        ("name", lambda: "Ａｌｉ"),
        ("name", lambda: ""),
        ("name", lambda: 12345),
        ("certificate_number", lambda: cert + "B1"),
        ("certificate_number", lambda: cert + "B0"),
        ("certificate_number", lambda: cert + "b2"),
        ("certificate_number", lambda: cert + "B100"),
        ("certificate_number", lambda: " " + cert),
        ("certificate_number", lambda: cert.lower()),
        ("certificate_number", lambda: cert[:18] + "91"),
        ("certificate_number", lambda: cert[:19] + "4" if cert[19] != "4" else cert[:19] + "3"),
        ("certificate_number", lambda: ""),
        ("category", lambda: float(cells["category"]) if str(cells["category"]).isdigit() else "肢体"),
        ("category", lambda: "肢体残疾"),
        ("category", lambda: "8"),
        ("category", lambda: " 4 "),
        ("level", lambda: "二级"),
        ("level", lambda: 2),
        ("level", lambda: True),
        ("level", lambda: "5"),
        ("hukou_region", lambda: cells["hukou_region"][:6]),
        ("hukou_region", lambda: int(cells["hukou_region"])),
        ("hukou_region", lambda: "630000"),
        ("hukou_region", lambda: "999999"),
        ("hukou_region", lambda: "63010"),
        ("hukou_region", lambda: "622924"),  # 广河县 as is
        ("issue_date", lambda: dt.date(2020, 2, 29)),
        ("issue_date", lambda: dt.datetime(2020, 3, 5, 14, 30)),
        ("issue_date", lambda: "2020/3/5"),
        ("issue_date", lambda: "20200305"),
        ("issue_date", lambda: "2020年3月5日"),
        ("issue_date", lambda: "2020-02-30"),
        ("issue_date", lambda: "0999-01-01"),
        ("issue_date", lambda: "2099-01-01"),
        ("issue_date", lambda: 43900),
        ("issue_date", lambda: 43900.0),
        ("issue_date", lambda: "1900-01-01"),
        ("issue_date", lambda: ""),
        ("issue_date", lambda: rules.UNCOMPUTED_FORMULA),
        ("sex", lambda: "男"), ("sex", lambda: "女"), ("sex", lambda: "1"), ("sex", lambda: 2),
        ("sex", lambda: "男性"), ("sex", lambda: "未知"), ("sex", lambda: None),
        ("birth_date", lambda: number[6:10] + "-" + number[10:12] + "-" + number[12:14]),
        ("birth_date", lambda: number[6:14]),
        ("birth_date", lambda: "1950-01-01"),
        ("birth_date", lambda: dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))),
        ("birth_date", lambda: "not a date"),
        ("ethnicity", lambda: "回族"), ("ethnicity", lambda: "回"), ("ethnicity", lambda: "03"),
        ("ethnicity", lambda: 3), ("ethnicity", lambda: "火星族"), ("ethnicity", lambda: ""),
        ("residence_region", lambda: "140922100001"), ("residence_region", lambda: "110000"),
        ("residence_region", lambda: ""), ("residence_region", lambda: None),
        ("phone", lambda: "13800000000"), ("phone", lambda: "0971-1234567"),
        ("phone", lambda: "+8613800000000"), ("phone", lambda: "138 0000 0000"),
        ("phone", lambda: "12345"), ("phone", lambda: 13800000000), ("phone", lambda: "１３８００００００００"),
        ("phone", lambda: "09711234567-12"),
        ("household_number", lambda: "H-1"), ("household_number", lambda: " H-2 "),
        ("household_number", lambda: "户号1"), ("household_number", lambda: "X" * 33),
        ("household_number", lambda: 1001), ("household_number", lambda: ""),
        ("relation_to_head", lambda: "户主"), ("relation_to_head", lambda: "妻子"),
        ("relation_to_head", lambda: "head"), ("relation_to_head", lambda: "邻居"),
        ("components", lambda: "视力二级；肢体三级"), ("components", lambda: "1-2,4-3"),
        ("components", lambda: "视力一级"), ("components", lambda: "乱写"),
    ]
    for _ in range(rng.choice((1, 1, 2))):
        key, make = rng.choice(choices)
        try:
            cells[key] = make()
        except ValueError:  # (a legacy 15-digit number has no birth date at [6:14])
            continue


def _rows(seed: int, count: int) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for n in range(count):
        kind = n % 4
        if kind == 0:
            row = person_row(rng)
        elif kind == 1:  # the cases the generator builds consistently
            row = person_row(rng, 残疾类别=rng.choice(("多重", "7", "视力")),
                             残疾等级=rng.choice(("一级", "2")),
                             多重残疾明细=rng.choice(("视力一级；肢体三级", "")),
                             reissue_count=rng.choice((None, 1, 12)),
                             家庭编号=rng.choice(("", "H-7", "H-8")),
                             与户主关系=rng.choice(("", "户主", "子女")))
        else:
            row = person_row(rng)
        cells = _cells(row)
        if kind >= 2:
            _mutations(rng, cells)
        rows.append(cells)
    return rows


def _compare(block: columnar.Block, rows: list[dict]) -> tuple[int, int]:
    """Assert the columns accept no row parse_row rejects, and make the same persons."""
    checked = columnar.check(block, columnar.Rules(TODAY))
    persons = columnar.persons(checked.accepted)
    accepted = dict(zip(checked.accepted["i"].to_list(), persons, strict=True))
    assert sorted([*accepted, *checked.others]) == list(range(len(rows)))
    agreed = 0
    for i, cells in enumerate(rows):
        try:
            expected = rules.parse_row(cells, today=TODAY)
        except ValidationFailed:
            expected = None
        if i in accepted:
            assert expected is not None, (i, cells)
            assert accepted[i] == expected, (i, cells)
            agreed += 1
    return agreed, len(checked.others)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_columns_accept_only_what_parse_row_accepts_and_make_the_same_person(seed):
    rows = _rows(seed, 1200)
    block = columnar.block_of(list(range(2, len(rows) + 2)), rows)
    agreed, others = _compare(block, rows)
    # Not vacuous: most unchanged rows (half of all) are accepted by the columns, and
    # many a changed one is left to parse_row.
    assert agreed >= len(rows) * 0.4
    assert others >= len(rows) // 10


def test_every_valid_unchanged_row_is_accepted_by_the_columns():
    rng = random.Random(6)
    rows = [_cells(person_row(rng)) for _ in range(2000)]
    block = columnar.block_of(list(range(2, len(rows) + 2)), rows)
    checked = columnar.check(block, columnar.Rules(TODAY))
    # Only the legacy 15-digit IDs, which need upgrading, go to parse_row.
    for i in checked.others:
        assert len(str(rows[i]["id_number"])) == 15, rows[i]
    assert checked.accepted.height >= len(rows) * 0.95


def test_a_csv_file_read_by_polars_gives_the_cells_csv_reader_gives(tmp_path):
    """The CSV fast path (``imports.reading``'s polars blocks): the same rows, numbered
    alike, as the csv module reads them; files it cannot read as ``csv`` does go to
    ``csv``."""
    rows = [{KEY_TO_HEADER[k]: v for k, v in cells.items()} for cells in _rows(9, 400)]
    for row in rows:  # (a CSV holds text: the types a spreadsheet has become text)
        for header, value in row.items():
            if value is rules.UNCOMPUTED_FORMULA or value is None or isinstance(value, bool):
                row[header] = ""
            elif "," in str(value):  # (no cell csv would quote)
                row[header] = str(value).replace(",", "；")
    path = tmp_path / "rows.csv"
    write_rows(rows, path)
    text = path.read_text(encoding="utf-8-sig")
    assert '"' not in text
    # Blank lines and short rows, which csv.reader gives as [] and shorter lists.
    lines = text.split("\n")
    lines.insert(5, "")
    lines.insert(9, lines[9].split(",")[0])
    text = "\n".join(lines)
    path.write_text(text, encoding="utf-8")
    table = read_table(path, importing.COLUMNS)
    assert next(table.chunks(10**6)).frame is not None
    block = next(importing.table_blocks(table))
    import csv
    import io
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    next(reader)
    to_cells = table.row_cells()
    expected = [(n, to_cells(cells)) for n, cells in enumerate(reader, start=2)]
    assert block.numbers == [n for n, _cells in expected]
    for i, (_n, cells) in enumerate(expected):
        got = block.cells(i)
        assert {k: (v or "") for k, v in got.items() if v} == {
            k: v for k, v in cells.items() if v}, i
    _compare(block, [block.cells(i) for i in range(len(block))])

    # What polars would read otherwise than csv (quotes, a lone carriage return) csv reads.
    header = lines[0].lstrip("\ufeff")
    for body, name in [('"张,三"\n', "张,三"), ("李四\r王五\n", "李四")]:
        odd = tmp_path / "odd.csv"
        odd.write_text(header + "\n" + body, encoding="utf-8")
        rows = next(read_table(odd, importing.COLUMNS).chunks(10))
        assert rows.frame is None and rows.cells[0][0] == name


def test_a_cell_is_read_as_the_rules_read_it():
    assert columnar.cell_text("category", 4.0) == "4"
    assert columnar.cell_text("name", None) == ""
    assert columnar.cell_text("issue_date", dt.datetime(2021, 3, 5, 8)) == "2021-03-05"
    assert columnar.cell_text("issue_date", dt.date(2021, 3, 5)) == "2021-03-05"
    # What a rule reads otherwise is left to parse_row.
    for key, cell in [("issue_date", 44000), ("id_number", 1.2e17), ("level", True),
                      ("name", rules.UNCOMPUTED_FORMULA), ("name", dt.date(2021, 1, 1))]:
        assert columnar.cell_text(key, cell) is columnar._UNCONVERTED


def test_the_frame_of_persons_parse_row_made_round_trips():
    rng = random.Random(12)
    made = [rules.parse_row(_cells(person_row(
        rng, 残疾类别="多重", 残疾等级="一级", 多重残疾明细="视力一级；肢体三级", 家庭编号="H-1",
        与户主关系="户主", reissue_count=2))) for _ in range(3)]
    made += [rules.parse_row(_cells(person_row(rng))) for _ in range(5)]
    frame = columnar.frame_of(list(range(8)), list(range(2, 10)), made)
    assert frame.schema == columnar.SCHEMA
    for person, back in zip(made, columnar.persons(frame), strict=True):
        assert back.id_number.normalized == person.id_number.normalized
        assert (back.name, back.sex, back.birth_date, back.hukou_region, back.certificate,
                back.provided, back.household_number, back.relation_to_head) == (
            person.name, person.sex, person.birth_date, person.hukou_region,
            person.certificate, person.provided, person.household_number,
            person.relation_to_head)


# ---------------------------------------------------------------------------
# One home for the patterns and limits: the columns take them from ``validation``, and
# edge values get the same verdict through both paths. (If either side's pattern or
# limit changed alone, one of these would fail.)


def test_the_columns_define_no_pattern_or_limit_of_their_own():
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(columnar))
    literals = [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)]
    patterns = [s for s in literals if isinstance(s, str)
                and any(mark in s for mark in ("[0-9", "\\d", "\u4e00", "10X9", "{1,", "[1-"))]
    assert patterns == []
    assert v.EARLIEST_BIRTH_YEAR not in literals
    assert columnar.PLAIN["name"] is v.PLAIN_NAME
    assert v.PHONE in columnar.PLAIN["phone"]
    assert v.HOUSEHOLD_NUMBER in columnar.PLAIN["household_number"]


def _plain(key: str, value: str) -> bool:
    """Whether the columns take ``value`` of column ``key`` as plain (their own
    expression, as ``check`` evaluates it)."""
    import polars as pl

    is_plain, _clean = columnar.Rules(TODAY).plain_value(key)
    return pl.DataFrame({key: [value]}, schema={key: pl.String}).select(is_plain).item()


def _gives_back(rule, value: str) -> bool:
    try:
        return rule(value) == value
    except ValidationFailed:
        return False


_CJK = "张王李阿卜杜热合曼买提江"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=_CJK + "·• a1-", max_size=60))
@example("张" * v.NAME_MAX_LENGTH)
@example("张" * (v.NAME_MAX_LENGTH + 1))
@example("阿" * 16 + "·" + "卜" * 16 + "·" + "杜" * 16)
@example("阿" * 17 + "·" + "卜")
def test_a_plain_name_is_one_parse_name_gives_back(text):
    assert _gives_back(v.parse_name, text) >= _plain("name", text)  # plain ⇒ accepted as is
    if text and set(text) <= set(_CJK):  # CJK alone: plain exactly when accepted
        assert _plain("name", text) == _gives_back(v.parse_name, text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789-+ ١", max_size=22))
@example("13800000000")
@example("12800000000")
@example("0971-1234567-123456")
@example("0971-1234567-1234567")
@example("1٣800000000")
def test_a_plain_phone_is_one_parse_phone_gives_back(text):
    assert _gives_back(v.parse_phone, text) >= _plain("phone", text)
    if set(text) <= set("0123456789-"):  # (no space or +86 for parse_phone to drop)
        assert _plain("phone", text) == _gives_back(v.parse_phone, text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0aZ9-_ 户", max_size=40))
@example("H" * v.HOUSEHOLD_NUMBER_MAX_LENGTH)
@example("H" * (v.HOUSEHOLD_NUMBER_MAX_LENGTH + 1))
def test_a_plain_household_number_is_one_parse_household_number_gives_back(text):
    assert _gives_back(v.parse_household_number, text) >= _plain("household_number", text)
    if set(text) <= set("0aZ9-"):
        assert _plain("household_number", text) == _gives_back(v.parse_household_number, text)


_BIRTHPLACES = ("140922", "610103", "632123", "000000", "910101")  # (632123: retired)


@st.composite
def _id_rows(draw):
    """A row whose cells are all in their clean form, with an 18-character ID number
    near the rules' limits (births around EARLIEST_BIRTH_YEAR and today, check
    characters right and wrong, foreign cards, retired birthplaces) and a certificate
    number that agrees with it or not."""
    birth = draw(st.one_of(
        st.dates(dt.date(v.EARLIEST_BIRTH_YEAR - 2, 1, 1), dt.date(v.EARLIEST_BIRTH_YEAR + 2, 12, 31)),
        st.dates(TODAY - dt.timedelta(days=3), TODAY + dt.timedelta(days=3)),
        st.dates(dt.date(1900, 1, 1), TODAY)))
    body = (draw(st.sampled_from(_BIRTHPLACES)) + birth.strftime("%Y%m%d")
            + draw(st.from_regex(r"[0-9]{3}", fullmatch=True)))
    right = v.id_check_character(body)
    number = body + draw(st.sampled_from([right, right, right, "X", "0", "7"]))
    category, level = draw(st.integers(1, 6)), draw(st.integers(1, 4))
    suffix = draw(st.sampled_from(["", "", "B1", "B12", "B99", "B0", "B100", "B1X"]))
    certificate = number + draw(st.sampled_from([
        f"{category}{level}", f"{category}{level}", f"{category}{5 - level}", "81"])) + suffix
    return {"id_number": number, "certificate_number": certificate, "name": "张阳光",
            "category": str(category), "level": str(level), "hukou_region": VILLAGE_A,
            "issue_date": TODAY.isoformat(), "sex": "", "birth_date": "", "ethnicity": "",
            "residence_region": "", "phone": "", "household_number": "",
            "relation_to_head": "", "components": ""}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_id_rows(), min_size=1, max_size=40))
def test_ids_and_certificate_numbers_near_the_limits_get_one_verdict_through_both(rows):
    block = columnar.block_of(list(range(2, len(rows) + 2)), rows)
    checked = columnar.check(block, columnar.Rules(TODAY))
    accepted = dict(zip(checked.accepted["i"].to_list(), columnar.persons(checked.accepted),
                        strict=True))
    for i, cells in enumerate(rows):
        try:
            expected = rules.parse_row(cells, today=TODAY)
        except ValidationFailed:
            expected = None
        # Every cell is in its clean form: the columns take exactly what parse_row takes.
        assert accepted.get(i) == expected, cells
