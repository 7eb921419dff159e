"""Exporting the 工作台账: as an xlsx in the layout clerks know, or as a csv.

:func:`export_ledger` writes it — the 分工表's columns plus 状态, 进展情况 and 预警,
categories and key tasks on every row, a header row repeated on every printed page,
landscape A4 at a readable size — or as a CSV that Excel on Chinese Windows opens
correctly (UTF-8 with a byte-order mark).

Nothing here knows about the terminal.
"""

from __future__ import annotations

import contextlib
import csv
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from tracker.domain.deadlines import DueWarning
from tracker.domain.format import day_label
from tracker.domain.models import STATUS_LABELS, Status
from tracker.domain.units import Role
from tracker.ledger.layout import (
    FORMATS,
    FORMULA_START,
    HEADER_ROW,
    HELP_SHEET_TITLE,
    ID_COLUMN,
    LEDGER_COLUMNS,
    OFFICE_COLUMNS,
    SHEET_TITLE,
    UNIT_SHEET_COLUMNS,
    UNIT_SHEET_SUFFIX,
    UNIT_SHEET_TITLE,
    UNITS_DONE_COLUMN,
    Frozen,
    LedgerError,
    printed_columns,
)
from tracker.ledger.styling import (
    BODY_SIZE,
    CENTERED,
    FONT_NAME,
    LINE_HEIGHT,
    UNIT_SHEET_WIDTHS,
    WARNING_FILLS,
    column_widths,
    print_setup,
    set_text,
    wrapped_lines,
)
from tracker.store import ItemFilter, Store
from tracker.store.outfile import OutputRefused, check_target, move_into_place, temp_beside


class LedgerRow(Frozen):
    """One item as a ledger row."""

    no: str
    """The outline number 类.重点.项, e.g. ``1.2.1`` (the ``ledger`` view's 序号)."""
    category: str
    """工作任务: the category's title."""
    key_task: str
    """重点工作任务: the key task's title."""
    content: str
    """具体内容, as in the plan."""
    units_text: str
    """责任单位, as in the plan."""
    deadline_text: str
    """完成时限, as in the plan."""
    status: Status
    """状态."""
    notes: str
    """进展情况."""
    updated_at: str | None = None
    """When the status or notes last changed (ISO 8601), if ever."""
    updated_by: str | None = None
    """Who changed them last."""
    item_id: str
    category_id: str
    key_task_id: str
    warning: DueWarning = DueWarning.NONE
    """逾期 / 临期 / 正常 as of the ledger's day."""
    units_done: int = 0
    """Responsible units that reported 已完成 (the office's ledger shows it)."""
    units_total: int = 0
    """Concrete units responsible for the item."""

    @property
    def units_label(self) -> str:
        """单位完成情况: ``3/5`` (units done / units responsible); ``-`` for none."""
        return f"{self.units_done}/{self.units_total}" if self.units_total else "-"

    def cells(self, columns: tuple[str, ...] = LEDGER_COLUMNS) -> tuple[str, ...]:
        """The row's values under ``columns`` (:data:`LEDGER_COLUMNS` or
        :data:`OFFICE_COLUMNS`), as text."""
        values = {
            "序号": self.no,
            "工作任务": self.category,
            "重点工作任务": self.key_task,
            "具体内容": self.content,
            "责任单位": self.units_text,
            "完成时限": self.deadline_text,
            "状态": self.status.label,
            UNITS_DONE_COLUMN: self.units_label,
            "进展情况": self.notes,
            "预警": warning_word(self.warning),
            "更新时间": updated_label(self.updated_at),
            "更新人": self.updated_by or "",
        }
        return tuple(values[name] for name in columns)


ROLE_LABELS = {Role.LEAD: "牵头", Role.COOPERATING: "配合"}
"""The 分单位 sheet's 角色."""
SHORT_CONTENT = 28
"""How many characters of 具体内容 the 分单位 sheet's 工作任务 keeps (two printed lines)."""


class UnitLedgerRow(Frozen):
    """One responsible unit's report on an item: a row of the 分单位 sheet."""

    no: str
    content: str
    """The item's 具体内容 (shortened when written)."""
    unit: str
    role: Role
    status: Status
    notes: str = ""
    updated_at: str | None = None
    updated_by: str | None = None

    def cells(self) -> tuple[str, ...]:
        """The row's values under :data:`UNIT_SHEET_COLUMNS`, as text."""
        flat = " ".join(self.content.split())
        short = flat if len(flat) <= SHORT_CONTENT else flat[: SHORT_CONTENT - 1] + "…"
        return (
            self.no,
            short,
            self.unit,
            ROLE_LABELS[self.role],
            self.status.label,
            self.notes,
            updated_label(self.updated_at),
            self.updated_by or "",
        )


class Ledger(Frozen):
    """A plan's ledger (or one unit's part of it) as of a day."""

    plan_id: str
    plan_title: str
    today: date
    """The day warnings are judged on (截至)."""
    due_window: int
    """Days ahead an open item counts as due soon (临期)."""
    unit_name: str | None = None
    """The unit whose items these are, or None for the whole plan."""
    rows: tuple[LedgerRow, ...] = ()
    unit_rows: tuple[UnitLedgerRow, ...] = ()
    """The office's ledger: every responsible unit's report, item by item (分单位)."""

    @property
    def office(self) -> bool:
        """Whether this is the office's ledger (the whole plan, with the units' parts)."""
        return self.unit_name is None

    @property
    def columns(self) -> tuple[str, ...]:
        """The main sheet's columns: the office's has 单位完成情况 beside 状态."""
        return OFFICE_COLUMNS if self.office else LEDGER_COLUMNS


def warning_word(warning: DueWarning) -> str:
    """The 预警 column: 逾期 or 临期, else empty (正常 and 无时限 need no word)."""
    return warning.label if warning in (DueWarning.OVERDUE, DueWarning.DUE_SOON) else ""


def updated_label(updated_at: str | None) -> str:
    """An ISO time as clerks write it, ``2023-06-15 09:30`` (empty if never updated)."""
    if not updated_at:
        return ""
    try:
        return datetime.fromisoformat(updated_at).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return updated_at


def build_ledger(store: Store, plan_id: str, unit_id: str | None = None) -> Ledger:
    """The ledger of a plan as of the store's today, in plan order.

    The office's ledger (no unit) shows each item's roll-up, the office's notes and
    单位完成情况, and lists every responsible unit's report (:attr:`Ledger.unit_rows`).
    A unit's ledger shows that unit's own reports: its status, notes, last update.

    Args:
        store: The open database.
        plan_id: The plan.
        unit_id: Only the items this unit answers for (directly or through a
            collective unit), as ``--unit`` and the app's my-unit filter show them,
            each with the unit's own report.

    Raises:
        KeyError: for an unknown plan.
    """
    plan = store.plan(plan_id)
    unit = store.unit(unit_id) if unit_id else None
    own = {r.item_id: r for r in store.unit_reports(unit.id, plan_id)} if unit else {}
    items = store.filtered_items(plan_id, ItemFilter(unit_id=unit_id, as_unit=True))
    rows = tuple(
        LedgerRow(
            no=item.outline,
            category=item.category_title,
            key_task=item.key_task_title,
            content=item.content,
            units_text=item.units_text,
            deadline_text=item.deadline_text,
            status=item.status,
            notes=item.notes,
            updated_at=own[item.id].updated_at if item.id in own else item.updated_at,
            updated_by=own[item.id].updated_by if item.id in own else item.updated_by,
            item_id=item.id,
            category_id=item.category_id,
            key_task_id=item.key_task_id,
            warning=item.warning,
            units_done=item.units_done,
            units_total=item.units_total,
        )
        for item in items
    )
    unit_rows: tuple[UnitLedgerRow, ...] = ()
    if unit is None:
        content = {item.id: (item.outline, item.content) for item in items}
        unit_rows = tuple(
            UnitLedgerRow(
                no=content[r.item_id][0],
                content=content[r.item_id][1],
                unit=r.unit,
                role=r.role,
                status=r.status,
                notes=r.notes,
                updated_at=r.updated_at,
                updated_by=r.updated_by,
            )
            for r in store.plan_reports(plan_id)
            if r.item_id in content
        )
    return Ledger(
        plan_id=plan_id,
        plan_title=plan.title,
        today=store.today(),
        due_window=store.due_window,
        unit_name=unit.name if unit else None,
        rows=rows,
        unit_rows=unit_rows,
    )


# ---------------------------------------------------------------------- writing
def export_ledger(
    store: Store,
    plan_id: str,
    out: Path | str,
    unit_id: str | None = None,
    force: bool = False,
) -> Path:
    """Write the ledger to ``out``: xlsx or csv, by its suffix.

    The file is written under a temporary name beside ``out`` and moved into place
    when complete, so a failure leaves no half-written ledger (nor an old one damaged).

    Args:
        store: The open database.
        plan_id: The plan.
        out: The file to write (``.xlsx`` or ``.csv``).
        unit_id: Only this unit's items (see :func:`build_ledger`).
        force: Replace ``out`` if it exists.

    The office's ledger (no unit) as CSV is two files: the ledger, and its 分单位 part
    beside it as ``<name>-分单位.csv`` (:func:`unit_csv_path`); an xlsx holds both.

    Returns:
        The written file's resolved path (the ledger itself).

    Raises:
        LedgerError: another suffix, an existing file without ``force``, a folder that
            does not exist or cannot be written, or a failed write.
    """
    out = Path(out).expanduser()
    kind = out.suffix.lower().lstrip(".")
    if kind not in FORMATS:
        raise LedgerError(f"「{out.name}」：台账只能导出为 .xlsx（Excel/WPS）或 .csv 文件")
    target = _check_target(out, force)
    ledger = build_ledger(store, plan_id, unit_id)
    beside = None
    if kind == "csv" and ledger.office:  # a CSV has one sheet: 分单位 is a file of its own
        beside = _check_target(unit_csv_path(out), force)
    writer = write_xlsx if kind == "xlsx" else write_csv
    _write(out, target, force, lambda tmp: writer(ledger, tmp))
    if beside is not None:
        _write(unit_csv_path(out), beside, force, lambda tmp: write_unit_csv(ledger, tmp))
    return target


def _write(out: Path, target: Path, force: bool, write: Callable[[Path], None]) -> None:
    tmp = temp_beside(target)
    try:
        write(tmp)
        _move_into_place(tmp, target, force)
    except OSError as error:
        raise LedgerError(_write_failure(out, error)) from error
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _check_target(out: Path, force: bool) -> Path:
    try:
        return check_target(out, force, example="台账.xlsx")
    except OutputRefused as refused:
        raise LedgerError(str(refused)) from None


def _move_into_place(tmp: Path, target: Path, force: bool) -> None:
    try:
        move_into_place(tmp, target, force)
    except OutputRefused as refused:
        raise LedgerError(str(refused)) from None


def _write_failure(out: Path, error: OSError) -> str:
    if isinstance(error, PermissionError):
        return (
            f"无法写入「{out}」：文件可能正在 Excel 或 WPS 中打开，请关闭后重试（{error.strerror}）"
        )
    return f"写入「{out}」失败：{error.strerror or error}"


def write_csv(ledger: Ledger, out: Path) -> None:
    """Write the ledger as CSV: UTF-8 with a byte-order mark (so Excel on Chinese
    Windows reads it as UTF-8), one row per item, category and key task repeated.
    (The office's 分单位 part goes to a file of its own: :func:`write_unit_csv`.)"""
    with open(out, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(ledger.columns)
        for row in ledger.rows:
            writer.writerow([csv_cell(value) for value in row.cells(ledger.columns)])


def write_unit_csv(ledger: Ledger, out: Path) -> None:
    """Write the office ledger's 分单位 part as a CSV of its own (a CSV has one sheet):
    one row per (item, responsible unit), encoded as :func:`write_csv` does."""
    with open(out, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(UNIT_SHEET_COLUMNS)
        for row in ledger.unit_rows:
            writer.writerow([csv_cell(value) for value in row.cells()])


def unit_csv_path(out: Path | str) -> Path:
    """Where the office's CSV ledger puts its 分单位 part: ``<name>-分单位.csv`` beside it."""
    out = Path(out)
    return out.with_name(f"{out.stem}{UNIT_SHEET_SUFFIX}{out.suffix}")


def csv_cell(text: str) -> str:
    """A CSV cell Excel shows as text: one that it would take for a formula (``=…``,
    ``-…``, ``@…``) gets a leading apostrophe, as Excel itself writes text."""
    return f"'{text}" if text.startswith(FORMULA_START) else text


def write_xlsx(ledger: Ledger, out: Path) -> None:
    """Write the ledger as an Excel workbook in the 分工表's layout, made for printing.

    A title row, a 截至 line, the header (frozen, and repeated on every printed page),
    then one row per item with its 工作任务 and 重点工作任务 written on every row (so a
    page that starts inside a key task still says which one: merged cells split at a
    page break and leave empty boxes), text wrapped, 完成时限 and 预警 red when overdue
    and orange when due soon, 预警 saying so in words, 状态 chosen from a list of the
    five statuses. Landscape A4 fitted to the page's width, with columns narrow enough
    that the body prints at 9 pt or more, and a page-number footer inside the margin.
    A hidden last column holds each row's item id; a second sheet, fitted to its page,
    tells units how to fill it in.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLE
    columns = ledger.columns
    widths = column_widths(columns)
    ncols = len(columns)
    last_letter = get_column_letter(printed_columns(columns))
    id_letter = get_column_letter(ncols + 1)
    thin = Side(style="thin", color="000000")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    body_font = Font(name=FONT_NAME, size=BODY_SIZE)

    # Title and 截至 line, each merged across the table.
    title = sheet.cell(1, 1)
    set_text(title, f"{ledger.plan_title}　工作台账")
    title.font = Font(name=FONT_NAME, size=16, bold=True)
    title.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    sheet.merge_cells(f"A1:{last_letter}1")
    sheet.row_dimensions[1].height = 30
    subtitle = sheet.cell(2, 1)
    set_text(subtitle, subtitle_text(ledger))
    subtitle.font = Font(name=FONT_NAME, size=BODY_SIZE)
    subtitle.alignment = Alignment(horizontal="left", vertical="center", wrap_text=True)
    sheet.merge_cells(f"A2:{last_letter}2")
    sheet.row_dimensions[2].height = 20

    header_fill = PatternFill("solid", fgColor="D9D9D9")
    for col, name in enumerate((*columns, ID_COLUMN), start=1):
        cell = sheet.cell(HEADER_ROW, col, name)
        cell.font = Font(name=FONT_NAME, size=BODY_SIZE, bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.fill = header_fill
        cell.border = border
    sheet.row_dimensions[HEADER_ROW].height = 2 * LINE_HEIGHT + 4  # 重点工作任务 wraps

    first = HEADER_ROW + 1
    warned = (columns.index("完成时限") + 1, columns.index("预警") + 1)
    for offset, row in enumerate(ledger.rows):
        r = first + offset
        lines = 1
        for col, (name, value) in enumerate(zip(columns, row.cells(columns), strict=True), 1):
            cell = sheet.cell(r, col)
            set_text(cell, value)
            cell.font = body_font
            cell.border = border
            cell.alignment = Alignment(
                horizontal="center" if name in CENTERED else "left",
                vertical="center",
                wrap_text=True,
            )
            if col <= printed_columns(columns):
                lines = max(lines, wrapped_lines(value, widths[name]))
        set_text(sheet.cell(r, ncols + 1), row.item_id)
        if row.warning in WARNING_FILLS:
            fill, font = WARNING_FILLS[row.warning]
            for col in warned:
                cell = sheet.cell(r, col)
                cell.fill = PatternFill("solid", fgColor=fill)
                cell.font = Font(name=FONT_NAME, size=BODY_SIZE, bold=True, color=font)
        sheet.row_dimensions[r].height = round(lines * LINE_HEIGHT + 4, 1)

    for col, name in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(col)].width = widths[name]
    sheet.column_dimensions[id_letter].width = 18
    sheet.column_dimensions[id_letter].hidden = True

    last = HEADER_ROW + max(len(ledger.rows), 1)
    status_col = get_column_letter(columns.index("状态") + 1)
    labels = [STATUS_LABELS[s] for s in Status]
    validation = DataValidation(
        type="list",
        formula1='"{}"'.format(",".join(labels)),
        allow_blank=True,
        showErrorMessage=True,
        showInputMessage=True,
        errorStyle="stop",
        errorTitle="状态",
        error="请从下拉列表中选择：" + "、".join(labels),
        promptTitle="状态",
        prompt="请从下拉列表中选择",
    )
    validation.add(f"{status_col}{first}:{status_col}{last}")
    sheet.add_data_validation(validation)

    sheet.freeze_panes = f"A{first}"
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    sheet.print_area = f"A1:{last_letter}{last}"
    print_setup(sheet, landscape=True)
    sheet.oddFooter.center.text = "第 &P 页，共 &N 页"
    sheet.oddFooter.right.text = f"截至 {day_label(ledger.today)}"
    for part in (sheet.oddFooter.center, sheet.oddFooter.right):
        part.size = BODY_SIZE

    notes = workbook.create_sheet(HELP_SHEET_TITLE)
    width = 80
    notes.column_dimensions["A"].width = width
    for r, line in enumerate(help_lines(ledger.due_window), start=1):
        cell = notes.cell(r, 1)
        set_text(cell, line)
        cell.font = Font(name=FONT_NAME, size=14 if r == 1 else BODY_SIZE, bold=r == 1)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        notes.row_dimensions[r].height = round(
            wrapped_lines(line, width) * LINE_HEIGHT + 6 if r > 1 else 24, 1
        )
    notes.print_area = f"A1:A{len(help_lines(ledger.due_window))}"
    print_setup(notes, landscape=False)
    if ledger.office:
        _unit_sheet(workbook.create_sheet(UNIT_SHEET_TITLE, 1), ledger)
    workbook.active = 0
    workbook.save(out)


_UNIT_SHEET_CENTERED = frozenset({"序号", "角色", "状态", "最后更新", "更新人"})


def _unit_sheet(sheet, ledger: Ledger) -> None:
    """The 分单位 sheet: one row per (item, responsible unit), printed like the main
    sheet (title, 截至 line, header repeated on every page, A4 landscape)."""
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    columns = UNIT_SHEET_COLUMNS
    last_letter = get_column_letter(len(columns))
    thin = Side(style="thin", color="000000")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    body_font = Font(name=FONT_NAME, size=BODY_SIZE)
    title = sheet.cell(1, 1)
    set_text(title, f"{ledger.plan_title}　各单位填报情况")
    title.font = Font(name=FONT_NAME, size=16, bold=True)
    title.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    sheet.merge_cells(f"A1:{last_letter}1")
    sheet.row_dimensions[1].height = 30
    subtitle = sheet.cell(2, 1)
    reported = sum(1 for row in ledger.unit_rows if row.updated_at)
    set_text(
        subtitle,
        f"截至 {day_label(ledger.today)}　共 {len(ledger.unit_rows)} 条"
        f"（每项任务的每个责任单位一条；已填报 {reported} 条）",
    )
    subtitle.font = body_font
    subtitle.alignment = Alignment(horizontal="left", vertical="center", wrap_text=True)
    sheet.merge_cells(f"A2:{last_letter}2")
    sheet.row_dimensions[2].height = 20
    header_fill = PatternFill("solid", fgColor="D9D9D9")
    for col, name in enumerate(columns, start=1):
        cell = sheet.cell(HEADER_ROW, col, name)
        cell.font = Font(name=FONT_NAME, size=BODY_SIZE, bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.fill = header_fill
        cell.border = border
    sheet.row_dimensions[HEADER_ROW].height = LINE_HEIGHT + 6
    first = HEADER_ROW + 1
    for offset, row in enumerate(ledger.unit_rows):
        r = first + offset
        lines = 1
        for col, (name, value) in enumerate(zip(columns, row.cells(), strict=True), 1):
            cell = sheet.cell(r, col)
            set_text(cell, value)
            cell.font = body_font
            cell.border = border
            cell.alignment = Alignment(
                horizontal="center" if name in _UNIT_SHEET_CENTERED else "left",
                vertical="center",
                wrap_text=True,
            )
            lines = max(lines, wrapped_lines(value, UNIT_SHEET_WIDTHS[name]))
        sheet.row_dimensions[r].height = round(lines * LINE_HEIGHT + 4, 1)
    for col, name in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(col)].width = UNIT_SHEET_WIDTHS[name]
    last = HEADER_ROW + max(len(ledger.unit_rows), 1)
    sheet.freeze_panes = f"A{first}"
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    sheet.print_area = f"A1:{last_letter}{last}"
    print_setup(sheet, landscape=True)
    sheet.oddFooter.center.text = "第 &P 页，共 &N 页"
    sheet.oddFooter.right.text = f"截至 {day_label(ledger.today)}"
    for part in (sheet.oddFooter.center, sheet.oddFooter.right):
        part.size = BODY_SIZE


def subtitle_text(ledger: Ledger) -> str:
    """The line under the title: as of when, whose items, what the colours mean."""
    parts = [f"截至 {day_label(ledger.today)}"]
    if ledger.unit_name:
        parts.append(f"责任单位：{ledger.unit_name}（共 {len(ledger.rows)} 项）")
    else:
        parts.append(f"共 {len(ledger.rows)} 项")
    parts.append(f"预警：逾期为已过完成时限，临期为{ledger.due_window}天内到期")
    return "　".join(parts)


def help_lines(due_window: int = 14) -> list[str]:
    """The 填写说明 sheet, one paragraph a line."""
    labels = "、".join(STATUS_LABELS[s] for s in Status)
    return [
        "填写说明",
        "1. 只需填写「台账」表中的「状态」和「进展情况」两列，其他列请勿改动。",
        f"2. 「状态」请从下拉列表中选择：{labels}。及时公开、长期坚持等常态工作选「持续推进」。",
        "3. 「进展情况」写明已开展的工作、公开的链接或文件、存在的问题和下一步措施。",
        "4. 请不要删除、插入或重新排列行，不要删除列；可以调整列宽和行高。",
        "5. 填好后保存为 .xlsx 文件交回（WPS 请另存为 Excel 文件 .xlsx）。",
        "6. 汇总时按隐藏的 item_id 列（或序号和具体内容）逐行核对，对不上的行会被退回并说明原因。",
        f"7. 「预警」列由系统按导出之日填写：「逾期」为已过完成时限仍未完成，「临期」为"
        f"{due_window}天内到期；及时公开、长期坚持等无固定时限的任务和「持续推进」的任务"
        "不会标为逾期。",
    ]
