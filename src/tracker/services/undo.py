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

    def undo(self, store: Store, by: str) -> ChangeRecord | None:
        """Put back the value before the latest change.

        Returns:
            The change undone, or None when there is nothing to undo.

        Raises:
            ChangedUnderneath: the field was changed since (by another window); nothing
                is written and the change stays on the stack.
        """
        return self._move(store, by, self._done, self._undone, "undo")

    def redo(self, store: Store, by: str) -> ChangeRecord | None:
        """Make the latest undone change again.

        Returns:
            The change redone, or None when there is nothing to redo.

        Raises:
            ChangedUnderneath: as for :meth:`undo`.
        """
        return self._move(store, by, self._undone, self._done, "redo")

    @staticmethod
    def _move(
        store: Store,
        by: str,
        source: list[ChangeRecord],
        target: list[ChangeRecord],
        kind: str,
    ) -> ChangeRecord | None:
        if not source:
            return None
        change = source[-1]
        # Undo writes the old value over the new one; redo the other way round.
        value, expected = (
            (change.old_value, change.new_value)
            if kind == "undo"
            else (change.new_value, change.old_value)
        )
        store.apply_change(
            change.item_id,
            change.field,
            value,
            by,
            expected=expected,
            kind=kind,
            unit=change.unit_id,  # a unit's change is undone in its report
        )
        target.append(source.pop())
        return change
