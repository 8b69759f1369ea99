"""Screening work items: the job turns both lists into items idempotently, the
follow-up moves, the worklist page, and the public 公示 page shows nothing but a masked
name, the programme and the amount."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from yangguang.audit.models import AuditEvent
from yangguang.benefits import jobs, services
from yangguang.benefits.models import ItemKind, ItemStatus, ScreeningItem
from yangguang.benefits.states import ApplicationAction as A
from yangguang.benefits.tests.conftest import ACTOR, WUTAI, XINING, take_steps
from yangguang.benefits.tests.test_pages import signed_in
from yangguang.core.crypto import mask_name
from yangguang.core.errors import ValidationFailed
from yangguang.jobs.services import Context
from yangguang.regions.models import Region

pytestmark = pytest.mark.django_db
D = dt.date
TODAY = dt.date.today()


def codes(excinfo) -> list[str]:
    return [p.code for p in excinfo.value.problems]


class FakeJob:
    kind = "screen_benefits"
    pk = 0


def _grant(p, day):
    app = services.apply(p, "care_allowance", applicant_type="person", applied_on=day,
                         actor=ACTOR, scope=None)
    return take_steps(app, day=day)


def test_the_daily_job_makes_items_of_both_lists_once(person):
    found = person(region=XINING, level="一级")
    gone = person(region=XINING, level="一级")
    shanxi = person(region=WUTAI, level="一级")
    grant = _grant(gone, D(2025, 1, 6)).grant
    from yangguang.benefits.models import BenefitGrant
    from yangguang.registry import services as registry

    registry.record_death(gone, D(2025, 3, 3), actor=ACTOR)
    # Still paying (as a grant the death did not end): the supervision list finds it.
    BenefitGrant.objects.filter(pk=grant.pk).update(stop_month=None, stop_reason="")
    first = jobs.screen_benefits(FakeJob(), Context(FakeJob()), on=D(2025, 6, 2))
    care = ScreeningItem.objects.filter(programme="care_allowance")
    assert {(i.person_id, i.kind) for i in care} == {
        (found.pk, ItemKind.ELIGIBLE_NOT_RECEIVING), (shanxi.pk, ItemKind.ELIGIBLE_NOT_RECEIVING),
        (gone.pk, ItemKind.RECEIVING_NOT_ELIGIBLE)}
    item = care.get(person=found)
    assert (item.region_id, item.status, item.found_on) == (found.hukou_region_id, "open", D(2025, 6, 2))
    assert item.reasons and first["created"] >= 3
    total = ScreeningItem.objects.count()
    again = jobs.screen_benefits(FakeJob(), Context(FakeJob()), on=D(2025, 6, 3))
    assert ScreeningItem.objects.count() == total and again["created"] == 0
    assert again["seen"] == total
    item.refresh_from_db()
    assert (item.found_on, item.last_seen_on) == (D(2025, 6, 2), D(2025, 6, 3))
    # Closed with a reason: not made again while the reasons are the same.
    services.follow_up(item, ItemStatus.CLOSED, day=D(2025, 6, 3), actor=ACTOR, scope=None,
                       note="本人不愿申请")
    jobs.screen_benefits(FakeJob(), Context(FakeJob()), on=D(2025, 6, 3))
    assert care.filter(person=found).count() == 1
    assert AuditEvent.objects.filter(object_type="screening_item", action="create").count() == total


def test_follow_up_moves_need_reasons_and_an_application_links_the_item(person):
    p = person(region=XINING, level="一级")
    services.screen_into_items("care_allowance", "63", D(2025, 6, 2), actor=ACTOR)
    item = ScreeningItem.objects.get(person=p, programme="care_allowance")
    with pytest.raises(ValidationFailed) as e:
        services.follow_up(item, ItemStatus.NOT_ELIGIBLE, day=D(2025, 6, 3), actor=ACTOR, scope=None)
    assert codes(e) == ["item_note"]
    with pytest.raises(ValidationFailed) as e:
        services.follow_up(item, ItemStatus.APPLIED, day=D(2025, 6, 3), actor=ACTOR, scope=None)
    assert codes(e) == ["item_application"]
    with pytest.raises(ValidationFailed) as e:
        services.follow_up(item, ItemStatus.CONTACTED, day=D(2025, 6, 3), actor=ACTOR,
                           scope=("14",))
    assert codes(e) == ["region_out_of_scope"]
    item = services.follow_up(item, ItemStatus.CONTACTED, day=D(2025, 6, 3), actor=ACTOR,
                              scope=None, note="电话联系")
    with pytest.raises(ValidationFailed) as e:
        services.follow_up(item, ItemStatus.OPEN, day=D(2025, 6, 3), actor=ACTOR, scope=None)
    assert codes(e) == ["item_status"]
    app = services.apply(p, "care_allowance", applicant_type="proactive", applied_on=D(2025, 6, 4),
                         actor=ACTOR, scope=None)
    item.refresh_from_db()
    assert (item.status, item.application_id, item.status_on) == (ItemStatus.APPLIED, app.pk,
                                                                  D(2025, 6, 4))


def test_the_worklist_and_the_follow_up_page_are_scoped(person):
    p = person(region=XINING, level="一级")
    services.screen_into_items("care_allowance", "63", TODAY, actor=ACTOR)
    item = ScreeningItem.objects.get(person=p, programme="care_allowance")
    client = signed_in("registrar", "630000")
    listed = client.get(reverse("benefits:screening_items")).content.decode()
    assert p.name in listed and "符合条件但未享受" in listed
    page = client.get(reverse("benefits:screening_item", args=[item.pk])).content.decode()
    assert "记录跟进情况" in page and "登记主动发现申请" in page
    bad = client.post(reverse("benefits:screening_item", args=[item.pk]),
                      {"status": "closed", "day": TODAY.isoformat()})
    assert bad.status_code == 400 and "请填写理由" in bad.content.decode()
    done = client.post(reverse("benefits:screening_item", args=[item.pk]),
                       {"status": "contacted", "day": TODAY.isoformat(), "note": "已上门"})
    assert done.status_code == 302
    item.refresh_from_db()
    assert (item.status, item.status_by) == ("contacted", "registrar-630000")
    other = signed_in("registrar", "140000")
    assert p.name not in other.get(reverse("benefits:screening_items")).content.decode()
    assert other.get(reverse("benefits:screening_item", args=[item.pk])).status_code == 404
    assert other.post(reverse("benefits:screening_item", args=[item.pk]),
                      {"status": "closed", "day": TODAY.isoformat(), "note": "x"}).status_code == 404
    civil = signed_in("civil_affairs", "630000")  # reads, does not follow up
    assert "记录跟进情况" not in civil.get(reverse("benefits:screening_item", args=[item.pk])).content.decode()


def test_the_screening_page_shows_the_two_lists_apart(person):
    found = person(region=XINING, level="一级")
    client = signed_in("registrar", "630000")
    page = client.get(reverse("benefits:screening"), {"programme": "care_allowance",
                                                      "region": XINING, "on": TODAY.isoformat()})
    text = page.content.decode()
    first, second = text.split('id="receiving_not_eligible"')
    assert found.name in first and found.name not in second
    assert "享受中但已不符合条件" in text


def test_the_public_publication_lists_a_masked_name_programme_and_amount_only(person):
    p = person(region=XINING, level="一级", issued=TODAY - dt.timedelta(days=365))
    app = services.apply(p, "care_allowance", applicant_type="guardian", applicant_name="监护人甲",
                         applied_on=TODAY, actor=ACTOR, scope=None, note="家住某村某号")
    for action in (A.REVIEW, A.CHECK_LEVEL, A.DECIDE, A.PUBLISH):
        app = services.take_step(app, action, day=TODAY, actor=ACTOR, scope=None)
    anonymous = Client()
    url = reverse("benefits:publication", args=[XINING])
    response = anonymous.get(url)
    text = response.content.decode()
    assert response.status_code == 200
    assert mask_name(p.name) in text and "重度残疾人护理补贴" in text and "100" in text
    household = p.household
    place = p.hukou_region.name if p.hukou_region_id != XINING + "000000" else p.name
    for secret in (p.name, p.id_number_masked, "监护人甲", "家住某村某号", f"/{p.pk}/",
                   household.number if household else p.name, place, *app.reasons):
        assert secret and secret not in text, secret
    assert anonymous.get(reverse("benefits:publication", args=["630000"])).status_code == 404
    assert anonymous.get(reverse("benefits:publication", args=["999999"])).status_code == 404
    assert mask_name(p.name) not in anonymous.get(
        reverse("benefits:publication", args=[WUTAI])).content.decode()
    assert mask_name("张三") == "张*" and mask_name("欧阳娜娜") == "欧***"


def test_the_publication_page_is_limited_per_address_with_a_chinese_429(settings):
    """The 公示 page counts visits per client address with the e-certificate
    verification's limiter (``core.ratelimit``); over the limit, a Chinese page and 429;
    another address and the verification's own count are not affected."""
    settings.BENEFITS_PUBLICATION_LIMIT = 2
    url = reverse("benefits:publication", args=[XINING])
    one, other = Client(REMOTE_ADDR="10.0.0.1"), Client(REMOTE_ADDR="10.0.0.2")
    assert [one.get(url).status_code for _ in range(2)] == [200, 200]
    refused = one.get(url)
    text = refused.content.decode()
    assert refused.status_code == 429 and refused["Retry-After"] == "60"
    assert "访问过于频繁" in text and "请一分钟后再试" in text and "<title>错误：" in text
    assert one.get(reverse("benefits:publication", args=[WUTAI])).status_code == 429
    assert other.get(url).status_code == 200
    assert one.get("/verify/not-a-token").status_code == 200  # its own count


def test_the_follow_up_page_takes_the_item_region_from_its_own_read(person):
    """The item's region comes with the item (``selectors.item_for``): deciding whether
    the user may follow up costs no query of its own, on the page nor on a refused form."""
    p = person(region=XINING, level="一级")
    services.screen_into_items("care_allowance", "63", TODAY, actor=ACTOR)
    item = ScreeningItem.objects.get(person=p, programme="care_allowance")
    client = signed_in("registrar", "630000")
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("benefits:screening_item", args=[item.pk])).status_code == 200
        assert client.post(reverse("benefits:screening_item", args=[item.pk]),
                           {"status": "closed", "day": TODAY.isoformat()}).status_code == 400
    region_table = connection.ops.quote_name(Region._meta.db_table)
    lookups = [q["sql"] for q in queries.captured_queries
               if re.match(rf"SELECT .* FROM {re.escape(region_table)} WHERE", q["sql"])]
    assert lookups == []


def test_a_run_closes_open_items_no_longer_found_but_not_those_followed_up(person):
    """An open item whose condition no longer holds (the person was granted the
    allowance; the supervision case was stopped) is closed by the next run with the
    reason; a contacted item is the staff's and stays as it is, even when not found."""
    granted_later = person(region=XINING, level="一级")
    contacted = person(region=XINING, level="一级")
    still = person(region=XINING, level="一级")
    services.screen_into_items("care_allowance", "63", D(2025, 6, 2), actor=ACTOR)
    care = ScreeningItem.objects.filter(programme="care_allowance")
    assert care.filter(status=ItemStatus.OPEN).count() == 3
    mine = care.get(person=contacted)
    services.follow_up(mine, ItemStatus.CONTACTED, day=D(2025, 6, 3), actor=ACTOR, scope=None)
    # Both are granted the allowance (the application marks the item applied: undo that
    # for the first, as an item made before the application was linked).
    for p in (granted_later, contacted):
        _grant(p, D(2025, 6, 4))
    care.filter(person=granted_later).update(status=ItemStatus.OPEN, status_note="",
                                             status_on=None, status_by="", application=None)
    care.filter(person=contacted).update(status=ItemStatus.CONTACTED)
    done = services.screen_into_items("care_allowance", "63", D(2025, 7, 1), actor=ACTOR)
    assert done["closed"] == 1
    closed = care.get(person=granted_later)
    assert (closed.status, closed.status_on, closed.status_by) == (
        ItemStatus.CLOSED, D(2025, 7, 1), "test")
    assert closed.status_note == "2025-07-01筛查时已不在“符合条件但未享受（主动发现）”名单中（情况已变化），自动关闭"
    assert care.get(person=contacted).status == ItemStatus.CONTACTED
    assert care.get(person=still).status == ItemStatus.OPEN
    event = AuditEvent.objects.filter(object_type="screening_item", object_id=str(closed.pk),
                                      action="update").order_by("-pk").first()
    assert event.data["status"] == ["open", "closed"] and event.data["cause"] == "stale"
    again = services.screen_into_items("care_allowance", "63", D(2025, 7, 2), actor=ACTOR)
    assert again["closed"] == 0 and again["created"] == 0


def test_the_monthly_full_run_brings_back_a_resolved_person_still_found(person):
    p = person(region=XINING, level="一级")
    services.screen_into_items("care_allowance", "63", D(2025, 6, 2), actor=ACTOR)
    item = ScreeningItem.objects.get(person=p, programme="care_allowance")
    services.follow_up(item, ItemStatus.NOT_ELIGIBLE, day=D(2025, 6, 3), actor=ACTOR, scope=None,
                       note="核实后收入超标")
    jobs.screen_benefits(FakeJob(), Context(FakeJob()), on=D(2025, 6, 4))
    assert ScreeningItem.objects.filter(person=p, programme="care_allowance").count() == 1
    result = jobs.screen_benefits_full(FakeJob(), Context(FakeJob()), on=D(2025, 7, 1))
    items = ScreeningItem.objects.filter(person=p, programme="care_allowance").order_by("pk")
    assert [i.status for i in items] == [ItemStatus.NOT_ELIGIBLE, ItemStatus.OPEN]
    assert set(result) == {"created", "seen", "closed"}


def test_the_full_screening_is_submitted_once_a_month_from_the_first():
    from yangguang.jobs import kinds, workers
    from yangguang.jobs.models import Job

    full = kinds.get("screen_benefits_full")
    assert (full.daily_at, full.monthly_on) == (dt.time(4, 0), 1)
    first = timezone.make_aware(dt.datetime(2025, 7, 1, 3, 59))
    assert kinds.slot_of(full, first) is None  # not yet 04:00
    assert kinds.slot_of(full, first.replace(hour=4)) == "screen_benefits_full@2025-07"
    assert kinds.slot_of(kinds.get("screen_benefits"), first.replace(hour=4)) == (
        "screen_benefits@2025-07-01")
    submitted = [j.kind for j in workers.submit_due(first.replace(hour=5))]
    assert "screen_benefits_full" in submitted and "screen_benefits" in submitted
    for later in (first.replace(day=2, hour=5), first.replace(day=31, hour=23)):
        assert "screen_benefits_full" not in [j.kind for j in workers.submit_due(later)]
    august = [j.kind for j in workers.submit_due(first.replace(month=8, day=3, hour=5))]
    assert "screen_benefits_full" in august
    assert Job.objects.filter(kind="screen_benefits_full").count() == 2
