"""Form widgets shared by every app."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import NoReverseMatch, reverse


class RegionPicker(forms.TextInput):
    """A region code box that also finds regions by name.

    Without JavaScript it is the plain box for a 6- or 12-digit code, with a link to
    the lookup page (``lookup_url_name``) where a code can be found by name. With
    JavaScript, typing a name (「五台」, 「东冶镇」) lists the matching regions below the
    box with their paths (省 · 市 · 县 · 乡) as buttons (htmx asks the lookup for them);
    choosing one — by mouse, or Tab / arrow keys and Enter — puts its code in the box
    (``static/yangguang/region-picker.js``). The form receives a code either way.

    The lookup is named, not imported: ``core`` knows no domain app.
    """

    template_name = "core/widgets/region_picker.html"
    lookup_url_name = "regions:lookup"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__({"autocomplete": "off", "spellcheck": "false", **(attrs or {})})

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        try:
            context["widget"]["lookup_url"] = reverse(self.lookup_url_name)
        except NoReverseMatch:  # no app serves the lookup: a plain code box
            context["widget"]["lookup_url"] = ""
        return context
