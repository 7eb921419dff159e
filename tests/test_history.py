"""History, undo/redo, unclean shutdowns and two windows on one database."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from test_app import wait_until
from textual import events
from textual.widgets import Select, Static, TextArea

from tracker.domain.models import Status
from tracker.domain.notes import merge_notes
from tracker.store import ChangedUnderneath, Store
from tracker.ui.app import TrackerApp
from tracker.ui.screens.history import HistoryScreen
from tracker.ui.screens.recovery import RecoveryScreen
from tracker.ui.widgets.plan_tree import PlanTree

FIRST_ITEM = ("right", "right", "right", "right")


def first_item(store: Store):
    return store.filtered_items(store.plans()[0].id)[0]


async def paste(pilot, text: str) -> None:
    pilot.app.post_message(events.Paste(text))
    await pilot.pause()


# ---------------------------------------------------------------------- store level
def test_stale_status_is_not_overwritten(store: Store) -> None:
    item = first_item(store)
    store.set_status(item.id, Status.DONE, "另一窗口")
    with pytest.raises(ChangedUnderneath) as raised:
        store.set_status(item.id, Status.IN_PROGRESS, "张三", expected=Status.NOT_STARTED)
    assert raised.value.current == "done"
    assert store.item(item.id).status is Status.DONE
    assert len(store.changes(item.id)) == 1


def test_notes_saved_meanwhile_are_merged_not_dropped(store: Store, db_path: Path) -> None:
    item = first_item(store)
    other = Store.open(db_path)
    try:
        other.save_notes(item.id, "另一窗口写的", "李四")
    finally:
        other.close()
    change, merged = store.save_draft(item.id, "这里写的", "张三", base="")
    assert merged
    notes = store.item(item.id).notes
    assert notes.startswith("另一窗口写的") and notes.endswith("这里写的")
    assert change is not None and change.old_value == "另一窗口写的"
    # Unchanged underneath: a plain save.
    change, merged = store.save_draft(item.id, notes + "。", "张三", base=notes)
    assert not merged


def test_merge_notes_keeps_both() -> None:
    assert merge_notes("", "我的", "张三", "t") == "我的"
    assert merge_notes("他的", "他的", "张三", "t") == "他的"
    both = merge_notes("他的", "我的", "张三", "2023-06-15 09:30")
    assert both.index("他的") < both.index("张三") < both.index("我的")


# ---------------------------------------------------------------------- app level
@pytest.mark.slow
async def test_undo_and_redo_a_status_change(store: Store) -> None:
    item = first_item(store)
    app = TrackerApp(store, "张三")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*FIRST_ITEM, "3")
        await wait_until(pilot, lambda: store.item(item.id).status is Status.DONE)
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert store.item(item.id).status is Status.NOT_STARTED
        assert app.screen.query_one("#status", Select).value == Status.NOT_STARTED.value
        await pilot.press("ctrl+y")
        await pilot.pause()
        assert store.item(item.id).status is Status.DONE
        await pilot.press("ctrl+z", "ctrl+z")  # the second has nothing left to undo
        await pilot.pause()
    kinds = [(c.kind, c.new_value) for c in reversed(store.changes(item.id))]
    assert kinds == [
        ("edit", "done"),
        ("undo", "not_started"),
        ("redo", "done"),
        ("undo", "not_started"),
    ]
    assert all(c.session_id for c in store.changes(item.id))


@pytest.mark.slow
async def test_undo_a_saved_note_from_the_tree(store: Store) -> None:
    item = first_item(store)
    app = TrackerApp(store, "张三")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*FIRST_ITEM, "enter")
        await paste(pilot, "第一稿。")
        await pilot.press("escape")  # saves on leaving the notes
        await pilot.pause()
        assert store.item(item.id).notes == "第一稿。"
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert store.item(item.id).notes == ""
        assert app.screen.query_one("#notes", TextArea).text == ""


@pytest.mark.slow
async def test_undo_refuses_when_another_window_changed_it(store: Store, db_path: Path) -> None:
    item = first_item(store)
    app = TrackerApp(store, "张三")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*FIRST_ITEM, "2")
        await wait_until(pilot, lambda: store.item(item.id).status is Status.IN_PROGRESS)
        other = Store.open(db_path)
        other.set_status(item.id, Status.ON_HOLD, "李四")
        other.close()
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert store.item(item.id).status is Status.ON_HOLD
        assert any("另一窗口" in n.message for n in app._notifications)


@pytest.mark.slow
async def test_history_screen_lists_changes_newest_first(store: Store) -> None:
    item = first_item(store)
    store.set_status(item.id, Status.IN_PROGRESS, "李四")
    store.clock.advance(60)
    store.save_notes(item.id, "[bold]已部署[/]", "王五")
    app = TrackerApp(store, "张三")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press(*FIRST_ITEM, "h")
        await pilot.pause()
        assert isinstance(app.screen, HistoryScreen)
        entries = [str(s.render()) for s in app.screen.query(".history-entry").results(Static)]
        assert len(entries) == 2
        assert "王五" in entries[0] and "[bold]已部署[/]" in entries[0]
        assert "李四" in entries[1] and "未启动 → 推进中" in entries[1]
        await pilot.press("escape")
        assert not isinstance(app.screen, HistoryScreen)


async def test_unclean_shutdown_is_reported_with_what_was_saved(store: Store) -> None:
    item = first_item(store)
    # A session that never ended, from a process that no longer exists.
    session_id, _ = store.begin_session("张三", os.uname().nodename, pid=2**22 + 12345)
    store.save_notes(item.id, "崩溃前保存的文字", "张三")
    store.session_id = None
    app = TrackerApp(store, "张三")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, RecoveryScreen)
        text = " ".join(str(s.render()) for s in app.screen.query(Static).results(Static))
        assert "没有正常关闭" in text and "崩溃前保存的文字" in text
        await pilot.press("enter")
        assert not isinstance(app.screen, RecoveryScreen)
    ended = store.db.execute("SELECT clean FROM sessions WHERE id = ?", [session_id]).fetchone()
    assert ended == (0,)


@pytest.mark.slow
async def test_a_clean_quit_is_not_reported_next_time(store: Store) -> None:
    app = TrackerApp(store, "张三")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("q")
        await pilot.pause()
    again = TrackerApp(store, "张三")
    async with again.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert not isinstance(again.screen, RecoveryScreen)
        assert not any("另一个窗口" in n.message for n in again._notifications)


@pytest.mark.slow
async def test_two_windows_see_and_merge_each_others_notes(store: Store, db_path: Path) -> None:
    item = first_item(store)
    second_store = Store.open(db_path, clock=store.clock)
    first, second = TrackerApp(store, "张三"), TrackerApp(second_store, "李四")
    async with first.run_test(size=(80, 24)) as one, second.run_test(size=(80, 24)) as two:
        assert any("另一个窗口" in n.message for n in second._notifications)
        await one.press(*FIRST_ITEM, "enter")
        await two.press(*FIRST_ITEM, "enter")
        await paste(one, "张三的进展")
        await paste(two, "李四的进展")
        await one.press("ctrl+s")
        await two.press("ctrl+s")
        await one.pause()
        await two.pause()
        stored = store.item(item.id).notes
        assert "张三的进展" in stored and "李四的进展" in stored
        assert two.app.screen.query_one("#notes", TextArea).text == stored
        # The first window picks the merged text up by itself (nothing typed there now).
        first._check_external_changes()
        await one.pause()
        assert first.screen.query_one("#notes", TextArea).text == stored
        # A status set in one window shows in the other's tree.
        await two.press("escape", "3")
        await wait_until(two, lambda: second_store.item(item.id).status is Status.DONE)
        first._check_external_changes()
        await one.pause()
        assert "已完成" in str(first.screen.query_one(PlanTree).node_for(item.id).label)
    second_store.close()
