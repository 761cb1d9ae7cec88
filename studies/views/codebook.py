"""The codebook page of a study: the codes as a tree of families, with their use; contributors manage it.

Every change goes through `studies.codebook`; a refusal there (`CodebookError`) re-renders the page
with status 400, the error next to the form and nothing changed. The team reads (observers
included); contributors create, edit, merge codes and write memos (`studies.permissions`). Anyone
else gets the login page or a 404.

Queries are bounded: one query lists the study's codes with their counts (correlated COUNT
subqueries, consented sources only), one more fetches the memos with their authors; the tree
and every form's choices are then built in Python.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from participants.models import display_name

from .. import codebook as services
from .. import permissions
from ..forms import CODE_MEMO_HELP, CodeForm, MemoForm, MergeForm
from ..models import Code, Memo, StudyPage
from ..models.coding import DEFAULT_COLOUR, code_tree, safe_colour
from ..models.observations import CODED_WITH_DEFINITION

_OBSERVERS_READ = gettext_lazy("Observers read the codebook; they do not change it.")


def codebook_url(request: HttpRequest, study: StudyPage) -> str:
    return study.get_url(request) + study.reverse_subpage("codebook")


def _code_or_404(study: StudyPage, code_id: int) -> Code:
    code = Code.objects.filter(study=study, pk=code_id).first()
    if code is None:
        raise Http404(_("No such code in this study."))
    return code


# --- The page -------------------------------------------------------------------------------------


def _load_codes(study: StudyPage) -> list[Code]:
    # The counts come from the service the codebook spreadsheet uses too (`counted_codes`).
    memos = Memo.objects.select_related("author", "author__bec_profile").order_by("created_at", "pk")
    return list(
        services.counted_codes(study).prefetch_related(Prefetch("memos", queryset=memos, to_attr="memo_list"))
    )


def _tree(codes: list[Code]) -> tuple[list[Code], list[Code]]:
    """(families, every code in reading order), by `code_tree`; each family gets its `members`."""
    ordered = code_tree(codes)
    families = [code for code in ordered if code.depth == 0]
    for root in families:
        root.members = [code for code in ordered if code.family is root and code is not root]
    return families, ordered


def _choices(ordered: list[Code], exclude: set[int] = frozenset()) -> list[tuple[str, str]]:
    return [
        (str(code.pk), "\u2003" * code.depth + code.name) for code in ordered if code.pk not in exclude
    ]


def _render(
    request: HttpRequest,
    study: StudyPage,
    *,
    new_form: CodeForm | None = None,
    bound: dict[tuple[str, int], forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    codes = _load_codes(study)
    families, ordered = _tree(codes)
    by_id = {code.pk: code for code in codes}
    can_manage = permissions.can_manage_codebook(request.user, study)
    can_write_memos = permissions.can_contribute(request.user, study)
    bound = bound or {}
    all_choices = _choices(ordered)
    for code in ordered:
        code.swatch = safe_colour(code.colour)
        for memo in code.memo_list:
            memo.author_name = display_name(memo.author) if memo.author else _("former member")
        code.open = next((kind for kind, pk in bound if pk == code.pk), "")
        if can_write_memos:
            code.memo_form = bound.get(("memo", code.pk)) or MemoForm(
                prefix=f"memo{code.pk}", help_text=CODE_MEMO_HELP
            )
        if can_manage:
            others = _choices(ordered, exclude=code.subtree)
            code.edit_form = bound.get(("edit", code.pk)) or CodeForm(
                prefix=f"code{code.pk}", codes=by_id,
                initial={"name": code.name, "parent": code.parent_id, "colour": code.swatch,
                         "definition": code.definition},
            )
            code.edit_form.set_choices(others)
            code.merge_form = bound.get(("merge", code.pk)) or MergeForm(
                prefix=f"merge{code.pk}", codes=by_id
            )
            code.merge_form.set_choices(others)
    if can_manage:
        new_form = new_form or CodeForm(prefix="new", codes=by_id)
        new_form.set_choices(all_choices)
    context = {
        "page": study,
        "self": study,
        "study": study,
        "bureau": study.bureau,
        "families": families,
        "code_count": len(codes),
        "coded_with_definition": CODED_WITH_DEFINITION,
        "observation_list_url": study.get_url(request) + study.reverse_subpage("observation_list"),
        "can_manage": can_manage,
        "can_write_memos": can_write_memos,
        "new_form": new_form,
        "codebook_url": codebook_url(request, study),
    }
    return render(request, "studies/codebook/page.html", context, status=status)


def _refused(request: HttpRequest, form: forms.Form, name: str, error: str) -> None:
    form.add_error(None, error)
    messages.error(request, _("« %(name)s » was not changed: %(error)s") % {"name": name, "error": error})


@permissions.contributor_required(_OBSERVERS_READ, team_reads=True, policy=permissions.can_manage_codebook)
def codebook(request: HttpRequest, study: StudyPage) -> HttpResponse:
    """GET: the codebook. POST: a new code (contributors)."""
    if request.method != "POST":
        return _render(request, study)
    codes = {code.pk: code for code in Code.objects.filter(study=study)}
    form = CodeForm(request.POST, prefix="new", codes=codes)
    if form.is_valid():
        data = form.cleaned_data
        try:
            code = services.create_code(
                study, name=data["name"], parent=data["parent"], colour=data["colour"] or DEFAULT_COLOUR,
                definition=data["definition"],
            )
        except services.CodebookError as error:
            form.add_error(None, str(error))
            messages.error(request, _("The code was not created: %(error)s") % {"error": error})
        else:
            messages.success(request, _("Code « %(name)s » created.") % {"name": code.name})
            return redirect(f"{codebook_url(request, study)}#code-{code.pk}")
    else:
        messages.error(request, _("The code was not created: see the errors in the form."))
    return _render(request, study, new_form=form, status=400)


@permissions.contributor_required(_OBSERVERS_READ, policy=permissions.can_manage_codebook)
@require_POST
def code_edit(request: HttpRequest, study: StudyPage, code_id: int) -> HttpResponse:
    """Rename, move, recolour and redefine a code, all at once or not at all."""
    code = _code_or_404(study, code_id)
    name = code.name
    codes = {item.pk: item for item in Code.objects.filter(study=study)}
    form = CodeForm(request.POST, prefix=f"code{code.pk}", codes=codes)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.edit_code(
                code, name=data["name"], parent=data["parent"], colour=data["colour"],
                definition=data["definition"],
            )
        except services.CodebookError as error:
            _refused(request, form, name, str(error))
        else:
            messages.success(request, _("Code « %(name)s » saved.") % {"name": code.name})
            return redirect(f"{codebook_url(request, study)}#code-{code.pk}")
    else:
        messages.error(
            request, _("« %(name)s » was not changed: see the errors in the form.") % {"name": name}
        )
    return _render(request, study, bound={("edit", code.pk): form}, status=400)


@permissions.contributor_required(_OBSERVERS_READ, policy=permissions.can_manage_codebook)
@require_POST
def code_merge(request: HttpRequest, study: StudyPage, code_id: int) -> HttpResponse:
    """Fold a code into another one: every coding, memo and sub-code moves; the code disappears."""
    source = _code_or_404(study, code_id)
    codes = {item.pk: item for item in Code.objects.filter(study=study)}
    form = MergeForm(request.POST, prefix=f"merge{source.pk}", codes=codes)
    if form.is_valid():
        target = form.cleaned_data["target"]
        name = source.name
        try:
            result = services.merge_codes(source, target)
        except services.CodebookError as error:
            _refused(request, form, name, str(error))
        else:
            messages.success(
                request,
                _("« %(source)s » was merged into « %(target)s »: %(observations)d observation codings, "
                  "%(excerpts)d excerpt codings, %(memos)d memos and %(children)d sub-codes moved.")
                % {"source": name, "target": target.name, "observations": result.observations,
                   "excerpts": result.excerpts, "memos": result.memos, "children": result.children},
            )
            return redirect(f"{codebook_url(request, study)}#code-{target.pk}")
    else:
        messages.error(request, _("« %(name)s » was not merged: choose the code to merge it into.")
                       % {"name": source.name})
    return _render(request, study, bound={("merge", source.pk): form}, status=400)


@permissions.contributor_required(_OBSERVERS_READ)
@require_POST
def code_memo(request: HttpRequest, study: StudyPage, code_id: int) -> HttpResponse:
    """A memo on a code (contributors)."""
    code = _code_or_404(study, code_id)
    form = MemoForm(request.POST, prefix=f"memo{code.pk}", help_text=CODE_MEMO_HELP)
    if form.is_valid():
        try:
            services.add_code_memo(code, request.user, form.cleaned_data["body"])
        except services.CodebookError as error:
            form.add_error(None, str(error))
            messages.error(request, _("The memo was not saved: %(error)s") % {"error": error})
        else:
            messages.success(request, _("Memo added to « %(name)s ».") % {"name": code.name})
            return redirect(f"{codebook_url(request, study)}#code-{code.pk}")
    else:
        messages.error(request, _("The memo was not saved."))
    return _render(request, study, bound={("memo", code.pk): form}, status=400)
