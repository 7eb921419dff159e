"""The xlsx ledger's look: fonts, column widths, warning colours, text and print setup.

Nothing here knows about the terminal.
"""

from __future__ import annotations

import math
import unicodedata

from tracker.domain.deadlines import DueWarning

COLUMN_WIDTHS = {
    "序号": 6,
    "工作任务": 8,
    "重点工作任务": 11,
    "具体内容": 34,
    "责任单位": 16,
    "完成时限": 9,
    "状态": 8.5,
    "单位完成情况": 7,
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
    {
        "序号",
        "工作任务",
        "重点工作任务",
        "完成时限",
        "状态",
        "更新时间",
        "更新人",
        "预警",
        "单位完成情况",
        "角色",
        "最后更新",
    }
)
"""Columns whose text is centred (short values and the merged labels)."""
UNIT_SHEET_WIDTHS = {
    "序号": 6,
    "工作任务": 30,
    "单位": 16,
    "角色": 6,
    "状态": 8.5,
    "进展情况": 43,
    "最后更新": 10,
    "更新人": 7,
}
"""The 分单位 sheet's column widths (printed whole: about as wide as the main sheet)."""
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


OFFICE_NARROWER = {"具体内容": 4, "进展情况": 3}
"""The office's ledger makes room for 单位完成情况 (7) by narrowing the wide columns
(their text wraps), so its printed columns still add up to about 127."""


def column_widths(columns: tuple[str, ...]) -> dict[str, float]:
    """The widths of a ledger's columns (:data:`COLUMN_WIDTHS`, the office's narrowed)."""
    narrower = OFFICE_NARROWER if "单位完成情况" in columns else {}
    return {name: COLUMN_WIDTHS[name] - narrower.get(name, 0) for name in columns}


def print_setup(sheet, landscape: bool) -> None:
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


def set_text(cell, text: str) -> None:
    # Always a string cell: openpyxl would store "=..." as a formula.
    cell.value = excel_text(text)
    cell.data_type = "s"
