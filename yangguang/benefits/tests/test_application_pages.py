"""The application pages: apply from the person page, take steps (a refused step in
the error summary), the lists by state, the grants, scope, and the home count."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from yangguang.benefits.models import BenefitApplication, BenefitGrant
from yangguang.benefits.tests.conftest import WUTAI, XINING
from yangguang.benefits.tests.test_pages import signed_in

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


def test_apply_then_take_every_step_to_the_grant_through_the_pages(person):
    p = person(region=XINING, level="一级", issued=TODAY - dt.timedelta(days=365))
    client = signed_in("registrar", "630000")
    assert "登记补贴申请" in client.get(reverse("registry:person", args=[p.pk])).content.decode()
    form = client.get(reverse("benefits:apply", args=[p.pk]), {"programme": "care_allowance",
                                                               "proactive": "1"})
    assert form.status_code == 200 and 'value="proactive" selected' in form.content.decode()
    bad = client.post(reverse("benefits:apply", args=[p.pk]),
                      {"programme": "care_allowance", "applicant_type": "guardian",
                       "applied_on": TODAY.isoformat()})
    assert bad.status_code == 400 and "代为申请时请填写代办人姓名" in bad.content.decode()
    done = client.post(reverse("benefits:apply", args=[p.pk]),
                       {"programme": "care_allowance", "applicant_type": "person",
                        "applied_on": TODAY.isoformat()})
    app = BenefitApplication.objects.get(person=p)
    assert done.status_code == 302 and done.url == reverse("benefits:application", args=[app.pk])
    step = reverse("benefits:application_step", args=[app.pk])
    refused = client.post(step, {"action": "grant", "day": TODAY.isoformat()})
    assert refused.status_code == 400 and "error-summary" in refused.content.decode()
    refused = client.post(step, {"action": "reject", "day": TODAY.isoformat()})
    assert "不予通过时请填写理由" in refused.content.decode()
    for action in ("review", "check_level", "decide", "publish", "grant"):
        assert client.post(step, {"action": action, "day": TODAY.isoformat(), "note": "同意"}).status_code == 302
    page = client.get(reverse("benefits:application", args=[app.pk])).content.decode()
    assert "已发放" in page and "县民政" in page and "每月100元" in page
    grant = BenefitGrant.objects.get(application=app)
    assert grant.amount == 100
    listed = client.get(reverse("benefits:applications"), {"state": "granted"}).content.decode()
    assert p.name in listed
    assert p.name not in client.get(reverse("benefits:applications"), {"state": "submitted"}).content.decode()
    assert p.name in client.get(reverse("benefits:grants")).content.decode()


def test_another_province_sees_nothing_and_may_not_act(person):
    p = person(region=XINING, level="一级", issued=TODAY - dt.timedelta(days=365))
    client = signed_in("registrar", "630000")
    client.post(reverse("benefits:apply", args=[p.pk]),
                {"programme": "care_allowance", "applicant_type": "person",
                 "applied_on": TODAY.isoformat()})
    app = BenefitApplication.objects.get(person=p)
    other = signed_in("registrar", WUTAI[:2] + "0000")
    assert other.get(reverse("benefits:application", args=[app.pk])).status_code == 404
    assert other.post(reverse("benefits:application_step", args=[app.pk]),
                      {"action": "review", "day": TODAY.isoformat()}).status_code == 404
    assert other.get(reverse("benefits:apply", args=[p.pk])).status_code == 404
    assert p.name not in other.get(reverse("benefits:applications")).content.decode()
    home = client.get(reverse("home")).content.decode()
    assert "办理中的补贴申请" in home
