"""Every write to certificate cases: check, save the case and its step, audit.

Pages, the API and imports call ``open_case`` and ``perform`` and nothing else. A step
moves a case only along its kind's table (``workflow``) after the case rules
(``rules``) allow it; what it does to the person's certificate is done by the
registry's services (``issue_on_assessment``, ``renew_certificate``, ``reassess`` …),
which decide it by the registry's rules.

``user`` is the acting user: their scope for the step's capability is checked here, at
the write. None stands for the platform itself (the command line, a job), which then
names itself as ``actor``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from yangguang.accounts.permissions import Capability
from yangguang.audit.models import AuditAction
from yangguang.audit.services import Actor, record
from yangguang.certificates import rules, workflow
from yangguang.certificates.models import (
    CLOSED_STATES,
    CancellationReason,
    CaseKind,
    CaseStep,
    CertificateCase,
    DeadlineKind,
)
from yangguang.certificates.workflow import Action
from yangguang.core.errors import ValidationFailed
from yangguang.registry import rules as registry_rules
from yangguang.registry import selectors as registry_selectors
from yangguang.registry import services as registry
from yangguang.registry.models import (
    Certificate,
    CertificateStatus,
    CertificateStatusChange,
    Person,
    StatusReason,
)

county_of = rules.county_of


def _actor(user: Any, actor: Actor | Any | None) -> Actor:
    if actor is not None:
        return Actor.of(actor)
    if user is None:
        raise ValueError("an action without a user names its actor")
    return Actor.of(user)


def _scope(user: Any, capability: str) -> registry_rules.Scope:
    return None if user is None else registry.write_scope(user, capability)


def _check_scope(region_code: str, user: Any, capability: str) -> None:
    if not registry_rules.in_scope(region_code, _scope(user, capability)):
        raise ValidationFailed([rules.problem("case_out_of_scope", "kind")])


def person_facts(person: Person) -> rules.PersonFacts:
    """What an application for ``person`` is checked against."""
    certificate = (person.certificates.exclude(status=CertificateStatus.CANCELLED)
                   .values(*registry_rules.STORED_CERTIFICATE_FIELDS).first())
    cancelled_on = (CertificateStatusChange.objects
                    .filter(certificate__person=person, status=CertificateStatus.CANCELLED,
                            reason__in=rules.policy().barring_reasons)
                    .order_by("-effective_date").values_list("effective_date", flat=True)
                    .first())
    open_case = (person.certificate_cases.exclude(state__in=CLOSED_STATES)
                 .values_list("kind", "state").first())
    return rules.PersonFacts(hukou_region=person.hukou_region_id, birth_date=person.birth_date,
                             deceased_date=person.deceased_date, certificate=certificate,
                             cancelled_on=cancelled_on, open_case=open_case)


def _audit(case: CertificateCase, actor: Actor, action: str, data: dict[str, Any]) -> None:
    record(actor, action, "certificate_case", case.pk, person_id=case.person_id,
           region_code=case.hukou_region_id, data=data)


@transaction.atomic
def open_case(person: Person, values: dict[str, Any], *, user: Any = None,
              actor: Actor | Any | None = None, today: dt.date | None = None,
              scope: registry_rules.Scope = None) -> CertificateCase:
    """Open a case for ``person`` from an application's ``values`` (``rules.
    parse_application``), lodged at their hukou county: refused when the person may not
    apply now (``rules.check_application``: an open case, the year after a
    cancellation, a certificate held or missing, a guardian needed). ``scope``: where a
    caller without a user (an import) may lodge cases (None: everywhere)."""
    who = _actor(user, actor)
    today = today or timezone.localdate()
    application = rules.parse_application(values, today=today)
    if user is not None:
        scope = _scope(user, Capability.HANDLE_CASE)
    lodged_at = rules.lodging_county(application, person.hukou_region_id,
                                     lambda region: registry_rules.in_scope(region, scope))
    Person.objects.select_for_update().filter(pk=person.pk).first()  # one application at a time
    rules.check_application(application, person_facts(person))
    case = CertificateCase(
        kind=application.kind, person=person, applicant=application.applicant,
        guardian_name=application.guardian_name, hukou_region_id=person.hukou_region_id,
        residence_region_id=application.residence_region,
        residence_permit=application.residence_permit,
        holder_region_id=lodged_at,
        target_region_id=application.target_region,
        cancellation_reason=application.cancellation_reason,
        applied_on=application.applied_on,
    )
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError:  # another open case was saved since the check
        rules.check_application(application, person_facts(person))
        raise
    CaseStep.objects.create(case=case, action=Action.APPLY, from_state="", to_state=case.state,
                            user_id=who.user_id, actor=who.name, region_id=case.holder_region_id,
                            day=application.applied_on, note=application.note)
    _audit(case, who, AuditAction.CREATE, {
        "kind": case.kind, "applicant": case.applicant, "applied_on": str(case.applied_on),
        **({"target_region": case.target_region_id} if case.target_region_id else {}),
        **({"cancellation_reason": case.cancellation_reason}
           if case.cancellation_reason else {}),
    })
    return case


@transaction.atomic
def open_case_for_applicant(id_number: str, name: str, values: dict[str, Any], *,
                            user: Any = None, actor: Actor | Any | None = None,
                            today: dt.date | None = None) -> CertificateCase:
    """Open a case for the registered person with this ID number and name (``open_case``):
    how a county of usual residence, which does not see persons registered elsewhere,
    lodges an application (跨省通办). Both must match the registry, so that the number
    alone finds nobody (``applicant_not_found``)."""
    return open_case(applicant(id_number, name), values, user=user, actor=actor, today=today)


def applicant(id_number: str, name: str) -> Person:
    """The registered person with this ID number and this name; refused
    (``applicant_not_found``) otherwise, whether the number or the name is wrong."""
    person = registry_selectors.person_by_id_number_and_name(id_number, name)
    if person is None:
        raise ValidationFailed([rules.problem("applicant_not_found", "id_number")])
    return person


def allowed_transition(case: CertificateCase, action: str) -> workflow.Transition:
    """The table's row for ``action`` from the case's state; refused
    (``action_not_allowed``) when there is none."""
    found = workflow.transition(case.kind, case.state, action)
    if found is None:
        label = (workflow.Action(action).label if action in workflow.Action.values
                 else action)
        raise ValidationFailed([rules.problem("action_not_allowed", "action",
                                              state=case.get_state_display(), action=label)])
    return found


@transaction.atomic
def perform(case: CertificateCase, action: str, values: dict[str, Any], *, user: Any = None,
            actor: Actor | Any | None = None, today: dt.date | None = None
            ) -> CertificateCase:
    """Take the step ``action`` on ``case`` with the fields ``values`` (``rules.
    step_fields``: a day, a note, and what the action takes). Returns the case as it
    is after the step; nothing is written when the step is refused."""
    who = _actor(user, actor)
    today = today or timezone.localdate()
    case = CertificateCase.objects.select_for_update().select_related("person").get(pk=case.pk)
    transition = allowed_transition(case, action)
    rules.check_holder(case, action)
    _check_scope(rules.acting_region(case, transition), user, transition.capability)
    last_day = case.steps.order_by("-day").values_list("day", flat=True).first()
    step = rules.parse_step(case.kind, action, values, today=today, last_day=last_day)
    rules.check_step(case, transition, step)
    scope = _scope(user, transition.capability)
    where = case.holder_region_id  # where the step is taken (a forward changes the holder)
    data = EFFECTS.get(action, _nothing)(case, step, who, scope)
    before = case.state
    case.state = transition.target
    if case.state in CLOSED_STATES:
        case.closed_on = step.day
        case.deadline, case.deadline_kind = None, ""
    case.save()
    CaseStep.objects.create(case=case, action=action, from_state=before, to_state=case.state,
                            user_id=who.user_id, actor=who.name, region_id=where,
                            day=step.day, note=step.note, data=data)
    _audit(case, who, AuditAction.UPDATE, {"kind": case.kind, "action": action,
                                           "state": [before, case.state],
                                           "day": str(step.day), **data})
    return case


# ---------------------------------------------------------------------------
# What each action does beyond moving the case (``EFFECTS``): each returns the data
# its step and audit event record.

Effect = dict[str, Any]


def _nothing(case: CertificateCase, step: rules.Step, who: Actor, scope: Any) -> Effect:
    case.deadline, case.deadline_kind = None, ""
    return {}


def _accept(case: CertificateCase, step: rules.Step, who: Actor, scope: Any) -> Effect:
    if step.institution:
        case.institution = step.institution
        return {"institution": step.institution}
    return {}


def _record_assessment(case: CertificateCase, step: rules.Step, who: Actor) -> Effect:
    found = step.assessment
    case.assessment = registry.record_assessment(
        case.person, category=found.category, level=found.level,
        institution=found.institution, assessed_on=found.assessed_on,
        components=found.components, assessor=step.assessor, actor=who)
    case.deadline, case.deadline_kind = None, ""
    return {"assessment": case.assessment.pk, "category": found.category, "level": found.level,
            "institution": found.institution}


def _assess(case: CertificateCase, step: rules.Step, who: Actor, scope: Any) -> Effect:
    data = _record_assessment(case, step, who)
    case.dispute_until = rules.deadline_after("dispute_prefecture", step.assessment.assessed_on)
    return data | {"dispute_until": str(case.dispute_until)}


def _decide_dispute(case: CertificateCase, step: rules.Step, who: Actor, scope: Any) -> Effect:
    data = _record_assessment(case, step, who)
    case.dispute_level += 1
    # After the prefecture, the province may still be asked; the province is final.
    case.dispute_until = (rules.deadline_after("dispute_province", step.day)
                          if case.dispute_level == 1 else None)
    return data | {"dispute_level": case.dispute_level}


def _publish(case: CertificateCase, step: rules.Step, who: Actor, scope: Any) -> Effect:
    case.deadline = rules.deadline_after("publication", step.day)
    case.deadline_kind = DeadlineKind.PUBLICATION
    return {"deadline": str(case.deadline)}


def _start_review(case: CertificateCase, start: dt.date) -> Effect:
    case.deadline = rules.deadline_after("review", start)
    case.deadline_kind = DeadlineKind.REVIEW
    return {"deadline": str(case.deadline)}


def _end_publication(case: CertificateCase, step: rules.Step, who: Actor, scope: Any) -> Effect:
    # The review's days run from the end of the publication, however late it is noted.
    return _start_review(case, case.deadline or step.day)


def _submit(case: CertificateCase, step: rules.Step, who: Actor, scope: Any) -> Effect:
    return _start_review(case, step.day)


def _issued(case: CertificateCase, certificate: Certificate) -> Effect:
    case.certificate = certificate
    return {"certificate": certificate.pk, "number": certificate.number_masked}


def _issue(case: CertificateCase, step: rules.Step, who: Actor, scope: Any) -> Effect:
    person = case.person
    if case.kind == CaseKind.NEW:
        return _issued(case, registry.issue_on_assessment(person, case.assessment, step.day,
                                                          actor=who, scope=scope))
    if case.kind == CaseKind.REASSESSMENT:
        found = case.assessment
        reassessment = registry_rules.Reassessment(
            institution=found.institution, assessed_on=found.assessed_on,
            category=found.category, level=found.level, components=found.components,
            effective_date=step.day)
        return _issued(case, registry.reassess(person, reassessment, actor=who, scope=scope,
                                               assessment=found))
    if case.kind == CaseKind.RENEWAL:
        return _issued(case, registry.renew_certificate(person, step.day, actor=who,
                                                        scope=scope))
    return _issued(case, registry.reissue_certificate(person, step.day, actor=who, scope=scope))


def _complete(case: CertificateCase, step: rules.Step, who: Actor, scope: Any) -> Effect:
    person = case.person
    if case.kind == CaseKind.TRANSFER:
        registry.transfer_hukou(person, case.target_region_id, actor=who, scope=scope)
        return {"target_region": case.target_region_id}
    # A cancellation: a death is recorded on the person (which cancels the certificate).
    registry_rules.check_region_scope_of(person.hukou_region_id, scope)
    day = step.effective_on or step.day
    certificate = registry.current_certificate(person)
    if case.cancellation_reason == CancellationReason.DEATH:
        registry.record_death(person, day, actor=who)
    elif certificate is None:
        raise ValidationFailed([registry_rules.db_problem("certificate_required", "kind")])
    else:
        registry.cancel_certificate(certificate, reason=StatusReason(case.cancellation_reason),
                                    day=day, actor=who, note=step.note)
    if certificate is not None:
        case.certificate = certificate
    return {"reason": case.cancellation_reason, "effective_on": str(day)}


def _forward(case: CertificateCase, step: rules.Step, who: Actor, scope: Any) -> Effect:
    case.holder_region_id = county_of(case.hukou_region_id)
    return {"holder_region": case.holder_region_id}


def _reject(case: CertificateCase, step: rules.Step, who: Actor, scope: Any) -> Effect:
    case.rejection_reason = step.reason
    return {"reason": step.reason}


EFFECTS = {
    Action.ACCEPT: _accept,
    Action.ASSESS: _assess,
    Action.DECIDE_DISPUTE: _decide_dispute,
    Action.PUBLISH: _publish,
    Action.END_PUBLICATION: _end_publication,
    Action.SUBMIT: _submit,
    Action.ISSUE: _issue,
    Action.COMPLETE: _complete,
    Action.REJECT: _reject,
    Action.FORWARD: _forward,
}
