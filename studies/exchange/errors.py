"""What an exchange tells its user: a refusal (`ExchangeError`) and an import's `Report`."""

from __future__ import annotations

from dataclasses import dataclass, field


class ExchangeError(Exception):
    """A file refused as a whole (unsafe archive, malformed XML): nothing is imported.

    `guid` and `line` name the element at fault when there is one, so the user can find it.
    """

    def __init__(self, message: str, *, guid: str = "", line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.guid = guid
        self.line = line

    def __str__(self) -> str:
        where = []
        if self.line:
            where.append(f"line {self.line}")
        if self.guid:
            where.append(f"GUID {self.guid}")
        return f"{self.message} ({', '.join(where)})" if where else self.message


@dataclass
class Problem:
    """Something of the file that was not carried over, and where it is in the file."""

    message: str
    guid: str = ""
    line: int | None = None


@dataclass
class Report:
    """What an import created, matched and left out — the standard asks an importer to say it.

    A dry run fills the same report from the same code, then rolls back.
    """

    dry_run: bool = False
    kind: str = "project"  # or "codebook"
    codes_created: list[str] = field(default_factory=list)
    codes_matched: list[str] = field(default_factory=list)
    codes_renamed: list[str] = field(default_factory=list)
    codes_skipped: list[str] = field(default_factory=list)
    documents_created: list[str] = field(default_factory=list)
    observations_created: list[str] = field(default_factory=list)
    interviews_created: list[str] = field(default_factory=list)
    #: The file's cases: (GUID, name, number of sources) — offered for mapping on the preview.
    cases: list[tuple[str, str, int]] = field(default_factory=list)
    sources_skipped: list[str] = field(default_factory=list)
    excerpts_created: int = 0
    codings_created: int = 0
    memos_created: int = 0
    coders_matched: list[str] = field(default_factory=list)
    coders_imported: list[str] = field(default_factory=list)
    #: (source name, the offset reading chosen for it) — see `studies.exchange.offsets`.
    units: list[tuple[str, str]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    not_carried: list[str] = field(default_factory=list)

    def said_units(self) -> list[tuple[str, str]]:
        """`units` as the user reads them (translated descriptions of each reading)."""
        from .offsets import SAID

        return [(name, str(SAID.get(unit, unit))) for name, unit in self.units]

    def problem(self, message: str, guid: str = "", line: int | None = None) -> None:
        self.problems.append(Problem(message, guid, line))

    def lines(self) -> list[str]:
        """The report as plain lines, for the management commands."""
        out = [
            f"codes: {len(self.codes_created)} created, {len(self.codes_matched)} matched, "
            f"{len(self.codes_renamed)} renamed, {len(self.codes_skipped)} skipped",
        ]
        if self.kind == "project":
            out.append(
                f"documents: {len(self.documents_created)} created, {len(self.sources_skipped)} skipped; "
                f"observations: {len(self.observations_created)}; "
                f"interviews: {len(self.interviews_created)}; "
                f"excerpts: {self.excerpts_created}; codings: {self.codings_created}; "
                f"memos: {self.memos_created}"
            )
            out.append(
                f"coders: {len(self.coders_matched)} matched to members, "
                f"{len(self.coders_imported)} kept as imported coders"
            )
            out.extend(f"offsets of « {name} »: {unit}" for name, unit in self.units)
        out.extend(f"created code: {name}" for name in self.codes_created)
        out.extend(f"renamed code: {name}" for name in self.codes_renamed)
        out.extend(f"skipped code: {name}" for name in self.codes_skipped)
        for problem in self.problems:
            where = ", ".join(
                part
                for part in (
                    f"line {problem.line}" if problem.line else "",
                    f"GUID {problem.guid}" if problem.guid else "",
                )
                if part
            )
            out.append(f"not carried over: {problem.message}" + (f" ({where})" if where else ""))
        out.extend(f"not carried over: {item}" for item in self.not_carried)
        return out
