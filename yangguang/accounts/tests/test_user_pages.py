"""User management pages (administrators, within their regions) and the own-password page."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from yangguang.accounts import services
from yangguang.accounts.models import ApiToken, RoleAssignment, User
from yangguang.accounts.selectors import managed_users
from yangguang.accounts.tests.conftest import PASSWORD, sign_in
from yangguang.audit.models import AuditAction, AuditEvent
from yangguang.core.errors import ValidationFailed

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "Another-Sunny-Passphrase-2026"


@pytest.fixture
def admin(staff) -> User:
    return staff("admin_wutai", ("administrator", "140922"))


@pytest.fixture
def client_of(admin):
    def make(user: User) -> Client:
        client = Client()
        client.force_login(user, backend="yangguang.accounts.backends.StaffBackend")
        return client
    return make


@pytest.fixture
def admin_client(client_of, admin) -> Client:
    return client_of(admin)


def _summary(response) -> list[str]:
    """The error summary's messages with the ids of the fields they link to."""
    summary = response.content.decode().split('class="error-summary"', 1)[-1].split("</ul>", 1)[0]
    return re.findall(r'<li><a href="#([^"]+)">([^<]+)</a></li>', summary)


def test_an_administrator_manages_the_users_of_their_regions_only(staff, admin, admin_client):
    clerk = staff("clerk_wutai", ("registrar", "140922100000"))
    both = staff("clerk_both", ("registrar", "140922"), ("reviewer", "370781"))
    other = staff("clerk_qingzhou", ("registrar", "370781"))
    bare = User.objects.create(username="no_roles")

    assert set(managed_users(admin)) == {clerk}  # not themselves, not a user reaching beyond
    page = admin_client.get("/accounts/users/").content.decode()
    assert "clerk_wutai" in page and "registrar" not in page  # labels, not codes
    assert "录入员 · 台城镇（140922100000）" in page
    for outside in (both, other, bare):
        assert admin_client.get(f"/accounts/users/{outside.pk}/").status_code == 404
        assert admin_client.post(f"/accounts/users/{outside.pk}/lock/").status_code == 404
    # A province's administrator also manages the users that have no role left.
    province = staff("admin_shanxi", ("administrator", "140000"))
    assert bare in set(managed_users(province)) and other not in set(managed_users(province))


def test_pages_of_user_management_do_not_exist_for_other_roles(staff, client_of):
    registrar = staff("clerk", ("registrar", "140922"))
    client = client_of(registrar)

    assert client.get("/accounts/users/").status_code == 404
    assert client.get("/accounts/users/new/").status_code == 404
    assert client.post(f"/accounts/users/{registrar.pk}/password/", {}).status_code == 404


def test_creating_a_user_with_mistakes_shows_each_on_its_field_then_creates(staff, admin_client):
    staff("taken", ("registrar", "140922"))
    response = admin_client.post("/accounts/users/new/", {
        "username": "taken", "role": "registrar", "region": "370781",
        "password": "short", "password2": "short"})

    assert response.status_code == 400
    summary = dict(_summary(response))
    assert summary["id_username"] == "用户名“taken”已被使用"
    assert summary["id_region"].startswith("您不能在青州市授予或收回角色")
    assert summary["id_password"].startswith("密码不符合要求：密码太短")
    assert "<title>错误：" in response.content.decode()
    assert 'value="taken"' in response.content.decode()  # what was typed stays
    assert not User.objects.filter(roles__region_id="370781000000").exists()

    response = admin_client.post("/accounts/users/new/", {
        "username": "new_clerk", "role": "reviewer", "region": "140922100000",
        "password": PASSWORD, "password2": PASSWORD})
    user = User.objects.get(username="new_clerk")
    assert response.status_code == 302 and response["Location"] == f"/accounts/users/{user.pk}/"
    assert list(user.roles.values_list("role", "region_id")) == [("reviewer", "140922100000")]
    events = AuditEvent.objects.filter(object_type="user", object_id=str(user.pk))
    assert {(e.action, e.actor_name) for e in events} == {
        (AuditAction.CREATE, "admin_wutai"), (AuditAction.PERMISSION, "admin_wutai")}


def test_roles_are_granted_and_revoked_within_the_administrators_regions(staff, admin_client):
    clerk = staff("clerk", ("registrar", "140922"))
    url = f"/accounts/users/{clerk.pk}/"

    refused = admin_client.post(url + "roles/grant/", {"role": "auditor", "region": "370781"})
    assert refused.status_code == 400
    assert _summary(refused)[0][0] == "grant-region"
    assert admin_client.post(url + "roles/grant/", {"role": "auditor", "region": "140922100"}
                             ).status_code == 400  # neither 6 nor 12 digits
    admin_client.post(url + "roles/grant/", {"role": "auditor", "region": "140922100000"})
    assert clerk.roles.filter(role="auditor", region_id="140922100000").exists()

    admin_client.post(url + "roles/revoke/", {"role": "registrar", "region": "140922000000"})
    assert list(clerk.roles.values_list("role", flat=True)) == ["auditor"]
    # The last role stays: without it the account would belong to no region.
    page = admin_client.post(url + "roles/revoke/", {"role": "auditor", "region": "140922100000"},
                             follow=True).content.decode()
    assert "这是该用户唯一的角色" in page
    assert clerk.roles.count() == 1
    changes = [e.data for e in AuditEvent.objects.filter(action=AuditAction.PERMISSION,
                                                         actor_name="admin_wutai")]
    assert changes == [{"username": "clerk", "granted": "auditor", "region": "140922100000"},
                       {"username": "clerk", "revoked": "registrar", "region": "140922000000"}]


def test_a_locked_user_cannot_sign_in_until_unlocked(staff, admin_client):
    clerk = staff("clerk", ("registrar", "140922"))
    clerk_session = Client()
    assert sign_in(clerk_session, "clerk").status_code == 302

    admin_client.post(f"/accounts/users/{clerk.pk}/lock/")
    clerk.refresh_from_db()
    assert not clerk.is_active
    assert "已锁定" in admin_client.get("/accounts/users/").content.decode()
    assert clerk_session.get("/accounts/").status_code == 302  # the open session ended
    assert sign_in(Client(), "clerk").status_code == 200  # refused

    admin_client.post(f"/accounts/users/{clerk.pk}/unlock/")
    assert sign_in(Client(), "clerk").status_code == 302
    changed = [e.data["changed"] for e in AuditEvent.objects.filter(
        action=AuditAction.UPDATE, actor_name="admin_wutai")]
    assert changed == [["is_active"], ["locked_until", "is_active"]]


def test_an_administrator_resets_a_password(staff, admin_client):
    clerk = staff("clerk", ("registrar", "140922"))
    url = f"/accounts/users/{clerk.pk}/password/"

    mismatch = admin_client.post(url, {"password": NEW_PASSWORD, "password2": "x"})
    assert mismatch.status_code == 400 and _summary(mismatch) == [("id_password2", "两次输入的密码不一致")]
    admin_client.post(url, {"password": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert sign_in(Client(), "clerk", NEW_PASSWORD).status_code == 302
    event = AuditEvent.objects.filter(action=AuditAction.UPDATE, actor_name="admin_wutai").get()
    assert event.data == {"username": "clerk", "changed": ["password"]}
    assert NEW_PASSWORD not in event.data_text


def test_a_token_is_shown_once_works_and_can_be_revoked(staff, admin_client):
    clerk = staff("clerk", ("registrar", "140922"))
    response = admin_client.post(f"/accounts/users/{clerk.pk}/tokens/", {"name": "市级交换", "days": "30"})

    key = re.search(r'id="new-token">([^<]+)<', response.content.decode()).group(1)
    assert "no-store" in response["Cache-Control"]
    assert services.authenticate_token(key) == clerk
    token = ApiToken.objects.get(user=clerk)
    assert key not in admin_client.get(f"/accounts/users/{clerk.pk}/").content.decode()
    bad = admin_client.post(f"/accounts/users/{clerk.pk}/tokens/", {"name": "", "days": "-1"})
    assert bad.status_code == 400 and _summary(bad)[0][0] == "token-days"

    admin_client.post(f"/accounts/users/{clerk.pk}/tokens/revoke/", {"token": token.pk})
    assert services.authenticate_token(key) is None
    assert [e.data["token"] for e in AuditEvent.objects.filter(object_type="api_token")] == [
        "issued", "revoked"]


def test_a_token_of_another_user_is_not_found_through_this_one(staff, admin_client):
    clerk, other = staff("clerk", ("registrar", "140922")), staff("other", ("registrar", "370781"))
    token = services.create_token(other, actor=services.Actor("test")).token

    assert admin_client.post(f"/accounts/users/{clerk.pk}/tokens/revoke/",
                             {"token": token.pk}).status_code == 404
    assert not ApiToken.objects.get(pk=token.pk).revoked


def test_every_user_changes_their_own_password(staff, client_of):
    clerk = staff("clerk", ("analyst", "140922"))
    client = client_of(clerk)

    wrong = client.post("/accounts/password/", {"current_password": "nope",
                                               "password": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert wrong.status_code == 400
    assert _summary(wrong) == [("id_current_password", "当前密码不正确")]
    done = client.post("/accounts/password/", {"current_password": PASSWORD,
                                              "password": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert done.status_code == 302
    assert client.get("/accounts/").status_code == 200  # still signed in here
    clerk.refresh_from_db()
    assert clerk.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(action=AuditAction.UPDATE, actor_name="clerk",
                                     data__changed=["password"]).count() == 1


def test_services_hold_an_administrator_to_their_regions(staff, admin):
    other = staff("other", ("registrar", "370781"))

    with pytest.raises(ValidationFailed) as refused:
        services.grant_role(other, "auditor", "140922", actor=admin)
    assert [p.code for p in refused.value.problems] == ["user_out_of_scope"]
    with pytest.raises(ValidationFailed) as refused:
        services.create_user("nobody", PASSWORD, [], actor=admin)
    assert [p.code for p in refused.value.problems] == ["role_required"]
    with pytest.raises(ValidationFailed):
        services.lock_user(admin, actor=admin)  # not one's own account either
    assert RoleAssignment.objects.filter(user=other).count() == 1
