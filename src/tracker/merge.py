"""Hand in and gather: merge another clerk's snapshot of the same plan into this database.

Every change from both sides is kept: the change logs are unioned (each change has a
globally unique id and records the machine that made it). An item's current values
are those of its latest change in the *merged order*, which is the same on every
machine, so merging A into B and B into A gives the same items:

* each machine's changes keep the order in which that machine made them (the order
  of ``changes.rowid``, which merges preserve by inserting in the source's order);
* the machines' sequences are interleaved by time (``changed_at`` as an instant, so
  UTC offsets compare correctly), ties broken by machine id.

Walking that order, a change whose ``old_value`` is not the value the previous change
left, made on another machine, was made without having seen it: the two are a
conflict, recorded in ``conflicts`` under an id derived from the two change ids (so
merging twice, or in the other direction, finds the same conflict) for the clerk to
resolve. Nothing is ever dropped: the later change's value stands until then.

A unit can hand in just its own items (:func:`export_unit_snapshot`), and the office
merges such files one transaction each (:func:`merge_snapshot`).

Knows nothing of the UI.
"""

from __future__ import annotations

import heapq
import shlex
import sqlite3
import tempfile
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from enum import StrEnum
from itertools import pairwise
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from tracker import schema, snapshot
from tracker.derive import fts_rowid
from tracker.drafts import merge_notes
from tracker.models import Status, stable_id
from tracker.store import LEDGER_FIELDS, ChangeRecord, ItemFilter, Store, StoreError

_SQLITE_MAGIC = b"SQLite format 3\x00"
_CORE_TABLES = frozenset({"plans", "categories", "key_tasks", "items", "changes"})
"""Tables every tracker database has had since schema 1."""
_CHANGE_COLUMNS = (
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
_COLUMNS_SQL = ", ".join(f'"{c}"' for c in _CHANGE_COLUMNS)
_DEFAULTS: dict[str, str | None] = {
    "status": Status.NOT_STARTED.value,
    "notes": "",
    "last_reviewed": None,
}
"""An item field's value before any change (what a unit export resets others' items to)."""
_ITEM_STATE = (*LEDGER_FIELDS, "updated_at", "updated_by")
"""What merging may change on an item."""
EXPORT_UNIT_SETTING = "export_unit"
"""Settings key naming the unit a unit snapshot was exported for."""
FIELD_LABELS = {"status": "状态", "notes": "进展情况", "last_reviewed": "检查日期"}


class SnapshotRefused(StoreError):
    """A file that cannot be merged (not a snapshot, another plan, a newer version...).

    Nothing was written; the message is for the clerk.
    """


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class Keep(StrEnum):
    """How a conflict is resolved."""

    OURS = "ours"
    """Keep this machine's side (本机)."""
    THEIRS = "theirs"
    """Keep the other side (对方)."""
    BOTH = "both"
    """Keep both texts (progress notes only)."""

    @property
    def label(self) -> str:
        """The label a clerk reads."""
        return {"ours": "保留本机", "theirs": "保留对方", "both": "两者都保留"}[self.value]


class Conflict(_Model):
    """Two changes of the same field made without seeing each other."""

    id: str
    """Derived from the two change ids: the same on every machine."""
    item_id: str
    field: str
    ours_change_id: str
    """The change made on this machine (or, when neither was, the earlier one)."""
    theirs_change_id: str
    ours_value: str | None
    theirs_value: str | None
    detected_at: str
    merge_id: str | None = None
    """The merge that found it (None when it came in with another machine's list)."""
    resolved_at: str | None = None
    resolved_by: str | None = None
    resolution: str | None = None
    """``ours``, ``theirs`` or ``both``."""
    item_content: str = ""
    """The item's 具体内容."""
    current_value: str | None = None
    """The field's value now (the later change's, until resolved)."""
    ours_by: str | None = None
    ours_at: str | None = None
    ours_machine: str | None = None
    """The name of the machine that made our side."""
    theirs_by: str | None = None
    theirs_at: str | None = None
    theirs_machine: str | None = None


class Contributor(_Model):
    """Who made the changes a merge brought in."""

    by: str
    """The clerk recorded with the changes."""
    machine: str
    """The machine's name (its host name), or its id if unknown."""
    count: int


class MergeResult(_Model):
    """What merging one snapshot did."""

    source: str
    """The snapshot file, as given."""
    label: str
    """Whose snapshot: the unit it was exported for or remembers, else the file's name."""
    machine: str = ""
    """The name of the machine the snapshot was exported on."""
    merge_id: str
    plan_ids: list[str] = Field(default_factory=list)
    changes_in: int = 0
    """Changes this database did not have."""
    items_updated: int = 0
    """Items whose status, notes or review date changed."""
    conflicts: list[Conflict] = Field(default_factory=list)
    """Conflicts found by this merge (not those known before)."""
    from_whom: list[Contributor] = Field(default_factory=list)
    """The new changes by clerk and machine, most first."""

    @property
    def clerks(self) -> str:
        """The clerks whose changes came in, e.g. ``张三、李四``."""
        return "、".join(dict.fromkeys(c.by for c in self.from_whom))

    def summary(self) -> str:
        """One line for the clerk: 区发改局（机器 X，张三）：新增修改 N 条，冲突 K 条."""
        who = f"机器 {self.machine or '未知'}"
        if self.clerks:
            who += f"，{self.clerks}"
        return (
            f"{self.label}（{who}）：新增修改 {self.changes_in} 条，"
            f"冲突 {len(self.conflicts)} 条（更新任务 {self.items_updated} 项）"
        )


class UnitExport(_Model):
    """What a unit snapshot holds."""

    path: Path
    unit: str
    items: int
    """Items the unit answers for (the others are reset to their defaults)."""
    changes: int


# ---------------------------------------------------------------------- the merged order
def _instant(changed_at: str) -> datetime:
    when = datetime.fromisoformat(changed_at)
    if when.tzinfo is None:  # not written by tracker; read as UTC so every machine agrees
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def merged_order(changes: Iterable[ChangeRecord]) -> list[ChangeRecord]:
    """The order in which changes take effect, the same on every machine.

    Args:
        changes: Changes in this database's log order (``rowid``), which keeps each
            machine's own changes in the order it made them.

    Returns:
        Each machine's changes in its own order, interleaved by time (the head with the
        earliest instant goes next; ties go to the smaller machine id). A machine whose
        clock went back keeps its own order.
    """
    by_machine: dict[str, list[ChangeRecord]] = defaultdict(list)
    for change in changes:
        by_machine[change.machine_id or ""].append(change)
    return list(
        heapq.merge(
            *by_machine.values(), key=lambda c: (_instant(c.changed_at), c.machine_id or "")
        )
    )


def conflict_id(change_a: str, change_b: str) -> str:
    """The id of the conflict between two changes, whichever side finds it."""
    return stable_id("conflict", *sorted((change_a, change_b)))


def find_conflicts(ordered: list[ChangeRecord]) -> list[tuple[ChangeRecord, ChangeRecord]]:
    """The pairs (earlier, later) in one field's merged log where the later change was
    made on another machine without having seen the earlier one's value.

    Two clerks who arrived at the same value independently do not conflict.
    """
    return [
        (previous, change)
        for previous, change in pairwise(ordered)
        if change.old_value != previous.new_value
        and change.new_value != previous.new_value
        and change.machine_id != previous.machine_id
    ]


# ---------------------------------------------------------------------- reading a snapshot
class _Source:
    """A snapshot opened for reading, checked, and upgraded (in a copy) if old."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path

    def rows(self, sql: str, params: Iterable = ()) -> list[dict]:
        cursor = self.conn.execute(sql, list(params))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def setting(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
        return row[0] if row else None


def _refuse_not_snapshot(path: Path, why: str) -> SnapshotRefused:
    return SnapshotRefused(f"「{path}」不是 tracker 快照（{why}），未合并")


@contextmanager
def _open_source(path: Path) -> Iterator[_Source]:
    """Open a snapshot read-only (the file is never changed) and check it.

    Raises:
        SnapshotRefused: not a tracker snapshot, damaged, or from a newer version.
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
    # A WAL file with no -wal/-shm beside it holds everything itself: read it as
    # immutable, so SQLite creates nothing next to the clerk's file.
    immutable = header[18] == 2 and not any(
        Path(f"{path}{suffix}").exists() for suffix in ("-wal", "-shm", "-journal")
    )
    uri = f"{path.absolute().as_uri()}?mode=ro" + ("&immutable=1" if immutable else "")
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=5)
    except sqlite3.Error as error:
        raise SnapshotRefused(f"无法打开「{path}」：{error}") from error
    temp: tempfile.TemporaryDirectory | None = None
    upgraded: Store | None = None
    try:
        version = _check_source(conn, path)
        if version < schema.SCHEMA_VERSION:
            # An old snapshot: upgrade a copy, never the clerk's file.
            temp = tempfile.TemporaryDirectory(prefix="tracker-merge-")
            copy_path = Path(temp.name) / path.name
            copy = sqlite3.connect(copy_path)
            try:
                conn.backup(copy)
            finally:
                copy.close()
            conn.close()
            upgraded = Store.open(copy_path)
            conn = upgraded.db.conn
            # The upgrade named this machine as the maker of the old changes: say instead
            # that they came from an old snapshot.
            conn.execute(
                "UPDATE machines SET name = ? WHERE id = "
                "(SELECT value FROM settings WHERE key = 'machine_id')",
                [f"旧版快照 {path.name}"],
            )
            conn.commit()
        yield _Source(conn, path)
    finally:
        if upgraded is not None:
            upgraded.close()
        else:
            conn.close()
        if temp is not None:
            temp.cleanup()


def _check_source(conn: sqlite3.Connection, path: Path) -> int:
    try:
        version, tables, ours = schema.identify(conn)
    except sqlite3.DatabaseError as error:
        raise _refuse_not_snapshot(path, f"无法读取：{error}") from error
    if version > schema.SCHEMA_VERSION:
        raise SnapshotRefused(
            f"「{path}」由更新版本的 tracker 导出（格式版本 {version}，本程序支持到 "
            f"{schema.SCHEMA_VERSION}），请升级 tracker 后再合并；未合并"
        )
    if version < 1 or not ours or not tables >= _CORE_TABLES:
        raise _refuse_not_snapshot(path, "是其他程序的 SQLite 数据库")
    try:
        problems = [row[0] for row in conn.execute("PRAGMA quick_check")]
    except sqlite3.DatabaseError as error:
        problems = [str(error)]
    if problems != ["ok"]:
        raise SnapshotRefused(f"「{path}」已损坏（{'；'.join(problems[:3])}），未合并")
    return version


def _check_same_plan(store: Store, source: _Source) -> list[str]:
    """The snapshot's plan ids, after checking that this database has its plans and items.

    Raises:
        SnapshotRefused: another plan, or items this database does not have.
    """
    plans = source.rows("SELECT id, title, year FROM plans ORDER BY year, title")
    if not plans:
        raise SnapshotRefused(f"「{source.path}」中没有分工表，未合并")
    ours = {row[0] for row in store.db.execute("SELECT id FROM plans")}
    foreign = [p for p in plans if p["id"] not in ours]
    if foreign:
        titles = "、".join(p["title"] for p in foreign)
        raise SnapshotRefused(
            f"「{source.path}」是另一份分工表（{titles}）的快照，与本数据库的分工表不同，未合并"
        )
    their_items = {row[0] for row in source.conn.execute("SELECT id FROM items")}
    their_items |= {row[0] for row in source.conn.execute("SELECT DISTINCT item_id FROM changes")}
    our_items = {row[0] for row in store.db.execute("SELECT id FROM items")}
    unknown = their_items - our_items
    if unknown:
        raise SnapshotRefused(
            f"「{source.path}」中有 {len(unknown)} 条具体任务本数据库没有（分工表的文本不同，"
            "可能对方导入了修改过的分工表），未合并；请双方导入同一份分工表"
        )
    bad = [
        row[0]
        for row in source.conn.execute(
            "SELECT DISTINCT new_value FROM changes WHERE field = 'status'"
        )
        if row[0] not in {s.value for s in Status}
    ]
    if bad:
        raise SnapshotRefused(f"「{source.path}」中有无法识别的状态（{bad[0]}），未合并")
    return [p["id"] for p in plans]


def _source_label(source: _Source) -> str:
    """Whose snapshot this is: the unit it was exported for or remembers, else its name."""
    unit = source.setting(EXPORT_UNIT_SETTING)
    if unit:
        return unit
    my_unit = source.setting("my_unit")
    if my_unit:
        row = source.conn.execute("SELECT name FROM units WHERE id = ?", [my_unit]).fetchone()
        if row:
            return row[0]
    return source.path.stem


# ---------------------------------------------------------------------- merging
def merge_snapshot(store: Store, path: Path | str, by: str) -> MergeResult:
    """Merge another clerk's snapshot of the same plan into ``store``, in one transaction.

    The snapshot file is opened read-only and never changed. Changes this database lacks
    are added (with their machine, session and clerk); every field they touch, or whose
    value differs between the two, is recomputed from the merged log (see
    :func:`merged_order`), and the conflicts found there are recorded. Conflicts the
    other side recorded (and its resolutions) come along too.

    Args:
        store: This database.
        path: The snapshot.
        by: The clerk merging (recorded in ``merges``).

    Returns:
        What came in, from whom, and the new conflicts.

    Raises:
        SnapshotRefused: not a snapshot of this plan (nothing written).
        StoreError: this database could not be written (nothing written).
    """
    path = Path(path).expanduser()
    if store.path is not None and path.exists() and path.resolve() == store.path.resolve():
        raise SnapshotRefused(f"「{path}」就是本数据库，不能合并到自身")
    with _open_source(path) as source:
        plan_ids = _check_same_plan(store, source)
        label = _source_label(source)
        their_machine = source.setting("machine_id")
        machines = source.rows("SELECT id, name, first_seen FROM machines")
        machine_names = {m["id"]: m["name"] for m in machines}
        incoming = [
            ChangeRecord(**row)
            for row in source.rows(f"SELECT {_COLUMNS_SQL} FROM changes ORDER BY rowid")
        ]
        their_values = {
            row["id"]: row
            for row in source.rows("SELECT id, status, notes, last_reviewed FROM items")
        }
        their_conflicts = source.rows("SELECT * FROM conflicts")
    return _merge(
        store,
        MergeInput(
            source=str(path),
            label=label,
            machine=machine_names.get(their_machine or "", their_machine or ""),
            plan_ids=plan_ids,
            machines=machines,
            changes=incoming,
            values=their_values,
            conflicts=their_conflicts,
        ),
        by,
    )


class MergeInput(_Model):
    """What was read from a snapshot, ready to merge."""

    source: str
    label: str
    machine: str
    plan_ids: list[str]
    machines: list[dict]
    changes: list[ChangeRecord]
    """In the snapshot's log order."""
    values: dict[str, dict]
    """Each item's status, notes and last_reviewed in the snapshot."""
    conflicts: list[dict]
    """The snapshot's ``conflicts`` rows."""


def _merge(store: Store, data: MergeInput, by: str) -> MergeResult:
    merge_id = uuid.uuid4().hex
    local_machine = store.machine_id
    now = store.clock().isoformat(timespec="seconds")
    with store.write() as db:
        conn = db.conn
        known = {row[0] for row in conn.execute("SELECT id FROM changes")}
        new = [c for c in data.changes if c.id not in known]
        conn.executemany(
            "INSERT OR IGNORE INTO machines (id, name, first_seen) VALUES (?, ?, ?)",
            [(m["id"], m["name"], m["first_seen"]) for m in data.machines],
        )
        conn.executemany(
            f"INSERT INTO changes ({_COLUMNS_SQL}) "
            f"VALUES ({', '.join('?' for _ in _CHANGE_COLUMNS)})",
            [tuple(getattr(c, name) for name in _CHANGE_COLUMNS) for c in new],
        )
        # Fields to recompute: those the new changes touch, and those their log touches
        # whose value differs between the two (a clock set wrong can leave one side's
        # value stale). A unit snapshot's reset items have no changes: left alone.
        touched = {(c.item_id, c.field) for c in new if c.field in LEDGER_FIELDS}
        theirs_touched = {(c.item_id, c.field) for c in data.changes}
        ours_now = {
            row[0]: dict(zip(_ITEM_STATE, row[1:], strict=True))
            for row in conn.execute(f"SELECT id, {', '.join(_ITEM_STATE)} FROM items")
        }
        for item_id, field in theirs_touched:
            theirs = data.values.get(item_id)
            differs = theirs is not None and theirs.get(field) != ours_now[item_id].get(field)
            if field in LEDGER_FIELDS and differs:
                touched.add((item_id, field))
        items_updated, found = _recompute(conn, touched, ours_now)
        new_conflicts = _record_conflicts(conn, found, data.conflicts, merge_id, local_machine, now)
        conn.execute(
            "INSERT INTO merges (id, source, plan_id, merged_at, by, changes_in, conflicts) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                merge_id,
                data.source,
                ",".join(data.plan_ids),
                now,
                by,
                len(new),
                len(new_conflicts),
            ],
        )
    names = {row[0]: row[1] for row in store.db.execute("SELECT id, name FROM machines")}
    counts = Counter((c.by, names.get(c.machine_id or "", c.machine_id or "未知")) for c in new)
    return MergeResult(
        source=data.source,
        label=data.label,
        machine=data.machine,
        merge_id=merge_id,
        plan_ids=data.plan_ids,
        changes_in=len(new),
        items_updated=items_updated,
        conflicts=list_conflicts(store, ids=new_conflicts, include_resolved=True),
        from_whom=[
            Contributor(by=who, machine=machine, count=n)
            for (who, machine), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
    )


def _recompute(
    conn: sqlite3.Connection,
    touched: set[tuple[str, str]],
    ours_now: dict[str, dict],
) -> tuple[int, list[tuple[ChangeRecord, ChangeRecord]]]:
    """Set each touched field to its merged log's last value.

    Returns:
        How many items changed, and the conflicting pairs in the touched fields' logs.
    """
    item_ids = sorted({item_id for item_id, _ in touched})
    logs: dict[str, list[ChangeRecord]] = defaultdict(list)
    for chunk in _chunks(item_ids, 500):
        cursor = conn.execute(
            f"SELECT {_COLUMNS_SQL} FROM changes WHERE item_id IN ({', '.join('?' * len(chunk))}) "
            "ORDER BY rowid",
            chunk,
        )
        for row in cursor:
            change = ChangeRecord(**dict(zip(_CHANGE_COLUMNS, row, strict=True)))
            logs[change.item_id].append(change)
    conflicts: list[tuple[ChangeRecord, ChangeRecord]] = []
    updated = 0
    for item_id in item_ids:
        log = [c for c in logs[item_id] if c.field in LEDGER_FIELDS]
        if not log:
            continue
        values = {field: ours_now[item_id][field] for field in LEDGER_FIELDS}
        for field in LEDGER_FIELDS:
            if (item_id, field) not in touched:
                continue
            ordered = merged_order(c for c in log if c.field == field)
            if not ordered:
                continue
            values[field] = ordered[-1].new_value
            conflicts += find_conflicts(ordered)
        last = merged_order(log)[-1]
        before = ours_now[item_id]
        changed = any(values[field] != before[field] for field in LEDGER_FIELDS)
        if not changed and (last.changed_at, last.by) == (
            before["updated_at"],
            before["updated_by"],
        ):
            continue
        conn.execute(
            "UPDATE items SET status = ?, notes = ?, last_reviewed = ?, updated_at = ?, "
            "updated_by = ? WHERE id = ?",
            [
                values["status"],
                values["notes"] or "",
                values["last_reviewed"],
                last.changed_at,
                last.by,
                item_id,
            ],
        )
        if values["notes"] != ours_now[item_id]["notes"]:
            conn.execute(
                "UPDATE items_fts SET notes = ? WHERE rowid = ?",
                [values["notes"] or "", fts_rowid(item_id)],
            )
        updated += changed
    return updated, conflicts


def _record_conflicts(
    conn: sqlite3.Connection,
    found: list[tuple[ChangeRecord, ChangeRecord]],
    theirs: list[dict],
    merge_id: str,
    local_machine: str | None,
    now: str,
) -> list[str]:
    """Record the conflicts found and those the other side knew; return the new ids."""
    new_ids: list[str] = []
    pairs: dict[str, tuple[ChangeRecord, ChangeRecord, str | None]] = {
        conflict_id(a.id, b.id): (a, b, merge_id) for a, b in found
    }
    # The other side's conflicts: their changes are all here now.
    wanted = [c for c in theirs if c["id"] not in pairs]
    if wanted:
        ids = sorted({c[k] for c in wanted for k in ("ours_change_id", "theirs_change_id")})
        changes = {}
        for chunk in _chunks(ids, 500):
            for row in conn.execute(
                f"SELECT {_COLUMNS_SQL} FROM changes WHERE id IN ({', '.join('?' * len(chunk))})",
                chunk,
            ):
                change = ChangeRecord(**dict(zip(_CHANGE_COLUMNS, row, strict=True)))
                changes[change.id] = change
        for row in wanted:
            a = changes.get(row["ours_change_id"])
            b = changes.get(row["theirs_change_id"])
            if a is None or b is None:
                continue
            first, second = merged_order([a, b]) if a.machine_id != b.machine_id else (a, b)
            pairs.setdefault(row["id"], (first, second, None))
    for cid, (earlier, later, found_by) in pairs.items():
        ours, theirs_change = (
            (later, earlier)
            if later.machine_id == local_machine
            else (
                earlier,
                later,
            )
        )
        cursor = conn.execute(
            "INSERT OR IGNORE INTO conflicts (id, item_id, field, ours_change_id, "
            "theirs_change_id, ours_value, theirs_value, detected_at, merge_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                cid,
                earlier.item_id,
                earlier.field,
                ours.id,
                theirs_change.id,
                ours.new_value,
                theirs_change.new_value,
                now,
                found_by,
            ],
        )
        if cursor.rowcount:
            new_ids.append(cid)
    # Resolutions made on the other side hold here too (their change is in the log).
    for row in theirs:
        if row.get("resolved_at"):
            conn.execute(
                "UPDATE conflicts SET resolved_at = ?, resolved_by = ?, resolution = ? "
                "WHERE id = ? AND resolved_at IS NULL",
                [row["resolved_at"], row["resolved_by"], row["resolution"], row["id"]],
            )
    return new_ids


def _chunks(values: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


# ---------------------------------------------------------------------- many files
def expand_paths(text_or_paths: str | Iterable[str | Path]) -> list[Path]:
    """The snapshot files named: paths separated by spaces or new lines (quotes for
    names with spaces); a folder stands for the ``*.db`` files in it.
    """
    if isinstance(text_or_paths, str):
        names: list[str] = []
        for line in text_or_paths.splitlines():
            line = line.strip()
            if not line:
                continue
            if Path(line).expanduser().exists():  # a whole line naming a file with spaces
                names.append(line)
                continue
            try:
                names += shlex.split(line)
            except ValueError:  # an unbalanced quote: take the words as they are
                names += line.split()
    else:
        names = [str(p) for p in text_or_paths]
    paths: list[Path] = []
    for name in names:
        path = Path(name).expanduser()
        if path.is_dir():
            paths += sorted(p for p in path.glob("*.db") if p.is_file())
        else:
            paths.append(path)
    return list(dict.fromkeys(paths))


class BatchResult(_Model):
    """What merging several snapshots did."""

    merged: list[MergeResult] = Field(default_factory=list)
    refused: list[tuple[str, str]] = Field(default_factory=list)
    """Each refused file, with why."""

    @property
    def changes_in(self) -> int:
        return sum(r.changes_in for r in self.merged)

    @property
    def items_updated(self) -> int:
        return sum(r.items_updated for r in self.merged)

    @property
    def conflicts(self) -> int:
        return sum(len(r.conflicts) for r in self.merged)

    def total(self) -> str:
        """The closing line of a summary."""
        line = (
            f"合计：合并 {len(self.merged)} 个文件，新增修改 {self.changes_in} 条，"
            f"更新任务 {self.items_updated} 项，冲突 {self.conflicts} 条"
        )
        if self.refused:
            line += f"；{len(self.refused)} 个文件未合并"
        return line


def merge_many(store: Store, paths: Iterable[Path | str], by: str) -> BatchResult:
    """Merge snapshots one after another, one transaction each.

    A refused file (or one that fails to merge) is reported and skipped; the others
    still merge.
    """
    result = BatchResult()
    for path in paths:
        try:
            result.merged.append(merge_snapshot(store, path, by))
        except StoreError as error:
            result.refused.append((str(path), str(error)))
    return result


# ---------------------------------------------------------------------- conflicts
_CONFLICT_SELECT = """
SELECT conflicts.*, items.content AS item_content,
       ours.by AS ours_by, ours.changed_at AS ours_at, om.name AS ours_machine,
       theirs.by AS theirs_by, theirs.changed_at AS theirs_at, tm.name AS theirs_machine,
       CASE conflicts.field WHEN 'status' THEN items.status WHEN 'notes' THEN items.notes
            ELSE items.last_reviewed END AS current_value
FROM conflicts
JOIN items ON items.id = conflicts.item_id
LEFT JOIN changes AS ours ON ours.id = conflicts.ours_change_id
LEFT JOIN changes AS theirs ON theirs.id = conflicts.theirs_change_id
LEFT JOIN machines AS om ON om.id = ours.machine_id
LEFT JOIN machines AS tm ON tm.id = theirs.machine_id
"""


def list_conflicts(
    store: Store, include_resolved: bool = False, ids: Iterable[str] | None = None
) -> list[Conflict]:
    """Conflicts, oldest change first (unresolved only, unless asked)."""
    clauses, params = [], []
    if not include_resolved:
        clauses.append("conflicts.resolved_at IS NULL")
    if ids is not None:
        ids = list(ids)
        if not ids:
            return []
        clauses.append(f"conflicts.id IN ({', '.join('?' * len(ids))})")
        params += ids
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    return [
        Conflict(**row)
        for row in store.db.query(
            f"{_CONFLICT_SELECT} {where} "
            "ORDER BY min(coalesce(ours.changed_at, ''), coalesce(theirs.changed_at, '')), "
            "conflicts.id",
            params,
        )
    ]


def unresolved_count(store: Store) -> int:
    """How many conflicts await the clerk."""
    return store.db.execute("SELECT count(*) FROM conflicts WHERE resolved_at IS NULL").fetchone()[
        0
    ]


def find_conflict(store: Store, id_or_prefix: str) -> Conflict:
    """A conflict by its id or the start of it (as ``tracker conflicts`` shows).

    Raises:
        KeyError: none, or more than one, matches (the message says which).
    """
    prefix = id_or_prefix.strip().lower()
    rows = (
        list(store.db.query(f"{_CONFLICT_SELECT} WHERE conflicts.id LIKE ?", [f"{prefix}%"]))
        if prefix
        else []
    )
    if not rows:
        raise KeyError(f"没有编号为「{id_or_prefix}」的冲突；可用 tracker conflicts 查看")
    if len(rows) > 1:
        raise KeyError(f"编号「{id_or_prefix}」对应多条冲突，请多写几位")
    return Conflict(**rows[0])


def resolve_conflict(
    store: Store, conflict_id: str, keep: Keep | str, by: str
) -> ChangeRecord | None:
    """Resolve a conflict: write the kept value as a normal change, then mark it resolved.

    Args:
        conflict_id: The conflict's id (or a unique start of it).
        keep: ``ours``, ``theirs``, or ``both`` (notes only: both texts, one after the
            other, with a line saying who wrote the second).
        by: The clerk resolving it.

    Returns:
        The change written (None if the field already had the kept value).

    Raises:
        KeyError: no such conflict.
        ValueError: resolved already, or ``both`` for a field other than notes.
    """
    keep = Keep(keep)
    conflict = find_conflict(store, conflict_id)
    if conflict.resolved_at is not None:
        raise ValueError(
            f"该冲突已于 {conflict.resolved_at[:16].replace('T', ' ')} 由 "
            f"{conflict.resolved_by} 处理（{Keep(conflict.resolution or '').label}）"
        )
    if keep is Keep.OURS:
        value = conflict.ours_value
    elif keep is Keep.THEIRS:
        value = conflict.theirs_value
    else:
        if conflict.field != "notes":
            raise ValueError("只有进展情况可以两者都保留；状态和检查日期请选择保留本机或保留对方")
        # Start from the notes as they are now (they may hold more than the two sides,
        # say after resolving an earlier conflict of the same notes) and add each
        # side's text that is not in them yet, with who wrote it and when.
        value = conflict.current_value or ""
        for text, author, at in (
            (conflict.theirs_value, conflict.theirs_by, conflict.theirs_at),
            (conflict.ours_value, conflict.ours_by, conflict.ours_at),
        ):
            if text and text.strip() and text not in value:
                value = merge_notes(value, text, author or by, (at or "")[:16].replace("T", " "))
    # Two transactions, in this order: should the second fail, the conflict is still
    # listed (and resolving it again writes nothing new) — never marked done unwritten.
    change = store.apply_change(conflict.item_id, conflict.field, value, by)
    with store.write() as db:
        db.execute(
            "UPDATE conflicts SET resolved_at = ?, resolved_by = ?, resolution = ? "
            "WHERE id = ? AND resolved_at IS NULL",
            [store.clock().isoformat(timespec="seconds"), by, keep.value, conflict.id],
        )
    return change


# ---------------------------------------------------------------------- unit snapshots
def export_unit_snapshot(
    store: Store, out: Path | str, unit: str, force: bool = False
) -> UnitExport:
    """Export a snapshot holding only what one unit answers for.

    The plan's structure stays whole (so ids match the office's); the items the unit
    does not answer for (directly or through a collective) are reset to their
    defaults and their changes left out.

    Args:
        unit: The unit's name or id.

    Raises:
        snapshot.SnapshotError: an unknown unit, a refused target or a failed copy.
    """
    target = snapshot.check_target(store.path, Path(out), force)
    record = store.unit(unit)
    if record is None:
        raise snapshot.SnapshotError(f"未找到单位「{unit}」；可用 tracker units 查看所有单位")
    mine = sorted(
        {
            item.id
            for plan in store.plans()
            for item in store.filtered_items(plan.id, ItemFilter(unit_id=record.id))
        }
    )
    with tempfile.TemporaryDirectory(prefix="tracker-unit-") as temp:
        full = store.export_snapshot(Path(temp) / "full.db")
        conn = sqlite3.connect(full, isolation_level=None)
        try:
            _keep_only(conn, mine, record.name)
            written = snapshot.export_snapshot(conn, None, target, force=force)
            changes = conn.execute("SELECT count(*) FROM changes").fetchone()[0]
        except sqlite3.Error as error:
            raise snapshot.SnapshotError(f"导出单位快照失败：{error}") from error
        finally:
            conn.close()
    return UnitExport(path=written, unit=record.name, items=len(mine), changes=changes)


def _keep_only(conn: sqlite3.Connection, item_ids: list[str], unit_name: str) -> None:
    """In a copy: leave out the changes of other units' items and reset those items."""
    conn.execute("BEGIN")
    try:
        conn.execute("CREATE TEMP TABLE keep (id TEXT PRIMARY KEY)")
        conn.executemany("INSERT INTO keep (id) VALUES (?)", [(i,) for i in item_ids])
        trigger = conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' "
            "AND name = 'changes_append_only_delete'"
        ).fetchone()
        # The log is append-only; only this copy, never the database, loses entries.
        if trigger:
            conn.execute("DROP TRIGGER changes_append_only_delete")
        conn.execute("DELETE FROM changes WHERE item_id NOT IN (SELECT id FROM keep)")
        if trigger:
            conn.execute(trigger[0])
        conn.execute("DELETE FROM conflicts WHERE item_id NOT IN (SELECT id FROM keep)")
        conn.execute(
            "UPDATE items SET status = ?, notes = '', last_reviewed = NULL, updated_at = NULL, "
            "updated_by = NULL WHERE id NOT IN (SELECT id FROM keep)",
            [_DEFAULTS["status"]],
        )
        conn.execute("UPDATE items_fts SET notes = '' WHERE item_id NOT IN (SELECT id FROM keep)")
        conn.execute(
            "INSERT INTO settings (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [EXPORT_UNIT_SETTING, unit_name],
        )
        conn.execute("DROP TABLE temp.keep")
        conn.execute("COMMIT")
    except BaseException:
        with suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise
    # Other units' notes must not linger in free pages of the file handed in.
    conn.execute("VACUUM")
