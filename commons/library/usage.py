"""Which texts of a bureau cite a reference's key, asked before the reference is deleted.

Why: a deleted reference's key is shown « référence inconnue » wherever it was cited, so the
confirmation page names those texts. `commons` knows its own texts (the bureau's charter and
governance, the proposals); the apps that write others (studies: contexts, readings, protocols,
reports) answer the ``bec_citing_texts(bureau, key)`` hook with ``[(label, url), …]``.
Candidates are found by a substring query, then checked with `cited_keys` (the exact grammar).
"""

from __future__ import annotations

from wagtail import hooks

from .citations import cited_keys

CITING_TEXTS_HOOK = "bec_citing_texts"


def cites(text: str | None, key: str) -> bool:
    """Whether `text` cites `key` (keys compare case-insensitively, as citations resolve them)."""
    return bool(text) and "@" in text and key.lower() in cited_keys(text)


def citing_texts(bureau, key: str) -> list[tuple[str, str]]:
    """``[(label, url), …]`` of the bureau's texts citing `key`, commons' first, then the hooks'."""
    from django.utils.translation import gettext as _

    from ..models import Proposal

    found: list[tuple[str, str]] = []
    if cites(bureau.charter, key) or cites(bureau.governance, key):
        found.append((_("The bureau's charter or governance rules"), bureau.url))
    needle = f"@{key}"
    proposals = Proposal.objects.filter(bureau=bureau, body__icontains=needle).only("pk", "title", "body")
    for proposal in proposals:
        if cites(proposal.body, key):
            url = bureau.url + bureau.reverse_subpage("proposal_detail", args=[proposal.pk])
            found.append((_("Proposal « %(title)s »") % {"title": proposal.title}, url))
    for hook in hooks.get_hooks(CITING_TEXTS_HOOK):
        found.extend(hook(bureau, key))
    return found
