"""The 工作台账 as a file: export it as xlsx or csv, and import what units filled in.

The parts:

* :mod:`~tracker.ledger.layout`: what export and import agree on (columns, header row,
  sheets) and :class:`LedgerError`;
* :mod:`~tracker.ledger.export`: building the ledger and writing it (:func:`export_ledger`);
* :mod:`~tracker.ledger.styling`: the xlsx's fonts, column widths, colours and print setup;
* :mod:`~tracker.ledger.importing`: reading a returned ledger, checking it and applying
  it (:func:`import_ledger`, :func:`check_import`, :func:`apply_import`).

The names used elsewhere are re-exported here. Nothing here knows about the terminal.
"""

from __future__ import annotations

from tracker.ledger.export import (
    Ledger,
    LedgerRow,
    UnitLedgerRow,
    build_ledger,
    csv_cell,
    day_label,
    export_ledger,
    help_lines,
    subtitle_text,
    unit_csv_path,
    updated_label,
    warning_word,
    write_csv,
    write_unit_csv,
    write_xlsx,
)
from tracker.ledger.importing import (
    LISTED,
    Formulas,
    ImportResult,
    LedgerSheet,
    PlannedChange,
    Refusal,
    SheetRow,
    apply_import,
    check_import,
    describe_import,
    import_ledger,
    read_ledger_file,
)
from tracker.ledger.layout import (
    FORMATS,
    HEADER_ROW,
    HELP_SHEET_TITLE,
    ID_COLUMN,
    LEDGER_COLUMNS,
    OFFICE_COLUMNS,
    PRINTED_COLUMNS,
    SHEET_TITLE,
    UNIT_SHEET_COLUMNS,
    UNIT_SHEET_TITLE,
    UNITS_DONE_COLUMN,
    LedgerError,
)
from tracker.ledger.styling import (
    BODY_SIZE,
    CENTERED,
    COLUMN_WIDTHS,
    EXCEL_CELL_LIMIT,
    FONT_NAME,
    LINE_HEIGHT,
    WARNING_FILLS,
    excel_text,
    text_width,
    wrapped_lines,
)

__all__ = [
    "BODY_SIZE",
    "CENTERED",
    "COLUMN_WIDTHS",
    "EXCEL_CELL_LIMIT",
    "FONT_NAME",
    "FORMATS",
    "HEADER_ROW",
    "HELP_SHEET_TITLE",
    "ID_COLUMN",
    "LEDGER_COLUMNS",
    "LINE_HEIGHT",
    "LISTED",
    "OFFICE_COLUMNS",
    "PRINTED_COLUMNS",
    "SHEET_TITLE",
    "UNITS_DONE_COLUMN",
    "UNIT_SHEET_COLUMNS",
    "UNIT_SHEET_TITLE",
    "WARNING_FILLS",
    "Formulas",
    "ImportResult",
    "Ledger",
    "LedgerError",
    "LedgerRow",
    "LedgerSheet",
    "PlannedChange",
    "Refusal",
    "SheetRow",
    "UnitLedgerRow",
    "apply_import",
    "build_ledger",
    "check_import",
    "csv_cell",
    "day_label",
    "describe_import",
    "excel_text",
    "export_ledger",
    "help_lines",
    "import_ledger",
    "read_ledger_file",
    "subtitle_text",
    "text_width",
    "unit_csv_path",
    "updated_label",
    "warning_word",
    "wrapped_lines",
    "write_csv",
    "write_unit_csv",
    "write_xlsx",
]
