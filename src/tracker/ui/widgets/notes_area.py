"""The notes editor: Textual's ``TextArea``, fast on one long soft-wrapped paragraph.

Why: Textual's ``TextArea`` (8.2.8, ``TextArea._render_line`` in
``textual/widgets/_text_area.py``) draws every *visible row* of a soft-wrapped line
from the *whole* line. For each row it styles the entire paragraph, splits it at
every wrap offset (``Text.divide``) only to keep one piece, then counts the tabs in
every piece before it. A clerk's note is often one long paragraph of Chinese: 10,000
characters in the 68-cell-wide notes pane are ~300 rows, so each row builds ~300
``rich.text.Text`` objects, and every key press clears the widget's line cache, so
every visible row is drawn again. A key costs (visible rows × paragraph length):
the benchmark (``bench/run.py``, figure 8, typing Chinese at the end of a
10,000-character note on the 10,000-item data set) measured 109 ms per key
(median; p99 273 ms) in the tracker against a goal of 50 ms, and 112 ms for a bare
``TextArea`` holding the same note; the same ``TextArea`` empty takes 2.8 ms.

What: :class:`NotesArea` overrides only ``_render_line`` (Textual's per-row hook,
called by ``render_line`` behind its line cache). A row of a long paragraph is built
from that row's own slice of the text — the wrap offsets are already known — with
the cursor-line, selection and cursor styles applied at columns shifted to the
slice, exactly as Textual applies them to the whole line. Measured the same way,
the tracker with it took 18.9 ms per key and the widget alone 24.8 ms; run
interleaved with the tracker holding a plain ``TextArea`` (``bench/ui.py typing
--side tracker`` / ``--side tracker-textarea``), 17.4 ms against 77.2 ms.

Anything else goes to Textual's own ``_render_line``, so the widget draws exactly
what ``TextArea`` draws: lines shorter than :data:`LONG_LINE` (cheap anyway), lines
holding a tab or a control character that ``rich.text.Text`` strips (the slice
would no longer line up with the document), and configurations this class does not
reproduce (no soft wrap, line numbers, syntax highlighting, a suggestion, a matched
bracket). The private attributes the fast path reads (``_theme``,
``_highlights``, ``_matching_bracket_location``, ``_has_cursor``, ``_draw_cursor``,
``WrappedDocument._offset_to_line_info``) are looked up in one place; if a later
Textual drops any of them, every row is drawn by Textual. If Textual stops calling
``_render_line`` altogether, this class simply behaves as ``TextArea``.

``tests/test_notes_area.py`` compares this widget's rows with ``TextArea``'s, segment
by segment, for long Chinese, mixed widths, emoji, tabs, several paragraphs and an
empty note, at several widths, scroll positions, cursor and selection states: run it
after upgrading Textual.
"""

from __future__ import annotations

import re

from rich.text import Text
from textual.binding import Binding
from textual.strip import Strip
from textual.widgets import TextArea

LONG_LINE = 400
"""Lines shorter than this many characters are drawn by Textual's own code."""

_SLOW_PATH_CHARACTERS = re.compile("[\t\x07\x08\x0b\x0c\r]")
"""A tab (expanded per row by Textual) or a control character that ``rich.text.Text``
strips (BEL, BS, VT, FF, CR): lines holding one are drawn by Textual's own code."""


class NotesArea(TextArea):
    """A ``TextArea`` that draws a row of a long soft-wrapped line from that row alone.

    Drop-in: same constructor, messages, bindings and CSS (``TextArea`` selectors
    match it), and the same rows on screen; only the cost of drawing a row of a long
    paragraph changes, from O(paragraph) to O(row).

    Beside that: Ctrl+Home / Ctrl+End go to the start / end of the whole text (with
    Shift, selecting), and when the text is taller than the pane its bottom border says
    how many rows are above and below (a scroll mark that reads in any theme).
    """

    BINDINGS = [
        Binding("ctrl+home", "cursor_text_start", "到开头", show=False),
        Binding("ctrl+end", "cursor_text_end", "到末尾", show=False),
        Binding("ctrl+shift+home", "cursor_text_start(True)", "选到开头", show=False),
        Binding("ctrl+shift+end", "cursor_text_end(True)", "选到末尾", show=False),
    ]

    def on_mount(self) -> None:
        self.watch(self, "scroll_y", self._show_scroll_mark, init=False)
        self.watch(self, "virtual_size", self._show_scroll_mark, init=False)

    def on_resize(self) -> None:
        self._show_scroll_mark()

    def action_cursor_text_start(self, select: bool = False) -> None:
        """Move the cursor to the start of the text."""
        self.move_cursor(self.document.start, select=select)

    def action_cursor_text_end(self, select: bool = False) -> None:
        """Move the cursor to the end of the text."""
        self.move_cursor(self.document.end, select=select)

    def _show_scroll_mark(self) -> None:
        rows = self.wrapped_document.height
        shown = self.scrollable_content_region.height
        above = round(self.scroll_y)
        below = max(0, rows - above - shown)
        marks = []
        if above > 0:
            marks.append(f"↑ 上面还有 {above} 行")
        if below > 0:
            marks.append(f"↓ 下面还有 {below} 行")
        self.border_subtitle = "　".join(marks) or None

    def _render_line(self, y: int) -> Strip:
        strip = self._render_long_line_row(y)
        return super()._render_line(y) if strip is None else strip

    def _render_long_line_row(self, y: int) -> Strip | None:
        """Row ``y`` of the widget drawn from its slice of a long line, or ``None``
        to let Textual draw it."""
        try:
            theme = self._theme
            highlights = self._highlights
            matching_bracket = self._matching_bracket_location
            has_cursor = self._has_cursor
            draw_cursor = self._draw_cursor
            line_info = self.wrapped_document._offset_to_line_info
        except AttributeError:  # Textual's internals changed: draw rows its own way
            return None
        if (
            not self.soft_wrap
            or self.show_line_numbers
            or highlights
            or self.suggestion
            or matching_bracket is not None
        ):
            return None
        try:
            line_index, section_index = line_info[y + self.scroll_offset.y]
        except (IndexError, KeyError, TypeError, ValueError):  # below the text
            return None
        line = self.document.get_line(line_index)
        length = len(line)
        if length < LONG_LINE or _SLOW_PATH_CHARACTERS.search(line):
            return None

        # The row's columns are [start, stop); the last row also holds the cell after
        # the text, where the cursor stands at the end of the line.
        bounds = [0, *self.wrapped_document.get_offsets(line_index), length + 1]
        if not 0 <= section_index < len(bounds) - 1:
            return None
        start, stop = bounds[section_index], bounds[section_index + 1]
        row = Text(line[start:stop] if stop <= length else line[start:] + " ", end="")

        # The same styles, in the same order, as TextArea._render_line.
        selection = self.selection
        cursor_row, cursor_column = selection.end
        cursor_line_style = (
            theme.cursor_line_style if theme and self.highlight_cursor_line and has_cursor else None
        )
        if has_cursor and cursor_line_style and cursor_row == line_index:
            row.stylize(cursor_line_style)
        selection_style = theme.selection_style if theme else None
        if selection_style and not selection.is_empty:
            (top_row, top_column), (bottom_row, bottom_column) = sorted(selection)
            if top_row <= line_index <= bottom_row:
                low = top_column if line_index == top_row else 0
                high = bottom_column if line_index == bottom_row else length
                low, high = max(low, start), min(high, stop, length)
                if low < high:
                    row.stylize(selection_style, low - start, high - start)
        cursor_style = theme.cursor_style if theme else None
        if (
            draw_cursor
            and cursor_style
            and cursor_row == line_index
            and start <= cursor_column < stop
        ):
            row.stylize(cursor_style, cursor_column - start, cursor_column - start + 1)

        if cursor_row == line_index and self.highlight_cursor_line:
            line_style = cursor_line_style
        else:
            line_style = theme.base_style if theme else None
        base_style = theme.base_style if theme and theme.base_style is not None else self.rich_style
        width = self.scrollable_content_region.size.width - self.gutter_width
        strip = Strip(row.render(self.app.console), cell_length=row.cell_len)
        strip = strip.extend_cell_length(width, line_style)
        return strip.apply_style(base_style)
