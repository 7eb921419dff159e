"""Read the table of a 分工表 from Word (.docx), Excel (.xlsx) or CSV as rows of cells.

Every reader produces the same intermediate, a :class:`SourceTable`: the text above the
table and the rows of cells, with merged cells written the way the text dump writes
them — the text once, in the first (top-left) cell of the merged area, and empty cells
in the rest. The layout recogniser (:mod:`tracker.importers.layout`) works on that
alone, so every format is read by one set of rules.

The libraries (python-docx, openpyxl) are imported inside the readers: nothing is
loaded until a file of that kind is read.
"""

from __future__ import annotations

import csv
import io
import itertools
import zipfile
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING

from tracker.parser import PlanFormatError, decode_plan_bytes

if TYPE_CHECKING:
    from docx.table import Table


@dataclass(frozen=True)
class SourceRow:
    """One row of a table."""

    number: int
    """The row's 1-based number as the clerk finds it: Excel's row number, the CSV
    record, or the row of the Word table (counted over all its tables)."""
    cells: tuple[str, ...]
    """The cells' text, left to right; a merged cell's text is in its first cell only."""
    continues: tuple[str, ...] = ()
    """For a cell that continues a vertically merged cell, that cell's text ("" for the
    others; empty when the row has no such cell). Units and deadlines merged over
    several rows apply to each of them."""


@dataclass(frozen=True)
class SourceTable:
    """A table and what stands above it."""

    rows: tuple[SourceRow, ...]
    """Every row, the title rows and the header included."""
    preamble: tuple[str, ...] = ()
    """Paragraphs above the table (``附件``, the title); Word only — in a sheet the
    title is in the rows above the header."""
    name: str = ""
    """The worksheet's name, for messages about a workbook with several sheets."""


def _not_readable(kind: str, error: BaseException) -> PlanFormatError:
    return PlanFormatError(
        0,
        f"不是可以读取的 {kind} 文件（{type(error).__name__}）；旧格式（.doc/.xls）或 WPS 格式"
        f"请先在 Word/WPS/Excel 中另存为 {kind} 再导入",
    )


# ---------------------------------------------------------------------- Word
def read_docx(path: Path) -> SourceTable:
    """Read the tables of a Word document (.docx) as one table.

    Several tables (a table split at a page) are read one after another. Vertically and
    horizontally merged cells give their text once, at the top-left; python-docx repeats
    a merged cell's text over its span, so a cell whose underlying ``<w:tc>`` is the one
    above or to the left of it is read as empty.

    Raises:
        PlanFormatError: the file is not a .docx. A document without a table gives no
            rows and all its paragraphs (a list-style plan).
    """
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table
    from docx.text.paragraph import Paragraph
    from lxml.etree import XMLSyntaxError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, XMLSyntaxError) as e:
        raise _not_readable("Word（.docx）", e) from e

    preamble: list[str] = []
    rows: list[SourceRow] = []
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            if not rows:
                preamble.append(block.text)
        elif isinstance(block, Table):
            for row in _docx_rows(block):
                rows.append(replace(row, number=len(rows) + 1))
    # No table: a list-style plan, its paragraphs are all in the preamble.
    return SourceTable(rows=tuple(rows), preamble=tuple(preamble))


def _docx_rows(table: Table) -> list[SourceRow]:
    """A Word table's rows (numbered from 1), merged spans emptied after their first cell."""
    result: list[SourceRow] = []
    above: list[object] = []  # the row above's <w:tc> per grid column (kept alive: see below)
    for number, row in enumerate(table.rows, start=1):
        cells = [None] * row.grid_cols_before + list(row.cells)
        # lxml hands out one Python proxy per XML element while a reference to it lives,
        # so ``is`` tells whether two grid positions are the same <w:tc>.
        tcs = [cell._tc if cell is not None else None for cell in cells]
        texts: list[str] = []
        continues: list[str] = []
        for col, (cell, tc) in enumerate(zip(cells, tcs, strict=True)):
            text = continued = ""
            if cell is None or (col > 0 and tcs[col - 1] is tc):
                pass  # no cell here, or a horizontal span: the text is in its first column
            elif col < len(above) and above[col] is tc:
                continued = cell.text  # a vertical merge: the text is in its first row
            else:
                text = cell.text
            texts.append(text)
            continues.append(continued)
        above = tcs
        result.append(SourceRow(number, tuple(texts), tuple(continues) if any(continues) else ()))
    return result


# ---------------------------------------------------------------------- Excel
def read_xlsx(path: Path) -> list[SourceTable]:
    """Read every non-empty worksheet of an Excel workbook (.xlsx).

    Merged ranges keep their value in the top-left cell (openpyxl leaves the others
    empty). Formulas give their last computed value. Numbers that are whole read as
    ``1`` rather than ``1.0``; dates read as ``2023年6月30日``, which the deadline
    parser understands.

    Raises:
        PlanFormatError: the file is not an .xlsx workbook, or every sheet is empty.
    """
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        # Not read_only: merged ranges are only known to a fully loaded sheet.
        workbook = openpyxl.load_workbook(path, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, TypeError) as error:
        raise _not_readable("Excel（.xlsx）", error) from error
    tables = []
    for sheet in workbook.worksheets:
        # Merged ranges: cells below the top row of a range continue its top-left value.
        continued: dict[tuple[int, int], str] = {}
        for merged in sheet.merged_cells.ranges:
            if merged.min_col != merged.max_col:
                continue  # a horizontal span continues nothing
            value = _excel_text(sheet.cell(merged.min_row, merged.min_col).value)
            for r in range(merged.min_row + 1, merged.max_row + 1):
                continued[(r, merged.min_col)] = value
        rows = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = tuple(_excel_text(value) for value in values)
            continues = tuple(continued.get((number, col), "") for col in range(1, len(cells) + 1))
            rows.append(SourceRow(number, cells, continues if any(continues) else ()))
        if any(any(c.strip() for c in row.cells) for row in rows):
            tables.append(SourceTable(rows=tuple(rows), name=sheet.title))
    workbook.close()
    if not tables:
        raise PlanFormatError(0, f"「{path.name}」的工作表都是空的")
    return tables


def _excel_text(value: object) -> str:
    """A cell's value as the clerk sees it in the sheet."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime) and value.time() == time(0):
        value = value.date()
    if isinstance(value, date) and not isinstance(value, datetime):
        return f"{value.year}年{value.month}月{value.day}日"
    return str(value)


# ---------------------------------------------------------------------- CSV
def read_csv(path: Path) -> SourceTable:
    """Read a CSV file: UTF-8 (with or without BOM) or GB18030, comma- or tab-separated.

    Raises:
        PlanFormatError: the file is in neither encoding, or is not valid CSV.
    """
    text = decode_plan_bytes(Path(path).read_bytes())

    # Excel writes commas ("CSV") or tabs ("Unicode 文本"): the one that splits more of
    # the first lines into three cells or more is the separator.
    def table_like(dialect: type[csv.Dialect]) -> int:
        head = io.StringIO(text[:50000], newline="")
        try:
            return sum(len(r) >= 3 for r in itertools.islice(csv.reader(head, dialect), 30))
        except csv.Error:
            return 0

    dialect = max((csv.excel, csv.excel_tab), key=table_like)
    rows: list[SourceRow] = []
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        for record in reader:
            rows.append(SourceRow(len(rows) + 1, tuple(record)))
    except csv.Error as error:
        raise PlanFormatError(len(rows) + 1, f"不是有效的 CSV：{error}") from error
    return SourceTable(rows=tuple(rows))
