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
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yangguang.accounts.permissions import Capability
from yangguang.audit.services import Segment
from yangguang.core import bulk
from yangguang.core.crypto import hash_ids
from yangguang.core.errors import Problem, ValidationFailed
from yangguang.imports import spec
from yangguang.imports.reading import UNCOMPUTED_FORMULA, Table
from yangguang.imports.running import Context, ImportResult, blank_rows
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


def _column(key: str, header: str, required: bool) -> spec.Column:
    # Every column but the identity number holds few distinct values in a block
    # (``repeats``: read once each); a blank coded cell or surveyor is "".
    if key in words.CODED:
        names = tuple(words.CODED[key].values())
        return spec.Column(key, header, required, _HELP.get(key, ""),
                           parse=lambda cell, key=key: rules.parse_code(key, cell),
                           choices=names, width=max(12, 2 * max(len(n) for n in names)),
                           blank="", repeats=True)
    if key in words.FLAGS:
        return spec.Column(key, header, required, _HELP.get(key, _("是或否")),
                           parse=lambda cell, key=key: rules.parse_flag(key, cell),
                           choices=tuple(words.YES_NO.values()), width=10, repeats=True)
    parsers = {"id_number": lambda cell: v.parse_id_number(cell),
               "year": rules.parse_year,
               "household_income": rules.parse_income,
               "surveyor": rules.parse_surveyor,
               "survey_date": rules.parse_survey_date}
    return spec.Column(key, header, required, _HELP.get(key, ""), parse=parsers[key],
                       text=key in ("id_number", "year"), date=key == "survey_date",
                       width=20 if key == "id_number" else 12,
                       blank="" if key == "surveyor" else None,
                       repeats=key != "id_number")


class _Cells:
    """A row's cells in a block given by columns, made a dict (by column key) only for
    a rejected row's report."""

    __slots__ = ("columns", "index")

    def __init__(self, columns: dict[str, list[Any]], index: int) -> None:
        self.columns, self.index = columns, index

    def dict(self) -> dict[str, Any]:
        return {key: column[self.index] for key, column in self.columns.items()}


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
            raise ValidationFailed(self._formulas(uncomputed))
        return super().parse(cells, context)

    def _formulas(self, keys: list[str]) -> list[Problem]:
        return [rules.problem("formula_without_value", key, label=self.header_of(key))
                for key in keys]

    def parse_columns(self, cells: dict[str, list[Any]], count: int
                      ) -> tuple[dict[str, list[Any]], dict[int, list[Problem]]]:
        """As the framework's, but a row with a formula saved without its value is
        refused for its formulas alone (as ``parse``)."""
        values, problems = super().parse_columns(cells, count)
        uncomputed: dict[int, list[str]] = {}
        for key, column in cells.items():
            if UNCOMPUTED_FORMULA in column:
                for i, cell in enumerate(column):
                    if cell is UNCOMPUTED_FORMULA:
                        uncomputed.setdefault(i, []).append(key)
        for i, keys in uncomputed.items():
            problems[i] = self._formulas(keys)
        return values, problems

    def make(self, values: dict[str, Any], context: Context) -> Any:
        if values["survey_date"] is not None and values["survey_date"] > context.today:
            raise v.fail("date_future", "survey_date", label=self.header_of("survey_date"),
                         value=values["survey_date"].isoformat())
        id_number = values.pop("id_number")
        # The columns are SurveyData's fields, blank codes already "" (``_column``).
        return id_number.normalized, SurveyData(**values)

    def import_table(self, table: Table, context: Context) -> ImportResult:
        result = context.result
        done = 0
        postgres = connection.vendor == "postgresql"
        # An import in a transaction of its own reads the registry and the stored surveys
        # through a second connection, which need not wait for the writer's COPY (no
        # row of its own that it needs precedes the writer: a second row of a person
        # and year is refused by the file's memory, ``context.seen``).
        outermost = not connection.in_atomic_block
        try:
            with transaction.atomic():
                if postgres:  # foreign keys checked as each COPY runs, in the writer thread
                    with connection.cursor() as cursor:
                        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                with bulk.Writer(separate_reads=outermost, separate_ids=outermost) as writer:
                    segment = Segment(context.actor, ids=writer.ids)
                    for numbers, cells in table.column_chunks(self.block):
                        done += len(numbers)
                        self._block(numbers, cells, context, segment, writer)
                        if context.progress:
                            context.progress(done, context.total)
                if postgres:
                    with connection.cursor() as cursor:
                        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
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

    def _block(self, numbers: list[int], columns: dict[str, list[Any]], context: Context,
               segment: Segment, writer: bulk.Writer) -> None:
        result = context.result
        blank = blank_rows(columns, len(numbers))
        values, problems = self.parse_columns(columns, len(numbers))
        keys = list(values)
        parsed: list[tuple[int, _Cells, str, SurveyData]] = []
        for i, (number, row) in enumerate(zip(numbers, zip(*values.values(), strict=True), strict=True)):
            if i in blank:
                continue
            result.rows += 1
            cells = _Cells(columns, i)
            refused = problems.get(i)
            if refused is None:
                try:
                    id_number, data = self.make(dict(zip(keys, row, strict=True)), context)
                except ValidationFailed as exc:
                    refused = exc.problems
            if refused is not None:
                context.reject(number, refused, cells.dict())
                continue
            parsed.append((number, cells, id_number, data))
        if not parsed:
            return
        hashes = hash_ids([id_number for _n, _c, id_number, _d in parsed])
        persons = {h: (pk, region, birth) for h, pk, region, birth in bulk.filter_in(
            Person.objects.using(writer.reads), "id_number_hash", sorted(set(hashes)))
            .values_list("id_number_hash", "pk", "hukou_region_id", "birth_date")}
        first_row: dict[tuple[int, int], int] = context.seen.setdefault("rows", {})
        good: list[tuple[int, dict[str, Any], int, str, SurveyData]] = []
        births: dict[int, dt.date] = {pk: birth for pk, _region, birth in persons.values()}
        for (number, cells, _id, data), id_hash in zip(parsed, hashes, strict=True):
            person = persons.get(id_hash)
            if person is None:
                context.reject(number, [rules.problem("person_unknown", "id_number")],
                              cells.dict())
                continue
            pk, region, _birth = person
            if not context.in_scope(region):
                context.reject(number, [Problem("person_out_of_scope", "id_number",
                                                MESSAGES["person_out_of_scope"])], cells.dict())
                continue
            first = first_row.setdefault((pk, data.year), number)
            if first != number:
                context.reject(number, [rules.problem("duplicate_in_file", "year", row=first)],
                               cells.dict())
                continue
            good.append((number, cells, pk, region, data))
        by_year: dict[int, list[int]] = defaultdict(list)
        for _n, _c, pk, _r, data in good:
            by_year[data.year].append(pk)
        certified = {year: services.certified_persons(pks, year, writer.reads)
                     for year, pks in by_year.items() if year <= context.today.year}
        stored: dict[tuple[int, int], dict[str, Any]] = {}
        for year, pks in by_year.items():
            for row in bulk.filter_in(AnnualSurvey.objects.using(writer.reads).filter(year=year),
                                      "person_id", pks).values("pk", "person_id", *ANSWERS):
                stored[(row["person_id"], year)] = row
        new: list[tuple[int, str, SurveyData]] = []
        now = timezone.now()
        for number, cells, pk, region, data in good:
            try:
                rules.check(data, birth_date=births[pk],
                            certified=pk in certified.get(data.year, ()), today=context.today)
            except ValidationFailed as exc:
                context.reject(number, exc.problems, cells.dict())
                continue
            before = stored.get((pk, data.year))
            if before is None:
                new.append((pk, region, data))
            elif all(before[k] == value for k, value in data.answers().items()):
                result.count(spec.Outcome.UNCHANGED)
            else:
                services.update_survey(before["pk"], pk, region, data, before, chain=segment,
                                       now=now, writer=writer)
                result.count(spec.Outcome.UPDATED)
        services.create_surveys(new, actor=context.actor, chain=segment, now=now,
                                writer=writer)
        result.count(spec.Outcome.CREATED, len(new))


SURVEYS = SurveyKind()
