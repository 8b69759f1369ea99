"""Request and response bodies of API v1.

Input fields are mostly text, as in the import template: the registry's field rules
(``registry.validation`` through ``rules.parse_row``) check them, so the API
accepts what the template accepts (``肢体`` or ``4``, ``2021/3/5`` …) and reports
the same error codes. The schema itself only checks shapes (types, unknown fields,
lengths of free text).

Responses never carry a full ID or certificate number: only ``id_number_masked`` and
``number_masked`` (``6301**********1235``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict, field_validator
from pydantic_core import PydanticCustomError

from yangguang.core import text

# Free text in a query string, as the one text rule allows it (documented in OpenAPI).
PRINTABLE = text.LINE_PATTERN


def _refuse_bad_text(value: Any) -> None:
    if isinstance(value, str):
        if not text.is_clean(value):
            raise PydanticCustomError(text.CODE, "control or invalid character")
    elif isinstance(value, dict):
        for item in value.values():
            _refuse_bad_text(item)
    elif isinstance(value, list):
        for item in value:
            _refuse_bad_text(item)


class Input(Schema):
    """A request body. Every text in it, nested too, follows the one text rule
    (``core.text``), before anything else reads it: a lone surrogate (``"\\ud800"``)
    could not even be echoed in an error message."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _clean_text(cls, value: Any) -> Any:
        _refuse_bad_text(value)
        return value


# ---------------------------------------------------------------------------
# Errors


class FieldError(Schema):
    field: str = Field(description="出错的字段，如 id_number")
    code: str = Field(description="稳定的错误代码，如 id_checksum")
    message: str = Field(description="错误说明（按请求语言，默认中文）")


class Error(Schema):
    code: str = Field(description="稳定的错误代码：validation_failed、token_missing、token_invalid、"
                                  "forbidden、not_found、bad_request、server_error 等")
    message: str = Field(description="错误说明（按请求语言，默认中文）")
    errors: list[FieldError] = Field(description="各字段的问题；没有时为空列表")


# ---------------------------------------------------------------------------
# Regions


class RegionRef(Schema):
    code: str = Field(description="12位统计用区划代码")
    name: str
    full_name: str = Field(description="含上级的全称，如 青海省西宁市城东区")


class RegionItem(Schema):
    code: str
    name: str
    full_name: str
    level: int = Field(description="1省级 2地级 3县级 4乡级 5村级")
    level_label: str
    parent: str | None = Field(description="上级区划代码")
    valid_until: dt.date | None = Field(description="停用日期；现行区划为 null")


class RegionDetail(RegionItem):
    urban_rural_class: str
    former_names: str
    ancestors: list[RegionRef] = Field(description="上级区划，省级在前")
    children: list[RegionItem] = Field(description="下一级区划（默认只含现行区划）")


# ---------------------------------------------------------------------------
# Certificates


class Component(Schema):
    category: int
    level: int


class CertificateSummary(Schema):
    id: int
    number_masked: str = Field(description="残疾人证号，身份号码部分已遮蔽")
    category: int
    category_label: str
    level: int
    level_label: str
    components: list[Component]
    reissue_count: int
    issue_date: dt.date
    valid_until: dt.date
    status: str
    status_label: str


class CertificateItem(CertificateSummary):
    person_id: int


class StatusChangeOut(Schema):
    status: str
    status_label: str
    reason: str
    reason_label: str
    effective_date: dt.date
    note: str


class CertificateDetail(CertificateItem):
    history: list[StatusChangeOut]


class CertificateIssue(Input):
    category: int | str = Field(description="残疾类别：1–7 或 视力、听力、言语、肢体、智力、精神、多重",
                                examples=[4])
    level: int | str = Field(description="残疾等级：1–4 或 一级至四级", examples=[2])
    issue_date: str = Field(description="发证日期，如 2021-03-05", examples=["2021-03-05"])
    reissue_count: int = Field(0, ge=0, le=99, description="补发次数：证号后缀 B1、B2 …；0 为无后缀")
    components: str | list[Component] | None = Field(
        None, description="仅多重残疾：如“视力二级；肢体三级”或 [{\"category\": 1, \"level\": 2}, …]")


class ReassessmentIn(Input):
    institution: str = Field(max_length=100, pattern=PRINTABLE, description="评定机构")
    assessed_on: str = Field(description="评定日期，如 2024-05-01", examples=["2024-05-01"])
    category: int | str = Field(description="评定的残疾类别：1–7 或名称", examples=[4])
    level: int | str = Field(description="评定的残疾等级：1–4 或 一级至四级", examples=[3])
    components: str | list[Component] | None = Field(
        None, description="仅多重残疾：如“视力二级；肢体三级”或 [{\"category\": 1, \"level\": 2}, …]")
    effective_date: str = Field(description="生效日期：新证的发证日期，原证同日注销",
                                examples=["2024-05-10"])


class StatusChange(Input):
    status: Literal["frozen", "valid", "cancelled"] = Field(
        description="新状态：frozen 冻结、valid 恢复为有效、cancelled 注销")
    reason: Literal["moved_away", "no_longer_eligible", "voluntary", "other"] | None = Field(
        None, description="冻结或注销的原因（恢复时不填）：冻结可用 moved_away、other；"
                          "注销可用 moved_away、no_longer_eligible、voluntary、other")
    effective_date: str | None = Field(None, description="生效日期，默认今天", examples=["2024-05-01"])
    note: str = Field("", max_length=200, pattern=PRINTABLE, description="说明")


# ---------------------------------------------------------------------------
# Persons


class HouseholdRef(Schema):
    id: int
    number: str


class PersonItem(Schema):
    id: int
    name: str
    id_number_masked: str = Field(description="公民身份号码，已遮蔽")
    sex: int
    sex_label: str
    birth_date: dt.date
    hukou_region: RegionRef
    deceased_date: dt.date | None
    certificate: CertificateSummary | None = Field(description="当前（未注销）的残疾人证")


class PersonDetail(PersonItem):
    ethnicity: str = Field(description="民族代码（GB/T 3304）")
    ethnicity_label: str
    residence_region: RegionRef | None
    phone: str
    household: HouseholdRef | None
    relation_to_head: str
    relation_label: str
    certificates: list[CertificateSummary] = Field(description="全部残疾人证，发证日期新的在前")
    created_at: dt.datetime
    updated_at: dt.datetime


class PersonFields(Input):
    """The fields of a person that an update may set (not the ID number, sex or birth date)."""

    name: str | None = Field(None, description="姓名")
    hukou_region: str | None = Field(None, description="户籍地：6位县级或12位区划代码",
                                     examples=["630102"])
    ethnicity: str | None = Field(None, description="民族名称或两位代码")
    residence_region: str | None = Field(None, description="居住地区划代码；与户籍地相同可不填")
    phone: str | None = Field(None, description="联系电话")
    household_number: str | None = Field(None, description="家庭编号")
    relation_to_head: str | None = Field(None, description="与户主关系")


class PersonReplace(PersonFields):
    """PUT: every field; those left out are cleared."""

    name: str = Field(description="姓名")
    hukou_region: str = Field(description="户籍地：6位县级或12位区划代码", examples=["630102"])


class PersonCreate(PersonReplace):
    """POST: a row of the import template, by column key."""

    id_number: str = Field(description="公民身份号码：18位（末位可为X），或15位旧号码",
                           examples=["630102199001011235"])
    certificate_number: str = Field(description="残疾人证号：身份号码+类别代码+等级代码，补发证加B1、B2",
                                    examples=["63010219900101123542"])
    category: int | str = Field(description="残疾类别：1–7 或名称", examples=[4])
    level: int | str = Field(description="残疾等级：1–4 或 一级至四级", examples=[2])
    issue_date: str = Field(description="发证日期", examples=["2021-03-05"])
    sex: int | str | None = Field(None, description="性别：男/女 或 1/2；不填则取自身份号码")
    birth_date: str | None = Field(None, description="出生日期；不填则取自身份号码")
    components: str | list[Component] | None = Field(None, description="仅多重残疾填写")


# ---------------------------------------------------------------------------
# Households


class HouseholdStatusOut(Schema):
    status: str
    status_label: str
    start_date: dt.date
    end_date: dt.date | None


class HouseholdItem(Schema):
    id: int
    number: str
    region: RegionRef


class HouseholdMember(Schema):
    id: int
    name: str
    id_number_masked: str
    relation_to_head: str
    relation_label: str


class HouseholdDetail(HouseholdItem):
    statuses: list[HouseholdStatusOut]
    members: list[HouseholdMember] = Field(description="您管辖范围内的家庭成员")


class Verification(Schema):
    state: Literal["valid", "invalid", "cancelled", "expired"] = Field(
        description="valid 有效、invalid 无效、cancelled 已注销、expired 已过期")
    state_label: str
    name: str = Field(description="持证人姓名；无效时为空")
    number_masked: str = Field(description="遮蔽的残疾人证号；无效时为空")
    issue_date: dt.date | None
    valid_until: dt.date | None
