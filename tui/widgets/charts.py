"""Small text charts: sparklines for headers and a pass-rate trend plot."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.text import Text
from textual_plotext import PlotextPlot

from evaltop.tui.widgets import safe_text

BLOCKS = "▁▂▃▄▅▆▇█"
# one character per series: lines told apart without colour (NO_COLOR, a
# monochrome terminal) and named by the legend under the chart
MARKERS = "●+x*o#%@"


def sparkline(values: list[float | None], lo: float | None = None, hi: float | None = None) -> str:
    """One character per value; a gap (space) where the value is unknown."""
    known = [v for v in values if v is not None]
    if not known:
        return " " * len(values)
    lo = min(known) if lo is None else lo
    hi = max(known) if hi is None else hi
    span = hi - lo
    out = []
    for v in values:
        if v is None:
            out.append(" ")
        elif span <= 0:
            out.append(BLOCKS[len(BLOCKS) // 2] if v else BLOCKS[0])
        else:
            out.append(BLOCKS[min(len(BLOCKS) - 1, int((v - lo) / span * (len(BLOCKS) - 1) + 0.5))])
    return "".join(out)


def rate_text(rate: float | None, n: int | None = None) -> Text:
    """A pass rate coloured by how good it is (and its count)."""
    if rate is None:
        return Text("n/a", style="dim")
    style = "green" if rate >= 0.9 else ("yellow" if rate >= 0.7 else "red")
    t = Text(f"{rate * 100:5.1f}%", style=style)
    if n is not None:
        t.append(f" n={n}", style="dim")
    return t


class TrendChart(PlotextPlot):
    """Pass rate per series over time (x axis: UTC time)."""

    DEFAULT_CSS = "TrendChart { height: 1fr; min-height: 8; }"

    def __init__(self, title: str = "pass rate %", **kwargs):
        super().__init__(**kwargs)
        self.title = title
        self._series: dict[str, list[tuple[float, float, int]]] | None = None

    def on_mount(self) -> None:
        self._draw()

    def set_series(self, series: dict[str, list[tuple[float, float, int]]]) -> None:
        if series == self._series and self._drawn_title == self.title:
            return
        self._series = series
        self._draw()

    _drawn_title = ""

    def _draw(self) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        self._drawn_title = self.title
        plt.title(self.title)
        plt.ylim(0, 100)
        if not self._series:
            plt.title(f"{self.title}: no judged outputs in the window")
            return self.refresh()
        xs_all = sorted({b for points in self._series.values() for b, _, _ in points})
        for points, marker in zip(list(self._series.values()), MARKERS, strict=False):
            xs = [b for b, _, _ in points]
            ys = [r * 100 for _, r, _ in points]
            # no plotext label: its legend is drawn over the lines; ours is below
            if len(points) == 1:
                plt.scatter(xs, ys, marker=marker)
            else:
                plt.plot(xs, ys, marker=marker)
        ticks = xs_all[:: max(1, len(xs_all) // 5)]
        fmt = "%H:%M" if xs_all[-1] - xs_all[0] <= 86400 else "%m-%d %H:%M"
        plt.xticks(ticks, [datetime.fromtimestamp(t, tz=UTC).strftime(fmt) for t in ticks])
        self.refresh()


def legend_text(series: dict | None, width: int = 80) -> Text:
    """``● name  + name ...``: which marker draws which series (the chart's
    own legend sits on the lines, or does not fit a narrow pane), in lines of
    at most ``width`` that never part a marker from its name."""
    items = [f"{marker} {safe_text.line(name, 24)}"
             for (name, _), marker in zip(list((series or {}).items()), MARKERS, strict=False)]
    lines: list[str] = []
    for item in items:
        if lines and len(lines[-1]) + 2 + len(item) <= width:
            lines[-1] += "  " + item
        else:
            lines.append(item)
    return Text("\n".join(lines))
