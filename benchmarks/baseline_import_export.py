"""The baseline of the import benchmark: the same file into the same tables with
django-import-export in bulk mode.

This is what a competent developer would write with that library, following its
"Bulk imports → Performance tuning" advice: ``use_bulk`` with ``batch_size = 1000``,
``CachedInstanceLoader`` (here loading in chunks, so it also works past SQLite's
bound-parameter limit), a cached foreign-key widget for the regions, no HTML diff.
``skip_unchanged = True`` with ``import_id_fields`` = the ID-number hash, so
re-importing a file skips unchanged persons (the library needs ``skip_diff = False``
for that: it compares each row with a copy of the stored instance).

Per row, ``before_import_row`` checks and normalises the cells:

* the ID number with python-stdnum (``stdnum.cn.ric``: ``compact``, 15 → 18 digit
  upgrade with ``calc_check_digit``, length and format, check digit,
  ``get_birth_date``). The birthplace is checked against the project's region
  catalog as yangguang does, not with ``ric.validate``'s ``get_birth_place``: its
  ``cn/loc`` table disagrees with the GB/T 2260 history for about a quarter of the
  generated (valid) IDs and raises ``KeyError`` for some codes;
* every other cell with the project's own field rules (``registry/validation.py``:
  name, category, level, dates, ethnicity, phone, household number, relation,
  multiple-disability components, certificate number against ID/category/level,
  sex and birth date against the ID); duplicate IDs and two heads of one household
  in the file are rejected.

It derives sex, birth date, the masked ID and the keyed hash; a new person's ID is
encrypted (``crypto.encrypt_id``) in ``after_init_instance``. Region foreign keys
resolve through a cached widget (current regions at county level or below);
households are looked up by number and created (in bulk, before each batch of
persons) when new. For every new person the overridden ``bulk_create`` then writes,
batch by batch, the certificate (valid until issue date + 10 years, status valid or
expired), its status history (issued, and expired when it is) and the audit events
(``audit.services.record_many``: one per new person, naming its certificate, plus
one event for the import), i.e. the same rows yangguang's importer writes for a new person.

Not covered: the update path only updates person fields (a changed certificate on
re-import is not renewed/replaced as yangguang does); the benchmark times the
baseline on loads into an empty database only.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from import_export import resources
from import_export.fields import Field
from import_export.instance_loaders import CachedInstanceLoader, ModelInstanceLoader
from import_export.widgets import ForeignKeyWidget, Widget
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.util import isdigits

from yangguang.audit.models import AuditAction
from yangguang.audit.services import Actor, Event, record, record_many
from yangguang.core.crypto import encrypt_id, hash_id, mask_id
from yangguang.core.errors import ValidationFailed
from yangguang.regions import catalog
from yangguang.regions.models import Region
from yangguang.registry import validation as v
from yangguang.registry.models import (
    Certificate,
    CertificateStatus,
    CertificateStatusChange,
    Household,
    Person,
    Relation,
    Sex,
    StatusReason,
)
from yangguang.registry.rules import CERTIFICATE_VALIDITY_YEARS

# Columns of the import template (the file's headers).
NAME = "姓名"
ID_NUMBER = "公民身份号码"
CERTIFICATE_NUMBER = "残疾人证号"
CATEGORY = "残疾类别"
LEVEL = "残疾等级"
HUKOU = "户籍地区划代码"
ISSUE_DATE = "发证日期"
SEX = "性别"
BIRTH_DATE = "出生日期"
ETHNICITY = "民族"
RESIDENCE = "居住地区划代码"
PHONE = "联系电话"
HOUSEHOLD = "家庭编号"
RELATION = "与户主关系"
COMPONENTS = "多重残疾明细"

# Columns the resource adds to the dataset (before_import) or to each row.
ID18 = "_id18"
ID_HASH = "_id_hash"
ID_MASKED = "_id_masked"
CERT = "_certificate"

LOOKUP_CHUNK = 5000


class ChunkedCachedInstanceLoader(CachedInstanceLoader):
    """``CachedInstanceLoader`` that reads the import-id column of the dataset and
    queries it in chunks (one ``__in`` list of every row exceeds SQLite's parameter
    limit at a few hundred thousand rows)."""

    def __init__(self, resource, dataset=None):
        ModelInstanceLoader.__init__(self, resource, dataset)
        self.pk_field = resource.fields[resource.get_import_id_fields()[0]]
        self.all_instances = {}
        if dataset is None or self.pk_field.column_name not in (dataset.headers or ()):
            return
        keys = [k for k in dataset[self.pk_field.column_name] if k]
        queryset = self.get_queryset()
        for start in range(0, len(keys), LOOKUP_CHUNK):
            chunk = keys[start:start + LOOKUP_CHUNK]
            for instance in queryset.filter(**{f"{self.pk_field.attribute}__in": chunk}):
                self.all_instances[self.pk_field.get_value(instance)] = instance


class RegionWidget(ForeignKeyWidget):
    """A region by its 12-digit statistical code (or 6-digit county code); only
    current regions at county level or below.

    The library's advice for foreign keys in bulk imports is a widget that caches the
    queryset; this one reads it once into a dict. (The library's own
    ``CachedForeignKeyWidget`` builds a namedtuple class on every lookup, which cost
    the baseline about 15 % of its time: we don't hold that against it.)"""

    def __init__(self) -> None:
        super().__init__(Region, field="code")
        self.cache: dict[str, Region] | None = None

    def get_queryset(self, value, row, *args, **kwargs):
        return Region.objects.filter(valid_until__isnull=True, level__gte=3)

    def clean(self, value, row=None, **kwargs):
        code = v.clean_text(value)
        if not code:
            return None
        if len(code) == 6 and code.isdigit():
            code += "000000"
        if self.cache is None:
            self.cache = {r.code: r for r in self.get_queryset(value, row)}
        region = self.cache.get(code)
        if region is None:
            raise ValueError(f"区划代码“{code}”不存在、已停用或不是县级以下区划")
        return region


class HouseholdWidget(Widget):
    """A household by number; unknown numbers become new households (region: the
    hukou region of the first row naming them), saved by ``bulk_create``."""

    def __init__(self, resource: PersonResource) -> None:
        super().__init__()
        self.resource = resource
        self.known: dict[str, Household] | None = None

    def clean(self, value, row=None, **kwargs):
        number = v.clean_text(value)
        if not number:
            return None
        if self.known is None:
            self.known = {h.number: h for h in Household.objects.all()}
        household = self.known.get(number)
        if household is None:
            region = self.resource.regions.clean(row[HUKOU])
            household = Household(number=number, region=region)
            self.known[number] = household
            self.resource.new_households.append(household)
        return household


def _normalise_id(value: Any) -> str:
    """stdnum's compact form, legacy 15-digit numbers upgraded to 18 digits."""
    number = ric.compact(v.clean_text(value))
    if len(number) == 15 and isdigits(number):
        body = number[:6] + "19" + number[6:]
        number = body + ric.calc_check_digit(body + "0")
    return number


def _check_id(number: str, today: dt.date) -> v.IdNumber:
    """The checks of ``stdnum.cn.ric.validate`` (birthplace: see the module doc),
    plus yangguang's rules: no foreigners' numbers (9…), no future or pre-1880 births."""
    if not number:
        raise ValueError("公民身份号码不能为空")
    if len(number) != 18 or not number.isascii() or not isdigits(number[:-1]):
        raise ValueError("公民身份号码格式不正确")
    if number[0] == "9":
        raise ValueError("公民身份号码以9开头，属于外国人永久居留身份证")
    if number[-1] != ric.calc_check_digit(number):
        raise ValueError("公民身份号码校验码错误")
    try:
        birth = ric.get_birth_date(number)
    except StdnumError:
        raise ValueError("公民身份号码中的出生日期不是有效日期") from None
    if birth > today or birth.year < 1880:
        raise ValueError("公民身份号码中的出生日期不合理")
    if not catalog.birthplace_valid(number[:6], birth.year):
        raise ValueError("公民身份号码前6位不是有效的行政区划代码")
    sex = Sex.MALE if int(number[16]) % 2 else Sex.FEMALE
    return v.IdNumber(normalized=number, birth_date=birth, sex=sex,
                      birthplace_code=number[:6], upgraded_from_15=False)


class PersonResource(resources.ModelResource):
    id_number_hash = Field(attribute="id_number_hash", column_name=ID_HASH)
    id_number_masked = Field(attribute="id_number_masked", column_name=ID_MASKED)
    name = Field(attribute="name", column_name=NAME)
    sex = Field(attribute="sex", column_name=SEX)
    birth_date = Field(attribute="birth_date", column_name=BIRTH_DATE)
    ethnicity = Field(attribute="ethnicity", column_name=ETHNICITY)
    hukou_region = Field(attribute="hukou_region", column_name=HUKOU, widget=RegionWidget())
    residence_region = Field(attribute="residence_region", column_name=RESIDENCE)
    phone = Field(attribute="phone", column_name=PHONE)
    household = Field(attribute="household", column_name=HOUSEHOLD)
    relation_to_head = Field(attribute="relation_to_head", column_name=RELATION)

    class Meta:
        model = Person
        fields = ("id_number_hash", "id_number_masked", "name", "sex", "birth_date",
                  "ethnicity", "hukou_region", "residence_region", "phone", "household",
                  "relation_to_head")
        import_id_fields = ("id_number_hash",)
        use_bulk = True
        batch_size = 1000
        skip_unchanged = True
        skip_html_diff = True
        report_skipped = False
        instance_loader_class = ChunkedCachedInstanceLoader

    def __init__(self, actor: Actor | str = "bench:import-export", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.actor = Actor.of(actor)
        # One region cache for both region columns.
        self.regions: RegionWidget = self.fields["hukou_region"].widget
        self.fields["residence_region"].widget = self.regions
        self.fields["household"].widget = HouseholdWidget(self)
        self.new_households: list[Household] = []
        self.new_certificates: list[tuple[int, Certificate]] = []  # (row number, certificate)
        self.batch_id = uuid.uuid4().hex[:12]
        self.today = timezone.localdate()
        self.first_row_of_id: dict[str, int] = {}
        self.head_row_of_household: dict[str, int] = {}

    def get_queryset(self):
        # skip_unchanged compares foreign keys of the stored instance: fetch them with it.
        return Person.objects.select_related("household", "hukou_region", "residence_region")

    # -- the whole dataset

    def before_import(self, dataset, **kwargs):
        """Add the normalised ID and its keyed hash (the import id) as columns, so that
        the cached instance loader can fetch the stored persons in a few queries."""
        numbers = [_normalise_id(x) for x in dataset[ID_NUMBER]]
        dataset.append_col(numbers, header=ID18)
        dataset.append_col(
            [hash_id(n) if len(n) == 18 and n.isascii() else "" for n in numbers],
            header=ID_HASH,
        )

    # -- one row

    def before_import_row(self, row, **kwargs):
        """Check every cell and put the clean values back into the row."""
        number = kwargs.get("row_number", 0) + 1  # spreadsheet row: the header is row 1
        errors: dict[str, list[str]] = {}

        def attempt(column: str, fn, *args, **kw):
            try:
                return fn(*args, **kw)
            except ValidationFailed as exc:
                errors.setdefault(column, []).extend(p.message for p in exc.problems)
            except ValueError as exc:
                errors.setdefault(column, []).append(str(exc))
            return None

        id_number = attempt(ID_NUMBER, _check_id, row[ID18], self.today)
        name = attempt(NAME, v.parse_name, row.get(NAME))
        category = attempt(CATEGORY, v.parse_category, row.get(CATEGORY))
        level = attempt(LEVEL, v.parse_level, row.get(LEVEL))
        issue_date = attempt(ISSUE_DATE, v.parse_date, row.get(ISSUE_DATE), field="issue_date",
                             label="发证日期", today=self.today)
        ethnicity = attempt(ETHNICITY, v.parse_ethnicity, row.get(ETHNICITY))
        phone = attempt(PHONE, v.parse_phone, row.get(PHONE))
        household = attempt(HOUSEHOLD, v.parse_household_number, row.get(HOUSEHOLD))
        relation = attempt(RELATION, v.parse_relation, row.get(RELATION))
        if not v.clean_text(row.get(HUKOU)):
            errors.setdefault(HUKOU, []).append("户籍地区划代码不能为空")
        if relation and household == "":
            errors.setdefault(RELATION, []).append("填写了与户主关系但没有家庭编号")
        components = None
        if category is not None and level is not None:
            components = attempt(COMPONENTS, v.parse_components, row.get(COMPONENTS),
                                 category, level)
        sex = birth_date = certificate_number = None
        if id_number is not None:
            sex = attempt(SEX, v.check_sex, row.get(SEX), id_number)
            birth_date = attempt(BIRTH_DATE, v.check_birth_date, row.get(BIRTH_DATE), id_number)
            if issue_date is not None and issue_date < id_number.birth_date:
                errors.setdefault(ISSUE_DATE, []).append("发证日期早于出生日期")
            if category is not None and level is not None:
                certificate_number = attempt(CERTIFICATE_NUMBER, v.parse_certificate_number,
                                             row.get(CERTIFICATE_NUMBER), id_number, category,
                                             level)
        if not errors and id_number is not None:
            first = self.first_row_of_id.setdefault(row[ID_HASH], number)
            if first != number:
                errors[ID_NUMBER] = [f"与第{first}行的公民身份号码重复"]
            elif relation == Relation.HEAD:
                head = self.head_row_of_household.setdefault(household, number)
                if head != number:
                    errors[RELATION] = [f"家庭编号{household}在第{head}行已有户主"]
        if errors:
            raise ValidationError(errors)

        row[ID_MASKED] = mask_id(id_number.normalized)
        row[NAME] = name
        row[SEX] = sex
        row[BIRTH_DATE] = birth_date
        row[ETHNICITY] = ethnicity
        row[PHONE] = phone
        row[HOUSEHOLD] = household
        row[RELATION] = relation if household else ""
        valid_until = v.add_years(issue_date, CERTIFICATE_VALIDITY_YEARS)
        row[CERT] = {
            "category": category, "level": level, "components": components,
            "reissue_count": certificate_number.reissue_count, "issue_date": issue_date,
            "valid_until": valid_until,
            "status": (CertificateStatus.VALID if valid_until >= self.today
                       else CertificateStatus.EXPIRED),
        }

    def after_init_instance(self, instance, new, row, **kwargs):
        if new:
            # Encrypted only when the person is created: AES-GCM uses a random nonce,
            # so re-encrypting would make every re-imported row look changed.
            instance.id_number_encrypted = encrypt_id(row[ID18])

    def after_save_instance(self, instance, row, **kwargs):
        """In bulk mode this runs when the person joins the batch (not yet saved): queue
        its certificate, written by ``bulk_create`` once the person has its key."""
        if instance.pk is None:
            certificate = Certificate(person=instance, **row[CERT])
            self.new_certificates.append((kwargs.get("row_number", 0) + 1, certificate))

    # -- one batch

    def _save_new_households(self, batch_size: int | None) -> None:
        if self.new_households:
            Household.objects.bulk_create(self.new_households, batch_size=batch_size)
            self.new_households.clear()

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None,
                    result=None):
        """Households, persons, then their certificates, status history and audit events."""
        if not self.create_instances or (dry_run and not using_transactions):
            self.create_instances.clear()
            self.new_certificates.clear()
            return
        try:
            now = timezone.now()
            self._save_new_households(batch_size)
            Person.objects.bulk_create(self.create_instances, batch_size=batch_size)
            Certificate.objects.bulk_create([c for _row, c in self.new_certificates],
                                            batch_size=batch_size)
            history = []
            events = []
            for row_number, c in self.new_certificates:
                person = c.person
                events.append(Event(
                    AuditAction.CREATE, "person", str(person.pk), person.pk,
                    person.hukou_region_id,
                    {"import": self.batch_id, "row": row_number,
                     "certificate": {"action": "new", "suffix": c.suffix,
                                     "issue_date": str(c.issue_date)}}))
                history.append(CertificateStatusChange(
                    certificate=c, status=CertificateStatus.VALID, reason=StatusReason.ISSUED,
                    effective_date=c.issue_date))
                if c.status == CertificateStatus.EXPIRED:
                    history.append(CertificateStatusChange(
                        certificate=c, status=CertificateStatus.EXPIRED,
                        reason=StatusReason.EXPIRED, effective_date=c.valid_until))
            CertificateStatusChange.objects.bulk_create(history, batch_size=batch_size)
            record_many(self.actor, events, now=now)
        except Exception as e:
            self.handle_import_error(result, e, raise_errors)
        finally:
            self.create_instances.clear()
            self.new_certificates.clear()

    def bulk_update(self, using_transactions, dry_run, raise_errors, batch_size=None,
                    result=None):
        if self.update_instances and (using_transactions or not dry_run):
            self._save_new_households(batch_size)
        super().bulk_update(using_transactions, dry_run, raise_errors, batch_size=batch_size,
                            result=result)

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        if not kwargs.get("dry_run") and (result.totals["new"] or result.totals["update"]):
            record(self.actor, AuditAction.IMPORT, "import", self.batch_id,
                   data={"rows": result.total_rows, "created": result.totals["new"],
                         "updated": result.totals["update"],
                         "unchanged": result.totals["skip"],
                         "rejected": result.totals["invalid"] + result.totals["error"]})


def load_dataset(path: str):
    """Read the file as import-export's ``import`` command does (its format classes)."""
    from import_export.formats.base_formats import CSV, XLSX

    if str(path).lower().endswith(".xlsx"):
        with open(path, "rb") as f:
            return XLSX().create_dataset(f.read())
    # The template's CSV has a UTF-8 BOM (what Excel writes and opens).
    with open(path, encoding="utf-8-sig") as f:
        return CSV().create_dataset(f.read())


def import_file(path: str):
    """Load ``path`` in one transaction; returns import-export's ``Result``."""
    dataset = load_dataset(path)
    return PersonResource().import_data(dataset, dry_run=False, use_transactions=True)
