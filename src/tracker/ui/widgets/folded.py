"""A message shown whole in a narrow line: folded at the cell, never at a word.

Word wrapping moves a long unbreakable run (Chinese, or a path) to the next line, so a
one-line status bar showed only its leading "⚠"; Textual's own folding drops a wide
character that straddles the edge. This renderable cuts the text itself, by cells, so
every line is filled and every character shown.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.segment import Segment
from rich.text import Text
from textual.geometry import Size
from textual.widgets import Static


class Folded:
    """``text`` cut into lines of the width it is given (a wide character never split)."""

    def __init__(self, text: Text) -> None:
        self.text = text

    def lines(self, width: int) -> list[Text]:
        width = max(width, 2)
        offsets: list[int] = []
        used = 0
        for index, char in enumerate(self.text.plain):
            if char == "\n":
                offsets.append(index + 1)
                used = 0
                continue
            cells = cell_len(char)
            if used + cells > width:
                offsets.append(index)
                used = 0
            used += cells
        lines = list(self.text.divide(offsets))
        for line in lines:
            if line.plain.endswith("\n"):
                line.right_crop(1)
        return lines

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for line in self.lines(options.max_width):
            line.rstrip()
            yield from line.render(console)
            yield Segment.line()


class FoldedLine(Static):
    """A status line that shows its message through :class:`Folded`.

    The folded lines are handed to Textual as one ``Text``, not as segments, so their
    colours are resolved by the theme like any other text (segments kept ANSI names
    that the theme never saw: the saved state lost its green).
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._message = Text()

    def show(self, message: Text) -> None:
        self._message = message
        self.refresh(layout=True)

    def render(self) -> Text:
        width = self.content_size.width
        if width <= 0 or not self._message.plain:
            return self._message
        return Text("\n").join(Folded(self._message).lines(width))

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return max(1, len(Folded(self._message).lines(width))) if self._message.plain else 1
