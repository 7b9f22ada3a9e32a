"""A DataTable that refreshes by diffing, never by clear-and-rebuild.

``sync(rows)`` takes the page as ``[(row_key, [Text, ...]), ...]`` (first cell
a :class:`RankedText`): stale rows are removed, changed cells updated in
place, new rows added, and the rows sorted into page order once, all inside
``app.batch_update()``. Until the user moves the cursor it stays on the top
row (what the screen ranks first: a refresh that reorders rows must not leave
it on a row that slid down); once they move it, it stays on the same row key.

FILL columns share the width the fixed columns leave; ``fit(needs)`` tells
the table how wide each FILL column's content is, so a short column takes
only what it needs and gives the rest to the others.
"""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

from evaltop.tui.widgets.safe_text import RankedText

FILL = -1  # a column width: whatever the screen's width leaves (tables that span it)
MIN_FILL = 4  # the narrowest a FILL column gets ("ab…")


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
        self._needs: dict[str, int] = {}
        self.user_moved = False  # the user moved the cursor since the list was last reset

    # -- the user's own moves (programmatic ones from sync() do not count)
    def action_cursor_up(self) -> None:
        self.user_moved = True
        super().action_cursor_up()

    def action_cursor_down(self) -> None:
        self.user_moved = True
        super().action_cursor_down()

    def action_page_up(self) -> None:
        self.user_moved = True
        super().action_page_up()

    def action_page_down(self) -> None:
        self.user_moved = True
        super().action_page_down()

    def action_scroll_top(self) -> None:
        self.user_moved = True
        super().action_scroll_top()

    def action_scroll_bottom(self) -> None:
        self.user_moved = True
        super().action_scroll_bottom()

    async def _on_click(self, event) -> None:
        self.user_moved = True
        await super()._on_click(event)

    def on_mount(self) -> None:
        widths = self._fill_widths()
        for key, label, width in self._columns_spec:
            self.add_column(Text(label), key=key, width=widths.get(key, width))

    def on_resize(self) -> None:
        """FILL columns follow the table's width."""
        self._apply_fill()

    def fit(self, needs: dict[str, int]) -> None:
        """The widest value (header included) each FILL column has to show."""
        if needs != self._needs:
            self._needs = dict(needs)
            self._apply_fill()

    def _apply_fill(self) -> None:
        changed = False
        for key, width in self._fill_widths().items():
            column = self.columns.get(ColumnKey(key))
            if column is not None and column.width != width:
                column.width, changed = width, True
        if changed:
            # DataTable recomputes its scrollable width only when this private
            # flag is set (textual has no public call for a column width change)
            self._require_update_dimensions = True
            self.refresh(layout=True)

    def _fill_widths(self) -> dict[str, int]:
        """The widths FILL columns get: the table's width (the screen's before
        it has one) less the other columns, every column's padding and the
        vertical scrollbar. In column order, a FILL column with a known need
        (``fit``) takes it, leaving at least ``MIN_FILL`` for each one after
        it; one with no need known shares what is left; any rest goes to the
        last. Never measured from the cells, so the layout never waits on
        measuring them (an auto-width column is sized only when the table next
        goes idle) and a long value ends in an ellipsis instead of widening
        the table past the screen."""
        fills = [key for key, _, w in self._columns_spec if w == FILL]
        if not fills:
            return {}
        fixed = sum(w for _, _, w in self._columns_spec if w is not None and w != FILL)
        pad = 2 * self.cell_padding * len(self._columns_spec)
        total = self.size.width or self.app.size.width
        room = max(MIN_FILL * len(fills), total - fixed - pad - 2)
        widths: dict[str, int] = {}
        unknown = [k for k in fills if k not in self._needs]
        for i, key in enumerate(fills):
            if key in self._needs:
                later = len(fills) - i - 1
                widths[key] = max(MIN_FILL, min(self._needs[key], room - MIN_FILL * later))
                room -= widths[key]
        for key in unknown:
            widths[key] = max(MIN_FILL, room // len(unknown))
        if not unknown and room > 0:
            widths[fills[-1]] += room
        return widths

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
        """Make the table show ``rows`` (in that order) with the fewest changes.

        The cursor stays on the row key the user moved it to; on the top row
        when they have not moved it (or ``keep_cursor`` is False)."""
        keep_cursor = keep_cursor and self.user_moved
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
                self.user_moved = False

    def reset(self) -> None:
        """Forget all rows (a new filter or page: a different list, not a tick)."""
        self.clear()
        self._cells.clear()
        self.user_moved = False
