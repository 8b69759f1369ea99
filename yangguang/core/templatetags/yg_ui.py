"""Template helpers of the layout: display preferences and the navigation per role."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from yangguang.accounts.permissions import Capability
from yangguang.accounts.selectors import can
from yangguang.core.display import preferences

register = template.Library()

#: (URL name, label, capability that shows it), in the order of the navigation.
NAVIGATION = (
    ("registry:search", _("查询人员"), Capability.VIEW_PERSON),
    ("registry:create", _("登记人员"), Capability.EDIT_PERSON),
    ("registry:import", _("批量导入"), Capability.EDIT_PERSON),
    ("regions:index", _("地区统计"), Capability.VIEW_STATISTICS),
    ("audit:events", _("审计日志"), Capability.VIEW_AUDIT),
    ("accounts:users", _("用户管理"), Capability.MANAGE_USERS),
)


def optional_url(name: str) -> str | None:
    """The URL of ``name``, or None while no app provides it."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


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
def navigation(context: dict[str, Any]) -> list[dict[str, Any]]:
    """The sections the signed-in user may use, the current one marked."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    items = []
    for name, label, capability in NAVIGATION:
        url = optional_url(name)
        if url is not None and can(user, capability):
            items.append({"url": url, "label": label, "current": False})
    # The current section is the one whose address is the longest start of this page's
    # (the search covers the person pages, the registration form has its own item).
    matching = [item for item in items if request.path.startswith(item["url"])]
    if matching:
        max(matching, key=lambda item: len(item["url"]))["current"] = True
    return items
