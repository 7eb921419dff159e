"""Hand in and gather per unit: each unit's report travels in its snapshot, merges never
conflict across units (the same unit on two machines still does), an older snapshot
still merges, and the command line records and lists units' own reports."""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import closing
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import TZ, FixedClock
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.cli import main
from tracker.domain.models import Status
from tracker.merge import (
    Keep,
    export_unit_snapshot,
    list_conflicts,
    merge_many,
    merge_snapshot,
    resolve_conflict,
    unresolved_count,
)
from tracker.store import Store

START = datetime(2023, 6, 15, 9, 30, tzinfo=TZ)
FIXTURES = Path(__file__).parent / "fixtures"


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


@pytest.fixture(scope="module")
def shared(template: Path) -> list[tuple[str, list[str]]]:
    """Three items several concrete units answer for, each with those units' names."""
    store = Store.open(template)
    try:
        found = []
        for item in store.filtered_items(store.plans()[0].id):
            units = [u.name for u in store.responsible_units(item.id)]
            if len(units) >= 3:
                found.append((item.id, units))
        assert len(found) >= 3
        assert len({name for _, names in found[:3] for name in names}) >= 4
        return found[:3]
    finally:
        store.close()


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


def reports(store: Store) -> list[tuple]:
    return store.db.execute(
        "SELECT item_id, unit_id, status, notes, last_reviewed, updated_at, updated_by "
        "FROM reports ORDER BY item_id, unit_id"
    ).fetchall()


def unit_reports(store: Store, unit: str) -> list[tuple]:
    unit_id = store.unit(unit).id
    return [r for r in reports(store) if r[1] == unit_id]


def items(store: Store) -> list[tuple]:
    return store.db.execute(
        "SELECT id, status, office_status, notes, last_reviewed, units_total, units_done, "
        "units_reported, units_on_hold FROM items ORDER BY id"
    ).fetchall()


def snap(store: Store, folder: Path, name: str) -> Path:
    return store.export_snapshot(folder / f"{name}-{uuid.uuid4().hex[:6]}.db")


def rows_of(path: Path, sql: str) -> list[tuple]:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute(sql).fetchall()


# ---------------------------------------------------------------------- units never collide
def test_units_reports_on_one_item_merge_without_conflict(
    template: Path, shared: list[tuple[str, list[str]]], tmp_path: Path
) -> None:
    item, names = shared[0]
    clock = FixedClock(START)
    office = clerk_db(template, tmp_path / "office.db", "办公室", clock)
    office.set_status(item, Status.IN_PROGRESS, "张三")  # the office's verdict, meanwhile
    files = []
    for n, name in enumerate(names[:3]):
        clerk = clerk_db(template, tmp_path / f"u{n}.db", f"机器{n}", clock)
        clerk.set_status(item, Status.DONE, f"经办人{n}", unit=name)
        clerk.save_notes(item, f"{name}的进展", f"经办人{n}", unit=name)
        files.append(export_unit_snapshot(clerk, tmp_path / f"{n}.db", name).path)
        clerk.close()
    result = merge_many(office, files, "张三")
    assert not result.refused and result.conflicts == 0 and result.changes_in == 6
    by_unit = {r.unit: r for r in office.reports(item)}
    for name in names[:3]:
        assert (by_unit[name].status, by_unit[name].notes) == (Status.DONE, f"{name}的进展")
    record = office.item(item)
    # The verdict stands beside the reports; the units' counts are theirs.
    assert (record.office_status, record.status) == (Status.IN_PROGRESS, Status.IN_PROGRESS)
    assert record.notes == "" and record.units_done == 3
    assert unresolved_count(office) == 0
    office.close()


def test_the_same_unit_on_two_machines_conflicts(
    template: Path, shared: list[tuple[str, list[str]]], tmp_path: Path
) -> None:
    item, names = shared[0]
    unit, other = names[0], names[1]
    clock = FixedClock(START)
    office = clerk_db(template, tmp_path / "office.db", "办公室", clock)
    first = clerk_db(template, tmp_path / "a.db", "甲机", clock)
    second = clerk_db(template, tmp_path / "b.db", "乙机", clock)
    first.save_notes(item, "甲机写的", "李四", unit=unit)
    clock.advance(60)
    second.save_notes(item, "乙机写的", "王五", unit=unit)
    second.set_status(item, Status.DONE, "王五", unit=other)  # another unit: no conflict
    result = merge_many(
        office,
        [snap(first, tmp_path, "a"), snap(second, tmp_path, "b")],
        "张三",
    )
    assert result.conflicts == 1
    [conflict] = list_conflicts(office)
    assert (conflict.field, conflict.unit, conflict.unit_id) == (
        "notes",
        unit,
        office.unit(unit).id,
    )
    assert {conflict.ours_value, conflict.theirs_value} == {"甲机写的", "乙机写的"}
    assert conflict.current_value == "乙机写的"  # the later stands until resolved
    assert office.report(item, unit).notes == "乙机写的"
    assert office.report(item, other).status is Status.DONE
    listed = run("conflicts", "--db", office.path)
    assert listed.exit_code == 0 and f"{unit}的进展情况" in listed.output
    # Resolving writes the unit's report, never the office's notes.
    change = resolve_conflict(office, conflict.id, Keep.BOTH, "张三")
    assert change is not None and change.unit_id == office.unit(unit).id
    notes = office.report(item, unit).notes
    assert "甲机写的" in notes and "乙机写的" in notes
    assert office.item(item).notes == "" and unresolved_count(office) == 0
    for store in (office, first, second):
        store.close()


def test_the_office_and_a_unit_never_conflict(
    template: Path, shared: list[tuple[str, list[str]]], tmp_path: Path
) -> None:
    item, names = shared[0]
    clock = FixedClock(START)
    office = clerk_db(template, tmp_path / "office.db", "办公室", clock)
    clerk = clerk_db(template, tmp_path / "u.db", "单位机", clock)
    office.save_notes(item, "办公室的意见", "张三")
    office.set_status(item, Status.ON_HOLD, "张三")
    clock.advance(60)
    clerk.save_notes(item, "单位的进展", "李四", unit=names[0])
    clerk.set_status(item, Status.DONE, "李四", unit=names[0])
    result = merge_snapshot(office, snap(clerk, tmp_path, "u"), "张三")
    assert result.conflicts == [] and result.changes_in == 2 and result.items_updated == 1
    assert office.item(item).notes == "办公室的意见"
    assert office.item(item).office_status is Status.ON_HOLD
    assert office.report(item, names[0]).notes == "单位的进展"
    # And back: the unit's database gets the office's verdict, its report unchanged.
    back = merge_snapshot(clerk, snap(office, tmp_path, "o"), "李四")
    assert back.conflicts == []
    assert items(clerk) == items(office) and reports(clerk) == reports(office)
    office.close()
    clerk.close()


def test_a_unit_unknown_here_is_skipped(
    template: Path, shared: list[tuple[str, list[str]]], tmp_path: Path
) -> None:
    item, _ = shared[0]
    office = clerk_db(template, tmp_path / "office.db", "办公室")
    clerk = clerk_db(template, tmp_path / "u.db", "单位机")
    township = clerk.add_unit("蒲家镇")
    clerk.set_membership(township.id, clerk.unit("各乡镇街委").id, True)
    clerk.save_notes(item, "镇里的进展", "赵六", unit="蒲家镇")
    result = merge_snapshot(office, snap(clerk, tmp_path, "u"), "张三")
    assert result.changes_in == 0 and result.skipped == 1
    assert "单位「蒲家镇」本数据库没有" in result.skipped_reasons[0]
    assert reports(office) == []
    # Once the office knows the township, merging again brings its report.
    office.set_membership(office.add_unit("蒲家镇").id, office.unit("各乡镇街委").id, True)
    again = merge_snapshot(office, snap(clerk, tmp_path, "u"), "张三")
    assert again.changes_in == 1 and office.report(item, "蒲家镇").notes == "镇里的进展"
    office.close()
    clerk.close()


# ---------------------------------------------------------------------- unit snapshots
def test_a_unit_snapshot_carries_only_that_units_reports(
    template: Path, shared: list[tuple[str, list[str]]], tmp_path: Path
) -> None:
    item, names = shared[0]
    mine, theirs = names[0], names[1]
    store = clerk_db(template, tmp_path / "office.db", "办公室")
    store.save_notes(item, "本单位的进展", "李四", unit=mine)
    store.set_status(item, Status.DONE, "李四", unit=mine)
    store.save_notes(item, "别的单位的秘密", "王五", unit=theirs)
    store.save_notes(item, "办公室的意见", "张三")
    result = export_unit_snapshot(store, tmp_path / "mine.db", mine)
    assert result.changes == 3  # its own two, and the office's on its item
    assert result.reports == 1
    mine_id, theirs_id = store.unit(mine).id, store.unit(theirs).id
    assert rows_of(result.path, "SELECT unit_id, status, notes FROM reports") == [
        (mine_id, "done", "本单位的进展")
    ]
    assert {u for (u,) in rows_of(result.path, "SELECT unit_id FROM changes")} == {None, mine_id}
    assert "别的单位的秘密".encode() not in result.path.read_bytes()
    assert rows_of(result.path, f"SELECT notes FROM items WHERE id = '{item}'") == [
        ("办公室的意见",)
    ]
    # Merged back, nothing changes; the other unit's report stays.
    assert merge_snapshot(store, result.path, "张三").changes_in == 0
    assert store.report(item, theirs).notes == "别的单位的秘密"
    assert store.report(item, theirs).unit_id == theirs_id
    store.close()


# ---------------------------------------------------------------------- the property
step = st.tuples(
    st.integers(0, 2),  # which shared item
    st.sampled_from(["status", "notes"]),
    st.integers(0, 4),  # which value
    st.sampled_from([0, 1, 30]),  # seconds before it
)
VALUES = {"status": [s.value for s in Status], "notes": ["", "甲", "乙", "丙丁", "多行\n进展"]}


@st.composite
def gatherings(draw: st.DrawFn) -> tuple[list[list[tuple]], list[tuple], list[bool], list[int]]:
    count = draw(st.integers(2, 4))
    scripts = [draw(st.lists(step, max_size=6)) for _ in range(count)]
    office = draw(st.lists(step, max_size=3))
    whole = [draw(st.booleans()) for _ in range(count)]  # a whole or a unit snapshot
    order = draw(st.permutations(range(count)))
    return scripts, office, whole, list(order)


def _play(store: Store, script: list[tuple], shared, clock: FixedClock, unit: str | None) -> None:
    for index, field, value, dt in script:
        item, names = shared[index]
        if unit is not None and unit not in names:
            continue
        clock.advance(dt)
        new = VALUES[field][value % len(VALUES[field])]
        if field == "status":
            store.set_status(item, Status(new), "经办人", unit=unit)
        else:
            store.save_notes(item, new, "经办人", unit=unit)


@pytest.mark.slow
@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=gatherings())
def test_units_snapshots_in_any_order_give_the_same_reports(
    template: Path, shared: list[tuple[str, list[str]]], plan
) -> None:
    """N units edit their own reports on copies of the same base; the office (which
    records verdicts meanwhile) merges their snapshots in any order: the same reports
    and items either way, each unit's reports as the unit left them, no conflicts."""
    scripts, office_script, whole, order = plan
    units = sorted({name for _, names in shared for name in names})
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        files, expected = [], {}
        for n, script in enumerate(scripts):
            unit = units[n]  # each its own unit
            clock = FixedClock(START + timedelta(seconds=n))
            clerk = clerk_db(template, folder / f"u{n}.db", f"机器{n}", clock)
            _play(clerk, script, shared, clock, unit)
            expected[unit] = unit_reports(clerk, unit)
            files.append(
                export_unit_snapshot(clerk, folder / f"{n}.db", unit).path
                if not whole[n]
                else snap(clerk, folder, str(n))
            )
            clerk.close()
        clock = FixedClock(START)
        office = clerk_db(template, folder / "office.db", "办公室", clock)
        _play(office, office_script, shared, clock, None)
        office.close()
        shutil.copyfile(folder / "office.db", folder / "office-2.db")
        results = []
        for name, files_in in (
            ("office.db", [files[i] for i in order]),
            ("office-2.db", list(reversed([files[i] for i in order]))),
        ):
            gatherer = Store.open(folder / name, clock=clock)
            try:
                batch = merge_many(gatherer, files_in, "张三")
                assert not batch.refused and batch.conflicts == 0
                assert unresolved_count(gatherer) == 0
                for unit, rows in expected.items():
                    assert unit_reports(gatherer, unit) == rows
                results.append((reports(gatherer), items(gatherer)))
            finally:
                gatherer.close()
        assert results[0] == results[1]


# ---------------------------------------------------------------------- an older snapshot
def _old_snapshot(path: Path, item: str, notes: str, at: str) -> None:
    """A schema-7 file as its own code would have left one more notes edit: a change row
    (with no unit) and the item's notes, made on another machine."""
    machine = uuid.uuid4().hex
    with closing(sqlite3.connect(path)) as conn, conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (7,)
        old = conn.execute("SELECT notes FROM items WHERE id = ?", [item]).fetchone()[0]
        conn.execute("UPDATE settings SET value = ? WHERE key = 'machine_id'", [machine])
        conn.execute(
            "INSERT INTO machines (id, name, first_seen) VALUES (?, '旧机器', ?)", [machine, at]
        )
        conn.execute(
            "INSERT INTO changes (id, item_id, field, old_value, new_value, changed_at, by, "
            "session_id, kind, machine_id) VALUES (?, ?, 'notes', ?, ?, ?, '旧版经办人', NULL, "
            "'edit', ?)",
            [uuid.uuid4().hex, item, old, notes, at, machine],
        )
        conn.execute(
            "UPDATE items SET notes = ?, updated_at = ?, updated_by = '旧版经办人' WHERE id = ?",
            [notes, at, item],
        )


def test_a_v7_snapshot_still_merges_as_the_offices(tmp_path: Path) -> None:
    fixture = FIXTURES / "schema-v7.db"
    shutil.copyfile(fixture, tmp_path / "office.db")
    old = tmp_path / "old.db"
    shutil.copyfile(fixture, old)
    clock = FixedClock(datetime(2030, 1, 1, tzinfo=TZ))
    office = Store.open(tmp_path / "office.db", clock=clock)  # upgraded to the current schema
    try:
        item = next(
            i.id
            for i in office.filtered_items(office.plans()[0].id)
            if len(office.responsible_units(i.id)) >= 2
        )
        unit = office.responsible_units(item)[0].name
        office.save_notes(item, "本单位的进展", "李四", unit=unit)
        verdict_before = office.item(item).office_status
        _old_snapshot(old, item, "旧版快照写的", "2029-12-31T10:00:00+08:00")
        data = old.read_bytes()
        result = merge_snapshot(office, old, "张三")
        assert result.changes_in == 1 and result.conflicts == []
        assert old.read_bytes() == data  # the clerk's file was not upgraded
        record = office.item(item)
        assert record.notes == "旧版快照写的" and record.office_status == verdict_before
        assert office.report(item, unit).notes == "本单位的进展"
        [change] = [c for c in office.changes(item) if c.by == "旧版经办人"]
        assert change.unit_id is None  # an old change is the office's
        assert merge_snapshot(office, old, "张三").changes_in == 0
    finally:
        office.close()


# ---------------------------------------------------------------------- the command line
@pytest.fixture
def db(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("TRACKER_UNIT", raising=False)
    path = tmp_path / "台账.db"
    shutil.copyfile(template, path)
    return path


def run(*args: object) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def everything(path: Path) -> dict[str, list[tuple]]:
    with closing(sqlite3.connect(path)) as conn:
        return {
            table: conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
            for table in ("items", "reports", "changes")
        }


def test_set_with_a_unit_records_its_report(db: Path) -> None:
    result = run(
        "--unit",
        "区发改局",
        "set",
        "1.1.1",
        "--status",
        "done",
        "--notes",
        "已公开",
        "--user",
        "李四",
        "--db",
        db,
    )
    assert result.exit_code == 0, result.output
    assert "状态 → 已完成" in result.output and "区发改局" in result.output
    store = Store.open(db)
    try:
        item = store.item_by_outline(store.plans()[0].id, "1.1.1")
        report = store.report(item.id, "区发改局")
        assert (report.status, report.notes, report.updated_by) == (Status.DONE, "已公开", "李四")
        assert report.updated_at is not None
        assert item.office_status is None and item.notes == ""  # the verdict untouched
        assert {c.unit_id for c in store.changes(item.id)} == {store.unit("区发改局").id}
    finally:
        store.close()


def test_set_from_the_environment_unit(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKER_UNIT", "区发改局")
    result = run("set", "1.1.1", "--notes", "环境变量里的单位", "--db", db)
    assert result.exit_code == 0, result.output
    store = Store.open(db)
    try:
        item = store.item_by_outline(store.plans()[0].id, "1.1.1")
        assert store.report(item.id, "区发改局").notes == "环境变量里的单位"
        assert item.notes == ""
    finally:
        store.close()


def test_set_without_a_unit_records_the_offices_verdict(db: Path) -> None:
    result = run("set", "1.1.1", "--status", "done", "--notes", "办公室确认", "--db", db)
    assert result.exit_code == 0, result.output
    store = Store.open(db)
    try:
        item = store.item_by_outline(store.plans()[0].id, "1.1.1")
        assert (item.office_status, item.status, item.notes) == (
            Status.DONE,
            Status.DONE,
            "办公室确认",
        )
        assert all(not r.reported for r in store.reports(item.id))
        assert {c.unit_id for c in store.changes(item.id)} == {None}
    finally:
        store.close()


@pytest.mark.parametrize(
    ("unit", "message"),
    [
        ("区教育局", "不是 1.1.1 的责任单位"),
        ("各乡镇街委", "是集合单位，不能直接填报"),
        ("火星局", "未找到单位"),
    ],
)
def test_set_by_a_unit_not_responsible_is_refused(db: Path, unit: str, message: str) -> None:
    before = everything(db)
    result = run("--unit", unit, "set", "1.1.1", "--status", "done", "--notes", "x", "--db", db)
    assert result.exit_code != 0
    assert message in result.output
    assert everything(db) == before


def test_list_json_gives_each_units_report(db: Path) -> None:
    assert run("--unit", "区发改局", "set", "1.1.1", "--status", "done", "--db", db).exit_code == 0
    assert (
        run("--unit", "区经信局", "set", "1.1.1", "--notes", "经信局进展", "--db", db).exit_code
        == 0
    )
    assert run("set", "1.1.2", "--status", "ongoing", "--db", db).exit_code == 0
    listed = run("list", "--json", "--db", db)
    assert listed.exit_code == 0, listed.output
    rows = {row["outline"]: row for row in json.loads(listed.stdout)}
    first = rows["1.1.1"]
    assert first["status"] == "in_progress" and first["office_status"] is None
    assert (first["units_total"], first["units_done"], first["units_reported"]) == (3, 1, 2)
    assert [set(r) for r in first["reports"]] == [
        {"unit", "role", "status", "notes", "updated_at", "updated_by"}
    ] * len(first["reports"])
    by_unit = {r["unit"]: r for r in first["reports"]}
    assert (by_unit["区发改局"]["status"], by_unit["区发改局"]["role"]) == ("done", "lead")
    assert (by_unit["区经信局"]["status"], by_unit["区经信局"]["notes"]) == (
        "not_started",
        "经信局进展",
    )
    assert all(
        r["role"] in ("lead", "cooperating") for row in rows.values() for r in row["reports"]
    )
    assert rows["1.1.2"]["status"] == "ongoing" and rows["1.1.2"]["office_status"] == "ongoing"
    # A unit reads its own status and notes.
    mine = run("--unit", "区经信局", "list", "--json", "--db", db)
    assert mine.exit_code == 0, mine.output
    mine_rows = {row["outline"]: row for row in json.loads(mine.stdout)}
    assert (mine_rows["1.1.1"]["status"], mine_rows["1.1.1"]["notes"]) == (
        "not_started",
        "经信局进展",
    )
    assert mine_rows["1.1.1"]["reports"] == first["reports"]
    done = run("--unit", "区发改局", "list", "--status", "done", "--json", "--db", db)
    assert [row["outline"] for row in json.loads(done.stdout)] == ["1.1.1"]
