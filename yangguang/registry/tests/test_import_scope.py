"""An import limited to a user's regions (the import page passes the user's scope)."""

import pytest

from yangguang.core.crypto import decrypt_id
from yangguang.demo.generator import create_person, person_row
from yangguang.registry import importing, rules, vocabulary
from yangguang.registry.models import Person
from yangguang.registry.tests.conftest import COUNTY_A, VILLAGE_A, VILLAGE_B

pytestmark = pytest.mark.django_db


def test_rows_outside_the_scope_are_rejected_and_stored_persons_outside_it_untouched(actor):
    elsewhere = create_person(户籍地区划代码=VILLAGE_B)
    rows = [
        person_row(户籍地区划代码=VILLAGE_A),
        person_row(户籍地区划代码=VILLAGE_B),
        # A person registered in county B, claimed for county A.
        person_row(公民身份号码=decrypt_id(elsewhere.id_number_encrypted), 户籍地区划代码=VILLAGE_A),
    ]

    result = importing.import_rows(rows, actor=actor, scope=(COUNTY_A,))

    assert (result.created, result.rejected) == (1, 2)
    assert [(e.row, e.column, e.code) for e in result.errors] == [
        (3, "户籍地区划代码", "region_out_of_scope"),
        (4, "公民身份号码", "person_out_of_scope"),
    ]
    elsewhere.refresh_from_db()
    assert elsewhere.hukou_region_id == VILLAGE_B
    assert Person.objects.count() == 2


def test_without_a_scope_the_import_writes_anywhere(actor):
    result = importing.import_rows([person_row(户籍地区划代码=VILLAGE_A),
                                    person_row(户籍地区划代码=VILLAGE_B)], actor=actor)

    assert (result.created, result.rejected) == (2, 0)


def test_a_form_row_without_certificate_columns_reads_only_the_person(actor):
    row = person_row(户籍地区划代码=VILLAGE_A)
    cells = {vocabulary.HEADER_TO_KEY[h]: v for h, v in row.items()}
    cells.update(category="", level="", issue_date="", certificate_number="")

    data = rules.parse_row(cells, certificate=False)

    assert data.certificate is None and data.name == row["姓名"]


def test_the_import_refuses_a_hukou_outside_the_scope_as_the_services_do(actor):
    """One check: the import asks the services' ``rules.check_region_scope_of`` (once per
    distinct region of a block), so its row error is the one ``register_person`` raises."""
    from yangguang.core.errors import ValidationFailed
    from yangguang.registry import services

    row = person_row(户籍地区划代码=VILLAGE_B)
    data = rules.parse_row({vocabulary.HEADER_TO_KEY[h]: v for h, v in row.items()})
    with pytest.raises(ValidationFailed) as refused:
        services.register_person(data, actor=actor, scope=(COUNTY_A,))
    [problem] = refused.value.problems

    result = importing.import_rows([row, person_row(户籍地区划代码=VILLAGE_B)], actor=actor,
                                   scope=(COUNTY_A,))

    assert result.rejected == 2 and not Person.objects.exists()
    assert {(e.code, e.message) for e in result.errors} == {(problem.code, problem.message)}
