"""The 工作台账 as a file: export it as xlsx or csv, and import what units filled in.

Clerks hand the ledger around as an Excel/WPS sheet. :func:`export_ledger` writes it in
the layout they know — the 分工表's columns plus 状态, 进展情况 and 预警, categories and
key tasks on every row, a header row repeated on every printed page, landscape A4 at a
readable size — or as a CSV that Excel on Chinese Windows opens correctly (UTF-8 with
a byte-order mark).

Units that will not install anything fill in the xlsx (状态 from a drop-down list, and
进展情况) and send it back; :func:`import_ledger` reads it, matches every row to its
item (by the hidden ``item_id`` column, else by 序号 and 具体内容), checks every row
first and only then writes each difference as a change by that unit. Rows it cannot
match or read are refused with their row number and the reason.

Nothing here knows about the terminal.
"""

from __future__ import annotations

import contextlib
import csv
import math
import unicodedata
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from tracker.domain.deadlines import DueWarning
from tracker.domain.models import STATUS_LABELS, Status
from tracker.importers.parser import PlanFormatError
from tracker.importers.tables import split_csv
from tracker.importers.vet import EXCEL, FileRefused, damaged, read_text, vet_xlsx
from tracker.store import ChangedUnderneath, ChangeRecord, ItemFilter, ItemRecord, Store
from tracker.store.outfile import OutputRefused, check_target, move_into_place, temp_beside

LEDGER_COLUMNS = (
    "序号",
    "工作任务",
    "重点工作任务",
    "具体内容",
    "责任单位",
    "完成时限",
    "状态",
    "进展情况",
    "预警",
    "更新时间",
    "更新人",
)
"""The ledger's columns, left to right, in xlsx and csv alike. 预警 says 逾期 or 临期 in
words (a black-and-white printer loses the colours)."""
PRINTED_COLUMNS = LEDGER_COLUMNS.index("预警") + 1
"""How many columns are printed: 更新时间 and 更新人 are for the screen (the printed
page needs the room to keep its text at a readable size)."""
ID_COLUMN = "item_id"
"""The hidden last column of the xlsx: each row's item, so a returned file matches reliably."""
SHEET_TITLE = "台账"
"""The name of the ledger's worksheet."""
HELP_SHEET_TITLE = "填写说明"
"""The name of the worksheet telling units how to fill the ledger in."""
HEADER_ROW = 3
"""The xlsx's header row: after the title and the 截至 line."""
FORMATS = ("xlsx", "csv")
"""The file types :func:`export_ledger` writes, chosen by the file's suffix."""

COLUMN_WIDTHS = {
    "序号": 6,
    "工作任务": 8,
    "重点工作任务": 11,
    "具体内容": 34,
    "责任单位": 16,
    "完成时限": 9,
    "状态": 8.5,
    "进展情况": 28,
    "预警": 6,
    "更新时间": 10,
    "更新人": 7,
}
"""Column widths in Excel's units (about one Latin character; a Chinese one takes two).

The printed columns add up to about 126: fitting them to a landscape A4 page then
scales the sheet to no less than about 85 % (LibreOffice's unit is the widest, about
7.3 pt), so the 11-point body prints at 9 pt or more (``bench/print_check.py`` measures
it); the wide columns (具体内容, 进展情况) wrap instead."""
CENTERED = frozenset(
    {"序号", "工作任务", "重点工作任务", "完成时限", "状态", "更新时间", "更新人", "预警"}
)
"""Columns whose text is centred (short values and the merged labels)."""
FONT_NAME = "宋体"
"""The font of Chinese office sheets; Excel, WPS and LibreOffice substitute it if absent."""
BODY_SIZE = 11
"""The body text's size in points (it prints at about 9.5 pt once fitted to A4)."""
LINE_HEIGHT = 14.5
"""Points per wrapped line of 11-point text, for estimating row heights."""
WARNING_FILLS = {
    DueWarning.OVERDUE: ("FFC7CE", "9C0006"),  # Excel's light red fill, dark red text
    DueWarning.DUE_SOON: ("FFD8A8", "974706"),  # orange fill, brown text
}
"""The 完成时限 cell's fill and font colours for overdue and due-soon rows."""
EXCEL_CELL_LIMIT = 32767
"""The most characters an Excel cell holds; longer text is cut when written."""

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""A CSV cell starting with one of these would be read by Excel as a formula."""


class LedgerError(Exception):
    """A ledger file could not be written or read; the message is for the clerk."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class LedgerRow(_Frozen):
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

    def cells(self) -> tuple[str, ...]:
        """The row's values under :data:`LEDGER_COLUMNS`, as text."""
        return (
            self.no,
            self.category,
            self.key_task,
            self.content,
            self.units_text,
            self.deadline_text,
            self.status.label,
            self.notes,
            warning_word(self.warning),
            updated_label(self.updated_at),
            self.updated_by or "",
        )


class Ledger(_Frozen):
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


def day_label(day: date) -> str:
    """A date as clerks write it, e.g. ``2023年8月25日``."""
    return f"{day.year}年{day.month}月{day.day}日"


def build_ledger(store: Store, plan_id: str, unit_id: str | None = None) -> Ledger:
    """The ledger of a plan as of the store's today, in plan order.

    Args:
        store: The open database.
        plan_id: The plan.
        unit_id: Only the items this unit answers for (directly or through a
            collective unit), as ``--unit`` and the app's my-unit filter show them.

    Raises:
        KeyError: for an unknown plan.
    """
    plan = store.plan(plan_id)
    unit = store.unit(unit_id) if unit_id else None
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
            updated_at=item.updated_at,
            updated_by=item.updated_by,
            item_id=item.id,
            category_id=item.category_id,
            key_task_id=item.key_task_id,
            warning=item.warning,
        )
        for item in store.filtered_items(plan_id, ItemFilter(unit_id=unit_id))
    )
    return Ledger(
        plan_id=plan_id,
        plan_title=plan.title,
        today=store.today(),
        due_window=store.due_window,
        unit_name=unit.name if unit else None,
        rows=rows,
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

    Returns:
        The written file's resolved path.

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
    tmp = temp_beside(target)
    try:
        if kind == "xlsx":
            write_xlsx(ledger, tmp)
        else:
            write_csv(ledger, tmp)
        _move_into_place(tmp, target, force)
    except OSError as error:
        raise LedgerError(_write_failure(out, error)) from error
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return target


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
    Windows reads it as UTF-8), one row per item, category and key task repeated."""
    with open(out, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(LEDGER_COLUMNS)
        for row in ledger.rows:
            writer.writerow([csv_cell(value) for value in row.cells()])


def csv_cell(text: str) -> str:
    """A CSV cell Excel shows as text: one that it would take for a formula (``=…``,
    ``-…``, ``@…``) gets a leading apostrophe, as Excel itself writes text."""
    return f"'{text}" if text.startswith(_FORMULA_START) else text


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
    ncols = len(LEDGER_COLUMNS)
    last_letter = get_column_letter(PRINTED_COLUMNS)
    id_letter = get_column_letter(ncols + 1)
    thin = Side(style="thin", color="000000")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    body_font = Font(name=FONT_NAME, size=BODY_SIZE)

    # Title and 截至 line, each merged across the table.
    title = sheet.cell(1, 1)
    _set_text(title, f"{ledger.plan_title}　工作台账")
    title.font = Font(name=FONT_NAME, size=16, bold=True)
    title.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    sheet.merge_cells(f"A1:{last_letter}1")
    sheet.row_dimensions[1].height = 30
    subtitle = sheet.cell(2, 1)
    _set_text(subtitle, subtitle_text(ledger))
    subtitle.font = Font(name=FONT_NAME, size=BODY_SIZE)
    subtitle.alignment = Alignment(horizontal="left", vertical="center", wrap_text=True)
    sheet.merge_cells(f"A2:{last_letter}2")
    sheet.row_dimensions[2].height = 20

    header_fill = PatternFill("solid", fgColor="D9D9D9")
    for col, name in enumerate((*LEDGER_COLUMNS, ID_COLUMN), start=1):
        cell = sheet.cell(HEADER_ROW, col, name)
        cell.font = Font(name=FONT_NAME, size=BODY_SIZE, bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.fill = header_fill
        cell.border = border
    sheet.row_dimensions[HEADER_ROW].height = 2 * LINE_HEIGHT + 4  # 重点工作任务 wraps

    first = HEADER_ROW + 1
    warned = (LEDGER_COLUMNS.index("完成时限") + 1, LEDGER_COLUMNS.index("预警") + 1)
    for offset, row in enumerate(ledger.rows):
        r = first + offset
        lines = 1
        for col, (name, value) in enumerate(zip(LEDGER_COLUMNS, row.cells(), strict=True), 1):
            cell = sheet.cell(r, col)
            _set_text(cell, value)
            cell.font = body_font
            cell.border = border
            cell.alignment = Alignment(
                horizontal="center" if name in CENTERED else "left",
                vertical="center",
                wrap_text=True,
            )
            if col <= PRINTED_COLUMNS:
                lines = max(lines, wrapped_lines(value, COLUMN_WIDTHS[name]))
        _set_text(sheet.cell(r, ncols + 1), row.item_id)
        if row.warning in WARNING_FILLS:
            fill, font = WARNING_FILLS[row.warning]
            for col in warned:
                cell = sheet.cell(r, col)
                cell.fill = PatternFill("solid", fgColor=fill)
                cell.font = Font(name=FONT_NAME, size=BODY_SIZE, bold=True, color=font)
        sheet.row_dimensions[r].height = round(lines * LINE_HEIGHT + 4, 1)

    for col, name in enumerate(LEDGER_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(col)].width = COLUMN_WIDTHS[name]
    sheet.column_dimensions[id_letter].width = 18
    sheet.column_dimensions[id_letter].hidden = True

    last = HEADER_ROW + max(len(ledger.rows), 1)
    status_col = get_column_letter(LEDGER_COLUMNS.index("状态") + 1)
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
    _print_setup(sheet, landscape=True)
    sheet.oddFooter.center.text = "第 &P 页，共 &N 页"
    sheet.oddFooter.right.text = f"截至 {day_label(ledger.today)}"
    for part in (sheet.oddFooter.center, sheet.oddFooter.right):
        part.size = BODY_SIZE

    notes = workbook.create_sheet(HELP_SHEET_TITLE)
    width = 80
    notes.column_dimensions["A"].width = width
    for r, line in enumerate(help_lines(ledger.due_window), start=1):
        cell = notes.cell(r, 1)
        _set_text(cell, line)
        cell.font = Font(name=FONT_NAME, size=14 if r == 1 else BODY_SIZE, bold=r == 1)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        notes.row_dimensions[r].height = round(
            wrapped_lines(line, width) * LINE_HEIGHT + 6 if r > 1 else 24, 1
        )
    notes.print_area = f"A1:A{len(help_lines(ledger.due_window))}"
    _print_setup(notes, landscape=False)
    workbook.active = 0
    workbook.save(out)


def _print_setup(sheet, landscape: bool) -> None:
    """A4, fitted to the page's width; margins that leave the footer whole."""
    from openpyxl.worksheet.page import PageMargins

    sheet.page_setup.orientation = "landscape" if landscape else "portrait"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # as many pages down as it takes
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    # The footer sits 0.3 in from the edge, its line well inside the 0.75 in margin.
    sheet.page_margins = PageMargins(
        left=0.4, right=0.4, top=0.6, bottom=0.75, header=0.3, footer=0.3
    )


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


def text_width(text: str) -> int:
    """How many Latin-character widths a line takes (wide characters count two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def wrapped_lines(text: str, width: float) -> int:
    """How many lines ``text`` wraps to in a column ``width`` wide (at least 1)."""
    usable = max(width - 1, 1)
    return max(1, sum(max(1, math.ceil(text_width(line) / usable)) for line in text.split("\n")))


def excel_text(text: str) -> str:
    """Text as an xlsx cell can hold it: control characters (which the format forbids)
    shown as their Unicode pictures, cut at Excel's cell limit."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    shown = ILLEGAL_CHARACTERS_RE.sub(lambda m: chr(0x2400 + ord(m.group())), text)
    return shown[:EXCEL_CELL_LIMIT]


def _set_text(cell, text: str) -> None:
    # Always a string cell: openpyxl would store "=..." as a formula.
    cell.value = excel_text(text)
    cell.data_type = "s"


# ---------------------------------------------------------------------- reading back
class SheetRow(_Frozen):
    """A data row of a returned ledger, as read."""

    row: int
    """The row number the clerk sees in Excel/WPS."""
    item_id: str | None = None
    no: str | None = None
    content: str | None = None
    status: str | None = None
    """The 状态 cell as typed (None if empty)."""
    notes: str | None = None
    """The 进展情况 cell (None if the column is missing; "" if empty)."""
    formulas: tuple[tuple[str, str, bool], ...] = ()
    """The 状态 / 进展情况 cells holding a formula: (column, formula, has a cached value).
    Such a row is refused: a formula is not what the unit typed, and one never
    calculated would read as empty."""


class LedgerSheet(_Frozen):
    """A returned ledger file, as read."""

    path: Path
    title: str = ""
    """The title cell (it names the plan)."""
    has_notes: bool = True
    """Whether the file has a 进展情况 column."""
    has_status: bool = True
    """Whether the file has a 状态 column."""
    rows: tuple[SheetRow, ...] = ()


class Refusal(_Frozen):
    """A row that was not imported, and why."""

    row: int
    no: str | None = None
    reason: str

    def describe(self) -> str:
        """``第 12 行（序号 1.2.3）：…`` for the clerk."""
        where = f"第 {self.row} 行" + (f"（序号 {self.no}）" if self.no else "")
        return f"{where}：{self.reason}"


class PlannedChange(_Frozen):
    """A difference between a returned row and the database, to be written."""

    row: int
    item_id: str
    no: str
    field: str
    """``status`` or ``notes``."""
    old: str
    new: str

    def describe(self) -> str:
        """``1.2.3 状态：未启动 → 已完成`` for the clerk."""
        if self.field == "status":
            return f"{self.no} 状态：{Status(self.old).label} → {Status(self.new).label}"
        if not self.new:
            return f"{self.no} 进展情况：已清空"
        return f"{self.no} 进展情况：{_clip(self.new)}"


class ImportResult(_Frozen):
    """What an import found and did."""

    path: Path
    plan_id: str
    by: str
    rows: int
    """Data rows read."""
    matched: int
    """Rows matched to an item (refused rows excluded)."""
    changes: tuple[PlannedChange, ...] = ()
    """The differences found (in a dry run) or written."""
    refused: tuple[Refusal, ...] = ()
    kept: tuple[Refusal, ...] = ()
    """Rows whose 进展情况 was emptied while the item has notes: the notes were kept
    (clearing them takes ``allow_clear``); their other changes are imported."""
    written: tuple[ChangeRecord, ...] = ()
    """The changes logged."""
    dry_run: bool = False


_HEADER_ALIASES = {
    "序号": "no",
    "具体内容": "content",
    "状态": "status",
    "进展情况": "notes",
    ID_COLUMN: "item_id",
}


def read_ledger_file(path: Path | str) -> LedgerSheet:
    """Read a returned ledger: the first sheet with a 序号 / 具体内容 header.

    Columns are found by their header, so a unit that inserted or moved a column is
    still read correctly. Empty rows are skipped; a CSV (exported by us, saved by Excel
    as GBK, or as 「Unicode 文本」 in UTF-16) is read too. The file is checked before
    it is read (:mod:`tracker.importers.vet`): another kind of file under an .xlsx
    name, a damaged file and one over the limits are refused with the reason.

    Raises:
        LedgerError: a file that cannot be read, is not xlsx/csv, or has no ledger header.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx", ".xlsm"):
        raise LedgerError(
            f"「{path.name}」不是 xlsx 台账；请交回由 tracker 导出的 .xlsx 文件"
            "（WPS 请另存为 Excel 文件）"
        )
    try:
        grid = [("", _read_csv(path), {})] if suffix == ".csv" else _read_xlsx(path)
    except FileNotFoundError as error:
        raise LedgerError(f"找不到文件「{path}」") from error
    except OSError as error:
        raise LedgerError(f"无法读取「{path}」：{error.strerror or error}") from error
    except (FileRefused, PlanFormatError) as error:
        reason = error.reason
        raise LedgerError(f"无法读取「{path.name}」：{reason}；未导入任何内容") from error
    for _, rows, formulas in grid:
        found = _parse_grid(path, rows, formulas)
        if found is not None:
            return found
    raise LedgerError(
        f"「{path.name}」中找不到台账的表头（序号、具体内容、状态、进展情况），未导入任何内容"
    )


Formulas = dict[tuple[int, int], str]
"""Cells holding a formula, by (row, column) from 1: the formula's text."""


def _read_xlsx(path: Path) -> list[tuple[str, list[list[object]], Formulas]]:
    """Each sheet's values (the cached results of formulas) and its formula cells.

    :func:`vet_xlsx` measures each sheet and finds its formulas in the same pass;
    openpyxl then streams the values Excel last computed (``data_only``), up to the
    sheet's last row and column holding a value. A formula never computed reads None.

    Raises:
        FileRefused: the file is another kind, damaged, or over a limit.
        OSError: it cannot be read.
    """
    from openpyxl import load_workbook

    extents = vet_xlsx(path, accepted=(EXCEL,))
    sheets: list[tuple[str, list[list[object]], Formulas]] = []
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
        try:
            for sheet in workbook.worksheets:
                extent = extents.get(sheet._worksheet_path)  # type: ignore[union-attr]
                if extent is None:
                    raise FileRefused(f"工作表「{sheet.title}」不在文件的目录中，文件已损坏")
                rows = (
                    [
                        list(row)
                        for row in sheet.iter_rows(
                            min_row=1,
                            max_row=extent.max_row,
                            max_col=extent.max_col,
                            values_only=True,
                        )
                    ]
                    if extent.max_row
                    else []
                )
                sheets.append((sheet.title, rows, extent.formulas))
        finally:
            workbook.close()
    except (FileRefused, OSError, MemoryError, RecursionError):
        raise
    except Exception as error:  # a third-party parser on untrusted bytes: the file is damaged
        raise damaged(error) from error
    return sheets


def _read_csv(path: Path) -> list[list[object]]:
    rows: list[list[object]] = [
        list(row) for row in split_csv(read_text(path, ".csv", accepted=(EXCEL,)))
    ]
    return rows


def _parse_grid(path: Path, grid: list[list[object]], formulas: Formulas) -> LedgerSheet | None:
    header_index = None
    columns: dict[str, int] = {}
    for index, values in enumerate(grid[:20]):
        names = {_header(v): i for i, v in enumerate(values) if _header(v)}
        if "序号" in names and "具体内容" in names:
            header_index = index
            columns = {
                field: names[name] for name, field in _HEADER_ALIASES.items() if name in names
            }
            break
    if header_index is None:
        return None
    title = next((_text(v) for values in grid[:header_index] for v in values if _text(v)), "")
    rows = []
    for index in range(header_index + 1, len(grid)):
        values = grid[index]
        if not any(_text(v) for v in values):
            continue
        cells = {
            field: _text(values[col]) if col < len(values) else "" for field, col in columns.items()
        }
        in_formula = tuple(
            (name, formulas[(index + 1, columns[field] + 1)], bool(cells[field]))
            for name, field in (("状态", "status"), ("进展情况", "notes"))
            if field in columns and (index + 1, columns[field] + 1) in formulas
        )
        rows.append(
            SheetRow(
                row=index + 1,
                item_id=cells.get("item_id") or None,
                no=_csv_plain(cells.get("no", "")) or None,
                content=_csv_plain(cells.get("content", "")) or None,
                status=_csv_plain(cells.get("status", "")) or None,
                notes=_csv_plain(cells["notes"]) if "notes" in cells else None,
                formulas=in_formula,
            )
        )
    return LedgerSheet(
        path=path,
        title=title,
        has_notes="notes" in columns,
        has_status="status" in columns,
        rows=tuple(rows),
    )


def _header(value: object) -> str:
    # Letter-spaced or padded headers (工 作 任 务) read as the plain name.
    return "".join(_text(value).split())


def _text(value: object) -> str:
    """A cell's value as text: numbers without a spurious ``.0``, times as ISO."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).replace("\r\n", "\n").replace("\r", "\n")


def _csv_plain(text: str) -> str:
    # Undo csv_cell's apostrophe (Excel drops it itself in an xlsx).
    return text[1:] if text.startswith("'") and text[1:].startswith(_FORMULA_START) else text


def _same_text(a: str, b: str) -> bool:
    """Whether two texts are the same for matching: NFKC, whitespace ignored."""
    return _squash(a) == _squash(b)


def _squash(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def _status_from_label(label: str) -> Status | None:
    wanted = _squash(label)
    for status in Status:
        if _squash(status.label) == wanted:
            return status
    return None


def _same_notes(cell: str, stored: str) -> bool:
    """Whether the 进展情况 cell says what is stored (as the export wrote it)."""
    shown = excel_text(stored)
    if cell.rstrip() == shown.rstrip():
        return True
    # Excel cut a very long note at its cell limit: the cut note is not a change.
    return len(cell) >= EXCEL_CELL_LIMIT and shown.startswith(cell)


def _clip(text: str, width: int = 30) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def check_import(
    store: Store, sheet: LedgerSheet, by_unit_id: str, allow_clear: bool = False
) -> ImportResult:
    """Match every row of a returned ledger and list the differences; write nothing.

    A row is matched by its hidden item id (when the id is known and the row's 序号 or
    具体内容 agrees with that item), else by 序号 and 具体内容 together. A row is refused
    when it matches nothing, matches an item another row already matched, has a formula
    in 状态 or 进展情况, has a 状态 that is not one of the five, or changes an item the
    unit does not answer for. An emptied 进展情况 of an item with notes clears them only
    with ``allow_clear``; otherwise the row is listed in ``kept`` and its notes stay.

    Raises:
        LedgerError: the file's plan cannot be told (nothing matches any plan).
    """
    items: dict[str, ItemRecord] = {}
    for plan in store.plans():
        for item in store.filtered_items(plan.id):
            items[item.id] = item
    plan_id = _plan_of(store, sheet, items)
    in_plan = {i: item for i, item in items.items() if item.plan_id == plan_id}
    by_key: dict[tuple[str, str], list[str]] = {}
    for known_id, item in in_plan.items():
        by_key.setdefault((item.outline, _squash(item.content)), []).append(known_id)
    answers_for = {
        item.id for item in store.filtered_items(plan_id, ItemFilter(unit_id=by_unit_id))
    }
    unit = store.unit(by_unit_id)
    unit_name = unit.name if unit else by_unit_id

    refused: list[Refusal] = []
    kept: list[Refusal] = []
    changes: list[PlannedChange] = []
    seen: dict[str, int] = {}
    matched = 0
    for row in sheet.rows:
        item_id, reason = _match(row, in_plan, by_key)
        if item_id is None:
            refused.append(Refusal(row=row.row, no=row.no, reason=reason))
            continue
        if item_id in seen:
            refused.append(
                Refusal(
                    row=row.row,
                    no=row.no,
                    reason=f"与第 {seen[item_id]} 行是同一项任务"
                    f"（序号 {in_plan[item_id].outline}），请删去重复的行",
                )
            )
            continue
        seen[item_id] = row.row
        item = in_plan[item_id]
        no = item.outline
        if row.formulas:
            refused.append(Refusal(row=row.row, no=no, reason=_formula_reason(row.formulas)))
            continue
        row_changes = []
        if row.status is not None:
            status = _status_from_label(row.status)
            if status is None:
                labels = "、".join(s.label for s in Status)
                refused.append(
                    Refusal(
                        row=row.row,
                        no=no,
                        reason=f"状态「{_clip(row.status, 12)}」不是可选的状态（{labels}）",
                    )
                )
                continue
            if status is not item.status:
                row_changes.append(
                    PlannedChange(
                        row=row.row,
                        item_id=item_id,
                        no=no,
                        field="status",
                        old=item.status.value,
                        new=status.value,
                    )
                )
        emptied = row.notes is not None and not row.notes.strip() and bool(item.notes.strip())
        if emptied and not allow_clear:
            pass  # listed in ``kept`` below, unless the row is refused
        elif row.notes is not None and not _same_notes(row.notes, item.notes):
            row_changes.append(
                PlannedChange(
                    row=row.row,
                    item_id=item_id,
                    no=no,
                    field="notes",
                    old=item.notes,
                    new=row.notes.rstrip(),
                )
            )
        if row_changes and item_id not in answers_for:
            refused.append(
                Refusal(
                    row=row.row,
                    no=no,
                    reason=f"这项任务不由{unit_name}负责"
                    f"（责任单位：{_clip(item.units_text, 40)}），未导入其修改",
                )
            )
            continue
        if emptied and not allow_clear:
            kept.append(
                Refusal(
                    row=row.row,
                    no=no,
                    reason=f"进展情况为空，原有进展「{_clip(item.notes, 20)}」未清空",
                )
            )
        matched += 1
        changes.extend(row_changes)
    return ImportResult(
        path=sheet.path,
        plan_id=plan_id,
        by=unit_name,
        rows=len(sheet.rows),
        matched=matched,
        changes=tuple(changes),
        refused=tuple(refused),
        kept=tuple(kept),
        dry_run=True,
    )


def _formula_reason(formulas: tuple[tuple[str, str, bool], ...]) -> str:
    column, formula, cached = formulas[0]
    what = f"「{column}」是公式（{_clip(formula, 30)}）"
    if not cached:
        what += "，且没有计算结果"
    return f"{what}；未导入这一行，请把公式改为直接填写的文字后重新导入"


def _plan_of(store: Store, sheet: LedgerSheet, items: dict[str, ItemRecord]) -> str:
    """The plan a returned ledger belongs to: that of its item ids, else the one its
    title names, else the only one."""
    plans = {items[row.item_id].plan_id for row in sheet.rows if row.item_id in items}
    if len(plans) == 1:
        return plans.pop()
    all_plans = store.plans()
    if not plans:
        titled = [p.id for p in all_plans if sheet.title and p.title in sheet.title]
        if len(titled) == 1:
            return titled[0]
        if len(all_plans) == 1:
            return all_plans[0].id
    raise LedgerError(
        f"无法确定「{sheet.path.name}」属于哪个分工表（标题：{sheet.title or '无'}），"
        "未导入任何内容"
    )


def _match(
    row: SheetRow,
    items: dict[str, ItemRecord],
    by_key: dict[tuple[str, str], list[str]],
) -> tuple[str | None, str]:
    if row.item_id and row.item_id in items:
        item = items[row.item_id]
        agrees = (row.no is not None and row.no.strip() == item.outline) or (
            row.content is not None and _same_text(row.content, item.content)
        )
        if agrees:
            return item.id, ""
        return None, (
            f"隐藏的 item_id 对应序号 {item.outline} 的任务，但本行的序号和具体内容都与之不符"
        )
    if not row.no or not row.content:
        return None, "缺少序号或具体内容，无法对应到任务"
    found = by_key.get((row.no.strip(), _squash(row.content)), [])
    if len(found) == 1:
        return found[0], ""
    if len(found) > 1:
        return None, "序号和具体内容对应到多项任务，无法确定是哪一项"
    if any(no == row.no.strip() for no, _ in by_key):
        return None, "具体内容与分工表中该序号的任务不符（请勿改动序号和具体内容）"
    return None, f"分工表中没有序号 {row.no.strip()}"


def apply_import(store: Store, checked: ImportResult, by: str) -> ImportResult:
    """Write the differences :func:`check_import` found, each as a change by ``by``.

    Each change is committed on its own, stating the value it replaces: a value that
    another window or command changed since the check is left alone and the row is
    reported as refused.
    """
    written: list[ChangeRecord] = []
    applied: list[PlannedChange] = []
    refused = list(checked.refused)
    for change in checked.changes:
        try:
            record = store.apply_change(
                change.item_id, change.field, change.new, by, expected=change.old
            )
        except ChangedUnderneath:
            refused.append(
                Refusal(
                    row=change.row,
                    no=change.no,
                    reason="导入时这项任务刚被其他窗口修改，未覆盖，请核对后重新导入",
                )
            )
            continue
        applied.append(change)
        if record is not None:
            written.append(record)
    return checked.model_copy(
        update={
            "changes": tuple(applied),
            "written": tuple(written),
            "refused": tuple(refused),
            "dry_run": False,
        }
    )


def import_ledger(
    store: Store,
    path: Path | str,
    by_unit: str,
    dry_run: bool = False,
    allow_clear: bool = False,
) -> ImportResult:
    """Bring a returned ledger's 状态 and 进展情况 in as changes by a unit.

    Every row is read and checked before anything is written; a file that cannot be
    read (or whose plan cannot be told) changes nothing. Matched rows whose values
    differ are written; refused rows are listed with the reason.

    Args:
        store: The open database.
        path: The returned ledger (xlsx, or a csv).
        by_unit: The unit that filled it in (name or id); recorded as ``changes.by``.
        dry_run: Only check and list the differences.
        allow_clear: Let an emptied 进展情况 clear the item's notes (otherwise the
            notes are kept and the row is listed in ``kept``).

    Raises:
        LedgerError: an unknown unit, or a file that cannot be read as a ledger.
    """
    unit = store.unit(by_unit)
    if unit is None:
        raise LedgerError(
            f"未找到单位「{by_unit}」；可用 tracker units 查看所有单位，未导入任何内容"
        )
    sheet = read_ledger_file(path)
    checked = check_import(store, sheet, unit.id, allow_clear=allow_clear)
    if dry_run:
        return checked
    return apply_import(store, checked, unit.name)


LISTED = 200
"""The most refused (or kept) rows listed one by one; the rest are counted."""


def describe_import(result: ImportResult) -> Iterable[str]:
    """The lines telling the clerk what an import found and did (at most a few hundred)."""
    verb = "将修改" if result.dry_run else "已修改"
    fields = len(result.changes)
    items = len({c.item_id for c in result.changes})
    yield (
        f"「{result.path.name}」（{result.by}）：共 {result.rows} 行，"
        f"对应 {result.matched} 项任务，{verb} {items} 项任务的 {fields} 处"
        + ("（试运行，未写入）" if result.dry_run else "")
    )
    for change in result.changes:
        yield f"  {change.describe()}"
    if result.kept:
        yield (
            f"以下 {len(result.kept)} 行的进展情况为空，原有进展未清空"
            "（确需清空请加 --allow-clear）："
        )
        yield from _listed(result.kept)
    if result.refused:
        yield f"以下 {len(result.refused)} 行未导入："
        yield from _listed(result.refused)


def _listed(refusals: Iterable[Refusal]) -> Iterator[str]:
    ordered = sorted(refusals, key=lambda r: r.row)
    for refusal in ordered[:LISTED]:
        yield f"  {refusal.describe()}"
    if len(ordered) > LISTED:
        yield f"  ……另有 {len(ordered) - LISTED} 行未列出"
