"""Coding a source — an observation or an interview: excerpts, memos, and whole-observation codes.

One set of views serves every codable source (`studies.sources`): each view takes the source's
`SourceKind`, which knows how to find it, the text excerpts point into and how excerpts and memos
are tied to it. Routes (declared on `StudyPage`), for observations:
``observations/<id>/`` (GET the page; POST ``action=set_codes`` replaces the codes applied to the
whole observation — observations only), ``observations/<id>/excerpts/`` (POST: code an excerpt),
``observations/<id>/excerpts/<excerpt_id>/delete/`` and ``observations/<id>/memos/``; the same
under ``interviews/<id>/`` for interview transcripts.

The study team reads (observers included); contributors write; an excerpt is deleted by its coder
or a coordinator. A source of another study, or whose consent is no longer in force, is a 404 for
everyone. Bad input re-renders the page with status 400, a translated error, and nothing saved.

Coding works without JavaScript: the form takes the excerpt's start and end as character offsets
into the source's ``plain_text``. ``studies/coding.js`` fills them from a text selection in
``#coding-text``, which therefore renders the plain text exactly (see :func:`highlight_segments`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.db import transaction
from django.db.models import F, Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from commons.views.confirm import confirm_page
from participants.models import display_name
from participants.text import shorten_at_word

from .. import permissions
from ..forms import ExcerptForm, MemoForm, ObservationCodesForm
from ..models import Code, CodedObservation, Excerpt, Memo, Observation, Purpose, StudyPage
from ..models.coding import code_tree, safe_colour
from ..sources import OBSERVATIONS, SourceKind

_OBSERVERS_DO_NOT_CODE = gettext_lazy("Observers read the study; they do not code it.")


def detail_url(study: StudyPage, observation_id: int, anchor: str = "") -> str:
    return OBSERVATIONS.url(study, observation_id, anchor)


# --- Highlighting ---------------------------------------------------------------------------------


@dataclass
class Segment:
    """A run of the plain text covered by the same excerpts (none: unhighlighted text)."""

    text: str
    excerpts: list = field(default_factory=list)
    colour: str = ""
    anchor: str = ""  # "excerpt-<id>" on the first segment of each excerpt

    @property
    def excerpt_ids(self) -> str:
        return " ".join(str(excerpt.pk) for excerpt in self.excerpts)

    @property
    def title(self) -> str:
        names = []
        for excerpt in self.excerpts:
            for code in excerpt.code_list:
                if code.name not in names:
                    names.append(code.name)
        return " · ".join(names)

    @property
    def overlap(self) -> bool:
        return len(self.excerpts) > 1

    @property
    def review(self) -> bool:
        return any(excerpt.needs_review for excerpt in self.excerpts)


def highlight_segments(text: str, excerpts) -> list[Segment]:
    """Split `text` at every excerpt boundary; each segment knows the excerpts covering it.

    Offsets are clamped to the text (a flagged excerpt may point past a shortened note). The
    segments' texts concatenate to `text` exactly, which the selection script relies on. The
    colour is that of the innermost covering excerpt's first code (validated #RRGGBB).
    """
    length = len(text)
    spans = []
    for excerpt in excerpts:
        start, end = min(max(excerpt.start, 0), length), min(max(excerpt.end, 0), length)
        if end > start:
            spans.append((start, end, excerpt))
    bounds = sorted({0, length, *(s for s, _e, _x in spans), *(e for _s, e, _x in spans)})
    anchored: set[int] = set()
    segments = []
    for a, b in zip(bounds, bounds[1:], strict=False):
        covering = [(e - s, x) for s, e, x in spans if s <= a and e >= b]
        covering.sort(key=lambda pair: (pair[0], pair[1].pk))
        segment = Segment(text[a:b], [x for _n, x in covering])
        if covering:
            innermost = covering[0][1]
            codes = innermost.code_list
            segment.colour = safe_colour(codes[0].colour if codes else None)
            fresh = [x for _n, x in covering if x.pk not in anchored]
            if fresh:
                segment.anchor = f"excerpt-{fresh[0].pk}"
                anchored.update(x.pk for x in fresh)
        segments.append(segment)
    return segments


def study_code_choices(study: StudyPage) -> list[Code]:
    """The study's codes in tree order (`code_tree`), each with its checked colour and an indent
    level for the pickers (``indent``: the depth, at most 4)."""
    codes = code_tree(Code.objects.filter(study=study).only("pk", "name", "colour", "parent_id"))
    for code in codes:
        code.safe_colour, code.indent = safe_colour(code.colour), min(code.depth, 4)
    return codes


# --- The page -------------------------------------------------------------------------------------


@permissions.source_required()
@require_safe
def source_detail(request: HttpRequest, study: StudyPage, *, kind: SourceKind, source) -> HttpResponse:
    """The page of a source that has no action of its own (an interview): read it, code it."""
    return render_source(request, study, kind, source)


@permissions.source_required(_OBSERVERS_DO_NOT_CODE, team_reads=True)
def observation_detail(request: HttpRequest, study: StudyPage, *, kind: SourceKind, source) -> HttpResponse:
    """The observation's page; POST ``action=set_codes`` replaces the codes of the whole observation."""
    if request.method == "POST":
        if request.POST.get("action") == "set_codes":
            return _set_codes(request, study, source)
        messages.error(request, _("Unknown action."))
        return render_source(request, study, kind, source, status=400)
    return render_source(request, study, kind, source)


def _set_codes(request: HttpRequest, study: StudyPage, observation: Observation) -> HttpResponse:
    form = ObservationCodesForm(request.POST, study=study)
    if not form.is_valid():
        messages.error(request, _("The codes were not changed."))
        return render_source(request, study, OBSERVATIONS, observation, codes_form=form, status=400)
    codes = list(form.cleaned_data["codes"])
    with transaction.atomic():
        observation.codes.set(codes)
        observation.save(update_fields=["updated_at", "coded_items"])
        # Codes are part of the observation: an edit form opened before this change must not
        # silently put the old codes back (optimistic locking, see the edit view).
        Observation.objects.filter(pk=observation.pk).update(version=F("version") + 1)
    messages.success(request, _("The codes of the observation were saved."))
    return redirect(detail_url(study, observation.pk, "observation-codes"))


def render_source(
    request: HttpRequest,
    study: StudyPage,
    kind: SourceKind,
    source,
    *,
    excerpt_form: ExcerptForm | None = None,
    memo_form: MemoForm | None = None,
    status: int = 200,
    **page_kwargs,
) -> HttpResponse:
    """The page of `source`: the coding context shared by every kind, plus the kind's own context.

    `page_kwargs` go to the kind's `page_context` function (e.g. the observation's `codes_form`).
    """
    context = coding_context(request, study, kind, source, excerpt_form=excerpt_form, memo_form=memo_form)
    context.update(import_string(kind.page_context)(request, study, source, context, **page_kwargs))
    return render(request, kind.template, context, status=status)


def coding_context(
    request: HttpRequest,
    study: StudyPage,
    kind: SourceKind,
    source,
    *,
    excerpt_form: ExcerptForm | None = None,
    memo_form: MemoForm | None = None,
) -> dict:
    """What the coding partials (`studies/includes/coding_*.html`) need, for any source.

    Four queries whatever the size: the excerpts with their coders, their codes, the study's codes,
    the memos with their authors.
    """
    user = request.user
    can_code = permissions.can_contribute(user, study)
    text = kind.plain_text(source)
    excerpts = list(
        Excerpt.objects.filter(**kind.of(source))
        .select_related("coder", "coder__bec_profile")
        .prefetch_related(Prefetch("codes", queryset=Code.objects.order_by("name"), to_attr="code_list"))
    )
    for excerpt in excerpts:
        # An imported excerpt whose coder matched no member keeps the name the file gave.
        excerpt.coder_name = (
            display_name(excerpt.coder) if excerpt.coder else excerpt.imported_coder or _("former member")
        )
        excerpt.safe_colour = safe_colour(excerpt.code_list[0].colour if excerpt.code_list else None)
        excerpt.can_delete = can_code and permissions.can_delete_excerpt(user, study, excerpt)
        for code in excerpt.code_list:
            code.safe_colour = safe_colour(code.colour)
    study_codes = study_code_choices(study)
    memos = list(Memo.objects.filter(**kind.of(source)).select_related("author", "author__bec_profile"))
    for memo in memos:
        memo.author_name = display_name(memo.author) if memo.author else _("former member")

    legend_ids: set[int] = {code.pk for excerpt in excerpts for code in excerpt.code_list}
    legend = [code for code in study_codes if code.pk in legend_ids]

    excerpt_form = excerpt_form or ExcerptForm(study=study, source=source, kind=kind,
                                               initial={"version": source.version})
    selected_codes = (
        {str(value) for value in excerpt_form.data.getlist("codes")} if excerpt_form.is_bound else set()
    )
    # Offsets typed or selected before a refusal come back, unless they were computed on an older
    # text: those must be selected again (the hidden version is always the current one).
    stale = excerpt_form.is_bound and excerpt_form.has_error(NON_FIELD_ERRORS, "stale")
    offsets = ("", "") if stale or not excerpt_form.is_bound else (
        excerpt_form.data.get("start", ""), excerpt_form.data.get("end", "")
    )
    return {
        "page": study,
        "self": study,
        "study": study,
        "bureau": study.bureau,
        "kind": kind,
        "source": source,
        "wording": kind.wording,
        "segments": highlight_segments(text, excerpts),
        "excerpts": excerpts,
        "review_count": sum(1 for excerpt in excerpts if excerpt.needs_review),
        "legend": legend,
        "study_codes": study_codes,
        "selected_codes": selected_codes,
        "memos": memos,
        "can_code": can_code,
        "show_identities": permissions.can_see_identities(user, study),
        "excerpt_form": excerpt_form,
        "memo_form": memo_form or MemoForm(),
        "text_length": len(text),
        "offsets_help": str(kind.wording["offsets_help"]) % {"length": len(text)},
        "excerpt_start": offsets[0],
        "excerpt_end": offsets[1],
    }


def observation_context(
    request: HttpRequest, study: StudyPage, observation: Observation, context: dict,
    *, codes_form: ObservationCodesForm | None = None,
) -> dict:
    """The observation page's own part: its facts and the codes of the whole observation."""
    study_codes = context["study_codes"]
    observation_code_ids = set(
        CodedObservation.objects.filter(content_object=observation).values_list("tag_id", flat=True)
    )
    if codes_form is not None and codes_form.is_bound:
        checked_codes = {str(value) for value in codes_form.data.getlist("codes")}
    else:
        checked_codes = {str(pk) for pk in observation_code_ids}
    return {
        "observation": observation,
        "observer_name": display_name(observation.observer) if observation.observer else _("former member"),
        "tools": list(observation.ai_tools.all()),
        "purposes": [str(Purpose(value).label) if value in Purpose.values else value
                     for value in observation.purposes],
        "observation_codes": [code for code in study_codes if code.pk in observation_code_ids],
        "checked_codes": checked_codes,
        "codes_form": codes_form,
    }


# --- Actions (every kind of source) ---------------------------------------------------------------


@permissions.source_required(_OBSERVERS_DO_NOT_CODE)
@require_POST
def excerpt_create(request: HttpRequest, study: StudyPage, *, kind: SourceKind, source) -> HttpResponse:
    form = ExcerptForm(request.POST, study=study, source=source, kind=kind)
    if not form.is_valid():
        messages.error(request, _("The excerpt was not saved: see the coding form."))
        return render_source(request, study, kind, source, excerpt_form=form, status=400)
    data = form.cleaned_data
    with transaction.atomic():
        excerpt = (
            Excerpt.objects.select_for_update(of=("self",))
            .filter(**kind.of(source), coder=request.user, start=data["start"], end=data["end"])
            .order_by("pk")  # the default ordering joins the (nullable) source: no FOR UPDATE there
            .first()
        )
        if excerpt is None:
            excerpt = Excerpt.objects.create(
                **kind.of(source), coder=request.user, start=data["start"], end=data["end"],
                text=data["text"], memo=data["memo"].strip(),
            )
            message = _("Excerpt coded.")
        else:  # the same coder coding the same passage again: one excerpt, more codes
            memo = data["memo"].strip()
            if memo:
                excerpt.memo = f"{excerpt.memo}\n\n{memo}" if excerpt.memo else memo
                excerpt.save(update_fields=["memo"])
            message = _("Codes added to your excerpt of this passage.")
        excerpt.codes.add(*data["codes"])
    messages.success(request, message)
    return redirect(kind.url(study, source.pk, f"excerpt-{excerpt.pk}"))


@permissions.source_required(_OBSERVERS_DO_NOT_CODE)
@require_http_methods(["GET", "POST"])
def excerpt_delete(
    request: HttpRequest, study: StudyPage, excerpt_id: int, *, kind: SourceKind, source
) -> HttpResponse:
    """GET asks first (which passage, which codes, that the text stays); POST deletes the excerpt.

    Why a page and not only a button: a coding lost by a slip of the mouse is work lost, and the
    question must work without JavaScript, like the bureau's other destructive actions
    (`commons.views.confirm`).
    """
    excerpt = (
        Excerpt.objects.filter(**kind.of(source), pk=excerpt_id)
        .prefetch_related(Prefetch("codes", queryset=Code.objects.order_by("name"), to_attr="code_list"))
        .first()
    )
    if excerpt is None:
        raise Http404(kind.wording["no_excerpt"])
    if not permissions.can_delete_excerpt(request.user, study, excerpt):
        raise PermissionDenied(_("Only the excerpt's coder or a coordinator may delete it."))
    if request.method == "GET":
        codes = ", ".join(code.name for code in excerpt.code_list) or _("none")
        return confirm_page(
            request,
            study,
            title=_("Delete the excerpt « %(text)s »") % {"text": shorten_at_word(excerpt.text, 60)},
            consequence=(
                _(
                    "The excerpt, its codes (%(codes)s) and its memo are deleted; the text of the source "
                    "does not change. This cannot be undone."
                )
                if excerpt.memo
                else _(
                    "The excerpt and its codes (%(codes)s) are deleted; the text of the source does not "
                    "change. This cannot be undone."
                )
            )
            % {"codes": codes},
            confirm_label=_("Yes, delete the excerpt"),
            cancel_url=kind.url(study, source.pk, f"excerpt-item-{excerpt.pk}"),
        )
    excerpt.delete()
    messages.success(request, _("Excerpt deleted."))
    return redirect(kind.url(study, source.pk, "excerpts"))


@permissions.source_required(_OBSERVERS_DO_NOT_CODE)
@require_POST
def source_memo(request: HttpRequest, study: StudyPage, *, kind: SourceKind, source) -> HttpResponse:
    form = MemoForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The memo was not saved."))
        return render_source(request, study, kind, source, memo_form=form, status=400)
    memo = Memo.objects.create(
        study=study, author=request.user, **kind.of(source), body=form.cleaned_data["body"]
    )
    messages.success(request, _("Memo saved."))
    return redirect(kind.url(study, source.pk, f"memo-{memo.pk}"))
