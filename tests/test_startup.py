"""Start-up loads only what draws the first frame (issue 15).

``tracker`` opens the app; the importers, the ledger (openpyxl), the merge, plan
revisions, the report (python-docx) and pinyin load when a command or a key needs
them. A fresh interpreter starts the app as ``tracker --db DB`` does, up to its first
frame, and lists what it has imported.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from conftest import seeded_db

LAZY = (
    "tracker.importers",
    "tracker.ledger",
    "tracker.merge",
    "tracker.services.revisions",
    "tracker.services.report",
    "tracker.services.report_docx",
    "openpyxl",
    "docx",
    "pypinyin",
    # The subcommands: added to the group when a command is looked up or listed.
    "tracker.cli.items",
    "tracker.cli.ledger",
    "tracker.cli.merge",
    "tracker.cli.serve",
)
"""Modules (and their submodules) that must not be loaded before the first frame."""

FIRST_FRAME = textwrap.dedent(
    """
    import asyncio, gc, json, sys
    from pathlib import Path

    import tracker.cli  # what the ``tracker`` command imports
    from tracker.cli.common import Settings, open_store
    from tracker.ui.app import TrackerApp  # what run_app imports to open the app

    async def first_frame() -> None:
        store = open_store(Settings(Path(sys.argv[1])))
        app = TrackerApp(store, "clerk", plan_id=store.resolve_plan(None).id)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            tree = app.screen.query_one("#plan-tree")
            painted = tree.root.children and app.screen.is_current
            loaded = sorted(sys.modules)
            import pydantic.plugin._loader, sqlite_utils.plugins

            scans = {
                "sqlite_utils": sqlite_utils.plugins._plugins_loaded,
                "pydantic": pydantic.plugin._loader._plugins is not None,
            }
            collecting = gc.isenabled()
            app.end_session()
        store.close()
        print(json.dumps({"painted": bool(painted), "modules": loaded, "scans": scans,
                          "collecting": collecting}))

    asyncio.run(first_frame())
    """
)


def _first_frame(db: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", FIRST_FRAME, str(db)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["painted"]
    return result


def _loaded_at_first_frame(db: Path) -> list[str]:
    return _first_frame(db)["modules"]


def test_first_frame_loads_no_importer_ledger_merge_report_or_pinyin(tmp_path: Path) -> None:
    db = seeded_db(tmp_path / "tracker.db")
    loaded = _loaded_at_first_frame(db)
    early = [m for m in loaded if any(m == lazy or m.startswith(f"{lazy}.") for lazy in LAZY)]
    assert early == [], f"loaded before the first frame: {early}"


def test_the_commands_choices_match_the_modules_they_spare() -> None:
    from tracker.cli.ledger import REPORT_FORMATS
    from tracker.cli.merge import KEEP_CHOICES
    from tracker.merge import Keep
    from tracker.services import report

    assert REPORT_FORMATS == report.REPORT_FORMATS
    assert tuple(k.value for k in Keep) == KEEP_CHOICES


def test_first_frame_scans_no_installed_packages_for_plugins(tmp_path: Path) -> None:
    """sqlite-utils' and pydantic's plugin discovery read every installed package's
    metadata (tens of milliseconds): the app uses no plugin of either."""
    result = _first_frame(seeded_db(tmp_path / "tracker.db"))
    assert result["scans"] == {"sqlite_utils": False, "pydantic": False}
    assert result["collecting"]  # the garbage collector is on again once the app is up


def test_the_command_group_lists_every_command_though_it_loads_them_late() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, tracker.cli as cli; "
            "early = sorted(m for m in sys.modules if m.startswith('tracker.cli.')); "
            "print(early, sorted(cli.main.commands))",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    early, _, commands = done.stdout.partition("] ")
    assert "tracker.cli.items" not in early
    for name in ("list", "set", "export-ledger", "merge", "serve", "import", "units"):
        assert f"'{name}'" in commands
