"""Field rules of the registry, shared by every input path (forms, files, API, CLI).

Each ``parse_*`` function takes what a user typed (or a spreadsheet cell) and returns
the clean value, or raises ``ValidationFailed`` with one ``Problem`` whose code is
stable and listed in ``MESSAGES``. The functions need no database: the region and
ethnicity code lists are in memory, so an import can call them for millions of rows.

The patterns and limits the rules apply are named here (``ID_NUMBER``,
``EARLIEST_BIRTH_YEAR``, ``PHONE``, ``CERTIFICATE_NUMBER`` …) and are the only copies:
the import's columnar check (``columnar.py``) builds its column expressions from them.
So they are written in the syntax Python's ``re`` and polars (Rust's ``regex``) read
alike, with ``[0-9]`` rather than ``\\d`` (which matches other scripts' digits too).
"""

from __future__ import annotations

import csv
import datetime as dt
import operator
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from django.utils.translation import gettext_lazy as _

from yangguang.core import text as core_text
from yangguang.core.errors import Problem, ValidationFailed
from yangguang.regions import catalog
from yangguang.registry.models import Category, Relation, Sex
from yangguang.registry.vocabulary import CATEGORY_NAMES, LEVEL_NAMES, RELATION_NAMES

DATA_DIR = Path(__file__).resolve().parent / "data"

#: Every problem code the registry reports, with its message. Parameters in braces.
MESSAGES = {
    "required": _("{label}不能为空"),
    "too_long": _("{label}不能超过{max}个字符"),
    "name_invalid": _("{label}“{value}”含有数字或符号：只能填写文字，少数民族姓名可用间隔号“·”"),
    "id_format": _("公民身份号码格式不正确：应为18位（末位可为X）或15位旧号码"),
    "id_checksum": _("公民身份号码校验码错误：按前17位计算，末位应为{expected}"),
    "id_birth_date": _("公民身份号码中的出生日期{value}不是有效日期"),
    "id_birth_future": _("公民身份号码中的出生日期{value}晚于今天"),
    "id_birthplace": _("公民身份号码前6位{value}不是有效的行政区划代码（出生年份起未曾使用）"),
    "id_foreign": _("公民身份号码以9开头，属于外国人永久居留身份证，本系统不登记"),
    "sex_invalid": _("性别“{value}”无法识别：请填写男或女"),
    "sex_mismatch": _("性别“{value}”与公民身份号码不符：号码第17位表示{expected}"),
    "birth_date_mismatch": _("出生日期{value}与公民身份号码中的出生日期{expected}不符"),
    "date_invalid": _("{label}“{value}”不是有效日期：请填写如2021-03-05、2021/3/5或20210305"),
    "date_future": _("{label}{value}晚于今天"),
    "date_before_birth": _("{label}{value}早于出生日期{birth}"),
    "category_invalid": _("残疾类别“{value}”无法识别：请填写1–7或视力、听力、言语、肢体、智力、精神、多重"),
    "level_invalid": _("残疾等级“{value}”无法识别：请填写1–4或一级、二级、三级、四级"),
    "cert_format": _("残疾人证号格式不正确：应为18位身份号码加1位类别代码和1位等级代码，补发证可加B1、B2等"),
    "cert_id_mismatch": _("残疾人证号前18位与公民身份号码不一致"),
    "cert_category_mismatch": _("残疾人证号第19位类别代码{value}与残疾类别{expected}不一致"),
    "cert_level_mismatch": _("残疾人证号第20位等级代码{value}与残疾等级{expected}不一致"),
    "components_invalid": _("多重残疾明细“{value}”无法识别：请按“视力二级；肢体三级”或“1-2,4-3”填写"),
    "components_required": _("残疾类别为多重残疾时须填写多重残疾明细（至少两类）"),
    "components_not_multiple": _("只有多重残疾才填写多重残疾明细"),
    "components_too_few": _("多重残疾明细须包含至少两个不同的残疾类别"),
    "components_duplicate": _("多重残疾明细中类别“{value}”重复"),
    "components_level_mismatch": _("多重残疾的等级应为各类别中最重的等级{expected}，而不是{value}"),
    "region_format": _("{label}“{value}”格式不正确：应为6位县级代码或12位统计用区划代码"),
    "region_unknown": _("{label}“{value}”不存在"),
    "region_retired": _("{label}“{value}”（{name}）已于{until}停用，请填写现行代码"),
    "region_too_coarse": _("{label}“{value}”（{name}）须为县级或以下区划"),
    "ethnicity_invalid": _("民族“{value}”无法识别：请填写民族名称（如汉族）或两位代码"),
    "phone_invalid": _("联系电话“{value}”格式不正确：应为11位手机号码或带区号的固定电话"),
    "relation_invalid": _(
        "与户主关系“{value}”无法识别：请填写户主、配偶、子女、父母、兄弟姐妹、祖父母、孙子女、儿媳/女婿或其他"
    ),
    "household_number_invalid": _("家庭编号“{value}”格式不正确：只能包含字母、数字和短横线，最长32位"),
    "relation_without_household": _("填写了与户主关系但没有家庭编号"),
}


# Labels of the region and issue-date columns in messages (the import's headers).
HUKOU_LABEL = _("户籍地区划代码")
RESIDENCE_LABEL = _("居住地区划代码")
ISSUE_DATE_LABEL = _("发证日期")


def problem(code: str, field: str, **params: Any) -> Problem:
    return Problem(code=code, field=field, template=MESSAGES[code], params=params)


def fail(code: str, field: str, **params: Any) -> ValidationFailed:
    return ValidationFailed([problem(code, field, **params)])


_SEPARATORS = re.compile(r"[\s\-_]")

# ---------------------------------------------------------------------------
# Patterns and limits (see the module's docstring)

#: An 18-character resident ID number in its clean form (digits, upper-case X last).
ID_NUMBER = r"[0-9]{17}[0-9X]"
_ID_NUMBER = re.compile(ID_NUMBER)
#: A legacy 15-digit ID number (no century, no check character).
LEGACY_ID_NUMBER = r"[0-9]{15}"
_LEGACY_ID_NUMBER = re.compile(LEGACY_ID_NUMBER)
#: The first digit of a foreign permanent resident's ID card, which the registry refuses.
FOREIGN_ID_PREFIX = "9"
#: GB 11643's check character: the weights of the first 17 digits, and the character
#: by the weighted sum modulo 11.
ID_CHECK_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
ID_CHECK_CHARACTERS = "10X98765432"
#: The earliest year of birth an ID number may give.
EARLIEST_BIRTH_YEAR = 1880
#: What follows the ID number in a certificate number: category, level, and ``B1``,
#: ``B2`` … for a reissued certificate (``rules.certificate_suffix`` writes it).
CERTIFICATE_SUFFIX = r"([1-7])([1-4])(?:B([1-9][0-9]?))?"
#: A certificate number in its clean form; groups: ID, category, level, reissue count.
CERTIFICATE_NUMBER = rf"({ID_NUMBER}){CERTIFICATE_SUFFIX}"
_CERTIFICATE_NUMBER = re.compile(CERTIFICATE_NUMBER)
#: A mobile number, or a landline with its area code (and an extension).
PHONE = r"1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8}(?:-[0-9]{1,6})?"
_PHONE = re.compile(PHONE)
HOUSEHOLD_NUMBER_MAX_LENGTH = 32
#: A household number: letters, digits and hyphens.
HOUSEHOLD_NUMBER = rf"[0-9A-Za-z-]{{1,{HOUSEHOLD_NUMBER_MAX_LENGTH}}}"
_HOUSEHOLD_NUMBER = re.compile(HOUSEHOLD_NUMBER)
NAME_MAX_LENGTH = 50
#: What joins the parts of a minority name (张·三), one of ``NAME_MARKS``.
NAME_JOINER = "·"
#: Marks a name may hold besides letters.
NAME_MARKS = frozenset(" ·•・.-'")
_CJK = "\u4e00-\u9fff"  # CJK unified ideographs: letters NFKC leaves as they are
_NAME_PART = (NAME_MAX_LENGTH - 2) // 3  # three parts and two joiners at most
#: A name ``parse_name`` returns as it is: CJK ideographs alone, or two or three runs of
#: them joined by ``NAME_JOINER``; at most ``NAME_MAX_LENGTH`` characters. (Other names,
#: such as Latin ones, pass ``parse_name`` too; the import checks them one by one.)
PLAIN_NAME = (rf"^[{_CJK}]{{1,{NAME_MAX_LENGTH}}}$"
              rf"|^[{_CJK}]{{1,{_NAME_PART}}}(?:{NAME_JOINER}[{_CJK}]{{1,{_NAME_PART}}}){{1,2}}$")
#: A date in ISO form from the year 1000 on: ``parse_date`` reads it as that day.
ISO_DATE = r"[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}"
_ISO_DATE = re.compile(ISO_DATE)


def id_check_character(body: str) -> str:
    """The check character of an ID number whose first 17 characters are ``body``'s
    (ASCII digits)."""
    digits = body[:17].encode("ascii")
    if len(digits) != 17:
        raise ValueError(f"{len(digits)} digits for an ID number's 17")
    # The digits' character codes weighted, less what their '0' adds: no int() per digit
    # (a third of the time; a survey import of a million rows calls this a million times).
    return ID_CHECK_CHARACTERS[(sum(map(operator.mul, digits, ID_CHECK_WEIGHTS))
                                - _ZERO_WEIGHTED) % 11]


_ZERO_WEIGHTED = ord("0") * sum(ID_CHECK_WEIGHTS)


def clean_text(value: Any) -> str:
    """A cell or form value as text: full-width characters folded, outer space trimmed.

    Whole numbers that a spreadsheet stored as floats (``4.0``) come back as ``4``.
    """
    if type(value) is str:  # the common case, first
        return (value if value.isascii() else unicodedata.normalize("NFKC", value)).strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return text.strip()


# ---------------------------------------------------------------------------
# Resident identity number (GB 11643-1999)


def _compact(value: Any) -> str:
    """An ID or certificate number's text without separators, upper case."""
    text = clean_text(value)
    if not text.isalnum():  # the separators are not alphanumeric
        text = _SEPARATORS.sub("", text)
    return text.upper()


@lru_cache(maxsize=1 << 16)
def _date_of(yyyymmdd: str) -> dt.date:
    """The date an ID number's ``YYYYMMDD`` names (ValueError if there is none)."""
    return dt.date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:]))


# Dates of birth and birthplace codes repeat across the rows of a file (the catalog
# is fixed), so both lookups are cached.
_birthplace_valid = lru_cache(maxsize=1 << 16)(catalog.birthplace_valid)


@dataclass(frozen=True, slots=True)
class IdNumber:
    normalized: str
    birth_date: dt.date
    sex: int
    birthplace_code: str
    upgraded_from_15: bool

    @property
    def birthplace_name(self) -> str:
        return catalog.full_name(self.birthplace_code)


def parse_id_number(value: Any, *, field: str = "id_number", today: dt.date | None = None) -> IdNumber:
    """Normalise and validate a resident identity number.

    Accepts full-width digits, a lower-case ``x``, spaces and hyphens, and legacy
    15-digit numbers (upgraded to 18 digits with the century 19 and a check digit).
    """
    text = _compact(value)
    if not text:
        raise fail("required", field, label=_("公民身份号码"))
    upgraded = False
    if _LEGACY_ID_NUMBER.fullmatch(text):
        body = text[:6] + "19" + text[6:]
        text = body + id_check_character(body)
        upgraded = True
    if not _ID_NUMBER.fullmatch(text):
        raise fail("id_format", field)
    if text.startswith(FOREIGN_ID_PREFIX):
        raise fail("id_foreign", field)
    expected = id_check_character(text)
    if text[17] != expected:
        raise fail("id_checksum", field, expected=expected)
    raw_date = text[6:14]
    try:
        birth = _date_of(raw_date)
    except ValueError:
        raise fail("id_birth_date", field, value=raw_date) from None
    if birth > (today or dt.date.today()) or birth.year < EARLIEST_BIRTH_YEAR:
        if birth.year < EARLIEST_BIRTH_YEAR:
            raise fail("id_birth_date", field, value=raw_date)
        raise fail("id_birth_future", field, value=birth.isoformat())
    if not _birthplace_valid(text[:6], birth.year):
        raise fail("id_birthplace", field, value=text[:6])
    return IdNumber(
        normalized=text,
        birth_date=birth,
        sex=Sex.MALE if int(text[16]) % 2 else Sex.FEMALE,
        birthplace_code=text[:6],
        upgraded_from_15=upgraded,
    )


_SEX_WORDS = {"男": Sex.MALE, "1": Sex.MALE, "男性": Sex.MALE,
              "女": Sex.FEMALE, "2": Sex.FEMALE, "女性": Sex.FEMALE}


def given_sex(value: Any, *, field: str = "sex") -> int | None:
    """The sex a user gave (None: left blank)."""
    text = clean_text(value)
    if not text:
        return None
    sex = _SEX_WORDS.get(text)
    if sex is None:
        raise fail("sex_invalid", field, value=text)
    return sex


def check_sex(value: Any, id_number: IdNumber, *, field: str = "sex") -> int:
    """The sex a user gave, which must agree with the ID; blank means "from the ID"."""
    sex = given_sex(value, field=field)
    if sex is None:
        return id_number.sex
    if sex != id_number.sex:
        raise fail("sex_mismatch", field, value=clean_text(value),
                   expected=Sex(id_number.sex).label)
    return sex


def given_birth_date(value: Any, *, field: str = "birth_date") -> dt.date | None:
    """The birth date a user gave (None: left blank)."""
    if value is None or clean_text(value) == "":
        return None
    return parse_date(value, field=field, label=_("出生日期"))


def check_birth_date(value: Any, id_number: IdNumber, *, field: str = "birth_date") -> dt.date:
    birth = given_birth_date(value, field=field)
    if birth is None:
        return id_number.birth_date
    if birth != id_number.birth_date:
        raise fail("birth_date_mismatch", field, value=birth.isoformat(),
                   expected=id_number.birth_date.isoformat())
    return birth


# ---------------------------------------------------------------------------
# Dates

_EXCEL_EPOCH = dt.date(1899, 12, 30)
_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]0{1,2}:0{2}(?::0{2})?)?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
)


def parse_date(value: Any, *, field: str, label: Any, today: dt.date | None = None,
               allow_future: bool = False) -> dt.date:
    """A date from a spreadsheet cell or text: Excel dates and serial numbers,
    ``2021-03-05``, ``2021/3/5``, ``20210305``, ``2021年3月5日``."""
    if isinstance(value, dt.datetime):
        result = value.date()
    elif isinstance(value, dt.date):
        result = value
    elif type(value) is str and _ISO_DATE.fullmatch(value):
        try:
            result = dt.date.fromisoformat(value)
        except ValueError:
            raise fail("date_invalid", field, label=label, value=value) from None
    else:
        text = clean_text(value)
        if not text:
            raise fail("required", field, label=label)
        result = None
        for pattern in _DATE_PATTERNS:
            match = pattern.match(text)
            if match:
                try:
                    result = dt.date(*(int(g) for g in match.groups()))
                except ValueError:
                    raise fail("date_invalid", field, label=label, value=text) from None
                break
        if result is None and isinstance(value, int | float) and 20000 < value < 80000:
            # An Excel serial day number that lost its date format.
            result = _EXCEL_EPOCH + dt.timedelta(days=int(value))
        if result is None:
            raise fail("date_invalid", field, label=label, value=text)
    if not allow_future and result > (today or dt.date.today()):
        raise fail("date_future", field, label=label, value=result.isoformat())
    return result


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


# ---------------------------------------------------------------------------
# Category, level, certificate number, multiple-disability components

_CATEGORY_WORDS: dict[str, int] = {}
for _code, _word in CATEGORY_NAMES.items():
    for _w in (str(_code), _word, _word + "残疾"):
        _CATEGORY_WORDS[_w] = _code

_LEVEL_WORDS: dict[str, int] = {}
for _n in range(1, 5):
    _cn = "一二三四"[_n - 1]
    for _w in (str(_n), f"{_n}级", _cn, f"{_cn}级", "壹贰叁肆"[_n - 1] + "级"):
        _LEVEL_WORDS[_w] = _n


def parse_category(value: Any, *, field: str = "category") -> int:
    text = clean_text(value)
    if not text:
        raise fail("required", field, label=_("残疾类别"))
    category = _CATEGORY_WORDS.get(text)
    if category is None:
        raise fail("category_invalid", field, value=text)
    return category


def parse_level(value: Any, *, field: str = "level") -> int:
    text = clean_text(value)
    if not text:
        raise fail("required", field, label=_("残疾等级"))
    level = _LEVEL_WORDS.get(text)
    if level is None:
        raise fail("level_invalid", field, value=text)
    return level


@dataclass(frozen=True, slots=True)
class CertificateNumber:
    normalized: str
    reissue_count: int


def split_certificate_number(value: Any) -> tuple[str, int, int, int] | None:
    """(ID part, category, level, reissue count) of a well-formed certificate number,
    or None; the ID part is not checked (``parse_certificate_number`` does that)."""
    match = _CERTIFICATE_NUMBER.fullmatch(_SEPARATORS.sub("", clean_text(value)).upper())
    if not match:
        return None
    cert_id, category, level, reissue = match.groups()
    return cert_id, int(category), int(level), int(reissue or 0)


def parse_certificate_number(value: Any, id_number: IdNumber, category: int, level: int,
                             *, field: str = "certificate_number") -> CertificateNumber:
    """The 20-character certificate number (18-char ID + category + level), with an
    optional ``B1``, ``B2`` … reissue suffix, checked against the ID, category and level."""
    text = _compact(value)
    if not text:
        raise fail("required", field, label=_("残疾人证号"))
    match = _CERTIFICATE_NUMBER.fullmatch(text)
    if not match:
        raise fail("cert_format", field)
    cert_id, cert_category, cert_level, reissue = match.groups()
    if cert_id != id_number.normalized:
        raise fail("cert_id_mismatch", field)
    if int(cert_category) != category:
        raise fail("cert_category_mismatch", field, value=cert_category, expected=category)
    if int(cert_level) != level:
        raise fail("cert_level_mismatch", field, value=cert_level, expected=level)
    return CertificateNumber(normalized=text, reissue_count=int(reissue or 0))


_COMPONENT_SPLIT = re.compile(r"[;；,，、/\s]+")
_COMPONENT = re.compile(r"^(视力|听力|言语|肢体|智力|精神|[1-6])(?:残疾)?[-:：]?([1-4一二三四])级?$")


def parse_components(value: Any, category: int, level: int,
                     *, field: str = "components") -> list[dict[str, int]]:
    """The components of a multiple disability, e.g. ``视力二级；肢体三级`` or ``1-2,4-3``.

    Returns ``[{"category": 1, "level": 2}, …]`` sorted by category; empty for a
    single disability. The overall level must be the most severe component's.
    """
    if isinstance(value, list):
        parts = [f"{c['category']}-{c['level']}" for c in value]
        text = ",".join(parts)
    else:
        text = clean_text(value)
        parts = [p for p in _COMPONENT_SPLIT.split(text) if p] if text else []
    if category != Category.MULTIPLE:
        if parts:
            raise fail("components_not_multiple", field)
        return []
    if not parts:
        raise fail("components_required", field)
    components: dict[int, int] = {}
    for part in parts:
        match = _COMPONENT.match(part)
        if not match:
            raise fail("components_invalid", field, value=text)
        comp_category = _CATEGORY_WORDS[match.group(1)]
        comp_level = _LEVEL_WORDS[match.group(2)]
        if comp_category in components:
            raise fail("components_duplicate", field, value=CATEGORY_NAMES[comp_category])
        components[comp_category] = comp_level
    if len(components) < 2:
        raise fail("components_too_few", field)
    most_severe = min(components.values())
    if level != most_severe:
        raise fail("components_level_mismatch", "level", value=level, expected=most_severe)
    return [{"category": c, "level": components[c]} for c in sorted(components)]


def format_components(components: list[dict[str, int]]) -> str:
    """The import/export text of components: ``视力二级；肢体三级``."""
    return "；".join(
        f"{CATEGORY_NAMES[c['category']]}{LEVEL_NAMES[c['level']]}"
        for c in components
    )


# ---------------------------------------------------------------------------
# Regions, ethnicity, phone, household


def parse_region_code(value: Any, *, field: str, label: Any, required: bool = True) -> str | None:
    """A current region at county level or below, as its 12-digit code.

    Accepts the 6-digit county code or the 12-digit statistical code.
    """
    text = clean_text(value)
    if not text:
        if required:
            raise fail("required", field, label=label)
        return None
    if not (text.isdigit() and len(text) in (6, 12)):
        raise fail("region_format", field, label=label, value=text)
    entry = catalog.lookup(text)
    if entry is None:
        raise fail("region_unknown", field, label=label, value=text)
    if entry.valid_until is not None:
        raise fail("region_retired", field, label=label, value=text, name=entry.name,
                   until=entry.valid_until.isoformat())
    if entry.level < 3:
        raise fail("region_too_coarse", field, label=label, value=text, name=entry.name)
    return entry.code


@cache
def ethnicities() -> dict[str, str]:
    """GB/T 3304 code → name."""
    with open(DATA_DIR / "ethnicities.csv", encoding="utf-8") as f:
        return {row["code"]: row["name"] for row in csv.DictReader(f)}


@cache
def _ethnicity_words() -> dict[str, str]:
    words: dict[str, str] = {}
    for code, name in ethnicities().items():
        words[code] = code
        words[str(int(code))] = code
        words[name] = code
        if name.endswith("族") and len(name) >= 2:
            words[name.removesuffix("族")] = code
    return words


def parse_ethnicity(value: Any, *, field: str = "ethnicity") -> str:
    text = clean_text(value)
    if not text:
        return ""
    code = _ethnicity_words().get(text)
    if code is None:
        raise fail("ethnicity_invalid", field, value=text)
    return code


def parse_phone(value: Any, *, field: str = "phone") -> str:
    text = clean_text(value).replace(" ", "")
    if text.startswith("+86"):
        text = text[3:]
    if text and not _PHONE.fullmatch(text):
        raise fail("phone_invalid", field, value=text)
    return text


_RELATION_WORDS: dict[str, str] = {name: r for r, name in RELATION_NAMES.items()} | {
    "儿媳": Relation.CHILD_IN_LAW, "女婿": Relation.CHILD_IN_LAW, "外祖父母": Relation.GRANDPARENT,
} | {
    r.value: r.value for r in Relation
} | {
    "本人": Relation.HEAD, "户主本人": Relation.HEAD,
    "妻": Relation.SPOUSE, "妻子": Relation.SPOUSE, "夫": Relation.SPOUSE, "丈夫": Relation.SPOUSE,
    "子": Relation.CHILD, "女": Relation.CHILD, "儿子": Relation.CHILD, "女儿": Relation.CHILD,
    "长子": Relation.CHILD, "次子": Relation.CHILD, "长女": Relation.CHILD, "次女": Relation.CHILD,
    "父亲": Relation.PARENT, "母亲": Relation.PARENT, "父": Relation.PARENT, "母": Relation.PARENT,
    "兄": Relation.SIBLING, "弟": Relation.SIBLING, "姐": Relation.SIBLING, "妹": Relation.SIBLING,
    "兄弟": Relation.SIBLING, "姐妹": Relation.SIBLING,
    "祖父": Relation.GRANDPARENT, "祖母": Relation.GRANDPARENT,
    "外祖父": Relation.GRANDPARENT, "外祖母": Relation.GRANDPARENT, "祖父母": Relation.GRANDPARENT,
    "孙子": Relation.GRANDCHILD, "孙女": Relation.GRANDCHILD, "外孙子": Relation.GRANDCHILD,
    "外孙女": Relation.GRANDCHILD, "孙子女": Relation.GRANDCHILD,
    "儿媳": Relation.CHILD_IN_LAW, "女婿": Relation.CHILD_IN_LAW,
}


def parse_relation(value: Any, *, field: str = "relation_to_head") -> str:
    text = clean_text(value)
    if not text:
        return ""
    relation = _RELATION_WORDS.get(text)
    if relation is None:
        raise fail("relation_invalid", field, value=text)
    return str(relation)


def parse_household_number(value: Any, *, field: str = "household_number") -> str:
    text = clean_text(value)
    if text and not _HOUSEHOLD_NUMBER.fullmatch(text):
        raise fail("household_number_invalid", field, value=text)
    return text


def parse_name(value: Any, *, field: str = "name", label: Any = None, required: bool = True,
               max_length: int = NAME_MAX_LENGTH) -> str:
    label = label or _("姓名")
    # Control characters inside the name are refused, not folded into spaces below.
    text = " ".join(core_text.check_text(clean_text(value), field=field, label=label).split())
    if not text and required:
        raise fail("required", field, label=label)
    if len(text) > max_length:
        raise fail("too_long", field, label=label, max=max_length)
    if not text.isalpha() and not all(ch.isalpha() or ch in NAME_MARKS for ch in text):
        raise fail("name_invalid", field, label=label, value=text)
    return text

