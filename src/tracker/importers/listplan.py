"""Read a 分工表 issued as a list of numbered paragraphs rather than a table.

Many 工作要点 come as paragraphs (a Word document without a table, or its text):

- levels are numbered ``一、`` / ``（一）`` / ``1.`` (also ``1、`` and ``（1）``), in the
  order the document first uses them;
- each task names its units and deadline either in a trailing parenthesis,
  ``…公开。（牵头单位：市审批局；责任单位：市直各部门，完成时限：长期坚持）`` or
  ``…（区发改委、区商务局按职责分工负责）``, or on lines of their own below it
  (``牵头单位：…`` ``责任单位：…`` ``完成时限：…``).

The numbering style of the paragraphs that name units is the item level; the styles
above it are the category and, if there is one between, the key task. A plan of two
levels gets no invented key task: its items sit in an untitled one (the tree shows them
directly under their category). Text before the title — a covering notice, numbered
itself — and numbered paragraphs that name no units above the item level (总体要求,
指导思想) are not tasks.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from tracker.domain.models import Category, Item, KeyTask, Plan
from tracker.importers.layout import issue_date, split_numbering, title_and_year
from tracker.importers.parser import PlanFormatError, is_blank, normalise

UNIT_LABELS = (
    "牵头单位",
    "牵头部门",
    "牵头科室",
    "责任单位",
    "责任部门",
    "责任科室",
    "责任处室",
    "配合单位",
    "配合部门",
    "协办单位",
)
DEADLINE_LABELS = ("完成时限", "完成时间", "时间节点", "时限要求", "时限")
_LABEL = re.compile(rf"({'|'.join(UNIT_LABELS + DEADLINE_LABELS)})\s*[:：]")
_LABEL_LINE = re.compile(rf"^\s*[（(]?\s*({'|'.join(UNIT_LABELS + DEADLINE_LABELS)})\s*[:：]")
_UNIT_ENDINGS = (
    "负责",
    "落实",
    "牵头",
    "配合",
    "负责落实",
    "按职责分工负责",
    "按职责负责",
    "分别负责",
)
_OPEN, _CLOSE = "（(", "）)"
_TRAILING = "。；;.，, \t\u3000"


@dataclass
class _Block:
    line: int
    style: str
    no: str | None
    text: str
    units: str | None = None
    deadline: str | None = None
    parts: list[str] = field(default_factory=list)

    @property
    def assigned(self) -> bool:
        return self.units is not None or self.deadline is not None


def trailing_parenthesis(text: str) -> tuple[str, str] | None:
    """Split ``…内容。（…）`` into the text before the last balanced parenthesis and its
    inside, when the text ends with one (after ``。``/``；``); else None."""
    stripped = text.rstrip(_TRAILING)
    if not stripped or stripped[-1] not in _CLOSE:
        return None
    depth = 0
    for index in range(len(stripped) - 1, -1, -1):
        ch = stripped[index]
        if ch in _CLOSE:
            depth += 1
        elif ch in _OPEN:
            depth -= 1
            if depth == 0:
                return stripped[:index], stripped[index + 1 : -1]
    return None


def _names_units(inner: str) -> bool:
    """Whether a parenthesis names units (or a deadline), not a note or a document number."""
    norm = normalise(inner)
    return bool(_LABEL.search(norm)) or norm.rstrip("。；;，,").endswith(_UNIT_ENDINGS)


def split_labels(text: str) -> tuple[str, str]:
    """The units and the deadline a parenthesis or a labelled line gives.

    ``牵头单位：X、Y，责任单位：Z，完成时限：长期坚持`` gives
    ``("牵头单位：X、Y；责任单位：Z", "长期坚持")``; text without labels is all units.
    """
    matches = list(_LABEL.finditer(text))
    if not matches:
        return text.strip().rstrip(_TRAILING), ""
    units: list[str] = []
    deadline: list[str] = []
    head = text[: matches[0].start()].strip().strip(_TRAILING + "（()）")
    if head:
        units.append(head)
    for match, following in zip(matches, [*matches[1:], None], strict=True):
        end = following.start() if following is not None else len(text)
        value = text[match.end() : end].strip().strip(_TRAILING + "（()）")
        if not value:
            continue
        label = match.group(1)
        if label in DEADLINE_LABELS:
            deadline.append(value)
        else:
            units.append(f"{label}：{value}")
    return "；".join(units), "；".join(deadline)


def _merge(block: _Block, units: str, deadline: str) -> None:
    if units:
        block.units = f"{block.units}；{units}" if block.units else units
    elif block.units is None:
        block.units = ""
    if deadline:
        block.deadline = f"{block.deadline}；{deadline}" if block.deadline else deadline


def parse_list_plan(
    lines: list[tuple[int, str]], source: str = "", year: int | None = None
) -> Plan:
    """Build a plan from numbered paragraphs.

    Args:
        lines: The paragraphs (or text lines) with their 1-based numbers.
        source: The file's name (its year is used when the text names none).
        year: The plan's year when the file names none (``--year``).

    Raises:
        PlanFormatError: no paragraph names units, or the levels cannot be told apart.
    """
    lines = [(n, t) for n, t in lines if not is_blank(t)]
    evidence = next(
        (
            i
            for i, (_, text) in enumerate(lines)
            if _LABEL_LINE.match(unicodedata.normalize("NFKC", text))
            or ((p := trailing_parenthesis(text)) is not None and _names_units(p[1]))
        ),
        None,
    )
    if evidence is None:
        raise PlanFormatError(
            0,
            "未找到表格，也没有写明责任单位的段落：分工表应是表格，或在任务后写明"
            "「（牵头单位：…；责任单位：…）」或单独一行「责任单位：…」",
        )
    head = [text for _, text in lines[:evidence]]
    title, plan_year = title_and_year(head, source, year)
    issued = issue_date(head)
    start = max((i + 1 for i, text in enumerate(head) if text.strip() == title), default=0)

    blocks: list[_Block] = []
    for number, text in lines[start:]:
        norm = unicodedata.normalize("NFKC", text)
        if _LABEL_LINE.match(norm) and blocks:
            units, deadline = split_labels(text.strip())
            _assign(blocks, units, deadline)
            continue
        no, _, style = split_numbering(text)
        paren = trailing_parenthesis(text)
        if paren is not None and not _names_units(paren[1]):
            paren = None
        if paren is not None and not paren[0].strip() and blocks:
            _assign(blocks, *split_labels(paren[1]))  # a parenthesis on its own line
            continue
        if style is None:
            if not blocks:
                continue  # an introduction before the first numbered paragraph
            current = blocks[-1]
            if not current.assigned and paren is None:
                current.parts.append(text.strip())  # the paragraph goes on
                continue
            if not current.assigned and paren is not None:
                current.parts.append(paren[0].strip())
                _merge(current, *split_labels(paren[1]))
                continue
            if paren is None:
                continue  # a remark after a task (说明, 注)
            style = "plain"
        block = _Block(number, style, no, text.strip())
        if paren is not None:
            block.text = paren[0].strip()
            _merge(block, *split_labels(paren[1]))
        block.parts.append(block.text)
        blocks.append(block)
    return _build(blocks, title, plan_year, issued, source)


def _assign(blocks: list[_Block], units: str, deadline: str) -> None:
    """Labelled lines name the units of the paragraph above them — and of the paragraphs
    of the same level just before it that name none (sub-points sharing one line)."""
    current = blocks[-1]
    _merge(current, units, deadline)
    for block in reversed(blocks[:-1]):
        if block.style != current.style or block.assigned:
            break
        _merge(block, units, deadline)


def _item(block: _Block, parts: list[str]) -> Item:
    return Item(
        content="\n".join(parts),
        units_text=block.units or "",
        deadline_text=block.deadline or "",
        line=block.line,
    )


def _headed(blocks: list[_Block], style: str) -> bool:
    """Whether every block of a style is a heading followed by its own text."""
    mine = [b for b in blocks if b.style == style]
    return bool(mine) and all(len(b.parts) > 1 and b.assigned for b in mine)


def _build(blocks: list[_Block], title: str, year: int, issued, source: str) -> Plan:
    assigned = Counter(b.style for b in blocks if b.assigned and b.style != "plain")
    order: list[str] = []
    for block in blocks:
        if block.style != "plain" and block.style not in order:
            order.append(block.style)
    if not assigned:
        item_style = "plain"
        above = order
    else:
        item_style = max(assigned, key=lambda s: (assigned[s], -order.index(s)))
        above = order[: order.index(item_style)]
    if not above and _headed(blocks, item_style):
        # Each top-level heading is followed by its text (一、标题 / 正文（单位）): the
        # heading is the category, the text its one task.
        return Plan(
            title=title,
            year=year,
            source=source,
            issued=issued,
            categories=tuple(
                Category(
                    no=split_numbering(b.parts[0])[0] or str(n),
                    title=split_numbering(b.parts[0])[1],
                    key_tasks=(KeyTask(title="", items=(_item(b, b.parts[1:]),)),),
                )
                for n, b in enumerate((b for b in blocks if b.style == item_style), start=1)
            ),
        )
    if not above:
        first = next((b for b in blocks if b.assigned), blocks[0] if blocks else None)
        if first is None:
            raise PlanFormatError(0, "未找到任务：标题之后应有「一、…」分类和写明责任单位的任务")
        raise PlanFormatError(
            first.line,
            f"任务「{first.text[:20]}…」之上没有「一、…」这样的分类标题，无法分出工作任务",
        )
    category_style, key_style = above[0], (above[-1] if len(above) > 1 else None)
    levels = {category_style, *([key_style] if key_style else [])}

    categories: list[tuple[str, str, list[tuple[str, list[Item]]]]] = []
    for block in blocks:
        if block.style == category_style and not block.assigned:
            no, text, _ = split_numbering(block.parts[0])
            categories.append((no or str(len(categories) + 1), text, []))
        elif block.style == key_style and not block.assigned:
            if categories:
                categories[-1][2].append((block.parts[0], []))
        elif block.style in levels or not categories:
            continue  # a heading level given units of its own, or text before any category
        elif block.style == item_style or block.assigned:
            key_tasks = categories[-1][2]
            if not key_tasks:
                key_tasks.append(("", []))
            key_tasks[-1][1].append(_item(block, block.parts))
    built = tuple(
        Category(
            no=no,
            title=text,
            key_tasks=tuple(KeyTask(title=t, items=tuple(i)) for t, i in key_tasks if i),
        )
        for no, text, key_tasks in categories
        if any(i for _, i in key_tasks)
    )
    if not built:
        raise PlanFormatError(0, "未找到任务：分类标题下应有写明责任单位的任务段落")
    return Plan(title=title, year=year, source=source, categories=built, issued=issued)
