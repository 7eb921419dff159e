"""The SQLite store and the snapshot export, against temporary databases only."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from conftest import TZ, FixedClock

from tracker.domain.models import STATUS_LABELS, Status
from tracker.importers.parser import read_plan_file
from tracker.store import ChangedUnderneath, ItemFilter, ItemRecord, Store, StoreError, schema
from tracker.store.snapshot import SnapshotError

T0 = "2023-06-15T09:30:00+08:00"
"""The conftest clock's start, as the store writes it."""

ODD_TEXTS = [
    "[bold]加粗[/bold] [/] [red]红[/red] [link=https://example.org]链接[/link]",
    "\x1b[2J\x1b[H\x1b[31m清屏\x1b[0m",
    "😀👩‍💻🇨🇳 表情",
    "e\u0301 a\u0308\u0323 组合字符 ﻿\u200b\u200d",
    "全角：（单位）【重点】“引号” \u3000\u00a0 末尾空格  ",
    "多行\n第二行\r\n第三行\t制表\x0b\x0c\u2028",
    "'; DROP TABLE items; -- %s {0} \\ $HOME",
]


# ---------------------------------------------------------------------- helpers
def raw(path: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection, in autocommit mode."""
    return sqlite3.connect(path, isolation_level=None)


def counts(conn: sqlite3.Connection) -> dict[str, int]:
    return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in schema.TABLES}


def all_items(store: Store) -> list[ItemRecord]:
    [plan] = store.plans()
    return [
        item
        for category in store.categories(plan.id)
        for key_task in store.key_tasks(category.id)
        for item in store.items(key_task.id)
    ]


def id_sets(path: Path) -> dict[str, set[str]]:
    conn = raw(path)
    try:
        return {
            table: {row[0] for row in conn.execute(f"SELECT id FROM {table}")}
            for table in ("plans", "categories", "key_tasks", "items")
        }
    finally:
        conn.close()


@pytest.fixture
def seed_plan(seed_path: Path):
    return read_plan_file(seed_path)


@pytest.fixture
def items(store: Store) -> list[ItemRecord]:
    return all_items(store)


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    path = tmp_path / "out"
    path.mkdir()
    return path


@pytest.fixture
def reader(db_path: Path, store: Store) -> Iterator[sqlite3.Connection]:
    conn = raw(db_path)
    yield conn
    conn.close()


# ---------------------------------------------------------------------- opening
def test_open_configures_the_connection(store: Store) -> None:
    pragma = lambda name: store.db.execute(f"PRAGMA {name}").fetchone()[0]  # noqa: E731
    assert pragma("journal_mode") == "wal"
    assert pragma("foreign_keys") == 1
    assert pragma("busy_timeout") == 5000
    assert pragma("synchronous") == 2
    assert pragma("user_version") == schema.SCHEMA_VERSION


def test_open_creates_every_table_and_the_statuses(store: Store) -> None:
    assert set(schema.TABLES) <= set(store.db.table_names())
    rows = store.db.execute("SELECT code, label, seq FROM statuses ORDER BY seq").fetchall()
    assert rows == [
        ("not_started", "未启动", 1),
        ("in_progress", "推进中", 2),
        ("done", "已完成", 3),
        ("ongoing", "持续推进", 4),
        ("on_hold", "暂缓/受阻", 5),
    ]
    assert {label for _, label, _ in rows} == set(STATUS_LABELS.values())


def test_reopen_keeps_data_and_settings(db_path: Path, clock: FixedClock, seed_plan) -> None:
    first = Store.open(db_path, clock=clock)
    first.import_plan(seed_plan)
    first.close()
    again = Store.open(db_path, clock=clock)
    try:
        assert again.db.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
        assert again.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert len(all_items(again)) == 47
    finally:
        again.close()


def test_open_creates_missing_parent_folders(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "tracker.db"
    store = Store.open(path)
    store.close()
    assert path.is_file()


def test_open_plain_text_file_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    data = ("这不是数据库 not a database\n" * 200).encode()
    path.write_bytes(data)
    with pytest.raises(StoreError, match="不是 tracker 数据库"):
        Store.open(path)
    assert path.read_bytes() == data
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "notes.txt"]


def test_open_newer_database_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "newer.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE future (x)")
    conn.execute("INSERT INTO future VALUES ('未来')")
    conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()
    data = path.read_bytes()
    with pytest.raises(StoreError, match="99"):
        Store.open(path)
    assert path.read_bytes() == data
    assert not Path(f"{path}-wal").exists()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 99
    conn.close()


def test_open_other_programs_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE contacts (name)")
    conn.commit()
    conn.close()
    data = path.read_bytes()
    with pytest.raises(StoreError, match="其他程序"):
        Store.open(path)
    assert path.read_bytes() == data


# ---------------------------------------------------------------------- import
def test_import_counts(db_path: Path, clock: FixedClock, seed_plan) -> None:
    store = Store.open(db_path, clock=clock)
    try:
        result = store.import_plan(seed_plan)
        assert (result.categories, result.key_tasks, result.items) == (5, 19, 47)
        assert result.new_items == 47
        assert result.plan_id == seed_plan.id
        assert counts(store.db.conn) == {
            "plans": 1,
            "categories": 5,
            "key_tasks": 19,
            "items": 47,
            "statuses": 5,
            "changes": 0,
            # 39 concrete units and 8 collectives (6 named in the seed, 2 by default).
            "units": 45,  # only the collectives the plan names
            "item_units": 154,
            # Each of the 39 district departments in its 5 default collectives.
            "unit_members": 39 * 3,  # each department in the three department collectives
            "settings": 1,  # this copy's machine_id
            "sessions": 0,
            "machines": 1,
            "merges": 0,
            "conflicts": 0,
            "unit_aliases": 0,
            "quarantined_changes": 0,
            "reports": 0,
        }
        [plan] = store.plans()
        assert (plan.title, plan.year) == ("2023年全区政务公开工作要点分工表", 2023)
        assert plan.source == "2023-tongchuan-gongkai-fengong.txt"
        assert store.db["plans"].get(plan.id)["imported_at"] == T0
    finally:
        store.close()


def test_items_keep_plan_order_and_text(store: Store, items: list[ItemRecord], seed_plan) -> None:
    expected = [
        (c.no, c.title, k.title, i.content, i.units_text, i.deadline_text)
        for c in seed_plan.categories
        for k in c.key_tasks
        for i in k.items
    ]
    got = [
        (
            i.category_no,
            i.category_title,
            i.key_task_title,
            i.content,
            i.units_text,
            i.deadline_text,
        )
        for i in items
    ]
    assert got == expected
    assert {i.status for i in items} == {Status.NOT_STARTED}
    assert {i.notes for i in items} == {""}


def test_reimport_is_idempotent_and_keeps_edits(
    store: Store, clock: FixedClock, items: list[ItemRecord], seed_plan
) -> None:
    target = items[5]
    store.set_status(target.id, Status.IN_PROGRESS, "张三")
    store.save_notes(target.id, "已部署", "张三")
    before = counts(store.db.conn)
    clock.advance(3600)
    result = store.import_plan(seed_plan)
    assert result.new_items == 0
    assert (result.categories, result.key_tasks, result.items) == (5, 19, 47)
    assert counts(store.db.conn) == before
    again = store.item(target.id)
    assert again.status is Status.IN_PROGRESS
    assert again.notes == "已部署"
    assert again.updated_by == "张三"
    assert store.db["plans"].get(seed_plan.id)["imported_at"] == T0  # not bumped
    assert len(store.changes(target.id)) == 2


def test_ids_are_deterministic(tmp_path: Path, seed_path: Path) -> None:
    paths = [tmp_path / "machine-a.db", tmp_path / "machine-b.db"]
    clocks = [FixedClock(datetime(2023, 1, 1, tzinfo=TZ)), FixedClock(datetime(2024, 5, 5))]
    for path, clock in zip(paths, clocks, strict=True):
        store = Store.open(path, clock=clock)
        store.import_plan(read_plan_file(seed_path))  # parsed separately each time
        store.close()
    a, b = (id_sets(p) for p in paths)
    assert a == b
    assert [len(a[t]) for t in ("plans", "categories", "key_tasks", "items")] == [1, 5, 19, 47]


# ---------------------------------------------------------------------- writes and the log
def test_set_status_writes_and_logs(store: Store, clock: FixedClock, items) -> None:
    item = items[0]
    assert store.set_status(item.id, Status.DONE, "张三") is True
    stored = store.item(item.id)
    assert stored.status is Status.DONE
    assert (stored.updated_at, stored.updated_by) == (T0, "张三")
    [change] = store.changes(item.id)
    assert (change.item_id, change.field) == (item.id, "status")
    assert (change.old_value, change.new_value) == ("not_started", "done")
    assert (change.by, change.changed_at) == ("张三", T0)

    clock.advance(60)
    assert store.set_status(item.id, Status.DONE, "李四") is False  # unchanged: no row
    assert len(store.changes()) == 1
    assert store.item(item.id).updated_by == "张三"

    assert store.set_status(item.id, "in_progress", "李四") is True
    newest, oldest = store.changes(item.id)
    assert (newest.old_value, newest.new_value) == ("done", "in_progress")
    assert (newest.by, newest.changed_at) == ("李四", "2023-06-15T09:31:00+08:00")
    assert oldest == change


def test_save_notes_writes_and_logs(store: Store, clock: FixedClock, items) -> None:
    item = items[10]
    assert store.save_notes(item.id, "第一次", "王五") is True
    clock.advance(30)
    assert store.save_notes(item.id, "第一次", "王五") is False
    clock.advance(30)
    assert store.save_notes(item.id, "第二次", "赵六") is True
    assert store.item(item.id).notes == "第二次"
    log = [(c.field, c.old_value, c.new_value, c.by, c.changed_at) for c in store.changes()]
    assert log == [
        ("notes", "第一次", "第二次", "赵六", "2023-06-15T09:31:00+08:00"),
        ("notes", "", "第一次", "王五", T0),
    ]
    assert store.changes(items[0].id) == []


def traced(store: Store, action) -> list[str]:
    """The SQL statements the store issues while ``action()`` runs.

    SQLite also reports the statements FTS5 runs on its own shadow tables to keep the
    index (prefixed with ``--``, or, for the configuration it reads once per connection,
    naming ``'main'.…``, as its data_version check); those are not the store's and are left out.
    """
    log: list[str] = []
    store.db.conn.set_trace_callback(log.append)
    try:
        action()
    finally:
        store.db.conn.set_trace_callback(None)
    return [sql for sql in log if not sql.startswith("--") and "'main'." not in sql]


def test_a_notes_save_is_five_statements_and_rereads_nothing(store: Store, items) -> None:
    """BEGIN, the change row (copying the old notes), the item, the search index, COMMIT."""
    item = items[5]
    store.session_id = "s1"
    first, more = "已召开专题会议部署", "已召开专题会议部署推进"
    statements = traced(store, lambda: store.save_notes(item.id, first, "张三"))
    assert len(statements) <= 5, statements
    assert statements[0] == "BEGIN IMMEDIATE" and statements[-1] == "COMMIT"
    updated = next(i for i, sql in enumerate(statements) if sql.startswith("UPDATE items "))
    assert not any(sql.startswith("SELECT") for sql in statements[updated:])
    # As the app saves (a draft, with the notes the clerk started from): the same.
    statements = traced(store, lambda: store.save_draft(item.id, more, "张三", first))
    assert len(statements) <= 5, statements
    assert not any(sql.startswith("SELECT") for sql in statements)
    # What was saved, logged and indexed is as before.
    assert store.item(item.id).notes == more
    newest, oldest = store.changes(item.id)
    assert (oldest.old_value, oldest.new_value) == ("", first)
    assert (newest.old_value, newest.new_value) == (first, more)
    assert (newest.by, newest.changed_at) == ("张三", T0)
    assert (newest.session_id, newest.kind) == ("s1", "edit")
    assert newest.machine_id == store.setting("machine_id") is not None
    found = store.filtered_items(item.plan_id, ItemFilter(text="部署推进"))
    assert [i.id for i in found] == [item.id]


def test_a_status_change_is_four_statements(store: Store, items) -> None:
    item = items[5]
    statements = traced(store, lambda: store.set_status(item.id, Status.DONE, "张三"))
    assert len(statements) <= 4, statements
    assert not any(sql.startswith("SELECT") for sql in statements)
    [change] = store.changes(item.id)
    assert (change.old_value, change.new_value) == ("not_started", "done")


def test_a_save_over_notes_changed_underneath_writes_nothing(
    store: Store, items, reader: sqlite3.Connection
) -> None:
    item = items[6]
    store.save_notes(item.id, "另一窗口写的", "李四")
    before = counts(reader)
    with pytest.raises(ChangedUnderneath) as raised:
        store.save_notes(item.id, "我写的", "张三", expected="")
    assert (raised.value.current, raised.value.expected) == ("另一窗口写的", "")
    assert counts(reader) == before
    assert not store.db.conn.in_transaction
    # Saving what is stored already is no change, whatever the clerk saw.
    assert store.save_notes(item.id, "另一窗口写的", "张三", expected="") is False
    change, merged = store.save_draft(item.id, "我写的", "张三", "")
    assert merged and change is not None and change.old_value == "另一窗口写的"
    assert "另一窗口写的" in store.item(item.id).notes and "我写的" in store.item(item.id).notes


def test_saves_over_stored_values_sql_cannot_compare(store: Store, items) -> None:
    """Notes that are not valid UTF-8 read with U+FFFD: compared as read, as shown."""
    item = items[7]
    with store.write() as db:
        db.execute("UPDATE items SET notes = CAST(x'41ff42' AS TEXT) WHERE id = ?", [item.id])
    shown = store.item(item.id).notes
    assert shown == "A\ufffdB"
    assert store.save_notes(item.id, shown, "张三") is False
    assert store.changes(item.id) == []
    assert store.save_notes(item.id, "改好了", "张三", expected=shown) is True
    [change] = store.changes(item.id)
    assert (change.old_value, change.new_value) == (shown, "改好了")
    with store.write() as db:  # a BLOB: no text at all
        db.execute("UPDATE items SET notes = x'00ff' WHERE id = ?", [item.id])
    assert store.save_notes(item.id, "再改", "张三") is True
    assert store.item(item.id).notes == "再改"
    assert store.changes(item.id)[0].new_value == "再改"


def test_changes_table_is_append_only(store: Store, items, reader: sqlite3.Connection) -> None:
    store.set_status(items[0].id, Status.DONE, "张三")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        reader.execute("UPDATE changes SET by = '篡改'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        reader.execute("DELETE FROM changes")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        store.db.conn.execute("DELETE FROM changes")
    store.db.conn.rollback()
    [change] = store.changes()
    assert change.by == "张三"


def test_write_on_missing_item_changes_nothing(
    store: Store, db_path: Path, reader: sqlite3.Connection
) -> None:
    before = counts(reader)
    with pytest.raises(KeyError):
        store.set_status("no-such-item", Status.DONE, "张三")
    with pytest.raises(KeyError):
        store.save_notes("no-such-item", "文字", "张三")
    assert not store.db.conn.in_transaction
    assert counts(reader) == before
    # The write lock was released: another connection can write at once.
    other = sqlite3.connect(db_path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    finally:
        other.close()


def test_failed_save_rolls_back_the_item(store: Store, items, reader: sqlite3.Connection) -> None:
    item = items[3]
    store.save_notes(item.id, "原有进展", "张三")
    before = counts(reader)
    # Make the change-log insert fail: the whole save (item, log, index) is rolled back.
    store.db.conn.execute(
        "CREATE TEMP TRIGGER boom BEFORE INSERT ON main.changes "
        "BEGIN SELECT RAISE(ABORT, 'boom'); END"
    )
    with pytest.raises(sqlite3.DatabaseError, match="boom"):
        store.save_notes(item.id, "不应保存", "李四")
    with pytest.raises(sqlite3.DatabaseError, match="boom"):
        store.set_status(item.id, Status.DONE, "李四")
    assert not store.db.conn.in_transaction
    row = reader.execute(
        "SELECT notes, status, updated_by FROM items WHERE id = ?", [item.id]
    ).fetchone()
    assert row == ("原有进展", "not_started", "张三")
    assert counts(reader) == before
    # The store is still usable once the failure is gone.
    store.db.conn.execute("DROP TRIGGER temp.boom")
    assert store.save_notes(item.id, "现在保存", "李四") is True
    assert reader.execute("SELECT notes FROM items WHERE id = ?", [item.id]).fetchone()[0] == (
        "现在保存"
    )


def test_write_transaction_rolls_back_on_error(store: Store, items) -> None:
    with pytest.raises(RuntimeError), store.write() as db:
        db.execute("UPDATE items SET notes = '半截' WHERE id = ?", [items[0].id])
        raise RuntimeError("中途失败")
    assert store.item(items[0].id).notes == ""
    assert not store.db.conn.in_transaction


def test_status_must_be_known(store: Store, items) -> None:
    with pytest.raises(ValueError):
        store.set_status(items[0].id, "finished", "张三")
    with pytest.raises(sqlite3.IntegrityError):  # the foreign key to statuses
        store.db.conn.execute("UPDATE items SET status = 'finished' WHERE id = ?", [items[0].id])
    store.db.conn.rollback()
    assert store.item(items[0].id).status is Status.NOT_STARTED


# ---------------------------------------------------------------------- counts and progress
def test_status_counts_and_progress(store: Store, items) -> None:
    [plan] = store.plans()
    cat1, cat2, cat3, cat4, cat5 = store.categories(plan.id)
    kt1_1, _, kt1_3, _ = store.key_tasks(cat1.id)
    first_three = store.items(kt1_1.id)
    store.set_status(first_three[0].id, Status.DONE, "张三")
    store.set_status(first_three[1].id, Status.IN_PROGRESS, "张三")
    store.set_status(store.items(kt1_3.id)[0].id, Status.DONE, "张三")
    store.set_status(store.items(store.key_tasks(cat2.id)[0].id)[0].id, Status.ON_HOLD, "张三")
    store.set_status(items[-1].id, Status.DONE, "张三")
    store.set_status(items[-2].id, Status.ONGOING, "张三")
    store.set_status(items[-2].id, Status.DONE, "张三")
    store.set_status(items[-2].id, Status.ONGOING, "张三")  # back again: not done

    assert (store.plan(plan.id).progress.done, store.plan(plan.id).progress.total) == (3, 47)
    assert store.status_counts("plan", plan.id) == {
        Status.NOT_STARTED: 41,
        Status.IN_PROGRESS: 1,
        Status.DONE: 3,
        Status.ONGOING: 1,
        Status.ON_HOLD: 1,
    }
    progress = {c.no: (c.progress.done, c.progress.total) for c in store.categories(plan.id)}
    assert progress == {"1": (2, 16), "2": (0, 12), "3": (0, 5), "4": (0, 6), "5": (1, 8)}
    cat1_progress = store.category(cat1.id).progress
    assert (cat1_progress.done, cat1_progress.total) == (2, 16)
    assert store.status_counts("category", cat1.id) == {
        Status.NOT_STARTED: 13,
        Status.IN_PROGRESS: 1,
        Status.DONE: 2,
        Status.ONGOING: 0,
        Status.ON_HOLD: 0,
    }
    assert store.status_counts("category", cat2.id)[Status.ON_HOLD] == 1
    assert store.status_counts("category", cat5.id)[Status.ONGOING] == 1
    assert [(k.progress.done, k.progress.total) for k in store.key_tasks(cat1.id)] == [
        (1, 3),
        (0, 2),
        (1, 5),
        (0, 6),
    ]
    kt1_progress = store.key_task(kt1_1.id).progress
    assert (kt1_progress.done, kt1_progress.total) == (1, 3)
    assert store.status_counts("key_task", kt1_1.id) == {
        Status.NOT_STARTED: 1,
        Status.IN_PROGRESS: 1,
        Status.DONE: 1,
        Status.ONGOING: 0,
        Status.ON_HOLD: 0,
    }
    assert sum(store.status_counts("category", c.id)[Status.DONE] for c in (cat3, cat4)) == 0


def test_lookups_of_missing_nodes_raise_key_error(store: Store) -> None:
    for lookup in (store.item, store.plan, store.category, store.key_task):
        with pytest.raises(KeyError):
            lookup("missing")


# ---------------------------------------------------------------------- exact text
@pytest.mark.parametrize("text", [*ODD_TEXTS, "进展" * 20_000 + "😀" * 5_000 + "[/]"])
def test_notes_round_trip_byte_exact(
    store: Store, items, out_dir: Path, reader: sqlite3.Connection, text: str
) -> None:
    item = items[7]
    assert store.save_notes(item.id, text, "张三")
    assert store.item(item.id).notes == text
    stored = reader.execute("SELECT CAST(notes AS BLOB) FROM items WHERE id = ?", [item.id])
    assert stored.fetchone()[0] == text.encode("utf-8")
    assert store.changes(item.id)[0].new_value == text

    snap = store.export_snapshot(out_dir / "snap.db")
    conn = sqlite3.connect(snap)
    try:
        got = conn.execute("SELECT CAST(notes AS BLOB) FROM items WHERE id = ?", [item.id])
        assert got.fetchone()[0] == text.encode("utf-8")
        logged = conn.execute("SELECT new_value FROM changes WHERE item_id = ?", [item.id])
        assert logged.fetchone()[0] == text
    finally:
        conn.close()


def test_hundred_kilobyte_note(store: Store, items) -> None:
    text = ("一二三四五六七八九十" * 3500)[:34_000] + "[bold]end[/]"
    assert len(text.encode("utf-8")) > 100_000
    store.save_notes(items[0].id, text, "张三")
    assert store.item(items[0].id).notes == text


# ---------------------------------------------------------------------- snapshot
def test_snapshot_is_a_complete_standalone_file(
    store: Store, items, out_dir: Path, reader: sqlite3.Connection
) -> None:
    store.set_status(items[0].id, Status.DONE, "张三")
    store.save_notes(items[1].id, "进展", "张三")
    out = out_dir / "区发改局-2023-11.db"
    written = store.export_snapshot(out)
    assert written == out.resolve()
    assert sorted(p.name for p in out_dir.iterdir()) == [out.name]  # no -wal/-shm/.part
    data = out.read_bytes()
    assert data[:16] == b"SQLite format 3\x00"
    assert (data[18], data[19]) == (1, 1)  # rollback-journal format, not WAL
    conn = sqlite3.connect(out)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
        assert counts(conn) == counts(reader)
        assert counts(conn)["changes"] == 2
        triggers = {
            r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'")
        }
        assert triggers == {"changes_append_only_update", "changes_append_only_delete"}
    finally:
        conn.close()
    assert sorted(p.name for p in out_dir.iterdir()) == [out.name]


def test_snapshot_refuses_existing_file_unless_forced(store: Store, out_dir: Path) -> None:
    out = out_dir / "snap.db"
    out.write_bytes(b"keep me")
    with pytest.raises(SnapshotError, match="已存在"):
        store.export_snapshot(out)
    assert out.read_bytes() == b"keep me"
    assert sorted(p.name for p in out_dir.iterdir()) == ["snap.db"]
    store.export_snapshot(out, force=True)
    conn = sqlite3.connect(out)
    try:
        assert conn.execute("SELECT count(*) FROM items").fetchone()[0] == 47
    finally:
        conn.close()
    assert sorted(p.name for p in out_dir.iterdir()) == ["snap.db"]


def test_snapshot_refuses_the_database_itself(store: Store, db_path: Path) -> None:
    before = db_path.read_bytes()
    for target in (db_path, Path(f"{db_path}-wal"), Path(f"{db_path}-shm")):
        with pytest.raises(SnapshotError, match="数据库自身"):
            store.export_snapshot(target, force=True)
    assert db_path.read_bytes() == before
    assert len(all_items(store)) == 47
    assert not list(db_path.parent.glob("*.part"))


def test_snapshot_refuses_missing_folder_and_directory(store: Store, tmp_path: Path) -> None:
    with pytest.raises(SnapshotError, match="不存在"):
        store.export_snapshot(tmp_path / "missing" / "snap.db")
    assert not (tmp_path / "missing").exists()
    with pytest.raises(SnapshotError, match="文件夹"):
        store.export_snapshot(tmp_path, force=True)


def test_snapshot_sees_other_connections_commits(
    store: Store, db_path: Path, items, out_dir: Path
) -> None:
    other = raw(db_path)
    try:
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        other.execute("UPDATE items SET notes = '另一进程写入' WHERE id = ?", [items[0].id])
        # A transaction still open elsewhere must neither block nor leak into the copy.
        other.execute("BEGIN IMMEDIATE")
        other.execute("UPDATE items SET notes = '未提交' WHERE id = ?", [items[1].id])
        snap = store.export_snapshot(out_dir / "snap.db")
        other.execute("ROLLBACK")
    finally:
        other.close()
    conn = sqlite3.connect(snap)
    try:
        notes = dict(conn.execute("SELECT id, notes FROM items"))
        assert notes[items[0].id] == "另一进程写入"
        assert notes[items[1].id] == ""
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()


@pytest.mark.skipif(shutil.which("sqlite3") is None, reason="no sqlite3 shell installed")
def test_snapshot_opens_in_the_sqlite3_shell(store: Store, out_dir: Path) -> None:
    snap = store.export_snapshot(out_dir / "snap.db")
    result = subprocess.run(
        [shutil.which("sqlite3"), str(snap), "select count(*) from items"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert result.stdout.strip() == "47"
    labels = subprocess.run(
        [shutil.which("sqlite3"), str(snap), "select label from statuses order by seq"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=30,
        check=True,
    )
    assert labels.stdout.split() == ["未启动", "推进中", "已完成", "持续推进", "暂缓/受阻"]
