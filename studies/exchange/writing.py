"""Writing a study as REFI-QDA: the codebook (`.qdc`) and the project (`.qdpx`), streamed.

What is written (the issue's contract, and NOTES.md's advice on what tools accept):

- only consented material: sources come from each kind's `consented()` (a withdrawn source is not
  written, nor its excerpts and memos); collectives and informants appear as `Case`s under their
  pseudonym code / pseudonym with non-identifying attributes only (legal form, size, sector) —
  never a real name, a territory or identifying details;
- every code, source, excerpt, memo and member with its stored UUID (the same on every export);
  codings, whole-observation codings and an excerpt's memo note get GUIDs derived from those
  (`uuid5`), so they are stable too;
- texts as ``sources/<uuid>.txt``, UTF-8 without BOM, LF line breaks; offsets in code points, end
  exclusive; ``project.qde`` and ``sources/`` in lower case; no ``richTextPath`` ever;
- namespaces exactly ``urn:QDA-XML:project:1.0`` / ``urn:QDA-XML:codebook:1.0``.

Memory: the zip is written entry by entry. Texts are read from the database a batch at a time
(`_BATCH` sources) and each is written to its own entry before the next is read; the project
file is then streamed with lxml's incremental writer, one `TextSource` at a time, so no step holds
every text (or every excerpt) at once.
"""

from __future__ import annotations

import datetime
import re
import uuid
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import IO

from django.utils import timezone
from lxml import etree

from participants.models import Collective, Informant, display_name

from ..models import Code, CodedObservation, Excerpt, Memo, StudyPage
from ..models.coding import code_tree, safe_colour
from ..sources import DOCUMENTS, INTERVIEWS, OBSERVATIONS, SourceKind
from .xml import CODEBOOK_NS, PROJECT_NS

ORIGIN = "wagtail-bec"
_BATCH = 200
#: Texts fetched from the database at once while writing the `sources/` entries.
_TEXTS_AT_ONCE = 10
#: Namespace of the GUIDs we derive (codings, excerpt notes, cases, variables, imported coders).
BEC_NS = uuid.UUID("6f6b2a43-6a0b-4c55-9a52-3b2f7c1f0b7e")
EXPORTED_KINDS: tuple[SourceKind, ...] = (OBSERVATIONS, INTERVIEWS, DOCUMENTS)


def derived(*parts: object) -> str:
    """A stable GUID for something that has no row of its own (a coding, a case, a variable)."""
    return str(uuid.uuid5(BEC_NS, ":".join(str(part) for part in parts)))


def excerpt_note_guid(excerpt_uuid) -> str:
    """The GUID of the note carrying an excerpt's memo (also read back by the importer)."""
    return derived("excerpt-memo", excerpt_uuid)


def _when(value) -> str:
    if value is None:
        return ""
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


#: Characters XML 1.0 cannot hold (C0 controls but tab, LF, CR; surrogates; U+FFFE/U+FFFF).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value) -> str:
    """`value` as text an XML document can hold: a stray control character in a note or a memo must
    not make the whole export fail (lxml refuses them); it is dropped."""
    return _NOT_XML.sub("", str(value))


def _attrs(**values) -> dict[str, str]:
    return {key: xml_text(value) for key, value in values.items() if value not in (None, "")}


# --- The codebook ---------------------------------------------------------------------------------


def _code_elements(codes: list[Code], tag_ns: str, memo_notes: dict[int, list[str]] | None = None):
    """The nested `Code` elements of the tree (every code codable: our codebook has no categories)."""
    ordered = code_tree(codes)
    elements: dict[int, etree._Element] = {}
    roots = []
    for code in ordered:
        element = etree.Element(
            f"{{{tag_ns}}}Code",
            _attrs(guid=code.uuid, name=code.name, isCodable="true", color=safe_colour(code.colour)),
        )
        if code.definition:
            etree.SubElement(element, f"{{{tag_ns}}}Description").text = xml_text(code.definition)
        for note in (memo_notes or {}).get(code.pk, ()):
            etree.SubElement(element, f"{{{tag_ns}}}NoteRef", targetGUID=note)
        elements[code.pk] = element
        if code.depth == 0:
            roots.append(element)
        else:
            elements[code.parent_id].append(element)
    return roots


def codebook_xml(study: StudyPage) -> bytes:
    """The study's codebook as a `.qdc` document."""
    root = etree.Element(f"{{{CODEBOOK_NS}}}CodeBook", nsmap={None: CODEBOOK_NS}, origin=ORIGIN)
    codes = etree.SubElement(root, f"{{{CODEBOOK_NS}}}Codes")
    for element in _code_elements(list(Code.objects.filter(study=study)), CODEBOOK_NS):
        codes.append(element)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)


# --- The project ----------------------------------------------------------------------------------


def _chunks(ids: list[int], size: int = _BATCH) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


class _Users:
    """The `User` GUIDs of members (their profile's UUID) and of imported coders (derived)."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def member(self, user) -> str | None:
        if user is None:
            return None
        profile = getattr(user, "bec_profile", None)
        guid = str(profile.uuid) if profile is not None else derived("user", user.pk)
        self.names.setdefault(guid, display_name(user))
        return guid

    def imported(self, label: str) -> str | None:
        if not label:
            return None
        guid = derived("imported-coder", label)
        self.names.setdefault(guid, label)
        return guid


def _source_ids(study: StudyPage) -> dict[str, list[int]]:
    return {
        kind.slug: list(kind.consented(study).order_by("pk").values_list("pk", flat=True))
        for kind in EXPORTED_KINDS
    }


def write_project(study: StudyPage, output: IO[bytes]) -> dict[str, int]:
    """Write the study's `.qdpx` to `output` (a binary file open for writing). Returns counts."""
    ids = _source_ids(study)
    codes = list(Code.objects.filter(study=study))
    code_uuid = {code.pk: str(code.uuid) for code in codes}
    counts = {"sources": 0, "excerpts": 0, "codes": len(codes), "memos": 0}
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for kind in EXPORTED_KINDS:
            for batch in _chunks(ids[kind.slug]):
                # One text at a time: read it, write its entry, drop it (`_TEXTS_AT_ONCE` per fetch).
                rows = kind.model.objects.filter(pk__in=batch).values_list("uuid", "plain_text")
                for identity, text in rows.iterator(chunk_size=_TEXTS_AT_ONCE):
                    with archive.open(f"sources/{identity}.txt", "w") as entry:
                        entry.write((text or "").replace("\r\n", "\n").encode("utf-8"))
                    counts["sources"] += 1
                    del text
        with archive.open("project.qde", "w") as stream:
            _write_project_xml(study, stream, ids, codes, code_uuid, counts)
    return counts


def _memos_by_subject(study: StudyPage, field: str, ids: Iterable[int]) -> dict[int, list[Memo]]:
    found: dict[int, list[Memo]] = defaultdict(list)
    for memo in Memo.objects.filter(**{f"{field}__in": list(ids)}).select_related("author__bec_profile"):
        found[getattr(memo, f"{field}_id")].append(memo)
    return found


def _write_project_xml(study, stream, ids, codes, code_uuid, counts) -> None:
    ns = PROJECT_NS
    users = _Users()
    notes: list[etree._Element] = []  # note elements, written after the sources

    def note(guid: str, body: str, author, created, name: str) -> str:
        element = etree.Element(
            f"{{{ns}}}Note",
            _attrs(
                guid=guid, name=name[:200], creatingUser=users.member(author), creationDateTime=_when(created)
            ),
        )
        etree.SubElement(element, f"{{{ns}}}PlainTextContent").text = xml_text(body)
        notes.append(element)
        counts["memos"] += 1
        return guid

    code_memos = _memos_by_subject(study, "code", code_uuid)
    code_notes = {
        pk: [note(str(m.uuid), m.body, m.author, m.created_at, m.body[:60]) for m in memos]
        for pk, memos in code_memos.items()
    }
    with etree.xmlfile(stream, encoding="utf-8") as xf:
        xf.write_declaration()
        with xf.element(
            f"{{{ns}}}Project",
            nsmap={None: ns},
            name=xml_text(study.title[:200]),
            origin=ORIGIN,
            creationDateTime=_when(timezone.now()),
        ):
            xf.write(_users_element(study, ids, users), pretty_print=True)
            codebook = etree.Element(f"{{{ns}}}CodeBook")
            codes_element = etree.SubElement(codebook, f"{{{ns}}}Codes")
            for element in _code_elements(codes, ns, code_notes):
                codes_element.append(element)
            xf.write(codebook, pretty_print=True)
            variables, cases = _cases(study, ids)
            if len(variables):
                xf.write(variables, pretty_print=True)
            if len(cases):
                xf.write(cases, pretty_print=True)
            if any(ids.values()):
                with xf.element(f"{{{ns}}}Sources"):
                    for kind in EXPORTED_KINDS:
                        for batch in _chunks(ids[kind.slug]):
                            for element in _source_elements(kind, batch, code_uuid, users, note, counts):
                                xf.write(element, pretty_print=True)
            if notes:
                with xf.element(f"{{{ns}}}Notes"):
                    for element in notes:
                        xf.write(element, pretty_print=True)


def _users_element(study, ids, users: _Users):
    """Every member who coded an exported excerpt, wrote an exported memo or logged a source."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    user_model = get_user_model()
    condition = Q(pk__in=[])
    labels: set[str] = set()
    for kind in EXPORTED_KINDS:
        chosen = kind.model.objects.filter(pk__in=kind.consented(study).values("pk"))
        excerpts = Excerpt.objects.filter(**{f"{kind.field}__in": chosen.values("pk")})
        condition |= Q(pk__in=excerpts.values("coder_id"))
        labels |= set(excerpts.exclude(imported_coder="").values_list("imported_coder", flat=True).distinct())
        condition |= Q(
            pk__in=Memo.objects.filter(**{f"{kind.field}__in": chosen.values("pk")}).values("author_id")
        )
    condition |= Q(pk__in=Memo.objects.filter(code__study=study).values("author_id"))
    condition |= Q(pk__in=OBSERVATIONS.consented(study).values("observer_id"))
    condition |= Q(pk__in=INTERVIEWS.consented(study).values("interviewer_id"))
    condition |= Q(pk__in=DOCUMENTS.consented(study).values("imported_by_id"))
    for user in user_model.objects.filter(condition).select_related("bec_profile").order_by("pk"):
        users.member(user)
    for label in sorted(labels):
        users.imported(label)
    element = etree.Element(f"{{{PROJECT_NS}}}Users")
    for guid, name in users.names.items():
        etree.SubElement(element, f"{{{PROJECT_NS}}}User", guid=guid, name=xml_text(name))
    if not len(element):
        etree.SubElement(element, f"{{{PROJECT_NS}}}User", guid=derived("user", "none"), name=ORIGIN)
    return element


# Case variables: non-identifying attributes only (pseudonyms rule).
_VARIABLES = (("legal_form", "Forme juridique"), ("size_band", "Taille"), ("sector", "Secteur"))


def _cases(study, ids):
    """`Variables` and `Cases`: the collectives and informants of the exported sources."""
    ns = PROJECT_NS
    variables = etree.Element(f"{{{ns}}}Variables")
    cases = etree.Element(f"{{{ns}}}Cases")
    by_collective: dict[int, list[str]] = defaultdict(list)
    for collective_id, identity in OBSERVATIONS.consented(study).values_list("collective_id", "uuid"):
        by_collective[collective_id].append(str(identity))
    by_informant: dict[int, list[str]] = defaultdict(list)
    for informant_id, identity in INTERVIEWS.consented(study).values_list("informant_id", "uuid"):
        by_informant[informant_id].append(str(identity))
    informants = list(Informant.objects.filter(pk__in=by_informant).select_related("collective"))
    collective_ids = set(by_collective) | {informant.collective_id for informant in informants}
    collectives = list(Collective.objects.filter(pk__in=collective_ids).order_by("code"))
    if not collectives:
        return variables, cases
    for field, label in (*_VARIABLES, ("collective", "Collectif")):
        etree.SubElement(
            variables, f"{{{ns}}}Variable", guid=derived("variable", field), name=label, typeOfVariable="Text"
        )

    def value(case, field, text):
        if not text:
            return
        element = etree.SubElement(case, f"{{{ns}}}VariableValue")
        etree.SubElement(element, f"{{{ns}}}VariableRef", targetGUID=derived("variable", field))
        etree.SubElement(element, f"{{{ns}}}TextValue").text = xml_text(text)

    for collective in collectives:
        case = etree.SubElement(
            cases, f"{{{ns}}}Case", guid=derived("collective", collective.pk), name=collective.code
        )
        for field, _label in _VARIABLES:
            value(case, field, getattr(collective, field))
        for identity in by_collective.get(collective.pk, ()):
            etree.SubElement(case, f"{{{ns}}}SourceRef", targetGUID=identity)
    for informant in sorted(informants, key=lambda found: (found.collective.code, found.pseudonym)):
        name = xml_text(informant.pseudonym)
        case = etree.SubElement(cases, f"{{{ns}}}Case", guid=derived("informant", informant.pk), name=name)
        value(case, "collective", informant.collective.code)
        for identity in by_informant[informant.pk]:
            etree.SubElement(case, f"{{{ns}}}SourceRef", targetGUID=identity)
    return variables, cases


def _source_elements(kind: SourceKind, batch: list[int], code_uuid, users: _Users, note, counts):
    """The `TextSource` elements of one batch of sources (no text: it is in its own entry)."""
    ns = PROJECT_NS
    person = {"observations": "observer", "interviews": "interviewer", "documents": "imported_by"}[kind.slug]
    sources = list(
        kind.model.objects.filter(pk__in=batch)
        .order_by("pk")
        .select_related(f"{person}__bec_profile")
        .only("pk", "uuid", "title", "created_at", person)
    )
    excerpts: dict[int, list] = defaultdict(list)
    rows = (
        Excerpt.objects.filter(**{f"{kind.field}__in": batch})
        .select_related("coder__bec_profile")
        .order_by("start", "end", "pk")
    )
    excerpt_list = list(rows)
    links: dict[int, list[int]] = defaultdict(list)
    for excerpt_id, code_id in Excerpt.codes.through.objects.filter(
        excerpt_id__in=[excerpt.pk for excerpt in excerpt_list]
    ).values_list("excerpt_id", "code_id"):
        links[excerpt_id].append(code_id)
    for excerpt in excerpt_list:
        excerpts[getattr(excerpt, f"{kind.field}_id")].append(excerpt)
    memos = _memos_by_subject(None, kind.field, batch)
    whole: dict[int, list[int]] = defaultdict(list)
    if kind is OBSERVATIONS:
        for observation_id, code_id in CodedObservation.objects.filter(
            content_object_id__in=batch
        ).values_list("content_object_id", "tag_id"):
            whole[observation_id].append(code_id)
    for source in sources:
        owner = users.member(getattr(source, person))
        element = etree.Element(
            f"{{{ns}}}TextSource",
            _attrs(
                guid=source.uuid,
                name=source.title,
                plainTextPath=f"internal://{source.uuid}.txt",
                creatingUser=owner,
                creationDateTime=_when(source.created_at),
            ),
        )
        for excerpt in excerpts.get(source.pk, ()):
            coder = (
                users.member(excerpt.coder) if excerpt.coder_id else users.imported(excerpt.imported_coder)
            )
            selection = etree.SubElement(
                element,
                f"{{{ns}}}PlainTextSelection",
                _attrs(
                    guid=excerpt.uuid,
                    name=excerpt.text[:100],
                    startPosition=excerpt.start,
                    endPosition=excerpt.end,
                    creatingUser=coder,
                    creationDateTime=_when(excerpt.created_at),
                ),
            )
            for code_id in sorted(links.get(excerpt.pk, ()), key=lambda pk: code_uuid[pk]):
                coding = etree.SubElement(
                    selection,
                    f"{{{ns}}}Coding",
                    _attrs(
                        guid=derived("coding", excerpt.uuid, code_uuid[code_id]),
                        creatingUser=coder,
                        creationDateTime=_when(excerpt.created_at),
                    ),
                )
                etree.SubElement(coding, f"{{{ns}}}CodeRef", targetGUID=code_uuid[code_id])
            if excerpt.memo:
                guid = note(
                    excerpt_note_guid(excerpt.uuid),
                    excerpt.memo,
                    excerpt.coder,
                    excerpt.created_at,
                    excerpt.text[:60],
                )
                etree.SubElement(selection, f"{{{ns}}}NoteRef", targetGUID=guid)
            counts["excerpts"] += 1
        for code_id in sorted(whole.get(source.pk, ()), key=lambda pk: code_uuid[pk]):
            coding = etree.SubElement(
                element, f"{{{ns}}}Coding", _attrs(guid=derived("coding", source.uuid, code_uuid[code_id]))
            )
            etree.SubElement(coding, f"{{{ns}}}CodeRef", targetGUID=code_uuid[code_id])
        for memo in memos.get(source.pk, ()):
            guid = note(str(memo.uuid), memo.body, memo.author, memo.created_at, memo.body[:60])
            etree.SubElement(element, f"{{{ns}}}NoteRef", targetGUID=guid)
        yield element
