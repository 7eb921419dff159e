"""What the store derives from an item's cells: its units, its deadline, its search text.

Kept apart from the import so the same code fills new items and upgrades databases
written by an older schema (the migration backfills every item through here).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import lru_cache

from sqlite_utils import Database

from tracker.domain.deadlines import DATED_KINDS, DeadlineKind, parse_deadline
from tracker.domain.models import stable_id
from tracker.domain.units import (
    UnitKind,
    classify,
    collective_levels,
    parse_units,
    pinyin_initials,
    unit_level,
)
from tracker.store.plans import ITEM_JOINS
from tracker.store.reports import items_naming_collectives, recompute_rollups
from tracker.store.search_index import assign_rowids, index_item, index_items, index_notes


def unit_id(name: str) -> str:
    """A unit's deterministic id (its canonical name)."""
    return stable_id("unit", name)


_parsed_deadline = lru_cache(maxsize=4096)(parse_deadline)


@lru_cache(maxsize=4096)
def _parsed_units(
    units_text: str, aliases: tuple[tuple[str, str], ...]
) -> tuple[tuple[str, UnitKind, str, int], ...]:
    # Plans repeat the same 责任单位 cells many times: each mention's name, kind, role
    # and place, read once per distinct cell.
    return tuple(
        (mention.name, mention.kind, mention.role.value, mention.position)
        for mention in parse_units(units_text, dict(aliases))
    )


def unit_aliases(db: Database) -> tuple[tuple[str, str], ...]:
    """The clerk's alias table (alias → name), hashable for caching."""
    if not db["unit_aliases"].exists():
        return ()
    return tuple(sorted(db.execute("SELECT alias, name FROM unit_aliases").fetchall()))


def ensure_unit(db: Database, name: str, kind: UnitKind | None = None) -> str:
    """Create a unit if it is new, with its default collective memberships.

    Defaults follow the collective's form and the concrete unit's level
    (:func:`~tracker.domain.units.collective_levels`,
    :func:`~tracker.domain.units.unit_level`): a new
    district department joins every district collective already known (区直有关单位,
    区政府工作部门…), a new 各科室 takes every known office (办公室, 财务科…), and so on.
    Defaults are written only where no row says otherwise, so a clerk's configuration
    survives re-imports; collectives no plan names are not created.

    Returns:
        The unit's id.
    """
    uid = unit_id(name)
    kind = kind or classify(name)
    created = db.execute(
        "INSERT OR IGNORE INTO units (id, name, kind, initials) VALUES (?, ?, ?, ?)",
        [uid, name, kind.value, pinyin_initials(name)],
    ).rowcount
    if not created:
        return uid
    if kind is UnitKind.CONCRETE:
        level = unit_level(name)
        if level is None:
            return uid
        rows = db.execute("SELECT id, name FROM units WHERE kind = 'collective'").fetchall()
        pairs = [(cid, uid) for cid, cname in rows if level in collective_levels(cname)]
    else:
        levels = collective_levels(name)
        if not levels:
            return uid
        rows = db.execute("SELECT id, name FROM units WHERE kind = 'concrete'").fetchall()
        pairs = [(uid, mid) for mid, mname in rows if unit_level(mname) in levels]
    for collective_id, member_id in pairs:
        db.execute(
            "INSERT OR IGNORE INTO unit_members (collective_id, member_id, member, source) "
            "VALUES (?, ?, 1, 'default')",
            [collective_id, member_id],
        )
    return uid


def derive_items(db: Database, item_ids: Iterable[str]) -> None:
    """(Re)compute units, deadline, search text and roll-up of the given items.

    Runs inside the caller's transaction. A unit created on the way joins its default
    collectives, so the roll-up of every item naming a collective is recomputed then.
    """
    ids = list(item_ids)
    reports = db["reports"].exists()  # not yet while older migrations run
    units_before = db.execute("SELECT count(*) FROM units").fetchone()[0]
    # Units are shared by many items: create each (and its default memberships) once.
    known_units: dict[str, str] = {}
    aliases = unit_aliases(db)
    has_issued = "issued" in db["plans"].columns_dict
    # Schema 9 on, an item's search index row is numbered by items.search_rowid; the
    # migrations that derive items before it write the older index.
    numbered = "search_rowid" in db["items"].columns_dict
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        if numbered:
            assign_rowids(db, chunk)
        rows = db.execute(
            "SELECT items.id, items.units_text, items.deadline_text, items.content, items.notes, "
            "key_tasks.title, categories.title, plans.year, items.deadline_kind, items.due_date, "
            + ("plans.issued, " if has_issued else "NULL, ")
            + ("items.search_rowid " if numbered else "NULL ")
            + f"{ITEM_JOINS} WHERE items.id IN ({marks})",
            chunk,
        ).fetchall()
        deadlines: list[tuple] = []
        mentions: list[tuple] = []
        indexed: list[tuple] = []
        for (
            item_id,
            units_text,
            deadline_text,
            content,
            notes,
            key_task,
            category,
            year,
            stored_kind,
            stored_due,
            issued,
            rowid,
        ) in rows:
            kind, due = deadline_columns(deadline_text or "", year, _issued(issued))
            if kind != stored_kind or due != stored_due:  # e.g. already set by the import
                deadlines.append((kind, due, item_id))
            for name, kind, role, position in _parsed_units(units_text or "", aliases):
                uid = known_units.get(name)
                if uid is None:
                    uid = known_units[name] = ensure_unit(db, name, kind)
                mentions.append((item_id, uid, role, position))
            if rowid is None:
                index_item(db, item_id, content, key_task, category, units_text, notes)
            else:
                indexed.append((rowid, item_id, content, key_task, category, units_text, notes))
        # One statement per kind of row for the whole chunk, not one per item.
        conn = db.conn
        conn.executemany("UPDATE items SET deadline_kind = ?, due_date = ? WHERE id = ?", deadlines)
        conn.execute(f"DELETE FROM item_units WHERE item_id IN ({marks})", chunk)
        conn.executemany(
            "INSERT OR IGNORE INTO item_units (item_id, unit_id, role, position) "
            "VALUES (?, ?, ?, ?)",
            mentions,
        )
        index_items(conn, indexed)
    if not reports:
        return
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for (item_id,) in db.execute(
            f"SELECT DISTINCT item_id FROM reports WHERE notes != '' AND item_id IN ({marks})",
            chunk,
        ).fetchall():
            index_notes(db, item_id)  # the units' notes are searched too
    if db.execute("SELECT count(*) FROM units").fetchone()[0] != units_before:
        ids += items_naming_collectives(db)
    recompute_rollups(db, ids)


def _issued(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def deadline_columns(deadline_text: str, year: int, issued: date | None) -> tuple[str, str | None]:
    """An item's stored ``deadline_kind`` and ``due_date`` for its 完成时限 cell."""
    deadline = _parsed_deadline(deadline_text, year, issued)
    due = (
        deadline.due_date.isoformat()
        if deadline.due_date
        and (deadline.kind in DATED_KINDS or deadline.kind is DeadlineKind.RECURRING)
        else None
    )
    return deadline.kind.value, due
