"""The bureau's Atom feed: its published reports (and other publications) and its decisions.

Public, like the register (`public_register`). Built with `django.contrib.syndication`; the items
come from the register and from the `bec_publications` hook (`commons.publications`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.syndication.views import Feed
from django.http import HttpRequest, HttpResponse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from ..models import BureauPage, Decision
from ..permissions import public_register
from ..publications import publications, registrations
from .decisions import decision_url

LIMIT = 30


@dataclass(frozen=True)
class Item:
    title: str
    link: str
    date: datetime
    description: str


class BureauFeed(Feed):
    feed_type = Atom1Feed

    def __call__(self, request, bureau=None, *args, **kwargs):
        self.bureau = bureau
        return super().__call__(request, *args, **kwargs)

    def get_object(self, request, *args, **kwargs):
        return self.bureau

    def title(self, bureau: BureauPage) -> str:
        return _("%(bureau)s: reports and decisions") % {"bureau": bureau.title}

    def link(self, bureau: BureauPage) -> str:
        return bureau.url

    def subtitle(self, bureau: BureauPage) -> str:
        return bureau.question

    def items(self, bureau: BureauPage) -> list[Item]:
        decisions = list(Decision.objects.filter(bureau=bureau).order_by("-sequence")[:LIMIT])
        newest = decisions[0].sequence if decisions else 0
        items = [
            Item(
                title=_("Decision no. %(n)s: %(title)s (%(outcome)s)")
                % {
                    "n": decision.sequence,
                    "title": decision.title,
                    "outcome": _("adopted") if decision.outcome == "adopted" else _("rejected"),
                },
                link=decision_url(bureau, decision.sequence, newest),
                date=decision.closed_at,
                description=decision.title,
            )
            for decision in decisions
        ]
        items += [
            Item(
                title=f"{item.title} ({item.label})",
                link=item.url,
                date=item.published_at,
                description=item.summary,
            )
            for item in [*publications(bureau, LIMIT), *registrations(bureau, LIMIT)]
        ]
        items.sort(key=lambda item: item.date, reverse=True)
        return items[:LIMIT]

    def item_title(self, item: Item) -> str:
        return item.title

    def item_link(self, item: Item) -> str:
        return item.link

    def item_description(self, item: Item) -> str:
        return item.description

    def item_pubdate(self, item: Item) -> datetime:
        return item.date

    def item_updateddate(self, item: Item) -> datetime:
        return item.date


@public_register
def feed(request: HttpRequest, bureau: BureauPage) -> HttpResponse:
    """The Atom feed of the bureau's publications and decisions."""
    return BureauFeed()(request, bureau=bureau)
