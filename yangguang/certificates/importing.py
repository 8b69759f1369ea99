"""The ``certificate-applications`` import kind: applications on paper, brought in
bulk by a county moving to the platform (the shared import's plain row path).

Each row is one application (any of the six kinds) for a registered person, named by
ID number and name; its fields are checked by the same rules as the form and the API
(``rules.parse_application``) and the case is opened by ``services.open_case``, which
checks who may apply now and where the importing user may lodge it (the hukou county,
or for 跨省通办 the county of usual residence with the residence permit number).
Importing a file again changes nothing: an application of the same kind and day for
the same person is ``unchanged``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _

from yangguang.accounts.permissions import Capability
from yangguang.certificates import rules, services
from yangguang.certificates.models import Applicant, CancellationReason, CaseKind, CertificateCase
from yangguang.core.errors import Problem, ValidationFailed
from yangguang.imports import spec
from yangguang.imports.running import Context
from yangguang.registry import validation as v

MESSAGES = {
    "application_duplicate_in_file": _("与第{row}行是同一人的申请：一人同时只能有一件办理中的业务"),
}
L = rules.APPLICATION_LABELS


def _choice(choices: type[TextChoices], field: str) -> Any:
    """A cell naming one of ``choices`` by its Chinese label or its code."""
    by_label = {str(label): value for value, label in choices.choices}

    def parse(cell: Any) -> str:
        text = v.clean_text(cell)
        value = by_label.get(text, text if text in choices.values else None)
        if value is None:
            raise ValidationFailed([rules.problem("choice_invalid", field, label=L[field],
                                                  value=text)])
        return value

    return parse


def _labels(choices: type[TextChoices]) -> tuple[str, ...]:
    return tuple(str(label) for label in choices.labels)


@dataclass(frozen=True)
class ApplicationRow:
    id_number: str
    name: str
    values: dict[str, Any]  # the application's fields, as the form gives them


class ApplicationsKind(spec.ImportKind):
    name = "certificate-applications"
    label = _("残疾人证申请")
    sheet = "残疾人证申请"
    capability = Capability.HANDLE_CASE
    region_key = "id_number"
    columns = (
        spec.Column("id_number", "公民身份号码", True,
                    _("申请人已登记的18位公民身份号码，请将本列设为文本格式"), text=True, width=22),
        spec.Column("name", "姓名", True, _("与登记的姓名一致")),
        spec.Column("kind", "业务类型", True, _("新办、换领、迁移、挂失补办、注销或类别/等级变更"),
                    parse=_choice(CaseKind, "kind"), choices=_labels(CaseKind)),
        spec.Column("applicant", "申请方式", False, _("不填为本人申请"),
                    parse=_choice(Applicant, "applicant"), choices=_labels(Applicant)),
        spec.Column("guardian_name", "监护人姓名", False,
                    _("未成年人及智力、精神残疾人由监护人代为申请")),
        spec.Column("applied_on", "申请日期", False, _("不填为导入当天；如2021-03-05"),
                    date=True, width=12),
        spec.Column("target_region", "迁入地区划代码", False,
                    _("仅迁移填写：新户籍地的6位县级代码或12位代码"), text=True),
        spec.Column("cancellation_reason", "注销原因", False, _("仅注销填写"),
                    parse=_choice(CancellationReason, "cancellation_reason"),
                    choices=_labels(CancellationReason)),
        spec.Column("residence_region", "常住地区划代码", False,
                    _("在常住地（非户籍地）申请跨省通办时填写"), text=True),
        spec.Column("residence_permit", "居住证号码", False, _("跨省通办时必填"), text=True),
        spec.Column("note", "说明", False, _("如材料情况、上门办证等"), width=30),
    )
    notes = (_("每行一件申请。申请人须已在户籍地登记；导入后申请处于“已申请”状态，按业务办理。"),)

    def make(self, values: dict[str, Any], context: Context) -> ApplicationRow:
        application = {key: value for key, value in values.items()
                       if key not in ("id_number", "name") and value is not None}
        rules.parse_application(application, today=context.today)  # every field problem
        return ApplicationRow(v.clean_text(values["id_number"]), v.clean_text(values["name"]),
                              application)

    def check(self, rows: list[spec.Row], context: Context) -> None:
        first_row = context.seen.setdefault("applicants", {})
        for row in rows:
            first = first_row.setdefault(row.data.id_number, row.number)
            if first != row.number:
                row.problems.append(Problem("application_duplicate_in_file", "id_number",
                                            MESSAGES["application_duplicate_in_file"],
                                            {"row": first}))

    def write(self, row: spec.Row, context: Context) -> spec.Outcome:
        data: ApplicationRow = row.data
        person = services.applicant(data.id_number, data.name)
        application = rules.parse_application(data.values, today=context.today)
        if CertificateCase.objects.filter(person=person, kind=application.kind,
                                          applied_on=application.applied_on).exists():
            return spec.Outcome.UNCHANGED
        services.open_case(person, data.values, actor=context.actor, today=context.today,
                           scope=context.scope)
        return spec.Outcome.CREATED


APPLICATIONS = ApplicationsKind()
