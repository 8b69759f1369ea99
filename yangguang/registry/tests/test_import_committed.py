"""The import run outside any transaction, as the CLI runs it (on PostgreSQL it reads
stored rows through a second connection while COPY writes on the first)."""

import pytest
from django.db import connection

from yangguang.audit.models import AuditEvent
from yangguang.registry import importing
from yangguang.registry.models import Certificate, CertificateStatusChange, Household, Person
from yangguang.registry.tests.test_import import rows, run


@pytest.fixture
def committed_db(django_db_setup, django_db_blocker):
    """Database access with real commits (no test transaction around the test), for
    code paths that only run outside a transaction. Deletes what the test wrote."""
    with django_db_blocker.unblock():
        yield
        from django.db import connections

        for model in (CertificateStatusChange, Certificate, Person, Household, AuditEvent):
            model.objects.all()._raw_delete(model.objects.db)
        for alias in connections:
            connections[alias].close()


def test_outermost_import_reads_through_a_second_connection_on_postgresql(
        committed_db, tmp_path, monkeypatch):
    """Outside any transaction the import reads stored rows through a second connection
    while COPY runs on the first; updates must wait for queued inserts they refer to."""
    from django.db import connections

    from yangguang.audit.services import verify_chain
    from yangguang.core import bulk

    monkeypatch.setattr(importing, "CHUNK", 3)
    data = rows(8)
    assert run(tmp_path, data).created == 8
    # On PostgreSQL the second connection was used; SQLite has no writer thread.
    assert (connections[bulk.READS].connection is not None) == (connection.vendor == "postgresql")
    changed = [dict(r, 家庭编号=f"NEW-{i}", 与户主关系="户主") for i, r in enumerate(data[:5])]
    result = run(tmp_path, changed + data[5:] + rows(2))
    assert (result.created, result.updated, result.unchanged) == (2, 5, 3)
    assert Person.objects.filter(household__number__startswith="NEW-").count() == 5
    assert run(tmp_path, changed + data[5:]).unchanged == 8
    assert verify_chain() is None
