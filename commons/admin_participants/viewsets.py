"""The admin of collectives, informants and consent records, scoped to the bureaus a person coordinates.

The « Participants » menu: each viewset sees only the objects of the bureaus the user manages
(`commons.admin_participants.scoping`; superusers see all). Registered from `commons.wagtail_hooks`,
together with the bureau-scoped permission policies, so that `participants` knows nothing of bureaus.
"""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, ObjectList
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.snippets.views.snippets import IndexView, SnippetViewSetGroup

from participants.models import Collective, ConsentForm, ConsentRecord, ConsentScope, Informant

from .forms import (
    CollectiveAdminForm,
    CollectiveFilterSet,
    ConsentFormAdminForm,
    ConsentFormFilterSet,
    ConsentRecordAdminForm,
    ConsentRecordFilterSet,
    InformantAdminForm,
    InformantFilterSet,
)
from .scoping import BureauScopedSnippetViewSet

# --- Collectives, informants and consent ----------------------------------------------------------


class CollectiveViewSet(BureauScopedSnippetViewSet):
    model = Collective
    icon = "group"
    menu_label = _("Collectives")
    list_display = ["code", "name", "legal_form", "sector", "size_band", "territory", "bureau"]
    list_select_related = ("bureau",)
    filterset_class = CollectiveFilterSet
    search_fields = ["name", "code", "territory", "sector"]
    edit_handler = ObjectList(
        [
            FieldPanel("bureau"),
            FieldPanel("name"),
            FieldRowPanel([FieldPanel("legal_form"), FieldPanel("size_band")]),
            FieldRowPanel([FieldPanel("sector"), FieldPanel("territory")]),
        ],
        base_form_class=CollectiveAdminForm,
    )


class InformantViewSet(BureauScopedSnippetViewSet):
    model = Informant
    icon = "user"
    menu_label = _("Informants")
    list_display = ["pseudonym", "collective", "role"]
    list_select_related = ("collective",)
    filterset_class = InformantFilterSet
    search_fields = ["pseudonym", "role", "collective__code", "collective__name"]
    edit_handler = ObjectList(
        [
            FieldPanel("collective"),
            FieldPanel("pseudonym"),
            FieldPanel("role"),
            FieldPanel("identifying_details"),
        ],
        base_form_class=InformantAdminForm,
    )


class ConsentFormViewSet(BureauScopedSnippetViewSet):
    model = ConsentForm
    icon = "doc-full"
    menu_label = _("Consent forms")
    list_display = ["title", "version", "bureau", "published_at", "retention_months"]
    list_select_related = ("bureau",)
    filterset_class = ConsentFormFilterSet
    search_fields = ["title", "text"]
    edit_handler = ObjectList(
        [
            FieldPanel("bureau"),
            FieldRowPanel([FieldPanel("title"), FieldPanel("version")]),
            FieldPanel("text"),
            FieldRowPanel([FieldPanel("published_at"), FieldPanel("retention_months")]),
        ],
        base_form_class=ConsentFormAdminForm,
    )


def _given_by(record: ConsentRecord) -> str:
    if record.collective_id:
        return record.collective.code
    return f"{record.informant.pseudonym} ({record.informant.collective.code})"


def _scope_labels(record: ConsentRecord) -> str:
    labels = dict(ConsentScope.choices)
    return ", ".join(str(labels.get(scope, scope)) for scope in record.scopes)


class ConsentRecordIndexView(IndexView):
    """The title column is who gave the consent: a collective's code or an informant's pseudonym."""

    def _get_title_column(self, field_name, column_class=TitleColumn, **kwargs):
        if field_name != "given_by":
            return super()._get_title_column(field_name, column_class, **kwargs)
        column_class = self._get_title_column_class(column_class)
        return column_class(
            "given_by",
            label=_("Given by"),
            accessor=_given_by,
            get_url=lambda record: self.get_edit_url(record) or self.get_inspect_url(record),
        )


class ConsentRecordViewSet(BureauScopedSnippetViewSet):
    model = ConsentRecord
    icon = "tick-inverse"
    menu_label = _("Consent records")
    index_view_class = ConsentRecordIndexView
    list_display = [
        "given_by",
        "form",
        Column("scopes", label=_("Scopes"), accessor=_scope_labels),
        "given_at",
        "withdrawn_at",
    ]
    list_select_related = ("form", "collective", "informant__collective")
    filterset_class = ConsentRecordFilterSet
    search_fields = ["collective__code", "collective__name", "informant__pseudonym", "form__title"]
    edit_handler = ObjectList(
        [
            FieldPanel("form"),
            FieldRowPanel(
                [FieldPanel("collective"), FieldPanel("informant")],
                help_text=_("A collective or an informant: one of the two."),
            ),
            FieldPanel("scopes"),
            FieldRowPanel([FieldPanel("given_at"), FieldPanel("withdrawn_at")]),
        ],
        base_form_class=ConsentRecordAdminForm,
    )


class ParticipantsViewSetGroup(SnippetViewSetGroup):
    menu_label = _("Participants")
    menu_icon = "group"
    menu_order = 250
    items = (CollectiveViewSet, InformantViewSet, ConsentFormViewSet, ConsentRecordViewSet)
