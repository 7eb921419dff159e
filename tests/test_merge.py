"""Hand in and gather: merging snapshots, conflicts, unit snapshots, the CLI and screens."""

from __future__ import annotations

import shlex
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import TZ, FixedClock
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from textual import events
from textual.widgets import Input, OptionList, Static

from tracker.cli import main
from tracker.domain.models import Status
from tracker.errors import Refused
from tracker.importers.parser import parse_plan_text
from tracker.merge import (
    Keep,
    SnapshotRefused,
    conflict_id,
    expand_paths,
    export_unit_snapshot,
    list_conflicts,
    merge_many,
    merge_snapshot,
    merged_order,
    resolve_conflict,
    unresolved_count,
)
from tracker.services.search import search
from tracker.store import ChangeRecord, ItemFilter, Store
from tracker.ui.app import TrackerApp
from tracker.ui.widgets.plan_tree import PlanTree

START = datetime(2023, 6, 15, 9, 30, tzinfo=TZ)
TINY_PLAN = "\n".join(
    [
        "附件",
        "2024年某区政务公开工作要点分工表",
        "",
        "\t序号\n\t工作任务\n\t重点工作任务\n\t责任单位\n\t完成时限",
        "",
        "\t1\n\t加大主动公开力度\n\t重点一\n\t内容一\n\t区政府办公室\n\t年底前",
    ]
)


# ---------------------------------------------------------------------- helpers
@pytest.fixture(scope="module")
def template() -> Iterator[Path]:
    """A snapshot of a fresh database holding the seed (copied for every clerk)."""
    from tracker.importers.parser import read_plan_file
    from tracker.store.locations import bundled_plan_path

    with tempfile.TemporaryDirectory() as temp:
        store = Store.open(Path(temp) / "seed.db", clock=FixedClock(START))
        store.import_plan(read_plan_file(bundled_plan_path()))
        path = store.export_snapshot(Path(temp) / "template.db")
        store.close()
        yield path


def clerk_db(template: Path, path: Path, machine: str, clock: FixedClock | None = None) -> Store:
    """Another clerk's database: the same plan, its own machine."""
    shutil.copyfile(template, path)
    store = Store.open(path, clock=clock or FixedClock(START))
    machine_id = uuid.uuid4().hex
    with store.write() as db:
        db.execute("UPDATE settings SET value = ? WHERE key = 'machine_id'", [machine_id])
        db.execute(
            "INSERT INTO machines (id, name, first_seen) VALUES (?, ?, ?)",
            [machine_id, machine, START.isoformat()],
        )
    store._machine_id = None
    return store


def items_of(store: Store) -> list[str]:
    return [i.id for i in store.filtered_items(store.plans()[0].id)]


def state(store: Store) -> dict:
    """Everything a merge may change, to compare two databases."""
    db = store.db
    return {
        "items": db.execute(
            "SELECT id, status, notes, last_reviewed, updated_at, updated_by FROM items ORDER BY id"
        ).fetchall(),
        "changes": sorted(db.execute("SELECT * FROM changes").fetchall()),
        "conflicts": sorted(
            db.execute("SELECT id, resolved_at, resolution FROM conflicts").fetchall()
        ),
        "fts": db.execute("SELECT id, block FROM items_fts_data ORDER BY id").fetchall(),
        "machines": sorted(db.execute("SELECT id, name FROM machines").fetchall()),
    }


def values(store: Store) -> list[tuple]:
    return store.db.execute(
        "SELECT id, status, notes, last_reviewed FROM items ORDER BY id"
    ).fetchall()


def change_ids(store: Store) -> set[str]:
    return {row[0] for row in store.db.execute("SELECT id FROM changes")}


def conflict_ids(store: Store) -> set[str]:
    return {row[0] for row in store.db.execute("SELECT id FROM conflicts")}


def snap(store: Store, folder: Path, name: str) -> Path:
    return store.export_snapshot(folder / f"{name}-{uuid.uuid4().hex[:6]}.db")


@pytest.fixture
def pair(template: Path, tmp_path: Path) -> Iterator[tuple[Store, Store, FixedClock]]:
    """The office (甲机) and a unit (乙机) on one clock."""
    clock = FixedClock(START)
    office = clerk_db(template, tmp_path / "office.db", "甲机", clock)
    unit = clerk_db(template, tmp_path / "unit.db", "乙机", clock)
    yield office, unit, clock
    office.close()
    unit.close()


# ---------------------------------------------------------------------- merging
def test_merging_loads_no_textual() -> None:
    code = (
        "import sys, tracker.merge, tracker.cli.merge\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_changes_come_in_with_who_and_where(pair, tmp_path: Path) -> None:
    office, unit, clock = pair
    first, second = items_of(unit)[:2]
    unit.set_status(first, Status.DONE, "李四")
    clock.advance(60)
    unit.save_notes(second, "已在网站公开", "李四")
    result = merge_snapshot(office, snap(unit, tmp_path, "unit"), "张三")
    assert result.changes_in == 2 and result.items_updated == 2
    assert result.conflicts == []
    assert [(c.by, c.machine, c.count) for c in result.from_whom] == [("李四", "乙机", 2)]
    assert result.machine == "乙机"
    assert office.item(first).status is Status.DONE
    assert office.item(second).notes == "已在网站公开"
    assert office.item(second).updated_by == "李四"
    # The search index follows the merged notes.
    hits = search(office, office.plans()[0].id, "已在网站公开")
    assert [hit.id for hit in hits] == [second]
    # Kept with machine, session and clerk; the merge itself is recorded.
    [change] = [c for c in office.changes(first)]
    assert change.machine_id == unit.machine_id and change.by == "李四"
    merges = office.db.execute("SELECT by, changes_in, conflicts FROM merges").fetchall()
    assert merges == [("张三", 2, 0)]
    assert "乙机" in result.summary() and "新增修改 2 条" in result.summary()


def test_merging_twice_changes_nothing(pair, tmp_path: Path) -> None:
    office, unit, _ = pair
    item = items_of(unit)[0]
    unit.set_status(item, Status.IN_PROGRESS, "李四")
    office.set_status(item, Status.DONE, "张三")
    snapshot = snap(unit, tmp_path, "unit")
    first = merge_snapshot(office, snapshot, "张三")
    assert first.changes_in == 1 and len(first.conflicts) == 1
    before = state(office)
    again = merge_snapshot(office, snapshot, "张三")
    assert again.changes_in == 0 and again.conflicts == [] and again.items_updated == 0
    assert state(office) == before


def test_snapshot_file_is_not_modified(pair, tmp_path: Path) -> None:
    office, unit, _ = pair
    unit.set_status(items_of(unit)[0], Status.DONE, "李四")
    snapshot = snap(unit, tmp_path, "unit")
    data = snapshot.read_bytes()
    before = sorted(p.name for p in tmp_path.iterdir())
    merge_snapshot(office, snapshot, "张三")
    assert snapshot.read_bytes() == data
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no -wal, -shm, journal


def test_concurrent_edits_are_a_conflict_never_dropped(pair, tmp_path: Path) -> None:
    office, unit, clock = pair
    item = items_of(unit)[0]
    office.save_notes(item, "办公室写的", "张三")
    clock.advance(60)
    unit.save_notes(item, "单位写的", "李四")
    result = merge_snapshot(office, snap(unit, tmp_path, "unit"), "张三")
    [conflict] = result.conflicts
    assert conflict.field == "notes" and conflict.item_id == item
    # Ours is the change made here, theirs the other side's; the later one stands.
    assert (conflict.ours_value, conflict.theirs_value) == ("办公室写的", "单位写的")
    assert (conflict.ours_machine, conflict.theirs_machine) == ("甲机", "乙机")
    assert office.item(item).notes == "单位写的"
    assert conflict.id == conflict_id(conflict.ours_change_id, conflict.theirs_change_id)
    # Both texts are in the log.
    assert {c.new_value for c in office.changes(item)} == {"办公室写的", "单位写的"}
    assert unresolved_count(office) == 1


def test_sequential_edits_are_not_a_conflict(pair, tmp_path: Path) -> None:
    office, unit, clock = pair
    item = items_of(unit)[0]
    office.set_status(item, Status.IN_PROGRESS, "张三")
    clock.advance(60)
    merge_snapshot(unit, snap(office, tmp_path, "office"), "李四")  # the unit sees it
    clock.advance(60)
    unit.set_status(item, Status.DONE, "李四")
    result = merge_snapshot(office, snap(unit, tmp_path, "unit"), "张三")
    assert result.changes_in == 1 and result.conflicts == []
    assert office.item(item).status is Status.DONE
    assert unresolved_count(office) == 0


def test_different_fields_of_one_item_do_not_conflict(pair, tmp_path: Path) -> None:
    office, unit, _ = pair
    item = items_of(unit)[0]
    office.set_status(item, Status.DONE, "张三")
    unit.save_notes(item, "进展", "李四")
    result = merge_snapshot(office, snap(unit, tmp_path, "unit"), "张三")
    assert result.conflicts == []
    assert office.item(item).status is Status.DONE and office.item(item).notes == "进展"


def test_both_directions_give_the_same_items(pair, tmp_path: Path) -> None:
    office, unit, clock = pair
    a, b, c = items_of(unit)[:3]
    office.set_status(a, Status.DONE, "张三")
    unit.set_status(a, Status.ON_HOLD, "李四")
    clock.advance(5)
    unit.save_notes(b, "单位", "李四")
    office.save_notes(c, "办公室", "张三")
    to_unit, to_office = snap(office, tmp_path, "o"), snap(unit, tmp_path, "u")
    merge_snapshot(office, to_office, "张三")
    merge_snapshot(unit, to_unit, "李四")
    assert values(office) == values(unit)
    assert change_ids(office) == change_ids(unit)
    assert conflict_ids(office) == conflict_ids(unit) != set()


def test_clock_gone_back_keeps_a_machines_own_order(pair, tmp_path: Path) -> None:
    """A machine's changes apply in the order it made them, whatever its clock said."""
    office, unit, clock = pair
    item = items_of(unit)[0]
    unit.set_status(item, Status.IN_PROGRESS, "李四")
    clock.advance(-3600)  # the clerk set the clock back an hour
    unit.set_status(item, Status.DONE, "李四")
    merge_snapshot(office, snap(unit, tmp_path, "unit"), "张三")
    assert office.item(item).status is Status.DONE
    assert unresolved_count(office) == 0


def test_a_clock_behind_still_converges_and_is_flagged(template: Path, tmp_path: Path) -> None:
    """The unit's clock is an hour slow: its edit, made after seeing the office's, looks
    older. Both sides still end with the same value, and the clash is listed."""
    office_clock, unit_clock = FixedClock(START), FixedClock(START - timedelta(hours=1))
    office = clerk_db(template, tmp_path / "o.db", "甲机", office_clock)
    unit = clerk_db(template, tmp_path / "u.db", "乙机", unit_clock)
    item = items_of(unit)[0]
    office.set_status(item, Status.IN_PROGRESS, "张三")
    merge_snapshot(unit, snap(office, tmp_path, "o"), "李四")
    unit_clock.advance(60)
    unit.set_status(item, Status.DONE, "李四")
    merge_snapshot(office, snap(unit, tmp_path, "u"), "张三")
    merge_snapshot(unit, snap(office, tmp_path, "o"), "李四")
    assert values(office) == values(unit)
    assert conflict_ids(office) == conflict_ids(unit) != set()
    office.close()
    unit.close()


def test_same_second_edits_keep_their_order(pair, tmp_path: Path) -> None:
    office, unit, _ = pair
    item = items_of(unit)[0]
    for text in ("一", "一二", "一", "一二三"):
        unit.save_notes(item, text, "李四")  # all within one second
    merge_snapshot(office, snap(unit, tmp_path, "unit"), "张三")
    assert office.item(item).notes == "一二三"
    assert unresolved_count(office) == 0


def test_utc_offsets_are_compared_as_instants() -> None:
    def change(machine: str, at: str, new: str) -> ChangeRecord:
        return ChangeRecord(
            id=uuid.uuid4().hex,
            item_id="i",
            field="notes",
            old_value="",
            new_value=new,
            changed_at=at,
            by="x",
            machine_id=machine,
        )

    beijing = change("a", "2023-06-15T09:00:00+08:00", "北京")  # 01:00 UTC
    london = change("b", "2023-06-15T02:00:00+00:00", "伦敦")  # 02:00 UTC
    assert [c.new_value for c in merged_order([london, beijing])] == ["北京", "伦敦"]


def test_conflicts_known_elsewhere_come_along(template: Path, tmp_path: Path) -> None:
    """The office merges two units that conflict; a third clerk merging the office's
    snapshot sees the conflict too, and the office's resolution."""
    clock = FixedClock(START)
    office = clerk_db(template, tmp_path / "o.db", "办公室", clock)
    one = clerk_db(template, tmp_path / "1.db", "一号机", clock)
    two = clerk_db(template, tmp_path / "2.db", "二号机", clock)
    third = clerk_db(template, tmp_path / "3.db", "三号机", clock)
    item = items_of(one)[0]
    one.set_status(item, Status.DONE, "李四")
    clock.advance(1)
    two.set_status(item, Status.ON_HOLD, "王五")
    merge_snapshot(office, snap(one, tmp_path, "1"), "张三")
    [conflict] = merge_snapshot(office, snap(two, tmp_path, "2"), "张三").conflicts
    # Neither side is this machine's: ours is the earlier change.
    assert (conflict.ours_value, conflict.theirs_value) == ("done", "on_hold")
    result = merge_snapshot(third, snap(office, tmp_path, "o"), "赵六")
    assert [c.id for c in result.conflicts] == [conflict.id]
    clock.advance(60)
    resolve_conflict(office, conflict.id, Keep.OURS, "张三")
    merge_snapshot(third, snap(office, tmp_path, "o"), "赵六")
    [known] = list_conflicts(third, include_resolved=True)
    assert known.resolution == "ours" and known.resolved_by == "张三"
    assert third.item(item).status is Status.DONE
    for store in (office, one, two, third):
        store.close()


# ---------------------------------------------------------------------- resolving
@pytest.fixture
def notes_conflict(pair, tmp_path: Path):
    office, unit, clock = pair
    item = items_of(unit)[0]
    office.save_notes(item, "办公室写的", "张三")
    clock.advance(60)
    unit.save_notes(item, "单位写的", "李四")
    [conflict] = merge_snapshot(office, snap(unit, tmp_path, "unit"), "张三").conflicts
    clock.advance(60)
    return office, item, conflict


@pytest.mark.parametrize(
    ("keep", "expected"),
    [(Keep.OURS, "办公室写的"), (Keep.THEIRS, "单位写的")],
)
def test_resolving_keeps_one_side(notes_conflict, keep: Keep, expected: str) -> None:
    office, item, conflict = notes_conflict
    change = resolve_conflict(office, conflict.id[:6], keep, "张三")
    assert office.item(item).notes == expected
    assert (change is None) == (expected == "单位写的")  # already the value: nothing to write
    [done] = list_conflicts(office, include_resolved=True)
    assert done.resolution == keep.value and done.resolved_by == "张三"
    assert unresolved_count(office) == 0
    with pytest.raises(Refused, match="已于"):
        resolve_conflict(office, conflict.id, keep, "张三")


def test_resolving_with_both_keeps_both_texts(notes_conflict) -> None:
    office, item, conflict = notes_conflict
    change = resolve_conflict(office, conflict.id, "both", "张三")
    notes = office.item(item).notes
    assert notes.index("单位写的") < notes.index("张三") < notes.index("办公室写的")
    assert change is not None and change.by == "张三" and change.machine_id == office.machine_id


def test_keeping_both_in_turn_keeps_every_text(template: Path, tmp_path: Path) -> None:
    """Three units write one shared item's notes: two conflicts; keeping both in each
    leaves all three texts."""
    clock = FixedClock(START)
    office = clerk_db(template, tmp_path / "o.db", "办公室", clock)
    units = [clerk_db(template, tmp_path / f"{n}.db", f"单位{n}", clock) for n in range(3)]
    item = items_of(office)[0]
    for n, unit in enumerate(units):
        clock.advance(60)
        unit.save_notes(item, f"第{n}家的进展", f"经办人{n}")
    result = merge_many(office, [snap(u, tmp_path, "u") for u in units], "张三")
    assert result.conflicts == 2 and not result.refused
    for conflict in list_conflicts(office):
        resolve_conflict(office, conflict.id, Keep.BOTH, "张三")
    notes = office.item(item).notes
    assert all(f"第{n}家的进展" in notes for n in range(3)), notes
    for store in (office, *units):
        store.close()


def test_both_is_for_notes_only(pair, tmp_path: Path) -> None:
    office, unit, _ = pair
    item = items_of(unit)[0]
    office.set_status(item, Status.DONE, "张三")
    unit.set_status(item, Status.ON_HOLD, "李四")
    [conflict] = merge_snapshot(office, snap(unit, tmp_path, "unit"), "张三").conflicts
    with pytest.raises(Refused, match="只有进展情况"):
        resolve_conflict(office, conflict.id, Keep.BOTH, "张三")
    assert unresolved_count(office) == 1


def test_a_resolution_merged_back_is_no_new_conflict(pair, tmp_path: Path) -> None:
    office, unit, clock = pair
    item = items_of(unit)[0]
    office.set_status(item, Status.DONE, "张三")
    unit.set_status(item, Status.ON_HOLD, "李四")
    [conflict] = merge_snapshot(office, snap(unit, tmp_path, "unit"), "张三").conflicts
    clock.advance(60)
    resolve_conflict(office, conflict.id, Keep.OURS, "张三")
    result = merge_snapshot(unit, snap(office, tmp_path, "office"), "李四")
    assert [c.id for c in result.conflicts] == [conflict.id]  # the one that was resolved
    assert unresolved_count(unit) == 0
    assert unit.item(item).status is Status.DONE


# ---------------------------------------------------------------------- refusals
def test_refuses_a_text_file(store: Store, tmp_path: Path) -> None:
    text = tmp_path / "分工表.txt"
    text.write_text("这不是数据库", encoding="utf-8")
    with pytest.raises(SnapshotRefused, match="不是 tracker 快照"):
        merge_snapshot(store, text, "张三")


def test_refuses_another_programs_database(store: Store, tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t (x)")
    conn.execute("PRAGMA user_version = 1")
    conn.close()
    with pytest.raises(SnapshotRefused, match="不是 tracker 快照"):
        merge_snapshot(store, other, "张三")


def test_refuses_another_plan(store: Store, tmp_path: Path) -> None:
    other = Store.open(tmp_path / "other.db")
    other.import_plan(parse_plan_text(TINY_PLAN))
    path = other.export_snapshot(tmp_path / "other-snap.db")
    other.close()
    before = state(store)
    with pytest.raises(
        SnapshotRefused, match=r"是另一份分工表（2024年某区政务公开工作要点分工表）"
    ):
        merge_snapshot(store, path, "张三")
    assert state(store) == before


def test_refuses_a_newer_version(store: Store, tmp_path: Path) -> None:
    path = store.export_snapshot(tmp_path / "newer.db")
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(SnapshotRefused, match="由更新版本的 tracker 导出"):
        merge_snapshot(store, path, "张三")


def test_refuses_unknown_items(store: Store, tmp_path: Path) -> None:
    path = store.export_snapshot(tmp_path / "edited.db")
    conn = sqlite3.connect(path)
    key_task = conn.execute("SELECT id FROM key_tasks LIMIT 1").fetchone()[0]
    conn.execute(
        "INSERT INTO items (id, key_task_id, seq, content) VALUES ('ffff000011112222', ?, 99, 'x')",
        [key_task],
    )
    conn.commit()
    conn.close()
    with pytest.raises(SnapshotRefused, match="1 条具体任务本数据库没有"):
        merge_snapshot(store, path, "张三")


def test_refuses_itself_and_missing_files(store: Store, db_path: Path, tmp_path: Path) -> None:
    with pytest.raises(SnapshotRefused, match="本数据库"):
        merge_snapshot(store, db_path, "张三")
    with pytest.raises(SnapshotRefused, match="找不到"):
        merge_snapshot(store, tmp_path / "nowhere.db", "张三")


def downgrade_to_v3(path: Path) -> None:
    """Make a current file look as schema 3 left it (no machines, merges, conflicts)."""
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        DROP VIEW ledger;
        DROP TABLE machines; DROP TABLE merges; DROP TABLE conflicts;
        ALTER TABLE changes DROP COLUMN machine_id;
        DELETE FROM settings WHERE key = 'machine_id';
        DROP INDEX IF EXISTS idx_items_progress;
        ALTER TABLE plans DROP COLUMN issued; DROP TABLE unit_aliases;
        DELETE FROM _sqlite_migrations WHERE name >= '0004';
        PRAGMA user_version = 3;
        """
    )
    conn.close()


def test_an_older_snapshot_is_upgraded_in_a_copy(pair, tmp_path: Path) -> None:
    office, unit, _ = pair
    item = items_of(unit)[0]
    unit.save_notes(item, "旧版写的", "李四")
    old = snap(unit, tmp_path, "old")
    downgrade_to_v3(old)
    data = old.read_bytes()
    result = merge_snapshot(office, old, "张三")
    assert result.changes_in == 1 and office.item(item).notes == "旧版写的"
    assert result.machine.startswith("旧版快照")
    assert old.read_bytes() == data  # the clerk's file was not upgraded
    assert merge_snapshot(office, old, "张三").changes_in == 0


# ---------------------------------------------------------------------- unit snapshots
def test_unit_snapshot_holds_only_its_items(store: Store, tmp_path: Path) -> None:
    plan_id = store.plans()[0].id
    unit = store.unit("区发改局")
    mine = {i.id for i in store.filtered_items(plan_id, ItemFilter(unit_id=unit.id))}
    others = [i for i in items_of(store) if i not in mine]
    store.save_notes(sorted(mine)[0], "发改局的进展", "李四")
    store.save_notes(others[0], "别人的秘密", "王五")
    store.set_status(others[0], Status.DONE, "王五")
    result = export_unit_snapshot(store, tmp_path / "fgj.db", "区发改局")
    assert result.items == len(mine) and result.changes == 1 and result.unit == "区发改局"
    conn = sqlite3.connect(result.path)
    assert conn.execute("SELECT count(*) FROM items").fetchone()[0] == len(items_of(store))
    assert conn.execute("SELECT status, notes FROM items WHERE id = ?", [others[0]]).fetchone() == (
        "not_started",
        "",
    )
    assert b"\xe5\x88\xab\xe4\xba\xba\xe7\x9a\x84\xe7\xa7\x98\xe5\xaf\x86" not in (
        result.path.read_bytes()
    )  # 别人的秘密 is not left in free pages
    # The log stays append-only in the copy.
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM changes")
    conn.close()
    # The database itself kept everything.
    assert store.item(others[0]).notes == "别人的秘密" and len(store.changes()) == 3
    # Merging it back changes nothing.
    assert merge_snapshot(store, result.path, "张三").changes_in == 0
    assert store.item(others[0]).notes == "别人的秘密"


def test_unit_snapshot_refusals(store: Store, tmp_path: Path) -> None:
    from tracker.store.snapshot import SnapshotError

    with pytest.raises(SnapshotError, match="未找到单位"):
        export_unit_snapshot(store, tmp_path / "x.db", "不存在局")
    (tmp_path / "x.db").write_text("")
    with pytest.raises(SnapshotError, match="已存在"):
        export_unit_snapshot(store, tmp_path / "x.db", "区发改局")


def test_expand_paths(tmp_path: Path) -> None:
    folder = tmp_path / "上报"
    folder.mkdir()
    for name in ("b.db", "a.db", "readme.txt"):
        (folder / name).write_text("")
    spaced = tmp_path / "有 空格.db"
    spaced.write_text("")
    text = f"{folder}\n{spaced}\n'{spaced}' {tmp_path / 'x.db'}"
    assert expand_paths(text) == [folder / "a.db", folder / "b.db", spaced, tmp_path / "x.db"]


# ---------------------------------------------------------------------- properties
FIELDS = {
    "status": [s.value for s in Status],
    "notes": ["", "甲", "乙", "丙丁"],
}
edit = st.tuples(
    st.just("edit"),
    st.sampled_from([0, 1]),
    st.sampled_from(sorted(FIELDS)),
    st.integers(0, 2),
    st.integers(0, 4),
    st.sampled_from([0, 1, 30]),
)
sync = st.tuples(st.just("sync"), st.sampled_from([0, 1]))
scripts = st.lists(st.one_of(edit, edit, edit, sync), max_size=14)


def run_script(template: Path, folder: Path, script) -> tuple[Store, Store]:
    """Two clerks editing and now and then merging one way, on one clock."""
    clock = FixedClock(START)
    sides = [
        clerk_db(template, folder / "a.db", "甲机", clock),
        clerk_db(template, folder / "b.db", "乙机", clock),
    ]
    items = items_of(sides[0])[:3]
    for step in script:
        if step[0] == "edit":
            _, side, field, item, value, dt = step
            clock.advance(dt)
            choices = FIELDS[field]
            new = choices[value % len(choices)]
            if field == "status":
                sides[side].set_status(items[item], Status(new), f"clerk{side}")
            else:
                sides[side].save_notes(items[item], new, f"clerk{side}")
        else:
            # A snapshot takes time to travel: what is made after it is later.
            _, to = step
            clock.advance(1)
            merge_snapshot(sides[to], snap(sides[1 - to], folder, "s"), f"clerk{to}")
            clock.advance(1)
    return sides[0], sides[1]


@pytest.mark.slow
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(script=scripts)
def test_merge_properties(template: Path, script) -> None:
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        a, b = run_script(template, folder, script)
        try:
            ids_a, ids_b = change_ids(a), change_ids(b)
            snap_a, snap_b = snap(a, folder, "a"), snap(b, folder, "b")
            into_a = merge_snapshot(a, snap_b, "甲")
            merge_snapshot(b, snap_a, "乙")
            # No change lost.
            assert change_ids(a) == change_ids(b) == ids_a | ids_b
            assert into_a.changes_in == len(ids_b - ids_a)
            # Both directions: the same items, the same conflicts.
            assert values(a) == values(b)
            assert conflict_ids(a) == conflict_ids(b)
            # Merging the same snapshot again changes nothing.
            before = state(a)
            again = merge_snapshot(a, snap_b, "甲")
            assert again.changes_in == 0 and again.conflicts == []
            assert state(a) == before
            # Each item's value is its latest change's.
            for item_id, status, notes, _ in values(a):
                log = [c for c in a.changes(item_id)]
                for field, value in (("status", status), ("notes", notes)):
                    ordered = merged_order(
                        sorted(
                            (c for c in log if c.field == field),
                            key=lambda c: a.db.execute(
                                "SELECT rowid FROM changes WHERE id = ?", [c.id]
                            ).fetchone()[0],
                        )
                    )
                    if ordered:
                        assert ordered[-1].new_value == value
            # With one clerk editing, nothing ever conflicts.
            editors = {step[1] for step in script if step[0] == "edit"}
            if len(editors) < 2:
                assert conflict_ids(a) == set()
        finally:
            a.close()
            b.close()


@pytest.mark.slow
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    first=st.sampled_from(sorted(FIELDS)),
    a_value=st.integers(1, 3),
    b_value=st.integers(1, 3),
    b_saw_a=st.booleans(),
)
def test_conflict_iff_not_seen(template: Path, first, a_value, b_value, b_saw_a) -> None:
    """Two edits of one field: a conflict exactly when the second did not see the first
    and they set different values."""
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        clock = FixedClock(START)
        a = clerk_db(template, folder / "a.db", "甲机", clock)
        b = clerk_db(template, folder / "b.db", "乙机", clock)
        try:
            item = items_of(a)[0]
            values_ = FIELDS[first]

            def set_(store: Store, value: str, by: str) -> None:
                if first == "status":
                    store.set_status(item, Status(value), by)
                else:
                    store.save_notes(item, value, by)

            set_(a, values_[a_value], "甲")
            clock.advance(10)
            if b_saw_a:
                merge_snapshot(b, snap(a, folder, "a"), "乙")
                clock.advance(10)
            set_(b, values_[b_value], "乙")
            merge_snapshot(a, snap(b, folder, "b"), "甲")
            expect = not b_saw_a and a_value != b_value
            assert (unresolved_count(a) == 1) == expect
            assert unresolved_count(a) in (0, 1)
        finally:
            a.close()
            b.close()


three_way = st.lists(
    st.one_of(
        st.tuples(
            st.just("edit"),
            st.integers(0, 2),
            st.sampled_from(sorted(FIELDS)),
            st.integers(0, 1),
            st.integers(0, 4),
            st.sampled_from([0, 1, 30]),
        ),
        st.tuples(st.just("sync"), st.integers(0, 2), st.integers(0, 2)),
    ),
    max_size=16,
)


@pytest.mark.slow
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(script=three_way)
def test_gathering_order_does_not_matter(template: Path, script) -> None:
    """Three clerks; whoever gathers the others' snapshots, in whichever order, ends with
    the same items and log, and flags concurrent edits (with three machines on one field
    the pairs listed may differ by path; that some are listed does not)."""
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        clock = FixedClock(START)
        sides = [clerk_db(template, folder / f"{n}.db", f"机{n}", clock) for n in range(3)]
        items = items_of(sides[0])[:2]
        for step in script:
            if step[0] == "edit":
                _, side, field, item, value, dt = step
                clock.advance(dt)
                new = FIELDS[field][value % len(FIELDS[field])]
                if field == "status":
                    sides[side].set_status(items[item], Status(new), "经办人")
                else:
                    sides[side].save_notes(items[item], new, "经办人")
            elif step[1] != step[2]:
                clock.advance(1)
                merge_snapshot(sides[step[2]], snap(sides[step[1]], folder, "s"), "经办人")
                clock.advance(1)
        snaps = [snap(side, folder, "end") for side in sides]
        for side in sides:
            side.close()
        shutil.copyfile(folder / "0.db", folder / "0-again.db")
        gatherers = [
            (Store.open(folder / "0.db", clock=clock), [snaps[1], snaps[2]]),
            (Store.open(folder / "0-again.db", clock=clock), [snaps[2], snaps[1]]),
            (Store.open(folder / "1.db", clock=clock), [snaps[2], snaps[0]]),
        ]
        try:
            for store, files in gatherers:
                assert not merge_many(store, files, "办公室").refused
            first = gatherers[0][0]
            for store, _ in gatherers[1:]:
                assert values(store) == values(first)
                assert change_ids(store) == change_ids(first)
                assert bool(conflict_ids(store)) == bool(conflict_ids(first))
        finally:
            for store, _ in gatherers:
                store.close()


# ---------------------------------------------------------------------- command line
@pytest.mark.slow
def test_cli_merges_forty_unit_files(template: Path, tmp_path: Path) -> None:
    office_path = tmp_path / "office.db"
    office = clerk_db(template, office_path, "办公室")
    plan_id = office.plans()[0].id
    units = [
        u for u in office.units(plan_id) if office.filtered_items(plan_id, ItemFilter(unit_id=u.id))
    ][:40]
    assert len(units) == 40
    office.close()
    runner = CliRunner()
    folder = tmp_path / "上报"
    folder.mkdir()
    expected_changes = 0
    for n, unit in enumerate(units):
        clock = FixedClock(START + timedelta(minutes=n))
        clerk = clerk_db(template, tmp_path / f"u{n}.db", f"机器{n}", clock)
        [mine, *_] = clerk.filtered_items(plan_id, ItemFilter(unit_id=unit.id))
        clerk.save_notes(mine.id, f"{unit.name}的进展", f"经办人{n}")
        expected_changes += 1
        clerk.close()
        result = runner.invoke(
            main,
            [
                "export-snapshot",
                str(folder / f"{n:02d}.db"),
                "--unit",
                unit.name,
                "--db",
                str(tmp_path / f"u{n}.db"),
            ],
        )
        assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["merge", str(folder), "--db", str(office_path), "--user", "张三"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert f"{units[0].name}（机器 机器0，经办人0）：新增修改 1 条" in lines[0]
    [total] = [line for line in lines if line.startswith("合计")]
    assert total.startswith(f"合计：合并 40 个文件，新增修改 {expected_changes} 条")
    # Units answering for the same item conflict; every conflict is listed.
    listed = runner.invoke(main, ["conflicts", "--db", str(office_path)])
    assert listed.exit_code == 0
    office = Store.open(office_path)
    try:
        assert len(office.changes()) == expected_changes
        assert office.db.execute("SELECT count(*) FROM merges").fetchone()[0] == 40
        count = unresolved_count(office)
        assert (f"共 {count} 条" in listed.output) if count else ("没有" in listed.output)
    finally:
        office.close()


def test_cli_reports_refused_files_and_merges_the_rest(pair, tmp_path: Path) -> None:
    office, unit, _ = pair
    unit.set_status(items_of(unit)[0], Status.DONE, "李四")
    good = snap(unit, tmp_path, "good")
    bad = tmp_path / "bad.txt"
    bad.write_text("不是数据库")
    office_path = office.path
    office.close()
    result = CliRunner().invoke(
        main, ["merge", str(bad), str(good), "--db", str(office_path), "--user", "张三"]
    )
    assert result.exit_code == 1
    assert "不是 tracker 快照" in result.output
    assert "新增修改 1 条" in result.output and "1 个文件未合并" in result.output
    office = Store.open(office_path)
    assert len(office.changes()) == 1
    office.close()


def test_cli_conflicts_and_resolve(pair, tmp_path: Path) -> None:
    office, unit, clock = pair
    item = items_of(unit)[0]
    office.save_notes(item, "办公室写的[/]", "张三")
    clock.advance(60)
    unit.save_notes(item, "单位写的", "李四")
    [conflict] = merge_snapshot(office, snap(unit, tmp_path, "unit"), "张三").conflicts
    office_path = office.path
    office.close()
    runner = CliRunner()
    listed = runner.invoke(main, ["conflicts", "--db", str(office_path)])
    assert listed.exit_code == 0
    assert conflict.id[:8] in listed.output
    assert "办公室写的[/]" in listed.output and "单位写的" in listed.output
    refused = runner.invoke(main, ["resolve", "nope", "--keep", "ours", "--db", str(office_path)])
    assert refused.exit_code == 1 and "没有编号" in refused.output
    done = runner.invoke(
        main,
        ["resolve", conflict.id[:8], "--keep", "both", "--db", str(office_path), "--user", "张三"],
    )
    assert done.exit_code == 0, done.output
    assert "两者都保留" in done.output
    after = runner.invoke(main, ["conflicts", "--db", str(office_path)])
    assert "没有待处理的冲突" in after.output
    office = Store.open(office_path)
    notes = office.item(item).notes
    assert "办公室写的[/]" in notes and "单位写的" in notes
    office.close()


def test_cli_export_without_unit_still_whole(store: Store, db_path: Path, tmp_path: Path) -> None:
    store.save_notes(items_of(store)[0], "全部", "张三")
    store.close()
    out = tmp_path / "whole.db"
    result = CliRunner().invoke(main, ["export-snapshot", str(out), "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    conn = sqlite3.connect(out)
    assert conn.execute("SELECT count(*) FROM changes").fetchone()[0] == 1
    assert conn.execute("SELECT value FROM settings WHERE key = 'export_unit'").fetchone() is None
    conn.close()


def test_cli_unknown_unit_export(store: Store, db_path: Path, tmp_path: Path) -> None:
    store.close()
    result = CliRunner().invoke(
        main,
        ["export-snapshot", str(tmp_path / "x.db"), "--unit", "不存在局", "--db", str(db_path)],
    )
    assert result.exit_code == 1 and "未找到单位" in result.output


# ---------------------------------------------------------------------- screens
FIRST_ITEM = ("right", "right", "right", "right")


@pytest.mark.slow
async def test_merge_screen_merges_and_refreshes(pair, tmp_path: Path) -> None:
    from tracker.ui.screens.merge import MergeScreen

    office, unit, _ = pair
    item = items_of(unit)[0]
    unit.set_status(item, Status.DONE, "李四")
    good = snap(unit, tmp_path, "good")
    bad = tmp_path / "不是 快照.txt"
    bad.write_text("x")
    app = TrackerApp(office, "张三")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press(*FIRST_ITEM)
        await pilot.pause()
        await pilot.press("M")
        await pilot.pause()
        assert isinstance(app.screen, MergeScreen)
        # Pasted one a line (as copied from a file manager), and a path with a space.
        app.post_message(events.Paste(f"{good}\n{bad}"))
        await pilot.pause()
        assert shlex.split(app.screen.query_one("#merge-paths", Input).value) == [
            str(good),
            str(bad),
        ]
        await pilot.press("enter")
        await pilot.pause()
        summary = str(app.screen.query_one("#merge-summary", Static).render())
        assert "新增修改 1 条" in summary and "不是 tracker 快照" in summary
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, MergeScreen)
        assert office.item(item).status is Status.DONE
        label = str(app.screen.query_one(PlanTree).cursor_node.label)
        assert "已完成" in label or "●" in label


@pytest.mark.slow
async def test_conflicts_screen_resolves(pair, tmp_path: Path) -> None:
    from tracker.ui.screens.merge import ConflictsScreen

    office, unit, clock = pair
    first, second = items_of(unit)[:2]
    office.save_notes(first, "办公室[bold]写的", "张三")
    clock.advance(10)  # the notes conflict is the older, listed first
    office.set_status(second, Status.DONE, "张三")
    clock.advance(60)
    unit.save_notes(first, "单位写的", "李四")
    unit.set_status(second, Status.ON_HOLD, "李四")
    merge_snapshot(office, snap(unit, tmp_path, "unit"), "张三")
    assert unresolved_count(office) == 2
    app = TrackerApp(office, "张三")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("C")
        await pilot.pause()
        assert isinstance(app.screen, ConflictsScreen)
        options = app.screen.query_one(OptionList)
        assert options.option_count == 2
        shown = str(options.get_option_at_index(0).prompt)
        assert "办公室[bold]写的" in shown and "单位写的" in shown
        await pilot.press("b")  # both texts (the notes conflict comes first)
        await pilot.pause()
        assert unresolved_count(office) == 1
        await pilot.press("b")  # not for a status
        await pilot.pause()
        assert unresolved_count(office) == 1
        await pilot.press("o")
        await pilot.pause()
        assert unresolved_count(office) == 0
        await pilot.press("escape")
        await pilot.pause()
    notes = office.item(first).notes
    assert "办公室[bold]写的" in notes and "单位写的" in notes
    assert office.item(second).status is Status.DONE


async def test_merge_and_conflicts_refused_when_read_only(store: Store, tmp_path: Path) -> None:
    merged = merge_many(store, [tmp_path / "nowhere.db"], "张三")
    assert merged.refused and not merged.merged
    store.read_only = True
    app = TrackerApp(store, "张三")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("M")
        await pilot.pause()
        assert type(app.screen).__name__ == "MainScreen"
