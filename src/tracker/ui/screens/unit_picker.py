"""The "my unit" picker: choose the unit whose items the clerk answers for.

Units are listed concrete ones first (in pinyin order), then the collective ones
(区政府工作部门, 各乡镇街委, ...), each with how many items it answers for. Typing
narrows the list by a piece of the name or by pinyin initials (``fgj`` → 区发改局).
"""

from __future__ import annotations

import unicodedata

from rich.cells import cell_len
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from tracker.domain.units import UnitKind, matches_initials
from tracker.store import Store, UnitRecord
from tracker.ui.labels import literal, painted
from tracker.ui.tones import Tone

ALL_UNITS = ""
"""What the dialog returns for 「（全部单位，不筛选）」: forget my unit."""
ALL_UNITS_OPTION = "-all-units"
"""The option id of 「（全部单位，不筛选）」 (unit ids are hex, so it cannot clash)."""
ALL_UNITS_LABEL = "（全部单位，不筛选）"
PLACEHOLDER = "输入单位名称或拼音首字母筛选，如 fgj（区发改局）"


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def unit_matches(unit: UnitRecord, query: str) -> bool:
    """Whether a typed query finds a unit: a piece of its name, or its pinyin initials."""
    query = query.strip()
    if not query:
        return True
    return _fold(query) in _fold(unit.name) or (
        query.isascii() and matches_initials(unit.name, query)
    )


def unit_prompt(unit: UnitRecord, name_width: int, current: bool) -> Text:
    """A unit's name, 「集合」 for a collective, its item count (and leads), 当前 if chosen."""
    text = literal(unit.name, "bold" if current else "")
    if unit.kind is UnitKind.COLLECTIVE:
        text.append(" 集合", style=f"italic {Tone.MARK}")
    text.pad_right(max(0, name_width - text.cell_len) + 2)
    total = unit.progress.total
    text.append(f"{total:>3} 项", style="" if total else "dim")
    if unit.lead:
        text.append(f"（牵头 {unit.lead}）", style="dim")
    if current:
        text.append("  ✓ 当前", style=f"bold {Tone.SUCCESS}")
    return text


class UnitPickerScreen(ModalScreen[str | None]):
    """Chooses "my unit".

    Dismisses with the chosen unit's id, with ``""`` for 「（全部单位，不筛选）」 (no unit:
    show everything), or with None when cancelled.

    Args:
        store: The database.
        plan_id: The plan whose items are counted.
        current_unit_id: The unit chosen now (highlighted at first), if any.
    """

    BINDINGS = [
        Binding("escape", "cancel", "取消"),
        Binding("down", "move(1)", "下一项", show=False),
        Binding("up", "move(-1)", "上一项", show=False),
    ]

    def __init__(self, store: Store, plan_id: str, current_unit_id: str | None = None) -> None:
        super().__init__()
        self.store = store
        self.plan_id = plan_id
        self.current_unit_id = current_unit_id or None
        units = store.units(plan_id)
        self.units = sorted(
            units, key=lambda u: (u.kind is UnitKind.COLLECTIVE, u.initials, u.name)
        )
        """Every unit, concrete ones first, each group in pinyin order."""
        self._name_width = max(
            (cell_len(u.name) + (3 if u.kind is UnitKind.COLLECTIVE else 0) for u in units),
            default=0,
        )

    def compose(self) -> ComposeResult:
        with Vertical(id="unit-dialog", classes="dialog") as dialog:
            dialog.border_title = "选择我的单位"
            dialog.border_subtitle = "↑↓ 选择　Enter 确定　Esc 取消"
            yield Input(placeholder=PLACEHOLDER, id="unit-input")
            yield Static(id="unit-count")
            yield OptionList(id="unit-list")

    def on_mount(self) -> None:
        self.query_one("#unit-input", Input).focus()
        self.show_units("")

    @on(Input.Changed, "#unit-input")
    def filter_as_typed(self, event: Input.Changed) -> None:
        event.stop()
        self.show_units(event.value)

    def show_units(self, query: str) -> None:
        """List the units the query finds; highlight the current unit, else the first."""
        shown = [u for u in self.units if unit_matches(u, query)]
        options: list[Option] = []
        if not query.strip():
            # Only with nothing typed: Enter after a query that found nothing must not
            # silently clear the clerk's unit.
            options.append(Option(Text(ALL_UNITS_LABEL, style="italic"), id=ALL_UNITS_OPTION))
        options += [
            Option(unit_prompt(u, self._name_width, u.id == self.current_unit_id), id=u.id)
            for u in shown
        ]
        unit_list = self.query_one("#unit-list", OptionList)
        unit_list.set_options(options)
        ids = [option.id for option in options]
        if self.current_unit_id in ids:
            unit_list.highlighted = ids.index(self.current_unit_id)
        elif options:
            unit_list.highlighted = 0
        count = self.query_one("#unit-count", Static)
        if not query.strip():
            count.update(Text(f"共 {len(self.units)} 个单位", style="dim"))
        elif shown:
            count.update(Text(f"找到 {len(shown)} 个单位", style="bold"))
        else:
            count.update(painted("没有找到", f"bold {Tone.WARNING}"))

    @on(Input.Submitted, "#unit-input")
    def choose_highlighted(self, event: Input.Submitted) -> None:
        event.stop()
        option = self.query_one("#unit-list", OptionList).highlighted_option
        if option is None:
            self.app.bell()
            return
        self._choose(option.id)

    @on(OptionList.OptionSelected, "#unit-list")
    def choose_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._choose(event.option.id)

    def _choose(self, option_id: str | None) -> None:
        self.dismiss(ALL_UNITS if option_id in (None, ALL_UNITS_OPTION) else option_id)

    def action_move(self, step: int) -> None:
        unit_list = self.query_one("#unit-list", OptionList)
        if step > 0:
            unit_list.action_cursor_down()
        else:
            unit_list.action_cursor_up()

    def action_cancel(self) -> None:
        self.dismiss(None)
