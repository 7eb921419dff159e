"""Key-press and typing latency, measured inside a headless Textual app.

Run by ``bench/run.py`` in a fresh process per measurement (so that its peak memory
is the app's own)::

    python bench/ui.py keys   --side tracker|bare --db DB --runs 5 --presses 40 --out OUT.json
    python bench/ui.py typing --side tracker|tracker-textarea|bare-empty|bare-long|bare-notesarea \
        --db DB --out OUT.json

A key is posted to the app the way the terminal driver posts it (an ``events.Key``
message); the latency is the time until the app, its screen and every widget on it
have handled every message that key caused, and the screen has been composited
(``Screen._on_timer_update``, which Textual otherwise runs on its next 60 Hz tick).
``Pilot.press`` is not used for timing: it sleeps at least 2 × 20 ms per key waiting
for the CPU to go idle, which would swamp a 10 ms budget.

``keys``: the whole tree of the plan the app opens is expanded (every category and
key task), then the cursor walks down and back up across the boundary between two
categories (so the walk lands on items, key tasks and a category, as a clerk's
would). The floor (``bare``) is a bare Textual ``Tree`` with the same nodes and
labels, in the same place on a 120×40 screen.

``typing``: Chinese characters typed at the end of a note of ``--note-chars``
characters, one paragraph, in the notes pane (soft wrap on, as the app has it).
The floors: the same ``TextArea`` configuration, empty (``bare-empty``) and holding
the same note (``bare-long``), alone on a screen of the same size. The notes pane is
the product's ``NotesArea`` (``tracker.ui.widgets.notes_area``): ``bare-notesarea`` is it
alone, and ``tracker-textarea``, its baseline, the tracker with Textual's plain
``TextArea`` in the notes pane instead (``tracker-notesarea`` is the same as ``tracker``).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import random
import sqlite3
import sys
import time
from pathlib import Path

from textual import events
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static, TextArea, Tree

from tracker.ui.widgets.notes_area import NotesArea

sys.path.insert(0, str(Path(__file__).resolve().parent))
from firstpaint import peak_rss_kb

SIZE = (120, 40)
TYPED = "今天已完成第一季度政务公开工作检查发现问题三项已全部整改到位并报区政府办公室备案"
NOTE_SENTENCE = (
    "本单位对照分工表逐项梳理任务，及时在区政府门户网站公开政策文件和解读材料，"
    "按月更新专栏内容，组织开展自查并对发现的问题立行立改，"
)


def long_note(chars: int) -> str:
    """A one-paragraph Chinese note of exactly ``chars`` characters."""
    return (NOTE_SENTENCE * (chars // len(NOTE_SENTENCE) + 1))[:chars]


# --- driving the app ------------------------------------------------------------------------


async def settle(app: App, pilot) -> None:
    """Wait until every message is handled, then composite the screen (paint)."""
    for _ in range(3):
        for _ in range(50):
            await pilot._wait_for_screen()
            pumps = [app, *app.screen.walk_children(with_self=True)]
            if not any(pump._message_queue.qsize() for pump in pumps):
                break
        app.screen._on_timer_update()
        pumps = [app, *app.screen.walk_children(with_self=True)]
        if not any(pump._message_queue.qsize() for pump in pumps):
            return


async def press(app: App, pilot, key: str, character: str | None = None) -> float:
    """Post one key as the driver would; seconds until handled and painted."""
    started = time.perf_counter()
    app.post_message(events.Key(key, character))
    await settle(app, pilot)
    return time.perf_counter() - started


async def dismiss_dialogs(app: App, pilot) -> None:
    """Close any dialog the app opened over its main screen (e.g. a recovery notice)."""
    from textual.screen import ModalScreen

    while isinstance(app.screen, ModalScreen):
        app.pop_screen()
        await settle(app, pilot)


async def close(app: App, pilot) -> None:
    """Save what the app holds and end its session cleanly, as quitting would."""
    for name in ("save_drafts", "end_session"):
        method = getattr(app, name, None)
        if method is not None:
            method()
    await settle(app, pilot)


def _maxrss_kb() -> int:
    """This process's peak resident memory (VmHWM, see ``firstpaint.peak_rss_kb``)."""
    return peak_rss_kb()


# --- the tree ---------------------------------------------------------------------------------


def main_plan(db: Path) -> str:
    """The id of the plan the app opens (newest year, then title)."""
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT id FROM plans ORDER BY year DESC, title LIMIT 1").fetchone()[0]
    finally:
        conn.close()


def outline(db: Path, plan_id: str) -> list[tuple[str, list[tuple[str, list[str]]]]]:
    """The plan's categories, key tasks and item labels, for the bare tree."""
    from tracker.ui.labels import one_line

    conn = sqlite3.connect(db)
    try:
        rows = conn.execute(
            "SELECT categories.no, categories.title, key_tasks.id, key_tasks.title, "
            "items.content FROM items JOIN key_tasks ON key_tasks.id = items.key_task_id "
            "JOIN categories ON categories.id = key_tasks.category_id "
            "WHERE categories.plan_id = ? ORDER BY categories.seq, key_tasks.seq, items.seq",
            [plan_id],
        ).fetchall()
    finally:
        conn.close()
    result: list[tuple[str, list[tuple[str, list[str]]]]] = []
    last_category = last_key_task = None
    for no, c_title, kt_id, kt_title, content in rows:
        if (no, c_title) != last_category:
            result.append((f"0/0 {no} {c_title}", []))
            last_category = (no, c_title)
            last_key_task = None
        if kt_id != last_key_task:
            result[-1][1].append((f"0/0 {kt_title}", []))
            last_key_task = kt_id
        result[-1][1][-1][1].append("○未启动 " + one_line(content, 40).plain)
    return result


class BareTreeApp(App[None]):
    """The floor for key presses: a bare Tree with the same nodes, fully expanded."""

    CSS = "Horizontal { height: 1fr; } #tree { width: 2fr; } #side { width: 3fr; }"

    def __init__(self, title: str, nodes) -> None:
        super().__init__()
        self.plan_title = title
        self.nodes = nodes

    def compose(self) -> ComposeResult:
        tree: Tree[None] = Tree(f"0/0 {self.plan_title}", id="tree")
        tree.root.expand()
        for c_label, key_tasks in self.nodes:
            category = tree.root.add(c_label, expand=True)
            for k_label, items in key_tasks:
                key_task = category.add(k_label, expand=True)
                for label in items:
                    key_task.add_leaf(label)
        with Horizontal():
            yield tree
            yield Static("", id="side")


PANE_DELAY = 0.05
"""Seconds the cursor must rest before the what-if updates the detail pane."""


def defer_detail_pane() -> None:
    """What-if (``--defer-pane``): the detail pane follows the cursor once it rests.

    ``MainScreen.show_node`` still saves the notes of the item being left at once; only
    ``MainScreen._show`` (the queries and the repaint of the right-hand pane) waits until
    no key has moved the cursor for :data:`PANE_DELAY` seconds.
    """
    from tracker.ui.screens.main import MainScreen

    show = MainScreen._show

    def deferred(self, ref) -> None:
        timer = getattr(self, "_bench_pane_timer", None)
        if timer is not None:
            timer.stop()
        self._bench_pane_timer = self.set_timer(PANE_DELAY, lambda: show(self, ref))

    MainScreen._show = deferred


def walk_starts(tree, runs: int, presses: int) -> list[int]:
    """Cursor lines to start each run from: ``presses // 2`` lines before a category
    boundary, so a walk down passes the last items of a key task, the next category
    and its first key task."""
    starts = []
    categories = list(tree.root.children)
    boundaries = [c.line for c in categories[1:]] or [1]
    for run in range(runs):
        boundary = boundaries[run % len(boundaries)]
        starts.append(max(1, boundary - presses // 2))
    return starts


async def run_keys(args) -> dict:
    db = Path(args.db)
    plan_id = main_plan(db)
    setup = time.perf_counter()
    if args.side == "tracker":
        from tracker.store import Store
        from tracker.ui.app import TrackerApp

        store = Store.open(db)
        app: App = TrackerApp(store, "bench")
        if args.defer_pane:
            defer_detail_pane()
    else:
        conn = sqlite3.connect(db)
        title = conn.execute("SELECT title FROM plans WHERE id = ?", [plan_id]).fetchone()[0]
        conn.close()
        app = BareTreeApp(title, outline(db, plan_id))
    runs: list[list[float]] = []
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await dismiss_dialogs(app, pilot)
        tree = app.screen.query_one(Tree)
        if args.side == "tracker":
            # Expand as the clerk would, through the tree (which fills nodes lazily).
            for category in list(tree.root.children):
                category.expand()
            await settle(app, pilot)
            for category in list(tree.root.children):
                for key_task in list(category.children):
                    key_task.expand()
            await settle(app, pilot)
        tree.focus()
        await settle(app, pilot)
        if args.gc_freeze:
            gc.collect()
            gc.freeze()
        lines = len(tree._tree_lines)
        setup = time.perf_counter() - setup
        for start in walk_starts(tree, args.runs, args.presses):
            tree.cursor_line = start
            tree.scroll_to_line(start, animate=False)
            await settle(app, pilot)
            samples = []
            for key in ["down"] * args.presses + ["up"] * args.presses:
                samples.append(await press(app, pilot, key))
            runs.append(samples)
        await close(app, pilot)
    return {"runs": runs, "lines": lines, "setup_s": setup, "maxrss_kb": _maxrss_kb()}


# --- typing ---------------------------------------------------------------------------------


class BareNotesApp(App[None]):
    """The floor for typing: the notes TextArea alone, same size and configuration."""

    def __init__(self, text: str, width: int, height: int, area_class=TextArea) -> None:
        super().__init__()
        self.text = text
        self.area_class = area_class
        self.CSS = f"#notes {{ width: {width}; height: {height}; }}"

    def compose(self) -> ComposeResult:
        yield self.area_class(
            self.text, id="notes", soft_wrap=True, tab_behavior="focus", show_line_numbers=False
        )


def first_item(db: Path, plan_id: str) -> str:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(
            "SELECT items.id FROM items JOIN key_tasks ON key_tasks.id = items.key_task_id "
            "JOIN categories ON categories.id = key_tasks.category_id "
            "WHERE categories.plan_id = ? ORDER BY categories.seq, key_tasks.seq, items.seq "
            "LIMIT 1",
            [plan_id],
        ).fetchone()[0]
    finally:
        conn.close()


async def run_typing(args) -> dict:
    db = Path(args.db) if args.db else None
    note = long_note(args.note_chars)
    if args.side.startswith("tracker"):
        from tracker.store import Store
        from tracker.ui.app import TrackerApp

        if args.side == "tracker-textarea":
            import tracker.ui.widgets.item_detail as item_detail

            item_detail.NotesArea = TextArea  # what ItemDetail.compose yields for the notes
        assert db is not None
        item_id = first_item(db, main_plan(db))
        store = Store.open(db)
        store.save_notes(item_id, note, "bench")
        app: App = TrackerApp(store, "bench")
    else:
        text = "" if args.side == "bare-empty" else note
        area_class = NotesArea if args.side == "bare-notesarea" else TextArea
        app = BareNotesApp(text, args.width, args.height, area_class)
    runs: list[list[float]] = []
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await dismiss_dialogs(app, pilot)
        if args.side.startswith("tracker"):
            app.screen.go_to_item(item_id)
            await settle(app, pilot)
            await pilot.pause()
            await settle(app, pilot)
        area = app.screen.query_one("#notes", TextArea)
        area.focus()
        area.move_cursor(area.document.end)
        await settle(app, pilot)
        if args.side != "bare-empty" and area.text != note:
            raise SystemExit("the notes pane does not hold the long note")
        size = [area.size.width, area.size.height]
        outer = [area.outer_size.width, area.outer_size.height]
        rng = random.Random(1)
        for _ in range(args.runs):
            samples = []
            for _ in range(args.keys):
                ch = rng.choice(TYPED)
                samples.append(await press(app, pilot, ch, ch))
            runs.append(samples)
            await asyncio.sleep(0.6)  # a pause: the app saves the note meanwhile
        await settle(app, pilot)
        await close(app, pilot)
    return {"runs": runs, "size": size, "outer_size": outer, "maxrss_kb": _maxrss_kb()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("keys", "typing"))
    parser.add_argument("--side", required=True)
    parser.add_argument("--db")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--presses", type=int, default=40)
    parser.add_argument("--keys", type=int, default=30)
    parser.add_argument("--note-chars", type=int, default=10_000)
    parser.add_argument("--width", type=int, default=70)
    parser.add_argument("--height", type=int, default=10)
    parser.add_argument(
        "--gc-freeze", action="store_true", help="keys: gc.freeze() once the tree is loaded"
    )
    parser.add_argument(
        "--defer-pane", action="store_true", help="keys: what-if, see defer_detail_pane()"
    )
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    runner = run_keys if args.what == "keys" else run_typing
    result = asyncio.run(runner(args))
    text = json.dumps(result)
    if args.out:
        args.out.write_text(text)
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
