"""The indicator catalogue of DOMAIN.md as Ibis expressions over the snapshot.

Each entry is one definition: a function of the snapshot's tables giving one row per
counted unit (a person, a household, a township) with ``region_code`` and the columns
the engine sums by region — for a rate two booleans, ``den`` (counted in the
denominator) and ``num`` (counted in the numerator); for a count ``num`` (and ``den``
true); for ``income_growth`` the income sums and household counts of the year and the
year before — and a version, bumped when the definition changes. The engine
(engine.py) groups the same expression by region on DuckDB or Spark and sums whole
numbers only, so both give the same sums; ``Definition.result`` turns a region's sums
into the value, numerator and denominator, in Python, once for both.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import ibis
from ibis.expr.types import Table

CENT = Decimal("0.01")
#: Household statuses that make a household one in economic hardship (困难家庭).
HARDSHIP = ["dibao", "near_dibao", "tekun", "low_income", "monitored"]


@dataclass(frozen=True)
class Tables:
    persons: Table
    households: Table
    household_statuses: Table
    surveys: Table
    benefits: Table
    services: Table
    providers: Table
    townships: Table
    as_of: datetime.date
    start_year: int  # the plan's first year
    options: dict

    @property
    def year(self) -> int:  # the as-of year
        return self.as_of.year


Result = tuple[Decimal | None, Decimal | None, Decimal | None]  # value, numerator, denominator


def _percent(num: Decimal, den: Decimal) -> Decimal:
    return (num * 100 / den).quantize(CENT, ROUND_HALF_UP)


def rate(sums: dict[str, int]) -> Result:
    num, den = Decimal(sums["num"]), Decimal(sums["den"])
    return (_percent(num, den) if den else None), num, (den if den else None)


def count(sums: dict[str, int]) -> Result:
    """The units counted (``num``) of those the source covers in the region (``den``): 0
    when it covers some and counts none; no data when it covers none (no source, never 0)."""
    if not sums["den"]:
        return None, None, None
    return Decimal(sums["num"]), Decimal(sums["num"]), None


def growth(sums: dict[str, int]) -> Result:
    """Growth of the mean in percent: numerator the year's mean, denominator the year
    before's (to the cent); no data unless both years have households with an income."""
    if not (sums["n_now"] and sums["n_before"] and sums["income_before"]):
        return None, None, None
    now = Decimal(sums["income_now"]) / sums["n_now"]
    before = Decimal(sums["income_before"]) / sums["n_before"]
    return (_percent(now - before, before), now.quantize(CENT, ROUND_HALF_UP),
            before.quantize(CENT, ROUND_HALF_UP))


@dataclass(frozen=True)
class Definition:
    key: str
    version: str
    result: Callable[[dict[str, int]], Result]  # rate, count or growth
    build: Callable[[Tables], Table]
    text: str
    sums: tuple[str, ...] = ("num", "den")


def _surveyed(t: Tables) -> Table:
    """Persons with a reached survey in the as-of year, with its answers."""
    s = t.surveys.filter((t.surveys.year == t.year) & t.surveys.reached)
    return t.persons.inner_join(s, "person_key")


_STUDYING = ["preschool", "compulsory", "home_delivered", "high_school", "special_school"]


def pension_insurance_rate(t: Tables) -> Table:
    j = _surveyed(t)
    den = (j.age >= 16) & ~j.schooling.fill_null("").isin(_STUDYING)
    num = den & j.pension_insurance.isin(["paying", "government_paid", "receiving"])
    return j.select("region_code", den=den, num=num)


def medical_insurance_rate(t: Tables) -> Table:
    j = _surveyed(t)
    den = (j.level <= 2) if t.options.get("severe") else ibis.literal(True)
    num = den & j.medical_insurance.isin(["insured", "government_subsidised"])
    return j.select("region_code", den=den, num=num)


def compulsory_education_rate(t: Tables) -> Table:
    j = _surveyed(t)
    den = j.age.between(6, 15)
    num = den & j.schooling.isin(["compulsory", "home_delivered", "special_school"])
    return j.select("region_code", den=den, num=num)


def _need_served(need: str, served: str) -> Callable[[Tables], Table]:
    def build(t: Tables) -> Table:
        j = _surveyed(t)
        den = j[need].notnull() & (j[need] != "none")
        num = den & j[served].fill_null(False)
        return j.select("region_code", den=den, num=num)
    return build


def vocational_training(t: Tables) -> Table:
    """Every person with a survey from the plan's first year to the as-of year (the
    source), ``num`` when one of them records vocational training."""
    s = t.surveys.filter((t.surveys.year >= t.start_year) & (t.surveys.year <= t.year))
    surveyed = s.group_by("person_key").aggregate(trained=s.vocational_training.fill_null(False).any())
    j = t.persons.inner_join(surveyed, "person_key")
    return j.select("region_code", den=ibis.literal(True), num=j.trained)


def _household_income(t: Tables, year: int) -> Table:
    """Each household's per-capita income in ``year`` by the household's region: the
    highest any of its certified members reported in a reached survey (a person without
    a household is one, in the hukou's region)."""
    s = t.surveys.filter((t.surveys.year == year) & t.surveys.reached & t.surveys.household_income.notnull())
    j = (t.persons.inner_join(s, "person_key")
         .left_join(t.households.rename(household_region="region_code"), "household_key"))
    rows = j.select(unit=j.household_key.fill_null(j.person_key),
                    region_code=j.household_region.fill_null(j.region_code), income=j.household_income)
    return rows.group_by(["unit", "region_code"]).aggregate(income=rows.income.max())


def _sums(table: Table, now: bool) -> Table:
    zero, one = ibis.literal(0, "int64"), ibis.literal(1, "int64")
    income = table.income.cast("int64")
    return table.select("region_code", income_now=income if now else zero, n_now=one if now else zero,
                        income_before=zero if now else income, n_before=zero if now else one)


def income_growth(t: Tables) -> Table:
    return _sums(_household_income(t, t.year), True).union(_sums(_household_income(t, t.year - 1), False))


def _status_on(t: Tables, statuses: list[str]) -> Table:
    """The keys of the households holding one of ``statuses`` on the as-of date."""
    h = t.household_statuses
    on = ibis.date(t.as_of)
    held = h.status.isin(statuses) & (h.start_date <= on) & (h.end_date.isnull() | (h.end_date >= on))
    return h.filter(held).select("household_key").distinct()


def _programme(t: Tables, *programmes: str) -> Table:
    """Per person, whether eligible for and whether receiving any of ``programmes``."""
    b = t.benefits.filter(t.benefits.programme.isin(list(programmes)))
    return b.group_by("person_key").aggregate(eligible=b.eligible.any(), receiving=b.receiving.any())


def dibao_coverage(t: Tables) -> Table:
    dibao = _status_on(t, ["dibao"]).mutate(dibao_household=ibis.literal(True))
    single = _programme(t, "dibao_single_household")
    j = t.persons.left_join(dibao, "household_key").left_join(single, "person_key")
    in_dibao = j.dibao_household.fill_null(False)
    den = in_dibao | j.eligible.fill_null(False)
    num = den & (in_dibao | j.receiving.fill_null(False))
    return j.select("region_code", den=den, num=num)


def _allowance(programme: str) -> Callable[[Tables], Table]:
    def build(t: Tables) -> Table:
        j = t.persons.inner_join(_programme(t, programme), "person_key")
        return j.select("region_code", den=j.eligible, num=j.eligible & j.receiving)
    return build


def home_modification_households(t: Tables) -> Table:
    """Every household of the snapshot by its region, ``num`` when it counts: a member of
    level 1–2 whose home modification was completed (need met) from the plan's first
    year to the as-of date, the household in hardship on the as-of date."""
    s = t.services
    done = s.filter((s.kind == "home_modification") & (s.outcome == "met") & s.ended_on.notnull()
                    & (s.ended_on >= ibis.date(t.start_year, 1, 1)) & (s.ended_on <= ibis.date(t.as_of)))
    severe = t.persons.filter((t.persons.level <= 2) & t.persons.household_key.notnull())
    modified = (severe.inner_join(done.select("person_key").distinct(), "person_key")
                .select("household_key").distinct()
                .inner_join(_status_on(t, HARDSHIP), "household_key").mutate(counted=ibis.literal(True)))
    h = t.households.left_join(modified, "household_key")
    return h.select("region_code", den=ibis.literal(True), num=h.counted.fill_null(False))


def township_service_coverage(t: Tables) -> Table:
    p = t.providers
    kinds = t.options.get("provider_kinds", ["community_centre"])
    served = (p.filter(p.active & p.kind.isin(kinds)).select(township=p.region_code.substr(0, 9))
              .distinct().mutate(served=ibis.literal(True)))
    towns = t.townships.mutate(township=t.townships.region_code.substr(0, 9))
    j = towns.left_join(served, "township")
    return j.select("region_code", den=ibis.literal(True), num=j.served.fill_null(False))


CATALOGUE: dict[str, Definition] = {d.key: d for d in [
    Definition("pension_insurance_rate", "1", rate, pension_insurance_rate,
               "年度调查入户的 16 岁以上非在校残疾人中，已参保缴费、政府代缴或领取养老金的比例"),
    Definition("medical_insurance_rate", "1", rate, medical_insurance_rate,
               "年度调查入户的残疾人（规划写“重度”时为一、二级）中已参加医疗保险的比例"),
    Definition("compulsory_education_rate", "1", rate, compulsory_education_rate,
               "年度调查入户的 6–15 岁残疾儿童少年中接受义务教育（含送教上门、特教学校）的比例"),
    Definition("rehab_coverage", "1", rate, _need_served("rehabilitation_need", "rehabilitation_received"),
               "当年有康复需求的残疾人中当年获得康复服务的比例"),
    Definition("device_fitting_rate", "1", rate, _need_served("device_need", "device_fitted"),
               "当年有辅具需求的残疾人中当年已适配的比例"),
    Definition("vocational_training", "2", count, vocational_training,
               "规划起始年至截至日期间年度调查记有职业培训的残疾人数（该期间有年度调查的地区无人培训时为 0）"),
    Definition("income_growth", "1", growth, income_growth,
               "残疾人家庭人均收入（年度调查入户，一户取其持证成员所报最高值）的户均值较上年的增长率；"
               "分子为当年户均值，分母为上年户均值",
               ("income_now", "n_now", "income_before", "n_before")),
    Definition("dibao_coverage", "1", rate, dibao_coverage,
               "截至日家庭为低保户的持证残疾人，及按政策符合重度残疾人单人户施保条件的持证残疾人中，"
               "家庭为低保户或正在领取单人户施保的比例"),
    Definition("living_allowance_coverage", "1", rate, _allowance("living_allowance"),
               "截至日按所在地政策符合困难残疾人生活补贴条件的持证残疾人中，当月正在发放的比例"),
    Definition("care_allowance_coverage", "1", rate, _allowance("care_allowance"),
               "截至日按所在地政策符合重度残疾人护理补贴条件的持证残疾人中，当月正在发放的比例"),
    Definition("home_modification_households", "1", count, home_modification_households,
               "规划起始年至截至日完成家庭无障碍改造（服务记录：需求已满足）、有一、二级持证成员且截至日为困难家庭"
               "（低保、低保边缘、特困、低收入、防止返贫监测）的户数，按家庭所在地统计"),
    Definition("township_service_coverage", "1", rate, township_service_coverage,
               "截至日乡镇（街道）中，辖区内有运营中且在认定期内的残疾人之家（如康家园）的比例"),
]}
