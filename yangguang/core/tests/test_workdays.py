"""Working days across the National Day and Spring Festival holidays, with the
weekend days the State Council made working days (调休上班)."""

import datetime as dt

import pytest

from yangguang.core.workdays import CalendarNotCovered, add_working_days, is_working_day

D = dt.date


def test_holidays_and_make_up_days():
    assert not is_working_day(D(2025, 10, 1))  # National Day
    assert not is_working_day(D(2025, 10, 8))  # the holiday's last day, a Wednesday
    assert is_working_day(D(2025, 9, 28))  # a Sunday, made a working day
    assert is_working_day(D(2025, 10, 11))  # a Saturday, made a working day
    assert not is_working_day(D(2025, 10, 12))  # an ordinary Sunday
    assert not is_working_day(D(2025, 1, 29))  # Spring Festival
    assert is_working_day(D(2025, 1, 26))  # a Sunday, made a working day


def test_publication_across_national_day():
    # Posted on Monday 29 September 2025: 30 Sep (1), the holiday 1-8 Oct, 9 Oct (2),
    # 10 Oct (3), Saturday 11 Oct (4, a make-up day), Monday 13 Oct (5).
    assert add_working_days(D(2025, 9, 29), 5) == D(2025, 10, 13)
    # The day the period starts from is not counted, even on a make-up Sunday.
    assert add_working_days(D(2025, 9, 26), 1) == D(2025, 9, 28)
    assert add_working_days(D(2025, 9, 30), 1) == D(2025, 10, 9)


def test_review_across_spring_festival():
    # From Friday 24 January 2025: Sunday 26 Jan (1, make-up), 27 Jan (2), the holiday
    # 28 Jan-4 Feb, 5-7 Feb (3-5), Saturday 8 Feb (6, make-up), 10-13 Feb (7-10).
    assert add_working_days(D(2025, 1, 24), 10) == D(2025, 2, 13)
    # Without the calendar ten weekdays would end on 7 February.
    assert add_working_days(D(2025, 1, 24), 10) != D(2025, 2, 7)


def test_a_year_without_data_is_an_error():
    with pytest.raises(CalendarNotCovered) as raised:
        is_working_day(D(2100, 3, 1))
    assert raised.value.problems[0].code == "calendar_not_covered"
    assert "2100" in raised.value.problems[0].message
    # A period that runs into a year without data is refused, not guessed.
    last_covered = max(year for year in range(2004, 2100)
                       if _covered(D(year, 6, 1)))
    with pytest.raises(CalendarNotCovered):
        add_working_days(D(last_covered, 12, 20), 20)


def test_count_must_be_positive():
    with pytest.raises(ValueError):
        add_working_days(D(2025, 3, 3), 0)


def _covered(day: dt.date) -> bool:
    try:
        is_working_day(day)
    except CalendarNotCovered:
        return False
    return True
