"""The ``survey`` import kind: one year's surveys from a spreadsheet, on the shared
import framework (reading, limits, template, error report, command line, web page).

The columns are the issue's template (``vocabulary.COLUMNS``), with a dropdown for
every coded column; a coded cell takes the code or its Chinese name. A row is
refused, with its row and column, when the person is not registered, lies outside
the importing user's regions, was not certified in the year, when the year has not
begun, when the file holds the same person and year twice, or when ``rules.check``
finds a rule broken. Importing a file again changes nothing.

Rows are checked and written a block at a time (``import_table``): the block's
persons, their certification in the year and their stored surveys are each read
with one query, new surveys written with one bulk insert (COPY on PostgreSQL) and
their audit events into a segment of the chain sealed by the import's event, so a
year's survey of a province goes in minutes. Each row is checked by the same
``rules.check`` the form and the API call.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yangguang.accounts.permissions import Capability
from yangguang.audit.services import Segment
from yangguang.core import bulk
from yangguang.core.crypto import hash_ids
from yangguang.core.errors import Problem, ValidationFailed
from yangguang.imports import spec
from yangguang.imports.reading import UNCOMPUTED_FORMULA, Table
from yangguang.imports.running import Context, ImportResult, is_blank
from yangguang.registry import validation as v
from yangguang.registry.models import Person
from yangguang.survey import rules, services
from yangguang.survey import vocabulary as words
from yangguang.survey.models import ANSWERS, AnnualSurvey
from yangguang.survey.rules import SurveyData

MESSAGES = {
    "person_out_of_scope": _("该人员的户籍地不在您负责的地区内"),
}

_HELP = {
    "id_number": _("18位公民身份号码（末位可为X），须已在残疾人信息中登记"),
    "year": _("四位年份，如2025；尚未开始的年度不能导入"),
    "reached": _("是或否"),
    "not_reached_reason": _("未入户调查时填写"),
    "employment_form": _("已就业时填写"),
    "household_income": _("整数，单位元"),
    "schooling": _("3至17岁的人员填写"),
    "surveyor": _("调查员姓名"),
    "survey_date": _("如2025-03-05，须在调查年度内"),
}


#: Distinct cells a column remembers the parse of (``_per_value``) before starting over.
_MEMO_SIZE = 4096


def _per_value(parse: Callable[[Any], Any], *, daily: bool = False) -> Callable[[Any], Any]:
    """``parse`` (a ``rules`` parser) run once per distinct cell value: its value or its
    refusal remembered, as a coded column holds a handful of values in a million rows.
    The rule stays in ``rules``; the memory starts over when it grows past
    ``_MEMO_SIZE`` values, and each day when ``daily`` (a date's parse depends on today)."""
    memo: dict[tuple[type, Any], tuple[Any, list[Problem] | None]] = {}
    day: list[dt.date | None] = [None]

    def parse_once(cell: Any) -> Any:
        today = dt.date.today() if daily else None
        if day[0] != today or len(memo) > _MEMO_SIZE:
            memo.clear()
            day[0] = today
        key = (type(cell), cell)  # 1, 1.0 and True are equal, but not the same cell
        hit = memo.get(key)
        if hit is None:
            try:
                hit = (parse(cell), None)
            except ValidationFailed as exc:
                hit = (None, exc.problems)
            memo[key] = hit
        if hit[1] is not None:
            raise ValidationFailed(list(hit[1]))
        return hit[0]

    return parse_once


def _column(key: str, header: str, required: bool) -> spec.Column:
    if key in words.CODED:
        names = tuple(words.CODED[key].values())
        return spec.Column(key, header, required, _HELP.get(key, ""),
                           parse=_per_value(lambda cell, key=key: rules.parse_code(key, cell)),
                           choices=names, width=max(12, 2 * max(len(n) for n in names)))
    if key in words.FLAGS:
        return spec.Column(key, header, required, _HELP.get(key, _("是或否")),
                           parse=_per_value(lambda cell, key=key: rules.parse_flag(key, cell)),
                           choices=tuple(words.YES_NO.values()), width=10)
    # The identity number is different on every row: parsed each time.
    parsers = {"id_number": lambda cell: v.parse_id_number(cell),
               "year": _per_value(rules.parse_year),
               "household_income": _per_value(rules.parse_income),
               "surveyor": _per_value(rules.parse_surveyor),
               "survey_date": _per_value(rules.parse_survey_date, daily=True)}
    return spec.Column(key, header, required, _HELP.get(key, ""), parse=parsers[key],
                       text=key in ("id_number", "year"), date=key == "survey_date",
                       width=20 if key == "id_number" else 12)


class _DryRun(Exception):
    """Undoes a dry run's writes."""


class SurveyKind(spec.ImportKind):
    name = "survey"
    label = _("年度调查")
    sheet = "年度调查"
    capability = Capability.EDIT_PERSON
    region_key = "id_number"
    audit_object = "import"
    block = 5000
    columns = tuple(_column(key, header, required) for key, header, required in words.COLUMNS)
    notes = (_("每人每年一行；未入户调查的只填公民身份号码、调查年度、是否入户调查（否）、"
               "未调查原因、调查员和调查日期。"),
             _("编码列可填写中文名称或代码。"))

    def parse(self, cells: dict[str, Any], context: Context) -> Any:
        uncomputed = [key for key, value in cells.items() if value is UNCOMPUTED_FORMULA]
        if uncomputed:
            raise ValidationFailed([rules.problem("formula_without_value", key,
                                                  label=self.header_of(key))
                                    for key in uncomputed])
        return super().parse(cells, context)

    def make(self, values: dict[str, Any], context: Context) -> Any:
        if values["survey_date"] is not None and values["survey_date"] > context.today:
            raise v.fail("date_future", "survey_date", label=self.header_of("survey_date"),
                         value=values["survey_date"].isoformat())
        id_number = values.pop("id_number")
        return id_number.normalized, SurveyData.of(values)

    def import_table(self, table: Table, context: Context) -> ImportResult:
        result = context.result
        done = 0
        try:
            with transaction.atomic():
                segment = Segment(context.actor)
                for block in table.dict_chunks(self.block):
                    done += len(block)
                    self._block(block, context, segment)
                    if context.progress:
                        context.progress(done, context.total)
                if context.progress:
                    context.progress(done, done)
                if context.dry_run:
                    raise _DryRun
                if segment.count:
                    context.audit(**segment.seal())
        except _DryRun:
            pass
        result.errors.sort(key=lambda e: e.row)
        return result

    def _block(self, block: list[tuple[int, dict[str, Any]]], context: Context,
               segment: Segment) -> None:
        result = context.result
        parsed: list[tuple[int, dict[str, Any], str, SurveyData]] = []
        for number, cells in block:
            if is_blank(cells):
                continue
            result.rows += 1
            try:
                id_number, data = self.parse(cells, context)
            except ValidationFailed as exc:
                context.reject(number, exc.problems, cells)
                continue
            parsed.append((number, cells, id_number, data))
        if not parsed:
            return
        hashes = hash_ids([id_number for _n, _c, id_number, _d in parsed])
        persons = {h: (pk, region, birth) for h, pk, region, birth in bulk.filter_in(
            Person.objects.all(), "id_number_hash", sorted(set(hashes)))
            .values_list("id_number_hash", "pk", "hukou_region_id", "birth_date")}
        first_row: dict[tuple[int, int], int] = context.seen.setdefault("rows", {})
        good: list[tuple[int, dict[str, Any], int, str, SurveyData]] = []
        births: dict[int, dt.date] = {pk: birth for pk, _region, birth in persons.values()}
        for (number, cells, _id, data), id_hash in zip(parsed, hashes, strict=True):
            person = persons.get(id_hash)
            if person is None:
                context.reject(number, [rules.problem("person_unknown", "id_number")], cells)
                continue
            pk, region, _birth = person
            if not context.in_scope(region):
                context.reject(number, [Problem("person_out_of_scope", "id_number",
                                                MESSAGES["person_out_of_scope"])], cells)
                continue
            first = first_row.setdefault((pk, data.year), number)
            if first != number:
                context.reject(number, [rules.problem("duplicate_in_file", "year", row=first)],
                               cells)
                continue
            good.append((number, cells, pk, region, data))
        by_year: dict[int, list[int]] = defaultdict(list)
        for _n, _c, pk, _r, data in good:
            by_year[data.year].append(pk)
        certified = {year: services.certified_persons(pks, year) for year, pks in by_year.items()
                     if year <= context.today.year}
        stored: dict[tuple[int, int], dict[str, Any]] = {}
        for year, pks in by_year.items():
            for row in bulk.filter_in(AnnualSurvey.objects.filter(year=year), "person_id", pks
                                      ).values("pk", "person_id", *ANSWERS):
                stored[(row["person_id"], year)] = row
        new: list[tuple[int, str, SurveyData]] = []
        now = timezone.now()
        for number, cells, pk, region, data in good:
            try:
                rules.check(data, birth_date=births[pk],
                            certified=pk in certified.get(data.year, ()), today=context.today)
            except ValidationFailed as exc:
                context.reject(number, exc.problems, cells)
                continue
            before = stored.get((pk, data.year))
            if before is None:
                new.append((pk, region, data))
            elif all(before[k] == value for k, value in data.answers().items()):
                result.count(spec.Outcome.UNCHANGED)
            else:
                services.update_survey(before["pk"], pk, region, data, before, chain=segment,
                                       now=now)
                result.count(spec.Outcome.UPDATED)
        services.create_surveys(new, actor=context.actor, chain=segment, now=now)
        result.count(spec.Outcome.CREATED, len(new))


SURVEYS = SurveyKind()
