"""Site-wide views: the doors into a session that are not allauth's, and media in development.

Every way into a session goes through allauth (verified address, rate limits, second factor).
Wagtail and Django register their own login and password-reset views (`/admin/login/`,
`/_util/login/`, `/admin/password_reset/...`); `bec_site.urls` puts these redirects in front of
them so that their forms are never processed: a POST to them signs nobody in and sends no email.
"""

from __future__ import annotations

import os
import posixpath
from pathlib import Path

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import SuspiciousFileOperation
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils._os import safe_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.static import serve

#: Where Wagtail stores documents (interview recordings among them) under MEDIA_ROOT.
DOCUMENTS_FOLDER = "documents"


def _safe_next(request: HttpRequest, default: str) -> str:
    """The `next` parameter when it stays on this site, `default` otherwise (no open redirect)."""
    candidate = request.GET.get("next") or request.POST.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def to_allauth_login(request: HttpRequest, default_next: str = "/") -> HttpResponse:
    """Send any other login page to allauth's, keeping a same-site `next`; never reads credentials.

    Why: Django's plain LoginView (Wagtail's `/_util/login/`, its admin login) signs a user in with
    a password alone, skipping allauth's second factor, rate limits and email verification.
    """
    return redirect_to_login(_safe_next(request, default_next))


def to_allauth_admin_login(request: HttpRequest) -> HttpResponse:
    """The Wagtail admin's login: allauth's, then back to the admin."""
    return to_allauth_login(request, default_next="/admin/")


def to_allauth_password_reset(request: HttpRequest, **_ignored: str) -> HttpResponse:
    """Wagtail's password-reset pages (form, confirm link, done pages) go to allauth's reset.

    Why: allauth's reset is rate limited per address and per IP and does not reveal whether an
    account exists; Wagtail's sends one email per request, without any limit.
    """
    return HttpResponseRedirect(reverse("account_reset_password"))


def _is_within(path: Path, folder: Path) -> bool:
    """Whether `path` is `folder` or lies below it, also through symlinks or another letter case."""
    if path == folder or folder in path.parents:
        return True
    if not folder.exists():
        return False
    for candidate in (path, *path.parents):
        try:
            if candidate.exists() and os.path.samefile(candidate, folder):
                return True
        except OSError:
            continue
    return False


def serve_media(request: HttpRequest, path: str) -> HttpResponse:
    """Media files in development (`DEBUG`), except anything in the documents folder.

    Why a view instead of a URL regex: the spelling of a path (`//documents/`, `./documents/`,
    `a/../documents/`, percent-encoding, a symlink, `DOCUMENTS/` on a case-insensitive disk) only
    becomes the file it names after normalisation, so the check is made on the resolved file.
    Documents (recordings) are only ever served by Wagtail's document view, which checks access
    and consent.
    """
    if "\x00" in path:
        raise Http404
    root = Path(settings.MEDIA_ROOT).resolve()
    normalised = posixpath.normpath(path).lstrip("/")
    try:
        target = Path(safe_join(str(root), normalised)).resolve()
    except (SuspiciousFileOperation, ValueError, OSError) as error:
        raise Http404 from error
    if _is_within(target, root / DOCUMENTS_FOLDER):
        raise Http404
    return serve(request, normalised, document_root=str(root))


# --- The privacy page ------------------------------------------------------------------------------

#: « Who sees what », the table of docs/architecture.md (Security model) in the visitors' words:
#: (data, anonymous, signed-in outsider, observer, member, coordinator). Keep the two in step.
WHO_SEES_WHAT = (
    (_("Bureau page, charter, decision register, published protocols and reports"),
     _("yes"), _("yes"), _("yes"), _("yes"), _("yes")),
    (_("Members list (display names, roles, colleges)"),
     _("no"), _("no"), _("yes"), _("yes"), _("yes, and manages it")),
    (_("Proposals, their discussion, ballots while a vote is open"),
     _("no"), _("no"), _("yes"), _("yes"), _("yes")),
    (_("Observations, interviews, excerpts, memos, analyses"),
     _("no"), _("no"), _("yes"), _("yes"), _("yes")),
    (_("Real names of collectives, informants' identifying details"),
     _("no"), _("no"), _("pseudonyms only"), _("yes"), _("yes")),
    (_("Interview recordings"),
     _("no"), _("no"), _("while the recording consent holds"),
     _("while the recording consent holds"), _("while the recording consent holds")),
    (_("Collectives, informants and consent records in the admin"),
     _("no"), _("no"), _("no"), _("no"), _("yes, for their bureaus")),
)


def privacy_facts() -> dict[str, object]:
    """What the privacy page states, read from the settings in force (never written by hand twice)."""
    return {
        "invitation_days": settings.BEC_INVITATION_DAYS,
        "session_days": max(1, round(settings.SESSION_COOKIE_AGE / 86400)),
        "export_per_hour": settings.BEC_DATA_EXPORT_PER_HOUR,
        "export_max_rows": settings.BEC_DATA_EXPORT_MAX_ROWS,
        "contact": settings.BEC_PRIVACY_CONTACT,
        "recording_max_mb": settings.BEC_RECORDING_MAX_BYTES // (1024 * 1024),
    }


def privacy(request: HttpRequest) -> HttpResponse:
    """« Données personnelles »: what is collected, why, who sees it, how long, how to act on it.

    Public (an invited person reads it before having an account), and generated from the settings,
    so that what it says about durations and limits is what the site does.
    """
    from django.shortcuts import render

    return render(request, "privacy.html", {"facts": privacy_facts(), "who_sees_what": WHO_SEES_WHAT})
