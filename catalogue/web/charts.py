"""Geometry of the statistics page's SVG charts (the template draws them).

Horizontal bars for categories, columns for years. Every chart is also a
table on the page: the SVG is a picture (`role="img"` with a title and a
description), the numbers are read from the table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

BAR_HEIGHT = 22
BAR_GAP = 8
LABEL_WIDTH = 200
PLOT_WIDTH = 460
VALUE_WIDTH = 60
COLUMN_PLOT_HEIGHT = 200
COLUMN_TOP = 16  # room for the top tick's label
MAX_BARS = 30


@dataclass(frozen=True)
class Mark:
    """One bar or column: its row and its rectangle in SVG units."""

    code: str
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float


@dataclass
class Chart:
    id: str
    kind: str  # "bars" or "columns"
    rows: list[tuple[str, str, int]]  # every (code, label, count), for the table
    marks: list[Mark] = field(default_factory=list)  # the drawn ones (at most MAX_BARS)
    width: float = 0
    height: float = 0
    maximum: int = 0
    ticks: list[tuple[float, int]] = field(default_factory=list)  # (position, value) of grid lines
    axis: float = 0  # columns: y of the base line

    @property
    def total(self) -> int:
        return sum(n for _c, _l, n in self.rows)

    @property
    def top(self) -> tuple[str, int] | None:
        """The largest category (for the chart's description)."""
        if not self.rows:
            return None
        _code, label, count = max(self.rows, key=lambda r: r[2])
        return label, count


def _ticks(maximum: int, length: float, count: int = 4) -> list[tuple[float, int]]:
    if maximum <= 0:
        return []
    raw = maximum / count
    magnitude = 10 ** (len(str(int(raw))) - 1) if raw >= 1 else 1
    step = max(1, int(-(-raw // magnitude) * magnitude))
    return [(length * v / maximum, v) for v in range(step, maximum + 1, step)]


def bar_chart(chart_id: str, rows: Sequence[tuple[str, str, int]]) -> Chart:
    """Horizontal bars, largest first unless the rows come ordered (maturity)."""
    rows = list(rows)
    drawn = rows[:MAX_BARS]
    maximum = max((n for _c, _l, n in drawn), default=0)
    chart = Chart(chart_id, "bars", rows, maximum=maximum)
    for i, (code, label, count) in enumerate(drawn):
        width = PLOT_WIDTH * count / maximum if maximum else 0
        chart.marks.append(Mark(code, label, count, LABEL_WIDTH, i * (BAR_HEIGHT + BAR_GAP), max(width, 1), BAR_HEIGHT))
    chart.width = LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH
    chart.height = max(len(drawn) * (BAR_HEIGHT + BAR_GAP), BAR_HEIGHT)
    chart.ticks = [(LABEL_WIDTH + x, v) for x, v in _ticks(maximum, PLOT_WIDTH)]
    return chart


def column_chart(chart_id: str, rows: Sequence[tuple[str, str, int]]) -> Chart:
    """Columns in the given order (years, oldest first), every year between
    the first and the last drawn, empty ones at zero."""
    rows = list(rows)
    if rows and all(code.isdigit() for code, _l, _n in rows):
        have = {code: n for code, _l, n in rows}
        first, last = int(rows[0][0]), int(rows[-1][0])
        rows = [(str(y), str(y), have.get(str(y), 0)) for y in range(first, last + 1)]
    maximum = max((n for _c, _l, n in rows), default=0)
    chart = Chart(chart_id, "columns", [r for r in rows if r[2]], maximum=maximum)
    slot = max(14.0, min(48.0, 640 / max(len(rows), 1)))
    for i, (code, label, count) in enumerate(rows):
        height = COLUMN_PLOT_HEIGHT * count / maximum if maximum else 0
        top = COLUMN_TOP + COLUMN_PLOT_HEIGHT - height
        chart.marks.append(Mark(code, label, count, 40 + i * slot, top, slot * 0.7, height))
    chart.width = 40 + len(rows) * slot + 10
    chart.axis = COLUMN_TOP + COLUMN_PLOT_HEIGHT
    chart.height = chart.axis + 28
    chart.ticks = [(chart.axis - y, v) for y, v in _ticks(maximum, COLUMN_PLOT_HEIGHT)]
    return chart
