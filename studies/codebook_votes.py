"""The codebook under governance: codebook changes as proposals of kind « codebook change ».

When the bureau's table has a line for « codebook change » (`commons.changes.is_governed`), the
codebook page no longer renames, moves, redefines, merges or deletes a code at once: it proposes
the change (`commons.actions.propose_change`), carrying it exactly, and adoption applies it through
the codebook services (`studies.codebook`; a merge keeps every coding). Registered from
`StudiesConfig.ready` because `commons` never imports `studies`.

Payloads (ids, plus names for reading the register after a code is gone):
- `{"op": "edit", "study", "code", "code_name", "from": {field: old}, "to": {field: new}}`, the fields
  among name, definition, colour and parent (an id, None for the top level) that change;
- `{"op": "merge", "study", "code", "code_name", "target", "target_name"}`;
- `{"op": "delete", "study", "code", "code_name"}` (unused codes only).

What stays free: creating a code (a new code changes no coding and no one's reading of the
existing ones; coders need it in the middle of coding), coding with existing codes, memos, and a
change of colour alone (presentation). Each change is checked when proposed and again at adoption:
a code deleted or merged meanwhile, or whose changed fields no longer hold the values they had
when proposed, makes the change « not applicable » (the decision stands, nothing is changed).
"""

from __future__ import annotations

from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from commons import changes
from commons.models.governance import ProposalKind

from . import codebook as services
from . import permissions
from .models import Code, StudyPage

EDIT, MERGE, DELETE = "edit", "merge", "delete"
FIELDS = ("name", "definition", "colour", "parent")


def _study(bureau_id: int, study_id) -> StudyPage:
    study = StudyPage.objects.filter(pk=study_id).first() if isinstance(study_id, int) else None
    if study is None or study.get_parent().pk != bureau_id:
        raise changes.ChangeError(_("This study no longer exists in the bureau."))
    return study


def _code(study: StudyPage, code_id, name: str = "") -> Code:
    code = Code.objects.filter(study=study, pk=code_id).first() if isinstance(code_id, int) else None
    if code is None:
        raise changes.ChangeError(
            _("The code « %(name)s » no longer exists (it was merged or deleted meanwhile).")
            % {"name": name or code_id}
        )
    return code


def _parent(study: StudyPage, parent_id) -> Code | None:
    return None if parent_id is None else _code(study, parent_id)


def _current(code: Code) -> dict:
    return {
        "name": code.name,
        "definition": code.definition,
        "colour": code.colour.lower(),
        "parent": code.parent_id,
    }


def _edit_arguments(study: StudyPage, code: Code, to: dict) -> dict:
    values = {**_current(code), **{k: v for k, v in to.items() if k in FIELDS}}
    return {
        "name": values["name"],
        "definition": values["definition"],
        "colour": values["colour"],
        "parent": _parent(study, values["parent"]),
    }


def check(bureau, author, payload: dict) -> dict:
    """A proposed codebook change, checked by the codebook's rules and cleaned; changes nothing."""
    study = _study(bureau.pk, payload.get("study"))
    if author is None or not permissions.can_manage_codebook(author, study):
        raise changes.ChangeError(_("Only the study's members and coordinators propose codebook changes."))
    code = _code(study, payload.get("code"))
    base = {"study": study.pk, "code": code.pk, "code_name": code.name}
    op = payload.get("op")
    try:
        if op == EDIT:
            to = payload.get("to") if isinstance(payload.get("to"), dict) else {}
            changed = services.check_edit(code, **_edit_arguments(study, code, to))
            if not changed:
                raise changes.ChangeError(_("This edit changes nothing."))
            current = _current(code)
            return {"op": EDIT, **base, "from": {k: current[k] for k in changed}, "to": changed}
        if op == MERGE:
            target = _code(study, payload.get("target"))
            services.check_merge(code, target)
            return {"op": MERGE, **base, "target": target.pk, "target_name": target.name}
        if op == DELETE:
            services.check_delete(code)
            return {"op": DELETE, **base}
    except services.CodebookError as error:
        raise changes.ChangeError(str(error)) from error
    raise changes.ChangeError(_("Unknown codebook change."))


def apply(proposal) -> str:
    """Apply an adopted codebook change, checked again against the codebook as it is now."""
    payload = proposal.payload
    study = _study(proposal.bureau_id, payload.get("study"))
    code = _code(study, payload.get("code"), payload.get("code_name", ""))
    op = payload.get("op")
    try:
        if op == EDIT:
            current = _current(code)
            if any(current.get(k) != v for k, v in payload.get("from", {}).items()):
                raise changes.ChangeError(
                    _("« %(name)s » was changed since the proposal: the proposed edit no longer applies.")
                    % {"name": code.name}
                )
            services.edit_code(code, **_edit_arguments(study, code, payload.get("to", {})))
            return _("« %(name)s » is edited as proposed.") % {"name": code.name}
        if op == MERGE:
            target = _code(study, payload.get("target"), payload.get("target_name", ""))
            result = services.merge_codes(code, target)
            return _(
                "« %(source)s » was merged into « %(target)s »: %(observations)d observation codings, "
                "%(excerpts)d excerpt codings, %(memos)d memos and %(children)d sub-codes moved."
            ) % {
                "source": payload.get("code_name", ""),
                "target": target.name,
                "observations": result.observations,
                "excerpts": result.excerpts,
                "memos": result.memos,
                "children": result.children,
            }
        if op == DELETE:
            services.delete_code(code)
            return _("« %(name)s » is deleted.") % {"name": payload.get("code_name", "")}
    except services.CodebookError as error:
        raise changes.ChangeError(str(error)) from error
    raise changes.ChangeError(_("Unknown codebook change."))


# --- How the proposal page and the codebook page show it ---------------------------------------


def _field_label(field: str) -> str:
    return {
        "name": _("Name"),
        "definition": _("Definition"),
        "colour": _("Colour"),
        "parent": _("Placed under"),
    }[field]


def _value(field: str, value, names: dict[int, str]) -> str:
    if field == "parent":
        return names.get(value, "—") if value is not None else _("— none: a family of its own —")
    return value or "—"


def describe(request, proposal):
    """The change as a table (before → after), with a link to the code in the codebook."""
    payload = proposal.payload
    study = StudyPage.objects.filter(pk=payload.get("study")).first()
    if study is None:
        return None
    op = payload.get("op")
    code_url = study.get_url(request) + study.reverse_subpage("codebook") + f"#code-{payload.get('code')}"
    code_link = format_html('<a href="{}">{}</a>', code_url, payload.get("code_name", ""))
    if op == EDIT:
        parents = [payload["from"].get("parent"), payload["to"].get("parent")]
        names = dict(Code.objects.filter(pk__in=[p for p in parents if p]).values_list("pk", "name"))
        rows = format_html_join(
            "",
            "<tr><th scope='row'>{}</th><td class='before'>{}</td>"
            "<td class='after'><strong>{}</strong></td></tr>",
            (
                (
                    _field_label(field),
                    _value(field, payload["from"].get(field), names),
                    _value(field, new, names),
                )
                for field, new in payload["to"].items()
            ),
        )
        return format_html(
            '<p>{} {}</p><div class="table-scroll"><table class="change-facts codebook-change"><thead><tr>'
            '<th scope="col">{}</th><th scope="col">{}</th><th scope="col">{}</th></tr></thead>'
            "<tbody>{}</tbody></table></div>",
            _("Edit of the code"),
            code_link,
            _("Field"),
            _("Now"),
            _("Proposed"),
            rows,
        )
    if op == MERGE:
        target_url = (
            study.get_url(request) + study.reverse_subpage("codebook") + f"#code-{payload.get('target')}"
        )
        return format_html(
            '<p>{}</p><p class="help">{}</p>',
            format_html(
                _("Merge the code {source} into {target}."),
                source=code_link,
                target=format_html('<a href="{}">{}</a>', target_url, payload.get("target_name", "")),
            ),
            _("Every observation, excerpt, memo and sub-code moves to the target code; no coding is lost."),
        )
    if op == DELETE:
        return format_html("<p>{} {}</p>", _("Delete the unused code"), code_link)
    return None


def proposal_changes(request, proposal):
    """`bec_proposal_changes` hook: only for codebook changes."""
    if proposal.kind != ProposalKind.CODEBOOK or not proposal.payload:
        return None
    return describe(request, proposal)


def register() -> None:
    changes.register(ProposalKind.CODEBOOK, check=check, apply=apply)
