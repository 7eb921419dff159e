"""End to end: a unit's clerk (``--unit``) reports on its part of an item in the real app.

The status and the phrase typed go to the unit's own report; the office's verdict and
notes stay as they were (checked with ``tracker list --json``).
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from contextlib import closing

import pytest
from test_e2e import (
    FIRST_ITEM,
    SAVED,
    TRACKER,
    TYPING,
    Terminal,
    back_to_tree,
    notes_on,
    term,  # noqa: F401  (the fixture)
)

pytestmark = [pytest.mark.e2e]

UNIT = "区发改局"
PHRASE = "区发改局已报送初稿"


def test_a_unit_clerk_reports_its_own_part(term: Terminal) -> None:  # noqa: F811
    term.start(80, 24, "--unit", UNIT, "--today", "2023-06-15")
    # With a unit set the tree opens on its items, expanded: ↓↓ is item 1.1.1.
    term.wait_for("我的单位")
    term.keys("Down", "Down")
    term.wait_for(lambda s: notes_on(s) is not None and "聚焦推动经济运行" in s, "item 1.1.1")
    term.keys("3")  # 已完成, the unit's own
    term.wait_for(f"已完成★ {FIRST_ITEM[:4]}", "the item's label showing 已完成")
    term.type(PHRASE)  # typed in the tree: goes to the notes
    term.wait_for(
        lambda s: notes_on(s) == PHRASE and SAVED in s and TYPING not in s, "the phrase, saved"
    )
    back_to_tree(term)
    term.keys("q")
    assert term.wait_exit() == 0

    listed = subprocess.run(
        [str(TRACKER), "--db", str(term.db), "list", "--json"],
        capture_output=True,
        text=True,
        env=term.env,
        timeout=30,
        check=True,
    )
    item = next(i for i in json.loads(listed.stdout) if i["outline"] == "1.1.1")
    assert item["notes"] == ""  # the office's notes
    assert item["status"] == "in_progress"  # the roll-up: 1 of 3 units done, no verdict
    if "reports" in item:  # tracker list --json lists each unit's report
        reports = {r["unit"]: r for r in item["reports"]}
        assert (reports[UNIT]["status"], reports[UNIT]["notes"]) == ("done", PHRASE)
        assert reports["区经信局"]["status"] == "not_started"
    with closing(sqlite3.connect(term.db)) as conn:
        office = conn.execute(
            "SELECT office_status, notes FROM items WHERE id = ?", [item["id"]]
        ).fetchone()
        reports_rows = conn.execute(
            "SELECT units.name, reports.status, reports.notes FROM reports "
            "JOIN units ON units.id = reports.unit_id WHERE item_id = ?",
            [item["id"]],
        ).fetchall()
    assert office == (None, "")  # the office's verdict: none
    assert reports_rows == [(UNIT, "done", PHRASE)]
