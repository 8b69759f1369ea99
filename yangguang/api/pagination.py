"""Page-number pagination: ``?page=2&page_size=50`` → ``{count, next, previous, results}``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Schema

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
# Far beyond any real page; keeps offsets inside a 64-bit integer.
MAX_PAGE = 1_000_000

Item = TypeVar("Item")


class PageQuery(Schema):
    page: int = Field(1, ge=1, le=MAX_PAGE, description="页码，从1开始")
    page_size: int = Field(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE,
                           description=f"每页条数，最多{MAX_PAGE_SIZE}")


class Page(Schema, Generic[Item]):
    count: int = Field(description="符合条件的总条数")
    next: str | None = Field(description="下一页的地址，没有下一页时为 null")
    previous: str | None = Field(description="上一页的地址，没有上一页时为 null")
    results: list[Item]


def _link(request: HttpRequest, page: int) -> str:
    query = request.GET.copy()
    query["page"] = str(page)
    return request.build_absolute_uri(request.path + "?" + urlencode(sorted(query.lists()),
                                                                      doseq=True))


def paginate(request: HttpRequest, queryset: QuerySet, query: PageQuery,
             serialize: Callable[[list[Any]], list[Any]]) -> dict[str, Any]:
    """One page of ``queryset`` (which must be ordered), its items made by ``serialize``.

    A page past the end is empty (with a link back), not an error.
    """
    count = queryset.count()
    offset = (query.page - 1) * query.page_size
    rows = list(queryset[offset:offset + query.page_size]) if offset < count else []
    last = max(1, -(-count // query.page_size))
    return {
        "count": count,
        "next": _link(request, query.page + 1) if query.page < last else None,
        "previous": _link(request, min(query.page - 1, last)) if query.page > 1 else None,
        "results": serialize(rows),
    }
