"""The indicator catalogue of DOMAIN.md as Ibis expressions over the snapshot.

Each entry is one definition: a function of the snapshot's tables giving one row per
person in the denominator's population with ``region_code`` and two booleans, ``den``
(counted in the denominator) and ``num`` (counted in the numerator), or for a count
just ``num``; and a version, bumped when the definition changes. The engine (engine.py)
groups the same expression by region on DuckDB or Spark, so both count the same rows.
An entry the snapshot cannot yet answer is absent: its rows are ``no_data``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import ibis
from ibis.expr.types import Table


@dataclass(frozen=True)
class Tables:
    persons: Table
    surveys: Table
    year: int  # the as-of year
    start_year: int  # the plan's first year
    options: dict


@dataclass(frozen=True)
class Definition:
    key: str
    version: str
    kind: str  # "rate" (percent of num over den) or "count" (num)
    build: Callable[[Tables], Table]
    text: str


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
    s = t.surveys
    trained = (s.filter((s.year >= t.start_year) & (s.year <= t.year) & s.vocational_training.fill_null(False))
               .select("person_key").distinct())
    j = t.persons.inner_join(trained, "person_key")
    return j.select("region_code", den=ibis.literal(True), num=ibis.literal(True))


CATALOGUE: dict[str, Definition] = {d.key: d for d in [
    Definition("pension_insurance_rate", "1", "rate", pension_insurance_rate,
               "年度调查入户的 16 岁以上非在校残疾人中，已参保缴费、政府代缴或领取养老金的比例"),
    Definition("medical_insurance_rate", "1", "rate", medical_insurance_rate,
               "年度调查入户的残疾人（规划写“重度”时为一、二级）中已参加医疗保险的比例"),
    Definition("compulsory_education_rate", "1", "rate", compulsory_education_rate,
               "年度调查入户的 6–15 岁残疾儿童少年中接受义务教育（含送教上门、特教学校）的比例"),
    Definition("rehab_coverage", "1", "rate", _need_served("rehabilitation_need", "rehabilitation_received"),
               "当年有康复需求的残疾人中当年获得康复服务的比例"),
    Definition("device_fitting_rate", "1", "rate", _need_served("device_need", "device_fitted"),
               "当年有辅具需求的残疾人中当年已适配的比例"),
    Definition("vocational_training", "1", "count", vocational_training,
               "规划起始年至截至日期间年度调查记有职业培训的残疾人数"),
]}
