"""Who may do what through the API, and the audit of what they read.

The rule is the pages' rule, through the same scope filter (``accounts.selectors``,
and ``registry.selectors`` for persons and certificates):

- a user who holds the operation's capability nowhere gets 403 ``forbidden``;
- an object outside the regions where the user holds it is 404 ``not_found``,
  exactly like an object that does not exist.

Reads of personal data are recorded as ``view`` events: one per detail call (for a
person, the same event the person page records), and one per list call carrying the
ids of the rows returned (see ``audit_view``).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from django.http import HttpRequest

from yangguang.accounts.selectors import can
from yangguang.accounts.services import home_region_code
from yangguang.api.errors import ApiError
from yangguang.audit.models import AuditAction
from yangguang.audit.services import Actor, record

# Ids are 64-bit; a larger number in a path is no object (and no database error).
MAX_ID = 2**63 - 1


def actor(request: HttpRequest) -> Actor:
    return Actor.of(request.user)


def require(request: HttpRequest, capability: str) -> None:
    """Refuse (403) a user who holds ``capability`` in no region at all."""
    if not can(request.user, capability):
        raise ApiError(403, "forbidden")


def existing_id(pk: int) -> int:
    """``pk`` if it can be an id at all, else 404."""
    if not 0 < pk <= MAX_ID:
        raise ApiError(404, "not_found")
    return pk


def audit_view(request: HttpRequest, object_type: str, obj: Model | None = None, *,
               person_id: int | None = None, region_code: str = "",
               ids: list[int] | None = None, query: dict[str, Any] | None = None) -> None:
    """Record that the caller read ``obj`` (a detail call) or the rows ``ids`` (a list call).

    A list call is one event whose data holds the ids returned and the filters used;
    an empty page is recorded too, since the search itself is part of the trail. Its
    region is the caller's home region, so the auditors of the caller's area see it.
    """
    data: dict[str, Any] = {"via": "api"}
    if ids is not None:
        data["ids"] = ids
    if query:
        data["query"] = query
    record(actor(request), AuditAction.VIEW, object_type, obj.pk if obj is not None else "",
           person_id=person_id, region_code=region_code or home_region_code(request.user),
           data=data)
