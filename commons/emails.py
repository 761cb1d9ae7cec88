"""Every email the site sends is rendered and linked the same way.

- **Plain text, not HTML.** A subject or a text body is not a web page: Django's autoescape would
  turn « BEC IA générative & ESS » into ``&amp;`` and « l'IA » into ``l&#x27;IA``. `render_email`
  renders both templates with autoescape off (whatever the template says), and joins the subject on
  one line. Nothing rendered here is ever put into an HTML page.
- **Links from the site's configured root.** `site_url` builds every emailed link from
  ``WAGTAILADMIN_BASE_URL`` (the address set for the deployment), never from the request's host
  (a demo reached through ``127.0.0.1``, a proxy, or a command run from cron has no meaningful
  host). Used by governance notifications, invitations and allauth's emails alike.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.template import Context
from django.template.loader import get_template

__all__ = ["render_email", "render_text", "site_url"]


def site_url(path_or_url: str) -> str:
    """The absolute address of `path_or_url` (a path, or a URL whose host is replaced) on the site's
    configured root, ``WAGTAILADMIN_BASE_URL``: the one way emailed links are built."""
    bits = urlsplit(path_or_url)
    path = bits.path or "/"
    if not path.startswith("/"):
        path = "/" + path
    tail = path + (f"?{bits.query}" if bits.query else "") + (f"#{bits.fragment}" if bits.fragment else "")
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + tail


def render_text(template_name: str, context: dict) -> str:
    """Render a text template (an email's subject or body) with autoescape off."""
    template = get_template(template_name)
    inner = getattr(template, "template", template)  # the Django backend's wrapper holds the Template
    return inner.render(Context(context, autoescape=False))


def render_email(prefix: str, context: dict, *, body_suffix: str = "_body.txt") -> tuple[str, str]:
    """(subject on one line, body) of the email `prefix` (``_subject.txt``, ``_body.txt``), as plain text."""
    subject = " ".join(render_text(f"{prefix}_subject.txt", context).splitlines()).strip()
    return subject, render_text(f"{prefix}{body_suffix}", context)
