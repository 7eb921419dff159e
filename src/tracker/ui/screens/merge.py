"""Gathering snapshots in the app: the merge dialog (``M``) and the conflicts list (``C``).

Both dialogs write through the store they are given and dismiss with whether they
changed the database, so the main screen knows to show what it holds now.
"""

from __future__ import annotations

import shlex
import sqlite3

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from tracker.errors import NotFound, Refused
from tracker.merge import (
    BatchResult,
    Conflict,
    Keep,
    expand_paths,
    list_conflicts,
    merge_many,
    quarantined_count,
    resolve_conflict,
)
from tracker.store import Store, StoreError
from tracker.ui.format import FIELD_LABELS, field_value, minute_label
from tracker.ui.labels import literal, one_line, painted
from tracker.ui.tones import Tone


class PathsInput(Input):
    """An input that takes a pasted list of paths, one a line, as one line of them."""

    def _on_paste(self, event: events.Paste) -> None:
        # Runs before Input's own handler (Textual calls each class's), which then
        # inserts the rewritten text.
        lines = [line.strip() for line in event.text.splitlines() if line.strip()]
        if len(lines) > 1:
            event.text = " ".join(shlex.quote(line) for line in lines)


def summary_text(batch: BatchResult) -> Text:
    """What a batch of merges did, a line per file, refusals in red, then the total."""
    lines: list[Text] = []
    for result in batch.merged:
        line = literal(result.summary())
        if result.conflicts:
            line.stylize(Tone.WARNING)
        lines.append(line)
        for warning in result.warnings():
            lines.append(Text.assemble(("  ⚠ ", f"bold {Tone.WARNING}"), literal(warning)))
    for _, reason in batch.refused:
        lines.append(Text.assemble(("✗ ", f"bold {Tone.ERROR}"), literal(reason, Tone.ERROR)))
    lines.append(Text(batch.total(), style="bold"))
    if batch.conflicts:
        lines.append(Text("按 C 查看并处理冲突", style="dim"))
    return Text("\n").join(lines)


class MergeScreen(ModalScreen[bool]):
    """Asks for snapshot files (or a folder of them), merges them, shows the summary.

    Dismisses with True when anything was merged.
    """

    BINDINGS = [Binding("escape", "close", "关闭")]

    def __init__(self, store: Store, user: str) -> None:
        super().__init__()
        self.store = store
        self.user = user
        self.merged_any = False
        """Whether a merge has written to the database."""

    def compose(self) -> ComposeResult:
        with Vertical(id="merge-dialog", classes="dialog") as dialog:
            dialog.border_title = "合并快照"
            yield Static(
                Text(
                    "填写其他经办人或各单位导出的快照文件，多个用空格或换行分隔；"
                    "填文件夹则合并其中所有 .db 文件。双方的修改都会保留，"
                    "互不知情时改了同一项的列为冲突。"
                )
            )
            yield PathsInput(placeholder="如 D:\\上报\\区发改局.db 或 D:\\上报", id="merge-paths")
            with VerticalScroll(id="merge-summary-scroll"):
                yield Static(id="merge-summary")
            yield Static(Text("Enter 合并　Esc 关闭", style="dim"))

    @on(Input.Submitted, "#merge-paths")
    def merge(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            paths = expand_paths(event.value)
        except OSError as error:  # a folder that cannot be listed
            self.notify(
                f"无法读取：{error.strerror or error}", severity="error", timeout=10, markup=False
            )
            return
        if not paths:
            self.notify("请填写快照文件或文件夹的路径", severity="warning")
            return
        try:
            # Each file is merged or refused on its own (merge_many never lets one
            # file's failure through); this is for anything else, say a broken database.
            batch = merge_many(self.store, paths, self.user)
        except Exception as error:  # the dialog stays open whatever happens
            self.notify(
                f"合并失败：{error}"
                if isinstance(error, StoreError | sqlite3.Error)
                else f"合并失败：意外错误（{type(error).__name__}），数据库未作改动",
                severity="error",
                timeout=10,
                markup=False,
            )
            return
        self.merged_any |= bool(batch.merged)
        self.query_one("#merge-summary", Static).update(summary_text(batch))
        if batch.merged and not batch.refused:
            event.input.value = ""

    def action_close(self) -> None:
        self.dismiss(self.merged_any)


def _value(field: str, value: str | None) -> Text:
    """A value in full, indented under its heading."""
    shown = field_value(field, value, "bold")
    return Text("\n").join(Text("  ") + line for line in shown.split("\n"))


def _side(label: str, by: str | None, machine: str | None, at: str | None) -> Text:
    when = minute_label(at)
    return Text.assemble(
        (label, "bold"),
        ("（", "dim"),
        literal(by or "?", Tone.INFO),
        ("，", "dim"),
        literal(machine or "未知机器"),
        (f"，{when}）：", "dim"),
    )


def conflict_text(conflict: Conflict) -> Text:
    """A conflict as a clerk reads it: the item, the field, both values in full."""
    field = conflict.field
    parts = [
        Text.assemble(
            (FIELD_LABELS.get(field, field), f"bold {Tone.WARNING}"),
            "　",
            one_line(conflict.item_content, 60),
        ),
        _side("本机", conflict.ours_by, conflict.ours_machine, conflict.ours_at),
        _value(field, conflict.ours_value),
        _side("对方", conflict.theirs_by, conflict.theirs_machine, conflict.theirs_at),
        _value(field, conflict.theirs_value),
    ]
    if conflict.current_value not in (conflict.ours_value, conflict.theirs_value):
        parts += [Text("当前：", style="bold"), _value(field, conflict.current_value)]
    return Text("\n").join(parts)


class ConflictsScreen(ModalScreen[bool]):
    """Unresolved conflicts; o / t / b resolve the highlighted one.

    Dismisses with True when any was resolved.
    """

    BINDINGS = [
        Binding("o", "resolve('ours')", Keep.OURS.label),
        Binding("t", "resolve('theirs')", Keep.THEIRS.label),
        Binding("b", "resolve('both')", Keep.BOTH.label),
        Binding("escape,q", "close", "关闭"),
    ]

    def __init__(self, store: Store, user: str) -> None:
        super().__init__()
        self.store = store
        self.user = user
        self.resolved_any = False
        """Whether a resolution has written to the database."""

    def compose(self) -> ComposeResult:
        with Vertical(id="conflicts-dialog", classes="dialog") as dialog:
            dialog.border_title = "合并冲突"
            dialog.border_subtitle = "o 保留本机　t 保留对方　b 两者都保留　Esc 关闭"
            yield Static(id="conflicts-count")
            yield OptionList(id="conflict-list")

    def on_mount(self) -> None:
        self._fill()

    def _fill(self, keep_index: int = 0) -> None:
        conflicts = list_conflicts(self.store)
        options = self.query_one("#conflict-list", OptionList)
        options.clear_options()
        entries: list[Option | None] = []
        for conflict in conflicts:
            entries += [Option(conflict_text(conflict), id=conflict.id), None]
        options.add_options(entries[:-1])
        count = self.query_one("#conflicts-count", Static)
        held = quarantined_count(self.store)
        note = (
            painted(
                # No spaces: the sentence then wraps between characters, not at the number.
                f"\n另有{held}条可疑修改（日期比合并时本机时钟晚一天以上）已隔离、未采用，"
                "可用命令tracker conflicts列出。",
                Tone.WARNING,
            )
            if held
            else Text()
        )
        if conflicts:
            count.update(
                Text(f"共 {len(conflicts)} 条未处理的冲突：两处在互不知情时修改了同一项。") + note
            )
            options.highlighted = min(keep_index, len(conflicts) - 1)
            options.display = True
            options.focus()
        else:
            count.update(painted("没有待处理的冲突。", Tone.SUCCESS) + note)
            options.display = False

    def action_resolve(self, keep: str) -> None:
        """Resolve the highlighted conflict."""
        options = self.query_one("#conflict-list", OptionList)
        option = options.highlighted_option
        if option is None or option.id is None:
            return
        index = options.highlighted or 0
        try:
            resolve_conflict(self.store, option.id, keep, self.user)
        except (sqlite3.Error, StoreError) as error:  # before Refused: a read-only file
            self.notify(f"未能处理：{error}", severity="error", timeout=10, markup=False)
            return
        except (NotFound, Refused) as error:
            self.notify(str(error), severity="warning", timeout=8, markup=False)
            return
        self.resolved_any = True
        self.notify(f"已处理：{Keep(keep).label}")
        self._fill(index)

    def action_close(self) -> None:
        self.dismiss(self.resolved_any)
