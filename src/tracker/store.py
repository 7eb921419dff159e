"""The local SQLite store: the plan's tasks, their statuses and notes, and the change log.

A thin, typed layer over sqlite-utils that knows nothing of the UI. Every write is
one committed transaction (``BEGIN IMMEDIATE``, so the busy timeout applies to the
read-modify-write as a whole) and appends what it changed to ``changes``.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict
from sqlite_utils import Database

from tracker import schema, snapshot
from tracker.models import Plan, Status, stable_id

BUSY_TIMEOUT_MS = 5000
"""How long a write waits for another process's transaction before giving up."""

Clock = Callable[[], datetime]


def local_now() -> datetime:
    """The current time in the machine's time zone (the default clock)."""
    return datetime.now().astimezone()


class StoreError(Exception):
    """A database that cannot be used as asked; the message is for the clerk."""


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True)


class Progress(_Row):
    """Done/total counts of a node's items."""

    done: int = 0
    """Items whose status is 已完成."""
    total: int = 0
    """All items under the node."""


class PlanRecord(_Row):
    """A plan as stored."""

    id: str
    title: str
    year: int
    source: str | None = None
    progress: Progress = Progress()


class CategoryRecord(_Row):
    """A category as stored, with its progress."""

    id: str
    plan_id: str
    seq: int
    no: str | None
    title: str
    progress: Progress = Progress()


class KeyTaskRecord(_Row):
    """A key task as stored, with its progress."""

    id: str
    category_id: str
    seq: int
    title: str
    progress: Progress = Progress()


class ItemRecord(_Row):
    """An item as stored, with where it sits in the plan."""

    id: str
    key_task_id: str
    category_id: str
    plan_id: str
    seq: int
    content: str
    units_text: str
    deadline_text: str
    status: Status
    notes: str
    updated_at: str | None = None
    updated_by: str | None = None
    key_task_title: str = ""
    category_no: str | None = None
    category_title: str = ""


class ChangeRecord(_Row):
    """One entry of the append-only change log."""

    id: str
    item_id: str
    field: str
    old_value: str | None
    new_value: str | None
    changed_at: str
    by: str


class ImportResult(_Row):
    """What an import did."""

    plan_id: str
    categories: int
    key_tasks: int
    items: int
    new_items: int
    """Items that were not in the database before (0 when the plan was imported already)."""


_ITEM_SELECT = """
SELECT items.*, key_tasks.title AS key_task_title, key_tasks.category_id,
       categories.no AS category_no, categories.title AS category_title, categories.plan_id
FROM items
JOIN key_tasks ON key_tasks.id = items.key_task_id
JOIN categories ON categories.id = key_tasks.category_id
"""


class Store:
    """The tracker database.

    Build one with :meth:`open`; tests pass a temporary path and a fixed clock.
    """

    def __init__(self, db: Database, path: Path | None, clock: Clock = local_now) -> None:
        self.db = db
        self.path = path
        self.clock = clock

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(cls, path: Path | str, clock: Clock = local_now) -> Store:
        """Open (creating if needed) a tracker database and bring its schema up to date.

        Raises:
            StoreError: if the file is not a tracker database or is from a newer version.
        """
        path = Path(path)
        if path.parent and not path.parent.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
            db = Database(conn)
            version = db.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as error:
            raise StoreError(f"「{path}」不是 tracker 数据库（{error}）") from error
        store = cls(db, path, clock)
        try:
            store._check_version(version)
            store._configure()
            schema.migrations.apply(db)
        except sqlite3.DatabaseError as error:
            db.close()
            raise StoreError(f"无法打开数据库「{path}」：{error}") from error
        except StoreError:
            db.close()
            raise
        return store

    def _check_version(self, version: int) -> None:
        if version > schema.SCHEMA_VERSION:
            raise StoreError(
                f"数据库「{self.path}」由更新版本的 tracker 创建（格式版本 {version}，"
                f"本程序支持到 {schema.SCHEMA_VERSION}），请升级 tracker 后再打开"
            )
        if version == 0 and self.db.table_names():
            raise StoreError(f"「{self.path}」是其他程序的 SQLite 数据库，不是 tracker 数据库")

    def _configure(self) -> None:
        self.db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        self.db.execute("PRAGMA foreign_keys = ON")
        self.db.enable_wal()
        # A clerk's words outrank a millisecond: fsync the WAL on every commit.
        self.db.execute("PRAGMA synchronous = FULL")

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    @contextmanager
    def write(self) -> Iterator[Database]:
        """One committed write transaction, taken with ``BEGIN IMMEDIATE``.

        Taking the write lock up front means the busy timeout covers the whole
        read-modify-write, and a failure rolls everything back.
        """
        conn = self.db.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")

    def _now(self) -> str:
        return self.clock().isoformat(timespec="seconds")

    # ------------------------------------------------------------------ import
    def import_plan(self, plan: Plan) -> ImportResult:
        """Import a parsed plan, in one transaction.

        Re-importing the same plan changes nothing: ids are derived from the plan and
        each row's place and text, rows are upserted (never replaced, which would
        cascade to their children) and an item's status and notes are left alone.
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
        with self.write() as db:
            known = {
                row[0]
                for row in db.execute(
                    "SELECT items.id FROM items JOIN key_tasks ON key_tasks.id = items.key_task_id "
                    "JOIN categories ON categories.id = key_tasks.category_id "
                    "WHERE categories.plan_id = ?",
                    [plan_id],
                )
            }
            existing_plan = db["plans"].count_where("id = ?", [plan_id])
            db["plans"].upsert(
                {"id": plan_id, "title": plan.title, "year": plan.year, "source": plan.source},
                pk="id",
            )
            if not existing_plan:
                db["plans"].update(plan_id, {"imported_at": self._now()})
            db["categories"].upsert_all(category_rows, pk="id")
            db["key_tasks"].upsert_all(key_task_rows, pk="id")
            db["items"].upsert_all(item_rows, pk="id")
        return ImportResult(
            plan_id=plan_id,
            categories=len(category_rows),
            key_tasks=len(key_task_rows),
            items=len(item_rows),
            new_items=len({r["id"] for r in item_rows} - known),
        )

    # ------------------------------------------------------------------ reading
    def plans(self) -> list[PlanRecord]:
        """Every plan, newest year first, with progress."""
        progress = {
            row["plan_id"]: Progress(done=row["done"], total=row["total"])
            for row in self.db.query(
                "SELECT categories.plan_id, count(*) AS total, "
                "coalesce(sum(items.status = 'done'), 0) AS done FROM items "
                "JOIN key_tasks ON key_tasks.id = items.key_task_id "
                "JOIN categories ON categories.id = key_tasks.category_id "
                "GROUP BY categories.plan_id"
            )
        }
        return [
            PlanRecord(**row, progress=progress.get(row["id"], Progress()))
            for row in self.db.query(
                "SELECT id, title, year, source FROM plans ORDER BY year DESC, title"
            )
        ]

    def plan(self, plan_id: str) -> PlanRecord:
        """One plan, with progress."""
        for record in self.plans():
            if record.id == plan_id:
                return record
        raise KeyError(plan_id)

    def categories(self, plan_id: str) -> list[CategoryRecord]:
        """A plan's categories in order, each with its progress."""
        rows = self.db.query(
            "SELECT categories.*, count(items.id) AS total, "
            "coalesce(sum(items.status = 'done'), 0) AS done FROM categories "
            "LEFT JOIN key_tasks ON key_tasks.category_id = categories.id "
            "LEFT JOIN items ON items.key_task_id = key_tasks.id "
            "WHERE categories.plan_id = ? GROUP BY categories.id ORDER BY categories.seq",
            [plan_id],
        )
        return [_with_progress(CategoryRecord, row) for row in rows]

    def category(self, category_id: str) -> CategoryRecord:
        """One category, with progress."""
        row = next(
            self.db.query(
                "SELECT categories.*, count(items.id) AS total, "
                "coalesce(sum(items.status = 'done'), 0) AS done FROM categories "
                "LEFT JOIN key_tasks ON key_tasks.category_id = categories.id "
                "LEFT JOIN items ON items.key_task_id = key_tasks.id "
                "WHERE categories.id = ? GROUP BY categories.id",
                [category_id],
            ),
            None,
        )
        if row is None:
            raise KeyError(category_id)
        return _with_progress(CategoryRecord, row)

    def key_tasks(self, category_id: str) -> list[KeyTaskRecord]:
        """A category's key tasks in order, each with its progress."""
        rows = self.db.query(
            "SELECT key_tasks.*, count(items.id) AS total, "
            "coalesce(sum(items.status = 'done'), 0) AS done FROM key_tasks "
            "LEFT JOIN items ON items.key_task_id = key_tasks.id "
            "WHERE key_tasks.category_id = ? GROUP BY key_tasks.id ORDER BY key_tasks.seq",
            [category_id],
        )
        return [_with_progress(KeyTaskRecord, row) for row in rows]

    def key_task(self, key_task_id: str) -> KeyTaskRecord:
        """One key task, with progress."""
        row = next(
            self.db.query(
                "SELECT key_tasks.*, count(items.id) AS total, "
                "coalesce(sum(items.status = 'done'), 0) AS done FROM key_tasks "
                "LEFT JOIN items ON items.key_task_id = key_tasks.id "
                "WHERE key_tasks.id = ? GROUP BY key_tasks.id",
                [key_task_id],
            ),
            None,
        )
        if row is None:
            raise KeyError(key_task_id)
        return _with_progress(KeyTaskRecord, row)

    def items(self, key_task_id: str) -> list[ItemRecord]:
        """A key task's items in order."""
        rows = self.db.query(
            _ITEM_SELECT + " WHERE items.key_task_id = ? ORDER BY items.seq", [key_task_id]
        )
        return [ItemRecord(**row) for row in rows]

    def item(self, item_id: str) -> ItemRecord:
        """One item.

        Raises:
            KeyError: if there is no such item.
        """
        row = next(self.db.query(_ITEM_SELECT + " WHERE items.id = ?", [item_id]), None)
        if row is None:
            raise KeyError(item_id)
        return ItemRecord(**row)

    def status_counts(self, node_kind: str, node_id: str) -> dict[Status, int]:
        """How many items under a plan, category or key task have each status."""
        column = {
            "plan": "categories.plan_id",
            "category": "key_tasks.category_id",
            "key_task": "items.key_task_id",
        }[node_kind]
        counts = {status: 0 for status in Status}
        for row in self.db.query(
            "SELECT items.status, count(*) AS n FROM items "
            "JOIN key_tasks ON key_tasks.id = items.key_task_id "
            "JOIN categories ON categories.id = key_tasks.category_id "
            f"WHERE {column} = ? GROUP BY items.status",
            [node_id],
        ):
            counts[Status(row["status"])] = row["n"]
        return counts

    def changes(self, item_id: str | None = None) -> list[ChangeRecord]:
        """The change log, newest first; one item's when ``item_id`` is given."""
        where, params = ("WHERE item_id = ?", [item_id]) if item_id else ("", [])
        return [
            ChangeRecord(**row)
            for row in self.db.query(
                f"SELECT * FROM changes {where} ORDER BY changed_at DESC, rowid DESC", params
            )
        ]

    # ------------------------------------------------------------------ writing
    def set_status(self, item_id: str, status: Status, by: str) -> bool:
        """Set an item's status in one committed transaction, logging the change.

        Returns:
            Whether anything changed (setting the current status again is a no-op).
        """
        return self._set_field(item_id, "status", Status(status).value, by)

    def save_notes(self, item_id: str, notes: str, by: str) -> bool:
        """Save an item's notes (进展情况) in one committed transaction, logging the change.

        Returns:
            Whether anything changed.
        """
        return self._set_field(item_id, "notes", notes, by)

    def _set_field(self, item_id: str, field: str, value: str, by: str) -> bool:
        with self.write() as db:
            row = db.execute(f"SELECT {field} FROM items WHERE id = ?", [item_id]).fetchone()
            if row is None:
                raise KeyError(item_id)
            old = row[0]
            if old == value:
                return False
            now = self._now()
            db.execute(
                f"UPDATE items SET {field} = ?, updated_at = ?, updated_by = ? WHERE id = ?",
                [value, now, by, item_id],
            )
            db["changes"].insert(
                {
                    "id": uuid.uuid4().hex,
                    "item_id": item_id,
                    "field": field,
                    "old_value": old,
                    "new_value": value,
                    "changed_at": now,
                    "by": by,
                }
            )
        return True

    # ------------------------------------------------------------------ snapshot
    def export_snapshot(self, out: Path | str, force: bool = False) -> Path:
        """Write a consistent, self-contained copy of the database to ``out``.

        See :func:`tracker.snapshot.export_snapshot`.
        """
        return snapshot.export_snapshot(self.db.conn, self.path, Path(out), force=force)


def _with_progress(model: type[_Row], row: dict) -> _Row:
    progress = Progress(done=row.pop("done"), total=row.pop("total"))
    return model(**row, progress=progress)
