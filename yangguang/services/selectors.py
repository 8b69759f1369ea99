"""Reads of the service loop, always through the user's scope.

Needs, referrals and service records are the person's: they are visible where the
person's hukou region lies in the user's scope (``accounts.selectors.scope_q`` on
``person__hukou_region``), and anything else is "not found". Providers are not
personal data: a user sees those of their regions and those above them that serve
their regions (a prefecture's centre serves its counties).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.functions import Substr
from django.http import Http404
from django.utils import timezone

from yangguang.accounts.permissions import Capability
from yangguang.accounts.selectors import scope_paths, scope_prefixes, scope_q
from yangguang.regions.models import Region, RegionLevel, code_prefix
from yangguang.services.models import (
    Need,
    Provider,
    ProviderOffering,
    ProviderStatus,
    Referral,
    ServiceKind,
    ServiceRecord,
)
from yangguang.services.states import UNMET, NeedState

_PERSON_REGION = "person__hukou_region"


def _pk(value: Any) -> int:
    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise Http404 from None
    if not 0 < pk < 2**63:
        raise Http404
    return pk


def overdue_days() -> int:
    """Days after which an unmet need counts as overdue (``YANGGUANG_NEED_OVERDUE_DAYS``)."""
    return int(settings.YANGGUANG_NEED_OVERDUE_DAYS)


def overdue_before(today: dt.date | None = None) -> dt.date:
    return (today or timezone.localdate()) - dt.timedelta(days=overdue_days())


# ---------------------------------------------------------------------------
# Needs


def needs_visible_to(user: Any, capability: str = Capability.VIEW_SERVICES) -> QuerySet[Need]:
    """The needs of persons whose hukou lies where ``user`` holds ``capability``."""
    return Need.objects.filter(scope_q(user, capability, region_field=_PERSON_REGION))


def get_need_for(user: Any, pk: Any, capability: str = Capability.VIEW_SERVICES) -> Need:
    need = (needs_visible_to(user, capability)
            .select_related("person", "person__hukou_region").filter(pk=_pk(pk)).first())
    if need is None:
        raise Http404
    return need


def get_referral_for(user: Any, pk: Any, capability: str = Capability.VIEW_SERVICES) -> Referral:
    referral = (Referral.objects.select_related("need", "need__person", "provider")
                .filter(scope_q(user, capability, region_field=f"need__{_PERSON_REGION}"),
                        pk=_pk(pk)).first())
    if referral is None:
        raise Http404
    return referral


def search_needs(user: Any, *, state: str = "", kind: str = "", region: str = "",
                 person_id: int | None = None, overdue: bool = False,
                 capability: str = Capability.VIEW_SERVICES) -> QuerySet[Need]:
    """Needs in scope matching every criterion given, oldest first. ``state`` may be
    ``unmet`` (open, referred or in service); ``overdue`` keeps unmet needs waiting
    since before ``overdue_before()``; ``region`` is a code prefix (6, 9 or 12 digits)."""
    needs = needs_visible_to(user, capability)
    if state == "unmet" or overdue:
        needs = needs.filter(state__in=UNMET)
    elif state:
        needs = needs.filter(state=state)
    if overdue:
        needs = needs.filter(opened_on__lt=overdue_before())
    if kind:
        needs = needs.filter(kind=kind)
    if region:
        needs = needs.filter(person__hukou_region__code__startswith=region)
    if person_id is not None:
        needs = needs.filter(person_id=person_id)
    return needs.select_related("person", "person__hukou_region").order_by("opened_on", "id")


def open_count(user: Any) -> int:
    return needs_visible_to(user).filter(state=NeedState.OPEN).count()


def overdue_count(user: Any) -> int:
    return search_needs(user, overdue=True).count()


def needs_of(user: Any, person_id: int) -> list[Need]:
    """A person's needs with their referrals and services, newest first (empty when the
    person lies outside the user's ``view_services`` scope)."""
    return list(needs_visible_to(user).filter(person_id=person_id)
                .prefetch_related(Prefetch("referrals", Referral.objects.select_related("provider")
                                           .order_by("referred_on", "id")),
                                  Prefetch("services", ServiceRecord.objects
                                           .select_related("provider").order_by("started_on", "id")),
                                  "history")
                .order_by("-opened_on", "-id"))


def loop_of(need: Need) -> dict[str, Any]:
    """A need's referrals, service records and history, for its page."""
    return {
        "referrals": list(need.referrals.select_related("provider").order_by("referred_on", "id")),
        "services": list(need.services.select_related("provider").order_by("started_on", "id")),
        "history": list(need.history.all()),
    }


# ---------------------------------------------------------------------------
# Providers


def _ancestor_codes(paths: list[str]) -> list[str]:
    """The 12-digit codes of the regions above each scope path (``14/1409/140922/`` →
    140000000000, 140900000000)."""
    codes = set()
    for path in paths:
        for part in path.strip("/").split("/")[:-1]:
            codes.add(part.ljust(12, "0"))
    return sorted(codes)


def providers_visible_to(user: Any, capability: str = Capability.VIEW_SERVICES
                         ) -> QuerySet[Provider]:
    """Providers in the user's regions and those above them that serve them."""
    paths = scope_paths(user, capability)
    if not paths:
        return Provider.objects.none()
    q = Q(region_id__in=_ancestor_codes(paths))
    for path in paths:
        q |= Q(region__code__startswith=code_prefix(path))
    return Provider.objects.filter(q)


def providers_managed_by(user: Any) -> QuerySet[Provider]:
    """Providers the user may change: those in their ``manage_providers`` regions."""
    return Provider.objects.filter(scope_q(user, Capability.MANAGE_PROVIDERS, region_field="region"))


def get_provider_for(user: Any, pk: Any, capability: str = Capability.VIEW_SERVICES) -> Provider:
    if capability == Capability.MANAGE_PROVIDERS:
        providers = providers_managed_by(user)
    else:
        providers = providers_visible_to(user, capability)
    provider = providers.select_related("region").filter(pk=_pk(pk)).first()
    if provider is None:
        raise Http404
    return provider


def search_providers(user: Any, *, kind: str = "", service: str = "", region: str = "",
                     status: str = "") -> QuerySet[Provider]:
    providers = providers_visible_to(user)
    if kind:
        providers = providers.filter(kind=kind)
    if service:
        providers = providers.filter(offerings__kind=service)
    if region:
        providers = providers.filter(region__code__startswith=region)
    if status:
        providers = providers.filter(status=status)
    return (providers.select_related("region").prefetch_related("offerings")
            .order_by("region_id", "name"))


def providers_for(user: Any, need: Need) -> list[Provider]:
    """Active providers the user can see that offer the need's kind, those serving the
    person's region first."""
    region = need.person.hukou_region_id
    found = list(providers_visible_to(user).filter(
        status=ProviderStatus.ACTIVE, offerings__kind=need.kind).select_related("region")
        .order_by("name"))
    return sorted(found, key=lambda p: (not region.startswith(p.region.short_code), p.name))


# ---------------------------------------------------------------------------
# Needs against providers, per township


@dataclass
class KindRow:
    kind: str
    label: str
    open: int = 0  # waiting for a referral
    unmet: int = 0  # open, referred or in service
    providers: list[Provider] = field(default_factory=list)

    @property
    def capacity(self) -> int:
        return sum(p.capacity for p in self.providers)

    @property
    def gap(self) -> bool:
        """Needs with nobody to serve them, or more than the places there are."""
        return self.unmet > 0 and (not self.providers or self.unmet > self.capacity)


@dataclass
class TownshipRow:
    region: Region
    kinds: list[KindRow]

    @property
    def unmet(self) -> int:
        return sum(k.unmet for k in self.kinds)

    @property
    def gaps(self) -> int:
        return sum(1 for k in self.kinds if k.gap)


def township_coverage(user: Any, region: Region, *,
                      capability: str = Capability.VIEW_STATISTICS) -> list[TownshipRow]:
    """Every township in ``region`` within the user's scope (those without needs too, at
    zero; persons whose hukou is recorded at county level in a row of the county): the
    unmet needs by kind of the persons whose hukou lies there, against the
    active providers that serve the township and offer that kind, with their capacity
    (``serves``). A kind is listed where a need or a provider of it is; the most gaps
    first, then the most unmet needs, then by code."""
    prefix = region.short_code
    townships = {r.code: r for r in Region.objects.filter(
        _scope_regions(user, capability), level=RegionLevel.TOWNSHIP,
        code__startswith=prefix).order_by("code")}
    counts = (Need.objects.filter(scope_q(user, capability, region_field=_PERSON_REGION),
                                  person__hukou_region__code__startswith=prefix,
                                  state__in=UNMET)
              .annotate(township=Substr("person__hukou_region_id", 1, 9))
              .values("township", "kind", "state").annotate(n=Count("id")).order_by())
    table: dict[str, dict[str, KindRow]] = {code: {} for code in townships}
    for row in counts:
        # (a hukou recorded at county level counts in a row of the county's own)
        kinds = table.setdefault(row["township"].ljust(12, "0"), {})
        item = kinds.setdefault(row["kind"], KindRow(row["kind"], ServiceKind(row["kind"]).label))
        item.unmet += row["n"]
        if row["state"] == NeedState.OPEN:
            item.open += row["n"]
    townships |= {r.code: r for r in Region.objects.filter(code__in=set(table) - set(townships))}
    if not townships:
        return []
    providers = Provider.with_service_counties(list(
        Provider.objects.filter(status=ProviderStatus.ACTIVE)
        .filter(_serving_any(list(townships))).distinct()
        .prefetch_related(Prefetch("offerings", ProviderOffering.objects.only("provider_id", "kind")))
        .select_related("region")))
    # Whether a provider serves a township depends on its county alone (``serves``).
    by_county: dict[str, list[Provider]] = {}
    rows = []
    for code, kinds in table.items():
        if code not in townships:  # a region no longer in the tree
            continue
        serving = by_county.get(code[:6])
        if serving is None:
            serving = by_county[code[:6]] = [p for p in providers if serves(p, code)]
        for provider in serving:
            for offering in provider.offerings.all():
                item = kinds.setdefault(offering.kind, KindRow(offering.kind,
                                                               ServiceKind(offering.kind).label))
                item.providers.append(provider)
        for item in kinds.values():
            item.providers.sort(key=lambda p: (p.region_id, p.name))
        rows.append(TownshipRow(townships[code], sorted(kinds.values(), key=lambda k: k.kind)))
    return sorted(rows, key=lambda r: (-r.gaps, -r.unmet, r.region.code))


def serves(provider: Provider, township: str) -> bool:
    """Whether ``provider`` serves the township of code ``township``: it stands in the
    township or a region above it (a prefecture's centre serves its counties), or in the
    township's county (a provider serves its whole county), or the township's county is
    one of the neighbouring counties of its service area."""
    county = township[:6]
    return (county.startswith(provider.region.short_code)
            or provider.region_id[:6] == county
            or county.ljust(12, "0") in provider.service_county_codes)


def _serving_any(townships: list[str]) -> Q:
    """The providers that may serve one of the townships (``serves`` decides which): in
    a region above one, in one's county, or with one's county in their service area."""
    above: set[str] = set()
    counties = sorted({code[:6] for code in townships})
    for code in townships:
        above.update({code[:2].ljust(12, "0"), code[:4].ljust(12, "0")})
    q = Q(region_id__in=sorted(above)) | Q(service_counties__in=[c.ljust(12, "0") for c in counties])
    for county in counties:
        q |= Q(region__code__startswith=county)
    return q


def _scope_regions(user: Any, capability: str) -> Q:
    prefixes = scope_prefixes(user, capability)
    q = Q(pk__in=[])
    for p in prefixes:
        q |= Q(code__startswith=p)
    return q


def provider_load(provider: Provider) -> dict[str, int]:
    """How many of the provider's referrals are under way, for its page."""
    return dict(provider.referrals.values_list("state").annotate(n=Count("id")).order_by())

