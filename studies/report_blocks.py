"""The blocks of a study report (`StudyReportPage.body`).

Text is Markdown (rendered by `commons.markup`, the one function that marks user text safe). A
figure names an analysis table and carries its filters as the analysis page's address or query
string: the numbers are computed by `studies.figures` when a revision is saved and frozen with it.
A quote points at a coded excerpt through a chooser that lists only quotable excerpts
(`studies.quotes`); its consent is asked again on every render. « Publishable notes » lists the
observations marked publishable whose collective consents to quotation (ids frozen at the
revision, consent re-checked on render).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail import blocks

from .choosers import excerpt_chooser_viewset

TABLES = (
    ("codes", _("code frequencies")),
    ("cooccurrence", _("co-occurrence of codes")),
    ("crosstab", _("crosstab")),
    ("time", _("over time")),
)
CHARTS = (
    ("bar", _("bars")),
    ("stacked", _("stacked bars")),
    ("line", _("lines")),
    ("none", _("table only")),
)
MEASURES = (
    ("sources", _("sources (observations and interviews)")),
    ("excerpts", _("coded excerpts")),
    ("collectives", _("collectives")),
    ("codes", _("codes used")),
)

FILTERS_HELP = _(
    "Paste the address of the analysis page showing the table (its filters and options come with it). "
    "Filters on people and on the text are not kept: they are team material."
)


class MarkdownBlock(blocks.TextBlock):
    """Markdown source; shown through `commons.markup.render_markdown`."""

    class Meta:
        icon = "doc-full"
        label = _("text (Markdown)")


#: A coded excerpt, chosen among the quotable ones (`studies.choosers`).
ExcerptChooserBlock = excerpt_chooser_viewset.get_block_class(
    name="ExcerptChooserBlock", module_path="studies.report_blocks"
)


class FigureBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("title"), max_length=200)
    table = blocks.ChoiceBlock(label=_("table"), choices=TABLES, default="codes")
    filters = blocks.CharBlock(label=_("filters"), required=False, max_length=4000, help_text=FILTERS_HELP)
    chart = blocks.ChoiceBlock(label=_("chart"), choices=CHARTS, default="bar")
    caption = blocks.TextBlock(label=_("comment"), required=False, max_length=2000)

    class Meta:
        icon = "table"
        label = _("figure")


class KeyFigureBlock(blocks.StructBlock):
    label = blocks.CharBlock(label=_("label"), max_length=120)
    measure = blocks.ChoiceBlock(label=_("what is counted"), choices=MEASURES, default="sources")
    filters = blocks.CharBlock(label=_("filters"), required=False, max_length=4000, help_text=FILTERS_HELP)


class KeyFiguresBlock(blocks.StructBlock):
    items = blocks.ListBlock(KeyFigureBlock(), label=_("numbers"), min_num=1, max_num=8)

    class Meta:
        icon = "list-ol"
        label = _("key figures")


class QuoteBlock(blocks.StructBlock):
    excerpt = ExcerptChooserBlock(label=_("coded excerpt"))
    comment = blocks.TextBlock(label=_("comment"), required=False, max_length=2000)

    class Meta:
        icon = "openquote"
        label = _("quote")


class CodeBlock(blocks.StructBlock):
    code = blocks.CharBlock(
        label=_("code"), max_length=100, help_text=_("The name of a code of the study's codebook.")
    )

    class Meta:
        icon = "tag"
        label = _("code and its definition")


class ProtocolVersionLinkBlock(blocks.StructBlock):
    number = blocks.IntegerBlock(label=_("protocol version"), min_value=1, max_value=10_000)

    class Meta:
        icon = "link"
        label = _("link to a protocol version")


class DecisionLinkBlock(blocks.StructBlock):
    number = blocks.IntegerBlock(label=_("decision number"), min_value=1, max_value=10_000_000)

    class Meta:
        icon = "link"
        label = _("link to a decision")


class PublishableNotesBlock(blocks.StructBlock):
    heading = blocks.CharBlock(label=_("heading"), max_length=200, required=False)
    limit = blocks.IntegerBlock(label=_("at most"), min_value=1, max_value=20, default=5)

    class Meta:
        icon = "doc-full-inverse"
        label = _("publishable field notes")


class ReportBodyBlock(blocks.StreamBlock):
    heading = blocks.CharBlock(label=_("heading"), max_length=200, icon="title")
    text = MarkdownBlock()
    figure = FigureBlock()
    quote = QuoteBlock()
    key_figures = KeyFiguresBlock()
    code = CodeBlock()
    protocol_version = ProtocolVersionLinkBlock()
    decision = DecisionLinkBlock()
    publishable_notes = PublishableNotesBlock()
