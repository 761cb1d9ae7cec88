"""Template filters for user text. `stored_markdown` shows HTML that `commons.markup` produced at save."""

from django import template
from django.utils.safestring import SafeString

from commons.markup import stored_html

register = template.Library()


@register.filter
def stored_markdown(value: str | None) -> SafeString:
    """Render a MarkdownField's stored HTML companion (already sanitised when it was saved)."""
    return stored_html(value)
