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
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from commons import actions as governance
from commons import changes
from commons.models import Proposal
from commons.models.governance import ProposalKind, Status
from commons.views.confirm import confirm_page
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
    """The study's codes with their counts, and ``memo_count``: two queries whatever the size.

    The counts come from the service the codebook spreadsheet uses too (`counted_codes`); the memos
    themselves are read on each code's own page (`code_detail`), so only their number is loaded here.
    """
    codes = list(services.counted_codes(study))
    memo_counts = dict(
        Memo.objects.filter(code__study=study).values("code").annotate(n=Count("pk")).values_list("code", "n")
    )
    for code in codes:
        code.memo_count = memo_counts.get(code.pk, 0)
    return codes


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


def _context(request: HttpRequest, study: StudyPage, codes: list[Code]) -> dict:
    """What the codebook page and a code's page share: the study, the rights, the governance."""
    governed = changes.is_governed(study.bureau.pk, ProposalKind.CODEBOOK)
    return {
        "page": study,
        "self": study,
        "study": study,
        "bureau": study.bureau,
        "coded_with_definition": CODED_WITH_DEFINITION,
        "observation_list_url": study.get_url(request) + study.reverse_subpage("observation_list"),
        # once here rather than a `routablepageurl` per code in the template (it resolves the page's URL)
        "segments_url": study.get_url(request) + study.reverse_subpage("analysis_segments"),
        "can_manage": permissions.can_manage_codebook(request.user, study),
        "can_write_memos": permissions.can_contribute(request.user, study),
        "governed": governed,
        "codebook_url": codebook_url(request, study),
    }


def _render(
    request: HttpRequest,
    study: StudyPage,
    *,
    new_form: CodeForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The codebook: every code with its counts, definition and a link to its own page.

    The forms to edit, merge or annotate a code live on that page (`_render_code`): rendering them
    for every code made the page heavy (issue 15).
    """
    codes = _load_codes(study)
    families, ordered = _tree(codes)
    context = _context(request, study, codes)
    pending = _pending_by_code(request, study) if context["governed"] else {}
    for code in ordered:
        code.pending = pending.get(code.pk, [])
        code.swatch = safe_colour(code.colour)
    if context["can_manage"]:
        new_form = new_form or CodeForm(prefix="new", codes={code.pk: code for code in codes})
        new_form.set_choices(_choices(ordered))
    context.update({"families": families, "code_count": len(codes), "new_form": new_form})
    return render(request, "studies/codebook/page.html", context, status=status)


def _render_code(
    request: HttpRequest,
    study: StudyPage,
    code_id: int,
    *,
    bound: tuple[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    """One code's page: its counts, definition, memos, and the forms to change it.

    ``bound`` is a refused form, ``("edit" | "merge" | "memo", form)``, shown with its errors; the
    others are fresh.
    The choices of the parent and merge lists need the whole tree (the code's subtree is left out).
    """
    codes = _load_codes(study)
    code = next((item for item in codes if item.pk == code_id), None)
    if code is None:
        raise Http404(_("No such code in this study."))
    _families, ordered = _tree(codes)
    by_id = {item.pk: item for item in codes}
    context = _context(request, study, codes)
    pending = _pending_by_code(request, study) if context["governed"] else {}
    code.pending = pending.get(code.pk, [])
    code.swatch = safe_colour(code.colour)
    memos = Memo.objects.filter(code=code).select_related("author", "author__bec_profile")
    code.memo_list = list(memos.order_by("created_at", "pk"))
    for memo in code.memo_list:
        memo.author_name = display_name(memo.author) if memo.author else _("former member")
    forms_of = {}
    if context["can_write_memos"]:
        forms_of["memo"] = MemoForm(prefix=f"memo{code.pk}", help_text=CODE_MEMO_HELP)
    if context["can_manage"]:
        others = _choices(ordered, exclude=code.subtree)
        forms_of["edit"] = CodeForm(
            prefix=f"code{code.pk}", codes=by_id,
            initial={"name": code.name, "parent": code.parent_id, "colour": code.swatch,
                     "definition": code.definition},
        )
        forms_of["merge"] = MergeForm(prefix=f"merge{code.pk}", codes=by_id)
    if bound is not None:
        forms_of[bound[0]] = bound[1]
    for kind in ("edit", "merge"):
        if kind in forms_of:
            forms_of[kind].set_choices(others)
    code.memo_form, code.edit_form, code.merge_form = (forms_of.get(k) for k in ("memo", "edit", "merge"))
    ancestors = []
    parent = by_id.get(code.parent_id)
    while parent is not None and parent not in ancestors:
        ancestors.insert(0, parent)
        parent = by_id.get(parent.parent_id)
    children = [item for item in ordered if item.parent_id == code.pk]
    context.update({"code": code, "ancestors": ancestors, "children": children,
                    "code_url": f"{context['codebook_url']}{code.pk}/"})
    return render(request, "studies/codebook/code.html", context, status=status)


def _pending_by_code(request: HttpRequest, study: StudyPage) -> dict[int, list[Proposal]]:
    """The codebook proposals still to be decided, by code they touch (the code, a merge's target).

    One query. Open votes for the whole team; drafts only for those who may see them (their author,
    the coordinators), as on the proposals page.
    """
    from commons import permissions as commons_permissions

    bureau = study.bureau
    statuses = [Status.OPEN]
    rows = Proposal.objects.filter(bureau=bureau, kind=ProposalKind.CODEBOOK, payload__study=study.pk)
    if commons_permissions.can_run_votes(request.user, bureau):
        statuses.append(Status.DRAFT)
        rows = rows.filter(status__in=statuses)
    else:
        rows = rows.filter(status=Status.OPEN) | rows.filter(status=Status.DRAFT, author=request.user)
    base = bureau.url + "proposals/"
    found: dict[int, list[Proposal]] = {}
    for proposal in rows.only("pk", "title", "status", "closes_at", "payload").order_by("pk"):
        proposal.link = f"{base}{proposal.pk}/"
        for key in ("code", "target"):
            if isinstance(proposal.payload.get(key), int):
                found.setdefault(proposal.payload[key], []).append(proposal)
    return found


def _governed(study: StudyPage) -> bool:
    return changes.is_governed(study.bureau.pk, ProposalKind.CODEBOOK)


def _propose(request: HttpRequest, study: StudyPage, payload: dict, title: str) -> HttpResponse | str:
    """Under governance: the change becomes a proposal (opened at once by a coordinator, a draft
    otherwise); returns the redirect to its page, or the refusal's message."""
    try:
        proposal = governance.propose_change(
            study.bureau, request.user, kind=ProposalKind.CODEBOOK, payload={"study": study.pk, **payload},
            title=title,
            body=_("A change to the codebook of « %(study)s », put to the vote as the bureau's decision "
                   "rules require. It applies once adopted.") % {"study": study.title},
        )
    except governance.GovernanceError as error:
        return str(error)
    if proposal.status == Status.OPEN:
        messages.success(request, _("« %(title)s » is put to the vote: the change applies once adopted.")
                         % {"title": proposal.title})
    else:
        messages.success(request, _("« %(title)s » is proposed as a draft: a coordinator opens the vote; the "
                                    "change applies once adopted.") % {"title": proposal.title})
    bureau = study.bureau
    return redirect(bureau.url + bureau.reverse_subpage("proposal_detail", args=[proposal.pk]))


def _edit_title(code: Code, changed: dict) -> str:
    if "name" in changed:
        return _("Rename the code « %(old)s » to « %(new)s »") % {"old": code.name, "new": changed["name"]}
    if "parent" in changed:
        return _("Move the code « %(name)s »") % {"name": code.name}
    return _("Redefine the code « %(name)s »") % {"name": code.name}


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


@permissions.team_required
@require_safe
def code_detail(request: HttpRequest, study: StudyPage, code_id: int) -> HttpResponse:
    """One code's page: the team reads its memos; contributors edit, merge, delete it and write memos."""
    return _render_code(request, study, code_id)


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
        fields = {"name": data["name"], "parent": data["parent"], "colour": data["colour"],
                  "definition": data["definition"]}
        try:
            changed = services.check_edit(code, **fields)
            if _governed(study) and set(changed) - {"colour"}:  # a colour alone is presentation: free
                answer = _propose(request, study, {"op": "edit", "code": code.pk, "to": changed},
                                  _edit_title(code, changed))
                if not isinstance(answer, str):
                    return answer
                raise services.CodebookError(answer)
            services.edit_code(code, **fields)
        except services.CodebookError as error:
            _refused(request, form, name, str(error))
        else:
            messages.success(request, _("Code « %(name)s » saved.") % {"name": code.name})
            return redirect(f"{codebook_url(request, study)}#code-{code.pk}")
    else:
        messages.error(
            request, _("« %(name)s » was not changed: see the errors in the form.") % {"name": name}
        )
    return _render_code(request, study, code.pk, bound=("edit", form), status=400)


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
            if _governed(study):
                answer = _propose(
                    request, study, {"op": "merge", "code": source.pk, "target": target.pk},
                    _("Merge the code « %(source)s » into « %(target)s »")
                    % {"source": name, "target": target.name},
                )
                if not isinstance(answer, str):
                    return answer
                raise services.CodebookError(answer)
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
    return _render_code(request, study, source.pk, bound=("merge", form), status=400)


@permissions.contributor_required(_OBSERVERS_READ, policy=permissions.can_manage_codebook)
@require_http_methods(["GET", "POST"])
def code_delete(request: HttpRequest, study: StudyPage, code_id: int) -> HttpResponse:
    """Delete an unused code: GET asks first, POST deletes (or proposes it, under governance).

    A used code is refused with the way out (merge it, which keeps its codings), nothing changed.
    """
    code = _code_or_404(study, code_id)
    back = f"{codebook_url(request, study)}#code-{code.pk}"
    governed = _governed(study)
    try:
        services.check_delete(code)
    except services.CodebookError as error:
        messages.error(
            request, _("« %(name)s » was not deleted: %(error)s") % {"name": code.name, "error": error}
        )
        return redirect(back)
    if request.method == "GET":
        return confirm_page(
            request,
            study,
            title=_("Delete the code « %(name)s »") % {"name": code.name},
            consequence=(
                _("The bureau decides codebook changes by vote: this opens a proposal; the code is deleted "
                  "once it is adopted.") if governed else
                _("The code is used by no coding; it is deleted with its memos. This cannot be undone.")
            ),
            confirm_label=_("Yes, put it to the vote") if governed else _("Yes, delete the code"),
            cancel_url=back,
        )
    if governed:
        answer = _propose(request, study, {"op": "delete", "code": code.pk},
                          _("Delete the code « %(name)s »") % {"name": code.name})
        if isinstance(answer, str):
            messages.error(request, answer)
            return redirect(back)
        return answer
    name = code.name
    services.delete_code(code)
    messages.success(request, _("Code « %(name)s » deleted.") % {"name": name})
    return redirect(codebook_url(request, study))


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
    return _render_code(request, study, code.pk, bound=("memo", form), status=400)
