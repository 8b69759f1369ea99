"""Every field rule and every error code of ``validation.py``."""

import datetime as dt
import random

import pytest

from yangguang.core.errors import ValidationFailed
from yangguang.demo.generator import make_id_number
from yangguang.registry import validation as v
from yangguang.registry.models import Sex

TODAY = dt.date(2026, 11, 22)
RNG = random.Random(7)


def an_id(code: str = "630102", born: dt.date = dt.date(1980, 1, 1), sex: int = Sex.MALE) -> str:
    return make_id_number(RNG, code, born, sex)


def code_of(call, *args, **kwargs) -> str:
    with pytest.raises(ValidationFailed) as info:
        call(*args, **kwargs)
    assert len(info.value.problems) == 1
    problem = info.value.problems[0]
    assert problem.code in v.MESSAGES
    assert problem.message and "{" not in problem.message
    return problem.code


# -- identity numbers


def test_valid_id_gives_birth_date_sex_and_birthplace():
    number = v.parse_id_number("11010519491231002X", today=TODAY)
    assert number.normalized == "11010519491231002X"
    assert number.birth_date == dt.date(1949, 12, 31)
    assert number.sex == Sex.FEMALE
    assert number.birthplace_code == "110105"
    assert number.birthplace_name == "北京市朝阳区"
    assert not number.upgraded_from_15


def test_full_width_digits_lower_case_x_and_spaces_are_normalised():
    full_width = "１１０１０５１９４９１２３１００２ｘ"
    assert v.parse_id_number(full_width, today=TODAY).normalized == "11010519491231002X"
    assert v.parse_id_number(" 110105 19491231 002x ", today=TODAY).normalized == "11010519491231002X"


def test_legacy_15_digit_id_is_upgraded():
    number = v.parse_id_number("630102800101001", today=TODAY)
    assert number.upgraded_from_15
    assert number.normalized[:17] == "63010219800101001"
    assert number.birth_date == dt.date(1980, 1, 1)
    assert v.parse_id_number(number.normalized, today=TODAY) == v.IdNumber(
        number.normalized, number.birth_date, number.sex, "630102", False)


@pytest.mark.parametrize("text", ["", "   ", None])
def test_missing_id_is_required(text):
    assert code_of(v.parse_id_number, text, today=TODAY) == "required"


@pytest.mark.parametrize("text", ["12345", "63010219800101001Y", "6301021980010100111", "ABCDEFGHIJKLMNOPQR"])
def test_malformed_id(text):
    assert code_of(v.parse_id_number, text, today=TODAY) == "id_format"


def test_wrong_check_digit_names_the_expected_one():
    good = an_id()
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    with pytest.raises(ValidationFailed) as info:
        v.parse_id_number(bad, today=TODAY)
    problem = info.value.problems[0]
    assert problem.code == "id_checksum"
    assert good[17] in problem.message


def test_impossible_birth_date():
    body = "63010219800230001"  # 30 February
    from stdnum.cn.ric import calc_check_digit
    assert code_of(v.parse_id_number, body + calc_check_digit(body + "0"), today=TODAY) == "id_birth_date"


def test_birth_date_in_the_future():
    number = an_id(born=dt.date(2026, 12, 1))
    assert code_of(v.parse_id_number, number, today=TODAY) == "id_birth_future"


def test_unknown_birthplace():
    assert code_of(v.parse_id_number, an_id(code="639999"), today=TODAY) == "id_birthplace"


def test_historical_birthplace_is_valid_for_births_before_its_abolition():
    # 632121 平安县 existed until 2013 (now 630203 平安区).
    assert v.parse_id_number(an_id("632121", dt.date(1975, 5, 5)), today=TODAY).birthplace_code == "632121"
    assert code_of(v.parse_id_number, an_id("632121", dt.date(2015, 5, 5)), today=TODAY) == "id_birthplace"


def test_code_created_after_birth_is_valid_because_the_id_was_issued_later():
    # 630106 湟中区 since 2019; someone born in 1980 may carry it on a re-issued card.
    assert v.parse_id_number(an_id("630106", dt.date(1980, 1, 1)), today=TODAY)


def test_foreign_permanent_resident_numbers_are_refused():
    from stdnum.cn.ric import calc_check_digit
    body = "93010219800101001"
    assert code_of(v.parse_id_number, body + calc_check_digit(body + "0"), today=TODAY) == "id_foreign"


def test_sex_and_birth_date_are_cross_checked():
    number = v.parse_id_number(an_id(sex=Sex.FEMALE), today=TODAY)
    assert v.check_sex("", number) == Sex.FEMALE
    assert v.check_sex("女", number) == Sex.FEMALE
    assert code_of(v.check_sex, "男", number) == "sex_mismatch"
    assert code_of(v.check_sex, "未知", number) == "sex_invalid"
    assert v.check_birth_date("1980/1/1", number) == dt.date(1980, 1, 1)
    assert code_of(v.check_birth_date, "1980-01-02", number) == "birth_date_mismatch"


# -- dates


@pytest.mark.parametrize("value", [
    "2021-03-05", "2021/3/5", "20210305", "2021.3.5", "2021年3月5日", dt.date(2021, 3, 5),
    dt.datetime(2021, 3, 5, 0, 0), 44260, 44260.0, "2021-03-05 00:00:00",
])
def test_date_formats(value):
    assert v.parse_date(value, field="issue_date", label="发证日期", today=TODAY) == dt.date(2021, 3, 5)


@pytest.mark.parametrize("value", ["2021-02-30", "5/3/2021", "昨天", "2021-13-01"])
def test_bad_dates(value):
    assert code_of(v.parse_date, value, field="issue_date", label="发证日期", today=TODAY) == "date_invalid"


def test_future_date_and_missing_date():
    assert code_of(v.parse_date, "2027-01-01", field="d", label="发证日期", today=TODAY) == "date_future"
    assert code_of(v.parse_date, "", field="d", label="发证日期", today=TODAY) == "required"


def test_ten_year_validity_handles_29_february():
    assert v.add_years(dt.date(2020, 2, 29), 10) == dt.date(2030, 2, 28)


# -- category, level, certificate number, components


@pytest.mark.parametrize(("value", "expected"), [
    ("4", 4), (4, 4), (4.0, 4), ("肢体", 4), ("肢体残疾", 4), ("视力", 1), ("多重", 7), ("多重残疾", 7),
    ("６", 6),
])
def test_category_codes_and_names(value, expected):
    assert v.parse_category(value) == expected


@pytest.mark.parametrize("value", ["8", "0", "其他", "肢"])
def test_bad_category(value):
    assert code_of(v.parse_category, value) == "category_invalid"


@pytest.mark.parametrize(("value", "expected"), [
    ("2", 2), (2.0, 2), ("二级", 2), ("二", 2), ("2级", 2), ("贰级", 2), ("一级", 1), ("四级", 4),
])
def test_level_codes_and_names(value, expected):
    assert v.parse_level(value) == expected


@pytest.mark.parametrize("value", ["5", "0", "重度", "五级"])
def test_bad_level(value):
    assert code_of(v.parse_level, value) == "level_invalid"


def test_missing_category_and_level():
    assert code_of(v.parse_category, "") == "required"
    assert code_of(v.parse_level, None) == "required"


def test_certificate_number_consistent_with_id_category_and_level():
    number = v.parse_id_number(an_id(), today=TODAY)
    cert = v.parse_certificate_number(number.normalized + "42", number, 4, 2)
    assert cert.normalized == number.normalized + "42" and cert.reissue_count == 0
    assert v.parse_certificate_number(number.normalized + "42B1", number, 4, 2).reissue_count == 1
    assert v.parse_certificate_number(number.normalized.lower() + "42b2", number, 4, 2).reissue_count == 2
    assert code_of(v.parse_certificate_number, number.normalized + "43", number, 4, 2) == "cert_level_mismatch"
    assert code_of(v.parse_certificate_number, number.normalized + "52", number, 4, 2) == "cert_category_mismatch"
    other = an_id(born=dt.date(1990, 5, 5))
    assert code_of(v.parse_certificate_number, other + "42", number, 4, 2) == "cert_id_mismatch"
    assert code_of(v.parse_certificate_number, number.normalized + "4", number, 4, 2) == "cert_format"
    assert code_of(v.parse_certificate_number, number.normalized + "82", number, 4, 2) == "cert_format"
    assert code_of(v.parse_certificate_number, "", number, 4, 2) == "required"


def test_multiple_disability_components():
    assert v.parse_components("视力二级；肢体三级", 7, 2) == [
        {"category": 1, "level": 2}, {"category": 4, "level": 3}]
    assert v.parse_components("4-3,1-2", 7, 2) == [
        {"category": 1, "level": 2}, {"category": 4, "level": 3}]
    assert v.parse_components("听力残疾1级、言语一级", 7, 1) == [
        {"category": 2, "level": 1}, {"category": 3, "level": 1}]
    assert v.parse_components("", 4, 2) == []
    assert v.format_components([{"category": 1, "level": 2}, {"category": 4, "level": 3}]) == "视力二级；肢体三级"


@pytest.mark.parametrize(("text", "category", "level", "code"), [
    ("视力二级", 4, 2, "components_not_multiple"),
    ("", 7, 2, "components_required"),
    ("视力二级", 7, 2, "components_too_few"),
    ("视力二级；视力三级", 7, 2, "components_duplicate"),
    ("视力二级；肢体三级", 7, 3, "components_level_mismatch"),
    ("视力二级；多重三级", 7, 2, "components_invalid"),
    ("眼睛坏了", 7, 2, "components_invalid"),
])
def test_bad_components(text, category, level, code):
    assert code_of(v.parse_components, text, category, level) == code


# -- regions, ethnicity, phone, household, name


def test_region_codes():
    assert v.parse_region_code("630102", field="r", label="户籍地") == "630102000000"
    assert v.parse_region_code("140922100000", field="r", label="户籍地") == "140922100000"
    assert v.parse_region_code("", field="r", label="居住地", required=False) is None
    assert code_of(v.parse_region_code, "", field="r", label="户籍地") == "required"
    assert code_of(v.parse_region_code, "6301", field="r", label="户籍地") == "region_format"
    assert code_of(v.parse_region_code, "630199", field="r", label="户籍地") == "region_unknown"
    assert code_of(v.parse_region_code, "632121", field="r", label="户籍地") == "region_retired"
    assert code_of(v.parse_region_code, "630100", field="r", label="户籍地") == "region_too_coarse"


def test_ethnicity_names_and_codes():
    assert v.parse_ethnicity("回族") == "03"
    assert v.parse_ethnicity("回") == "03"
    assert v.parse_ethnicity("3") == "03"
    assert v.parse_ethnicity("03") == "03"
    assert v.parse_ethnicity("撒拉族") == "35"
    assert v.parse_ethnicity("") == ""
    assert code_of(v.parse_ethnicity, "火星族") == "ethnicity_invalid"


def test_phone_numbers():
    assert v.parse_phone("13800138000") == "13800138000"
    assert v.parse_phone("+86 138 0013 8000") == "13800138000"
    assert v.parse_phone("0971-8888888") == "0971-8888888"
    assert v.parse_phone(13800138000) == "13800138000"
    assert code_of(v.parse_phone, "12345") == "phone_invalid"


def test_relations_and_household_numbers():
    assert v.parse_relation("户主") == "head"
    assert v.parse_relation("本人") == "head"
    assert v.parse_relation("妻子") == "spouse"
    assert v.parse_relation("孙女") == "grandchild"
    assert code_of(v.parse_relation, "邻居") == "relation_invalid"
    assert v.parse_household_number("H-001") == "H-001"
    assert code_of(v.parse_household_number, "家庭一") == "household_number_invalid"


def test_names():
    assert v.parse_name("  马  阿卜杜 ") == "马 阿卜杜"
    assert v.parse_name("阿依古丽·买买提") == "阿依古丽·买买提"
    assert code_of(v.parse_name, "") == "required"
    assert code_of(v.parse_name, "长" * 51) == "too_long"
    assert code_of(v.parse_name, "张三3") == "name_invalid"
    assert code_of(v.parse_name, 12345) == "name_invalid"


def test_every_error_code_is_exercised_by_a_test():
    from pathlib import Path

    from yangguang.registry import importing, services

    source = "".join(p.read_text() for p in Path(__file__).parent.glob("test_*.py"))
    codes = [*v.MESSAGES, *importing.MESSAGES, *services.DB_MESSAGES]
    untested = [code for code in codes if f'"{code}"' not in source]
    assert untested == []


def test_the_check_character_is_gb_11643s():
    """``id_check_character`` (whose weights the import's columns use too) against
    python-stdnum's implementation of the same standard."""

    from stdnum.cn.ric import calc_check_digit

    rng = random.Random(11643)
    for _ in range(2000):
        body = "".join(rng.choice("0123456789") for _ in range(17))
        assert v.id_check_character(body) == calc_check_digit(body + "0")


def test_digits_of_other_scripts_are_not_an_id_number_or_a_phone_number():
    # (NFKC folds full-width digits, which are accepted; Arabic-Indic ones it leaves.)
    assert code_of(v.parse_id_number, "11010519491231002" + "\u0661", today=TODAY) == "id_format"
    assert code_of(v.parse_phone, "1\u0663800000000") == "phone_invalid"
    assert v.parse_phone("１３８００００００００") == "13800000000"
