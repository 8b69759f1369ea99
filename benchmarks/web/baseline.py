"""The baseline: the same two pages written the obvious Django way.

What a team would write first, or get from the Django admin (``search_fields =
["name"]``, ``list_display`` with related columns, the change view): the search is
``name__icontains`` over the scoped queryset, paged by ``Paginator`` (an exact
``COUNT(*)`` and ``OFFSET``), and the templates follow relations lazily (a query per
row for the region and the certificates). The person page loads the person without
``select_related`` and walks certificates, their history, the household and the
person's audit trail lazily.

What it keeps from the real pages, because no version of these pages may drop it: the
capability check and the user's scope (``accounts.selectors.scope_q``), and the
``view`` audit event the real person page records.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from yangguang.accounts.decorators import require_capability
from yangguang.accounts.permissions import Capability
from yangguang.accounts.selectors import scope_q
from yangguang.audit.models import AuditEvent
from yangguang.audit.services import Actor
from yangguang.registry import services
from yangguang.registry.models import Person

PAGE_SIZE = 25  # as the real search page


def _scoped(request: HttpRequest):
    return Person.objects.filter(scope_q(request.user, Capability.VIEW_PERSON))


@require_capability(Capability.VIEW_PERSON)
def search(request: HttpRequest) -> HttpResponse:
    name = request.GET.get("name", "").strip()
    persons = _scoped(request)
    if name:
        persons = persons.filter(name__icontains=name)
    page = Paginator(persons.order_by("-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "bench/search.html", {"name": name, "page": page})


@require_capability(Capability.VIEW_PERSON)
def person(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(_scoped(request), pk=pk)
    services.record_view(found, actor=Actor.of(request.user))
    members = _scoped(request).filter(household_id=found.household_id).exclude(pk=found.pk) \
        if found.household_id else []
    events = AuditEvent.objects.filter(person_id=found.pk).order_by("-occurred_at")[:200]
    return render(request, "bench/person.html", {"person": found, "members": members,
                                                  "events": events})
