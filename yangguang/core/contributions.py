"""What each app adds to the pages every user shares: the menu, the home page, and the
links on the person page.

``core`` knows no domain app. An app contributes by giving its ``AppConfig`` a
``contributions()`` method that returns a ``Contributions``: menu entries, to-do counts
and panels for the home page, and links on the registry's person page (so an app above
the registry adds to that page without the registry naming it), each shown to the users
who hold its capability. Core
collects them from the installed apps, in ``INSTALLED_APPS`` order, the first time a
page asks (the method runs after every app is loaded, so it may import models).

Whether a user holds a capability is the accounts app's question; core asks it through
the function named by the ``YANGGUANG_CAPABILITY_CHECK`` setting (``can(user,
capability)``), so it imports no app above it. See docs/architecture.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.apps import apps
from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

#: The menu's groups, in order: one per module of the platform. A group shows only
#: when the user may use at least one of its entries.
GROUPS: tuple[tuple[str, Promise], ...] = (
    ("persons", _("人员与证件")),
    ("services", _("服务")),
    ("benefits", _("补贴")),
    ("matching", _("数据比对")),
    ("plans", _("规划监测")),
    ("system", _("系统管理")),
)
_GROUP_KEYS = frozenset(key for key, _label in GROUPS)


@dataclass(frozen=True)
class MenuEntry:
    """A page in the menu: its URL name, label, group (a key of ``GROUPS``) and the
    capability a user needs to see it."""

    url_name: str
    label: str | Promise
    group: str
    capability: str

    def __post_init__(self) -> None:
        if self.group not in _GROUP_KEYS:
            raise ValueError(f"menu entry {self.url_name}: unknown group {self.group!r}")


@dataclass(frozen=True)
class HomeCount:
    """A number on the user's home page ("certificates expiring within 90 days"):
    ``count(user)`` reads it within the user's scope; ``url_name`` is where to act on it."""

    label: str | Promise
    capability: str
    count: Callable[[Any], int]
    url_name: str = ""
    query: str = ""  # appended to the URL, e.g. "status=frozen"


@dataclass(frozen=True)
class HomePanel:
    """A section of the home page: ``template`` is rendered with ``panel`` set to
    ``context(request)``; panels of all apps are shown by ``order``."""

    template: str
    capability: str
    context: Callable[[HttpRequest], dict[str, Any]] = field(default=lambda request: {})
    order: int = 100


#: Where on the person page a ``PersonAction`` goes: among the person's own actions, or
#: on each of the person's certificates.
ACTION_PLACES = frozenset(("person", "certificate"))


@dataclass(frozen=True)
class PersonAction:
    """A link an app adds to the person page, which belongs to the registry, an app below
    it: among the person's actions (``on="person"``) or on each certificate
    (``on="certificate"``). ``url_name`` is reversed with that record's primary key; the
    link is shown to users who hold ``capability`` in the person's hukou region (the
    page asks), and only when ``applies(record, person)``."""

    url_name: str
    label: str | Promise
    capability: str
    on: str = "person"
    applies: Callable[[Any, Any], bool] = field(default=lambda record, person: True)

    def __post_init__(self) -> None:
        if self.on not in ACTION_PLACES:
            raise ValueError(f"person action {self.url_name}: unknown place {self.on!r}")


@dataclass(frozen=True)
class PersonSection:
    """A section of the registry's person page from a domain above the registry (the
    benefits decisions …): ``template`` is rendered with ``section`` set to
    ``context(request, person)``; sections of all apps are shown by ``order``, after the
    registry's own. The registry imports no domain: it asks core for these."""

    template: str
    capability: str
    context: Callable[[HttpRequest, Any], dict[str, Any]]
    order: int = 100


@dataclass(frozen=True)
class Contributions:
    menu: Sequence[MenuEntry] = ()
    counts: Sequence[HomeCount] = ()
    panels: Sequence[HomePanel] = ()
    person_actions: Sequence[PersonAction] = ()
    #: Sentences for the person page's history: by an audit event's object type, a
    #: function saying in the user's language what the event did to the person. The
    #: registry's timeline asks these for the object types it does not know, so an app
    #: above the registry adds its events to the history without the registry
    #: importing it.
    timeline: Mapping[str, Callable[[Any], str]] = field(default_factory=dict)
    person_sections: Sequence[PersonSection] = ()
    #: What an app does when the registry changes a person (``person_changed``): each
    #: is called as ``handler(change, person, day, actor=actor, **details)`` inside the
    #: registry's transaction, so the registry tells the domains above it (benefits ends
    #: the grants of a person who died) without importing them.
    person_changes: Sequence[Callable[..., None]] = ()


@cache
def collected() -> Contributions:
    """Every installed app's contributions, in ``INSTALLED_APPS`` order."""
    menu: list[MenuEntry] = []
    counts: list[HomeCount] = []
    panels: list[HomePanel] = []
    actions: list[PersonAction] = []
    timeline: dict[str, Callable[[Any], str]] = {}
    sections: list[PersonSection] = []
    changes: list[Callable[..., None]] = []
    for config in apps.get_app_configs():
        contribute = getattr(config, "contributions", None)
        if contribute is None:
            continue
        given: Contributions = contribute()
        menu += given.menu
        counts += given.counts
        panels += given.panels
        actions += given.person_actions
        timeline.update(given.timeline)
        sections += given.person_sections
        changes += given.person_changes
    panels.sort(key=lambda panel: panel.order)
    sections.sort(key=lambda section: section.order)
    return Contributions(tuple(menu), tuple(counts), tuple(panels), tuple(actions), timeline,
                         tuple(sections), tuple(changes))


def holds(user: Any, capability: str) -> bool:
    """Whether ``user`` holds ``capability`` in any region."""
    if user is None or not user.is_authenticated:
        return False
    return bool(import_string(settings.YANGGUANG_CAPABILITY_CHECK)(user, capability))


def optional_url(name: str) -> str | None:
    """The URL of ``name``, or None while no app provides it."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def menu_for(user: Any, path: str = "") -> list[dict[str, Any]]:
    """The menu's groups the user may use, each with its entries; the entry whose URL is
    the longest start of ``path`` (the page shown) is marked current."""
    entries = []
    for entry in collected().menu:
        url = optional_url(entry.url_name)
        if url is not None and holds(user, entry.capability):
            entries.append({"url": url, "label": entry.label, "group": entry.group, "current": False})
    # The search covers the person pages; the registration form has its own entry.
    matching = [entry for entry in entries if path.startswith(entry["url"])]
    if matching:
        max(matching, key=lambda entry: len(entry["url"]))["current"] = True
    groups = []
    for key, label in GROUPS:
        members = [entry for entry in entries if entry["group"] == key]
        if members:
            groups.append({"key": key, "label": label, "entries": members,
                           "current": any(entry["current"] for entry in members)})
    return groups


def person_actions(on: str, record: Any, person: Any, may: Callable[[str], bool]
                   ) -> list[dict[str, Any]]:
    """The contributed links for ``record`` (the person, or one of their certificates:
    ``on``) that apply to it and whose capability ``may(capability)`` grants (the page
    asks in the person's region), as {"url", "label"}, in ``INSTALLED_APPS`` order."""
    links = []
    for action in collected().person_actions:
        if action.on != on or not may(action.capability) or not action.applies(record, person):
            continue
        try:
            url = reverse(action.url_name, args=[record.pk])
        except NoReverseMatch:
            continue
        links.append({"url": url, "label": action.label})
    return links


def home_for(request: HttpRequest) -> dict[str, Any]:
    """The signed-in user's home page: their to-do counts and panels."""
    user = request.user
    given = collected()
    counts = []
    for item in given.counts:
        if not holds(user, item.capability):
            continue
        url = optional_url(item.url_name) if item.url_name else None
        if url and item.query:
            url = f"{url}?{item.query}"
        counts.append({"label": item.label, "value": item.count(user), "url": url})
    panels = [{"template": panel.template, "context": panel.context(request)}
              for panel in given.panels if holds(user, panel.capability)]
    return {"counts": counts, "panels": panels}


def person_sections_for(request: HttpRequest, person: Any) -> list[dict[str, Any]]:
    """The sections other apps add to ``person``'s page that the user may see."""
    return [{"template": section.template, "context": section.context(request, person)}
            for section in collected().person_sections if holds(request.user, section.capability)]


#: The changes the registry announces: ``death`` (``day`` the death), ``moved_away`` (the
#: hukou moved out of the county without a transfer, on ``day``), ``hukou_transfer``
#: (``day`` the day recorded, with ``from_region`` and ``to_region`` codes); and the
#: corrections: ``move_withdrawn`` (a move away recorded in error withdrawn; ``day`` the
#: day it had), ``death_corrected`` (``day`` the corrected day of death, None when the
#: death was recorded in error; ``previous`` the day recorded before).
PERSON_CHANGES = frozenset(("death", "moved_away", "hukou_transfer", "move_withdrawn",
                            "death_corrected"))


def person_changed(change: str, person: Any, day: Any, *, actor: Any, **details: Any) -> None:
    """Tell every app that contributed a ``person_changes`` handler that ``person``
    changed (one of ``PERSON_CHANGES``) on ``day``."""
    if change not in PERSON_CHANGES:
        raise ValueError(f"unknown person change {change!r}")
    for handler in collected().person_changes:
        handler(change, person, day, actor=actor, **details)
