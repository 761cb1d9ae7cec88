"""The study's spreadsheets (the « Échanges » page): observations, coded segments, codebook, interviews.

Each table is a `Table`: a header computed first (a few small queries: the grid fields in use, the
depth of the code tree) and rows produced lazily from ``.iterator(chunk_size=CHUNK)``, so that a
download of 100,000 observations streams in bounded memory (`commons.spreadsheets` writes them,
quoted and with formula starts neutralised). The queries cost a fixed number per chunk of rows,
whatever the size of a row (prefetches are made chunk by chunk).

Invariants, as everywhere: only consented material (`consented()`, `sources.consented_excerpts_join_q`), and
pseudonyms only — a collective is its code, an informant their pseudonym; no real name of a
collective and no informant's identifying details are read from the database at all (deferred),
nor an interview's transcript (it may name people: its coded passages are in the coded segments).
Coders, observers and interviewers are members of the bureau, named as the site names them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from django.db.models.functions import Length
from django.utils.translation import gettext_lazy as _

from participants.models import LegalForm, SizeBand, display_name

from . import codebook
from .analysis.filters import code_tree
from .models import AITool, Code, CodedObservation, Excerpt, Interview, Observation, Purpose, StudyPage
from .sources import consented_excerpts_join_q

#: Rows read from the database at a time (and prefetched together).
CHUNK = 500
#: Separator between the values of a multi-valued cell (tools, purposes, codes).
JOIN = "; "

Row = Sequence[Any]


@dataclass(frozen=True)
class Table:
    """One downloadable table: its header and its rows, computed for a study."""

    slug: str
    title: Any  # lazy translated string
    description: Any
    build: Callable[[StudyPage], tuple[list[str], Iterator[Row]]]

    def header_and_rows(self, study: StudyPage) -> tuple[list[str], Iterator[Row]]:
        return self.build(study)


# --- Shared cells ---------------------------------------------------------------------------------

COLLECTIVE_HEADER = ["collective", "legal_form", "sector", "size", "territory"]


def _collective_cells(collective) -> list:
    """The collective as the team shares it outside: its pseudonym code and its attributes."""
    if collective is None:
        return ["", "", "", "", ""]
    return [
        collective.code,
        collective.get_legal_form_display(),
        collective.sector,
        collective.get_size_band_display() if collective.size_band else "",
        collective.territory,
    ]


def _person(user) -> str:
    return display_name(user) if user is not None else ""


def _levels(depth: int) -> list[str]:
    return [f"code_level_{n}" for n in range(1, depth + 1)]


def _tree_depth(tree: dict[int, Code]) -> int:
    return max((code.depth for code in tree.values()), default=0) + 1


def _path_parts(code: Code) -> list[str]:
    return code.path.split(" › ")


def _excerpt_prefetch(field: str) -> Prefetch:
    """A source's excerpts with only their codes' ids (for the « codes used in excerpts » cell)."""
    excerpts = (
        Excerpt.objects.only("pk", field)
        .order_by()
        .prefetch_related(Prefetch("codes", queryset=Code.objects.only("pk"), to_attr="code_ids"))
    )
    return Prefetch("excerpts", queryset=excerpts, to_attr="excerpt_list")


def _paths(tree: dict[int, Code], ids) -> str:
    """Code paths in the codebook's order."""
    wanted = set(ids)
    return JOIN.join(code.path for pk, code in tree.items() if pk in wanted)


# --- Observations ---------------------------------------------------------------------------------


def _grid_columns(study: StudyPage) -> list[str]:
    """The grid fields of the protocol versions the study's observations were logged under, in
    version order (each version's new fields after the earlier ones'); one column each."""
    from .models import ProtocolVersion

    used = Observation.objects.consented().filter(study=study).values("protocol_version")
    names: list[str] = []
    for grid in ProtocolVersion.objects.filter(pk__in=used).order_by("number").values_list("grid", flat=True):
        for definition in grid or ():
            name = definition.get("name") if isinstance(definition, dict) else None
            if name and name not in names:
                names.append(name)
    return names


def _answer(value) -> Any:
    if isinstance(value, list):
        return JOIN.join(str(item) for item in value)
    if isinstance(value, dict):
        return str(value)
    return value


_TOOLS = AITool.objects.only("pk", "name").order_by("name")
_WHOLE_NOTE_CODES = CodedObservation.objects.only("pk", "tag_id", "content_object_id")

OBSERVATION_HEADER = [
    "id",
    "title",
    "date",
    *COLLECTIVE_HEADER,
    "setting",
    "observer",
    "protocol_version",
    "visibility",
    "ai_tools",
    "purposes",
    "codes",
    "excerpt_codes",
    "excerpts",
    "note",
]


def observations(study: StudyPage) -> tuple[list[str], Iterator[Row]]:
    """One row per consented observation: its fields, AI tools, purposes, codes (of the whole note,
    and those of its excerpts), the plain text of its note, then one column per grid field."""
    grid = _grid_columns(study)
    tree = code_tree(study)
    header = [*OBSERVATION_HEADER, *(f"grid_{name}" for name in grid)]
    purposes = dict(Purpose.choices)
    queryset = (
        Observation.objects.consented()
        .filter(study=study)
        .select_related("collective", "observer__bec_profile", "protocol_version")
        .only(
            "pk",
            "title",
            "observed_on",
            "setting",
            "visibility",
            "purposes",
            "grid_answers",
            "plain_text",
            "collective__code",
            "collective__legal_form",
            "collective__sector",
            "collective__size_band",
            "collective__territory",
            "observer",
            "protocol_version__number",
        )
        .prefetch_related(
            Prefetch("ai_tools", queryset=_TOOLS, to_attr="tool_list"),
            Prefetch("coded_items", queryset=_WHOLE_NOTE_CODES),
            _excerpt_prefetch("observation"),
        )
        .order_by("pk")
    )

    def rows() -> Iterator[Row]:
        for item in queryset.iterator(chunk_size=CHUNK):
            whole = [link.tag_id for link in item.coded_items.all()]
            in_excerpts = {code.pk for excerpt in item.excerpt_list for code in excerpt.code_ids}
            answers = item.grid_answers if isinstance(item.grid_answers, dict) else {}
            yield [
                item.pk,
                item.title,
                item.observed_on,
                *_collective_cells(item.collective),
                item.get_setting_display(),
                _person(item.observer),
                item.protocol_version.label if item.protocol_version_id else "",
                item.get_visibility_display(),
                JOIN.join(tool.name for tool in item.tool_list),
                JOIN.join(str(purposes.get(value, value)) for value in item.purposes or ()),
                _paths(tree, whole),
                _paths(tree, in_excerpts),
                len(item.excerpt_list),
                item.plain_text,
                *(_answer(answers.get(name, "")) for name in grid),
            ]

    return header, rows()


# --- Coded segments -------------------------------------------------------------------------------


SEGMENT_HEADER = [
    "excerpt_id",
    "source",
    "source_id",
    "source_title",
    "date",
    "protocol_version",
    *COLLECTIVE_HEADER,
    "informant",
    "coder",
    "code",
]
SEGMENT_TAIL = ["text", "memo", "start", "end"]


#: What a coded-segment row reads, as plain values (no model instances: see `coded_segments`).
_SEGMENT_VALUES = (
    "pk",
    "text",
    "memo",
    "start",
    "end",
    "coder_id",
    "observation_id",
    "observation__title",
    "observation__observed_on",
    "observation__protocol_version__number",
    "observation__collective__code",
    "observation__collective__legal_form",
    "observation__collective__sector",
    "observation__collective__size_band",
    "observation__collective__territory",
    "interview_id",
    "interview__title",
    "interview__conducted_on",
    "interview__protocol_version__number",
    "interview__informant__pseudonym",
    "interview__informant__collective__code",
    "interview__informant__collective__legal_form",
    "interview__informant__collective__sector",
    "interview__informant__collective__size_band",
    "interview__informant__collective__territory",
)


def _batches(iterator: Iterator, size: int) -> Iterator[list]:
    while batch := list(islice(iterator, size)):
        yield batch


def coded_segments(study: StudyPage) -> tuple[list[str], Iterator[Row]]:
    """One row per consented excerpt and code: its source, the collective's code and attributes,
    the informant's pseudonym, the coder, the code's path (whole, then split into one column per
    level of the codebook), the text and the memo. An excerpt without a code gives one row.

    The largest table (one row per excerpt and code: 200,000 excerpts for 100,000 observations), so
    it reads plain values rather than model instances: a chunk of 500 excerpts with their source,
    collective, coder and codes as instances held about 10 MB, as tuples well under one. Per chunk:
    the excerpts (one join), their codes (the through table), the coders not met yet (with their
    profile); the code paths come from the tree read once. The same columns and values as the
    segments page (`analysis.segments.row`), which reads a page of 50 as instances.
    """
    tree = code_tree(study)
    depth = _tree_depth(tree)
    header = [*SEGMENT_HEADER, *_levels(depth), *SEGMENT_TAIL]
    # Real names and identifying details are not among the values read: nothing to leak.
    # Joins rather than `Scope.excerpts()`'s ``IN (subquery)``: the same consented excerpts, read in
    # order without SQLite holding them all (`consented_excerpts_join_q`).
    queryset = (
        Excerpt.objects.filter(consented_excerpts_join_q(study)).order_by("pk").values_list(*_SEGMENT_VALUES)
    )
    legal_forms = dict(LegalForm.choices)
    size_bands = dict(SizeBand.choices)
    coders: dict[int, str] = {}

    def name_coders(ids: set[int]) -> None:
        unseen = ids - coders.keys()
        if unseen:
            users = get_user_model().objects.filter(pk__in=unseen).select_related("bec_profile")
            coders.update((user.pk, display_name(user)) for user in users)

    def codes_of(ids: list[int]) -> dict[int, list[str]]:
        """Each excerpt's code paths, sorted as the segments page sorts them."""
        paths: dict[int, list[str]] = {}
        links = Excerpt.codes.through.objects.filter(excerpt_id__in=ids).values_list(
            "excerpt_id", "code_id", "code__name"
        )
        for excerpt_id, code_id, name in links:
            known = tree.get(code_id)
            paths.setdefault(excerpt_id, []).append(known.path if known is not None else name)
        for found in paths.values():
            found.sort(key=str.lower)
        return paths

    def rows() -> Iterator[Row]:
        for batch in _batches(queryset.iterator(chunk_size=CHUNK), CHUNK):
            name_coders({values[5] for values in batch if values[5] is not None})
            paths = codes_of([values[0] for values in batch])
            for values in batch:
                pk, text, memo, start, end, coder_id = values[:6]
                if values[6] is not None:  # an observation: id, title, date, version, collective (5)
                    source, (source_id, title, when, version), informant = "observation", values[6:10], ""
                    collective = values[10:15]
                else:  # an interview: id, title, date, version, informant, collective (5)
                    source, (source_id, title, when, version, informant) = "interview", values[15:20]
                    collective = values[20:25]
                code, legal_form, sector, size_band, territory = collective
                head = [
                    pk,
                    source,
                    source_id,
                    title,
                    when,
                    f"v{version}" if version is not None else "",
                    code,
                    str(legal_forms.get(legal_form, legal_form)),
                    sector,
                    str(size_bands.get(size_band, size_band)) if size_band else "",
                    territory,
                    informant,
                    coders.get(coder_id, "") if coder_id is not None else "",
                ]
                tail = [text, memo, start, end]
                for path in paths.get(pk) or (None,):
                    if path is None:
                        yield [*head, "", *([""] * depth), *tail]
                        continue
                    parts = path.split(" › ")
                    yield [*head, path, *parts, *([""] * (depth - len(parts))), *tail]

    return header, rows()


# --- Codebook -------------------------------------------------------------------------------------


def codebook_table(study: StudyPage) -> tuple[list[str], Iterator[Row]]:
    """One row per code, in the codebook's order: path split by level, definition (Markdown), colour
    and the counts the codebook page shows (`codebook.counted_codes`, consented material only)."""
    codes = list(codebook.counted_codes(study).only("pk", "name", "parent_id", "colour", "definition"))
    tree = code_tree(study)
    depth = _tree_depth(tree)
    by_id = {code.pk: code for code in codes}
    header = [
        "id",
        "code",
        "name",
        "parent",
        *_levels(depth),
        "definition",
        "colour",
        "observations",
        "excerpts",
    ]

    def rows() -> Iterator[Row]:
        for pk, node in tree.items():
            code = by_id.get(pk)
            if code is None:
                continue
            parts = _path_parts(node)
            parent = tree.get(code.parent_id)
            yield [
                code.pk,
                node.path,
                code.name,
                parent.path if parent is not None else "",
                *parts,
                *([""] * (depth - len(parts))),
                code.definition,
                code.colour,
                code.observation_count,
                code.excerpt_count,
            ]

    return header, rows()


# --- Interviews -----------------------------------------------------------------------------------


INTERVIEW_HEADER = [
    "id",
    "title",
    "date",
    "informant",
    *COLLECTIVE_HEADER,
    "interviewer",
    "mode",
    "duration_minutes",
    "protocol_version",
    "transcript_characters",
    "excerpts",
    "excerpt_codes",
]


def interviews(study: StudyPage) -> tuple[list[str], Iterator[Row]]:
    """One row per consented interview: the informant's pseudonym, their collective's code and
    attributes, the facts of the interview, the transcript's length and the codes of its excerpts.
    Neither the transcript nor the informant's identifying details (nor role) are exported."""
    tree = code_tree(study)
    queryset = (
        Interview.objects.consented()
        .filter(study=study)
        .select_related("informant__collective", "interviewer__bec_profile", "protocol_version")
        .only(
            "pk",
            "title",
            "conducted_on",
            "mode",
            "duration_minutes",
            "interviewer",
            "informant__pseudonym",
            "informant__collective__code",
            "informant__collective__legal_form",
            "informant__collective__sector",
            "informant__collective__size_band",
            "informant__collective__territory",
            "protocol_version__number",
        )
        .annotate(transcript_characters=Length("plain_text"))
        .prefetch_related(_excerpt_prefetch("interview"))
        .order_by("pk")
    )

    def rows() -> Iterator[Row]:
        for item in queryset.iterator(chunk_size=CHUNK):
            in_excerpts = {code.pk for excerpt in item.excerpt_list for code in excerpt.code_ids}
            yield [
                item.pk,
                item.title,
                item.conducted_on,
                item.informant.pseudonym,
                *_collective_cells(item.informant.collective),
                _person(item.interviewer),
                item.get_mode_display(),
                item.duration_minutes,
                item.protocol_version.label if item.protocol_version_id else "",
                item.transcript_characters,
                len(item.excerpt_list),
                _paths(tree, in_excerpts),
            ]

    return INTERVIEW_HEADER, rows()


TABLES: dict[str, Table] = {
    table.slug: table
    for table in (
        Table(
            "observations",
            _("Observations"),
            _(
                "One row per observation: its fields, the answers to the grid of its protocol version (one "
                "column per question), AI tools, purposes, codes of the whole note and of its passages, and "
                "the text of the note."
            ),
            observations,
        ),
        Table(
            "coded-segments",
            _("Coded segments"),
            _(
                "One row per coded passage and code: its source, the collective's code and characteristics, "
                "the coder, the code's path (one column per level), the passage and its memo."
            ),
            coded_segments,
        ),
        Table(
            "codebook",
            _("Codebook"),
            _(
                "One row per code, in the codebook's order: its path, definition, colour, and the number of "
                "observations and passages coded with it."
            ),
            codebook_table,
        ),
        Table(
            "interviews",
            _("Interviews"),
            _(
                "One row per interview: the informant's pseudonym, their collective's code and "
                "characteristics, date, mode, duration, length of the transcript and codes of its passages. "
                "Neither the transcript nor the informant's identifying details."
            ),
            interviews,
        ),
    )
}
