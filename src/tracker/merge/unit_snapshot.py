"""Unit snapshots: a snapshot holding only what one unit answers for.

A unit hands in just its own items and its own reports on them
(:func:`export_unit_snapshot`); the office merges such files
(:func:`tracker.merge.merging.merge_snapshot`), where a unit's changes go to its
reports and never conflict with another unit's.

Knows nothing of the UI.
"""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from tracker.domain.units import UnitKind
from tracker.store import ItemFilter, Store, snapshot
from tracker.store import merging as stored

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
    reports: int = 0
    """The unit's own reports it carries (others' are left out)."""


def export_unit_snapshot(
    store: Store, out: Path | str, unit: str, force: bool = False
) -> UnitExport:
    """Export a snapshot holding only what one unit answers for.

    The plan's structure stays whole (so ids match the office's). The items the unit
    answers for (directly or through a collective) keep the office's fields and
    changes, and the unit's own report and changes (a collective's: its members');
    other units' reports and changes are left out, and the items the unit does not
    answer for are reset to their defaults with no changes.

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
    units = {record.id}
    if record.kind == UnitKind.COLLECTIVE:
        units |= store.membership_ids(record.id)
    with tempfile.TemporaryDirectory(prefix="tracker-unit-") as temp:
        full = store.export_snapshot(Path(temp) / "full.db")
        conn = sqlite3.connect(full, isolation_level=None)
        try:
            stored.keep_only_unit(conn, mine, units, (EXPORT_UNIT_SETTING, record.name))
            written = snapshot.export_snapshot(conn, None, target, force=force)
            changes = stored.change_count(conn)
            reports = stored.report_count(conn)
        except sqlite3.Error as error:
            raise snapshot.SnapshotError(f"导出单位快照失败：{error}") from error
        finally:
            conn.close()
    return UnitExport(
        path=written, unit=record.name, items=len(mine), changes=changes, reports=reports
    )
