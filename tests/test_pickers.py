"""The search, my-unit, filter and deadline dialogs, driven by the Pilot.

Each dialog is shown on its own over an empty app that loads the real stylesheet, so
these tests (and the snapshots at the end) do not change when the main screen does.
Results come back through the ``push_screen`` callback, as they do in the app.

Deadlines are counted on 2023-08-25 with the default 14-day window (临期 up to
2023-09-08). The seed's dated items (data/2023-tongchuan-gongkai-fengong.txt, numbered
1-47 in plan order) are 34 (5月31日), 32 (7月31日), 18, 25, 33 (8月31日), 31 (9月30日),
46 (10月31日) and 35, 38, 42, 43, 44, 45, 47 (12月31日): 14 open items, 2 overdue, 3 due
soon.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from textual import events
from textual.app import App
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import DataTable, Input, OptionList, SelectionList, Static

from tracker.domain.deadlines import DueWarning
from tracker.domain.models import Status
from tracker.domain.units import UnitKind
from tracker.store import ItemFilter, ItemRecord, Store
from tracker.store.locations import stylesheet_path
from tracker.ui.screens.due import DueScreen
from tracker.ui.screens.filters import FilterScreen
from tracker.ui.screens.search import SearchScreen
from tracker.ui.screens.unit_picker import ALL_UNITS_OPTION, UnitPickerScreen

USER = "李四"
AUG_25 = date(2023, 8, 25)


class Host(App[None]):
    """An empty app with the tracker's stylesheet, to show one dialog on its own."""

    def __init__(self, make: Callable[[], Screen[Any]] | None = None) -> None:
        super().__init__(css_path=stylesheet_path())
        self.make = make
        self.results: list[Any] = []
        """What the dialog dismissed with (the push_screen callback's argument)."""

    def on_mount(self) -> None:
        if self.make is not None:
            self.push_screen(self.make(), self.results.append)


async def paste(pilot: Pilot, text: str) -> None:
    """Type text as a terminal paste (Pilot.press drops full-width punctuation)."""
    assert pilot.app.focused is not None
    pilot.app.post_message(events.Paste(text))
    await pilot.pause()


async def wait_until(pilot: Pilot, condition: Callable[[], bool], timeout: float = 3.0) -> None:
    """Let the app run until ``condition`` holds."""
    for _ in range(int(timeout / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition not met in time")


def plan_id(store: Store) -> str:
    return store.plans()[0].id


def item_no(store: Store, n: int) -> ItemRecord:
    """The n-th item of the plan (1-based, plan order), as counted by hand."""
    return store.filtered_items(plan_id(store))[n - 1]


def option_ids(app: App) -> list[str | None]:
    return [option.id for option in app.screen.query_one(OptionList).options]


def static_text(app: App, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def open_dialog(pilot: Pilot, screen: Screen[Any]) -> Host:
    app = pilot.app
    assert isinstance(app, Host)
    app.push_screen(screen, app.results.append)
    await pilot.pause()
    return app


# ---------------------------------------------------------------------- search


async def test_search_updates_as_you_type(store: Store) -> None:
    pid = plan_id(store)
    async with Host().run_test(size=(80, 24)) as pilot:
        app = await open_dialog(pilot, SearchScreen(store, pid, None))
        assert isinstance(app.focused, Input)
        assert option_ids(app) == []
        assert "输入关键词" in static_text(app, "#search-count")
        await pilot.press("f")
        await pilot.press("g", "j")
        fgj = [item_no(store, n).id for n in (1, 2, 3, 5, 20, 33)]
        assert option_ids(app) == fgj
        assert static_text(app, "#search-count") == "找到 6 项"
        await pilot.press("backspace", "backspace", "backspace")
        assert option_ids(app) == []
        await paste(pilot, "网")
        assert len(option_ids(app)) == 8
        await paste(pilot, "站")
        assert len(option_ids(app)) == 7
        await pilot.press("home")
        await paste(pilot, "政府")
        assert app.screen.query_one(Input).value == "政府网站"
        assert option_ids(app) == [item_no(store, n).id for n in (34, 35, 36, 40, 44)]
        assert static_text(app, "#search-count") == "找到 5 项"
        await pilot.press("end")
        await paste(pilot, "，不存在的词")
        assert option_ids(app) == []
        assert static_text(app, "#search-count") == "没有找到"
        await pilot.press("enter")  # nothing to open: the dialog stays
        assert isinstance(app.screen, SearchScreen)
        assert app.results == []


async def test_search_enter_opens_the_first_result(store: Store) -> None:
    pid = plan_id(store)
    async with Host().run_test(size=(80, 24)) as pilot:
        app = await open_dialog(pilot, SearchScreen(store, pid, None))
        await pilot.press("j", "x", "j")
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == [item_no(store, 1).id]
        assert not isinstance(app.screen, SearchScreen)


async def test_search_down_up_then_enter_opens_the_highlighted(store: Store) -> None:
    pid = plan_id(store)
    async with Host().run_test(size=(80, 24)) as pilot:
        app = await open_dialog(pilot, SearchScreen(store, pid, None))
        await paste(pilot, "政府网站")
        await pilot.press("down", "down", "down", "up")
        assert isinstance(app.focused, Input)  # the input keeps the focus
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == [item_no(store, 36).id]


async def test_search_escape_returns_none(store: Store) -> None:
    pid = plan_id(store)
    async with Host().run_test(size=(80, 24)) as pilot:
        app = await open_dialog(pilot, SearchScreen(store, pid, None))
        await paste(pilot, "网站")
        await pilot.press("escape")
        await pilot.pause()
        assert app.results == [None]


async def test_search_respects_the_filter(store: Store) -> None:
    pid = plan_id(store)
    store.set_status(item_no(store, 34).id, Status.DONE, USER)
    flt = ItemFilter(statuses=frozenset({Status.NOT_STARTED}))
    async with Host().run_test(size=(80, 24)) as pilot:
        app = await open_dialog(pilot, SearchScreen(store, pid, flt))
        await paste(pilot, "政府网站")
        assert option_ids(app) == [item_no(store, n).id for n in (35, 36, 40, 44)]
        assert static_text(app, "#search-count") == "找到 4 项（当前筛选范围内）"


async def test_search_shows_where_notes_matched_and_literal_marks(store: Store) -> None:
    pid = plan_id(store)
    item = item_no(store, 10)
    store.save_notes(item.id, "会议纪要 [bold]不是标记[/]，已在门户网站公开。", USER)
    async with Host().run_test(size=(80, 24)) as pilot:
        app = await open_dialog(pilot, SearchScreen(store, pid, None))
        await paste(pilot, "[/]")
        assert option_ids(app) == [item.id]
        prompt = str(app.screen.query_one(OptionList).options[0].prompt)
        assert "进展：" in prompt and "[bold]不是标记[/]" in prompt
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == [item.id]


# ------------------------------------------------------------------ unit picker


async def test_unit_picker_finds_by_initials(store: Store) -> None:
    pid = plan_id(store)
    fgj = store.unit("区发改局")
    assert fgj is not None
    async with Host().run_test(size=(80, 24)) as pilot:
        app = await open_dialog(pilot, UnitPickerScreen(store, pid, None))
        assert option_ids(app)[0] == ALL_UNITS_OPTION
        await pilot.press("f", "g", "j")
        assert option_ids(app) == [fgj.id]
        assert static_text(app, "#unit-count") == "找到 1 个单位"
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == [fgj.id]


async def test_unit_picker_finds_by_name(store: Store) -> None:
    pid = plan_id(store)
    jxj = store.unit("区经信局")
    assert jxj is not None
    async with Host().run_test(size=(80, 24)) as pilot:
        app = await open_dialog(pilot, UnitPickerScreen(store, pid, None))
        await paste(pilot, "经信")
        assert option_ids(app) == [jxj.id]
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == [jxj.id]


async def test_unit_picker_all_units_returns_empty_string(store: Store) -> None:
    pid = plan_id(store)
    async with Host().run_test(size=(80, 24)) as pilot:
        app = await open_dialog(pilot, UnitPickerScreen(store, pid, None))
        unit_list = app.screen.query_one(OptionList)
        assert unit_list.highlighted == 0
        assert "全部单位" in str(unit_list.options[0].prompt)
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == [""]


async def test_unit_picker_starts_on_the_current_unit(store: Store) -> None:
    pid = plan_id(store)
    fgj = store.unit("区发改局")
    assert fgj is not None
    async with Host().run_test(size=(80, 24)) as pilot:
        app = await open_dialog(pilot, UnitPickerScreen(store, pid, fgj.id))
        unit_list = app.screen.query_one(OptionList)
        highlighted = unit_list.highlighted_option
        assert highlighted is not None and highlighted.id == fgj.id
        assert "当前" in str(highlighted.prompt) and "23 项" in str(highlighted.prompt)
        await pilot.press("up")  # the unit before it, then all the way up to 全部
        assert unit_list.highlighted_option is not highlighted
        while unit_list.highlighted:
            await pilot.press("up")
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == [""]


async def test_unit_picker_lists_concrete_units_first(store: Store) -> None:
    pid = plan_id(store)
    units = {u.id: u for u in store.units(pid)}
    async with Host().run_test(size=(80, 24)) as pilot:
        app = await open_dialog(pilot, UnitPickerScreen(store, pid, None))
        options = app.screen.query_one(OptionList).options[1:]
        kinds = [units[str(o.id)].kind for o in options]
        assert len(options) == len(units)
        assert kinds == sorted(kinds, key=lambda kind: kind is UnitKind.COLLECTIVE)
        for option in options:
            marked = "集合" in str(option.prompt)
            assert marked == (units[str(option.id)].kind is UnitKind.COLLECTIVE)


async def test_unit_picker_nothing_found_does_not_clear_the_unit(store: Store) -> None:
    pid = plan_id(store)
    async with Host().run_test(size=(80, 24)) as pilot:
        app = await open_dialog(pilot, UnitPickerScreen(store, pid, None))
        await pilot.press("x", "x", "x")
        assert option_ids(app) == []
        assert static_text(app, "#unit-count") == "没有找到"
        await pilot.press("enter")
        assert isinstance(app.screen, UnitPickerScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert app.results == [None]


# ----------------------------------------------------------------------- filters


async def test_filter_returns_the_ticked_statuses_and_warnings() -> None:
    current = ItemFilter(
        unit_id="u1",
        statuses=frozenset({Status.IN_PROGRESS}),
        warnings=frozenset({DueWarning.DUE_SOON}),
        item_ids=frozenset({"a", "b"}),
    )
    async with Host().run_test(size=(80, 24)) as pilot:
        app = await open_dialog(pilot, FilterScreen(current))
        statuses, warnings = app.screen.query(SelectionList)
        assert statuses.selected == [Status.IN_PROGRESS]
        assert warnings.selected == [DueWarning.DUE_SOON]
        assert statuses.has_focus
        await pilot.press("space")  # tick 未启动
        await pilot.press("down", "down", "space")  # tick 已完成
        await pilot.press("tab", "space")  # 逾期
        await pilot.press("down", "space")  # untick 临期
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == [
            ItemFilter(
                unit_id="u1",
                statuses=frozenset({Status.NOT_STARTED, Status.IN_PROGRESS, Status.DONE}),
                warnings=frozenset({DueWarning.OVERDUE}),
                item_ids=frozenset({"a", "b"}),
            )
        ]


async def test_filter_clear_then_ok_button() -> None:
    current = ItemFilter(
        unit_id="u1",
        statuses=frozenset({Status.DONE, Status.ON_HOLD}),
        warnings=frozenset({DueWarning.OVERDUE, DueWarning.NONE}),
    )
    async with Host().run_test(size=(80, 24)) as pilot:
        app = await open_dialog(pilot, FilterScreen(current))
        await pilot.press("c")
        assert all(not s.selected for s in app.screen.query(SelectionList))
        # A click ticks the row under it: inside the border, the third row is 已完成.
        await pilot.click("#filter-statuses", offset=(5, 3))
        await pilot.click("#filter-ok")
        await pilot.pause()
        [chosen] = app.results
        assert chosen.unit_id == "u1"
        assert chosen.warnings == frozenset()
        assert chosen.statuses == frozenset({Status.DONE})


async def test_filter_clear_button_and_escape() -> None:
    current = ItemFilter(statuses=frozenset({Status.DONE}))
    async with Host().run_test(size=(80, 24)) as pilot:
        app = await open_dialog(pilot, FilterScreen(current))
        await pilot.click("#filter-clear")
        assert isinstance(app.screen, FilterScreen)
        assert all(not s.selected for s in app.screen.query(SelectionList))
        await pilot.press("escape")
        await pilot.pause()
        assert app.results == [None]


# ------------------------------------------------------------------------- due


def due_rows(app: App) -> list[str]:
    table = app.screen.query_one(DataTable)
    return [str(row.key.value) for row in table.ordered_rows]


async def test_due_lists_open_dated_items_soonest_first(store: Store) -> None:
    store.today_override = AUG_25
    pid = plan_id(store)
    expected = [item_no(store, n).id for n in (34, 32, 18, 25, 33, 31, 46)]
    async with Host().run_test(size=(80, 24)) as pilot:
        app = await open_dialog(pilot, DueScreen(store, pid, None))
        await wait_until(pilot, lambda: bool(due_rows(app)))
        rows = due_rows(app)
        assert len(rows) == 14
        assert rows[:7] == expected
        table = app.screen.query_one(DataTable)
        assert [str(table.get_cell(rows[0], c)) for c in ("due", "left")] == [
            "2023-05-31",
            "逾期 86 天",
        ]
        assert str(table.get_cell(rows[1], "left")) == "逾期 25 天"
        assert [str(table.get_cell(r, "due")) for r in rows[2:5]] == ["2023-08-31"] * 3
        assert str(table.get_cell(rows[2], "left")) == "6 天"
        assert static_text(app, "#due-summary") == (
            "截至 2023-08-25，共 14 项未完成的有时限任务，其中逾期 2 项、临期 3 项"
        )
        await pilot.press("down", "enter")
        await pilot.pause()
        assert app.results == [item_no(store, 32).id]


async def test_due_leaves_out_done_items_and_keeps_the_filter(store: Store) -> None:
    store.today_override = AUG_25
    pid = plan_id(store)
    store.set_status(item_no(store, 34).id, Status.DONE, USER)
    store.set_status(item_no(store, 18).id, Status.IN_PROGRESS, USER)
    flt = ItemFilter(statuses=frozenset({Status.IN_PROGRESS, Status.DONE}))
    async with Host().run_test(size=(80, 24)) as pilot:
        app = await open_dialog(pilot, DueScreen(store, pid, None))
        await wait_until(pilot, lambda: bool(due_rows(app)))
        assert len(due_rows(app)) == 13
        assert due_rows(app)[0] == item_no(store, 32).id
        assert "逾期 1 项" in static_text(app, "#due-summary")
        await pilot.press("escape")
        await pilot.pause()
        assert app.results == [None]
        app = await open_dialog(pilot, DueScreen(store, pid, flt))
        await wait_until(pilot, lambda: bool(due_rows(app)))
        assert due_rows(app) == [item_no(store, 18).id]
        assert static_text(app, "#due-summary").endswith("（当前筛选范围内）")


async def test_due_refits_columns_when_the_terminal_resizes(store: Store) -> None:
    store.today_override = AUG_25
    pid = plan_id(store)
    async with Host().run_test(size=(80, 24)) as pilot:
        app = await open_dialog(pilot, DueScreen(store, pid, None))
        await wait_until(pilot, lambda: bool(due_rows(app)))
        table = app.screen.query_one(DataTable)
        await pilot.press("down", "down")
        narrow = table.columns["content"].width
        await pilot.resize_terminal(160, 50)
        await wait_until(pilot, lambda: table.columns["content"].width > narrow)
        assert table.cursor_row == 2
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == [item_no(store, 18).id]


async def test_q_closes_the_dialogs_without_text_input(store: Store) -> None:
    async with Host().run_test(size=(80, 24)) as pilot:
        app = await open_dialog(pilot, FilterScreen(ItemFilter()))
        await pilot.press("q")
        await pilot.pause()
        app = await open_dialog(pilot, DueScreen(store, plan_id(store), None))
        await pilot.press("q")
        await pilot.pause()
        assert app.results == [None, None]
        assert app.is_running


# --------------------------------------------------------------------- snapshots


def test_search_snapshot(snap_compare, store: Store) -> None:
    async def type_query(pilot: Pilot) -> None:
        await paste(pilot, "网站")
        await pilot.press("down")

    app = Host(lambda: SearchScreen(store, plan_id(store), None))
    assert snap_compare(app, run_before=type_query, terminal_size=(80, 24))


def test_due_snapshot(snap_compare, store: Store) -> None:
    store.today_override = AUG_25
    app = Host(lambda: DueScreen(store, plan_id(store), None))
    assert snap_compare(app, terminal_size=(80, 24))
