"""Search over a plan: item content, key task and category titles, units and notes.

Queries of three or more characters use the SQLite FTS5 trigram index; trigram cannot
match one or two characters, so shorter queries fall back to a substring scan in plan
order (which stops after the results asked for). A query of Latin letters also finds
units by their pinyin initials (``fgj`` → 区发改局), read from ``units.initials``
(computed once, when the unit is created) by SQL: no unit's name is converted at search
time.
"""

from __future__ import annotations

import json

from tracker.store.plans import PlanReads
from tracker.store.records import ItemFilter, ItemRecord
from tracker.store.search_index import fts_query

TRIGRAM = 3
"""The shortest query the trigram index can answer."""
COMMON = 2000
"""Trigram matches beyond which a query counts as common (see :meth:`Search._is_common`)."""


def fts_phrase(query: str) -> str:
    """A query as an FTS5 phrase: the trigram tokenizer then matches it as a substring."""
    return '"' + query.replace('"', '""') + '"'


def initials_query(query: str) -> str | None:
    """The pinyin initials a query stands for (lower case, no spaces), or None when the
    query is not Latin letters (only letters and spaces: ``fgj``, ``F G J``)."""
    if not (query.isascii() and query.replace(" ", "").isalpha()):
        return None
    return "".join(query.split()).lower()


class Search(PlanReads):
    """The search dialog's query, as one SQL read in plan order."""

    def search(
        self, plan_id: str, query: str, flt: ItemFilter | None = None, limit: int = 200
    ) -> list[ItemRecord]:
        """Items of a plan matching ``query`` under the filter, in plan order.

        Args:
            plan_id: The plan searched.
            query: What the clerk typed (1 character or more; Latin letters also match
                units' pinyin initials).
            flt: The filter in force (my unit, statuses, warnings); the search narrows it.
            limit: At most this many results (the first in plan order).
        """
        query = query.replace("\x00", "").strip()
        if not query:
            return []
        initials = initials_query(query)
        units = self.units_by_initials(initials) if initials else frozenset()
        narrowed = (flt or ItemFilter()).model_copy(
            update={
                "text": query,
                "text_units": units,
                "text_scan": self._is_common(query),
                "text_units_common": self._units_common(units),
            }
        )
        return self.filtered_items(plan_id, narrowed, limit=limit)

    def units_by_initials(self, initials: str) -> frozenset[str]:
        """Ids of the units whose pinyin initials contain ``initials`` (lower case).

        As :func:`tracker.domain.units.matches_initials`: ``fgj`` and ``qfgj`` both find
        区发改局 (``qfgj``); a unit stored without initials (a hand-made file) is looked
        at by name.
        """
        rows = self.db.execute(
            "SELECT id, name, initials FROM units "
            "WHERE initials IS NULL OR initials = '' OR instr(initials, ?)",
            [initials],
        ).fetchall()
        found = {uid for uid, _, stored in rows if stored}
        missing = [(uid, name) for uid, name, stored in rows if not stored]
        if missing:
            from tracker.domain.units import matches_initials

            found |= {uid for uid, name in missing if matches_initials(str(name), initials)}
        return frozenset(found)

    def _units_common(self, units: frozenset[str]) -> bool:
        # As _is_common, for the items the units found by their initials answer for.
        if not units:
            return False
        found = self.db.execute(
            "SELECT count(*) FROM (SELECT 1 FROM item_units WHERE unit_id IN "
            "(SELECT value FROM json_each(?)) LIMIT ?)",
            [json.dumps(sorted(units)), COMMON],
        ).fetchone()[0]
        return found >= COMMON

    def _is_common(self, query: str) -> bool:
        # A rare phrase is fastest through the trigram index (few ids to check); a common
        # one (信息公开) through a scan in plan order that stops after the first results.
        if len(query) < TRIGRAM:
            return True
        found = self.db.execute(
            "SELECT count(*) FROM (SELECT 1 FROM items_fts WHERE items_fts MATCH ? LIMIT ?)",
            [fts_query(query), COMMON],
        ).fetchone()[0]
        return found >= COMMON
