"""A fuzz harness for merging (issue 14): snapshots built by Hypothesis from a clean one
by wrong types, bad dates, missing tables and columns, views, triggers, other versions
and huge rows.

The property, whatever the file: no traceback (the file is merged or refused with a
message), the clerk's database is unchanged unless the file was accepted, and it is
always readable afterwards. CI runs a bounded number of examples; ``bench/fuzz_merge.py``
runs many more (``TRACKER_FUZZ_EXAMPLES``). A file that once broke something goes into
``fixtures/hostile_snapshots.py``.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import closing, suppress
from datetime import datetime
from pathlib import Path

import pytest
from conftest import TZ, FixedClock
from fixtures import hostile_snapshots as hostile
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tracker.importers.parser import read_plan_file
from tracker.merge import SnapshotRefused, list_conflicts, list_quarantined, merge_one
from tracker.store import Store, StoreError, schema
from tracker.store.locations import bundled_plan_path

EXAMPLES = int(os.environ.get("TRACKER_FUZZ_EXAMPLES", "10"))
NOW = datetime(2023, 6, 20, 9, 0, tzinfo=TZ)
TABLES = [t for t in schema.TABLES if t != "statuses"] + ["statuses", "_sqlite_migrations"]
COLUMNS = {
    "changes": [
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
    ],
    "items": ["id", "status", "notes", "last_reviewed", "key_task_id", "content"],
    "machines": ["id", "name", "first_seen"],
    "settings": ["key", "value"],
    "conflicts": ["id", "item_id", "field", "ours_value", "theirs_value", "resolved_at"],
    "plans": ["id", "title", "year"],
    "units": ["id", "name"],
}

dates = st.one_of(
    st.sampled_from(
        [
            "2023-06-16T10:00:00+08:00",
            "9999-12-31T23:59:59+08:00",
            "0001-01-01T00:00:00+08:00",
            "2023-13-45",
            "garbage-date",
            "2023-06-16",
            "",
        ]
    ),
    st.datetimes().map(lambda d: d.isoformat()),
)
values = st.one_of(
    st.none(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True),
    st.binary(max_size=20),
    st.text(max_size=30),
    dates,
    st.sampled_from(["done", "in_progress", "finished", "notes", "status", "content"]),
    st.just("长" * 300_000),
)


@st.composite
def operations(draw: st.DrawFn) -> list[tuple]:
    """What to do to a clean snapshot, one operation after another."""
    ops: list[tuple] = []
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        kind = draw(
            st.sampled_from(
                [
                    "set",
                    "set",
                    "set",
                    "change",
                    "good_change",
                    "good_change",
                    "drop_table",
                    "drop_column",
                    "view",
                    "trigger",
                    "version",
                ]
            )
        )
        if kind == "set":
            table = draw(st.sampled_from(sorted(COLUMNS)))
            column = draw(st.sampled_from(COLUMNS[table]))
            ops.append(("set", table, column, draw(st.integers(0, 50)), draw(values)))
        elif kind == "good_change":
            ops.append(
                (
                    "change",
                    draw(st.integers(0, 46)),
                    "notes",
                    draw(st.text(max_size=40)),
                    draw(st.sampled_from(["2023-06-16T10:00:00+08:00", "2023-06-19T08:00:00Z"])),
                    "李四",
                )
            )
        elif kind == "change":
            ops.append(
                (
                    "change",
                    draw(st.integers(0, 46)),
                    draw(st.sampled_from(["status", "notes", "last_reviewed", "content"])),
                    draw(values),
                    draw(dates),
                    draw(st.one_of(st.just("李四"), values)),
                )
            )
        elif kind in ("drop_table", "view"):
            ops.append((kind, draw(st.sampled_from(TABLES))))
        elif kind == "drop_column":
            table = draw(st.sampled_from(sorted(COLUMNS)))
            ops.append((kind, table, draw(st.sampled_from(COLUMNS[table]))))
        elif kind == "trigger":
            ops.append((kind, draw(st.sampled_from(["machines", "settings", "items", "changes"]))))
        else:
            ops.append((kind, draw(st.integers(0, 8))))
    return ops


def apply(path: Path, ops: list[tuple]) -> None:
    """Do the operations to the file with plain sqlite3; those SQLite refuses are skipped."""
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("DROP TRIGGER IF EXISTS changes_append_only_update")
        items = [row[0] for row in conn.execute("SELECT id FROM items ORDER BY rowid")]
        for n, op in enumerate(ops):
            with suppress(sqlite3.Error):
                _apply(conn, op, items, n)


def _apply(conn: sqlite3.Connection, op: tuple, items: list[str], n: int) -> None:
    kind = op[0]
    if kind == "set":
        _, table, column, row, value = op
        conn.execute(
            f'UPDATE "{table}" SET "{column}" = ? WHERE rowid = '
            f'(SELECT rowid FROM "{table}" ORDER BY rowid LIMIT 1 OFFSET ?)',
            [value, row],
        )
    elif kind == "change":
        _, item, field, value, when, by = op
        conn.execute(
            "INSERT INTO changes (id, item_id, field, old_value, new_value, changed_at, by, "
            "kind, machine_id) VALUES (?, ?, ?, '', ?, ?, ?, 'edit', ?)",
            [uuid.uuid4().hex, items[item], field, value, when, by, hostile.MACHINE],
        )
    elif kind == "drop_table":
        conn.execute(f'DROP TABLE "{op[1]}"')
    elif kind == "drop_column":
        conn.execute("DROP VIEW IF EXISTS ledger")
        conn.execute("DROP INDEX IF EXISTS idx_items_progress")
        conn.execute(f'ALTER TABLE "{op[1]}" DROP COLUMN "{op[2]}"')
    elif kind == "view":
        conn.execute(f'ALTER TABLE "{op[1]}" RENAME TO "{op[1]}_old"')
        conn.execute(f'CREATE VIEW "{op[1]}" AS SELECT * FROM "{op[1]}_old"')
    elif kind == "trigger":
        for event in ("INSERT", "UPDATE", "DELETE"):
            conn.execute(
                f'CREATE TRIGGER "fuzz_{op[1]}_{event}" AFTER {event} ON "{op[1]}" '
                "BEGIN UPDATE items SET notes = '被触发器改写'; END"
            )
    elif kind == "version":
        conn.execute(f"PRAGMA user_version = {int(op[1])}")


def fingerprint(store: Store) -> list:
    found = []
    for table in schema.TABLES:
        columns = [row[1] for row in store.db.execute(f'PRAGMA table_info("{table}")')]
        quoted = ", ".join(f'quote("{c}")' for c in columns)
        found.append(sorted(store.db.execute(f'SELECT {quoted} FROM "{table}"').fetchall()))
    return found


def read_everything(store: Store) -> None:
    """What the clerk's commands and the app read: nothing may raise."""
    for plan in store.plans():
        store.units(plan.id)
        for category in store.categories(plan.id):
            for key_task in store.key_tasks(category.id):
                for item in store.items(key_task.id):
                    store.item(item.id)
    store.changes()
    list_conflicts(store, include_resolved=True)
    list_quarantined(store)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return hostile.make_base(tmp_path_factory.mktemp("fuzz-base"))


@pytest.fixture(scope="module")
def clerk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """One clerk's database for all examples: whatever merges accumulate must stay readable."""
    store = Store.open(tmp_path_factory.mktemp("fuzz-clerk") / "台账.db", clock=FixedClock(NOW))
    store.import_plan(read_plan_file(bundled_plan_path()))
    yield store
    store.close()


def check(base: Path, clerk: Store, ops: list[tuple], events: bool = False) -> None:
    """Merge a snapshot built by ``ops`` and check the property.

    Args:
        events: Count outcomes in Hypothesis' statistics (inside ``@given`` only).
    """
    note = event if events else (lambda _text: None)
    with tempfile.TemporaryDirectory(prefix="tracker-fuzz-") as temp:
        path = Path(temp) / "fuzz.db"
        shutil.copyfile(base, path)
        apply(path, ops)
        data = path.read_bytes()
        before = fingerprint(clerk)
        try:
            result = merge_one(clerk, path, "张三")
        except SnapshotRefused as refused:
            note(f"refused: {str(refused).rsplit('」', 1)[-1][:14]}")
            assert fingerprint(clerk) == before, "a refused file changed the database"
        except StoreError as error:  # pragma: no cover - would be a finding
            raise AssertionError(f"not a refusal: {error!r}") from error
        else:
            note(
                f"merged: {min(result.changes_in, 1)}+ in, {min(result.skipped, 2)}+ skipped, "
                f"{result.quarantined} held"
            )
        assert path.read_bytes() == data, "the snapshot was changed"
        notes = {row[0] for row in clerk.db.execute("SELECT notes FROM items")}
        assert "被触发器改写" not in notes, "a trigger in the file fired"
        read_everything(clerk)


@pytest.mark.slow
@given(ops=operations())
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=EXAMPLES <= 10,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_any_snapshot_is_merged_or_refused_and_the_database_stays_readable(
    base: Path, clerk: Store, ops: list[tuple]
) -> None:
    check(base, clerk, ops, events=True)


@pytest.mark.parametrize(
    "ops",
    [
        [("drop_column", "changes", "machine_id"), ("version", 3)],
        [("view", "items")],
        [("trigger", "machines"), ("version", 4)],
        [("change", 3, "notes", "长" * 300_000, "2023-06-16T10:00:00+08:00", "李四")],
        [("set", "settings", "value", 0, b"\xff")],
        [("version", 0)],
        [("drop_table", "_sqlite_migrations")],
    ],
    ids=["v3-no-machine", "items-view", "v4-trigger", "huge-note", "blob-setting", "v0", "no-mig"],
)
def test_examples_that_broke_something(base: Path, clerk: Store, ops: list[tuple]) -> None:
    check(base, clerk, ops)
