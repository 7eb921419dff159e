"""Typing in the tree: text goes to the notes (or the search box), digits set a status
only as lone keystrokes.

An input method commits a whole phrase at once; the terminal then delivers it in one
read, and Textual's parser makes one Key event per character, moments apart. These
tests do the same: the phrase's bytes go through Textual's own terminal parser at once
and every resulting event is posted before the app handles the first — never key by key.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_app import FIRST_ITEM, USER, first_item, paste, stored, wait_until
from textual._xterm_parser import XTermParser
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from tracker.domain.models import Status
from tracker.store import Store
from tracker.ui.app import TrackerApp
from tracker.ui.screens.main import LONE_KEY_WAIT, MainScreen
from tracker.ui.screens.search import SearchScreen
from tracker.ui.widgets.plan_tree import PlanTree

PHRASE = "于2023年8月"
"""What a clerk's input method commits in one go (the digits are not status keys here)."""


async def type_burst(pilot: Pilot, text: str) -> None:
    """Send ``text`` as a terminal sends an input method's commit: one read, all at once."""
    keys = list(XTermParser().feed(text))
    assert len(keys) == len(text)
    for key in keys:
        pilot.app.post_message(key)
    await pilot.pause()


def notes(pilot: Pilot) -> TextArea:
    return pilot.app.screen.query_one("#notes", TextArea)


@pytest.mark.slow
async def test_a_phrase_on_an_item_goes_to_its_notes_digits_included(
    store: Store, db_path: Path
) -> None:
    item = first_item(store)
    store.apply_change(item.id, "notes", "已部署。", USER)
    app = TrackerApp(store, USER)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press(*FIRST_ITEM)
        await type_burst(pilot, PHRASE)
        await wait_until(pilot, lambda: notes(pilot).text == "已部署。" + PHRASE)
        assert app.focused is notes(pilot)
        # The cursor is after what was typed, at the end of the text.
        assert notes(pilot).selection.end == notes(pilot).document.end
        # What is typed next follows it.
        await pilot.press("x")
        assert notes(pilot).text == "已部署。" + PHRASE + "x"
        await pilot.press("ctrl+s")
    assert stored(db_path, "SELECT status, notes FROM items WHERE id = ?", item.id) == [
        (Status.NOT_STARTED.value, "已部署。" + PHRASE + "x")
    ]
    fields = stored(db_path, "SELECT field FROM changes WHERE item_id = ?", item.id)
    assert ("status",) not in fields


@pytest.mark.slow
async def test_a_phrase_starting_with_status_digits_is_text(store: Store, db_path: Path) -> None:
    item = first_item(store)
    app = TrackerApp(store, USER)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press(*FIRST_ITEM)
        await type_burst(pilot, "2023年8月底前完成")
        await wait_until(pilot, lambda: notes(pilot).text == "2023年8月底前完成")
        await pilot.press("ctrl+s")
    assert stored(db_path, "SELECT status, notes FROM items WHERE id = ?", item.id) == [
        (Status.NOT_STARTED.value, "2023年8月底前完成")
    ]


@pytest.mark.slow
async def test_a_pasted_text_in_the_tree_goes_to_the_notes(store: Store) -> None:
    app = TrackerApp(store, USER)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press(*FIRST_ITEM)
        await paste(pilot, "已报送（待审）。")
        assert notes(pilot).text == "已报送（待审）。"
        assert app.focused is notes(pilot)


@pytest.mark.slow
async def test_a_lone_digit_sets_the_status_and_says_how_to_undo(
    store: Store, db_path: Path
) -> None:
    item = first_item(store)
    messages: list = []
    app = TrackerApp(store, USER)
    async with app.run_test(size=(100, 30), message_hook=messages.append) as pilot:
        await pilot.press(*FIRST_ITEM, "3")
        # A lone keystroke: nothing follows it within the burst window.
        await wait_until(pilot, lambda: store.item(item.id).status is Status.DONE)
        shown = [n.message for n in app._notifications]
        assert f"已将 {item.outline} 设为 已完成（Ctrl+Z 撤销）" in shown
        assert item.outline == "1.1.1"
        assert notes(pilot).text == ""
        assert isinstance(app.focused, PlanTree)
        await pilot.press("ctrl+z")
        assert store.item(item.id).status is Status.NOT_STARTED
    assert stored(db_path, "SELECT status FROM items WHERE id = ?", item.id) == [
        (Status.NOT_STARTED.value,)
    ]


async def test_a_digit_followed_by_a_move_acts_on_the_item_it_was_typed_on(store: Store) -> None:
    plan = store.plans()[0]
    key_task = store.key_tasks(store.categories(plan.id)[0].id)[0]
    first, second = store.items(key_task.id)[:2]
    app = TrackerApp(store, USER)
    async with app.run_test(size=(100, 30)) as pilot:
        # ↓ right after 2 ends the wait at once: 2 was a lone keystroke.
        await pilot.press(*FIRST_ITEM, "2", "down")
        assert store.item(first.id).status is Status.IN_PROGRESS
        assert store.item(second.id).status is Status.NOT_STARTED


@pytest.mark.slow
async def test_digits_typed_as_separate_keystrokes_are_status_keys(store: Store) -> None:
    item = first_item(store)
    app = TrackerApp(store, USER)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press(*FIRST_ITEM, "2", f"wait:{LONE_KEY_WAIT * 3000:.0f}", "3")
        await wait_until(pilot, lambda: store.item(item.id).status is Status.DONE)
        assert notes(pilot).text == ""


@pytest.mark.slow
async def test_text_on_a_category_is_kept_in_the_search_box(store: Store) -> None:
    app = TrackerApp(store, USER)
    async with app.run_test(size=(100, 30)) as pilot:
        await type_burst(pilot, "2发改局")  # the cursor is on category 1
        await wait_until(pilot, lambda: isinstance(app.screen, SearchScreen))
        search = app.screen.query_one("#search-input", Input)
        await wait_until(pilot, lambda: search.value == "2发改局")
        assert search.cursor_position == len("2发改局")
        assert any("具体任务" in n.message for n in app._notifications)
        # Typing on goes on into the box.
        await pilot.press("x")
        assert search.value == "2发改局x"
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
    assert {item.status for item in store.filtered_items(store.plans()[0].id)} == {
        Status.NOT_STARTED
    }


@pytest.mark.slow
async def test_a_second_phrase_after_closing_the_search_box_opens_it_again(
    store: Store,
) -> None:
    """The search box a phrase opened is closed; the next phrase on a category opens a
    new one instead of typing into the closed one (it crashed the app)."""
    app = TrackerApp(store, USER)
    async with app.run_test(size=(100, 30)) as pilot:
        await type_burst(pilot, "发改局")
        await wait_until(pilot, lambda: isinstance(app.screen, SearchScreen))
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        await type_burst(pilot, "材料")
        await wait_until(pilot, lambda: isinstance(app.screen, SearchScreen))
        search = app.screen.query_one("#search-input", Input)
        await wait_until(pilot, lambda: search.value == "材料")


async def test_read_only_refuses_the_phrase_without_setting_a_status(store: Store) -> None:
    item = first_item(store)
    app = TrackerApp(store, USER)
    app.read_only = True
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press(*FIRST_ITEM)
        await type_burst(pilot, "23")
        await pilot.pause(LONE_KEY_WAIT * 2)
        assert notes(pilot).text == ""
        assert any("只读" in (n.title or "") for n in app._notifications)
    assert store.item(item.id).status is Status.NOT_STARTED


@pytest.mark.slow
async def test_after_the_notes_a_digit_in_the_status_box_is_not_text(store: Store) -> None:
    item = first_item(store)
    app = TrackerApp(store, USER)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press(*FIRST_ITEM)
        await type_burst(pilot, PHRASE)
        await wait_until(pilot, lambda: notes(pilot).text == PHRASE)
        await pilot.press("shift+tab")  # to the status box
        assert app.focused is app.screen.query_one("#status")
        await pilot.press("3")
        await wait_until(pilot, lambda: store.item(item.id).status is Status.DONE)
        assert notes(pilot).text == PHRASE
