"""Working days (工作日) under the Chinese public-holiday calendar.

The deadlines of 《残疾人证管理办法》 (publication 5 working days, county review 10,
dispute 10) count working days: the State Council's yearly notice moves weekends into
holidays and makes some weekends make-up working days (调休上班). The notice is read
from the maintained ``chinese-calendar`` package, which carries each year once the
notice is out. A year it does not carry is an error (``CalendarNotCovered``), never a
guess from the weekdays: a wrong deadline is worse than none.
"""

from __future__ import annotations

import datetime as dt

import chinese_calendar
from django.utils.translation import gettext_lazy as _

from yangguang.core.errors import Problem, ValidationFailed

NOT_COVERED = _("{year}年的法定节假日安排尚未收录，无法计算工作日；请升级 chinese-calendar 后再试")


class CalendarNotCovered(ValidationFailed):
    """The holiday calendar has no data for the year of ``day``."""

    def __init__(self, day: dt.date):
        self.day = day
        super().__init__([Problem("calendar_not_covered", "date", NOT_COVERED,
                                  {"year": day.year})])


def is_working_day(day: dt.date) -> bool:
    """Whether ``day`` is a working day: a weekday that is no public holiday, or a
    weekend day the State Council made a working day."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        raise CalendarNotCovered(day) from None


def add_working_days(start: dt.date, count: int) -> dt.date:
    """The ``count``-th working day after ``start``: the last day of a period of
    ``count`` working days that begins on ``start``. As in Chinese administrative
    procedure, the day the period starts from is not counted (《行政许可法》 Art. 82
    counts periods the same way), so a 5-day publication posted on ``start`` ends on
    ``add_working_days(start, 5)``."""
    if count < 1:
        raise ValueError("count must be at least 1")
    day = start
    while count:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day

