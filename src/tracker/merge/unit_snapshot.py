"""Unit snapshots: a snapshot holding only what one unit answers for.

A unit hands in just its own items (:func:`export_unit_snapshot`); the office merges
such files (:func:`tracker.merge.merging.merge_snapshot`).

Knows nothing of the UI.
"""

from __future__ import annotations

import sqlite3
import tempfile
from contextlib import suppress
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from tracker.domain.models import Status
from tracker.store import ItemFilter, Store, snapshot
from tracker.store.reports import recompute_rollups
from tracker.store.search_index import clear_notes_except

_DEFAULTS: dict[str, str | None] = {
    "status": Status.NOT_STARTED.value,
    "notes": "",
    "last_reviewed": None,
}
"""An item field's value before any change (what a unit export resets others' items to)."""
EXPORT_UNIT_SETTING = "export_unit"
"""Settings key naming the unit a unit snapshot was exported for."""


class UnitExport(BaseModel):
    """What a unit snapshot holds."""

    model_config = ConfigDict(frozen=True)

    path: Path
    unit: str
    items: int
    """Items the unit answers for (the others are reset to their defaults)."""
    changes: int


def export_unit_snapshot(
    store: Store, out: Path | str, unit: str, force: bool = False
) -> UnitExport:
    """Export a snapshot holding only what one unit answers for.

    The plan's structure stays whole (so ids match the office's); the items the unit
    does not answer for (directly or through a collective) are reset to their
    defaults and their changes left out.

    Args:
        unit: The unit's name or id.

    Raises:
        snapshot.SnapshotError: an unknown unit, a refused target or a failed copy.
    """
    target = snapshot.check_target(store.path, Path(out), force)
    record = store.unit(unit)
    if record is None:
        raise snapshot.SnapshotError(f"未找到单位「{unit}」；可用 tracker units 查看所有单位")
    mine = sorted(
        {
            item.id
            for plan in store.plans()
            for item in store.filtered_items(plan.id, ItemFilter(unit_id=record.id))
        }
    )
    with tempfile.TemporaryDirectory(prefix="tracker-unit-") as temp:
        full = store.export_snapshot(Path(temp) / "full.db")
        conn = sqlite3.connect(full, isolation_level=None)
        try:
            _keep_only(conn, mine, record.name)
            written = snapshot.export_snapshot(conn, None, target, force=force)
            changes = conn.execute("SELECT count(*) FROM changes").fetchone()[0]
        except sqlite3.Error as error:
            raise snapshot.SnapshotError(f"导出单位快照失败：{error}") from error
        finally:
            conn.close()
    return UnitExport(path=written, unit=record.name, items=len(mine), changes=changes)


def _keep_only(conn: sqlite3.Connection, item_ids: list[str], unit_name: str) -> None:
    """In a copy: leave out the changes of other units' items and reset those items."""
    conn.execute("BEGIN")
    try:
        conn.execute("CREATE TEMP TABLE keep (id TEXT PRIMARY KEY)")
        conn.executemany("INSERT INTO keep (id) VALUES (?)", [(i,) for i in item_ids])
        trigger = conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' "
            "AND name = 'changes_append_only_delete'"
        ).fetchone()
        # The log is append-only; only this copy, never the database, loses entries.
        if trigger:
            conn.execute("DROP TRIGGER changes_append_only_delete")
        conn.execute("DELETE FROM changes WHERE item_id NOT IN (SELECT id FROM keep)")
        if trigger:
            conn.execute(trigger[0])
        conn.execute("DELETE FROM conflicts WHERE item_id NOT IN (SELECT id FROM keep)")
        conn.execute("DELETE FROM quarantined_changes WHERE item_id NOT IN (SELECT id FROM keep)")
        conn.execute(
            "UPDATE items SET status = ?, office_status = NULL, notes = '', "
            "last_reviewed = NULL, updated_at = NULL, "
            "updated_by = NULL WHERE id NOT IN (SELECT id FROM keep)",
            [_DEFAULTS["status"]],
        )
        others = conn.execute("SELECT id FROM items WHERE id NOT IN (SELECT id FROM keep)")
        recompute_rollups(conn, [row[0] for row in others.fetchall()])
        clear_notes_except(conn, "temp.keep")
        conn.execute(
            "INSERT INTO settings (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [EXPORT_UNIT_SETTING, unit_name],
        )
        conn.execute("DROP TABLE temp.keep")
        conn.execute("COMMIT")
    except BaseException:
        with suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise
    # Other units' notes must not linger in free pages of the file handed in.
    conn.execute("VACUUM")
