"""A clerk's edits of an item (status, notes, review) and the change log they append to."""

from __future__ import annotations

import uuid
from datetime import date

from sqlite_utils import Database

from tracker.domain.models import Status
from tracker.domain.notes import merge_notes
from tracker.domain.rollup import rollup
from tracker.domain.units import canonical_name
from tracker.store.errors import ChangedUnderneath
from tracker.store.records import ChangeRecord
from tracker.store.reports import OFFICE, ROLLUP_COLUMNS, Reports, item_rollup, verdict_of
from tracker.store.search_index import index_notes

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
            "old_value": "{column}",
            # This copy's id, read with the first change (Settings.machine_id caches it).
            "machine_id": "coalesce(:machine_id, (SELECT value FROM settings "
            "WHERE key = 'machine_id' AND typeof(value) = 'text'))",
        }.get(name, f":{name}")
        for name in _CHANGE_COLUMNS
    )
    + " FROM items WHERE items.id = :item_id AND typeof({column}) IN ('text', 'null') "
    "AND {column} IS NOT :new_value AND (:expected IS NULL OR {column} IS :expected) "
    "RETURNING old_value, machine_id"
)


# Where each field's current value is read: the logged ``status`` is the office's
# verdict (未启动 for none); ``items.status`` is the roll-up (store.reports).
_COLUMNS = {
    "status": "coalesce(items.office_status, 'not_started')",
    "notes": "items.notes",
    "last_reviewed": "items.last_reviewed",
}


class _Unchanged(Exception):
    """Rolls back a change row written for a value that turned out to be the same."""


_UNCHANGED = object()


class Edits(Reports):
    """Writes of the ledger fields, each one committed transaction with its change row."""

    def changes(self, item_id: str | None = None, unit: str | None = None) -> list[ChangeRecord]:
        """The change log, newest first; one item's when ``item_id`` is given; one unit's
        (id or name) or the office's (:data:`~tracker.store.reports.OFFICE`) when ``unit``
        is given."""
        clauses, params = [], []
        if item_id:
            clauses.append("item_id = ?")
            params.append(item_id)
        if unit == OFFICE:
            clauses.append("unit_id IS NULL")
        elif unit is not None:
            clauses.append("unit_id IN (SELECT id FROM units WHERE id = ? OR name = ?)")
            params += [unit, canonical_name(unit)]
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        return [
            ChangeRecord(**row)
            for row in self.db.query(
                f"SELECT * FROM changes {where} ORDER BY changed_at DESC, rowid DESC", params
            )
        ]

    def set_status(
        self,
        item_id: str,
        status: Status,
        by: str,
        expected: Status | None = None,
        unit: str | None = None,
    ) -> bool:
        """Set an item's status in one committed transaction, logging the change.

        Args:
            unit: A responsible unit's id or name: set its report's status. None: set
                the office's verdict (see :meth:`apply_change`).
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
            unit=unit,
        )
        return change is not None

    def save_notes(
        self,
        item_id: str,
        notes: str,
        by: str,
        expected: str | None = None,
        unit: str | None = None,
    ) -> bool:
        """Save an item's notes (进展情况) in one committed transaction, logging the change.

        Args:
            unit: A responsible unit's id or name: its report's notes; None: the office's.
            expected: The notes as they were when the clerk started typing; if the stored
                notes differ now (saved by another window since), nothing is written and
                :class:`ChangedUnderneath` is raised, so neither version is lost.

        Returns:
            Whether anything changed.
        """
        change = self.apply_change(item_id, "notes", notes, by, expected=expected, unit=unit)
        return change is not None

    def mark_reviewed(self, item_id: str, day: date, by: str, unit: str | None = None) -> bool:
        """Record that standing work (及时公开, 长期坚持) was reviewed on ``day``.

        Args:
            unit: A responsible unit's id or name (its own review); None: the office's.

        Returns:
            Whether anything changed.
        """
        change = self.apply_change(item_id, "last_reviewed", day.isoformat(), by, unit=unit)
        return change is not None

    def apply_change(
        self,
        item_id: str,
        field: str,
        value: str | None,
        by: str,
        expected: str | None = None,
        kind: str = "edit",
        unit: str | None = None,
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
            unit: A responsible concrete unit's id or name: the field of that unit's
                report (:meth:`~tracker.store.reports.Reports.apply_unit_change`). None:
                the office's — ``status`` is its verdict (``items.office_status``; 未启动
                is none), ``notes``/``last_reviewed`` the item's own. Either way the
                item's roll-up (``items.status``) follows.

        Returns:
            The logged change, or None when the value was already ``value``.

        Raises:
            NotResponsible: ``unit`` does not answer for the item (nothing written).
        """
        if field not in LEDGER_FIELDS:
            raise ValueError(f"not a ledger field: {field}")
        if unit is not None:
            return self.apply_unit_change(item_id, unit, field, value, by, expected, kind)
        if field == "status":
            value = Status(value or Status.NOT_STARTED).value
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
                    "unit_id": None,  # the office's
                }
                # The change row is written first, copying the old value from the item in
                # the same statement: no read before the write, none after.
                logged = db.execute(
                    _LOG_CHANGE.format(column=_COLUMNS[field]), {**params, "expected": expected}
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
                if field == "status":
                    self._set_verdict(db, item_id, value, change.changed_at, by)
                else:
                    db.execute(
                        f"UPDATE items SET {field} = ?, updated_at = ?, updated_by = ? "
                        "WHERE id = ?",
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
        row = db.execute(f"SELECT {_COLUMNS[field]} FROM items WHERE id = ?", [item_id]).fetchone()
        if row is None:
            raise KeyError(item_id)
        old = row[0]
        if old == value:
            return _UNCHANGED
        if expected is not None and old != expected:
            raise ChangedUnderneath(item_id, field, current=old, expected=expected)
        return old

    @staticmethod
    def _set_verdict(db: Database, item_id: str, value: str | None, now: str, by: str) -> None:
        """Store the office's verdict and the item's roll-up that follows from it.

        A verdict alone decides the status (the units' counts do not change): one
        statement. A verdict withdrawn (未启动) leaves the units' reports to decide.
        """
        verdict = verdict_of(value)
        if verdict is None:
            db.execute(
                "UPDATE items SET office_status = NULL, "
                + ", ".join(f"{c} = ?" for c in ROLLUP_COLUMNS)
                + ", updated_at = ?, updated_by = ? WHERE id = ?",
                [*item_rollup(db, item_id, None), now, by, item_id],
            )
        else:
            db.execute(
                "UPDATE items SET office_status = ?, status = ?, updated_at = ?, "
                "updated_by = ? WHERE id = ?",
                [verdict.value, rollup(verdict, ()).status.value, now, by, item_id],
            )

    def save_draft(
        self, item_id: str, text: str, by: str, base: str | None, unit: str | None = None
    ) -> tuple[ChangeRecord | None, bool]:
        """Save typed notes; if another window saved the notes since ``base``, keep both.

        Args:
            unit: A responsible unit's id or name (its report's notes); None: the office's.

        Returns:
            The logged change (None if nothing changed) and whether the two versions
            had to be merged.
        """
        try:
            return self.apply_change(item_id, "notes", text, by, expected=base, unit=unit), False
        except ChangedUnderneath as conflict:
            merged = merge_notes(
                conflict.current or "", text, by, self.clock().strftime("%Y-%m-%d %H:%M")
            )
            change = self.apply_change(
                item_id, "notes", merged, by, expected=conflict.current, unit=unit
            )
            return change, True
