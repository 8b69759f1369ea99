"""Template helpers of the dashboard: a status's chart marker, a region's code as the
results (and the dashboard's URLs) name it."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.safestring import SafeString

from yangguang.analytics import charts, selectors
from yangguang.regions.models import Region

register = template.Library()


@register.simple_tag
def status_marker(status: str) -> SafeString:
    return charts.legend_marker(status)


@register.filter
def figure(value: Decimal | None) -> str:
    """A stored figure as the page prints it (at most two decimals; — for none)."""
    return "—" if value is None else charts.number(value)


@register.filter
def result_code(region: Region) -> str:
    return selectors.result_code(region)
