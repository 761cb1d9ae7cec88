"""Template filters that draw a code's user-chosen colour with readable text on it."""

from __future__ import annotations

from django import template

from ..models.coding import ink_on, safe_colour

register = template.Library()


@register.filter
def code_colours(colour: str | None) -> str:
    """``--c: <colour>; --c-ink: <text colour>`` for a style attribute: the colour checked by
    `safe_colour` (never arbitrary text in a style) and the ink chosen by `ink_on` from its luminance."""
    checked = safe_colour(colour)
    return f"--c: {checked}; --c-ink: {ink_on(checked)}"
