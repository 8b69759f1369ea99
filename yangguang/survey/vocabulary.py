"""The survey's coded answers: each code with its Chinese name, fixed in Chinese
whatever the UI language.

The names are file content (the import template's dropdowns, what the import accepts
beside the codes, the export), so this module needs no Django set-up: the demo
generator and the benchmark write files with it before Django starts. The models'
choices (``survey.models``) carry the same codes with translatable labels; a test
checks that both list the same codes.
"""

#: The import template: (column key, Chinese header, required), in the issue's order.
COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("id_number", "公民身份号码", True),
    ("year", "调查年度", True),
    ("reached", "是否入户调查", True),
    ("not_reached_reason", "未调查原因", False),
    ("employment_status", "就业状况", False),
    ("employment_form", "就业形式", False),
    ("vocational_training", "是否参加职业培训", False),
    ("household_income", "家庭人均收入（元）", False),
    ("pension_insurance", "养老保险状况", False),
    ("medical_insurance", "医疗保险状况", False),
    ("schooling", "受教育状况", False),
    ("rehabilitation_need", "康复需求", False),
    ("rehabilitation_received", "是否获得康复服务", False),
    ("device_need", "辅具需求", False),
    ("device_fitted", "是否适配辅具", False),
    ("care_need", "托养需求", False),
    ("care_received", "是否获得托养服务", False),
    ("accessibility_need", "无障碍改造需求", False),
    ("accessibility_done", "是否完成无障碍改造", False),
    ("support", "低保状况", False),
    ("main_difficulty", "主要困难", False),
    ("surveyor", "调查员", False),
    ("survey_date", "调查日期", False),
)
HEADERS: tuple[str, ...] = tuple(header for _key, header, _required in COLUMNS)
KEY_TO_HEADER: dict[str, str] = {key: header for key, header, _required in COLUMNS}

YES_NO = {True: "是", False: "否"}

NOT_REACHED_REASONS = {"deceased": "死亡", "moved": "迁出", "unreachable": "联系不上"}
EMPLOYMENT_STATUSES = {
    "employed": "已就业", "seeking": "未就业（有就业意愿）", "not_seeking": "未就业（无就业意愿）",
    "unable": "无劳动能力", "not_working_age": "不在劳动年龄段",
}
EMPLOYMENT_FORMS = {
    "quota": "按比例就业", "centralised": "集中就业", "self_employed": "个体就业",
    "public_welfare": "公益性岗位就业", "auxiliary": "辅助性就业", "flexible": "灵活就业",
    "agriculture": "农业种养加",
}
PENSION_INSURANCE = {
    "paying": "已参保缴费", "government_paid": "已参保（政府代缴）", "receiving": "已领取养老金",
    "not_insured": "未参保",
}
MEDICAL_INSURANCE = {
    "insured": "已参保", "government_subsidised": "已参保（政府资助）", "not_insured": "未参保",
}
SCHOOLING = {
    "not_enrolled": "未入学", "preschool": "学前教育", "compulsory": "义务教育",
    "home_delivered": "义务教育（送教上门）", "high_school": "高中阶段教育",
    "special_school": "特殊教育学校",
}
REHABILITATION_NEEDS = {
    "none": "无需求", "medical": "康复医疗", "training": "康复训练", "support": "支持性服务",
}
DEVICE_NEEDS = {
    "none": "无需求", "mobility": "移动类辅具", "visual": "视力类辅具", "hearing": "听力类辅具",
    "self_care": "生活自理类辅具", "prosthesis": "假肢矫形器",
}
CARE_NEEDS = {"none": "无需求", "residential": "寄宿制托养", "day": "日间照料", "home": "居家托养"}
SUPPORT = {"none": "未享受", "dibao": "低保", "tekun": "特困供养", "other": "其他救助"}
DIFFICULTIES = {
    "none": "无", "economic": "经济困难", "medical": "看病就医", "employment": "就业",
    "education": "子女教育", "housing": "住房", "care": "生活照料", "rehabilitation": "康复",
    "transport": "出行", "other": "其他",
}

#: The coded columns: column key → its vocabulary.
CODED: dict[str, dict[str, str]] = {
    "not_reached_reason": NOT_REACHED_REASONS,
    "employment_status": EMPLOYMENT_STATUSES,
    "employment_form": EMPLOYMENT_FORMS,
    "pension_insurance": PENSION_INSURANCE,
    "medical_insurance": MEDICAL_INSURANCE,
    "schooling": SCHOOLING,
    "rehabilitation_need": REHABILITATION_NEEDS,
    "device_need": DEVICE_NEEDS,
    "care_need": CARE_NEEDS,
    "support": SUPPORT,
    "main_difficulty": DIFFICULTIES,
}
#: The yes/no columns.
FLAGS: tuple[str, ...] = ("reached", "vocational_training", "rehabilitation_received",
                          "device_fitted", "care_received", "accessibility_need",
                          "accessibility_done")
#: What a yes/no cell may say.
YES_WORDS = frozenset({"是", "有", "1", "Y", "y", "yes", "Yes", "YES", "TRUE", "True", "true", "√"})
NO_WORDS = frozenset({"否", "无", "0", "N", "n", "no", "No", "NO", "FALSE", "False", "false", "×"})
