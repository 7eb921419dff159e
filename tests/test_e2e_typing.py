"""End to end: a phrase committed by an input method, typed in the tree of the real app.

``tmux send-keys -l`` writes the whole phrase to the terminal at once, as an input
method does when it commits: the digits in it must not change the item's status.
"""

from __future__ import annotations

import pytest
from test_e2e import (
    FIRST_ITEM,
    SAVED,
    TYPING,
    Terminal,
    item_row,
    notes_on,
    open_first_item,
    term,  # noqa: F401  (the fixture)
)

pytestmark = [pytest.mark.e2e]


def test_a_phrase_typed_in_the_tree_goes_to_the_notes(term: Terminal) -> None:  # noqa: F811
    term.start(80, 24)
    open_first_item(term)
    term.type("于2023年8月")
    term.wait_for(
        lambda s: notes_on(s) == "于2023年8月" and SAVED in s and TYPING not in s,
        "the phrase in the notes, saved",
    )
    _, status, notes = item_row(term.db)
    assert (status, notes) == ("not_started", "于2023年8月")

    # A lone digit, back in the tree, is a status key and says how to undo it.
    term.keys("Escape")
    term.wait_for(lambda s: "返回目录" not in s, "the tree focused")
    term.keys("3")
    # The toast may wrap at 80 columns.
    term.wait_for(
        lambda s: "已将 1.1.1 设为 已完成" in s and "撤销）" in s, "the status-change hint"
    )
    term.wait_for(f"已完成 {FIRST_ITEM}", "the tree label showing 已完成")
    assert item_row(term.db)[1] == "done"
    term.keys("q")
    assert term.wait_exit() == 0
