"""A clerk's edits of an item (status, notes, review) and the change log they append to."""

from __future__ import annotations

import uuid
from datetime import date

from sqlite_utils import Database

from tracker.domain.models import Status
from tracker.domain.notes import merge_notes
from tracker.store.errors import ChangedUnderneath
from tracker.store.records import ChangeRecord
from tracker.store.search_index import index_notes
from tracker.store.settings import Settings

LEDGER_FIELDS = ("status", "notes", "last_reviewed")
"""The item fields a clerk edits; every change to them is logged in ``changes``."""

_CHANGE_COLUMNS = [name for name in ChangeRecord.model_fields if name != "invalid"]
_INSERT_CHANGE = (
    f"INSERT INTO changes ({', '.join(_CHANGE_COLUMNS)}) "
    f"VALUES ({', '.join(':' + name for name in _CHANGE_COLUMNS)})"
)
# A change row whose old value comes from the item itself, written only if the value
# changes and the clerk saw what is stored (``expected``, when given). Only plain text
# or NULL is compared here; anything else (and a missing item) writes no row, and
# ``_vetted_old_value`` then decides in Python, as every edit once did.
_LOG_CHANGE = (
    f"INSERT INTO changes ({', '.join(_CHANGE_COLUMNS)}) SELECT "
    + ", ".join(
        {
            "old_value": "items.{field}",
            # This copy's id, read with the first change (Settings.machine_id caches it).
            "machine_id": "coalesce(:machine_id, (SELECT value FROM settings "
            "WHERE key = 'machine_id' AND typeof(value) = 'text'))",
        }.get(name, f":{name}")
        for name in _CHANGE_COLUMNS
    )
    + " FROM items WHERE items.id = :item_id AND typeof(items.{field}) IN ('text', 'null') "
    "AND items.{field} IS NOT :new_value AND (:expected IS NULL OR items.{field} IS :expected) "
    "RETURNING old_value, machine_id"
)


class _Unchanged(Exception):
    """Rolls back a change row written for a value that turned out to be the same."""


_UNCHANGED = object()


class Edits(Settings):
    """Writes of the ledger fields, each one committed transaction with its change row."""

    def changes(self, item_id: str | None = None) -> list[ChangeRecord]:
        """The change log, newest first; one item's when ``item_id`` is given."""
        where, params = ("WHERE item_id = ?", [item_id]) if item_id else ("", [])
        return [
            ChangeRecord(**row)
            for row in self.db.query(
                f"SELECT * FROM changes {where} ORDER BY changed_at DESC, rowid DESC", params
            )
        ]

    def set_status(
        self, item_id: str, status: Status, by: str, expected: Status | None = None
    ) -> bool:
        """Set an item's status in one committed transaction, logging the change.

        Args:
            expected: The status the clerk saw; if the item has another one now (changed
                by another window since), nothing is written and :class:`ChangedUnderneath`
                is raised.

        Returns:
            Whether anything changed (setting the current status again is a no-op).
        """
        change = self.apply_change(
            item_id,
            "status",
            Status(status).value,
            by,
            expected=None if expected is None else Status(expected).value,
        )
        return change is not None

    def save_notes(self, item_id: str, notes: str, by: str, expected: str | None = None) -> bool:
        """Save an item's notes (进展情况) in one committed transaction, logging the change.

        Args:
            expected: The notes as they were when the clerk started typing; if the stored
                notes differ now (saved by another window since), nothing is written and
                :class:`ChangedUnderneath` is raised, so neither version is lost.

        Returns:
            Whether anything changed.
        """
        return self.apply_change(item_id, "notes", notes, by, expected=expected) is not None

    def mark_reviewed(self, item_id: str, day: date, by: str) -> bool:
        """Record that standing work (及时公开, 长期坚持) was reviewed on ``day``.

        Returns:
            Whether anything changed.
        """
        return self.apply_change(item_id, "last_reviewed", day.isoformat(), by) is not None

    def apply_change(
        self,
        item_id: str,
        field: str,
        value: str | None,
        by: str,
        expected: str | None = None,
        kind: str = "edit",
    ) -> ChangeRecord | None:
        """Set one ledger field of an item and log it, in one committed transaction.

        Args:
            item_id: The item.
            field: One of :data:`LEDGER_FIELDS`.
            value: The new value.
            by: The clerk.
            expected: If given, the value the clerk saw: a different stored value (and not
                already ``value``) raises :class:`ChangedUnderneath` and writes nothing.
            kind: ``edit``, or ``undo``/``redo`` for the app's undo keys.

        Returns:
            The logged change, or None when the value was already ``value``.
        """
        if field not in LEDGER_FIELDS:
            raise ValueError(f"not a ledger field: {field}")
        try:
            with self.write() as db:
                params = {
                    "id": uuid.uuid4().hex,
                    "item_id": item_id,
                    "field": field,
                    "new_value": value,
                    "changed_at": self._now(),
                    "by": by,
                    "session_id": self.session_id,
                    "kind": kind,
                    "machine_id": self._machine_id,
                }
                # The change row is written first, copying the old value from the item in
                # the same statement: no read before the write, none after.
                logged = db.execute(
                    _LOG_CHANGE.format(field=field), {**params, "expected": expected}
                ).fetchall()
                if logged:
                    old, self._machine_id = logged[0]
                    if old == value:  # stored text that is not UTF-8, read as U+FFFD
                        raise _Unchanged
                    params["machine_id"] = self._machine_id
                    change = ChangeRecord.model_validate({**params, "old_value": old})
                else:
                    old = self._vetted_old_value(db, item_id, field, value, expected)
                    if old is _UNCHANGED:
                        return None
                    # Logged as the record reads it (a BLOB's text, as far as it reads).
                    params["machine_id"] = self.machine_id
                    change = ChangeRecord.model_validate({**params, "old_value": old})
                    db.execute(_INSERT_CHANGE, change.model_dump())
                db.execute(
                    f"UPDATE items SET {field} = ?, updated_at = ?, updated_by = ? WHERE id = ?",
                    [value, change.changed_at, by, item_id],
                )
                if field == "notes":  # keep the search index in step, in the same transaction
                    index_notes(db, item_id, value)
        except _Unchanged:
            return None
        return change

    @staticmethod
    def _vetted_old_value(
        db: Database, item_id: str, field: str, value: str | None, expected: str | None
    ) -> object:
        """The stored value when the one-statement log wrote nothing: why it did not.

        Returns:
            The old value to log (text the SQL comparison could not vouch for: a BLOB, a
            number, bytes that are not UTF-8), or ``_UNCHANGED``.

        Raises:
            KeyError: there is no such item.
            ChangedUnderneath: the stored value is not ``expected``.
        """
        row = db.execute(f"SELECT {field} FROM items WHERE id = ?", [item_id]).fetchone()
        if row is None:
            raise KeyError(item_id)
        old = row[0]
        if old == value:
            return _UNCHANGED
        if expected is not None and old != expected:
            raise ChangedUnderneath(item_id, field, current=old, expected=expected)
        return old

    def save_draft(
        self, item_id: str, text: str, by: str, base: str | None
    ) -> tuple[ChangeRecord | None, bool]:
        """Save typed notes; if another window saved the notes since ``base``, keep both.

        Returns:
            The logged change (None if nothing changed) and whether the two versions
            had to be merged.
        """
        try:
            return self.apply_change(item_id, "notes", text, by, expected=base), False
        except ChangedUnderneath as conflict:
            merged = merge_notes(
                conflict.current or "", text, by, self.clock().strftime("%Y-%m-%d %H:%M")
            )
            change = self.apply_change(item_id, "notes", merged, by, expected=conflict.current)
            return change, True
