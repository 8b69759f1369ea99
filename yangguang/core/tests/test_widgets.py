"""The region picker widget: a plain code box that htmx turns into a lookup by name."""

from __future__ import annotations

from django import forms

from yangguang.core.widgets import RegionPicker


class RegionForm(forms.Form):
    region = forms.CharField(label="户籍地区划代码", max_length=12, required=False,
                             help_text="6位或12位代码", widget=RegionPicker)


def test_the_picker_is_a_code_box_that_asks_the_lookup_as_one_types() -> None:
    html = str(RegionForm({"region": "140922"})["region"])

    assert '<input type="text" name="region" value="140922"' in html
    assert 'maxlength="12"' in html and 'id="id_region"' in html
    assert 'aria-describedby="id_region_helptext"' in html
    assert 'hx-get="/regions/lookup/"' in html
    assert "hx-vals='{\"field\": \"region\"}'" in html
    assert 'hx-target="#id_region_options"' in html and 'id="id_region_options"' in html
    # Search forms push their URL: the lookup must not.
    assert 'hx-push-url="false"' in html
    # Without JavaScript: a link to the lookup page.
    assert 'href="/regions/lookup/"' in html


def test_the_picker_keeps_what_was_typed_when_the_form_is_shown_again() -> None:
    form = RegionForm({"region": "五台"})
    form.is_valid()

    assert 'value="五台"' in str(form["region"])
