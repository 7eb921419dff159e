"""The local SQLite store: the plan's tasks, their statuses and notes, and the change log.

A thin, typed layer over sqlite-utils that knows nothing of the UI. Every write is
one committed transaction (``BEGIN IMMEDIATE``, so the busy timeout applies to the
read-modify-write as a whole) and appends what it changed to ``changes``.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field
from sqlite_utils import Database

from tracker import schema, snapshot
from tracker.deadlines import Deadline, DeadlineKind, DueWarning, next_due, parse_deadline
from tracker.derive import derive_items, ensure_unit, fts_rowid
from tracker.drafts import merge_notes
from tracker.models import Plan, Status, stable_id
from tracker.units import Role, UnitKind, canonical_name

BUSY_TIMEOUT_MS = 5000
"""How long a write waits for another process's transaction before giving up."""
DEFAULT_DUE_WINDOW = 14
"""Days before a due date when an open item turns yellow (临期), unless configured."""
REVIEW_PERIODS = ("month", "quarter")
LEDGER_FIELDS = ("status", "notes", "last_reviewed")
"""The item fields a clerk edits; every change to them is logged in ``changes``."""
"""Reporting periods in which standing work must be reviewed once."""

Clock = Callable[[], datetime]


def local_now() -> datetime:
    """The current time in the machine's time zone (the default clock)."""
    return datetime.now().astimezone()


class StoreError(Exception):
    """A database that cannot be used as asked; the message is for the clerk."""


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True)


class Progress(_Row):
    """Counts of a node's items (under the current filter)."""

    total: int = 0
    """All items under the node."""
    by_status: dict[Status, int] = Field(default_factory=dict)
    """Items per status."""
    overdue: int = 0
    """Open items past their due date (逾期)."""
    due_soon: int = 0
    """Open items due within the warning window (临期)."""

    @property
    def done(self) -> int:
        """Items whose status is 已完成."""
        return self.by_status.get(Status.DONE, 0)

    @property
    def rate(self) -> float:
        """The completion rate, 0–1 (0 for an empty node)."""
        return self.done / self.total if self.total else 0.0


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
    """An item as stored, with where it sits in the plan and its warning today."""

    id: str
    key_task_id: str
    category_id: str
    plan_id: str
    plan_year: int
    seq: int
    content: str
    units_text: str
    deadline_text: str
    status: Status
    notes: str
    updated_at: str | None = None
    updated_by: str | None = None
    deadline_kind: DeadlineKind = DeadlineKind.UNKNOWN
    due_date: date | None = None
    """The due date in force today (the next one for recurring deadlines)."""
    last_reviewed: date | None = None
    """When standing work was last reviewed."""
    warning: DueWarning = DueWarning.NONE
    """逾期 / 临期 / 正常 as of the store's today."""
    unit_role: str | None = None
    """How the filtered unit answers for it: ``lead``, ``cooperating`` or ``collective``."""
    key_task_title: str = ""
    category_no: str | None = None
    category_title: str = ""


class ItemUnit(_Row):
    """A unit named in an item's 责任单位 cell."""

    unit_id: str
    name: str
    kind: UnitKind
    role: Role


class UnitRecord(_Row):
    """A unit with the progress of every item it answers for (directly or via a collective)."""

    id: str
    name: str
    kind: UnitKind
    initials: str = ""
    progress: Progress = Progress()
    lead: int = 0
    """Items it leads (牵头)."""


class ItemFilter(_Row):
    """Which items to show; every part narrows the others (empty parts match all)."""

    unit_id: str | None = None
    """Items this unit answers for, named directly or through a collective unit."""
    statuses: frozenset[Status] = frozenset()
    """Only these statuses."""
    warnings: frozenset[DueWarning] = frozenset()
    """Only these warnings (逾期, 临期, 正常, 无)."""
    item_ids: frozenset[str] | None = None
    """Only these items (search results)."""

    @property
    def is_empty(self) -> bool:
        """Whether the filter lets every item through."""
        return (
            self.unit_id is None
            and not self.statuses
            and not self.warnings
            and self.item_ids is None
        )


class ChangeRecord(_Row):
    """One entry of the append-only change log."""

    id: str
    item_id: str
    field: str
    old_value: str | None
    new_value: str | None
    changed_at: str
    by: str
    session_id: str | None = None
    """The app session that made it (None for the command line)."""
    kind: str = "edit"
    """``edit``, or ``undo``/``redo`` when it reverses or repeats an earlier change."""


class SessionRecord(_Row):
    """An app window that opened the database."""

    id: str
    started_at: str
    ended_at: str | None = None
    by: str | None = None
    host: str | None = None
    pid: int | None = None
    clean: int = 0


class ChangedUnderneath(StoreError):
    """The stored value is not the one the clerk saw: another window saved it since.

    Nothing was written; both versions are at hand to show.
    """

    def __init__(self, item_id: str, field: str, current: str | None, expected: str | None):
        self.item_id = item_id
        self.field = field
        self.current = current
        self.expected = expected
        super().__init__("该任务刚被另一窗口修改")


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
        self.session_id: str | None = None
        """The app session writing through this store, recorded with each change."""
        self.today_override: date | None = None
        """A fixed "today" for warnings (``--today``, tests); None follows the clock."""
        db.conn.create_function("tracker_next_due", 3, _next_due_sql, deterministic=True)

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
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            db = Database(conn)
            version = db.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as error:
            conn.close()
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
            # Some errors (SQLITE_FULL, an I/O error) end the transaction themselves;
            # a second ROLLBACK would hide the real error.
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        else:
            try:
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

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
            derive_items(db, [row["id"] for row in item_rows])
        return ImportResult(
            plan_id=plan_id,
            categories=len(category_rows),
            key_tasks=len(key_task_rows),
            items=len(item_rows),
            new_items=len({r["id"] for r in item_rows} - known),
        )

    # ------------------------------------------------------------------ reading
    def today(self) -> date:
        """The day warnings are computed for (``--today`` overrides the clock)."""
        return self.today_override or self.clock().date()

    @property
    def due_window(self) -> int:
        """Days before a due date when an item turns yellow (临期); setting ``due_window``."""
        value = self.setting("due_window")
        return int(value) if value and value.isdigit() else DEFAULT_DUE_WINDOW

    @property
    def review_period(self) -> str:
        """How often standing work is reviewed: ``month`` (default) or ``quarter``."""
        value = self.setting("review_period")
        return value if value in REVIEW_PERIODS else "month"

    def _params(self, flt: ItemFilter | None) -> tuple[str, dict]:
        today = self.today()
        params: dict = {
            "today": today.isoformat(),
            "soon": (today + timedelta(days=self.due_window)).isoformat(),
        }
        return _filter_sql(flt or ItemFilter(), params), params

    def plans(self) -> list[PlanRecord]:
        """Every plan, newest year first, with progress."""
        where, params = self._params(None)
        progress = {
            row["plan_id"]: _progress(row)
            for row in self.db.query(
                f"SELECT plans.id AS plan_id, {_PROGRESS_COLUMNS} {_ITEM_JOINS} "
                f"WHERE {where} GROUP BY plans.id",
                params,
            )
        }
        return [
            PlanRecord(**row, progress=progress.get(row["id"], Progress()))
            for row in self.db.query(
                "SELECT id, title, year, source FROM plans ORDER BY year DESC, title"
            )
        ]

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
                f"SELECT {_PROGRESS_COLUMNS} {_ITEM_JOINS} WHERE plans.id = :plan AND {where}",
                params,
            )
        )
        return PlanRecord(
            id=row[0], title=row[1], year=row[2], source=row[3], progress=_progress(counts)
        )

    def categories(self, plan_id: str, flt: ItemFilter | None = None) -> list[CategoryRecord]:
        """A plan's categories in order, each with its progress; only those with items
        under the filter."""
        where, params = self._params(flt)
        params["plan"] = plan_id
        rows = self.db.query(
            "SELECT categories.id, categories.plan_id, categories.seq, categories.no, "
            f"categories.title, {_PROGRESS_COLUMNS} {_ITEM_JOINS} "
            f"WHERE categories.plan_id = :plan AND {where} "
            "GROUP BY categories.id ORDER BY categories.seq",
            params,
        )
        return [_with_progress(CategoryRecord, row) for row in rows]

    def category(self, category_id: str, flt: ItemFilter | None = None) -> CategoryRecord:
        """One category, with progress under the filter."""
        where, params = self._params(flt)
        params["category"] = category_id
        row = next(
            self.db.query(
                "SELECT categories.id, categories.plan_id, categories.seq, categories.no, "
                f"categories.title, {_PROGRESS_COLUMNS} FROM categories "
                "LEFT JOIN key_tasks ON key_tasks.category_id = categories.id "
                f"LEFT JOIN items ON items.key_task_id = key_tasks.id AND {where} "
                "LEFT JOIN plans ON plans.id = categories.plan_id "
                "WHERE categories.id = :category GROUP BY categories.id",
                params,
            ),
            None,
        )
        if row is None:
            raise KeyError(category_id)
        return _with_progress(CategoryRecord, row)

    def key_tasks(self, category_id: str, flt: ItemFilter | None = None) -> list[KeyTaskRecord]:
        """A category's key tasks in order, each with its progress; only those with items
        under the filter."""
        where, params = self._params(flt)
        params["category"] = category_id
        rows = self.db.query(
            "SELECT key_tasks.id, key_tasks.category_id, key_tasks.seq, key_tasks.title, "
            f"{_PROGRESS_COLUMNS} {_ITEM_JOINS} "
            f"WHERE key_tasks.category_id = :category AND {where} "
            "GROUP BY key_tasks.id ORDER BY key_tasks.seq",
            params,
        )
        return [_with_progress(KeyTaskRecord, row) for row in rows]

    def key_task(self, key_task_id: str, flt: ItemFilter | None = None) -> KeyTaskRecord:
        """One key task, with progress under the filter."""
        where, params = self._params(flt)
        params["key_task"] = key_task_id
        row = next(
            self.db.query(
                "SELECT key_tasks.id, key_tasks.category_id, key_tasks.seq, key_tasks.title, "
                f"{_PROGRESS_COLUMNS} FROM key_tasks "
                f"LEFT JOIN items ON items.key_task_id = key_tasks.id AND {where} "
                "LEFT JOIN categories ON categories.id = key_tasks.category_id "
                "LEFT JOIN plans ON plans.id = categories.plan_id "
                "WHERE key_tasks.id = :key_task GROUP BY key_tasks.id",
                params,
            ),
            None,
        )
        if row is None:
            raise KeyError(key_task_id)
        return _with_progress(KeyTaskRecord, row)

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
        self, plan_id: str, flt: ItemFilter | None = None, order: str = "plan"
    ) -> list[ItemRecord]:
        """Every item of a plan under the filter, in plan order or by due date."""
        where, params = self._params(flt)
        params["plan"] = plan_id
        order_by = (
            "due IS NULL, due, categories.seq, key_tasks.seq, items.seq"
            if order == "due"
            else "categories.seq, key_tasks.seq, items.seq"
        )
        return self._items(f"plans.id = :plan AND {where}", params, flt, order_by)

    def _items(
        self, where: str, params: dict, flt: ItemFilter | None, order_by: str = "items.seq"
    ) -> list[ItemRecord]:
        role = "NULL"
        if flt is not None and flt.unit_id:
            params["unit"] = flt.unit_id
            role = (
                "coalesce((SELECT role FROM item_units WHERE item_units.item_id = items.id "
                "AND item_units.unit_id = :unit), 'collective')"
            )
        rows = self.db.query(
            "SELECT items.id, items.key_task_id, key_tasks.category_id, categories.plan_id, "
            "plans.year AS plan_year, items.seq, items.content, items.units_text, "
            "items.deadline_text, items.status, items.notes, items.updated_at, "
            "items.updated_by, coalesce(items.deadline_kind, 'unknown') AS deadline_kind, "
            f"{_DUE} AS due, items.last_reviewed, {_WARNING} AS warning, {role} AS unit_role, "
            "key_tasks.title AS key_task_title, categories.no AS category_no, "
            f"categories.title AS category_title {_ITEM_JOINS} WHERE {where} "
            f"ORDER BY {order_by}",
            params,
        )
        return [ItemRecord(**{**row, "due_date": row.pop("due")}) for row in rows]

    def item_units(self, item_id: str) -> list[ItemUnit]:
        """The units an item's 责任单位 cell names, in order, with their roles."""
        return [
            ItemUnit(**row)
            for row in self.db.query(
                "SELECT units.id AS unit_id, units.name, units.kind, item_units.role "
                "FROM item_units JOIN units ON units.id = item_units.unit_id "
                "WHERE item_units.item_id = ? ORDER BY item_units.position",
                [item_id],
            )
        ]

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
            f"SELECT items.status, count(*) AS n {_ITEM_JOINS} "
            f"WHERE {column} = :node AND {where} GROUP BY items.status",
            params,
        ):
            counts[Status(row["status"])] = row["n"]
        return counts

    # ------------------------------------------------------------------ units
    def units(self, plan_id: str | None = None) -> list[UnitRecord]:
        """Every unit with the progress of the items it answers for, by name."""
        _, params = self._params(None)
        plan_clause = ""
        if plan_id is not None:
            params["plan"] = plan_id
            plan_clause = "AND plans.id = :plan"
        rows = self.db.query(
            f"WITH {_RESPONSIBLE_CTE} "
            "SELECT units.id, units.name, units.kind, units.initials, "
            f"{_PROGRESS_COLUMNS}, coalesce(sum(responsible.role = 'lead'), 0) AS lead "
            "FROM units LEFT JOIN responsible ON responsible.unit_id = units.id "
            "LEFT JOIN items ON items.id = responsible.item_id "
            "LEFT JOIN key_tasks ON key_tasks.id = items.key_task_id "
            "LEFT JOIN categories ON categories.id = key_tasks.category_id "
            f"LEFT JOIN plans ON plans.id = categories.plan_id {plan_clause} "
            "GROUP BY units.id ORDER BY units.kind DESC, units.name",
            params,
        )
        return [_with_progress(UnitRecord, row) for row in rows]

    def unit(self, name_or_id: str) -> UnitRecord | None:
        """A unit by its name or id (no progress figures), or None."""
        row = self.db.execute(
            "SELECT id, name, kind, initials FROM units WHERE id = ? OR name = ?",
            [name_or_id, canonical_name(name_or_id)],
        ).fetchone()
        if row is None:
            return None
        return UnitRecord(id=row[0], name=row[1], kind=row[2], initials=row[3] or "")

    def memberships(self, unit_id: str) -> list[str]:
        """The collectives a concrete unit belongs to, or the members of a collective."""
        rows = self.db.execute(
            "SELECT units.name FROM unit_members JOIN units ON units.id = "
            "CASE WHEN unit_members.member_id = :u THEN unit_members.collective_id "
            "ELSE unit_members.member_id END "
            "WHERE (unit_members.member_id = :u OR unit_members.collective_id = :u) "
            "AND unit_members.member = 1 ORDER BY units.name",
            {"u": unit_id},
        ).fetchall()
        return [row[0] for row in rows]

    def add_unit(self, name: str) -> UnitRecord:
        """Add a unit (e.g. a township the plan names only as 各乡镇街委), with its
        default memberships."""
        name = canonical_name(name)
        if not name:
            raise ValueError("单位名称不能为空")
        with self.write() as db:
            ensure_unit(db, name)
        record = self.unit(name)
        assert record is not None
        return record

    def set_membership(self, unit_id: str, collective_id: str, member: bool) -> None:
        """Say whether a concrete unit belongs to a collective unit (remembered over
        re-imports)."""
        with self.write() as db:
            kinds = dict(
                db.execute(
                    "SELECT id, kind FROM units WHERE id IN (?, ?)", [unit_id, collective_id]
                ).fetchall()
            )
            if kinds.get(collective_id) != UnitKind.COLLECTIVE.value:
                raise ValueError("只能加入集合单位（如 区政府工作部门、各乡镇街委）")
            if kinds.get(unit_id) != UnitKind.CONCRETE.value:
                raise ValueError("只有具体单位可以加入集合单位")
            db.execute(
                "INSERT INTO unit_members (collective_id, member_id, member, source) "
                "VALUES (?, ?, ?, 'configured') ON CONFLICT (collective_id, member_id) "
                "DO UPDATE SET member = excluded.member, source = 'configured'",
                [collective_id, unit_id, int(member)],
            )

    # ------------------------------------------------------------------ settings
    def setting(self, key: str) -> str | None:
        """A remembered setting (my unit, the warning window, ...), or None."""
        row = self.db.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    def set_setting(self, key: str, value: str | None) -> None:
        """Remember a setting (None forgets it)."""
        with self.write() as db:
            if value is None:
                db.execute("DELETE FROM settings WHERE key = ?", [key])
            else:
                db.execute(
                    "INSERT INTO settings (key, value) VALUES (?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    [key, value],
                )

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
    def set_status(
        self, item_id: str, status: Status, by: str, expected: Status | None = None
    ) -> bool:
        """Set an item's status in one committed transaction, logging the change.

        Args:
            expected: The status the clerk saw; if the item has another one now (changed
                by another window since), nothing is written and :class:`ChangedUnderneath`
                is raised.

        Returns:
            Whether anything changed (setting the current status again is a no-op).
        """
        change = self.apply_change(
            item_id,
            "status",
            Status(status).value,
            by,
            expected=None if expected is None else Status(expected).value,
        )
        return change is not None

    def save_notes(self, item_id: str, notes: str, by: str, expected: str | None = None) -> bool:
        """Save an item's notes (进展情况) in one committed transaction, logging the change.

        Args:
            expected: The notes as they were when the clerk started typing; if the stored
                notes differ now (saved by another window since), nothing is written and
                :class:`ChangedUnderneath` is raised, so neither version is lost.

        Returns:
            Whether anything changed.
        """
        return self.apply_change(item_id, "notes", notes, by, expected=expected) is not None

    def mark_reviewed(self, item_id: str, day: date, by: str) -> bool:
        """Record that standing work (及时公开, 长期坚持) was reviewed on ``day``.

        Returns:
            Whether anything changed.
        """
        return self.apply_change(item_id, "last_reviewed", day.isoformat(), by) is not None

    def apply_change(
        self,
        item_id: str,
        field: str,
        value: str | None,
        by: str,
        expected: str | None = None,
        kind: str = "edit",
    ) -> ChangeRecord | None:
        """Set one ledger field of an item and log it, in one committed transaction.

        Args:
            item_id: The item.
            field: One of :data:`LEDGER_FIELDS`.
            value: The new value.
            by: The clerk.
            expected: If given, the value the clerk saw: a different stored value (and not
                already ``value``) raises :class:`ChangedUnderneath` and writes nothing.
            kind: ``edit``, or ``undo``/``redo`` for the app's undo keys.

        Returns:
            The logged change, or None when the value was already ``value``.
        """
        if field not in LEDGER_FIELDS:
            raise ValueError(f"not a ledger field: {field}")
        with self.write() as db:
            row = db.execute(f"SELECT {field} FROM items WHERE id = ?", [item_id]).fetchone()
            if row is None:
                raise KeyError(item_id)
            old = row[0]
            if old == value:
                return None
            if expected is not None and old != expected:
                raise ChangedUnderneath(item_id, field, current=old, expected=expected)
            now = self._now()
            db.execute(
                f"UPDATE items SET {field} = ?, updated_at = ?, updated_by = ? WHERE id = ?",
                [value, now, by, item_id],
            )
            if field == "notes":  # keep the search index in step, in the same transaction
                db.execute(
                    "UPDATE items_fts SET notes = ? WHERE rowid = ?", [value, fts_rowid(item_id)]
                )
            change = ChangeRecord(
                id=uuid.uuid4().hex,
                item_id=item_id,
                field=field,
                old_value=old,
                new_value=value,
                changed_at=now,
                by=by,
                session_id=self.session_id,
                kind=kind,
            )
            db["changes"].insert(change.model_dump())
        return change

    def save_draft(
        self, item_id: str, text: str, by: str, base: str | None
    ) -> tuple[ChangeRecord | None, bool]:
        """Save typed notes; if another window saved the notes since ``base``, keep both.

        Returns:
            The logged change (None if nothing changed) and whether the two versions
            had to be merged.
        """
        try:
            return self.apply_change(item_id, "notes", text, by, expected=base), False
        except ChangedUnderneath as conflict:
            merged = merge_notes(
                conflict.current or "", text, by, self.clock().strftime("%Y-%m-%d %H:%M")
            )
            change = self.apply_change(item_id, "notes", merged, by, expected=conflict.current)
            return change, True

    # ------------------------------------------------------------------ sessions
    def begin_session(self, by: str, host: str, pid: int) -> tuple[str, list[SessionRecord]]:
        """Record that an app window opened this database.

        Returns:
            The new session's id, and the earlier sessions that never closed (the app
            was killed, the machine lost power, or another window is still open).
        """
        open_before = [
            SessionRecord(**row)
            for row in self.db.query(
                "SELECT * FROM sessions WHERE ended_at IS NULL ORDER BY started_at"
            )
        ]
        session_id = uuid.uuid4().hex
        with self.write() as db:
            db["sessions"].insert(
                {
                    "id": session_id,
                    "started_at": self._now(),
                    "by": by,
                    "host": host,
                    "pid": pid,
                    "clean": 0,
                }
            )
        self.session_id = session_id
        return session_id, open_before

    def end_session(self, session_id: str, clean: bool = True) -> None:
        """Record that a session ended (cleanly, or found dead by a later one)."""
        with self.write() as db:
            db.execute(
                "UPDATE sessions SET ended_at = ?, clean = ? WHERE id = ? AND ended_at IS NULL",
                [self._now(), int(clean), session_id],
            )

    def session_changes(self, session_id: str) -> list[ChangeRecord]:
        """What a session saved, oldest first."""
        return [
            ChangeRecord(**row)
            for row in self.db.query(
                "SELECT * FROM changes WHERE session_id = ? ORDER BY changed_at, rowid",
                [session_id],
            )
        ]

    def data_version(self) -> int:
        """A number that changes whenever another connection commits (SQLite's own)."""
        return self.db.execute("PRAGMA data_version").fetchone()[0]

    # ------------------------------------------------------------------ snapshot
    def export_snapshot(self, out: Path | str, force: bool = False) -> Path:
        """Write a consistent, self-contained copy of the database to ``out``.

        See :func:`tracker.snapshot.export_snapshot`.
        """
        return snapshot.export_snapshot(self.db.conn, self.path, Path(out), force=force)


_ITEM_JOINS = """FROM items
JOIN key_tasks ON key_tasks.id = items.key_task_id
JOIN categories ON categories.id = key_tasks.category_id
JOIN plans ON plans.id = categories.plan_id"""

# The due date in force: fixed for dated items, the next occurrence for recurring ones.
_DUE = (
    "(CASE WHEN items.deadline_kind = 'recurring' "
    "THEN tracker_next_due(items.deadline_text, plans.year, :today) ELSE items.due_date END)"
)
_WARNING = (
    f"(CASE WHEN items.status = 'done' OR {_DUE} IS NULL THEN 'none' "
    f"WHEN {_DUE} < :today THEN 'overdue' WHEN {_DUE} <= :soon THEN 'due_soon' "
    "ELSE 'on_track' END)"
)
_PROGRESS_COLUMNS = ", ".join(
    [
        "count(items.id) AS total",
        *(f"coalesce(sum(items.status = '{s.value}'), 0) AS s_{s.value}" for s in Status),
        f"coalesce(sum({_WARNING} = 'overdue'), 0) AS overdue",
        f"coalesce(sum({_WARNING} = 'due_soon'), 0) AS due_soon",
    ]
)
# Who answers for which item: units named in it, and members of collectives named in it.
_RESPONSIBLE_CTE = """responsible(unit_id, item_id, role) AS (
    SELECT unit_id, item_id, role FROM item_units
    UNION ALL
    SELECT unit_members.member_id, item_units.item_id, 'collective' FROM item_units
    JOIN unit_members ON unit_members.collective_id = item_units.unit_id
        AND unit_members.member = 1
    WHERE NOT EXISTS (SELECT 1 FROM item_units AS direct
        WHERE direct.item_id = item_units.item_id AND direct.unit_id = unit_members.member_id)
)"""
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
        clauses.append(f"items.status IN ({', '.join(names)})")
    if flt.warnings:
        names = []
        for i, warning in enumerate(sorted(flt.warnings)):
            params[f"warning{i}"] = warning.value
            names.append(f":warning{i}")
        clauses.append(f"{_WARNING} IN ({', '.join(names)})")
    if flt.item_ids is not None:
        params["item_ids"] = json.dumps(sorted(flt.item_ids))
        clauses.append("items.id IN (SELECT value FROM json_each(:item_ids))")
    return " AND ".join(clauses) or "1"


def _progress(row: dict) -> Progress:
    return Progress(
        total=row.pop("total"),
        by_status={s: row.pop(f"s_{s.value}") for s in Status},
        overdue=row.pop("overdue"),
        due_soon=row.pop("due_soon"),
    )


def _with_progress(model: type[_Row], row: dict) -> _Row:
    progress = _progress(row)
    return model(**row, progress=progress)


@lru_cache(maxsize=4096)
def _parsed_deadline(text: str, year: int) -> Deadline:
    return parse_deadline(text, year)


def _next_due_sql(text: str | None, year: int | None, today: str) -> str | None:
    """SQL function ``tracker_next_due``: a recurring deadline's next due date."""
    if text is None or year is None:
        return None
    due = next_due(_parsed_deadline(text, year), date.fromisoformat(today))
    return due.isoformat() if due else None
