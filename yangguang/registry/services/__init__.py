"""Every write to the registry: validate, save, audit.

Views, the API, the CLI, imports and the demo generator call these functions and
nothing else to change registry data, so the invariants and the audit trail cannot
be skipped. Bulk imports are written by ``services.imports.BulkImport`` (files are
read and checked by ``importing.py``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yangguang.audit.models import AuditAction
from yangguang.audit.services import Actor, Event, record, record_many
from yangguang.core.crypto import decrypt_id, encrypt_id, hash_id, mask_id
from yangguang.core.errors import Problem, ValidationFailed
from yangguang.registry.models import (
    Assessment,
    Certificate,
    CertificateStatus,
    CertificateStatusChange,
    Household,
    HouseholdStatus,
    Person,
    StatusReason,
)
from yangguang.registry.validation import (
    IdNumber,
    add_years,
    fail,
    parse_components,
    problem,
    split_certificate_number,
)

CERTIFICATE_VALIDITY_YEARS = 10

#: Messages of the problems found only against the database.
DB_MESSAGES = {
    "id_exists": _("该公民身份号码已登记"),
    "person_deceased": _("该人员已于{value}登记死亡，不能再修改证件信息"),
    "cert_stale": _("库中已有发证日期更晚（{value}）的残疾人证，本行数据较旧"),
    "cert_cancelled": _("该残疾人证号已注销，不能再次登记"),
    "status_transition": _("残疾人证当前状态为{value}，不能{action}"),
    "person_out_of_scope": _("该公民身份号码已由您负责地区以外的残联登记，请联系其户籍地残联办理"),
}


def db_problem(code: str, field: str, **params: Any) -> Problem:
    return Problem(code=code, field=field, template=DB_MESSAGES[code], params=params)


@dataclass
class CertificateData:
    category: int
    level: int
    issue_date: dt.date
    reissue_count: int = 0
    components: list[dict[str, int]] = field(default_factory=list)

    @property
    def valid_until(self) -> dt.date:
        return add_years(self.issue_date, CERTIFICATE_VALIDITY_YEARS)


    def suffix(self) -> str:
        return f"{self.category}{self.level}" + (f"B{self.reissue_count}" if self.reissue_count else "")


@dataclass
class PersonData:
    """A checked person record, as every input path produces it."""

    id_number: IdNumber
    name: str
    sex: int
    birth_date: dt.date
    hukou_region: str
    ethnicity: str = ""
    residence_region: str | None = None
    phone: str = ""
    household_number: str = ""
    relation_to_head: str = ""
    guardian_name: str = ""
    guardian_phone: str = ""
    guardian_relation: str = ""
    certificate: CertificateData | None = None
    # The optional fields this record gives a value for; None: all of them (a form).
    # An import row's blank or missing cells leave stored values as they are.
    provided: frozenset[str] | None = None

    # Fields compared to decide whether a stored person changed.
    COMPARED = ("name", "ethnicity", "hukou_region_id", "residence_region_id", "phone",
                "relation_to_head", "guardian_name", "guardian_phone", "guardian_relation")

    def gives(self, name: str) -> bool:
        """Whether this record sets ``name`` (a ``person_values`` key or ``household_number``)."""
        return self.provided is None or name in self.provided

    def person_values(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "ethnicity": self.ethnicity,
            "hukou_region_id": self.hukou_region,
            "residence_region_id": self.residence_region,
            "phone": self.phone,
            "relation_to_head": self.relation_to_head,
            "guardian_name": self.guardian_name,
            "guardian_phone": self.guardian_phone,
            "guardian_relation": self.guardian_relation,
        }


def _region_of(person: Person) -> str:
    return person.hukou_region_id


def _ensure_household(number: str, region_code: str) -> Household:
    household, _created = Household.objects.get_or_create(
        number=number, defaults={"region_id": region_code},
    )
    return household


@transaction.atomic
def register_person(data: PersonData, *, actor: Actor | Any) -> Person:
    """Register a new person (and their certificate, if given)."""
    id_hash = hash_id(data.id_number.normalized)
    if Person.objects.filter(id_number_hash=id_hash).exists():
        raise ValidationFailed([db_problem("id_exists", "id_number")])
    household = (_ensure_household(data.household_number, data.hukou_region)
                 if data.household_number else None)
    person = Person(
        id_number_encrypted=encrypt_id(data.id_number.normalized),
        id_number_hash=id_hash,
        id_number_masked=mask_id(data.id_number.normalized),
        sex=data.sex,
        birth_date=data.birth_date,
        household=household,
        **data.person_values(),
    )
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError:
        # Another request registered the same ID between our check and the insert.
        raise ValidationFailed([db_problem("id_exists", "id_number")]) from None
    record(actor, AuditAction.CREATE, "person", person.pk, person_id=person.pk,
           region_code=person.hukou_region_id, data={"name": person.name})
    if data.certificate:
        issue_certificate(person, data.certificate, actor=actor)
    return person


@transaction.atomic
def update_person(person: Person, data: PersonData, *, actor: Actor | Any) -> list[str]:
    """Change a person's details to ``data`` (same ID number). Returns the changed fields."""
    if hash_id(data.id_number.normalized) != person.id_number_hash:
        raise ValueError("update_person cannot change the ID number")
    changes: dict[str, list[Any]] = {}
    for name, value in data.person_values().items():
        old = getattr(person, name)
        if old != value:
            changes[name.removesuffix("_id")] = [old, value]
            setattr(person, name, value)
    if data.household_number != (person.household.number if person.household_id else ""):
        old_number = person.household.number if person.household_id else ""
        person.household = (_ensure_household(data.household_number, data.hukou_region)
                            if data.household_number else None)
        changes["household"] = [old_number, data.household_number]
    if changes:
        person.save()
        record(actor, AuditAction.UPDATE, "person", person.pk, person_id=person.pk,
               region_code=_region_of(person), data={"changes": changes})
    if data.certificate:
        current = current_certificate(person)
        if current is None or _certificate_differs(current, data.certificate):
            issue_certificate(person, data.certificate, actor=actor)
    return sorted(changes)


def current_certificate(person: Person) -> Certificate | None:
    """The person's certificate that is not cancelled (at most one exists)."""
    return (person.certificates.exclude(status=CertificateStatus.CANCELLED)
            .order_by("-issue_date").first())


def _certificate_differs(current: Certificate, data: CertificateData) -> bool:
    return (current.category, current.level, current.reissue_count, current.issue_date,
            current.components) != (data.category, data.level, data.reissue_count,
                                    data.issue_date, data.components)


def _history(certificate: Certificate, status: str, reason: str, day: dt.date,
             note: str = "") -> CertificateStatusChange:
    return CertificateStatusChange(certificate=certificate, status=status, reason=reason,
                                   effective_date=day, note=note)


@transaction.atomic
def issue_certificate(person: Person, data: CertificateData, *, actor: Actor | Any) -> Certificate:
    """Issue (or renew) the person's certificate.

    The same number with a later issue date is a renewal (换领) of the open
    certificate; a different number (category, level or reissue suffix changed)
    cancels the open certificate and issues a new one.
    """
    if person.deceased_date:
        raise ValidationFailed([db_problem("person_deceased", "certificate_number",
                                           value=person.deceased_date.isoformat())])
    data.components = parse_components(data.components, data.category, data.level)
    current = current_certificate(person)
    same_number = Certificate.objects.filter(
        person=person, category=data.category, level=data.level,
        reissue_count=data.reissue_count,
    ).first()
    if same_number is not None and same_number.status == CertificateStatus.CANCELLED:
        raise ValidationFailed([db_problem("cert_cancelled", "certificate_number")])
    if current is not None and data.issue_date < current.issue_date:
        raise ValidationFailed([db_problem("cert_stale", "issue_date",
                                           value=current.issue_date.isoformat())])
    region = _region_of(person)
    if current is not None and current.pk == getattr(same_number, "pk", None):
        before = {"issue_date": current.issue_date.isoformat(), "status": current.status,
                  "components": current.components}
        renewed = data.issue_date > current.issue_date
        current.issue_date = data.issue_date
        current.valid_until = data.valid_until
        current.components = data.components
        current.status = CertificateStatus.VALID
        current.save()
        if renewed:
            _history(current, CertificateStatus.VALID, StatusReason.RENEWED, data.issue_date).save()
        record(actor, AuditAction.UPDATE, "certificate", current.pk, person_id=person.pk,
               region_code=region, data={"number": current.number_masked, "before": before,
                                         "renewed": renewed})
        return current
    if current is not None:
        reason = (StatusReason.REISSUED
                  if (current.category, current.level) == (data.category, data.level)
                  else StatusReason.REASSESSED)
        _set_status(current, CertificateStatus.CANCELLED, reason, data.issue_date, actor=actor)
    certificate = Certificate.objects.create(
        person=person, category=data.category, level=data.level,
        reissue_count=data.reissue_count, components=data.components,
        issue_date=data.issue_date, valid_until=data.valid_until,
        status=CertificateStatus.VALID,
    )
    _history(certificate, CertificateStatus.VALID, StatusReason.ISSUED, data.issue_date).save()
    record(actor, AuditAction.CREATE, "certificate", certificate.pk, person_id=person.pk,
           region_code=region, data={"number": certificate.number_masked})
    return certificate


# Which status a certificate may move to from which, and the audit action it is.
_TRANSITIONS = {
    CertificateStatus.CANCELLED: {CertificateStatus.VALID, CertificateStatus.EXPIRED,
                                  CertificateStatus.FROZEN},
    CertificateStatus.FROZEN: {CertificateStatus.VALID, CertificateStatus.EXPIRED},
    CertificateStatus.VALID: {CertificateStatus.FROZEN},
    CertificateStatus.EXPIRED: {CertificateStatus.VALID},
}
_ACTION_LABELS = {
    CertificateStatus.CANCELLED: _("注销"),
    CertificateStatus.FROZEN: _("冻结"),
    CertificateStatus.VALID: _("恢复为有效"),
    CertificateStatus.EXPIRED: _("置为过期"),
}


def _set_status(certificate: Certificate, status: str, reason: str, day: dt.date, *,
                actor: Actor | Any, note: str = "") -> None:
    if certificate.status not in _TRANSITIONS[status]:
        raise ValidationFailed([db_problem(
            "status_transition", "status",
            value=CertificateStatus(certificate.status).label, action=_ACTION_LABELS[status],
        )])
    if status == CertificateStatus.VALID and certificate.valid_until < timezone.localdate():
        status = CertificateStatus.EXPIRED
    before = certificate.status
    certificate.status = status
    certificate.save(update_fields=["status", "updated_at"])
    _history(certificate, status, reason, day, note).save()
    action = AuditAction.CANCEL if status == CertificateStatus.CANCELLED else AuditAction.UPDATE
    record(actor, action, "certificate", certificate.pk, person_id=certificate.person_id,
           region_code=_region_of(certificate.person),
           data={"number": certificate.number_masked, "status": [before, status],
                 "reason": reason, "note": note})


@transaction.atomic
def cancel_certificate(certificate: Certificate, *, reason: str, day: dt.date,
                       actor: Actor | Any, note: str = "") -> None:
    """Cancel a certificate (注销) for a reason such as death or moving away."""
    _set_status(certificate, CertificateStatus.CANCELLED, reason, day, actor=actor, note=note)


@transaction.atomic
def freeze_certificate(certificate: Certificate, *, reason: str, day: dt.date,
                       actor: Actor | Any, note: str = "") -> None:
    """Freeze a certificate, e.g. six months after the holder's hukou moved away."""
    _set_status(certificate, CertificateStatus.FROZEN, reason, day, actor=actor, note=note)


@transaction.atomic
def restore_certificate(certificate: Certificate, *, day: dt.date, actor: Actor | Any,
                        note: str = "") -> None:
    """Lift a freeze (or a wrongly set expiry)."""
    _set_status(certificate, CertificateStatus.VALID, StatusReason.RESTORED, day, actor=actor,
                note=note)


@transaction.atomic
def expire_certificates(as_of: dt.date, *, actor: Actor | Any) -> int:
    """Mark valid certificates whose validity ended before ``as_of`` as expired.

    Safe to re-run: certificates already expired are left alone. Returns the count.
    """
    due = list(Certificate.objects.filter(status=CertificateStatus.VALID, valid_until__lt=as_of)
               .select_related("person"))
    for certificate in due:
        certificate.status = CertificateStatus.EXPIRED
    Certificate.objects.bulk_update(due, ["status"], batch_size=2000)
    CertificateStatusChange.objects.bulk_create(
        [_history(c, CertificateStatus.EXPIRED, StatusReason.EXPIRED, c.valid_until) for c in due],
        batch_size=2000,
    )
    record_many(actor, (
        Event(AuditAction.UPDATE, "certificate", str(c.pk), c.person_id, c.person.hukou_region_id,
              {"number": c.number_masked, "status": ["valid", "expired"], "reason": "expired"})
        for c in due
    ))
    return len(due)


@transaction.atomic
def record_death(person: Person, day: dt.date, *, actor: Actor | Any) -> None:
    """Record a death: the person is kept, the open certificate is cancelled."""
    if day < person.birth_date or day > timezone.localdate():
        raise fail("date_invalid", "deceased_date", label=_("死亡日期"), value=day.isoformat())
    person.deceased_date = day
    person.save(update_fields=["deceased_date", "updated_at"])
    record(actor, AuditAction.UPDATE, "person", person.pk, person_id=person.pk,
           region_code=_region_of(person), data={"changes": {"deceased_date": [None, str(day)]}})
    current = current_certificate(person)
    if current is not None:
        _set_status(current, CertificateStatus.CANCELLED, StatusReason.DEATH, day, actor=actor)


@transaction.atomic
def record_assessment(person: Person, *, category: int, level: int, institution: str,
                      assessed_on: dt.date, components: Any = None,
                      actor: Actor | Any) -> Assessment:
    """Record a disability assessment by a designated institution."""
    clean_components = parse_components(components or [], category, level)
    assessment = Assessment.objects.create(
        person=person, category=category, level=level, components=clean_components,
        institution=institution, assessed_on=assessed_on,
    )
    record(actor, AuditAction.CREATE, "assessment", assessment.pk, person_id=person.pk,
           region_code=_region_of(person),
           data={"category": category, "level": level, "institution": institution})
    return assessment


@transaction.atomic
def set_household_status(household: Household, status: str, start_date: dt.date,
                         end_date: dt.date | None = None, *, actor: Actor | Any) -> HouseholdStatus:
    """Record a period of economic status (低保, 特困 …) for a household."""
    period = HouseholdStatus.objects.create(household=household, status=status,
                                            start_date=start_date, end_date=end_date)
    record(actor, AuditAction.CREATE, "household_status", period.pk,
           region_code=household.region_id,
           data={"household": household.number, "status": status, "start": str(start_date),
                 "end": str(end_date) if end_date else None})
    return period


REVEAL_REASON_MAX = 200


def reveal_id_number(person: Person, reason: str, *, actor: Actor | Any) -> str:
    """The person's full ID number, for a stated reason, recorded as a ``reveal`` event.

    Raises ``ValidationFailed`` (``required`` / ``too_long`` on ``reason``) when the
    reason is missing or longer than ``REVEAL_REASON_MAX``; nothing is recorded then.
    """
    reason = " ".join(reason.split())
    label = _("查看理由")
    if not reason:
        raise ValidationFailed([problem("required", "reason", label=label)])
    if len(reason) > REVEAL_REASON_MAX:
        raise ValidationFailed([problem("too_long", "reason", label=label, max=REVEAL_REASON_MAX)])
    record(actor, AuditAction.REVEAL, "person", person.pk, person_id=person.pk,
           region_code=_region_of(person), data={"reason": reason})
    return decrypt_id(person.id_number_encrypted)


def record_search(criteria: dict[str, Any], ids: list[int], *, actor: Actor | Any,
                  region_code: str) -> None:
    """Record a search by ID or certificate number (a ``view`` of the persons found, in
    ``region_code``, the searcher's): the numbers by their keyed hash, never as typed, so
    the log shows who looked for whom without holding the number."""
    query = {k: v for k, v in criteria.items() if v and k not in ("id_number", "certificate_number")}
    if "region" in query:
        query["region"] = query["region"].code
    if criteria.get("id_number"):
        query["id_number_hash"] = hash_id(criteria["id_number"])
    parts = split_certificate_number(criteria.get("certificate_number") or "")
    if parts:
        query["certificate_id_number_hash"] = hash_id(parts[0])
        query["certificate_suffix"] = criteria["certificate_number"][len(parts[0]):]
    record(actor, AuditAction.VIEW, "person", region_code=region_code,
           data={"via": "web", "ids": ids, "query": query})


def record_view(person: Person, *, actor: Actor | Any) -> None:
    """Record that ``actor`` opened the person's page (a ``view`` event)."""
    record(actor, AuditAction.VIEW, "person", person.pk, person_id=person.pk,
           region_code=_region_of(person))
