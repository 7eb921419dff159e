"""Parse a 分工表 exported from Word as text into a :class:`~tracker.domain.models.Plan`.

The format (see the domain notes): a preamble (``附件``, then the title), then table
rows separated by blank lines, one cell per line, each cell line starting with a tab.
Vertically merged cells are empty below their first row, the category row is
repeated after a page break, the header's 重点工作任务 cell spans two body columns
(the key task's title and the item's content), and stray trailing cells occur.

Cell text is kept exactly as written; only comparisons (header names, repeated
category rows) use a normalised form, so ``工 作 任 务`` and full-width digits match.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from tracker.domain.models import Category, Item, KeyTask, Plan
from tracker.errors import BadFile

BODY_COLUMNS = ("序号", "工作任务", "重点工作任务", "具体内容", "责任单位", "完成时限")
"""The six body columns, in order."""

_HEADER_5 = ("序号", "工作任务", "重点工作任务", "责任单位", "完成时限")
_HEADER_6 = BODY_COLUMNS
_YEAR = re.compile(r"(\d{4})\s*年")
_ATTACHMENT = re.compile(r"^附件\s*\d*$")
# Only CR/LF end a line: str.splitlines() would also split a cell at \x0b, \x0c, \x1c-\x1e,
# \x85, U+2028 and U+2029, which can occur inside a cell's text (e.g. Word's manual breaks).
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class PlanFormatError(BadFile, ValueError):
    """The file is not a 分工表 this parser understands.

    Attributes:
        line: The 1-based line the problem was found on (0 when it concerns the whole file).
        reason: What was found and what was expected, in Chinese.
    """

    def __init__(self, line: int, reason: str) -> None:
        self.line = line
        self.reason = reason
        where = f"第 {line} 行：" if line else ""
        super().__init__(f"{where}{reason}")


def normalise(text: str) -> str:
    """The comparison form of a cell: NFKC, with every kind of whitespace removed."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def is_blank(text: str) -> bool:
    """Whether a cell holds nothing but whitespace (NBSP and full-width space included)."""
    stripped = text.strip()
    if not stripped:
        return True  # every whitespace character's NFKC form is whitespace
    first = stripped[0]
    if "\u4e00" <= first <= "\u9fff" or (first.isascii() and first.isalnum()):
        # A CJK ideograph or ASCII letter/digit survives NFKC (the common case: no
        # need to normalise the whole cell to know it is not blank).
        return False
    return not normalise(text)


@dataclass
class _Row:
    line: int
    cells: list[str] = field(default_factory=list)


def decode_plan_bytes(raw: bytes) -> str:
    """Decode a plan file: UTF-8 (with or without BOM), else GB18030 (Chinese Windows).

    Raises:
        PlanFormatError: when neither encoding fits.
    """
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as utf8_error:
        try:
            return raw.decode("gb18030")
        except UnicodeDecodeError:
            line = raw[: utf8_error.start].count(b"\n") + 1
            raise PlanFormatError(
                line, "文件既不是 UTF-8 也不是 GBK/GB18030 编码的文本，无法读取"
            ) from utf8_error


def read_plan_file(path: Path, year: int | None = None) -> Plan:
    """Read and parse a plan file (``year``: the plan's year when the file names none).

    Raises:
        PlanFormatError: when the file cannot be read as a plan.
        OSError: when the file cannot be read at all.
    """
    text = decode_plan_bytes(Path(path).read_bytes())
    return parse_plan_text(text, source=Path(path).name, year=year)


def _split(text: str) -> tuple[list[tuple[int, str]], list[_Row]]:
    """Split the text into preamble lines and rows of cells."""
    preamble: list[tuple[int, str]] = []
    rows: list[_Row] = []
    current: _Row | None = None
    for number, raw in enumerate(_LINE_BREAK.split(text), start=1):
        if raw.startswith("\t"):
            if current is None:
                current = _Row(number)
                rows.append(current)
            current.cells.append(raw[1:])
        elif is_blank(raw):
            current = None  # a blank line ends the row (or is a stray trailing cell)
        elif current is not None:
            # A cell with several paragraphs: the continuation has no leading tab.
            current.cells[-1] += "\n" + raw
        elif rows:
            raise PlanFormatError(number, f"应为以制表符开头的单元格，实际为「{raw[:30]}」")
        else:
            preamble.append((number, raw))
    return preamble, rows


def _title_and_year(
    preamble: list[tuple[int, str]], year: int | None = None
) -> tuple[str, int | None]:
    candidates = [(n, s.strip()) for n, s in preamble if not _ATTACHMENT.match(normalise(s))]
    if not candidates:
        raise PlanFormatError(
            1, "文件开头应为分工表标题（如「2023年全区政务公开工作要点分工表」），未找到"
        )
    number, title = candidates[-1]
    match = _YEAR.search(unicodedata.normalize("NFKC", title))
    if not match:
        if year is not None:
            return title, None
        raise PlanFormatError(
            number,
            f"标题「{title}」中没有年份（如「2023年」）：请用 --year 指定，"
            "如 tracker import 文件 --year 2024",
        )
    return title, int(match.group(1))


def _is_header(row: _Row) -> bool:
    # Both headers start with 序号: a row whose first non-blank cell is anything else
    # (every body row) is rejected without normalising the rest.
    first = next((c for c in row.cells if not is_blank(c)), None)
    if first is None:
        return False
    lead = first.strip()[0]
    if lead != "序" and ("\u4e00" <= lead <= "\u9fff" or (lead.isascii() and lead.isalnum())):
        return False  # such a first character is kept by NFKC: not 序号
    if normalise(first) != _HEADER_5[0]:
        return False
    names = tuple(name for name in map(normalise, row.cells) if name)
    return names in (_HEADER_5, _HEADER_6)


def _body_cells(row: _Row) -> list[str]:
    cells = list(row.cells)
    # Stray trailing cells (a last cell holding only a space) are dropped.
    while len(cells) > len(BODY_COLUMNS) and is_blank(cells[-1]):
        cells.pop()
    if len(cells) != len(BODY_COLUMNS):
        raise PlanFormatError(
            row.line,
            f"该行应有 {len(BODY_COLUMNS)} 个单元格（{'、'.join(BODY_COLUMNS)}），"
            f"实际为 {len(cells)} 个",
        )
    return cells


class _Builder:
    """Accumulates categories, key tasks and items while walking the rows."""

    def __init__(self) -> None:
        self.categories: list[tuple[str, str, list[tuple[str, list[Item]]]]] = []
        self.seen_categories: set[tuple[str, str]] = set()
        self.repeat_of_current = False

    def category(self, row: _Row, no: str, title: str) -> None:
        key = (normalise(no), normalise(title))
        if self.categories and key == (
            normalise(self.categories[-1][0]),
            normalise(self.categories[-1][1]),
        ):
            self.repeat_of_current = True  # repeated after a page break: same category
            return
        if key in self.seen_categories:
            raise PlanFormatError(
                row.line,
                f"工作任务「{no} {title.strip()}」在前面已出现过，且不紧接其后，无法判断归属",
            )
        self.seen_categories.add(key)
        self.categories.append((no, title, []))
        self.repeat_of_current = False

    def key_task(self, row: _Row, title: str) -> None:
        if not self.categories:
            raise PlanFormatError(row.line, "第一条任务之前应有工作任务（序号和名称），未找到")
        key_tasks = self.categories[-1][2]
        if self.repeat_of_current and key_tasks and normalise(key_tasks[-1][0]) == normalise(title):
            return  # the key task's title was repeated with its category
        key_tasks.append((title, []))

    def item(self, row: _Row, item: Item) -> None:
        if not self.categories:
            raise PlanFormatError(row.line, "第一条任务之前应有工作任务（序号和名称），未找到")
        key_tasks = self.categories[-1][2]
        if not key_tasks:
            raise PlanFormatError(
                row.line, "该行应填写重点工作任务名称（工作任务下的第一行），实际为空"
            )
        key_tasks[-1][1].append(item)
        self.repeat_of_current = False

    def build(self) -> tuple[Category, ...]:
        return tuple(
            Category(
                no=no,
                title=title,
                key_tasks=tuple(KeyTask(title=t, items=tuple(items)) for t, items in key_tasks),
            )
            for no, title, key_tasks in self.categories
        )


def parse_plan_text(text: str, source: str = "", year: int | None = None) -> Plan:
    """Parse the text dump of a 分工表, or the text of a list-style plan (no line begins
    with a tab: :mod:`tracker.importers.listplan`).

    Args:
        text: The whole file's text.
        source: Where it came from, kept with the plan.
        year: The plan's year when the text names none (``--year``).

    Returns:
        The plan, with its categories, key tasks and items in document order.

    Raises:
        PlanFormatError: naming the line and what was expected there.
    """
    numbered = list(enumerate(_LINE_BREAK.split(text), start=1))
    if not any(line.startswith("\t") for _, line in numbered):
        from tracker.importers.listplan import parse_list_plan

        return parse_list_plan(numbered, source, year)
    preamble, rows = _split(text)
    title, found = _title_and_year(preamble, year)
    if year is not None and found is not None and found != year:
        raise PlanFormatError(0, f"文件中的年份为 {found} 年，与指定的 --year {year} 不符")
    year = found if found is not None else year
    assert year is not None
    header_at = next((i for i, row in enumerate(rows) if _is_header(row)), None)
    if header_at is None:
        first = rows[0].line if rows else (preamble[-1][0] + 1 if preamble else 1)
        raise PlanFormatError(first, f"应有表头「{' | '.join(_HEADER_5)}」，未找到")
    for row in rows[:header_at]:
        raise PlanFormatError(row.line, "表头之前应只有标题，实际出现了表格行")

    builder = _Builder()
    for row in rows[header_at + 1 :]:
        if all(is_blank(c) for c in row.cells):
            continue
        if _is_header(row):
            continue  # a header repeated after a page break
        no, category, key_task, content, units, deadline = _body_cells(row)
        if not is_blank(no) or not is_blank(category):
            if is_blank(category):
                raise PlanFormatError(
                    row.line, f"序号为「{no.strip()}」的行应填写工作任务名称，实际为空"
                )
            builder.category(row, no, category)
        if not is_blank(key_task):
            builder.key_task(row, key_task)
        if is_blank(content):
            raise PlanFormatError(row.line, "该行应填写具体任务内容（第 4 个单元格），实际为空")
        builder.item(
            row, Item(content=content, units_text=units, deadline_text=deadline, line=row.line)
        )

    categories = builder.build()
    if not any(k.items for c in categories for k in c.key_tasks):
        raise PlanFormatError(rows[header_at].line, "表头之后应有任务行，未找到")
    return Plan(title=title, year=year, source=source, categories=categories)
