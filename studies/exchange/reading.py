"""A REFI-QDA file read into plain data: what the importer needs, with each element's GUID and line.

Only what we can carry over is read in detail (users, codes, text sources, selections, codings,
notes, cases); every other element is counted by name so the report can say it was left out.
GUIDs are compared upper or lower case, with or without braces (`guid`).
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from .errors import ExchangeError
from .xml import child, children, local, text_of

#: Project-level elements we read; the others are reported as not carried over.
_READ = {"Users", "CodeBook", "Sources", "Notes", "Cases", "Variables", "Description"}


def guid(value: str | None) -> uuid.UUID | None:
    """A GUID as written by any tool (case, braces), or None if it is not one."""
    try:
        return uuid.UUID((value or "").strip().strip("{}"))
    except ValueError:
        return None


@dataclass
class ParsedCode:
    guid: uuid.UUID
    name: str
    colour: str
    description: str
    codable: bool
    line: int | None
    notes: list[uuid.UUID] = field(default_factory=list)
    children: list[ParsedCode] = field(default_factory=list)


@dataclass
class ParsedCoding:
    code: uuid.UUID | None
    user: uuid.UUID | None
    guid: str
    line: int | None


@dataclass
class ParsedSelection:
    guid: uuid.UUID
    start: int
    end: int
    name: str
    description: str
    user: uuid.UUID | None
    codings: list[ParsedCoding]
    notes: list[uuid.UUID]
    line: int | None


@dataclass
class ParsedSource:
    guid: uuid.UUID
    name: str
    path: str
    content: str | None
    user: uuid.UUID | None
    selections: list[ParsedSelection]
    codings: list[ParsedCoding]
    notes: list[uuid.UUID]
    line: int | None


@dataclass
class ParsedNote:
    guid: uuid.UUID
    name: str
    path: str
    content: str | None
    user: uuid.UUID | None
    line: int | None


@dataclass
class ParsedCase:
    guid: uuid.UUID
    name: str
    sources: list[uuid.UUID]
    line: int | None


@dataclass
class ParsedProject:
    users: dict[uuid.UUID, str] = field(default_factory=dict)
    codes: list[ParsedCode] = field(default_factory=list)
    sources: list[ParsedSource] = field(default_factory=list)
    notes: dict[uuid.UUID, ParsedNote] = field(default_factory=dict)
    cases: list[ParsedCase] = field(default_factory=list)
    variables: int = 0
    other_sources: Counter = field(default_factory=Counter)
    other: Counter = field(default_factory=Counter)


def _required_guid(element) -> uuid.UUID:
    found = guid(element.get("guid"))
    if found is None:
        raise ExchangeError(
            _("The element %(element)s has no valid GUID.") % {"element": local(element)},
            guid=(element.get("guid") or "")[:60],
            line=element.sourceline,
        )
    return found


def _position(element, name: str) -> int:
    try:
        return int(element.get(name, ""))
    except ValueError as error:
        raise ExchangeError(
            _("The selection's %(attribute)s is not a whole number.") % {"attribute": name},
            guid=element.get("guid", "")[:60],
            line=element.sourceline,
        ) from error


def read_codes(parent) -> list[ParsedCode]:
    """The `Code` elements under `parent` (a `Codes` or a `Code`), nested."""
    codes = []
    for element in children(parent, "Code"):
        codes.append(
            ParsedCode(
                guid=_required_guid(element),
                name=(element.get("name") or "").strip(),
                colour=(element.get("color") or "").strip(),
                description=text_of(element, "Description").strip(),
                codable=(element.get("isCodable") or "true").strip().lower() not in ("false", "0"),
                line=element.sourceline,
                notes=[g for g in (guid(ref.get("targetGUID")) for ref in children(element, "NoteRef")) if g],
                children=read_codes(element),
            )
        )
    return codes


def read_codebook(root) -> list[ParsedCode]:
    """The codes of a `.qdc` (`CodeBook` root) or of a project's `CodeBook`."""
    codes = child(root, "Codes")
    return read_codes(codes) if codes is not None else []


def _codings(element) -> list[ParsedCoding]:
    found = []
    for coding in children(element, "Coding"):
        ref = child(coding, "CodeRef")
        found.append(
            ParsedCoding(
                code=guid(ref.get("targetGUID")) if ref is not None else None,
                user=guid(coding.get("creatingUser")),
                guid=(coding.get("guid") or "")[:60],
                line=coding.sourceline,
            )
        )
    return found


def _note_refs(element) -> list[uuid.UUID]:
    return [g for g in (guid(ref.get("targetGUID")) for ref in children(element, "NoteRef")) if g]


def _content(element) -> str | None:
    found = child(element, "PlainTextContent")
    return (found.text or "") if found is not None else None


def read_project(root) -> ParsedProject:
    """The parts of a `Project` we carry over (see module docstring)."""
    if local(root) != "Project":
        raise ExchangeError(
            _("The project file's root element is not a REFI-QDA Project."), line=root.sourceline
        )
    project = ParsedProject()
    for element in root:
        name = local(element)
        if name and name not in _READ:
            project.other[name] += 1
    users = child(root, "Users")
    for user in children(users, "User") if users is not None else ():
        identity = guid(user.get("guid"))
        if identity is not None:
            project.users[identity] = (user.get("name") or user.get("id") or "").strip()
    codebook = child(root, "CodeBook")
    if codebook is not None:
        project.codes = read_codebook(codebook)
    cases = child(root, "Cases")
    for case in children(cases, "Case") if cases is not None else ():
        identity = guid(case.get("guid"))
        if identity is None:
            continue
        refs = [guid(ref.get("targetGUID")) for ref in children(case, "SourceRef")]
        project.cases.append(
            ParsedCase(
                identity, (case.get("name") or "").strip(), [ref for ref in refs if ref], case.sourceline
            )
        )
    variables = child(root, "Variables")
    project.variables = len(children(variables, "Variable")) if variables is not None else 0
    sources = child(root, "Sources")
    for element in sources if sources is not None else ():
        name = local(element)
        if not name:
            continue
        if name != "TextSource":
            project.other_sources[name] += 1
            continue
        selections = []
        for selection in children(element, "PlainTextSelection"):
            selections.append(
                ParsedSelection(
                    guid=_required_guid(selection),
                    start=_position(selection, "startPosition"),
                    end=_position(selection, "endPosition"),
                    name=selection.get("name") or "",
                    description=text_of(selection, "Description").strip(),
                    user=guid(selection.get("creatingUser")),
                    codings=_codings(selection),
                    notes=_note_refs(selection),
                    line=selection.sourceline,
                )
            )
        project.sources.append(
            ParsedSource(
                guid=_required_guid(element),
                name=(element.get("name") or "").strip(),
                path=(element.get("plainTextPath") or "").strip(),
                content=_content(element),
                user=guid(element.get("creatingUser")),
                selections=selections,
                codings=_codings(element),
                notes=_note_refs(element),
                line=element.sourceline,
            )
        )
    notes = child(root, "Notes")
    for element in children(notes, "Note") if notes is not None else ():
        identity = _required_guid(element)
        project.notes[identity] = ParsedNote(
            guid=identity,
            name=(element.get("name") or "").strip(),
            path=(element.get("plainTextPath") or "").strip(),
            content=_content(element),
            user=guid(element.get("creatingUser")),
            line=element.sourceline,
        )
    return project
