"""Reading the plan: plans, categories, key tasks and items, with progress, under a filter.

Also the SQL fragments those reads share (the item join, the due date in force, the
warning, the progress figures, the filter), written once here.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TypeVar

from tracker.domain.models import Status, StoredRecord
from tracker.errors import NotFound
from tracker.store.records import (
    CategoryRecord,
    ItemFilter,
    ItemRecord,
    KeyTaskRecord,
    PlanRecord,
    Progress,
)
from tracker.store.reports import NOTES_SQL, REVIEWED_SQL, STATUS_SQL, UNIT_NOTES_MATCH_SQL
from tracker.store.search_index import ascii_lower, fts_query
from tracker.store.settings import Settings

ITEM_PLACE = (
    "JOIN key_tasks ON key_tasks.id = items.key_task_id "
    "JOIN categories ON categories.id = key_tasks.category_id"
)
"""Joins an ``items`` row to its key task and category: its place in the plan. The one
spelling of the items→key_tasks→categories join, for every query of the store."""
ITEM_JOINS = f"FROM items {ITEM_PLACE} JOIN plans ON plans.id = categories.plan_id"
"""``FROM`` the items with their key task, category and plan (for ``plans.year``)."""

# The due date in force: fixed for dated items, the next occurrence for recurring ones.
DUE = (
    "(CASE WHEN items.deadline_kind = 'recurring' "
    "THEN tracker_next_due(items.deadline_text, plans.year, :today) "
    # A stored due date that is no date (a hand-edited file) is no due date.
    "WHEN typeof(items.due_date) = 'text' AND items.due_date GLOB "
    "'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' THEN items.due_date END)"
)
# Done work and work the clerk marked 持续推进 (standing) are never overdue or due soon.
WARNING = (
    f"(CASE WHEN {STATUS_SQL} IN ('done', 'ongoing') OR {DUE} IS NULL THEN 'none' "
    f"WHEN {DUE} < :today THEN 'overdue' WHEN {DUE} <= :soon THEN 'due_soon' "
    "ELSE 'on_track' END)"
)
# Progress figures over the rows of progress_rows(): the due date is computed once per item.
PROGRESS = ", ".join(
    [
        "count(*) AS total",
        *(f"coalesce(sum(status = '{s.value}'), 0) AS s_{s.value}" for s in Status),
        "coalesce(sum(status NOT IN ('done', 'ongoing') AND due < :today), 0) AS overdue",
        "coalesce(sum(status NOT IN ('done', 'ongoing') AND due >= :today AND due <= :soon), 0)"
        " AS due_soon",
        "coalesce(sum(units_done), 0) AS units_done",
        "coalesce(sum(units_total), 0) AS units_total",
    ]
)


def progress_rows(where: str) -> str:
    """One row per item matching ``where``: its status (as the reader sees it), due date
    in force, unit counts and place."""
    return (
        f"SELECT {STATUS_SQL} AS status, {DUE} AS due, plans.id AS plan_id, "
        "categories.id AS category_id, items.key_task_id AS key_task_id, "
        # Materialised counts; a hand-edited value that is not a small integer counts 0.
        f"{_COUNT.format(column='items.units_done')} AS units_done, "
        f"{_COUNT.format(column='items.units_total')} AS units_total "
        f"{ITEM_JOINS} WHERE {where}"
    )


def _drop(row: dict, key: str) -> dict:
    row.pop(key, None)
    return row


_RESPONSIBLE_ITEMS = """items.id IN (
    SELECT item_id FROM item_units WHERE unit_id = :unit
    UNION
    SELECT item_units.item_id FROM item_units
    JOIN unit_members ON unit_members.collective_id = item_units.unit_id
    WHERE unit_members.member_id = :unit AND unit_members.member = 1)"""


def _filter_sql(flt: ItemFilter, params: dict) -> str:
    clauses = []
    if flt.unit_id:
        params["unit"] = flt.unit_id
        clauses.append(_RESPONSIBLE_ITEMS)
    if flt.statuses:
        names = []
        for i, status in enumerate(sorted(flt.statuses)):
            params[f"status{i}"] = status.value
            names.append(f":status{i}")
        clauses.append(f"{STATUS_SQL} IN ({', '.join(names)})")
    if flt.warnings:
        names = []
        for i, warning in enumerate(sorted(flt.warnings)):
            params[f"warning{i}"] = warning.value
            names.append(f":warning{i}")
        clauses.append(f"{WARNING} IN ({', '.join(names)})")
    if flt.item_ids is not None:
        params["item_ids"] = json.dumps(sorted(flt.item_ids))
        clauses.append("items.id IN (SELECT value FROM json_each(:item_ids))")
    if flt.text:
        clauses.append(_text_sql(flt, params))
    return " AND ".join(clauses) or "1"


TRIGRAM = 3
"""The shortest text the trigram index can match."""


def _text_sql(flt: ItemFilter, params: dict) -> str:
    # The match is a condition of the query itself, not a list of ids fetched first:
    # walking a plan in order, SQLite stops as soon as it has the rows it was asked for.
    text = (flt.text or "").replace("\x00", "")
    if len(text) >= TRIGRAM and not flt.text_scan:
        # The index names the items holding every trigram of the text (and items of a
        # key task or category whose title holds it); their text is then checked, as
        # the index always matched: ignoring the case of ASCII letters.
        params["text_fts"] = fts_query(text)
        params["text_lower"] = ascii_lower(text)
        found = "instr(lower({}), :text_lower)"
        match = (
            "((items.search_rowid IN (SELECT rowid FROM items_fts WHERE items_fts MATCH "
            ":text_fts) OR items.key_task_id IN (SELECT key_tasks.id FROM key_tasks "
            "JOIN categories ON categories.id = key_tasks.category_id "
            f"WHERE {found.format('key_tasks.title')} OR {found.format('categories.title')})) "
            f"AND ({found.format('items.content')} OR {found.format('items.notes')} "
            f"OR {found.format('items.units_text')} OR {found.format('key_tasks.title')} "
            f"OR {found.format('categories.title')} OR items.id IN (SELECT item_id FROM reports "
            f"WHERE reports.item_id = items.id AND {found.format('reports.notes')})))"
        )
    else:
        params["text"] = text
        # Cheapest first (an item's own columns, then the titles); units' notes last, and
        # only looked up when some unit has written notes at all (checked once per query).
        match = (
            "(instr(items.content, :text) OR instr(items.notes, :text) "
            "OR instr(items.units_text, :text) OR instr(key_tasks.title, :text) "
            "OR instr(categories.title, :text) OR ((SELECT 1 FROM reports WHERE notes != '' "
            f"LIMIT 1) AND {UNIT_NOTES_MATCH_SQL}))"
        )
    if flt.text_units:
        params["text_units"] = json.dumps(sorted(flt.text_units))
        # ``+`` keeps SQLite from driving the query by these ids (all of a common unit's
        # items, sorted before the limit applies) when the units answer for many items.
        plus = "+" if flt.text_units_common else ""
        if plus:
            match = match.replace("items.search_rowid IN", "+items.search_rowid IN")
        match = (
            f"({match} OR {plus}items.id IN (SELECT item_id FROM item_units WHERE unit_id IN "
            "(SELECT value FROM json_each(:text_units))))"
        )
    return match


def _few_candidates(flt: ItemFilter) -> bool:
    """Whether the text is matched through the index, which names fewer items than
    make a query common, and any units found by initials answer for few items too."""
    text = (flt.text or "").replace("\x00", "")
    return len(text) >= TRIGRAM and not flt.text_scan and not flt.text_units_common


_R = TypeVar("_R", bound=StoredRecord)


def _progress(row: dict) -> Progress:
    return Progress(
        total=row.pop("total"),
        by_status={s: row.pop(f"s_{s.value}") for s in Status},
        overdue=row.pop("overdue"),
        due_soon=row.pop("due_soon"),
        units_done=row.pop("units_done"),
        units_total=row.pop("units_total"),
    )


_COUNT = (
    "CASE WHEN typeof({column}) = 'integer' AND {column} BETWEEN 0 AND 1000000 "
    "THEN {column} ELSE 0 END"
)


def _summed(parts: list[Progress]) -> Progress:
    """The progress of a node from its children's (every item is under one child)."""
    return Progress(
        total=sum(p.total for p in parts),
        by_status={s: sum(p.by_status.get(s, 0) for p in parts) for s in Status},
        overdue=sum(p.overdue for p in parts),
        due_soon=sum(p.due_soon for p in parts),
        units_done=sum(p.units_done for p in parts),
        units_total=sum(p.units_total for p in parts),
    )


def with_progress(model: type[_R], row: dict) -> _R:
    """A record with its progress figures, from a row holding the record's columns and
    those of :data:`PROGRESS` (which are taken out of ``row``)."""
    progress = _progress(row)
    return model.model_validate({**row, "progress": progress})


class PlanReads(Settings):
    """Reads of the plan's tree and its items; every read takes an optional filter."""

    def _params(self, flt: ItemFilter | None) -> tuple[str, dict]:
        today = self.today()
        params: dict = {
            "today": today.isoformat(),
            "soon": (today + timedelta(days=self.due_window)).isoformat(),
            # The unit whose own reports the reads show (reports.STATUS_SQL and the like).
            "reader": flt.unit_id if flt is not None and flt.as_unit else None,
        }
        return _filter_sql(flt or ItemFilter(), params), params

    def plans(self) -> list[PlanRecord]:
        """Every plan, newest year first, with progress."""
        where, params = self._params(None)
        progress = {
            row.pop("plan_id"): _progress(row)
            for row in self.db.query(
                f"SELECT plan_id, {PROGRESS} FROM ({progress_rows(where)}) GROUP BY plan_id", params
            )
        }
        return [
            PlanRecord(**row, progress=progress.get(row["id"], Progress()))
            for row in self.db.query(
                "SELECT id, title, year, source FROM plans "
                "ORDER BY year DESC, imported_at DESC, title"
            )
        ]

    def plan_list(self) -> list[PlanRecord]:
        """Every plan, newest year first, without progress (cheap at any size)."""
        return [
            PlanRecord(**row)
            for row in self.db.query(
                "SELECT id, title, year, source FROM plans "
                "ORDER BY year DESC, imported_at DESC, title"
            )
        ]

    def has_plans(self) -> bool:
        """Whether the database holds any plan."""
        return self.db.execute("SELECT EXISTS (SELECT 1 FROM plans)").fetchone()[0] == 1

    def plan(self, plan_id: str, flt: ItemFilter | None = None) -> PlanRecord:
        """One plan, with the progress of its items under the filter."""
        row = self.db.execute(
            "SELECT id, title, year, source FROM plans WHERE id = ?", [plan_id]
        ).fetchone()
        if row is None:
            raise KeyError(plan_id)
        where, params = self._params(flt)
        params["plan"] = plan_id
        counts = next(
            self.db.query(
                f"SELECT {PROGRESS} FROM ({progress_rows(f'plans.id = :plan AND {where}')})", params
            )
        )
        return PlanRecord(
            id=row[0], title=row[1], year=row[2], source=row[3], progress=_progress(counts)
        )

    def plan_outline(
        self, plan_id: str, flt: ItemFilter | None = None
    ) -> tuple[PlanRecord, list[CategoryRecord]]:
        """A plan and its categories (as :meth:`plan` and :meth:`categories` read them),
        from one aggregate query: the plan's counts are the sums of its categories'."""
        row = self.db.execute(
            "SELECT id, title, year, source FROM plans WHERE id = ?", [plan_id]
        ).fetchone()
        if row is None:
            raise KeyError(plan_id)
        categories = self.categories(plan_id, flt)
        progress = _summed([category.progress for category in categories])
        plan = PlanRecord(id=row[0], title=row[1], year=row[2], source=row[3], progress=progress)
        return plan, categories

    def categories(self, plan_id: str, flt: ItemFilter | None = None) -> list[CategoryRecord]:
        """A plan's categories in order, each with its progress; only those with items
        under the filter."""
        where, params = self._params(flt)
        params["plan"] = plan_id
        rows = self.db.query(
            "SELECT categories.id, categories.plan_id, categories.seq, categories.no, "
            "categories.title, progress.* FROM categories JOIN ("
            f"SELECT category_id, {PROGRESS} FROM "
            f"({progress_rows(f'categories.plan_id = :plan AND {where}')}) GROUP BY category_id"
            ") AS progress ON progress.category_id = categories.id ORDER BY categories.seq",
            params,
        )
        return [with_progress(CategoryRecord, _drop(row, "category_id")) for row in rows]

    def category(self, category_id: str, flt: ItemFilter | None = None) -> CategoryRecord:
        """One category, with progress under the filter."""
        where, params = self._params(flt)
        params["category"] = category_id
        row = next(
            self.db.query(
                "SELECT categories.id, categories.plan_id, categories.seq, categories.no, "
                f"categories.title, progress.* FROM categories, (SELECT {PROGRESS} FROM "
                f"({progress_rows(f'key_tasks.category_id = :category AND {where}')})) AS progress "
                "WHERE categories.id = :category",
                params,
            ),
            None,
        )
        if row is None:
            raise KeyError(category_id)
        return with_progress(CategoryRecord, row)

    def key_tasks(self, category_id: str, flt: ItemFilter | None = None) -> list[KeyTaskRecord]:
        """A category's key tasks in order, each with its progress; only those with items
        under the filter."""
        where, params = self._params(flt)
        params["category"] = category_id
        rows = self.db.query(
            "SELECT key_tasks.id, key_tasks.category_id, key_tasks.seq, key_tasks.title, "
            f"progress.* FROM key_tasks JOIN (SELECT key_task_id, {PROGRESS} FROM "
            f"({progress_rows(f'key_tasks.category_id = :category AND {where}')}) "
            "GROUP BY key_task_id) AS progress ON progress.key_task_id = key_tasks.id "
            "ORDER BY key_tasks.seq",
            params,
        )
        return [with_progress(KeyTaskRecord, _drop(row, "key_task_id")) for row in rows]

    def key_task(self, key_task_id: str, flt: ItemFilter | None = None) -> KeyTaskRecord:
        """One key task, with progress under the filter."""
        where, params = self._params(flt)
        params["key_task"] = key_task_id
        row = next(
            self.db.query(
                "SELECT key_tasks.id, key_tasks.category_id, key_tasks.seq, key_tasks.title, "
                f"progress.* FROM key_tasks, (SELECT {PROGRESS} FROM "
                f"({progress_rows(f'items.key_task_id = :key_task AND {where}')})) AS progress "
                "WHERE key_tasks.id = :key_task",
                params,
            ),
            None,
        )
        if row is None:
            raise KeyError(key_task_id)
        return with_progress(KeyTaskRecord, row)

    def items(self, key_task_id: str, flt: ItemFilter | None = None) -> list[ItemRecord]:
        """A key task's items in order, under the filter."""
        where, params = self._params(flt)
        params["key_task"] = key_task_id
        return self._items(f"items.key_task_id = :key_task AND {where}", params, flt)

    def item(self, item_id: str, flt: ItemFilter | None = None) -> ItemRecord:
        """One item (the filter's unit, if any, gives its role).

        Raises:
            KeyError: if there is no such item.
        """
        _, params = self._params(None)
        params["item"] = item_id
        found = self._items("items.id = :item", params, flt)
        if not found:
            raise KeyError(item_id)
        return found[0]

    def filtered_items(
        self,
        plan_id: str,
        flt: ItemFilter | None = None,
        order: str = "plan",
        limit: int | None = None,
    ) -> list[ItemRecord]:
        """The items of a plan under the filter, in plan order or by due date.

        Args:
            limit: At most this many (the first in that order); None for all.
        """
        where, params = self._params(flt)
        params["plan"] = plan_id
        order_by = (
            "due IS NULL, due, categories.seq, key_tasks.seq, items.seq"
            if order == "due"
            else "categories.seq, key_tasks.seq, items.seq"
        )
        if limit is not None:
            params["limit"] = limit
            if order == "plan" and flt is not None and flt.text:
                # A search: find the first ids in plan order, reading nothing but what
                # the match needs, then read those items in full. Walking the plan in
                # one query would work out every row's due date, warning and the like
                # for each key task's matches before the limit applies.
                joins, first = ITEM_JOINS, order_by
                if _few_candidates(flt):
                    # The index names few items: start from them, not from the plan.
                    joins = joins.replace("categories.plan_id", "+categories.plan_id")
                    first = "+categories.seq, +key_tasks.seq, +items.seq"
                params["hits"] = json.dumps(
                    [
                        row[0]
                        for row in self.db.execute(
                            f"SELECT items.id {joins} WHERE plans.id = :plan AND {where} "
                            f"ORDER BY {first} LIMIT :limit",
                            params,
                        )
                    ]
                )
                return self._items(
                    "items.id IN (SELECT value FROM json_each(:hits))", params, flt, order_by
                )
            order_by += " LIMIT :limit"
        return self._items(f"plans.id = :plan AND {where}", params, flt, order_by)

    def _items(
        self, where: str, params: dict, flt: ItemFilter | None, order_by: str = "items.seq"
    ) -> list[ItemRecord]:
        role = "NULL"
        if flt is not None and flt.unit_id:
            params["unit"] = flt.unit_id
            params["reader"] = flt.unit_id if flt.as_unit else None
            role = (
                "coalesce((SELECT role FROM item_units WHERE item_units.item_id = items.id "
                "AND item_units.unit_id = :unit), 'collective')"
            )
        rows = self.db.query(
            "SELECT items.id, items.key_task_id, key_tasks.category_id, categories.plan_id, "
            "plans.year AS plan_year, items.seq, items.content, items.units_text, "
            f"items.deadline_text, {STATUS_SQL} AS status, {NOTES_SQL} AS notes, "
            "items.updated_at, items.updated_by, items.office_status, items.units_total, "
            "items.units_done, items.units_reported, items.units_on_hold, "
            "coalesce(items.deadline_kind, 'unknown') AS deadline_kind, "
            f"{DUE} AS due, {REVIEWED_SQL} AS last_reviewed, {WARNING} AS warning, "
            f"{role} AS unit_role, "
            "key_tasks.title AS key_task_title, categories.no AS category_no, "
            "categories.seq || '.' || key_tasks.seq || '.' || items.seq AS outline, "
            f"categories.title AS category_title {ITEM_JOINS} WHERE {where} "
            f"ORDER BY {order_by}",
            params,
        )
        return [ItemRecord(**{**row, "due_date": row.pop("due")}) for row in rows]

    def item_by_outline(self, plan_id: str, outline: str) -> ItemRecord:
        """An item by its outline number (``1.2.1``) in a plan.

        Raises:
            NotFound: if the plan has no such item (the message says how outlines look).
        """
        missing = f"没有编号为「{outline}」的任务（编号形如 1.2.1：工作任务.重点工作任务.条目）"
        parts = outline.strip().split(".")
        if len(parts) != 3 or not all(p.isdigit() for p in parts):
            raise NotFound(missing)
        _, params = self._params(None)
        params.update({"plan": plan_id, "c": int(parts[0]), "k": int(parts[1]), "i": int(parts[2])})
        found = self._items(
            "plans.id = :plan AND categories.seq = :c AND key_tasks.seq = :k AND items.seq = :i",
            params,
            None,
        )
        if not found:
            raise NotFound(missing)
        return found[0]

    def resolve_plan(self, spec: str | None) -> PlanRecord:
        """The plan a clerk means: an id (or its first characters), a title, or a year.

        None means the newest plan.

        Raises:
            NotFound: with a message listing the plans when none or several match.
        """
        plans = self.plan_list()
        if not plans:
            raise NotFound("数据库中没有分工表")
        if spec is None:
            return plans[0]
        spec = spec.strip()
        matches = [
            p for p in plans if p.id.startswith(spec) or p.title == spec or str(p.year) == spec
        ]
        if len(matches) == 1:
            return matches[0]
        listing = "；".join(f"{p.id[:8]} {p.title}" for p in plans)
        if not matches:
            raise NotFound(f"没有与「{spec}」对应的分工表。现有：{listing}")
        raise NotFound(f"「{spec}」对应多份分工表，请用编号区分：{listing}")

    def status_counts(
        self, node_kind: str, node_id: str, flt: ItemFilter | None = None
    ) -> dict[Status, int]:
        """How many items under a plan, category or key task have each status."""
        column = {
            "plan": "categories.plan_id",
            "category": "key_tasks.category_id",
            "key_task": "items.key_task_id",
        }[node_kind]
        where, params = self._params(flt)
        params["node"] = node_id
        counts = dict.fromkeys(Status, 0)
        for row in self.db.query(
            f"SELECT {STATUS_SQL} AS status, count(*) AS n {ITEM_JOINS} "
            f"WHERE {column} = :node AND {where} GROUP BY 1",
            params,
        ):
            if row["status"] in counts:  # a status no clerk could set is no status
                counts[Status(row["status"])] = row["n"]
        return counts
