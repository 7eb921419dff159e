"""How plan text and statuses are shown: always as literal `Text`, never as markup.

Plan titles and clerks' notes may contain ``[bold]`` or ``[/]``; a plain ``str``
handed to Tree, Static, Label or Select would be parsed as markup (and ``[/]``
raises), so every label is built here as :class:`rich.text.Text`.
"""

from __future__ import annotations

import re

from rich.console import JustifyMethod
from rich.text import Text

from tracker.domain.deadlines import DueWarning
from tracker.domain.models import Status
from tracker.ui.tones import Tone

STATUS_STYLES: dict[Status, tuple[str, str]] = {
    Status.NOT_STARTED: ("○", "dim"),
    Status.IN_PROGRESS: ("◐", f"bold {Tone.WARNING}"),
    Status.DONE: ("●", f"bold {Tone.SUCCESS}"),
    Status.ONGOING: ("↻", f"bold {Tone.INFO}"),
    Status.ON_HOLD: ("‖", f"bold {Tone.ERROR}"),
}
"""A symbol and a style per status, so the badge reads even without colour."""


def painted(text: str, style: str = "", justify: JustifyMethod | None = None) -> Text:
    """``text`` in ``style``, the style applied as a span over the whole text.

    Why not ``Text(text, style=…)``: Textual reads a span's style through Rich, so
    :attr:`Tone.WARNING` (ANSI yellow) becomes the theme's ANSI yellow (readable on the
    light theme too), but a whole ``Text``'s own style string through its own parser,
    where ``yellow`` is #ffff00 on every theme.
    """
    shown = Text(text, justify=justify)
    if style:
        shown.stylize(style)
    return shown


def status_badge(status: Status) -> Text:
    """The badge for a status, e.g. ``◐推进中``."""
    symbol, style = STATUS_STYLES[status]
    return painted(f"{symbol}{status.label}", style)


def literal(text: str | None, style: str = "") -> Text:
    """Text exactly as typed: no markup, control characters shown, not executed."""
    return painted(_visible(text or ""), style)


def one_line(text: str, width: int) -> Text:
    """The first ``width`` cells of a text on one line, with an ellipsis if cut."""
    flat = Text(" ".join(_visible(text).split()))
    flat.truncate(width, overflow="ellipsis")
    return flat


def progress_text(done: int, total: int) -> Text:
    """``done/total`` counts, green when all are done."""
    style = Tone.SUCCESS if total and done == total else "dim"
    return painted(f"{done}/{total}", style)


def mini_bar(done: int, total: int, width: int = 4) -> Text:
    """A progress bar a few cells wide for tree labels, e.g. ``▰▰▱▱``."""
    filled = round(width * done / total) if total else 0
    return Text.assemble(("▰" * filled, Tone.SUCCESS), ("▱" * (width - filled), "dim"))


# Characters that must never reach the terminal as themselves (ESC starts escape
# sequences, C1 0x9b is a one-byte CSI) or that Textual's TextArea would take for line
# breaks. Each is shown as a visible stand-in: C0 and DEL as Unicode control pictures
# (ESC → ␛), C1 and the Unicode line/paragraph separators as private-use characters.
_STAND_INS: dict[str, str] = {
    **{chr(c): chr(0x2400 + c) for c in range(0x20) if chr(c) not in "\n\t\r"},
    "\x7f": "\u2421",
    **{chr(c): chr(0xE000 + c) for c in range(0x80, 0xA0)},
    "\u2028": "\ue028",
    "\u2029": "\ue029",
}
_FROM_STAND_INS = {v: k for k, v in _STAND_INS.items()}
_TO_VISIBLE = str.maketrans(_STAND_INS)
_FROM_VISIBLE = str.maketrans(_FROM_STAND_INS)
_LONE_CR = re.compile(r"\r(?!\n)")


def _visible(text: str) -> str:
    # Terminal escape sequences and other control characters in plan or note text
    # are data: show them as visible stand-ins instead of sending them to the
    # terminal. Newlines and tabs keep their meaning; a lone CR is shown as ␍.
    return _LONE_CR.sub("\u240d", text.replace("\r\n", "\n")).translate(_TO_VISIBLE)


def printable(text: str) -> str:
    """Text from data as the command line may print it: control characters as visible
    stand-ins (ESC → ␛, BEL → ␇, DEL → ␡, C1 such as the one-byte CSI 0x9b → a
    private-use character), so a note, unit or file name can never move the cursor,
    set the window title (OSC 0) or write the clipboard (OSC 52), even when piped.

    Newlines and tabs are kept: a note printed in full (``tracker conflicts``, a report
    on stdout) keeps its lines; one-line columns flatten whitespace themselves. A lone
    CR (which would overwrite the line) is shown as ␍. The same mapping as the app's.
    """
    return _visible(text)


def editable(text: str) -> str:
    """Notes as loaded into the notes pane: control characters as visible stand-ins.

    :func:`stored` turns them back, so a note round-trips unchanged however it is edited
    (the price: a clerk typing a literal ␛ gets ESC stored — never letting ESC reach
    the terminal is worth it). CRLF line ends are left to the text area.
    """
    return _LONE_CR.sub("\u240d", text).translate(_TO_VISIBLE)


def stored(text: str) -> str:
    """Notes as typed in the notes pane, with the stand-ins turned back."""
    return text.replace("\u240d", "\r").translate(_FROM_VISIBLE)


_WARNING_TONES: dict[DueWarning, str] = {
    DueWarning.OVERDUE: Tone.ERROR,
    DueWarning.DUE_SOON: Tone.WARNING,
    DueWarning.ON_TRACK: Tone.SUCCESS,
}


def warning_style(warning: DueWarning) -> str:
    """The style for a due warning: red for 逾期, yellow for 临期, green for 正常.

    Tones of the theme's palette, so each theme draws them readably (orange on the dark
    theme, dark amber on the light one: see ``tracker.ui.theme``)."""
    return _WARNING_TONES.get(warning, "")
