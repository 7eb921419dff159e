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


FTS_COLUMNS_V9 = "item_id, content, key_task, category, units, notes"
"""The columns of ``items_fts`` in schema 9 (for its migration only)."""

CREATE_FTS_V9 = (
    "CREATE VIRTUAL TABLE items_fts USING fts5(item_id UNINDEXED, content, key_task, "
    "category, units, notes, tokenize = 'trigram', columnsize = 0)"
)
"""The search index of schema 9 (for its migration only)."""

CREATE_FTS = (
    "CREATE VIEW items_fts_text AS SELECT search_rowid, "
    "content || char(10) || units_text || char(10) || notes AS text FROM items",
    "CREATE VIRTUAL TABLE items_fts USING fts5(text, tokenize = 'trigram', detail = none, "
    "content = 'items_fts_text', content_rowid = 'search_rowid', columnsize = 0)",
)
"""The search index since schema 10: a list of candidates, not the answer.

Its rowid is the item's ``items.search_rowid`` and its one column the item's content,
units and notes (the office's and every unit's), one per line. It keeps no copy of
the text (the text is in ``items`` and ``reports`` already: the table reads it, for
tools that list it, through the view ``items_fts_text``) and no positions
(``detail = none``): it only tells which items hold every trigram of a query.
Search then checks those items' own text (:mod:`tracker.store.plans`), so what it
finds is exactly what a scan of the text finds.

Rows are only ever added, never deleted: such an index can only forget text given
back exactly as it was indexed, and text given back wrong corrupts it. A row
written again for an item adds its new trigrams; the old ones stay until
:func:`rebuild` and only make the item a candidate its text then turns down. Key task
and category titles are not in it: search matches those small tables directly.
"""


def fts_query(text: str) -> str:
    """The index query for a text of 3 characters or more: every trigram of it (each a
    quoted phrase, so no character is read as syntax). It finds the candidates: the
    items holding all those trigrams, in any order."""
    grams = dict.fromkeys(text[i : i + 3] for i in range(len(text) - 2))
    return " AND ".join('"' + gram.replace('"', '""') + '"' for gram in grams)


def ascii_lower(text: str) -> str:
    """``text`` with ASCII letters in lower case, as SQLite's ``lower()`` makes it."""
    return "".join(c.lower() if c.isascii() else c for c in text)


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


def _joined(*texts: str | None) -> str:
    return "\n".join(searchable(t) for t in texts if t)


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
    """(Re)write an item's index row. Runs in the caller's transaction.

    Args:
        rowid: The item's ``search_rowid`` (:func:`assign_rowids` gives it); None for a
            database before schema 9 (the migrations that derive items run then, and
            write the index of those schemas, titles included).
    """
    if rowid is None:
        values = [searchable(v) for v in (content, key_task, category, units, notes)]
        rowid = legacy_rowid(item_id)
        db.execute("DELETE FROM items_fts WHERE rowid = ?", [rowid])
        db.execute(
            "INSERT INTO items_fts (rowid, item_id, content, key_task, category, units, notes) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [rowid, item_id, *values],
        )
        return
    db.execute(
        "INSERT INTO items_fts (rowid, text) VALUES (?, ?)", [rowid, _joined(content, units, notes)]
    )


def index_items(conn: sqlite3.Connection, rows: list[tuple]) -> None:
    """(Re)write many items' index rows at once: ``rows`` of (search_rowid, item id,
    content, key task, category, units, notes), as :func:`index_item` with a rowid."""
    if not rows:
        return
    conn.executemany(
        "INSERT INTO items_fts (rowid, text) VALUES (?, ?)",
        [(row[0], _joined(row[2], row[5], row[6])) for row in rows],
    )


def rebuild(conn: sqlite3.Connection) -> None:
    """Write the whole index afresh from the items and the units' reports (which drops
    the trigrams of text no longer there), in the caller's transaction."""
    conn.execute("INSERT INTO items_fts (items_fts) VALUES ('delete-all')")
    unit_notes: dict[str, list[str]] = {}
    for item_id, notes in conn.execute("SELECT item_id, notes FROM reports WHERE notes != ''"):
        unit_notes.setdefault(item_id, []).append(notes)
    rows = conn.execute(
        "SELECT search_rowid, id, content, units_text, notes FROM items "
        "WHERE search_rowid IS NOT NULL ORDER BY search_rowid"
    ).fetchall()
    conn.executemany(
        "INSERT INTO items_fts (rowid, text) VALUES (?, ?)",
        (
            (rowid, _joined(content, units, notes, *unit_notes.get(item_id, ())))
            for rowid, item_id, content, units, notes in rows
        ),
    )
    conn.execute("INSERT INTO items_fts (items_fts) VALUES ('optimize')")


# An item's notes as indexed: the office's, then every unit's, one per line (empty ones
# left out), through searchable() (SQLite's replace() cannot replace NUL).
_ITEM_NOTES = (
    "(SELECT group_concat(tracker_searchable(n), char(10)) FROM ("
    "SELECT {office} AS n UNION ALL SELECT notes FROM reports WHERE item_id = :item"
    ") WHERE n != '')"
)


def index_notes(db: _Executes, item_id: str, notes: str | None = None) -> None:
    """Index an item's notes anew, in the caller's transaction (one statement).

    What is indexed is the office's notes (``items.notes``) and every unit's report
    notes (``reports.notes``), one per line, so a search finds an item by any unit's
    words. Only the notes are written: the item's content and units are in its row
    already (rows are only added to, see :data:`CREATE_FTS`).

    Args:
        notes: The office's notes, if the caller has them at hand; None reads them
            from ``items`` (so call this after writing them).
    """
    office = "(SELECT notes FROM items WHERE id = :item)" if notes is None else ":notes"
    sql = (
        "INSERT INTO items_fts (rowid, text) SELECT search_rowid, "
        f"{_ITEM_NOTES.format(office=office)} FROM items WHERE id = :item "
        "AND search_rowid IS NOT NULL"
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
    """Forget the indexed notes of every item not listed in ``keep_table`` (a column
    ``id``). Nothing to do since schema 10: the index only names candidates, and the
    items' notes, now empty, turn them down (:func:`rebuild` drops them for good)."""
    del db, keep_table
