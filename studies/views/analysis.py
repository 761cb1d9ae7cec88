"""The study's analysis pages: coded segments, code frequencies, co-occurrence, crosstabs, over time.

Team only (observers read). Every page reads the same filter form (`studies.analysis.filters`),
computes its table in `studies.analysis.*` (SQL, consented material only) and renders it, with a
chart where one helps, or writes it as CSV/XLSX (`fmt`), the filters in force in the file's first
rows (`commons.spreadsheets` neutralises the cells). Bad filter values: the form shows the error
and the table is computed unfiltered, with status 200 (the page is still useful).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.text import capfirst, slugify
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from commons.spreadsheets import csv_response, xlsx_response

from ..analysis import charts, cooccurrence, crosstab, frequencies, timeline
from ..analysis import segments as segment_table
from ..analysis.cache import cached
from ..analysis.filters import FilterForm, scope_for
from ..analysis.forms import (
    CooccurrenceForm,
    CrosstabForm,
    FrequencyForm,
    SegmentPageForm,
    TimelineForm,
    bound,
    options,
)
from ..models import StudyPage
from ..permissions import team_required
from ..sources import KINDS


def _url(request: HttpRequest, study: StudyPage, name: str, params: dict | None = None) -> str:
    # Computed once per page and request: the co-occurrence matrix and the crosstabs link every cell.
    bases = request.__dict__.setdefault("_analysis_urls", {})
    if (study.pk, name) not in bases:
        bases[study.pk, name] = study.get_url(request) + study.reverse_subpage(name)
    url = bases[study.pk, name]
    return f"{url}?{urlencode(params, doseq=True)}" if params else url


def filter_params(filters: dict) -> dict[str, list[str]]:
    """Cleaned filters back into query-string values (links carry the filters in force, never bad ones)."""
    params: dict[str, list[str]] = {}
    for name, value in filters.items():
        if isinstance(value, list | tuple):
            params[name] = [str(item) for item in value]
        elif isinstance(value, bool):
            params[name] = ["on"]
        elif isinstance(value, date):
            params[name] = [value.isoformat()]
        else:
            params[name] = [str(value)]
    return params


def _navigation(request: HttpRequest, study: StudyPage, query: dict, current: str) -> list[dict]:
    pages = (
        ("analysis_segments", _("Coded segments")),
        ("analysis_codes", _("Code frequencies")),
        ("analysis_cooccurrence", _("Co-occurrence")),
        ("analysis_crosstab", _("Crosstabs")),
        ("analysis_time", _("Over time")),
    )
    return [
        {"name": name, "label": label, "url": _url(request, study, name, query), "current": name == current}
        for name, label in pages
    ]


def _context(
    request: HttpRequest, study: StudyPage, form: FilterForm, name: str, extra: dict | None = None
) -> dict:
    """What every analysis page shows around its table: navigation, filters, downloads."""
    query = filter_params(form.filters())
    own = {key: request.GET.getlist(key) for key in (extra or {}) if key in request.GET}
    download = {**query, **own}
    return {
        "page": study,
        "self": study,
        "study": study,
        "form": form,
        "filters_in_force": form.describe(),
        "navigation": _navigation(request, study, query, name),
        "csv_url": _url(request, study, f"{name}_csv", download),
        "xlsx_url": _url(request, study, f"{name}_xlsx", download),
        "reset_url": _url(request, study, name),
        "segments_url": _url(request, study, "analysis_segments"),
        "query": query,
    }


def _chart(scope, name: str, params: tuple, draw: Callable[[], str]) -> str:
    """A chart drawn from a cached table is cached with it (drawing the SVG costs more than the rest
    of the page), in the language it was drawn in."""
    return cached(scope, f"{name}-chart", (*params, get_language()), draw)


def _download(study: StudyPage, form: FilterForm, fmt: str, table: str, title: str, rows: Iterable[Sequence]):
    """The table as CSV or XLSX: the study, the table, the date and the filters first, then the rows."""
    preamble = [
        (_("Study"), study.title),
        (_("Table"), title),
        (_("Exported on"), timezone.localtime().strftime("%Y-%m-%d %H:%M")),
        *[(_("Filter: %(name)s") % {"name": label}, values) for label, values in form.describe()],
        (),
    ]
    if not form.describe():
        preamble.insert(3, (_("Filters"), _("none")))
    filename = f"{slugify(study.slug) or study.pk}-{table}-{timezone.localdate().isoformat()}.{fmt}"
    lines = [*preamble, *rows]
    if fmt == "xlsx":
        return xlsx_response(filename, lines, title=title)
    return csv_response(filename, lines)


# --- Overview ---------------------------------------------------------------------------------------


@team_required
def overview(request: HttpRequest, study: StudyPage) -> HttpResponse:
    """The analysis home: what each table answers, and the ready-made crosstabs."""
    form, _scope = scope_for(study, {})
    context = _context(request, study, form, "analysis_segments")
    context["presets"] = [
        (title, _url(request, study, "analysis_crosstab", {"rows": [rows], "columns": [columns]}))
        for rows, columns, title in crosstab.PRESETS
    ]
    return render(request, "studies/analysis/overview.html", context)


# --- Coded segments ---------------------------------------------------------------------------------


@team_required
def segments(request: HttpRequest, study: StudyPage, fmt: str = "html") -> HttpResponse:
    """Every coded excerpt passing the filters, newest first, 50 a page (keyset pagination)."""
    form, scope = scope_for(study, request.GET)
    if fmt != "html":
        return _download(
            study,
            form,
            fmt,
            "segments",
            _("Coded segments"),
            [segment_table.HEADER, *segment_table.rows(scope)],
        )
    paging = options(SegmentPageForm(request.GET))
    result = cached(
        scope,
        "segments",
        (paging["after"], paging["before"]),
        lambda: segment_table.page(scope, after=paging["after"], before=paging["before"]),
    )
    context = _context(request, study, form, "analysis_segments")
    base = _url(request, study, "analysis_segments")
    query = context["query"]
    context.update(
        result=result,
        next_url=f"{base}?{urlencode({**query, 'after': result.next_after}, doseq=True)}"
        if result.next_after
        else "",
        previous_url=f"{base}?{urlencode({**query, 'before': result.previous_before}, doseq=True)}"
        if result.previous_before
        else "",
        first_url=_url(request, study, "analysis_segments", query) if not result.first else "",
        rows=[
            (segment, KINDS[segment.kind].url(study, segment.source_id, f"excerpt-item-{segment.id}"))
            for segment in result.segments
        ],
    )
    return render(request, "studies/analysis/segments.html", context)


# --- Code frequencies -------------------------------------------------------------------------------


@team_required
def codes(request: HttpRequest, study: StudyPage, fmt: str = "html") -> HttpResponse:
    """Per code, and per family with its sub-codes: excerpts, sources, collectives, coders."""
    form, scope = scope_for(study, request.GET)
    table_form = bound(FrequencyForm, request.GET)
    sort = options(table_form)["sort"]
    rows, sources = cached(scope, "codes", (sort,), lambda: frequencies.table(scope, sort))
    if fmt != "html":
        return _download(
            study, form, fmt, "codes", _("Code frequencies"), [frequencies.HEADER, *frequencies.rows(rows)]
        )
    context = _context(request, study, form, "analysis_codes", {"sort": 1})
    for row in rows:
        row.segments_url = _url(
            request, study, "analysis_segments", {**context["query"], "codes": [str(row.code.pk)]}
        )
    used = sorted((row for row in rows if row.own.excerpts), key=lambda row: -row.own.excerpts)[:15]
    context.update(
        rows=rows,
        sources=sources,
        table_form=table_form,
        sort=sort,
        sort_urls={
            key: _url(request, study, "analysis_codes", {**context["query"], "sort": [key]})
            for key in frequencies.SORTS
        },
        chart=_chart(
            scope,
            "codes",
            (sort,),
            lambda: charts.bar(
                _("Excerpts per code"),
                _(
                    "Horizontal bars: the number of coded excerpts of each of the %(n)s most used codes, "
                    "the same figures as the table below."
                )
                % {"n": len(used)},
                [row.code.path for row in used],
                [(_("excerpts"), [row.own.excerpts for row in used])],
            ),
        )
        if used
        else "",
    )
    return render(request, "studies/analysis/codes.html", context)


# --- Co-occurrence ----------------------------------------------------------------------------------


@team_required
def cooccurrence_page(request: HttpRequest, study: StudyPage, fmt: str = "html") -> HttpResponse:
    """The code × code matrix (overlapping excerpts or same source), Jaccard index, links to segments."""
    form, scope = scope_for(study, request.GET)
    table_form = bound(CooccurrenceForm, request.GET)
    chosen = options(table_form)
    unit = chosen["unit"] if chosen["unit"] in cooccurrence.UNITS else "excerpt"
    if fmt != "html":
        return _download(
            study,
            form,
            fmt,
            "cooccurrence",
            _("Co-occurrence"),
            [cooccurrence.HEADER, *cooccurrence.rows(scope, unit)],
        )
    matrix = cached(
        scope,
        "cooccurrence",
        (unit, chosen["limit"]),
        lambda: cooccurrence.matrix(scope, unit, chosen["limit"]),
    )
    context = _context(request, study, form, "analysis_cooccurrence", {"unit": 1, "limit": 1})
    query = {key: value for key, value in context["query"].items() if key not in ("codes", "match")}
    match = cooccurrence.match_for(unit)
    links = {}
    for line in matrix.cells:
        for cell in line:
            codes = [str(cell.row.pk)] if cell.diagonal else [str(cell.row.pk), str(cell.column.pk)]
            links[cell.row.pk, cell.column.pk] = _url(
                request, study, "analysis_segments", {**query, "codes": codes, "match": [match]}
            )
    context.update(
        matrix=matrix,
        rows=[[(cell, links[cell.row.pk, cell.column.pk]) for cell in line] for line in matrix.cells],
        table_form=table_form,
        unit=unit,
        heat_steps=[
            (step, f"{(step - 1) * 20}–{step * 20} %") for step in range(1, cooccurrence.HEAT_STEPS + 1)
        ],
    )
    return render(request, "studies/analysis/cooccurrence.html", context)


# --- Crosstabs --------------------------------------------------------------------------------------


def _crosstab_link(request, study, query: dict, result: crosstab.Table, row, column) -> str:
    params = {key: value for key, value in query.items()}
    row_params, column_params = result.rows.params(row), result.columns.params(column)
    if "codes" in row_params and "codes" in column_params:
        params.update(codes=[*row_params["codes"], *column_params["codes"]], match=["source"])
        row_params, column_params = {}, {}
    for extra in (row_params, column_params):
        for key, value in extra.items():
            params[key] = value
    return _url(request, study, "analysis_segments", params)


@team_required
def crosstab_page(request: HttpRequest, study: StudyPage, fmt: str = "html") -> HttpResponse:
    """Sources counted by two dimensions, with row and column percentages; cells link to segments."""
    form, scope = scope_for(study, request.GET)
    table_form = bound(CrosstabForm, request.GET)
    chosen = options(table_form)
    rows_key = chosen["rows"] if chosen["rows"] in crosstab.DIMENSIONS else "ai_tool"
    columns_key = chosen["columns"] if chosen["columns"] in crosstab.DIMENSIONS else "purpose"
    limit = chosen["limit"] if fmt == "html" else 10_000  # a download holds every value
    result = cached(
        scope,
        "crosstab",
        (rows_key, columns_key, limit),
        lambda: crosstab.table(scope, rows_key, columns_key, limit),
    )
    title = f"{capfirst(result.rows.label)} × {result.columns.label}"
    if fmt != "html":
        return _download(study, form, fmt, "crosstab", title, crosstab.rows(result))
    context = _context(request, study, form, "analysis_crosstab", {"rows": 1, "columns": 1, "limit": 1})
    query = context["query"]
    grid = [
        (
            label,
            total,
            [(cell, _crosstab_link(request, study, query, result, value, cell.column)) for cell in line],
        )
        for (value, label), total, line in zip(
            result.row_values, result.row_totals, result.cells, strict=True
        )
    ]
    context.update(
        result=result,
        grid=grid,
        title=title,
        table_form=table_form,
        presets=[
            (
                label,
                _url(request, study, "analysis_crosstab", {**query, "rows": [r], "columns": [c]}),
                (r, c) == (rows_key, columns_key),
            )
            for r, c, label in crosstab.PRESETS
        ],
        chart=_chart(
            scope,
            "crosstab",
            (rows_key, columns_key, limit),
            lambda: charts.stacked_bar(
                title,
                _(
                    "Stacked bars: for each %(rows)s, the number of sources of each %(columns)s "
                    "(a source can count in several); the same figures as the table below."
                )
                % {"rows": result.rows.label, "columns": result.columns.label},
                [label for _value, label in result.row_values],
                [
                    (label, [line[index].count for line in result.cells])
                    for index, (_value, label) in enumerate(result.column_values)
                ],
            ),
        )
        if result.row_values and result.column_values
        else "",
    )
    return render(request, "studies/analysis/crosstab.html", context)


# --- Over time --------------------------------------------------------------------------------------


@team_required
def time_page(request: HttpRequest, study: StudyPage, fmt: str = "html") -> HttpResponse:
    """Sources and coded segments per month, optionally split by purpose, AI tool or code."""
    form, scope = scope_for(study, request.GET)
    table_form = bound(TimelineForm, request.GET)
    split = options(table_form)["split"]
    result = cached(scope, "time", (split,), lambda: timeline.timeline(scope, split))
    if fmt != "html":
        return _download(study, form, fmt, "time", _("Over time"), timeline.rows(result))
    context = _context(request, study, form, "analysis_time", {"split": 1})
    months = [month.strftime("%Y-%m") for month in result.months]
    context.update(
        result=result,
        table_form=table_form,
        lines=list(
            zip(
                months,
                result.sources,
                result.segments,
                zip(*(values for _label, values in result.series), strict=True)
                if result.series
                else [()] * len(months),
                strict=True,
            )
        ),
        chart=_chart(
            scope,
            "time",
            (split,),
            lambda: charts.line(
                _("Sources and coded segments per month"),
                _(
                    "Lines: per month, the number of sources (observations and interviews) and of coded "
                    "segments; the same figures as the table below."
                ),
                months,
                [(_("sources"), result.sources), (_("coded segments"), result.segments)],
            ),
        )
        if months
        else "",
        split_chart=_chart(
            scope,
            "time-split",
            (split,),
            lambda: charts.stacked_bar(
                _("Sources per month, by %(split)s") % {"split": crosstab.DIMENSIONS[split].label},
                _(
                    "Stacked bars: per month, the number of sources of each value (a source can count in "
                    "several)."
                ),
                months,
                result.series,
            ),
        )
        if result.series and months
        else "",
    )
    return render(request, "studies/analysis/time.html", context)
