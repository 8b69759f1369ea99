from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from yangguang.core.contributions import Contributions, HomeCount, MenuEntry, PersonAction


class ServicesConfig(AppConfig):
    name = "yangguang.services"
    label = "services"
    verbose_name = _("服务")

    def contributions(self) -> Contributions:
        """The loop's menu entries, home counts and the person timeline's sentences
        (``core.contributions``)."""
        from yangguang.accounts.permissions import Capability
        from yangguang.services import selectors, timeline

        return Contributions(
            menu=[
                MenuEntry("services:needs", _("服务需求"), "services", Capability.VIEW_SERVICES),
                MenuEntry("services:overdue", _("超期未满足的需求"), "services",
                          Capability.VIEW_SERVICES),
                MenuEntry("services:providers", _("服务机构"), "services", Capability.VIEW_SERVICES),
                MenuEntry("services:coverage", _("乡镇需求与服务资源"), "services",
                          Capability.VIEW_STATISTICS),
            ],
            counts=[
                HomeCount(_("待转介的服务需求"), Capability.RECORD_SERVICES, selectors.open_count,
                          "services:needs", "state=open"),
                HomeCount(_("超期未满足的服务需求"), Capability.VIEW_SERVICES,
                          selectors.overdue_count, "services:overdue"),
            ],
            person_actions=[
                PersonAction("services:person_needs", _("服务需求"), Capability.VIEW_SERVICES),
                PersonAction("services:need_new", _("登记服务需求"), Capability.RECORD_SERVICES,
                             applies=lambda record, person: person.deceased_date is None),
            ],
            timeline=timeline.DESCRIBERS,
        )

    def ready(self) -> None:
        from yangguang.imports import spec
        from yangguang.services.importing import PROVIDERS

        spec.register(PROVIDERS)

    def audit_objects(self) -> dict[str, Any]:
        """How the audit log labels the loop's events (``audit.describe``)."""
        from yangguang.audit.describe import ObjectKind
        from yangguang.services.models import (
            Need,
            Payer,
            Provider,
            ProviderKind,
            Referral,
            ServiceKind,
            ServiceOutcome,
            ServiceRecord,
        )
        from yangguang.services.states import NeedAction, NeedState, ReferralState

        kinds = {"kind": dict(ServiceKind.choices)}
        states = {**dict(NeedState.choices), **dict(ReferralState.choices)}
        keys = {"need": _("服务需求"), "provider": _("服务机构"), "day": _("日期"),
                "reason": _("原因"), "action": _("操作"), "kinds": _("服务类型"),
                "provider_id": _("服务机构编号")}
        return {
            "need": ObjectKind(Need._meta.verbose_name, Need, keys=keys,
                               values={**kinds, "state": states,
                                       "action": dict(NeedAction.choices)}),
            "referral": ObjectKind(Referral._meta.verbose_name, Referral, keys=keys,
                                   values={**kinds, "state": states}),
            "service_record": ObjectKind(ServiceRecord._meta.verbose_name, ServiceRecord,
                                         keys=keys, values={**kinds,
                                                            "payer": dict(Payer.choices),
                                                            "outcome": dict(ServiceOutcome.choices)}),
            "provider": ObjectKind(Provider._meta.verbose_name, Provider, keys=keys,
                                   values={"kind": dict(ProviderKind.choices)}),
        }
