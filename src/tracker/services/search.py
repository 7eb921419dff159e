"""Search over a plan: item content, key task and category titles, units and notes.

Queries of three or more characters use the SQLite FTS5 trigram index; trigram cannot
match one or two characters, so shorter queries fall back to a substring scan. A query
of Latin letters also finds units by their pinyin initials (``fgj`` → 区发改局).
"""

from __future__ import annotations

from tracker.domain.units import matches_initials
from tracker.store import ItemFilter, ItemRecord, Store

TRIGRAM = 3
"""The shortest query the trigram index can answer."""


def _fts_phrase(query: str) -> str:
    # A quoted phrase: the trigram tokenizer then matches it as a substring.
    return '"' + query.replace('"', '""') + '"'


def search(
    store: Store, plan_id: str, query: str, flt: ItemFilter | None = None, limit: int = 200
) -> list[ItemRecord]:
    """Items of a plan matching ``query`` under the filter, in plan order.

    Args:
        store: The database.
        plan_id: The plan searched.
        query: What the clerk typed (1 character or more; Latin letters also match
            units' pinyin initials).
        flt: The filter in force (my unit, statuses, warnings); the search narrows it.
        limit: At most this many results (the first in plan order).
    """
    query = query.replace("\x00", "").strip()
    if not query:
        return []
    units: frozenset[str] = frozenset()
    if query.isascii() and query.replace(" ", "").isalpha():
        units = frozenset(
            row[0]
            for row in store.db.execute("SELECT id, name FROM units").fetchall()
            if matches_initials(row[1], query)
        )
    narrowed = (flt or ItemFilter()).model_copy(
        update={"text": query, "text_units": units, "text_scan": _is_common(store, query)}
    )
    return store.filtered_items(plan_id, narrowed, limit=limit)


COMMON = 2000
"""Trigram matches beyond which a query counts as common (see :func:`_is_common`)."""


def _is_common(store: Store, query: str) -> bool:
    # A rare phrase is fastest through the trigram index (few ids to check); a common
    # one (信息公开) through a scan in plan order that stops after the first results.
    if len(query) < TRIGRAM:
        return True
    found = store.db.execute(
        "SELECT count(*) FROM (SELECT 1 FROM items_fts WHERE items_fts MATCH ? LIMIT ?)",
        [_fts_phrase(query), COMMON],
    ).fetchone()[0]
    return found >= COMMON
