"""Account services: users, roles, passwords, API tokens, one-time-code secrets."""

from __future__ import annotations

import datetime as dt

import pyotp
import pytest
from django.utils import timezone

from yangguang.accounts import selectors, services, totp
from yangguang.accounts.models import ApiToken, RoleAssignment, User
from yangguang.accounts.permissions import Capability
from yangguang.accounts.selectors import can
from yangguang.accounts.tests.conftest import PASSWORD
from yangguang.audit.models import AuditEvent
from yangguang.audit.services import Actor, verify_chain
from yangguang.core.errors import ValidationFailed

pytestmark = pytest.mark.django_db
ADMIN = Actor("cli:root")


def _codes(excinfo: pytest.ExceptionInfo[ValidationFailed]) -> list[str]:
    return [p.code for p in excinfo.value.problems]


# ---------------------------------------------------------------------------
# Users and roles


def test_create_user_with_roles_scopes_the_user_and_audits_each_grant():
    user = services.create_user("xining_clerk", PASSWORD,
                                [("registrar", "630102"), ("reviewer", "630103")], actor=ADMIN)

    assert user.check_password(PASSWORD) and user.is_active and not user.is_superuser
    assert can(user, Capability.EDIT_PERSON, "630102000000")
    assert not can(user, Capability.EDIT_PERSON, "630103000000")
    assert can(user, Capability.CHANGE_CERTIFICATE, "630103001000")
    events = list(AuditEvent.objects.filter(object_type="user", object_id=str(user.pk)))
    assert [(e.action, e.region_code) for e in events] == [
        ("create", "630100000000"),  # the home region: Xining, above both districts
        ("permission", "630102000000"),
        ("permission", "630103000000"),
    ]
    assert {e.actor_name for e in events} == {"cli:root"}
    assert events[1].data == {"username": "xining_clerk", "granted": "registrar",
                              "region": "630102000000"}
    assert all(PASSWORD not in e.data_text for e in events)
    assert verify_chain() is None


def test_scope_filter_is_a_code_prefix_of_the_persons_own_column(staff):
    """No join with the region table: the person indexes that start with the hukou
    region serve the scope (see ``Person.Meta.indexes``)."""
    from yangguang.registry.models import Person

    user = staff("two_counties", ("registrar", "140922"), ("registrar", "622900"),
                 ("analyst", "630000"))
    assert selectors.scope_prefixes(user, Capability.EDIT_PERSON) == ["140922", "6229"]
    sql = str(Person.objects.filter(selectors.scope_q(user, Capability.EDIT_PERSON)).query)
    assert "regions_region" not in sql and "JOIN" not in sql
    assert "140922%" in sql and "6229%" in sql and "63%" not in sql


def test_create_user_reports_every_problem_in_chinese(staff):
    staff("taken")
    with pytest.raises(ValidationFailed) as excinfo:
        services.create_user("taken", "123", [("boss", "630102"), ("registrar", "999999")],
                             actor=ADMIN)

    codes = _codes(excinfo)
    assert codes[:3] == ["username_taken", "role_unknown", "region_unknown"]
    assert codes[3:] and set(codes[3:]) == {"password_invalid"}
    messages = [p.message for p in excinfo.value.problems]
    assert messages[0] == "用户名“taken”已被使用"
    assert "registrar（录入员）" in messages[1]
    assert any("密码" in m and "太短" in m for m in messages[3:])  # Django's own Chinese message
    assert User.objects.filter(username="taken").count() == 1


@pytest.mark.parametrize("username", ["", "  ", "has space", "semi;colon"])
def test_create_user_refuses_bad_usernames(username):
    with pytest.raises(ValidationFailed) as excinfo:
        services.create_user(username, PASSWORD, actor=ADMIN)
    assert _codes(excinfo)[0] in {"username_required", "username_invalid"}


def test_grant_is_idempotent_and_revoke_is_audited(staff):
    user = staff("linxia_clerk", ("registrar", "622900"))
    before = AuditEvent.objects.count()

    services.grant_role(user, "registrar", "622900", actor=ADMIN)
    assert AuditEvent.objects.count() == before  # nothing changed, nothing recorded

    services.grant_role(user, "auditor", "622900000000", actor=ADMIN)
    assert can(user, Capability.VIEW_AUDIT)
    services.revoke_role(user, "registrar", "622900", actor=ADMIN)
    assert not can(user, Capability.VIEW_PERSON)  # the per-request scope cache was dropped
    assert list(RoleAssignment.objects.filter(user=user).values_list("role", flat=True)) == ["auditor"]
    last = list(AuditEvent.objects.order_by("-id")[:2])
    assert [(e.action, e.data.get("revoked"), e.data.get("granted")) for e in last] == [
        ("permission", "registrar", None), ("permission", None, "auditor")]

    with pytest.raises(ValidationFailed) as excinfo:
        services.revoke_role(user, "registrar", "622900", actor=ADMIN)
    assert _codes(excinfo) == ["role_not_held"]
    assert excinfo.value.problems[0].message == "该用户在临夏回族自治州没有录入员角色"


def test_set_password_validates_and_records_no_password(staff):
    user = staff("wutai_clerk", ("registrar", "140922"))
    with pytest.raises(ValidationFailed) as excinfo:
        services.set_password(user, "wutai_clerk1", actor=ADMIN)
    assert set(_codes(excinfo)) == {"password_invalid"}

    services.set_password(user, "Another-Long-Passphrase-9", actor=ADMIN)

    user.refresh_from_db()
    assert user.check_password("Another-Long-Passphrase-9")
    event = AuditEvent.objects.order_by("-id").first()
    assert (event.action, event.data["changed"]) == ("update", ["password"])
    assert "Another" not in event.data_text


def test_home_region_is_the_lowest_region_above_every_role(staff):
    assert selectors.home_region_code(staff("nobody")) == ""
    assert selectors.home_region_code(staff("one", ("analyst", "140922"))) == "140922000000"
    assert selectors.home_region_code(
        staff("two", ("analyst", "630102"), ("analyst", "632100"))) == "630000000000"
    assert selectors.home_region_code(
        staff("far", ("analyst", "630102"), ("analyst", "140922"))) == ""


# ---------------------------------------------------------------------------
# API tokens


def test_token_is_shown_once_stored_hashed_and_authenticates(staff):
    user = staff("api_user", ("registrar", "370781"))

    issued = services.create_token(user, "数据交换", actor=ADMIN)

    assert issued.key.startswith("yg_") and len(issued.key) > 40
    row = ApiToken.objects.get()
    assert row.prefix == issued.key[:8] and issued.key not in row.key_hash
    assert services.authenticate_token(issued.key) == user
    event = AuditEvent.objects.order_by("-id").first()
    assert (event.action, event.object_type, event.data["token"]) == ("permission", "api_token", "issued")
    assert issued.key not in event.data_text and issued.key[8:] not in event.data_text


@pytest.mark.parametrize("raw", ["", "yg_", "yg_nope", "Bearer x", "x" * 200])
def test_unknown_tokens_authenticate_nobody(staff, raw):
    services.create_token(staff("u", ("analyst", "610103")), actor=ADMIN)
    assert services.authenticate_token(raw) is None


def test_revoked_token_no_longer_works(staff):
    issued = services.create_token(staff("u", ("analyst", "610103")), actor=ADMIN)

    services.revoke_token(issued.token, actor=ADMIN)

    assert services.authenticate_token(issued.key) is None
    with pytest.raises(ValidationFailed):
        services.revoke_token(issued.token, actor=ADMIN)
    assert AuditEvent.objects.filter(object_type="api_token", data__token="revoked").count() == 1


def test_expired_token_and_inactive_user_are_refused(staff):
    user = staff("u", ("analyst", "610103"))
    past = services.create_token(user, expires_at=timezone.now() - dt.timedelta(seconds=1),
                                 actor=ADMIN)
    future = services.create_token(user, expires_at=timezone.now() + dt.timedelta(days=1),
                                   actor=ADMIN)
    assert services.authenticate_token(past.key) is None
    assert services.authenticate_token(future.key) == user

    User.objects.filter(pk=user.pk).update(is_active=False)
    assert services.authenticate_token(future.key) is None


def test_token_use_is_noted_at_most_once_a_minute(staff):
    issued = services.create_token(staff("u", ("analyst", "610103")), actor=ADMIN)

    services.authenticate_token(issued.key)
    first = ApiToken.objects.get().last_used_at
    services.authenticate_token(issued.key)
    assert ApiToken.objects.get().last_used_at == first

    earlier = first - dt.timedelta(minutes=2)
    ApiToken.objects.update(last_used_at=earlier)
    services.authenticate_token(issued.key)
    assert ApiToken.objects.get().last_used_at > first


# ---------------------------------------------------------------------------
# One-time codes


def test_totp_secret_is_sealed_at_rest_and_each_code_works_once(staff):
    user = staff("auditor_a", ("auditor", "630000"))
    enrolment = services.start_totp_enrolment(user)
    assert enrolment.secret not in enrolment.sealed
    assert enrolment.qr_svg.startswith("<svg") and "<script" not in enrolment.qr_svg
    assert "style=" not in enrolment.qr_svg  # the CSP forbids inline styles
    code = pyotp.TOTP(enrolment.secret).now()

    services.confirm_totp(user, enrolment.sealed, code, actor=user)

    user.refresh_from_db()
    assert user.totp_enabled
    assert enrolment.secret not in user.totp_secret
    assert totp.unseal(user.totp_secret) == enrolment.secret
    assert not services.check_totp_login(None, user, code)  # already used for enrolment
    following = pyotp.TOTP(enrolment.secret).at(timezone.now() + dt.timedelta(seconds=30))
    assert services.check_totp_login(None, user, following)
    assert not services.check_totp_login(None, user, following)


def test_wrong_code_does_not_turn_totp_on(staff):
    user = staff("auditor_b", ("auditor", "630000"))
    enrolment = services.start_totp_enrolment(user)
    with pytest.raises(ValidationFailed) as excinfo:
        services.confirm_totp(user, enrolment.sealed, "000000", actor=user)
    assert _codes(excinfo) == ["totp_code"]
    user.refresh_from_db()
    assert not user.totp_enabled and user.totp_secret == ""


def test_codes_forgive_full_width_digits_and_spaces():
    secret = totp.new_secret()
    now = 1_700_000_000
    code = pyotp.TOTP(secret).at(now)
    wide = " ".join(chr(0xFF10 + int(d)) for d in code)
    assert totp.matching_step(secret, wide, now=now) == now // 30
    assert totp.matching_step(secret, code, now=now + 30) == now // 30  # a slow clock
    assert totp.matching_step(secret, code, now=now + 90) is None
    assert totp.matching_step(secret, "12345", now=now) is None


def test_reset_totp_turns_codes_off(staff):
    user = staff("auditor_c", ("auditor", "630000"))
    enrolment = services.start_totp_enrolment(user)
    services.confirm_totp(user, enrolment.sealed, pyotp.TOTP(enrolment.secret).now(), actor=user)

    services.reset_totp(user, actor=ADMIN)

    user.refresh_from_db()
    assert not user.totp_enabled and user.totp_secret == ""
    assert AuditEvent.objects.order_by("-id").first().data["totp_enabled"] is False
