"""Annual survey entry in Chromium, by a county registrar: from the person page to the
person's surveys, the form (its error summary leading to the field, then answers
chosen by label, pre-filled next year from this one), and the completion page with
the person counted — each page audited with axe-core."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from yangguang.survey.models import AnnualSurvey
from yangguang.survey.rules import age_on
from yangguang.tests_e2e.browser import LIVE_DB, axe_violations, describe_violations, session_cookie

pytestmark = pytest.mark.django_db(**LIVE_DB)


def _clean(page: Any) -> None:
    problems = describe_violations(page.url, axe_violations(page))
    assert not problems, "\n".join(problems)


def test_survey_entry_from_the_person_page(live, context):
    registrar = live.a.users["registrar"]
    person = live.a.persons[1]  # not yet surveyed this year
    year = dt.date.today().year
    context.add_cookies([session_cookie(live, registrar)])
    page = context.new_page()

    page.goto(f"{live.url}/registry/persons/{person.pk}/")
    page.get_by_role("link", name="年度调查", exact=True).click()
    page.wait_for_url(f"**/survey/person/{person.pk}/")
    assert "没有调查记录" in page.content()
    _clean(page)

    page.get_by_role("link", name=f"录入{year}年调查").click()
    page.wait_for_url(f"**/survey/person/{person.pk}/{year}/")
    _clean(page)

    # Saved with nothing chosen: the summary names the field and leads to it.
    page.get_by_role("button", name="保存调查").click()
    page.wait_for_load_state()
    summary = page.get_by_role("alert")
    assert "是否入户调查不能为空" in summary.inner_text()
    assert page.title().startswith("错误：")
    _clean(page)
    summary.get_by_role("link", name="是否入户调查不能为空").click()
    assert page.evaluate("document.activeElement.id") == "id_reached"

    page.get_by_label("是否入户调查").select_option(label="是")
    page.get_by_label("就业状况").select_option(label="已就业")
    page.get_by_label("就业形式").select_option(label="灵活就业")
    page.get_by_label("家庭人均收入（元）").fill("8600")
    page.get_by_label("低保状况").select_option(label="低保")
    page.get_by_label("康复需求").select_option(label="康复训练")
    page.get_by_label("调查员").fill("王芳")
    page.get_by_label("调查日期").fill(dt.date.today().isoformat())
    if 3 <= age_on(person.birth_date, dt.date.today()) <= 17:
        page.get_by_label("受教育状况").select_option(label="义务教育")
    page.keyboard.press("Tab")
    page.get_by_role("button", name="保存调查").click()
    # (The address keeps the #id_reached the error summary's link added.)
    page.wait_for_url(re.compile(rf"/survey/person/{person.pk}/(#.*)?$"))
    assert f"已录入{year}年调查" in page.get_by_role("status").inner_text()
    _clean(page)
    survey = AnnualSurvey.objects.get(person=person, year=year)
    assert (survey.employment_form, survey.support, survey.household_income) == (
        "flexible", "dibao", 8600)

    # The form of this year again: pre-filled with what was saved.
    page.get_by_role("link", name=f"修改 {year}年调查").click()
    page.wait_for_url(f"**/survey/person/{person.pk}/{year}/")
    assert page.get_by_label("低保状况").input_value() == "dibao"

    # The township's completion: the county's three persons, two surveyed now.
    page.goto(f"{live.url}/survey/?region={live.a.spec.township}&year={year}")
    assert page.get_by_role("heading", level=1).inner_text().endswith(f"{year}年度调查进度")
    assert "当年持证3人，已调查2人" in page.content()
    _clean(page)
