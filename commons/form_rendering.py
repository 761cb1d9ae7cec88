"""The site's form renderer: Django's, with the `<select>` written in Python.

Why: Django renders every `<option>` of a select through two template includes
(`select_option.html`, `attrs.html`). The team pages' filter forms hold a hundred options and
more (collectives, codes, AI tools, observers, protocol versions): profiled on the observation
list at 10,000 observations, rendering them took 30 ms of a 55 ms request, more than its SQL.

`QuickSelectRenderer.render` writes exactly the markup of Django's `select.html` (tested against
Django's own templates) when the widget uses Django's templates unchanged, and hands every other
template, including a select whose options use another template, to Django. Values and labels
are escaped by `format_html`, as the templates' autoescape does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

SELECT_TEMPLATE = "django/forms/widgets/select.html"
OPTION_TEMPLATE = "django/forms/widgets/select_option.html"


def _attrs(attrs: Mapping[str, Any]) -> str:
    """`attrs.html`: ` name="value"` per attribute, a bare name for True, nothing for False."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(f" {conditional_escape(name)}")
        else:
            parts.append(f' {conditional_escape(name)}="{conditional_escape(str(value))}"')
    return "".join(parts)


def render_select(widget: Mapping[str, Any]) -> SafeString:
    """The HTML of Django's `select.html` for a widget context (``context["widget"]``)."""
    out = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            out.append(format_html('\n  <optgroup label="{}">', group_name))
        for option in group_choices:
            out.append(
                f'\n  <option value="{conditional_escape(str(option["value"]))}"{_attrs(option["attrs"])}>'
                f'{conditional_escape(option["label"])}</option>\n'  # the option template's last line
            )
        if group_name:
            out.append("\n  </optgroup>")
    out.append("\n</select>")
    return mark_safe("".join(out))  # every piece above is escaped


def _plain_options(widget: Mapping[str, Any]) -> bool:
    return all(
        option.get("template_name") == OPTION_TEMPLATE
        for _name, choices, _index in widget.get("optgroups", ())
        for option in choices
    )


class QuickSelectRenderer(DjangoTemplates):
    """Django's template renderer, except for plain `<select>` widgets (see the module docstring)."""

    def render(self, template_name: str, context: Mapping[str, Any], request=None) -> str:
        widget = context.get("widget") if template_name == SELECT_TEMPLATE else None
        if widget is not None and _plain_options(widget):
            return render_select(widget)
        return super().render(template_name, context, request=request)
