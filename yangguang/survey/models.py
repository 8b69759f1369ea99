"""The annual survey of basic services and needs (基本服务状况和需求调查, 动态更新).

One ``AnnualSurvey`` per certified person per year, recorded as coded facts with the
surveyor and the date, so that plan monitoring computes its indicators from them.
The codes and their Chinese names as file content are in ``vocabulary``; the choices
below carry the same codes with the labels the pages show. Every write goes through
``services``; what makes a survey valid is ``rules.check``.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from yangguang.registry.models import Person


class NotReachedReason(models.TextChoices):
    DECEASED = "deceased", _("死亡")
    MOVED = "moved", _("迁出")
    UNREACHABLE = "unreachable", _("联系不上")


class EmploymentStatus(models.TextChoices):
    EMPLOYED = "employed", _("已就业")
    SEEKING = "seeking", _("未就业（有就业意愿）")
    NOT_SEEKING = "not_seeking", _("未就业（无就业意愿）")
    UNABLE = "unable", _("无劳动能力")
    NOT_WORKING_AGE = "not_working_age", _("不在劳动年龄段")


class EmploymentForm(models.TextChoices):
    QUOTA = "quota", _("按比例就业")
    CENTRALISED = "centralised", _("集中就业")
    SELF_EMPLOYED = "self_employed", _("个体就业")
    PUBLIC_WELFARE = "public_welfare", _("公益性岗位就业")
    AUXILIARY = "auxiliary", _("辅助性就业")
    FLEXIBLE = "flexible", _("灵活就业")
    AGRICULTURE = "agriculture", _("农业种养加")


class PensionInsurance(models.TextChoices):
    PAYING = "paying", _("已参保缴费")
    GOVERNMENT_PAID = "government_paid", _("已参保（政府代缴）")
    RECEIVING = "receiving", _("已领取养老金")
    NOT_INSURED = "not_insured", _("未参保")


class MedicalInsurance(models.TextChoices):
    INSURED = "insured", _("已参保")
    GOVERNMENT_SUBSIDISED = "government_subsidised", _("已参保（政府资助）")
    NOT_INSURED = "not_insured", _("未参保")


class Schooling(models.TextChoices):
    NOT_ENROLLED = "not_enrolled", _("未入学")
    PRESCHOOL = "preschool", _("学前教育")
    COMPULSORY = "compulsory", _("义务教育")
    HOME_DELIVERED = "home_delivered", _("义务教育（送教上门）")
    HIGH_SCHOOL = "high_school", _("高中阶段教育")
    SPECIAL_SCHOOL = "special_school", _("特殊教育学校")


class RehabilitationNeed(models.TextChoices):
    NONE = "none", _("无需求")
    MEDICAL = "medical", _("康复医疗")
    TRAINING = "training", _("康复训练")
    SUPPORT = "support", _("支持性服务")


class DeviceNeed(models.TextChoices):
    NONE = "none", _("无需求")
    MOBILITY = "mobility", _("移动类辅具")
    VISUAL = "visual", _("视力类辅具")
    HEARING = "hearing", _("听力类辅具")
    SELF_CARE = "self_care", _("生活自理类辅具")
    PROSTHESIS = "prosthesis", _("假肢矫形器")


class CareNeed(models.TextChoices):
    NONE = "none", _("无需求")
    RESIDENTIAL = "residential", _("寄宿制托养")
    DAY = "day", _("日间照料")
    HOME = "home", _("居家托养")


class Support(models.TextChoices):
    NONE = "none", _("未享受")
    DIBAO = "dibao", _("低保")
    TEKUN = "tekun", _("特困供养")
    OTHER = "other", _("其他救助")


class Difficulty(models.TextChoices):
    NONE = "none", _("无")
    ECONOMIC = "economic", _("经济困难")
    MEDICAL = "medical", _("看病就医")
    EMPLOYMENT = "employment", _("就业")
    EDUCATION = "education", _("子女教育")
    HOUSING = "housing", _("住房")
    CARE = "care", _("生活照料")
    REHABILITATION = "rehabilitation", _("康复")
    TRANSPORT = "transport", _("出行")
    OTHER = "other", _("其他")


#: Column key → the choices of a coded field (the same keys as ``vocabulary.CODED``).
CHOICES: dict[str, type[models.TextChoices]] = {
    "not_reached_reason": NotReachedReason,
    "employment_status": EmploymentStatus,
    "employment_form": EmploymentForm,
    "pension_insurance": PensionInsurance,
    "medical_insurance": MedicalInsurance,
    "schooling": Schooling,
    "rehabilitation_need": RehabilitationNeed,
    "device_need": DeviceNeed,
    "care_need": CareNeed,
    "support": Support,
    "main_difficulty": Difficulty,
}


def _code(label: str, choices: type[models.TextChoices]) -> models.CharField:
    return models.CharField(label, max_length=24, choices=choices.choices, blank=True)


def _flag(label: str) -> models.BooleanField:
    return models.BooleanField(label, null=True, blank=True)


class AnnualSurvey(models.Model):
    """A certified person's answers to one year's survey (blank: not asked or not known)."""

    person = models.ForeignKey(  # indexed by the unique constraint
        Person, models.PROTECT, related_name="surveys", verbose_name=_("残疾人"), db_index=False,
    )
    year = models.PositiveSmallIntegerField(_("调查年度"))
    reached = models.BooleanField(_("是否入户调查"))
    not_reached_reason = _code(_("未调查原因"), NotReachedReason)
    employment_status = _code(_("就业状况"), EmploymentStatus)
    employment_form = _code(_("就业形式"), EmploymentForm)
    vocational_training = _flag(_("是否参加职业培训"))
    household_income = models.PositiveIntegerField(_("家庭人均收入（元）"), null=True, blank=True)
    pension_insurance = _code(_("养老保险状况"), PensionInsurance)
    medical_insurance = _code(_("医疗保险状况"), MedicalInsurance)
    schooling = _code(_("受教育状况"), Schooling)
    rehabilitation_need = _code(_("康复需求"), RehabilitationNeed)
    rehabilitation_received = _flag(_("是否获得康复服务"))
    device_need = _code(_("辅具需求"), DeviceNeed)
    device_fitted = _flag(_("是否适配辅具"))
    care_need = _code(_("托养需求"), CareNeed)
    care_received = _flag(_("是否获得托养服务"))
    accessibility_need = _flag(_("无障碍改造需求"))
    accessibility_done = _flag(_("是否完成无障碍改造"))
    support = _code(_("低保状况"), Support)
    main_difficulty = _code(_("主要困难"), Difficulty)
    surveyor = models.CharField(_("调查员"), max_length=50, blank=True)
    survey_date = models.DateField(_("调查日期"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("年度调查")
        verbose_name_plural = _("年度调查")
        ordering = ["person", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["person", "year"], name="survey_one_per_person_year"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.year}"


#: The answers (every field a survey records besides the person and the year).
ANSWERS: tuple[str, ...] = (
    "reached", "not_reached_reason", "employment_status", "employment_form",
    "vocational_training", "household_income", "pension_insurance", "medical_insurance",
    "schooling", "rehabilitation_need", "rehabilitation_received", "device_need",
    "device_fitted", "care_need", "care_received", "accessibility_need",
    "accessibility_done", "support", "main_difficulty", "surveyor", "survey_date",
)
