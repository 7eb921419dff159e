"""The database stays readable whatever is stored in it (issue 14).

Every column of every table is poisoned directly in the database — with NULL, a BLOB,
a number, text that is no date, code or id (with a terminal escape), and a huge text —
each on its own row, so the rest of that row still joins. The read models flag what
they cannot read and carry on: ``list``, ``list --json``, ``export-ledger``, ``report``
and ``conflicts`` work, and the app opens and expands every node of the tree.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import TZ, FixedClock

from tracker.cli import main
from tracker.domain.models import Status
from tracker.importers.parser import read_plan_file
from tracker.store import Store, schema
from tracker.store.locations import bundled_plan_path
from tracker.ui.app import TrackerApp
from tracker.ui.screens.recovery import RecoveryScreen
from tracker.ui.widgets.plan_tree import PlanTree

START = datetime(2023, 6, 15, 9, 30, tzinfo=TZ)
PLAN_ID = read_plan_file(bundled_plan_path()).id
POISONS = {
    "null": None,
    "blob": b"\x00\xff\x1b]52;c;aGk=\x07",
    "number": 12345,
    "real": 1e308,
    "garbage": "garbage-date\x1b]0;标题\x07[/]",
    "huge": "长" * 40_000,  # beyond a spreadsheet cell's 32,767 characters
}


@pytest.fixture(scope="module")
def populated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with something in every table: changes, a merge, a conflict, a session."""
    folder = tmp_path_factory.mktemp("poison")
    clock = FixedClock(START)
    office = Store.open(folder / "office.db", clock=clock)
    office.import_plan(read_plan_file(bundled_plan_path()))
    other_path = folder / "other.db"
    shutil.copyfile(office.export_snapshot(folder / "template.db"), other_path)
    other = Store.open(other_path, clock=clock)
    with other.write() as db:
        db.execute("UPDATE settings SET value = 'other-machine' WHERE key = 'machine_id'")
        db.execute("INSERT INTO machines VALUES ('other-machine', '对方', '2023-06-15')")
    other._machine_id = None
    items = [row[0] for row in office.db.execute("SELECT id FROM items ORDER BY rowid")]
    for n, item in enumerate(items[:20]):
        office.save_notes(item, f"办公室进展{n}", "张三")
        office.set_status(item, list(Status)[n % 5], "张三")
        office.mark_reviewed(item, START.date(), "张三")
    clock.advance(60)
    other.save_notes(items[0], "对方进展", "李四")
    from tracker.merge import merge_snapshot

    merge_snapshot(office, other.export_snapshot(folder / "other-snap.db"), "张三")
    other.close()
    office.begin_session("张三", "host", 1)
    office.set_setting("my_unit", office.units()[0].id)
    with office.write() as db:
        db.execute(
            "INSERT INTO quarantined_changes (id, item_id, field, new_value, changed_at, by, "
            "quarantined_at) VALUES ('q1', ?, 'notes', 'x', '9999-12-31', '王五', '2023-06-15')",
            [items[1]],
        )
    office.close()
    return folder / "office.db"


def poison(path: Path, value: object) -> None:
    """Set each column of each table, on a row of its own, to ``value``.

    A table with fewer rows than columns first gets copies of its last row (under new
    keys), so the first row stays sound and the plan still shows: a poisoned key on the
    only plan row would just hide everything else from the test.
    """
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("DROP TRIGGER changes_append_only_update")
        for table in schema.TABLES:
            info = list(conn.execute(f'PRAGMA table_info("{table}")'))
            columns = [row[1] for row in info]
            key = next((row[1] for row in info if row[5] == 1), None)
            rowids = [row[0] for row in conn.execute(f'SELECT rowid FROM "{table}" ORDER BY rowid')]
            if not rowids:
                continue
            names = ", ".join(f'"{c}"' for c in columns)
            for n in range(len(columns) + 1 - len(rowids)):
                copied = ", ".join(
                    f"'copy{n}-' || \"{c}\"" if c == key else f'"{c}"' for c in columns
                )
                conn.execute(
                    f'INSERT INTO "{table}" ({names}) SELECT {copied} FROM "{table}" '
                    "WHERE rowid = ?",
                    [rowids[-1]],
                )
            rowids = [row[0] for row in conn.execute(f'SELECT rowid FROM "{table}" ORDER BY rowid')]
            for n, column in enumerate(columns):
                conn.execute(
                    f'UPDATE OR IGNORE "{table}" SET "{column}" = ? WHERE rowid = ?',
                    [value, rowids[-1 - n]],
                )
        # And the items the tree shows first, one field each.
        for offset, column in enumerate(("status", "notes", "last_reviewed", "deadline_kind")):
            conn.execute(
                f'UPDATE OR IGNORE items SET "{column}" = ? WHERE rowid = '
                "(SELECT rowid FROM items ORDER BY rowid LIMIT 1 OFFSET ?)",
                [value, offset],
            )


FAST = {"blob", "garbage"}
"""Poisons run in every test run; the others are marked slow."""


@pytest.fixture(
    params=[pytest.param(kind, marks=() if kind in FAST else pytest.mark.slow) for kind in POISONS]
)
def poisoned(request: pytest.FixtureRequest, populated: Path, tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "台账.db"
    shutil.copyfile(populated, path)
    poison(path, POISONS[request.param])
    yield path


@pytest.mark.slow
def test_the_command_line_reads_a_poisoned_database(poisoned: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    for args in (
        ["list"],
        ["list", "--json"],
        ["export-ledger", str(tmp_path / "台账.xlsx")],
        ["export-ledger", str(tmp_path / "台账.csv")],
        ["report"],
        ["report", "--format", "html", "--out", str(tmp_path / "r.html")],
        ["conflicts", "--all"],
        ["units"],
    ):
        result = runner.invoke(
            main, ["--today", "2023-08-25", "--plan", PLAN_ID, *args, "--db", str(poisoned)]
        )
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            args,
            repr(result.exception),
        )
        assert result.exit_code == 0, (args, result.output[-2000:])
        if "--json" in args:
            assert json.loads(result.output)


def test_the_read_models_flag_and_carry_on(poisoned: Path) -> None:
    store = Store.open(poisoned, clock=FixedClock(START))
    try:
        seen = 0
        for plan in store.plans():
            for category in store.categories(plan.id):
                for key_task in store.key_tasks(category.id):
                    for item in store.items(key_task.id):
                        store.item(item.id)
                        store.changes(item.id)
                        store.item_units(item.id)
                        seen += 1
            store.units(plan.id)
        store.changes()
        flagged = store.db.execute(
            "SELECT count(*) FROM items WHERE typeof(status) != 'text' "
            "OR status NOT IN (SELECT code FROM statuses)"
        ).fetchone()[0]
        if flagged and seen:
            bad = [
                item
                for plan in store.plans()
                for item in store.filtered_items(plan.id)
                if "status" in item.invalid
            ]
            assert bad, "an unreadable status is flagged"
    finally:
        store.close()


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["null", "blob", "garbage"])
async def test_the_app_expands_every_node_of_a_poisoned_database(
    kind: str, populated: Path, tmp_path: Path
) -> None:
    path = tmp_path / "台账.db"
    shutil.copyfile(populated, path)
    poison(path, POISONS[kind])
    store = Store.open(path, clock=FixedClock(START))
    try:
        app = TrackerApp(store, "张三", plan_id=PLAN_ID)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            if isinstance(app.screen, RecoveryScreen):  # the unended session, listed
                await pilot.press("escape")
                await pilot.pause()
            tree = app.screen.query_one(PlanTree)
            if tree.flt.unit_id:  # a remembered unit (maybe a poisoned one): show all
                await pilot.press("m")
                await pilot.pause()
                tree = app.screen.query_one(PlanTree)
            for _ in range(3):  # plan → categories → key tasks → items
                for node in list(tree._by_ref.values()):
                    node.expand()
                await pilot.pause()
            lines = tree.last_line + 1
            assert lines > 50
            for line in range(lines):  # every item's detail pane is drawn
                tree.cursor_line = line
                if line % 8 == 0:
                    await pilot.pause()
            await pilot.pause()
            await pilot.press("o")  # the overview reads every count
            await pilot.pause()
            await pilot.press("escape")
            await pilot.pause()
        assert app.return_code in (None, 0)
    finally:
        store.close()
