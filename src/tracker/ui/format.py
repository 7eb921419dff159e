"""The app's formatting helpers: dates, times, completion rates and field names.

Screens and widgets take them from here. The ones the command line and the reports
write the same way live below the UI, in :mod:`tracker.domain.format`, and are
re-exported here so that the app has one module to ask.
"""

from __future__ import annotations

from rich.text import Text

from tracker.domain.format import FIELD_LABELS, day_label, minute_label, second_label
from tracker.domain.models import Status
from tracker.ui.labels import literal

__all__ = [
    "FIELD_LABELS",
    "day_label",
    "field_value",
    "minute_label",
    "percent",
    "percent_label",
    "second_label",
]


def percent(done: int, total: int) -> int:
    """The completion rate as a whole percent, rounded down (as the main screen shows it).

    Rounding down means 100% only when every item is done.
    """
    return done * 100 // total if total else 0


def percent_label(done: int, total: int) -> str:
    """The completion rate as the app shows it, e.g. ``26%``; ``—`` when there is nothing
    to count. (Reports write it to one decimal: ``tracker.services.report.rate_label``.)"""
    return f"{percent(done, total)}%" if total else "—"


def field_value(field: str, value: str | None, style: str = "") -> Text:
    """An edited field's value as the history and the conflicts show it: a status by its
    label, ``（空）`` (dim) for nothing, anything else exactly as stored.

    Args:
        field: The field (``status``, ``notes``, ``last_reviewed``).
        value: The stored value.
        style: A style for a status label.
    """
    if value is None or value == "":
        return Text("（空）", style="dim")
    if field == "status" and value in set(Status):
        return Text(Status(value).label, style=style)
    return literal(value)
