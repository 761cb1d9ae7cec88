"""Charts drawn on the server as SVG (pygal): bar, stacked bar and line, shown as an image.

Why on the server: the figure needs no JavaScript and no CDN, prints, and the same function can
draw it into a published report. pygal's own scripts (tooltips) are switched off (`js=[]`); the
SVG carries a `<title>` and a `<desc>`, and the page shows the data table beside it. Labels are
user text (code names): pygal writes them through lxml, which escapes them; the title and
description added here are escaped too.

Why an ``<img>`` with a ``data:`` URL rather than the SVG inlined in the page: pygal styles its
chart with a ``<style>`` element, which the site's Content-Security-Policy (``style-src 'self'``)
refuses in the page; inside an image document the chart keeps its styles, and an SVG shown as an
image can run no script and load nothing, whatever its labels hold. The image's ``alt`` is the
chart's title and description; the numbers are in the table next to it.
"""

from __future__ import annotations

import base64
import itertools
import re
from collections.abc import Sequence

import pygal
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from pygal.style import Style

_ids = itertools.count(1)

STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="#1f2a2e",
    foreground_strong="#1f2a2e",
    foreground_subtle="#c9d3d1",
    font_family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
    title_font_size=18,
    label_font_size=13,
    major_label_font_size=13,
    legend_font_size=13,
    value_font_size=12,
    colors=(
        "#1d6b5f",
        "#c2572b",
        "#3b5ba9",
        "#b8860b",
        "#7a3e9d",
        "#2e8b57",
        "#a23b5b",
        "#5b6770",
        "#0f8fa8",
        "#8c6d1f",
    ),
)


def _config(**options) -> dict:
    return {
        "style": STYLE,
        "js": [],  # no script in the page: the data table next to the chart carries the numbers
        "disable_xml_declaration": True,
        "show_legend": True,
        "legend_at_bottom": True,
        "truncate_label": 40,
        "truncate_legend": 40,
        "print_values": False,
        "width": 800,
        "height": 420,
        **options,
    }


def svg_document(chart, title: str, description: str) -> str:
    """The chart's SVG, without script or comments, with its title and description."""
    svg = chart.render(is_unicode=True)
    number = next(_ids)
    labels = f"chart-title-{number} chart-desc-{number}"
    head = (
        f'<title id="chart-title-{number}">{escape(title)}</title>'
        f'<desc id="chart-desc-{number}">{escape(description)}</desc>'
    )
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    # pygal always writes its tooltip configuration as a <script>, even without scripts to run.
    svg = re.sub(r"<script\b.*?</script>", "", svg, flags=re.S)
    svg = svg.replace("<svg ", f'<svg role="img" aria-labelledby="{labels}" ', 1)
    return re.sub(r"(<svg[^>]*>)", lambda match: match.group(1) + head, svg, count=1)


def _finish(chart, title: str, description: str) -> SafeString:
    """An ``<img>`` showing the chart (see the module docstring), its text as the ``alt``."""
    svg = svg_document(chart, title, description)
    source = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    alt = escape(f"{title}. {description}")
    return mark_safe(  # noqa: S308 - the alt text is escaped; the source is base64
        f'<img class="chart-image" src="data:image/svg+xml;base64,{source}" alt="{alt}" '
        f'width="{chart.config.width}" height="{chart.config.height}">'
    )


def _drawn(kind, title: str, description: str, labels: Sequence[str],
           series: Sequence[tuple[str, Sequence[int]]], **options) -> SafeString:
    """A chart of `kind` with its title, labels and series (`_config` options overridden by `options`)."""
    chart = kind(**_config(**options))
    chart.title = title
    chart.x_labels = list(labels)
    for name, values in series:
        chart.add(name, list(values))
    return _finish(chart, title, description)


def bar(
    title: str,
    description: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[int]]],
    *,
    horizontal: bool = True,
) -> SafeString:
    """A bar chart: one bar per label and series (horizontal by default: code names are long)."""
    kind = pygal.HorizontalBar if horizontal else pygal.Bar
    if horizontal:  # pygal draws the first label at the bottom: the reader expects it on top
        labels = list(reversed(labels))
        series = [(name, list(reversed(values))) for name, values in series]
    return _drawn(
        kind, title, description, labels, series,
        height=max(260, 40 + 28 * len(labels) * max(len(series), 1)) if horizontal else 420,
        show_legend=len(series) > 1,
    )


def stacked_bar(
    title: str, description: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[int]]]
) -> SafeString:
    """Stacked bars: one bar per label, one colour per series."""
    return _drawn(pygal.StackedBar, title, description, labels, series,
                  x_label_rotation=30 if len(labels) > 6 else 0)


def line(
    title: str, description: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[int]]]
) -> SafeString:
    """Lines over time: one point per label (month), one line per series."""
    return _drawn(pygal.Line, title, description, labels, series,
                  x_label_rotation=30 if len(labels) > 8 else 0, show_dots=len(labels) < 40)
