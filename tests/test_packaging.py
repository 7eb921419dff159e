"""The wheel: built from the repository, installed elsewhere, it runs without the repository.

The wheel is built offline (``--no-build-isolation``: hatchling comes from the test
extra) and installed with ``--target`` into a temporary folder; a Python started
outside the repository, with only that folder on ``PYTHONPATH`` (the dependencies
come from the current environment), must find the stylesheet and the bundled plan
inside the installed package.
"""

from __future__ import annotations

import configparser
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

# Building and installing the wheel takes pip several seconds.
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
PIP = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
PACKAGED = ("tracker/tracker.tcss", "tracker/data/2023-tongchuan-gongkai-fengong.txt")


def _run(command: list[str], what: str = "", **kwargs) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, **kwargs)
    what = what or " ".join(command)
    assert result.returncode == 0, (
        f"{what} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    )
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from the working tree (once for this module)."""
    out = tmp_path_factory.mktemp("wheel")
    offline = ["--no-deps", "--no-build-isolation", "--no-index"]
    _run([*PIP, "wheel", *offline, "--wheel-dir", str(out), str(REPO)])
    (built,) = out.glob("tracker-*.whl")
    return built


@pytest.fixture(scope="module")
def site(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel installed, without dependencies, into a folder of its own."""
    target = tmp_path_factory.mktemp("installed") / "site"
    _run([*PIP, "install", "--no-deps", "--no-index", "--target", str(target), str(wheel)])
    return target


def test_wheel_carries_stylesheet_plan_and_entry_point(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for name in PACKAGED:
            assert name in names, f"{name} missing from {wheel.name}"
            assert archive.getinfo(name).file_size > 0
        assert "tracker/__init__.py" in names
        (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        parser = configparser.ConfigParser()
        parser.read_string(archive.read(entry_points).decode())
    assert parser["console_scripts"]["tracker"].strip() == "tracker.cli:main"
    assert not any(name.startswith(("tests/", "tracker/tests/")) for name in names)


CHECK_INSTALLED = r"""
import asyncio
import sqlite3
import sys
from pathlib import Path

site, out, db = (Path(arg) for arg in sys.argv[1:4])
site = site.resolve()


def inside_site(path):
    return Path(path).resolve().is_relative_to(site)


import tracker
import tracker.cli
from tracker.store import locations

assert inside_site(tracker.__file__), f"tracker imported from {tracker.__file__}, not {site}"
for found in (locations.stylesheet_path(), locations.bundled_plan_path()):
    assert inside_site(found), f"{found} is outside {site}"
    assert found.is_file(), f"{found} does not exist"

# First run on the default database (XDG_DATA_HOME points into the test's folder): it
# is created and the bundled plan loaded from the wheel.
assert locations.default_db_path() == db, locations.default_db_path()
tracker.cli.main(["export-snapshot", str(out)], standalone_mode=False)
with sqlite3.connect(out) as snapshot:
    items = snapshot.execute("SELECT count(*) FROM items").fetchone()[0]
assert items > 0, "the snapshot holds no items: the bundled plan did not load"

from tracker.ui.app import TrackerApp
from tracker.store import Store


async def show_app():
    store = Store.open(db)
    try:
        app = TrackerApp(store, "x")
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            sheets = [path for path, _ in app.stylesheet.source if path.endswith(".tcss")]
            assert any(inside_site(path) for path in sheets), f"stylesheets read: {sheets}"
            assert "#plan-tree" in app.stylesheet.rules_map, "no rule for #plan-tree"
            tree = app.screen.query_one("#plan-tree")
            assert tree.border_title == "目录", tree.border_title
            assert tree.styles.width is not None
    finally:
        store.close()


asyncio.run(show_app())
print("installed wheel OK:", items, "items")
"""


def test_installed_wheel_runs_outside_the_repository(site: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert not elsewhere.resolve().is_relative_to(REPO)
    env = {**os.environ, "PYTHONPATH": str(site), "PYTHONSAFEPATH": "1"}
    env |= {"XDG_DATA_HOME": str(tmp_path / "xdg")}
    env.pop("TRACKER_DB", None)
    result = _run(
        [
            sys.executable,
            "-c",
            CHECK_INSTALLED,
            str(site),
            str(tmp_path / "snapshot.db"),
            str(tmp_path / "xdg" / "tracker" / "tracker.db"),
        ],
        what="the check of the installed wheel",
        cwd=elsewhere,
        env=env,
    )
    assert "installed wheel OK" in result.stdout
