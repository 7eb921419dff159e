"""The one writer of the search index (``items_fts``).

Every path that changes an item's text (a clerk's edit, a merge, a plan revision, a
unit's partial snapshot, re-deriving an item) goes through these functions, so the
index cannot drift from the items: FTS5 stops reading at NUL, and text is cleaned the
same way wherever it comes from.
"""

from __future__ import annotations

import sqlite3
from typing import Protocol


class _Executes(Protocol):
    """A sqlite-utils ``Database`` or a ``sqlite3.Connection``: both run SQL with params."""

    def execute(self, sql: str, parameters: list | tuple | dict = ..., /) -> sqlite3.Cursor: ...


FTS_COLUMNS = "item_id, content, key_task, category, units, notes"
"""The columns of ``items_fts``: the item's id (not indexed), then the indexed text."""

CREATE_FTS = (
    "CREATE VIRTUAL TABLE items_fts USING fts5(item_id UNINDEXED, content, key_task, "
    "category, units, notes, tokenize = 'trigram', columnsize = 0)"
)
"""The search index since schema 9: its rowid is the item's ``items.search_rowid``.

Small rowids (1, 2, 3… rather than 60-bit hashes of the id) keep every posting list
short, since FTS5 stores rowids as deltas; ``columnsize = 0`` drops the per-row size
table (only ranking reads it, and search ranks by plan order). ``item_id`` stays for
readers of the table (tools, tests); the store's search goes through ``search_rowid``.
"""


def legacy_rowid(item_id: str) -> int:
    """The index's rowid for an item before schema 9 (a hash of its id)."""
    return int(item_id[:15], 16)


def searchable(text: str | None) -> str:
    """Text as indexed for search: FTS5 stops at NUL, so NUL becomes a space."""
    return (text or "").replace("\x00", " ")


def assign_rowids(db: _Executes, item_ids: list[str]) -> None:
    """Give the items that have none their ``search_rowid`` (the next free numbers)."""
    if not item_ids:
        return
    marks = ",".join("?" * len(item_ids))
    missing = [
        row[0]
        for row in db.execute(
            f"SELECT id FROM items WHERE search_rowid IS NULL AND id IN ({marks}) ORDER BY rowid",
            item_ids,
        )
    ]
    if not missing:
        return
    top = db.execute("SELECT coalesce(max(search_rowid), 0) FROM items").fetchone()[0]
    conn = db if isinstance(db, sqlite3.Connection) else db.conn  # type: ignore[attr-defined]
    conn.executemany(
        "UPDATE items SET search_rowid = ? WHERE id = ?",
        [(top + n, item_id) for n, item_id in enumerate(missing, start=1)],
    )


def index_item(
    db: _Executes,
    item_id: str,
    content: str | None,
    key_task: str | None,
    category: str | None,
    units: str | None,
    notes: str | None,
    rowid: int | None = None,
) -> None:
    """(Re)write an item's whole index row. Runs in the caller's transaction.

    Args:
        rowid: The item's ``search_rowid`` (:func:`assign_rowids` gives it); None for a
            database before schema 9 (the migrations that derive items run then).
    """
    values = [searchable(v) for v in (content, key_task, category, units, notes)]
    if rowid is None:
        rowid = legacy_rowid(item_id)
        db.execute("DELETE FROM items_fts WHERE rowid = ?", [rowid])
        db.execute(
            "INSERT INTO items_fts (rowid, item_id, content, key_task, category, units, notes) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [rowid, item_id, *values],
        )
        return
    db.execute("DELETE FROM items_fts WHERE rowid = ?", [rowid])
    db.execute(
        f"INSERT INTO items_fts (rowid, {FTS_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [rowid, item_id, *values],
    )


def index_items(conn: sqlite3.Connection, rows: list[tuple]) -> None:
    """(Re)write many items' index rows at once: ``rows`` of (search_rowid, item id,
    content, key task, category, units, notes), as :func:`index_item` with a rowid."""
    if not rows:
        return
    rowids = [row[0] for row in rows]
    for start in range(0, len(rowids), 500):
        part = rowids[start : start + 500]
        conn.execute(f"DELETE FROM items_fts WHERE rowid IN ({','.join('?' * len(part))})", part)
    conn.executemany(
        f"INSERT INTO items_fts (rowid, {FTS_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(row[0], row[1], *(searchable(v) for v in row[2:])) for row in rows],
    )


# An item's indexed notes: the office's notes, then every unit's, one per line (empty
# ones left out), through searchable() (SQLite's replace() cannot replace NUL).
_ITEM_NOTES = (
    "coalesce((SELECT group_concat(tracker_searchable(n), char(10)) FROM ("
    "SELECT {office} AS n UNION ALL SELECT notes FROM reports WHERE item_id = :item"
    ") WHERE n != ''), '')"
)


def index_notes(db: _Executes, item_id: str, notes: str | None = None) -> None:
    """Recompute an item's indexed notes, in the caller's transaction (one statement).

    What is indexed is the office's notes (``items.notes``) and every unit's report
    notes (``reports.notes``), one per line, so a search finds an item by any unit's
    words.

    Args:
        notes: The office's notes, if the caller has them at hand; None reads them
            from ``items`` (so call this after writing them).
    """
    office = "(SELECT notes FROM items WHERE id = :item)" if notes is None else ":notes"
    sql = (
        f"UPDATE items_fts SET notes = {_ITEM_NOTES.format(office=office)} "
        "WHERE rowid = (SELECT search_rowid FROM items WHERE id = :item)"
    )
    params = {"item": item_id, "notes": notes}
    try:
        db.execute(sql, params)
    except sqlite3.OperationalError as error:
        if "tracker_searchable" not in str(error):
            raise
        # The first time on this connection: teach it the function, then go on.
        conn = db if isinstance(db, sqlite3.Connection) else db.conn  # type: ignore[attr-defined]
        conn.create_function("tracker_searchable", 1, _searchable_sql, deterministic=True)
        db.execute(sql, params)


def _searchable_sql(text: object) -> str | bytes | int | float | None:
    if isinstance(text, str):
        return searchable(text)
    return text if isinstance(text, bytes | int | float) else None


def clear_notes_except(db: _Executes, keep_table: str) -> None:
    """Empty the indexed notes of every item not listed in ``keep_table`` (a column ``id``)."""
    db.execute(
        "UPDATE items_fts SET notes = '' WHERE rowid IN (SELECT search_rowid FROM items "
        f"WHERE id NOT IN (SELECT id FROM {keep_table}))"
    )
