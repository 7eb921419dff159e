"""The progress overview: its figures against a hand count of the bundled plan, sorting,
closing, and SVG snapshots.

The expected rows below were counted by hand from data/2023-tongchuan-gongkai-fengong.txt
(not computed with the store): with today 2023-08-25 and the default 14-day window,

- overdue: 5月31日 (category 4, 区经信局、区政府信息公开管理中心); 7月31日 (category 3,
  区政府工作部门、各乡镇街委) is past but marked 持续推进, never overdue; due soon: the three
  8月31日 items, two in category 2 (区司法局; 区经信局、区行政审批局…) and one in category 3
  (区发改局、区教育局…);
- 区发改局 is named in 6 items, leading 5 (listed first in 三城三地, 放管服, 科技创新,
  重大建设项目 and the 8月底 抽查; second in 提振内需), and answers for 17 more through
  区政府工作部门 (13), 区级各部门（单位）(3) and 区政府相关工作部门 (1): 23 in all;
- 区司法局 is named in 3 items (leading 2) and answers for the same 17: 20 in all.
"""

from __future__ import annotations

from datetime import date

import pytest
from textual.pilot import Pilot

from tracker.domain.models import Status
from tracker.store import Store
from tracker.ui.app import TrackerApp
from tracker.ui.format import (
    FIELD_LABELS,
    day_label,
    minute_label,
    percent,
    percent_label,
    second_label,
)
from tracker.ui.screens.main import MainScreen
from tracker.ui.screens.overview import OverviewScreen
from tracker.ui.widgets.progress_table import ProgressTable

TODAY = date(2023, 8, 25)
USER = "张三"

STATUS_CHANGES = {
    # The first three items of category 1 (三城三地) are done.
    "聚焦推动经济运行整体好转": Status.DONE,
    "及时发布提振内需促进消费恢复": Status.DONE,
    "做好积极扩大有效投资相关规划": Status.DONE,
    # Category 2, due 8月31日 (区司法局): in progress, still due soon.
    "及时公布行政规范性文件清理结果": Status.IN_PROGRESS,
    # Category 4, due 5月31日 (区经信局): in progress, still overdue.
    "区政府门户网站要参照省政府网站": Status.IN_PROGRESS,
    # Category 3, due 7月31日 (区政府工作部门): ongoing (standing work: never overdue).
    "各级各部门要按照国家有关部委印发": Status.ONGOING,
    # Category 5, due 10月31日 (区政府工作部门): on hold.
    "切实做好交流培训": Status.ON_HOLD,
}

HEADER = ["总数", "完成率", "逾期", "临期", "未启动", "推进中", "已完成", "持续推进", "暂缓/受阻"]

CATEGORY_ROWS = [
    ["1 加大主动公开力度", "16", "18%", "0", "0", "13", "0", "3", "0", "0"],
    ["2 推进政务公开提质增效", "12", "0%", "0", "2", "11", "1", "0", "0", "0"],
    ["3 深化政务公开促进基层政府治理能力提升", "5", "0%", "0", "1", "4", "0", "0", "1", "0"],
    ["4 加强平台载体信息化建设", "6", "0%", "1", "0", "5", "1", "0", "0", "0"],
    ["5 夯实工作基础", "8", "0%", "0", "0", "7", "0", "0", "0", "1"],
    ["合计", "47", "6%", "1", "3", "40", "2", "3", "1", "1"],
]
"""按工作任务, hand-counted (completion rounds down: 3/16 is 18%, 3/47 is 6%)."""

UNIT_REPORTS = {
    # 区发改局's own reports: done on the three 三城三地 items it leads.
    ("聚焦推动经济运行整体好转", "区发改局"): Status.DONE,
    ("及时发布提振内需促进消费恢复", "区发改局"): Status.DONE,
    ("做好积极扩大有效投资相关规划", "区发改局"): Status.DONE,
    # 区司法局's own report: 清理结果 in progress.
    ("及时公布行政规范性文件清理结果", "区司法局"): Status.IN_PROGRESS,
}
"""Units' own reports, beside the office's verdicts of :data:`STATUS_CHANGES`. The
by-unit rows count these only: the office's verdict decides an item's status (the
category rows) but is no unit's report (issue #11: one status per item inflated every
unit's figures)."""

FGJ_ROW = ["区发改局", "23", "13%", "1", "1", "20", "0", "3", "0", "0", "5"]
"""区发改局: its own 3 done (三城三地); the 7月31日 item (via 区政府工作部门) it has not
reported on is overdue for it (the office's 持续推进 is not its report), the 10月31日 item
on hold by the office is 未启动 for it; 8月底 抽查 due soon."""
SFJ_ROW = ["区司法局", "20", "0%", "1", "2", "19", "1", "0", "0", "0", "2"]
"""区司法局: its own 清理结果 in progress; two of the 8月31日 items are its own (due soon);
the 7月31日 item overdue for it, as for 区发改局."""


def set_statuses(store: Store) -> str:
    """Apply :data:`STATUS_CHANGES` and fix today; returns the plan's id."""
    store.today_override = TODAY
    plan_id = store.plans()[0].id
    items = store.filtered_items(plan_id)
    for prefix, status in STATUS_CHANGES.items():
        (item,) = [item for item in items if item.content.startswith(prefix)]
        store.set_status(item.id, status, USER)
    for (prefix, unit), status in UNIT_REPORTS.items():
        (item,) = [item for item in items if item.content.startswith(prefix)]
        store.set_status(item.id, status, USER, unit=unit)
    return plan_id


def table_rows(table: ProgressTable) -> list[list[str]]:
    return [[cell.plain for cell in table.get_row(key)] for key in table.row_keys()]


def first_cells(table: ProgressTable) -> list[str]:
    return [row[0] for row in table_rows(table)]


async def open_overview(pilot: Pilot, store: Store, plan_id: str) -> OverviewScreen:
    screen = OverviewScreen(store, plan_id)
    await pilot.app.push_screen(screen)
    await pilot.pause()
    return screen


def test_percent_rounds_down() -> None:
    assert [percent(3, 16), percent(3, 47), percent(199, 200), percent(0, 0)] == [18, 6, 99, 0]


def test_the_app_writes_rates_dates_and_times_one_way() -> None:
    """The formatting helpers every screen takes from ``tracker.ui.format``."""
    assert [percent_label(12, 47), percent_label(47, 47), percent_label(0, 0)] == [
        "25%",
        "100%",
        "—",
    ]
    assert day_label(date(2023, 8, 5)) == "2023年8月5日"
    assert minute_label("2023-08-25T14:03:07.123456") == "2023-08-25 14:03"
    assert second_label("2023-08-25T14:03:07.123456") == "2023-08-25 14:03:07"
    assert minute_label(None) == second_label(None) == ""
    assert FIELD_LABELS["notes"] == "进展情况"


@pytest.mark.slow
async def test_figures_match_the_hand_count(store: Store) -> None:
    plan_id = set_statuses(store)
    app = TrackerApp(store, USER)
    async with app.run_test(size=(160, 50)) as pilot:
        screen = await open_overview(pilot, store, plan_id)
        title = str(screen.query_one("#overview-title").render())
        assert "进度总览" in title
        assert "2023年全区政务公开工作要点分工表" in title
        assert "截至 2023年8月25日" in title

        categories = screen.query_one("#category-table", ProgressTable)
        assert [c.label.plain.strip() for c in categories.ordered_columns] == [
            "序号 工作任务",
            *HEADER,
        ]
        assert table_rows(categories) == CATEGORY_ROWS

        units = screen.query_one("#unit-table", ProgressTable)
        assert [c.label.plain.strip() for c in units.ordered_columns] == [
            "责任单位",
            *HEADER,
            "牵头",
        ]
        rows = {row[0]: row for row in table_rows(units)}
        assert rows["区发改局"] == FGJ_ROW
        assert rows["区司法局"] == SFJ_ROW
        # Every concrete unit the plan names (39), and no collective.
        assert len(rows) == 39
        assert "区政府工作部门" not in rows and "各乡镇街委" not in rows
        # By name (pinyin): 保密 bm, 财政 cz, 档案 da, 发改 fg … 通川 last.
        names = first_cells(units)
        assert names[:4] == ["区保密局", "区财政局", "区档案馆", "区发改局"]
        assert names[-1] == "通川生态环境局"


def _styles(cell) -> str:
    """A cell's style and its spans' styles (colours may be either)."""
    return " ".join([str(cell.style), *(str(span.style) for span in cell.spans)])


@pytest.mark.slow
async def test_warnings_are_coloured(store: Store) -> None:
    plan_id = set_statuses(store)
    async with TrackerApp(store, USER).run_test(size=(160, 50)) as pilot:
        screen = await open_overview(pilot, store, plan_id)
        table = screen.query_one("#category-table", ProgressTable)
        row = table.get_row_at(3)  # category 4: one overdue
        assert "red" in _styles(row[3])
        row = table.get_row_at(2)  # category 3: one due soon (its 持续推进 item is not overdue)
        assert "red" not in _styles(row[3]) and "yellow" in _styles(row[4])
        row = table.get_row_at(0)  # category 1: none
        assert "red" not in _styles(row[3]) and "yellow" not in _styles(row[4])
        assert "bold" in _styles(table.get_row_at(5)[1])  # 合计


@pytest.mark.slow
async def test_s_sorts_by_the_column_under_the_cursor(store: Store) -> None:
    plan_id = set_statuses(store)
    async with TrackerApp(store, USER).run_test(size=(160, 50)) as pilot:
        screen = await open_overview(pilot, store, plan_id)
        table = screen.query_one("#category-table", ProgressTable)
        assert screen.focused is table
        await pilot.press("right", "s")  # 总数, ascending: 5, 6, 8, 12, 16
        assert [row[1] for row in table_rows(table)] == ["5", "6", "8", "12", "16", "47"]
        assert first_cells(table)[0] == "3 深化政务公开促进基层政府治理能力提升"
        assert first_cells(table)[-1] == "合计"
        assert table.ordered_columns[1].label.plain == "总数▲"

        await pilot.press("s")  # again: descending, 合计 still last
        assert [row[1] for row in table_rows(table)] == ["16", "12", "8", "6", "5", "47"]
        assert table.ordered_columns[1].label.plain == "总数▼"

        await pilot.press("left", "s")  # back by 序号
        assert table_rows(table) == CATEGORY_ROWS


@pytest.mark.slow
async def test_tab_switches_tables_and_sorts_units(store: Store) -> None:
    plan_id = set_statuses(store)
    async with TrackerApp(store, USER).run_test(size=(160, 50)) as pilot:
        screen = await open_overview(pilot, store, plan_id)
        units = screen.query_one("#unit-table", ProgressTable)
        await pilot.press("tab")
        assert screen.focused is units
        await pilot.press("right", "s", "s")  # 总数, descending; ties keep pinyin order
        assert first_cells(units)[:3] == ["区经信局", "区发改局", "区市场监管局"]
        # The other table is untouched.
        categories = screen.query_one("#category-table", ProgressTable)
        assert table_rows(categories) == CATEGORY_ROWS
        await pilot.press("tab")  # then 逾期单位 (issue #11), then round again
        assert screen.focused is screen.query_one("#overdue-table", ProgressTable)
        await pilot.press("tab")
        assert screen.focused is categories


@pytest.mark.slow
@pytest.mark.parametrize("key", ["escape", "q"])
async def test_escape_and_q_close(store: Store, key: str) -> None:
    plan_id = set_statuses(store)
    app = TrackerApp(store, USER)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_overview(pilot, store, plan_id)
        await pilot.press(key)
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert app.is_running


@pytest.mark.slow
async def test_narrow_terminal_scrolls_sideways(store: Store) -> None:
    plan_id = set_statuses(store)
    async with TrackerApp(store, USER).run_test(size=(80, 24)) as pilot:
        screen = await open_overview(pilot, store, plan_id)
        table = screen.query_one("#category-table", ProgressTable)
        # 完成率, 逾期 and 临期 are in view at 80 columns without scrolling.
        widths = [column.get_render_width(table) for column in table.ordered_columns]
        assert [c.label.plain.strip() for c in table.ordered_columns[2:5]] == HEADER[1:4]
        assert sum(widths[:5]) <= table.scrollable_content_region.width
        await pilot.press(*["right"] * 9, "s")  # 暂缓/受阻, the last column
        await pilot.pause()
        assert table.cursor_column == 9
        assert table.scroll_x > 0  # scrolled to show it; the names stay pinned
        assert [row[-1] for row in table_rows(table)] == ["0", "0", "0", "0", "1", "1"]


def _push_overview(store: Store, plan_id: str):
    async def run_before(pilot: Pilot) -> None:
        await open_overview(pilot, store, plan_id)

    return run_before


@pytest.mark.slow
@pytest.mark.parametrize("size", [(80, 24), (160, 50)])
def test_snapshot(snap_compare, store: Store, size: tuple[int, int]) -> None:
    plan_id = set_statuses(store)
    assert snap_compare(
        TrackerApp(store, USER), run_before=_push_overview(store, plan_id), terminal_size=size
    )
