"""A DataTable that refreshes by diffing, never by clear-and-rebuild.

``sync(rows)`` takes the page as ``[(row_key, [Text, ...]), ...]`` (first cell
a :class:`RankedText`): stale rows are removed, changed cells updated in
place, new rows added, and the rows sorted into page order once, all inside
``app.batch_update()``. The cursor stays on the same row key when it can.
"""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

from evaltop.tui.widgets.safe_text import RankedText

FILL = -1  # a column width: whatever the screen's width leaves (tables that span it)


class LiveTable(DataTable):
    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("g", "scroll_top", "Top", show=False),
        Binding("G", "scroll_bottom", "Bottom", show=False),
    ]

    def __init__(self, columns: list[tuple[str, str, int | None]], **kwargs):
        kwargs.setdefault("cursor_type", "row")
        kwargs.setdefault("zebra_stripes", True)
        super().__init__(**kwargs)
        self._columns_spec = columns
        self._cells: dict[str, list[Text]] = {}

    def on_mount(self) -> None:
        for key, label, width in self._columns_spec:
            self.add_column(Text(label), key=key, width=self._fill() if width == FILL else width)

    def on_resize(self) -> None:
        """A FILL column follows the screen's width."""
        fill, changed = self._fill(), False
        for key, _, width in self._columns_spec:
            column = self.columns.get(ColumnKey(key)) if width == FILL else None
            if column is not None and column.width != fill:
                column.width, changed = fill, True
        if changed:
            # DataTable recomputes its scrollable width only when this private
            # flag is set (textual has no public call for a column width change)
            self._require_update_dimensions = True
            self.refresh(layout=True)

    def _fill(self) -> int:
        """The width a FILL column gets: the screen's width less the other
        columns, every column's padding and the vertical scrollbar. Set when
        the table is made and on resize, never from the rows, so the layout
        never waits on measuring them (an auto-width column is sized only when
        the table next goes idle) and a long value ends in an ellipsis instead
        of widening the table past the screen."""
        fixed = sum(w for _, _, w in self._columns_spec if w is not None and w != FILL)
        fills = sum(1 for _, _, w in self._columns_spec if w == FILL)
        pad = 2 * self.cell_padding * len(self._columns_spec)
        return max(8, (self.app.size.width - fixed - pad - 2) // max(1, fills))

    @property
    def row_keys(self) -> list[str]:
        return [
            str(self.coordinate_to_cell_key((i, 0)).row_key.value) for i in range(self.row_count)
        ]

    @property
    def current_key(self) -> str | None:
        if not self.row_count:
            return None
        return str(self.coordinate_to_cell_key((self.cursor_row, 0)).row_key.value)

    def sync(self, rows: list[tuple[str, list[Text]]], *, keep_cursor: bool = True) -> None:
        """Make the table show ``rows`` (in that order) with the fewest changes."""
        current = self.current_key if keep_cursor else None
        wanted = dict(rows)
        col_keys = [c[0] for c in self._columns_spec]
        with self.app.batch_update():
            for key in [k for k in self._cells if k not in wanted]:
                self.remove_row(key)
                del self._cells[key]
            for rank, (key, cells) in enumerate(rows):
                first = cells[0]
                if isinstance(first, RankedText):
                    first.rank = rank
                old = self._cells.get(key)
                if old is None:
                    self.add_row(*cells, key=key)
                else:
                    for i, (a, b) in enumerate(zip(old, cells, strict=True)):
                        if i == 0 or a.plain != b.plain or a.style != b.style:
                            self.update_cell(key, col_keys[i], b)
                self._cells[key] = cells
            if [k for k, _ in rows] != self.row_keys:
                self.sort(key=lambda values: getattr(values[0], "rank", 0))
            if current in wanted:
                self.move_cursor(row=self.get_row_index(current), animate=False)
            elif not keep_cursor and self.row_count:
                self.move_cursor(row=0, animate=False)

    def reset(self) -> None:
        """Forget all rows (a new filter or page: a different list, not a tick)."""
        self.clear()
        self._cells.clear()
