from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from yangguang.core.contributions import Contributions, HomeCount, HomePanel, MenuEntry


class RegistryConfig(AppConfig):
    name = "yangguang.registry"
    label = "registry"

    def contributions(self) -> Contributions:
        """The registry's menu entries and home-page counts and panels (see
        ``core.contributions``; imported here, once the models are loaded)."""
        from yangguang.accounts.permissions import Capability
        from yangguang.registry import selectors
        from yangguang.registry.home import imports_panel, regions_panel, search_panel
        from yangguang.registry.models import CertificateStatus

        return Contributions(
            menu=[
                MenuEntry("registry:search", _("查询人员"), "persons", Capability.VIEW_PERSON),
                MenuEntry("registry:create", _("登记人员"), "persons", Capability.EDIT_PERSON),
                MenuEntry("registry:import", _("批量导入"), "persons", Capability.EDIT_PERSON),
                MenuEntry("statistics:index", _("地区统计"), "persons", Capability.VIEW_STATISTICS),
            ],
            counts=[
                HomeCount(_("辖区内在世的残疾人"), Capability.VIEW_PERSON,
                          selectors.living_persons_count, "registry:search"),
                HomeCount(_("90天内到期的残疾人证"), Capability.VIEW_PERSON,
                          lambda user: selectors.certificates_count(
                              user, CertificateStatus.VALID, expiring_within=90)),
                HomeCount(_("已过期待换领的残疾人证"), Capability.EDIT_PERSON,
                          lambda user: selectors.certificates_count(user, CertificateStatus.EXPIRED),
                          "registry:search", f"status={CertificateStatus.EXPIRED}"),
                HomeCount(_("冻结中的残疾人证"), Capability.CHANGE_CERTIFICATE,
                          lambda user: selectors.certificates_count(user, CertificateStatus.FROZEN),
                          "registry:search", f"status={CertificateStatus.FROZEN}"),
                HomeCount(_("户籍迁出、即将注销的冻结残疾人证"), Capability.CHANGE_CERTIFICATE,
                          lambda user: selectors.frozen_nearing_cancellation(user).count(),
                          "registry:search", f"status={CertificateStatus.FROZEN}"),
                HomeCount(_("近7天的导入"), Capability.EDIT_PERSON,
                          lambda user: selectors.imports_count(user, within=7), "registry:import"),
            ],
            panels=[
                HomePanel("registry/home/search.html", Capability.VIEW_PERSON, search_panel, order=10),
                HomePanel("registry/home/regions.html", Capability.VIEW_STATISTICS, regions_panel, order=20),
                HomePanel("registry/home/imports.html", Capability.EDIT_PERSON, imports_panel, order=30),
            ],
        )

    def ready(self) -> None:
        from yangguang.imports import spec
        from yangguang.registry import criteria
        from yangguang.registry.household_statuses import HOUSEHOLD_STATUSES
        from yangguang.registry.importing import PERSONS

        spec.register(PERSONS)
        spec.register(HOUSEHOLD_STATUSES)
        criteria.entries()  # the shared criteria are read and checked at start

    def audit_objects(self) -> dict[str, Any]:
        """How the audit log labels the registry's events (``audit.describe``)."""
        from yangguang.audit.describe import ObjectKind
        from yangguang.registry import selectors
        from yangguang.registry.models import (
            Assessment,
            Certificate,
            HouseholdStatus,
            Person,
            StatusReason,
        )

        def names(ids: Any) -> dict[str, str]:
            numeric = [int(i) for i in ids if str(i).isdigit()]
            return {str(pk): name for pk, name in selectors.person_names(numeric).items()}

        return {
            "person": ObjectKind(Person._meta.verbose_name, Person, names=names,
                                 masked=frozenset({"phone", "guardian_phone"})),
            "certificate": ObjectKind(Certificate._meta.verbose_name, Certificate,
                                      values={"reason": dict(StatusReason.choices)},
                                      keys={"renewed": _("换领"), "reason": _("原因")}),
            "assessment": ObjectKind(Assessment._meta.verbose_name, Assessment),
            "household_status": ObjectKind(HouseholdStatus._meta.verbose_name, HouseholdStatus,
                                           keys={"household": _("家庭编号"), "start": _("开始日期"),
                                                 "end": _("结束日期")}),
            "import": ObjectKind(_("批量导入")),
        }

    def audit_persons(self) -> Any:
        """The audit log's directory of persons (``audit.describe.PersonDirectory``)."""
        from yangguang.audit.describe import PersonDirectory
        from yangguang.registry import selectors

        return PersonDirectory(names=selectors.person_names, id_key=selectors.id_key,
                               find=selectors.person_ids)
