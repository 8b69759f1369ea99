"""Finding a region by name: the list the region picker (``core.widgets.RegionPicker``)
shows as the user types, and the same as a page of its own for browsers without
JavaScript (the picker's "按名称查找区划代码" link).

Regions are public reference data; the lookup only asks that the user is signed in.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from yangguang.regions.selectors import find_regions

#: The longest text looked up (longer names do not exist).
MAX_QUERY = 50


@login_required
@require_safe
def lookup(request: HttpRequest) -> HttpResponse:
    """``?q=五台`` (or, from a picker, ``?field=NAME&NAME=五台``): the matching regions
    with their paths. An htmx request gets the picker's option list, any other the page."""
    field = request.GET.get("field", "q")
    text = request.GET.get(field, "").strip()[:MAX_QUERY]
    matches = find_regions(text) if text else []
    context = {"q": text, "matches": matches, "field": field}
    if request.headers.get("HX-Request") == "true":
        return render(request, "regions/includes/region_options.html", context)
    return render(request, "regions/lookup.html", context)
