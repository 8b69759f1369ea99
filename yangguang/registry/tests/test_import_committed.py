"""The import run outside any transaction, as the CLI runs it (on PostgreSQL it reads
stored rows through a second connection while COPY writes on the first)."""

import pytest
from django.db import connection

from yangguang.audit.models import AuditEvent
from yangguang.demo.generator import write_rows
from yangguang.registry import importing
from yangguang.registry.models import Certificate, CertificateStatusChange, Household, Person
from yangguang.registry.tests.test_import import rows, run


@pytest.fixture
def committed_db(django_db_setup, django_db_blocker):
    """Database access with real commits (no test transaction around the test), for
    code paths that only run outside a transaction. Deletes what the test wrote.

    pytest-django builds the test databases only for tests that ask for ``db`` or a
    ``django_db`` mark, and this fixture can do neither (both wrap the test in a
    transaction). Run alone, these tests would use the database of the settings (and
    delete its persons), so they refuse to run unless a test database is in use.
    """
    from django.db import connection as default

    with django_db_blocker.unblock():
        name = str(default.settings_dict["NAME"])
        if not (name.startswith("test_") or "memorydb" in name or name == ":memory:"):
            pytest.fail(f"not a test database ({name}): run these tests together with a "
                        "test that uses the database, e.g. with test_import.py")
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
    monkeypatch.setattr(importing, "BLOCK", 3)
    data = rows(8)
    assert run(tmp_path, data).created == 8
    # On PostgreSQL the second connection was used; SQLite has none (its writer thread
    # shares the caller's connection).
    assert (connections[bulk.READS].connection is not None) == (connection.vendor == "postgresql")
    changed = [dict(r, 家庭编号=f"NEW-{i}", 与户主关系="户主") for i, r in enumerate(data[:5])]
    result = run(tmp_path, changed + data[5:] + rows(2))
    assert (result.created, result.updated, result.unchanged) == (2, 5, 3)
    assert Person.objects.filter(household__number__startswith="NEW-").count() == 5
    assert run(tmp_path, changed + data[5:]).unchanged == 8
    assert verify_chain() is None


def test_an_import_writes_its_events_as_one_sealed_segment(committed_db, tmp_path):
    from yangguang.audit.services import verify_chain

    assert run(tmp_path, rows(4)).created == 4
    person_events = AuditEvent.objects.filter(object_type="person")
    segments = set(person_events.values_list("segment", flat=True))
    assert len(segments) == 1 and "" not in segments
    closing = AuditEvent.objects.get(action="import")
    assert closing.segment == "" and closing.data["segment"]["id"] in segments
    assert closing.data["segment"]["events"] == person_events.count() == 4
    assert verify_chain() is None


def test_an_import_in_progress_does_not_hold_up_sign_ins_and_page_views(committed_db):
    """While a bulk job writes its segment, other requests still append to the main
    chain (they would wait for the whole import if it held the chain's lock). On
    SQLite every write waits for the one writer anyway, so this is PostgreSQL's."""
    import threading

    from django.db import connections, transaction
    from django.utils import timezone

    from yangguang.audit.services import Actor, Event, Segment, record, verify_chain

    if connection.vendor != "postgresql":
        assert connection.vendor == "sqlite"
        return
    written, finish, failures = threading.Event(), threading.Event(), []

    def bulk_job() -> None:
        try:
            with transaction.atomic():
                segment = Segment(Actor("import"))
                segment.write([Event("create", "person", str(n), person_id=n) for n in range(3)],
                              timezone.now())
                written.set()
                assert finish.wait(30)
                record(Actor("import"), "import", "import", "b1", data=segment.seal())
        except Exception as exc:  # noqa: BLE001 - reported by the main thread
            failures.append(exc)
            written.set()
        finally:
            connections.close_all()

    job = threading.Thread(target=bulk_job)
    job.start()
    try:
        assert written.wait(30)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '3s'")  # would fail, not hang, if held up
        record(Actor("clerk"), "login", "user", "7")
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
    finally:
        finish.set()
        job.join(30)
    assert not failures
    assert list(AuditEvent.objects.filter(segment="").order_by("id")
                .values_list("action", flat=True)) == ["login", "import"]
    assert verify_chain() is None


def test_an_outermost_first_load_takes_ids_apart_and_rebuilds_the_indexes(
        committed_db, tmp_path, monkeypatch, settings):
    """The CLI's first load of a large file on PostgreSQL: the registry tables locked and
    without their indexes meanwhile, ids taken through the second connection (which
    the locks keep from reading the tables, but not from the sequences), every index
    and constraint back at the commit; then an import compares with what it loaded."""
    from django.db import connections

    from yangguang.audit.services import verify_chain
    from yangguang.core import bulk
    from yangguang.registry.services.imports import SQLITE_DEFERRED_INDEXES
    from yangguang.registry.tests.test_import import _schema

    settings.YANGGUANG_IMPORT_BULK_LOAD_ROWS = 5
    monkeypatch.setattr(importing, "CHUNK", 3)
    monkeypatch.setattr(importing, "BLOCK", 3)
    before = _schema()
    seen: list[set[str]] = []
    data = rows(10)
    path = tmp_path / "first.csv"
    write_rows(data, path)
    result = importing.import_file(path, actor="test", progress=lambda done, total: seen.append(
        {name for name, _definition in _schema()}))
    assert (result.created, result.rejected) == (10, 0)
    assert _schema() == before
    dropped = {"person_region_name_id", "household_region_like"}
    if connection.vendor == "postgresql":
        assert seen and all(not names & dropped for names in seen)
    else:
        # SQLite: only the persons' two name indexes (SQLITE_DEFERRED_INDEXES).
        assert set(SQLITE_DEFERRED_INDEXES) == {"person_region_name_id", "person_name_region_id"}
        assert seen and all(not names & set(SQLITE_DEFERRED_INDEXES)
                            and "household_region_like" in names for names in seen)
    assert (connections[bulk.READS].connection is not None) == (connection.vendor == "postgresql")
    assert Person.objects.count() == 10 and Certificate.objects.count() == 10
    assert sorted(Person.objects.values_list("id", flat=True)) == sorted(
        AuditEvent.objects.filter(action="create").values_list("person_id", flat=True))
    assert run(tmp_path, data + rows(1)).to_json() | {"errors": []} == {
        "rows": 11, "created": 1, "updated": 0, "unchanged": 10, "rejected": 0, "errors": []}
    assert verify_chain() is None


def test_an_outermost_import_checks_foreign_keys_once_and_a_dangling_one_undoes_it(
        committed_db, tmp_path, monkeypatch):
    """Outside any transaction an import on SQLite does not look up foreign keys row by
    row (as Django's loaddata, it turns the pragma off around its transaction) but
    checks the written tables once before the commit: a row whose village is in the
    code list but not in the database still fails the import whole, and the connection
    enforces foreign keys again afterwards."""
    from django.db import IntegrityError

    from yangguang.demo.generator import person_row
    from yangguang.regions.models import Region

    monkeypatch.setattr(importing, "BLOCK", 3)
    village = Region.objects.filter(level=5, code__startswith="140922").order_by("code").last()
    Region.objects.filter(pk=village.pk).delete()
    try:
        with pytest.raises(IntegrityError):
            run(tmp_path, rows(5) + [person_row(户籍地区划代码=village.code)])
        assert (Person.objects.count(), Household.objects.count(), Certificate.objects.count(),
                AuditEvent.objects.count()) == (0, 0, 0, 0)
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA foreign_keys")
                assert cursor.fetchone()[0] == 1
    finally:
        village.save(force_insert=True)
    assert run(tmp_path, rows(5)).created == 5
