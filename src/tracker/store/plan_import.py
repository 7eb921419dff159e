"""Storing a parsed plan: deterministic ids, upserts that never touch a clerk's work."""

from __future__ import annotations

from sqlite_utils import Database

from tracker.domain.models import Plan, stable_id
from tracker.store.connection import Connection
from tracker.store.derive import deadline_columns, derive_items
from tracker.store.plans import ITEM_PLACE
from tracker.store.records import ImportResult

_ITEM_COLUMNS = ("id", "key_task_id", "seq", "content", "units_text", "deadline_text")
"""The columns of an item row from :func:`plan_rows`, in order."""


def plan_rows(plan: Plan) -> tuple[list[dict], list[dict], list[dict]]:
    """The category, key-task and item rows a plan is stored as, with their ids.

    Ids are deterministic: a hash of the parent's id, the row's place and its text.
    """
    plan_id = plan.id
    category_rows, key_task_rows, item_rows = [], [], []
    for c_seq, category in enumerate(plan.categories, start=1):
        category_id = stable_id(plan_id, "category", category.no, category.title)
        category_rows.append(
            {
                "id": category_id,
                "plan_id": plan_id,
                "seq": c_seq,
                "no": category.no,
                "title": category.title,
            }
        )
        for k_seq, key_task in enumerate(category.key_tasks, start=1):
            key_task_id = stable_id(category_id, "key_task", k_seq, key_task.title)
            key_task_rows.append(
                {
                    "id": key_task_id,
                    "category_id": category_id,
                    "seq": k_seq,
                    "title": key_task.title,
                }
            )
            for i_seq, item in enumerate(key_task.items, start=1):
                item_rows.append(
                    {
                        "id": stable_id(key_task_id, "item", i_seq, item.content),
                        "key_task_id": key_task_id,
                        "seq": i_seq,
                        "content": item.content,
                        "units_text": item.units_text,
                        "deadline_text": item.deadline_text,
                    }
                )
    return category_rows, key_task_rows, item_rows


class PlanImport(Connection):
    """Importing a plan (and, through :mod:`tracker.services.revisions`, revising it)."""

    def import_plan(self, plan: Plan) -> ImportResult:
        """Import a parsed plan, in one transaction.

        Re-importing the same plan changes nothing: ids are derived from the plan and
        each row's place and text, rows are upserted (never replaced, which would
        cascade to their children) and an item's status and notes are left alone.
        """
        with self.write() as db:
            return self.import_plan_into(db, plan)

    def import_plan_into(self, db: Database, plan: Plan) -> ImportResult:
        """Import a parsed plan inside the caller's :meth:`write` transaction.

        For a write that must import and do more in one transaction (a plan revision,
        :mod:`tracker.services.revisions`); otherwise as :meth:`import_plan`.
        """
        plan_id = plan.id
        category_rows, key_task_rows, item_rows = plan_rows(plan)
        known = {
            row[0]
            for row in db.execute(
                f"SELECT items.id FROM items {ITEM_PLACE} WHERE categories.plan_id = ?", [plan_id]
            )
        }
        existing_plan = db["plans"].count_where("id = ?", [plan_id])
        db["plans"].upsert(
            {
                "id": plan_id,
                "title": plan.title,
                "year": plan.year,
                "source": plan.source,
                "issued": plan.issued.isoformat() if plan.issued else None,
            },
            pk="id",
        )
        if not existing_plan:
            db["plans"].update(plan_id, {"imported_at": self._now()})
        db["categories"].upsert_all(category_rows, pk="id")
        db["key_tasks"].upsert_all(key_task_rows, pk="id")
        # The same upsert as sqlite-utils' upsert_all, without its per-value work; the
        # deadline columns go in with the row (derive_items then finds them up to date
        # instead of updating every item again).
        columns = (*_ITEM_COLUMNS, "deadline_kind", "due_date")
        db.conn.executemany(
            f"INSERT INTO items ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' * len(columns))}) ON CONFLICT(id) DO UPDATE SET "
            + ", ".join(f"{c} = excluded.{c}" for c in columns[1:]),
            [
                (
                    *(row[c] for c in _ITEM_COLUMNS),
                    *deadline_columns(row["deadline_text"], plan.year, plan.issued),
                )
                for row in item_rows
            ],
        )
        derive_items(db, [row["id"] for row in item_rows])
        return ImportResult(
            plan_id=plan_id,
            categories=len(category_rows),
            key_tasks=len(key_task_rows),
            items=len(item_rows),
            new_items=len({r["id"] for r in item_rows} - known),
        )
