"""Reading a snapshot from another machine without trusting it.

A snapshot arrives by USB stick or e-mail: anything in it may be wrong or hostile. This
module is the only code that reads one, and it never runs the file's SQL:

* the file is opened read-only with ``PRAGMA trusted_schema = OFF`` and
  ``query_only``; only explicit columns of known tables are read (never a view, a
  trigger, a virtual or ``WITHOUT ROWID`` table, or a generated column);
* its schema is compared with the one our own migrations create for its version, and
  a file that differs (a missing table or column, a view where a table should be) is
  refused, naming what differs;
* an old-version file is never upgraded in place or as a copy of itself: one that
  already has every column a merge reads (schema 4 on) is read as it is; an older one
  has its raw rows copied into a fresh schema created by our code, which our
  migrations then upgrade (so triggers or views shipped in the file never fire);
* each table's size is bounded (:data:`MAX_CHANGES`, :data:`MAX_ROWS`);
* every value a merge would write is checked (:func:`check_change`,
  :func:`check_conflict`, :func:`check_machine`): a bad one is skipped and reported.

Knows nothing of the UI.
"""

from __future__ import annotations

import re
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path

from sqlite_utils import Database

from tracker.domain.models import Status
from tracker.errors import BadFile
from tracker.store import LEDGER_FIELDS, StoreError, schema

MAX_CHANGES = 500_000
"""Most changes a snapshot may hold (a district's year is a few thousand)."""
MAX_ROWS = 500_000
"""Most rows any other table of a snapshot may hold."""
MAX_FILE_BYTES = 1_000_000_000
"""Largest snapshot file (300,000 changes take about 110 MB)."""
MAX_NOTES = 200_000
"""Longest 进展情况 (characters) a merged change may carry."""
MAX_NAME = 200
"""Longest clerk, machine or unit name (characters)."""
MAX_ID = 100
"""Longest id (change, item, machine, session, conflict)."""
MAX_TIME = 64
"""Longest time stamp."""
SHOWN_REASONS = 3
"""How many reasons a summary shows for skipped records."""

CHANGE_COLUMNS = (
    "id",
    "item_id",
    "field",
    "old_value",
    "new_value",
    "changed_at",
    "by",
    "session_id",
    "kind",
    "machine_id",
)
CONFLICT_COLUMNS = (
    "id",
    "item_id",
    "field",
    "ours_change_id",
    "theirs_change_id",
    "ours_value",
    "theirs_value",
    "detected_at",
    "merge_id",
    "resolved_at",
    "resolved_by",
    "resolution",
)
_SQLITE_MAGIC = b"SQLite format 3\x00"
_CORE_TABLES = frozenset({"plans", "categories", "key_tasks", "items", "changes"})
"""Tables every tracker database has had since schema 1."""
_STATUS_CODES = frozenset(s.value for s in Status)
_KIND = re.compile(r"[a-z_]{1,20}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_VISIBLE = str.maketrans(
    {**{c: 0x2400 + c for c in range(0x20)}, 0x7F: 0x2421, **{c: 0xFFFD for c in range(0x80, 0xA0)}}
)


class SnapshotRefused(StoreError, BadFile):
    """A file that cannot be merged (not a snapshot, another plan, a newer version...).

    Nothing was written; the message is for the clerk.
    """


# ---------------------------------------------------------------------- values
def shown(value: object, width: int = 20) -> str:
    """A value from a file as a short, printable phrase for a message."""
    if value is None:
        return "空值"
    if isinstance(value, bytes):
        return f"二进制数据（{len(value)} 字节）"
    if isinstance(value, int | float):
        return f"数字 {value!r}"
    text = str(value).translate(_VISIBLE)
    return f"「{text[:width]}…」" if len(text) > width else f"「{text}」"


def instant(changed_at: str) -> datetime:
    """A change's time as an aware datetime (a time without offset is read as UTC), so
    times from clerks in different time zones compare as instants.

    Raises:
        ValueError: not an ISO 8601 time (or out of range).
    """
    try:
        when = datetime.fromisoformat(changed_at)
    except OverflowError as error:
        raise ValueError(str(error)) from error
    # Aware times compare as instants whatever their offsets: no conversion needed.
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


def _is_id(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_ID and value.isprintable()


def _is_name(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_NAME


def check_value(field: str, value: object, *, required: bool = False) -> str | None:
    """Why a field's value cannot be stored, or None when it can."""
    label = {"status": "状态", "notes": "进展情况", "last_reviewed": "检查日期"}[field]
    if value is None:
        return f"{label}为空值" if required else None
    if not isinstance(value, str):
        return f"{label}不是文本（{shown(value)}）"
    if field == "status":
        if value not in _STATUS_CODES:
            return f"无法识别的状态{shown(value)}"
    elif field == "last_reviewed":
        try:
            valid = bool(_DATE.fullmatch(value)) and date.fromisoformat(value) is not None
        except ValueError:
            valid = False
        if not valid:
            return f"检查日期{shown(value)}不是日期（应为 2023-08-25 的形式）"
    elif len(value) > MAX_NOTES:
        return f"进展情况过长（{len(value)} 字，最多 {MAX_NOTES} 字）"
    return None


def check_change(row: tuple, items: set[str] | frozenset[str] | None) -> str | None:
    """Why a change (a row of :data:`CHANGE_COLUMNS`) cannot be merged, or None.

    Args:
        items: The ids of the items this database has (None: not checked).
    """
    change_id, item_id, field, old, new, changed_at, by, session_id, kind, machine_id = row
    if not _is_id(change_id):
        return f"修改编号无效（{shown(change_id)}）"
    if not isinstance(item_id, str) or (items is not None and item_id not in items):
        return f"对应的具体任务 {shown(item_id)} 本数据库没有"
    if field not in LEDGER_FIELDS:
        return f"未知的字段{shown(field)}"
    reason = check_value(field, new, required=field == "status") or check_value(field, old)
    if reason:
        return reason
    if not isinstance(changed_at, str) or len(changed_at) > MAX_TIME:
        return f"修改时间无法识别（{shown(changed_at)}）"
    try:
        instant(changed_at)
    except ValueError:
        return f"修改时间{shown(changed_at)}无法识别"
    if not _is_name(by):
        return f"经办人无效（{shown(by)}）"
    if session_id is not None and not _is_id(session_id):
        return f"会话编号无效（{shown(session_id)}）"
    if not isinstance(kind, str) or not _KIND.fullmatch(kind):
        return f"修改类型无效（{shown(kind)}）"
    if machine_id is not None and not _is_id(machine_id):
        return f"机器编号无效（{shown(machine_id)}）"
    return None


def check_conflict(row: dict, items: set[str] | frozenset[str]) -> str | None:
    """Why a snapshot's ``conflicts`` row cannot be taken over, or None."""
    if not all(_is_id(row[k]) for k in ("id", "ours_change_id", "theirs_change_id")):
        return "冲突记录的编号无效"
    if not isinstance(row["item_id"], str) or row["item_id"] not in items:
        return f"冲突记录对应的具体任务 {shown(row['item_id'])} 本数据库没有"
    field = row["field"]
    if field not in LEDGER_FIELDS:
        return f"冲突记录的字段{shown(field)}未知"
    reason = check_value(field, row["ours_value"]) or check_value(field, row["theirs_value"])
    if reason:
        return f"冲突记录：{reason}"
    for key in ("detected_at", "resolved_at"):
        value = row[key]
        if value is None and key == "resolved_at":
            continue
        if not isinstance(value, str) or len(value) > MAX_TIME:
            return f"冲突记录的时间无法识别（{shown(value)}）"
        try:
            instant(value)
        except ValueError:
            return f"冲突记录的时间{shown(value)}无法识别"
    if row["resolved_at"] is not None and (
        row["resolution"] not in ("ours", "theirs", "both") or not _is_name(row["resolved_by"])
    ):
        return "冲突记录的处理结果无效"
    if row["merge_id"] is not None and not _is_id(row["merge_id"]):
        return "冲突记录的合并编号无效"
    return None


def check_machine(row: dict) -> str | None:
    """Why a ``machines`` row cannot be taken over, or None."""
    if not _is_id(row["id"]):
        return f"机器编号无效（{shown(row['id'])}）"
    if row["name"] is not None and not _is_name(row["name"]):
        return f"机器名称无效（{shown(row['name'])}）"
    if not isinstance(row["first_seen"], str) or len(row["first_seen"]) > MAX_TIME:
        return f"机器记录的时间无效（{shown(row['first_seen'])}）"
    return None


# ---------------------------------------------------------------------- the schema we expect
@cache
def expected_schema(version: int) -> dict[str, tuple[str, ...]]:
    """The tables and columns our own migrations create up to ``version``.

    The search index (a virtual table, derived) is left out: it is never read.
    """
    names = [m.name for m in schema.migrations._migrations]
    with closing(sqlite3.connect(":memory:")) as conn:
        db = Database(conn)
        schema.migrations.apply(db, stop_before=names[version] if version < len(names) else None)
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'items_fts%'"
            )
        ]
        return {
            table: tuple(row[1] for row in conn.execute(f'PRAGMA table_info("{table}")'))
            for table in tables
        }


def schema_differences(conn: sqlite3.Connection, version: int) -> list[str]:
    """What in the file's schema differs from ours at its version (empty when nothing).

    Extra tables and columns are no difference: they are never read.
    """
    objects = {
        row[0]: (row[1], row[2] or "")
        for row in conn.execute("SELECT name, type, sql FROM sqlite_master")
        if isinstance(row[0], str)
    }
    found: list[str] = []
    for table, columns in expected_schema(version).items():
        kind, sql = objects.get(table, (None, ""))
        if kind is None:
            found.append(f"缺少表 {table}")
            continue
        if kind != "table":
            found.append(f"{table} 是{'视图' if kind == 'view' else kind}而不是表")
            continue
        flat = " ".join(sql.upper().split())
        if flat.startswith("CREATE VIRTUAL TABLE"):
            found.append(f"{table} 是虚拟表")
            continue
        if "WITHOUT ROWID" in flat:
            found.append(f"{table} 是 WITHOUT ROWID 表")
            continue
        info = {row[1]: row[6] for row in conn.execute(f'PRAGMA table_xinfo("{table}")')}
        missing = [c for c in columns if c not in info]
        if missing:
            found.append(f"表 {table} 缺少列 {'、'.join(missing)}")
        computed = [c for c in columns if info.get(c, 0) not in (0, None)]
        if computed:
            found.append(f"表 {table} 的列 {'、'.join(computed)} 是计算列")
    return found


# ---------------------------------------------------------------------- opening
def _text(raw: bytes) -> str | bytes:
    """Text as stored; bytes that are not UTF-8 stay bytes (and are refused as values)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw


class Source:
    """A snapshot, vetted, read through explicit columns of known tables only."""

    def __init__(
        self, conn: sqlite3.Connection, path: Path, version: int, skipped: list[str] | None = None
    ) -> None:
        self.conn = conn
        self.path = path
        self.version = version
        """The schema version of the file as handed in (the rows read are current)."""
        self.skipped = skipped or []
        """Why each change left out while an old file was brought up to date was bad."""

    def cursor(self, table: str, columns: tuple[str, ...], order: str = "") -> Iterator[tuple]:
        """Rows of a known table: the columns named, nothing else.

        Text is read the fast way; should some not be UTF-8, the query is run again
        from where it stopped with text read one value at a time (bad text as bytes).
        """
        names = ", ".join(f'"{c}"' for c in columns)
        sql = f'SELECT {names} FROM "{table}" {order}'
        done = 0
        try:
            cursor = self.conn.execute(sql)
            while batch := cursor.fetchmany(2000):
                yield from batch
                done += len(batch)
            return
        except sqlite3.OperationalError as error:
            if "decode" not in str(error):
                raise
        self.conn.text_factory = _text
        try:
            cursor = self.conn.execute(sql)
            for n, row in enumerate(cursor):
                if n >= done:
                    yield row
        finally:
            self.conn.text_factory = str

    def rows(self, table: str, columns: tuple[str, ...]) -> list[dict]:
        return [dict(zip(columns, row, strict=True)) for row in self.cursor(table, columns)]

    def setting(self, key: str) -> str | None:
        """A setting's value when it is short text (anything else is ignored)."""
        try:
            row = self.conn.execute(
                'SELECT "value" FROM "settings" WHERE "key" = ?', [key]
            ).fetchone()
        except sqlite3.OperationalError:  # text that is not UTF-8
            return None
        value = row[0] if row else None
        return value if _is_name(value) else None


def _refuse_not_snapshot(path: Path, why: str) -> SnapshotRefused:
    return SnapshotRefused(f"「{path}」不是 tracker 快照（{why}），未合并")


@contextmanager
def open_snapshot(path: Path) -> Iterator[Source]:
    """Open a snapshot read-only (the file is never changed), vet it, and bring an old one
    to the current schema through a fresh copy made by our own code.

    Raises:
        SnapshotRefused: not a tracker snapshot, damaged, too big, another schema, or
            from a newer version; the message says why.
    """
    if not path.exists():
        raise SnapshotRefused(f"找不到文件「{path}」")
    if path.is_dir():
        raise SnapshotRefused(f"「{path}」是一个文件夹，不是快照文件")
    try:
        with path.open("rb") as handle:
            header = handle.read(100)
    except OSError as error:
        raise SnapshotRefused(f"无法读取「{path}」：{error.strerror or error}") from error
    if not header.startswith(_SQLITE_MAGIC) or len(header) < 100:
        raise _refuse_not_snapshot(path, "不是 SQLite 数据库文件")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise SnapshotRefused(
            f"文件过大：「{path}」有 {size / 1e6:.0f} MB，"
            f"最多可合并 {MAX_FILE_BYTES / 1e6:.0f} MB，未合并"
        )
    # A WAL file with no -wal/-shm beside it holds everything itself: read it as
    # immutable, so SQLite creates nothing next to the clerk's file.
    immutable = header[18] == 2 and not any(
        Path(f"{path}{suffix}").exists() for suffix in ("-wal", "-shm", "-journal")
    )
    uri = f"{path.absolute().as_uri()}?mode=ro" + ("&immutable=1" if immutable else "")
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=5, isolation_level=None)
        conn.execute("PRAGMA trusted_schema = OFF")
        conn.execute("PRAGMA query_only = ON")
    except sqlite3.Error as error:
        raise SnapshotRefused(f"无法打开「{path}」：{error}") from error
    try:
        try:
            version = _vet(conn, path)
        except sqlite3.Error as error:
            raise _refuse_not_snapshot(path, f"无法读取：{error}") from error
        if _readable_as_is(version):
            yield Source(conn, path, version)
            return
        with tempfile.TemporaryDirectory(prefix="tracker-merge-") as temp:
            skipped: list[str] = []
            staged = _staged(conn, path, version, Path(temp) / "staged.db", skipped)
            try:
                yield Source(staged, path, version, skipped)
            finally:
                staged.close()
    finally:
        conn.close()


READ: dict[str, tuple[str, ...]] = {
    "plans": ("id", "title"),
    "items": ("id", "status", "notes", "last_reviewed"),
    "changes": CHANGE_COLUMNS,
    "machines": ("id", "name", "first_seen"),
    "conflicts": CONFLICT_COLUMNS,
    "settings": ("key", "value"),
    "units": ("id", "name"),
}
"""Every table and column a merge reads from a snapshot."""


def _readable_as_is(version: int) -> bool:
    """Whether a (vetted) file of this version has every column a merge reads, so its
    raw rows can be read where they are; older files go through a fresh schema first
    (their upgrade derives data: which machine made the old changes)."""
    tables = expected_schema(version)
    return all(set(columns) <= set(tables.get(t, ())) for t, columns in READ.items())


def _vet(conn: sqlite3.Connection, path: Path) -> int:
    """Check the file before any row is read; return its schema version."""
    version, tables, ours = schema.identify(conn)
    if version > schema.SCHEMA_VERSION:
        raise SnapshotRefused(
            f"「{path}」由更新版本的 tracker 导出（格式版本 {version}，本程序支持到 "
            f"{schema.SCHEMA_VERSION}），请升级 tracker 后再合并；未合并"
        )
    if version < 1 or not ours or not tables >= _CORE_TABLES:
        raise _refuse_not_snapshot(path, "是其他程序的 SQLite 数据库")
    try:
        problems = [str(row[0]) for row in conn.execute("PRAGMA quick_check")]
    except sqlite3.DatabaseError as error:
        problems = [str(error)]
    if problems != ["ok"]:
        raise SnapshotRefused(f"「{path}」已损坏（{'；'.join(problems[:3])}），未合并")
    differences = schema_differences(conn, version)
    if differences:
        raise SnapshotRefused(
            f"「{path}」的表结构与 tracker 快照（格式版本 {version}）不同："
            f"{'；'.join(differences[:5])}"
            f"{f' 等 {len(differences)} 处' if len(differences) > 5 else ''}，未合并"
        )
    for table in expected_schema(version):
        count = conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
        limit = MAX_CHANGES if table == "changes" else MAX_ROWS
        if count > limit:
            raise SnapshotRefused(
                f"文件过大：「{path}」的 {table} 表有 {count} 行，最多可合并 {limit} 行，未合并"
            )
    return version


def _staged(
    source: sqlite3.Connection, path: Path, version: int, out: Path, skipped: list[str]
) -> sqlite3.Connection:
    """A fresh database made by our migrations, holding the raw rows of an old file's
    known tables, then upgraded by our migrations: the file's own SQL never runs.

    Changes that fail :func:`check_change`'s format checks are left out here too (their
    NULLs would break the fresh schema's constraints); item ids are checked later.
    """
    names = [m.name for m in schema.migrations._migrations]
    conn = sqlite3.connect(out, isolation_level=None)
    conn.text_factory = _text
    try:
        # A scratch file, thrown away after the merge: no need to survive a power cut.
        conn.execute("PRAGMA journal_mode = MEMORY")
        conn.execute("PRAGMA synchronous = OFF")
        db = Database(conn)
        schema.migrations.apply(db, stop_before=names[version])
        conn.execute("PRAGMA foreign_keys = OFF")
        source.text_factory = _text  # bad text comes over as bytes, refused as values
        conn.execute("BEGIN")
        for table, columns in expected_schema(version).items():
            if table in ("_sqlite_migrations", "statuses"):
                continue  # ours, as created
            names_sql = ", ".join(f'"{c}"' for c in columns)
            insert = (
                f'INSERT OR IGNORE INTO "{table}" ({names_sql}) '
                f"VALUES ({', '.join('?' * len(columns))})"
            )
            if table in ("settings", "machines"):
                # Our fresh schema has its own machine id: the file's take its place.
                conn.execute(f'DELETE FROM "{table}"')
            cursor = source.execute(f'SELECT {names_sql} FROM "{table}"')
            while batch := cursor.fetchmany(5000):
                if table == "changes":
                    batch = [row for row in batch if _keep_old_change(columns, row, skipped)]
                conn.executemany(insert, batch)
        if 2 <= version < 4:  # the upgrade names the machine; a file of this age has none
            conn.execute("DELETE FROM settings WHERE key = 'machine_id'")
        conn.execute("COMMIT")
        schema.migrations.apply(db)
    except sqlite3.Error as error:
        conn.close()
        raise SnapshotRefused(f"无法读取旧版快照「{path}」：{error}，未合并") from error
    except BaseException:
        conn.close()
        raise
    if version < 4:
        # The upgrade named this machine as the maker of the old changes: say instead
        # that they came from an old snapshot.
        with suppress(sqlite3.Error):
            conn.execute(
                "UPDATE machines SET name = ? WHERE id = "
                "(SELECT value FROM settings WHERE key = 'machine_id')",
                [f"旧版快照 {path.name}"],
            )
    conn.execute("PRAGMA query_only = ON")
    return conn


_OLD_CHANGE_DEFAULTS = {"session_id": None, "kind": "edit", "machine_id": None}


def _keep_old_change(columns: tuple[str, ...], row: tuple, skipped: list[str]) -> bool:
    """Whether an old file's change has the right form (reasons of the others go to
    ``skipped``)."""
    values = {**_OLD_CHANGE_DEFAULTS, **dict(zip(columns, row, strict=True))}
    reason = check_change(tuple(values[c] for c in CHANGE_COLUMNS), None)
    if reason:
        skipped.append(f"旧版记录：{reason}")
    return reason is None
