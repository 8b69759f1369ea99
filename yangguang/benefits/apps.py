from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from yangguang.core.contributions import Contributions, HomeCount, MenuEntry, PersonSection


class BenefitsConfig(AppConfig):
    name = "yangguang.benefits"
    label = "benefits"
    verbose_name = _("补贴")

    def ready(self) -> None:
        """Read and check every policy file at start: a server or command with a broken
        policy file does not start (the error names the file and the field)."""
        from yangguang.benefits import policy

        try:
            policy.policies()
        except policy.PolicyError as e:
            raise ImproperlyConfigured(str(e)) from e

    def contributions(self) -> Contributions:
        from yangguang.accounts.permissions import Capability
        from yangguang.benefits import selectors, services, views

        return Contributions(
            menu=[MenuEntry("benefits:programmes", _("补贴政策"), "benefits", Capability.VIEW_PERSON),
                  MenuEntry("benefits:screening", _("主动发现"), "benefits", Capability.VIEW_PERSON),
                  MenuEntry("benefits:screening_items", _("筛查待办"), "benefits",
                            Capability.VIEW_PERSON),
                  MenuEntry("benefits:applications", _("补贴申请"), "benefits", Capability.VIEW_PERSON),
                  MenuEntry("benefits:grants", _("补贴发放"), "benefits", Capability.VIEW_PERSON),
                  MenuEntry("benefits:payrolls", _("发放表"), "benefits", Capability.VIEW_PERSON)],
            counts=[HomeCount(_("办理中的补贴申请"), Capability.HANDLE_CASE,
                              selectors.open_applications_count, "benefits:applications"),
                    HomeCount(_("待跟进的筛查待办"), Capability.HANDLE_CASE,
                              selectors.open_items_count, "benefits:screening_items"),
                    HomeCount(_("待审定的补贴申请"), Capability.DECIDE_BENEFIT,
                              selectors.awaiting_decision_count, "benefits:applications")],
            person_sections=[PersonSection("benefits/person_section.html", Capability.VIEW_PERSON,
                                           views.person_section, order=50)],
            person_changes=[services.on_person_change],
        )
