from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from yangguang.core.contributions import Contributions, PersonAction


class CertificatesConfig(AppConfig):
    name = "yangguang.certificates"
    label = "certificates"

    def contributions(self) -> Contributions:
        """The e-certificate link on each certificate of the registry's person page
        (``core.contributions``: the registry, below this app, does not name it), shown
        when the certificate would get one (``ecert.issuable``)."""
        from yangguang.accounts.permissions import Capability
        from yangguang.certificates import ecert

        def issuable(certificate: Any, person: Any) -> bool:
            return ecert.issuable(certificate)

        return Contributions(person_actions=[
            PersonAction("certificates:ecert", _("电子证照"), Capability.VIEW_PERSON,
                         on="certificate", applies=issuable),
        ])
