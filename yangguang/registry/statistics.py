"""Region statistics: certified persons by region, category and level (no persons).

The registry owns these counts (``selectors.region_counts``); the region tree they
are drawn on is the ``regions`` app's reference data. The pages lived at
``/regions/`` before; ``moved`` sends those addresses here.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from yangguang.accounts.decorators import require_capability
from yangguang.accounts.permissions import Capability
from yangguang.accounts.selectors import can, scope_regions
from yangguang.regions.models import Region
from yangguang.regions.selectors import UnknownRegion, ancestors, resolve_region
from yangguang.registry.models import Category, Level
from yangguang.registry.selectors import certified_count, region_counts


def _region_for(request: HttpRequest, code: str) -> Region:
    """The region of ``code`` if the user may see its statistics, else 404 (as for a
    region that does not exist)."""
    try:
        region = resolve_region(code)
    except UnknownRegion:
        raise Http404 from None
    if not can(request.user, Capability.VIEW_STATISTICS, region):
        raise Http404
    return region


@require_capability(Capability.VIEW_STATISTICS)
@require_safe
def index(request: HttpRequest) -> HttpResponse:
    """The regions the user may see statistics for; straight to it when there is one."""
    regions = scope_regions(request.user, Capability.VIEW_STATISTICS)
    if len(regions) == 1:
        return redirect("statistics:detail", code=regions[0].code)
    rows = [(region, certified_count(request.user, region)) for region in regions]
    return render(request, "registry/statistics/index.html", {"rows": rows})


@require_capability(Capability.VIEW_STATISTICS)
@require_safe
def detail(request: HttpRequest, code: str) -> HttpResponse:
    region = _region_for(request, code)
    user = request.user
    counts = region_counts(user, region)
    # Breadcrumbs: the region's ancestors the user may also see.
    trail = [r for r in ancestors(region) if can(user, Capability.VIEW_STATISTICS, r)]
    return render(request, "registry/statistics/detail.html", {
        "region": region, "counts": counts, "trail": trail,
        "categories": Category.choices, "levels": Level.choices,
        "may_search": can(user, Capability.VIEW_PERSON, region),
    })


@require_capability(Capability.VIEW_STATISTICS)
@require_safe
def moved(request: HttpRequest, code: str = "") -> HttpResponse:
    """The pages' old addresses (``/regions/``, ``/regions/<code>/``), for bookmarks."""
    if not code:
        return redirect("statistics:index", permanent=True)
    return redirect("statistics:detail", code=_region_for(request, code).code, permanent=True)
