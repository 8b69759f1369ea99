"""The monthly payroll (发放表): what each running grant is paid for a month, with back
pay, and the bank's disbursement file. Writes validate, save and audit, as in
``services``.

For the payroll of month M and region R (``run_payroll``):

1. Grants stop (``stops_due`` → ``services.end_grants``) from the month after the
   person died, moved their hukou out, lost their certificate (expired, cancelled,
   frozen) or entered tekun support, if that happened by the end of M.
2. For each grant of a person whose hukou lies in R and each period it pays for (a
   month of a grant paid monthly; a year of one paid yearly, due in the programme's
   ``pay_month``, the first year in the start month when that is later; the start month
   of a one-off grant), due from its start month (the application month) to M and within
   ``backpay_months`` (``programmes.toml``) back: what is due is the rule's amount for
   the period (``rules.screen``, set-based, on the first day of its month; in the start
   month on the application day), nothing from the grant's stop month; what was paid is
   the sum of the lines of approved payrolls for that grant and period (the ledger: a
   year's lines count for the year, a one-off grant's for the grant). Where they
   differ, a line: 当月 (M, not paid before), 补发 (an earlier month never paid), 补差
   (paid before at a lower standard), 追回 (paid beyond what is due: negative). A grant
   with a period due in M that is due nothing or an unknown amount gets a 暂停 line (0)
   that says why.
3. A draft is replaced when run again; an approved payroll is frozen (a re-run is
   refused). Approving checks that no other payroll was approved for the same grants
   and months since the draft was made (the ledger it was computed from is unchanged),
   so nothing is paid twice, whichever regions the payrolls cover.

The bank file pays each person and programme the sum of their lines when positive;
a negative sum stays on the payroll as to be recovered (应追回). It holds the full ID
number (the bank matches the 一卡通 account by it): decrypted only while writing the
file, and the export is audited.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook

from yangguang.audit.models import AuditAction
from yangguang.audit.services import Actor, record
from yangguang.benefits import facts, policy, rules, services
from yangguang.benefits.models import (
    PAYING_KINDS,
    BenefitGrant,
    LineKind,
    Payroll,
    PayrollLine,
    PayrollState,
)
from yangguang.benefits.policy import Policies
from yangguang.core import xlsx
from yangguang.core.crypto import decrypt_id
from yangguang.core.errors import ValidationFailed
from yangguang.regions.models import Region, RegionLevel
from yangguang.registry.models import (
    Certificate,
    CertificateStatus,
    CertificateStatusChange,
    HouseholdStatus,
    Person,
)
from yangguang.registry.rules import Scope, add_months, check_region_scope_of

ZERO = Decimal("0.00")

_problem = services.problem


def month_end(month: dt.date) -> dt.date:
    return services.month_after(month) - dt.timedelta(days=1)


def months(first: dt.date, last: dt.date) -> Iterator[dt.date]:
    m = first
    while m <= last:
        yield m
        m = add_months(m, 1)


def first_month(month: dt.date, pol: Policies) -> dt.date:
    """The first month a payroll of ``month`` reconsiders (``pol.backpay_months`` back,
    ``month`` included)."""
    return add_months(month, -(pol.backpay_months - 1))


#: The grants' units the payroll pays (``none``: in kind or a referral, nothing paid).
PAID_UNITS = ("month", "year", "once")


def period_of(grant: BenefitGrant, month: dt.date, pol: Policies) -> dt.date:
    """The period a payment for ``month`` counts for, named by the month it is due in:
    the month itself (monthly); the due month of its year (yearly, ``due_month``); the
    start month (one-off)."""
    if grant.unit == "year":
        return due_month(grant, month.year, pol)
    if grant.unit == "once":
        return grant.start_month
    return month


def due_month(grant: BenefitGrant, year: int, pol: Policies) -> dt.date:
    """The month a yearly grant's payment for ``year`` is due: the programme's
    ``pay_month`` of that year, or the start month when the grant starts later that year."""
    programme = pol.programmes.get(grant.programme)
    pay = dt.date(year, programme.pay_month if programme and programme.pay_month else 1, 1)
    return max(pay, grant.start_month) if year == grant.start_month.year else pay


def periods(grant: BenefitGrant, first: dt.date, last: dt.date, pol: Policies, *,
            after_stop: bool = False) -> list[dt.date]:
    """The periods (their due months) of ``grant`` due from ``first`` to ``last`` and
    before its stop month (``after_stop``: after it too, where what was paid is taken
    back)."""
    end = last if grant.stop_month is None or after_stop else min(
        last, add_months(grant.stop_month, -1))
    start = max(grant.start_month, first)
    if grant.unit == "once":
        return [grant.start_month] if start <= grant.start_month <= end else []
    if grant.unit == "year":
        due = (due_month(grant, year, pol) for year in range(start.year, end.year + 1))
        return [m for m in due if start <= m <= end]
    return list(months(start, end))


def parse_month(text: str) -> dt.date:
    """``YYYY-MM`` as the first day of the month (ValueError otherwise)."""
    year, month = text.strip().split("-")
    if len(year) != 4 or len(month) != 2:
        raise ValueError(text)
    return dt.date(int(year), int(month), 1)


# ---------------------------------------------------------------------------
# Stops: what ended a grant by the end of the payroll month


@dataclass(frozen=True)
class Stop:
    person_id: int
    region_code: str
    cause: str
    day: dt.date


def _certificate_end(person_id: int, through: dt.date) -> tuple[str, dt.date] | None:
    """Why and since when ``person_id`` holds no certificate on ``through``: the last
    day their latest certificate was held (its expiry; the day of its cancellation or
    freeze, which takes effect after it: ``facts.held_certificate``), with the cause;
    None when they never held one."""
    latest = (Certificate.objects.filter(person_id=person_id, issue_date__lte=through)
              .order_by("-issue_date", "-id").first())
    if latest is None:
        return None
    ends = []
    if latest.valid_until < through:
        ends.append(("certificate_expired", latest.valid_until))
    change = (CertificateStatusChange.objects
              .filter(certificate=latest, effective_date__lt=through,
                      status__in=[CertificateStatus.CANCELLED, CertificateStatus.FROZEN])
              .order_by("effective_date", "id").first())
    if change is not None:
        cause = ("certificate_cancelled" if change.status == CertificateStatus.CANCELLED
                 else "certificate_frozen")
        ends.append((cause, change.effective_date))
    return min(ends, key=lambda end: end[1]) if ends else None


def stops_due(grants: QuerySet[BenefitGrant], through: dt.date) -> list[Stop]:
    """The persons of the running ``grants`` whose grants must end by ``through``: died,
    moved away, no certificate held, or in tekun support on that day; each with the
    earliest such event (the grant ends from the month after it)."""
    tekun = (HouseholdStatus.objects
             .filter(household=OuterRef("household"), status="tekun", start_date__lte=through)
             .filter(Q(end_date__isnull=True) | Q(end_date__gte=through))
             .order_by("start_date").values("start_date")[:1])
    persons = (Person.objects.filter(pk__in=grants.filter(stop_month__isnull=True)
                                     .values("person_id"))
               .annotate(held=Exists(facts.held_certificate(through)), tekun_since=Subquery(tekun))
               .filter(Q(deceased_date__lte=through) | Q(moved_away_on__lte=through)
                       | Q(held=False) | Q(tekun_since__isnull=False))
               .values("pk", "hukou_region_id", "deceased_date", "moved_away_on", "held",
                       "tekun_since"))
    stops = []
    for p in persons:
        events: list[tuple[str, dt.date]] = []
        if p["deceased_date"] is not None and p["deceased_date"] <= through:
            events.append(("death", p["deceased_date"]))
        if p["moved_away_on"] is not None and p["moved_away_on"] <= through:
            events.append(("moved_away", p["moved_away_on"]))
        if p["tekun_since"] is not None:
            events.append(("tekun", p["tekun_since"]))
        if not p["held"]:
            end = _certificate_end(p["pk"], through)
            if end is not None:
                events.append(end)
        if events:
            cause, day = min(events, key=lambda e: e[1])
            stops.append(Stop(p["pk"], p["hukou_region_id"], cause, day))
    return stops


def excludes_tekun(pol: Policies, programme: str, region_code: str, on: dt.date) -> bool:
    """Whether ``programme``'s rule for a hukou in ``region_code`` on ``on`` excludes
    persons in tekun support (the national rule does for both subsidies; a jurisdiction
    may let them keep the care allowance)."""
    rule = policy.resolve(pol, programme, region_code, on)
    return rule is not None and any(
        c["test"] == "not_household_status" and "tekun" in c["statuses"]
        for c in rule.conditions.values())


# ---------------------------------------------------------------------------
# What is due: the rule for each grant and month


@dataclass
class Due:
    amount: Decimal | None  # None: eligible, amount not known (a placeholder)
    eligible: bool
    reasons: list[str]


def _evaluation_day(grant: BenefitGrant, month: dt.date) -> dt.date:
    """The day the rule is applied for ``month``: its first day; in the start month the
    application day (the grant pays from the month the person applied in)."""
    return max(month, grant.application.applied_on) if month == grant.start_month else month


CHUNK = 2000


def dues(grants: list[BenefitGrant], first: dt.date, last: dt.date, region_prefix: str,
         pol: Policies) -> dict[tuple[int, dt.date], Due]:
    """The rule's decision for each grant and period (``periods``) due from ``first``
    (or its start) to ``last`` (or the month before its stop), by ``rules.screen`` over
    the grants' persons, one query per evaluation day, programme and jurisdiction."""
    wanted: dict[tuple[dt.date, str], dict[int, list[tuple[int, dt.date]]]] = defaultdict(
        lambda: defaultdict(list))
    for grant in grants:
        for m in periods(grant, first, last, pol):
            wanted[(_evaluation_day(grant, m), grant.programme)][grant.person_id].append(
                (grant.pk, m))
    out: dict[tuple[int, dt.date], Due] = {}
    for (day, programme), by_person in wanted.items():
        ids = sorted(by_person)
        for i in range(0, len(ids), CHUNK):
            persons = Person.objects.filter(pk__in=ids[i:i + CHUNK])
            for d in rules.screen(persons, programme, day, region_prefix=region_prefix, pol=pol):
                for key in by_person[d.person_id]:
                    out[key] = Due(d.amount, d.eligible, d.reasons)
        not_in_force = [_("户籍地{on}未实行该项目").format(on=day.isoformat())]
        for keys in by_person.values():
            for key in keys:
                out.setdefault(key, Due(ZERO, False, not_in_force))
    return out


def ledger(grants: Iterable[BenefitGrant], first: dt.date, pol: Policies
           ) -> dict[tuple[int, dt.date], Decimal]:
    """What approved payrolls paid for each grant and period from ``first`` (the sum of
    their lines: a 追回 line takes back), by ``period_of``: a yearly grant's lines of a
    year count for that year, a one-off grant's for the grant, whatever month they name."""
    by_id = {g.pk: g for g in grants}
    ids = sorted(by_id)
    paid: dict[tuple[int, dt.date], Decimal] = defaultdict(lambda: ZERO)
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i:i + CHUNK]
        once = [pk for pk in chunk if by_id[pk].unit == "once"]
        rows = (PayrollLine.objects
                .filter(payroll__state=PayrollState.APPROVED, grant_id__in=chunk,
                        kind__in=PAYING_KINDS)
                .filter(Q(for_month__gte=first.replace(month=1)) | Q(grant_id__in=once))
                .values("grant_id", "for_month").annotate(total=Sum("amount")).order_by())
        for row in rows:
            grant = by_id[row["grant_id"]]
            period = period_of(grant, row["for_month"], pol)
            if grant.unit == "month" and period < first:
                continue
            paid[(grant.pk, period)] += row["total"]
    return dict(paid)


def _text(reasons: list[str], limit: int = 1000) -> str:
    text = "；".join(reasons)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _kind(month: dt.date, payroll_month: dt.date, due: Decimal, paid: Decimal) -> str:
    if due < paid:
        return LineKind.RECOVERY
    if paid == 0:
        return LineKind.REGULAR if month == payroll_month else LineKind.ARREARS
    return LineKind.BACKPAY


def _note(kind: str, due: Due | None, due_amount: Decimal, paid: Decimal,
          grant: BenefitGrant, period: dt.date) -> str:
    money = rules.money_text
    if kind == LineKind.BACKPAY:
        return str(_("标准调整，应发{due}元，已发{paid}元")).format(due=money(due_amount),
                                                            paid=money(paid))
    if kind == LineKind.RECOVERY:
        why = (str(_("停发：{reason}")).format(reason=grant.stop_reason) if due is None
               else _text(due.reasons))
        return str(_("应发{due}元，已发{paid}元；{why}")).format(due=money(due_amount),
                                                          paid=money(paid), why=why)
    amount_reason = due.reasons[-1] if due and due.reasons else ""
    if grant.unit == "year":
        amount_reason = str(_("{year}年度（按年发放）；{reason}")).format(
            year=period.year, reason=amount_reason)
    elif grant.unit == "once":
        amount_reason = str(_("一次性发放；{reason}")).format(reason=amount_reason)
    if kind == LineKind.ARREARS:
        return str(_("自申请月份起补发；{reason}")).format(reason=amount_reason)
    return amount_reason


def line_region(grant: BenefitGrant) -> str:
    """The region a line is counted under: the person's hukou, or the paying county
    when the person has moved out of it (their last months there)."""
    hukou = grant.person.hukou_region_id
    return hukou if hukou.startswith(grant.paying_region_id[:6]) else grant.paying_region_id


def compute_lines(payroll: Payroll, grants: list[BenefitGrant], pol: Policies) -> list[PayrollLine]:
    """The payroll's lines for ``grants`` (see the module's description), unsaved."""
    month = payroll.month
    first = first_month(month, pol)
    due_of = dues(grants, first, month, "", pol)  # a person who moved away: any hukou
    paid_of = ledger(grants, first, pol)
    lines = []
    for grant in grants:
        for m in periods(grant, first, month, pol, after_stop=True):
            stopped = grant.stop_month is not None and m >= grant.stop_month
            due = None if stopped else due_of[(grant.pk, m)]
            paid = paid_of.get((grant.pk, m), ZERO)
            base = {"payroll": payroll, "grant": grant, "person_id": grant.person_id,
                    "region_id": line_region(grant), "programme": grant.programme,
                    "for_month": m, "paid_before": paid}
            if due is not None and due.eligible and due.amount is None:  # a placeholder
                if m == month and paid == 0:
                    lines.append(PayrollLine(**base, kind=LineKind.WITHHELD, due=None, amount=ZERO,
                                             note=_text(due.reasons)))
                continue
            amount = ZERO if due is None or not due.eligible else due.amount
            if amount != paid:
                kind = _kind(m, month, amount, paid)
                lines.append(PayrollLine(**base, kind=kind, due=amount, amount=amount - paid,
                                         note=_note(kind, due, amount, paid, grant, m)))
            elif m == month and due is not None and amount == 0:
                lines.append(PayrollLine(**base, kind=LineKind.WITHHELD, due=ZERO, amount=ZERO,
                                         note=_text(due.reasons)))
    return lines


def grants_of(region: Region, month: dt.date, pol: Policies) -> QuerySet[BenefitGrant]:
    """The paid grants (monthly, yearly, one-off) that ``region`` pays (their paying
    county lies in it; below a county, the county's grants of the persons whose hukou
    lies in it) and that may pay something for ``month`` or the months before it the
    payroll looks at. By the paying county, not the current hukou: the grant of a
    person who moved to another county stays the old county's to its stop month."""
    first = first_month(month, pol)
    where = Q(paying_region__code__startswith=region.short_code)
    if region.level > RegionLevel.COUNTY:
        where = (Q(paying_region_id=services.county_of(region.code))
                 & Q(person__hukou_region__code__startswith=region.short_code))
    return (BenefitGrant.objects
            .filter(where, unit__in=PAID_UNITS, start_month__lte=month)
            .filter(Q(stop_month__isnull=True) | Q(stop_month__gt=first))
            .select_related("person", "application").order_by("person_id", "programme", "pk"))


def _event_data(payroll: Payroll, lines: list[PayrollLine], stopped: int) -> dict[str, Any]:
    return {"month": payroll.month.isoformat()[:7], "region": payroll.region_id,
            "lines": len(lines), "total": str(sum((line.amount for line in lines), ZERO)),
            "grants_stopped": stopped}


@transaction.atomic
def run_payroll(month: dt.date, region: Region, *, actor: Actor | Any, scope: Scope,
                pol: Policies | None = None, today: dt.date | None = None) -> Payroll:
    """The payroll of ``month`` for ``region``, as a draft: first the grants that must
    stop are ended (``stops_due``), then the lines computed. A draft of the same month
    and region is replaced; an approved one is frozen (refused: ``payroll_frozen``)."""
    check_region_scope_of(region.code, scope)
    month = month.replace(day=1)
    today = today or timezone.localdate()
    if month > today.replace(day=1):
        raise ValidationFailed([_problem("payroll_future", "month", month=month.isoformat()[:7])])
    pol = pol or policy.policies()
    who = Actor.of(actor)
    payroll = (Payroll.objects.select_for_update().select_related("region")
               .filter(month=month, region=region).first())
    if payroll is not None and payroll.state == PayrollState.APPROVED:
        raise ValidationFailed([_problem(
            "payroll_frozen", "month", region=region.name, month=month.isoformat()[:7],
            day=timezone.localtime(payroll.approved_at).date().isoformat())])
    created = payroll is None
    if created:
        payroll = Payroll(month=month, region=region)
    payroll.run_at, payroll.run_by = timezone.now(), who.name
    payroll.save()
    payroll.lines.all().delete()
    stopped = 0
    for stop in stops_due(grants_of(region, month, pol), month_end(month)):
        programmes = None
        if stop.cause == "tekun":  # only where the programme's rule excludes tekun support
            programmes = [key for key in pol.programmes
                          if excludes_tekun(pol, key, stop.region_code, services.month_after(stop.day))]
        stopped += len(services.end_grants(Person.objects.get(pk=stop.person_id), stop.cause,
                                           stop.day, actor=actor, programmes=programmes))
    with translation.override(settings.LANGUAGE_CODE):  # notes are stored in Chinese
        lines = compute_lines(payroll, list(grants_of(region, month, pol)), pol)
    PayrollLine.objects.bulk_create(lines, batch_size=2000)
    record(actor, AuditAction.CREATE if created else AuditAction.UPDATE, "payroll", payroll.pk,
           region_code=region.code, data={"action": "run", **_event_data(payroll, lines, stopped)})
    return payroll


@transaction.atomic
def approve_payroll(payroll: Payroll, *, actor: Actor | Any, scope: Scope) -> Payroll:
    """Approve a draft: from now on it is frozen, and what its lines pay counts as paid.
    Refused when approved already, or when another payroll approved since this one was
    run paid some of the same grants and months (``payroll_stale``: run it again)."""
    payroll = Payroll.objects.select_for_update().select_related("region").get(pk=payroll.pk)
    check_region_scope_of(payroll.region_id, scope)
    if payroll.state == PayrollState.APPROVED:
        raise ValidationFailed([_problem("payroll_approved", "state")])
    lines = list(payroll.lines.filter(kind__in=PAYING_KINDS)
                 .values_list("grant_id", "for_month", "paid_before"))
    first = min((m for _g, m, _p in lines), default=payroll.month)
    paid = ledger(BenefitGrant.objects.filter(pk__in={g for g, _m, _p in lines}), first,
                  policy.policies())
    stale = sum(1 for g, m, before in lines if paid.get((g, m), ZERO) != before)
    if stale:
        raise ValidationFailed([_problem("payroll_stale", "state", count=stale)])
    who = Actor.of(actor)
    payroll.state, payroll.approved_at, payroll.approved_by = (PayrollState.APPROVED,
                                                               timezone.now(), who.name)
    payroll.save(update_fields=["state", "approved_at", "approved_by"])
    record(actor, AuditAction.UPDATE, "payroll", payroll.pk, region_code=payroll.region_id,
           data={"action": "approve", "month": payroll.month.isoformat()[:7],
                 "region": payroll.region_id, **totals_of(payroll)["total"]})
    return payroll


# ---------------------------------------------------------------------------
# Totals and the bank file


def _child_length(region: Region) -> int:
    """The code prefix of the regions one level below ``region`` (a village: itself)."""
    return {1: 4, 2: 6, 3: 9}.get(region.level, 12)


def totals_of(payroll: Payroll) -> dict[str, Any]:
    """The payroll's totals: by region one level below the payroll's (townships of a
    county …) and overall — persons paid, amount paid (the bank file's sum), amount to
    recover, lines withheld."""
    n = _child_length(payroll.region)
    net: dict[tuple[int, str], Decimal] = defaultdict(lambda: ZERO)
    region_of: dict[int, str] = {}
    withheld: dict[str, int] = defaultdict(int)
    for person_id, region_id, programme, kind, amount in payroll.lines.values_list(
            "person_id", "region_id", "programme", "kind", "amount"):
        child = region_id[:n].ljust(12, "0")
        region_of[person_id] = child
        if kind == LineKind.WITHHELD:
            withheld[child] += 1
        else:
            net[(person_id, programme)] += amount
    by_region: dict[str, dict[str, Any]] = {}

    def bucket(code: str) -> dict[str, Any]:
        return by_region.setdefault(code, {"code": code, "persons": set(), "paid": ZERO,
                                           "recover": ZERO, "withheld": 0})

    for (person_id, _programme), amount in net.items():
        b = bucket(region_of[person_id])
        if amount > 0:
            b["persons"].add(person_id)
            b["paid"] += amount
        elif amount < 0:
            b["recover"] -= amount
    for code, count in withheld.items():
        bucket(code)["withheld"] += count
    names = dict(Region.objects.filter(code__in=by_region).values_list("code", "name"))
    rows = []
    for code in sorted(by_region):
        b = by_region[code]
        rows.append({"code": code, "name": names.get(code, code), "persons": len(b["persons"]),
                     "paid": b["paid"], "recover": b["recover"], "withheld": b["withheld"]})
    total = {"persons": len({p for b in by_region.values() for p in b["persons"]}),
             "paid": sum((r["paid"] for r in rows), ZERO),
             "recover": sum((r["recover"] for r in rows), ZERO),
             "withheld": sum(r["withheld"] for r in rows)}
    return {"regions": rows, "total": {k: str(v) if isinstance(v, Decimal) else v
                                       for k, v in total.items()}}


BANK_COLUMNS = (_("序号"), _("户籍地区划代码"), _("户籍地"), _("姓名"), _("公民身份号码"),
                _("补贴项目"), _("发放月份"), _("金额（元）"), _("明细"))
TOTAL_COLUMNS = (_("区划代码"), _("地区"), _("发放人数"), _("发放金额（元）"), _("应追回（元）"),
                 _("暂停条数"))
KIND_WORDS = dict(LineKind.choices)


def bank_rows(payroll: Payroll) -> Iterator[list[Any]]:
    """The bank file's rows: one per person and programme whose lines sum to more than
    zero, with the full ID number (decrypted here, for the file only) and what the sum
    is made of."""
    names = {p.key: p.name for p in policy.policies().programmes.values()}
    lines = (payroll.lines.exclude(kind=LineKind.WITHHELD)
             .values_list("person_id", "programme", "kind", "for_month", "amount")
             .order_by("region_id", "person_id", "programme", "for_month", "kind"))
    grouped: dict[tuple[int, str], list[tuple[str, dt.date, Decimal]]] = defaultdict(list)
    for person_id, programme, kind, for_month, amount in lines:
        grouped[(person_id, programme)].append((kind, for_month, amount))
    people = {p["pk"]: p for p in Person.objects.filter(pk__in={k[0] for k in grouped})
              .values("pk", "name", "id_number_encrypted", "hukou_region_id",
                      "hukou_region__name")}
    number = 0
    month = payroll.month.isoformat()[:7]
    for (person_id, programme), parts in grouped.items():
        total = sum((amount for _k, _m, amount in parts), ZERO)
        if total <= 0:
            continue
        number += 1
        p = people[person_id]
        detail = "；".join(f"{m.isoformat()[:7]} {KIND_WORDS[k]} {rules.money_text(a)}"
                          for k, m, a in parts)
        yield [number, p["hukou_region_id"], p["hukou_region__name"], p["name"],
               decrypt_id(p["id_number_encrypted"]), names.get(programme, programme), month,
               total, detail]


def _title(payroll: Payroll) -> str:
    state = PayrollState(payroll.state).label
    return str(_("{region}{month}残疾人两项补贴等发放表（{state}）")).format(
        region=payroll.region.name, month=payroll.month.isoformat()[:7], state=state)


def _total_rows(payroll: Payroll) -> list[list[Any]]:
    totals = totals_of(payroll)
    rows = [[r["code"], r["name"], r["persons"], r["paid"], r["recover"], r["withheld"]]
            for r in totals["regions"]]
    t = totals["total"]
    rows.append(["", str(_("合计")), t["persons"], Decimal(t["paid"]), Decimal(t["recover"]),
                 t["withheld"]])
    return rows


def write_xlsx(payroll: Payroll, target: str | Path | IO[bytes]) -> int:
    """The bank file as XLSX (sheet 发放明细, sheet 按地区合计), through ``core.xlsx``."""
    book = Workbook(write_only=True)
    detail = book.create_sheet(str(_("发放明细")))
    detail.append(xlsx.row(detail, [_title(payroll)]))
    detail.append(xlsx.row(detail, [str(c) for c in BANK_COLUMNS]))
    count = 0
    for row in bank_rows(payroll):
        detail.append(xlsx.row(detail, row))
        count += 1
    totals = book.create_sheet(str(_("按地区合计")))
    totals.append(xlsx.row(totals, [_title(payroll)]))
    totals.append(xlsx.row(totals, [str(c) for c in TOTAL_COLUMNS]))
    for row in _total_rows(payroll):
        totals.append(xlsx.row(totals, row))
    book.save(target)
    return count


def _csv_text(value: Any) -> Any:
    """A CSV cell that a spreadsheet will not read as a formula (``core.xlsx``'s
    triggers; the same guard OWASP gives for CSV injection)."""
    if isinstance(value, str) and value.startswith(xlsx.FORMULA_TRIGGERS):
        return "'" + value
    return value


def write_csv(payroll: Payroll, target: IO[str]) -> int:
    """The bank file as CSV (UTF-8 with BOM for Excel): the header, a row per payment,
    then an empty line and the totals by region (``合计`` in the first column)."""
    out = csv.writer(target)
    out.writerow([str(c) for c in BANK_COLUMNS])
    count = 0
    for row in bank_rows(payroll):
        out.writerow([_csv_text(v) for v in row])
        count += 1
    out.writerow([])
    for row in _total_rows(payroll):
        out.writerow([str(_("合计")), *(_csv_text(v) for v in row)])
    return count


FORMATS = ("xlsx", "csv")


def export_payroll(payroll: Payroll, target: str | Path | IO[Any], fmt: str, *,
                   actor: Actor | Any, scope: Scope, file_name: str = "") -> int:
    """Write the bank file of ``payroll`` (``fmt`` xlsx or csv) to ``target``; the full
    ID numbers in it make it an export, audited with the rows written. Returns the
    number of payments."""
    check_region_scope_of(payroll.region_id, scope)
    if fmt not in FORMATS:
        raise ValidationFailed([_problem("payroll_format", "format", value=fmt)])
    with transaction.atomic():
        if fmt == "xlsx":
            count = write_xlsx(payroll, target)
        elif isinstance(target, (str, Path)):
            with open(target, "w", encoding="utf-8-sig", newline="") as handle:
                count = write_csv(payroll, handle)
        else:
            count = write_csv(payroll, target)
        name = file_name or (Path(target).name if isinstance(target, (str, Path)) else "")
        record(actor, AuditAction.EXPORT, "payroll", payroll.pk, region_code=payroll.region_id,
               data={"month": payroll.month.isoformat()[:7], "region": payroll.region_id,
                     "state": payroll.state, "format": fmt, "rows": count, "file": name})
    return count
