"""Demo annual surveys for 2021–2025: every person certified in a year is surveyed
with a plausible probability (rising year by year), with answers that follow the
person's age, disability category and level, written through
``survey.services.create_surveys`` after ``survey.rules.check``.

Each person-year draws from its own random generator seeded by the seed, the
person's keyed ID hash and the year, so the answers do not depend on database ids
or on the order of loading; persons already surveyed in a year are skipped, so
loading twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from typing import Any

from django.db import transaction

from yangguang.core.errors import ValidationFailed
from yangguang.registry.models import Certificate, CertificateStatus, Person
from yangguang.survey import rules, services
from yangguang.survey.models import AnnualSurvey
from yangguang.survey.rules import SurveyData, age_on

YEARS = range(2021, 2026)
#: Share of the certified persons surveyed, by year.
RATES = {2021: 0.86, 2022: 0.89, 2023: 0.91, 2024: 0.94, 2025: 0.96}
SURVEYORS = ("王芳", "李娜", "张伟", "刘洋", "陈静", "杨帆", "赵磊", "黄敏", "周婷", "吴强",
             "马兰", "韩梅", "祁永", "冶学", "星措")


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), list(weights.values()))[0]


def _answers(rng: random.Random, year: int, birth: dt.date, category: int, level: int,
             deceased: dt.date | None, last_day: dt.date) -> SurveyData:
    start = dt.date(year, 3, 1)
    end = min(dt.date(year, 11, 30), last_day)
    day = start + dt.timedelta(days=rng.randrange(max((end - start).days, 0) + 1))
    surveyor = rng.choice(SURVEYORS)
    if deceased is not None and deceased <= day:
        return SurveyData(year, False, "deceased", surveyor=surveyor, survey_date=day)
    if rng.random() < 0.04:
        return SurveyData(year, False, _pick(rng, {"unreachable": 0.6, "moved": 0.4}),
                          surveyor=surveyor, survey_date=day)
    age = age_on(birth, day)
    severe = level <= 2
    data = SurveyData(year, True, surveyor=surveyor, survey_date=day)
    if 16 <= age <= 59:
        data.employment_status = _pick(rng, {"employed": 0.25 if severe else 0.45,
                                             "seeking": 0.1, "not_seeking": 0.15,
                                             "unable": 0.5 if severe else 0.2})
        if data.employment_status == "employed":
            data.employment_form = _pick(rng, {
                "flexible": 0.3, "agriculture": 0.3, "self_employed": 0.1, "quota": 0.1,
                "auxiliary": 0.08, "public_welfare": 0.07, "centralised": 0.05})
        data.vocational_training = rng.random() < 0.08
    else:
        data.employment_status = "not_working_age"
    # Household income per head, growing about 6 % a year from 2021.
    # (an int: round(x, -1) of a float is a float, which PostgreSQL's binary COPY refuses
    # for an integer column)
    data.household_income = int(round(9000 * 1.06 ** (year - 2021)
                                      * math.exp(rng.gauss(0, 0.45)), -1))
    if age >= 60:
        data.pension_insurance = _pick(rng, {"receiving": 0.92, "not_insured": 0.08})
    elif age >= 16:
        data.pension_insurance = _pick(rng, {"government_paid": 0.6 if severe else 0.35,
                                             "paying": 0.3 if severe else 0.55,
                                             "not_insured": 0.1})
    data.medical_insurance = _pick(rng, {"insured": 0.6, "government_subsidised": 0.37,
                                         "not_insured": 0.03})
    if 3 <= age <= 5:
        data.schooling = _pick(rng, {"preschool": 0.6, "not_enrolled": 0.4})
    elif 6 <= age <= 15:
        data.schooling = _pick(rng, {"compulsory": 0.75, "special_school": 0.12,
                                     "home_delivered": 0.08, "not_enrolled": 0.05})
    elif 16 <= age <= 17:
        data.schooling = _pick(rng, {"high_school": 0.5, "special_school": 0.15,
                                     "not_enrolled": 0.35})
    data.rehabilitation_need = _pick(rng, {"none": 0.55, "medical": 0.15, "training": 0.2,
                                           "support": 0.1})
    if data.rehabilitation_need != "none":
        data.rehabilitation_received = rng.random() < 0.8
    device = {4: "mobility", 1: "visual", 2: "hearing"}.get(category, "self_care")
    share = {4: 0.35, 1: 0.3, 2: 0.35}.get(category, 0.08)
    data.device_need = device if rng.random() < share else "none"
    if data.device_need != "none":
        data.device_fitted = rng.random() < 0.75
    if 16 <= age <= 59 and (category in (5, 6) or (category == 4 and severe)) \
            and rng.random() < 0.25:
        data.care_need = _pick(rng, {"day": 0.4, "home": 0.45, "residential": 0.15})
        data.care_received = rng.random() < 0.5
    else:
        data.care_need = "none"
    data.accessibility_need = severe and rng.random() < 0.2
    if data.accessibility_need:
        data.accessibility_done = rng.random() < 0.4
    data.support = _pick(rng, {"none": 0.7, "dibao": 0.2, "tekun": 0.04, "other": 0.06})
    data.main_difficulty = _pick(rng, {
        "economic": 0.3, "medical": 0.2, "care": 0.12, "employment": 0.1,
        "rehabilitation": 0.08, "housing": 0.06, "education": 0.04, "transport": 0.04,
        "other": 0.02, "none": 0.04})
    return data


def load_surveys(seed: int, actor: Any, *, as_of: dt.date) -> int:
    """Survey the persons certified in each year of ``YEARS`` (not after ``as_of``'s
    year); returns how many surveys were written."""
    written = 0
    kinds = dict(((pid, (c, lv)) for pid, c, lv in Certificate.objects
                  .exclude(status=CertificateStatus.CANCELLED)
                  .values_list("person_id", "category", "level")))
    for year in YEARS:
        if year > as_of.year:
            break
        last_day = min(dt.date(year, 12, 31), as_of)
        persons = (Person.objects.filter(rules.certified_q(year))
                   .exclude(pk__in=AnnualSurvey.objects.filter(year=year).values("person_id"))
                   .order_by("pk")
                   .values_list("pk", "hukou_region_id", "birth_date", "deceased_date",
                                "id_number_hash"))
        items = []
        for pk, region, birth, deceased, id_hash in persons.iterator(chunk_size=5000):
            rng = random.Random(f"{seed}:{id_hash}:{year}")
            if rng.random() >= RATES[year]:
                continue
            category, level = kinds.get(pk, (4, 3))
            data = _answers(rng, year, birth, category, level, deceased, last_day)
            try:
                rules.check(data, birth_date=birth, certified=True, today=as_of)
            except ValidationFailed:
                continue  # (a combination the rules refuse: left unsurveyed)
            items.append((pk, region, data))
        with transaction.atomic():
            services.create_surveys(items, actor=actor)
        written += len(items)
    return written
