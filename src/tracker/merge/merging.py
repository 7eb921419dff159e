"""Hand in and gather: merge another clerk's snapshot of the same plan into this database.

Every change from both sides is kept: the change logs are unioned (each change has a
globally unique id and records the machine that made it, and the unit whose report it
changed, or none for the office's own fields). Each (item, unit, field) has its own
log: the office's verdict, notes and review of an item, and each responsible unit's
report on it, are replayed apart, so units' reports never conflict with each other or
with the office's. A value is that of its log's latest change in the *merged order*,
which is the same on every machine, so merging A into B and B into A gives the same
items and reports (the items' roll-ups are then recomputed):

* each machine's changes keep the order in which that machine made them (the order
  of ``changes.rowid``, which merges preserve by inserting in the source's order);
* the machines' sequences are interleaved by time (``changed_at`` as an instant, so
  UTC offsets compare correctly), ties broken by machine id.

Walking that order, a change whose ``old_value`` is not the value the previous change
left, made on another machine, was made without having seen it: the two are a
conflict, recorded in ``conflicts`` under an id derived from the two change ids (so
merging twice, or in the other direction, finds the same conflict) for the clerk to
resolve. Nothing is ever dropped: the later change's value stands until then. The same
unit's report edited on two machines conflicts; two units' reports never do.

A unit can hand in just its own items and reports (:func:`export_unit_snapshot`), and
the office merges such files one transaction each (:func:`merge_snapshot`). A snapshot
from before units reported (schema 7 and older) is upgraded in a copy first: its changes
are the office's. The SQL on this database is in :mod:`tracker.store.merging`.

Knows nothing of the UI.
"""

from __future__ import annotations

import shlex
import sqlite3
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from tracker.domain.models import Status
from tracker.merge import incoming
from tracker.merge.conflicts import Conflict, conflict_id, find_conflicts, list_conflicts
from tracker.merge.incoming import CHANGE_COLUMNS as _CHANGE_COLUMNS
from tracker.merge.incoming import SnapshotRefused, instant
from tracker.merge.order import LogChange, merged_order
from tracker.merge.unit_snapshot import EXPORT_UNIT_SETTING
from tracker.store import LEDGER_FIELDS, ChangeRecord, Store, StoreError
from tracker.store import merging as stored
from tracker.store.merging import Key


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


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
    skipped: int = 0
    """Records (changes, machines, conflicts) that failed the checks and were left out."""
    skipped_reasons: list[str] = Field(default_factory=list)
    """Why, for the first few of them."""
    quarantined: int = 0
    """New changes dated more than a day ahead of this machine's clock, held back."""

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

    def warnings(self) -> list[str]:
        """What the clerk should know besides the summary: skipped and held-back changes."""
        lines = []
        if self.skipped:
            more = "…" if self.skipped > len(self.skipped_reasons) else ""
            lines.append(f"跳过 {self.skipped} 条无效修改：{'；'.join(self.skipped_reasons)}{more}")
        if self.quarantined:
            lines.append(
                f"隔离 {self.quarantined} 条可疑修改：日期比本机时钟晚一天以上，未采用"
                "（tracker conflicts 可查看）"
            )
        return lines


# ---------------------------------------------------------------------- checking a snapshot
def _check_same_plan(store: Store, source: incoming.Source) -> tuple[list[str], frozenset[str]]:
    """The snapshot's plan ids and this database's item ids, after checking that this
    database has the snapshot's plans and items.

    Raises:
        SnapshotRefused: another plan, or items this database does not have.
    """
    plans = source.rows("plans", ("id", "title"))
    if not plans:
        raise SnapshotRefused(f"「{source.path}」中没有分工表，未合并")
    ours = store.plan_ids()
    foreign = [p for p in plans if p["id"] not in ours]
    if foreign:
        titles = "、".join(
            p["title"] if isinstance(p["title"], str) else incoming.shown(p["title"])
            for p in foreign[:3]
        )
        raise SnapshotRefused(
            f"「{source.path}」是另一份分工表（{titles}）的快照，与本数据库的分工表不同，未合并"
        )
    our_items = store.item_ids()
    unknown = sum(1 for (item_id,) in source.cursor("items", ("id",)) if item_id not in our_items)
    if unknown:
        raise SnapshotRefused(
            f"「{source.path}」中有 {unknown} 条具体任务本数据库没有（分工表的文本不同，"
            "可能对方导入了修改过的分工表），未合并；请双方导入同一份分工表"
        )
    return [p["id"] for p in plans], our_items


def _source_label(source: incoming.Source) -> str:
    """Whose snapshot this is: the unit it was exported for or remembers, else its name."""
    unit = source.setting(EXPORT_UNIT_SETTING)
    if unit:
        return unit
    my_unit = source.setting("my_unit")
    if my_unit:
        try:
            row = source.conn.execute(
                'SELECT "name" FROM "units" WHERE "id" = ?', [my_unit]
            ).fetchone()
        except sqlite3.OperationalError:  # text that is not UTF-8
            row = None
        if row and isinstance(row[0], str) and 0 < len(row[0]) <= incoming.MAX_NAME:
            return row[0]
    return source.path.stem


class _Skipped:
    """Records refused while merging: how many, and the first few reasons."""

    def __init__(self, reasons: Iterable[str] = ()) -> None:
        self.count = 0
        self.reasons: list[str] = []
        for reason in reasons:
            self.add(reason)

    def add(self, reason: str) -> None:
        self.count += 1
        if len(self.reasons) < incoming.SHOWN_REASONS:
            self.reasons.append(reason)


# ---------------------------------------------------------------------- merging
def merge_snapshot(store: Store, path: Path | str, by: str) -> MergeResult:
    """Merge another clerk's snapshot of the same plan into ``store``, in one transaction.

    The snapshot file is opened read-only and never changed, and none of its SQL runs
    (see :mod:`tracker.merge.incoming`). Changes this database lacks are checked and added
    (with their machine, session and clerk); a change that fails the checks is skipped
    and counted, and one dated more than a day ahead of this machine's clock is kept in
    ``quarantined_changes`` instead of taking effect. Every field the new changes touch,
    or whose value differs between the two, is recomputed from the merged log (see
    :func:`merged_order`), and the conflicts found there are recorded. Conflicts the
    other side recorded (and its resolutions) come along too.

    Args:
        store: This database.
        path: The snapshot.
        by: The clerk merging (recorded in ``merges``).

    Returns:
        What came in, from whom, what was skipped or quarantined, and the new conflicts.

    Raises:
        SnapshotRefused: not a snapshot of this plan, or unreadable (nothing written).
        StoreError: this database could not be written (nothing written).
    """
    path = Path(path).expanduser()
    if store.path is not None and path.exists() and path.resolve() == store.path.resolve():
        raise SnapshotRefused(f"「{path}」就是本数据库，不能合并到自身")
    with incoming.open_snapshot(path) as source:
        try:
            return _merge(store, source, str(path), by)
        except sqlite3.Error as error:
            raise SnapshotRefused(
                f"合并「{path}」时无法读取其中的数据（{error}），本数据库未作改动；未合并"
            ) from error


def _merge(store: Store, source: incoming.Source, name: str, by: str) -> MergeResult:
    plan_ids, our_items = _check_same_plan(store, source)
    our_units = store.unit_ids()
    label = _source_label(source)
    their_machine = source.setting("machine_id") or ""
    skipped = _Skipped(source.skipped)
    machines = []
    for row in source.rows("machines", ("id", "name", "first_seen")):
        reason = incoming.check_machine(row)
        if reason:
            skipped.add(reason)
        else:
            machines.append(row)
    machine_names = {m["id"]: m["name"] or m["id"] for m in machines}
    their_values = _their_values(source, our_items)
    their_units = {
        row["id"]: row["name"]
        for row in source.rows("units", ("id", "name"))
        if isinstance(row["id"], str) and isinstance(row["name"], str)
    }
    their_conflicts = []
    for row in source.rows("conflicts", incoming.CONFLICT_COLUMNS):
        reason = incoming.check_conflict(row, our_items)
        if reason:
            skipped.add(reason)
        else:
            their_conflicts.append(row)
    merge_id = uuid.uuid4().hex
    local_machine = store.machine_id
    now = store.clock().isoformat(timespec="seconds")
    horizon = store.clock() + FUTURE_TOLERANCE
    held_back = 0
    touched: set[_Field] = set()
    theirs_touched: set[_Field] = set()
    counts: Counter[tuple[str, str]] = Counter()
    new_count = 0
    with store.merge_write() as conn, _fast_text(conn):
        seen = stored.known_change_ids(conn)
        stored.add_machines(conn, machines)
        fresh: list[tuple] = []
        held: list[tuple] = []
        change_rows = source.cursor("changes", incoming.CHANGE_COLUMNS, "ORDER BY rowid")
        for position, values in enumerate(change_rows, start=1):
            reason = incoming.check_change(values, our_items, our_units)
            if reason and values[-1] in their_units and values[-1] not in our_units:
                reason = (
                    f"单位{incoming.shown(their_units[values[-1]])}本数据库没有，其填报未合并"
                    "（可先用 tracker units add 添加该单位，再合并一次）"
                )
            if reason:
                skipped.add(f"第 {position} 条：{reason}")
                continue
            change_id, item_id, field, _, _, changed_at, who, _, _, machine_id, unit_id = values
            theirs_touched.add((item_id, unit_id, field))
            if change_id in seen:
                continue
            seen.add(change_id)
            if instant(changed_at) > horizon:
                held.append((*values, QUARANTINE_REASON, merge_id, now))
                continue
            fresh.append(values)
            touched.add((item_id, unit_id, field))
            counts[(who, machine_id or "")] += 1
            if len(fresh) >= 5000:  # written as read: memory stays bounded
                stored.add_changes(conn, fresh)
                new_count += len(fresh)
                fresh.clear()
        stored.add_changes(conn, fresh)
        stored.hold_changes(conn, held)
        new_count += len(fresh)
        held_back += len(held)
        # Fields to recompute: those the new changes touch, and those their log touches
        # whose value differs between the two (a clock set wrong can leave one side's
        # value stale). A unit snapshot's reset items have no changes: left alone.
        ours_now = stored.office_values(conn) | stored.report_values(conn)
        for item_id, unit_id, field in theirs_touched:
            key = (item_id, unit_id)
            theirs = their_values.get(key, _NO_REPORT if unit_id is not None else None)
            ours = ours_now.get(key, _NO_REPORT)
            if theirs is not None and theirs.get(field) != ours.get(field):
                touched.add((item_id, unit_id, field))
        items_updated, found = _recompute(conn, touched, ours_now)
        new_conflicts = _record_conflicts(
            conn, found, their_conflicts, merge_id, local_machine, now
        )
        stored.record_merge(conn, merge_id, name, plan_ids, now, by, new_count, len(new_conflicts))
    names = store.machine_names()
    return MergeResult(
        source=name,
        label=label,
        machine=machine_names.get(their_machine, their_machine),
        merge_id=merge_id,
        plan_ids=plan_ids,
        changes_in=new_count,
        items_updated=items_updated,
        conflicts=list_conflicts(store, ids=new_conflicts, include_resolved=True),
        from_whom=sorted(
            (
                Contributor(by=who, machine=_name(names.get(machine)) or machine or "未知", count=n)
                for (who, machine), n in counts.items()
            ),
            key=lambda c: (-c.count, c.by),
        ),
        skipped=skipped.count,
        skipped_reasons=skipped.reasons,
        quarantined=held_back,
    )


_Field = tuple[str, str | None, str]
"""One logged value: (item id, unit id or None for the office's, field)."""
_NO_REPORT: dict[str, str | None] = {**stored.DEFAULTS, "updated_at": None, "updated_by": None}
"""A unit that never reported: its fields' defaults."""


def _their_values(source: incoming.Source, our_items: frozenset[str]) -> dict[Key, dict]:
    """The snapshot's current values: the office's fields of each item (the verdict as
    ``status``, 未启动 for none) and each unit's report, by (item, unit)."""
    found: dict[Key, dict] = {}
    for item_id, verdict, notes, reviewed in source.cursor("items", incoming.READ["items"]):
        if item_id in our_items:
            found[(item_id, None)] = {
                "status": verdict or Status.NOT_STARTED.value,
                "notes": notes,
                "last_reviewed": reviewed,
            }
    for item_id, unit_id, status, notes, reviewed in source.cursor(
        "reports", incoming.READ["reports"]
    ):
        if item_id in our_items and isinstance(unit_id, str):
            found[(item_id, unit_id)] = {
                "status": status,
                "notes": notes,
                "last_reviewed": reviewed,
            }
    return found


@contextmanager
def _fast_text(conn: sqlite3.Connection) -> Iterator[None]:
    """Read text the fast way while merging (text that is not UTF-8 then fails the
    merge, which changes nothing, instead of slowing every read)."""
    factory = conn.text_factory
    conn.text_factory = str
    try:
        yield
    finally:
        conn.text_factory = factory


def _name(value: object) -> str:
    return value if isinstance(value, str) else ""


FUTURE_TOLERANCE = timedelta(days=1)
"""How far ahead of the merging machine's clock a change may be dated and still count."""
QUARANTINE_REASON = "future"
"""``quarantined_changes.reason`` of a change dated too far ahead."""


RECOMPUTE_CHUNK = 100
"""Items whose logs are held in memory at once while recomputing."""


def _recompute(
    conn: sqlite3.Connection,
    touched: set[_Field],
    ours_now: dict[Key, dict],
) -> tuple[int, list[tuple[LogChange, LogChange]]]:
    """Set each touched field (the office's, or a unit's report's) to the last value of
    its own merged log, then recompute the items' roll-ups.

    Each (item, unit, field) is replayed on its own: the office's and each unit's
    values never meet, so units never conflict with each other or with the office.
    Items are taken :data:`RECOMPUTE_CHUNK` at a time, so memory stays bounded however
    long the log.

    Returns:
        How many items changed, and the conflicting pairs in the touched fields' logs.
    """
    keys_of: dict[str, set[Key]] = defaultdict(set)
    for item_id, unit_id, _ in touched:
        keys_of[item_id].add((item_id, unit_id))
    item_ids = sorted(keys_of)
    conflicts: list[tuple[LogChange, LogChange]] = []
    updated = 0
    for chunk in _chunks(item_ids, RECOMPUTE_CHUNK):
        logs: dict[Key, list[LogChange]] = defaultdict(list)
        for row in stored.logs(conn, chunk):
            change = LogChange(*row)
            if change.field in LEDGER_FIELDS:
                logs[(change.item_id, change.unit_id)].append(change)
        for item_id in chunk:
            changed = False
            for key in sorted(keys_of[item_id], key=lambda k: k[1] or ""):
                log = logs.get(key)
                if not log:
                    continue
                written, found = _recompute_one(conn, key, log, touched, ours_now.get(key))
                changed |= written
                conflicts += found
            updated += changed
        stored.recompute(conn, chunk)  # a verdict or a unit's report may have changed
    return updated, conflicts


def _recompute_one(
    conn: sqlite3.Connection,
    key: Key,
    log: list[LogChange],
    touched: set[_Field],
    before: dict | None,
) -> tuple[bool, list[tuple[LogChange, LogChange]]]:
    """Replay one (item, unit)'s touched fields; store them if anything changed."""
    item_id, unit_id = key
    before = before or _NO_REPORT
    values = {field: before[field] for field in LEDGER_FIELDS}
    conflicts: list[tuple[LogChange, LogChange]] = []
    for field in LEDGER_FIELDS:
        if (item_id, unit_id, field) not in touched:
            continue
        ordered = merged_order(c for c in log if c.field == field)
        if not ordered:
            continue
        values[field] = ordered[-1].new_value
        conflicts += find_conflicts(ordered)
    last = merged_order(log)[-1]
    changed = any(values[field] != before[field] for field in LEDGER_FIELDS)
    if not changed and (last.changed_at, last.by) == (before["updated_at"], before["updated_by"]):
        return False, conflicts
    notes_changed = values["notes"] != before["notes"]
    if unit_id is None:
        stored.set_office_values(conn, item_id, values, last.changed_at, last.by, notes_changed)
    else:
        stored.set_report_values(
            conn, item_id, unit_id, values, last.changed_at, last.by, notes_changed
        )
    return changed, conflicts


def _record_conflicts(
    conn: sqlite3.Connection,
    found: list[tuple[LogChange, LogChange]],
    theirs: list[dict],
    merge_id: str,
    local_machine: str | None,
    now: str,
) -> list[str]:
    """Record the conflicts found and those the other side knew; return the new ids."""
    new_ids: list[str] = []
    pairs: dict[str, tuple[LogChange | ChangeRecord, LogChange | ChangeRecord, str | None]] = {
        conflict_id(a.id, b.id): (a, b, merge_id) for a, b in found
    }
    # The other side's conflicts: their changes are all here now.
    wanted = [c for c in theirs if c["id"] not in pairs]
    if wanted:
        ids = sorted({c[k] for c in wanted for k in ("ours_change_id", "theirs_change_id")})
        changes = {}
        for values in stored.changes_by_id(conn, ids):
            change = ChangeRecord(**dict(zip(_CHANGE_COLUMNS, values, strict=True)))
            changes[change.id] = change
        for row in wanted:
            a = changes.get(row["ours_change_id"])
            b = changes.get(row["theirs_change_id"])
            if a is None or b is None or a.unit_id != b.unit_id:
                continue  # never a conflict across units (or the office)
            first, second = merged_order([a, b]) if a.machine_id != b.machine_id else (a, b)
            pairs.setdefault(row["id"], (first, second, None))
    for cid, (earlier, later, found_by) in pairs.items():
        ours, theirs_change = (
            (later, earlier) if later.machine_id == local_machine else (earlier, later)
        )
        if stored.add_conflict(
            conn,
            cid,
            earlier.item_id,
            earlier.field,
            (ours.id, ours.new_value),
            (theirs_change.id, theirs_change.new_value),
            now,
            found_by,
        ):
            new_ids.append(cid)
    # Resolutions made on the other side hold here too (their change is in the log).
    for row in theirs:
        if row.get("resolved_at"):
            stored.mark_resolved(
                conn, row["id"], row["resolved_at"], row["resolved_by"], row["resolution"]
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
            result.merged.append(merge_one(store, path, by))
        except StoreError as error:
            result.refused.append((str(path), str(error)))
    return result


def merge_one(store: Store, path: Path | str, by: str) -> MergeResult:
    """:func:`merge_snapshot`, with any failure (even a bug met by a strange file) turned
    into :class:`SnapshotRefused` with a message in Chinese: one file never stops a batch.

    Raises:
        StoreError: the file was refused or could not be merged (nothing written).
    """
    try:
        return merge_snapshot(store, path, by)
    except StoreError:
        raise
    except (sqlite3.Error, ValueError, TypeError, KeyError, OverflowError, MemoryError) as error:
        raise SnapshotRefused(
            f"合并「{path}」时出错（{type(error).__name__}：{str(error)[:200]}），"
            "本数据库未作改动；未合并"
        ) from error
    except Exception as error:  # a batch goes on; the message says what
        raise SnapshotRefused(
            f"合并「{path}」时出现意外错误（{type(error).__name__}），本数据库未作改动；未合并"
        ) from error
