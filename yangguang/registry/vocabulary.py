"""The words and columns of the registry's files, fixed in Chinese whatever the UI language.

They are file content, not UI text, and this module needs no Django set-up, so the
demo generator and the benchmarks can write files with it before Django starts.
"""

#: The import/export template: (column key, Chinese header, required).
COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("name", "姓名", True),
    ("id_number", "公民身份号码", True),
    ("certificate_number", "残疾人证号", True),
    ("category", "残疾类别", True),
    ("level", "残疾等级", True),
    ("hukou_region", "户籍地区划代码", True),
    ("issue_date", "发证日期", True),
    ("sex", "性别", False),
    ("birth_date", "出生日期", False),
    ("ethnicity", "民族", False),
    ("residence_region", "居住地区划代码", False),
    ("phone", "联系电话", False),
    ("household_number", "家庭编号", False),
    ("relation_to_head", "与户主关系", False),
    ("components", "多重残疾明细", False),
)
HEADERS: tuple[str, ...] = tuple(header for _key, header, _required in COLUMNS)
KEY_TO_HEADER: dict[str, str] = {key: header for key, header, _required in COLUMNS}
HEADER_TO_KEY: dict[str, str] = {header: key for key, header, _required in COLUMNS}

CATEGORY_NAMES = {1: "视力", 2: "听力", 3: "言语", 4: "肢体", 5: "智力", 6: "精神", 7: "多重"}
LEVEL_NAMES = {1: "一级", 2: "二级", 3: "三级", 4: "四级"}
SEX_NAMES = {1: "男", 2: "女"}
RELATION_NAMES = {
    "head": "户主", "spouse": "配偶", "child": "子女", "parent": "父母", "sibling": "兄弟姐妹",
    "grandparent": "祖父母", "grandchild": "孙子女", "child_in_law": "儿媳/女婿", "other": "其他",
}
