"""The local SQLite store: the plan's tasks, their statuses and notes, and the change log.

A thin, typed layer over sqlite-utils that knows nothing of the UI. Every write is
one committed transaction (``BEGIN IMMEDIATE``, so the busy timeout applies to the
read-modify-write as a whole) and appends what it changed to ``changes``.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlite_utils import Database

from tracker.domain.deadlines import Deadline, DeadlineKind, DueWarning, next_due, parse_deadline
from tracker.domain.models import Plan, Status, StoredRecord, as_text, stable_id
from tracker.domain.units import Role, UnitKind, canonical_name
from tracker.services.drafts import merge_notes
from tracker.store import schema, snapshot
from tracker.store.derive import derive_items, ensure_unit
from tracker.store.derive import unit_id as unit_id_of
from tracker.store.search_index import index_notes

BUSY_TIMEOUT_MS = 5000
"""How long a write waits for another process's transaction before giving up."""
DEFAULT_DUE_WINDOW = 14
"""Days before a due date when an open item turns yellow (临期), unless configured."""
REVIEW_PERIODS = ("month", "quarter")
"""Reporting periods in which standing work must be reviewed once."""
LEDGER_FIELDS = ("status", "notes", "last_reviewed")
"""The item fields a clerk edits; every change to them is logged in ``changes``."""

Clock = Callable[[], datetime]


def local_now() -> datetime:
    """The current time in the machine's time zone (the default clock)."""
    return datetime.now().astimezone()


class StoreError(Exception):
    """A database that cannot be used as asked; the message is for the clerk."""


class StoreReadOnly(StoreError):
    """The database can be read but not written (a read-only file or folder, a CD)."""


class StoreBusy(StoreError):
    """Another program held the database's write lock for longer than the busy timeout."""


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True)


_R = TypeVar("_R", bound=StoredRecord)


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


class PlanRecord(StoredRecord):
    """A plan as stored."""

    id: str
    title: str
    year: int
    source: str | None = None
    progress: Progress = Progress()


class CategoryRecord(StoredRecord):
    """A category as stored, with its progress."""

    id: str
    plan_id: str
    seq: int
    no: str | None
    title: str
    progress: Progress = Progress()


class KeyTaskRecord(StoredRecord):
    """A key task as stored, with its progress."""

    id: str
    category_id: str
    seq: int
    title: str
    progress: Progress = Progress()


class ItemRecord(StoredRecord):
    """An item as stored, with where it sits in the plan and its warning today."""

    id: str
    key_task_id: str
    category_id: str
    plan_id: str
    plan_year: int
    seq: int
    outline: str = ""
    """The item's outline number, category.key-task.item (e.g. ``1.2.1``)."""
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

    @model_validator(mode="after")
    def _no_warning_without_due_date(self) -> ItemRecord:
        if "due_date" in self.invalid and self.warning is not DueWarning.NONE:
            object.__setattr__(self, "warning", DueWarning.NONE)  # frozen: set once, here
        return self


class ItemUnit(StoredRecord):
    """A unit named in an item's 责任单位 cell."""

    unit_id: str
    name: str
    kind: UnitKind
    role: Role


class UnitRecord(StoredRecord):
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
    """Only these items."""
    text: str | None = None
    """Only items whose content, key task, category, units or notes contain this text."""
    text_units: frozenset[str] = frozenset()
    """…or that name one of these units (found by the text's pinyin initials)."""
    text_scan: bool = False
    """Match the text by scanning in plan order instead of the trigram index: faster
    when it is common (the scan stops at the first rows asked for)."""

    @property
    def is_empty(self) -> bool:
        """Whether the filter lets every item through."""
        return (
            self.unit_id is None
            and not self.statuses
            and not self.warnings
            and self.item_ids is None
            and not self.text
        )


class ChangeRecord(StoredRecord):
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
    machine_id: str | None = None
    """The database copy (machine) that made it; kept when snapshots are merged."""


class SessionRecord(StoredRecord):
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
        self._machine_id: str | None = None
        self.today_override: date | None = None
        """A fixed "today" for warnings (``--today``, tests); None follows the clock."""
        self.read_only = False
        """Opened for reading only: every write raises :class:`StoreReadOnly`."""
        self.upgrade_backup: Path | None = None
        """The copy of the file kept before this open upgraded its schema, if it did."""
        self._file_id: tuple[int, int] | None = None
        self._file_path: Path | None = None
        db.conn.create_function("tracker_next_due", 3, _next_due_sql, deterministic=True)
        # Text that is not UTF-8 (a hand-edited file; a BLOB joined into text) reads with
        # U+FFFD in place of the bad bytes instead of failing the whole query.
        db.conn.text_factory = _lenient_text

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(
        cls,
        path: Path | str,
        clock: Clock = local_now,
        *,
        read_only: bool | None = None,
        busy_timeout_ms: int = BUSY_TIMEOUT_MS,
    ) -> Store:
        """Open (creating if needed) a tracker database and bring its schema up to date.

        An existing file is first checked through a read-only connection: that it is
        SQLite, intact (``PRAGMA quick_check``), a tracker database and not from a newer
        version. A file that fails is left byte for byte as it was, without even the
        ``-wal``/``-shm`` files SQLite would create. Before an upgrade to a newer schema
        a checked copy is kept beside the file (``<name>.before-v<N>-<time>.db``).

        Args:
            path: The database file.
            clock: Where times come from (tests pass a fixed one).
            read_only: Open for reading only. None decides by whether the file and its
                folder are writable (a snapshot on a CD or a write-protected USB stick).
            busy_timeout_ms: How long to wait for another program's write lock.

        Raises:
            StoreError: the file is not an intact tracker database, is from a newer
                version, or cannot be read, created or upgraded.
            StoreReadOnly: a read-only file would have to be created or upgraded.
            StoreBusy: another program kept the database locked.
        """
        path = Path(path)
        header = _read_header(path)
        if header is None:  # no file yet, or an empty one: a new database
            if read_only:
                raise StoreReadOnly(f"数据库「{path}」不存在，以只读方式无法新建")
            folder = path.absolute().parent
            if folder.is_dir() and not os.access(folder, os.W_OK):
                raise StoreReadOnly(
                    f"无法新建数据库「{path}」：文件夹「{folder}」是只读的，请换一个可写的文件夹"
                )
            return cls._open_writable(path, clock, busy_timeout_ms, checked=True)
        if read_only is None:
            read_only = not _writable(path)
        reader = _connect_read_only(path, wal=header[18] == 2, timeout_ms=busy_timeout_ms)
        try:
            version = _check_tracker_file(reader, path)
        except sqlite3.Error as error:
            # Only a writer can replay the journal a crash left behind (that restores the
            # last commit); the writable connection checks the file again before using it.
            reader.close()
            if read_only:
                raise StoreReadOnly(
                    f"数据库「{path}」上次没有正常关闭，需要先恢复，但文件是只读的；"
                    "请把它复制到可写的文件夹再打开"
                ) from error
            return cls._open_writable(path, clock, busy_timeout_ms, checked=False)
        except BaseException:
            reader.close()
            raise
        if not read_only:
            reader.close()
            return cls._open_writable(path, clock, busy_timeout_ms, checked=True)
        if version < schema.SCHEMA_VERSION:
            # An old snapshot on a CD: upgrade a copy in memory to show it as it is.
            reader = _upgraded_in_memory(reader, path)
        store = cls(Database(reader), path, clock)
        store.read_only = True
        return store

    @classmethod
    def _open_writable(cls, path: Path, clock: Clock, busy_timeout_ms: int, checked: bool) -> Store:
        """Open ``path`` for writing, upgrade it, then switch it to WAL.

        Args:
            checked: Whether a read-only connection has vetted the file already.
        """
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, timeout=busy_timeout_ms / 1000)
        except (OSError, sqlite3.Error) as error:
            reason = error.strerror if isinstance(error, OSError) else error
            raise StoreError(
                f"无法创建或打开数据库「{path}」：{reason}；请确认文件夹存在且可写"
            ) from error
        try:
            store = cls(Database(conn), path, clock)
            if not checked:
                _check_tracker_file(conn, path)
            store.db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            store.db.execute("PRAGMA foreign_keys = ON")
            store._upgrade()
            store.db.enable_wal()
            # A clerk's words outrank a millisecond: fsync the WAL on every commit.
            store.db.execute("PRAGMA synchronous = FULL")
        except BaseException as error:
            conn.close()
            if isinstance(error, sqlite3.Error):
                raise _storage_error(error, path) or StoreError(
                    f"无法打开数据库「{path}」：{error}"
                ) from error
            raise
        store._file_path = path.absolute()
        store._file_id = _file_id(store._file_path)
        return store

    def _upgrade(self) -> None:
        """Apply pending migrations in one transaction, after keeping a copy of the file."""
        if not schema.migrations.pending(self.db):
            return
        conn = self.db.conn
        # The write lock is held throughout: a second window opening the same old file
        # waits here, then finds nothing left to do (and keeps no second copy).
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if schema.migrations.pending(self.db):
                if version >= 1:
                    self.upgrade_backup = self._backup_before_upgrade()
                schema.migrations.apply(self.db)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            raise

    def _backup_before_upgrade(self) -> Path:
        """Copy the file, as last committed, to ``<name>.before-v<N>-<time>.db`` beside it.

        Raises:
            StoreError: if the copy cannot be written or does not check out.
        """
        assert self.path is not None
        stem = f"{self.path.stem}.before-v{schema.SCHEMA_VERSION}-{self.clock():%Y%m%d-%H%M%S}"
        target = self.path.with_name(f"{stem}.db")
        n = 2
        while target.exists():
            target = self.path.with_name(f"{stem}-{n}.db")
            n += 1
        # A second connection reads the committed file; this one holds the write lock,
        # so nothing changes between the copy and the upgrade.
        reader = sqlite3.connect(_read_only_uri(self.path), uri=True)
        try:
            snapshot.export_snapshot(reader, self.path, target)
        except snapshot.SnapshotError as error:
            raise StoreError(
                f"升级数据库格式前无法保存备份「{target}」：{error}。数据库没有升级，内容未作改动；"
                "请确认该文件夹可写、磁盘有空间后重试"
            ) from error
        finally:
            reader.close()
        return target

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    @contextmanager
    def write(self) -> Iterator[Database]:
        """One committed write transaction, taken with ``BEGIN IMMEDIATE``.

        Taking the write lock up front means the busy timeout covers the whole
        read-modify-write, and a failure rolls everything back.

        Raises:
            StoreReadOnly: the store was opened read-only (nothing is attempted).
            StoreBusy: another program kept the write lock past the busy timeout.
            StoreError: the disk is full, the file was moved or deleted, or an I/O
                error; the transaction was rolled back, so the file is as it was.
        """
        if self.read_only:
            raise StoreReadOnly(_read_only_message(self.path))
        if self._file_path is not None and _file_id(self._file_path) != self._file_id:
            # Writing on would go to a deleted file (or a replaced one's old copy): lost.
            raise StoreError(_moved_message(self.path))
        conn = self.db.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            yield self.db
            conn.execute("COMMIT")
        except BaseException as error:
            # Some errors (SQLITE_FULL, an I/O error) end the transaction themselves;
            # a second ROLLBACK would hide the real error.
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            translated = _storage_error(error, self.path, saving=True)
            if translated is None:
                raise
            raise translated from error

    def _now(self) -> str:
        return self.clock().isoformat(timespec="seconds")

    # ------------------------------------------------------------------ import
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
                "SELECT items.id FROM items JOIN key_tasks ON key_tasks.id = items.key_task_id "
                "JOIN categories ON categories.id = key_tasks.category_id "
                "WHERE categories.plan_id = ?",
                [plan_id],
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
            row.pop("plan_id"): _progress(row)
            for row in self.db.query(
                f"SELECT plan_id, {_PROGRESS} FROM ({_rows(where)}) GROUP BY plan_id", params
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
                f"SELECT {_PROGRESS} FROM ({_rows(f'plans.id = :plan AND {where}')})", params
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
            "categories.title, progress.* FROM categories JOIN ("
            f"SELECT category_id, {_PROGRESS} FROM "
            f"({_rows(f'categories.plan_id = :plan AND {where}')}) GROUP BY category_id"
            ") AS progress ON progress.category_id = categories.id ORDER BY categories.seq",
            params,
        )
        return [_with_progress(CategoryRecord, _drop(row, "category_id")) for row in rows]

    def category(self, category_id: str, flt: ItemFilter | None = None) -> CategoryRecord:
        """One category, with progress under the filter."""
        where, params = self._params(flt)
        params["category"] = category_id
        row = next(
            self.db.query(
                "SELECT categories.id, categories.plan_id, categories.seq, categories.no, "
                f"categories.title, progress.* FROM categories, (SELECT {_PROGRESS} FROM "
                f"({_rows(f'key_tasks.category_id = :category AND {where}')})) AS progress "
                "WHERE categories.id = :category",
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
            f"progress.* FROM key_tasks JOIN (SELECT key_task_id, {_PROGRESS} FROM "
            f"({_rows(f'key_tasks.category_id = :category AND {where}')}) GROUP BY key_task_id"
            ") AS progress ON progress.key_task_id = key_tasks.id ORDER BY key_tasks.seq",
            params,
        )
        return [_with_progress(KeyTaskRecord, _drop(row, "key_task_id")) for row in rows]

    def key_task(self, key_task_id: str, flt: ItemFilter | None = None) -> KeyTaskRecord:
        """One key task, with progress under the filter."""
        where, params = self._params(flt)
        params["key_task"] = key_task_id
        row = next(
            self.db.query(
                "SELECT key_tasks.id, key_tasks.category_id, key_tasks.seq, key_tasks.title, "
                f"progress.* FROM key_tasks, (SELECT {_PROGRESS} FROM "
                f"({_rows(f'items.key_task_id = :key_task AND {where}')})) AS progress "
                "WHERE key_tasks.id = :key_task",
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
            order_by += " LIMIT :limit"
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
            "categories.seq || '.' || key_tasks.seq || '.' || items.seq AS outline, "
            f"categories.title AS category_title {_ITEM_JOINS} WHERE {where} "
            f"ORDER BY {order_by}",
            params,
        )
        return [ItemRecord(**{**row, "due_date": row.pop("due")}) for row in rows]

    def item_by_outline(self, plan_id: str, outline: str) -> ItemRecord:
        """An item by its outline number (``1.2.1``) in a plan.

        Raises:
            KeyError: if the plan has no such item.
        """
        parts = outline.strip().split(".")
        if len(parts) != 3 or not all(p.isdigit() for p in parts):
            raise KeyError(outline)
        _, params = self._params(None)
        params.update({"plan": plan_id, "c": int(parts[0]), "k": int(parts[1]), "i": int(parts[2])})
        found = self._items(
            "plans.id = :plan AND categories.seq = :c AND key_tasks.seq = :k AND items.seq = :i",
            params,
            None,
        )
        if not found:
            raise KeyError(outline)
        return found[0]

    def resolve_plan(self, spec: str | None) -> PlanRecord:
        """The plan a clerk means: an id (or its first characters), a title, or a year.

        None means the newest plan.

        Raises:
            KeyError: with a message listing the plans when none or several match.
        """
        plans = self.plan_list()
        if not plans:
            raise KeyError("数据库中没有分工表")
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
            raise KeyError(f"没有与「{spec}」对应的分工表。现有：{listing}")
        raise KeyError(f"「{spec}」对应多份分工表，请用编号区分：{listing}")

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
            if row["status"] in counts:  # a status no clerk could set is no status
                counts[Status(row["status"])] = row["n"]
        return counts

    # ------------------------------------------------------------------ units
    def units(self, plan_id: str | None = None) -> list[UnitRecord]:
        """The units with the progress of the items they answer for, concrete units
        first, by name: with ``plan_id``, only the units of that plan (named in it, or
        answering for its items through a collective it names); else every unit."""
        _, params = self._params(None)
        plan_clause = "1"
        if plan_id is not None:
            params["plan"] = plan_id
            plan_clause = "plans.id = :plan"
        rows = self.db.query(
            f"WITH {_RESPONSIBLE_CTE} "
            "SELECT units.id, units.name, units.kind, units.initials, "
            f"coalesce(progress.total, 0) AS total, "
            + ", ".join(f"coalesce(progress.s_{s.value}, 0) AS s_{s.value}" for s in Status)
            + ", coalesce(progress.overdue, 0) AS overdue, "
            "coalesce(progress.due_soon, 0) AS due_soon, coalesce(progress.lead, 0) AS lead "
            "FROM units LEFT JOIN ("
            f"SELECT unit_id, {_PROGRESS}, sum(role = 'lead') AS lead FROM ("
            f"SELECT responsible.unit_id, responsible.role, items.status AS status, {_DUE} AS due "
            f"FROM responsible JOIN items ON items.id = responsible.item_id "
            "JOIN key_tasks ON key_tasks.id = items.key_task_id "
            "JOIN categories ON categories.id = key_tasks.category_id "
            f"JOIN plans ON plans.id = categories.plan_id WHERE {plan_clause}"
            ") GROUP BY unit_id) AS progress ON progress.unit_id = units.id "
            + ("WHERE progress.total > 0 " if plan_id is not None else "")
            + "ORDER BY units.kind DESC, units.name",
            params,
        )
        return [_with_progress(UnitRecord, row) for row in rows]

    def units_in_plan_order(self, plan_id: str) -> list[str]:
        """The ids of the units a plan names, in the order the plan first names them.

        A unit reached only through a collective (a township through 各乡镇街委) comes
        where the plan first names that collective, after the units named there, by
        pinyin initials.
        """
        rows = self.db.execute(
            "WITH direct AS (SELECT item_units.unit_id AS unit_id, "
            "min(printf('%08d.%08d.%08d.%04d', categories.seq, key_tasks.seq, items.seq, "
            "item_units.position)) AS place "
            "FROM item_units JOIN items ON items.id = item_units.item_id "
            "JOIN key_tasks ON key_tasks.id = items.key_task_id "
            "JOIN categories ON categories.id = key_tasks.category_id "
            "WHERE categories.plan_id = ? GROUP BY item_units.unit_id) "
            "SELECT unit_id, place, '' FROM direct UNION ALL "
            "SELECT unit_members.member_id, direct.place || '~', "
            "coalesce(units.initials, '') || units.name FROM unit_members "
            "JOIN direct ON direct.unit_id = unit_members.collective_id "
            "JOIN units ON units.id = unit_members.member_id WHERE unit_members.member = 1",
            [plan_id],
        ).fetchall()
        first: dict[str, tuple[str, str]] = {}
        for unit_id, place, tie in rows:
            key = (place, tie)
            if unit_id not in first or key < first[unit_id]:
                first[unit_id] = key
        return sorted(first, key=first.__getitem__)

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
        return [as_text(row[0]) for row in rows]  # a merged file may hold a non-text name

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

    def aliases(self) -> dict[str, str]:
        """The clerk's unit aliases: another spelling → the name it means."""
        return dict(self.db.execute("SELECT alias, name FROM unit_aliases ORDER BY alias"))

    def set_alias(self, alias: str, name: str | None) -> int:
        """Make ``alias`` mean unit ``name`` in every plan (None forgets the alias), and
        re-read every item's units so the two spellings become one unit.

        Returns:
            How many items were re-read.

        Raises:
            ValueError: an empty name, or an alias of itself.
        """
        alias, target = canonical_name(alias), canonical_name(name) if name else None
        if not alias or (name is not None and not target):
            raise ValueError("别名和单位名称都不能为空")
        if alias == target:
            raise ValueError("别名与单位名称相同")
        with self.write() as db:
            if target is None:
                db.execute("DELETE FROM unit_aliases WHERE alias = ?", [alias])
            else:
                db.execute(
                    "INSERT INTO unit_aliases (alias, name) VALUES (?, ?) "
                    "ON CONFLICT (alias) DO UPDATE SET name = excluded.name",
                    [alias, target],
                )
            ids = [row[0] for row in db.execute("SELECT id FROM items")]
            derive_items(db, ids)
            # The alias's own unit answers for nothing now: drop it unless configured.
            db.execute(
                "DELETE FROM unit_members WHERE source = 'default' AND (member_id = :u "
                "OR collective_id = :u) AND NOT EXISTS (SELECT 1 FROM item_units "
                "WHERE unit_id = :u)",
                {"u": unit_id_of(alias)},
            )
            db.execute(
                "DELETE FROM units WHERE id = :u AND NOT EXISTS (SELECT 1 FROM item_units "
                "WHERE unit_id = :u) AND NOT EXISTS (SELECT 1 FROM unit_members "
                "WHERE member_id = :u OR collective_id = :u)",
                {"u": unit_id_of(alias)},
            )
        return len(ids)

    # ------------------------------------------------------------------ settings
    def setting(self, key: str) -> str | None:
        """A remembered setting (my unit, the warning window, ...), or None."""
        row = self.db.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
        return row[0] if row and isinstance(row[0], str) else None  # text, or not set

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
                index_notes(db, item_id, value)
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
                machine_id=self.machine_id,
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

    @property
    def machine_id(self) -> str | None:
        """This database copy's id, recorded with every change it makes."""
        if self._machine_id is None:
            self._machine_id = self.setting("machine_id")
        return self._machine_id

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

    @classmethod
    def reopen_for_thread(cls, store: Store, busy_timeout_ms: int = 300) -> Store:
        """A second writable connection to ``store``'s file, for another thread (the exit
        deadline, saving while the app's thread is busy). No checks, no upgrade: the file
        was opened and checked already. Never creates the file (nor its folder) again.

        Raises:
            StoreError: the file is gone or cannot be opened.
        """
        if store.path is None or not store.path.exists():
            raise StoreError(f"数据库「{store.path}」已不存在")
        other = cls._open_writable(store.path, store.clock, busy_timeout_ms, checked=True)
        other.session_id = store.session_id
        other.today_override = store.today_override
        return other

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

        See :func:`tracker.store.snapshot.export_snapshot`.
        """
        return snapshot.export_snapshot(self.db.conn, self.path, Path(out), force=force)

    # ------------------------------------------------------------------ members
    def membership_ids(self, unit_id: str) -> frozenset[str]:
        """The ids of a collective's members, or of the collectives a concrete unit
        belongs to (:meth:`memberships` gives their names)."""
        rows = self.db.execute(
            "SELECT CASE WHEN member_id = :u THEN collective_id ELSE member_id END "
            "FROM unit_members WHERE (member_id = :u OR collective_id = :u) AND member = 1",
            {"u": unit_id},
        ).fetchall()
        return frozenset(row[0] for row in rows)


_ITEM_JOINS = """FROM items
JOIN key_tasks ON key_tasks.id = items.key_task_id
JOIN categories ON categories.id = key_tasks.category_id
JOIN plans ON plans.id = categories.plan_id"""

# The due date in force: fixed for dated items, the next occurrence for recurring ones.
_DUE = (
    "(CASE WHEN items.deadline_kind = 'recurring' "
    "THEN tracker_next_due(items.deadline_text, plans.year, :today) "
    # A stored due date that is no date (a hand-edited file) is no due date.
    "WHEN typeof(items.due_date) = 'text' AND items.due_date GLOB "
    "'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' THEN items.due_date END)"
)
# Done work and work the clerk marked 持续推进 (standing) are never overdue or due soon.
_WARNING = (
    f"(CASE WHEN items.status IN ('done', 'ongoing') OR {_DUE} IS NULL THEN 'none' "
    f"WHEN {_DUE} < :today THEN 'overdue' WHEN {_DUE} <= :soon THEN 'due_soon' "
    "ELSE 'on_track' END)"
)
# Progress figures over the rows of _rows(): the due date is computed once per item.
_PROGRESS = ", ".join(
    [
        "count(*) AS total",
        *(f"coalesce(sum(status = '{s.value}'), 0) AS s_{s.value}" for s in Status),
        "coalesce(sum(status NOT IN ('done', 'ongoing') AND due < :today), 0) AS overdue",
        "coalesce(sum(status NOT IN ('done', 'ongoing') AND due >= :today AND due <= :soon), 0)"
        " AS due_soon",
    ]
)


def _rows(where: str) -> str:
    """One row per item matching ``where``: its status, due date in force and place."""
    return (
        f"SELECT items.status AS status, {_DUE} AS due, plans.id AS plan_id, "
        "categories.id AS category_id, items.key_task_id AS key_task_id "
        f"{_ITEM_JOINS} WHERE {where}"
    )


def _drop(row: dict, key: str) -> dict:
    row.pop(key, None)
    return row


# Who answers for which item: units named in it, and members of collectives named in it.
_RESPONSIBLE_CTE = """responsible(unit_id, item_id, role) AS (
    SELECT unit_id, item_id, role FROM item_units
    UNION ALL
    SELECT DISTINCT unit_members.member_id, item_units.item_id, 'collective' FROM item_units
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
        # A quoted phrase: the trigram tokenizer then matches it as a substring.
        params["text_fts"] = '"' + text.replace('"', '""') + '"'
        match = "items.id IN (SELECT item_id FROM items_fts WHERE items_fts MATCH :text_fts)"
    else:
        params["text"] = text
        match = (
            "(instr(items.content, :text) OR instr(items.notes, :text) "
            "OR instr(items.units_text, :text) OR instr(key_tasks.title, :text) "
            "OR instr(categories.title, :text))"
        )
    if flt.text_units:
        params["text_units"] = json.dumps(sorted(flt.text_units))
        match = (
            f"({match} OR items.id IN (SELECT item_id FROM item_units WHERE unit_id IN "
            "(SELECT value FROM json_each(:text_units))))"
        )
    return match


def _progress(row: dict) -> Progress:
    return Progress(
        total=row.pop("total"),
        by_status={s: row.pop(f"s_{s.value}") for s in Status},
        overdue=row.pop("overdue"),
        due_soon=row.pop("due_soon"),
    )


def _with_progress(model: type[_R], row: dict) -> _R:
    progress = _progress(row)
    return model.model_validate({**row, "progress": progress})


@lru_cache(maxsize=4096)
def _parsed_deadline(text: str, year: int) -> Deadline:
    return parse_deadline(text, year)


def _lenient_text(raw: bytes) -> str:
    return str(raw, "utf-8", "replace")


@lru_cache(maxsize=4096)
def _next_due_sql(text: object, year: object, today: str) -> str | None:
    """SQL function ``tracker_next_due``: a recurring deadline's next due date."""
    if not isinstance(text, str) or not isinstance(year, int):
        return None
    try:
        due = next_due(_parsed_deadline(text, year), date.fromisoformat(today))
    except (ValueError, OverflowError):  # a year no calendar has
        return None
    return due.isoformat() if due else None


# ---------------------------------------------------------------------- opening files
_SQLITE_MAGIC = b"SQLite format 3\x00"
QUICK_CHECK_MAX_BYTES = 64 * 1024 * 1024
"""Files up to this size are read in full (``PRAGMA quick_check``) before each open."""


def _read_header(path: Path) -> bytes | None:
    """The first 100 bytes of an existing database file.

    Returns:
        None for a new database: no file, or an empty one (SQLite treats it as new).

    Raises:
        StoreError: for a folder, an unreadable file, or one that is not SQLite at all.
    """
    if path.is_dir():
        raise StoreError(f"「{path}」是一个文件夹，请给出数据库文件的路径（如 台账.db）")
    try:
        with path.open("rb") as handle:
            header = handle.read(100)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise StoreError(f"无法读取「{path}」：{error.strerror or error}") from error
    if not header:
        return None
    if not header.startswith(_SQLITE_MAGIC):
        raise StoreError(f"「{path}」不是 tracker 数据库（不是 SQLite 数据库文件），未做任何改动")
    if len(header) < 100:
        raise StoreError(_damaged_message(path, "文件头不完整"))
    # Cut short (a full USB stick, an interrupted copy)? Without a -wal file, the file
    # holds at least the pages its header counts.
    if not Path(f"{path}-wal").exists() and _header_size(header) > _file_size(path):
        raise StoreError(_damaged_message(path, "文件比它记录的大小短，复制可能没有完成"))
    return header


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _header_size(header: bytes) -> int:
    """The database size the header records, in bytes (0 if it records none)."""
    page_size = int.from_bytes(header[16:18], "big")
    pages = int.from_bytes(header[28:32], "big")
    # The count is valid only if written with the current change counter.
    if header[92:96] != header[24:28]:
        return 0
    return pages * (65536 if page_size == 1 else page_size)


def _writable(path: Path) -> bool:
    """Whether SQLite could write the file: the file and its folder (for the journal or
    WAL beside it) must both be writable. A read-only mount says no even to root."""
    return os.access(path, os.W_OK) and os.access(path.absolute().parent, os.W_OK)


def _file_id(path: Path) -> tuple[int, int] | None:
    """Which file is at ``path`` (device and inode), or None if there is none."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


def _read_only_uri(path: Path, immutable: bool = False) -> str:
    uri = f"{path.absolute().as_uri()}?mode=ro"
    return f"{uri}&immutable=1" if immutable else uri


def _connect_read_only(path: Path, wal: bool, timeout_ms: int) -> sqlite3.Connection:
    """A connection that cannot write ``path`` nor create anything beside it."""
    # Even a read-only connection to a WAL file creates -wal and -shm files. With
    # neither present, everything is in the file itself and no other program has it
    # open, so SQLite may treat it as immutable and create nothing.
    immutable = wal and not any(
        Path(f"{path}{suffix}").exists() for suffix in ("-wal", "-shm", "-journal")
    )
    return sqlite3.connect(_read_only_uri(path, immutable), uri=True, timeout=timeout_ms / 1000)


def _upgraded_in_memory(reader: sqlite3.Connection, path: Path) -> sqlite3.Connection:
    """A copy in memory of an old read-only database, upgraded to the current schema.

    The copy refuses writes (``query_only``); ``reader`` is closed.
    """
    memory = sqlite3.connect(":memory:")
    try:
        reader.backup(memory)
        db = Database(memory)
        db.execute("PRAGMA foreign_keys = ON")
        schema.migrations.apply(db)
        db.execute("PRAGMA query_only = ON")
    except sqlite3.Error as error:
        memory.close()
        raise _storage_error(error, path) or StoreError(
            f"无法读取旧格式的只读数据库「{path}」：{error}"
        ) from error
    finally:
        reader.close()
    return memory


def _check_tracker_file(conn: sqlite3.Connection, path: Path) -> int:
    """Check that ``conn`` reads an intact tracker database this version understands.

    Returns:
        Its schema version (0 for an empty database).

    Raises:
        StoreError: another program's database, a damaged one or a newer one.
        StoreBusy: another program kept it locked.
        sqlite3.Error: an ``SQLITE_READONLY`` error: only a writer can read the file
            (it must replay what a crash left in its journal first).
    """
    try:
        version, tables, ours = schema.identify(conn)
        # Every page is read: 0.05 s at 10,000 items, 0.5 s at 100,000. Above the limit
        # the header's size check and the reads above have to do.
        checked = _file_size(path) <= QUICK_CHECK_MAX_BYTES
        problems = [row[0] for row in conn.execute("PRAGMA quick_check")] if checked else ["ok"]
    except sqlite3.Error as error:
        if _error_code(error) & 0xFF == sqlite3.SQLITE_READONLY:
            raise
        raise _storage_error(error, path) or StoreError(f"无法读取「{path}」：{error}") from error
    if problems != ["ok"]:
        raise StoreError(_damaged_message(path, "；".join(problems[:3])))
    if version > schema.SCHEMA_VERSION:
        raise StoreError(
            f"数据库「{path}」由更新版本的 tracker 创建（格式版本 {version}，"
            f"本程序支持到 {schema.SCHEMA_VERSION}），请升级 tracker 后再打开；文件未做任何改动"
        )
    if not ours and not (version == 0 and tables <= {"_sqlite_migrations"}):
        raise StoreError(f"「{path}」是其他程序的 SQLite 数据库，不是 tracker 数据库，未做任何改动")
    return version


# ---------------------------------------------------------------------- errors for the clerk
def _error_code(error: sqlite3.Error) -> int:
    return getattr(error, "sqlite_errorcode", None) or 0


def _damaged_message(path: Path | None, detail: object) -> str:
    return (
        f"「{path}」已损坏或不完整（{detail}），不是可用的 tracker 数据库，未做任何改动。"
        "可以用导出的快照或升级前自动保存的备份（*.before-v*.db）恢复"
    )


def _read_only_message(path: Path | None) -> str:
    return (
        f"数据库是只读的（{path}）：文件或所在文件夹不可写（如光盘、写保护的U盘），"
        "只能查看，不能保存修改。如需修改，请先把文件复制到可写的文件夹"
    )


def _moved_message(path: Path | None) -> str:
    return (
        f"数据库文件「{path}」已不在原处（可能被移动、改名、删除，或U盘已拔出），"
        "这次的修改没有保存；请找回文件后重新打开 tracker"
    )


def _storage_error(
    error: BaseException, path: Path | None, saving: bool = False
) -> StoreError | None:
    """The clerk's message for a failure of the file, the disk or a lock.

    Args:
        saving: Whether a write failed (the message then says it was not saved).

    Returns:
        None for any other error (a bug, which should surface as it is).
    """
    unsaved = "；这次的修改没有保存，数据库保持修改前的样子" if saving else ""
    if isinstance(error, OSError):
        return StoreError(f"读写数据库「{path}」失败：{error.strerror or error}{unsaved}")
    if not isinstance(error, sqlite3.Error):
        return None
    code = _error_code(error)
    primary = code & 0xFF
    if primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return StoreBusy(f"另一个程序正在写入该数据库，请稍后重试（{path}）")
    if code == sqlite3.SQLITE_READONLY_DBMOVED:
        return StoreError(_moved_message(path))
    if primary == sqlite3.SQLITE_READONLY:
        return StoreReadOnly(_read_only_message(path))
    if primary == sqlite3.SQLITE_FULL:
        return StoreError(f"磁盘空间已满，无法写入数据库「{path}」{unsaved}。请清理磁盘空间后重试")
    if primary in (sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN):
        return StoreError(
            f"读写数据库「{path}」时出错（文件夹可能已被移走或删除，或U盘已拔出）：{error}{unsaved}"
        )
    if primary in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        if saving:
            return StoreError(f"数据库「{path}」已损坏（{error}）{unsaved}；请用导出的快照恢复")
        return StoreError(_damaged_message(path, error))
    return None
