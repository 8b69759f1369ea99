"""Template helpers of the layout: display preferences and the menu per role."""

from __future__ import annotations

from typing import Any

from django import template

from yangguang.core.contributions import menu_for
from yangguang.core.display import preferences

register = template.Library()


@register.simple_tag(takes_context=True)
def display_classes(context: dict[str, Any]) -> str:
    """Classes for <html>: ``text-large`` and ``contrast-high`` as the user chose."""
    request = context.get("request")
    if request is None:
        return ""
    chosen = preferences(request)
    return " ".join(cls for key, cls in (("large", "text-large"), ("contrast", "contrast-high"))
                    if key in chosen)


@register.simple_tag(takes_context=True)
def display_preferences(context: dict[str, Any]) -> frozenset[str]:
    request = context.get("request")
    return preferences(request) if request is not None else frozenset()


@register.simple_tag(takes_context=True)
def menu(context: dict[str, Any]) -> list[dict[str, Any]]:
    """The menu's groups the signed-in user may use (``core.contributions.menu_for``)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    return menu_for(user, request.path)
