"""Bulk writes of imported rows: compare with the registry, then insert and update in bulk.

``importing.py`` reads and checks files; this module is where their rows are written,
with the same rules as the single-record services and one audit event per row.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from yangguang.audit.models import AuditAction
from yangguang.audit.services import Actor, Event, Segment, record_many
from yangguang.core import bulk
from yangguang.core.crypto import encrypt_ids, mask_id
from yangguang.core.errors import Problem, ValidationFailed
from yangguang.registry import rules
from yangguang.registry.models import (
    Certificate,
    CertificateStatus,
    CertificateStatusChange,
    Household,
    Person,
    StatusReason,
)
from yangguang.registry.rules import PersonData, db_problem

if TYPE_CHECKING:
    import polars as pl

_PERSON_FIELDS = ("id", "id_number_encrypted", "id_number_hash", "id_number_masked", "name",
                  "sex", "birth_date", "ethnicity", "hukou_region_id", "residence_region_id",
                  "phone", "guardian_name", "guardian_phone", "guardian_relation",
                  "household_id", "relation_to_head", "deceased_date", "created_at",
                  "updated_at")
_CERT_FIELDS = ("id", "person_id", "reissue_count", "category", "level", "components",
                "issue_date", "valid_until", "status", "created_at", "updated_at")
_HISTORY_FIELDS = ("certificate_id", "status", "reason", "effective_date", "note",
                   "recorded_at")
_NO_COMPONENTS = bulk.JsonText("[]")
REGISTRY_MODELS = (Household, Person, Certificate, CertificateStatusChange)
WRITTEN_TABLES = [m._meta.db_table for m in REGISTRY_MODELS]
#: What a first load on SQLite builds at the end rather than row by row: the persons'
#: two name indexes, whose keys come in no order. 100,000 persons (2026-12-03, five
#: runs each way): the writer spent a median 1.27 s on the persons without them, 1.73 s
#: with them, and building both takes 0.24 s. The other indexes are cheaper kept up:
#: all seven deferred, the building took 0.5 s and the import gained nothing.
SQLITE_DEFERRED_INDEXES = ("person_region_name_id", "person_name_region_id")

#: An import that writes at least this share of the persons already registered, and at
#: least ``STATS_MIN_ROWS`` rows, refreshes PostgreSQL's planner statistics itself
#: before it commits: the share at which autovacuum would, minutes later. Until then
#: the planner would plan the next import's lookups (and searches) for the smaller
#: tables it last saw: a re-import of 1,000,000 rows right after their import took 66 s
#: with the old statistics, 40 s with fresh ones.
STATS_SHARE = 0.1
STATS_MIN_ROWS = 10_000
#: The statistics target of that ANALYZE (PostgreSQL samples 300 rows per unit): a
#: bridge until autovacuum analyzes the tables in full, soon after the commit (the
#: import's rows count as changes since this ANALYZE, as they are counted at commit).
#: Enough for the sizes and distinct counts the next import's lookups are planned by;
#: a tenth of the default's time (60 ms rather than 280 for 100,000 persons).
STATS_TARGET = 20
#: The tables it analyzes: those the next import reads (the rest wait for autovacuum).
STATS_MODELS = (Person, Household, Certificate)


def _registry_empty() -> bool:
    return not (Person.objects.exists() or Household.objects.exists()
                or Certificate.objects.exists())


def looks_like_first_load(rows: int | None) -> bool:
    """Whether an import of ``rows`` rows would be a first load (``first_load``) if the
    registry stays empty: the look without the lock, also before the import's
    transaction (``bulk.sqlite_direct_writes``)."""
    return (connection.vendor in ("postgresql", "sqlite") and rows is not None
            and rows >= settings.YANGGUANG_IMPORT_BULK_LOAD_ROWS and _registry_empty())


def first_load(rows: int | None) -> bool:
    """Whether this import, of ``rows`` rows, loads an empty registry in bulk
    (``bulk.indexes_deferred``): if so, the registry's tables are locked for the rest
    of the caller's transaction, and stay empty but for its rows (on SQLite the
    transaction holds the database's write lock from its start anyway).

    Only a large import into an empty registry (a county's, a province's first load)
    does: the tables are locked from everyone until it commits, which costs no one
    anything while they are empty, and their indexes are rebuilt whole, which costs
    as much as the rows already there.
    """
    if not looks_like_first_load(rows):
        return False
    bulk.lock_exclusively(REGISTRY_MODELS)
    # Someone may have registered a person between the look and the lock: if so, this
    # import compares its rows with the registry as any other does.
    return _registry_empty()


def planned_persons() -> int:
    """How many persons PostgreSQL's statistics say there are (0 elsewhere, or never
    analysed)."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass",
                       [Person._meta.db_table])
        row = cursor.fetchone()
    return max(int(row[0]), 0) if row else 0


def refresh_statistics(written: int, persons_before: int) -> bool:
    """ANALYZE the tables an import writes (inside its transaction, whose rows ANALYZE
    counts, so the statistics commit with them) when it wrote enough to make the
    current ones misleading. Returns whether it did. SQLite plans without them."""
    if (connection.vendor != "postgresql"
            or written < max(STATS_MIN_ROWS, STATS_SHARE * persons_before)):
        return False
    tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in STATS_MODELS)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL default_statistics_target = %s", [STATS_TARGET])
        cursor.execute(f"ANALYZE {tables}")
        cursor.execute("RESET default_statistics_target")
    return True


@dataclass
class _Existing:
    person: dict[str, Any]
    certificates: list[dict[str, Any]]
    household_number: str


@dataclass
class ChunkOutcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, list[Problem]]] = field(default_factory=list)


class BulkImport:
    """Brings checked rows into the registry, chunk by chunk, in the caller's transaction.

    Each row is compared with the stored person: new persons are created, changed
    ones updated (certificates renewed, reissued or replaced after reassessment),
    identical ones left alone, and rows that conflict with the registry (an older
    certificate, a cancelled number, a deceased person) rejected. Inserts go through
    a ``bulk.Writer``; every row that changes something gets one audit event.
    """

    def __init__(self, actor: Actor | Any, *, writer: bulk.Writer, dry_run: bool = False,
                 today: dt.date | None = None, batch_id: str = "",
                 scope: tuple[str, ...] | None = None, registry_empty: bool = False):
        self.actor = Actor.of(actor)
        self.writer = writer
        # The import's audit events form a segment of their own: the main chain (which
        # sign-ins and page views append to) is locked only for the closing event.
        self.chain = None if dry_run else Segment(self.actor, writer.ids)
        self.dry_run = dry_run
        self.today = today or timezone.localdate()
        self.now = timezone.now()
        self.batch_id = batch_id
        # Region code prefixes this import may write to (None: everywhere).
        self.scope = scope
        self.household_ids: dict[str, int] = {}
        self.household_regions: dict[str, str] = {}  # of the stored households
        # Into an empty registry no row can find anything stored: its lookups are
        # skipped. (``registry_empty``: the caller knows, from ``first_load``, whose
        # lock keeps it so.) A person or household committed meanwhile by someone else
        # still meets the unique constraints, and the import fails whole.
        self.persons_stored = (not registry_empty
                               and Person.objects.using(writer.reads).exists())
        self.households_stored = (not registry_empty
                                  and Household.objects.using(writer.reads).exists())

    def apply(self, parsed: list[tuple[int, PersonData, str]]) -> ChunkOutcome:
        """Compare and write one chunk of (row number, person, keyed ID hash)."""
        outcome = ChunkOutcome()
        if not parsed:
            return outcome
        existing = self._load_existing([h for _row, _data, h in parsed])
        self._load_households({d.household_number for _r, d, _h in parsed
                               if d.household_number})
        plans: list[_Plan] = []
        elsewhere: list[Event] = []
        for row, data, id_hash in parsed:
            old = existing.get(id_hash)
            if old is not None and not rules.in_scope(old.person["hukou_region_id"], self.scope):
                if self.dry_run:
                    # A dry run answers within the importer's scope only: a person
                    # registered elsewhere is checked as a new one (no oracle).
                    old = None
                else:
                    # A case for the person's region, audited by the ID's keyed hash.
                    elsewhere.append(Event(
                        AuditAction.VIEW, "person", str(old.person["id"]), old.person["id"],
                        old.person["hukou_region_id"],
                        rules.registered_elsewhere_event(id_hash, **{"import": self.batch_id,
                                                                     "row": row})))
                    outcome.rejected.append((row, [db_problem("person_out_of_scope",
                                                              "id_number")]))
                    continue
            foreign = self._foreign_household(data)
            if foreign is not None:
                outcome.rejected.append((row, foreign))
                continue
            if old is None:
                plans.append(_Plan(row, data, id_hash, None, {}, rules.CertificateDecision(
                    "new", None, rules.status_on(data.certificate.valid_until, self.today))))
                continue
            compared = self._compare(data, old)
            if isinstance(compared, list):
                outcome.rejected.append((row, compared))
                continue
            changes, decision = compared
            if changes or decision is not None:
                plans.append(_Plan(row, data, id_hash, old, changes, decision))
            else:
                outcome.unchanged += 1
        for plan in plans:
            if plan.old is None:
                outcome.created += 1
            else:
                outcome.updated += 1
        if not self.dry_run:
            self._write(plans)
            if elsewhere:
                record_many(self.actor, elsewhere)
        return outcome

    def hukou_out_of_scope(self, codes: list[str]) -> dict[str, Problem]:
        """The problem of each hukou region among ``codes`` (a block's distinct ones)
        that lies outside the import's scope: ``rules.check_region_scope_of``, the check
        every service makes before it writes a person."""
        refused: dict[str, Problem] = {}
        for code in codes:
            try:
                rules.check_region_scope_of(code, self.scope)
            except ValidationFailed as exc:
                refused[code] = exc.problems[0]
        return refused

    def _foreign_household(self, data: PersonData) -> list[Problem] | None:
        """The problem of a row naming a stored household outside the import's scope."""
        region = self.household_regions.get(data.household_number)
        if region is None:
            return None
        try:
            rules.check_household_scope(data.household_number, region, self.scope)
        except ValidationFailed as exc:
            return exc.problems
        return None

    @property
    def all_new(self) -> bool:
        """Whether every person and household this import names is new (the registry
        was empty when it began): its rows may then go to ``create`` by columns."""
        return not (self.persons_stored or self.households_stored)

    def create(self, new: pl.DataFrame, id_hashes: list[str]) -> int:
        """Register new persons given by columns (a polars frame of checked rows, as
        ``columnar.check`` accepts them, with ``row``; ``id_hashes`` in its order):
        only when ``all_new``. The same rows, and audit events, as ``apply`` writes for
        them, built a column at a time. Returns how many persons it registers."""
        import polars as pl

        if not self.all_new:
            raise ValueError("create() writes new persons only: the registry held some")
        count = new.height
        if self.dry_run or not count:
            return count
        now, today, writer = self.now, self.today, self.writer
        # Households: the first member's hukou region, as in ``_create_households``.
        known = self.household_ids
        firsts = (new.filter(pl.col("household_number") != "")
                  .unique("household_number", keep="first", maintain_order=True)
                  .select("household_number", "hukou_region"))
        fresh = [(number, region) for number, region in firsts.iter_rows()
                 if number not in known]
        ids = writer.ids.take(Household, len(fresh))
        if ids:
            writer.insert_columns(Household, {
                "id": ids, "number": [number for number, _region in fresh],
                "region_id": [region for _number, region in fresh], "created_at": now,
                "updated_at": now})
            known.update(zip((number for number, _region in fresh), ids, strict=True))

        numbers = new["id_number"].to_list()
        person_ids = writer.ids.take(Person, count)
        writer.insert_columns(Person, {
            "id": person_ids, "id_number_encrypted": encrypt_ids(numbers),
            "id_number_hash": id_hashes,
            "id_number_masked": [mask_id(number) for number in numbers],
            "name": new["name"], "sex": new["sex"], "birth_date": new["birth_date"],
            "ethnicity": new["ethnicity"], "hukou_region_id": new["hukou_region"],
            "residence_region_id": new["residence_region"], "phone": new["phone"],
            "guardian_name": "", "guardian_phone": "", "guardian_relation": "",
            "household_id": [known.get(h) for h in new["household_number"].to_list()],
            "relation_to_head": new["relation_to_head"], "deceased_date": None,
            "created_at": now, "updated_at": now})

        # Certificates: their validity and status from the rules, once per distinct
        # issue date (a file holds a few thousand).
        issued = new["issue_date"]
        days = issued.unique().to_list()
        untils = [rules.valid_until(day) for day in days]
        valid_until = issued.replace_strict(days, untils, return_dtype=pl.Date)
        status = issued.replace_strict(
            days, [str(rules.status_on(until, today)) for until in untils],
            return_dtype=pl.String)
        expired = status == CertificateStatus.EXPIRED.value
        cert_ids = writer.ids.take(Certificate, count)
        writer.insert_columns(Certificate, {
            "id": cert_ids, "person_id": person_ids, "reissue_count": new["reissue_count"],
            "category": new["category"], "level": new["level"],
            "components": new["components"], "issue_date": issued,
            "valid_until": valid_until, "status": status, "created_at": now,
            "updated_at": now})
        # Their history: issued, and expired for those past their date (each certificate's
        # rows together, as ``_write`` makes them).
        history = pl.concat([
            pl.DataFrame({"certificate_id": cert_ids, "order": 0,
                          "status": CertificateStatus.VALID.value,
                          "reason": StatusReason.ISSUED.value, "effective_date": issued}),
            pl.DataFrame({"certificate_id": cert_ids, "order": 1,
                          "status": CertificateStatus.EXPIRED.value,
                          "reason": StatusReason.EXPIRED.value,
                          "effective_date": valid_until}).filter(expired),
        ]).sort("certificate_id", "order")
        writer.insert_columns(CertificateStatusChange, {
            "certificate_id": history["certificate_id"], "status": history["status"],
            "reason": history["reason"], "effective_date": history["effective_date"],
            "note": "", "recorded_at": now})

        # One audit event per person, as ``_Plan.event`` makes it (the suffix by
        # ``rules.certificate_suffix``, once per distinct category, level and count).
        batch = json.dumps(self.batch_id)
        kind = ["category", "level", "reissue_count"]
        kinds = new.select(kind).unique()
        kinds = kinds.with_columns(pl.Series("suffix", [
            rules.certificate_suffix(*k) for k in kinds.iter_rows()], dtype=pl.String))
        suffix = new.select(kind).join(kinds, on=kind, how="left", maintain_order="left")["suffix"]
        data = [f'{{"certificate":{{"action":"new","issue_date":"{day}","suffix":"{suffix}"}},'
                f'"import":{batch},"row":{row}}}'
                for day, suffix, row in zip(issued.dt.to_string("%Y-%m-%d").to_list(),
                                            suffix.to_list(), new["row"].to_list(),
                                            strict=True)]
        self.chain.write_columns(
            writer, AuditAction.CREATE, "person", [str(pk) for pk in person_ids], person_ids,
            new["hukou_region"].to_list(), data, now)
        return count

    def _load_existing(self, hashes: list[str]) -> dict[str, _Existing]:
        if not self.persons_stored:
            return {}
        people = {
            p["id_number_hash"]: p
            for p in bulk.filter_in(Person.objects.using(self.writer.reads), "id_number_hash",
                                    hashes).values(
                "id", "id_number_hash", "id_number_masked", "name", "ethnicity",
                "hukou_region_id", "residence_region_id", "phone", "relation_to_head",
                "guardian_name", "guardian_phone", "guardian_relation", "household_id",
                "household__number", "deceased_date",
            )
        }
        certs: dict[int, list[dict[str, Any]]] = {}
        if people:
            ids = [p["id"] for p in people.values()]
            for c in bulk.filter_in(Certificate.objects.using(self.writer.reads), "person_id",
                                    ids).values(
                "id", "person_id", "category", "level", "reissue_count", "components",
                "issue_date", "valid_until", "status",
            ):
                certs.setdefault(c["person_id"], []).append(c)
        return {
            h: _Existing(p, certs.get(p["id"], []), p["household__number"] or "")
            for h, p in people.items()
        }

    def _load_households(self, numbers: set[str]) -> None:
        if not self.households_stored:
            return
        known = self.household_ids  # (``numbers - known.keys()`` costs 8 times as much)
        wanted = [number for number in numbers if number not in known]
        if wanted:
            for number, pk, region in bulk.filter_in(
                    Household.objects.using(self.writer.reads), "number",
                    wanted).values_list("number", "id", "region_id"):
                known[number] = pk
                self.household_regions[number] = region

    def _compare(self, data: PersonData, old: _Existing
                 ) -> tuple[dict[str, list[Any]], rules.CertificateDecision | None] | list[Problem]:
        """What importing ``data`` changes for a stored person, or the problems that stop it."""
        changes: dict[str, list[Any]] = {}
        for name, value in data.person_values().items():
            if data.gives(name) and old.person[name] != value:
                changes[name.removesuffix("_id")] = [old.person[name], value]
        if data.gives("household_number") and data.household_number != old.household_number:
            changes["household"] = [old.household_number, data.household_number]
        try:
            decision = rules.decide_person_write(
                bool(changes), data.certificate, old.certificates,
                deceased_date=old.person["deceased_date"], today=self.today)
        except ValidationFailed as exc:
            return exc.problems
        return changes, decision

    def _create_households(self, wanted: list[tuple[str, str]]) -> None:
        """Create the households these rows name that don't exist yet (region: first row's)."""
        new: dict[str, str] = {}
        for number, region in wanted:
            if number not in self.household_ids:
                new.setdefault(number, region)
        ids = self.writer.ids.take(Household, len(new))
        now = self.now
        self.writer.insert(Household, ("id", "number", "region_id", "created_at", "updated_at"),
                         [(pk, number, region, now, now)
                          for pk, (number, region) in zip(ids, new.items(), strict=True)])
        for pk, number in zip(ids, new, strict=True):
            self.household_ids[number] = pk

    def _write(self, plans: list[_Plan]) -> None:
        """Write one chunk's plans: one audit event per row that changed something."""
        now = self.now
        self._create_households([(p.data.household_number, p.data.hukou_region)
                                 for p in plans if p.data.household_number])
        new_plans = [p for p in plans if p.old is None]
        person_rows = []
        household_ids = self.household_ids
        encrypted = encrypt_ids([p.data.id_number.normalized for p in new_plans])
        for pid, plan, sealed in zip(self.writer.ids.take(Person, len(new_plans)), new_plans,
                                     encrypted, strict=True):
            data, number = plan.data, plan.data.id_number.normalized
            plan.person_id = pid
            # The values of data.person_values(), without making the dict.
            person_rows.append((
                pid, sealed, plan.id_hash, mask_id(number),
                data.name, data.sex, data.birth_date, data.ethnicity, data.hukou_region,
                data.residence_region, data.phone, data.guardian_name, data.guardian_phone,
                data.guardian_relation, household_ids.get(data.household_number),
                data.relation_to_head, None, now, now,
            ))
        self.writer.insert(Person, _PERSON_FIELDS, person_rows)

        if any(plan.old is not None for plan in plans):
            # Updates go through the ORM and may refer to households just queued.
            self.writer.flush()
        updates = []
        for plan in plans:
            if plan.old is not None and plan.changes:
                data, stored = plan.data, plan.old.person
                values = {name: value if data.gives(name) else stored[name]
                          for name, value in data.person_values().items()}
                person = Person(id=plan.person_id, updated_at=now, **values)
                person.household_id = (self.household_ids.get(data.household_number)
                                       if data.gives("household_number")
                                       else stored["household_id"])
                updates.append(person)
        Person.objects.bulk_update(
            updates, [*PersonData.COMPARED, "household_id", "updated_at"], batch_size=1000,
        )

        history: list[tuple[Any, ...]] = []
        decided = [p for p in plans if p.decision is not None]
        cancelled = [p.decision.current["id"] for p in decided
                     if p.decision.cancel_reason is not None]
        Certificate.objects.filter(id__in=cancelled).update(
            status=CertificateStatus.CANCELLED, updated_at=now)
        new_certs = [p for p in decided if p.decision.action == "new"]
        cert_rows = []
        for cid, plan in zip(self.writer.ids.take(Certificate, len(new_certs)), new_certs,
                             strict=True):
            cert, decision = plan.data.certificate, plan.decision
            if decision.cancel_reason is not None:
                history.append((decision.current["id"], CertificateStatus.CANCELLED,
                                decision.cancel_reason, cert.issue_date, "", now))
            valid_until, status = cert.valid_until, decision.status
            # Serialised here rather than in the writer thread, which keeps the server busy.
            components = (bulk.JsonText(json.dumps(cert.components, ensure_ascii=False))
                          if cert.components else _NO_COMPONENTS)
            cert_rows.append((cid, plan.person_id, cert.reissue_count, cert.category, cert.level,
                              components, cert.issue_date, valid_until, status, now, now))
            history.append((cid, CertificateStatus.VALID, StatusReason.ISSUED, cert.issue_date,
                            "", now))
            if status == CertificateStatus.EXPIRED:
                history.append((cid, status, StatusReason.EXPIRED, valid_until, "", now))
        self.writer.insert(Certificate, _CERT_FIELDS, cert_rows)

        for plan in decided:
            cert, decision = plan.data.certificate, plan.decision
            if decision.action == "renew":
                Certificate.objects.filter(id=decision.current["id"]).update(
                    issue_date=cert.issue_date, valid_until=cert.valid_until,
                    components=cert.components, status=decision.status, updated_at=now)
                if decision.renewed:
                    history.append((decision.current["id"], decision.status,
                                    StatusReason.RENEWED, cert.issue_date, "", now))
        self.writer.insert(CertificateStatusChange, _HISTORY_FIELDS, history)
        self.chain.write((plan.event(self.batch_id) for plan in plans), now, self.writer)


@dataclass
class _Plan:
    """What importing one row does to the database."""

    row: int
    data: PersonData
    id_hash: str
    old: _Existing | None  # None: a new person
    changes: dict[str, list[Any]]  # person fields: [old, new]
    decision: rules.CertificateDecision | None  # what the row's certificate does
    person_id: int | None = None

    def __post_init__(self) -> None:
        if self.old is not None:
            self.person_id = self.old.person["id"]

    def event(self, batch_id: str) -> Event:
        data: dict[str, Any] = {"import": batch_id, "row": self.row}
        data.update(rules.person_event(self.changes, self.decision, self.data.certificate))
        action = AuditAction.CREATE if self.old is None else AuditAction.UPDATE
        return Event(action, "person", str(self.person_id), self.person_id,
                     self.data.hukou_region, data)
