"""Reports as readers and voters see them: the parts of a body, its text for diffs, the vote's wording.

`parts` turns a report body and its frozen figures into what the template shows, in a bounded number
of queries whatever the number of blocks: every quote's consent is asked in one query per request
(`quotes.quotable_for`), codes, protocol versions, decisions and publishable notes each in one.
Figures and key figures are drawn from their frozen numbers (`studies.figures`), never recomputed on
a published page. `report_texts` writes a revision as sections of text (figures as lines of numbers)
for the word diff the protocol uses (`diffing.diff_texts`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _

from commons.markup import render_markdown, render_references, stored_html

from . import figures as figure_module
from .quotes import attribution, quotable_for


@dataclass
class Part:
    """One block of a report as the template shows it."""

    type: str
    value: Any
    id: str = ""
    frozen: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)


def report_body(content_body):
    """A report body (StreamValue) from a revision's raw content."""
    from .models import StudyReportPage

    return StudyReportPage._meta.get_field("body").to_python(content_body or [])


def parts(request: HttpRequest | None, study, body, frozen: dict, *, live: bool = False) -> list[Part]:
    """The blocks of `body`, each with what it shows (see the module docstring).

    `live`: compute the figures that have no frozen numbers (the editor's preview of a new figure).
    """
    from commons.models import Decision

    from .models import Code, Observation, ProtocolPage, ProtocolVersion

    children = list(body or ())
    quote_ids = [
        c.value["excerpt"].pk if hasattr(c.value["excerpt"], "pk") else c.value["excerpt"]
        for c in children
        if c.block_type == "quote" and c.value.get("excerpt")
    ]
    quotable = quotable_for(request, quote_ids) if quote_ids else {}
    code_names = {c.value["code"].strip().lower() for c in children if c.block_type == "code"}
    codes = {}
    if code_names:
        for code in Code.objects.filter(study=study):
            if code.name.lower() in code_names:
                codes[code.name.lower()] = code
    version_numbers = {c.value["number"] for c in children if c.block_type == "protocol_version"}
    versions = {}
    protocol_url = ""
    if version_numbers:
        protocol = ProtocolPage.objects.child_of(study).live().first()
        if protocol is not None:
            protocol_url = protocol.get_url(request)
            versions = {
                v.number: protocol_url + protocol.reverse_subpage("version", args=[v.number])
                for v in ProtocolVersion.objects.filter(protocol=protocol, number__in=version_numbers)
            }
    decision_numbers = {c.value["number"] for c in children if c.block_type == "decision"}
    decisions = {}
    if decision_numbers:
        from commons.views.decisions import decision_url

        bureau = study.bureau
        newest = Decision.objects.filter(bureau=bureau).count()
        decisions = {
            d.sequence: (d, decision_url(bureau, d.sequence, newest))
            for d in Decision.objects.filter(bureau=bureau, sequence__in=decision_numbers)
        }
    note_ids = [
        pk
        for c in children
        if c.block_type == "publishable_notes"
        for pk in (frozen.get(c.id) or {}).get("observations", ())
    ]
    notes = {}
    if note_ids:
        from .quotes import publishable_q

        notes = {
            o.pk: o
            for o in Observation.objects.filter(publishable_q(study), pk__in=note_ids).select_related(
                "collective"
            )
        }
    out = []
    citer = _citer(study, children, frozen)
    for child in children:
        part = Part(child.block_type, child.value, child.id or "", frozen.get(child.id) or {})
        kind = child.block_type
        if kind == "text":
            # Rendered when the revision was saved (`StudyReportPage.freeze`); a revision saved before
            # that, or a preview of an unsaved one, is rendered now. Either way through commons.markup.
            stored = part.frozen.get("html")
            part.extra["html"] = (
                stored_html(stored) if stored is not None else render_markdown(child.value, citer)
            )
        elif kind == "figure":
            if not part.frozen and live:
                try:
                    part.frozen = figure_module.compute_figure(study, child.value)
                except figure_module.FigureError as error:
                    part.frozen = {"error": str(error)}
            part.extra["chart"] = figure_module.draw(part.frozen, child.value["title"]) if part.frozen else ""
            part.extra["date"] = figure_module.figure_date(part.frozen) if part.frozen else None
        elif kind == "key_figures":
            if not part.frozen and live:
                part.frozen = figure_module.compute_key_figures(study, child.value)
            part.extra["date"] = figure_module.figure_date(part.frozen) if part.frozen else None
        elif kind == "quote":
            excerpt = child.value.get("excerpt")
            pk = getattr(excerpt, "pk", excerpt)
            found = quotable.get(pk) if pk else None
            if found is not None and (
                found.observation_id
                and found.observation.study_id == study.pk
                or found.interview_id
                and found.interview.study_id == study.pk
            ):
                part.extra.update(text=found.text, attribution=attribution(found))
        elif kind == "code":
            part.extra["code"] = codes.get(child.value["code"].strip().lower())
        elif kind == "protocol_version":
            part.extra["url"] = versions.get(child.value["number"])
        elif kind == "decision":
            found = decisions.get(child.value["number"])
            if found:
                part.extra.update(decision=found[0], url=found[1])
        elif kind == "publishable_notes":
            ids = part.frozen.get("observations", ())
            part.extra["notes"] = [
                {"note": notes[pk], "attribution": _notes_attribution(notes[pk])} for pk in ids if pk in notes
            ]
        out.append(part)
    references = _references(frozen, citer)
    if references:
        out.append(Part("references", None, extra={"html": references}))
    return out


def _citer(study, children, frozen: dict):
    """A citer when some text block must be rendered now and cites (one query), else None."""
    from commons.library.citations import Citer

    texts = [str(c.value) for c in children if c.block_type == "text"]
    stale = any((frozen.get(c.id) or {}).get("html") is None for c in children if c.block_type == "text")
    if not stale or not any("[@" in text for text in texts):
        return None
    return Citer.for_bureau(study.bureau, texts)


def _references(frozen: dict, citer):
    """The reference list: frozen with the revision, or from the citer that rendered the texts now."""
    from .models.report import REFERENCES_KEY

    if citer is not None:
        return render_references(citer)
    stored = (frozen.get(REFERENCES_KEY) or {}).get("html")
    return stored_html(stored) if stored else ""


def _notes_attribution(observation) -> str:
    collective = observation.collective
    bits = [collective.code, collective.get_legal_form_display()]
    if collective.sector:
        bits.append(_("sector %(sector)s") % {"sector": collective.sector})
    return ", ".join(str(bit) for bit in bits if bit)


# --- Text for diffs and proposals -----------------------------------------------------------------


def report_texts(content: dict) -> tuple[dict[str, str], list[str], dict[str, str]]:
    """({key: text}, order, {key: label}) of a revision's content: the summary, then each block by id.

    Figures and key figures are written as their frozen numbers, so the diff shows changed figures.
    """
    from .models import StudyReportPage
    from .report_blocks import ReportBodyBlock

    labels_of = {name: str(block.label) for name, block in ReportBodyBlock.base_blocks.items()}
    texts: dict[str, str] = {}
    labels: dict[str, str] = {}
    order: list[str] = []
    if content.get("summary"):
        texts["summary"] = content["summary"]
    labels["summary"] = str(StudyReportPage._meta.get_field("summary").verbose_name)
    order.append("summary")
    frozen = content.get("frozen_figures") or {}
    for index, child in enumerate(report_body(content.get("body"))):
        key = child.id or f"block-{index}"
        value = child.value
        if child.block_type in ("heading", "text"):
            text = str(value)
            label = labels_of[child.block_type]
        elif child.block_type == "figure":
            text = "\n".join(
                [value["title"], figure_module.figure_text(frozen.get(key)), value.get("caption") or ""]
            )
            label = f"{labels_of['figure']} « {value['title']} »"
        elif child.block_type == "key_figures":
            text = figure_module.figure_text(frozen.get(key))
            label = labels_of["key_figures"]
        elif child.block_type == "quote":
            # The excerpt by number only: a diff page must not show a quote whose consent was withdrawn.
            excerpt = value.get("excerpt")
            text = (
                _("excerpt no. %(n)s") % {"n": getattr(excerpt, "pk", excerpt)}
                + "\n"
                + (value.get("comment") or "")
            )
            label = labels_of["quote"]
        elif child.block_type == "publishable_notes":
            text = "\n".join(str(pk) for pk in (frozen.get(key) or {}).get("observations", ()))
            label = labels_of["publishable_notes"]
        else:
            text = " ".join(str(v) for v in value.values()) if hasattr(value, "values") else str(value)
            label = labels_of.get(child.block_type, child.block_type)
        texts[key] = text.strip()
        labels[key] = label
        order.append(key)
    return texts, order, labels


def diff_revisions(old, new) -> list:
    """Section diffs from revision `old` (None: nothing published) to revision `new`."""
    from .diffing import diff_texts

    new_texts, new_order, new_labels = report_texts(new.content)
    old_texts, old_order, old_labels = report_texts(old.content) if old is not None else ({}, [], {})
    order = new_order + [key for key in old_order if key not in new_order]
    return diff_texts(old_texts, new_texts, order, {**old_labels, **new_labels})


def describe_submission(page, revision, live_revision) -> tuple[str, str]:
    """Title and Markdown body of the « Publication » proposal: what changes, text and figures."""
    from commons.models.governance import PROPOSAL_TITLE_MAX
    from participants.text import shorten_at_word

    from .diffing import summary_markdown
    from .versions import current_version, revision_summary

    current = current_version(page)
    number = (current.number + 1) if current else 1
    summary = " ".join(revision_summary(revision).split())
    title = _("Publish the report « %(title)s » (v%(n)s)") % {
        "title": revision.content.get("title") or page.title,
        "n": number,
    }
    if summary:
        title += " — " + summary
    title = shorten_at_word(title, PROPOSAL_TITLE_MAX)
    sections = diff_revisions(live_revision, revision)
    changed = summary_markdown(sections).replace(
        _("No section of the protocol changes."), _("No part of the report changes.")
    )
    body = "\n\n".join(
        part
        for part in (
            revision_summary(revision).strip(),
            "### " + _("Parts changed"),
            changed,
            _(
                "The figures are those computed when the report was submitted: adopting it publishes "
                "exactly this text and these figures. The full changes, word by word, are shown below "
                "the proposal."
            ),
        )
        if part
    )
    return title, body
