"""What the ledger's export and import agree on: its columns, header row and sheets.

Nothing here knows about the terminal.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from tracker.errors import BadFile

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
UNITS_DONE_COLUMN = "单位完成情况"
"""The office ledger's column beside 状态: units done / units responsible (``3/5``)."""
OFFICE_COLUMNS = (
    *LEDGER_COLUMNS[: LEDGER_COLUMNS.index("状态") + 1],
    UNITS_DONE_COLUMN,
    *LEDGER_COLUMNS[LEDGER_COLUMNS.index("状态") + 1 :],
)
"""The office's ledger (no unit): :data:`LEDGER_COLUMNS` with 单位完成情况 after 状态.
A unit's ledger (``--unit``) keeps :data:`LEDGER_COLUMNS`: its 状态 is its own."""
UNIT_SHEET_TITLE = "分单位"
"""The office ledger's second worksheet: one row per (item, responsible unit)."""
UNIT_SHEET_COLUMNS = ("序号", "工作任务", "单位", "角色", "状态", "进展情况", "最后更新", "更新人")
"""The 分单位 sheet's columns. 工作任务 is the item's 具体内容, shortened (the sheet
has no 具体内容 header, so a returned ledger is never read from it)."""
UNIT_SHEET_SUFFIX = "-分单位"
"""A CSV has one sheet: the 分单位 part is written beside it as ``<name>-分单位.csv``."""


def printed_columns(columns: tuple[str, ...]) -> int:
    """How many of ``columns`` are printed: up to 预警 (see :data:`PRINTED_COLUMNS`)."""
    return columns.index("预警") + 1


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

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""A CSV cell starting with one of these would be read by Excel as a formula."""


class LedgerError(BadFile):
    """A ledger file could not be written or read; the message is for the clerk."""


class Frozen(BaseModel):
    """A record of the ledger: immutable once made."""

    model_config = ConfigDict(frozen=True)
