"""Undo and redo of the changes made in one app session.

Each undo or redo is itself a logged change (``kind`` ``undo``/``redo``), made only if
the field still holds what the change left there: a value changed since by another
window is never overwritten.
"""

from __future__ import annotations

from tracker.store import ChangeRecord, Store


class UndoStack:
    """The session's changes, newest last, and those undone, ready to redo."""

    def __init__(self) -> None:
        self._done: list[ChangeRecord] = []
        self._undone: list[ChangeRecord] = []

    def record(self, change: ChangeRecord | None) -> None:
        """Remember a change made by the clerk (a new change clears the redo list)."""
        if change is not None:
            self._done.append(change)
            self._undone.clear()

    @property
    def can_undo(self) -> bool:
        return bool(self._done)

    @property
    def can_redo(self) -> bool:
        return bool(self._undone)

    def undo(self, store: Store, by: str) -> ChangeRecord | None:
        """Put back the value before the latest change.

        Returns:
            The change undone, or None when there is nothing to undo.

        Raises:
            ChangedUnderneath: the field was changed since (by another window); nothing
                is written and the change stays on the stack.
        """
        if not self._done:
            return None
        change = self._done[-1]
        store.apply_change(
            change.item_id,
            change.field,
            change.old_value,
            by,
            expected=change.new_value,
            kind="undo",
        )
        self._undone.append(self._done.pop())
        return change

    def redo(self, store: Store, by: str) -> ChangeRecord | None:
        """Make the latest undone change again.

        Returns:
            The change redone, or None when there is nothing to redo.

        Raises:
            ChangedUnderneath: as for :meth:`undo`.
        """
        if not self._undone:
            return None
        change = self._undone[-1]
        store.apply_change(
            change.item_id,
            change.field,
            change.new_value,
            by,
            expected=change.old_value,
            kind="redo",
        )
        self._done.append(self._undone.pop())
        return change
