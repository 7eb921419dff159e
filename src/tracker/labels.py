"""How plan text and statuses are shown: always as literal `Text`, never as markup.

Plan titles and clerks' notes may contain ``[bold]`` or ``[/]``; a plain ``str``
handed to Tree, Static, Label or Select would be parsed as markup (and ``[/]``
raises), so every label is built here as :class:`rich.text.Text`.
"""

from __future__ import annotations

from rich.text import Text

from tracker.deadlines import DueWarning
from tracker.models import Status

STATUS_STYLES: dict[Status, tuple[str, str]] = {
    Status.NOT_STARTED: ("○", "dim"),
    Status.IN_PROGRESS: ("◐", "bold dark_orange"),
    Status.DONE: ("●", "bold green"),
    Status.ONGOING: ("↻", "bold cyan"),
    Status.ON_HOLD: ("‖", "bold red"),
}
"""A symbol and a style per status, so the badge reads even without colour."""


def status_badge(status: Status) -> Text:
    """The badge for a status, e.g. ``◐推进中``."""
    symbol, style = STATUS_STYLES[status]
    return Text(f"{symbol}{status.label}", style=style)


def literal(text: str | None, style: str = "") -> Text:
    """Text exactly as typed: no markup, control characters shown, not executed."""
    return Text(_visible(text or ""), style=style)


def one_line(text: str, width: int) -> Text:
    """The first ``width`` cells of a text on one line, with an ellipsis if cut."""
    flat = Text(" ".join(_visible(text).split()))
    flat.truncate(width, overflow="ellipsis")
    return flat


def progress_text(done: int, total: int) -> Text:
    """``done/total`` counts, green when all are done."""
    style = "green" if total and done == total else "dim"
    return Text(f"{done}/{total}", style=style)


def mini_bar(done: int, total: int, width: int = 4) -> Text:
    """A progress bar a few cells wide for tree labels, e.g. ``▰▰▱▱``."""
    filled = round(width * done / total) if total else 0
    return Text.assemble(("▰" * filled, "green"), ("▱" * (width - filled), "dim"))


def _visible(text: str) -> str:
    # Terminal escape sequences and other control characters in plan or note text
    # are data: show them as their Unicode control pictures instead of sending them
    # to the terminal. Newlines and tabs keep their meaning.
    return "".join(
        chr(0x2400 + ord(ch))
        if ord(ch) < 0x20 and ch not in "\n\t"
        else ("\u2421" if ch == "\x7f" else ch)
        for ch in text
    )


def warning_style(warning: DueWarning) -> str:
    """The style for a due warning: red for 逾期, dark orange for 临期 (plain yellow is
    unreadable on the light theme), green for 正常."""
    return {"red": "red", "yellow": "dark_orange", "green": "green"}.get(warning.colour or "", "")
