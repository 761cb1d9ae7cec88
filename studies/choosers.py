"""The excerpt chooser of report quotes: only excerpts that may be quoted, in the editor's studies.

Lists the coded excerpts whose party consents to `quotation` (`studies.quotes`), of the studies whose
bureau the editor writes in (`permissions.quotable_study_ids`), with their pseudonymised attribution.
The « chosen » step looks the excerpt up in the same list, so an id typed by hand names nothing else.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views.generic.chooser import ChooseResultsView, ChooseView, ChosenView
from wagtail.admin.viewsets.chooser import ChooserViewSet


def _allowed(request):
    from .permissions import quotable_study_ids
    from .quotes import quotable_excerpts

    return quotable_excerpts(quotable_study_ids(request.user)).order_by("-pk")


def excerpt_label(excerpt) -> str:
    from .quotes import attribution

    return f"« {Truncator(' '.join(excerpt.text.split())).chars(160)} » — {attribution(excerpt)}"


class _Listing:
    def get_object_list(self):
        return _allowed(self.request)

    def filter_object_list(self, objects):
        query = (self.request.GET.get("q") or "").strip()[:200]
        return objects.filter(text__icontains=query) if query else objects

    @property
    def columns(self) -> list[Column]:
        return [
            TitleColumn(
                "title",
                label=_("Excerpt"),
                accessor=excerpt_label,
                get_url=lambda obj: self.append_preserved_url_parameters(
                    reverse(self.chosen_url_name, args=(obj.pk,))
                ),
                link_attrs={"data-chooser-modal-choice": True},
            ),
        ]


class ExcerptChooseView(_Listing, ChooseView):
    pass


class ExcerptChooseResultsView(_Listing, ChooseResultsView):
    pass


class ExcerptChosenView(ChosenView):
    def get_object(self, pk):
        return _allowed(self.request).get(pk=int(pk) if str(pk).isdigit() else 0)

    def get_display_title(self, instance):
        return excerpt_label(instance)


class ExcerptChooserViewSet(ChooserViewSet):
    model = "studies.Excerpt"
    icon = "openquote"
    choose_one_text = _("Choose an excerpt to quote")
    choose_another_text = _("Choose another excerpt")
    per_page = 20
    choose_view_class = ExcerptChooseView
    choose_results_view_class = ExcerptChooseResultsView
    chosen_view_class = ExcerptChosenView


excerpt_chooser_viewset = ExcerptChooserViewSet("excerpt_chooser", url_prefix="studies/excerpt-chooser")
