"""What the store derives from an item's cells: its units, its deadline, its search text.

Kept apart from the import so the same code fills new items and upgrades databases
written by an older schema (the migration backfills every item through here).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from sqlite_utils import Database

from tracker.deadlines import DeadlineKind, parse_deadline
from tracker.models import stable_id
from tracker.units import (
    UnitKind,
    UnitMention,
    classify,
    default_collectives,
    parse_units,
    pinyin_initials,
)


def unit_id(name: str) -> str:
    """A unit's deterministic id (its canonical name)."""
    return stable_id("unit", name)


def fts_rowid(item_id: str) -> int:
    """The search index's rowid for an item: stable, derived from the item's id.

    Derived rather than borrowed from ``items.rowid``, which ``VACUUM`` may renumber.
    """
    return int(item_id[:15], 16)


_parsed_deadline = lru_cache(maxsize=4096)(parse_deadline)


@lru_cache(maxsize=4096)
def _parsed_units(units_text: str) -> tuple[UnitMention, ...]:
    # Plans repeat the same 责任单位 cells many times.
    return tuple(parse_units(units_text))


def searchable(text: str | None) -> str:
    """Text as indexed for search: FTS5 stops at NUL, so NUL becomes a space."""
    return (text or "").replace("\x00", " ")


def ensure_unit(db: Database, name: str, kind: UnitKind | None = None) -> str:
    """Create a unit if it is new, with its default collective memberships.

    Defaults (a department belongs to 区政府工作部门, a township to 各乡镇街委, ...) are
    written only where no row says otherwise, so a clerk's configuration survives
    re-imports.

    Returns:
        The unit's id.
    """
    uid = unit_id(name)
    kind = kind or classify(name)
    db.execute(
        "INSERT OR IGNORE INTO units (id, name, kind, initials) VALUES (?, ?, ?, ?)",
        [uid, name, kind.value, pinyin_initials(name)],
    )
    if kind is UnitKind.CONCRETE:
        for collective in sorted(default_collectives(name)):
            cid = unit_id(collective)
            db.execute(
                "INSERT OR IGNORE INTO units (id, name, kind, initials) VALUES (?, ?, ?, ?)",
                [cid, collective, UnitKind.COLLECTIVE.value, pinyin_initials(collective)],
            )
            db.execute(
                "INSERT OR IGNORE INTO unit_members (collective_id, member_id, member, source) "
                "VALUES (?, ?, 1, 'default')",
                [cid, uid],
            )
    return uid


def derive_items(db: Database, item_ids: Iterable[str]) -> None:
    """(Re)compute units, deadline and search text of the given items.

    Runs inside the caller's transaction.
    """
    ids = list(item_ids)
    # Units are shared by many items: create each (and its default memberships) once.
    known_units: dict[str, str] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        rows = db.execute(
            "SELECT items.id, items.units_text, items.deadline_text, items.content, items.notes, "
            "key_tasks.title, categories.title, plans.year FROM items "
            "JOIN key_tasks ON key_tasks.id = items.key_task_id "
            "JOIN categories ON categories.id = key_tasks.category_id "
            "JOIN plans ON plans.id = categories.plan_id "
            f"WHERE items.id IN ({marks})",
            chunk,
        ).fetchall()
        for item_id, units_text, deadline_text, content, notes, key_task, category, year in rows:
            _derive_one(db, item_id, units_text or "", deadline_text or "", year, known_units)
            db.execute("DELETE FROM items_fts WHERE rowid = ?", [fts_rowid(item_id)])
            db.execute(
                "INSERT INTO items_fts (rowid, item_id, content, key_task, category, units, notes) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    fts_rowid(item_id),
                    item_id,
                    *(searchable(v) for v in (content, key_task, category, units_text, notes)),
                ],
            )


def _derive_one(
    db: Database,
    item_id: str,
    units_text: str,
    deadline_text: str,
    year: int,
    known_units: dict[str, str],
):
    deadline = _parsed_deadline(deadline_text, year)
    db.execute(
        "UPDATE items SET deadline_kind = ?, due_date = ? WHERE id = ?",
        [
            deadline.kind.value,
            deadline.due_date.isoformat()
            if deadline.due_date and deadline.kind in (DeadlineKind.DATE, DeadlineKind.RECURRING)
            else None,
            item_id,
        ],
    )
    db.execute("DELETE FROM item_units WHERE item_id = ?", [item_id])
    for mention in _parsed_units(units_text):
        uid = known_units.get(mention.name)
        if uid is None:
            uid = known_units[mention.name] = ensure_unit(db, mention.name, mention.kind)
        db.execute(
            "INSERT OR IGNORE INTO item_units (item_id, unit_id, role, position) "
            "VALUES (?, ?, ?, ?)",
            [item_id, uid, mention.role.value, mention.position],
        )
