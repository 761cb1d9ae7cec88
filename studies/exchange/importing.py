"""Importing a REFI-QDA codebook (`.qdc`) or project (`.qdpx`) into a study — all or nothing.

The whole import runs in one transaction; a dry run runs exactly the same code and rolls back, so
its report says what the import would do. A file refused as a whole (unsafe archive, malformed
XML, a code without a GUID) raises `ExchangeError` and nothing is created; what cannot be carried
over element by element (a missing source file, a `CodeRef` to nothing, a selection outside its
text, an element type we do not hold) is listed in the report with its GUID and line.

Codes are matched by UUID, else by path of names (case-insensitive); what is missing is created
(with the file's GUID), nothing is deleted; a code matched by UUID under another name is renamed.
Imported text sources become **documents** (`studies.models.Document`); a source whose GUID is
already one of the study's sources is not imported twice. Coders are matched to the bureau's
members by their exchange UUID, then email, then name; otherwise the name is kept on each excerpt
as an imported coder. Offsets are read in the unit each source's selections fit
(`studies.exchange.offsets`), and the unit is reported.
"""

from __future__ import annotations

import io
import uuid
import zipfile
from typing import IO

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from commons import changes
from commons.models import Membership
from commons.models.governance import ProposalKind
from participants.models import Collective, ConsentScope, Informant, display_name
from participants.models.consent import has_consent

from .. import tallies
from ..anchoring import map_offset
from ..codebook import CodebookError, create_code, rename_code
from ..models import Code, Document, Excerpt, Interview, Memo, Observation, Setting, StudyPage
from ..models.coding import DEFAULT_COLOUR, code_tree, is_colour
from ..sources import KINDS
from . import offsets
from .archive import SafeArchive
from .errors import ExchangeError, Report
from .reading import ParsedCode, ParsedProject, read_codebook, read_project
from .xml import local, parse

MAX_TITLE = 200
#: A case's GUID → ("collective" | "informant", the party's pk), chosen at import.
CaseMap = dict[uuid.UUID, tuple[str, int]]


def _colour(value: str) -> str:
    """Lenient on input (NOTES.md): ``#RGB`` is expanded, case ignored, anything else the default."""
    value = (value or "").strip()
    if len(value) == 4 and value.startswith("#"):
        value = "#" + "".join(char * 2 for char in value[1:])
    return value.lower() if is_colour(value) else DEFAULT_COLOUR


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


class _Codebook:
    """The study's codes by UUID, by path of names and by name, kept up to date while importing."""

    def __init__(self, study: StudyPage) -> None:
        self.study = study
        self.by_uuid: dict[uuid.UUID, Code] = {}
        self.by_path: dict[tuple[str, ...], Code] = {}
        self.by_name: dict[str, Code] = {}
        self.path_of: dict[int, tuple[str, ...]] = {}
        for code in code_tree(Code.objects.filter(study=study)):
            parent_path = self.path_of.get(code.parent_id, ()) if code.depth else ()
            self._add(code, parent_path)

    def _add(self, code: Code, parent_path: tuple[str, ...]) -> None:
        path = (*parent_path, _key(code.name))
        self.by_uuid[code.uuid] = code
        self.by_path[path] = code
        self.by_name[_key(code.name)] = code
        self.path_of[code.pk] = path

    def apply(self, codes: list[ParsedCode], report: Report) -> dict[uuid.UUID, Code]:
        mapping: dict[uuid.UUID, Code] = {}
        categories = 0

        governed = changes.is_governed(self.study.get_parent().pk, ProposalKind.CODEBOOK)

        def walk(parsed: list[ParsedCode], parent: Code | None) -> None:
            nonlocal categories
            parent_path = self.path_of[parent.pk] if parent is not None else ()
            for item in parsed:
                name = " ".join(item.name.split())[:100]
                if not item.codable:
                    categories += 1
                if not name:
                    report.codes_skipped.append(str(item.guid))
                    report.problem(_("A code without a name was skipped."), str(item.guid), item.line)
                    continue
                found = self.by_uuid.get(item.guid)
                if found is not None:
                    if found.name != name and governed:
                        # The codebook is under the bureau's governance: a rename is a proposal.
                        report.codes_matched.append(found.name)
                        report.problem(
                            _(
                                "The file renames « %(old)s » to « %(new)s », but this codebook is under the "
                                "bureau's governance: propose the rename on the codebook page."
                            )
                            % {"old": found.name, "new": name},
                            str(item.guid),
                            item.line,
                        )
                    elif found.name != name:
                        old = found.name
                        try:
                            rename_code(found, name)
                            report.codes_renamed.append(f"{old} → {name}")
                            self._add(found, self.path_of[found.pk][:-1])
                        except CodebookError as error:
                            report.codes_skipped.append(name)
                            report.problem(str(error), str(item.guid), item.line)
                    else:
                        report.codes_matched.append(name)
                elif (*parent_path, _key(name)) in self.by_path:
                    found = self.by_path[(*parent_path, _key(name))]
                    report.codes_matched.append(name)
                elif _key(name) in self.by_name:
                    found = self.by_name[_key(name)]
                    report.codes_skipped.append(name)
                    report.problem(
                        _(
                            "The code « %(name)s » already exists elsewhere in the codebook: "
                            "its codings go to it, "
                            "and it stays where it is."
                        )
                        % {"name": name},
                        str(item.guid),
                        item.line,
                    )
                else:
                    try:
                        found = create_code(
                            self.study,
                            name=name,
                            definition=item.description[:20_000],
                            colour=_colour(item.colour),
                            parent=parent,
                            identity=item.guid,
                        )
                    except CodebookError as error:
                        report.codes_skipped.append(name)
                        report.problem(str(error), str(item.guid), item.line)
                        continue
                    self._add(found, parent_path)
                    report.codes_created.append(name)
                mapping[item.guid] = found
                walk(item.children, found)

        walk(codes, None)
        if categories:
            report.not_carried.append(
                ngettext(
                    '%(count)d category (a code that cannot be applied, isCodable="false") '
                    "became an ordinary code: the codebook has no categories.",
                    '%(count)d categories (codes that cannot be applied, isCodable="false") '
                    "became ordinary codes: the codebook has no categories.",
                    categories,
                )
                % {"count": categories}
            )
        return mapping


def import_codebook(study: StudyPage, codes: list[ParsedCode], report: Report) -> dict[uuid.UUID, Code]:
    """Bring `codes` into the study's codebook (see module docstring); returns GUID → code."""
    return _Codebook(study).apply(codes, report)


# --- Coders -----------------------------------------------------------------------------------------


class _Coders:
    """File users → bureau members (exchange UUID, email, name), else an imported-coder label."""

    def __init__(self, study: StudyPage, users: dict[uuid.UUID, str], report: Report) -> None:
        self.users, self.report = users, report
        self.found: dict[uuid.UUID, tuple[object | None, str]] = {}
        members = [
            membership.user
            for membership in Membership.objects.active()
            .filter(bureau_id=study.bureau.pk)
            .select_related("user__bec_profile")
        ]
        self.by_uuid = {}
        self.by_key: dict[str, object] = {}
        for member in members:
            profile = getattr(member, "bec_profile", None)
            if profile is not None:
                self.by_uuid[profile.uuid] = member
            for key in (member.email, display_name(member), member.get_full_name()):
                if key:
                    self.by_key.setdefault(_key(key), member)

    def get(self, identity: uuid.UUID | None) -> tuple[object | None, str]:
        """(member or None, imported label)."""
        if identity is None:
            return None, ""
        if identity not in self.found:
            name = self.users.get(identity, "")
            member = self.by_uuid.get(identity) or (self.by_key.get(_key(name)) if name else None)
            if member is not None:
                self.found[identity] = (member, "")
                self.report.coders_matched.append(name or display_name(member))
            else:
                label = (name or str(identity))[:200]
                self.found[identity] = (None, label)
                self.report.coders_imported.append(label)
        return self.found[identity]


# --- Files ------------------------------------------------------------------------------------------


def _archive_text(archive: SafeArchive | None, path: str) -> bytes | None:
    """The bytes of an `internal://` file (or a bare name, which some tools write), else None."""
    if archive is None or not path:
        return None
    lowered = path.lower()
    if lowered.startswith(("relative://", "absolute://", "file://", "http://", "https://")):
        return None
    name = path[len("internal://") :] if lowered.startswith("internal://") else path
    name = name.lstrip("/")
    for candidate in (f"sources/{name}", name):
        info = archive.find(candidate)
        if info is not None:
            return archive.read(info)
    return None


def _import_project(
    study: StudyPage,
    project: ParsedProject,
    archive: SafeArchive | None,
    user,
    origin: str,
    report: Report,
    case_map: CaseMap | None = None,
) -> None:
    mapping = import_codebook(study, project.codes, report)
    coders = _Coders(study, project.users, report)
    existing: set[uuid.UUID] = set()
    for kind in KINDS.values():
        existing |= set(kind.model.objects.filter(study=study).values_list("uuid", flat=True))
    notes_used: set[uuid.UUID] = set()
    parties = _parties(study, project, case_map or {}, report)

    def note_text(identity: uuid.UUID) -> tuple[str | None, object | None]:
        note = project.notes.get(identity)
        if note is None:
            report.problem(_("A reference to a note that the file does not hold."), str(identity))
            return None, None
        notes_used.add(identity)
        text = note.content
        if text is None:
            data = _archive_text(archive, note.path)
            text = offsets.decode_text(data)[0] if data is not None else None
        if text is None:
            report.problem(_("The note's text is missing from the file."), str(identity), note.line)
            return None, None
        return offsets.normalise(text), coders.get(note.user)[0]

    # Memos on codes.
    for parsed in _walk_codes(project.codes):
        code = mapping.get(parsed.guid)
        for identity in parsed.notes:
            body, author = note_text(identity)
            if code is not None and body and body.strip():
                Memo.objects.create(study=study, code=code, author=author, body=body, uuid=identity)
                report.memos_created += 1

    for source in project.sources:
        label = source.name or str(source.guid)
        if source.guid in existing:
            report.sources_skipped.append(label)
            report.problem(
                _("This source is already in the study: it was not imported again."),
                str(source.guid),
                source.line,
            )
            continue
        if source.content is not None:
            raw = source.content
        else:
            data = _archive_text(archive, source.path)
            if data is None:
                report.sources_skipped.append(label)
                report.problem(
                    _(
                        "The text of « %(name)s » is not in the file (%(path)s): "
                        "no document was created for it."
                    )
                    % {"name": label, "path": source.path or "—"},
                    str(source.guid),
                    source.line,
                )
                continue
            raw = offsets.decode_text(data)[0]
        spans = [(selection.start, selection.end, selection.name) for selection in source.selections]
        reading, text = offsets.choose(raw.lstrip("\ufeff"), spans)
        party = parties.get(source.guid)
        document = _party_source(study, party, source, text, user, report) if party else None
        if document is None:
            document = Document(
                study=study,
                title=(source.name or label)[:MAX_TITLE],
                plain_text=text,
                origin=origin[:300],
                imported_by=user if getattr(user, "pk", None) else None,
                uuid=source.guid,
            )
            document.save()
            report.documents_created.append(document.title)
        field, stored = document._meta.model_name, document.plain_text
        existing.add(source.guid)
        if source.selections:
            report.units.append((document.title, reading.label))
        for identity in source.notes:
            body, author = note_text(identity)
            if body and body.strip():
                Memo.objects.create(study=study, **{field: document}, author=author, body=body, uuid=identity)
                report.memos_created += 1
        if source.codings:
            report.problem(
                _(
                    "%(count)d codings of the whole source « %(name)s » were not carried over "
                    "(documents are coded "
                    "by passage)."
                )
                % {"count": len(source.codings), "name": label},
                str(source.guid),
                source.line,
            )
        for selection in source.selections:
            first, last = reading.inner(selection.start), reading.inner(selection.end)
            if first is None or last is None or last <= first:
                report.problem(
                    _("A selection (%(start)d–%(end)d) falls outside the text of « %(name)s ».")
                    % {"start": selection.start, "end": selection.end, "name": label},
                    str(selection.guid),
                    selection.line,
                )
                continue
            codes = []
            for coding in selection.codings:
                code = mapping.get(coding.code) if coding.code else None
                if code is None:
                    report.problem(
                        _("A coding refers to a code that the file does not hold."),
                        coding.guid or str(selection.guid),
                        coding.line,
                    )
                    continue
                codes.append(code)
            who = next((coding.user for coding in selection.codings if coding.user), None) or selection.user
            coder, imported = coders.get(who)
            memo_parts = [selection.description] if selection.description else []
            for identity in selection.notes:
                body, _author = note_text(identity)
                if body and body.strip():
                    memo_parts.append(body)
            passage, review = text[first:last], False
            if stored != text:  # a party's source: its plain text comes from Markdown, re-anchor
                first, last = map_offset(text, stored, first), map_offset(text, stored, last)
                review = last <= first or stored[first:last] != passage
                last = max(last, first + 1)
            excerpt = Excerpt.objects.create(
                **{field: document},
                start=first,
                end=last,
                text=passage,
                coder=coder,
                imported_coder=imported,
                memo="\n\n".join(memo_parts),
                uuid=selection.guid,
                needs_review=review,
            )
            if codes:
                excerpt.codes.set(codes)
                report.codings_created += len({code.pk for code in codes})
            report.excerpts_created += 1

    unused = len(set(project.notes) - notes_used)
    if unused:
        report.not_carried.append(
            ngettext(
                "%(count)d note attached to the project or to an element that was not imported.",
                "%(count)d notes attached to the project or to elements that were not imported.",
                unused,
            )
            % {"count": unused}
        )
    if report.observations_created:
        report.not_carried.append(
            _("The observations made from the file's sources have the setting « meeting » (a REFI-QDA file "
              "does not say it): correct it on each one if needed.")
        )
    unmapped = [case for case in project.cases if case.guid not in (case_map or {})]
    if unmapped:
        report.not_carried.append(
            ngettext(
                "%(count)d case: its sources were imported as documents, not tied to a collective or an "
                "informant.",
                "%(count)d cases: their sources were imported as documents, not tied to a collective or an "
                "informant.",
                len(unmapped),
            )
            % {"count": len(unmapped)}
        )
        if project.variables:
            report.not_carried.append(
                ngettext("%(count)d case variable.", "%(count)d case variables.", project.variables)
                % {"count": project.variables}
            )
    for name, count in sorted(project.other_sources.items()):
        report.not_carried.append(
            ngettext(
                "%(count)d source of type %(type)s (only texts are imported).",
                "%(count)d sources of type %(type)s (only texts are imported).",
                count,
            )
            % {"count": count, "type": name}
        )
    for name, count in sorted(project.other.items()):
        report.not_carried.append(_("%(count)d × %(element)s.") % {"count": count, "element": name})


def _parties(study: StudyPage, project: ParsedProject, case_map: CaseMap, report: Report) -> dict:
    """Source GUID → (kind, collective or informant) for the sources of the cases mapped at import.

    A mapped party must belong to the study's bureau; a source listed by two mapped cases stays a
    document (which party would it be about?).
    """
    collectives = {c.pk: c for c in Collective.objects.filter(bureau_id=study.bureau.pk)}
    informants = {
        i.pk: i
        for i in Informant.objects.filter(collective__bureau_id=study.bureau.pk).select_related("collective")
    }
    found: dict[uuid.UUID, tuple[str, object]] = {}
    doubtful: set[uuid.UUID] = set()
    for case in project.cases:
        choice = case_map.get(case.guid)
        if choice is None:
            continue
        kind, pk = choice
        party = (collectives if kind == "collective" else informants).get(pk)
        if party is None:
            report.problem(
                _("The case « %(name)s » was mapped to a party of another bureau: ignored.")
                % {"name": case.name},
                str(case.guid),
                case.line,
            )
            continue
        for source in case.sources:
            if source in found:
                doubtful.add(source)
            found[source] = (kind, party)
    for source in doubtful:
        found.pop(source, None)
        report.problem(_("This source belongs to two mapped cases: it stays a document."), str(source))
    return found


def _party_source(study: StudyPage, party, source, text: str, user, report: Report):
    """An observation (collective) or an interview (informant) made of an imported source, only
    under that party's consent in force (else None: it stays a document, and the report says why)."""
    kind, target = party
    title = (source.name or str(source.guid))[:MAX_TITLE]
    owner = user if getattr(user, "pk", None) else None
    if kind == "collective":
        if not has_consent(scope=ConsentScope.OBSERVATION, collective=target):
            report.problem(
                _("« %(name)s »: %(party)s has no « observation » consent in force; it stays a document.")
                % {"name": title, "party": target.code},
                str(source.guid),
                source.line,
            )
            return None
        made = Observation(
            study=study,
            collective=target,
            observer=owner,
            setting=Setting.MEETING,
            title=title,
            body=text,
            uuid=source.guid,
        )
        made.save()
        report.observations_created.append(title)
        return made
    if not has_consent(scope=ConsentScope.INTERVIEW, informant=target):
        report.problem(
            _(
                "« %(name)s »: %(party)s has no « interview » consent in force "
                "(theirs and their collective's); "
                "it stays a document."
            )
            % {"name": title, "party": target.pseudonym},
            str(source.guid),
            source.line,
        )
        return None
    made = Interview(
        study=study, informant=target, interviewer=owner, title=title, transcript=text, uuid=source.guid
    )
    made.save()
    report.interviews_created.append(title)
    return made


def _walk_codes(codes: list[ParsedCode]):
    for code in codes:
        yield code
        yield from _walk_codes(code.children)


def _size(file: IO[bytes]) -> int:
    file.seek(0, io.SEEK_END)
    size = file.tell()
    file.seek(0)
    return size


def import_file(
    study: StudyPage,
    file: IO[bytes],
    *,
    filename: str,
    user=None,
    dry_run: bool = False,
    case_map: CaseMap | None = None,
) -> Report:
    """Import `file` (a `.qdpx` zip, a `.qdc` or a bare `.qde`) into `study`; see module docstring.

    `case_map` maps a case's GUID to ``("collective" | "informant", pk)``: that case's sources become
    observations or interviews under the party's consent instead of documents.
    Raises `ExchangeError` when the file is refused as a whole; then nothing was changed.
    """
    report = Report(dry_run=dry_run)
    size = _size(file)
    is_zip = zipfile.is_zipfile(file)
    file.seek(0)
    # One recount of the codes touched, at the end, rather than one per coding (`studies.tallies`).
    with transaction.atomic(), tallies.deferred(study):
        if is_zip:
            with SafeArchive(file, size) as archive:
                entry = archive.project_entry()
                root = parse(archive.read(entry), entry.filename)
                project = read_project(root)
                origin = f"{filename} · {root.get('origin') or ''}".strip(" ·")
                report.cases = [(str(case.guid), case.name, len(case.sources)) for case in project.cases]
                _import_project(study, project, archive, user, origin, report, case_map)
        else:
            from django.conf import settings

            if size > settings.BEC_EXCHANGE_MAX_UNCOMPRESSED_BYTES:
                raise ExchangeError(_("The file is too large."))
            root = parse(file.read(), filename)
            if local(root) == "CodeBook":
                report.kind = "codebook"
                import_codebook(study, read_codebook(root), report)
                sets = [element for element in root if local(element) == "Sets"]
                if sets and len(sets[0]):
                    report.not_carried.append(
                        _("%(count)d code sets (groups of codes).") % {"count": len(sets[0])}
                    )
            elif local(root) == "Project":
                origin = f"{filename} · {root.get('origin') or ''}".strip(" ·")
                project = read_project(root)
                report.cases = [(str(case.guid), case.name, len(case.sources)) for case in project.cases]
                _import_project(study, project, None, user, origin, report, case_map)
            else:
                raise ExchangeError(_("This file is neither a REFI-QDA project nor a codebook."))
        if dry_run:
            transaction.set_rollback(True)
    return report
