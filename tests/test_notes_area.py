"""NotesArea: the notes pane draws exactly what Textual's TextArea draws, faster.

:class:`tracker.ui.widgets.notes_area.NotesArea` draws a row of a long paragraph from
that row's slice of the text instead of from the whole paragraph. Here both widgets
hold the same text, in the same state, side by side in one app, and every visible
row (``render_line``) must be the same segments — text and style — for long Chinese,
mixed widths, emoji, tabs, several paragraphs and an empty note, at several widths,
scroll positions, with the cursor, with selections, focused or not. Then the real
app: a 10,000-character note is typed into and saved.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from test_app import FIRST_ITEM, first_item, make_app, paste, stored, wait_until
from textual.app import App, ComposeResult
from textual.strip import Strip
from textual.widgets import TextArea
from textual.widgets.text_area import Selection

import tracker.ui.widgets.notes_area as notes_area
from tracker.store import Store
from tracker.ui.widgets.notes_area import NotesArea

SENTENCE = (
    "本单位对照分工表逐项梳理任务，及时在区政府门户网站公开政策文件和解读材料，"
    "按月更新专栏内容，组织开展自查并对发现的问题立行立改，"
)


def repeat(text: str, chars: int) -> str:
    """``text`` repeated to exactly ``chars`` characters."""
    return (text * (chars // len(text) + 1))[:chars]


TEXTS = {
    "chinese-10000": repeat(SENTENCE, 10_000),
    # Narrower widths wrap the same way on a shorter paragraph (still far above LONG_LINE):
    # Textual's TextArea, the reference, re-wraps all of it on every state (CI time).
    "chinese-3000": repeat(SENTENCE, 3_000),
    "mixed-widths": repeat(
        "2024年第3季度 update: 区发改局(DRC) 公开 12 项 ｢ﾃｽﾄ｣ half-width ｶﾀｶﾅ, "
        "full-width ＡＢＣ１２３！ a_very_long_identifier_without_any_spaces_at_all_"
        "that_must_be_cut_somewhere 政务公开 ",
        1_500,
    ),
    "emoji": repeat("进展顺利👍 完成✅ 家庭👩‍👩‍👧 国旗🇨🇳 é 零宽\u200b 笑😀 ", 1_200),
    "tabs": repeat("序号\t工作任务\t重点工作任务\t责任单位 ", 900),
    # Characters rich.text.Text drops (BEL, BS): the row no longer lines up with the line.
    "controls": repeat("进展\x07顺利\x08完成 ", 700),
    "paragraphs": "\n".join(
        [
            repeat(SENTENCE, 1_000),
            "",
            "短的一段。",
            repeat("Mixed 中文 and English words, 全角，标点。", 800),
            "",
            "",
            repeat(SENTENCE, 450),
            "末行",
        ]
    ),
    "empty": "",
}

HEIGHT = 12
"""The widgets' height in cells, borders included."""

LONG = notes_area.LONG_LINE
CASES = [
    # text, width of the widget (borders included), theme, NotesArea.LONG_LINE
    ("chinese-10000", 70, "css", LONG),  # about the notes pane in the app
    ("chinese-3000", 41, "monokai", LONG),
    ("chinese-3000", 26, "css", LONG),
    ("mixed-widths", 17, "css", LONG),
    ("mixed-widths", 41, "css", LONG),
    ("emoji", 17, "css", LONG),
    ("emoji", 41, "monokai", LONG),
    ("tabs", 41, "css", LONG),
    ("controls", 41, "css", LONG),
    ("paragraphs", 41, "css", LONG),
    # Every line through NotesArea's own drawing, short ones and blank ones too.
    ("paragraphs", 17, "monokai", 1),
    ("paragraphs", 70, "css", 1),
    ("empty", 70, "css", 1),
]


class SideBySide(App[None]):
    """A TextArea and a NotesArea with the same text, size and configuration."""

    def __init__(self, text: str, width: int = 70, theme: str = "css") -> None:
        super().__init__()
        self.text = text
        self.theme_name = theme
        self.CSS = f"TextArea {{ width: {width}; height: {HEIGHT}; }}"

    def compose(self) -> ComposeResult:
        options = dict(soft_wrap=True, tab_behavior="focus", show_line_numbers=False)
        yield TextArea(self.text, id="plain", **options)
        yield NotesArea(self.text, id="fast", **options)

    def on_mount(self) -> None:
        for area in self.areas:
            area.theme = self.theme_name
            # No blinking: whether the cursor is drawn must not depend on a timer.
            area.cursor_blink = False

    @property
    def areas(self) -> tuple[TextArea, NotesArea]:
        return self.query_one("#plain", TextArea), self.query_one("#fast", NotesArea)


Row = tuple[int, list[tuple[str, object]]]


def drawn(area: TextArea) -> list[Row]:
    """Every visible row of ``area`` (cell length, then text and style of each
    segment), drawn afresh rather than taken from its line cache."""
    area._line_cache.clear()
    rows = [area.render_line(y) for y in range(area.size.height)]
    return [(row.cell_length, [(seg.text, seg.style) for seg in row]) for row in rows]


def assert_same(expected: list[Row], actual: list[Row], where: str) -> None:
    assert len(actual) == len(expected), where
    for y, (want, got) in enumerate(zip(expected, actual, strict=True)):
        assert got == want, f"{where}: row {y} differs"


def states(area: TextArea) -> Iterator[tuple[str, Callable[[TextArea], None]]]:
    """Named ways to put a widget in a state: cursor, selection, scroll."""
    document = area.document
    last_line = document.line_count - 1
    longest = max(range(document.line_count), key=lambda i: len(document.get_line(i)))
    length = len(document.get_line(longest))
    middle = (longest, length // 2)
    last_length = len(document.get_line(last_line))

    def select(start: tuple[int, int], end: tuple[int, int]) -> Callable[[TextArea], None]:
        return lambda a: setattr(a, "selection", Selection(start, end))

    def scrolled(fraction: float) -> Callable[[TextArea], None]:
        def apply(a: TextArea) -> None:
            a.move_cursor(middle)
            a.scroll_to(y=int(a.max_scroll_y * fraction), animate=False, immediate=True)

        return apply

    yield "cursor at the start", lambda a: a.move_cursor((0, 0))
    yield "cursor at the end", lambda a: a.move_cursor(document.end)
    yield "cursor mid-paragraph", lambda a: a.move_cursor(middle)
    yield (
        "selection inside a paragraph",
        select((longest, max(0, length // 2 - 150)), (longest, min(length, length // 2 + 150))),
    )
    yield (
        "selection backwards",
        select((longest, min(length, length // 2 + 97)), (longest, max(0, length // 2 - 61))),
    )
    yield (
        "selection across paragraphs",
        select((0, min(3, len(document.get_line(0)))), (last_line, last_length // 2)),
    )
    yield "select all", lambda a: a.select_all()
    yield "scrolled to the top, cursor below", scrolled(0.0)
    yield "scrolled a third down", scrolled(1 / 3)
    yield "scrolled to the bottom", scrolled(1.0)


@contextmanager
def long_line(chars: int) -> Iterator[None]:
    """Treat lines of ``chars`` characters or more as long (the fast path)."""
    saved = notes_area.LONG_LINE
    notes_area.LONG_LINE = chars
    try:
        yield
    finally:
        notes_area.LONG_LINE = saved


@pytest.mark.slow
@pytest.mark.parametrize(("name", "width", "theme", "threshold"), CASES)
async def test_rows_match_textarea(name: str, width: int, theme: str, threshold: int) -> None:
    app = SideBySide(TEXTS[name], width, theme)
    compared = 0
    with long_line(threshold):
        async with app.run_test(size=(100, 2 * HEIGHT + 2)) as pilot:
            plain, fast = app.areas
            await pilot.pause()
            assert plain.outer_size.width == width and plain.size == fast.size
            for state, apply in states(plain):
                where = f"{name}, width {width}, theme {theme}, {state}"
                for area in (plain, fast):
                    apply(area)
                focused = {}
                for area in (plain, fast):  # one at a time: the cursor shows when focused
                    area.focus()
                    await pilot.pause()
                    focused[area] = drawn(area)
                assert plain.scroll_offset == fast.scroll_offset, where
                assert plain.selection == fast.selection, where
                assert_same(focused[plain], focused[fast], f"{where}, focused")
                app.set_focus(None)
                await pilot.pause()
                assert_same(drawn(plain), drawn(fast), f"{where}, not focused")
                compared += 2 * plain.size.height
    assert compared == 2 * 10 * (HEIGHT - 2)


async def test_long_paragraph_rows_take_the_fast_path() -> None:
    """The comparison above is not vacuous: long rows are drawn by NotesArea itself."""
    app = SideBySide(TEXTS["chinese-10000"])
    async with app.run_test(size=(100, 2 * HEIGHT + 2)) as pilot:
        _, fast = app.areas
        fast.focus()
        fast.move_cursor((0, 5_000))
        await pilot.pause()
        assert all(fast._render_long_line_row(y) is not None for y in range(fast.size.height))


async def test_falls_back_to_textarea_when_textual_internals_change(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = SideBySide(TEXTS["chinese-10000"])
    async with app.run_test(size=(100, 2 * HEIGHT + 2)) as pilot:
        _, fast = app.areas
        await pilot.pause()
        drawn_by_textual = Strip.blank(3)
        with monkeypatch.context() as patch:
            # As if a later Textual renamed a private attribute and rewrote its own drawing.
            patch.delattr(TextArea, "_draw_cursor")
            patch.setattr(TextArea, "_render_line", lambda self, y: drawn_by_textual)
            assert fast._render_long_line_row(0) is None
            assert fast._render_line(0) is drawn_by_textual


@pytest.mark.slow
async def test_typing_into_a_long_note_saves_it(store: Store, db_path) -> None:
    item = first_item(store)
    note = TEXTS["chinese-10000"]
    store.save_notes(item.id, note, "测试")
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press(*FIRST_ITEM, "enter")
        notes = app.screen.query_one("#notes", TextArea)
        assert isinstance(notes, NotesArea)
        assert notes.has_focus and notes.text == note
        assert notes.cursor_location == (0, len(note))  # entering: at the end of the text
        await pilot.press("ctrl+home", "开", "头")
        assert notes.cursor_location == (0, 2)
        await pilot.press("ctrl+end", "完", "成", "a", "b")
        await paste(pilot, "，已整改。")
        typed = "开头" + note + "完成ab，已整改。"
        assert notes.text == typed
        shown = "".join(notes.render_line(y).text for y in range(notes.size.height))
        assert shown.rstrip().endswith("完成ab，已整改。")
        await pilot.press("escape")  # leaving the notes saves them
        await wait_until(pilot, lambda: not app.drafts)
    assert stored(db_path, "SELECT notes FROM items WHERE id = ?", item.id) == [(typed,)]
