"""What merging snapshots reads and writes in this database: the change log as merges
see it, the office's fields and the units' reports a merge recomputes, conflicts,
held-back changes, and the unit snapshot's trimming of a copy.

:mod:`tracker.merge` decides (the merged order, what conflicts, what a snapshot may
bring); the SQL it needs on a tracker database is here. Functions take a sqlite-utils
``Database`` or a ``sqlite3.Connection`` and run in the caller's transaction, except
those named as committing.

A change's unit (``changes.unit_id``) says whose value it sets: NULL the office's own
fields (``items.office_status``, ``notes``, ``last_reviewed``), a unit's id that unit's
report (``reports``). A merge replays each (item, unit, field) log on its own, so two
units' reports never meet.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any

from tracker.domain.models import Status
from tracker.store.connection import Connection
from tracker.store.records import CHANGE_COLUMNS
from tracker.store.reports import recompute_rollups
from tracker.store.search_index import clear_notes_except, index_notes

if TYPE_CHECKING:
    from sqlite_utils import Database

FIELDS = ("status", "notes", "last_reviewed")
"""The logged fields, of the office and of a unit's report alike."""
DEFAULTS: dict[str, str | None] = {
    "status": Status.NOT_STARTED.value,
    "notes": "",
    "last_reviewed": None,
}
"""A field's value before any change (a unit that never reported, an office with no
verdict)."""
_COLUMNS_SQL = ", ".join(f'"{c}"' for c in CHANGE_COLUMNS)
_INSERT_CHANGE = (
    f"INSERT INTO changes ({_COLUMNS_SQL}) VALUES ({', '.join('?' for _ in CHANGE_COLUMNS)})"
)
_INSERT_HELD = (
    f"INSERT OR IGNORE INTO quarantined_changes ({_COLUMNS_SQL}, reason, merge_id, "
    f"quarantined_at) VALUES ({', '.join('?' for _ in range(len(CHANGE_COLUMNS) + 3))})"
)

_VALUES = (*FIELDS, "updated_at", "updated_by")
Key = tuple[str, str | None]
"""Whose values: (item id, unit id), the unit None for the office's own."""


def _conn(db: Database | sqlite3.Connection) -> sqlite3.Connection:
    return db if isinstance(db, sqlite3.Connection) else db.conn


def _chunks(values: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" * len(values))


# ---------------------------------------------------------------------- what we have
def plan_ids(db: Database | sqlite3.Connection) -> set[str]:
    """The ids of this database's plans."""
    return {row[0] for row in _conn(db).execute("SELECT id FROM plans")}


def item_ids(db: Database | sqlite3.Connection) -> frozenset[str]:
    """The ids of this database's items."""
    return frozenset(row[0] for row in _conn(db).execute("SELECT id FROM items"))


def unit_ids(db: Database | sqlite3.Connection) -> frozenset[str]:
    """The ids of this database's units."""
    return frozenset(row[0] for row in _conn(db).execute("SELECT id FROM units"))


def known_change_ids(db: Database | sqlite3.Connection) -> set[str]:
    """The ids of every change logged or held back here."""
    conn = _conn(db)
    seen = {row[0] for row in conn.execute("SELECT id FROM changes")}
    seen |= {row[0] for row in conn.execute("SELECT id FROM quarantined_changes")}
    return seen


def machine_names(db: Database | sqlite3.Connection) -> dict[str, str | None]:
    """Every known machine's name by its id."""
    return {row[0]: row[1] for row in _conn(db).execute("SELECT id, name FROM machines")}


def office_values(db: Database | sqlite3.Connection) -> dict[Key, dict[str, Any]]:
    """The office's fields of every item, with when and by whom they last changed
    (``status`` is the verdict, 未启动 for none)."""
    return {
        (row[0], None): dict(zip(_VALUES, row[1:], strict=True))
        for row in _conn(db).execute(
            "SELECT id, coalesce(office_status, 'not_started'), notes, last_reviewed, "
            "updated_at, updated_by FROM items"
        )
    }


def report_values(db: Database | sqlite3.Connection) -> dict[Key, dict[str, Any]]:
    """Every stored unit report's fields, with when and by whom they last changed."""
    return {
        (row[0], row[1]): dict(zip(_VALUES, row[2:], strict=True))
        for row in _conn(db).execute(
            "SELECT item_id, unit_id, status, notes, last_reviewed, updated_at, updated_by "
            "FROM reports"
        )
    }


# ---------------------------------------------------------------------- writing a merge
def add_machines(db: Database | sqlite3.Connection, machines: Iterable[dict]) -> None:
    """Remember machines another database knew (the ones known here stay as they are)."""
    _conn(db).executemany(
        "INSERT OR IGNORE INTO machines (id, name, first_seen) VALUES (?, ?, ?)",
        [(m["id"], m["name"], m["first_seen"]) for m in machines],
    )


def add_changes(db: Database | sqlite3.Connection, rows: Iterable[tuple]) -> None:
    """Append changes (rows of :data:`CHANGE_COLUMNS`) to the log, in the order given."""
    _conn(db).executemany(_INSERT_CHANGE, rows)


def hold_changes(db: Database | sqlite3.Connection, rows: Iterable[tuple]) -> None:
    """Keep changes back (rows of :data:`CHANGE_COLUMNS` + reason, merge id, when)."""
    _conn(db).executemany(_INSERT_HELD, rows)


def logs(db: Database | sqlite3.Connection, items: Sequence[str]) -> Iterator[tuple]:
    """The logged changes of these items (rows of :data:`CHANGE_COLUMNS`), in log order
    (``rowid``: each machine's own changes in the order it made them)."""
    if not items:
        return iter(())
    return _conn(db).execute(
        f"SELECT {_COLUMNS_SQL} FROM changes WHERE item_id IN ({_marks(items)}) ORDER BY rowid",
        list(items),
    )


def changes_by_id(db: Database | sqlite3.Connection, ids: Sequence[str]) -> Iterator[tuple]:
    """Logged changes (rows of :data:`CHANGE_COLUMNS`) by id, in no particular order."""
    conn = _conn(db)
    for chunk in _chunks(ids, 500):
        yield from conn.execute(
            f"SELECT {_COLUMNS_SQL} FROM changes WHERE id IN ({_marks(chunk)})", list(chunk)
        )


def set_office_values(
    db: Database | sqlite3.Connection,
    item_id: str,
    values: dict[str, str | None],
    updated_at: str,
    updated_by: str,
    notes_changed: bool,
) -> None:
    """Store the office's fields of an item as a merge recomputed them (its roll-up is
    recomputed afterwards, :func:`recompute`)."""
    conn = _conn(db)
    conn.execute(
        "UPDATE items SET office_status = nullif(?, 'not_started'), notes = ?, "
        "last_reviewed = ?, updated_at = ?, updated_by = ? WHERE id = ?",
        [
            values["status"],
            values["notes"] or "",
            values["last_reviewed"],
            updated_at,
            updated_by,
            item_id,
        ],
    )
    if notes_changed:
        index_notes(conn, item_id, values["notes"] or "")


def set_report_values(
    db: Database | sqlite3.Connection,
    item_id: str,
    unit_id: str,
    values: dict[str, str | None],
    updated_at: str,
    updated_by: str,
    notes_changed: bool,
) -> None:
    """Store a unit's report on an item as a merge recomputed it."""
    conn = _conn(db)
    conn.execute(
        "INSERT INTO reports (item_id, unit_id, status, notes, last_reviewed, updated_at, "
        "updated_by) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (item_id, unit_id) DO UPDATE "
        "SET status = excluded.status, notes = excluded.notes, "
        "last_reviewed = excluded.last_reviewed, updated_at = excluded.updated_at, "
        "updated_by = excluded.updated_by",
        [
            item_id,
            unit_id,
            values["status"] or Status.NOT_STARTED.value,
            values["notes"] or "",
            values["last_reviewed"],
            updated_at,
            updated_by,
        ],
    )
    if notes_changed:
        index_notes(conn, item_id)


def recompute(db: Database | sqlite3.Connection, items: Iterable[str]) -> int:
    """Recompute the items' roll-ups after a merge set their fields."""
    return recompute_rollups(db, items)


def add_conflict(
    db: Database | sqlite3.Connection,
    conflict_id: str,
    item_id: str,
    field: str,
    ours: tuple[str, str | None],
    theirs: tuple[str, str | None],
    detected_at: str,
    merge_id: str | None,
) -> bool:
    """Record a conflict (``ours``/``theirs``: change id and value) unless known.

    Returns:
        Whether it is new.
    """
    cursor = _conn(db).execute(
        "INSERT OR IGNORE INTO conflicts (id, item_id, field, ours_change_id, "
        "theirs_change_id, ours_value, theirs_value, detected_at, merge_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            conflict_id,
            item_id,
            field,
            ours[0],
            theirs[0],
            ours[1],
            theirs[1],
            detected_at,
            merge_id,
        ],
    )
    return bool(cursor.rowcount)


def mark_resolved(
    db: Database | sqlite3.Connection, conflict_id: str, at: str, by: str, resolution: str
) -> None:
    """Mark a conflict resolved, unless it is already."""
    _conn(db).execute(
        "UPDATE conflicts SET resolved_at = ?, resolved_by = ?, resolution = ? "
        "WHERE id = ? AND resolved_at IS NULL",
        [at, by, resolution, conflict_id],
    )


def record_merge(
    db: Database | sqlite3.Connection,
    merge_id: str,
    source: str,
    plans: Iterable[str],
    merged_at: str,
    by: str,
    changes_in: int,
    conflicts: int,
) -> None:
    """Log a merge in ``merges``."""
    _conn(db).execute(
        "INSERT INTO merges (id, source, plan_id, merged_at, by, changes_in, conflicts) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [merge_id, source, ",".join(plans), merged_at, by, changes_in, conflicts],
    )


# ---------------------------------------------------------------------- conflicts, read
# A conflict's unit is its changes' (both sides of a conflict are the same unit's, or
# both the office's); its current value is that unit's report field, or the office's.
CONFLICT_SELECT = """
SELECT conflicts.*, items.content AS item_content,
       ours.by AS ours_by, ours.changed_at AS ours_at, om.name AS ours_machine,
       theirs.by AS theirs_by, theirs.changed_at AS theirs_at, tm.name AS theirs_machine,
       coalesce(ours.unit_id, theirs.unit_id) AS unit_id, units.name AS unit,
       CASE WHEN coalesce(ours.unit_id, theirs.unit_id) IS NULL THEN
           CASE conflicts.field WHEN 'status' THEN coalesce(items.office_status, 'not_started')
                WHEN 'notes' THEN items.notes
                ELSE items.last_reviewed END
       ELSE
           CASE conflicts.field WHEN 'status' THEN coalesce(reports.status, 'not_started')
                WHEN 'notes' THEN coalesce(reports.notes, '')
                ELSE reports.last_reviewed END
       END AS current_value
FROM conflicts
JOIN items ON items.id = conflicts.item_id
LEFT JOIN changes AS ours ON ours.id = conflicts.ours_change_id
LEFT JOIN changes AS theirs ON theirs.id = conflicts.theirs_change_id
LEFT JOIN machines AS om ON om.id = ours.machine_id
LEFT JOIN machines AS tm ON tm.id = theirs.machine_id
LEFT JOIN units ON units.id = coalesce(ours.unit_id, theirs.unit_id)
LEFT JOIN reports ON reports.item_id = conflicts.item_id
    AND reports.unit_id = coalesce(ours.unit_id, theirs.unit_id)
"""


def conflict_rows(
    db: Database, include_resolved: bool = False, ids: Iterable[str] | None = None
) -> list[dict]:
    """Conflicts (the columns of :data:`CONFLICT_SELECT`), oldest change first
    (unresolved only, unless asked)."""
    clauses, params = [], []
    if not include_resolved:
        clauses.append("conflicts.resolved_at IS NULL")
    if ids is not None:
        ids = list(ids)
        if not ids:
            return []
        clauses.append(f"conflicts.id IN ({_marks(ids)})")
        params += ids
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    return list(
        db.query(
            f"{CONFLICT_SELECT} {where} "
            "ORDER BY min(coalesce(ours.changed_at, ''), coalesce(theirs.changed_at, '')), "
            "conflicts.id",
            params,
        )
    )


def conflicts_starting(db: Database, prefix: str) -> list[dict]:
    """Conflicts whose id starts with ``prefix`` (columns of :data:`CONFLICT_SELECT`)."""
    return list(db.query(f"{CONFLICT_SELECT} WHERE conflicts.id LIKE ?", [f"{prefix}%"]))


def quarantined_rows(db: Database) -> list[dict]:
    """The changes merges held back, newest first, with their machine's name and item."""
    return list(
        db.query(
            "SELECT q.id, q.item_id, q.field, q.new_value, q.changed_at, q.by, "
            "machines.name AS machine, q.quarantined_at, "
            "coalesce(items.content, '') AS item_content "
            "FROM quarantined_changes AS q LEFT JOIN items ON items.id = q.item_id "
            "LEFT JOIN machines ON machines.id = q.machine_id "
            "ORDER BY q.quarantined_at DESC, q.changed_at"
        )
    )


def quarantined_count(db: Database | sqlite3.Connection) -> int:
    """How many changes merges held back."""
    return _conn(db).execute("SELECT count(*) FROM quarantined_changes").fetchone()[0]


# ---------------------------------------------------------------------- a unit's snapshot
def keep_only_unit(
    conn: sqlite3.Connection, items: Iterable[str], units: Iterable[str], setting: tuple[str, str]
) -> None:
    """In a *copy* of the database, committed: keep what one unit hands in.

    The plan stays whole (ids match the office's). The items the unit answers for keep
    the office's fields and changes; of the units' reports and changes only the unit's
    own stay (``units``: the unit, and a collective's members); every other item is
    reset to its defaults with no changes. Conflicts and
    held-back changes follow the changes they name. ``setting`` (key, value) is stored
    in ``settings`` (which unit the file is for). Then the file is vacuumed, so nothing
    left out lingers in free pages.
    """
    conn.execute("BEGIN")
    try:
        conn.execute("CREATE TEMP TABLE keep (id TEXT PRIMARY KEY)")
        conn.executemany("INSERT INTO keep (id) VALUES (?)", [(i,) for i in items])
        conn.execute("CREATE TEMP TABLE keep_units (id TEXT PRIMARY KEY)")
        conn.executemany("INSERT INTO keep_units (id) VALUES (?)", [(u,) for u in set(units)])
        others = (
            "item_id NOT IN (SELECT id FROM temp.keep) "
            "OR (unit_id IS NOT NULL AND unit_id NOT IN (SELECT id FROM temp.keep_units))"
        )
        trigger = conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' "
            "AND name = 'changes_append_only_delete'"
        ).fetchone()
        # The log is append-only; only this copy, never the database, loses entries.
        if trigger:
            conn.execute("DROP TRIGGER changes_append_only_delete")
        conn.execute(f"DELETE FROM changes WHERE {others}")
        if trigger:
            conn.execute(trigger[0])
        conn.execute(f"DELETE FROM quarantined_changes WHERE {others}")
        conn.execute(
            "DELETE FROM conflicts WHERE item_id NOT IN (SELECT id FROM temp.keep) "
            "OR ours_change_id NOT IN (SELECT id FROM changes) "
            "OR theirs_change_id NOT IN (SELECT id FROM changes)"
        )
        touched = [
            row[0] for row in conn.execute(f"SELECT DISTINCT item_id FROM reports WHERE {others}")
        ]
        conn.execute(f"DELETE FROM reports WHERE {others}")
        conn.execute(
            "UPDATE items SET office_status = NULL, notes = '', last_reviewed = NULL, "
            "updated_at = NULL, updated_by = NULL WHERE id NOT IN (SELECT id FROM temp.keep)"
        )
        recompute_rollups(conn, [row[0] for row in conn.execute("SELECT id FROM items")])
        clear_notes_except(conn, "temp.keep")
        kept = {row[0] for row in conn.execute("SELECT id FROM temp.keep")}
        for item_id in touched:  # other units' notes leave the index too
            if item_id in kept:
                index_notes(conn, item_id)
        conn.execute(
            "INSERT INTO settings (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            list(setting),
        )
        conn.execute("DROP TABLE temp.keep")
        conn.execute("DROP TABLE temp.keep_units")
        conn.execute("COMMIT")
    except BaseException:
        with suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise
    # Other units' notes must not linger in free pages of the file handed in.
    conn.execute("VACUUM")


def change_count(conn: sqlite3.Connection) -> int:
    """How many changes a database logs."""
    return conn.execute("SELECT count(*) FROM changes").fetchone()[0]


def report_count(conn: sqlite3.Connection) -> int:
    """How many units' reports a database holds."""
    return conn.execute("SELECT count(*) FROM reports").fetchone()[0]


class Merges(Connection):
    """The store's side of merging: what merges ask of this database, and the one
    transaction a merge writes in (the SQL it runs is this module's)."""

    def plan_ids(self) -> set[str]:
        """The ids of this database's plans."""
        return plan_ids(self.db)

    def item_ids(self) -> frozenset[str]:
        """The ids of this database's items."""
        return item_ids(self.db)

    def unit_ids(self) -> frozenset[str]:
        """The ids of this database's units."""
        return unit_ids(self.db)

    def machine_names(self) -> dict[str, str | None]:
        """Every known machine's name by its id."""
        return machine_names(self.db)

    @contextmanager
    def merge_write(self) -> Iterator[sqlite3.Connection]:
        """One committed write transaction for a merge, handing the connection to this
        module's functions (the merge reads and writes through them only)."""
        with self.write() as db:
            yield db.conn

    def conflict_rows(
        self, include_resolved: bool = False, ids: Iterable[str] | None = None
    ) -> list[dict]:
        """Conflicts (see :func:`conflict_rows`)."""
        return conflict_rows(self.db, include_resolved, ids)

    def conflicts_starting(self, prefix: str) -> list[dict]:
        """Conflicts whose id starts with ``prefix``."""
        return conflicts_starting(self.db, prefix)

    def quarantined_rows(self) -> list[dict]:
        """The changes merges held back, newest first."""
        return quarantined_rows(self.db)

    def quarantined_count(self) -> int:
        """How many changes merges held back."""
        return quarantined_count(self.db)

    def mark_conflict_resolved(self, conflict_id: str, by: str, resolution: str) -> None:
        """Mark a conflict resolved now (by the store's clock), in its own transaction."""
        with self.write() as db:
            mark_resolved(
                db, conflict_id, self.clock().isoformat(timespec="seconds"), by, resolution
            )
