"""Codebook services: create, rename, move, merge and describe codes; memos on codes.

Why a service module: the codebook page, the Wagtail admin, imports (REFI-QDA) and management
commands all need the same rules. Each function validates everything first, raises
`CodebookError` with a translated message and changes nothing (neither the database nor the
objects passed in) when the input is bad; the changes themselves run in one transaction.

Rules:
- a code's name is required (at most 100 characters once trimmed) and unique within its study,
  compared without regard to case (« Usages » and « usages » clash; another study may use it);
  its slug follows the name and is unique within the study;
- a parent belongs to the same study, and is neither the code itself nor one of its sub-codes;
- a colour is written #RRGGBB (`studies.models.coding.is_colour`);
- merging a code into another keeps every coding: whole-observation codings, excerpt codings,
  memos and sub-codes all move to the target before the source is deleted;
- only an unused code is deleted (no sub-code, no coding): a used one is merged, which keeps its codings.

The `check_*` functions apply these rules without changing anything: a bureau whose codebook is
under governance checks a change when it is proposed, and again when it is adopted
(`studies.codebook_votes`).
"""

from __future__ import annotations

import unicodedata
import uuid
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.text import slugify
from django.utils.translation import gettext as _

from participants.text import is_blank, visible

from . import agreement_summaries, tallies
from .models import Code, CodedObservation, Excerpt, Memo, StudyPage
from .models.coding import DEFAULT_COLOUR, descendant_ids, is_colour

__all__ = [
    "DEFAULT_COLOUR",
    "MAX_DEFINITION",
    "MAX_MEMO",
    "MAX_NAME",
    "CodebookError",
    "MergeResult",
    "add_code_memo",
    "check_delete",
    "check_edit",
    "check_merge",
    "counted_codes",
    "create_code",
    "delete_code",
    "descendant_ids",
    "edit_code",
    "merge_codes",
    "move_code",
    "rename_code",
    "update_code",
]

MAX_NAME = 100
MAX_DEFINITION = 20_000
MAX_MEMO = 20_000


def counted_codes(study: StudyPage) -> QuerySet[Code]:
    """The study's codes with ``observation_count`` and ``excerpt_count``, consented material only.

    One query, on the tallies (`studies.tallies`: the counts per code and consenting party, kept exact
    by the coding services; the parties whose consent is in force are summed, so a withdrawal applies
    at once). Why here: the codebook page and the codebook spreadsheet must give the same figures.
    ``observation_count`` follows the one definition of « the observations of a code » (whole note
    or an excerpt, `ObservationQuerySet.coded_with`); ``excerpt_count`` counts the excerpts of the
    observations and interviews (imported documents are not in the analysis tables).
    """
    return tallies.annotate_counts(Code.objects.filter(study=study))


class CodebookError(Exception):
    """A refused codebook change; the message is meant for the person who tried it."""


@dataclass(frozen=True)
class MergeResult:
    """What a merge moved to the target (duplicates of codings the target already had are counted too)."""

    observations: int
    excerpts: int
    memos: int
    children: int


# --- Validation helpers -------------------------------------------------------------------------


def _comparable(name: str) -> str:
    return unicodedata.normalize("NFC", name).casefold()


def _clean_name(name: str | None) -> str:
    name = unicodedata.normalize("NFC", visible(name))
    if not name:
        raise CodebookError(_("A code needs a name."))
    if len(name) > MAX_NAME:
        raise CodebookError(
            _("A code name has at most %(max)d characters (this one has %(count)d).")
            % {"max": MAX_NAME, "count": len(name)}
        )
    return name


def _check_unique_name(study_id: int, name: str, exclude_pk: int | None = None) -> None:
    """Case-insensitive, in Python: SQLite's case folding ignores accents (« É » vs « é »)."""
    wanted = _comparable(name)
    others = Code.objects.filter(study_id=study_id).exclude(pk=exclude_pk).values_list("name", flat=True)
    for other in others:
        if _comparable(other) == wanted:
            raise CodebookError(
                _("The code « %(name)s » already exists in this study (names are compared without case).")
                % {"name": other}
            )


def _unique_slug(study_id: int, name: str, exclude_pk: int | None = None) -> str:
    base = slugify(name, allow_unicode=True)[:90].strip("-_") or "code"
    taken = set(
        Code.objects.filter(study_id=study_id, slug__startswith=base)
        .exclude(pk=exclude_pk)
        .values_list("slug", flat=True)
    )
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


def _clean_colour(colour: str | None) -> str:
    colour = (colour or "").strip()
    if not is_colour(colour):
        raise CodebookError(
            _("A colour is written #RRGGBB (for example %(example)s).") % {"example": DEFAULT_COLOUR}
        )
    return colour.lower()


def _clean_definition(text: str | None) -> str:
    text = (text or "").strip()
    if len(text) > MAX_DEFINITION:
        raise CodebookError(
            _("A definition has at most %(max)d characters (this one has %(count)d).")
            % {"max": MAX_DEFINITION, "count": len(text)}
        )
    return text


def _check_parent(study_id: int, parent: Code | None, code: Code | None = None) -> None:
    if parent is None:
        return
    if parent.pk is None or parent.study_id != study_id:
        raise CodebookError(_("The parent code belongs to another study."))
    if code is not None and (parent.pk == code.pk or parent.pk in descendant_ids(code)):
        raise CodebookError(
            _(
                "« %(code)s » cannot be placed under « %(parent)s »: a code cannot be under itself or one of "
                "its sub-codes."
            )
            % {"code": code.name, "parent": parent.name}
        )


def _save(code: Code, **kwargs) -> None:
    """Save; a concurrent duplicate caught by the database constraints becomes a clear error."""
    try:
        with transaction.atomic():
            code.save(**kwargs)
    except IntegrityError as error:
        raise CodebookError(
            _("The code « %(name)s » already exists in this study.") % {"name": code.name}
        ) from error


# --- Services -----------------------------------------------------------------------------------


@transaction.atomic
def create_code(
    study: StudyPage,
    *,
    name: str,
    definition: str = "",
    colour: str = DEFAULT_COLOUR,
    parent: Code | None = None,
    identity: uuid.UUID | None = None,
) -> Code:
    """A new code in the study's codebook (at the top level, or under `parent`).

    `identity` is the code's exchange UUID when it comes from a file (REFI-QDA import): kept, so
    that the code is written with the same GUID when the study is exported again.
    """
    name = _clean_name(name)
    colour = _clean_colour(colour)
    definition = _clean_definition(definition)
    _check_parent(study.pk, parent)
    _check_unique_name(study.pk, name)
    code = Code(
        study=study,
        name=name,
        slug=_unique_slug(study.pk, name),
        definition=definition,
        colour=colour,
        parent=parent,
    )
    if identity is not None:
        code.uuid = identity
    _save(code)
    return code


@transaction.atomic
def rename_code(code: Code, name: str) -> Code:
    """Give the code a new name (unique in its study); its slug follows."""
    name = _clean_name(name)
    if name == code.name:
        return code
    _check_unique_name(code.study_id, name, exclude_pk=code.pk)
    old = (code.name, code.slug)
    code.name, code.slug = name, _unique_slug(code.study_id, name, exclude_pk=code.pk)
    try:
        _save(code, update_fields=["name", "slug"])
    except CodebookError:
        code.name, code.slug = old
        raise
    return code


@transaction.atomic
def move_code(code: Code, parent: Code | None) -> Code:
    """Place the code under `parent` (None: at the top level, as a family of its own)."""
    _check_parent(code.study_id, parent, code)
    if (parent.pk if parent else None) == code.parent_id:
        return code
    code.parent = parent
    code.save(update_fields=["parent"])
    return code


@transaction.atomic
def update_code(code: Code, definition: str, colour: str) -> Code:
    """Change the definition (Markdown, stored sanitised) and the colour."""
    definition = _clean_definition(definition)
    colour = _clean_colour(colour)
    code.definition, code.colour = definition, colour
    code.save(update_fields=["definition", "definition_html", "colour"])
    return code


def check_edit(code: Code, *, name: str, definition: str, colour: str, parent: Code | None) -> dict:
    """The fields an edit would change, checked as `edit_code` checks them: {field: new value}, with
    the parent as an id (None: top level). Changes nothing; empty when the edit changes nothing."""
    name = _clean_name(name)
    colour = _clean_colour(colour)
    definition = _clean_definition(definition)
    _check_parent(code.study_id, parent, code)
    if name != code.name:
        _check_unique_name(code.study_id, name, exclude_pk=code.pk)
    wanted = {
        "name": name,
        "definition": definition,
        "colour": colour,
        "parent": parent.pk if parent else None,
    }
    current = {
        "name": code.name,
        "definition": code.definition,
        "colour": code.colour.lower(),
        "parent": code.parent_id,
    }
    return {field: value for field, value in wanted.items() if value != current[field]}


@transaction.atomic
def edit_code(code: Code, *, name: str, definition: str, colour: str, parent: Code | None) -> Code:
    """Rename, move and describe a code at once: all of it, or nothing when any part is refused."""
    name = _clean_name(name)
    colour = _clean_colour(colour)
    definition = _clean_definition(definition)
    _check_parent(code.study_id, parent, code)
    if name != code.name:
        _check_unique_name(code.study_id, name, exclude_pk=code.pk)
    fields = ("name", "slug", "definition", "definition_html", "colour")
    old = {field: getattr(code, field) for field in fields}
    old_parent = code.parent
    try:
        rename_code(code, name)
        move_code(code, parent)
        update_code(code, definition, colour)
    except CodebookError:
        for field, value in old.items():
            setattr(code, field, value)
        code.parent = old_parent
        raise
    return code


def check_merge(source: Code, target: Code) -> None:
    """Whether `source` may be merged into `target` (raises `CodebookError`); changes nothing."""
    if source.pk is None or target.pk is None:
        raise CodebookError(_("Both codes must exist to be merged."))
    if source.study_id != target.study_id:
        raise CodebookError(_("A code can only be merged into a code of the same study."))
    if source.pk == target.pk:
        raise CodebookError(_("A code cannot be merged into itself."))
    if target.pk in descendant_ids(source):
        raise CodebookError(
            _(
                "« %(source)s » cannot be merged into its own sub-code « %(target)s »: move the sub-code out "
                "first, or merge the other way round."
            )
            % {"source": source.name, "target": target.name}
        )


def check_delete(code: Code) -> None:
    """Only an unused code is deleted: no sub-code, no coded observation, no coded excerpt.

    Why: deleting a used code would lose codings; merging it into another keeps them all.
    """
    if Code.objects.filter(parent=code).exists():
        raise CodebookError(_("« %(name)s » has sub-codes: move or merge them first.") % {"name": code.name})
    used = (
        CodedObservation.objects.filter(tag=code).exists()
        or Excerpt.codes.through.objects.filter(code=code).exists()
    )
    if used:
        raise CodebookError(
            _("« %(name)s » is used by codings: merge it into another code instead, which keeps them.")
            % {"name": code.name}
        )


@transaction.atomic
def delete_code(code: Code) -> None:
    """Delete an unused code (its memos go with it); a used one is refused (`check_delete`)."""
    check_delete(code)
    code.delete()


@transaction.atomic
def merge_codes(source: Code, target: Code) -> MergeResult:
    """Fold `source` into `target`, keeping every coding; `source` is then deleted.

    Whole-observation codings and excerpt codings of the source move to the target (an observation
    or excerpt that had both ends up with the target once), memos on the source become memos on
    the target, and the source's sub-codes are placed under the target.
    """
    check_merge(source, target)
    # The moves below are bulk updates (no signal): the target is recounted once at the end, and
    # the source's tallies go with it (`studies.tallies`).
    with tallies.deferred(target.study_id):
        # Whole observations: move the source's rows, except where the target is already there.
        observations = CodedObservation.objects.filter(tag=source)
        observation_count = observations.count()
        already = CodedObservation.objects.filter(tag=target, content_object=OuterRef("content_object"))
        observations.filter(~Exists(already)).update(tag=target)
        CodedObservation.objects.filter(tag=source).delete()

        # Excerpts: the same on the M2M table.
        through = Excerpt.codes.through
        excerpts = through.objects.filter(code=source)
        # The agreement's rows of the observations the source was used in (`agreement_summaries`).
        agreement_summaries.refresh(
            excerpts.exclude(excerpt__observation=None)
            .values_list("excerpt__observation_id", flat=True)
            .distinct()
        )
        excerpt_count = excerpts.count()
        already = through.objects.filter(code=target, excerpt=OuterRef("excerpt"))
        excerpts.filter(~Exists(already)).update(code=target)
        through.objects.filter(code=source).delete()

        memo_count = Memo.objects.filter(code=source).update(code=target)
        child_count = Code.objects.filter(parent=source).update(parent=target)
        source.delete()
        tallies.refresh([target.pk])
    return MergeResult(
        observations=observation_count, excerpts=excerpt_count, memos=memo_count, children=child_count
    )


@transaction.atomic
def add_code_memo(code: Code, author, body: str) -> Memo:
    """A memo (Markdown, stored sanitised) on a code."""
    body = (body or "").strip()
    if is_blank(body):
        raise CodebookError(_("A memo cannot be empty."))
    if len(body) > MAX_MEMO:
        raise CodebookError(
            _("A memo has at most %(max)d characters (this one has %(count)d).")
            % {"max": MAX_MEMO, "count": len(body)}
        )
    return Memo.objects.create(study_id=code.study_id, author=author, code=code, body=body)
