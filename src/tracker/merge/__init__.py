"""Hand in and gather: merge another clerk's snapshot of the same plan into this database.

The parts:

* :mod:`~tracker.merge.order`: the merged order, the same on every machine;
* :mod:`~tracker.merge.merging`: merging snapshots, one file or many;
* :mod:`~tracker.merge.conflicts`: finding, listing and resolving conflicts, and the
  changes a merge held back;
* :mod:`~tracker.merge.unit_snapshot`: a snapshot of what one unit answers for;
* :mod:`~tracker.merge.incoming`: reading a snapshot file without trusting it.

The names used elsewhere are re-exported here. Knows nothing of the UI.
"""

from __future__ import annotations

from tracker.merge.conflicts import (
    Conflict,
    Keep,
    QuarantinedChange,
    conflict_id,
    find_conflict,
    find_conflicts,
    keep_label,
    list_conflicts,
    list_quarantined,
    quarantined_count,
    resolve_conflict,
    unresolved_count,
)
from tracker.merge.incoming import SnapshotRefused
from tracker.merge.merging import (
    FUTURE_TOLERANCE,
    QUARANTINE_REASON,
    BatchResult,
    Contributor,
    MergeResult,
    expand_paths,
    merge_many,
    merge_one,
    merge_snapshot,
)
from tracker.merge.order import merged_order
from tracker.merge.unit_snapshot import EXPORT_UNIT_SETTING, UnitExport, export_unit_snapshot

__all__ = [
    "EXPORT_UNIT_SETTING",
    "FUTURE_TOLERANCE",
    "QUARANTINE_REASON",
    "BatchResult",
    "Conflict",
    "Contributor",
    "Keep",
    "MergeResult",
    "QuarantinedChange",
    "SnapshotRefused",
    "UnitExport",
    "conflict_id",
    "expand_paths",
    "export_unit_snapshot",
    "find_conflict",
    "find_conflicts",
    "keep_label",
    "list_conflicts",
    "list_quarantined",
    "merge_many",
    "merge_one",
    "merge_snapshot",
    "merged_order",
    "quarantined_count",
    "resolve_conflict",
    "unresolved_count",
]
