from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from yangguang.core.contributions import Contributions, HomeCount, MenuEntry, PersonAction


class SurveyConfig(AppConfig):
    name = "yangguang.survey"
    label = "survey"
    verbose_name = _("年度调查")

    def contributions(self) -> Contributions:
        """The completion page in the menu and the persons not yet surveyed this year
        on the home page (see ``core.contributions``)."""
        from yangguang.accounts.permissions import Capability
        from yangguang.survey import selectors

        return Contributions(
            menu=[MenuEntry("survey:completion", _("年度调查进度"), "persons",
                            Capability.VIEW_PERSON)],
            counts=[HomeCount(_("本年度尚未调查的持证残疾人"), Capability.VIEW_PERSON,
                              selectors.not_surveyed_count, "survey:completion")],
            person_actions=[PersonAction("survey:person", _("年度调查"), Capability.VIEW_PERSON)],
        )

    def ready(self) -> None:
        from yangguang.imports import spec
        from yangguang.survey.importing import SURVEYS

        spec.register(SURVEYS)

    def audit_objects(self) -> dict[str, Any]:
        """How the audit log labels the survey's events (``audit.describe``)."""
        from yangguang.audit.describe import ObjectKind
        from yangguang.survey.models import AnnualSurvey

        return {"survey": ObjectKind(AnnualSurvey._meta.verbose_name, AnnualSurvey)}
