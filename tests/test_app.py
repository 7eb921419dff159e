"""Interaction tests: the real app driven by the Pilot, checked on screen and in the database."""

from __future__ import annotations

import io
import signal
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console
from textual import events
from textual.pilot import Pilot
from textual.widgets import Input, Select, Static, TextArea

from tracker.domain.models import Status
from tracker.importers.parser import parse_plan_text
from tracker.services.drafts import NoteDrafts
from tracker.store import Store
from tracker.ui.app import TrackerApp
from tracker.ui.screens.dialogs import ConfirmScreen
from tracker.ui.screens.export import ExportScreen
from tracker.ui.screens.help import HelpScreen
from tracker.ui.widgets.item_detail import ItemDetail
from tracker.ui.widgets.node_summary import NodeSummary
from tracker.ui.widgets.plan_tree import PlanTree

USER = "李四"
NOTE = "已召开专题会议，部署推进：【三城三地】“双随机、一公开”。"

FIRST_ITEM = ("right", "right", "right", "right")
"""Keys from the opening screen to the plan's first item."""


class FakeMonotonic:
    """A monotonic clock moved by hand, for the notes autosave."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_app(store: Store, drafts: NoteDrafts | None = None) -> TrackerApp:
    return TrackerApp(store, USER, drafts=drafts)


async def paste(pilot: Pilot, text: str) -> None:
    """Type text as a terminal paste (Pilot.press drops full-width punctuation)."""
    # As the terminal driver does: the app routes it to the focused widget.
    assert pilot.app.focused is not None
    pilot.app.post_message(events.Paste(text))
    await pilot.pause()


async def wait_until(pilot: Pilot, condition: Callable[[], bool], timeout: float = 3.0) -> None:
    """Let the app run until ``condition`` holds (an autosave, a repaint)."""
    for _ in range(int(timeout / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition not met in time")


def first_item(store: Store):
    plan = store.plans()[0]
    category = store.categories(plan.id)[0]
    key_task = store.key_tasks(category.id)[0]
    return store.items(key_task.id)[0]


def stored(db_path: Path, sql: str, *params) -> list[tuple]:
    """Read the database through a separate connection, as another program would."""
    with sqlite3.connect(db_path) as conn:
        return conn.execute(sql, params).fetchall()


def cursor_ref(app: TrackerApp):
    node = app.screen.query_one(PlanTree).cursor_node
    assert node is not None
    return node.data


async def test_opens_with_categories_in_view(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        tree = app.screen.query_one(PlanTree)
        assert tree.has_focus
        assert tree.root.is_expanded
        labels = [str(node.label) for node in tree.root.children]
        assert len(labels) == 5
        assert "1 加大主动公开力度" in labels[0]
        assert "0/16" in labels[0]
        assert cursor_ref(app).kind == "category"
        summary = app.screen.query_one(NodeSummary)
        assert "加大主动公开力度" in str(summary.render())


@pytest.mark.slow
async def test_arrows_and_jk_walk_the_tree(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*FIRST_ITEM)
        ref = cursor_ref(app)
        assert ref.kind == "item"
        assert ref.id == first_item(store).id
        await pilot.press("j")
        second = cursor_ref(app)
        assert second.kind == "item" and second.id != ref.id
        await pilot.press("k")
        assert cursor_ref(app) == ref
        await pilot.press("left")  # an item: back to its key task
        assert cursor_ref(app).kind == "key_task"
        await pilot.press("left")  # collapse the key task
        tree = app.screen.query_one(PlanTree)
        assert tree.cursor_node is not None and not tree.cursor_node.is_expanded


async def test_detail_shows_the_item(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press(*FIRST_ITEM)
        await pilot.pause()
        item = first_item(store)
        detail = app.screen.query_one(ItemDetail)
        assert detail.display
        assert detail.item is not None and detail.item.id == item.id
        rendered = str(app.screen.query_one("#item-content").render())
        assert item.content in rendered.replace("\n", "")
        assert "区发改局" in str(app.screen.query_one("#item-units").render())
        assert "及时公开" in str(app.screen.query_one("#item-deadline").render())


@pytest.mark.slow
async def test_status_keys_commit_at_once(store: Store, db_path: Path) -> None:
    app = make_app(store)
    item = first_item(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*FIRST_ITEM, "2")
        # A status key waits for the rest of a possible phrase: wait for its effect.
        await wait_until(pilot, lambda: store.item(item.id).status is Status.IN_PROGRESS)
        # Committed: another connection sees it while the app is still running.
        assert stored(db_path, "SELECT status FROM items WHERE id = ?", item.id) == [
            ("in_progress",)
        ]
        assert stored(
            db_path,
            "SELECT field, old_value, new_value, by FROM changes WHERE item_id = ?",
            item.id,
        ) == [("status", "not_started", "in_progress", USER)]
        tree = app.screen.query_one(PlanTree)
        assert "推进中" in str(tree.node_for(item.id).label)
        await pilot.press("3")
        await wait_until(pilot, lambda: "1/3" in str(tree.node_for(item.key_task_id).label))
        assert "1/16" in str(tree.node_for(item.category_id).label)
        assert "1/47" in str(tree.root.label)
        select = app.screen.query_one("#status", Select)
        assert select.value == Status.DONE.value
        assert "已保存" in str(app.save_message)


@pytest.mark.slow
async def test_cycle_key_and_every_status_key(store: Store, db_path: Path) -> None:
    app = make_app(store)
    item = first_item(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*FIRST_ITEM)
        for status in Status:
            await pilot.press(str(status.seq))
            await pilot.pause()
            assert store.item(item.id).status is status
        await pilot.press("s")  # on_hold → not_started (wraps)
        await wait_until(pilot, lambda: store.item(item.id).status is Status.NOT_STARTED)
        await pilot.press("s")
        await wait_until(pilot, lambda: store.item(item.id).status is Status.IN_PROGRESS)


async def test_status_key_on_a_category_changes_nothing(store: Store, db_path: Path) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await wait_until(pilot, lambda: any("具体任务" in n.message for n in app._notifications))
        assert stored(db_path, "SELECT count(*) FROM changes") == [(0,)]


@pytest.mark.slow
async def test_status_select_with_the_keyboard(store: Store, db_path: Path) -> None:
    app = make_app(store)
    item = first_item(store)
    async with app.run_test(size=(80, 24)) as pilot:
        # Tab walks tree → content (scrollable) → status → notes.
        await pilot.press(*FIRST_ITEM, "tab")
        assert app.focused is app.screen.query_one("#item-content-scroll")
        await pilot.press("tab")
        select = app.screen.query_one("#status", Select)
        assert select.has_focus
        await pilot.press("enter", "down", "down", "enter")
        await pilot.pause()
        assert select.value == Status.DONE.value
        assert store.item(item.id).status is Status.DONE
        await pilot.press("escape")
        assert app.screen.query_one(PlanTree).has_focus


@pytest.mark.slow
async def test_moving_between_items_does_not_change_statuses(store: Store, db_path: Path) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*FIRST_ITEM, "2", "down", "down", "up", "up", "down")
        await pilot.pause()
        assert stored(db_path, "SELECT count(*) FROM changes") == [(1,)]


@pytest.mark.slow
async def test_note_saved_after_typing_pauses(store: Store, db_path: Path) -> None:
    app = make_app(store)
    item = first_item(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*FIRST_ITEM, "enter")
        notes = app.screen.query_one("#notes", TextArea)
        assert notes.has_focus
        await paste(pilot, NOTE)
        assert item.id in app.drafts  # typed, not yet saved
        await wait_until(pilot, lambda: not app.drafts)
        assert stored(db_path, "SELECT notes FROM items WHERE id = ?", item.id) == [(NOTE,)]
        assert "已保存" in str(app.save_message)
        await pilot.press("a", "b")
        await wait_until(pilot, lambda: not app.drafts)
        assert store.item(item.id).notes == NOTE + "ab"


@pytest.mark.slow
async def test_continuous_typing_saves_every_two_seconds(store: Store, db_path: Path) -> None:
    clock = FakeMonotonic()
    app = make_app(store, drafts=NoteDrafts(clock))
    item = first_item(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*FIRST_ITEM, "enter")
        await paste(pilot, "第一段")
        clock.now += 1.0
        await paste(pilot, "，第二段")
        assert store.item(item.id).notes == ""  # still typing, under 2 s
        clock.now += 1.1
        await paste(pilot, "，第三段")
        # 2.1 s of continuous typing: saved now, without waiting for a pause.
        assert store.item(item.id).notes == "第一段，第二段，第三段"


@pytest.mark.slow
async def test_switching_items_saves_before_the_delay(store: Store, db_path: Path) -> None:
    app = make_app(store)
    item = first_item(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*FIRST_ITEM, "enter")
        await paste(pilot, NOTE)
        await pilot.press("escape", "down")
        await pilot.pause()
        # Saved at once, long before the half-second pause.
        assert stored(db_path, "SELECT notes FROM items WHERE id = ?", item.id) == [(NOTE,)]
        detail = app.screen.query_one(ItemDetail)
        assert detail.item is not None and detail.item.id != item.id
        assert app.screen.query_one("#notes", TextArea).text == ""
        second = detail.item.id
        assert stored(db_path, "SELECT notes FROM items WHERE id = ?", second) == [("",)]


@pytest.mark.slow
async def test_clicking_another_item_saves_the_note(store: Store, db_path: Path) -> None:
    app = make_app(store)
    item = first_item(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*FIRST_ITEM, "enter")
        await paste(pilot, NOTE)
        await pilot.click(PlanTree, offset=(10, 5))  # the second item of the key task
        await pilot.pause()
        assert store.item(item.id).notes == NOTE
        assert cursor_ref(app).id != item.id


@pytest.mark.slow
async def test_quit_saves_and_restart_shows_everything(store: Store, db_path: Path) -> None:
    item = first_item(store)
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*FIRST_ITEM, "2", "enter")
        await paste(pilot, NOTE)
        await pilot.press("ctrl+q")  # quit at once, within the save delay
        await pilot.pause()
    assert app.return_code == 0
    store.close()

    reopened = Store.open(db_path)
    again = make_app(reopened)
    async with again.run_test(size=(80, 24)) as pilot:
        await pilot.press(*FIRST_ITEM)
        await pilot.pause()
        assert again.screen.query_one("#notes", TextArea).text == NOTE
        assert again.screen.query_one("#status", Select).value == Status.IN_PROGRESS.value
        assert "推进中" in str(again.screen.query_one(PlanTree).node_for(item.id).label)
    reopened.close()


@pytest.mark.slow
async def test_q_quits_from_the_tree_but_types_in_the_notes(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*FIRST_ITEM, "enter", "q")
        assert app.is_running
        assert app.screen.query_one("#notes", TextArea).text == "q"
        await pilot.press("escape", "q")
        await pilot.pause()
    assert store.item(first_item(store).id).notes == "q"


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
async def test_signals_save_the_draft_and_exit(store: Store, signum: int) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*FIRST_ITEM, "enter")
        await paste(pilot, NOTE)
        app._exit_on_signal(signum)
        await pilot.pause()
    assert app.return_code == 128 + signum
    assert store.item(first_item(store).id).notes == NOTE


@pytest.mark.slow
async def test_failed_save_keeps_the_text_and_retries(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(store)
    item = first_item(store)
    long_note = NOTE * 2000  # needs new pages
    # A real "disk full": SQLite may not grow the file beyond its current size.
    pages = store.db.execute("PRAGMA page_count").fetchone()[0]
    async with app.run_test(size=(80, 24)) as pilot:
        store.db.execute(f"PRAGMA max_page_count = {pages}")
        await pilot.press(*FIRST_ITEM, "enter")
        await paste(pilot, long_note)
        await pilot.press("ctrl+s")
        assert "未能保存" in str(app.save_message)
        assert app.drafts.get(item.id) == long_note
        assert app.screen.query_one("#notes", TextArea).text == long_note
        assert store.item(item.id).notes == ""  # nothing half-written
        await pilot.press("escape", "q")  # refuses to quit with unsaved text
        await pilot.pause()
        assert app.is_running
        store.db.execute("PRAGMA max_page_count = 1073741823")  # space again
        await wait_until(pilot, lambda: not app.drafts)  # retried by itself
        assert store.item(item.id).notes == long_note


@pytest.mark.slow
async def test_plan_and_note_text_render_literally(tmp_path: Path) -> None:
    hostile = "[bold]加粗[/] [link=http://x]链接[/link] [/]"
    text = "\n".join(
        [
            "附件",
            "2024年[red]测试[/]分工表",
            "",
            "\t序号\n\t工作任务\n\t重点工作任务\n\t责任单位\n\t完成时限",
            "",
            f"\t1\n\t{hostile}\n\t[/]重点\n\t内容 {hostile}\n\t[b]区发改局\n\t[i]年底前",
        ]
    )
    store = Store.open(tmp_path / "hostile.db")
    store.import_plan(parse_plan_text(text))
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*FIRST_ITEM)
        await pilot.pause()
        tree = app.screen.query_one(PlanTree)
        assert hostile in str(tree.root.children[0].label)
        assert "内容 [bold]" in str(app.screen.query_one("#item-content").render())
        await pilot.press("enter")
        await paste(pilot, "进展 [/] [bold]\x1b[2J")
        await pilot.press("escape")
        await pilot.pause()
        assert app.is_running
    item_id = store.db.execute("SELECT id FROM items").fetchone()[0]
    assert store.item(item_id).notes == "进展 [/] [bold]\x1b[2J"
    store.close()


@pytest.mark.slow
async def test_help_lists_the_keys(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        console = Console(width=100, record=True, file=io.StringIO())
        console.print(app.screen.query_one("#help-keys", Static).content)
        text = console.export_text()
        for word in ("Ctrl+S", "导出", "暂缓/受阻", "Esc", "退出"):
            assert word in text
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


@pytest.mark.slow
async def test_export_key_writes_a_snapshot(store: Store, tmp_path: Path) -> None:
    app = make_app(store)
    out = tmp_path / "快照.db"
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*FIRST_ITEM, "3", "e")
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen)
        app.screen.query_one(Input).value = str(out)
        await pilot.press("enter")
        await wait_until(pilot, out.exists)
        assert stored(out, "SELECT count(*) FROM items WHERE status = 'done'") == [(1,)]
        assert any(str(out) in n.message for n in app._notifications)

        # An existing file: asked first; "no" leaves it alone.
        before = out.read_bytes()
        await pilot.press("4", "e")
        app.screen.query_one(Input).value = str(out)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        assert out.read_bytes() == before
        # "yes" overwrites.
        await pilot.press("e")
        app.screen.query_one(Input).value = str(out)
        await pilot.press("enter", "y")
        await wait_until(pilot, lambda: out.read_bytes() != before)
        assert stored(out, "SELECT count(*) FROM items WHERE status = 'ongoing'") == [(1,)]


@pytest.mark.slow
async def test_export_refuses_the_database_itself(store: Store, db_path: Path) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("e")
        app.screen.query_one(Input).value = str(db_path)
        await pilot.press("enter", "y")
        await pilot.pause()
        assert any("数据库自身" in n.message for n in app._notifications)
        assert app.is_running


@pytest.mark.slow
async def test_light_theme_toggle(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("t")
        assert app.theme == "tracker-light"
        await pilot.press("t")
        assert app.theme == "textual-dark"
