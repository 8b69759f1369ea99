"""The same facts give the same record whichever path brings them.

Generated persons (the demo generator's rows, with issue dates on both sides of the
ten-year validity) are registered, then changed (renewed, reissued, reassessed or
given other details), once through the path of the web form and the API
(``rules.parse_row`` → ``services.register_person`` / ``update_person``) and once
through the import (``importing.import_rows``: the columnar first load, then the row
comparison); the stored persons, certificates, status histories and audit events must
be equal, but for ids, timestamps and the import's batch fields.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from yangguang.audit.models import AuditEvent
from yangguang.core.crypto import hash_id
from yangguang.core.errors import ValidationFailed
from yangguang.demo.generator import person_row
from yangguang.registry import importing, rules, services, vocabulary
from yangguang.registry.models import Certificate, CertificateStatusChange, Person

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()
BATCH_FIELDS = ("import", "row")


class _Undo(Exception):
    """Raised to roll a path's writes back once they are read."""


def _keyed(row: dict[str, Any]) -> dict[str, Any]:
    return {vocabulary.HEADER_TO_KEY.get(h, h): v for h, v in row.items()}


def _stored() -> dict[str, Any]:
    """Everything the registry holds about its persons, without ids and timestamps."""
    persons = list(Person.objects.order_by("id_number_hash").values(
        "id_number_hash", "id_number_masked", "name", "sex", "birth_date", "ethnicity",
        "hukou_region_id", "residence_region_id", "phone", "household__number",
        "relation_to_head", "guardian_name", "guardian_phone", "guardian_relation",
        "deceased_date"))
    certificates = list(Certificate.objects.order_by("person__id_number_hash", "issue_date",
                                                     "reissue_count").values(
        "person__id_number_hash", "category", "level", "reissue_count", "components",
        "issue_date", "valid_until", "status"))
    history = list(CertificateStatusChange.objects.order_by(
        "certificate__person__id_number_hash", "certificate__issue_date", "id").values(
        "certificate__category", "certificate__level", "certificate__reissue_count", "status",
        "reason", "effective_date", "note"))
    events = []
    for event in AuditEvent.objects.filter(person_id__isnull=False).order_by("id"):
        data = {k: v for k, v in (event.data or {}).items() if k not in BATCH_FIELDS}
        certificate = data.get("certificate")
        if certificate and "cancelled" in certificate:  # an id, of the path's own rows
            data["certificate"] = {k: v for k, v in certificate.items() if k != "cancelled"}
        events.append((event.action, event.object_type, event.region_code, data))
    return {"persons": persons, "certificates": certificates, "history": history,
            "events": events}


def _through_services(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The form's and the API's path: each row checked by parse_row, then the services."""
    try:
        with transaction.atomic():
            for row in rows:
                data = rules.parse_row(_keyed(row))
                stored = Person.objects.filter(
                    id_number_hash=hash_id(data.id_number.normalized)).first()
                if stored is None:
                    services.register_person(data, actor="agree", scope=None)
                else:
                    data.provided = None
                    services.update_person(stored, data, actor="agree", scope=None)
            found = _stored()
            raise _Undo
    except _Undo:
        return found


def _through_import(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The import's path: the first row into the empty registry, the next as a second
    file (compared with what is stored)."""
    try:
        with transaction.atomic():
            for row in rows:
                result = importing.import_rows([row], actor="agree")
                assert not result.errors, result.errors
            found = _stored()
            raise _Undo
    except _Undo:
        return found


def _certificate_of(row: dict[str, Any]) -> dict[str, Any]:
    """The certificate's cells of a row (the same facts about the person otherwise: a
    form gives every field, an import row's blank cells leave stored values)."""
    return {h: row[h] for h in ("残疾人证号", "残疾类别", "残疾等级", "发证日期", "多重残疾明细")}


CHANGES = st.sampled_from(["same", "renewed", "reissued", "reassessed", "details"])


@settings(max_examples=25, deadline=None, derandomize=True,
          phases=[Phase.explicit, Phase.reuse, Phase.generate],  # (each example ~1 s)
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), age=st.integers(0, 7000), change=CHANGES,
       later=st.integers(1, 4000))
def test_the_form_and_api_path_and_the_import_store_the_same(seed, age, change, later):
    issued = TODAY - dt.timedelta(days=age)
    rng = random.Random(seed)
    first = person_row(rng, 发证日期=issued, reissue_count=0)
    try:
        data = rules.parse_row(_keyed(first))
    except ValidationFailed:
        assume(False)  # an issue date before the generated birth date
    cert = data.certificate
    second_issue = min(issued + dt.timedelta(days=later), TODAY)
    keep = {"公民身份号码": first["公民身份号码"], "姓名": first["姓名"],
            "户籍地区划代码": first["户籍地区划代码"]}
    if change == "same":
        second = dict(first)
    elif change == "renewed":
        second = first | {"发证日期": second_issue}
    elif change == "reissued":
        second = first | _certificate_of(person_row(
            rng, **keep, 残疾类别=cert.category, 残疾等级=cert.level,
            多重残疾明细=first["多重残疾明细"], 发证日期=second_issue, reissue_count=1))
    elif change == "reassessed":
        second = first | _certificate_of(person_row(
            rng, **keep, 残疾类别=4 if cert.category != 4 else 5, 残疾等级=cert.level % 4 + 1,
            发证日期=second_issue, reissue_count=0))
    else:
        second = first | {"联系电话": "13912345678", "家庭编号": first["户籍地区划代码"] + "77",
                          "与户主关系": "户主"}
    rows = [first, second]

    assert _through_services(rows) == _through_import(rows)
