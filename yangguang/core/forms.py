"""What every form of the platform shares."""

from __future__ import annotations

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS


class ErrorSummaryMixin:
    """``error_summary()``: each error with the ``#id`` of its field, for the list of
    links at the top of the page (GOV.UK pattern, ``includes/error_summary.html``).
    Errors that belong to no field point at the first field."""

    def error_summary(self) -> list[dict[str, str]]:
        form: forms.Form = self  # type: ignore[assignment]
        first = next(iter(form.fields), None)
        items = []
        for name, errors in form.errors.items():
            field = first if name == NON_FIELD_ERRORS else name
            anchor = f"#{form[field].id_for_label}" if field else "#main"
            items += [{"href": anchor, "message": str(message)} for message in errors]
        return items
