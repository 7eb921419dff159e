"""Visual regressions: SVG snapshots of each screen (pytest-textual-snapshot).

Update after an intended change with ``pytest tests/test_snapshots.py --snapshot-update``
and look at the report before committing.
"""

from __future__ import annotations

import pytest
from textual import events
from textual.pilot import Pilot

from tracker.store import Store
from tracker.ui.app import TrackerApp

# Each picture starts the whole app and waits for its screen to settle (1–3 s).
pytestmark = pytest.mark.slow

FIRST_ITEM = ["right", "right", "right", "right"]
NOTE = "5月已召开专题会议部署，[bold]不是标记[/]，已在门户网站公开3条。"


async def _write_note(pilot: Pilot) -> None:
    await pilot.press(*FIRST_ITEM, "2", "enter")
    pilot.app.post_message(events.Paste(NOTE))
    await pilot.pause()
    await pilot.press("ctrl+s")
    await pilot.pause()
    # Toasts expire by the wall clock: on a busy machine the status toast was gone or
    # still there by the time of the picture. What they say is tested in test_typing.
    pilot.app.clear_notifications()
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (160, 50)])
def test_opening_screen(snap_compare, store: Store, size: tuple[int, int]) -> None:
    assert snap_compare(TrackerApp(store, "张三"), terminal_size=size)


@pytest.mark.parametrize("size", [(80, 24), (160, 50)])
def test_item_with_status_and_note(snap_compare, store: Store, size: tuple[int, int]) -> None:
    assert snap_compare(TrackerApp(store, "张三"), run_before=_write_note, terminal_size=size)


def test_light_theme(snap_compare, store: Store) -> None:
    async def light_item(pilot: Pilot) -> None:
        await pilot.press("t")
        await _write_note(pilot)

    assert snap_compare(TrackerApp(store, "张三"), run_before=light_item, terminal_size=(160, 50))


def test_help_screen(snap_compare, store: Store) -> None:
    assert snap_compare(TrackerApp(store, "张三"), press=["question_mark"], terminal_size=(80, 24))


def test_export_dialog(snap_compare, store: Store) -> None:
    assert snap_compare(TrackerApp(store, "张三"), press=["e"], terminal_size=(80, 24))
