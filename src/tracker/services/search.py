"""Search over a plan (the search dialog's query); the SQL is the store's
(:mod:`tracker.store.search`)."""

from __future__ import annotations

from tracker.store import ItemFilter, ItemRecord, Store
from tracker.store.search import COMMON, TRIGRAM

__all__ = ["COMMON", "TRIGRAM", "search"]


def search(
    store: Store, plan_id: str, query: str, flt: ItemFilter | None = None, limit: int = 200
) -> list[ItemRecord]:
    """Items of a plan matching ``query`` under the filter, in plan order.

    See :meth:`tracker.store.search.Search.search`.
    """
    return store.search(plan_id, query, flt, limit)
