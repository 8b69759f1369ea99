"""Pagination: ``?page=2&page_size=50`` → ``{count, next, previous, results}``.

Page numbers make the database skip ``(page - 1) × page_size`` rows, which grows with
the page: reading a province's three million persons page by page would read
thousands of millions of rows. ``?after=<id>`` (a cursor) starts right after the
given id instead, through the index, whatever the depth; ``next`` then carries the
cursor of the following page. Lists are in id order, so both give the same rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Schema

from yangguang.api.errors import problem
from yangguang.core.errors import ValidationFailed

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
# Far beyond any real page; keeps offsets inside a 64-bit integer.
MAX_PAGE = 1_000_000
MAX_ID = 2**63 - 1  # the largest id a bigint column holds

Item = TypeVar("Item")


class NumberedPageQuery(Schema):
    """Page numbers only: for a list that is computed, not read in id order."""

    page: int = Field(1, ge=1, le=MAX_PAGE, description="页码，从1开始")
    page_size: int = Field(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE,
                           description=f"每页条数，最多{MAX_PAGE_SIZE}")


class PageQuery(NumberedPageQuery):
    after: int | None = Field(
        None, ge=0, le=MAX_ID,
        description="游标：只返回编号大于此值的记录（从0开始）。逐页读取全部数据时请用它代替页码："
                    "无论读到多深都一样快，响应的 next 地址里带有下一页的游标；不能与 page 同用")


class Page(Schema, Generic[Item]):
    count: int | None = Field(
        description="符合条件的总条数；用游标（after）时为 null：逐页读取时每页都重新计数，比读这一页还慢，"
                    "需要总数时请不带游标请求第一页")
    next: str | None = Field(description="下一页的地址，没有下一页时为 null")
    previous: str | None = Field(description="上一页的地址，没有上一页时为 null")
    results: list[Item]


def _link(request: HttpRequest, **params: int) -> str:
    query = request.GET.copy()
    for key, value in params.items():
        query[key] = str(value)
    return request.build_absolute_uri(request.path + "?" + urlencode(sorted(query.lists()),
                                                                      doseq=True))


def paginate(request: HttpRequest, queryset: QuerySet, query: PageQuery,
             serialize: Callable[[list[Any]], list[Any]]) -> dict[str, Any]:
    """One page of ``queryset`` (which must be in ascending id order), its items made
    by ``serialize``.

    A page past the end is empty (with a link back), not an error. With a cursor
    (``after``) there is no link back and no count: ``previous`` and ``count`` are null.
    """
    if query.after is not None:
        if "page" in request.GET:
            raise ValidationFailed([problem("page_with_after", "after")])
        rows = list(queryset.filter(pk__gt=query.after)[:query.page_size + 1])
        more = len(rows) > query.page_size
        rows = rows[:query.page_size]
        last_id = (rows[-1]["id"] if isinstance(rows[-1], dict) else rows[-1].pk) if rows else None
        return {
            "count": None,  # counting the whole list would cost more than the page
            "next": _link(request, after=last_id) if more else None,
            "previous": None,
            "results": serialize(rows),
        }
    return paginate_numbered(request, queryset, query, serialize)


def paginate_numbered(request: HttpRequest, items: QuerySet | Sequence[Any], query: NumberedPageQuery,
                      serialize: Callable[[list[Any]], list[Any]]) -> dict[str, Any]:
    """One page of ``items`` (a queryset or a computed list) by page number."""
    count = items.count() if isinstance(items, QuerySet) else len(items)
    offset = (query.page - 1) * query.page_size
    rows = list(items[offset:offset + query.page_size]) if offset < count else []
    last = max(1, -(-count // query.page_size))
    return {
        "count": count,
        "next": _link(request, page=query.page + 1) if query.page < last else None,
        "previous": _link(request, page=min(query.page - 1, last)) if query.page > 1 else None,
        "results": serialize(rows),
    }
