"""A unit's clerk reports on its own part of an item; the office sees every unit's report.

Item 1.1.1 of the seed answers to 区发改局 (牵头), 区经信局 and 区自然资源局 (and
各乡镇街委, which has no members); 1.2.1 to 区教育局 and 区应急管理局.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_app import FIRST_ITEM, paste, stored, wait_until
from textual.pilot import Pilot
from textual.widgets import DataTable, Select, Static, TextArea

from tracker.domain.models import Status
from tracker.store import ItemRecord, Store
from tracker.ui.app import TrackerApp
from tracker.ui.screens.unit_report import UnitReportScreen
from tracker.ui.widgets.item_detail import ItemDetail
from tracker.ui.widgets.node_summary import NodeSummary
from tracker.ui.widgets.plan_tree import PlanTree

USER = "王五"
# With a unit set the tree opens expanded, the cursor on the first category: two lines
# down is the first key task's first item (1.1.1).
UNIT_FIRST_ITEM = ("down", "down")


def outline(store: Store, number: str) -> ItemRecord:
    return store.item_by_outline(store.plans()[0].id, number)


def detail(pilot: Pilot) -> ItemDetail:
    return pilot.app.screen.query_one(ItemDetail)


def text_of(pilot: Pilot, selector: str) -> str:
    return str(pilot.app.screen.query_one(selector, Static).render())


async def test_a_unit_sets_its_status_and_types_its_notes(store: Store, db_path: Path) -> None:
    item = outline(store, "1.1.1")
    app = TrackerApp(store, USER, my_unit="区发改局")
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        assert app.screen.flt.as_unit
        await pilot.press(*UNIT_FIRST_ITEM)
        await wait_until(pilot, lambda: detail(pilot).item is not None)
        assert detail(pilot).item.id == item.id
        await pilot.press("3")  # 已完成
        await wait_until(pilot, lambda: store.report(item.id, "区发改局").status is Status.DONE)
        await pilot.press("enter")
        await paste(pilot, "区发改局已完成初稿")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not app.drafts)
        # The tree reads the unit's own report.
        tree = app.screen.query_one(PlanTree)
        assert "已完成" in str(tree.node_for(item.id).label)
        assert app.screen.query_one("#status", Select).value == Status.DONE.value
    mine = store.report(item.id, "区发改局")
    assert (mine.status, mine.notes, mine.updated_by) == (Status.DONE, "区发改局已完成初稿", USER)
    # The office's verdict and notes, and another unit's report, are untouched.
    assert stored(db_path, "SELECT office_status, notes FROM items WHERE id = ?", item.id) == [
        (None, "")
    ]
    assert not store.report(item.id, "区经信局").reported
    assert store.item(item.id).status is Status.IN_PROGRESS  # the roll-up: 1 of 3


async def test_a_second_unit_sees_only_its_own_report(store: Store) -> None:
    item = outline(store, "1.1.1")
    store.apply_change(item.id, "status", "done", "甲", unit="区发改局")
    store.apply_change(item.id, "notes", "区发改局的进展", "甲", unit="区发改局")
    app = TrackerApp(store, USER, my_unit="区经信局")
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        app.screen.go_to_item(item.id)
        await wait_until(pilot, lambda: detail(pilot).item is not None)
        shown = detail(pilot).item
        assert (shown.status, shown.notes) == (Status.NOT_STARTED, "")
        assert app.screen.query_one("#notes", TextArea).text == ""
        assert "尚未更新" in text_of(pilot, "#item-updated")
        await pilot.press("2")  # 推进中: its own
        await wait_until(
            pilot, lambda: store.report(item.id, "区经信局").status is Status.IN_PROGRESS
        )
    assert store.report(item.id, "区发改局").status is Status.DONE


async def test_a_unit_not_responsible_is_refused(store: Store, db_path: Path) -> None:
    item = outline(store, "1.2.1")  # not 区发改局's
    before = stored(db_path, "SELECT count(*) FROM changes")
    app = TrackerApp(store, USER, my_unit="区发改局")
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        await pilot.press("m")  # every item
        await pilot.pause()
        app.screen.go_to_item(item.id)
        await wait_until(pilot, lambda: detail(pilot).item is not None)
        await wait_until(pilot, lambda: detail(pilot).item.id == item.id)
        notes = app.screen.query_one("#notes", TextArea)
        assert notes.read_only
        assert "不是 1.2.1 的责任单位" in text_of(pilot, "#item-updated")
        await pilot.press("3")
        await pilot.pause(0.2)
        assert any("不是 1.2.1 的责任单位" in n.message for n in app._notifications)
        await pilot.press("x")  # a letter typed in the tree goes nowhere
        await pilot.pause(0.2)
        assert not app.drafts
    assert stored(db_path, "SELECT count(*) FROM changes") == before
    assert stored(db_path, "SELECT count(*) FROM reports") == [(0,)]


async def test_the_office_sees_its_verdict_and_every_units_report(store: Store) -> None:
    item = outline(store, "1.1.1")
    store.apply_change(item.id, "status", "done", "甲", unit="区发改局")
    store.apply_change(item.id, "notes", "第一行进展\n第二行", "甲", unit="区发改局")
    store.apply_change(item.id, "status", "on_hold", "乙", unit="区经信局")
    app = TrackerApp(store, USER)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press(*FIRST_ITEM)
        await wait_until(pilot, lambda: detail(pilot).item is not None)
        assert detail(pilot).item.id == item.id
        verdict = text_of(pilot, "#item-verdict")
        assert "区办未认定" in verdict and "单位完成 1/3 填报 2/3" in verdict
        assert "⚠暂缓 1" in verdict
        assert app.screen.query_one("#status", Select).value == Status.NOT_STARTED.value
        table = app.screen.query_one("#unit-reports", DataTable)
        assert table.display and table.row_count == 3
        rows = [[str(cell) for cell in table.get_row_at(i)] for i in range(3)]
        assert rows[0][:2] == ["区发改局", "牵头"] and "已完成" in rows[0][2]
        assert rows[0][4] == "第一行进展"
        assert rows[1][0] == "区经信局" and "暂缓" in rows[1][2]
        assert rows[2][3] == "未填报"
        tree = app.screen.query_one(PlanTree)
        assert "1/3" in str(tree.node_for(item.id).label)
        # The office's verdict: shown as its own, the units' reports still listed.
        await pilot.press("3")
        await wait_until(pilot, lambda: store.item(item.id).office_status is Status.DONE)
        await wait_until(pilot, lambda: "区办认定" in text_of(pilot, "#item-verdict"))
        assert table.row_count == 3
        assert store.report(item.id, "区经信局").status is Status.ON_HOLD
        # Enter on a unit's row: its full notes and history, read-only; Esc returns.
        table.focus()
        await pilot.pause()
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, UnitReportScreen))
        screen = app.screen
        assert "第二行" in str(screen.query_one("#unit-report-notes", Static).render())
        entries = [str(e.render()) for e in screen.query(".history-entry")]
        assert len(entries) == 2 and all("甲" in e for e in entries)
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, UnitReportScreen))


async def test_nodes_show_units_done_and_responsible(store: Store) -> None:
    item = outline(store, "1.1.1")
    store.apply_change(item.id, "status", "done", "甲", unit="区发改局")
    app = TrackerApp(store, USER)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        tree = app.screen.query_one(PlanTree)
        plan = store.plan(store.plans()[0].id)
        assert plan.progress.units_done == 1
        assert f"单位1/{plan.progress.units_total}" in str(tree.root.label)
        await pilot.press("up")  # the plan: its summary
        await wait_until(
            pilot, lambda: "单位完成" in str(app.screen.query_one(NodeSummary).render())
        )
        summary = str(app.screen.query_one(NodeSummary).render())
        assert f"1/{plan.progress.units_total}" in summary


@pytest.mark.slow
def test_office_detail_snapshot(snap_compare, store: Store) -> None:
    item = outline(store, "1.1.1")
    store.apply_change(item.id, "status", "done", "甲", unit="区发改局")
    store.apply_change(item.id, "notes", "已完成初稿，报区办审核", "甲", unit="区发改局")
    store.apply_change(item.id, "status", "in_progress", "乙", unit="区经信局")
    assert snap_compare(TrackerApp(store, "张三"), press=FIRST_ITEM, terminal_size=(160, 50))
