"""Person exports in the import template's format.

``export_persons`` writes a region's persons in the layout of the ``persons`` import
kind's template (``imports.workbook``), so an export can be edited and imported
again (an unedited export re-imports with every row ``unchanged``). It streams rows
with openpyxl's write-only mode, so a province-sized export does not sit in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from yangguang.audit.models import AuditAction
from yangguang.audit.services import Actor, record
from yangguang.core.crypto import decrypt_id
from yangguang.imports import workbook
from yangguang.regions.models import Region
from yangguang.regions.selectors import resolve_region, subtree
from yangguang.registry import validation
from yangguang.registry.importing import CATEGORY_NAMES, COLUMNS, PERSONS
from yangguang.registry.models import Certificate, CertificateStatus, Person
from yangguang.registry.services import CertificateData
from yangguang.registry.vocabulary import LEVEL_NAMES, RELATION_NAMES, SEX_NAMES

# ---------------------------------------------------------------------------
# Export

_FIELDS = (
    "person__id_number_encrypted", "person__name", "person__sex", "person__birth_date",
    "person__ethnicity", "person__hukou_region_id", "person__residence_region_id",
    "person__phone", "person__household__number", "person__relation_to_head",
    "category", "level", "reissue_count", "components", "issue_date",
)


def _export_rows(region: Region, persons: QuerySet[Person] | None = None
                 ) -> Iterator[dict[str, Any]]:
    """The region's living persons with an open certificate, by column key."""
    categories = CATEGORY_NAMES
    ethnicities = validation.ethnicities()
    certificates = (
        Certificate.objects
        .filter(person__hukou_region__in=subtree(region), person__deceased_date__isnull=True)
        .exclude(status=CertificateStatus.CANCELLED)
    )
    if persons is not None:
        certificates = certificates.filter(person__in=persons.order_by().values("pk"))
    certificates = certificates.order_by("person_id").values_list(*_FIELDS)
    for (encrypted, name, sex, birth_date, ethnicity, hukou, residence, phone, household,
         relation, category, level, reissue_count, components, issue_date
         ) in certificates.iterator(chunk_size=2000):
        id_number = decrypt_id(encrypted)
        yield {
            "name": name,
            "id_number": id_number,
            "certificate_number": id_number + CertificateData(
                category, level, issue_date, reissue_count).suffix(),
            "category": categories[category],
            "level": LEVEL_NAMES[level],
            "hukou_region": hukou,
            "issue_date": issue_date,
            "sex": SEX_NAMES[sex],
            "birth_date": birth_date,
            "ethnicity": ethnicities.get(ethnicity, ethnicity),
            "residence_region": residence,
            "phone": phone,
            "household_number": household,
            "relation_to_head": RELATION_NAMES.get(relation, relation),
            "components": validation.format_components(components) if components else "",
        }


def export_persons(region_code: str, path: str | Path, *, actor: Actor | Any,
                   persons: QuerySet[Person] | None = None,
                   criteria: dict[str, Any] | None = None, file_name: str = "") -> int:
    """Write the persons whose hukou is in the region's subtree to an XLSX file.

    Exported are living persons with an open (not cancelled) certificate, one row each,
    in the template's columns; ID and certificate numbers are decrypted for the file,
    so the export is recorded as one audit event. ``persons`` narrows the export
    (a search the user ran, already limited to their scope); ``criteria`` describes
    it for the audit event, ``file_name`` the name the user receives it under (a page
    writes to a temporary file; the command line's path is the name). Returns the
    number of rows.
    Raises ``UnknownRegion`` for a code that is not a 6- or 12-digit region code.
    """
    region = resolve_region(region_code)
    book, sheet = workbook.new_workbook(PERSONS)
    styled = workbook.data_cells(PERSONS, sheet)
    count = 0
    with transaction.atomic():
        for values in _export_rows(region, persons):
            row = workbook.data_row(sheet, styled, [values[c.key] for c in COLUMNS])
            sheet.append(row)
            count += 1
        workbook.write_instructions(book, PERSONS)
        book.save(path)
        data = {"rows": count, "region": region.code, "file": file_name or Path(path).name}
        if criteria:
            data["criteria"] = criteria
        record(actor, AuditAction.EXPORT, "person", region_code=region.code, data=data)
    return count
