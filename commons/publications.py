"""What the bureau publishes besides its decisions, asked of the apps that publish it (Wagtail hooks).

`commons` never imports `studies`: the bureau page's « latest report », the Atom feed and the links
of the decision register ask two hooks.

- ``bec_publications(bureau, limit)`` → a list of `Publication` (newest first);
- ``bec_decision_links(bureau, decisions)`` → {decision pk: [(label, url), …]}: what each decision
  published (a protocol or report version).
- ``bec_registrations(bureau, limit)`` → a list of `Publication`: the registered protocol versions
  (newest first), for the Atom feed only (they are not the bureau page's « latest report »).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from wagtail import hooks

PUBLICATIONS_HOOK = "bec_publications"
REGISTRATIONS_HOOK = "bec_registrations"
DECISION_LINKS_HOOK = "bec_decision_links"


@dataclass(frozen=True)
class Publication:
    title: str
    url: str
    published_at: datetime
    summary: str
    label: str  # « Rapport intermédiaire, v2 »


def publications(bureau, limit: int = 20) -> list[Publication]:
    found: list[Publication] = []
    for hook in hooks.get_hooks(PUBLICATIONS_HOOK):
        found.extend(hook(bureau, limit))
    found.sort(key=lambda item: item.published_at, reverse=True)
    return found[:limit]


def decision_links(bureau, decisions) -> dict[int, list[tuple[str, str]]]:
    links: dict[int, list[tuple[str, str]]] = {}
    for hook in hooks.get_hooks(DECISION_LINKS_HOOK):
        for pk, items in hook(bureau, decisions).items():
            links.setdefault(pk, []).extend(items)
    return links


def registrations(bureau, limit: int = 20) -> list[Publication]:
    """The bureau's registered protocol versions, newest first (`bec_registrations`)."""
    found: list[Publication] = []
    for hook in hooks.get_hooks(REGISTRATIONS_HOOK):
        found.extend(hook(bureau, limit))
    found.sort(key=lambda item: item.published_at, reverse=True)
    return found[:limit]
