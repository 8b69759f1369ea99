"""跨省通办: a case lodged at the county of usual residence with the residence permit
number, forwarded to and decided by the hukou county; both see it within their own
scope with who holds it now, a third county does not; the hukou county's issue date
starts the new validity."""

from __future__ import annotations

import datetime as dt

import pytest
from django.http import Http404

from yangguang.accounts import services as accounts
from yangguang.audit.models import AuditEvent
from yangguang.certificates import selectors, services
from yangguang.certificates.models import CaseStep
from yangguang.certificates.tests.cases_fixtures import certified
from yangguang.certificates.workflow import Action
from yangguang.core.errors import ValidationFailed
from yangguang.registry import services as registry
from yangguang.registry.tests.conftest import COUNTY_A, COUNTY_B, VILLAGE_A, VILLAGE_B

pytestmark = pytest.mark.django_db
D = dt.date
COUNTY_C = "370781"  # 青州市, Shandong: neither the hukou nor the residence
A = Action
COUNTY_A12, COUNTY_B12 = COUNTY_A + "000000", COUNTY_B + "000000"


@pytest.fixture
def users(actor):
    def make(name, role, region):
        return accounts.create_user(name, "Yg-cases-Tests-2025!", [(role, region)], actor=actor)

    return {"a": make("wutai_registrar", "registrar", COUNTY_A),
            "a_reviewer": make("wutai_reviewer", "reviewer", COUNTY_A),
            "b": make("beilin_registrar", "registrar", COUNTY_B),
            "c": make("qingzhou_registrar", "registrar", COUNTY_C)}


def renewal_at_residence(actor, users, **values):
    person = certified(actor, VILLAGE_A, 姓名="赵常住", 发证日期=D(2016, 3, 1))
    values = {"kind": "renewal", "applied_on": "2025-09-01", "residence_region": VILLAGE_B,
              "residence_permit": "610103202400123"} | values
    return person, services.open_case(person, values, user=users["b"], today=D(2025, 9, 1))


def actions(user, case):
    return {t.action for t in selectors.actions_for(user, selectors.get_case_for(user, case.pk))}


def test_a_renewal_lodged_at_the_residence_county_is_decided_by_the_hukou_county(actor, users):
    person, case = renewal_at_residence(actor, users)
    assert (case.hukou_region_id, case.residence_region_id, case.holder_region_id) == \
        (VILLAGE_A, VILLAGE_B, COUNTY_B12)

    # Both counties see it, each within its own scope; a third county does not.
    for who in ("a", "b"):
        assert selectors.get_case_for(users[who], case.pk).holder_region_id == COUNTY_B12
        assert case.pk in {c.pk for c in selectors.search_cases(users[who])}
    with pytest.raises(Http404):
        selectors.get_case_for(users["c"], case.pk)
    assert not selectors.search_cases(users["c"]).exists()

    # The residence county holds it: it forwards it (or refuses it); the hukou county
    # waits.
    assert actions(users["b"], case) == {A.FORWARD, A.REJECT}
    assert actions(users["a"], case) == set()
    with pytest.raises(ValidationFailed) as refused:
        services.perform(case, A.ACCEPT, {"day": "2025-09-02"}, user=users["a"],
                         today=D(2025, 9, 2))
    assert [p.code for p in refused.value.problems] == ["case_at_residence"]

    case = services.perform(case, A.FORWARD, {"day": "2025-09-02", "note": "材料齐全"},
                            user=users["b"], today=D(2025, 9, 2))
    assert (case.state, case.holder_region_id) == ("applied", COUNTY_A12)
    assert actions(users["b"], case) == set()
    assert actions(users["a"], case) == {A.ACCEPT, A.REJECT}
    with pytest.raises(ValidationFailed) as refused:
        services.perform(case, A.FORWARD, {"day": "2025-09-03"}, user=users["a"],
                         today=D(2025, 9, 3))
    assert [p.code for p in refused.value.problems] == ["case_not_at_residence"]

    case = services.perform(case, A.ACCEPT, {"day": "2025-09-03"}, user=users["a"],
                            today=D(2025, 9, 3))
    case = services.perform(case, A.ISSUE, {"day": "2025-09-10"}, user=users["a_reviewer"],
                            today=D(2025, 9, 10))
    renewed = registry.current_certificate(person)
    # The hukou county's issue date starts the new validity, not the application's.
    assert (renewed.issue_date, renewed.valid_until) == (D(2025, 9, 10), D(2035, 9, 10))

    steps = list(CaseStep.objects.filter(case=case).order_by("id")
                 .values_list("action", "region_id", "user__username"))
    assert steps == [("apply", COUNTY_B12, "beilin_registrar"),
                     ("forward", COUNTY_B12, "beilin_registrar"),
                     ("accept", COUNTY_A12, "wutai_registrar"),
                     ("issue", COUNTY_A12, "wutai_reviewer")]
    forwarded = AuditEvent.objects.filter(object_type="certificate_case",
                                          data__action="forward").get()
    assert forwarded.data["holder_region"] == COUNTY_A12
    # Closed, it is still seen by both and by nobody else.
    assert selectors.get_case_for(users["b"], case.pk).state == "issued"
    with pytest.raises(Http404):
        selectors.get_case_for(users["c"], case.pk)


def test_the_residence_county_may_refuse_at_intake(actor, users):
    _person, case = renewal_at_residence(actor, users)
    case = services.perform(case, A.REJECT, {"day": "2025-09-02", "reason": "居住证已过期"},
                            user=users["b"], today=D(2025, 9, 2))
    assert case.state == "rejected" and case.rejection_reason == "居住证已过期"


def test_lodging_at_the_residence_needs_the_permit_and_a_residence_in_scope(actor, users):
    person = certified(actor, VILLAGE_A, 发证日期=D(2016, 3, 1))

    def refused(user, **values):
        values = {"kind": "renewal", "applied_on": "2025-09-01"} | values
        with pytest.raises(ValidationFailed) as raised:
            services.open_case(person, values, user=user, today=D(2025, 9, 1))
        return {(p.code, p.field) for p in raised.value.problems}

    assert refused(users["b"], residence_region=VILLAGE_B) == {
        ("permit_required", "residence_permit")}
    assert refused(users["b"]) == {("case_out_of_scope", "kind")}
    # A residence outside the user's own scope: not theirs to take in.
    assert refused(users["c"], residence_region=VILLAGE_B, residence_permit="1") == {
        ("case_out_of_scope", "kind")}
    assert not person.certificate_cases.exists()
    # The hukou county records a residence without lodging the case elsewhere.
    case = services.open_case(person, {"kind": "renewal", "applied_on": "2025-09-01",
                                       "residence_region": VILLAGE_B},
                              user=users["a"], today=D(2025, 9, 1))
    assert case.holder_region_id == COUNTY_A12


def test_the_residence_county_finds_the_applicant_by_number_and_name_only(actor, users):
    person = certified(actor, VILLAGE_A, 姓名="钱双核", 发证日期=D(2016, 3, 1))
    id_number = person.certificates.get().number()[:18]
    values = {"kind": "renewal", "applied_on": "2025-09-01", "residence_region": VILLAGE_B,
              "residence_permit": "610103202400124"}
    for number, name in ((id_number, "钱双"), ("110101199003070000", "钱双核"), ("x", "钱双核")):
        with pytest.raises(ValidationFailed) as raised:
            services.open_case_for_applicant(number, name, values, user=users["b"],
                                             today=D(2025, 9, 1))
        assert [p.code for p in raised.value.problems] == ["applicant_not_found"]
    case = services.open_case_for_applicant(id_number, " 钱双核 ", values, user=users["b"],
                                            today=D(2025, 9, 1))
    assert (case.person_id, case.holder_region_id) == (person.pk, COUNTY_B12)


def test_the_pages_take_it_in_at_the_residence_and_forward_it(actor, users):
    from django.test import Client

    person = certified(actor, VILLAGE_A, 姓名="孙跨省", 发证日期=D(2016, 3, 1))
    id_number = person.certificates.get().number()[:18]
    beilin, wutai = Client(), Client()
    beilin.force_login(users["b"])
    wutai.force_login(users["a"])
    assert "受理跨省通办申请" in beilin.get("/certificates/cases/").content.decode()
    url = "/certificates/cases/new-at-residence/"
    form = beilin.get(url).content.decode()
    assert '<label for="id_id_number">公民身份号码' in form

    wrong = beilin.post(url, {"id_number": id_number, "name": "孙跨", "kind": "renewal",
                              "applicant": "person", "applied_on": dt.date.today().isoformat(),
                              "residence_region": VILLAGE_B}).content.decode()
    assert "error-summary" in wrong and "没有与该公民身份号码和姓名相符的登记人员" in wrong
    assert not person.certificate_cases.exists()

    done = beilin.post(url, {"id_number": id_number, "name": "孙跨省", "kind": "reissue",
                             "applicant": "person", "applied_on": dt.date.today().isoformat(),
                             "residence_region": VILLAGE_B, "residence_permit": "610103-7"})
    assert done.status_code == 302
    case = person.certificate_cases.get()
    page = beilin.get(done["Location"]).content.decode()
    assert "碑林区" in page and "转户籍地残联办理" in page
    assert "转户籍地残联办理" not in wutai.get(done["Location"]).content.decode()
    forwarded = beilin.post(f"/certificates/cases/{case.pk}/forward/",
                            {"day": dt.date.today().isoformat()})
    assert forwarded.status_code == 302
    case.refresh_from_db()
    assert case.holder_region_id == COUNTY_A12
    assert "五台县" in wutai.get(done["Location"]).content.decode()
    assert "/accept/" in wutai.get(done["Location"]).content.decode()
