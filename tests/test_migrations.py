"""Databases written by every earlier schema open in this version with nothing lost.

Each ``fixtures/schema-v<N>.db`` was written by the code of schema version N (see
``fixtures/make_fixtures.py``); a new schema version only adds a file. Opening a copy
must upgrade it to :data:`tracker.store.schema.SCHEMA_VERSION`, keep every row of the old
file byte for byte, fill what the new schema derives, and first keep a checked copy
of the old file beside it, once.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
from collections import Counter
from contextlib import closing
from datetime import datetime
from pathlib import Path

import pytest
from conftest import TZ, FixedClock

from tracker.store import Store, StoreError, StoreReadOnly, schema, snapshot
from tracker.store.search_index import fts_query

FIXTURES_DIR = Path(__file__).parent / "fixtures"


def fixture_version(path: Path) -> int:
    match = re.fullmatch(r"schema-v(\d+)\.db", path.name)
    assert match, path
    return int(match[1])


FIXTURES = sorted(FIXTURES_DIR.glob("schema-v*.db"), key=fixture_version)
OLD_FIXTURES = [f for f in FIXTURES if fixture_version(f) < schema.SCHEMA_VERSION]
OPENED_AT = datetime(2024, 1, 2, 3, 4, 5, tzinfo=TZ)
STAMP = "20240102-030405"


def ids(path: Path) -> str:
    return path.stem


def table_columns(conn: sqlite3.Connection) -> dict[str, list[str]]:
    """Every ordinary table and its columns (the search index's shadow tables aside)."""
    names = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND sql NOT LIKE 'CREATE VIRTUAL TABLE%'"
        )
    ]
    return {
        name: [row[1] for row in conn.execute(f'PRAGMA table_info("{name}")')] for name in names
    }


def rows(conn: sqlite3.Connection, table: str, columns: list[str]) -> Counter:
    """A table's rows, each value as its SQL literal (``quote``): type and bytes exact."""
    quoted = ", ".join(f'quote("{c}")' for c in columns)
    return Counter(conn.execute(f'SELECT {quoted} FROM "{table}"'))


def contents(path: Path) -> dict[str, Counter]:
    """Every table's rows, opened read-only (the fixtures stay as they are)."""
    with closing(sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)) as conn:
        return {table: rows(conn, table, columns) for table, columns in table_columns(conn).items()}


def table_columns_of(path: Path) -> dict[str, list[str]]:
    with closing(sqlite3.connect(path)) as conn:
        return table_columns(conn)


def user_version(path: Path) -> int:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute("PRAGMA user_version").fetchone()[0]


def backups(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.before-v*.db"))


@pytest.fixture(params=FIXTURES, ids=ids)
def old_db(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, Path]:
    """A copy of a fixture in a fresh folder, under a Chinese name."""
    folder = tmp_path / "数据"
    folder.mkdir()
    copy = folder / "台账.db"
    shutil.copyfile(request.param, copy)
    return request.param, copy


def test_there_is_a_fixture_for_every_earlier_schema() -> None:
    versions = {fixture_version(f) for f in FIXTURES}
    assert set(range(1, schema.SCHEMA_VERSION)) <= versions, (
        "add fixtures/schema-v<N>.db with fixtures/make_fixtures.py for each earlier schema"
    )
    for fixture in FIXTURES:
        assert user_version(fixture) == fixture_version(fixture)
        with closing(sqlite3.connect(fixture)) as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert not Path(f"{fixture}-wal").exists()


def test_upgrade_keeps_every_row_and_fills_what_is_derived(old_db: tuple[Path, Path]) -> None:
    fixture, path = old_db
    before = contents(fixture)
    store = Store.open(path, clock=FixedClock(OPENED_AT))
    try:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
        assert schema.migrations.pending(store.db) == []
        # Every row of every table the old file had is still there, with its old columns
        # byte for byte (new rows may be added; the search index may be rebuilt).
        for table, columns in table_columns_of(fixture).items():
            if not table.startswith("items_fts"):
                lost = before[table] - rows(store.db.conn, table, columns)
                assert not lost, (table, lost)
        assert sum(before["changes"].values()) == len(store.changes())

        # The store reads them back: statuses, notes and the change log.
        with closing(sqlite3.connect(fixture)) as conn:
            items = conn.execute("SELECT id, status, notes FROM items").fetchall()
            changes = conn.execute(
                "SELECT id, item_id, field, old_value, new_value, changed_at, by FROM changes"
            ).fetchall()
        assert len(items) == 47 and len(changes) >= 10
        assert any(len(notes.encode()) > 10_000 for _, _, notes in items)
        for item_id, status, notes in items:
            record = store.item(item_id)
            # The roll-up (no unit has reported yet) is the old status, and the old
            # status and notes are the office's verdict and notes.
            assert (record.status.value, record.notes) == (status, notes)
            office = store.db.execute(
                "SELECT office_status FROM items WHERE id = ?", [item_id]
            ).fetchone()[0]
            assert office == (None if status == "not_started" else status)
        logged = {
            c.id: (c.id, c.item_id, c.field, c.old_value, c.new_value, c.changed_at, c.by)
            for c in store.changes()
        }
        assert {row[0]: row for row in changes}.items() <= logged.items()

        # What the newer schema derives from the old rows is there.
        count = lambda sql: store.db.execute(sql).fetchone()[0]  # noqa: E731
        assert count("SELECT count(*) FROM units") > 0
        assert count("SELECT count(*) FROM item_units") > 0
        assert count("SELECT count(*) FROM items WHERE deadline_kind IS NULL") == 0
        assert count("SELECT count(*) FROM items WHERE search_rowid IS NOT NULL") == 47
        assert (
            count(f"SELECT count(*) FROM items_fts WHERE items_fts MATCH '{fts_query('第二阶段')}'")
            == 1
        )
        assert count("PRAGMA integrity_check") == "ok"
    finally:
        store.close()


def test_a_checked_backup_is_kept_before_upgrading_once(old_db: tuple[Path, Path]) -> None:
    fixture, path = old_db
    version = fixture_version(fixture)
    store = Store.open(path, clock=FixedClock(OPENED_AT))
    store.close()
    if version == schema.SCHEMA_VERSION:
        assert store.upgrade_backup is None
        assert backups(path.parent) == []
        return
    expected = path.with_name(f"台账.before-v{schema.SCHEMA_VERSION}-{STAMP}.db")
    assert store.upgrade_backup == expected
    assert backups(path.parent) == [expected]
    # The copy is the old file: same version, same rows (search index included),
    # intact, and self-contained (no -wal/-shm needed).
    assert user_version(expected) == version
    assert contents(expected) == contents(fixture)
    with closing(sqlite3.connect(expected)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert not Path(f"{expected}-wal").exists()

    # Opening again (even at another time) finds nothing to do and copies nothing.
    again = Store.open(path, clock=FixedClock(OPENED_AT.replace(hour=9)))
    again.close()
    assert again.upgrade_backup is None
    assert backups(path.parent) == [expected]


@pytest.mark.parametrize("fixture", OLD_FIXTURES, ids=ids)
def test_no_upgrade_without_a_backup(
    fixture: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "台账.db"
    shutil.copyfile(fixture, path)
    data = path.read_bytes()

    def full_disk(*args: object, **kwargs: object) -> Path:
        raise snapshot.SnapshotError("写入失败：磁盘空间不足")

    monkeypatch.setattr(snapshot, "export_snapshot", full_disk)
    with pytest.raises(StoreError, match="无法保存备份") as raised:
        Store.open(path, clock=FixedClock(OPENED_AT))
    assert "没有升级" in str(raised.value)
    assert "磁盘空间不足" in str(raised.value)
    assert path.read_bytes() == data
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "台账.db"]

    monkeypatch.undo()
    store = Store.open(path, clock=FixedClock(OPENED_AT))
    store.close()
    assert store.upgrade_backup is not None and store.upgrade_backup.exists()


@pytest.mark.parametrize("fixture", OLD_FIXTURES, ids=ids)
def test_old_read_only_file_is_shown_upgraded_in_memory(fixture: Path, tmp_path: Path) -> None:
    """An old snapshot on a CD: readable as it is, the file untouched, nothing copied."""
    path = tmp_path / "光盘快照.db"
    shutil.copyfile(fixture, path)
    data = path.read_bytes()
    store = Store.open(path, read_only=True)
    try:
        assert store.read_only
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
        [plan] = store.plans()
        assert plan.progress.total == 47
        with closing(sqlite3.connect(fixture)) as conn:
            item_id, notes = conn.execute(
                "SELECT id, notes FROM items WHERE notes != '' ORDER BY id"
            ).fetchone()
        assert store.item(item_id).notes == notes
        with pytest.raises(StoreReadOnly, match="数据库是只读的"):
            store.save_notes(item_id, "改动", "李四")
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            store.db.execute("DELETE FROM settings")  # even around the store's methods
    finally:
        store.close()
    assert path.read_bytes() == data
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "光盘快照.db"]
