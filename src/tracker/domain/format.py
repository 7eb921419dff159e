"""How dates, times and the names of edited fields are written for clerks.

One place for the words every front end shares: the app (through
``tracker.ui.format``), the command line, the reports and the ledger. Nothing here
knows about SQLite or the terminal.
"""

from __future__ import annotations

from datetime import date

FIELD_LABELS: dict[str, str] = {"status": "状态", "notes": "进展情况", "last_reviewed": "检查日期"}
"""The name a clerk reads for each field an edit, a merge or a conflict can touch."""


def day_label(day: date) -> str:
    """A date as clerks write it, e.g. ``2023年8月25日``."""
    return f"{day.year}年{day.month}月{day.day}日"


def minute_label(stamp: str | None) -> str:
    """A stored ISO time to the minute, e.g. ``2023-08-25 14:03`` (empty for none)."""
    return (stamp or "")[:16].replace("T", " ")


def second_label(stamp: str | None) -> str:
    """A stored ISO time to the second, e.g. ``2023-08-25 14:03:07`` (empty for none)."""
    return (stamp or "")[:19].replace("T", " ")
