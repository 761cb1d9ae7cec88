"""A report's figures: the analysis tables of `studies.analysis`, computed once and frozen.

A figure block names a table (code frequencies, co-occurrence, crosstab, over time), its filters and
options as the query string of the analysis page it comes from (the author copies the address of
the page they looked at), and a chart type. `compute_figure` runs *the same queries* as the
analysis pages (`scope_for`, `frequencies.table`, `cooccurrence.matrix`, `crosstab.table`,
`timeline.timeline`) and keeps only what a reader needs: a header, rows of numbers and labels, the
chart's labels and series, the filters described, the date and the protocol version in force.

Why frozen: « what was voted is what is published ». The report's revision stores these numbers
(`StudyReportPage.frozen_figures`, filled at each save of a revision), so voters see the figures they
adopt, and the published page keeps showing them, dated, while coding goes on.

What may reach the public: only filters and dimensions that name no one. The observer / coder
filters, the free-text filter and the « observer » dimension are dropped from a figure (they are
team material: names of members, words of the notes); collectives appear by pseudonym code only,
as on the analysis pages. The stored figure holds no link to the team's pages.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlsplit

from django.http import QueryDict
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from .analysis import charts, cooccurrence, crosstab, frequencies, timeline
from .analysis.filters import PATHS, FilterForm, Scope, code_tree
from .analysis.forms import CooccurrenceForm, CrosstabForm, TimelineForm, bound, options
from .report_blocks import CHARTS, MEASURES, TABLES  # noqa: F401 - the choices, named once

#: Filters a public figure may carry: none of them names a person or quotes the material.
PUBLIC_FILTERS = (
    "codes",
    "match",
    "subcodes",
    "kind",
    "collectives",
    "legal_forms",
    "sectors",
    "size_bands",
    "territories",
    "ai_tools",
    "purposes",
    "versions",
    "date_from",
    "date_to",
)
#: Options of the tables (not filters), kept as they are.
TABLE_OPTIONS = ("unit", "limit", "rows", "columns", "split")
#: Crosstab dimensions a public figure may use (« observer » names team members).
PUBLIC_DIMENSIONS = tuple(key for key in crosstab.DIMENSIONS if key != "observer")
#: At most this many rows in a stored figure (the page stays readable, the revision small).
MAX_ROWS = 40


class FigureError(ValueError):
    """A figure's filters or options are refused (the message says which, in the reader's words)."""


def public_params(text: str) -> QueryDict:
    """The query string of `text` (an analysis page's address or its ``?…`` part), public keys only."""
    text = (text or "").strip()
    if "?" in text or text.startswith(("http://", "https://", "/")):
        text = urlsplit(text).query
    data = QueryDict(text[:4000], mutable=True)
    for key in list(data.keys()):
        if key not in PUBLIC_FILTERS and key not in TABLE_OPTIONS:
            del data[key]
    return data


def _scope(study, params: QueryDict, tree) -> tuple[FilterForm, Scope]:
    form = FilterForm(
        params if any(name in params for name in FilterForm.base_fields) else None, study=study, codes=tree
    )
    if form.is_bound and not form.is_valid():
        problems = "; ".join(
            f"{form.fields[name].label if name in form.fields else name} : {' '.join(errors)}"
            for name, errors in form.errors.items()
        )
        raise FigureError(_("These filters are refused: %(problems)s") % {"problems": problems})
    return form, Scope(study, form.filters(), form.tree)


def _table(scope: Scope, table: str, params: QueryDict) -> dict[str, Any]:
    """Header, rows and chart data of one analysis table (the queries of the analysis pages)."""
    if table == "codes":
        rows, sources = frequencies.table(scope, "excerpts")
        used = [row for row in rows if row.own.excerpts][:MAX_ROWS]
        return {
            "header": [_("Code"), _("Excerpts"), _("Sources"), _("Collectives")],
            "rows": [[r.code.path, r.own.excerpts, r.own.sources, r.own.collectives] for r in used],
            "labels": [r.code.path for r in used],
            "series": [[_("excerpts"), [r.own.excerpts for r in used]]],
            "sources": sources,
        }
    if table == "cooccurrence":
        chosen = options(bound(CooccurrenceForm, params))
        unit = chosen["unit"] if chosen["unit"] in cooccurrence.UNITS else "excerpt"
        matrix = cooccurrence.matrix(scope, unit, min(chosen["limit"] or 10, 12))
        names = [code.path for code in matrix.codes]
        return {
            "header": ["", *names],
            "rows": [
                [code.path, *(cell.count for cell in line)]
                for code, line in zip(matrix.codes, matrix.cells, strict=True)
            ],
            "labels": names,
            "series": [
                [name, [line[index].count if not line[index].diagonal else 0 for line in matrix.cells]]
                for index, name in enumerate(names)
            ],
        }
    if table == "crosstab":
        chosen = options(bound(CrosstabForm, params))
        rows_key = chosen["rows"] if chosen["rows"] in PUBLIC_DIMENSIONS else "ai_tool"
        columns_key = chosen["columns"] if chosen["columns"] in PUBLIC_DIMENSIONS else "purpose"
        result = crosstab.table(scope, rows_key, columns_key, min(chosen["limit"] or 20, MAX_ROWS))
        columns = [label for _value, label in result.column_values]
        return {
            "header": [f"{result.rows.label} \\ {result.columns.label}", *columns, _("total")],
            "rows": [
                [label, *(cell.count for cell in line), total]
                for (_value, label), line, total in zip(
                    result.row_values, result.cells, result.row_totals, strict=True
                )
            ],
            "labels": [label for _value, label in result.row_values],
            "series": [
                [label, [line[index].count for line in result.cells]] for index, label in enumerate(columns)
            ],
            "sources": result.total,
        }
    if table == "time":
        split = options(bound(TimelineForm, params))["split"]
        result = timeline.timeline(scope, split)
        months = [month.strftime("%Y-%m") for month in result.months][-MAX_ROWS:]
        cut = len(result.months) - len(months)
        series = [[_("sources"), result.sources[cut:]], [_("coded segments"), result.segments[cut:]]]
        extra = [[label, values[cut:]] for label, values in result.series]
        return {
            "header": [_("Month"), _("Sources"), _("Coded segments"), *(label for label, _v in extra)],
            "rows": [
                [month, *(values[i] for _label, values in (*series, *extra))]
                for i, month in enumerate(months)
            ],
            "labels": months,
            "series": extra or series,
        }
    raise FigureError(_("Unknown table."))


def check_filters(study, text: str, tree=None) -> None:
    """Raise `FigureError` when the filters of `text` are refused (the editor's form shows it)."""
    _scope(study, public_params(text), tree if tree is not None else code_tree(study))


def _describe(form: FilterForm) -> list[list[str]]:
    return [[label, values] for label, values in form.describe()]


def protocol_label(study) -> str:
    from .versions import version_in_force

    version = version_in_force(study)
    return version.label if version is not None else ""


def compute_figure(study, value, *, tree=None, version: str | None = None) -> dict[str, Any]:
    """The frozen form of a figure block's value: numbers, filters, date, protocol version."""
    tree = tree if tree is not None else code_tree(study)
    params = public_params(value.get("filters", ""))
    form, scope = _scope(study, params, tree)
    table = value.get("table") or "codes"
    data = _table(scope, table, params)
    return {
        "table": table,
        "chart": value.get("chart") or "bar",
        "filters": _describe(form),
        "computed_at": timezone.now().isoformat(),
        "protocol_version": protocol_label(study) if version is None else version,
        **data,
    }


def compute_key_figures(study, value, *, tree=None, version: str | None = None) -> dict[str, Any]:
    """The numbers of a key-figures block, each with its filters, from the same scope as the tables."""
    tree = tree if tree is not None else code_tree(study)
    items = []
    for item in value.get("items", ()):
        params = public_params(item.get("filters", ""))
        form, scope = _scope(study, params, tree)
        measure = item.get("measure") or "sources"
        if measure == "sources":
            number = sum(scope.sources(paths).count() for paths in PATHS.values())
        elif measure == "excerpts":
            number = scope.excerpts().count()
        elif measure == "codes":
            number = scope.excerpts().values("codes").exclude(codes=None).distinct().count()
        else:  # collectives: of the filtered sources, observations and interviews alike
            ids: set[int] = set()
            for paths in PATHS.values():
                ids |= set(scope.sources(paths).values_list(paths.collective, flat=True).distinct())
            number = len(ids - {None})
        items.append({"label": item.get("label") or "", "number": number, "filters": _describe(form)})
    return {
        "items": items,
        "computed_at": timezone.now().isoformat(),
        "protocol_version": protocol_label(study) if version is None else version,
    }


def draw(figure: dict, title: str) -> SafeString | str:
    """The figure's chart from its stored labels and series (the analysis pages' chart code)."""
    labels, series = (
        figure.get("labels") or [],
        [(name, values) for name, values in figure.get("series") or []],
    )
    kind = figure.get("chart") or "bar"
    if kind == "none" or not labels or not series:
        return ""
    description = _("The same figures as the table below, computed on %(date)s.") % {
        "date": figure_date(figure).strftime("%d/%m/%Y") if figure_date(figure) else "—"
    }
    title = title or _("Figure")
    if kind == "line":
        return charts.line(title, description, labels, series)
    if kind == "stacked":
        return charts.stacked_bar(title, description, labels, series)
    return charts.bar(title, description, labels, series)


def figure_date(figure: dict) -> date | None:
    from django.utils.dateparse import parse_datetime

    when = parse_datetime(figure.get("computed_at") or "")
    return timezone.localtime(when).date() if when else None


def figure_text(figure: dict | None) -> str:
    """A figure as lines of text (header, rows, filters), for the diff between two versions."""
    if not figure:
        return ""
    lines = [" | ".join(str(cell) for cell in figure.get("header") or ())]
    lines += [" | ".join(str(cell) for cell in row) for row in figure.get("rows") or ()]
    lines += [
        f"{label} : {number}"
        for label, number in ((i["label"], i["number"]) for i in figure.get("items", ()))
    ]
    lines += [f"{label} : {values}" for label, values in figure.get("filters") or ()]
    return "\n".join(line for line in lines if line)
