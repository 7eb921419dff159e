"""An uncaught error in a handler ends the app; what the clerk typed must still be saved.

The draft lives in the app's model (:class:`tracker.services.drafts.NoteDrafts`), not only in
the notes widget, and ``tracker.cli.run_app`` flushes it in a ``finally`` after
``App.run`` returns or raises. These tests make a real handler fail while a note is
typed and not yet saved, then check both halves: the draft survives the crash in
``app.drafts``, and the command-line path writes it to the database.

How the crash is made: the autosave delays are raised to an hour (so only the crash
path can save), a second connection commits to the database as another window would,
and ``MainScreen._show_item`` is made to raise. The app's once-a-second check for
other windows' commits then calls ``show_external_changes`` → ``_show_item`` for the
item being typed in, and the error escapes that timer handler, as any bug in a
handler would: Textual ends the app with return code 1.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from conftest import seeded_db
from test_app import FIRST_ITEM, paste, wait_until
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import TextArea

import tracker.services.drafts
import tracker.ui.app
from tracker.cli import run_app
from tracker.cli.common import Settings
from tracker.store import Store
from tracker.ui.app import TrackerApp
from tracker.ui.screens.main import MainScreen

USER = "赵六"
NOTE = "进展：[bold]初稿[/]已报送，（待审）。处理程序出错前输入，尚未自动保存。"


class HandlerBug(RuntimeError):
    """The error planted in a handler."""


@pytest.fixture(autouse=True)
def _no_autosave(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the crash path may save: the pause and the every-2-s saves are an hour away."""
    monkeypatch.setattr(tracker.services.drafts, "SAVE_AFTER_PAUSE", 3600.0)
    monkeypatch.setattr(tracker.services.drafts, "SAVE_AT_LEAST_EVERY", 3600.0)


def _broken_show_item(self: MainScreen, item_id: str, reload_notes: bool = False) -> None:
    raise HandlerBug("a bug in a handler")


def another_window_commits(db: Path) -> None:
    """Commit something unrelated through a second connection (another window)."""
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('x-test', '1')")


def notes_of_first_item(db: Path) -> tuple[str, str | None]:
    with closing(sqlite3.connect(db)) as conn:
        plan_id = conn.execute("SELECT id FROM plans ORDER BY year DESC, title").fetchone()[0]
        return conn.execute(
            "SELECT items.notes, items.updated_by FROM items "
            "JOIN key_tasks ON key_tasks.id = items.key_task_id "
            "JOIN categories ON categories.id = key_tasks.category_id "
            "WHERE categories.plan_id = ? ORDER BY categories.seq, key_tasks.seq, items.seq",
            (plan_id,),
        ).fetchone()


async def type_then_crash(pilot: Pilot, monkeypatch: pytest.MonkeyPatch) -> None:
    """Type the note in the first item, break ``_show_item``, let another window commit."""
    app = pilot.app
    assert isinstance(app, TrackerApp)
    await pilot.press(*FIRST_ITEM)
    await pilot.press("enter")
    assert app.focused is not None and app.focused.id == "notes"
    await paste(pilot, NOTE)
    notes = app.screen.query_one("#notes", TextArea)
    assert notes.text == NOTE
    assert NOTE in app.drafts.pending().values(), "the note is a draft, not saved yet"
    monkeypatch.setattr(MainScreen, "_show_item", _broken_show_item)
    assert app.store.path is not None
    another_window_commits(app.store.path)
    # Within a second the app sees the commit, the handler raises and the app ends.
    await wait_until(pilot, lambda: app._exception is not None, timeout=5.0)


@pytest.mark.slow
async def test_the_draft_survives_an_error_in_a_handler(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = TrackerApp(store, USER)
    with pytest.raises(HandlerBug):  # run_test re-raises what ended the app
        async with app.run_test(size=(80, 24)) as pilot:
            await type_then_crash(pilot, monkeypatch)
    assert app.return_code == 1
    # Nothing was saved on the way down, and nothing was lost either: the draft is
    # in the app's model, for whoever owns the store to flush.
    assert store.path is not None
    assert notes_of_first_item(store.path) == ("", None)
    assert list(app.drafts.pending().values()) == [NOTE]


@pytest.mark.slow
def test_the_command_line_saves_the_draft_after_an_error_in_a_handler(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``run_app`` as ``tracker --db … --user …`` runs it, the app's ``run`` made headless.

    ``TrackerApp.run`` is Textual's own ``App.run`` with ``headless=True`` and an
    ``auto_pilot`` that types and triggers the bug: the same code path as in a
    terminal (``App.run`` returns after the error, with return code 1), minus the
    terminal. ``run_app`` must then save the draft and exit with status 1.
    """
    apps: list[TrackerApp] = []
    when_run_returned: list[tuple[str, str | None]] = []

    def headless_run(self: TrackerApp, **kwargs: object) -> None:
        apps.append(self)

        async def auto_pilot(pilot: Pilot) -> None:
            await type_then_crash(pilot, monkeypatch)

        result = App.run(self, headless=True, size=(80, 24), auto_pilot=auto_pilot)
        when_run_returned.append(notes_of_first_item(db_path))
        return result

    monkeypatch.setattr(tracker.ui.app.TrackerApp, "run", headless_run)
    monkeypatch.setattr("tracker.cli._isatty", lambda stream: True)  # as in a terminal
    seeded_db(db_path)  # ``--db`` names an existing database

    with pytest.raises(SystemExit) as exited:
        run_app(Settings(db_path, USER))

    assert exited.value.code == 1
    (app,) = apps
    assert when_run_returned == [("", None)], "saved by the app itself, not by run_app"
    assert isinstance(app._exception, HandlerBug)
    assert notes_of_first_item(db_path) == (NOTE, USER)
    assert not app.drafts
    with closing(sqlite3.connect(db_path)) as conn:
        logged = conn.execute(
            "SELECT new_value, by FROM changes WHERE field = 'notes' ORDER BY rowid"
        ).fetchall()
        (integrity,) = conn.execute("PRAGMA integrity_check").fetchone()
    assert logged == [(NOTE, USER)]
    assert integrity == "ok"
    capsys.readouterr()  # Textual's traceback of the planted error
