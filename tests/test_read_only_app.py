"""A read-only database opens with a banner; editing keys say why they do nothing."""

from __future__ import annotations

import pytest
from textual import events
from textual.widgets import Static, TextArea

from tracker.domain.models import Status
from tracker.store import Store
from tracker.ui.app import TrackerApp


@pytest.mark.slow
async def test_read_only_database_refuses_edits_and_says_why(store: Store) -> None:
    store.read_only = True  # what Store.open sets for a file it cannot write
    item = store.filtered_items(store.plans()[0].id)[0]
    app = TrackerApp(store, "张三")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        banner = app.screen.query_one("#read-only-banner", Static)
        assert "只读" in str(banner.render())
        # Each key alone (a status key waits for the rest of a possible phrase).
        await pilot.press("right", "right", "right", "right", "3", "escape", "s", "escape")
        await pilot.press("r", "escape", "ctrl+z")
        await pilot.pause()
        assert store.item(item.id).status is Status.NOT_STARTED
        assert any("只读" in n.message for n in app._notifications)
        await pilot.press("enter")
        notes = app.screen.query_one("#notes", TextArea)
        assert notes.read_only
        app.post_message(events.Paste("不应保存"))
        await pilot.press("a")
        await pilot.pause()
        assert notes.text == ""
    assert store.changes() == []
    assert store.db.execute("SELECT count(*) FROM sessions").fetchone()[0] == 0
