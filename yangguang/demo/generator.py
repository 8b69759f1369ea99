"""Synthetic registry data for the five seed jurisdictions; also the tests' factory.

The generator makes the rows an import file would hold (dicts keyed by the template's
Chinese headers, dates as ``datetime.date``, codes as text) and the life events an
import cannot express: deaths, certificate cancellations and freezes, and household
economic statuses. Every number it uses (sizes, ethnic mix, category, level and age
distributions, event rates) lives in ``data/jurisdictions.json``.

It is deterministic: one ``random.Random(seed)`` drives everything and Faker (zh_CN)
is seeded per instance, only to build name pools once, so the same seed gives the
same data on any machine and any day (dates are relative to the file's fixed
reference date). Rows are generated at well over 50,000 a second, so benchmarks can
write million-row files with ``write_rows``.

Helpers for tests: ``make_id_number``, ``person_row``, ``create_person``.
"""

from __future__ import annotations

import bisect
import contextlib
import csv
import datetime as dt
import json
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache, lru_cache
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from stdnum.cn import ric

from yangguang.regions import catalog
from yangguang.registry.vocabulary import (
    CATEGORY_NAMES,
    COLUMNS,
    HEADERS,
    KEY_TO_HEADER,
    LEVEL_NAMES,
    RELATION_NAMES,
    SEX_NAMES,
)

if TYPE_CHECKING:
    from yangguang.registry.models import Person

DATA_FILE = Path(__file__).resolve().parent / "data" / "jurisdictions.json"

#: ``yangguang demo`` without ``--scale``: about 6,000 persons, quick on SQLite.
DEFAULT_SCALE = 0.02
DEFAULT_SEED = 2021

FIELDS: tuple[tuple[str, str], ...] = tuple((key, header) for key, header, _req in COLUMNS)
(NAME, ID_NUMBER, CERTIFICATE_NUMBER, CATEGORY, LEVEL, HUKOU_REGION, ISSUE_DATE, SEX,
 BIRTH_DATE, ETHNICITY, RESIDENCE_REGION, PHONE, HOUSEHOLD_NUMBER, RELATION,
 COMPONENTS) = HEADERS

MALE, FEMALE = 1, 2
_SEX_TEXT = SEX_NAMES
_SEX_WORDS = {"男": MALE, "女": FEMALE, "1": MALE, "2": FEMALE}
_CATEGORY_WORDS = CATEGORY_NAMES
_CATEGORY_BY_WORD = {w: c for c, w in _CATEGORY_WORDS.items()}
_LEVEL_WORDS = LEVEL_NAMES
_HEAD, _SPOUSE, _CHILD, _PARENT, _SIBLING, _GRANDCHILD = (
    RELATION_NAMES[r] for r in ("head", "spouse", "child", "parent", "sibling", "grandchild"))
_MULTIPLE = 7
_HEARING = 2

_DAYS_PER_YEAR = 365.2425
_TEN_YEARS = 3652  # at least ten calendar years minus a day, whatever the leap days
_PLACEHOLDER_NAMES = ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划")
_NOT_PLACES = ("开发", "示范", "园区", "管委会", "管理委员会", "管理区")

T = TypeVar("T")


# ---------------------------------------------------------------------------
# Small building blocks


class Weighted(Generic[T]):
    """Draw values in proportion to weights (a cumulative table and a bisection)."""

    __slots__ = ("cum", "total", "values")

    def __init__(self, items: Iterable[tuple[T, float]]):
        self.values: list[T] = []
        self.cum: list[float] = []
        total = 0.0
        for value, weight in items:
            if weight > 0:
                total += weight
                self.values.append(value)
                self.cum.append(total)
        if not self.values:
            raise ValueError("Weighted needs at least one positive weight")
        self.total = total

    def pick(self, rng: random.Random) -> T:
        return self.values[bisect.bisect_right(self.cum, rng.random() * self.total)]

    def shares(self) -> dict[T, float]:
        previous = 0.0
        result: dict[T, float] = {}
        for value, cum in zip(self.values, self.cum, strict=True):
            result[value] = (cum - previous) / self.total
            previous = cum
        return result


def check_char(body17: str) -> str:
    """The GB 11643 check character (ISO 7064 MOD 11-2) of the first 17 digits."""
    return ric.calc_check_digit(body17 + "0")


def _ymd(day: dt.date) -> str:
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


def _sex_value(sex: Any) -> int:
    if isinstance(sex, int):
        return MALE if sex == MALE else FEMALE
    value = _SEX_WORDS.get(str(sex).strip())
    if value is None:
        raise ValueError(f"unknown sex {sex!r}")
    return value


def make_id_number(rng: random.Random, birthplace_code: str, birth_date: dt.date,
                   sex: Any) -> str:
    """A valid 18-character ID number: birthplace, birth date, a random sequence whose
    last digit is odd for a man and even for a woman, and the check character.

    ``sex`` is 1/2 (``Sex``) or 男/女.
    """
    male = _sex_value(sex) == MALE
    sequence = rng.randrange(500) * 2 + (1 if male else 0)
    if sequence == 0:
        sequence = 2
    body = f"{birthplace_code[:6]}{_ymd(birth_date)}{sequence:03d}"
    return body + check_char(body)


def format_components(components: Iterable[tuple[int, int]]) -> str:
    """The template text of multiple-disability components: ``视力二级；肢体三级``.

    The same text as ``validation.format_components``, but fixed Chinese whatever the
    active language, since it is file content, not UI text.
    """
    return "；".join(f"{_CATEGORY_WORDS[category]}{_LEVEL_WORDS[level]}"
                    for category, level in sorted(components))


# ---------------------------------------------------------------------------
# Configuration


@cache
def _load_json(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def load_config(path: str | Path | None = None) -> dict[str, Any]:
    """The generator's parameters (``data/jurisdictions.json``). Do not mutate."""
    return _load_json(str(path or DATA_FILE))


def reference_date(config: dict[str, Any] | None = None) -> dt.date:
    """The date the demo data describe: the file's reference date, or today if earlier."""
    config = config or load_config()
    return min(dt.date.fromisoformat(config["reference_date"]), dt.date.today())


def jurisdictions(config: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    return list((config or load_config())["jurisdictions"])


def apportion(total: int, config: dict[str, Any] | None = None) -> dict[str, int]:
    """Split ``total`` persons over the jurisdictions in proportion to their real sizes."""
    items = jurisdictions(config)
    real = sum(j["certified_persons"] for j in items)
    exact = [total * j["certified_persons"] / real for j in items]
    counts = [int(x) for x in exact]
    order = sorted(range(len(items)), key=lambda i: exact[i] - counts[i], reverse=True)
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return {j["key"]: n for j, n in zip(items, counts, strict=True)}


def plan_for_scale(scale: float, config: dict[str, Any] | None = None) -> dict[str, int]:
    """Persons per jurisdiction at ``scale`` × their real sizes (at least one each)."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    return {j["key"]: max(1, round(j["certified_persons"] * scale))
            for j in jurisdictions(config)}


def expected_category_shares(config: dict[str, Any] | None = None) -> dict[int, float]:
    shares = (config or load_config())["distributions"]["category_shares"]
    total = sum(shares.values())
    return {int(c): w / total for c, w in shares.items()}


def expected_level_shares(category: int, config: dict[str, Any] | None = None
                          ) -> dict[int, float]:
    weights = (config or load_config())["distributions"]["level_shares_by_category"][str(category)]
    total = sum(weights)
    return {level: w / total for level, w in enumerate(weights, start=1)}


def expected_age_band_shares(config: dict[str, Any] | None = None) -> list[float]:
    """The share of persons per age band that the configured distributions imply
    (before households and minimum ages shift them a little)."""
    config = config or load_config()
    bands = config["distributions"]["age_bands"]
    result = [0.0] * len(bands)
    for category, share in expected_category_shares(config).items():
        weights = [b["share"] * b["category_factors"].get(str(category), 1.0) for b in bands]
        total = sum(weights)
        for i, w in enumerate(weights):
            result[i] += share * w / total
    return result


# ---------------------------------------------------------------------------
# Places


@dataclass
class _County:
    code6: str
    villages: list[tuple[str, bool]]  # (12-digit code, rural)
    ethnicity: Weighted[str]
    area_code: str


@dataclass
class _Jurisdiction:
    key: str
    code: str
    name: str
    account: str
    counties: Weighted[_County]
    county_list: list[_County]
    social_status: Weighted[str | None]
    poverty_status: Weighted[str | None]
    former_codes: dict[str, list[tuple[str, int]]]


def _rural(entry: catalog.Entry) -> bool:
    if entry.urban_rural_class:
        return entry.urban_rural_class.startswith("2")
    return entry.level == 5 and entry.code[9:12] >= "200"


def _longest_prefix(table: dict[str, T], code: str, default: T) -> T:
    for n in (12, 9, 6, 4, 2):
        if code[:n] in table:
            return table[code[:n]]
    return default


def _is_place(entry: catalog.Entry) -> bool:
    return entry.name not in _PLACEHOLDER_NAMES and not any(w in entry.name for w in _NOT_PLACES)


@cache
def _places_under(prefix: str) -> tuple[dict[str, list[catalog.Entry]], list[catalog.Entry]]:
    """Current villages by county under a code prefix, and the current townships."""
    villages: dict[str, list[catalog.Entry]] = {}
    townships: list[catalog.Entry] = []
    for entry in catalog.rows():
        if not entry.code.startswith(prefix) or entry.valid_until is not None:
            continue
        if entry.level == 5:
            villages.setdefault(entry.code[:6], []).append(entry)
        elif entry.level == 4:
            townships.append(entry)
    return villages, townships


@cache
def _counties_by_stem(province: str) -> dict[str, list[catalog.Entry]]:
    """Every county-level code of a province (current and former) by the first two
    characters of its name, to follow a county through renames and re-codings."""
    result: dict[str, list[catalog.Entry]] = {}
    for entry in catalog.rows():
        if entry.level == 3 and entry.code.startswith(province) and _is_place(entry):
            result.setdefault(entry.name[:2], []).append(entry)
    return result


@cache
def _current_counties(prefix: str = "") -> tuple[str, ...]:
    return tuple(
        e.code[:6] for e in catalog.rows()
        if e.level == 3 and e.valid_until is None and e.code.startswith(prefix) and _is_place(e)
        and e.code[:2] not in ("71", "81", "82")
    )


@cache
def _city_townships(prefixes: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(
        e.code for e in catalog.rows()
        if e.level == 4 and e.valid_until is None and e.code.startswith(prefixes)
    )


def _valid_in(entry: catalog.Entry, year: int) -> bool:
    return ((entry.valid_from is None or entry.valid_from.year <= year)
            and (entry.valid_until is None or entry.valid_until.year >= year))


def _build_jurisdiction(spec: dict[str, Any]) -> _Jurisdiction:
    top = catalog.lookup(spec["code"])
    if top is None:
        raise ValueError(f"unknown jurisdiction code {spec['code']}")
    villages, townships = _places_under(top.short_code)
    if not villages:  # no village data: fall back to townships
        for t in townships:
            villages.setdefault(t.code[:6], []).append(t)
    if not villages:
        villages = {top.code[:6]: [top]}
    weights_cfg: dict[str, float] = spec.get("county_weights", {})
    ethnicity_cfg: dict[str, dict[str, float]] = spec["ethnicity"]
    areas: dict[str, str] = spec.get("area_codes", {})
    counties: list[tuple[_County, float]] = []
    known = [c for c in villages if c in weights_cfg]
    per_village = (sum(weights_cfg[c] for c in known) / sum(len(villages[c]) for c in known)
                   if known else 1.0)
    for code6 in sorted(villages):
        entries = villages[code6]
        county = _County(
            code6=code6,
            villages=[(e.code, _rural(e)) for e in entries],
            ethnicity=Weighted(sorted(_longest_prefix(ethnicity_cfg, code6, {"汉族": 1.0})
                                      .items())),
            area_code=_longest_prefix(areas, code6, ""),
        )
        counties.append((county, weights_cfg.get(code6, len(entries) * per_village)))
    shares = spec["household_status_shares"]
    social = ("dibao", "tekun", "near_dibao", "low_income")
    poverty = ("poverty_exited", "monitored")
    return _Jurisdiction(
        key=spec["key"], code=spec["code"], name=spec["name"], account=spec.get("account", ""),
        counties=Weighted(counties), county_list=[c for c, _w in counties],
        social_status=Weighted([*((s, shares.get(s, 0.0)) for s in social),
                                (None, max(0.0, 1 - sum(shares.get(s, 0.0) for s in social)))]),
        poverty_status=Weighted([*((s, shares.get(s, 0.0)) for s in poverty),
                                 (None, max(0.0, 1 - sum(shares.get(s, 0.0) for s in poverty)))]),
        former_codes={k: [(c, int(y)) for c, y in v]
                      for k, v in spec.get("birthplace_former_codes", {}).items()},
    )


# ---------------------------------------------------------------------------
# Names


class _Names:
    """Name pools, built once from a seeded Faker; drawing from them is fast."""

    def __init__(self, seed: int, config: dict[str, Any]):
        from faker import Faker

        fake = Faker("zh_CN")
        fake.seed_instance(seed)
        self.surnames = [fake.last_name() for _ in range(3000)]
        male = [fake.first_name_male() for _ in range(1500)]
        female = [fake.first_name_female() for _ in range(1500)]
        # Faker's male list holds a few female names (红霞): drop names with a character
        # that no other male name has but female names do.
        male_chars = [c for n in sorted(set(male)) for c in n]
        female_chars = {c for n in female for c in n}
        male = [n for n in male
                if not any(c in female_chars and male_chars.count(c) == 1 for c in n)]
        self.given = {MALE: male, FEMALE: female}
        self.chars = {MALE: sorted({c for n in male for c in n}),
                      FEMALE: sorted({c for n in female for c in n})}
        names_cfg = config["names"]
        self.compound_share = names_cfg.get("given_name_compound_share", 0.4)
        self.styles: dict[str, dict[str, Any]] = {}
        for ethnicity, style in names_cfg["styles"].items():
            built = dict(style)
            if "surnames" in style:
                built["surname_pool"] = Weighted(sorted(style["surnames"].items()))
            self.styles[ethnicity] = built

    def given_name(self, rng: random.Random, sex: int) -> str:
        if rng.random() < self.compound_share:
            chars = self.chars[sex]
            return rng.choice(chars) + rng.choice(chars)
        return rng.choice(self.given[sex])

    def make(self, rng: random.Random, ethnicity: str, sex: int,
             surname: str | None = None) -> tuple[str, str | None]:
        """A name and the surname it carries (None for names without one)."""
        style = self.styles.get(ethnicity)
        if style is None:
            surname = surname or rng.choice(self.surnames)
            return surname + self.given_name(rng, sex), surname
        parts = style.get("parts")
        if parts is not None and not (surname is not None
                                      or rng.random() < style.get("han_name_share", 0.0)):
            own = parts["male" if sex == MALE else "female"]
            if rng.random() < style.get("single_share", 0.0):
                return rng.choice(own), None
            return rng.choice(parts["first"]) + rng.choice(own), None
        if surname is None:
            pool = style.get("surname_pool")
            surname = pool.pick(rng) if pool is not None else rng.choice(self.surnames)
        extra = style.get("given_extra")
        if extra and rng.random() < style.get("given_extra_share", 0.0):
            return surname + rng.choice(extra["male" if sex == MALE else "female"]), surname
        return surname + self.given_name(rng, sex), surname


@lru_cache(maxsize=8)
def _names(seed: int, config_path: str) -> _Names:
    return _Names(seed, _load_json(config_path))


# ---------------------------------------------------------------------------
# Events


@dataclass(frozen=True, slots=True)
class Death:
    id_number: str  # 18 characters, as normalised
    date: dt.date


@dataclass(frozen=True, slots=True)
class CertificateEvent:
    """A cancellation or a freeze of the holder's current certificate."""

    id_number: str
    reason: str  # StatusReason value
    date: dt.date
    note: str = ""


@dataclass(frozen=True, slots=True)
class HouseholdStatusPeriod:
    household_number: str
    status: str  # EconomicStatus value
    start_date: dt.date
    end_date: dt.date | None = None


@dataclass
class DemoEvents:
    deaths: list[Death] = field(default_factory=list)
    cancellations: list[CertificateEvent] = field(default_factory=list)
    freezes: list[CertificateEvent] = field(default_factory=list)
    household_statuses: list[HouseholdStatusPeriod] = field(default_factory=list)


@dataclass
class DemoData:
    rows: list[dict[str, Any]]
    events: DemoEvents
    as_of: dt.date
    plan: dict[str, int]


# ---------------------------------------------------------------------------
# The row builder


@dataclass
class _Facts:
    """What the event rules need to know about a generated person."""

    id18: str
    birth_ord: int
    issue_ord: int
    age: int
    band: int


class _Builder:
    def __init__(self, config: dict[str, Any], config_path: str, rng: random.Random,
                 names: _Names, as_of: dt.date, *, unique: set[int] | None = None):
        self.config = config
        self.rng = rng
        self.names = names
        self.as_of = as_of
        self.as_of_ord = as_of.toordinal()
        self.unique = unique
        self.village_counters: dict[str, int] = {}
        self.ctx = _context(config_path)
        d = config["distributions"]
        cert = config["certificate"]
        self.male_share = d["male_share"]
        self.min_age = {int(c): a for c, a in d["min_age_by_category"].items()}
        self.first_id_year = config["birthplace"].get("first_id_year", 1985)
        self.earliest_issue = dt.date.fromisoformat(cert["earliest_issue_date"]).toordinal()
        self.expired_share = cert["expired_share"]
        self.min_issue_age = cert["min_age_days_at_issue"]
        self.legacy_share = cert["legacy_id_share"]
        self.phone_mobile = config["phone"]["mobile"]
        self.phone_landline = config["phone"]["landline"]
        self.mobile_prefixes = config["phone"]["mobile_prefixes"]
        self.birthplace_cache: dict[tuple[str, int], str] = {}
        self.events: DemoEvents | None = None

    # -- the person's attributes

    def _category_for_age(self, age: int) -> int:
        return self.ctx.category_by_band[self.ctx.band_of_age(age)].pick(self.rng)

    def _birthplace(self, jurisdiction: _Jurisdiction, county: _County, birth_year: int) -> str:
        rng = self.rng
        origin = self.ctx.birthplace.pick(rng)
        if origin == "hukou_county":
            code6 = county.code6
        elif origin == "same_province":
            code6 = rng.choice(_current_counties(county.code6[:2]))
        else:
            code6 = rng.choice(self.ctx.national_counties)
        return self._code_in_year(jurisdiction, code6, max(birth_year, self.first_id_year))

    def _code_in_year(self, jurisdiction: _Jurisdiction, code6: str, year: int) -> str:
        key = (code6, year)
        cached = self.birthplace_cache.get(key)
        if cached is not None:
            return cached
        result = code6
        former = jurisdiction.former_codes.get(code6)
        entry = catalog.lookup(code6)
        if former:
            for old, until in former:
                if year <= until:
                    result = old
                    break
        elif entry is not None and not _valid_in(entry, year):
            for candidate in _counties_by_stem(code6[:2]).get(entry.name[:2], []):
                if _valid_in(candidate, year):
                    result = candidate.code[:6]
                    break
        if not catalog.birthplace_valid(result, year):
            result = code6
        self.birthplace_cache[key] = result
        return result

    def _id_number(self, birthplace: str, birth: dt.date, sex: int) -> str:
        rng = self.rng
        prefix = f"{birthplace}{_ymd(birth)}"
        parity = 1 if sex == MALE else 0
        for _attempt in range(1000):
            sequence = rng.randrange(500) * 2 + parity
            if sequence == 0:
                continue
            body = f"{prefix}{sequence:03d}"
            if self.unique is not None:
                key = int(body)
                if key in self.unique:
                    continue
                self.unique.add(key)
            return body + check_char(body)
        raise RuntimeError(f"no free ID sequence for {prefix}")

    def _residence(self, jurisdiction: _Jurisdiction, county: _County, hukou: str) -> str:
        rng = self.rng
        kind = self.ctx.residence.pick(rng)
        if kind == "same_as_hukou":
            return ""
        if kind == "same_county" and len(county.villages) > 1:
            code = rng.choice(county.villages)[0]
        elif kind == "other_city" and self.ctx.city_townships:
            code = rng.choice(self.ctx.city_townships)
        else:
            other = rng.choice(jurisdiction.county_list)
            code = rng.choice(other.villages)[0]
        return "" if code == hukou else code

    def _phone(self, county: _County) -> str:
        rng = self.rng
        r = rng.random()
        if r < self.phone_mobile:
            return f"{rng.choice(self.mobile_prefixes)}{rng.randrange(10**8):08d}"
        if r < self.phone_mobile + self.phone_landline and county.area_code:
            digits = 8 if len(county.area_code) == 3 else 7
            first = rng.randrange(2, 9)
            return f"{county.area_code}-{first}{rng.randrange(10 ** (digits - 1)):0{digits - 1}d}"
        return ""

    def _components(self, level: int) -> str:
        rng = self.rng
        count = self.ctx.component_counts.pick(rng)
        categories: list[int] = []
        while len(categories) < count:
            c = self.ctx.component_categories.pick(rng)
            if c not in categories:
                categories.append(c)
        parts = [(categories[0], level)]
        parts += [(c, rng.randint(level, 4)) for c in categories[1:]]
        return format_components(parts)

    def _issue_ord(self, birth_ord: int, age: int) -> int:
        rng = self.rng
        as_of = self.as_of_ord
        first_possible = max(self.earliest_issue, birth_ord + self.min_issue_age)
        if age >= 11 and rng.random() < self.expired_share:
            lo = max(first_possible, as_of - 16 * 365)
            hi = as_of - _TEN_YEARS - 2
            if lo <= hi:
                return rng.randint(lo, hi)
        lo = max(first_possible, as_of - _TEN_YEARS + 2)
        return rng.randint(lo, as_of) if lo <= as_of else as_of

    # -- one person

    def person(self, jurisdiction: _Jurisdiction, county: _County, village: tuple[str, bool], *,
               category: int | None = None, level: int | None = None, age: int | None = None,
               birth: dt.date | None = None, sex: int | None = None,
               ethnicity: str | None = None, surname: str | None = None,
               household_number: str = "", relation: str = "",
               issue: dt.date | None = None, reissue: int | None = None,
               legacy: bool | None = None, id_number: str | None = None,
               ) -> tuple[dict[str, Any], _Facts, str | None]:
        """One row, the facts the events need, and the surname used."""
        rng = self.rng
        ctx = self.ctx
        as_of = self.as_of_ord
        if birth is not None:
            birth_ord = birth.toordinal()
            age = int((as_of - birth_ord) / _DAYS_PER_YEAR)
        if category is None:
            category = (ctx.categories.pick(rng) if age is None
                        else self._category_for_age(age))
        if age is None:
            band = ctx.band_by_category[category].pick(rng)
            lo, hi = ctx.bands[band]
            age = rng.randrange(lo, hi)
        age = max(age, self.min_age.get(category, 1) if birth is None else 0)
        if birth is None:
            # A given issue date bounds the birth: the certificate is issued at least
            # min_issue_age days after it (the generator's own issue dates follow the
            # birth, ``_issue_ord``).
            latest = as_of - 1 if issue is None else min(as_of - 1,
                                                         issue.toordinal() - self.min_issue_age)
            birth_ord = as_of - int((age + rng.random()) * _DAYS_PER_YEAR)
            if birth_ord > latest:
                birth_ord = latest - int(rng.random() * _DAYS_PER_YEAR)
                age = int((as_of - birth_ord) / _DAYS_PER_YEAR)
        band = ctx.band_of_age(age)
        if level is None:
            level = ctx.levels[category].pick(rng)
            if category == _HEARING and level == 4 and age < 3:
                level = 3
        if sex is None:
            sex = MALE if rng.random() < self.male_share else FEMALE
        if ethnicity is None:
            ethnicity = county.ethnicity.pick(rng)
        name, surname = self.names.make(rng, ethnicity, sex, surname)
        birth_day = dt.date.fromordinal(birth_ord)
        if id_number is None:
            birthplace = self._birthplace(jurisdiction, county, birth_day.year)
            id18 = self._id_number(birthplace, birth_day, sex)
            if legacy is None:
                legacy = birth_day.year < 2000 and rng.random() < self.legacy_share
            id_text = id18[:6] + id18[8:17] if legacy and birth_day.year < 2000 else id18
        else:
            id18 = id_text = id_number
        issue_ord = (issue.toordinal() if issue is not None
                     else self._issue_ord(birth_ord, age))
        if reissue is None:
            reissue = ctx.reissue.pick(rng)
        hukou = village[0]
        row = {
            NAME: name,
            ID_NUMBER: id_text,
            CERTIFICATE_NUMBER: f"{id18}{category}{level}" + (f"B{reissue}" if reissue else ""),
            CATEGORY: str(category),
            LEVEL: str(level),
            HUKOU_REGION: hukou,
            ISSUE_DATE: dt.date.fromordinal(issue_ord),
            SEX: _SEX_TEXT[sex],
            BIRTH_DATE: birth_day,
            ETHNICITY: ethnicity,
            RESIDENCE_REGION: self._residence(jurisdiction, county, hukou),
            PHONE: self._phone(county),
            HOUSEHOLD_NUMBER: household_number,
            RELATION: relation if household_number else "",
            COMPONENTS: self._components(level) if category == _MULTIPLE else "",
        }
        return row, _Facts(id18, birth_ord, issue_ord, age, band), surname

    # -- households and events (the full generator)

    def household_number(self, village: str) -> str:
        n = self.village_counters.get(village, 0) + 1
        self.village_counters[village] = n
        return f"{village}{n:04d}"

    def household_rows(self, jurisdiction: _Jurisdiction, remaining: int
                       ) -> list[tuple[dict[str, Any], _Facts]]:
        """One household's disabled members (one, or two or three sharing a number)."""
        rng = self.rng
        ctx = self.ctx
        county = jurisdiction.counties.pick(rng)
        village = rng.choice(county.villages)
        if remaining >= 2 and rng.random() < ctx.multi_share:
            size = 3 if remaining >= 3 and rng.random() < ctx.three_share else 2
            template = (ctx.templates_3 if size == 3 else ctx.templates_2).pick(rng)
            number = self.household_number(village[0])
            members = self._members(jurisdiction, county, village, template, number)
            self._household_status(jurisdiction, number, village[1], members[0][1])
            return members
        number = ""
        relation = ""
        if rng.random() < ctx.with_number_share:
            number = self.household_number(village[0])
            relation = ctx.single_relation.pick(rng)
        row, facts, _surname = self.person(jurisdiction, county, village,
                                           household_number=number, relation=relation)
        if number:
            self._household_status(jurisdiction, number, village[1], facts)
        return [(row, facts)]

    def _members(self, jurisdiction: _Jurisdiction, county: _County, village: tuple[str, bool],
                 template: str, number: str) -> list[tuple[dict[str, Any], _Facts]]:
        rng = self.rng
        out: list[tuple[dict[str, Any], _Facts]] = []

        def add(relation: str, age: int, **kw: Any) -> tuple[dict[str, Any], str | None]:
            row, facts, surname = self.person(jurisdiction, county, village, age=max(1, age),
                                              household_number=number, relation=relation, **kw)
            out.append((row, facts))
            return row, surname

        def opposite(row: dict[str, Any]) -> int:
            return FEMALE if row[SEX] == "男" else MALE

        def family(surname: str | None, share: float) -> str | None:
            return surname if surname is not None and rng.random() < share else None

        if template in ("couple", "couple_child"):
            head_age = rng.randint(45 if template == "couple_child" else 55, 88)
            head, surname = add(_HEAD, head_age)
            ethnicity = head[ETHNICITY]
            spouse_ethnicity = (ethnicity if rng.random() < self.ctx.same_ethnicity_spouse
                                else None)
            add(_SPOUSE, min(99, max(18, head_age + rng.randint(-6, 6))), sex=opposite(head),
                ethnicity=spouse_ethnicity)
            if template == "couple_child":
                add(_CHILD, head_age - rng.randint(20, 36), ethnicity=ethnicity,
                    surname=family(surname, 0.8))
        elif template in ("parent_child", "parent_two_children"):
            head_age = rng.randint(40, 80)
            head, surname = add(_HEAD, head_age)
            for _ in range(2 if template == "parent_two_children" else 1):
                add(_CHILD, head_age - rng.randint(20, 36), ethnicity=head[ETHNICITY],
                    surname=family(surname, 0.8))
        elif template == "head_parent":
            head_age = rng.randint(20, 60)
            head, surname = add(_HEAD, head_age)
            add(_PARENT, min(99, head_age + rng.randint(20, 36)), ethnicity=head[ETHNICITY],
                surname=family(surname, 0.5))
        elif template == "siblings":
            head_age = rng.randint(18, 70)
            head, surname = add(_HEAD, head_age)
            add(_SIBLING, head_age + rng.choice((-1, 1)) * rng.randint(1, 10),
                ethnicity=head[ETHNICITY], surname=family(surname, 0.9))
        else:  # grandparent_grandchild
            head_age = rng.randint(55, 90)
            head, surname = add(_HEAD, head_age)
            add(_GRANDCHILD, head_age - rng.randint(45, 60), ethnicity=head[ETHNICITY],
                surname=family(surname, 0.7))
        return out

    def _household_status(self, jurisdiction: _Jurisdiction, number: str, rural: bool,
                          facts: _Facts) -> None:
        rng = self.rng
        events = self.events
        if events is None:
            return
        statuses = [jurisdiction.social_status.pick(rng)]
        if rural:
            statuses.append(jurisdiction.poverty_status.pick(rng))
        for status in statuses:
            if status is None:
                continue
            rule = self.ctx.status_dates[status]
            lo = max(rule["start_from"], facts.birth_ord)
            hi = min(rule["start_until"], self.as_of_ord)
            if lo > hi:
                continue
            start = rng.randint(lo, hi)
            end = None
            if rng.random() < rule["ended_share"] and start < self.as_of_ord:
                end = dt.date.fromordinal(rng.randint(start + 1, self.as_of_ord))
            events.household_statuses.append(
                HouseholdStatusPeriod(number, status, dt.date.fromordinal(start), end))

    def person_events(self, facts: _Facts) -> None:
        rng = self.rng
        events = self.events
        if events is None:
            return
        ctx = self.ctx
        as_of = self.as_of_ord
        r = rng.random()
        if r < ctx.death_rates[facts.band]:
            lo = max(facts.issue_ord + 30, as_of - ctx.death_window, facts.birth_ord + 1)
            if lo <= as_of:
                events.deaths.append(Death(facts.id18, dt.date.fromordinal(rng.randint(lo, as_of))))
                return
        r = rng.random()
        for reason, share in ctx.cancellations:
            if r < share:
                lo = facts.issue_ord + 180
                if lo <= as_of:
                    events.cancellations.append(CertificateEvent(
                        facts.id18, reason, dt.date.fromordinal(rng.randint(lo, as_of)),
                        ctx.notes.get(reason, "")))
                return
            r -= share
        for reason, share in ctx.freezes:
            if r < share:
                # Only certificates with years of validity left, so they are valid to freeze.
                lo = max(facts.issue_ord + 180, as_of - 365)
                if facts.issue_ord >= as_of - 9 * 365 and lo <= as_of:
                    events.freezes.append(CertificateEvent(
                        facts.id18, reason, dt.date.fromordinal(rng.randint(lo, as_of)),
                        ctx.notes.get("freeze_" + reason, "")))
                return
            r -= share


class _Context:
    """Everything derived from the configuration and the region catalog, built once."""

    def __init__(self, config: dict[str, Any]):
        d = config["distributions"]
        self.categories: Weighted[int] = Weighted(
            (int(c), w) for c, w in d["category_shares"].items())
        self.levels = {int(c): Weighted(enumerate(ws, start=1))
                       for c, ws in d["level_shares_by_category"].items() if c.isdigit()}
        bands = d["age_bands"]
        self.bands = [(b["from"], b["to"]) for b in bands]
        self._band_edges = [b["to"] for b in bands]
        self.band_by_category = {
            c: Weighted((i, b["share"] * b["category_factors"].get(str(c), 1.0))
                        for i, b in enumerate(bands))
            for c in self.categories.values
        }
        shares = expected_category_shares(config)
        self.category_by_band = [
            Weighted((c, shares[c] * b["category_factors"].get(str(c), 1.0))
                     for c in self.categories.values)
            for b in bands
        ]
        multiple = d["multiple"]
        self.component_counts = Weighted((int(k), w) for k, w in
                                         multiple["component_counts"].items())
        self.component_categories = Weighted((int(k), w) for k, w in
                                             multiple["component_weights"].items())
        cert = config["certificate"]
        self.reissue = Weighted([(0, 1 - sum(cert["reissue_shares"].values())),
                                 *((int(k), w) for k, w in cert["reissue_shares"].items())])
        self.birthplace = Weighted((k, config["birthplace"][k])
                                   for k in ("hukou_county", "same_province", "other_province"))
        residence = config["residence"]
        self.residence = Weighted((k, residence[k]) for k in
                                  ("same_as_hukou", "same_county", "same_jurisdiction",
                                   "other_city"))
        self.city_townships = _city_townships(tuple(residence["other_city_prefixes"]))
        self.national_counties = _current_counties()
        h = config["households"]
        self.with_number_share = h["with_number_share"]
        self.multi_share = h["multi_member_unit_share"]
        self.three_share = h["three_member_share"]
        self.templates_2 = Weighted(h["templates_2"].items())
        self.templates_3 = Weighted(h["templates_3"].items())
        self.single_relation = Weighted(h["single_relation"].items())
        self.same_ethnicity_spouse = h["same_ethnicity_spouse"]
        e = config["events"]
        self.death_rates = e["death_rate_by_age_band"]
        if len(self.death_rates) != len(bands):
            raise ValueError("events.death_rate_by_age_band needs one rate per age band")
        self.death_window = int(e["death_window_years"] * _DAYS_PER_YEAR)
        self.cancellations = list(e["cancellation_shares"].items())
        self.freezes = list(e["freeze_shares"].items())
        self.notes: dict[str, str] = e.get("notes", {})
        far_future = dt.date(9999, 1, 1).toordinal()
        self.status_dates = {
            status: {
                "start_from": dt.date.fromisoformat(rule["start_from"]).toordinal(),
                "start_until": (dt.date.fromisoformat(rule["start_until"]).toordinal()
                                if "start_until" in rule else far_future),
                "ended_share": rule["ended_share"],
            }
            for status, rule in e["household_status_dates"].items()
        }
        self.jurisdictions = [_build_jurisdiction(j) for j in config["jurisdictions"]]
        self.by_key = {j.key: j for j in self.jurisdictions}
        self.weights = Weighted((j, s["certified_persons"])
                                for j, s in zip(self.jurisdictions, config["jurisdictions"],
                                                strict=True))

    def band_of_age(self, age: int) -> int:
        return min(bisect.bisect_right(self._band_edges, age), len(self._band_edges) - 1)

    def jurisdiction_of(self, code: str) -> _Jurisdiction | None:
        for j in self.jurisdictions:
            top = catalog.lookup(j.code)
            if top is not None and code.startswith(top.short_code):
                return j
        return None


@cache
def _context(config_path: str) -> _Context:
    return _Context(_load_json(config_path))


# ---------------------------------------------------------------------------
# The generator


class DemoGenerator:
    """Rows and events for the five jurisdictions at a scale of their real sizes.

    ``scale`` × the certified persons of each jurisdiction, or ``count`` persons in
    all (split in proportion). ``iter_rows`` streams the rows (and, if given a
    ``DemoEvents``, fills it as rows are produced); ``generate`` keeps everything.
    """

    def __init__(self, seed: int = DEFAULT_SEED, *, scale: float = DEFAULT_SCALE,
                 count: int | None = None, as_of: dt.date | None = None,
                 config_path: str | Path | None = None):
        self.seed = seed
        self.config_path = str(config_path or DATA_FILE)
        self.config = _load_json(self.config_path)
        self.scale = scale
        self.as_of = as_of or reference_date(self.config)
        self.plan = (apportion(count, self.config) if count is not None
                     else plan_for_scale(scale, self.config))

    @property
    def total(self) -> int:
        return sum(self.plan.values())

    def iter_rows(self, events: DemoEvents | None = None) -> Iterator[dict[str, Any]]:
        rng = random.Random(self.seed)
        builder = _Builder(self.config, self.config_path, rng, _names(self.seed,
                                                                      self.config_path),
                           self.as_of, unique=set())
        builder.events = events
        for jurisdiction in builder.ctx.jurisdictions:
            target = self.plan.get(jurisdiction.key, 0)
            produced = 0
            while produced < target:
                for row, facts in builder.household_rows(jurisdiction, target - produced):
                    builder.person_events(facts)
                    produced += 1
                    yield row

    def generate(self) -> DemoData:
        events = DemoEvents()
        rows = list(self.iter_rows(events))
        return DemoData(rows=rows, events=events, as_of=self.as_of, plan=dict(self.plan))


def generate(scale: float = DEFAULT_SCALE, seed: int = DEFAULT_SEED) -> DemoData:
    """All rows and events at ``scale`` (kept in memory: for small scales and tests)."""
    return DemoGenerator(seed, scale=scale).generate()


def iter_rows(count: int, *, seed: int = DEFAULT_SEED) -> Iterator[dict[str, Any]]:
    """Exactly ``count`` rows, spread over the jurisdictions in proportion to their sizes."""
    return islice(DemoGenerator(seed, count=count).iter_rows(), count)


# ---------------------------------------------------------------------------
# Test factory

_default_rng = random.Random(0x59474E47)
_default_unique: set[int] = set()


def _override_value(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _parse_int(value: Any, words: dict[str, int]) -> int | None:
    text = _override_value(value).removesuffix("残疾")
    if text.isdigit():
        return int(text)
    return words.get(text)


def person_row(rng: random.Random | None = None, **overrides: Any) -> dict[str, Any]:
    """One valid import row. Overrides go by header (``残疾类别``) or key (``category``).

    Overridden sex, birth date, ID number, category, level, hukou region, issue date and
    household fields are used to build a consistent row (the ID, certificate number and
    components follow them); then every override is written into the row as given, so
    a test can also plant an invalid value. Extra keywords: ``reissue_count`` (B1, B2 …)
    and ``legacy_id`` (a 15-digit ID number, for births before 2000).

    Without ``rng`` a process-wide generator is used and IDs never repeat in the process.
    """
    reissue = overrides.pop("reissue_count", None)
    legacy = overrides.pop("legacy_id", None)
    given: dict[str, Any] = {}
    for key, value in overrides.items():
        header = KEY_TO_HEADER.get(key, key)
        if header not in KEY_TO_HEADER.values():
            raise TypeError(f"person_row() got an unknown column {key!r}")
        given[header] = value
    unique = None
    if rng is None:
        rng, unique = _default_rng, _default_unique
    config_path = str(DATA_FILE)
    config = _load_json(config_path)
    builder = _Builder(config, config_path, rng, _names(DEFAULT_SEED, config_path),
                       reference_date(config), unique=unique)
    ctx = builder.ctx

    kwargs: dict[str, Any] = {"reissue": reissue, "legacy": legacy}
    hukou = _override_value(given.get(HUKOU_REGION))
    entry = catalog.lookup(hukou) if hukou else None
    jurisdiction = ctx.jurisdiction_of(entry.code) if entry is not None else None
    if jurisdiction is None:
        jurisdiction = ctx.weights.pick(rng)
    if entry is not None:
        county = next((c for c in jurisdiction.county_list if c.code6 == entry.code[:6]), None)
        if county is None:  # a region outside the seed jurisdictions: a stand-in county
            county = _County(entry.code[:6], [(entry.code, True)],
                             Weighted([("汉族", 1.0)]), "")
        village = (entry.code, _rural(entry))
    else:
        county = jurisdiction.counties.pick(rng)
        village = rng.choice(county.villages)

    id_text = _override_value(given.get(ID_NUMBER))
    if id_text:
        id18 = id_text.upper()
        if len(id18) == 15 and id18.isdigit():
            body = id18[:6] + "19" + id18[6:]
            id18 = body + check_char(body)
        try:
            kwargs["birth"] = dt.date(int(id18[6:10]), int(id18[10:12]), int(id18[12:14]))
            kwargs["sex"] = MALE if int(id18[16]) % 2 else FEMALE
            kwargs["id_number"] = id18
        except (ValueError, IndexError):
            pass  # an invalid ID planted by the test: the rest stays random
    if "id_number" not in kwargs:
        if SEX in given:
            with contextlib.suppress(ValueError):  # an invalid value planted by the test
                kwargs["sex"] = _sex_value(given[SEX])
        birth = given.get(BIRTH_DATE)
        if isinstance(birth, dt.date):
            kwargs["birth"] = birth
        elif birth:
            with contextlib.suppress(ValueError):
                kwargs["birth"] = dt.date.fromisoformat(_override_value(birth))
    category = _parse_int(given.get(CATEGORY), _CATEGORY_BY_WORD) if CATEGORY in given else None
    level = _parse_int(given.get(LEVEL), {w: n for n, w in _LEVEL_WORDS.items()}
                       | {w[0]: n for n, w in _LEVEL_WORDS.items()}) if LEVEL in given else None
    if category is None and _override_value(given.get(COMPONENTS)):
        category = _MULTIPLE
    if category in _CATEGORY_WORDS:
        kwargs["category"] = category
    if level in _LEVEL_WORDS:
        kwargs["level"] = level
    issue = given.get(ISSUE_DATE)
    if isinstance(issue, dt.date):
        kwargs["issue"] = issue
    ethnicity = _override_value(given.get(ETHNICITY))
    if ethnicity:
        kwargs["ethnicity"] = ethnicity
    number = _override_value(given.get(HOUSEHOLD_NUMBER))
    if HOUSEHOLD_NUMBER not in given and rng.random() < ctx.with_number_share:
        number = f"{village[0]}{rng.randrange(10**6):06d}"
    kwargs["household_number"] = number
    kwargs["relation"] = (_override_value(given.get(RELATION)) if RELATION in given
                          else (_HEAD if number else ""))

    if (kwargs.get("category") == _MULTIPLE and "level" not in kwargs
            and _override_value(given.get(COMPONENTS))):
        kwargs["level"] = _min_component_level(given[COMPONENTS])
    row, _facts, _surname = builder.person(jurisdiction, county, village, **kwargs)
    row.update(given)
    return row


def _min_component_level(text: Any) -> int | None:
    levels = [n for n, w in _LEVEL_WORDS.items() if w in str(text)]
    levels += [int(ch) for part in str(text).replace("；", ",").split(",")
               if "-" in part for ch in part.split("-")[1:2] if ch.isdigit()]
    return min(levels) if levels else None


def create_person(*, actor: Any = None, **overrides: Any) -> Person:
    """Register one person (with a certificate) through ``services.register_person``,
    from a ``person_row`` checked by ``rules.parse_row``."""
    from yangguang.audit.services import Actor
    from yangguang.registry import rules, services, vocabulary

    row = person_row(**overrides)
    data = rules.parse_row({vocabulary.HEADER_TO_KEY.get(h, h): v for h, v in row.items()})
    return services.register_person(data, actor=actor or Actor(name="test"), scope=None)


# ---------------------------------------------------------------------------
# Writing files


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def write_rows(rows: Iterable[dict[str, Any]], path: str | Path, *,
               encoding: str | None = None) -> int:
    """Write rows with the template's header row to ``.xlsx`` or ``.csv``; returns the count.

    CSV is UTF-8 with a BOM (what Excel opens correctly) unless ``encoding`` says
    otherwise, e.g. ``gb18030`` as Chinese Excel saves it.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _write_csv(rows, path, encoding or "utf-8-sig")
    if suffix == ".xlsx":
        return _write_xlsx(rows, path)
    raise ValueError(f"write_rows writes .csv or .xlsx files, not {suffix or path.name!r}")


def _write_csv(rows: Iterable[dict[str, Any]], path: Path, encoding: str) -> int:
    date_positions = [HEADERS.index(h) for h in (ISSUE_DATE, BIRTH_DATE)]
    count = 0
    with open(path, "w", encoding=encoding, newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADERS)
        for row in rows:
            try:
                values = [row[h] for h in HEADERS]
                for i in date_positions:
                    value = values[i]
                    if isinstance(value, dt.date):
                        values[i] = value.isoformat()
            except KeyError:
                values = [_cell_text(row.get(h)) for h in HEADERS]
            writer.writerow(values)
            count += 1
    return count


def _write_xlsx(rows: Iterable[dict[str, Any]], path: Path) -> int:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("残疾人")
    sheet.append(list(HEADERS))
    count = 0
    for row in rows:
        cells: list[Any] = []
        for header in HEADERS:
            value = row.get(header)
            if isinstance(value, dt.date):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = "yyyy-mm-dd"
                cells.append(cell)
            else:
                cells.append("" if value is None else value)
        sheet.append(cells)
        count += 1
    workbook.save(path)
    return count


__all__ = [
    "DEFAULT_SCALE", "DEFAULT_SEED", "FIELDS", "HEADERS", "CertificateEvent", "Death",
    "DemoData", "DemoEvents", "DemoGenerator", "HouseholdStatusPeriod", "apportion",
    "check_char", "create_person", "expected_age_band_shares", "expected_category_shares",
    "expected_level_shares", "format_components", "generate", "iter_rows", "load_config",
    "make_id_number", "person_row", "plan_for_scale", "reference_date", "write_rows",
]
