"""A work-around for Textual's slow soft-wrapped long paragraphs, proposed for the notes pane.

Why Textual's ``TextArea`` is slow on a long paragraph with ``soft_wrap=True``
(Textual 8.2.8, ``textual/widgets/_text_area.py``, ``TextArea._render_line``): every
*visible row* is rendered by taking the *whole document line* (the paragraph),
styling it, then splitting it at every wrap offset (``line.divide(wrap_offsets)``)
only to keep one section, and then counting the tabs in every section before it.
A 10,000-character Chinese paragraph in a 68-cell-wide pane is ~300 rows, so each
visible row builds ~300 ``rich.text.Text`` objects (each ``Text.__init__`` strips
control codes from its slice); 25 visible rows make ~7,500 per repaint. Every edit
clears the line cache, so every key press repaints every visible row: the cost of a
key is (visible rows × paragraph length), ~80 ms here for a 10,000-character note.

:class:`NotesArea` renders a row of a long paragraph from that row's own slice of
the text (the wrap offsets are already known), applying the cursor-line, selection
and cursor styles with the columns shifted to the slice. Rows of short lines, and
any configuration it does not handle (line numbers, syntax highlighting,
suggestions, tabs, a matched bracket), go to Textual's own ``_render_line``, so it
draws exactly what ``TextArea`` draws. ``bench/run.py`` measures it against
``TextArea`` on the same note ("typing, proposed NotesArea"); to adopt it, move this
class to ``src/tracker/widgets/`` and yield ``NotesArea`` instead of ``TextArea`` in
``ItemDetail.compose`` (``src/tracker/widgets/item_detail.py``).
"""

from __future__ import annotations

from rich.text import Text
from textual.strip import Strip
from textual.widgets import TextArea

LONG_LINE = 400
"""Lines shorter than this (characters) are rendered by Textual's own code."""


class NotesArea(TextArea):
    """A ``TextArea`` whose rows of a long soft-wrapped paragraph cost O(row), not O(line)."""

    def _render_line(self, y: int) -> Strip:
        wrapped = self.wrapped_document
        _, scroll_y = self.scroll_offset
        y_offset = y + scroll_y
        if (
            not self.soft_wrap
            or self.show_line_numbers
            or self._highlights
            or self.suggestion
            or self._matching_bracket_location is not None
            or y_offset >= wrapped.height
        ):
            return super()._render_line(y)
        try:
            line_index, section_offset = wrapped._offset_to_line_info[y_offset]
        except (IndexError, TypeError):
            return super()._render_line(y)
        plain = self.document.get_line(line_index)
        if len(plain) < LONG_LINE or "\t" in plain:
            return super()._render_line(y)
        offsets = wrapped.get_offsets(line_index)
        bounds = [0, *offsets, len(plain) + 1]  # +1: the cell after the text, for the cursor
        start, end = bounds[section_offset], bounds[section_offset + 1]
        last = section_offset == len(offsets)
        row = Text(plain[start:end] + (" " if last else ""), end="", no_wrap=True)
        if last:
            end -= 1

        theme = self._theme
        base_style = theme.base_style if theme and theme.base_style is not None else self.rich_style
        selection = self.selection
        sel_start, sel_end = selection
        cursor_row, cursor_column = sel_end
        top, bottom = sorted(selection)
        highlight_cursor_line = self.highlight_cursor_line and self._has_cursor
        cursor_line_style = theme.cursor_line_style if (theme and highlight_cursor_line) else None
        if self._has_cursor and cursor_line_style and cursor_row == line_index:
            row.stylize(cursor_line_style)
        if sel_start != sel_end and top[0] <= line_index <= bottom[0]:
            selection_style = theme.selection_style if theme else None
            if selection_style:
                low = top[1] if line_index == top[0] else 0
                high = bottom[1] if line_index == bottom[0] else len(plain)
                a, b = max(low, start), min(high, end)
                if a < b:
                    row.stylize(selection_style, a - start, b - start)
        if cursor_row == line_index and self._draw_cursor:
            cursor_style = theme.cursor_style if theme else None
            in_row = start <= cursor_column < end or (last and cursor_column == end)
            if cursor_style and in_row:
                row.stylize(cursor_style, cursor_column - start, cursor_column - start + 1)

        target_width = self.scrollable_content_region.size.width - self.gutter_width
        strip = Strip(row.render(self.app.console), cell_length=row.cell_len)
        if cursor_row == line_index and self.highlight_cursor_line:
            line_style = cursor_line_style
        else:
            line_style = theme.base_style if theme else None
        strip = strip.extend_cell_length(target_width, line_style)
        return strip.apply_style(base_style)
