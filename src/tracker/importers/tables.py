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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING

from tracker.importers.parser import PlanFormatError
from tracker.importers.vet import (
    MAX_PARAGRAPHS,
    MAX_ROWS,
    FileRefused,
    SheetExtent,
    damaged,
    read_text,
    too_large,
    vet_docx,
    vet_xlsx,
)

if TYPE_CHECKING:
    from docx.table import Table
    from lxml import etree


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


@contextmanager
def _reading(path: Path) -> Iterator[None]:
    """Turn every failure of reading an outside file into a :class:`PlanFormatError`.

    python-docx and openpyxl raise whatever their parsers meet (XML, zip, value and index
    errors from crafted files); the file is checked first (:mod:`tracker.importers.vet`),
    and whatever still fails means the file is damaged, said so with the error's name.
    """
    try:
        yield
    except PlanFormatError:
        raise
    except FileRefused as refused:
        raise PlanFormatError(0, refused.reason) from refused
    except (MemoryError, RecursionError):
        raise
    except OSError:
        raise  # the file cannot be read at all: the caller says so
    except Exception as error:  # a third-party parser on untrusted bytes: see above
        raise PlanFormatError(0, damaged(error).reason) from error


_huge_parser: etree.XMLParser | None = None


def _allow_long_text() -> None:
    """Let python-docx read a paragraph longer than 10 MB.

    libxml2 refuses a text node over 10 000 000 bytes unless told the document is huge;
    python-docx parses with one module-level parser. :func:`vet_docx` has bounded the
    whole file (size, elements) before this parser sees it, so lifting libxml2's own
    per-node limits adds no risk. Done once, for the process.
    """
    global _huge_parser
    from docx.oxml import parser
    from lxml import etree

    if _huge_parser is None:
        _huge_parser = etree.XMLParser(
            remove_blank_text=True, resolve_entities=False, huge_tree=True
        )
        _huge_parser.set_element_class_lookup(parser.element_class_lookup)
    parser.oxml_parser = _huge_parser


# ---------------------------------------------------------------------- Word
def read_docx(path: Path) -> SourceTable:
    """Read the tables of a Word document (.docx) as one table.

    Several tables (a table split at a page) are read one after another. Vertically and
    horizontally merged cells give their text once, at the top-left; python-docx repeats
    a merged cell's text over its span, so a cell whose underlying ``<w:tc>`` is the one
    above or to the left of it is read as empty.

    Raises:
        PlanFormatError: the file is not a .docx (what it is, if known), is damaged or
            exceeds a limit of :mod:`tracker.importers.vet`. A document without a table
            gives no rows and all its paragraphs (a list-style plan).
    """
    path = Path(path)
    with _reading(path):
        vet_docx(path)
        import docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph

        _allow_long_text()
        document = docx.Document(str(path))
        preamble: list[str] = []
        rows: list[SourceRow] = []
        for block in document.iter_inner_content():
            if isinstance(block, Paragraph):
                if not rows:
                    preamble.append(block.text)
                    if len(preamble) > MAX_PARAGRAPHS:
                        raise too_large(
                            "Word 文档的段落数", f"超过 {MAX_PARAGRAPHS} 段", f"{MAX_PARAGRAPHS} 段"
                        )
            elif isinstance(block, Table):
                for row in _docx_rows(block):
                    rows.append(replace(row, number=len(rows) + 1))
                if len(rows) > MAX_ROWS:
                    raise too_large("Word 表格的行数", f"超过 {MAX_ROWS} 行", f"{MAX_ROWS} 行")
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

    Each sheet is read up to its last row and column holding a value (measured by
    :func:`vet_xlsx`, which also refuses damaged and oversized files). Merged ranges
    keep their value in the top-left cell, the others read as empty. Formulas give
    their last computed value. Numbers that are whole read as ``1`` rather than
    ``1.0``; dates read as ``2023年6月30日``, which the deadline parser understands.

    Raises:
        PlanFormatError: the file is not an .xlsx workbook (what it is, if known), is
            damaged, exceeds a limit, or every sheet is empty.
    """
    path = Path(path)
    tables = []
    with _reading(path):
        extents = vet_xlsx(path)
        import openpyxl

        # Read-only: rows stream from the file; merged ranges come from the vetting pass
        # (a fully loaded sheet would create a cell object for every merged cell).
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            for sheet in workbook.worksheets:
                extent = extents.get(sheet._worksheet_path)  # type: ignore[union-attr]
                if extent is None:
                    raise FileRefused(f"工作表「{sheet.title}」不在文件的目录中，文件已损坏")
                rows = _sheet_rows(sheet, extent)
                if any(any(c.strip() for c in row.cells) for row in rows):
                    tables.append(SourceTable(rows=tuple(rows), name=sheet.title))
        finally:
            workbook.close()
    if not tables:
        raise PlanFormatError(0, f"「{path.name}」的工作表都是空的")
    return tables


def _sheet_rows(sheet: object, extent: SheetExtent) -> list[SourceRow]:
    """A worksheet's rows up to its extent, merged ranges applied."""
    if not extent.max_row:
        return []
    grid = [
        [_excel_text(value) for value in values]
        for values in sheet.iter_rows(  # type: ignore[attr-defined]
            min_row=1, max_row=extent.max_row, max_col=extent.max_col, values_only=True
        )
    ]
    continues: dict[int, list[str]] = {}
    # vet_xlsx clipped the ranges to the extent and refused overlapping ones, so this
    # visits each cell at most once.
    for top, left, bottom, right in extent.merged:
        value = grid[top - 1][left - 1]
        for r in range(top, bottom + 1):
            for c in range(left, right + 1):
                if (r, c) != (top, left):
                    grid[r - 1][c - 1] = ""
            if left == right and r > top:  # cells below continue a vertical merge
                continues.setdefault(r, [""] * extent.max_col)[left - 1] = value
    return [
        SourceRow(number, tuple(cells), tuple(continues[number]) if number in continues else ())
        for number, cells in enumerate(grid, start=1)
    ]


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
    """Read a CSV file: UTF-8 (with or without BOM), GB18030 or UTF-16 with a BOM
    (Excel's 「Unicode 文本」); comma- or tab-separated.

    Raises:
        PlanFormatError: the file is in none of these encodings, is not valid CSV, is
            another kind of file, or exceeds :data:`MAX_TEXT_BYTES` or :data:`MAX_ROWS`.
    """
    path = Path(path)
    with _reading(path):
        records = split_csv(read_text(path, ".csv"))
    return SourceTable(
        rows=tuple(SourceRow(number, tuple(r)) for number, r in enumerate(records, start=1))
    )


def split_csv(text: str) -> list[list[str]]:
    """Split CSV text into records: comma- or tab-separated, whichever fits.

    Raises:
        FileRefused: more than :data:`MAX_ROWS` records (found without reading further).
        PlanFormatError: not valid CSV (the record at fault as its line).
    """

    # Excel writes commas ("CSV") or tabs ("Unicode 文本"): the one that splits more of
    # the first lines into three cells or more is the separator.
    def table_like(dialect: type[csv.Dialect]) -> int:
        head = io.StringIO(text[:50000], newline="")
        try:
            return sum(len(r) >= 3 for r in itertools.islice(csv.reader(head, dialect), 30))
        except csv.Error:
            return 0

    dialect = max((csv.excel, csv.excel_tab), key=table_like)
    records: list[list[str]] = []
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        for record in reader:
            if len(records) == MAX_ROWS:
                raise too_large("CSV 的行数", f"超过 {MAX_ROWS} 行", f"{MAX_ROWS} 行")
            records.append(record)
    except csv.Error as error:
        raise PlanFormatError(len(records) + 1, f"不是有效的 CSV：{error}") from error
    return records
