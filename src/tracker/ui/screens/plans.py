"""Choose which plan to show when the database holds several (2023, 2024, another district),
or import one more (``i``: :class:`~tracker.ui.screens.import_plan.ImportPlanScreen`)."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tracker.store import Store
from tracker.ui.labels import literal, mini_bar
from tracker.ui.tones import Tone


class PlanPickerScreen(ModalScreen[str | None]):
    """Lists every plan with its progress; Enter dismisses with the plan's id."""

    BINDINGS = [
        Binding("escape,q", "cancel", "取消"),
        Binding("i", "import_plan", "导入分工表"),
    ]

    def __init__(self, store: Store, current_plan_id: str, user: str = "") -> None:
        super().__init__()
        self.store = store
        self.current_plan_id = current_plan_id
        self.user = user
        self.imported = False
        """Whether the plan dismissed with was just imported (shown afresh even if current)."""

    def compose(self) -> ComposeResult:
        plans = self.store.plans()
        options = []
        for plan in plans:
            progress = plan.progress
            label = Text.assemble(
                mini_bar(progress.done, progress.total),
                f" {progress.done}/{progress.total}  ",
                literal(plan.title, "bold"),
                ("　✓ 当前" if plan.id == self.current_plan_id else "", Tone.SUCCESS),
            )
            options.append(Option(label, id=plan.id))
        with Vertical(id="plan-dialog", classes="dialog") as dialog:
            dialog.border_title = "选择分工表"
            dialog.border_subtitle = "Enter 打开　i 导入分工表　Esc 取消"
            yield Static(Text(f"本数据库中共有 {len(plans)} 份分工表"))
            yield OptionList(*options, id="plan-options")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        for index in range(options.option_count):
            if options.get_option_at_index(index).id == self.current_plan_id:
                options.highlighted = index
        options.focus()

    @on(OptionList.OptionSelected, "#plan-options")
    def choose(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)

    @work
    async def action_import_plan(self) -> None:
        """Import a plan from a file (with a preview first); open it when imported."""
        from tracker.ui.screens.import_plan import ImportPlanScreen

        imported = await self.app.push_screen_wait(ImportPlanScreen(self.store, self.user))
        if imported:
            self.imported = True
            self.dismiss(imported)
