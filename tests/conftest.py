"""Shared fixtures: a temporary database, a fixed clock, the bundled seed, and
snapshots taken only once the screen has settled."""

from __future__ import annotations

import asyncio
import gc
import inspect
import shutil
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.css.model import RuleSet
from textual.css.stylesheet import Stylesheet
from textual.dom import DOMNode
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from tracker.importers.parser import read_plan_file
from tracker.store import Store
from tracker.store.locations import bundled_plan_path

TZ = timezone(timedelta(hours=8))
"""The clerks' time zone (UTC+8), so stored times look as they would in the office."""


class FixedClock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def seed_path() -> Path:
    """The bundled 2023 plan."""
    return bundled_plan_path()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2023, 6, 15, 9, 30, tzinfo=TZ))


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "tracker.db"


def seeded_db(path: Path) -> Path:
    """A database file holding the bundled plan, as ``tracker import`` would make it
    (commands given ``--db`` need an existing database)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    made = Store.open(path)
    try:
        made.import_plan(read_plan_file(bundled_plan_path()))
    finally:
        made.close()
    return path


@pytest.fixture(scope="session")
def _seeded_templates(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[Path, datetime], Path]:
    """Databases holding a plan, made once per worker and copied for each test.

    Importing the bundled plan takes about 0.3 s; copying the file takes 3 ms. The
    copy is the same database a fresh import at the same fixed time makes (only the
    random machine id is shared between the copies, and no test merges two of them).
    """
    made: dict[tuple[Path, datetime], Path] = {}

    def template(seed: Path, start: datetime) -> Path:
        key = (seed, start)
        if key not in made:
            path = tmp_path_factory.mktemp("seeded") / "tracker.db"
            opened = Store.open(path, clock=FixedClock(start))
            try:
                opened.import_plan(read_plan_file(seed))
            finally:
                opened.close()
            made[key] = path
        return made[key]

    return template


@pytest.fixture
def store(
    db_path: Path,
    clock: FixedClock,
    seed_path: Path,
    _seeded_templates: Callable[[Path, datetime], Path],
) -> Iterator[Store]:
    """A temporary database holding the bundled plan."""
    shutil.copyfile(_seeded_templates(seed_path, clock.now), db_path)
    opened = Store.open(db_path, clock=clock)
    yield opened
    opened.close()


@pytest.fixture(autouse=True)
def _no_user_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Never touch the clerk's real database or identity from a test."""
    monkeypatch.delenv("TRACKER_DB", raising=False)
    monkeypatch.delenv("TRACKER_USER", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir(exist_ok=True)


# ----------------------------------------------------------------------------- garbage collector
# Every test builds and drops whole apps: hundreds of thousands of objects. At Python's
# default thresholds (700, 10, 10) a worker ran thousands of collections and a full pass
# every few tests over all it had loaded (pytest, Textual, the test modules): about a tenth
# of a worker's CPU (whole suite, -n 2: 447 -> 383 s CPU). Rarer collections free the same
# garbage later: a worker's peak memory grows (whole suite, -n 2: 340 -> 800 MB). The app's
# own gc.freeze/unfreeze work as before.
gc.set_threshold(20_000, 10, 10)


# ----------------------------------------------------------------------------- parsed CSS
_PARSED_CSS: dict[tuple[object, ...], list[RuleSet]] = {}
_parse_rules = Stylesheet._parse_rules


def _parse_rules_once(
    self: Stylesheet,
    css: str,
    read_from: tuple[str, str],
    is_default_rules: bool = False,
    tie_breaker: int = 0,
    scope: str = "",
) -> list[RuleSet]:
    """Textual's ``Stylesheet._parse_rules``, remembered for the whole worker.

    Textual keeps parsed rules per stylesheet only, and ``reparse`` (every pushed screen
    with CSS, every theme change) starts a fresh stylesheet: each app of each test
    tokenized and parsed the same CSS again and again, about 40 % of an app's start.
    The rules are the parser's output for the same text, place, flags and variables;
    they are never changed after parsing (every node of one app shares them already),
    so what is drawn stays the same. Errors are not remembered: they raise as before.
    """
    key = (css, read_from, is_default_rules, tie_breaker, scope, tuple(self._variables.items()))
    rules = _PARSED_CSS.get(key)
    if rules is None:
        rules = _parse_rules(self, css, read_from, is_default_rules, tie_breaker, scope)
        _PARSED_CSS[key] = rules
    return rules


Stylesheet._parse_rules = _parse_rules_once  # type: ignore[method-assign]


# ----------------------------------------------------------------------------- snapshots
SETTLE_TIMEOUT = 30.0
"""Seconds a snapshot waits for the screen to settle before the test fails."""


def _nodes(app: App[Any]) -> Iterator[DOMNode]:
    """The app and every widget of every screen on the stack (the ones below the top too)."""
    yield app
    for screen in app.screen_stack:
        yield from screen.walk_children(with_self=True)


def _pending_timers(app: App[Any]) -> list[str]:
    """One-shot timers still to fire (``set_timer``: a deferred show, a held key, a save).

    Intervals (``set_interval``: the external-change check, cursor blinks) never end and
    are not waited for; the blinks are switched off instead.
    """
    return [
        f"{timer.name} on {node!r}"
        for node in _nodes(app)
        for timer in list(node._timers)
        if timer._repeat == 0 and timer._task is not None and not timer._task.done()
    ]


async def settle(pilot: Pilot[Any]) -> None:
    """Wait until the screen shows what it will go on showing.

    A busy machine changes *when* things happen, never *what* ends up on the screen —
    if the picture is taken once nothing is left to happen:

    - every message handled and every animation run (``wait_for_scheduled_animations``);
    - no one-shot timer pending (the tree shows a node a moment after a fast move; a
      status key waits a moment for the rest of a typed phrase);
    - no toasts: they leave by the wall clock (what they say is tested elsewhere);
    - no blinking cursor (switched off by the ``snap_compare`` fixture);
    - and two pictures in a row alike.
    """
    app = pilot.app
    deadline = time.monotonic() + SETTLE_TIMEOUT
    previous: str | None = None
    while True:
        await pilot.wait_for_scheduled_animations()
        app.clear_notifications()
        await pilot.pause()
        pending = _pending_timers(app)
        if not pending:
            picture = app.export_screenshot(simplify=True)
            if picture == previous:
                return
            previous = picture
        elif time.monotonic() > deadline:
            raise AssertionError(f"the screen did not settle: {pending}")
        else:
            await asyncio.sleep(0.02)
        if time.monotonic() > deadline:
            raise AssertionError("the screen kept changing")


@pytest.fixture
def snap_compare(
    snap_compare: Callable[..., bool], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., bool]:
    """pytest-textual-snapshot's ``snap_compare``, taking the picture once the screen has
    settled (see :func:`settle`) rather than after a fixed pause: under load the fixed
    pause ended before the screen was ready, and snapshots failed at random."""
    # A focused text area or input shows its cursor steadily, as right after a key press.
    # (Setting ``cursor_blink = False`` instead would not do: TextArea's line cache then
    # keeps a line drawn while the cursor was hidden.)
    monkeypatch.setattr(TextArea, "_toggle_cursor_blink_visible", lambda self: None)
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)

    def compare(
        app: App[Any],
        press: Iterable[str] = (),
        terminal_size: tuple[int, int] = (80, 24),
        run_before: Callable[[Pilot[Any]], Awaitable[None] | None] | None = None,
    ) -> bool:
        async def then_settle(pilot: Pilot[Any]) -> None:
            # The plugin's own order: run_before, a pause, the key presses.
            if run_before is not None:
                result = run_before(pilot)
                if inspect.isawaitable(result):
                    await result
            await pilot.pause()
            await pilot.press(*press)
            await settle(pilot)

        return snap_compare(app, terminal_size=terminal_size, run_before=then_settle)

    return compare
