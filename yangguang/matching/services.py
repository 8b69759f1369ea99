"""Every write of data comparison: keep a list, run a match, decide a candidate.

A run compares a list with the persons of the runner's regions: the exact pass on
the keyed ID hash (the platform's for a list with numbers, the department's exchange
hash for a hashed one), then the probabilistic pass (``linking``) for rows whose
number is missing or invalid. Exact and probable matches are confirmed by the run;
those between the two thresholds wait for a reviewer. A confirmed match acts through
the registry's services (``effects``). A decision taken on a row and person in an
earlier run of the same list is kept, so re-running a list changes nothing.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yangguang.accounts.selectors import scope_prefixes
from yangguang.audit.models import AuditAction
from yangguang.audit.services import Actor, record
from yangguang.core import bulk
from yangguang.core.errors import Problem, ValidationFailed
from yangguang.imports.reading import read_table
from yangguang.imports.running import Context, ImportResult, Progress
from yangguang.matching import effects, linking
from yangguang.matching.exchange import Hasher, fingerprint
from yangguang.matching.kinds import ListKind
from yangguang.matching.models import (
    Candidate,
    Decision,
    DepartmentList,
    IdState,
    ListRow,
    MatchRun,
    MatchType,
    ReportCounts,
)
from yangguang.matching.selectors import persons_for
from yangguang.regions.models import Region

MESSAGES = {
    "key_required": _("这份名单的身份号码是部门摘要：比对时须提供交换密钥（--key-file）"),
    "decided": _("该比对结果已复核（{decision}），不能再改"),
    "not_review": _("只有待复核的比对结果需要人工确认"),
    "key_differs": _("交换密钥与这份名单的不同：名单的身份号码摘要是用指纹为{expected}的密钥生成的，"
                     "这次给的密钥指纹为{given}。请使用部门生成名单时用的密钥"),
}
BLOCK = 2000
#: The exact pass's join memory on PostgreSQL (its hash table is about 130 bytes a row).
EXACT_WORK_MEM = "256MB"


def _fail(code: str, field: str = "", **params: Any) -> ValidationFailed:
    return ValidationFailed([Problem(code, field, MESSAGES[code], params)])


def import_list(kind: ListKind, path: str | Path, *, actor: Actor | Any,
                department: str = "", list_date: dt.date | None = None,
                file_name: str = "", progress: Progress | None = None
                ) -> tuple[ImportResult, DepartmentList | None]:
    """Keep a department's file as a list of ``kind`` (the same file again: the list
    kept before). Returns the import's result and the list (None when refused);
    ``progress(done, total)`` hears of the rows read (a job's progress)."""
    path = Path(path)
    table = read_table(path, kind.columns)
    context = Context(kind, Actor.of(actor), source=f"{file_name or path.name} sha256:{table.sha256[:16]}",
                      total=table.total, progress=progress)
    context.seen["meta"] = {"department": department, "list_date": list_date,
                            "file_name": file_name or path.name}
    result = kind.import_table(table, context)
    return result, context.seen.get("list")


class _Match(NamedTuple):
    """A row's match in a run (a tuple: the exact pass makes one per matched row,
    millions for a national list)."""

    person_id: int | None
    region: str
    match_type: str
    weight: float | None = None
    probability: float | None = None
    levels: tuple[dict[str, Any], ...] = ()


def exact_pass(department_list: DepartmentList, persons: Any, key: bytes | None) -> dict[int, _Match]:
    """The exact pass: list row id → the person with the same keyed ID hash.

    A row with a number (the platform's hash) is joined with ``persons`` in one
    statement, inside the database; a hashed list's rows are compared with the
    persons' numbers hashed under the exchange key ``key``, in memory."""
    found: dict[int, _Match] = {}
    people_sql, params = persons.values("id", "id_number_hash", "hukou_region_id").query.sql_with_params()
    with connection.cursor() as cursor:
        tuned = connection.vendor == "postgresql" and connection.in_atomic_block
        if tuned:
            # A national list is a hash join of millions of rows on each side: with the
            # default 4 MB it spills to hundreds of batches on disk. (No JIT: compiling
            # costs more than it saves on a join.)
            cursor.execute(f"SET LOCAL work_mem = '{EXACT_WORK_MEM}'")
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(
            f"SELECT r.id, p.id, p.hukou_region_id FROM {ListRow._meta.db_table} r "
            f"JOIN ({people_sql}) p ON p.id_number_hash = r.id_hash "
            "WHERE r.department_list_id = %s AND r.id_state = %s",
            (*params, department_list.pk, IdState.VALID))
        exact = MatchType.EXACT.value
        with bulk.without_cycle_collection():
            while block := cursor.fetchmany(BLOCK * 10):
                for row_id, pk, region in block:
                    found[row_id] = _Match(pk, region, exact)
        if tuned:
            cursor.execute("SET LOCAL work_mem TO DEFAULT")
            cursor.execute("SET LOCAL jit TO DEFAULT")
    hashed: dict[str, list[int]] = {}
    for digest, row_id in department_list.rows.filter(id_state=IdState.HASHED).values_list("id_hash", "id"):
        hashed.setdefault(digest, []).append(row_id)
    if hashed:
        if key is None:
            raise _fail("key_required", "id_hash")
        regions = dict(persons.values_list("id", "hukou_region_id"))
        for digest, pk in Hasher(key).of_encrypted(
                persons.values_list("id", "id_number_encrypted").iterator(chunk_size=BLOCK)):
            for row_id in hashed.get(digest, ()):
                found[row_id] = _Match(pk, regions[pk], MatchType.EXACT)
    return found


def _probable(rows: list[ListRow], persons: Any, taken: set[int], engine: str) -> dict[int, _Match]:
    open_rows = [r for r in rows if r.id_state in (IdState.MISSING, IdState.INVALID)]
    if not open_rows:
        return {}
    records = [linking.Record(r.pk, r.name, r.sex, r.birth_date, r.region_code) for r in open_rows]
    people = [linking.Record(pk, name, sex, birth, region)
              for pk, name, sex, birth, region in persons.exclude(pk__in=taken).values_list(
                  "id", "name", "sex", "birth_date", "hukou_region_id").iterator(chunk_size=BLOCK)]
    regions = {p.key: p.region for p in people}
    found = {}
    for row_key, link in linking.link(records, people, engine).items():
        kind = MatchType.REVIEW if link.ambiguous else linking.classify(link.weight)
        found[row_key] = _Match(link.person_key, regions[link.person_key], kind, link.weight,
                                link.probability, tuple(lv.to_json() for lv in link.levels))
    return found


@transaction.atomic
def run_match(department_list: DepartmentList, *, actor: Actor | Any, user: Any = None,
              key: bytes | None = None, region: Region | None = None,
              engine: str | None = None) -> MatchRun:
    """Compare a list with the persons of ``user``'s regions (every person when
    ``user`` is None: the command line), or of ``region`` within them when the list
    covers only that region (a county department's roll), and act on the confirmed
    matches. The run's scope is what the list covers: only there does a person the
    list lacks count as unknown to the department. The probabilistic pass runs on
    ``engine`` (``linking.ENGINES``; by default the setting YANGGUANG_MATCHING_ENGINE);
    ``linking.EngineUnavailable`` before anything is written when it cannot run here."""
    engine = engine or settings.YANGGUANG_MATCHING_ENGINE
    linking.check_engine(engine)
    actor = Actor.of(actor if actor is not None else user)
    persons = persons_for(user)
    scope = [] if user is None else list(scope_prefixes(user, "match_lists"))
    if region is not None:
        persons = persons.filter(hukou_region__code__startswith=region.short_code)
        scope = [region.short_code]
    rows = list(department_list.rows.order_by("row"))
    given = fingerprint(key) if key is not None and department_list.hashed else ""
    if given and department_list.key_fingerprint and given != department_list.key_fingerprint:
        raise _fail("key_differs", "key", expected=department_list.key_fingerprint, given=given)
    matches = exact_pass(department_list, persons, key)
    if given and not department_list.key_fingerprint and any(
            r.id_state == IdState.HASHED and r.pk in matches for r in rows):
        # A hash matched a person's: the department hashed under this key.
        department_list.key_fingerprint = given
        department_list.save(update_fields=["key_fingerprint"])
    matches.update(_probable(rows, persons, {m.person_id for m in matches.values()}, engine))
    earlier = {(c.list_row_id, c.person_id): c for c in Candidate.objects.filter(
        list_row__department_list=department_list).exclude(decision=Decision.PENDING)
        .order_by("run_id")}
    run = MatchRun.objects.create(
        department_list=department_list, actor=actor.name,
        scope=scope, key_fingerprint=given, rows=len(rows))
    counts = {t: 0 for t in MatchType.values}
    kind = department_list.kind
    people = {}
    candidates = []
    for r in rows:
        m = matches.get(r.pk) or _Match(None, "", MatchType.NONE)
        counts[m.match_type] += 1
        c = Candidate(run=run, list_row=r, person_id=m.person_id, region_code=m.region,
                      match_type=m.match_type, weight=m.weight, probability=m.probability,
                      levels=list(m.levels))
        before = earlier.get((r.pk, m.person_id))
        if m.match_type in (MatchType.EXACT, MatchType.PROBABLE):
            c.decision = Decision.CONFIRMED
        elif m.match_type == MatchType.REVIEW and before is not None:
            c.decision, c.decided_by_id, c.decided_at = (before.decision, before.decided_by_id,
                                                        before.decided_at)
        candidates.append(c)
        if c.decision == Decision.CONFIRMED:
            people[m.person_id] = None
    for person in persons.model.objects.filter(pk__in=list(people)).select_related("household"):
        people[person.pk] = person
    for c in candidates:
        if c.decision == Decision.CONFIRMED:
            c.effect = effects.apply(kind, people[c.person_id], c.list_row.facts, actor=actor,
                                     department=department_list.department)
    Candidate.objects.bulk_create(candidates, batch_size=BLOCK)
    forget_counts()
    run.matched_exact, run.matched_probable = counts[MatchType.EXACT], counts[MatchType.PROBABLE]
    run.review, run.unmatched = counts[MatchType.REVIEW], counts[MatchType.NONE]
    run.save(update_fields=["matched_exact", "matched_probable", "review", "unmatched"])
    record(actor, AuditAction.CREATE, "match_run", run.pk, region_code=run.scope[0] if run.scope else "",
           data={"list": department_list.pk, "kind": kind, "sha256": department_list.sha256[:16],
                 **run.summary()})
    return run


def forget_counts() -> None:
    """Forget the home page's kept counts of discrepancies (``reports.finding_count``):
    a run or a decision changes them, for any user whose regions it touches."""
    ReportCounts.objects.all().delete()


@transaction.atomic
def decide(candidate: Candidate, *, confirm: bool, user: Any) -> Candidate:
    """A reviewer's decision on a candidate waiting for review; a confirmation acts on
    the registry (``effects``). Both are audited."""
    candidate = Candidate.objects.select_for_update().select_related(
        "list_row", "run__department_list").get(pk=candidate.pk)
    if candidate.match_type != MatchType.REVIEW:
        raise _fail("not_review")
    if candidate.decision != Decision.PENDING:
        raise _fail("decided", decision=Decision(candidate.decision).label)
    actor = Actor.of(user)
    candidate.decision = Decision.CONFIRMED if confirm else Decision.REJECTED
    candidate.decided_by = user
    candidate.decided_at = timezone.now()
    if confirm:
        person = persons_for(None).select_related("household").get(pk=candidate.person_id)
        kept = candidate.run.department_list
        candidate.effect = effects.apply(kept.kind, person, candidate.list_row.facts, actor=actor,
                                         department=kept.department)
    candidate.save(update_fields=["decision", "decided_by", "decided_at", "effect"])
    forget_counts()
    record(actor, AuditAction.UPDATE, "match_candidate", candidate.pk,
           person_id=candidate.person_id, region_code=candidate.region_code,
           data={"decision": candidate.decision, "kind": candidate.run.department_list.kind,
                 "row": candidate.list_row.row, "weight": round(candidate.weight or 0, 2),
                 "effect": candidate.effect})
    return candidate
