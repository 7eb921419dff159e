"""The main screen's rough edges (issue 9 §5): the detail pane follows the cursor, notes
editing, 80 columns, the date in effect, search results naming the matched unit."""

from __future__ import annotations

from test_app import FIRST_ITEM, USER, first_item
from textual.widgets import TextArea

from tracker.app import TrackerApp
from tracker.store import Store
from tracker.widgets.node_summary import NodeSummary


def summary_text(app: TrackerApp) -> str:
    return str(app.screen.query_one(NodeSummary).render())


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
