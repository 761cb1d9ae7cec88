"""Template filters that draw a code's user-chosen colour with readable text on it."""

from __future__ import annotations

from django import template

from ..models.coding import readable_colours, safe_colour

register = template.Library()


@register.filter
def code_colours(colour: str | None) -> str:
    """``--c: <colour>; --c-bg: <background>; --c-ink: <text colour>`` for a style attribute: the
    colour checked by `safe_colour` (never arbitrary text in a style), and the background and ink
    that `readable_colours` chose from its luminance."""
    checked = safe_colour(colour)
    background, ink = readable_colours(checked)
    return f"--c: {checked}; --c-bg: {background}; --c-ink: {ink}"
