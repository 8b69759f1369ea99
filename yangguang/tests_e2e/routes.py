"""Every route the project serves, found by walking Django's URL resolver.

The walker sees each ``path()``/``re_path()`` once, with its full pattern, its
namespaced name, its keyword arguments and its view — the REST API's routes too,
since django-ninja mounts each API path as a Django URL pattern. Tests iterate over
``walk()``, so a page or API route added tomorrow is checked tomorrow without anyone
editing a list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.regex_helper import normalize


@dataclass(frozen=True)
class Route:
    """One URL pattern: ``template`` is a %-format string (``persons/%(pk)s/``)."""

    name: str  # "registry:person" (namespaced), or "" for an unnamed pattern
    template: str
    params: tuple[str, ...]
    callback: Callable[..., Any]
    converters: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    default_kwargs: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def label(self) -> str:
        return f"{self.name or '(unnamed)'} /{self.template}"

    @property
    def is_api(self) -> bool:
        return self.template.startswith("api/")

    def url(self, values: dict[str, Any] | None = None) -> str:
        """The URL with ``values`` for the parameters, converted as Django's reverse() would."""
        values = values or {}
        missing = set(self.params) - set(values)
        if missing:
            raise KeyError(f"{self.label}: no value for {sorted(missing)}")
        text = {
            name: (self.converters[name].to_url(values[name]) if name in self.converters
                   else str(values[name]))
            for name in self.params
        }
        return "/" + self.template % text


def _converters(pattern: Any) -> dict[str, Any]:
    return dict(getattr(pattern, "converters", {}) or {})


def _regex(pattern: Any) -> str:
    """The pattern's regular expression, as Django builds it (``path()`` included)."""
    regex = pattern.regex.pattern
    return regex.removeprefix("^").removesuffix(r"\Z").removesuffix("$")


def walk(resolver: URLResolver | None = None) -> list[Route]:
    """Every URL pattern under ``resolver`` (default: the project's ROOT_URLCONF)."""
    return list(_walk(resolver or get_resolver(), "", {}, None))


def _walk(resolver: URLResolver, prefix: str, converters: dict[str, Any],
          namespace: str | None) -> Iterator[Route]:
    for entry in resolver.url_patterns:
        regex = prefix + _regex(entry.pattern)
        conv = {**converters, **_converters(entry.pattern)}
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(entry, regex, conv, ns)
        elif isinstance(entry, URLPattern):
            possibilities = normalize(regex)
            # A pattern with optional groups has several forms; the fullest names every
            # parameter the view can receive.
            template, params = max(possibilities, key=lambda p: len(p[1]))
            name = entry.name or ""
            if name and namespace:
                name = f"{namespace}:{name}"
            yield Route(name=name, template=template, params=tuple(params),
                        callback=entry.callback, converters=conv,
                        default_kwargs=dict(entry.default_args or {}))


def unwrap(view: Any) -> Iterator[Any]:
    """The view and everything it wraps, depth first: what decorators keep in
    ``__wrapped__`` (those using functools.wraps) or in their closure (those that
    don't, like django-ninja's view, whose closure holds its ``PathView``)."""
    seen: set[int] = set()
    stack = [view]
    while stack:
        obj = stack.pop()
        if obj is None or id(obj) in seen:
            continue
        seen.add(id(obj))
        yield obj
        inner = [getattr(obj, "__wrapped__", None)]
        inner += [value for value in _closure_values(obj)
                  if callable(value) or hasattr(value, "operations")]
        stack.extend(reversed(inner))


def _closure_values(obj: Any) -> list[Any]:
    values = []
    for cell in getattr(obj, "__closure__", None) or ():
        try:
            values.append(cell.cell_contents)
        except ValueError:  # an empty cell
            continue
    return values


def required_capability(route: Route) -> str | None:
    """The capability ``accounts.decorators.require_capability`` (or
    ``CapabilityRequiredMixin``) demands for this route's view, if any."""
    for view in unwrap(route.callback):
        view_class = getattr(view, "view_class", None)
        if view_class is not None and getattr(view_class, "capability", ""):
            return view_class.capability
        code = getattr(view, "__code__", None)
        closure = getattr(view, "__closure__", None)
        if code is not None and closure and "capability" in code.co_freevars:
            value = closure[code.co_freevars.index("capability")].cell_contents
            if isinstance(value, str):
                return value
    return None
