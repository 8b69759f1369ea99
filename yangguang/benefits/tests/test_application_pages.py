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
    page = client.get(reverse("benefits:application", args=[app.pk])).content.decode()
    app.refresh_from_db()
    assert "乡镇审核时限" in page and app.deadline.strftime("%Y-%m-%d") in page
    # Each step by its own role: the township, the federation's reviewer, civil affairs.
    federation, civil = signed_in("reviewer", "630000"), signed_in("civil_affairs", "630000")
    assert federation.post(step, {"action": "review", "day": TODAY.isoformat()}).status_code == 404
    assert client.post(step, {"action": "review", "day": TODAY.isoformat(), "note": "同意"}).status_code == 302
    assert client.post(step, {"action": "check_level", "day": TODAY.isoformat()}).status_code == 404
    assert federation.post(step, {"action": "check_level", "day": TODAY.isoformat()}).status_code == 302
    for action in ("decide", "publish"):
        assert civil.post(step, {"action": action, "day": TODAY.isoformat(), "note": "同意"}).status_code == 302
    app.refresh_from_db()
    early = civil.post(step, {"action": "grant", "day": app.deadline.isoformat()})
    assert early.status_code == 400 and "期满后方可发放" in early.content.decode()
    later = (app.deadline + dt.timedelta(days=1)).isoformat()
    assert civil.post(step, {"action": "grant", "day": later}).status_code == 302
    page = client.get(reverse("benefits:application", args=[app.pk])).content.decode()
    assert "已发放" in page and "县民政" in page and "每月100元" in page
    assert "reviewer-630000" in page and "civil_affairs-630000" in page
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


def test_overdue_applications_are_marked_in_the_list(person):
    from yangguang.audit.services import Actor
    from yangguang.benefits import services

    p = person(region=XINING, level="一级", issued=TODAY - dt.timedelta(days=365))
    services.apply(p, "care_allowance", applicant_type="person",
                   applied_on=TODAY - dt.timedelta(days=30), actor=Actor("t"), scope=None)
    client = signed_in("registrar", "630000")
    listed = client.get(reverse("benefits:applications")).content.decode()
    assert "已超期" in listed and p.name in listed
    assert p.name in client.get(reverse("benefits:applications"), {"overdue": "on"}).content.decode()
    app = BenefitApplication.objects.get(person=p)
    assert "已超期" in client.get(reverse("benefits:application", args=[app.pk])).content.decode()


def test_an_application_taken_in_at_the_residence_county_is_forwarded(person):
    from yangguang.core.crypto import decrypt_id

    p = person(region=XINING, level="一级", issued=TODAY - dt.timedelta(days=365))
    residence = signed_in("registrar", WUTAI)
    form = {"id_number": decrypt_id(p.id_number_encrypted), "name": "别人", "residence_region": WUTAI,
            "programme": "care_allowance", "applicant_type": "person",
            "applied_on": TODAY.isoformat()}
    wrong = residence.post(reverse("benefits:apply_at_residence"), form)
    assert wrong.status_code == 400 and "没有与该公民身份号码和姓名相符" in wrong.content.decode()
    done = residence.post(reverse("benefits:apply_at_residence"), form | {"name": p.name})
    app = BenefitApplication.objects.get(person=p)
    assert done.status_code == 302 and app.at_residence
    page = residence.get(reverse("benefits:application", args=[app.pk])).content.decode()
    assert "转户籍地办理" in page and "五台县" in page
    step = reverse("benefits:application_step", args=[app.pk])
    assert residence.post(step, {"action": "forward", "day": TODAY.isoformat()}).status_code == 302
    hukou = signed_in("registrar", "630000")
    assert hukou.post(step, {"action": "review", "day": TODAY.isoformat()}).status_code == 302


def test_the_residence_form_refuses_a_residence_in_the_hukou_province(person):
    """跨省通办 through the form: a county of the same province (城西区 for a hukou in
    城东区, both Qinghai) is refused with the Chinese message on the residence field;
    nothing is written. A county in another province is accepted."""
    from yangguang.core.crypto import decrypt_id

    p = person(region=XINING, level="一级", issued=TODAY - dt.timedelta(days=365))
    form = {"id_number": decrypt_id(p.id_number_encrypted), "name": p.name,
            "residence_region": "630104", "programme": "care_allowance",
            "applicant_type": "person", "applied_on": TODAY.isoformat()}
    same_province = signed_in("registrar", "630104")
    refused = same_province.post(reverse("benefits:apply_at_residence"), form)
    text = refused.content.decode()
    assert refused.status_code == 400
    assert "跨省通办只受理户籍在外省的申请：常住地与户籍地同属青海省" in text
    assert "<title>错误：" in text
    assert not BenefitApplication.objects.filter(person=p).exists()
    other_province = signed_in("registrar", WUTAI)
    done = other_province.post(reverse("benefits:apply_at_residence"),
                               form | {"residence_region": WUTAI})
    assert done.status_code == 302
    assert BenefitApplication.objects.get(person=p).residence_region_id == WUTAI + "000000"
