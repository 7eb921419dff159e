"""Each unit's own report on an item, and the item's roll-up (issue 11).

The rule (:mod:`tracker.domain.rollup`) is checked against a plain restatement of it;
the store is checked to keep ``items.status`` and the unit counts equal to the rule
applied to what is stored, after any sequence of writes.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
from contextlib import closing
from datetime import date
from pathlib import Path

import pytest
from conftest import FixedClock
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.domain.models import Status
from tracker.domain.rollup import Rollup, UnitState, rollup
from tracker.domain.units import Role
from tracker.importers.parser import read_plan_file
from tracker.services.search import search
from tracker.store import ChangedUnderneath, ItemFilter, NotResponsible, Store, StoreError
from tracker.store.reports import OFFICE, ROLLUP_COLUMNS, UnitReport

FIXTURES_DIR = Path(__file__).parent / "fixtures"

statuses = st.sampled_from(list(Status))
unit_states = st.builds(UnitState, statuses, st.booleans())
verdicts = st.none() | statuses


def expected_status(office: Status | None, units: list[UnitState]) -> Status:
    """The rule, restated plainly (the README quotes it)."""
    if office not in (None, Status.NOT_STARTED):
        return office
    if not any(u.status is not Status.NOT_STARTED or u.has_notes for u in units):
        return Status.NOT_STARTED
    found = {u.status for u in units}
    if found == {Status.DONE}:
        return Status.DONE
    if found <= {Status.DONE, Status.ONGOING}:
        return Status.ONGOING
    if found == {Status.ON_HOLD}:
        return Status.ON_HOLD
    return Status.IN_PROGRESS


# ---------------------------------------------------------------------- the rule
@given(verdicts, st.lists(unit_states, max_size=8))
def test_rule_matches_its_statement(office: Status | None, units: list[UnitState]) -> None:
    result = rollup(office, units)
    assert result.status is expected_status(office, units)
    assert result.units_total == len(units)
    assert result.units_done == sum(u.status is Status.DONE for u in units)
    assert result.units_reported == sum(u.reported for u in units)
    assert result.units_on_hold == sum(u.status is Status.ON_HOLD for u in units)
    assert result.flagged == any(u.status is Status.ON_HOLD for u in units)
    assert result.office == (None if office is Status.NOT_STARTED else office)


@given(statuses, st.lists(unit_states, max_size=8))
def test_the_offices_verdict_wins_and_the_units_are_still_counted(
    office: Status, units: list[UnitState]
) -> None:
    result = rollup(office, units)
    if office is Status.NOT_STARTED:  # 未启动 is no verdict
        assert result == rollup(None, units)
    else:
        assert result.status is office
        assert result[1:5] == rollup(None, units)[1:5]


@given(verdicts, st.lists(unit_states, max_size=8), st.randoms())
def test_the_order_of_units_does_not_matter(
    office: Status | None, units: list[UnitState], rnd
) -> None:
    shuffled = list(units)
    rnd.shuffle(shuffled)
    assert rollup(office, shuffled) == rollup(office, units)


@given(st.lists(unit_states, max_size=8))
def test_done_only_when_every_unit_is_done(units: list[UnitState]) -> None:
    done = rollup(None, units).status is Status.DONE
    assert done == (bool(units) and all(u.status is Status.DONE for u in units))


@given(st.lists(st.booleans(), max_size=6))
def test_nothing_reported_is_not_started(notes: list[bool]) -> None:
    units = [UnitState(Status.NOT_STARTED, False) for _ in notes]
    assert rollup(None, units) == Rollup(Status.NOT_STARTED, len(units), 0, 0, 0, None)


def test_rule_cases() -> None:
    d, o, h, i, n = (
        Status.DONE,
        Status.ONGOING,
        Status.ON_HOLD,
        Status.IN_PROGRESS,
        Status.NOT_STARTED,
    )
    assert rollup(None, []).status is n  # no responsible unit
    assert rollup(None, [n, n]).status is n
    assert rollup(None, [UnitState(n, True), n]).status is i  # notes count as reported
    assert rollup(None, [d, d]).status is d
    assert rollup(None, [d, n]).status is i
    assert rollup(None, [d, o]).status is o
    assert rollup(None, [o, o]).status is o
    assert rollup(None, [h, h]).status is h
    assert rollup(None, [h, d]) == Rollup(i, 2, 1, 2, 1, None)
    assert rollup(None, [h, d]).flagged
    assert rollup(d, [n, n]) == Rollup(d, 2, 0, 0, 0, d)  # accepting it as done
    assert rollup(n, [d]).status is d


# ---------------------------------------------------------------------- the store
@pytest.fixture
def item(store: Store) -> str:
    """Item 1.1.1: 区发改局 (lead), 区经信局, 区自然资源局 and 各乡镇街委 (no members yet)."""
    plan = store.plan_list()[0]
    return store.item_by_outline(plan.id, "1.1.1").id


def table_dump(store: Store) -> dict[str, list]:
    names = [
        row[0]
        for row in store.db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    return {n: sorted(map(repr, store.db.execute(f'SELECT * FROM "{n}"'))) for n in names}


def stored_rollup(store: Store, item_id: str) -> tuple:
    return store.db.execute(
        f"SELECT {', '.join(ROLLUP_COLUMNS)} FROM items WHERE id = ?", [item_id]
    ).fetchone()


def rule_rollup(store: Store, item_id: str) -> tuple:
    """The rule applied to what is stored: the office's verdict and the reports."""
    office = store.db.execute("SELECT office_status FROM items WHERE id = ?", [item_id])
    verdict = office.fetchone()[0]
    result = rollup(
        Status(verdict) if verdict else None,
        [UnitState(r.status, bool(r.notes)) for r in store.reports(item_id)],
    )
    return (result.status.value, *result[1:5])


def test_responsible_units_in_plan_order_with_roles(store: Store, item: str) -> None:
    units = store.responsible_units(item)
    assert [(u.name, u.role) for u in units] == [
        ("区发改局", Role.LEAD),
        ("区经信局", Role.COOPERATING),
        ("区自然资源局", Role.COOPERATING),
    ]
    reports = store.reports(item)
    assert [r.unit for r in reports] == ["区发改局", "区经信局", "区自然资源局"]
    assert all((r.status, r.notes, r.updated_at) == (Status.NOT_STARTED, "", None) for r in reports)
    assert stored_rollup(store, item) == ("not_started", 3, 0, 0, 0)


def test_a_units_report_touches_nothing_else(store: Store, item: str) -> None:
    store.save_notes(item, "办公室的意见", "办公室")
    assert store.set_status(item, Status.IN_PROGRESS, "王五", unit="区经信局")
    assert store.save_notes(item, "已印发方案", "王五", unit="区经信局")
    assert store.mark_reviewed(item, date(2023, 6, 1), "王五", unit="区经信局")
    mine = store.report(item, "区经信局")
    assert (mine.status, mine.notes, mine.last_reviewed) == (
        Status.IN_PROGRESS,
        "已印发方案",
        date(2023, 6, 1),
    )
    assert (mine.updated_by, mine.role) == ("王五", Role.COOPERATING)
    others = [r for r in store.reports(item) if r.unit != "区经信局"]
    assert all((r.status, r.notes, r.updated_at) == (Status.NOT_STARTED, "", None) for r in others)
    record = store.item(item)
    assert (record.notes, record.last_reviewed, record.updated_by) == (
        "办公室的意见",
        None,
        "办公室",
    )
    assert store.db.execute("SELECT office_status FROM items WHERE id = ?", [item]).fetchone() == (
        None,
    )
    assert record.status is Status.IN_PROGRESS  # the roll-up
    assert stored_rollup(store, item) == ("in_progress", 3, 0, 1, 0)
    # The log says whose report each change was.
    unit_id = mine.unit_id
    assert [c.field for c in store.changes(item, unit="区经信局")] == [
        "last_reviewed",
        "notes",
        "status",
    ]
    assert {c.unit_id for c in store.changes(item, unit=unit_id)} == {unit_id}
    assert [(c.field, c.unit_id) for c in store.changes(item, unit=OFFICE)] == [("notes", None)]
    assert len(store.changes(item)) == 4
    # The same value again is no change.
    assert not store.set_status(item, Status.IN_PROGRESS, "王五", unit="区经信局")


def test_done_only_when_every_unit_reports_done(store: Store, item: str) -> None:
    for unit in ("区发改局", "区经信局"):
        store.set_status(item, Status.DONE, "张三", unit=unit)
        assert store.item(item).status is Status.IN_PROGRESS
    store.set_status(item, Status.DONE, "张三", unit="区自然资源局")
    assert store.item(item).status is Status.DONE
    assert stored_rollup(store, item) == ("done", 3, 3, 3, 0)
    store.set_status(item, Status.ON_HOLD, "张三", unit="区经信局")
    assert stored_rollup(store, item) == ("in_progress", 3, 2, 3, 1)


def test_the_offices_verdict_is_the_status_and_reports_stay(store: Store, item: str) -> None:
    store.set_status(item, Status.IN_PROGRESS, "张三", unit="区发改局")
    assert store.set_status(item, Status.DONE, "办公室")
    assert stored_rollup(store, item) == ("done", 3, 0, 1, 0)
    assert store.report(item, "区发改局").status is Status.IN_PROGRESS
    [change] = store.changes(item, unit=OFFICE)
    assert (change.field, change.old_value, change.new_value) == ("status", "not_started", "done")
    # 未启动 withdraws the verdict: the units' roll-up shows again.
    assert store.set_status(item, Status.NOT_STARTED, "办公室")
    assert stored_rollup(store, item) == ("in_progress", 3, 0, 1, 0)
    assert store.db.execute("SELECT office_status FROM items WHERE id = ?", [item]).fetchone() == (
        None,
    )


def test_a_unit_not_responsible_is_refused_and_nothing_written(store: Store, item: str) -> None:
    store.add_unit("区财政局")
    before = table_dump(store)
    refused = re.escape("区财政局 不是 1.1.1 的责任单位，不能填报。")
    with pytest.raises(NotResponsible, match=refused):
        store.set_status(item, Status.DONE, "张三", unit="区财政局")
    with pytest.raises(NotResponsible, match="集合单位"):
        store.save_notes(item, "写不进", "张三", unit="各乡镇街委")
    with pytest.raises(NotResponsible, match="没有名为「不存在局」的单位"):
        store.save_notes(item, "写不进", "张三", unit="不存在局")
    with pytest.raises(NotResponsible):
        store.report(item, "区财政局")
    assert issubclass(NotResponsible, StoreError)
    assert table_dump(store) == before


def test_expected_value_guards_a_units_report(store: Store, item: str) -> None:
    store.save_notes(item, "第一稿", "张三", unit="区发改局")
    with pytest.raises(ChangedUnderneath) as raised:
        store.save_notes(item, "另一窗口", "李四", expected="", unit="区发改局")
    assert (raised.value.current, raised.value.expected) == ("第一稿", "")
    assert store.report(item, "区发改局").notes == "第一稿"
    change, merged = store.save_draft(item, "我的稿", "李四", base="", unit="区发改局")
    assert merged and change is not None and change.unit_id is not None
    assert "第一稿" in store.report(item, "区发改局").notes
    assert "我的稿" in store.report(item, "区发改局").notes
    assert store.item(item).notes == ""  # the office's notes untouched


def test_a_collective_is_expanded_through_its_members(store: Store, item: str) -> None:
    township = store.add_unit("蒲家镇")
    collective = store.unit("各乡镇街委")
    assert collective is not None
    store.set_membership(township.id, collective.id, True)
    names = [u.name for u in store.responsible_units(item)]
    assert names[-1] == "蒲家镇"
    assert store.responsible_units(item)[-1].role is Role.COOPERATING
    assert stored_rollup(store, item) == ("not_started", 4, 0, 0, 0)
    for unit in ("区发改局", "区经信局", "区自然资源局"):
        store.set_status(item, Status.DONE, "张三", unit=unit)
    assert stored_rollup(store, item)[:3] == ("in_progress", 4, 3)
    store.set_status(item, Status.DONE, "镇上", unit="蒲家镇")
    assert stored_rollup(store, item) == ("done", 4, 4, 4, 0)
    # Leaving the collective recomputes the roll-up; the township's report stays stored.
    store.set_status(item, Status.ON_HOLD, "镇上", unit="蒲家镇")
    assert stored_rollup(store, item) == ("in_progress", 4, 3, 4, 1)
    store.set_membership(township.id, collective.id, False)
    assert stored_rollup(store, item) == ("done", 3, 3, 3, 0)
    with pytest.raises(NotResponsible):
        store.set_status(item, Status.DONE, "镇上", unit="蒲家镇")
    store.set_membership(township.id, collective.id, True)
    assert stored_rollup(store, item) == ("in_progress", 4, 3, 4, 1)


def test_a_member_named_directly_keeps_the_strongest_role(store: Store) -> None:
    plan = store.plan_list()[0]
    # An item 区发改局 leads that also names a collective 区发改局 belongs to by default.
    for record in store.filtered_items(plan.id):
        units = store.item_units(record.id)
        names = {u.name: u.role for u in units}
        if names.get("区发改局") is Role.LEAD and any(u.kind == "collective" for u in units):
            responsible = store.responsible_units(record.id)
            ours = [u for u in responsible if u.name == "区发改局"]
            assert ours == [ours[0]] and ours[0].role is Role.LEAD
            assert len({u.unit_id for u in responsible}) == len(responsible)
            return
    pytest.skip("the seed has no such item")


def test_unit_reports_lists_a_units_items_in_plan_order(store: Store, item: str) -> None:
    plan = store.plan_list()[0]
    store.save_notes(item, "已落实", "张三", unit="区发改局")
    reports = store.unit_reports("区发改局", plan.id)
    assert reports[0].item_id == item
    assert (reports[0].notes, reports[0].role) == ("已落实", Role.LEAD)
    assert all(isinstance(r, UnitReport) and r.unit == "区发改局" for r in reports)
    assert all(r.updated_at is None for r in reports[1:])
    outlines = [store.item(r.item_id).outline for r in reports]
    assert outlines == [
        i.outline
        for i in store.filtered_items(plan.id)
        if "区发改局" in {u.name for u in store.responsible_units(i.id)}
    ]


def test_a_units_notes_are_searched(store: Store, item: str, seed_path: Path) -> None:
    store.save_notes(item, "办公室写的", "办公室")
    store.save_notes(item, "独一无二的进展", "张三", unit="区经信局")
    plan_id = store.item(item).plan_id
    found = lambda text: [hit.id for hit in search(store, plan_id, text)]  # noqa: E731
    assert found("独一无二") == [item]
    assert found("办公室写") == [item]
    store.save_notes(item, "改了\x00含空字符的进展", "张三", unit="区经信局")
    assert found("空字符") == [item]
    # Re-deriving the item (a re-import) keeps the units' notes in the index.
    store.import_plan(read_plan_file(seed_path))
    assert found("空字符") == [item]
    assert stored_rollup(store, item) == rule_rollup(store, item)


def test_a_save_takes_few_statements(store: Store, item: str) -> None:
    store.save_notes(item, "先写一点", "张三", unit="区发改局")
    store.save_notes(item, "办公室的", "办公室")
    for write, most in [
        (lambda: store.set_status(item, Status.DONE, "张三", unit="区发改局"), 6),
        (lambda: store.save_notes(item, "又写一点", "张三", unit="区发改局"), 6),
        (lambda: store.set_status(item, Status.DONE, "办公室"), 4),  # a verdict decides
        (lambda: store.set_status(item, Status.NOT_STARTED, "办公室"), 5),  # units decide
    ]:
        seen: list[str] = []
        store.db.conn.set_trace_callback(seen.append)
        try:
            write()
        finally:
            store.db.conn.set_trace_callback(None)
        statements = [s for s in seen if not s.startswith("-- ")]  # not SQLite's own
        assert len(statements) <= most, statements


# ---------------------------------------------------------------------- any sequence of writes
UNITS = ("区发改局", "区经信局", "区自然资源局", "蒲家镇", None)  # None: the office
writes = st.lists(
    st.tuples(
        st.sampled_from(UNITS),
        st.sampled_from(["status", "notes", "membership"]),
        statuses,
        st.sampled_from(["", "有进展"]),
    ),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(writes)
def test_the_rollup_after_any_writes_is_the_rule_applied(
    store: Store, item: str, sequence: list
) -> None:
    township = store.unit("蒲家镇") or store.add_unit("蒲家镇")
    collective = store.unit("各乡镇街委")
    assert collective is not None
    for unit, what, status, notes in sequence:
        if what == "membership":
            member = status in (Status.DONE, Status.ONGOING, Status.ON_HOLD)
            store.set_membership(township.id, collective.id, member)
            continue
        try:
            if what == "status":
                store.set_status(item, status, "张三", unit=unit)
            else:
                store.save_notes(item, notes, "张三", unit=unit)
        except NotResponsible:
            assert unit == "蒲家镇"
        assert stored_rollup(store, item) == rule_rollup(store, item)
        assert store.item(item).status.value == stored_rollup(store, item)[0]
    assert stored_rollup(store, item) == rule_rollup(store, item)


# ---------------------------------------------------------------------- migration
def test_a_v7_database_becomes_the_offices_verdict(tmp_path: Path, clock: FixedClock) -> None:
    fixture = FIXTURES_DIR / "schema-v7.db"
    path = tmp_path / "台账.db"
    shutil.copyfile(fixture, path)
    with closing(sqlite3.connect(fixture)) as conn:
        old = {
            row[0]: row[1:]
            for row in conn.execute("SELECT id, status, notes, last_reviewed FROM items")
        }
        history = conn.execute("SELECT count(*) FROM changes").fetchone()[0]
    assert any(status != "not_started" for status, *_ in old.values())
    store = Store.open(path, clock=clock)
    try:
        for item_id, (status, notes, reviewed) in old.items():
            office = store.db.execute(
                "SELECT office_status FROM items WHERE id = ?", [item_id]
            ).fetchone()[0]
            assert office == (None if status == "not_started" else status)
            record = store.item(item_id)
            assert (record.status.value, record.notes) == (status, notes)
            assert (record.last_reviewed.isoformat() if record.last_reviewed else None) == reviewed
            assert stored_rollup(store, item_id) == rule_rollup(store, item_id)
            assert stored_rollup(store, item_id)[1] == len(store.responsible_units(item_id))
        assert len(store.changes()) == history
        assert all(c.unit_id is None for c in store.changes())
        assert store.db.execute("SELECT count(*) FROM reports").fetchone() == (0,)
    finally:
        store.close()


# ---------------------------------------------------------------------- reads
def test_item_reads_carry_the_verdict_and_unit_counts(store: Store, item: str) -> None:
    store.set_status(item, Status.DONE, "张三", unit="区发改局")
    store.set_status(item, Status.ON_HOLD, "张三", unit="区经信局")
    record = store.item(item)
    assert (record.status, record.office_status) == (Status.IN_PROGRESS, None)
    assert (record.units_total, record.units_done, record.units_reported, record.units_on_hold) == (
        3,
        1,
        2,
        1,
    )
    store.set_status(item, Status.DONE, "办公室")
    record = store.item(item)
    assert (record.status, record.office_status, record.units_done) == (
        Status.DONE,
        Status.DONE,
        1,
    )


def test_progress_sums_the_unit_counts(store: Store, item: str) -> None:
    plan = store.plan_list()[0]
    before = store.plan(plan.id).progress
    assert before.units_done == 0
    assert before.units_total == sum(i.units_total for i in store.filtered_items(plan.id))
    store.set_status(item, Status.DONE, "张三", unit="区发改局")
    store.set_status(item, Status.DONE, "张三", unit="区经信局")
    after = store.plan(plan.id).progress
    assert (after.units_done, after.units_total) == (2, before.units_total)
    [category] = [c for c in store.categories(plan.id) if c.seq == 1]
    assert category.progress.units_done == 2


def test_reading_as_a_unit_shows_its_own_report(store: Store, item: str) -> None:
    plan = store.plan_list()[0]
    fgj = store.unit("区发改局")
    assert fgj is not None
    store.set_status(item, Status.ONGOING, "办公室")  # the office's verdict
    store.save_notes(item, "办公室的话", "办公室")
    store.set_status(item, Status.IN_PROGRESS, "张三", unit="区发改局")
    store.save_notes(item, "发改局的话", "张三", unit="区发改局")
    store.mark_reviewed(item, date(2023, 6, 10), "张三", unit="区发改局")
    mine = ItemFilter(unit_id=fgj.id, as_unit=True)
    record = store.item(item, mine)
    assert (record.status, record.notes, record.last_reviewed) == (
        Status.IN_PROGRESS,
        "发改局的话",
        date(2023, 6, 10),
    )
    assert record.office_status is Status.ONGOING  # still at hand
    # Without as_unit the unit only selects: the roll-up and the office's notes.
    record = store.item(item, ItemFilter(unit_id=fgj.id))
    assert (record.status, record.notes) == (Status.ONGOING, "办公室的话")
    # Another of its items it never reported on is 未启动 with no notes, whatever the
    # office says of it.
    other = next(r for r in store.unit_reports("区发改局", plan.id) if r.item_id != item)
    store.set_status(other.item_id, Status.DONE, "办公室")
    assert store.item(other.item_id, mine).status is Status.NOT_STARTED
    assert store.item(other.item_id).status is Status.DONE
    # Counts and the status filter follow the unit's own reports.
    counts = store.plan(plan.id, mine).progress.by_status
    total = len(store.unit_reports("区发改局", plan.id))
    assert counts[Status.IN_PROGRESS] == 1 and counts[Status.DONE] == 0
    assert counts[Status.NOT_STARTED] == total - 1
    assert store.status_counts("plan", plan.id, mine)[Status.IN_PROGRESS] == 1
    only = mine.model_copy(update={"statuses": frozenset({Status.IN_PROGRESS})})
    assert [i.id for i in store.filtered_items(plan.id, only)] == [item]
    done = mine.model_copy(update={"statuses": frozenset({Status.DONE})})
    assert store.filtered_items(plan.id, done) == []
    # A collective reads as the item (it has no report of its own).
    towns = store.unit("各乡镇街委")
    assert towns is not None
    as_towns = store.item(item, ItemFilter(unit_id=towns.id, as_unit=True))
    assert as_towns.status is Status.ONGOING


def test_a_short_search_finds_a_units_notes(store: Store, item: str) -> None:
    plan = store.plan_list()[0]
    store.save_notes(item, "甲乙", "张三", unit="区经信局")
    found = store.filtered_items(plan.id, ItemFilter(text="甲乙"))
    assert [i.id for i in found] == [item]


def test_undo_of_a_units_change_goes_to_its_report(store: Store, item: str) -> None:
    from tracker.services.undo import UndoStack

    stack = UndoStack()
    change = store.apply_change(item, "notes", "发改局写的", "张三", unit="区发改局")
    assert change is not None
    stack.record(change)
    stack.undo(store, "张三")
    assert store.report(item, "区发改局").notes == ""
    assert store.item(item).notes == ""
    stack.redo(store, "张三")
    assert store.report(item, "区发改局").notes == "发改局写的"
    assert store.item(item).notes == ""
    assert [c.kind for c in store.changes(item, unit="区发改局")] == ["redo", "undo", "edit"]
