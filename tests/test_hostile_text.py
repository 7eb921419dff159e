"""Hostile text: markup, escape sequences, control characters, 100 KB, emoji, combining marks.

Plan and note text is data. Whatever it holds must come back unchanged from the
database and from a snapshot, be found by search, and be shown literally: never read
as Rich/Textual markup, never sent to the terminal as an escape sequence.

The parser's own round trip (with hostile cells) is ``test_parser.test_round_trip``;
here the parsed plans go on through the store, a snapshot and search.
"""

from __future__ import annotations

import sqlite3
import tempfile
from contextlib import closing
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from test_app import FIRST_ITEM, paste, wait_until
from test_parser import HEADER, body, build, rendered_plans
from textual.widgets import Static, TextArea

from tracker.importers.parser import parse_plan_text
from tracker.services.search import search
from tracker.store import ItemRecord, Store
from tracker.ui.app import TrackerApp
from tracker.ui.labels import stored
from tracker.ui.widgets.plan_tree import PlanTree

USER = "王五"

HOSTILE = [
    "[bold]",
    "[/]",
    "[/bold]",
    "[link=x]",
    "[link=http://x]x[/link]",
    "[@click=app.quit]点我[/]",
    "\\[bold]",
    "\x1b[2J",
    "\x1b[31m",
    "\x1b]8;;http://x\x1b\\",
    "\x1b]0;标题\x07",
    "\x00",
    "\x07",
    "\x08",
    "\x7f",
    "\x9b",
    "\r",
    "\n",
    "\r\n",
    "\t",
    "\u0301",
    "e\u0301",
    "👩‍👩‍👧",
    "😀",
    "🇨🇳",
    "\u200b",
    "\u200d",
    "\u202e",
    "\ufeff",
    "\U0010ffff",
    "进展：初稿已报送",
    "（待审）",
    "%s{0}",
    "'\"",
    "<b>&amp;</b>",
]
"""Pieces a note may hold: markup, escapes, controls, emoji, combining marks, Chinese."""

piece = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=12),  # any code point but surrogates, control characters included
    st.text(st.characters(categories=["Cc"]), min_size=1, max_size=4),
)
hostile_text = st.lists(piece, max_size=10).map("".join)

BIG = ("进展[bold]情况[/]：\x1b[2J👩‍👩‍👧e\u0301" * 8000)[:100_000]
"""A 100 000-character note on one line."""

NOTE_CASES = {
    "clear-screen": "清屏\x1b[2J之后\x1b[31m红字\x1b[0m",
    "close-tag": "[/]开头就关闭[/]",
    "link": "[link=http://x]x[/link] 链接",
    "emoji": "👩‍👩‍👧 一家人 😀 🇨🇳",
    "combining": "e\u0301 cafe\u0301 n\u0303 ạ̀",
    "controls": "响铃\x07退格\x08删除\x7f 零宽\u200b 反向\u202e文字",
    "100KB": BIG,
}

SETTINGS = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def first_item(store: Store) -> ItemRecord:
    plan = store.plans()[0]
    category = store.categories(plan.id)[0]
    return store.items(store.key_tasks(category.id)[0].id)[0]


def stored_notes(db: Path, item_id: str) -> str:
    """The notes as another program reads them (a separate connection)."""
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute("SELECT notes FROM items WHERE id = ?", (item_id,)).fetchone()[0]


# ---------------------------------------------------------------------- notes, store
@pytest.mark.slow
@SETTINGS
@given(note=hostile_text)
@example(note=BIG)
@example(note="\x00")
@example(note="")
def test_notes_round_trip_through_database_and_snapshot(
    store: Store, tmp_path: Path, note: str
) -> None:
    item = first_item(store)
    store.save_notes(item.id, note, USER)
    assert store.item(item.id).notes == note
    assert stored_notes(store.path, item.id) == note
    snapshot = store.export_snapshot(tmp_path / "snapshot.db", force=True)
    assert stored_notes(snapshot, item.id) == note
    latest = store.changes(item.id)
    if latest:
        assert latest[0].new_value == note


searchable = hostile_text.filter(lambda t: "\x00" not in t and len(t) >= 3)


@SETTINGS
@given(note=searchable, data=st.data())
def test_a_substring_of_notes_finds_the_item(store: Store, note: str, data: st.DataObject) -> None:
    item = first_item(store)
    store.save_notes(item.id, note, USER)
    start = data.draw(st.integers(0, len(note) - 3), label="start")
    end = data.draw(st.integers(start + 3, len(note)), label="end")
    query = note[start:end]
    if not query.strip():
        return  # a blank query finds nothing, by design
    plan_id = store.plans()[0].id
    assert item.id in {found.id for found in search(store, plan_id, query)}


def test_text_after_a_nul_in_notes_is_found(store: Store) -> None:
    item = first_item(store)
    store.save_notes(item.id, "前面\x00后面的文字", USER)
    plan_id = store.plans()[0].id
    assert item.id in {found.id for found in search(store, plan_id, "后面的")}


def test_a_query_with_a_nul_does_not_fail(store: Store) -> None:
    plan_id = store.plans()[0].id
    assert search(store, plan_id, "进展\x00") == []


# ---------------------------------------------------------------------- plans, store
@pytest.mark.slow
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rendered_plans())
def test_parsed_hostile_plans_round_trip_through_store_snapshot_and_search(case) -> None:
    """Cells with markup, escapes, controls, emoji… come back exactly after an import."""
    title, year, text, expected, _ = case
    plan = parse_plan_text(text, source="敌意.txt")
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "tracker.db")
        try:
            result = store.import_plan(plan)
            got = [
                (
                    c.no,
                    c.title,
                    [
                        (
                            k.title,
                            [(i.content, i.units_text, i.deadline_text) for i in store.items(k.id)],
                        )
                        for k in store.key_tasks(c.id)
                    ],
                )
                for c in store.categories(result.plan_id)
            ]
            assert got == expected
            assert [(p.title, p.year) for p in store.plans()] == [(title, year)]

            snapshot = store.export_snapshot(Path(tmp) / "snapshot.db")
            with closing(sqlite3.connect(snapshot)) as conn:
                rows = conn.execute(
                    "SELECT c.no, c.title, k.title, i.content, i.units_text, i.deadline_text "
                    "FROM items i JOIN key_tasks k ON k.id = i.key_task_id "
                    "JOIN categories c ON c.id = k.category_id ORDER BY c.seq, k.seq, i.seq"
                ).fetchall()
            assert rows == [
                (no, ctitle, ktitle, *cells)
                for no, ctitle, key_tasks in expected
                for ktitle, items in key_tasks
                for cells in items
            ]

            again = store.import_plan(parse_plan_text(text))
            assert again.new_items == 0  # the same ids: the text hashes the same

            for category in store.categories(result.plan_id):
                for key_task in store.key_tasks(category.id):
                    for item in store.items(key_task.id):
                        query = item.content.strip()
                        if "\x00" in query:
                            continue  # test_text_after_a_nul_in_notes_is_found
                        found = search(store, result.plan_id, query)
                        assert item.id in {f.id for f in found}, query
        finally:
            store.close()


# ---------------------------------------------------------------------- on screen
@pytest.mark.slow
@pytest.mark.parametrize("note", NOTE_CASES.values(), ids=NOTE_CASES.keys())
async def test_hostile_notes_show_exactly_and_save_back_unchanged(store: Store, note: str) -> None:
    item = first_item(store)
    store.save_notes(item.id, note, USER)
    app = TrackerApp(store, USER)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*FIRST_ITEM)
        notes = app.screen.query_one("#notes", TextArea)
        # Control characters are shown as stand-ins (ESC as ␛) and turned back on save.
        await wait_until(pilot, lambda: stored(notes.text) == note)
        app.export_screenshot()  # renders every widget: nothing raises
        assert app.is_running

        # Typing more (a paste at the cursor) saves the note around it unchanged.
        await pilot.press("enter")
        assert notes.has_focus
        await paste(pilot, "补充")
        await pilot.press("escape")  # leaving the notes saves them
        await wait_until(pilot, lambda: stored_notes(store.path, item.id) != note)
        typed = stored(notes.text)
        assert stored_notes(store.path, item.id) == typed
        assert note in typed and typed.replace(note, "", 1) == "补充"
        app.export_screenshot()
        await pilot.press("q")


CONTROL = {chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)]}
"""C0 and C1 control characters and DEL: never to be written to the terminal as they are."""


async def test_escape_sequences_in_notes_never_reach_the_terminal(store: Store) -> None:
    item = first_item(store)
    store.save_notes(item.id, NOTE_CASES["clear-screen"] + "\x1b]0;标题\x07\x9b", USER)
    app = TrackerApp(store, USER)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*FIRST_ITEM)
        notes = app.screen.query_one("#notes", TextArea)
        await wait_until(pilot, lambda: "清屏" in notes.render_line(0).text)
        shown = "".join(notes.render_line(y).text for y in range(notes.size.height))
        assert not CONTROL & set(shown), repr(shown)


def _tree_lines(tree: PlanTree) -> list[str]:
    return [tree.render_line(y).text for y in range(tree.size.height)]


async def test_plan_text_with_markup_is_shown_literally(tmp_path: Path) -> None:
    content = "[bold]粗体[/] [link=http://x]链[/link]\x1b[2J👩‍👩‍👧e\u0301"
    text, _ = build(
        [HEADER, body("1", "[red]类别[/red]", "[/]重点", content, "[i]单位[/i]", "及时公开")],
        preamble=("附件", "2023年[b]敌意[/b]文本测试表"),
    )
    store = Store.open(tmp_path / "hostile.db")
    try:
        store.import_plan(parse_plan_text(text))
        app = TrackerApp(store, USER)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press(*FIRST_ITEM)
            tree = app.screen.query_one(PlanTree)
            await wait_until(pilot, lambda: "[link=http://x]" in "".join(_tree_lines(tree)))
            lines = "\n".join(_tree_lines(tree))
            assert "[red]类别[/red]" in lines
            assert "[/]重点" in lines
            assert "[bold]粗体[/] [link=http://x]" in lines  # as far as the tree is wide
            # The item's label: its content, the escape shown as ␛ (never sent).
            assert tree.cursor_node is not None
            label = str(tree.cursor_node.label)
            assert "[bold]粗体[/] [link=http://x]链[/link]␛" in label
            assert "\x1b" not in lines + label
            shown = str(app.screen.query_one("#item-content", Static).render())
            assert shown.startswith("[bold]粗体[/] [link=http://x]链[/link]␛[2J👩‍👩‍👧e\u0301")
            assert "[i]单位[/i]" in str(app.screen.query_one("#item-units", Static).render())
            assert "[b]敌意[/b]" in app.sub_title
            app.export_screenshot()
            await pilot.press("q")
    finally:
        store.close()
