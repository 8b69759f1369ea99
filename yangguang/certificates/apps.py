from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from yangguang.core.contributions import (
    Contributions,
    HomeCount,
    MenuEntry,
    PersonAction,
    PersonSection,
)


class CertificatesConfig(AppConfig):
    name = "yangguang.certificates"
    label = "certificates"

    def contributions(self) -> Contributions:
        """The e-certificate link on each certificate of the registry's person page
        (``core.contributions``: the registry, below this app, does not name it), shown
        when the certificate would get one (``ecert.issuable``); the person's cases (and a
        new application) as a section of that page, their steps in its history; the case
        list and the worklist in the menu, their counts on the home page."""
        from yangguang.accounts.permissions import Capability
        from yangguang.certificates import ecert, person_page, selectors

        def issuable(certificate: Any, person: Any) -> bool:
            return ecert.issuable(certificate)

        return Contributions(
            menu=[
                MenuEntry("certificates:cases", _("残疾人证业务"), "persons",
                          Capability.VIEW_PERSON),
                MenuEntry("certificates:worklist", _("残疾人证待办"), "persons",
                          Capability.VIEW_PERSON),
            ],
            counts=[
                HomeCount(_("办理中的残疾人证业务"), Capability.VIEW_PERSON,
                          selectors.open_cases_count, "certificates:cases", "open=on"),
                HomeCount(_("办理时限将到或已过的业务"), Capability.VIEW_PERSON,
                          selectors.due_cases_count, "certificates:worklist"),
            ],
            person_actions=[
                PersonAction("certificates:ecert", _("电子证照"), Capability.VIEW_PERSON,
                             on="certificate", applies=issuable),
            ],
            person_sections=[PersonSection("certificates/person_section.html",
                                           Capability.VIEW_PERSON, person_page.cases_section,
                                           order=20)],
            timeline={"certificate_case": person_page.describe},
        )

    def ready(self) -> None:
        from yangguang.certificates.importing import APPLICATIONS
        from yangguang.imports import spec

        spec.register(APPLICATIONS)

    def audit_objects(self) -> dict[str, Any]:
        """How the audit log labels the case events (``audit.describe``)."""
        from yangguang.audit.describe import ObjectKind
        from yangguang.certificates.models import CaseState, CertificateCase
        from yangguang.certificates.workflow import Action

        return {
            "certificate_case": ObjectKind(
                CertificateCase._meta.verbose_name, CertificateCase,
                values={"action": dict(Action.choices), "state": dict(CaseState.choices)},
                keys={"action": _("操作"), "day": _("日期"), "reason": _("原因"),
                      "effective_on": _("生效日期"), "dispute_until": _("异议期限"),
                      "dispute_level": _("复评次数"), "number": _("残疾人证号"),
                      "category": _("残疾类别"), "level": _("残疾等级")}),
        }
