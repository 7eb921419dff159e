"""Bad files and bad places: what is not a tracker database is refused and left as it
was; read-only databases open read-only; a busy, full or vanished database fails with a
clerk's message and leaves the data as it was."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest
from conftest import FixedClock

from tracker.domain.models import Status
from tracker.store import Store, StoreBusy, StoreError, StoreReadOnly, schema
from tracker.store.errors import storage_error

FIXTURES_DIR = Path(__file__).parent / "fixtures"


# ---------------------------------------------------------------------- helpers
def folder_state(folder: Path) -> dict[str, bytes]:
    """Every file in a folder (but the conftest's home folder), with its bytes."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture
def tracker_db(tmp_path: Path, store: Store) -> Path:
    """A closed tracker database (WAL mode, as the app leaves it) holding the plan."""
    path = store.path
    assert path is not None
    store.close()
    assert not Path(f"{path}-wal").exists()
    return path


def make_text(path: Path) -> None:
    path.write_text("这不是数据库，是一份会议纪要。\nnot a database\n" * 100, encoding="utf-8")


def make_zeros(path: Path) -> None:
    path.write_bytes(b"\0" * 4096)


def make_garbage(path: Path) -> None:
    path.write_bytes(bytes(range(256)) * 20)


def make_bare_header(path: Path) -> None:
    path.write_bytes(b"SQLite format 3\0" + b"\xff" * 40)


def make_header_and_garbage(path: Path) -> None:
    path.write_bytes(b"SQLite format 3\0" + bytes(range(256)) * 40)


def make_other_program(path: Path) -> None:
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE contacts (name TEXT, phone TEXT)")
        conn.execute("INSERT INTO contacts VALUES ('张三', '12345')")
        conn.commit()


def make_other_program_with_version(path: Path) -> None:
    """Many programs number their schema too: user_version 2 alone proves nothing."""
    make_other_program(path)
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA user_version = 2")
        conn.commit()


def make_other_program_wal(path: Path) -> None:
    make_other_program(path)
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA journal_mode = WAL")


BAD_FILES: dict[str, tuple[Callable[[Path], None], str]] = {
    "text": (make_text, "不是 tracker 数据库"),
    "zeros": (make_zeros, "不是 tracker 数据库"),
    "garbage": (make_garbage, "不是 tracker 数据库"),
    "bare-header": (make_bare_header, "已损坏或不完整"),
    "header-and-garbage": (make_header_and_garbage, "已损坏或不完整"),
    "other-program": (make_other_program, "其他程序"),
    "other-program-versioned": (make_other_program_with_version, "其他程序"),
    "other-program-wal": (make_other_program_wal, "其他程序"),
}


# ---------------------------------------------------------------------- not a tracker database
@pytest.mark.parametrize("kind", BAD_FILES)
def test_bad_file_is_refused_and_left_as_it_was(tmp_path: Path, kind: str) -> None:
    make, message = BAD_FILES[kind]
    path = tmp_path / "台账.db"
    make(path)
    before = folder_state(tmp_path)
    with pytest.raises(StoreError, match=message) as raised:
        Store.open(path)
    assert str(path) in str(raised.value)
    assert folder_state(tmp_path) == before  # no -wal, -shm or -journal either


@pytest.mark.parametrize("size", [3000, 4096, 50_000, "half"])
def test_truncated_tracker_database_is_refused_and_left_as_it_was(
    tracker_db: Path, tmp_path: Path, size: int | str
) -> None:
    """A copy cut short (a full USB stick, an interrupted download)."""
    data = tracker_db.read_bytes()
    cut = tmp_path / "cut" / "台账.db"
    cut.parent.mkdir()
    cut.write_bytes(data[: len(data) // 2 if size == "half" else size])
    before = folder_state(cut.parent)
    with pytest.raises(StoreError, match="已损坏或不完整"):
        Store.open(cut)
    assert folder_state(cut.parent) == before


def test_damaged_page_is_found_before_anything_is_written(tracker_db: Path) -> None:
    data = bytearray(tracker_db.read_bytes())
    page = 4096
    data[page * 5 : page * 6] = b"\x0d" + bytes(range(256)) * 15 + b"\xff" * 255
    tracker_db.write_bytes(bytes(data))
    before = folder_state(tracker_db.parent)
    with pytest.raises(StoreError, match="已损坏或不完整"):
        Store.open(tracker_db)
    assert folder_state(tracker_db.parent) == before


def test_newer_tracker_database_is_refused_and_left_as_it_was(tracker_db: Path) -> None:
    with closing(sqlite3.connect(tracker_db)) as conn:
        conn.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 1}")
        conn.commit()
    before = folder_state(tracker_db.parent)
    with pytest.raises(StoreError, match="更新版本的 tracker") as raised:
        Store.open(tracker_db)
    assert f"格式版本 {schema.SCHEMA_VERSION + 1}" in str(raised.value)
    assert folder_state(tracker_db.parent) == before


def test_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="是一个文件夹"):
        Store.open(tmp_path)


def test_an_empty_file_becomes_a_new_database(tmp_path: Path) -> None:
    """SQLite treats a zero-byte file as an empty database (``touch 台账.db``)."""
    path = tmp_path / "台账.db"
    path.touch()
    store = Store.open(path)
    try:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
    finally:
        store.close()


def test_a_journal_left_by_a_crash_is_replayed(tracker_db: Path) -> None:
    """A hot journal can only be rolled back by a writer: the open still succeeds and
    the half-done transaction is undone."""
    with closing(sqlite3.connect(tracker_db)) as conn:
        conn.execute("PRAGMA journal_mode = DELETE")
    crash = textwrap.dedent(
        f"""
        import os, sqlite3
        conn = sqlite3.connect({str(tracker_db)!r}, isolation_level=None)
        conn.execute("PRAGMA cache_size = 1")  # spill pages to the file mid-transaction
        conn.execute("BEGIN")
        conn.execute("UPDATE items SET notes = hex(randomblob(3000))")
        os._exit(0)
        """
    )
    subprocess.run([sys.executable, "-c", crash], check=True)
    assert Path(f"{tracker_db}-journal").exists()
    store = Store.open(tracker_db)
    try:
        assert store.db.execute("SELECT count(*) FROM items WHERE notes != ''").fetchone()[0] == 0
        assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        store.close()


# ---------------------------------------------------------------------- read-only
def first_item_id(store: Store) -> str:
    [plan] = store.plans()
    category = store.categories(plan.id)[0]
    return store.items(store.key_tasks(category.id)[0].id)[0].id


def every_write(store: Store, item_id: str) -> dict[str, Callable[[], object]]:
    """Each of the store's write methods, called as the app or CLI would."""
    from datetime import date

    from tracker.importers.parser import read_plan_file
    from tracker.store.locations import bundled_plan_path

    unit = store.unit("区发改局")
    group = store.unit("区政府工作部门")
    assert unit is not None and group is not None
    writes: dict[str, Callable[[], object]] = {
        "set_status": lambda: store.set_status(item_id, Status.DONE, "李四"),
        "save_notes": lambda: store.save_notes(item_id, "新进展", "李四"),
        "mark_reviewed": lambda: store.mark_reviewed(item_id, date(2023, 6, 1), "李四"),
        "import_plan": lambda: store.import_plan(read_plan_file(bundled_plan_path())),
        "add_unit": lambda: store.add_unit("东城街道"),
        "set_membership": lambda: store.set_membership(unit.id, group.id, False),
        "set_setting": lambda: store.set_setting("due_window", "3"),
    }
    optional = {
        "apply_change": lambda: store.apply_change(item_id, "notes", "新进展", "李四"),
        "save_draft": lambda: store.save_draft(item_id, "新进展", "李四", ""),
        "begin_session": lambda: store.begin_session("李四", "host", 1),
        "end_session": lambda: store.end_session("no-such-session"),
    }
    writes.update({name: call for name, call in optional.items() if hasattr(store, name)})
    return writes


def assert_read_only(store: Store) -> None:
    """Reads work; every write raises StoreReadOnly."""
    assert store.read_only
    [plan] = store.plans()
    assert plan.progress.total == 47
    item_id = first_item_id(store)
    assert store.item(item_id).content
    for name, write in every_write(store, item_id).items():
        with pytest.raises(StoreReadOnly, match="数据库是只读的") as raised:
            write()
        assert "复制到可写的文件夹" in str(raised.value), name


def test_forced_read_only_opens_a_wal_database_without_touching_it(tracker_db: Path) -> None:
    """A tracker database copied as it is (WAL mode, no -shm): opened immutable."""
    before = folder_state(tracker_db.parent)
    store = Store.open(tracker_db, read_only=True)
    try:
        assert_read_only(store)
        assert folder_state(tracker_db.parent) == before  # no -wal or -shm created
    finally:
        store.close()
    assert folder_state(tracker_db.parent) == before


def test_forced_read_only_snapshot_can_be_read_and_exported(store: Store, tmp_path: Path) -> None:
    """A snapshot (journal_mode DELETE) on a CD can be looked at and copied elsewhere."""
    snap = tmp_path / "光盘" / "快照.db"
    snap.parent.mkdir()
    store.save_notes(first_item_id(store), "上报前的进展", "李四")
    store.export_snapshot(snap)
    before = folder_state(snap.parent)
    opened = Store.open(snap, read_only=True)
    try:
        assert_read_only(opened)
        assert opened.item(first_item_id(opened)).notes == "上报前的进展"
        copy = opened.export_snapshot(tmp_path / "副本.db")
    finally:
        opened.close()
    assert folder_state(snap.parent) == before
    with closing(sqlite3.connect(copy)) as conn:
        assert conn.execute("SELECT count(*) FROM items").fetchone()[0] == 47


def test_read_only_never_creates_a_database(tmp_path: Path) -> None:
    with pytest.raises(StoreReadOnly, match="不存在"):
        Store.open(tmp_path / "无.db", read_only=True)
    assert not (tmp_path / "无.db").exists()


def test_writable_files_open_for_writing(store: Store) -> None:
    assert not store.read_only


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores chmod")
@pytest.mark.parametrize("what", ["file", "folder"])
def test_chmod_read_only_is_detected(tracker_db: Path, what: str) -> None:
    target = tracker_db if what == "file" else tracker_db.parent
    mode = target.stat().st_mode
    target.chmod(0o555 if what == "folder" else 0o444)
    try:
        before = folder_state(tracker_db.parent)
        store = Store.open(tracker_db)
        try:
            assert_read_only(store)
        finally:
            store.close()
        assert folder_state(tracker_db.parent) == before
    finally:
        target.chmod(mode)


READ_ONLY_MOUNT_SCRIPT = """
import os, sys
from tracker.store import Store, StoreReadOnly
path = sys.argv[1]
before = sorted(os.listdir(os.path.dirname(path)))
store = Store.open(path)
assert store.read_only, "not detected"
[plan] = store.plans()
assert plan.progress.total == 47
item = store.filtered_items(plan.id)[0]
try:
    store.save_notes(item.id, "x", "李四")
except StoreReadOnly as error:
    print("refused:", error)
store.close()
try:
    Store.open(os.path.join(os.path.dirname(path), "新.db"))
except StoreReadOnly as error:
    print("not created:", error)
assert sorted(os.listdir(os.path.dirname(path))) == before, "files created"
print("ok")
"""


@pytest.mark.skipif(not shutil.which("unshare"), reason="needs unshare(1)")
def test_read_only_mount_is_detected_even_for_root(tracker_db: Path) -> None:
    """A real read-only file system (a CD, a write-protected stick), in a private mount
    namespace: ``os.access`` says no even to root."""
    folder = tracker_db.parent
    data = tracker_db.read_bytes()
    script = (
        f"mount --bind '{folder}' '{folder}' && mount -o remount,ro,bind '{folder}' && "
        f"'{sys.executable}' -c '{READ_ONLY_MOUNT_SCRIPT}' '{tracker_db}'"
    )
    result = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0 and ("mount" in result.stderr or "unshare" in result.stderr):
        pytest.skip(f"cannot make a read-only mount here: {result.stderr.strip()[:200]}")
    assert result.returncode == 0, result.stderr
    assert "refused: 数据库是只读的" in result.stdout
    assert "not created: 无法新建数据库" in result.stdout
    assert tracker_db.read_bytes() == data


# ---------------------------------------------------------------------- busy
@pytest.fixture
def locker(tracker_db: Path) -> Iterator[sqlite3.Connection]:
    """Another program's connection to the database, in autocommit mode."""
    conn = sqlite3.connect(tracker_db, isolation_level=None)
    yield conn
    if conn.in_transaction:
        conn.execute("ROLLBACK")
    conn.close()


def test_default_busy_timeout_stays_five_seconds(store: Store) -> None:
    assert store.db.execute("PRAGMA busy_timeout").fetchone()[0] == 5000


def test_busy_write_is_a_clerks_message_and_writes_nothing(
    tracker_db: Path, locker: sqlite3.Connection
) -> None:
    store = Store.open(tracker_db, busy_timeout_ms=100)
    try:
        assert store.db.execute("PRAGMA busy_timeout").fetchone()[0] == 100
        item_id = first_item_id(store)
        locker.execute("BEGIN IMMEDIATE")
        started = time.monotonic()
        with pytest.raises(StoreBusy, match="另一个程序正在写入该数据库，请稍后重试"):
            store.save_notes(item_id, "锁住时的进展", "李四")
        assert time.monotonic() - started < 3
        assert not store.db.conn.in_transaction
        locker.execute("ROLLBACK")
        assert store.item(item_id).notes == ""
        assert store.changes(item_id) == []
        assert store.save_notes(item_id, "锁放开后的进展", "李四")  # works once free
    finally:
        store.close()


def test_busy_upgrade_is_refused_without_a_backup(tmp_path: Path) -> None:
    path = tmp_path / "台账.db"
    shutil.copyfile(FIXTURES_DIR / "schema-v1.db", path)
    locker = sqlite3.connect(path, isolation_level=None)
    try:
        locker.execute("BEGIN IMMEDIATE")
        before = folder_state(tmp_path)
        with pytest.raises(StoreBusy, match="另一个程序正在写入"):
            Store.open(path, busy_timeout_ms=100)
        assert folder_state(tmp_path) == before  # no backup, no upgrade
    finally:
        locker.execute("ROLLBACK")
        locker.close()


def test_exclusively_locked_database_is_busy_on_open(
    tracker_db: Path, locker: sqlite3.Connection
) -> None:
    locker.execute("PRAGMA journal_mode = DELETE")
    locker.execute("BEGIN EXCLUSIVE")
    with pytest.raises(StoreBusy, match="另一个程序正在写入"):
        Store.open(tracker_db, busy_timeout_ms=100)


# ---------------------------------------------------------------------- full disk, lost folder
def test_full_disk_leaves_the_item_and_log_as_they_were(store: Store) -> None:
    item_id = first_item_id(store)
    store.save_notes(item_id, "旧的进展", "李四")
    pages = store.db.execute("PRAGMA page_count").fetchone()[0]
    store.db.execute(f"PRAGMA max_page_count = {pages}")  # a disk with no room left
    with pytest.raises(StoreError, match="磁盘空间已满") as raised:
        store.save_notes(item_id, "很长的进展" * 20_000, "李四")
    assert "没有保存" in str(raised.value)
    assert not store.db.conn.in_transaction
    assert store.item(item_id).notes == "旧的进展"
    assert len(store.changes(item_id)) == 1
    assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    store.db.execute("PRAGMA max_page_count = 1073741823")  # room again: it saves
    assert store.save_notes(item_id, "很长的进展" * 20_000, "李四")


def test_deleted_folder_fails_the_save_instead_of_losing_it(
    tmp_path: Path, clock: FixedClock, seed_path: Path
) -> None:
    """With the folder gone, SQLite would happily write on into the deleted files."""
    from tracker.importers.parser import read_plan_file

    path = tmp_path / "U盘" / "台账.db"
    store = Store.open(path, clock=clock)
    try:
        store.import_plan(read_plan_file(seed_path))
        item_id = first_item_id(store)
        shutil.rmtree(path.parent)
        with pytest.raises(StoreError, match="已不在原处") as raised:
            store.save_notes(item_id, "拔出U盘后写的进展", "李四")
        assert "没有保存" in str(raised.value)
        assert not isinstance(raised.value, (StoreBusy, StoreReadOnly))
    finally:
        store.close()


def test_replaced_file_fails_the_save(tracker_db: Path, tmp_path: Path) -> None:
    """Someone copied another database over the open one: writing would go to the old,
    deleted copy. The new file is left alone."""
    store = Store.open(tracker_db)
    try:
        item_id = first_item_id(store)
        other = tmp_path / "other.db"
        shutil.copyfile(tracker_db, other)
        os.replace(other, tracker_db)
        data = tracker_db.read_bytes()
        with pytest.raises(StoreError, match="已不在原处"):
            store.set_status(item_id, Status.DONE, "李四")
    finally:
        store.close()
    assert tracker_db.read_bytes() == data


@pytest.mark.parametrize(
    ("code", "kind", "phrase"),
    [
        (sqlite3.SQLITE_BUSY, StoreBusy, "另一个程序正在写入"),
        (sqlite3.SQLITE_LOCKED, StoreBusy, "另一个程序正在写入"),
        (sqlite3.SQLITE_READONLY, StoreReadOnly, "数据库是只读的"),
        (sqlite3.SQLITE_READONLY_DBMOVED, StoreError, "已不在原处"),
        (sqlite3.SQLITE_FULL, StoreError, "磁盘空间已满"),
        (sqlite3.SQLITE_IOERR_WRITE, StoreError, "U盘已拔出"),
        (sqlite3.SQLITE_CANTOPEN, StoreError, "U盘已拔出"),
        (sqlite3.SQLITE_CORRUPT, StoreError, "已损坏"),
    ],
)
def test_storage_errors_become_clerks_messages(code: int, kind: type, phrase: str) -> None:
    error = sqlite3.OperationalError("low-level message")
    error.sqlite_errorcode = code
    translated = storage_error(error, Path("台账.db"), saving=True)
    assert type(translated) is kind
    assert phrase in str(translated)
    assert "台账.db" in str(translated)


def test_other_errors_are_not_disguised() -> None:
    """A bug (a misspelt column) must surface as it is, not as a disk problem."""
    error = sqlite3.OperationalError("no such column: nope")
    error.sqlite_errorcode = sqlite3.SQLITE_ERROR
    assert storage_error(error, Path("台账.db"), saving=True) is None
    assert storage_error(KeyError("x"), Path("台账.db")) is None
    disk = storage_error(OSError(28, "No space left on device"), Path("台账.db"), saving=True)
    assert isinstance(disk, StoreError) and "No space left on device" in str(disk)


def test_big_files_skip_the_full_read_but_not_the_size_check(
    tracker_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above QUICK_CHECK_MAX_BYTES opening does not read every page (0.5 s at 100,000
    items); a file cut short is still refused by the size its header records."""
    monkeypatch.setattr("tracker.store.files.QUICK_CHECK_MAX_BYTES", 0)
    data = tracker_db.read_bytes()
    cut = tmp_path / "cut.db"
    cut.write_bytes(data[: len(data) - 4096])
    with pytest.raises(StoreError, match="已损坏或不完整"):
        Store.open(cut)
    assert cut.read_bytes() == data[: len(data) - 4096]
    store = Store.open(tracker_db)
    try:
        [plan] = store.plans()
        assert plan.progress.total == 47
    finally:
        store.close()
