"""Recognise the layout of a 分工表 table and build a :class:`~tracker.domain.models.Plan` from it.

Districts lay the same table out differently (see the domain notes). The recogniser
finds the header row by the usual column names, compared in their normalised form
(``工 作 任 务`` matches), and maps each column to a role:

============  =====================================================================
role          header names
============  =====================================================================
序号          序号, 编号
category      工作任务, 重点工作, 主要任务, 任务类别, 工作类别, 类别
task text     重点工作任务, 工作内容, 具体任务, 具体要求, 任务内容, 具体内容, 工作要求, ...
units         责任单位, 责任部门, 责任主体, 承办单位; 牵头单位/牵头部门; 配合单位/配合部门
deadline      完成时限, 时限, 完成时间, 时间节点, 时限要求, 完成期限; else 备注
============  =====================================================================

A header cell followed by empty header cells spans them (Word's and Excel's merged
header: the seed's 重点工作任务 covers the key task's title and the item's content).
A second header row made only of known names refines the first (责任单位 over
牵头单位 | 配合单位). The category and task-text columns, left to right, then give:

- three columns: category, key task, item content (the seed; or 重点工作任务 | 具体要求);
- two columns: key task and content under category rows (``一、…`` alone on a row),
  or, without such rows, category and content, each category holding one key task of
  the same title;
- one column: the content, under category rows (``一、…``) and key-task rows (a second
  numbering style, ``（一）…``).

The 序号 column gives a category's number when it is filled exactly where categories
start (before or after the category column); otherwise it numbers rows and is ignored,
and the number comes from the category's own ``一、``/``（一）``/``1.`` prefix (moved
into :attr:`Category.no`, out of the title) or, failing that, its position.

Cells keep their text exactly; merged cells are empty below their first row, and a
category or key task repeated on the next row (filled down, or repeated after a page
break) continues the same one. A content cell with numbered sub-items (``1.…2.…``,
``1、``, ``（1）``) becomes one item per sub-item, sharing the row's units and deadline.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path

from tracker.domain.models import Category, Item, KeyTask, Plan
from tracker.importers.parser import PlanFormatError, is_blank, normalise
from tracker.importers.tables import SourceRow, SourceTable


class Role(StrEnum):
    """What a column holds."""

    NO = "no"
    CATEGORY = "category"
    TASK = "task"
    UNITS = "units"
    LEAD = "lead"
    PARTNER = "partner"
    DEADLINE = "deadline"
    REMARKS = "remarks"


HEADER_NAMES: dict[Role, tuple[str, ...]] = {
    Role.NO: ("序号", "编号"),
    Role.CATEGORY: (
        "工作任务",
        "重点工作",
        "主要任务",
        "任务类别",
        "工作类别",
        "类别",
        "分类",
        "目标任务",
        "工作目标",
    ),
    Role.TASK: (
        "重点工作任务",
        "工作内容",
        "具体任务",
        "具体要求",
        "任务内容",
        "具体内容",
        "工作要求",
        "主要内容",
        "工作措施",
        "具体措施",
        "任务要求",
        "任务分解",
        "具体工作要求",
        "具体工作任务",
        "重点任务",
        "工作事项",
        "事项",
        "任务",
        "具体工作",
    ),
    Role.UNITS: (
        "责任单位",
        "责任部门",
        "责任主体",
        "承办单位",
        "责任单位(部门)",
        "责任科室",
        "责任处室",
        "责任股室",
    ),
    Role.LEAD: ("牵头单位", "牵头部门", "牵头责任单位", "牵头科室", "牵头处室"),
    Role.PARTNER: ("配合单位", "配合部门", "协办单位", "参与单位"),
    Role.DEADLINE: ("完成时限", "时限", "完成时间", "时间节点", "时限要求", "完成期限", "时间要求"),
    Role.REMARKS: ("备注",),
}
"""The header names recognised, in normalised form, by the role of their column."""

UNIT_LABELS = {Role.UNITS: "责任单位", Role.LEAD: "牵头单位", Role.PARTNER: "配合单位"}
"""How separate unit columns are labelled when joined into one 责任单位 text (the units
parser reads ``牵头单位：X；配合单位：Y``)."""

_BY_NAME = {name: role for role, names in HEADER_NAMES.items() for name in names}
_UNIT_WORDS = ("单位", "科室", "处室", "股室", "部门")
"""A header containing one of these names a unit column (责任单位（部门）, 配合科室…)."""
_LEAD_WORDS = ("牵头", "主责")
_PARTNER_WORDS = ("配合", "协办", "协助", "参与")
_DEADLINE_WORDS = ("时限", "完成时间", "时间节点", "完成期限", "时间要求")
_TEXT_ROLES = (Role.CATEGORY, Role.TASK)
_UNIT_ROLES = (Role.UNITS, Role.LEAD, Role.PARTNER)
_TAIL_NOTE = re.compile(r"[(（][^()（）]*[)）]$")
_HEADER_SEARCH_ROWS = 30
"""How far down the header is looked for (title rows and notes come first)."""

_CN_DIGITS = "一二三四五六七八九十百零〇"
_NUMBERING = re.compile(
    rf"^\s*(?:(?P<cn>[{_CN_DIGITS}]+)\s*[、.．]"
    rf"|[（(]\s*(?P<cn_paren>[{_CN_DIGITS}]+)\s*[)）]"
    r"|(?P<num>\d{1,3})\s*(?:[、．]|\.(?!\d))"
    r"|[（(]\s*(?P<num_paren>\d{1,3})\s*[)）])\s*"
)
_SUB_ITEM = re.compile(
    r"(?:(?P<dot>\d{1,2})\s*[.．](?!\d)|(?P<comma>\d{1,2})\s*、|[（(]\s*(?P<paren>\d{1,2})\s*[)）])"
)
_SUB_ITEM_BOUNDARY = frozenset("。；;！!？?，,：:")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
_FILE_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_ATTACHMENT = re.compile(r"^附件\d*[:：]?$")
_PLAN_WORDS = ("分工", "要点", "任务", "清单", "台账", "方案", "计划", "安排", "分解")
_NOTICE = re.compile(r"关于印发|印发给|的通知$|^各.*[:：]$")
_DOC_NUMBER = re.compile(r"[〔\[［【(（]\s*(?:19|20)\d{2}\s*[〕\]］】)）]\s*\d+\s*号")
_ISSUE_DATE = re.compile(r"^(?P<y>(?:19|20)\d{2})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日$")


class UnrecognisedLayout(PlanFormatError):
    """No row of the table is a header this importer knows; the reason shows the row
    that looked most like one."""


# ---------------------------------------------------------------------- small parts
def header_role(text: str) -> Role | None:
    """The role a header cell names, or None (``责任单位（部门）`` counts as 责任单位)."""
    key = normalise(text)
    if key in _BY_NAME:
        return _BY_NAME[key]
    bare = _TAIL_NOTE.sub("", key)
    if bare in _BY_NAME:
        return _BY_NAME[bare]
    if not bare or len(bare) > 12:
        return None  # a sentence, not a header
    if any(word in bare for word in _UNIT_WORDS) and "人" not in bare:
        if any(word in bare for word in _LEAD_WORDS):
            return Role.LEAD
        if any(word in bare for word in _PARTNER_WORDS):
            return Role.PARTNER
        return Role.UNITS
    if any(word in bare for word in _DEADLINE_WORDS):
        return Role.DEADLINE
    return None


def split_numbering(text: str) -> tuple[str | None, str, str | None]:
    """Split a heading's number from its text.

    ``一、加大主动公开力度`` → ``("一", "加大主动公开力度", "cn")``; ``（一）…`` gives style
    ``cn_paren``, ``1.…``/``1、…`` ``num``, ``（1）…`` ``num_paren``; text without a number
    is returned whole with no number and no style.
    """
    match = _NUMBERING.match(text)
    if match is None or not text[match.end() :].strip():
        return None, text, None
    style = match.lastgroup
    assert style is not None
    return match.group(style), text[match.end() :], style


def split_sub_items(text: str) -> list[str]:
    """Split a cell holding numbered sub-items (``1.… 2.…``, ``1、…``, ``（1）…``).

    The cell must start with number 1; the numbers that follow must count up in the
    same style and stand at the start of a line or after a space or punctuation
    (``。；，：``), so ``1.5亿元`` and ``第1、2季度`` are not split. Each part keeps its
    number and its text as written, without the whitespace around it.

    Returns:
        The parts; ``[text]`` unchanged when the cell is not a numbered list.
    """
    start = len(text) - len(text.lstrip())
    first = _SUB_ITEM.match(text, start)
    if first is None or first.lastgroup is None or int(first.group(first.lastgroup)) != 1:
        return [text]
    style = first.lastgroup
    starts = [start]
    expected = 2
    for match in _SUB_ITEM.finditer(text, first.end()):
        if match.lastgroup != style or int(match.group(style)) != expected:
            continue
        before = text[match.start() - 1]
        if before.isspace() or before in _SUB_ITEM_BOUNDARY:
            starts.append(match.start())
            expected += 1
    if len(starts) < 2:
        return [text]
    ends = [*starts[1:], len(text)]
    return [part for a, b in zip(starts, ends, strict=True) if (part := text[a:b].strip())]


def _title_candidate(line: str) -> bool:
    """Whether a line above the plan may be its title: not a covering notice (关于印发…的通知),
    a document number (〔2023〕2号), an addressee line, a sentence or a date."""
    text = unicodedata.normalize("NFKC", line).strip()
    return not (
        _NOTICE.search(text)
        or _DOC_NUMBER.search(text)
        or _ISSUE_DATE.match(normalise(text))
        or text.endswith(("。", ":", ";", ","))
        or len(text) > 60
    )


def title_and_year(lines: list[str], source: str, year: int | None = None) -> tuple[str, int]:
    """The plan's title and year from the lines above its table (or its list), else the
    file name, else the year given (``--year``).

    The title is the first line with a year (preferring one that names the plan:
    分工表, 要点, 任务清单, ...); ``附件`` lines, covering notices (关于印发…的通知), document
    numbers, addressees and sentences are skipped. Without a dated line the year comes
    from the file name (``2023-分工表.xlsx``) or ``year``, and the title is the first line
    naming the plan, else the last line, else the file name.

    Raises:
        PlanFormatError: when no year is found anywhere and none is given, or the year
            given differs from the one the file names.
    """
    candidates = [
        line.strip()
        for line in lines
        if not is_blank(line) and not _ATTACHMENT.match(normalise(line)) and _title_candidate(line)
    ]
    dated = [c for c in candidates if _YEAR.search(unicodedata.normalize("NFKC", c))]
    named = [c for c in dated if any(word in c for word in _PLAN_WORDS)]
    found: int | None = None
    if dated:
        title = (named or dated)[0]
        match = _YEAR.search(unicodedata.normalize("NFKC", title))
        assert match is not None
        found = int(match.group(1))
    else:
        titled = [c for c in candidates if any(word in c for word in _PLAN_WORDS)]
        title = (titled or candidates[-1:] or [Path(source).stem])[0]
        match = _FILE_YEAR.search(unicodedata.normalize("NFKC", Path(source).stem))
        if match is not None:
            found = int(match.group(1))
    if found is not None and year is not None and found != year:
        raise PlanFormatError(
            0, f"文件中的年份为 {found} 年，与指定的 --year {year} 不符；未导入任何内容"
        )
    if found is None and year is None:
        raise PlanFormatError(
            0,
            "文件中未写明分工表的年份（标题和文件名中都没有）：请用 --year 指定，"
            "如 tracker import 文件 --year 2024（在应用中导入时会询问年份）",
        )
    return title, found if found is not None else year  # type: ignore[return-value]


def issue_date(lines: list[str]) -> date | None:
    """The date a plan was issued: a line holding only a date (``2023年3月28日``, the
    covering notice's signature), the first such line; None when there is none."""
    for line in lines:
        match = _ISSUE_DATE.match(normalise(line))
        if match:
            try:
                return date(int(match["y"]), int(match["m"]), int(match["d"]))
            except ValueError:
                continue
    return None


def _row_text(row: SourceRow) -> str:
    return " ".join(c.strip() for c in row.cells if not is_blank(c))


# ---------------------------------------------------------------------- the layout
@dataclass(frozen=True)
class Layout:
    """Which column holds what, found from the header."""

    header: SourceRow
    """The header row (its first row, when it has two)."""
    header_rows: int
    """1, or 2 when a second row refines the first (责任单位 over 牵头单位 | 配合单位)."""
    names: tuple[str, ...]
    """Each column's header name (a spanned column repeats its header's name)."""
    no: int | None
    category: int | None
    key_task: int | None
    content: int
    units: tuple[tuple[int, Role], ...]
    """The unit columns and their roles (责任单位, 牵头单位, 配合单位)."""
    deadline: int | None
    """完成时限, or 备注 when there is no deadline column."""
    sections: bool
    """Whether categories (and, with one text column, key tasks) come from rows holding
    a single heading (``一、…``) rather than from a column."""


_ROW_NUMBER = re.compile(r"^[(（]?\d{1,3}[)）]?[.、．]?$")


def _only_numbers(rows: tuple[SourceRow, ...], column: int) -> bool:
    """Whether a column's filled body cells are all row numbers (and there are some)."""
    filled = [normalise(_cell(r, column)) for r in rows if not is_blank(_cell(r, column))]
    filled = [f for f in filled if not _is_header_again_text(f)]
    return bool(filled) and all(_ROW_NUMBER.match(f) for f in filled)


def _is_header_again_text(text: str) -> bool:
    return header_role(text) is not None


def _missing(header: SourceRow, what: str) -> UnrecognisedLayout:
    """The error for a header that lacks a column: what is missing and what was found."""
    found = " | ".join(normalise(c) for c in header.cells if not is_blank(c))
    return UnrecognisedLayout(header.number, f"未找到「{what}」列；表头为：{found}")


def _header_at(rows: tuple[SourceRow, ...]) -> int | None:
    for index, row in enumerate(rows[:_HEADER_SEARCH_ROWS]):
        roles = {header_role(c) for c in row.cells if not is_blank(c)}
        if roles & set(_TEXT_ROLES) and roles & set(_UNIT_ROLES):
            return index
    return None


def _unrecognised(table: SourceTable, detail: str = "") -> UnrecognisedLayout:
    """The error for a table without a known header, showing the likeliest header row."""
    rows = [r for r in table.rows[:_HEADER_SEARCH_ROWS] if not all(is_blank(c) for c in r.cells)]
    if not rows:
        return UnrecognisedLayout(0, "表格是空的，未找到表头")

    def score(row: SourceRow) -> tuple[int, int]:
        known = sum(header_role(c) is not None for c in row.cells)
        return known, sum(not is_blank(c) for c in row.cells) >= 2

    best = max(rows, key=score)  # max keeps the first of equals
    found = " | ".join(c.strip() for c in best.cells if not is_blank(c))
    return UnrecognisedLayout(
        best.number,
        f"无法识别表头：{found}；应包含 工作任务/重点工作任务/责任单位/完成时限 等列{detail}",
    )


def find_layout(table: SourceTable) -> tuple[Layout, int]:
    """Find the header and map the columns.

    Returns:
        The layout and the index in ``table.rows`` of the first body row.

    Raises:
        UnrecognisedLayout: no header found, or one this importer cannot map.
    """
    rows = table.rows
    at = _header_at(rows)
    if at is None:
        # A header naming tasks but no units (or units but no tasks) says what it lacks.
        for row in rows[:_HEADER_SEARCH_ROWS]:
            found = {header_role(c) for c in row.cells if not is_blank(c)} - {None}
            if found & set(_TEXT_ROLES) and len(found) >= 2:
                raise _missing(row, "责任单位")
            if found & set(_UNIT_ROLES) and len(found) >= 2:
                raise _missing(row, "工作任务/具体要求")
        raise _unrecognised(table)
    header = rows[at]
    width = max(len(r.cells) for r in rows)
    names = [header.cells[i] if i < len(header.cells) else "" for i in range(width)]
    header_rows = 1
    if at + 1 < len(rows):
        sub = [c for c in rows[at + 1].cells]
        filled = [c for c in sub if not is_blank(c)]
        if filled and all(header_role(c) for c in filled):
            header_rows = 2
            for i, text in enumerate(sub):
                if not is_blank(text):
                    names[i] = text

    # A named header cell spans the empty header cells up to the next named one.
    roles: list[Role | None] = [header_role(n) for n in names]
    last_named = max(i for i, r in enumerate(roles) if r is not None)
    spanned = list(names)
    for i in range(1, last_named):
        if roles[i] is None and is_blank(names[i]) and roles[i - 1] is not None:
            roles[i] = roles[i - 1]
            spanned[i] = spanned[i - 1]

    # A text column holding only numbers is a 序号 under a spanning header (具体要求
    # over 序号 and the text): its numbers are not key tasks.
    body_rows = rows[at + header_rows :]
    for i, role in enumerate(roles):
        if role in _TEXT_ROLES and _only_numbers(body_rows, i):
            roles[i] = Role.NO
    text_columns = [i for i, r in enumerate(roles) if r in _TEXT_ROLES]
    if not text_columns:
        raise _missing(header, "工作任务/具体要求")
    units = tuple((i, r) for i, r in enumerate(roles) if r in _UNIT_ROLES)
    deadline = next((i for i, r in enumerate(roles) if r is Role.DEADLINE), None)
    if deadline is None:
        deadline = next((i for i, r in enumerate(roles) if r is Role.REMARKS), None)
    no = next((i for i, r in enumerate(roles) if r is Role.NO), None)
    if len(text_columns) > 3:
        raise _unrecognised(table, "（任务相关的列多于三列）")

    body = rows[at + header_rows :]
    content = text_columns[-1]
    # Which columns a heading row may use: anything but the content, units and deadline.
    data_columns = {content, *(i for i, _ in units), *([deadline] if deadline is not None else [])}
    # Heading rows lay the table out only if the body starts with one: a note merged
    # across the last row (注：…) is not a heading.
    first = next(
        (r for r in body if not all(is_blank(c) for c in r.cells) and not _is_header_again(r)),
        None,
    )
    sections = first is not None and _single_cell(first, data_columns) is not None

    category = key_task = None
    if len(text_columns) == 3:
        category, key_task = text_columns[0], text_columns[1]
        sections = False
    elif len(text_columns) == 2:
        if sections:
            key_task = text_columns[0]
        else:
            category = text_columns[0]
    elif not sections:
        raise PlanFormatError(
            header.number,
            f"表中只有任务内容一列（{normalise(names[content])}），"
            "也没有「一、…」这样的分类行，无法分出工作任务；请加上工作任务列",
        )
    layout = Layout(
        header=header,
        header_rows=header_rows,
        names=tuple(spanned),
        no=no,
        category=category,
        key_task=key_task,
        content=content,
        units=units,
        deadline=deadline,
        sections=sections,
    )
    return layout, at + header_rows


def _single_cell(row: SourceRow, data_columns: set[int]) -> int | None:
    """The column of a row's only filled cell, if that is not a data column (a heading)."""
    filled = [i for i, c in enumerate(row.cells) if not is_blank(c)]
    if len(filled) == 1 and filled[0] not in data_columns:
        return filled[0]
    return None


# ---------------------------------------------------------------------- building
class _Builder:
    """Accumulates categories, key tasks and items while walking the rows."""

    def __init__(self) -> None:
        self.categories: list[tuple[str, str, list[tuple[str, list[Item]]]]] = []
        self.seen: dict[str, int] = {}
        self.heading_style: str | None = None

    def category(self, row: SourceRow, no: str | None, title: str) -> None:
        """Start a category, or continue the current one when it is repeated."""
        key = normalise(title)
        if self.categories:
            current_no, current_title, _ = self.categories[-1]
            same_no = no is None or normalise(no) == normalise(current_no)
            if key == normalise(current_title) and same_no:
                return  # filled down, or repeated after a page break: the same category
        if key in self.seen:
            raise PlanFormatError(
                row.number,
                f"工作任务「{title.strip()}」在第 {self.seen[key]} 行已出现过，且不紧接其后，"
                "无法判断归属",
            )
        self.seen[key] = row.number
        self.categories.append((no if no is not None else str(len(self.categories) + 1), title, []))

    def key_task(self, row: SourceRow, title: str) -> None:
        """Start a key task, or continue the current one when it is repeated."""
        if not self.categories:
            raise PlanFormatError(row.number, "重点工作任务之前应有工作任务（类别），未找到")
        key_tasks = self.categories[-1][2]
        if key_tasks and normalise(key_tasks[-1][0]) == normalise(title):
            return
        key_tasks.append((title, []))

    def item(self, row: SourceRow, item: Item) -> None:
        if not self.categories:
            raise PlanFormatError(row.number, "第一条任务之前应有工作任务（类别），未找到")
        key_tasks = self.categories[-1][2]
        if not key_tasks:
            # No key-task level in this layout (or none yet): an untitled key task, which
            # the tree does not show (the items sit directly under their category).
            key_tasks.append(("", []))
        key_tasks[-1][1].append(item)

    def build(self) -> tuple[Category, ...]:
        # Headings with nothing under them carry no task; they are left out.
        return tuple(
            Category(
                no=no,
                title=title,
                key_tasks=tuple(
                    KeyTask(title=t, items=tuple(items)) for t, items in key_tasks if items
                ),
            )
            for no, title, key_tasks in self.categories
            if any(items for _, items in key_tasks)
        )


def _numbers_categories(layout: Layout, body: tuple[SourceRow, ...]) -> bool:
    """Whether the 序号 column numbers categories: filled only where a category starts,
    and the same for every row of one category."""
    if layout.no is None or layout.category is None:
        return False
    current: tuple[str, str] | None = None
    for row in body:
        no, title = _cell(row, layout.no), _cell(row, layout.category)
        if is_blank(title):
            if not is_blank(no) and not is_blank(_cell(row, layout.content)):
                return False  # a number on an item's own row: it numbers rows
            continue
        if current is not None and normalise(title) == current[1]:
            if not is_blank(no) and normalise(no) != current[0]:
                return False
            continue
        current = (normalise(no), normalise(title))
    return True


def _cell(row: SourceRow, column: int | None) -> str:
    if column is None or column >= len(row.cells):
        return ""
    return row.cells[column]


def _filled(row: SourceRow, column: int | None) -> str:
    """A cell's text, or that of the merged cell it continues (units, deadlines)."""
    text = _cell(row, column)
    if is_blank(text) and column is not None and column < len(row.continues):
        return row.continues[column]
    return text


def _units_text(row: SourceRow, layout: Layout) -> str:
    if len(layout.units) == 1:
        return _filled(row, layout.units[0][0])
    parts = [(role, _filled(row, i).strip()) for i, role in layout.units]
    parts = [(role, text.rstrip("。；; ")) for role, text in parts if text]
    if len({role for _, role in layout.units}) == 1:  # one header spanning two columns
        return "；".join(text for _, text in parts)
    return "；".join(f"{UNIT_LABELS[role]}：{text}" for role, text in parts)


def _is_header_again(row: SourceRow) -> bool:
    """A header repeated further down (a second table, a repeated title row)."""
    filled = [c for c in row.cells if not is_blank(c)]
    return len(filled) >= 2 and all(header_role(c) for c in filled)


def recognise(table: SourceTable, source: str = "", year: int | None = None) -> Plan:
    """Build a plan from a table read from a file (or from its paragraphs, when the
    document has no table: a list-style plan, :mod:`tracker.importers.listplan`).

    Args:
        table: The rows, as read by :mod:`tracker.importers.tables`.
        source: The file's name (kept with the plan; its year is used when the title
            above the table has none).
        year: The plan's year when the file names none (``--year``).

    Raises:
        UnrecognisedLayout: the table has no header this importer knows.
        PlanFormatError: a row does not fit the layout (its number is the row's).
    """
    if not table.rows:
        from tracker.importers.listplan import parse_list_plan

        return parse_list_plan(list(enumerate(table.preamble, start=1)), source, year)
    layout, body_at = find_layout(table)
    above = [*table.preamble, *(_row_text(r) for r in table.rows[: body_at - layout.header_rows])]
    title, year = title_and_year(above, source, year)
    issued = issue_date(above)
    body = table.rows[body_at:]
    numbered = _numbers_categories(layout, body)
    data_columns = {layout.content, *(i for i, _ in layout.units)}
    if layout.deadline is not None:
        data_columns.add(layout.deadline)
    content_name = normalise(layout.names[layout.content])

    builder = _Builder()
    for row in body:
        if all(is_blank(c) for c in row.cells) or _is_header_again(row):
            continue
        if layout.sections and (column := _single_cell(row, data_columns)) is not None:
            _heading(builder, row, row.cells[column], layout)
            continue
        category = _cell(row, layout.category)
        if not is_blank(category):
            no, text, _ = split_numbering(category)
            if numbered and not is_blank(_cell(row, layout.no)):
                no = _cell(row, layout.no).strip()
            builder.category(row, no, text)
        key_task = _cell(row, layout.key_task)
        if not is_blank(key_task):
            builder.key_task(row, key_task)
        content = _cell(row, layout.content)
        units = _units_text(row, layout)
        deadline = _filled(row, layout.deadline)
        if is_blank(content):
            if is_blank(units) and is_blank(deadline):
                continue  # a row holding only a heading
            if is_blank(key_task):
                raise PlanFormatError(
                    row.number, f"该行应填写具体任务内容（「{content_name}」列），实际为空"
                )
            content = key_task  # the key task's cell spans its content: it is its own item
        for part in split_sub_items(content):
            builder.item(
                row, Item(content=part, units_text=units, deadline_text=deadline, line=row.number)
            )

    categories = builder.build()
    if not categories:
        raise PlanFormatError(layout.header.number, "表头之后应有任务行，未找到")
    return Plan(title=title, year=year, source=source, categories=categories, issued=issued)


def _heading(builder: _Builder, row: SourceRow, text: str, layout: Layout) -> None:
    """A row holding a single heading: a category, or (numbered in a second style, in a
    table without a key-task column) a key task."""
    no, title, style = split_numbering(text)
    if builder.heading_style is None:
        builder.heading_style = style or ""
    if layout.key_task is None and builder.categories and (style or "") != builder.heading_style:
        builder.key_task(row, text)
        return
    builder.category(row, no, title)
