"""Import a plan from the app: a path, the year if the file names none, a preview, then
the import — the same steps and words as ``tracker import --dry-run`` and ``tracker
import``.

Enter on the path (or the year) reads the file and shows what would be imported;
nothing is written until the clerk presses Enter again (or 导入). The dialog dismisses
with the imported plan's id, or ``None``.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from tracker.domain.models import Plan
from tracker.errors import NotFound
from tracker.importers import read_plan
from tracker.importers.parser import PlanFormatError
from tracker.importers.preview import format_preview, preview_plan
from tracker.services.revisions import import_plan_or_revision
from tracker.store import Store, StoreError
from tracker.ui.labels import literal, painted
from tracker.ui.tones import Tone

HINT = "Enter 预览　再按 Enter 导入　Esc 取消"


class ImportPlanScreen(ModalScreen[str | None]):
    """Ask for a file (and its year), preview it, import it on confirmation.

    Args:
        store: The open database.
        user: The clerk, recorded with carried-over history of a revision.
    """

    BINDINGS = [Binding("escape", "cancel", "取消")]

    def __init__(self, store: Store, user: str) -> None:
        super().__init__()
        self.store = store
        self.user = user
        self.plan: Plan | None = None
        """The plan read and previewed, waiting for confirmation."""

    def compose(self) -> ComposeResult:
        with Vertical(id="import-dialog", classes="dialog") as dialog:
            dialog.border_title = "导入分工表"
            dialog.border_subtitle = HINT
            yield Static(Text("文件（.docx/.xlsx/.csv/.txt；表格或分条列出的工作要点）："))
            yield Input(placeholder="如 /home/user/2024年分工表.docx", id="import-path")
            yield Static(Text("年份（文件中没有年份时填写）："))
            yield Input(placeholder="如 2024", id="import-year", type="integer", max_length=4)
            with VerticalScroll(id="import-preview-box"):
                yield Static(id="import-preview")
            with Horizontal(id="confirm-buttons"):
                yield Button("导入", id="import-ok", variant="primary", disabled=True)
                yield Button("取消", id="import-cancel")

    def on_mount(self) -> None:
        self.query_one("#import-path", Input).focus()

    def _say(self, text: Text) -> None:
        self.query_one("#import-preview", Static).update(text)

    @on(Input.Changed)
    def forget_preview(self) -> None:
        """A changed path or year needs a new preview before anything is imported."""
        self.plan = None
        self.query_one("#import-ok", Button).disabled = True

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.plan is not None:
            self.action_import()
        else:
            self.action_preview()

    def action_preview(self) -> None:
        """Read the file and show what would be imported."""
        raw = self.query_one("#import-path", Input).value.strip().strip("\"'")
        if not raw:
            self._say(painted("请填写分工表文件的路径", f"bold {Tone.WARNING}"))
            return
        year_text = self.query_one("#import-year", Input).value.strip()
        year = int(year_text) if year_text.isdigit() else None
        if year is not None and not 1900 <= year <= 2999:
            self._say(painted("年份应在 1900 到 2999 之间", f"bold {Tone.WARNING}"))
            return
        path = Path(raw).expanduser()
        try:
            plan = read_plan(path, year=year)
        except PlanFormatError as error:
            if "--year" in error.reason and year is None:
                self.query_one("#import-year", Input).focus()
                self._say(
                    painted(
                        "文件中没有写明年份：请在「年份」中填写（如 2024），再按 Enter 预览",
                        f"bold {Tone.WARNING}",
                    )
                )
                return
            self._say(literal(f"「{path.name}」{error}；未导入任何内容", f"bold {Tone.ERROR}"))
            return
        except OSError as error:
            self._say(
                literal(f"无法读取「{path}」：{error.strerror or error}", f"bold {Tone.ERROR}")
            )
            return
        self.plan = plan
        self.query_one("#import-ok", Button).disabled = False
        # Content cut short enough for one line of the dialog at 80 columns.
        preview = literal(format_preview(preview_plan(plan, self.store.aliases()), width=22))
        preview.append("\n\n按 Enter 或「导入」写入数据库，Esc 取消", style="bold")
        self._say(preview)

    @on(Button.Pressed, "#import-ok")
    def action_import(self) -> None:
        """Write the previewed plan (a revision of a tracked one, if it is one)."""
        if self.plan is None:
            return
        if self.app.refuse_if_read_only():  # type: ignore[attr-defined]
            return
        try:
            plan_id, message, _ = import_plan_or_revision(self.store, self.plan, self.user)
        except (NotFound, StoreError, sqlite3.Error) as error:
            self._say(literal(f"未能导入：{error}", f"bold {Tone.ERROR}"))
            return
        self.app.notify(message.splitlines()[0], title="已导入", markup=False, timeout=8)
        self.dismiss(plan_id)

    @on(Button.Pressed, "#import-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
