"""Every write to the registry: validate, save, audit.

Views, the API, the CLI, imports and the demo generator call these functions and
nothing else to change registry data, so the invariants and the audit trail cannot
be skipped. Bulk imports are written by ``services.imports.BulkImport`` (files are
read and checked by ``importing.py``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yangguang.accounts.permissions import Capability
from yangguang.accounts.selectors import scope_prefixes
from yangguang.audit.models import AuditAction
from yangguang.audit.services import Actor, Event, record, record_many
from yangguang.core.contributions import person_changed
from yangguang.core.crypto import decrypt_id, encrypt_id, hash_id, mask_id
from yangguang.core.errors import ValidationFailed
from yangguang.registry import rules
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
from yangguang.registry.rules import (
    DB_MESSAGES,
    CertificateData,
    PersonData,
    Scope,
    db_problem,
)
from yangguang.registry.validation import fail, parse_components, problem, split_certificate_number


def write_scope(user: Any, capability: str = Capability.EDIT_PERSON) -> Scope:
    """Where ``user`` may write persons (``edit_person``; a reviewer's actions:
    ``change_certificate``): the scope every write path passes to the services."""
    return tuple(scope_prefixes(user, capability))


def _region_of(person: Person) -> str:
    return person.hukou_region_id


def _stored_certificates(person: Person) -> list[dict[str, Any]]:
    return list(person.certificates.values(*rules.STORED_CERTIFICATE_FIELDS))


def _household_for(data: PersonData, scope: Scope) -> Household | None:
    """The household the person is to belong to (created in their hukou region when
    new); refused (``region_out_of_scope``) when it lies outside ``scope``."""
    if not data.household_number:
        return None
    household = Household.objects.filter(number=data.household_number).first()
    if household is None:
        return Household.objects.create(number=data.household_number,
                                        region_id=data.hukou_region)
    rules.check_household_scope(data.household_number, household.region_id, scope)
    return household


def register_person(data: PersonData, *, actor: Actor | Any, scope: Scope) -> Person:
    """Register a new person (and their certificate, if given), within ``scope`` (the
    acting user's write scope; None: everywhere, for the command line and the demo).

    An ID number registered outside ``scope`` is refused without saying where, and the
    attempt is audited on the stored person (a case for their region: see
    ``rules.registered_elsewhere``), outside this write's transaction so that it stays.
    """
    rules.check_region_scope(data, scope)
    id_hash = hash_id(data.id_number.normalized)
    stored = (Person.objects.filter(id_number_hash=id_hash)
              .values("pk", "hukou_region_id").first())
    if stored is not None:
        if not rules.in_scope(stored["hukou_region_id"], scope):
            record(actor, AuditAction.VIEW, "person", stored["pk"], person_id=stored["pk"],
                   region_code=stored["hukou_region_id"],
                   data=rules.registered_elsewhere_event(id_hash))
            raise ValidationFailed([rules.db_problem("person_out_of_scope", "id_number")])
        raise ValidationFailed([rules.db_problem("id_exists", "id_number")])
    return _register(data, id_hash, actor=actor, scope=scope)


@transaction.atomic
def _register(data: PersonData, id_hash: str, *, actor: Actor | Any, scope: Scope) -> Person:
    person = Person(
        id_number_encrypted=encrypt_id(data.id_number.normalized),
        id_number_hash=id_hash,
        id_number_masked=mask_id(data.id_number.normalized),
        sex=data.sex,
        birth_date=data.birth_date,
        household=_household_for(data, scope),
        **data.person_values(),
    )
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError:
        # Another request registered the same ID between our check and the insert.
        raise ValidationFailed([rules.db_problem("id_exists", "id_number")]) from None
    decision = None
    if data.certificate:
        decision = rules.decide_certificate(data.certificate, [], today=timezone.localdate())
        _apply_certificate(person, data.certificate, decision)
    record(actor, AuditAction.CREATE, "person", person.pk, person_id=person.pk,
           region_code=person.hukou_region_id,
           data=rules.person_event({}, decision, data.certificate))
    return person


@transaction.atomic
def update_person(person: Person, data: PersonData, *, actor: Actor | Any,
                  scope: Scope) -> list[str]:
    """Change a person's details to ``data`` (same ID number), within ``scope``;
    a certificate in ``data`` is issued as ``issue_certificate`` does. Returns the
    changed fields."""
    if hash_id(data.id_number.normalized) != person.id_number_hash:
        raise ValueError("update_person cannot change the ID number")
    rules.check_region_scope(data, scope, stored_region=person.hukou_region_id)
    changes: dict[str, list[Any]] = {}
    values = {}
    for name, value in data.person_values().items():
        old = getattr(person, name)
        if data.gives(name) and old != value:
            changes[name.removesuffix("_id")] = [old, value]
            values[name] = value
    old_number = person.household.number if person.household_id else ""
    household_changes = data.gives("household_number") and data.household_number != old_number
    if household_changes:
        household = _household_for(data, scope)  # (refused first when outside the scope)
    decision = rules.decide_person_write(
        bool(changes) or household_changes, data.certificate,
        _stored_certificates(person) if data.certificate else [],
        deceased_date=person.deceased_date, today=timezone.localdate())
    if not (changes or household_changes or decision):
        return []
    for name, value in values.items():
        setattr(person, name, value)
    if household_changes:
        person.household = household
        changes["household"] = [old_number, data.household_number]
    if changes:
        person.save()
    if decision is not None:
        _apply_certificate(person, data.certificate, decision)
    record(actor, AuditAction.UPDATE, "person", person.pk, person_id=person.pk,
           region_code=_region_of(person),
           data=rules.person_event(changes, decision, data.certificate))
    return sorted(changes)


def current_certificate(person: Person) -> Certificate | None:
    """The person's certificate that is not cancelled (at most one exists)."""
    return (person.certificates.exclude(status=CertificateStatus.CANCELLED)
            .order_by("-issue_date").first())


def _history(certificate: Certificate | int, status: str, reason: str, day: dt.date,
             note: str = "") -> CertificateStatusChange:
    key = "certificate_id" if isinstance(certificate, int) else "certificate"
    return CertificateStatusChange(**{key: certificate}, status=status, reason=reason,
                                   effective_date=day, note=note)


def _apply_certificate(person: Person, data: CertificateData,
                       decision: rules.CertificateDecision) -> Certificate:
    """Write what ``rules.decide_certificate`` decided, with the status history rows
    the import writes for the same decision."""
    current = decision.current
    if decision.action == "renew":
        Certificate.objects.filter(pk=current["id"]).update(
            issue_date=data.issue_date, valid_until=data.valid_until,
            components=data.components, status=decision.status, updated_at=timezone.now())
        if decision.renewed:
            _history(current["id"], decision.status, StatusReason.RENEWED,
                     data.issue_date).save()
        return Certificate.objects.get(pk=current["id"])
    if current is not None:
        Certificate.objects.filter(pk=current["id"]).update(
            status=CertificateStatus.CANCELLED, updated_at=timezone.now())
        _history(current["id"], CertificateStatus.CANCELLED, decision.cancel_reason,
                 data.issue_date).save()
    certificate = Certificate.objects.create(
        person=person, category=data.category, level=data.level,
        reissue_count=data.reissue_count, components=data.components,
        issue_date=data.issue_date, valid_until=data.valid_until, status=decision.status,
    )
    _history(certificate, CertificateStatus.VALID, StatusReason.ISSUED, data.issue_date).save()
    if decision.status == CertificateStatus.EXPIRED:
        _history(certificate, CertificateStatus.EXPIRED, StatusReason.EXPIRED,
                 data.valid_until).save()
    return certificate


@transaction.atomic
def issue_certificate(person: Person, data: CertificateData, *, actor: Actor | Any,
                      scope: Scope) -> Certificate:
    """Issue (or renew) the person's certificate, within ``scope``.

    ``rules.decide_certificate`` says what it does: the same number with a later issue
    date is a renewal (换领) of the open certificate; a different number (category,
    level or reissue suffix changed) cancels the open certificate and issues a new one.
    The status comes from the dates (``rules.status_on``).
    """
    rules.check_region_scope_of(person.hukou_region_id, scope)
    rules.refuse_if_deceased(person.deceased_date)
    data.components = parse_components(data.components, data.category, data.level)
    decision = rules.decide_certificate(data, _stored_certificates(person),
                                        today=timezone.localdate())
    if decision is None:
        return current_certificate(person)
    certificate = _apply_certificate(person, data, decision)
    record(actor, AuditAction.UPDATE, "person", person.pk, person_id=person.pk,
           region_code=_region_of(person), data=rules.person_event({}, decision, data))
    return certificate


@transaction.atomic
def issue_on_assessment(person: Person, assessment: Assessment, day: dt.date, *,
                        actor: Actor | Any, scope: Scope) -> Certificate:
    """Issue a new certificate (新办) on ``assessment``, dated ``day``: its number is
    not one the person held and had cancelled (``rules.fresh_certificate``)."""
    rules.check_region_scope_of(person.hukou_region_id, scope)
    data = rules.fresh_certificate(assessment.category, assessment.level,
                                   assessment.components, day, _stored_certificates(person))
    return issue_certificate(person, data, actor=actor, scope=scope)


@transaction.atomic
def renew_certificate(person: Person, day: dt.date, *, actor: Actor | Any,
                      scope: Scope) -> Certificate:
    """换领: the open certificate renewed with the issue date ``day``, which starts its
    new validity."""
    rules.check_region_scope_of(person.hukou_region_id, scope)
    stored = _stored_certificates(person)
    data = rules.renewed_certificate(stored, day)
    current = rules.open_certificate(stored)
    if data.issue_date <= current["issue_date"]:
        raise ValidationFailed([db_problem("certificate_unchanged", "day",
                                           value=current["issue_date"].isoformat())])
    return issue_certificate(person, data, actor=actor, scope=scope)


@transaction.atomic
def reissue_certificate(person: Person, day: dt.date, *, actor: Actor | Any,
                        scope: Scope) -> Certificate:
    """挂失补办: a certificate with the next ``B`` suffix, issued on ``day``; the lost
    one is cancelled (reason ``reissued``)."""
    rules.check_region_scope_of(person.hukou_region_id, scope)
    data = rules.reissued_certificate(_stored_certificates(person), day)
    return issue_certificate(person, data, actor=actor, scope=scope)


@transaction.atomic
def transfer_hukou(person: Person, region_code: str, *, actor: Actor | Any,
                   scope: Scope) -> None:
    """迁移: the person's hukou (and with it their certificate and its records) moves
    to ``region_code``; the writer needs ``scope`` over the region they leave."""
    rules.check_region_scope_of(person.hukou_region_id, scope)
    rules.refuse_if_deceased(person.deceased_date)
    before = person.hukou_region_id
    if region_code == before:
        return
    changes: dict[str, list[Any]] = {"hukou_region": [before, region_code]}
    if person.moved_away_on is not None:  # the move is transferred: no freeze, no cancellation
        changes["moved_away_on"] = [str(person.moved_away_on), None]
        person.moved_away_on = person.moved_to_region_id = None
    person.hukou_region_id = region_code
    person.save(update_fields=["hukou_region", "moved_away_on", "moved_to_region", "updated_at"])
    record(actor, AuditAction.UPDATE, "person", person.pk, person_id=person.pk,
           region_code=before, data={"changes": changes})
    person_changed("hukou_transfer", person, timezone.localdate(), actor=actor,
                   from_region=before, to_region=region_code)


@transaction.atomic
def reassess(person: Person, reassessment: rules.Reassessment, *, actor: Actor | Any,
             scope: Scope, assessment: Assessment | None = None) -> Certificate:
    """A change of category or level (or of a multiple disability's components) on a new
    assessment: the assessment is recorded (unless given as ``assessment``, already
    recorded, as a certificate case does at its assessment step), the open certificate
    cancelled (reason ``reassessed``) and the new one issued, both on the
    reassessment's effective date. A reviewer's action: ``scope`` is their
    ``change_certificate`` scope."""
    rules.check_region_scope_of(person.hukou_region_id, scope)
    rules.refuse_if_deceased(person.deceased_date)
    stored = _stored_certificates(person)
    data, decision = rules.decide_reassessment(reassessment, stored, today=timezone.localdate())
    if assessment is None:
        record_assessment(person, category=reassessment.category, level=reassessment.level,
                          institution=reassessment.institution,
                          assessed_on=reassessment.assessed_on,
                          components=reassessment.components, actor=actor)
    certificate = _apply_certificate(person, data, decision)
    record(actor, AuditAction.UPDATE, "person", person.pk, person_id=person.pk,
           region_code=_region_of(person), data=rules.person_event({}, decision, data))
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
    if status == CertificateStatus.VALID:
        status = rules.status_on(certificate.valid_until, timezone.localdate())
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
def record_move_away(person: Person, move: rules.MoveAway | None, *, actor: Actor | Any,
                     scope: Scope) -> None:
    """户籍迁出: the person's hukou moved out of the county on ``move.day`` without a
    transfer (迁移) of the certificate; the record stays with this county, and the daily
    job (``apply_moves_away``) freezes and then cancels the certificate on the days
    ``rules.moved_away_step`` computes from ``move.day``. ``move`` None withdraws a move
    recorded in error (a certificate it froze stays frozen until restored)."""
    rules.check_region_scope_of(person.hukou_region_id, scope)
    rules.refuse_if_deceased(person.deceased_date)
    day, to_region = (move.day, move.to_region) if move else (None, None)
    withdrawn = person.moved_away_on if day is None else None
    changes = {name: [None if old is None else str(old), None if new is None else str(new)]
               for name, old, new in (("moved_away_on", person.moved_away_on, day),
                                      ("moved_to_region", person.moved_to_region_id, to_region))
               if old != new}
    if not changes:
        return
    person.moved_away_on, person.moved_to_region_id = day, to_region
    person.save(update_fields=["moved_away_on", "moved_to_region", "updated_at"])
    record(actor, AuditAction.UPDATE, "person", person.pk, person_id=person.pk,
           region_code=_region_of(person), data={"changes": changes})
    if day is not None:
        person_changed("moved_away", person, day, actor=actor)
    elif withdrawn is not None:
        person_changed("move_withdrawn", person, withdrawn, actor=actor)


@transaction.atomic
def apply_moves_away(as_of: dt.date, *, actor: Actor | Any) -> dict[str, int]:
    """The daily job's work: the open certificates of living holders whose hukou moved
    away without a transfer are frozen, then cancelled, on the days the rule computes
    (``rules.moved_away_step``), each change in the history and the audit log (reason
    ``moved_away``). Safe to re-run: what is done is not done again."""
    due = list(Certificate.objects.exclude(status=CertificateStatus.CANCELLED)
               .filter(person__moved_away_on__isnull=False, person__deceased_date__isnull=True)
               .select_related("person").order_by("id"))
    frozen_for_move = set(CertificateStatusChange.objects.filter(
        certificate__person__moved_away_on__isnull=False, status=CertificateStatus.FROZEN,
        reason=StatusReason.MOVED_AWAY,
        effective_date__gte=F("certificate__person__moved_away_on"),
    ).values_list("certificate_id", flat=True))
    done = {CertificateStatus.FROZEN: 0, CertificateStatus.CANCELLED: 0}
    for certificate in due:
        step = rules.moved_away_step(certificate.person.moved_away_on, certificate.status,
                                     frozen_for_move=certificate.pk in frozen_for_move,
                                     as_of=as_of)
        if step is not None:
            _set_status(certificate, step.status, StatusReason.MOVED_AWAY, step.day,
                        actor=actor)
            done[step.status] += 1
    return {"frozen": done[CertificateStatus.FROZEN],
            "cancelled": done[CertificateStatus.CANCELLED]}


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
    person_changed("death", person, day, actor=actor)


@transaction.atomic
def correct_death(person: Person, day: dt.date | None, *, actor: Actor | Any,
                  scope: Scope) -> None:
    """Correct a recorded death: to another ``day``, or None when the person did not
    die (recorded in error). The certificate the death cancelled is cancelled from the
    corrected day instead (its history entry's day corrected, with a note), or held
    again (its cancellation entry, an error, turned into a 恢复 entry with a note: a
    cancellation is final in ``rules.certificate_held_q``); the apps above are told
    (``death_corrected``: benefits restarts the grants the death ended)."""
    rules.check_region_scope_of(person.hukou_region_id, scope)
    previous = person.deceased_date
    if previous is None:
        raise fail("date_invalid", "deceased_date", label=_("死亡日期"), value="")
    if day is not None and (day < person.birth_date or day > timezone.localdate()):
        raise fail("date_invalid", "deceased_date", label=_("死亡日期"), value=day.isoformat())
    if day == previous:
        return
    person.deceased_date = day
    person.save(update_fields=["deceased_date", "updated_at"])
    record(actor, AuditAction.UPDATE, "person", person.pk, person_id=person.pk,
           region_code=_region_of(person),
           data={"changes": {"deceased_date": [str(previous), None if day is None else str(day)]},
                 "correction": True})
    cancelled = (CertificateStatusChange.objects
                 .filter(certificate__person=person, status=CertificateStatus.CANCELLED,
                         reason=StatusReason.DEATH, effective_date=previous)
                 .select_related("certificate").order_by("-id").first())
    if cancelled is not None and day is not None:  # cancelled from the corrected day
        cancelled.effective_date = day
        cancelled.note = str(_("死亡日期更正（原为{day}）")).format(day=previous.isoformat())
        cancelled.save(update_fields=["effective_date", "note"])
        record(actor, AuditAction.UPDATE, "certificate", cancelled.certificate_id,
               person_id=person.pk, region_code=_region_of(person),
               data={"number": cancelled.certificate.number_masked,
                     "cancelled_on": [str(previous), str(day)], "reason": StatusReason.DEATH})
    elif cancelled is not None:  # the cancellation was an error: it becomes a 恢复 entry
        certificate = cancelled.certificate  # (a cancellation is final, registry.rules)
        held = rules.status_on(certificate.valid_until, timezone.localdate())
        cancelled.status, cancelled.reason = held, StatusReason.RESTORED
        cancelled.note = str(_("死亡记录有误，原注销（死亡）已撤销"))
        cancelled.save(update_fields=["status", "reason", "note"])
        if certificate.status == CertificateStatus.CANCELLED:
            certificate.status = held
            certificate.save(update_fields=["status", "updated_at"])
        record(actor, AuditAction.UPDATE, "certificate", certificate.pk,
               person_id=person.pk, region_code=_region_of(person),
               data={"number": certificate.number_masked,
                     "status": [CertificateStatus.CANCELLED, held],
                     "reason": StatusReason.RESTORED, "note": "death_corrected"})
    person_changed("death_corrected", person, day, actor=actor, previous=previous)


@transaction.atomic
def record_assessment(person: Person, *, category: int, level: int, institution: str,
                      assessed_on: dt.date, components: Any = None, assessor: str = "",
                      actor: Actor | Any) -> Assessment:
    """Record a disability assessment by a designated institution (and its assessor)."""
    clean_components = parse_components(components or [], category, level)
    assessment = Assessment.objects.create(
        person=person, category=category, level=level, components=clean_components,
        institution=institution, assessor=assessor, assessed_on=assessed_on,
    )
    data = {"category": category, "level": level, "institution": institution}
    if assessor:
        data["assessor"] = assessor
    record(actor, AuditAction.CREATE, "assessment", assessment.pk, person_id=person.pk,
           region_code=_region_of(person), data=data)
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


# The checked records and database problems every write path passes here, defined with
# the rules that make them.
__all__ = ["DB_MESSAGES", "CertificateData", "PersonData", "Scope", "db_problem"]
