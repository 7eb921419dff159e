"""Import a 分工表 from the files it really arrives as: Word, Excel, CSV or the text dump.

:func:`read_plan` picks the reader by the file's extension. Word (.docx), Excel
(.xlsx) and CSV files are read as rows of cells (:mod:`tracker.importers.tables`) and
their layout is recognised from the header (:mod:`tracker.importers.layout`); the text
dump (.txt) goes to :mod:`tracker.importers.parser`. Every path ends in the same
:class:`~tracker.domain.models.Plan`, or in a
:class:`~tracker.importers.parser.PlanFormatError` that says
which row is wrong and why.
"""

from __future__ import annotations

from pathlib import Path

from tracker.domain.models import Plan
from tracker.importers.layout import UnrecognisedLayout, recognise
from tracker.importers.parser import PlanFormatError, parse_plan_text
from tracker.importers.tables import SourceRow, SourceTable, read_csv, read_docx, read_xlsx
from tracker.importers.vet import FileRefused, read_text

TABLE_SUFFIXES = (".docx", ".xlsx", ".csv")
"""The table formats read here."""
SUPPORTED_SUFFIXES = (".txt", *TABLE_SUFFIXES)
"""Every file type :func:`read_plan` accepts."""
_RESAVE = {
    ".doc": ".docx",
    ".wps": ".docx",
    ".xls": ".xlsx",
    ".et": ".xlsx",
    ".xlsm": ".xlsx",
}

__all__ = [
    "SUPPORTED_SUFFIXES",
    "TABLE_SUFFIXES",
    "SourceRow",
    "SourceTable",
    "UnrecognisedLayout",
    "read_plan",
    "read_table_plan",
    "recognise",
]


def read_plan(path: Path | str, year: int | None = None) -> Plan:
    """Read a plan from a .txt dump, a .docx, an .xlsx or a .csv file.

    A Word document without a table, and a text file without the dump's tab-indented
    cells, are read as list-style plans (:mod:`tracker.importers.listplan`). ``year`` is
    the plan's year when the file names none (``--year``).

    Raises:
        PlanFormatError: the file is not a plan this importer understands (an
            unsupported type included); ``line`` is the row (or line) at fault.
        OSError: the file cannot be read at all.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in TABLE_SUFFIXES:
        return read_table_plan(path, year)
    if suffix == ".txt" or suffix == "":
        try:
            text = read_text(path, ".txt")
        except FileRefused as refused:
            raise PlanFormatError(0, refused.reason) from refused
        return parse_plan_text(text, source=path.name, year=year)
    advice = f"请在 Word/WPS/Excel 中另存为 {_RESAVE[suffix]} 后再导入" if suffix in _RESAVE else ""
    raise PlanFormatError(
        0,
        f"不支持的文件类型「{path.suffix}」：可导入 {'、'.join(SUPPORTED_SUFFIXES)}"
        + (f"；{advice}" if advice else ""),
    )


def read_table_plan(path: Path, year: int | None = None) -> Plan:
    """Read a plan from a Word, Excel or CSV table (by the file's extension).

    A workbook's sheets are tried in order; the first with a recognised header is the
    plan. When none has one, the error shows the first sheet's likeliest header.

    Raises:
        PlanFormatError: as for :func:`read_plan`.
    """
    suffix = path.suffix.lower()
    if suffix == ".docx":
        return recognise(read_docx(path), source=path.name, year=year)
    if suffix == ".csv":
        return recognise(read_csv(path), source=path.name, year=year)
    sheets = read_xlsx(path)
    first_error: UnrecognisedLayout | None = None
    for sheet in sheets:
        try:
            return recognise(sheet, source=path.name, year=year)
        except UnrecognisedLayout as error:
            first_error = first_error or error
        except PlanFormatError as error:
            if len(sheets) > 1:
                reason = f"工作表「{sheet.name}」{error.reason}"
                raise PlanFormatError(error.line, reason) from error
            raise
    assert first_error is not None
    if len(sheets) > 1:
        raise UnrecognisedLayout(
            first_error.line, f"工作表「{sheets[0].name}」{first_error.reason}"
        ) from first_error
    raise first_error
