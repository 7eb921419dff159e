"""The app's shared dialogs: a yes/no question, and asking for a file to write.

Each is a ``ModalScreen`` that dismisses with a typed answer; screens push them with
``push_screen_wait`` (or a callback) and act on the answer.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Input, Static


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question; dismisses with True for yes."""

    BINDINGS = [
        Binding("y", "answer(True)", "是"),
        Binding("n,escape", "answer(False)", "否"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog", classes="dialog"):
            yield Static(Text(self.question))
            with Horizontal(id="confirm-buttons"):
                yield Button("是 (Y)", id="yes", variant="warning")
                yield Button("否 (N)", id="no", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class PathScreen(ModalScreen[Path | None]):
    """Asks for a file to write; dismisses with the path, or None if cancelled.

    Args:
        title: The dialog's title.
        explanation: A line saying what will be written.
        default: The path offered.
        suffixes: The accepted suffixes (without the dot); others are refused.
    """

    BINDINGS = [Binding("escape", "cancel", "取消")]

    def __init__(
        self, title: str, explanation: Text, default: Path, suffixes: tuple[str, ...]
    ) -> None:
        super().__init__()
        self.title_text = title
        self.explanation = explanation
        self.default = default
        self.suffixes = suffixes

    def compose(self) -> ComposeResult:
        with Vertical(id="path-dialog", classes="dialog") as dialog:
            dialog.border_title = self.title_text
            yield Static(self.explanation)
            yield Input(str(self.default), id="path-input")
            yield Static(Text("Enter 确定　Esc 取消", style="dim"))

    @on(Input.Submitted, "#path-input")
    def submit(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        if not value:
            self.notify("请填写文件的路径", severity="warning")
            return
        path = Path(value).expanduser()
        if path.suffix.lower().lstrip(".") not in self.suffixes:
            wanted = "、".join(f".{s}" for s in self.suffixes)
            self.notify(f"文件名应以 {wanted} 结尾", severity="warning", markup=False)
            return
        self.dismiss(path)

    def action_cancel(self) -> None:
        self.dismiss(None)


async def ask_target(screen: Screen, dialog: PathScreen) -> tuple[Path, bool] | None:
    """Ask for a path, then whether to overwrite an existing file.

    Returns:
        The path and whether to overwrite it, or None if the clerk gave up.
    """
    target = await screen.app.push_screen_wait(dialog)
    if target is None:
        return None
    force = False
    if target.exists():
        force = await screen.app.push_screen_wait(
            ConfirmScreen(f"文件「{target}」已存在。覆盖它吗？")
        )
        if not force:
            screen.notify("未保存：没有覆盖已有文件", severity="warning")
            return None
    return target, force
