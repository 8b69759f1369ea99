"""The electronic certificate (残疾人证电子证照): what it shows, its issue and its
verification.

An e-certificate is made only for a valid certificate and its issue is audited.
Verification is public: anyone holding the token learns the certificate's current
state (有效 / 无效 / 已注销 / 已过期) and, for a real certificate, the masked number,
the holder's name and the validity — never the ID number.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yangguang.audit.models import AuditAction
from yangguang.audit.services import Actor, record
from yangguang.core.crypto import hash_id
from yangguang.core.errors import Problem, ValidationFailed
from yangguang.regions.models import RegionLevel
from yangguang.registry.models import Certificate, CertificateStatus
from yangguang.registry.validation import split_certificate_number

from . import tokens

NOT_VALID = _("只有有效的残疾人证才能生成电子证照（当前状态：{status}）")


class Verdict(models.TextChoices):
    VALID = "valid", _("有效")
    INVALID = "invalid", _("无效")
    CANCELLED = "cancelled", _("已注销")
    EXPIRED = "expired", _("已过期")


@dataclass(frozen=True)
class ECert:
    """What an e-certificate shows."""

    certificate: Certificate
    token: str
    federation: str

    @property
    def holder(self) -> str:
        return self.certificate.person.name


@dataclass(frozen=True)
class Verification:
    verdict: Verdict
    #: Shown only when the token names a certificate we hold (not for 无效).
    name: str = ""
    number_masked: str = ""
    issue_date: dt.date | None = None
    valid_until: dt.date | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"state": self.verdict.value, "state_label": str(self.verdict.label),
                "name": self.name, "number_masked": self.number_masked,
                "issue_date": self.issue_date.isoformat() if self.issue_date else None,
                "valid_until": self.valid_until.isoformat() if self.valid_until else None}


def verdict_of(certificate: Certificate, today: dt.date) -> Verdict:
    """The certificate's state as verification answers it today: the stored status,
    and a validity that ended before the daily job marked it expired."""
    if certificate.status == CertificateStatus.CANCELLED or certificate.person.deceased_date:
        return Verdict.CANCELLED
    if certificate.status == CertificateStatus.EXPIRED or certificate.valid_until < today:
        return Verdict.EXPIRED
    if certificate.status == CertificateStatus.VALID:
        return Verdict.VALID
    return Verdict.INVALID  # frozen: not to be relied on, and not cancelled either


def issuable(certificate: Certificate, today: dt.date | None = None) -> bool:
    """Whether ``issue_ecert`` makes an e-certificate of ``certificate`` today (the
    person page links to it only then)."""
    return verdict_of(certificate, today or timezone.localdate()) == Verdict.VALID


def federation_of(certificate: Certificate) -> str:
    """The issuing federation: the 残联 of the holder's hukou county."""
    region = certificate.person.hukou_region
    while region.level > RegionLevel.COUNTY and region.parent_id:
        region = region.parent
    return _("{region}残疾人联合会").format(region=region.name)


def issue_ecert(certificate: Certificate, *, actor: Actor | Any, today: dt.date,
                form: str) -> ECert:
    """Make the e-certificate of a valid certificate (``form``: page, a4, card) and
    audit its issue; refused (``ecert_not_valid``) for any other state."""
    verdict = verdict_of(certificate, today)
    if verdict != Verdict.VALID:
        raise ValidationFailed([Problem("ecert_not_valid", "certificate", NOT_VALID,
                                        {"status": verdict.label})])
    token = tokens.make_token(certificate.pk, certificate.person_id, today)
    record(actor, AuditAction.EXPORT, "certificate", certificate.pk,
           person_id=certificate.person_id, region_code=certificate.person.hukou_region_id,
           data={"number": certificate.number_masked, "ecert": form})
    return ECert(certificate, token, federation_of(certificate))


def verify(token: str, today: dt.date) -> Verification:
    """The current state of the certificate a token names; 无效 for a token we did not
    sign, an altered one, or one naming no certificate we hold."""
    claims = tokens.read_token(token)
    if claims is None:
        return Verification(Verdict.INVALID)
    certificate = (Certificate.objects.select_related("person")
                   .filter(pk=claims.certificate_id, person_id=claims.person_id).first())
    if certificate is None:
        return Verification(Verdict.INVALID)
    return Verification(verdict_of(certificate, today), certificate.person.name,
                        certificate.number_masked, certificate.issue_date,
                        certificate.valid_until)


def certificate_by_number(number: str) -> Certificate | None:
    """The certificate with this full number, found by the keyed hash of its ID part
    (the number itself is never stored). For the command line, which is unscoped."""
    parts = split_certificate_number(number)
    if parts is None:
        return None
    id_part, category, level, reissue_count = parts
    return (Certificate.objects.select_related("person", "person__hukou_region")
            .filter(person__id_number_hash=hash_id(id_part), category=category, level=level,
                    reissue_count=reissue_count).first())
