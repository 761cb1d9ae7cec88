"""The site's form renderer writes selects exactly as Django's templates do, only faster."""

from __future__ import annotations

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from hypothesis import given
from hypothesis import strategies as st

from commons.form_rendering import QuickSelectRenderer

DJANGO = DjangoTemplates()
QUICK = QuickSelectRenderer()

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)


def both(widget: forms.Widget, name: str, value) -> tuple[str, str]:
    return widget.render(name, value, renderer=DJANGO), widget.render(name, value, renderer=QUICK)


@given(
    choices=st.lists(st.tuples(text, text), max_size=6),
    value=text,
    name=text,
    attr=text,
)
def test_select_same_html_as_django(choices, value, name, attr):
    widget = forms.Select(choices=choices, attrs={"class": attr, "data-x": True, "hidden": False})
    expected, quick = both(widget, name, value)
    assert quick == expected


@given(
    groups=st.lists(st.tuples(text, st.lists(st.tuples(text, text), min_size=1, max_size=3)), max_size=3),
    values=st.lists(text, max_size=3),
)
def test_grouped_and_multiple_same_html_as_django(groups, values):
    widget = forms.SelectMultiple(choices=groups, attrs={"required": True})
    expected, quick = both(widget, "codes", values)
    assert quick == expected


def test_hostile_labels_are_escaped():
    widget = forms.Select(choices=[('"><script>alert(1)</script>', "<b>x</b> & co")])
    html = widget.render("f", None, renderer=QUICK)
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;b&gt;x&lt;/b&gt; &amp; co" in html


def test_other_option_templates_go_to_django():
    class Special(forms.Select):
        option_template_name = "django/forms/widgets/input_option.html"

    widget = Special(choices=[("a", "A")])
    assert widget.render("f", "a", renderer=QUICK) == widget.render("f", "a", renderer=DJANGO)


@pytest.mark.parametrize("widget", [forms.TextInput(), forms.CheckboxSelectMultiple(choices=[("a", "A")])])
def test_other_widgets_unchanged(widget):
    assert widget.render("f", "a", renderer=QUICK) == widget.render("f", "a", renderer=DJANGO)


def test_the_site_uses_it(settings):
    from django.forms.renderers import get_default_renderer

    assert settings.FORM_RENDERER == "commons.form_rendering.QuickSelectRenderer"
    get_default_renderer.cache_clear()
    assert isinstance(get_default_renderer(), QuickSelectRenderer)
