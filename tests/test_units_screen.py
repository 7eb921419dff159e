"""The units screen: every unit with its figures (hand-counted), sorting, and picking one.

Counts as in tests/test_overview.py (same statuses, today 2023-08-25). 区政府工作部门 is
named, first, in 13 items: three in category 2 (第一解读人, 依申请公开, 舆情), two in
category 3 (9月30日, 7月31日), two in category 4 (新媒体) and six in category 5.
Only the units of the plan in view are listed: known collectives no 责任单位 cell names
(区级有关部门（单位）, 各级各部门（单位）) are not.
"""

from __future__ import annotations

import pytest
from test_overview import FGJ_ROW, USER, set_statuses, table_rows
from textual.pilot import Pilot

from tracker.store import Store
from tracker.ui.app import TrackerApp
from tracker.ui.screens.main import MainScreen
from tracker.ui.screens.units import HINT, UnitsScreen
from tracker.ui.widgets.progress_table import ProgressTable

COLLECTIVES = [
    "被审计区级部门（单位）",
    "各乡镇街委",
    "区级各部门（单位）",
    "牵头职能部门",
    "区政府工作部门",
    "区政府相关工作部门",
]
"""The plan's collectives by pinyin (bsj, gxz, qjg, qtz, qzfg, qzfx): only those it names."""

GZBM_ROW = ["区政府工作部门", "集合", "39", "13", "0%", "0", "0", "11", "0", "0", "1", "1", "13"]
"""39 members (the district departments), 7月31日 ongoing (持续推进: never overdue),
10月31日 on hold, leads all 13."""


class Picked:
    """Records what a screen was dismissed with."""

    def __init__(self) -> None:
        self.results: list[str | None] = []

    def __call__(self, result: str | None) -> None:
        self.results.append(result)


async def open_units(
    pilot: Pilot, store: Store, plan_id: str, picked: Picked, selected: str | None = None
) -> UnitsScreen:
    screen = UnitsScreen(store, plan_id, selected=selected)
    await pilot.app.push_screen(screen, picked)
    await pilot.pause()
    return screen


@pytest.mark.slow
async def test_every_unit_with_its_figures(store: Store) -> None:
    plan_id = set_statuses(store)
    async with TrackerApp(store, USER).run_test(size=(160, 50)) as pilot:
        screen = await open_units(pilot, store, plan_id, Picked())
        assert str(screen.query_one("#units-hint").render()) == HINT
        assert HINT == "Enter 只看该单位的任务　m 设置成员　s 按当前列排序　Esc 返回"
        table = screen.query_one("#units-table", ProgressTable)
        assert [c.label.plain.strip() for c in table.ordered_columns] == [
            "责任单位",
            "类型",
            "成员",
            "总数",
            "完成率",
            "逾期",
            "临期",
            "未启动",
            "推进中",
            "已完成",
            "持续推进",
            "暂缓/受阻",
            "牵头",
        ]
        rows = table_rows(table)
        # 39 concrete units first (by pinyin), then the 6 collectives the plan names.
        assert len(rows) == 45
        assert [row[1] for row in rows] == ["具体"] * 39 + ["集合"] * 6
        assert [row[0] for row in rows[39:]] == COLLECTIVES
        by_name = {row[0]: row for row in rows}
        assert by_name["区发改局"] == [FGJ_ROW[0], "具体", "", *FGJ_ROW[1:]]
        assert by_name["区政府工作部门"] == GZBM_ROW
        # Collectives no 责任单位 cell of this plan names are not listed.
        assert "区级有关部门（单位）" not in by_name


@pytest.mark.slow
async def test_enter_picks_the_highlighted_unit(store: Store) -> None:
    plan_id = set_statuses(store)
    picked = Picked()
    app = TrackerApp(store, USER)
    async with app.run_test(size=(160, 50)) as pilot:
        await open_units(pilot, store, plan_id, picked)
        # 区保密局, 区财政局, 区档案馆, 区发改局
        await pilot.press("down", "down", "down", "enter")
        await pilot.pause()
        unit = store.unit("区发改局")
        assert unit is not None
        assert picked.results == [unit.id]
        assert isinstance(app.screen, MainScreen)


@pytest.mark.slow
async def test_enter_after_sorting_picks_the_row_under_the_cursor(store: Store) -> None:
    plan_id = set_statuses(store)
    picked = Picked()
    async with TrackerApp(store, USER).run_test(size=(160, 50)) as pilot:
        screen = await open_units(pilot, store, plan_id, picked)
        table = screen.query_one("#units-table", ProgressTable)
        await pilot.press("right", "right", "right", "s", "s")  # 总数, descending
        assert [row[0] for row in table_rows(table)[:3]] == ["各乡镇街委", "区经信局", "区发改局"]
        await pilot.press("home", "ctrl+home", "down", "enter")
        await pilot.pause()
        unit = store.unit("区经信局")
        assert unit is not None
        assert picked.results == [unit.id]


@pytest.mark.slow
@pytest.mark.parametrize("key", ["escape", "q"])
async def test_escape_picks_nothing(store: Store, key: str) -> None:
    plan_id = set_statuses(store)
    picked = Picked()
    app = TrackerApp(store, USER)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_units(pilot, store, plan_id, picked)
        await pilot.press(key)
        await pilot.pause()
        assert picked.results == [None]
        assert isinstance(app.screen, MainScreen)
        assert app.is_running


@pytest.mark.slow
async def test_s_toggles_and_header_click_sorts(store: Store) -> None:
    plan_id = set_statuses(store)
    async with TrackerApp(store, USER).run_test(size=(160, 50)) as pilot:
        screen = await open_units(pilot, store, plan_id, Picked())
        table = screen.query_one("#units-table", ProgressTable)
        await pilot.press("right", "s")  # 类型 ascending: as shown (concrete first)
        assert [row[1] for row in table_rows(table)][:1] == ["具体"]
        await pilot.press("s")  # descending: collectives first, still by pinyin
        assert [row[0] for row in table_rows(table)][:6] == COLLECTIVES

        # Click the 牵头 header: ascending by leads; again: descending.
        x = sum(c.get_render_width(table) for c in table.ordered_columns[:-1]) + 2
        table.scroll_x = 0
        await pilot.click(table, offset=(x, 0))
        await pilot.pause()
        assert table.cursor_column == 12
        leads = [int(row[-1]) for row in table_rows(table)]
        assert leads == sorted(leads)
        await pilot.click(table, offset=(x, 0))
        await pilot.pause()
        assert [row[0] for row in table_rows(table)[:2]] == ["区政府工作部门", "区发改局"]


@pytest.mark.slow
async def test_cursor_starts_on_the_selected_unit(store: Store) -> None:
    plan_id = set_statuses(store)
    unit = store.unit("区司法局")
    assert unit is not None
    async with TrackerApp(store, USER).run_test(size=(80, 24)) as pilot:
        screen = await open_units(pilot, store, plan_id, Picked(), selected=unit.id)
        table = screen.query_one("#units-table", ProgressTable)
        assert table.cursor_key == unit.id


@pytest.mark.slow
async def test_unit_names_are_shown_literally(store: Store) -> None:
    plan_id = set_statuses(store)
    store.add_unit("区[/]测试[bold]局")
    async with TrackerApp(store, USER).run_test(size=(160, 50)) as pilot:
        screen = await open_units(pilot, store, plan_id, Picked())
        names = [row[0] for row in table_rows(screen.query_one("#units-table", ProgressTable))]
        assert "区[/]测试[bold]局" in names


@pytest.mark.slow
def test_snapshot(snap_compare, store: Store) -> None:
    plan_id = set_statuses(store)

    async def run_before(pilot: Pilot) -> None:
        await open_units(pilot, store, plan_id, Picked())

    assert snap_compare(TrackerApp(store, USER), run_before=run_before, terminal_size=(160, 50))
