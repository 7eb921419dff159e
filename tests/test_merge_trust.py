"""Snapshots from other machines are untrusted (issue 14): merging checks every value,
never runs a file's SQL, refuses foreign schemas, isolates each file of a batch,
quarantines changes dated in the future and bounds what it reads."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import TZ, FixedClock
from fixtures import hostile_snapshots as hostile

from tracker.cli import main
from tracker.importers.parser import read_plan_file
from tracker.merge import SnapshotRefused, incoming, list_quarantined, merge_many, merge_one
from tracker.store import Store, schema
from tracker.store.locations import bundled_plan_path
from tracker.ui.app import TrackerApp

NOW = datetime(2023, 6, 20, 9, 0, tzinfo=TZ)
"""The merging clerk's clock: a few days after the crafted changes."""


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clean snapshot of the seed with one honest change (see hostile_snapshots)."""
    return hostile.make_base(tmp_path_factory.mktemp("base"))


@pytest.fixture
def clerk(tmp_path: Path) -> Iterator[Store]:
    """The clerk's own database: the same plan, another machine."""
    store = Store.open(tmp_path / "台账.db", clock=FixedClock(NOW))
    store.import_plan(read_plan_file(bundled_plan_path()))
    yield store
    store.close()


def fingerprint(store: Store) -> dict[str, list]:
    """Every row of every table, each value as its SQL literal."""
    found = {}
    for table in schema.TABLES:
        columns = [row[1] for row in store.db.execute(f'PRAGMA table_info("{table}")')]
        quoted = ", ".join(f'quote("{c}")' for c in columns)
        found[table] = sorted(store.db.execute(f'SELECT {quoted} FROM "{table}"').fetchall())
    return found


def readable(db: Path, out: Path) -> None:
    """list, list --json, export-ledger and report all work on the database."""
    runner = CliRunner()
    common = ["--db", str(db)]
    for args in (
        ["list"],
        ["list", "--json"],
        ["export-ledger", str(out / "台账.xlsx"), "--force"],
        ["report"],
    ):
        result = runner.invoke(main, ["--today", "2023-08-25", *args, *common])
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            args,
            result.output,
            result.exception,
        )
        assert result.exit_code == 0, (args, result.output)
        if "--json" in args:
            json.loads(result.output)


# ---------------------------------------------------------------------- the crafted files
@pytest.mark.parametrize("name", list(hostile.CRAFTS))
def test_crafted_snapshot(name: str, base: Path, clerk: Store, tmp_path: Path) -> None:
    path = hostile.craft(base, name, tmp_path / f"{name}.db")
    data = path.read_bytes()
    expected, phrase = hostile.EXPECTED[name]
    before = fingerprint(clerk)
    if expected == "refused":
        with pytest.raises(SnapshotRefused) as refused:
            merge_one(clerk, path, "张三")
        assert phrase in str(refused.value)
        assert fingerprint(clerk) == before
    else:
        result = merge_one(clerk, path, "张三")
        warnings = "\n".join(result.warnings())
        if expected == "skipped":
            assert result.skipped >= 1 and f"跳过 {result.skipped} 条无效修改" in warnings
            assert phrase in warnings
        elif expected == "quarantined":
            assert result.quarantined == 1 and "隔离 1 条可疑修改" in warnings
        else:
            assert result.skipped == 0
        assert result.changes_in >= 1  # the honest change came in
    assert path.read_bytes() == data  # the snapshot itself is never changed
    # Everything stored is readable through the read models.
    for plan in clerk.plans():
        for item in clerk.filtered_items(plan.id):
            clerk.item(item.id)
            clerk.changes(item.id)


OLD_FILES = sorted((Path(__file__).parent / "fixtures").glob("schema-v*.db"))


@pytest.mark.parametrize("old", OLD_FILES, ids=[p.stem for p in OLD_FILES])
def test_real_files_of_every_schema_merge(old: Path, clerk: Store) -> None:
    """Databases written by each earlier version's own code (see make_fixtures.py)."""
    data = old.read_bytes()
    result = merge_one(clerk, old, "张三")
    assert result.changes_in > 0 and result.skipped == 0 and result.quarantined == 0
    assert result.items_updated > 0
    assert old.read_bytes() == data
    assert merge_one(clerk, old, "张三").changes_in == 0


def test_every_crafted_file_at_once_leaves_a_readable_database(
    base: Path, clerk: Store, tmp_path: Path
) -> None:
    paths = [hostile.craft(base, name, tmp_path / f"{name}.db") for name in hostile.CRAFTS]
    batch = merge_many(clerk, paths, "张三")
    refused = [n for n, (kind, _) in hostile.EXPECTED.items() if kind == "refused"]
    assert len(batch.refused) == len(refused) and len(batch.merged) == len(paths) - len(refused)
    assert clerk.path is not None
    readable(clerk.path, tmp_path)


def test_the_good_change_among_bad_ones_still_comes_in(
    base: Path, clerk: Store, tmp_path: Path
) -> None:
    path = hostile.craft(base, "null_and_blob_values", tmp_path / "bad.db")
    result = merge_one(clerk, path, "张三")
    assert result.skipped == 9
    assert len(result.skipped_reasons) == incoming.SHOWN_REASONS
    item = hostile._items(clerk.db.conn)[14]
    assert clerk.item(item).notes == "好的修改"
    stored = {r[0] for r in clerk.db.execute("SELECT new_value FROM changes")}
    assert "改写的具体内容" not in stored and "finished" not in stored


def test_an_old_files_triggers_never_fire(base: Path, clerk: Store, tmp_path: Path) -> None:
    path = hostile.craft(base, "v4_with_trigger", tmp_path / "v4.db")
    result = merge_one(clerk, path, "张三")
    assert result.changes_in == 1 and result.skipped == 0
    notes = [row[0] for row in clerk.db.execute("SELECT notes FROM items")]
    assert "被触发器改写" not in notes and "对方写的正常进展" in notes
    assert clerk.setting("pwned") is None
    names = {row[0] for row in clerk.db.execute("SELECT name FROM sqlite_master")}
    assert not {"rewrite_on_machines", "rewrite_on_settings", "statuses_view"} & names


def test_a_future_change_is_quarantined_and_never_wins(
    base: Path, clerk: Store, tmp_path: Path
) -> None:
    path = hostile.craft(base, "far_future", tmp_path / "future.db")
    merge_one(clerk, path, "张三")
    first = hostile._items(clerk.db.conn)[0]
    assert clerk.item(first).notes == "对方写的正常进展"
    [held] = list_quarantined(clerk)
    assert held.new_value == "永远赢的修改" and held.changed_at.startswith("9999")
    # The clerk writes on; merging the same file again changes nothing.
    clerk.save_notes(first, "本机后来写的", "张三")
    before = {t: rows for t, rows in fingerprint(clerk).items() if t != "merges"}
    again = merge_one(clerk, path, "张三")
    assert (again.changes_in, again.quarantined, again.items_updated) == (0, 0, 0)
    assert {t: rows for t, rows in fingerprint(clerk).items() if t != "merges"} == before
    assert clerk.path is not None
    listing = CliRunner().invoke(main, ["conflicts", "--db", str(clerk.path)])
    assert listing.exit_code == 0 and "可疑修改 1 条" in listing.output
    assert "永远赢的修改" in listing.output


def test_a_day_ahead_is_the_limit(base: Path, clerk: Store, tmp_path: Path) -> None:
    path = tmp_path / "clock-ahead.db"
    shutil.copyfile(base, path)
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        items = hostile._items(conn)
        for n, hours in ((30, 23), (31, 25)):
            when = (NOW + timedelta(hours=hours)).isoformat()
            hostile._change(conn, n, item_id=items[n], changed_at=when, new_value=f"{hours}小时后")
    result = merge_one(clerk, path, "张三")
    assert result.quarantined == 1
    assert clerk.item(hostile._items(clerk.db.conn)[30]).notes == "23小时后"
    assert clerk.item(hostile._items(clerk.db.conn)[31]).notes == ""
    assert [c.new_value for c in list_quarantined(clerk)] == ["25小时后"]


def test_too_many_changes_is_refused(
    base: Path, clerk: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(incoming, "MAX_CHANGES", 0)
    before = fingerprint(clerk)
    with pytest.raises(SnapshotRefused, match=r"文件过大：.*changes 表有 1 行，最多可合并 0 行"):
        merge_one(clerk, base, "张三")
    assert fingerprint(clerk) == before


def test_too_big_a_file_is_refused(
    base: Path, clerk: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(incoming, "MAX_FILE_BYTES", 1000)
    with pytest.raises(SnapshotRefused, match=r"文件过大：.*最多可合并 0 MB"):
        merge_one(clerk, base, "张三")


def test_unreadable_text_is_refused_per_value(base: Path, clerk: Store, tmp_path: Path) -> None:
    """Bytes that are not UTF-8 in a TEXT column are one bad change, not a crash."""
    path = hostile.craft(base, "null_and_blob_values", tmp_path / "bad.db")
    result = merge_one(clerk, path, "张三")
    bad = hostile._items(clerk.db.conn)[13]
    assert clerk.item(bad).notes == ""
    assert result.changes_in >= 1


def test_an_unexpected_failure_is_a_refusal(
    base: Path, clerk: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tracker.merge.merging as merge_module

    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(merge_module, "_check_same_plan", broken)
    with pytest.raises(SnapshotRefused, match="意外错误（RuntimeError）"):
        merge_one(clerk, base, "张三")


# ---------------------------------------------------------------------- batches
def test_cli_batch_good_bad_good(base: Path, clerk: Store, tmp_path: Path) -> None:
    good1 = hostile.craft(base, "garbage_date", tmp_path / "good1.db")
    bad = hostile.craft(base, "conflicts_view", tmp_path / "bad.db")
    good2 = hostile.craft(base, "far_future", tmp_path / "good2.db")
    assert clerk.path is not None
    clerk.close()
    result = CliRunner().invoke(
        main, ["merge", str(good1), str(bad), str(good2), "--db", str(clerk.path)]
    )
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "conflicts 是视图而不是表" in result.output
    assert "跳过 1 条无效修改" in result.output and "隔离 1 条可疑修改" in result.output
    assert "合计：合并 2 个文件" in result.output and "1 个文件未合并" in result.output
    reopened = Store.open(clerk.path)
    try:
        notes = {row[0] for row in reopened.db.execute("SELECT notes FROM items")}
        assert "正常的修改" in notes  # from the third file
    finally:
        reopened.close()


@pytest.mark.slow
async def test_merge_dialog_shows_refusals_and_stays_open(
    base: Path, clerk: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from textual.widgets import Input, Static

    import tracker.merge.merging as merge_module
    from tracker.ui.screens.merge import ConflictsScreen, MergeScreen

    good1 = hostile.craft(base, "garbage_date", tmp_path / "good1.db")
    bad = hostile.craft(base, "missing_machines", tmp_path / "bad.db")
    crash = hostile.craft(base, "duplicate_ids", tmp_path / "crash.db")
    good2 = hostile.craft(base, "far_future", tmp_path / "good2.db")
    real = merge_module.merge_snapshot

    def crashing(store: Store, path: Path | str, by: str):
        if Path(path).name == "crash.db":
            raise RuntimeError("a bug met by a strange file")
        return real(store, path, by)

    monkeypatch.setattr(merge_module, "merge_snapshot", crashing)
    app = TrackerApp(clerk, "张三")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("M")
        await pilot.pause()
        assert isinstance(app.screen, MergeScreen)
        app.screen.query_one("#merge-paths", Input).value = " ".join(
            str(p) for p in (good1, bad, crash, good2)
        )
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, MergeScreen)  # never exits
        summary = str(app.screen.query_one("#merge-summary", Static).render())
        assert "缺少表 machines" in summary
        assert "意外错误（RuntimeError）" in summary
        assert "合并 2 个文件" in summary and "2 个文件未合并" in summary
        assert "跳过 1 条无效修改" in summary and "隔离 1 条可疑修改" in summary
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, MergeScreen)
        await pilot.press("C")  # the conflicts dialog says what was held back
        await pilot.pause()
        assert isinstance(app.screen, ConflictsScreen)
        said = str(app.screen.query_one("#conflicts-count", Static).render())
        assert "另有1条可疑修改" in said
    assert app.return_code in (None, 0)


def test_refused_schema_names_what_differs(base: Path, tmp_path: Path) -> None:
    path = hostile.craft(base, "missing_machines", tmp_path / "x.db")
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE merges")
    conn.close()
    clerk = Store.open(tmp_path / "c.db", clock=FixedClock(NOW))
    try:
        clerk.import_plan(read_plan_file(bundled_plan_path()))
        with pytest.raises(SnapshotRefused, match="缺少表 machines；缺少表 merges"):
            merge_one(clerk, path, "张三")
    finally:
        clerk.close()
