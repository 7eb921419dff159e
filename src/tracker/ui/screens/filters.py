"""The filter dialog: which statuses and which due warnings to show.

Two check lists, 状态 and 预警; nothing ticked in a list means "all of them". The
filter's other parts (my unit, search results) are kept as they are.
"""

from __future__ import annotations

from typing import TypeVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, SelectionList, Static
from textual.widgets.selection_list import Selection

from tracker.domain.deadlines import DueWarning
from tracker.domain.models import Status
from tracker.store import ItemFilter
from tracker.ui.labels import painted, status_badge, warning_style

T = TypeVar("T")


def warning_label(warning: DueWarning) -> Text:
    """A warning's label in its colour (逾期 red, 临期 orange, 正常 green)."""
    style = warning_style(warning)
    return painted(warning.label, f"bold {style}" if style else "dim")


class ChoiceList(SelectionList[T]):
    """A check list where Space (or a click) ticks and Enter confirms the dialog."""

    BINDINGS = [Binding("enter", "screen.confirm", "确定", show=False)]


class FilterScreen(ModalScreen[ItemFilter | None]):
    """Chooses the statuses and warnings to show.

    Dismisses with ``current`` narrowed to the ticked statuses and warnings (its unit
    and item ids kept), or with None when cancelled.

    Args:
        current: The filter in force; its statuses and warnings are ticked at first.
    """

    BINDINGS = [
        Binding("escape,q", "cancel", "取消"),
        Binding("enter", "confirm", "确定", show=False),
        Binding("c", "clear", "清除"),
    ]

    def __init__(self, current: ItemFilter) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="filter-dialog", classes="dialog") as dialog:
            dialog.border_title = "筛选"
            dialog.border_subtitle = "空格 勾选　Enter 确定　c 清除　Esc 取消"
            with Horizontal(id="filter-lists"):
                statuses = ChoiceList(
                    *(Selection(status_badge(s), s, s in self.current.statuses) for s in Status),
                    id="filter-statuses",
                )
                statuses.border_title = "状态"
                yield statuses
                warnings = ChoiceList(
                    *(
                        Selection(warning_label(w), w, w in self.current.warnings)
                        for w in DueWarning
                    ),
                    id="filter-warnings",
                )
                warnings.border_title = "预警"
                yield warnings
            yield Static(
                Text("都不勾选即不按该项筛选；两项都勾选时须同时符合。", style="dim"),
                id="filter-hint",
            )
            with Horizontal(id="filter-buttons"):
                yield Button(Text("确定"), id="filter-ok", variant="primary")
                yield Button(Text("清除"), id="filter-clear")

    def on_mount(self) -> None:
        self.query_one("#filter-statuses", ChoiceList).focus()

    @property
    def chosen(self) -> ItemFilter:
        """The filter as ticked now."""
        statuses = self.query_one("#filter-statuses", ChoiceList).selected
        warnings = self.query_one("#filter-warnings", ChoiceList).selected
        return self.current.model_copy(
            update={"statuses": frozenset(statuses), "warnings": frozenset(warnings)}
        )

    @on(Button.Pressed, "#filter-ok")
    def confirm_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_confirm()

    @on(Button.Pressed, "#filter-clear")
    def clear_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_clear()

    def action_confirm(self) -> None:
        self.dismiss(self.chosen)

    def action_clear(self) -> None:
        for choices in self.query(ChoiceList):
            choices.deselect_all()

    def action_cancel(self) -> None:
        self.dismiss(None)
