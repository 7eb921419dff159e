"""Conflicts: two changes of the same field made without seeing each other.

Walking the merged order (:mod:`tracker.merge.order`) of one (item, unit, field), a
change whose ``old_value`` is not the value the previous change left, made on another
machine, was made without having seen it: the two are a conflict, recorded under an id
derived from the two change ids. Both are the same unit's (or both the office's): the
conflict's unit is read from its changes.
Here they are found, listed and resolved; so are the changes a merge held back.

Knows nothing of the UI.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from itertools import pairwise

from tracker.domain.format import minute_label
from tracker.domain.models import StoredRecord, stable_id
from tracker.domain.notes import merge_notes
from tracker.errors import NotFound, Refused
from tracker.merge.order import C
from tracker.store import ChangeRecord, Store


class Keep(StrEnum):
    """How a conflict is resolved."""

    OURS = "ours"
    """Keep this machine's side (本机)."""
    THEIRS = "theirs"
    """Keep the other side (对方)."""
    BOTH = "both"
    """Keep both texts (progress notes only)."""

    @property
    def label(self) -> str:
        """The label a clerk reads."""
        return {"ours": "保留本机", "theirs": "保留对方", "both": "两者都保留"}[self.value]


def keep_label(resolution: object) -> str:
    """How a stored resolution reads (one that is none of the three, as it is)."""
    try:
        return Keep(str(resolution)).label
    except ValueError:
        return f"未知（{resolution}）"


class Conflict(StoredRecord):
    """Two changes of the same field made without seeing each other."""

    id: str
    """Derived from the two change ids: the same on every machine."""
    item_id: str
    field: str
    ours_change_id: str
    """The change made on this machine (or, when neither was, the earlier one)."""
    theirs_change_id: str
    ours_value: str | None
    theirs_value: str | None
    detected_at: str
    merge_id: str | None = None
    """The merge that found it (None when it came in with another machine's list)."""
    resolved_at: str | None = None
    resolved_by: str | None = None
    resolution: str | None = None
    """``ours``, ``theirs`` or ``both``."""
    unit_id: str | None = None
    """The unit whose report both changes set; None for the office's own fields."""
    unit: str | None = None
    """That unit's name (None for the office's)."""
    item_content: str = ""
    """The item's 具体内容."""
    current_value: str | None = None
    """The field's value now (the later change's, until resolved): the unit's report's,
    or the office's."""
    ours_by: str | None = None
    ours_at: str | None = None
    ours_machine: str | None = None
    """The name of the machine that made our side."""
    theirs_by: str | None = None
    theirs_at: str | None = None
    theirs_machine: str | None = None


def conflict_id(change_a: str, change_b: str) -> str:
    """The id of the conflict between two changes, whichever side finds it."""
    return stable_id("conflict", *sorted((change_a, change_b)))


def find_conflicts(ordered: list[C]) -> list[tuple[C, C]]:
    """The pairs (earlier, later) in one field's merged log where the later change was
    made on another machine without having seen the earlier one's value.

    Two clerks who arrived at the same value independently do not conflict.
    """
    return [
        (previous, change)
        for previous, change in pairwise(ordered)
        if change.old_value != previous.new_value
        and change.new_value != previous.new_value
        and change.machine_id != previous.machine_id
    ]


# ---------------------------------------------------------------------- conflicts
def list_conflicts(
    store: Store, include_resolved: bool = False, ids: Iterable[str] | None = None
) -> list[Conflict]:
    """Conflicts, oldest change first (unresolved only, unless asked)."""
    return [Conflict(**row) for row in store.conflict_rows(include_resolved, ids)]


class QuarantinedChange(StoredRecord):
    """A change a merge held back: dated more than a day ahead of the merging clock."""

    id: str
    item_id: str
    field: str
    new_value: str | None = None
    changed_at: str = ""
    by: str = ""
    machine: str | None = None
    """The name of the machine that made it."""
    quarantined_at: str = ""
    item_content: str = ""


def list_quarantined(store: Store) -> list[QuarantinedChange]:
    """The changes merges held back, newest first."""
    return [QuarantinedChange(**row) for row in store.quarantined_rows()]


def quarantined_count(store: Store) -> int:
    """How many changes merges held back."""
    return store.quarantined_count()


def unresolved_count(store: Store) -> int:
    """How many conflicts await the clerk."""
    return store.unresolved_conflicts()


def find_conflict(store: Store, id_or_prefix: str) -> Conflict:
    """A conflict by its id or the start of it (as ``tracker conflicts`` shows).

    Raises:
        NotFound: none, or more than one, matches (the message says which).
    """
    prefix = id_or_prefix.strip().lower()
    rows = store.conflicts_starting(prefix) if prefix else []
    if not rows:
        raise NotFound(f"没有编号为「{id_or_prefix}」的冲突；可用 tracker conflicts 查看")
    if len(rows) > 1:
        raise NotFound(f"编号「{id_or_prefix}」对应多条冲突，请多写几位")
    return Conflict(**rows[0])


def resolve_conflict(
    store: Store, conflict_id: str, keep: Keep | str, by: str
) -> ChangeRecord | None:
    """Resolve a conflict: write the kept value as a normal change, then mark it resolved.

    Args:
        conflict_id: The conflict's id (or a unique start of it).
        keep: ``ours``, ``theirs``, or ``both`` (notes only: both texts, one after the
            other, with a line saying who wrote the second).
        by: The clerk resolving it.

    Returns:
        The change written (None if the field already had the kept value).

    Raises:
        NotFound: no such conflict.
        Refused: resolved already, or ``both`` for a field other than notes.
    """
    keep = Keep(keep)
    conflict = find_conflict(store, conflict_id)
    if conflict.resolved_at is not None:
        raise Refused(
            f"该冲突已于 {minute_label(conflict.resolved_at)} 由 "
            f"{conflict.resolved_by} 处理（{keep_label(conflict.resolution)}）"
        )
    if keep is Keep.OURS:
        value = conflict.ours_value
    elif keep is Keep.THEIRS:
        value = conflict.theirs_value
    else:
        if conflict.field != "notes":
            raise Refused("只有进展情况可以两者都保留；状态和检查日期请选择保留本机或保留对方")
        # Start from the notes as they are now (they may hold more than the two sides,
        # say after resolving an earlier conflict of the same notes) and add each
        # side's text that is not in them yet, with who wrote it and when.
        value = conflict.current_value or ""
        for text, author, at in (
            (conflict.theirs_value, conflict.theirs_by, conflict.theirs_at),
            (conflict.ours_value, conflict.ours_by, conflict.ours_at),
        ):
            if text and text.strip() and text not in value:
                value = merge_notes(value, text, author or by, minute_label(at))
    # Two transactions, in this order: should the second fail, the conflict is still
    # listed (and resolving it again writes nothing new) — never marked done unwritten.
    # A unit's conflict is resolved in its report, the office's in its own fields.
    change = store.apply_change(conflict.item_id, conflict.field, value, by, unit=conflict.unit_id)
    store.mark_conflict_resolved(conflict.id, by, keep.value)
    return change
