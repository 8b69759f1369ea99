"""One rule, two evaluations: a decision for one person, and screening of a region.

A programme's rule is data (``policy``): named conditions and an amount table. Each
kind of condition is implemented here once, three ways that must agree: ``check``
(one person's facts, in Python), ``sql`` (every person at once, a SQL condition over the
fact columns of ``facts.sql``) and ``reason`` (the sentence that names the fact and its
date, written from the facts and whether the condition held, for either evaluation).
The amount table likewise: ``amount_row`` in Python, ``amount_sql`` in SQL.
``screening_sql`` puts them together: every programme asked for, every jurisdiction's
rule, one statement over the facts computed once per person, on the project's database
or on DuckDB. ``tests/test_agreement.py`` proves that the two evaluations agree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connections
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yangguang.benefits import facts as fact_columns
from yangguang.benefits import policy
from yangguang.benefits.facts import date_sql
from yangguang.benefits.models import FactKind
from yangguang.benefits.policy import Policies, Rule
from yangguang.registry.models import Category, Level, Person

Facts = Mapping[str, Any]
MONEY_SQL = "DECIMAL(12, 2)"
TRUE, FALSE = "(1 = 1)", "(1 = 0)"

#: How the household statuses read in a reason (家庭为低保户).
HOUSEHOLD_WORDS = {
    "dibao": gettext_lazy("低保户"), "near_dibao": gettext_lazy("低保边缘家庭"),
    "tekun": gettext_lazy("特困供养家庭"), "low_income": gettext_lazy("低收入家庭"),
    "poverty_exited": gettext_lazy("脱贫户"), "monitored": gettext_lazy("防止返贫监测户"),
}
UNIT_WORDS = {"month": gettext_lazy("每月"), "year": gettext_lazy("每年"),
              "once": gettext_lazy("一次性")}


def _name(value: str) -> str:
    """A policy file's status or kind name, checked fit to be part of a column name."""
    assert value.isidentifier() and value.isascii(), value
    return value


def _literal(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise TypeError(value)
    return str(value) if isinstance(value, int) else fact_columns.text(value)


def years_before(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` earlier (29 February → 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def age_on(birth: dt.date, on: dt.date) -> int:
    """Completed years of a person born on ``birth``, on ``on``."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def month(day: dt.date) -> str:
    return day.strftime("%Y-%m")


def _kind(kind: str) -> str:
    return str(FactKind(kind).label)


def _disability(f: Facts) -> str:
    return _("{level}{category}").format(level=Level(f["f_cert_level"]).label,
                                          category=Category(f["f_cert_category"]).label)


def _alternatives(alts: list[dict[str, Any]]) -> str:
    parts = []
    for alt in alts:
        levels = "、".join(str(Level(x).label) for x in alt.get("levels", []))
        cats = "、".join(str(Category(x).label) for x in alt.get("categories", []))
        text = levels + (cats or _("残疾"))
        if alt.get("components"):
            text += _("（含以此为一类的多重残疾）")
        parts.append(text)
    return "；".join(parts)


# ---------------------------------------------------------------------------
# The conditions: check (Python), q (SQL), reason (text). ``ctx`` holds ``on`` and,
# for choose_higher, the amount of the programme for this person.


def _alive_check(c: dict, f: Facts, on: dt.date, amount: Decimal | None) -> bool:
    return f["deceased_date"] is None or f["deceased_date"] > on


def _alive_sql(c: dict, on: dt.date, dialect: str, amount: str) -> str:
    return f"(deceased_date IS NULL OR deceased_date > {date_sql(on, dialect)})"


def _alive_reason(c: dict, f: Facts, ok: bool, on: dt.date, amount: Decimal | None) -> str:
    return _("在世") if ok else _("已于{date}死亡").format(date=f["deceased_date"].isoformat())


def _certificate_check(c: dict, f: Facts, on: dt.date, amount: Decimal | None) -> bool:
    return f["f_cert_level"] is not None


def _certificate_sql(c: dict, on: dt.date, dialect: str, amount: str) -> str:
    return "f_cert_level IS NOT NULL"


def _certificate_reason(c: dict, f: Facts, ok: bool, on: dt.date, amount: Decimal | None) -> str:
    if ok:
        return _("持有效残疾人证（{issue}发证，有效期至{until}）").format(
            issue=f["f_cert_issue"].isoformat(), until=f["f_cert_until"].isoformat())
    return _("{on}没有有效的残疾人证").format(on=on.isoformat())


def _own_matches(alt: dict, f: Facts) -> bool:
    return (f["f_cert_level"] is not None
            and f["f_cert_level"] in alt.get("levels", (f["f_cert_level"],))
            and f["f_cert_category"] in alt.get("categories", (f["f_cert_category"],)))


def _component_match(alt: dict, f: Facts) -> int | None:
    """For an alternative that counts a 多重 certificate by its components
    (``components = true``), the first of its categories that the certificate has as a
    component at one of its levels; None otherwise."""
    if not alt.get("components") or f["f_cert_level"] is None or f["f_cert_category"] != Category.MULTIPLE:
        return None
    for category in alt["categories"]:
        level = f.get(f"f_comp_{category}")
        if level is not None and level in alt.get("levels", (level,)):
            return category
    return None


def _alt_matches(alt: dict, f: Facts) -> bool:
    return _own_matches(alt, f) or _component_match(alt, f) is not None


def _in(column: str, values: list[Any]) -> str:
    return f"{column} IN ({', '.join(_literal(v) for v in values)})" if values else FALSE


def _any(parts: list[str]) -> str:
    return "(" + " OR ".join(parts) + ")" if parts else FALSE


def _every(parts: list[str]) -> str:
    return "(" + " AND ".join(parts) + ")" if parts else TRUE


def _alt_sql(alt: dict) -> str:
    parts = ["f_cert_level IS NOT NULL"]
    if "levels" in alt:
        parts.append(_in("f_cert_level", alt["levels"]))
    if "categories" in alt:
        parts.append(_in("f_cert_category", alt["categories"]))
    own = _every(parts)
    if not alt.get("components"):
        return own
    by_component = [(_in(f"f_comp_{c}", alt["levels"]) if "levels" in alt else f"f_comp_{c} IS NOT NULL")
                    for c in alt["categories"] if c in fact_columns.COMPONENT_CATEGORIES]
    return _any([own, _every(["f_cert_level IS NOT NULL", f"f_cert_category = {Category.MULTIPLE.value}",
                              _any(by_component)])])


def _disability_check(c: dict, f: Facts, on: dt.date, amount: Decimal | None) -> bool:
    return any(_alt_matches(alt, f) for alt in c["any_of"])


def _disability_sql(c: dict, on: dt.date, dialect: str, amount: str) -> str:
    return _any([_alt_sql(alt) for alt in c["any_of"]])


def _disability_reason(c: dict, f: Facts, ok: bool, on: dt.date, amount: Decimal | None) -> str:
    if f["f_cert_level"] is None:
        return _("无有效残疾人证，残疾类别和等级不明（须为：{wanted}）").format(
            wanted=_alternatives(c["any_of"]))
    if ok:
        if any(_own_matches(alt, f) for alt in c["any_of"]):
            return _disability(f)
        category = next(m for alt in c["any_of"] if (m := _component_match(alt, f)) is not None)
        return _("{have}（含{level}{category}）").format(
            have=_disability(f), level=Level(f[f"f_comp_{category}"]).label, category=Category(category).label)
    return _("{have}，不在范围内（须为：{wanted}）").format(have=_disability(f),
                                                     wanted=_alternatives(c["any_of"]))


def _held(f: Facts, statuses: list[str], kinds: list[str]) -> list[tuple[str, dt.date]]:
    """The listed statuses and person facts that hold, with their start dates."""
    out = [(_("家庭为{status}").format(status=HOUSEHOLD_WORDS[s]), f[f"f_hs_{s}"])
           for s in statuses if f[f"f_hs_{s}"] is not None]
    out += [(_("享受{kind}").format(kind=_kind(k)), f[f"f_pf_{k}"])
            for k in kinds if f[f"f_pf_{k}"] is not None]
    return out


def _household_check(c: dict, f: Facts, on: dt.date, amount: Decimal | None) -> bool:
    return bool(_held(f, c["statuses"], c.get("or_receiving", [])))


def _household_sql(c: dict, on: dt.date, dialect: str, amount: str) -> str:
    return _any([f"f_hs_{_name(s)} IS NOT NULL" for s in c["statuses"]]
                + [f"f_pf_{_name(k)} IS NOT NULL" for k in c.get("or_receiving", [])])


def _household_reason(c: dict, f: Facts, ok: bool, on: dt.date, amount: Decimal | None) -> str:
    if ok:
        text, since = _held(f, c["statuses"], c.get("or_receiving", []))[0]
        return _("{text}（{since} 起）").format(text=text, since=month(since))
    wanted = "、".join(str(HOUSEHOLD_WORDS[s]) for s in c["statuses"])
    text = _("家庭不是{wanted}").format(wanted=wanted)
    if c.get("or_receiving"):
        text += _("，也未享受{kinds}").format(kinds="、".join(_kind(k) for k in c["or_receiving"]))
    return text


def _age_check(c: dict, f: Facts, on: dt.date, amount: Decimal | None) -> bool:
    age = age_on(f["birth_date"], on)
    return c.get("min", 0) <= age and ("max" not in c or age <= c["max"])


def _age_sql(c: dict, on: dt.date, dialect: str, amount: str) -> str:
    parts = [f"birth_date <= {date_sql(years_before(on, c.get('min', 0)), dialect)}"]
    if "max" in c:
        parts.append(f"birth_date > {date_sql(years_before(on, c['max'] + 1), dialect)}")
    return _every(parts)


def _age_reason(c: dict, f: Facts, ok: bool, on: dt.date, amount: Decimal | None) -> str:
    text = _("{age}周岁（{birth}出生）").format(age=age_on(f["birth_date"], on),
                                           birth=f["birth_date"].isoformat())
    if ok:
        return text
    wanted = (_("{min}至{max}周岁").format(min=c.get("min", 0), max=c["max"]) if "max" in c
              else _("{min}周岁以上").format(min=c["min"]))
    return _("{text}，不在{wanted}范围内").format(text=text, wanted=wanted)


def _not_household_check(c: dict, f: Facts, on: dt.date, amount: Decimal | None) -> bool:
    return not _held(f, c["statuses"], [])


def _not_household_sql(c: dict, on: dt.date, dialect: str, amount: str) -> str:
    return _every([f"f_hs_{_name(s)} IS NULL" for s in c["statuses"]])


def _not_household_reason(c: dict, f: Facts, ok: bool, on: dt.date, amount: Decimal | None) -> str:
    if ok:
        return _("家庭不是{statuses}").format(
            statuses="、".join(str(HOUSEHOLD_WORDS[s]) for s in c["statuses"]))
    text, since = _held(f, c["statuses"], [])[0]
    return _("{text}（{since} 起），不能同时享受").format(text=text, since=month(since))


def _not_receiving_check(c: dict, f: Facts, on: dt.date, amount: Decimal | None) -> bool:
    return not _held(f, [], c["kinds"])


def _not_receiving_sql(c: dict, on: dt.date, dialect: str, amount: str) -> str:
    return _every([f"f_pf_{_name(k)} IS NULL" for k in c["kinds"]])


def _not_receiving_reason(c: dict, f: Facts, ok: bool, on: dt.date, amount: Decimal | None) -> str:
    if ok:
        return _("未享受{kinds}").format(kinds="、".join(_kind(k) for k in c["kinds"]))
    text, since = _held(f, [], c["kinds"])[0]
    return _("{text}（{since} 起），不能同时享受").format(text=text, since=month(since))


def _receiving_check(c: dict, f: Facts, on: dt.date, amount: Decimal | None) -> bool:
    return bool(_held(f, [], c["kinds"]))


def _receiving_sql(c: dict, on: dt.date, dialect: str, amount: str) -> str:
    return _any([f"f_pf_{_name(k)} IS NOT NULL" for k in c["kinds"]])


def _receiving_reason(c: dict, f: Facts, ok: bool, on: dt.date, amount: Decimal | None) -> str:
    if ok:
        k = next(k for k in c["kinds"] if f[f"f_pf_{k}"] is not None)
        return _("{kind}（{since} 起）").format(kind=_kind(k), since=month(f[f"f_pf_{k}"]))
    return _("没有登记：{kinds}").format(kinds="、".join(_kind(k) for k in c["kinds"]))


def _higher_other(c: dict, f: Facts, amount: Decimal | None) -> str | None:
    """The first competing benefit whose known amount is not below ours."""
    if amount is None:
        return None
    for k in c["kinds"]:
        other = f[f"f_pfa_{k}"]
        if f[f"f_pf_{k}"] is not None and other is not None and other >= amount:
            return k
    return None


def _higher_check(c: dict, f: Facts, on: dt.date, amount: Decimal | None) -> bool:
    return _higher_other(c, f, amount) is None


def _higher_sql(c: dict, on: dt.date, dialect: str, amount: str) -> str:
    # amount: the column of this programme's amount for the person (``amount_sql``).
    return _every([f"NOT (f_pf_{_name(k)} IS NOT NULL AND f_pfa_{_name(k)} IS NOT NULL "
                   f"AND {amount} IS NOT NULL AND f_pfa_{_name(k)} >= {amount})"
                   for k in c["kinds"]])


def _higher_reason(c: dict, f: Facts, ok: bool, on: dt.date, amount: Decimal | None) -> str:
    held = [k for k in c["kinds"] if f[f"f_pf_{k}"] is not None]
    if not held:
        return _("未享受{kinds}").format(kinds="、".join(_kind(k) for k in c["kinds"]))
    k = _higher_other(c, f, amount) or held[0]
    other, since = f[f"f_pfa_{k}"], month(f[f"f_pf_{k}"])
    if other is None or amount is None:
        return _("享受{kind}（{since} 起），金额未知，择高须核实").format(kind=_kind(k), since=since)
    if ok:
        return _("享受{kind}每月{other}元（{since} 起），低于本补贴，择高享受本补贴").format(
            kind=_kind(k), other=money_text(other), since=since)
    return _("享受{kind}每月{other}元（{since} 起），不低于本补贴，择高享受").format(
        kind=_kind(k), other=money_text(other), since=since)


@dataclass(frozen=True)
class Test:
    check: Any
    sql: Any
    reason: Any


CONDITIONS: dict[str, Test] = {
    "alive": Test(_alive_check, _alive_sql, _alive_reason),
    "certificate": Test(_certificate_check, _certificate_sql, _certificate_reason),
    "disability": Test(_disability_check, _disability_sql, _disability_reason),
    "household_status": Test(_household_check, _household_sql, _household_reason),
    "age": Test(_age_check, _age_sql, _age_reason),
    "not_household_status": Test(_not_household_check, _not_household_sql, _not_household_reason),
    "not_receiving": Test(_not_receiving_check, _not_receiving_sql, _not_receiving_reason),
    "receiving": Test(_receiving_check, _receiving_sql, _receiving_reason),
    "choose_higher": Test(_higher_check, _higher_sql, _higher_reason),
}
assert set(CONDITIONS) == set(policy.TESTS)


# ---------------------------------------------------------------------------
# Amounts


def money_text(amount: Decimal) -> str:
    return f"{amount:.2f}".rstrip("0").rstrip(".")


def _disability_of(row: dict) -> dict:
    """An amount row's levels, categories and components, as an alternative of the
    disability condition (the same test)."""
    return {k: row[k] for k in ("levels", "categories", "components") if k in row}


def _row_matches(row: dict, f: Facts, on: dt.date) -> bool:
    if ("levels" in row or "categories" in row) and not _alt_matches(_disability_of(row), f):
        return False
    age = age_on(f["birth_date"], on)
    if "age_min" in row and age < row["age_min"]:
        return False
    if "age_max" in row and age > row["age_max"]:
        return False
    if "urban" in row and f["f_urban"] is not row["urban"]:
        return False
    if "household_statuses" in row and not _held(f, row["household_statuses"], []):
        return False
    return "self_care" not in row  # no source of the self-care fact yet: never matches


def _row_sql(row: dict, on: dt.date, dialect: str) -> str:
    parts = []  # a row without criteria matches everyone
    if "levels" in row or "categories" in row:
        parts.append(_alt_sql(_disability_of(row)))
    if "age_min" in row:
        parts.append(f"birth_date <= {date_sql(years_before(on, row['age_min']), dialect)}")
    if "age_max" in row:
        parts.append(f"birth_date > {date_sql(years_before(on, row['age_max'] + 1), dialect)}")
    if "urban" in row:
        parts.append(f"f_urban = {1 if row['urban'] else 0}")
    if "household_statuses" in row:
        parts.append(_household_sql({"statuses": row["household_statuses"]}, on, dialect, ""))
    if "self_care" in row:
        parts.append(FALSE)
    return _every(parts)


def _share(share: float, standard: Decimal | None) -> Decimal | None:
    if standard is None:
        return None
    return (Decimal(str(share)) * standard).quantize(Decimal("0.01"), ROUND_HALF_UP)


def amount_row(rule: Rule, f: Facts, on: dt.date, pol: Policies) -> tuple[int | None, Decimal | None]:
    """The first row of the amount table that matches, and the amount it gives (None if
    not known: a placeholder, or a share of a dibao standard not recorded)."""
    for i, row in enumerate(rule.amounts):
        if _row_matches(row, f, on):
            if "amount" in row:
                return i, Decimal(str(row["amount"]))
            if "dibao_share" in row:
                standard = policy.dibao_standard(pol, f["hukou_region_id"], on)
                base = None
                if standard is not None and f["f_urban"] is not None:
                    base = standard.urban if f["f_urban"] else standard.rural
                return i, _share(row["dibao_share"], base)
            return i, None
    return None, None


def _money(value: Decimal | None) -> str:
    return f"CAST({value if value is not None else 'NULL'} AS {MONEY_SQL})"


def _dibao_sql(share: float, on: dt.date, pol: Policies) -> str:
    """The share of the local dibao standard, by the person's hukou and urban/rural."""
    whens = []
    for code in sorted(pol.dibao, key=lambda c: len(policy.prefix(c)), reverse=True):
        standard = policy.dibao_standard(pol, code, on)
        if standard is None or standard.jurisdiction != code:
            continue
        for urban, base in ((True, standard.urban), (False, standard.rural)):
            whens.append(f"WHEN {_area(code)} AND f_urban = {1 if urban else 0} "
                         f"THEN {_money(_share(share, base))}")
    return f"CASE {' '.join(whens)} ELSE {_money(None)} END" if whens else _money(None)


def _amount_values(rule: Rule, on: dt.date, pol: Policies) -> list[str]:
    """The amount of each row of the amount table, in SQL."""
    values = []
    for row in rule.amounts:
        if "amount" in row:
            values.append(_money(Decimal(str(row["amount"]))))
        elif "dibao_share" in row:
            values.append(_dibao_sql(row["dibao_share"], on, pol))
        else:
            values.append(_money(None))
    return values


def amount_sql(rule: Rule, on: dt.date, pol: Policies, dialect: str) -> tuple[str, str]:
    """The SQL twins of ``amount_row``: (the row number, the amount)."""
    whens = [_row_sql(row, on, dialect) for row in rule.amounts]
    values = _amount_values(rule, on, pol)
    return (f"CASE {' '.join(f'WHEN {w} THEN {i}' for i, w in enumerate(whens))} END" if whens
            else "CAST(NULL AS INTEGER)",
            f"CASE {' '.join(f'WHEN {w} THEN {v}' for w, v in zip(whens, values, strict=True))} "
            f"ELSE {_money(None)} END" if whens else _money(None))


# ---------------------------------------------------------------------------
# Decisions


@dataclass
class Decision:
    """A programme's decision for one person on one day."""

    programme: str
    name: str
    person_id: int
    on: dt.date
    eligible: bool
    amount: Decimal | None
    unit: str
    placeholder: bool
    reasons: list[str]
    jurisdiction: str | None = None
    rule: Rule | None = field(default=None, repr=False)

    def as_json(self) -> dict[str, Any]:
        amount: Any = None
        if self.amount is not None:
            amount = int(self.amount) if self.amount == self.amount.to_integral() else float(self.amount)
        return {"programme": self.programme, "name": self.name, "eligible": self.eligible,
                "amount": amount, "unit": self.unit, "placeholder": self.placeholder,
                "reasons": self.reasons}


def _condition_needs(conditions: dict[str, dict[str, Any]], statuses: set[str],
                     kinds: set[str]) -> None:
    """Add the household statuses and person-fact kinds the conditions read."""
    for c in conditions.values():
        statuses.update(c.get("statuses", ()))
        kinds.update(c.get("kinds", ()))
        kinds.update(c.get("or_receiving", ()))


def _needs(rules: list[Rule]) -> tuple[set[str], set[str]]:
    statuses: set[str] = set()
    kinds: set[str] = set()
    for rule in rules:
        _condition_needs(rule.conditions, statuses, kinds)
        for row in rule.amounts:
            statuses.update(row.get("household_statuses", ()))
    return statuses, kinds


def _amount_reason(rule: Rule, f: Facts, row: int | None, amount: Decimal | None,
                   eligible: bool) -> list[str]:
    if not eligible or rule.unit == "none":
        return []
    note = rule.amounts[row].get("note", "") if row is not None else ""
    if amount is None:
        return [_("金额待定（占位）：{note}").format(note=note or _("当地标准未录入"))]
    text = _("{unit}{amount}元").format(unit=UNIT_WORDS[rule.unit], amount=money_text(amount))
    if f["f_cert_level"] is not None:
        text = _("{disability}，{amount}").format(disability=_disability(f), amount=text)
    return [text]


def _not_in_force(programme: policy.Programme, person_id: int, on: dt.date,
                  region: str) -> Decision:
    return Decision(programme.key, programme.name, person_id, on, False, None, "", False,
                    [_("户籍地（{region}）{on}未实行该项目").format(region=region, on=on.isoformat())])


def _decision(rule: Rule, f: Facts, on: dt.date, passed: dict[str, bool], row: int | None,
              amount: Decimal | None) -> Decision:
    eligible = all(passed.values())
    reasons = [CONDITIONS[c["test"]].reason(c, f, passed[name], on, amount)
               for name, c in rule.conditions.items()]
    reasons += _amount_reason(rule, f, row, amount, eligible)
    placeholder = eligible and rule.unit != "none" and amount is None
    return Decision(rule.programme.key, rule.programme.name, f["id"], on, eligible,
                    amount if eligible else None, rule.unit, placeholder, reasons,
                    rule.jurisdiction, rule)


def evaluate(rule: Rule, f: Facts, on: dt.date, pol: Policies) -> Decision:
    """The rule applied to one person's facts, in Python."""
    row, amount = amount_row(rule, f, on, pol)
    passed = {name: CONDITIONS[c["test"]].check(c, f, on, amount)
              for name, c in rule.conditions.items()}
    return _decision(rule, f, on, passed, row, amount)


def decide(person: Person, on: dt.date, programmes: list[str] | None = None,
           pol: Policies | None = None) -> list[Decision]:
    """Every programme's decision (or those named) for ``person`` on ``on``, with reasons."""
    pol = pol or policy.policies()
    keys = programmes or list(pol.programmes)
    rules = {k: policy.resolve(pol, k, person.hukou_region_id, on) for k in keys}
    statuses, kinds = _needs([r for r in rules.values() if r is not None])
    row = fact_columns.one(Person.objects.filter(pk=person.pk), on, statuses=statuses, kinds=kinds)
    return [evaluate(rules[k], row, on, pol) if rules[k] is not None
            else _not_in_force(pol.programmes[k], person.pk, on, person.hukou_region_id)
            for k in keys]


def evaluate_conditions(conditions: dict[str, dict[str, Any]], person: Person,
                        on: dt.date) -> list[tuple[bool, str]]:
    """Conditions outside a programme (a shared criterion of ``registry.criteria``, which
    the services' eligibility asks through the setting ``YANGGUANG_CRITERIA_EVALUATOR``)
    applied to ``person`` on ``on`` as a programme's are: each condition's result and
    reason, in order."""
    statuses: set[str] = set()
    kinds: set[str] = set()
    _condition_needs(conditions, statuses, kinds)
    f = fact_columns.one(Person.objects.filter(pk=person.pk), on, statuses=statuses, kinds=kinds)
    out = []
    for c in conditions.values():
        ok = CONDITIONS[c["test"]].check(c, f, on, None)
        out.append((ok, CONDITIONS[c["test"]].reason(c, f, ok, on, None)))
    return out


# ---------------------------------------------------------------------------
# Screening: the same rules over every person of a set, in SQL


def _area(code: str) -> str:
    """The hukou regions a jurisdiction covers, as a SQL condition."""
    p = policy.prefix(code)
    if not p:
        return TRUE
    assert len(p) in fact_columns.HUKOU_PREFIXES, code
    return f"hukou_{len(p)} = {fact_columns.text(p)}"


def partitions(pol: Policies, key: str, region_prefix: str) -> list[tuple[str, str]]:
    """The jurisdictions whose rule applies to some hukou under ``region_prefix``, each
    with the SQL condition on the persons it governs (its area, less the areas below it
    that have a file of their own)."""
    codes = [c for c in pol.files[key]
             if policy.prefix(c).startswith(region_prefix) or region_prefix.startswith(policy.prefix(c))]
    out = []
    for code in codes:
        p = policy.prefix(code)
        if region_prefix.startswith(p) and any(
                region_prefix.startswith(policy.prefix(o)) and len(policy.prefix(o)) > len(p)
                for o in codes):
            continue  # a more specific jurisdiction governs the whole region
        below = [f"NOT {_area(o)}" for o in codes
                 if len(policy.prefix(o)) > len(p) and policy.prefix(o).startswith(p)]
        out.append((code, _every([_area(code), *below])))
    return out


#: What keeps a subquery from being merged into the query around it, per dialect.
FENCE = {"postgresql": " OFFSET 0", "sqlite": " LIMIT -1 OFFSET 0", "duckdb": ""}

#: The rules of a programme screened, one per area (the SQL condition on the persons).
Layout = dict[str, list[tuple[str, Rule]]]


def _whens(column: str, values: list[str], default: str = "") -> str:
    """``CASE column WHEN 0 THEN values[0] …``, or the value itself when every one is the
    same (the column is then only read where it is not NULL)."""
    if len(set(values)) == 1 and not default:
        return values[0]
    whens = " ".join(f"WHEN {i} THEN {v}" for i, v in enumerate(values))
    return f"CASE {column} {whens}{f' ELSE {default}' if default else ''} END"


def screening_sql(keys: list[str], on: dt.date, *, dialect: str, region_prefix: str = "",
                  persons: str = "", pol: Policies | None = None,
                  facts_table: str = "") -> tuple[str, Layout]:
    """Programmes ``keys`` on ``on`` for every person (or those whose id the subquery
    ``persons`` gives) whose hukou lies under ``region_prefix``, as one SELECT: the
    columns of ``facts.sql`` (each fact computed once per person; or read from
    ``facts_table``, where ``snapshot_facts`` wrote them), then for each programme
    ``<key>__part`` (the index of the rule that governs the person in the layout, NULL
    where no jurisdiction of the hukou runs it), ``<key>__row`` and ``<key>__amount``
    (the amount table), ``<key>__c<j>`` (1 if the rule's j-th condition holds; only
    meaningful where ``__part`` is not NULL) and ``<key>__eligible`` (1 if all do).

    A condition that several rules share (the same SQL: 在世, 持证, …, in every
    programme and jurisdiction) is computed once per person, as a column ``k<n>``; the
    rows of an amount table are tested once (``__row``), the amount is read by row."""
    pol = pol or policy.policies()
    layout: Layout = {}
    for key in keys:
        layout[key] = [(area, rule) for code, area in partitions(pol, key, region_prefix)
                       if (rule := policy.rule_of(pol, key, code, on)) is not None and rule.adopted]
    statuses, kinds = _needs([rule for parts in layout.values() for _area, rule in parts])
    facts = facts_table or (
        "(" + fact_columns.sql(on, statuses=statuses, kinds=kinds, dialect=dialect, persons=persons) + ")")
    shared: dict[str, str] = {}  # a condition's SQL: its column

    def flag(sql_: str) -> str:
        return shared.setdefault(sql_, f"k{len(shared)}")

    parts_, rows, amounts, tests, verdicts = [], [], [], [], []
    for key, parts in layout.items():
        _name(key)
        if not parts:
            parts_.append(f"CAST(NULL AS INTEGER) AS {key}__part")
            rows.append(f"CAST(NULL AS INTEGER) AS {key}__row")
            amounts.append(f"{_money(None)} AS {key}__amount")
            verdicts.append(f"0 AS {key}__eligible")
            continue
        parts_.append(f"CASE {' '.join(f'WHEN {area} THEN {i}' for i, (area, _r) in enumerate(parts))} "
                      f"END AS {key}__part")
        row_cases = [amount_sql(rule, on, pol, dialect)[0] for _area, rule in parts]
        rows.append(f"{_whens(f'{key}__part', row_cases)} AS {key}__row")
        values = [_whens(f"{key}__row", _amount_values(rule, on, pol), _money(None)) if rule.amounts
                  else _money(None) for _area, rule in parts]
        amounts.append(f"{_whens(f'{key}__part', values, _money(None))} AS {key}__amount")
        width = max(len(rule.conditions) for _area, rule in parts)
        for j in range(width):
            per_part = []
            for _area, rule in parts:
                if j >= len(rule.conditions):
                    per_part.append("1")
                    continue
                c = list(rule.conditions.values())[j]
                sql_ = CONDITIONS[c["test"]].sql(c, on, dialect, f"{key}__amount")
                per_part.append(f"CASE WHEN {sql_} THEN 1 ELSE 0 END" if c["test"] == "choose_higher"
                                else flag(sql_))
            tests.append(f"{_whens(f'{key}__part', per_part)} AS {key}__c{j}")
        verdicts.append(f"CASE WHEN {key}__part IS NOT NULL"
                        f"{''.join(f' AND {key}__c{j} = 1' for j in range(width))} "
                        f"THEN 1 ELSE 0 END AS {key}__eligible")
    flags = [f"CASE WHEN {sql_} THEN 1 ELSE 0 END AS {column}" for sql_, column in shared.items()]
    # Each step in a subquery of its own, kept apart (FENCE): the database would otherwise
    # write each column's expression into every expression that uses it.
    query = f"SELECT f.*, {', '.join(parts_ + flags)} FROM {facts} f{FENCE[dialect]}"
    query = f"SELECT a.*, {', '.join(rows)} FROM ({query}) a{FENCE[dialect]}"
    query = f"SELECT b.*, {', '.join(amounts)} FROM ({query}) b{FENCE[dialect]}"
    if tests:
        query = f"SELECT c.*, {', '.join(tests)} FROM ({query}) c{FENCE[dialect]}"
    return f"SELECT d.*, {', '.join(verdicts)} FROM ({query}) d", layout


def screened(key: str, layout: Layout, row: Mapping[str, Any], on: dt.date) -> Decision:
    """The decision of programme ``key`` from a row of ``screening_sql`` (the person's
    facts, the amount and which conditions held), with the reasons ``decide`` gives."""
    f = fact_columns.from_sql(row)
    rule = layout[key][f[f"{key}__part"]][1]
    passed = {name: bool(f[f"{key}__c{j}"]) for j, name in enumerate(rule.conditions)}
    amount = f[f"{key}__amount"]
    if amount is not None and not isinstance(amount, Decimal):
        amount = Decimal(str(amount))
    return _decision(rule, f, on, passed, f[f"{key}__row"], amount)


def _read(cursor: Any, key: str, layout: Layout, on: dt.date) -> Iterator[Decision]:
    names = [column[0] for column in cursor.description]
    while rows := cursor.fetchmany(2000):
        for values in rows:
            yield screened(key, layout, dict(zip(names, values, strict=True)), on)


def _where(key: str, eligible: bool | None) -> str:
    where = f"{key}__part IS NOT NULL"
    if eligible is not None:
        where += f" AND {key}__eligible = {1 if eligible else 0}"
    return where


@contextmanager
def _no_jit(connection: Any) -> Iterator[None]:
    """PostgreSQL without its JIT compiler: it spent longer compiling a screening's
    expressions (seconds) than running them."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET jit = off")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET jit")


def _on_database(persons: QuerySet[Person], key: str, on: dt.date, region_prefix: str,
                 pol: Policies | None) -> tuple[Any, str, tuple[Any, ...], Layout]:
    """The screening of ``persons`` on their database: its connection, the query, the
    parameters of the persons' subquery, the layout."""
    connection = connections[persons.db]
    chosen, params = persons.order_by().values("id").query.sql_with_params()
    query, layout = screening_sql([key], on, dialect=connection.vendor, region_prefix=region_prefix,
                                  persons=chosen, pol=pol)
    return connection, query, tuple(params), layout


def screen(persons: QuerySet[Person], key: str, on: dt.date, *, region_prefix: str = "",
           pol: Policies | None = None, eligible: bool | None = None) -> Iterator[Decision]:
    """The decision of programme ``key`` for every person of ``persons`` whose hukou lies
    under ``region_prefix`` and in a jurisdiction that runs it, tested in SQL on the
    database (``screening_sql``), by person id; with ``eligible`` given, only the
    persons so decided."""
    connection, query, params, layout = _on_database(persons, key, on, region_prefix, pol)
    with _no_jit(connection), connection.chunked_cursor() as cursor:
        cursor.execute(f"SELECT * FROM ({query}) s WHERE {_where(key, eligible)} ORDER BY id", params)
        yield from _read(cursor, key, layout, on)


def snapshot_facts(con: Any, on: dt.date, *, table: str = "facts", pol: Policies | None = None) -> str:
    """Write the facts of ``on`` of every person of the DuckDB snapshot ``con`` (the
    tables ``facts.sql`` reads) into ``table``, one row per person, with the columns
    every programme's rules read: each fact computed once, then screened by
    ``screen_snapshot(…, facts_table=table)`` for any programme and region on that day.
    Returns ``table``."""
    pol = pol or policy.policies()
    rules = [rule for key in pol.programmes for code in pol.files[key]
             if (rule := policy.rule_of(pol, key, code, on)) is not None]
    statuses, kinds = _needs(rules)
    _name(table)
    con.execute(f"CREATE OR REPLACE TABLE {table} AS "
                f"{fact_columns.sql(on, statuses=statuses, kinds=kinds, dialect='duckdb')}")
    return table


def screen_snapshot(con: Any, key: str, on: dt.date, *, region_prefix: str = "",
                    pol: Policies | None = None, eligible: bool | None = None,
                    facts_table: str = "") -> Iterator[Decision]:
    """``screen`` on DuckDB: ``con`` holds the tables ``facts.sql`` reads (a snapshot,
    ``facts.SNAPSHOT_COLUMNS``), or the facts of ``on`` already written by
    ``snapshot_facts`` into ``facts_table``; every person in them is screened."""
    query, layout = screening_sql([key], on, dialect="duckdb", region_prefix=region_prefix, pol=pol,
                                  facts_table=facts_table)
    where = _where(key, eligible)
    if region_prefix:
        where += f" AND substr(hukou_region_id, 1, {len(region_prefix)}) = {fact_columns.text(region_prefix)}"
    cursor = con.execute(f"SELECT * FROM ({query}) s WHERE {where} ORDER BY id")
    yield from _read(cursor, key, layout, on)


def count_eligible(persons: QuerySet[Person], key: str, on: dt.date, *, region_prefix: str = "",
                   pol: Policies | None = None) -> int:
    """How many persons ``screen`` finds eligible, counted in SQL."""
    connection, query, params, _layout = _on_database(persons, key, on, region_prefix, pol)
    with _no_jit(connection), connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM ({query}) s WHERE {_where(key, True)}", params)
        return cursor.fetchone()[0]


# ---------------------------------------------------------------------------
# What a rule says, in words (the policy pages)


def describe_condition(c: dict[str, Any]) -> str:
    test = c["test"]
    if test == "alive":
        return _("在世")
    if test == "certificate":
        return _("持有效残疾人证")
    if test == "disability":
        return _("残疾类别和等级：{wanted}").format(wanted=_alternatives(c["any_of"]))
    if test == "household_status":
        text = _("家庭为{statuses}").format(statuses="、".join(str(HOUSEHOLD_WORDS[s]) for s in c["statuses"]))
        if c.get("or_receiving"):
            text += _("，或享受{kinds}").format(kinds="、".join(_kind(k) for k in c["or_receiving"]))
        return text
    if test == "age":
        return (_("{min}至{max}周岁").format(min=c.get("min", 0), max=c["max"]) if "max" in c
                else _("{min}周岁以上").format(min=c["min"]))
    if test == "not_household_status":
        return _("家庭不是{statuses}").format(statuses="、".join(str(HOUSEHOLD_WORDS[s]) for s in c["statuses"]))
    if test == "not_receiving":
        return _("未享受{kinds}").format(kinds="、".join(_kind(k) for k in c["kinds"]))
    if test == "receiving":
        return _("已登记：{kinds}").format(kinds="、".join(_kind(k) for k in c["kinds"]))
    return _("与{kinds}择高享受").format(kinds="、".join(_kind(k) for k in c["kinds"]))


def describe_amounts(rule: Rule, region_code: str, on: dt.date, pol: Policies) -> list[dict[str, Any]]:
    """Each row of the amount table: to whom, how much (None: a placeholder), a note."""
    out = []
    for row in rule.amounts:
        who = []
        if "levels" in row:
            who.append("、".join(str(Level(x).label) for x in row["levels"]))
        if "categories" in row:
            who.append("、".join(str(Category(x).label) for x in row["categories"])
                       + (_("（含以此为一类的多重残疾）") if row.get("components") else ""))
        if "age_min" in row or "age_max" in row:
            who.append(_("{min}至{max}周岁").format(min=row.get("age_min", 0), max=row["age_max"])
                       if "age_max" in row else _("{min}周岁以上").format(min=row["age_min"]))
        if "urban" in row:
            who.append(_("城市") if row["urban"] else _("农村"))
        if "household_statuses" in row:
            who.append("、".join(str(HOUSEHOLD_WORDS[s]) for s in row["household_statuses"]))
        amount, text, placeholder = None, "", False
        if "amount" in row:
            amount = Decimal(str(row["amount"]))
            text = _("{unit}{amount}元").format(unit=UNIT_WORDS[rule.unit], amount=money_text(amount))
        elif "dibao_share" in row:
            standard = policy.dibao_standard(pol, region_code, on)
            share = money_text(Decimal(str(row["dibao_share"])) * 100)
            text = _("当地低保标准的{share}%").format(share=share)
            if standard is None or standard.urban is None or standard.rural is None:
                text += _("（当地低保标准未录入）")
                placeholder = True
        else:
            placeholder = True
        out.append({"who": "，".join(who) or _("全部"), "amount": amount, "text": text,
                    "placeholder": placeholder,
                    "note": row.get("note", "")})
    return out


def eligible_ids(persons: QuerySet[Person], key: str, on: dt.date, *, pol: Policies | None = None) -> list[int]:
    """The ids of the persons ``screen`` finds eligible (the indicator snapshot's
    eligibility for a programme), in SQL."""
    connection, query, params, _layout = _on_database(persons, key, on, "", pol)
    with _no_jit(connection), connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM ({query}) s WHERE {_where(key, True)}", params)
        return [row[0] for row in cursor.fetchall()]
