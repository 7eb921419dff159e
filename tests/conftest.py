"""Shared fixtures: a temporary database, a fixed clock, the bundled seed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

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


@pytest.fixture
def store(db_path: Path, clock: FixedClock, seed_path: Path) -> Iterator[Store]:
    """A temporary database holding the bundled plan."""
    opened = Store.open(db_path, clock=clock)
    opened.import_plan(read_plan_file(seed_path))
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
