"""Models to response dicts, with ID and certificate numbers masked.

Written out field by field (not model dumps), so a column added to a model never
reaches a response by accident.
"""

from __future__ import annotations

from typing import Any

from yangguang.regions import catalog
from yangguang.regions.models import Region, RegionLevel
from yangguang.registry.models import (
    Category,
    Certificate,
    CertificateStatus,
    EconomicStatus,
    Household,
    HouseholdStatus,
    Level,
    Person,
    Relation,
    Sex,
    StatusReason,
)
from yangguang.registry.validation import ethnicities


def _label(choices: Any, value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return ""


def region_ref(region: Region) -> dict[str, Any]:
    return {"code": region.code, "name": region.name, "full_name": catalog.full_name(region.code)}


def region_item(region: Region) -> dict[str, Any]:
    return {
        "code": region.code, "name": region.name, "full_name": catalog.full_name(region.code),
        "level": region.level, "level_label": _label(RegionLevel, region.level),
        "parent": region.parent_id, "valid_until": region.valid_until,
    }


def certificate_summary(certificate: Certificate, person: Person) -> dict[str, Any]:
    return {
        "id": certificate.pk,
        "number_masked": person.id_number_masked + certificate.suffix,
        "category": certificate.category,
        "category_label": _label(Category, certificate.category),
        "level": certificate.level,
        "level_label": _label(Level, certificate.level),
        "components": certificate.components,
        "reissue_count": certificate.reissue_count,
        "issue_date": certificate.issue_date,
        "valid_until": certificate.valid_until,
        "status": certificate.status,
        "status_label": _label(CertificateStatus, certificate.status),
    }


def certificate_item(certificate: Certificate) -> dict[str, Any]:
    return {**certificate_summary(certificate, certificate.person),
            "person_id": certificate.person_id}


def certificate_detail(certificate: Certificate) -> dict[str, Any]:
    return {
        **certificate_item(certificate),
        "history": [
            {"status": h.status, "status_label": _label(CertificateStatus, h.status),
             "reason": h.reason, "reason_label": _label(StatusReason, h.reason),
             "effective_date": h.effective_date, "note": h.note}
            for h in certificate.history.all()
        ],
    }


def _newest_first(person: Person) -> list[Certificate]:
    return sorted(person.certificates.all(), key=lambda c: (c.issue_date, c.pk), reverse=True)


def person_item(person: Person) -> dict[str, Any]:
    """Best with ``hukou_region`` selected and ``certificates`` prefetched."""
    current = next((c for c in _newest_first(person) if c.status != CertificateStatus.CANCELLED),
                   None)
    return {
        "id": person.pk,
        "name": person.name,
        "id_number_masked": person.id_number_masked,
        "sex": person.sex,
        "sex_label": _label(Sex, person.sex),
        "birth_date": person.birth_date,
        "hukou_region": region_ref(person.hukou_region),
        "deceased_date": person.deceased_date,
        "certificate": certificate_summary(current, person) if current else None,
    }


def person_detail(person: Person) -> dict[str, Any]:
    """Best with the regions and household selected and ``certificates`` prefetched."""
    return {
        **person_item(person),
        "ethnicity": person.ethnicity,
        "ethnicity_label": ethnicities().get(person.ethnicity, ""),
        "residence_region": region_ref(person.residence_region) if person.residence_region_id
        else None,
        "phone": person.phone,
        "household": ({"id": person.household.pk, "number": person.household.number}
                      if person.household_id else None),
        "relation_to_head": person.relation_to_head,
        "relation_label": _label(Relation, person.relation_to_head),
        "certificates": [certificate_summary(c, person) for c in _newest_first(person)],
        "created_at": person.created_at,
        "updated_at": person.updated_at,
    }


def household_item(household: Household) -> dict[str, Any]:
    return {"id": household.pk, "number": household.number, "region": region_ref(household.region)}


def household_detail(household: Household, members: list[Person],
                     statuses: list[HouseholdStatus]) -> dict[str, Any]:
    return {
        **household_item(household),
        "statuses": [
            {"status": s.status, "status_label": _label(EconomicStatus, s.status),
             "start_date": s.start_date, "end_date": s.end_date}
            for s in statuses
        ],
        "members": [
            {"id": p.pk, "name": p.name, "id_number_masked": p.id_number_masked,
             "relation_to_head": p.relation_to_head,
             "relation_label": _label(Relation, p.relation_to_head)}
            for p in members
        ],
    }
