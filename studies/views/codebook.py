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

import re

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Subquery, Value
from django.db.models.functions import Coalesce, Lower
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from commons.formfields import column_max_length
from participants.models import display_name

from .. import codebook as services
from .. import permissions
from ..models import Code, CodedObservation, Excerpt, Memo, Observation, StudyPage
from ..models.coding import DEFAULT_COLOUR
from ..sources import consented_excerpts_q

_COLOUR_RE = re.compile(r"#[0-9a-fA-F]{6}")


# --- Forms: parse the request; the rules themselves are in `studies.codebook` --------------------


class _CodeChoiceField(forms.IntegerField):
    """A code of this study chosen in a <select>; the form resolves the id against the page's codes."""

    widget = forms.Select


class _StudyCodesForm(forms.Form):
    def __init__(self, *args, codes: dict[int, Code], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.codes = codes

    def _code(self, field: str, message: str) -> Code | None:
        value = self.cleaned_data.get(field)
        if value is None:
            return None
        code = self.codes.get(value)
        if code is None:
            raise forms.ValidationError(message)
        return code


class CodeForm(_StudyCodesForm):
    name = forms.CharField(
        label=gettext_lazy("Name"), required=False, max_length=column_max_length(Code, "name")
    )
    parent = _CodeChoiceField(label=gettext_lazy("Placed under"), required=False)
    colour = forms.CharField(
        label=gettext_lazy("Colour"), required=False, initial=DEFAULT_COLOUR,
        max_length=column_max_length(Code, "colour"),
        widget=forms.TextInput(attrs={"type": "color"}),
    )
    definition = forms.CharField(
        label=gettext_lazy("Definition"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("When to apply this code, with an example if useful. Markdown."),
    )

    def set_choices(self, choices: list[tuple[str, str]]) -> None:
        self.fields["parent"].widget.choices = [("", _("— none: a family of its own —")), *choices]

    def clean_parent(self) -> Code | None:
        return self._code("parent", _("Choose the parent among the codes of this study."))


class MergeForm(_StudyCodesForm):
    target = _CodeChoiceField(label=gettext_lazy("Merge into"))

    def set_choices(self, choices: list[tuple[str, str]]) -> None:
        self.fields["target"].widget.choices = [("", "—"), *choices]

    def clean_target(self) -> Code | None:
        return self._code("target", _("Choose the code to merge into among the codes of this study."))


class MemoForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("New memo"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("An analytic note on this code: what it gathers, doubts, links. Markdown."),
    )


# --- Access ---------------------------------------------------------------------------------------


def _guard(request: HttpRequest, study: StudyPage, *, write: str | None = None):
    """(membership, denial response or None). `write` names the rule a POST needs."""
    found = permissions.membership(request.user, study)
    if not permissions.is_team(request.user, study, found):
        return found, permissions.deny(request)
    if write is None:
        return found, None
    if request.method != "POST":
        return found, HttpResponseNotAllowed(["POST"])
    rule = permissions.can_manage_codebook if write == "manage" else permissions.can_contribute
    if not rule(request.user, study, found):
        raise PermissionDenied(_("Observers read the codebook; they do not change it."))
    return found, None


def codebook_url(request: HttpRequest, study: StudyPage) -> str:
    return study.get_url(request) + study.reverse_subpage("codebook")


def _code_or_404(study: StudyPage, code_id: int) -> Code:
    code = Code.objects.filter(study=study, pk=code_id).first()
    if code is None:
        raise Http404(_("No such code in this study."))
    return code


# --- The page -------------------------------------------------------------------------------------


def _count(rows, key: str) -> Coalesce:
    """A correlated COUNT over `rows` (already filtered on the outer code) grouped by their code column."""
    counted = rows.order_by().values(key).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _load_codes(study: StudyPage) -> list[Code]:
    consented = Observation.objects.consented().filter(study=study).values("pk")
    observations = CodedObservation.objects.filter(tag=OuterRef("pk"), content_object__in=consented)
    # Excerpts of every codable source (observations and interview transcripts), consented ones only.
    excerpts = Excerpt.codes.through.objects.filter(
        consented_excerpts_q(study, "excerpt__"), code=OuterRef("pk")
    )
    memos = Memo.objects.select_related("author", "author__bec_profile").order_by("created_at", "pk")
    return list(
        Code.objects.filter(study=study)
        .annotate(observation_count=_count(observations, "tag"), excerpt_count=_count(excerpts, "code"))
        .prefetch_related(Prefetch("memos", queryset=memos, to_attr="memo_list"))
        .order_by(Lower("name"), "pk")
    )


def _tree(codes: list[Code]) -> tuple[list[Code], list[Code]]:
    """(families, every code in reading order). Sets `depth`, `family` and `subtree` (ids) on each code."""
    by_id = {code.pk: code for code in codes}
    children: dict[int | None, list[Code]] = {}
    for code in codes:
        parent = code.parent_id if code.parent_id in by_id else None
        children.setdefault(parent, []).append(code)
    ordered: list[Code] = []
    seen: set[int] = set()

    def walk(code: Code, depth: int, family: Code) -> set[int]:
        seen.add(code.pk)
        code.depth, code.family = depth, family
        ordered.append(code)
        subtree = {code.pk}
        for child in children.get(code.pk, ()):
            if child.pk not in seen:
                subtree |= walk(child, depth + 1, family)
        code.subtree = subtree
        return subtree

    families = []
    for root in children.get(None, ()):
        walk(root, 0, root)
        families.append(root)
    for code in codes:  # only reachable with corrupt data (a cycle): show such codes anyway
        if code.pk not in seen:
            walk(code, 0, code)
            families.append(code)
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
    membership,
    *,
    new_form: CodeForm | None = None,
    bound: dict[tuple[str, int], forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    codes = _load_codes(study)
    families, ordered = _tree(codes)
    by_id = {code.pk: code for code in codes}
    can_manage = permissions.can_manage_codebook(request.user, study, membership)
    can_write_memos = permissions.can_contribute(request.user, study, membership)
    bound = bound or {}
    all_choices = _choices(ordered)
    for code in ordered:
        code.swatch = code.colour if _COLOUR_RE.fullmatch(code.colour or "") else DEFAULT_COLOUR
        for memo in code.memo_list:
            memo.author_name = display_name(memo.author) if memo.author else _("former member")
        code.open = next((kind for kind, pk in bound if pk == code.pk), "")
        if can_write_memos:
            code.memo_form = bound.get(("memo", code.pk)) or MemoForm(prefix=f"memo{code.pk}")
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
        "membership": membership,
        "families": families,
        "code_count": len(codes),
        "can_manage": can_manage,
        "can_write_memos": can_write_memos,
        "new_form": new_form,
        "codebook_url": codebook_url(request, study),
    }
    return render(request, "studies/codebook/page.html", context, status=status)


def _refused(request: HttpRequest, form: forms.Form, name: str, error: str) -> None:
    form.add_error(None, error)
    messages.error(request, _("« %(name)s » was not changed: %(error)s") % {"name": name, "error": error})


def codebook(request: HttpRequest, study: StudyPage) -> HttpResponse:
    """GET: the codebook. POST: a new code (contributors)."""
    membership, denied = _guard(request, study, write="manage" if request.method == "POST" else None)
    if denied:
        return denied
    if request.method != "POST":
        return _render(request, study, membership)
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
    return _render(request, study, membership, new_form=form, status=400)


def code_edit(request: HttpRequest, study: StudyPage, code_id: int) -> HttpResponse:
    """Rename, move, recolour and redefine a code, all at once or not at all."""
    membership, denied = _guard(request, study, write="manage")
    if denied:
        return denied
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
    return _render(request, study, membership, bound={("edit", code.pk): form}, status=400)


def code_merge(request: HttpRequest, study: StudyPage, code_id: int) -> HttpResponse:
    """Fold a code into another one: every coding, memo and sub-code moves; the code disappears."""
    membership, denied = _guard(request, study, write="manage")
    if denied:
        return denied
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
    return _render(request, study, membership, bound={("merge", source.pk): form}, status=400)


def code_memo(request: HttpRequest, study: StudyPage, code_id: int) -> HttpResponse:
    """A memo on a code (contributors)."""
    membership, denied = _guard(request, study, write="contribute")
    if denied:
        return denied
    code = _code_or_404(study, code_id)
    form = MemoForm(request.POST, prefix=f"memo{code.pk}")
    if form.is_valid():
        try:
            services.add_code_memo(code, request.user, form.cleaned_data["body"])
        except services.CodebookError as error:
            form.add_error(None, str(error))
            messages.error(request, _("The memo was not saved: %(error)s") % {"error": error})
        else:
            messages.success(request, _("Memo added to « %(name)s ».") % {"name": code.name})
            return redirect(f"{codebook_url(request, study)}#code-{code.pk}")
    return _render(request, study, membership, bound={("memo", code.pk): form}, status=400)
