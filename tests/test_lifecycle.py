"""How the app ends: signals by platform (Windows simulated), another window's liveness,
the hang-up driver's threads, the exit deadline's own save, running without a terminal,
a readable status line and quitting when the database has become unreachable."""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import psutil
import pytest
from conftest import FixedClock
from rich.cells import cell_len
from textual.drivers._writer_thread import WriterThread
from textual.geometry import Region
from textual.widgets import Static

from tracker.store import Store
from tracker.ui import exits
from tracker.ui.app import TrackerApp
from tracker.ui.exits import ExitSignals, exit_signals, pid_alive, rescue_notes
from tracker.ui.screens.dialogs import ConfirmScreen
from tracker.ui.widgets.folded import Folded

USER = "李四"
NOTE = "已召开专题会议，部署推进：【三城三地】“双随机、一公开”。"
FIRST_ITEM = ("right", "right", "right", "right")


def first_item(store: Store):
    plan = store.plans()[0]
    category = store.categories(plan.id)[0]
    return store.items(store.key_tasks(category.id)[0].id)[0]


def no_os_kill(*args: object) -> None:
    raise AssertionError(f"os.kill{args} called: on Windows that terminates the process")


# ---------------------------------------------------------------------- signals by platform
def test_exit_signals_by_platform(monkeypatch: pytest.MonkeyPatch) -> None:
    assert exit_signals("linux") == [signal.SIGTERM, signal.SIGHUP, signal.SIGINT]
    assert exit_signals("darwin") == [signal.SIGTERM, signal.SIGHUP, signal.SIGINT]
    # Windows: no SIGHUP (nor SIGTERM from a console); Ctrl+Break is SIGBREAK.
    monkeypatch.delattr(signal, "SIGHUP")
    monkeypatch.setattr(signal, "SIGBREAK", 21, raising=False)
    assert exit_signals("win32") == [signal.SIGINT, 21]
    assert exit_signals("linux") == [signal.SIGTERM, signal.SIGINT]  # missing names skipped


@pytest.mark.slow
def test_the_app_imports_without_sighup() -> None:
    """Windows has no signal.SIGHUP: nothing may read it when the app is imported."""
    code = "import signal; del signal.SIGHUP; import tracker.ui.app, tracker.cli; print('ok')"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


async def test_windows_signals_go_through_signal_signal(monkeypatch: pytest.MonkeyPatch) -> None:
    """On Windows there is no loop.add_signal_handler: plain handlers hand over to the loop."""
    loop = asyncio.get_running_loop()
    monkeypatch.setattr(
        loop, "add_signal_handler", lambda *a: pytest.fail("add_signal_handler on Windows")
    )
    received: list[int] = []
    arrived = asyncio.Event()

    def on_exit(signum: int) -> None:
        received.append(signum)
        arrived.set()

    before = signal.getsignal(signal.SIGINT)
    handlers = ExitSignals(loop, on_exit, platform="win32")
    handlers.install()
    try:
        assert signal.getsignal(signal.SIGINT) == handlers._from_signal
        signal.raise_signal(signal.SIGINT)
        await asyncio.wait_for(arrived.wait(), 5)
    finally:
        handlers.remove()
    assert received == [signal.SIGINT]
    assert signal.getsignal(signal.SIGINT) == before


async def test_a_console_close_waits_for_the_save() -> None:
    """CTRL_CLOSE_EVENT: Windows ends the process when the handler returns, so the
    handler (on a thread Windows creates) asks the loop to save and waits for it."""
    loop = asyncio.get_running_loop()
    order: list[str] = []
    handlers = ExitSignals(loop, lambda signum: order.append(f"save {signum}"), "win32")

    def on_exit(signum: int) -> None:
        order.append(f"save {signum}")
        handlers.saved.set()

    handlers.on_exit = on_exit
    returned: list[bool] = []
    thread = threading.Thread(target=lambda: returned.append(handlers._console_closed(2)))
    thread.start()
    while thread.is_alive():
        await asyncio.sleep(0.01)
    assert order == [f"save {exits.EXIT_CODE_HANGUP - 128}"]
    assert returned == [False]  # then the default handler ends the process


@pytest.mark.slow
async def test_the_app_on_windows(
    store: Store, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app under simulated Windows: no SIGHUP, no add_signal_handler, and never os.kill
    (checking another window with it would terminate that window)."""
    clock.now = datetime.now().astimezone()  # the other window's session began just now
    store.begin_session("王五", socket.gethostname(), os.getpid())
    store.session_id = None
    app = TrackerApp(store, USER)
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.delattr(signal, "SIGHUP")
    monkeypatch.setattr(signal, "SIGBREAK", signal.SIGUSR1, raising=False)
    monkeypatch.setattr(os, "kill", no_os_kill)
    async with app.run_test(size=(80, 24)) as pilot:
        loop = asyncio.get_running_loop()
        monkeypatch.setattr(loop, "add_signal_handler", no_os_kill)
        await pilot.press(*FIRST_ITEM, "enter")
        app.screen.query_one("#notes").insert(NOTE)  # type: ignore[attr-defined]
        await pilot.pause()
        assert app.drafts
        # The other window (this very process) is alive: a warning, not a recovery.
        assert any("另一个窗口" in (n.title or "") for n in app._notifications)
        signal.raise_signal(signal.SIGUSR1)  # Ctrl+Break
        await pilot.pause(0.2)
    assert app.return_code == 128 + signal.SIGUSR1
    assert store.item(first_item(store).id).notes == NOTE


# ---------------------------------------------------------------------- liveness (psutil)
def test_pid_alive_never_uses_os_kill(monkeypatch: pytest.MonkeyPatch) -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        monkeypatch.setattr(os, "kill", no_os_kill)
        assert pid_alive(child.pid, session_age=0.0)
        assert pid_alive(child.pid)
        # A session that began an hour before this process did: the pid was reused.
        assert not pid_alive(child.pid, session_age=timedelta(hours=1).total_seconds())
        monkeypatch.undo()
    finally:
        child.kill()
    # Killed and not reaped yet: a zombie is not an open window.
    deadline = time.monotonic() + 10
    while psutil.Process(child.pid).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert not pid_alive(child.pid)
    child.wait()
    assert not pid_alive(child.pid)  # reaped: gone


# ---------------------------------------------------------------------- the hang-up driver
class DeadTerminal(io.StringIO):
    """A terminal that hung up: every write and flush fails with EIO."""

    def write(self, text: str) -> int:
        raise OSError(5, "Input/output error")

    def flush(self) -> None:
        raise OSError(5, "Input/output error")


def test_the_writer_never_blocks_on_a_dead_terminal() -> None:
    """Textual's writer thread died on EIO and its full queue blocked the app for ever."""
    from tracker.ui.posix_driver import TerminalOutput

    lost: list[str] = []
    output = TerminalOutput(DeadTerminal(), lost.append)
    writer = WriterThread(output)  # type: ignore[arg-type]
    writer.start()
    for _ in range(500):  # far more than the queue holds
        writer.write("\x1b[?1049h frame ")
    finished = threading.Event()
    threading.Thread(target=lambda: (writer.stop(), finished.set()), daemon=True).start()
    assert finished.wait(5), "the writer thread blocked on the dead terminal"
    assert lost and output.gone.is_set() is False  # the driver decides when to silence


async def test_eof_on_the_terminal_ends_the_input_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """At EOF the input thread stops (Textual's looped on select for ever) and the app is
    told at once, from that thread, then on the loop."""
    from tracker.ui.posix_driver import HangupAwareDriver

    calls: list[str] = []

    class App:
        def exit_deadline(self) -> None:
            calls.append(f"deadline in {threading.current_thread().name}")

        def terminal_lost(self, why: str) -> None:
            calls.append(f"lost: {why}")

    saved = {s: signal.getsignal(s) for s in (signal.SIGTSTP, signal.SIGCONT)}
    try:
        driver = HangupAwareDriver(App())
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)
    silenced: list[bool] = []
    monkeypatch.setattr(driver, "silence", lambda: silenced.append(True))  # keep pytest's fds
    read_end, write_end = os.pipe()
    driver.fileno = read_end
    os.close(write_end)  # the terminal hangs up: EOF
    thread = threading.Thread(target=driver.run_input_thread, name="textual-input")
    thread.start()
    thread.join(5)
    os.close(read_end)
    assert not thread.is_alive(), "the input thread spins on EOF"
    for _ in range(100):
        if len(calls) == 2:
            break
        await asyncio.sleep(0.01)
    assert calls == ["deadline in textual-input", "lost: 输入结束"]
    assert silenced == [True]
    assert driver.is_lost


# ---------------------------------------------------------------------- saving on the way out
@pytest.mark.slow
async def test_the_deadline_saves_from_its_own_thread(store: Store) -> None:
    """When the event loop is too busy to save in time, the deadline thread saves the
    drafts and ends the session cleanly through its own connection."""
    app = TrackerApp(store, USER)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*FIRST_ITEM, "enter")
        app.screen.query_one("#notes").insert(NOTE)  # type: ignore[attr-defined]
        await pilot.pause()
        assert app.drafts and app.session_id
        session = app.session_id
        thread = threading.Thread(target=app._save_from_thread)
        thread.start()
        thread.join(10)
        assert not app.drafts
        assert store.item(first_item(store).id).notes == NOTE
        (ended,) = store.db.query("SELECT ended_at, clean FROM sessions WHERE id = ?", [session])
        assert ended["ended_at"] and ended["clean"] == 1
        app.exit()


def test_rescue_notes_never_overwrite(tmp_path: Path) -> None:
    now = datetime(2023, 8, 25, 17, 30)
    first = rescue_notes([("1.1.1 聚焦推动", NOTE)], home=tmp_path, now=now)
    second = rescue_notes([("1.1.2 另一项", "第二条")], home=tmp_path, now=now)
    assert first != second and first.parent == second.parent == tmp_path
    assert first.read_text(encoding="utf-8-sig") == f"【1.1.1 聚焦推动】\n{NOTE}\n"
    assert "第二条" in second.read_text(encoding="utf-8-sig")


# ---------------------------------------------------------------------- no terminal
def test_without_a_terminal_it_refuses_in_one_line(tmp_path: Path) -> None:
    db = tmp_path / "台账.db"
    environ = dict(os.environ, LANG="C.UTF-8", LC_ALL="C.UTF-8", HOME=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "-m", "tracker", "--db", str(db)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        env=environ,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stdout == b""
    message = result.stderr.decode()
    assert message.count("\n") == 1 and "终端" in message
    assert "\x1b" not in message
    assert not db.exists()


# ---------------------------------------------------------------------- messages and quitting
@pytest.mark.slow
async def test_a_disk_full_message_stays_readable_at_120_columns(store: Store) -> None:
    app = TrackerApp(store, USER)
    pages = store.db.execute("PRAGMA page_count").fetchone()[0]
    async with app.run_test(size=(120, 30)) as pilot:
        store.db.execute(f"PRAGMA max_page_count = {pages}")
        await pilot.press(*FIRST_ITEM, "enter")
        app.screen.query_one("#notes").insert(NOTE * 2000)  # type: ignore[attr-defined]
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "磁盘空间已满" in str(app.save_message)
        line = app.screen.query_one("#save-state", Static)
        shown = [strip.text for strip in line.render_lines(Region(0, 0, *line.outer_size))]
        first = shown[0].strip()
        assert first.startswith("⚠") and len(first) > 50, shown
        # Every character is shown (Textual's own folding dropped one at the edge).
        assert "".join(shown).replace(" ", "") == str(app.save_message).replace(" ", "")
        store.db.execute("PRAGMA max_page_count = 1073741823")
        await pilot.press("escape", "q")
        await pilot.pause()


@pytest.mark.slow
async def test_q_with_the_database_folder_deleted(tmp_path: Path, seed_path: Path) -> None:
    """The database's folder is deleted while the app runs: q offers to keep the note in
    a text file in the home folder, then quits."""
    from tracker.importers.parser import read_plan_file

    folder = tmp_path / "共享 盘" / "台账"
    folder.mkdir(parents=True)
    store = Store.open(folder / "tracker.db")
    store.import_plan(read_plan_file(seed_path))
    home = Path.home()
    app = TrackerApp(store, USER)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press(*FIRST_ITEM, "enter")
            app.screen.query_one("#notes").insert(NOTE)  # type: ignore[attr-defined]
            await pilot.pause()
            shutil.rmtree(folder)
            await pilot.press("escape")  # leaving the notes tries to save: it fails
            await pilot.pause()
            await pilot.press("q")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen)
            question = str(app.screen.question)
            assert "主文件夹" in question and str(home) in question
            await pilot.press("n")  # back: nothing written, still running
            await pilot.pause()
            assert app.is_running and app.drafts
            assert not list(home.glob("tracker-未保存的进展-*.txt"))
            await pilot.press("q")
            await pilot.pause()
            await pilot.press("y")
            await pilot.pause()
        assert not app.is_running
        (rescued,) = home.glob("tracker-未保存的进展-*.txt")
        assert NOTE in rescued.read_text(encoding="utf-8-sig")
        assert not folder.exists(), "nothing may recreate the deleted folder"
    finally:
        store.close()


# ---------------------------------------------------------------------- Windows file rules
def held_open(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    """As Windows does while Excel or WPS has ``path`` open: os.replace onto it fails."""
    real_replace = os.replace

    def replace(src: object, dst: object) -> None:
        if Path(str(dst)) == path:
            raise PermissionError(13, "另一个程序正在使用此文件，进程无法访问。", str(dst))
        real_replace(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", replace)


def test_a_ledger_held_open_is_kept_beside_it(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tracker.ledger import LedgerError, export_ledger

    folder = tmp_path / "共享 盘" / "2023 年台账"
    folder.mkdir(parents=True)
    target = folder / "台账 （终稿）.xlsx"
    target.write_bytes(b"the workbook open in Excel")
    held_open(monkeypatch, target)
    plan_id = store.plans()[0].id
    with pytest.raises(LedgerError) as refused:
        export_ledger(store, plan_id, target, force=True)
    message = str(refused.value)
    assert "Excel" in message and "正被其他程序" in message
    kept = folder / "台账 （终稿）（新）.xlsx"
    assert f"「{kept}」" in message
    assert kept.stat().st_size > 1000  # the finished workbook
    assert target.read_bytes() == b"the workbook open in Excel"  # untouched
    assert not list(folder.glob(".*.part"))  # no hidden leftovers
    # A second try while it is still open keeps another copy, never overwriting.
    with pytest.raises(LedgerError):
        export_ledger(store, plan_id, target, force=True)
    assert (folder / "台账 （终稿）（新）2.xlsx").exists()


def test_a_snapshot_held_open_is_kept_beside_it(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tracker.store.snapshot import SnapshotError

    target = tmp_path / "快照 2023.db"
    target.write_bytes(b"old")
    held_open(monkeypatch, target)
    with pytest.raises(SnapshotError) as refused:
        store.export_snapshot(target, force=True)
    assert "正被其他程序" in str(refused.value)
    assert (tmp_path / "快照 2023（新）.db").stat().st_size > 1000
    assert target.read_bytes() == b"old"


def test_long_paths_with_spaces_and_chinese(store: Store, tmp_path: Path) -> None:
    """Exports and the database itself under a path longer than Windows' old 260 limit."""
    from tracker.ledger import export_ledger

    # Over 260 characters, under SQLite's own limit of 512 bytes for a database path.
    folder = tmp_path.joinpath(*[f"Shared Documents level {n} 政务公开 台账" for n in range(8)])
    folder.mkdir(parents=True)
    assert len(str(folder)) > 260 and len(str(folder).encode()) < 480
    written = export_ledger(store, store.plans()[0].id, folder / "台账 2023.csv")
    assert written.exists() and written.parent == folder
    snapshot = store.export_snapshot(folder / "快照 2023.db")
    reopened = Store.open(snapshot)
    try:
        assert reopened.plans()[0].id == store.plans()[0].id
    finally:
        reopened.close()


def test_folded_lines_are_filled_and_keep_every_character() -> None:
    from rich.text import Text

    message = Text("⚠ 进展情况未能保存：磁盘空间已满，无法写入数据库「/数据/政务公开 台账/t.db」")
    lines = Folded(message).lines(20)
    assert "".join(line.plain for line in lines) == message.plain
    assert all(cell_len(line.plain) <= 20 for line in lines)
    assert all(cell_len(line.plain) >= 19 for line in lines[:-1])  # a wide char may not fit
    assert lines[0].plain.startswith("⚠ 进展")


@pytest.mark.slow
async def test_a_hang_up_with_the_database_gone_keeps_the_note_in_a_file(
    tmp_path: Path, seed_path: Path
) -> None:
    from tracker.importers.parser import read_plan_file

    folder = tmp_path / "U盘"
    folder.mkdir()
    store = Store.open(folder / "tracker.db")
    store.import_plan(read_plan_file(seed_path))
    app = TrackerApp(store, USER)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press(*FIRST_ITEM, "enter")
            app.screen.query_one("#notes").insert(NOTE)  # type: ignore[attr-defined]
            await pilot.pause()
            shutil.rmtree(folder)  # the USB stick is pulled
            app.terminal_lost("挂断")
            await pilot.pause()
        assert app.return_code == exits.EXIT_CODE_HANGUP
        (rescued,) = Path.home().glob("tracker-未保存的进展-*.txt")
        assert NOTE in rescued.read_text(encoding="utf-8-sig")
        assert not app.drafts  # kept in the file: nothing left for the command line to print
    finally:
        store.close()
