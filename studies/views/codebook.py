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
from django.views.decorators.http import require_http_methods, require_POST

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
    governed = changes.is_governed(study.bureau.pk, ProposalKind.CODEBOOK)
    pending = _pending_by_code(request, study) if governed else {}
    for code in ordered:
        code.pending = pending.get(code.pk, [])
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
        "governed": governed,
        "new_form": new_form,
        "codebook_url": codebook_url(request, study),
    }
    return render(request, "studies/codebook/page.html", context, status=status)


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
    return _render(request, study, bound={("merge", source.pk): form}, status=400)


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
    return _render(request, study, bound={("memo", code.pk): form}, status=400)
