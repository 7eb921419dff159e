"""The main screen's rough edges (issue 9 §5): the detail pane follows the cursor, notes
editing, 80 columns, the date in effect, search results naming the matched unit."""

from __future__ import annotations

from datetime import date

import pytest
from rich.text import Text
from test_app import FIRST_ITEM, USER, first_item
from textual.widgets import DataTable, Input, OptionList, Static, TextArea
from textual.widgets._footer import FooterKey

from tracker.store import Store
from tracker.ui.app import TrackerApp
from tracker.ui.screens.search import MATCH_STYLE
from tracker.ui.widgets.node_summary import NodeSummary
from tracker.ui.widgets.plan_tree import PlanTree


def summary_text(app: TrackerApp) -> str:
    return str(app.screen.query_one(NodeSummary).render())


@pytest.mark.slow
async def test_the_detail_pane_follows_a_filter_change(store: Store) -> None:
    app = TrackerApp(store, USER, my_unit="区发改局")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        mine = summary_text(app)
        assert "加大主动公开力度" in mine and "0/16" not in mine
        await pilot.press("x")  # clear the filter: the cursor stays on category 1
        await pilot.pause()
        assert "0/16" in summary_text(app)
        await pilot.press("m")  # my unit again
        await pilot.pause()
        assert summary_text(app) == mine


@pytest.mark.slow
async def test_entering_the_notes_puts_the_cursor_at_the_end(store: Store) -> None:
    item = first_item(store)
    store.apply_change(item.id, "notes", "第一行\n第二行已完成", USER)
    app = TrackerApp(store, USER)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press(*FIRST_ITEM, "enter")
        notes = app.screen.query_one("#notes", TextArea)
        assert app.focused is notes
        assert notes.selection.end == (1, len("第二行已完成"))
        await pilot.press("ctrl+home")
        assert notes.selection.end == (0, 0)
        await pilot.press("ctrl+end")
        assert notes.selection.end == (1, len("第二行已完成"))
        # Leaving and coming back keeps the cursor where the clerk left it.
        await pilot.press("ctrl+home", "escape", "enter")
        assert notes.selection.end == (0, 0)


@pytest.mark.slow
async def test_at_80_by_24_the_notes_show_five_lines_and_a_scroll_mark(store: Store) -> None:
    item = first_item(store)
    store.apply_change(item.id, "notes", "\n".join(f"第{n}行" for n in range(1, 13)), USER)
    app = TrackerApp(store, USER)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*FIRST_ITEM, "enter")
        notes = app.screen.query_one("#notes", TextArea)
        assert notes.scrollable_content_region.height >= 5
        # The cursor went to the end: the last rows are in view, the first are above.
        await pilot.pause()
        assert notes.border_subtitle is not None and "上面还有" in notes.border_subtitle
        await pilot.press("ctrl+home")
        await pilot.pause()
        assert "下面还有" in notes.border_subtitle
        # F2 lets the notes fill the screen; F2 again (or Esc) puts them back.
        await pilot.press("f2")
        assert app.screen.maximized is notes
        assert notes.scrollable_content_region.height >= 18
        await pilot.press("f2")
        assert app.screen.maximized is None
        assert app.focused is notes


async def test_the_footer_keeps_help_and_quit_and_the_date_in_effect_is_shown(
    store: Store,
) -> None:
    store.today_override = date(2023, 8, 25)
    app = TrackerApp(store, USER)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        keys = [key for key in app.screen.query(FooterKey) if key.region.right <= 80]
        shown = {(key.key_display, key.description) for key in keys if key.region.width}
        assert {("?", "帮助"), ("q", "退出")} <= shown
        assert "截至 2023-08-25" in str(app.screen.query_one(PlanTree).border_title)


async def test_without_today_no_date_is_claimed(store: Store) -> None:
    async with TrackerApp(store, USER).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app_title(pilot) == "目录"


def app_title(pilot) -> str:
    return str(pilot.app.screen.query_one(PlanTree).border_title)


@pytest.mark.slow
async def test_the_due_list_shows_outline_numbers(store: Store) -> None:
    store.today_override = date(2023, 8, 25)
    app = TrackerApp(store, USER)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("d")
        await pilot.pause()
        table = app.screen.query_one("#due-table", DataTable)
        assert str(table.ordered_columns[0].label) == "序号"
        assert [str(table.get_row_at(row)[0]) for row in range(2)] == ["4.1.1", "3.2.1"]


@pytest.mark.slow
async def test_the_report_keeps_rate_and_warnings_in_view_at_80_columns(store: Store) -> None:
    store.today_override = date(2023, 8, 25)
    app = TrackerApp(store, USER)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("R")
        await pilot.pause()
        part = app.screen.query_one("#report-categories", Static)
        header = next(
            line
            for line in part.render_lines(part.region.reset_offset)  # type: ignore[arg-type]
            if "总数" in line.text
        )
        text = header.text
        assert "完成率" in text and "逾期" in text and "临期" in text
        end = header.crop(0, 78).text  # the body's width at 80 columns
        assert "临期" in end


@pytest.mark.slow
async def test_search_by_pinyin_shows_the_matched_unit(store: Store) -> None:
    app = TrackerApp(store, USER)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("slash", "f", "g", "j")
        await pilot.pause()
        results = app.screen.query_one("#search-results", OptionList)
        prompt = results.get_option_at_index(0).prompt
        assert isinstance(prompt, Text)
        line = prompt.plain.splitlines()[2]
        assert line == "  单位：区发改局"
        start = prompt.plain.index("区发改局")
        marked = [
            prompt.plain[span.start : span.end]
            for span in prompt.spans
            if span.style == MATCH_STYLE and span.start >= start
        ]
        assert marked == ["发改局"]
        # A piece of a unit's name: that piece is highlighted.
        await pilot.press(*["backspace"] * 3)
        app.screen.query_one("#search-input", Input).insert_text_at_cursor("市场监管")
        await pilot.pause()
        prompt = results.get_option_at_index(0).prompt
        assert isinstance(prompt, Text)
        assert "单位：区市场监管局" in prompt.plain


@pytest.mark.slow
async def test_the_detail_pane_follows_choosing_a_unit(store: Store) -> None:
    app = TrackerApp(store, USER)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert "0/16" in summary_text(app)  # category 1, everything
        await pilot.press("u", "f", "g", "j", "enter")
        await pilot.pause()
        assert app.screen.flt.unit_id is not None
        shown = summary_text(app)
        assert "加大主动公开力度" in shown and "0/16" not in shown
