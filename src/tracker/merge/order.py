"""The merged order: the order in which changes take effect, the same on every machine.

* each machine's changes keep the order in which that machine made them (the order
  of ``changes.rowid``, which merges preserve by inserting in the source's order);
* the machines' sequences are interleaved by time (``changed_at`` as an instant, so
  UTC offsets compare correctly), ties broken by machine id.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import NamedTuple, TypeVar

from tracker.merge.incoming import instant
from tracker.store import ChangeRecord


class LogChange(NamedTuple):
    """A change as merging reads it from the log (a light :class:`ChangeRecord`)."""

    id: str
    item_id: str
    field: str
    old_value: str | None
    new_value: str | None
    changed_at: str
    by: str
    session_id: str | None
    kind: str
    machine_id: str | None
    unit_id: str | None = None
    """The unit whose report it changed; None for the office's own fields."""


_EARLIEST = datetime.min.replace(tzinfo=UTC)
C = TypeVar("C", ChangeRecord, LogChange)


def _order_key(change: ChangeRecord | LogChange) -> tuple[datetime, str]:
    try:
        when = instant(change.changed_at)
    except (TypeError, ValueError):  # a time stored before merges were checked
        when = _EARLIEST
    return when, change.machine_id or ""


def merged_order(changes: Iterable[C]) -> list[C]:
    """The order in which changes take effect, the same on every machine.

    Args:
        changes: Changes in this database's log order (``rowid``), which keeps each
            machine's own changes in the order it made them.

    Returns:
        Each machine's changes in its own order, interleaved by time (the head with the
        earliest instant goes next; ties go to the smaller machine id). A machine whose
        clock went back keeps its own order. Changes dated more than a day ahead of the
        merging machine's clock never get here: merging quarantines them.
    """
    by_machine: dict[str, list[C]] = defaultdict(list)
    for change in changes:
        by_machine[change.machine_id or ""].append(change)
    return list(heapq.merge(*by_machine.values(), key=_order_key))
