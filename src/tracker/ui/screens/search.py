"""The search dialog: find an item by any piece of its text, results as you type.

The clerk types a word or two of an item's content, its key task, a unit or the
notes (or a unit's pinyin initials, ``fgj`` → 区发改局); the list below follows every
keystroke. Up/Down move through the results without leaving the input, Enter opens
the highlighted one (the first, until the clerk moves), Esc gives up.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from tracker.domain.deadlines import DueWarning
from tracker.services.search import search
from tracker.store import ItemFilter, ItemRecord, Store
from tracker.ui.labels import literal, one_line, painted, status_badge, warning_style
from tracker.ui.tones import Tone

RESULT_LIMIT = 200
"""At most this many results are listed (the seed plan has 47 items)."""
FLAT_WIDTH = 400
"""Cells of content flattened onto one line; the list's CSS cuts it to the width shown."""
MATCH_STYLE = "bold underline"
"""How the typed words are marked inside a result."""
PLACEHOLDER = "搜索任务内容、重点工作任务、责任单位、进展情况；拼音首字母可找单位，如 fgj"


def warning_mark(item: ItemRecord) -> Text:
    """``!逾期`` / ``!临期`` in their colours for an open item that needs attention, else empty."""
    if item.warning in (DueWarning.OVERDUE, DueWarning.DUE_SOON):
        return painted(f"!{item.warning.label}", f"bold {warning_style(item.warning)}")
    return Text("")


def item_path(item: ItemRecord) -> str:
    """Where an item sits: ``序号 工作任务 › 重点工作任务``."""
    number = f"{item.category_no} " if item.category_no else ""
    if not item.key_task_title.strip():  # two levels: no key task
        return f"{number}{item.category_title}"
    return f"{number}{item.category_title} › {item.key_task_title}"


def result_prompt(
    item: ItemRecord, query: str = "", unit_names: Callable[[], list[str]] | None = None
) -> Text:
    """One result: badge, warning and content on the first line, its place (dim) below.

    When the words were not found there, a third line says why the item was found: the
    units it names that match (by name or pinyin initials, ``fgj`` → 区**发改局**), or
    the notes.

    Args:
        item: The item found.
        query: What the clerk typed.
        unit_names: The names of the units the item names (asked only when needed).
    """
    content = one_line(item.content, FLAT_WIDTH)
    path = one_line(item_path(item), FLAT_WIDTH)
    path.stylize("dim")
    why: Text | None = None
    needle = query.strip()
    if needle:
        pattern = re.compile(re.escape(needle), re.IGNORECASE)
        found = content.highlight_regex(pattern, MATCH_STYLE)
        found += path.highlight_regex(pattern, MATCH_STYLE)
        units = unit_line(unit_names(), needle) if not found and unit_names else None
        if units is not None:
            why = Text.assemble(Text("  单位：", style="dim"), units)
        elif not found and pattern.search(item.notes):
            snippet = notes_snippet(item.notes, pattern)
            snippet.highlight_regex(pattern, MATCH_STYLE)
            why = Text.assemble(Text("  进展：", style="dim"), snippet)
    lines = [
        Text.assemble(status_badge(item.status), warning_mark(item), " ", content),
        Text.assemble("  ", path),
    ]
    if why is not None:
        lines.append(why)
    return Text("\n").join(lines)


def unit_line(names: list[str], query: str) -> Text | None:
    """The units among ``names`` that ``query`` finds, the matched part highlighted.

    A unit is found by a piece of its name (发改) or of its pinyin initials (``fgj``:
    the characters those letters stand for are highlighted). None if none is found.
    """
    parts: list[Text] = []
    for name in names:
        shown = literal(name)
        at = name.lower().find(query.lower())
        span = (at, at + len(query)) if at >= 0 else initials_span(name, query)
        if span is None:
            continue
        shown.stylize(MATCH_STYLE, *span)
        parts.append(shown)
    return Text("、").join(parts) if parts else None


def initials_span(name: str, query: str) -> tuple[int, int] | None:
    """The characters of ``name`` whose pinyin initials spell ``query``: 区发改局, fgj → (1, 4).

    Uses the readings search matches by (pypinyin, in context). None when the query is not
    Latin letters or not found.
    """
    letters = "".join(query.split()).lower()
    if not letters.isascii() or not letters.isalpha():
        return None
    from pypinyin import Style, lazy_pinyin

    initials = lazy_pinyin(
        name,
        style=Style.FIRST_LETTER,
        errors=lambda run: [c.lower() if c.isascii() and c.isalnum() else "" for c in run],  # type: ignore[arg-type, return-value]  # pypinyin accepts a list
    )
    if len(initials) != len(name):
        return None
    # Which character each letter of the joined initials comes from.
    owner = [index for index, initial in enumerate(initials) for _ in initial.lower()]
    at = "".join(initials).lower().find(letters)
    if at < 0:
        return None
    return owner[at], owner[at + len(letters) - 1] + 1


def notes_snippet(notes: str, pattern: re.Pattern[str], before: int = 12) -> Text:
    """The notes on one line, from a little before the first match."""
    flat = " ".join(literal(notes).plain.split())
    match = pattern.search(flat)
    start = max(0, match.start() - before) if match else 0
    return Text(("…" if start else "") + flat[start:])


class SearchScreen(ModalScreen[str | None]):
    """Searches a plan's items as the clerk types.

    Dismisses with the chosen item's id, or None when cancelled.

    Args:
        store: The database.
        plan_id: The plan searched.
        flt: The filter in force (my unit, statuses, warnings); results stay inside it.
        query: Text to start with (e.g. the previous search).
    """

    BINDINGS = [
        Binding("escape", "cancel", "取消"),
        # The input keeps the focus; these move the highlight in the list below it.
        Binding("down", "move(1)", "下一项", show=False),
        Binding("up", "move(-1)", "上一项", show=False),
        Binding("pagedown", "page('down')", "下一页", show=False),
        Binding("pageup", "page('up')", "上一页", show=False),
    ]

    def __init__(
        self, store: Store, plan_id: str, flt: ItemFilter | None = None, *, query: str = ""
    ) -> None:
        super().__init__()
        self.store = store
        self.plan_id = plan_id
        self.flt = flt or ItemFilter()
        self.initial_query = query
        self.results: list[ItemRecord] = []
        """The items listed, in plan order."""

    def compose(self) -> ComposeResult:
        with Vertical(id="search-dialog", classes="dialog") as dialog:
            dialog.border_title = "搜索"
            dialog.border_subtitle = "↑↓ 选择　Enter 打开　Esc 取消"
            # Text typed in the tree arrives here: what is typed next follows it.
            yield Input(
                self.initial_query,
                placeholder=PLACEHOLDER,
                id="search-input",
                select_on_focus=False,
            )
            yield Static(id="search-count")
            yield OptionList(id="search-results")

    def on_mount(self) -> None:
        self.query_one("#search-input", Input).focus()
        self.show_results(self.initial_query)

    def type_text(self, text: str) -> None:
        """Add text at the cursor of the search box (text typed in the tree)."""
        if not self.is_mounted:
            self.initial_query += text
            return
        self.query_one("#search-input", Input).insert_text_at_cursor(text)

    @on(Input.Changed, "#search-input")
    def search_as_typed(self, event: Input.Changed) -> None:
        event.stop()
        self.show_results(event.value)

    def show_results(self, query: str) -> None:
        """Search for ``query`` and list what was found, highlighting the first."""
        found = search(self.store, self.plan_id, query, self.flt, limit=RESULT_LIMIT + 1)
        self.results = found[:RESULT_LIMIT]
        results = self.query_one("#search-results", OptionList)
        results.set_options(
            Option(result_prompt(item, query, self._unit_names(item.id)), id=item.id)
            for item in self.results
        )
        if self.results:
            results.highlighted = 0
        self.query_one("#search-count", Static).update(
            self._count_line(query, more=len(found) > RESULT_LIMIT)
        )

    def _unit_names(self, item_id: str) -> Callable[[], list[str]]:
        return lambda: [unit.name for unit in self.store.item_units(item_id)]

    def _count_line(self, query: str, more: bool) -> Text:
        scope = "" if self.flt.is_empty else "（当前筛选范围内）"
        if not query.strip():
            return Text(f"输入关键词开始搜索{scope}", style="dim")
        if not self.results:
            return painted(f"没有找到{scope}", f"bold {Tone.WARNING}")
        text = Text(f"找到 {len(self.results)} 项{scope}", style="bold")
        if more:
            text.append(f"，只列出前 {RESULT_LIMIT} 项，请再输入几个字", style="dim")
        return text

    @on(Input.Submitted, "#search-input")
    def open_highlighted(self, event: Input.Submitted) -> None:
        event.stop()
        option = self.query_one("#search-results", OptionList).highlighted_option
        if option is None:
            self.app.bell()
            return
        self.dismiss(option.id)

    @on(OptionList.OptionSelected, "#search-results")
    def open_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_move(self, step: int) -> None:
        results = self.query_one("#search-results", OptionList)
        if step > 0:
            results.action_cursor_down()
        else:
            results.action_cursor_up()

    def action_page(self, direction: str) -> None:
        results = self.query_one("#search-results", OptionList)
        if direction == "down":
            results.action_page_down()
        else:
            results.action_page_up()

    def action_cancel(self) -> None:
        self.dismiss(None)
