"""The progress report screen (R) and the ledger export dialog (L).

:class:`ReportScreen` shows what ``tracker report`` prints: the summary sentence, the
figures per category and per unit, and the overdue and due-soon items; ``c`` copies the
sentence, ``s`` saves the whole report (Word for .docx, the default; HTML for .html;
else Markdown).
:func:`export_ledger_dialog` asks where to write the 工作台账 (xlsx or csv), confirms
before overwriting, and writes it. Both follow the main screen's my-unit filter. Every
text from the plan or a clerk is shown literally.
"""

from __future__ import annotations

from pathlib import Path

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from tracker.domain.deadlines import DueWarning
from tracker.ledger import FORMATS, LedgerError, export_ledger, unit_csv_path
from tracker.services.report import (
    FIGURE_HEADERS,
    UNASSIGNED_TITLE,
    UNREPORTED_TITLE,
    DueItem,
    Report,
    ReportError,
    ReportLine,
    build_report,
    figure_cells,
    save_report,
    unassigned_sentence,
    unreported_sentence,
)
from tracker.store import ItemFilter, Progress, Store
from tracker.store.outfile import export_name
from tracker.ui.format import day_label
from tracker.ui.labels import literal, painted, warning_style
from tracker.ui.screens.dialogs import PathScreen, ask_target
from tracker.ui.screens.members import UNASSIGNED_STYLE


async def export_ledger_dialog(
    screen: Screen, store: Store, plan_id: str, unit_id: str | None
) -> Path | None:
    """Ask where, confirm an overwrite, and write the ledger; tell the clerk the result.

    Args:
        screen: The screen the dialogs open over (it shows the notifications).
        store: The open database.
        plan_id: The plan.
        unit_id: Only this unit's items (the my-unit filter), or None for all.

    Returns:
        The file written, or None.
    """
    count = len(store.filtered_items(plan_id, ItemFilter(unit_id=unit_id)))
    unit = store.unit(unit_id) if unit_id else None
    whose = f"{unit.name}负责的 {count} 项任务" if unit else f"全部 {count} 项任务"
    explanation = Text.assemble(
        "导出", literal(whose), f"（截至 {day_label(store.today())}）。\n",
        ".xlsx：用 Excel/WPS 打开、打印；交各单位填写「状态」「进展情况」，"
        "交回后用 tracker import-ledger 导入。\n",
        ".csv：UTF-8 文本，Excel 可直接打开"
        + ("；各单位的填报另存为同名加「-分单位」的 .csv。" if unit is None else "。"),
    )  # fmt: skip
    year = store.plan(plan_id).year
    default = Path.home() / export_name(year, unit.name if unit else None, store.today(), "xlsx")
    asked = await ask_target(screen, PathScreen("导出工作台账", explanation, default, FORMATS))
    if asked is None:
        return None
    target, force = asked
    try:
        written = export_ledger(store, plan_id, target, unit_id=unit_id, force=force)
    except LedgerError as error:
        screen.notify(str(error), severity="error", timeout=10, markup=False)
        return None
    message = f"台账已导出到：{written}"
    beside = unit_csv_path(written)
    if unit is None and written.suffix.lower() == ".csv" and beside.exists():
        message += f"\n各单位的填报（分单位）另存为：{beside}"
    screen.notify(message, title="导出完成", timeout=10, markup=False)
    return written


# ---------------------------------------------------------------------- the report
_LEADING = ("总数", "完成率", DueWarning.OVERDUE.label, DueWarning.DUE_SOON.label)
SCREEN_ORDER = tuple(
    [FIGURE_HEADERS.index(header) for header in _LEADING]
    + [i for i, header in enumerate(FIGURE_HEADERS) if header not in _LEADING]
)
"""On screen the figures a report leads with (total, rate, overdue, due soon) come first,
so they stay in view at 80 columns; the counts by status follow."""


def _screen_cells(progress: Progress, style: str = "") -> list[Text]:
    values = figure_cells(progress)
    cells = [painted(values[i], style, justify="right") for i in SCREEN_ORDER]
    for cell, count, warning in (
        (cells[2], progress.overdue, DueWarning.OVERDUE),
        (cells[3], progress.due_soon, DueWarning.DUE_SOON),
    ):
        if count:
            cell.stylize(f"bold {warning_style(warning)}")
    return cells


def _figures_table(
    first_headers: tuple[str, ...], rows: list[tuple[tuple[Text, ...], ReportLine]], lead: bool
) -> Table:
    # No rules between columns: two spaces apart, the figures fit 100 columns.
    table = Table(box=None, header_style="bold underline", pad_edge=False)
    for header in first_headers:
        table.add_column(header, overflow="fold", min_width=4, max_width=24)
    for index in SCREEN_ORDER:
        table.add_column(FIGURE_HEADERS[index], justify="right", no_wrap=True)
    if lead:
        table.add_column("牵头", justify="right", no_wrap=True)
    for names, line in rows:
        extra = [Text(str(line.lead), justify="right")] if lead else []
        table.add_row(*names, *_screen_cells(line.progress), *extra)
    return table


def category_table(report: Report) -> Table:
    """按工作任务, with a 合计 row."""
    rows: list[tuple[tuple[Text, ...], ReportLine]] = [
        ((literal(c.no), literal(c.name)), c) for c in report.categories
    ]
    table = _figures_table(("序号", "工作任务"), rows, lead=False)
    total = ReportLine(key="total", name="合计", progress=report.total)
    table.add_row(Text(""), Text("合计", style="bold"), *_screen_cells(total.progress, "bold"))
    return table


def unit_table(report: Report) -> Table:
    """按责任单位 (concrete units, in the plan's order)."""
    return _figures_table(("责任单位",), [((literal(u.name),), u) for u in report.units], True)


def due_table(items: tuple[DueItem, ...], days_header: str, warning: DueWarning) -> Table:
    """The overdue or due-soon items, by due date."""
    table = Table(
        box=box.SIMPLE_HEAD, expand=True, header_style="bold", show_edge=False, pad_edge=False
    )
    table.add_column("序号", no_wrap=True)
    table.add_column("具体内容", ratio=3, overflow="fold")
    table.add_column("牵头单位", ratio=1, overflow="fold")
    table.add_column("完成时限", no_wrap=True)
    table.add_column("状态", no_wrap=True)
    table.add_column(days_header, justify="right", no_wrap=True)
    for item in items:
        table.add_row(
            literal(item.no),
            literal(item.content),
            literal(item.lead or item.units_text),
            literal(item.deadline_text, warning_style(warning)),
            Text(item.status.label),
            painted(str(item.days), warning_style(warning), justify="right"),
        )
    return table


class ReportScreen(Screen[None]):
    """进展报告: the summary sentence and the figures, as of the store's today.

    Args:
        store: The open database.
        plan_id: The plan.
        unit_id: Only this unit's items (the my-unit filter), or None for the whole plan.
    """

    BINDINGS = [
        Binding("escape,q", "close", "返回"),
        Binding("c", "copy_summary", "复制总结"),
        Binding("s", "save", "保存报告"),
    ]

    def __init__(self, store: Store, plan_id: str, unit_id: str | None = None) -> None:
        super().__init__()
        self.store = store
        self.plan_id = plan_id
        self.unit_id = unit_id
        self.report: Report = build_report(store, plan_id, unit_id)
        """The report shown (built once, as of the moment the screen opened)."""

    def compose(self) -> ComposeResult:
        report = self.report
        yield Static(
            Text.assemble(
                ("进展报告", "bold"),
                "　",
                literal(report.plan_title),
                ("　" + report.unit_name if report.unit_name else "", "bold"),
                "　",
                (f"截至 {day_label(report.today)}", "dim"),
            ),
            id="report-title",
        )
        with VerticalScroll(id="report-body"):
            summary = Static(literal(report.summary), id="report-summary")
            summary.border_title = "总结"
            summary.border_subtitle = "c 复制　s 保存报告"
            yield summary
            yield from self._sections(report)
        yield Footer()

    def _sections(self, report: Report) -> ComposeResult:
        if not report.total.total:
            return
        yield self._section("按工作任务", category_table(report), "report-categories")
        if report.units:
            yield self._section(
                "按责任单位（各单位自己的填报；具体单位，含经集合单位分派的任务）",
                unit_table(report),
                "report-units",
            )
        if report.unassigned:
            yield self._section(
                UNASSIGNED_TITLE,
                Text.assemble(
                    literal(unassigned_sentence(report.unassigned), UNASSIGNED_STYLE),
                    "\n在责任单位（U）中选中集合单位，按 m 设置成员。",
                ),
                "report-unassigned",
            )
        if report.unreported:
            yield self._section(
                UNREPORTED_TITLE,
                literal(unreported_sentence(report.unreported), UNASSIGNED_STYLE),
                "report-unreported",
            )
        overdue = (
            due_table(report.overdue, "逾期天数", DueWarning.OVERDUE)
            if report.overdue
            else Text("无逾期任务。")
        )
        yield self._section(f"逾期任务：{len(report.overdue)}项", overdue, "report-overdue")
        if report.due_soon:
            yield self._section(
                f"临期任务（{report.due_window}天内到期）：{len(report.due_soon)}项",
                due_table(report.due_soon, "剩余天数", DueWarning.DUE_SOON),
                "report-due-soon",
            )

    @staticmethod
    def _section(title: str, body: Table | Text, id: str) -> Static:
        return Static(
            Group(Text(title, style="bold underline"), body), id=id, classes="report-part"
        )

    def on_mount(self) -> None:
        self.query_one("#report-body", VerticalScroll).focus()

    def action_close(self) -> None:
        """Back to the main screen."""
        self.dismiss(None)

    def action_copy_summary(self) -> None:
        """Copy the summary sentence (the terminal passes it to the system clipboard)."""
        self.app.copy_to_clipboard(self.report.summary)
        self.notify("已复制总结（如未复制成功，可按 s 保存报告后从文件中复制）", markup=False)

    @work
    async def action_save(self) -> None:
        """Ask where, then save the report (Word for .docx, HTML for .html, else Markdown)."""
        year = self.store.plan(self.plan_id).year
        name = export_name(year, self.report.unit_name, self.report.today, "docx")
        default = Path.home() / name
        explanation = Text(
            "以 .docx 结尾保存为 Word 文件（公文格式，可直接报送）；以 .html 结尾保存为网页"
            "（可用浏览器打开、A4 打印）；以 .md 结尾保存为 Markdown 文本。"
        )
        asked = await ask_target(
            self,
            PathScreen("保存进展报告", explanation, default, ("docx", "md", "html", "htm", "txt")),
        )
        if asked is None:
            return
        target, force = asked
        try:
            written = save_report(self.report, target, force=force)
        except ReportError as error:
            self.notify(str(error), severity="error", timeout=10, markup=False)
            return
        self.notify(f"报告已保存到：{written}", title="保存完成", timeout=10, markup=False)
