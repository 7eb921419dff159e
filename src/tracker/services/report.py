"""The progress report as of a day: figures, overdue and due-soon items, a summary.

:func:`build_report` gathers from the store what a monthly report (or the year-end
落实情况 of the annual report) states: per category and per unit the counts by status,
the completion rate and the overdue and due-soon counts; the overdue and due-soon
items by outline number and content; and a Chinese summary sentence
(:func:`summary_sentence`) ready to paste, e.g. 「截至2023年8月25日，全区47项任务已完成3项，
完成率6.4%；……」. :func:`render_markdown` and :func:`render_html` write it out; every
text from the plan or a clerk is escaped, never interpreted.

Nothing here knows about the terminal.
"""

from __future__ import annotations

import contextlib
import html
import os
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from tracker.domain.deadlines import DueWarning
from tracker.domain.format import day_label
from tracker.domain.models import Status
from tracker.domain.units import Role, UnitKind
from tracker.errors import TrackerError
from tracker.store import ItemFilter, ItemRecord, Progress, Store, UnitRecord, outfile

REPORT_FORMATS = ("md", "html", "docx")
"""The formats :func:`render` writes."""
SUMMARY_LIST_LIMIT = 5
"""How many overdue items the summary sentence names before saying 等."""
STATUS_ORDER = (Status.IN_PROGRESS, Status.ONGOING, Status.ON_HOLD, Status.NOT_STARTED)
"""The statuses the summary counts after 已完成, in the order a report states them."""
FIGURE_HEADERS = (
    "总数",
    *(status.label for status in Status),
    "完成率",
    DueWarning.OVERDUE.label,
    DueWarning.DUE_SOON.label,
)
"""The figure columns of every table: total, each status, rate, overdue, due soon."""


class ReportError(TrackerError):
    """A report could not be saved; the message is for the clerk."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class ReportLine(_Frozen):
    """A row of figures: a category or a unit."""

    key: str
    """The category's or unit's id."""
    no: str = ""
    """The category's 序号 (empty for a unit)."""
    name: str
    """The category's title or the unit's name."""
    progress: Progress
    lead: int = 0
    """Items the unit leads (牵头); 0 for a category."""


class DueItem(_Frozen):
    """An overdue or due-soon item, as the report lists it."""

    item_id: str
    no: str
    """The outline number, e.g. ``3.2.1``."""
    content: str
    units_text: str
    """责任单位, as in the plan."""
    lead: str
    """The lead unit(s) (牵头单位), joined with 、."""
    deadline_text: str
    due_date: date
    status: Status
    days: int
    """Days past the due date (overdue) or left until it (due soon)."""
    notes: str = ""
    """进展情况, as the clerks wrote it."""


class Report(_Frozen):
    """A plan's progress (or one unit's part of it) as of a day."""

    plan_id: str
    plan_title: str
    today: date
    due_window: int
    """Days ahead an open item counts as due soon (临期)."""
    unit_name: str | None = None
    """The unit the report is for, or None for the whole plan."""
    total: Progress
    categories: tuple[ReportLine, ...] = ()
    units: tuple[ReportLine, ...] = ()
    """Concrete units answering for at least one item, in the order the plan names
    them (whole-plan reports)."""
    overdue: tuple[DueItem, ...] = ()
    due_soon: tuple[DueItem, ...] = ()
    unassigned: tuple[ReportLine, ...] = ()
    """Collectives with no members (未设成员) that hold items of the plan, in the order
    the plan names them (whole-plan reports): their work counts for no concrete unit."""
    unreported: tuple[ReportLine, ...] = ()
    """Concrete units responsible for at least one item that have reported nothing on
    any (no status, no notes), in the order the plan names them (whole-plan reports);
    ``progress.total`` is how many items each holds."""

    @property
    def summary(self) -> str:
        """The summary sentence (see :func:`summary_sentence`)."""
        return summary_sentence(self)

    @property
    def heading(self) -> str:
        """The report's title."""
        scope = f"（{self.unit_name}）" if self.unit_name else ""
        return f"{self.plan_title}{scope}落实情况"


def build_report(store: Store, plan_id: str, unit_id: str | None = None) -> Report:
    """The progress report of a plan as of the store's today.

    Args:
        store: The open database (its ``today()`` is the report's day).
        plan_id: The plan.
        unit_id: Only the items this unit answers for (directly or through a
            collective); the per-unit table is then left out.

    Raises:
        KeyError: for an unknown plan.
    """
    flt = ItemFilter(unit_id=unit_id)
    plan = store.plan(plan_id, flt)
    unit = store.unit(unit_id) if unit_id else None
    categories = tuple(
        ReportLine(key=c.id, no=c.no or str(c.seq), name=c.title, progress=c.progress)
        for c in store.categories(plan_id, flt)
    )
    units: tuple[ReportLine, ...] = ()
    unassigned: tuple[ReportLine, ...] = ()
    unreported: tuple[ReportLine, ...] = ()
    if unit_id is None:
        order = {uid: i for i, uid in enumerate(store.units_in_plan_order(plan_id))}
        in_order = sorted(
            store.units(plan_id), key=lambda u: (order.get(u.id, len(order)), u.initials)
        )
        units = tuple(
            ReportLine(
                key=u.id, name=u.name, progress=own_progress(store, plan_id, u.id), lead=u.lead
            )
            for u in in_order
            if u.kind is UnitKind.CONCRETE and u.progress.total
        )
        unreported = tuple(line for line in units if not has_reported(store, plan_id, line))
        unassigned = tuple(
            ReportLine(key=u.id, name=u.name, progress=u.progress, lead=u.lead)
            for u in unassigned_collectives(store, in_order)
        )
    today = store.today()

    def listed(warning: DueWarning) -> tuple[DueItem, ...]:
        found = store.filtered_items(
            plan_id, ItemFilter(unit_id=unit_id, warnings=frozenset({warning})), order="due"
        )
        return tuple(_due_item(store, item, today) for item in found)

    return Report(
        plan_id=plan_id,
        plan_title=plan.title,
        today=today,
        due_window=store.due_window,
        unit_name=unit.name if unit else None,
        total=plan.progress,
        categories=categories,
        units=units,
        overdue=listed(DueWarning.OVERDUE),
        due_soon=listed(DueWarning.DUE_SOON),
        unassigned=unassigned,
        unreported=unreported,
    )


def own_progress(store: Store, plan_id: str, unit_id: str) -> Progress:
    """A unit's figures from its own reports: its done is the items it reported 已完成,
    its overdue the items past due that it has not reported done (not the roll-up)."""
    return store.plan(plan_id, ItemFilter(unit_id=unit_id, as_unit=True)).progress


def has_reported(store: Store, plan_id: str, line: ReportLine) -> bool:
    """Whether a unit has reported anything on any item of the plan (a status other
    than 未启动, or notes)."""
    if line.progress.by_status.get(Status.NOT_STARTED, 0) < line.progress.total:
        return True
    try:
        reports = store.unit_reports(line.key, plan_id)
    except KeyError:  # an id that does not read back as stored (a hand-edited file)
        return False
    return any(report.reported for report in reports)


def unassigned_collectives(store: Store, units: list[UnitRecord]) -> list[UnitRecord]:
    """The collectives among ``units`` that hold items but have no members (未设成员).

    Their items count for no concrete unit: nobody may be doing that work.

    Args:
        store: The open database.
        units: Units as :meth:`Store.units` gives them (with their progress), in the
            order wanted.
    """
    return [
        unit
        for unit in units
        if unit.kind is UnitKind.COLLECTIVE
        and unit.progress.total
        and not store.membership_ids(unit.id)
    ]


def _due_item(store: Store, item: ItemRecord, today: date) -> DueItem:
    assert item.due_date is not None  # only dated items are overdue or due soon
    lead = "、".join(u.name for u in store.item_units(item.id) if u.role is Role.LEAD)
    return DueItem(
        item_id=item.id,
        no=item.outline,
        content=item.content,
        units_text=item.units_text,
        lead=lead,
        deadline_text=item.deadline_text,
        due_date=item.due_date,
        status=item.status,
        days=abs((today - item.due_date).days),
        notes=item.notes,
    )


# ---------------------------------------------------------------------- the sentence
def rate_label(done: int, total: int) -> str:
    """A completion rate to one decimal, as reports write it: ``6.4%``, ``13%``.

    Rounded half up, except that it says 100% only when everything is done and 0%
    only when nothing is; ``-`` when there is nothing to count.
    """
    if not total:
        return "-"
    tenths = (done * 2000 + total) // (2 * total)
    if done < total:
        tenths = min(tenths, 999)
    if done > 0:
        tenths = max(tenths, 1)
    whole, tenth = divmod(tenths, 10)
    return f"{whole}%" if tenth == 0 else f"{whole}.{tenth}%"


def region_word(plan_title: str) -> str:
    """How the summary names the plan's scope: 全区 / 全市 / 全县 … from its title."""
    found = re.search(r"全[区市县省州盟旗镇乡]", plan_title)
    return found.group() if found else "分工表所列"


def summary_sentence(report: Report) -> str:
    """The summary sentence of a monthly report or the year-end 落实情况.

    For example 「截至2023年8月25日，全区47项任务已完成3项，完成率6.4%；推进中2项，
    持续推进1项，暂缓/受阻1项，尚未启动40项；逾期2项（3.2.1 区政府工作部门牵头、4.1.1
    区经信局牵头），临期3项（14天内到期）。」 Zero counts are left out.
    """
    p = report.total
    day = day_label(report.today)
    scope = f"{report.unit_name}负责的" if report.unit_name else region_word(report.plan_title)
    if not p.total:
        if report.unit_name:
            return f"截至{day}，{report.unit_name}暂无负责的任务。"
        return f"截至{day}，分工表中暂无任务。"
    if p.done == p.total:
        clauses = [f"截至{day}，{scope}{p.total}项任务已全部完成，完成率100%"]
    else:
        clauses = [
            f"截至{day}，{scope}{p.total}项任务已完成{p.done}项，"
            f"完成率{rate_label(p.done, p.total)}"
        ]
    others = [
        f"{'尚未启动' if status is Status.NOT_STARTED else status.label}{count}项"
        for status in STATUS_ORDER
        if (count := p.by_status.get(status, 0))
    ]
    if others:
        clauses.append("，".join(others))
    warnings = []
    if report.overdue:
        names = "、".join(
            f"{item.no} {item.lead}牵头" if item.lead else item.no
            for item in report.overdue[:SUMMARY_LIST_LIMIT]
        )
        more = "等" if len(report.overdue) > SUMMARY_LIST_LIMIT else ""
        warnings.append(f"逾期{len(report.overdue)}项（{names}{more}）")
    elif p.done < p.total:
        warnings.append("无逾期任务")
    if report.due_soon:
        warnings.append(f"临期{len(report.due_soon)}项（{report.due_window}天内到期）")
    if warnings:
        clauses.append("，".join(warnings))
    return "；".join(clauses) + "。"


UNASSIGNED_TITLE = "未设成员的集合单位"
"""The heading of the section listing :attr:`Report.unassigned`."""
UNREPORTED_TITLE = "尚未填报的单位"
"""The heading of the section listing :attr:`Report.unreported`."""


def unreported_sentence(lines: tuple[ReportLine, ...] | list[ReportLine]) -> str:
    """The line naming the units that have not reported and how many items each holds,
    e.g. 「以下2个单位负责的任务尚无任何填报：区发改局23项、区经信局9项。」; empty when
    every unit has reported."""
    if not lines:
        return ""
    named = "、".join(f"{line.name}{line.progress.total}项" for line in lines)
    return f"以下{len(lines)}个单位负责的任务尚无任何填报：{named}。"


def unassigned_sentence(lines: tuple[ReportLine, ...] | list[ReportLine]) -> str:
    """The line naming collectives with no members and how many items each holds, e.g.
    「以下集合单位未设成员，其任务不计入任何具体单位，工作可能无人认领：各乡镇街委38项、
    牵头职能部门1项。」; empty when there are none."""
    if not lines:
        return ""
    named = "、".join(f"{line.name}{line.progress.total}项" for line in lines)
    return f"以下集合单位未设成员，其任务不计入任何具体单位，工作可能无人认领：{named}。"


# ---------------------------------------------------------------------- rendering
def figure_cells(progress: Progress) -> list[str]:
    """The values under :data:`FIGURE_HEADERS`."""
    return [
        str(progress.total),
        *(str(progress.by_status.get(status, 0)) for status in Status),
        rate_label(progress.done, progress.total),
        str(progress.overdue),
        str(progress.due_soon),
    ]


NOTES_MISSING = "（未填写）"
"""What a list shows for an item whose 进展情况 is empty."""


class ReportTable(_Frozen):
    """One table of the report, as every format lays it out."""

    title: str
    note: str = ""
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    text_columns: int
    """How many leading columns hold text (the rest are figures, right-aligned)."""
    kind: str
    """``figures`` (counts per category or unit) or ``items`` (an overdue/due-soon list)."""
    total_row: bool = False
    """Whether the last row is a 合计 row."""


def report_tables(report: Report) -> list[ReportTable]:
    """The report's tables, in order: by category, by unit, overdue, due soon."""
    tables = [
        ReportTable(
            title="按工作任务",
            headers=("序号", "工作任务", *FIGURE_HEADERS),
            rows=(
                *((c.no, c.name, *figure_cells(c.progress)) for c in report.categories),
                ("", "合计", *figure_cells(report.total)),
            ),
            text_columns=2,
            kind="figures",
            total_row=True,
        )
    ]
    if report.units:
        tables.append(
            ReportTable(
                title="按责任单位",
                note="按各单位自己的填报统计（某单位的已完成为该单位填报已完成的任务）；"
                "具体单位按分工表中首次出现的顺序排列，含经集合单位"
                "（如区政府工作部门、各乡镇街委）分派的任务",
                headers=("责任单位", *FIGURE_HEADERS, "牵头"),
                rows=tuple((u.name, *figure_cells(u.progress), str(u.lead)) for u in report.units),
                text_columns=1,
                kind="figures",
            )
        )
    for items, title, days_header in due_lists(report):
        tables.append(
            ReportTable(
                title=f"{title}：{len(items)}项",
                headers=(
                    "序号",
                    "具体内容",
                    "责任单位",
                    "完成时限",
                    "状态",
                    days_header,
                    "进展情况",
                ),
                rows=tuple(
                    (
                        item.no,
                        item.content,
                        item.units_text,
                        item.deadline_text,
                        item.status.label,
                        str(item.days),
                        item.notes.strip() or NOTES_MISSING,
                    )
                    for item in items
                ),
                text_columns=5,
                kind="items",
            )
        )
    return tables


def due_lists(report: Report) -> list[tuple[tuple[DueItem, ...], str, str]]:
    """The non-empty overdue and due-soon lists: items, title, and the days column's name."""
    return [
        (items, title, days_header)
        for items, title, days_header in (
            (report.overdue, "逾期任务", "逾期天数"),
            (report.due_soon, f"临期任务（{report.due_window}天内到期）", "剩余天数"),
        )
        if items
    ]


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|&~#!$])")


def md_escape(text: str) -> str:
    """Text as a Markdown table cell shows it literally: one line, syntax escaped."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def render_markdown(report: Report) -> str:
    """The report as Markdown (GitHub tables), every plan or clerk text escaped."""
    lines = [
        f"# {md_escape(report.heading)}",
        "",
        f"截至 {day_label(report.today)}",
        "",
        f"> {md_escape(report.summary)}",
        "",
    ]
    if not report.total.total:
        return "\n".join(lines)
    for table in _with_unassigned(report):
        if isinstance(table, tuple):
            lines += [f"## {table[0]}", "", md_escape(table[1]), ""]
            continue
        lines += [f"## {md_escape(table.title)}", ""]
        if table.note:
            lines += [md_escape(table.note), ""]
        lines.append("| " + " | ".join(md_escape(h) for h in table.headers) + " |")
        lines.append(
            "| "
            + " | ".join(
                "---:" if _is_figure(table, i) else "---" for i in range(len(table.headers))
            )
            + " |"
        )
        lines += ["| " + " | ".join(md_escape(cell) for cell in row) + " |" for row in table.rows]
        lines.append("")
    if not report.overdue:
        lines += ["## 逾期任务", "", "无。", ""]
    return "\n".join(lines)


def _with_unassigned(report: Report) -> list[ReportTable | tuple[str, str]]:
    """The report's tables with, after the figures, the 未设成员 and 尚未填报 lines (if
    any), each as (heading, sentence)."""
    tables: list[ReportTable | tuple[str, str]] = list(report_tables(report))
    place = next(
        (i for i, t in enumerate(tables) if isinstance(t, ReportTable) and t.kind != "figures"),
        len(tables),
    )
    lines = [
        (title, text)
        for title, text in (
            (UNASSIGNED_TITLE, unassigned_sentence(report.unassigned)),
            (UNREPORTED_TITLE, unreported_sentence(report.unreported)),
        )
        if text
    ]
    tables[place:place] = lines
    return tables


def _is_figure(table: ReportTable, column: int) -> bool:
    """Whether a column holds a number (right-aligned); 进展情况 after the figures is text."""
    return column >= table.text_columns and table.headers[column] != "进展情况"


# Printed on A4 (Chromium would otherwise pick US Letter); table headers repeat on every
# page (thead), rows never split across pages, and short columns (dates, statuses,
# figures) never wrap one character a line.
_CSS = """
body { font-family: "FangSong", "仿宋", "STFangsong", "Microsoft YaHei", "PingFang SC",
       "Noto Serif CJK SC", "Noto Sans CJK SC", SimSun, serif;
       margin: 2em auto; max-width: 72em; padding: 0 1em; color: #222; line-height: 1.5; }
h1 { font-size: 1.5em; text-align: center; }
.as-of { text-align: center; color: #555; }
.summary { border-left: 4px solid #2b6cb0; background: #f0f5fb; padding: .6em 1em; }
table { border-collapse: collapse; width: 100%; margin: .5em 0 1.5em; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
th, td { border: 1px solid #999; padding: .25em .4em; vertical-align: top; }
th { background: #e8e8e8; white-space: nowrap; }
td.num, td.short { white-space: nowrap; }
td.num { text-align: right; }
td.no { white-space: nowrap; }
td.content { min-width: 12em; }
td.notes { min-width: 10em; }
td.units { min-width: 8em; }
td.overdue { color: #c00; font-weight: bold; }
td.due-soon { color: #b45f06; font-weight: bold; }
p.unassigned { color: #b45f06; }
tr.total td { font-weight: bold; }
.note { color: #555; font-size: .9em; }
h2 { break-after: avoid; page-break-after: avoid; }
@page { size: A4; margin: 18mm 15mm 20mm; }
@media print {
  body { margin: 0; max-width: none; padding: 0; font-size: 10.5pt; }
  .summary { background: none; border-left: 2pt solid #000; }
  th { background: #eee; }
}
"""

_SHORT_COLUMNS = frozenset({"完成时限", "状态", "序号", "逾期天数", "剩余天数", "牵头"})
_HTML_CLASSES = {
    "具体内容": "content",
    "工作任务": "content",
    "进展情况": "notes",
    "责任单位": "units",
}


def render_html(report: Report) -> str:
    """The report as one self-contained HTML page (inline CSS), every text escaped."""
    esc = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{esc(report.heading)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>{esc(report.heading)}</h1>",
        f'<p class="as-of">截至 {esc(day_label(report.today))}</p>',
        f'<p class="summary">{esc(report.summary)}</p>',
    ]
    if report.total.total:
        for table in _with_unassigned(report):
            if isinstance(table, tuple):
                parts.append(f"<h2>{esc(table[0])}</h2>")
                parts.append(f'<p class="unassigned">{esc(table[1])}</p>')
                continue
            parts.append(f"<h2>{esc(table.title)}</h2>")
            if table.note:
                parts.append(f'<p class="note">{esc(table.note)}</p>')
            parts.append("<table>")
            parts.append(
                "<thead><tr>"
                + "".join(f"<th>{esc(h)}</th>" for h in table.headers)
                + "</tr></thead>"
            )
            parts.append("<tbody>")
            for index, row in enumerate(table.rows):
                cells = []
                for i, cell in enumerate(row):
                    header = table.headers[i]
                    classes = ["num"] if _is_figure(table, i) else []
                    if header in _SHORT_COLUMNS and not classes:
                        classes.append("short")
                    if header in _HTML_CLASSES:
                        classes.append(_HTML_CLASSES[header])
                    if header == DueWarning.OVERDUE.label and cell != "0":
                        classes.append("overdue")
                    elif header == DueWarning.DUE_SOON.label and cell != "0":
                        classes.append("due-soon")
                    attr = f' class="{" ".join(classes)}"' if classes else ""
                    text = esc(cell).replace("\n", "<br>")
                    cells.append(f"<td{attr}>{text}</td>")
                total = ' class="total"' if table.total_row and index == len(table.rows) - 1 else ""
                parts.append(f"<tr{total}>" + "".join(cells) + "</tr>")
            parts.append("</tbody>")
            parts.append("</table>")
        if not report.overdue:
            parts += ["<h2>逾期任务</h2>", "<p>无。</p>"]
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


def render(report: Report, fmt: str = "md") -> str:
    """The report as text, in ``md`` or ``html`` (a .docx is written by :func:`save_report`)."""
    if fmt == "html":
        return render_html(report)
    if fmt == "md":
        return render_markdown(report)
    raise ValueError(f"unknown report format: {fmt}")


def format_for(path: Path) -> str:
    """The format a file name asks for: ``html`` for .html/.htm, ``docx`` for .docx, else ``md``."""
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm"):
        return "html"
    return "docx" if suffix == ".docx" else "md"


def save_report(
    report: Report, out: Path | str, force: bool = False, fmt: str | None = None
) -> Path:
    """Write the report to ``out``: Word for .docx, HTML for .html/.htm, else Markdown.

    The file is written under a temporary name beside ``out`` and moved into place
    when complete (see :mod:`tracker.store.outfile`).

    Args:
        report: The report.
        out: The file to write.
        force: Replace ``out`` if it exists.
        fmt: The format (default: by the suffix, see :func:`format_for`).

    Returns:
        The file written (resolved).

    Raises:
        ReportError: an existing file without ``force``, a folder, or a failed write.
    """
    out = Path(out).expanduser()
    fmt = fmt or format_for(out)
    if fmt == "docx":
        from tracker.services.report_docx import write_docx

        return write_output(out, lambda tmp: write_docx(report, tmp), force)
    text = render(report, fmt)
    return write_text_file(out, text, force)


def write_text_file(out: Path, text: str, force: bool = False) -> Path:
    """Write a UTF-8 text file, refusing to replace one without ``force``.

    Raises:
        ReportError: an existing file without ``force``, a folder, or a failed write.
    """

    def write(tmp: Path) -> None:
        with open(tmp, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)

    return write_output(out, write, force)


def write_output(out: Path, write: Callable[[Path], None], force: bool = False) -> Path:
    """Write a file with ``write(temporary_path)``, then move it into place.

    Raises:
        ReportError: an existing file without ``force``, a folder, or a failed write.
    """
    try:
        target = outfile.check_target(out, force, example="进展报告.docx")
    except outfile.OutputRefused as refused:
        raise ReportError(str(refused)) from None
    tmp = outfile.temp_beside(target)
    try:
        write(tmp)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        outfile.move_into_place(tmp, target, force)
    except outfile.OutputRefused as refused:
        raise ReportError(str(refused)) from None
    except OSError as error:
        raise ReportError(f"写入「{out}」失败：{error.strerror or error}") from error
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return target
