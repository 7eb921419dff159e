"""The right-hand pane when a plan, category or key task is highlighted: its progress."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tracker.domain.models import Status
from tracker.store import Progress
from tracker.ui.format import percent_label
from tracker.ui.labels import literal, status_badge
from tracker.ui.tones import Tone

BAR_WIDTH = 12


def progress_bar(done: int, total: int, width: int = BAR_WIDTH) -> Text:
    """A text progress bar with the count and the rate, e.g. ``█████░░░ 12/47 26%``."""
    filled = round(width * done / total) if total else 0
    return Text.assemble(
        ("█" * filled, Tone.SUCCESS),
        ("░" * (width - filled), "dim"),
        f" {done}/{total}  {percent_label(done, total)}",
    )


class NodeSummary(Static):
    """Title, completion and counts by status of a node of the plan."""

    def show(self, kind_label: str, title: str, progress: Progress) -> None:
        """Show a node.

        Args:
            kind_label: What the node is (分工表, 工作任务, 重点工作任务).
            title: Its title as written in the plan.
            progress: Its items' counts (under the filter in force), and their responsible
                units done / responsible.
        """
        lines = [
            Text(kind_label, style="dim"),
            literal(title, "bold"),
            Text(""),
            Text.assemble(("完成情况 ", "bold"), progress_bar(progress.done, progress.total)),
            Text.assemble(
                ("单位完成 ", "bold"), progress_bar(progress.units_done, progress.units_total)
            ),
            Text.assemble(
                ("逾期 ", "bold"),
                (str(progress.overdue), f"bold {Tone.ERROR}" if progress.overdue else ""),
                ("　临期 ", "bold"),
                (str(progress.due_soon), f"bold {Tone.WARNING}" if progress.due_soon else ""),
            ),
            Text(""),
        ]
        for status in Status:
            count = progress.by_status.get(status, 0)
            lines.append(Text.assemble(status_badge(status), f"  {count}"))
        lines += [
            Text(""),
            Text("→/Enter 展开　↑↓ 移动　选中具体任务后可设置状态、填写进展", style="dim"),
        ]
        self.update(Text("\n").join(lines))
