"""Importing a returned ledger: what units filled in comes back as their changes.

Units that will not install anything fill in the xlsx (状态 from a drop-down list, and
进展情况) and send it back; :func:`import_ledger` reads it, matches every row to its
item (by the hidden ``item_id`` column, else by 序号 and 具体内容), checks every row
first (:func:`check_import`) and only then writes each difference as a change by that
unit (:func:`apply_import`). Rows it cannot match or read are refused with their row
number and the reason.

Nothing here knows about the terminal.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from pathlib import Path

from tracker.domain.models import Status
from tracker.domain.units import UnitKind
from tracker.importers.parser import PlanFormatError
from tracker.importers.tables import split_csv
from tracker.importers.vet import EXCEL, FileRefused, damaged, read_text, vet_xlsx
from tracker.ledger.layout import FORMULA_START, ID_COLUMN, UNITS_DONE_COLUMN, Frozen, LedgerError
from tracker.ledger.styling import EXCEL_CELL_LIMIT, excel_text
from tracker.services.editing import Editing
from tracker.store import ChangedUnderneath, ChangeRecord, ItemFilter, ItemRecord, Store


class SheetRow(Frozen):
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


class LedgerSheet(Frozen):
    """A returned ledger file, as read."""

    path: Path
    title: str = ""
    """The title cell (it names the plan)."""
    has_notes: bool = True
    """Whether the file has a 进展情况 column."""
    has_status: bool = True
    """Whether the file has a 状态 column."""
    office: bool = False
    """Whether it is the office's ledger (it has the 单位完成情况 column)."""
    unit_name: str | None = None
    """The unit a unit's ledger names under its title (``责任单位：区发改局``), if any."""
    rows: tuple[SheetRow, ...] = ()


class Refusal(Frozen):
    """A row that was not imported, and why."""

    row: int
    no: str | None = None
    reason: str
    foreign: bool = False
    """The row changes an item the importing unit does not answer for: the whole file
    is then refused (it is another unit's ledger, or ``--by`` names the wrong unit)."""

    def describe(self) -> str:
        """``第 12 行（序号 1.2.3）：…`` for the clerk."""
        where = f"第 {self.row} 行" + (f"（序号 {self.no}）" if self.no else "")
        return f"{where}：{self.reason}"


class PlannedChange(Frozen):
    """A difference between a returned row and the database, to be written."""

    row: int
    item_id: str
    no: str
    field: str
    """``status`` or ``notes``."""
    old: str
    """The value the returned ledger was compared with (what it showed)."""
    new: str
    stored: str | None = None
    """The stored value the write replaces, when it is not ``old``: the office's
    verdict, where its ledger showed the item's roll-up."""

    def describe(self) -> str:
        """``1.2.3 状态：未启动 → 已完成`` for the clerk."""
        if self.field == "status":
            return f"{self.no} 状态：{Status(self.old).label} → {Status(self.new).label}"
        if not self.new:
            return f"{self.no} 进展情况：已清空"
        return f"{self.no} 进展情况：{_clip(self.new)}"


class ImportResult(Frozen):
    """What an import found and did."""

    path: Path
    plan_id: str
    by: str
    unit_id: str | None = None
    """The unit whose reports the import updates; None: the office's verdict and notes."""
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

    @property
    def blocked(self) -> bool:
        """Whether the whole file is refused: a row changes an item the unit does not
        answer for (nothing is written)."""
        return any(refusal.foreign for refusal in self.refused)


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


_UNIT_LINE = re.compile(r"责任单位：(.+?)（共 \d+ 项）")
"""The 截至 line of a unit's ledger names the unit (see ``subtitle_text``)."""


def _parse_grid(path: Path, grid: list[list[object]], formulas: Formulas) -> LedgerSheet | None:
    header_index = None
    office = False
    columns: dict[str, int] = {}
    for index, values in enumerate(grid[:20]):
        names = {_header(v): i for i, v in enumerate(values) if _header(v)}
        if "序号" in names and "具体内容" in names:
            header_index = index
            office = UNITS_DONE_COLUMN in names
            columns = {
                field: names[name] for name, field in _HEADER_ALIASES.items() if name in names
            }
            break
    if header_index is None:
        return None
    title = next((_text(v) for values in grid[:header_index] for v in values if _text(v)), "")
    named = (
        _UNIT_LINE.search(_text(v)) for values in grid[:header_index] for v in values if _text(v)
    )
    unit_name = next((found.group(1) for found in named if found), None)
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
        office=office,
        unit_name=unit_name,
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
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_START) else text


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
    store: Store, sheet: LedgerSheet, by_unit_id: str | None, allow_clear: bool = False
) -> ImportResult:
    """Match every row of a returned ledger and list the differences; write nothing.

    A row is matched by its hidden item id (when the id is known and the row's 序号 or
    具体内容 agrees with that item), else by 序号 and 具体内容 together. A row is refused
    when it matches nothing, matches an item another row already matched, has a formula
    in 状态 or 进展情况, or has a 状态 that is not one of the five. An emptied 进展情况
    of an item with notes clears them only with ``allow_clear``; otherwise the row is
    listed in ``kept`` and its notes stay.

    With ``by_unit_id`` the rows are that unit's reports: each is compared with the
    unit's own status and notes, and a row changing an item the unit does not answer
    for refuses the whole file (:attr:`ImportResult.blocked`). Without it the rows are
    the office's: the status is compared with the item's roll-up (what the office's
    ledger shows) and written as the office's verdict, the notes as the office's.

    Raises:
        LedgerError: the file's plan cannot be told (nothing matches any plan), the
            office's ledger imported as a unit's, or a unit's as the office's.
    """
    unit = store.unit(by_unit_id) if by_unit_id else None
    unit_name = unit.name if unit else (by_unit_id or "办公室")
    if by_unit_id is not None and sheet.office:
        raise LedgerError(
            f"「{sheet.path.name}」是办公室的总台账（有「单位完成情况」列），不能作为{unit_name}"
            f"的填报导入；请用 tracker export-ledger --unit {unit_name} 导出该单位的台账，"
            "填好后再导入。未导入任何内容"
        )
    if by_unit_id is None and sheet.unit_name:
        raise LedgerError(
            f"「{sheet.path.name}」是{sheet.unit_name}的台账；请加 --by {sheet.unit_name} "
            "导入为该单位的填报（不加 --by 时导入为办公室的结论）。未导入任何内容"
        )
    items: dict[str, ItemRecord] = {}
    for plan in store.plans():
        for item in store.filtered_items(plan.id):
            items[item.id] = item
    plan_id = _plan_of(store, sheet, items)
    in_plan = {i: item for i, item in items.items() if item.plan_id == plan_id}
    by_key: dict[tuple[str, str], list[str]] = {}
    for known_id, item in in_plan.items():
        by_key.setdefault((item.outline, _squash(item.content)), []).append(known_id)
    # What each row is compared with: the unit's own reports, or the office's ledger.
    own: dict[str, ItemRecord] = {}
    if by_unit_id is not None:
        own = {
            item.id: item
            for item in store.filtered_items(plan_id, ItemFilter(unit_id=by_unit_id, as_unit=True))
        }

    def shown(item: ItemRecord) -> tuple[str, str]:
        """The status and notes a row is compared with."""
        if by_unit_id is None:
            return item.status.value, item.notes
        mine = own.get(item.id)
        if mine is None:  # not the unit's: it has no report to change
            return Status.NOT_STARTED.value, ""
        return mine.status.value, mine.notes

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
        old_status, old_notes = shown(item)
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
            if status.value != old_status:
                verdict = (item.office_status or Status.NOT_STARTED).value
                row_changes.append(
                    PlannedChange(
                        row=row.row,
                        item_id=item_id,
                        no=no,
                        field="status",
                        old=old_status,
                        new=status.value,
                        stored=verdict if by_unit_id is None and verdict != old_status else None,
                    )
                )
        emptied = row.notes is not None and not row.notes.strip() and bool(old_notes.strip())
        if emptied and not allow_clear:
            pass  # listed in ``kept`` below, unless the row is refused
        elif row.notes is not None and not _same_notes(row.notes, old_notes):
            row_changes.append(
                PlannedChange(
                    row=row.row,
                    item_id=item_id,
                    no=no,
                    field="notes",
                    old=old_notes,
                    new=row.notes.rstrip(),
                )
            )
        if row_changes and by_unit_id is not None and item_id not in own:
            refused.append(
                Refusal(
                    row=row.row,
                    no=no,
                    reason=f"这项任务不由{unit_name}负责"
                    f"（责任单位：{_clip(item.units_text, 40)}），未导入其修改",
                    foreign=True,
                )
            )
            continue
        if emptied and not allow_clear:
            kept.append(
                Refusal(
                    row=row.row,
                    no=no,
                    reason=f"进展情况为空，原有进展「{_clip(old_notes, 20)}」未清空",
                )
            )
        matched += 1
        changes.extend(row_changes)
    return ImportResult(
        path=sheet.path,
        plan_id=plan_id,
        by=unit_name,
        unit_id=unit.id if unit else by_unit_id,
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
    """Write the differences :func:`check_import` found, each as a change by ``by``:
    to the unit's reports (``checked.unit_id``), else the office's verdict and notes.

    Nothing is written when the check refused the whole file
    (:attr:`ImportResult.blocked`). Each change is committed on its own, stating the
    value it replaces: a value that another window or command changed since the check
    is left alone and the row is reported as refused.
    """
    if checked.blocked:
        return checked.model_copy(update={"changes": (), "written": (), "dry_run": False})
    written: list[ChangeRecord] = []
    applied: list[PlannedChange] = []
    refused = list(checked.refused)
    editing = Editing(store, by)  # as every edit: through the editing service
    unit = {"unit": checked.unit_id} if checked.unit_id else {}
    for change in checked.changes:
        expected = change.old if change.stored is None else change.stored
        try:
            record = editing.apply_change(
                change.item_id, change.field, change.new, expected=expected, **unit
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
    by_unit: str | None,
    dry_run: bool = False,
    allow_clear: bool = False,
    user: str | None = None,
) -> ImportResult:
    """Bring a returned ledger's 状态 and 进展情况 in: as a unit's reports, or the office's.

    Every row is read and checked before anything is written; a file that cannot be
    read (or whose plan cannot be told) changes nothing, nor does one with a row for an
    item the unit does not answer for. Matched rows whose values differ are written;
    refused rows are listed with the reason.

    Args:
        store: The open database.
        path: The returned ledger (xlsx, or a csv).
        by_unit: The unit that filled it in (name or id): its reports are updated and
            it is recorded as ``changes.by``. None: the office's verdict and notes, by
            ``user``.
        dry_run: Only check and list the differences.
        allow_clear: Let an emptied 进展情况 clear the notes (otherwise the notes are
            kept and the row is listed in ``kept``).
        user: The clerk recorded for the office's import (default 办公室).

    Raises:
        LedgerError: an unknown unit, or a file that cannot be read as a ledger (or is
            the office's ledger for a unit, or a unit's for the office).
    """
    unit = store.unit(by_unit) if by_unit is not None else None
    if by_unit is not None and unit is None:
        raise LedgerError(
            f"未找到单位「{by_unit}」；可用 tracker units 查看所有单位，未导入任何内容"
        )
    if unit is not None and unit.kind is UnitKind.COLLECTIVE:
        raise LedgerError(
            f"{unit.name} 是集合单位，不能直接填报；请由它的成员单位各自导入自己的台账，"
            "未导入任何内容"
        )
    sheet = read_ledger_file(path)
    checked = check_import(store, sheet, unit.id if unit else None, allow_clear=allow_clear)
    if dry_run:
        return checked
    return apply_import(store, checked, unit.name if unit else (user or "办公室"))


LISTED = 200
"""The most refused (or kept) rows listed one by one; the rest are counted."""


def describe_import(result: ImportResult) -> Iterable[str]:
    """The lines telling the clerk what an import found and did (at most a few hundred)."""
    if result.blocked:
        foreign = [r for r in result.refused if r.foreign]
        yield (
            f"「{result.path.name}」（{result.by}）：有 {len(foreign)} 行修改了不由{result.by}"
            f"负责的任务，整份台账{'将不会' if result.dry_run else '未'}导入，未写入任何内容。"
            f"请核对 --by 填写的单位，或用 tracker export-ledger --unit {result.by} "
            "导出该单位的台账填写"
        )
        yield f"以下 {len(result.refused)} 行有问题："
        yield from _listed(result.refused)
        return
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
