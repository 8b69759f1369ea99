"""The audit log reads as Chinese: names, labels, what changed (numbers masked); it is
filtered by a person's name or ID number without the number reaching any URL."""

from __future__ import annotations

import io
import re

import pytest
from django.test import Client
from openpyxl import load_workbook

from yangguang.accounts.tests.conftest import sign_in
from yangguang.audit.describe import describe, mask_phone
from yangguang.audit.models import AuditEvent
from yangguang.audit.services import Actor, record
from yangguang.core.crypto import decrypt_id
from yangguang.demo.generator import create_person
from yangguang.registry import services

pytestmark = pytest.mark.django_db
TOWNSHIP = "140922100000"  # 台城镇, 五台县


@pytest.fixture
def world(staff):
    staff("wt_auditor", ("auditor", "140922"))
    clerk = staff("wt_clerk", ("registrar", "140922"))
    actor = Actor.of(clerk)
    zhao = create_person(actor=actor, 姓名="赵晓岚", 户籍地区划代码=TOWNSHIP, 联系电话="13812345678")
    qian = create_person(actor=actor, 姓名="钱文博", 户籍地区划代码=TOWNSHIP)
    return {"zhao": zhao, "qian": qian, "clerk": clerk}


def _signed_in(username: str) -> Client:
    client = Client()
    assert sign_in(client, username).status_code == 302
    return client


def test_a_phone_change_reads_as_a_masked_change_with_the_persons_name(world):
    zhao = world["zhao"]
    services.record_view(zhao, actor=Actor.of(world["clerk"]))
    record(Actor.of(world["clerk"]), "update", "person", zhao.pk, person_id=zhao.pk,
           region_code=TOWNSHIP, data={"changes": {"phone": ["13812345678", "13987654321"],
                                                   "sex": [1, 2]}})

    views = {v.event.id: v for v in describe(AuditEvent.objects.filter(person_id=zhao.pk))}
    update = next(v for v in views.values() if v.event.data.get("changes"))
    assert update.summary == "联系电话：138****5678→139****4321；性别：男→女"
    assert update.object == "残疾人 赵晓岚" and update.person == "赵晓岚"
    assert update.action == "修改"
    assert update.region == "台城镇（140922100000）"
    view = next(v for v in views.values() if v.event.action == "view")
    assert view.action == "查看" and view.summary == ""
    assert "13812345678" not in " ".join(v.summary for v in views.values())


def test_a_data_key_named_like_a_reverse_relation_reads_plainly(world):
    # Person has reverse relations from other apps (certificates, assessments, …);
    # an event's data key of the same name is described as a plain value, and the
    # audit list and export still answer.
    zhao = world["zhao"]
    reverse = [f.name for f in zhao._meta.get_fields() if f.auto_created and not f.concrete]
    assert "certificates" in reverse
    record(Actor.of(world["clerk"]), "update", "person", zhao.pk, person_id=zhao.pk,
           region_code=TOWNSHIP, data={name: 2 for name in reverse})

    [view] = describe(AuditEvent.objects.filter(person_id=zhao.pk, action="update"))
    assert "certificates：2" in view.summary
    auditor = _signed_in("wt_auditor")
    assert auditor.get("/audit/").status_code == 200
    assert auditor.post("/audit/export/").status_code == 200


def test_account_events_name_users_and_roles_in_chinese(world, staff):
    from yangguang.accounts import services as accounts

    admin = staff("wt_admin", ("administrator", "140922"))
    accounts.grant_role(world["clerk"], "reviewer", "140922", actor=admin)
    accounts.lock_user(world["clerk"], actor=admin)

    views = describe(AuditEvent.objects.filter(actor_name="wt_admin").order_by("id"))
    assert [v.summary for v in views] == ["授予角色：审核员；地区：140922000000；用户名：wt_clerk",
                                          "修改项：账号可用；账号可用：否；用户名：wt_clerk"]
    assert views[0].object == "用户 wt_clerk"
    assert views[0].action == "权限变更"


def test_mask_phone_keeps_the_ends_only():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("1234") == "****"


def test_filtering_by_name_or_id_number_keeps_the_number_out_of_urls(world):
    zhao = world["zhao"]
    number = decrypt_id(zhao.id_number_encrypted)
    client = _signed_in("wt_auditor")

    posted = client.post("/audit/", {"person": number})
    assert posted.status_code == 302
    assert number not in posted["Location"] and "f=" in posted["Location"]
    page = client.get(posted["Location"])
    html = page.content.decode()
    assert number not in html
    assert zhao.id_number_masked in html  # the filter shows the masked number
    ids = {int(i) for i in re.findall(r'<tr id="event-(\d+)">', html)}
    assert ids and ids == set(AuditEvent.objects.filter(person_id=zhao.pk).values_list("id", flat=True))

    by_name = client.get(client.post("/audit/", {"person": "钱文博"})["Location"]).content.decode()
    rows = by_name.split("<tbody>")[1]
    assert "钱文博" in rows and "赵晓岚" not in rows

    # Exporting what the page shows: the same filter, through the token.
    token = posted["Location"].split("f=")[1]
    export = client.post("/audit/export/", {"f": token, "person": zhao.id_number_masked})
    rows = list(load_workbook(io.BytesIO(b"".join(export.streaming_content))).active
                .iter_rows(values_only=True))
    assert rows[0] == ("编号", "时间", "操作人", "操作", "对象", "人员", "地区", "内容")
    assert {r[5] for r in rows[1:]} == {"赵晓岚"}
    recorded = AuditEvent.objects.filter(object_type="audit_event").get()
    assert recorded.data["filters"] == {"person_masked": zhao.id_number_masked}
    assert number not in recorded.data_text


def test_a_malformed_number_is_explained_without_being_echoed(world):
    client = _signed_in("wt_auditor")

    response = client.post("/audit/", {"person": "14092219800101123"})

    assert response.status_code == 400
    html = response.content.decode()
    assert "不是有效的公民身份号码" in html and "14092219800101123" not in html.split("error-summary")[1][:400]


def test_an_expired_or_foreign_token_says_so(world):
    client = _signed_in("wt_auditor")

    html = client.get("/audit/", {"f": "not-a-token"}).content.decode()

    assert "筛选条件已过期" in html and "<tbody>" not in html
