"""Importing plans from Word, Excel and CSV tables: every accepted layout, built here.

Each test writes its file with python-docx, openpyxl or the csv module, the way the
offices' files come (merged cells included), and checks the plan read back.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from pathlib import Path

import docx
import openpyxl
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.cli import main
from tracker.domain.models import Plan
from tracker.domain.units import Role, parse_units
from tracker.importers import SUPPORTED_SUFFIXES, UnrecognisedLayout, read_plan
from tracker.importers.layout import split_numbering, split_sub_items, title_and_year
from tracker.importers.parser import PlanFormatError, read_plan_file
from tracker.importers.tables import read_docx
from tracker.store import Store

TITLE = "2024年全区政务公开工作要点分工表"
Merge = tuple[int, int, int, int]
"""A merged area: first row, first column, last row, last column (0-based, inclusive)."""


# ---------------------------------------------------------------------- writing files
def write_docx(
    path: Path,
    rows: Sequence[Sequence[str]],
    merges: Sequence[Merge] = (),
    paragraphs: Sequence[str] = ("附件", TITLE),
    tables: Sequence[tuple[Sequence[Sequence[str]], Sequence[Merge]]] = (),
) -> Path:
    """A Word document: paragraphs, then a table with the given merged areas (and more
    tables after it, if given)."""
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    for grid, areas in [(rows, merges), *tables]:
        width = max(len(r) for r in grid)
        table = document.add_table(rows=len(grid), cols=width)
        for r, cells in enumerate(grid):
            for c, text in enumerate(cells):
                if text:
                    table.cell(r, c).text = text
        for r1, c1, r2, c2 in areas:
            table.cell(r1, c1).merge(table.cell(r2, c2))
    document.save(str(path))
    return path


def write_xlsx(
    path: Path,
    rows: Sequence[Sequence[str]],
    merges: Sequence[Merge] = (),
    sheets: Sequence[tuple[str, Sequence[Sequence[str]]]] = (),
) -> Path:
    """A workbook: optional sheets first, then the plan's sheet with merged ranges.

    Only the top-left cell of a merged range keeps its value, as in Excel.
    """
    workbook = openpyxl.Workbook()
    first = workbook.active
    for name, grid in sheets:
        sheet = workbook.create_sheet(name)
        for cells in grid:
            sheet.append(list(cells))
    sheet = first if not sheets else workbook.create_sheet("分工表")
    if sheets:
        workbook.remove(first)
    for cells in rows:
        sheet.append([text or None for text in cells])
    for r1, c1, r2, c2 in merges:
        sheet.merge_cells(start_row=r1 + 1, start_column=c1 + 1, end_row=r2 + 1, end_column=c2 + 1)
    workbook.save(path)
    return path


def write_csv(path: Path, rows: Sequence[Sequence[str]], encoding: str = "utf-8-sig") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def merges_below(rows: Sequence[Sequence[str]], columns: Sequence[int], start: int) -> list[Merge]:
    """Merge each filled cell with the empty cells below it (the text dump's convention)."""
    areas = []
    for c in columns:
        r = start
        while r < len(rows):
            if rows[r][c].strip():
                end = r
                while end + 1 < len(rows) and not rows[end + 1][c].strip():
                    end += 1
                if end > r:
                    areas.append((r, c, end, c))
                r = end + 1
            else:
                r += 1
    return areas


def shape(plan: Plan) -> list:
    """A plan's structure and exact texts (without source lines)."""
    return [
        (
            c.no,
            c.title,
            [
                (k.title, [(i.content, i.units_text, i.deadline_text) for i in k.items])
                for k in c.key_tasks
            ],
        )
        for c in plan.categories
    ]


# ---------------------------------------------------------------------- the seed, converted
def seed_dump(seed_path: Path) -> tuple[list[str], list[str], list[list[str]]]:
    """The seed's preamble, header and body rows, split as the text dump writes them."""
    preamble: list[str] = []
    rows: list[list[str]] = []
    current: list[str] | None = None
    for raw in re.split(r"\r\n|\r|\n", seed_path.read_text(encoding="utf-8")):
        if raw.startswith("\t"):
            if current is None:
                current = []
                rows.append(current)
            current.append(raw[1:])
        elif not raw.strip():
            current = None
        elif current is not None:
            current[-1] += "\n" + raw
        else:
            preamble.append(raw)
    header, body = rows[0], rows[1:]
    # Stray trailing cells (a last cell holding only a space) have no place in a grid.
    body = [row[:6] for row in body]
    assert {len(row) for row in body} == {6}
    return preamble, header, body


def seed_grid(seed_path: Path) -> tuple[list[str], list[list[str]], list[Merge]]:
    """The seed as a six-column grid: 重点工作任务 spans two header columns, and the
    序号, 工作任务 and key-task cells are merged down over the rows they cover."""
    preamble, header, body = seed_dump(seed_path)
    grid = [[header[0], header[1], header[2], "", header[3], header[4]], *body]
    return preamble, grid, [(0, 2, 0, 3), *merges_below(grid, [0, 1, 2], start=1)]


@pytest.fixture
def seed_plan(seed_path: Path) -> Plan:
    return read_plan_file(seed_path)


@pytest.mark.slow
def test_seed_as_word_table_with_merged_cells(
    seed_path: Path, seed_plan: Plan, tmp_path: Path
) -> None:
    preamble, grid, merges = seed_grid(seed_path)
    assert len(merges) > 30  # the conversion really merges cells
    path = write_docx(tmp_path / "分工表.docx", grid, merges, paragraphs=preamble)
    plan = read_plan(path)
    assert (plan.title, plan.year) == (seed_plan.title, seed_plan.year)
    assert shape(plan) == shape(seed_plan)
    assert plan.source == "分工表.docx"
    assert plan.item_count == 47


@pytest.mark.slow
def test_word_reader_empties_merged_cells_like_the_text_dump(
    seed_path: Path, tmp_path: Path
) -> None:
    preamble, grid, merges = seed_grid(seed_path)
    table = read_docx(write_docx(tmp_path / "t.docx", grid, merges, paragraphs=preamble))
    assert [list(row.cells) for row in table.rows] == grid
    assert table.preamble == tuple(preamble)


def test_seed_as_workbook_with_merged_ranges(
    seed_path: Path, seed_plan: Plan, tmp_path: Path
) -> None:
    preamble, grid, merges = seed_grid(seed_path)
    # The title rows above the header, the title merged across the sheet.
    rows = [[preamble[0]] + [""] * 5, [preamble[1]] + [""] * 5, *grid]
    areas = [(1, 0, 1, 5), *((r1 + 2, c1, r2 + 2, c2) for r1, c1, r2, c2 in merges)]
    plan = read_plan(write_xlsx(tmp_path / "分工表.xlsx", rows, areas))
    assert (plan.title, plan.year) == (seed_plan.title, seed_plan.year)
    assert shape(plan) == shape(seed_plan)
    first = plan.categories[0].key_tasks[0].items[0]
    assert first.line == 4  # Excel's row number: two title rows, the header, then this


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
def test_seed_as_csv(seed_path: Path, seed_plan: Plan, tmp_path: Path, encoding: str) -> None:
    preamble, grid, _ = seed_grid(seed_path)
    rows = [[preamble[1]], *grid]
    plan = read_plan(write_csv(tmp_path / "分工表.csv", rows, encoding))
    assert (plan.title, plan.year) == (seed_plan.title, seed_plan.year)
    assert shape(plan) == shape(seed_plan)


def test_seed_as_tab_separated_csv(seed_path: Path, seed_plan: Plan, tmp_path: Path) -> None:
    preamble, grid, _ = seed_grid(seed_path)
    path = tmp_path / "分工表.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, dialect="excel-tab").writerows([[preamble[1]], *grid])
    assert shape(read_plan(path)) == shape(seed_plan)


def test_filled_down_table_is_read_as_merged(seed_path: Path, seed_plan: Plan, tmp_path: Path):
    """Exports that repeat the category and key task on every row give the same plan."""
    _, grid, _ = seed_grid(seed_path)
    filled = [grid[0]]
    for row in grid[1:]:
        previous = filled[-1] if len(filled) > 1 else ["", "", "", "", "", ""]
        filled.append([row[c] or (previous[c] if c < 3 else row[c]) for c in range(6)])
    plan = read_plan(
        write_csv(tmp_path / "2023-分工表.csv", [[TITLE.replace("2024", "2023")], *filled])
    )
    assert shape(plan) == shape(seed_plan)


# ---------------------------------------------------------------------- other layouts
HEADER_CELLS = ["序号", "工作任务", "重点工作任务", "具体要求", "责任单位", "完成时限"]


def test_separate_content_column_named_juti_yaoqiu(tmp_path: Path) -> None:
    rows = [
        HEADER_CELLS,
        ["1", "加大主动公开力度", "推进决策公开", "公开重大决策草案。", "区司法局", "及时公开"],
        ["", "", "", "公开决策结果。", "区政府办公室", "长期坚持"],
        ["", "", "推进预算公开", "公开部门预算。", "区财政局", "8月31日"],
        ["2", "夯实工作基础", "加强培训", "开展业务培训。", "区政府办公室", "12月31日"],
    ]
    merges = [*merges_below(rows, [0, 1, 2], start=1)]
    plan = read_plan(write_docx(tmp_path / "a.docx", rows, merges))
    assert (plan.title, plan.year) == (TITLE, 2024)
    assert shape(plan) == [
        (
            "1",
            "加大主动公开力度",
            [
                (
                    "推进决策公开",
                    [
                        ("公开重大决策草案。", "区司法局", "及时公开"),
                        ("公开决策结果。", "区政府办公室", "长期坚持"),
                    ],
                ),
                ("推进预算公开", [("公开部门预算。", "区财政局", "8月31日")]),
            ],
        ),
        ("2", "夯实工作基础", [("加强培训", [("开展业务培训。", "区政府办公室", "12月31日")])]),
    ]
    lines = [i.line for c in plan.categories for k in c.key_tasks for i in k.items]
    assert lines == [2, 3, 4, 5]  # rows of the Word table


def test_number_column_after_the_category_and_chinese_numbering_in_the_title(
    tmp_path: Path,
) -> None:
    rows = [
        ["工作任务", "序号", "重点工作任务", "", "责任单位", "完成时限"],
        ["一、加大主动公开力度", "1", "推进决策公开", "公开决策草案。", "区司法局", "及时公开"],
        ["", "2", "", "公开决策结果。", "区司法局", "及时公开"],
        ["", "3", "推进预算公开", "公开预算。", "区财政局", "8月31日"],
        ["二、夯实工作基础", "4", "加强培训", "开展培训。", "区政府办公室", "12月31日"],
    ]
    merges = [(0, 2, 0, 3), *merges_below(rows, [0, 2], start=1)]
    plan = read_plan(write_xlsx(tmp_path / "2024年分工表.xlsx", rows, merges))
    assert [(c.no, c.title) for c in plan.categories] == [
        ("一", "加大主动公开力度"),
        ("二", "夯实工作基础"),
    ]
    assert [k.title for k in plan.categories[0].key_tasks] == ["推进决策公开", "推进预算公开"]
    assert plan.item_count == 4
    # No title above the table: the year comes from the file name.
    assert (plan.title, plan.year) == ("2024年分工表", 2024)


def test_number_column_numbering_items_is_ignored(tmp_path: Path) -> None:
    rows = [
        ["序号", "工作任务", "具体任务", "责任单位", "完成时限"],
        ["1", "（一）加大主动公开力度", "公开决策草案。", "区司法局", "及时公开"],
        ["2", "", "公开决策结果。", "区司法局", "及时公开"],
        ["3", "（二）夯实工作基础", "开展培训。", "区政府办公室", "12月31日"],
    ]
    plan = read_plan(write_csv(tmp_path / "x.csv", [[TITLE], *rows]))
    # Two text columns and no heading rows: category and content; no key task is
    # invented (an untitled one, which the tree does not show).
    assert shape(plan) == [
        (
            "一",
            "加大主动公开力度",
            [
                (
                    "",
                    [
                        ("公开决策草案。", "区司法局", "及时公开"),
                        ("公开决策结果。", "区司法局", "及时公开"),
                    ],
                )
            ],
        ),
        ("二", "夯实工作基础", [("", [("开展培训。", "区政府办公室", "12月31日")])]),
    ]


@pytest.mark.slow
def test_a_note_below_the_seed_layout_changes_nothing(
    seed_path: Path, seed_plan: Plan, tmp_path: Path
) -> None:
    preamble, grid, merges = seed_grid(seed_path)
    note = len(grid)
    grid = [*grid, ["注：各单位于每月25日前报送进展。", "", "", "", "", ""]]
    path = write_docx(tmp_path / "2023.docx", grid, [*merges, (note, 0, note, 5)], preamble)
    assert shape(read_plan(path)) == shape(seed_plan)


def test_a_note_below_keeps_the_number_column_as_category_numbers(tmp_path: Path) -> None:
    rows = [
        HEADER_CELLS,
        ["一", "加大主动公开力度", "推进决策公开", "公开决策草案。", "区司法局", "及时公开"],
        ["二", "夯实工作基础", "加强培训", "开展培训。", "区政府办公室", "12月31日"],
        ["注：各单位于每月25日前报送进展。", "", "", "", "", ""],
    ]
    plan = read_plan(write_xlsx(tmp_path / "2024.xlsx", rows, [(3, 0, 3, 5)]))
    assert [(c.no, c.title) for c in plan.categories] == [
        ("一", "加大主动公开力度"),
        ("二", "夯实工作基础"),
    ]


def test_a_note_merged_across_the_last_row_is_not_a_heading(tmp_path: Path) -> None:
    rows = [
        ["序号", "工作任务", "具体要求", "责任单位", "完成时限"],
        ["1", "加大主动公开力度", "公开决策草案。", "区司法局", "及时公开"],
        ["注：各单位于每月25日前报送进展。", "", "", "", ""],
    ]
    plan = read_plan(write_docx(tmp_path / "n.docx", rows, [(2, 0, 2, 4)]))
    assert shape(plan) == [
        (
            "1",
            "加大主动公开力度",
            [("", [("公开决策草案。", "区司法局", "及时公开")])],
        )
    ]


def test_heading_rows_give_categories_and_second_style_key_tasks(tmp_path: Path) -> None:
    """One task column; categories and key tasks are rows merged across the table."""
    rows = [
        ["序号", "工作内容", "责任单位", "完成时限"],
        ["一、加大主动公开力度", "", "", ""],
        ["（一）推进决策公开", "", "", ""],
        ["1", "公开决策草案。", "区司法局", "及时公开"],
        ["2", "公开决策结果。", "区司法局", "及时公开"],
        ["（二）推进预算公开", "", "", ""],
        ["3", "公开预算。", "区财政局", "8月31日"],
        ["二、夯实工作基础", "", "", ""],
        ["4", "开展培训。", "区政府办公室", "12月31日"],
    ]
    merges = [(r, 0, r, 3) for r, row in enumerate(rows) if row[1] == "" and r > 0]
    plan = read_plan(write_docx(tmp_path / "b.docx", rows, merges))
    assert shape(plan) == [
        (
            "一",
            "加大主动公开力度",
            [
                (
                    "（一）推进决策公开",
                    [
                        ("公开决策草案。", "区司法局", "及时公开"),
                        ("公开决策结果。", "区司法局", "及时公开"),
                    ],
                ),
                ("（二）推进预算公开", [("公开预算。", "区财政局", "8月31日")]),
            ],
        ),
        ("二", "夯实工作基础", [("", [("开展培训。", "区政府办公室", "12月31日")])]),
    ]


def test_heading_rows_over_key_task_and_content_columns(tmp_path: Path) -> None:
    rows = [
        ["序号", "重点工作", "具体任务", "责任单位", "完成时限"],
        ["一、加大主动公开力度", "", "", "", ""],
        ["1", "推进决策公开", "公开决策草案。", "区司法局", "及时公开"],
        ["2", "", "公开决策结果。", "区司法局", "及时公开"],
        ["二、夯实工作基础", "", "", "", ""],
        ["3", "加强培训", "开展培训。", "区政府办公室", "12月31日"],
    ]
    merges = [(1, 0, 1, 4), (4, 0, 4, 4), (2, 1, 3, 1)]
    plan = read_plan(
        write_xlsx(
            tmp_path / "c.xlsx",
            [[TITLE], *rows],
            merges=[(r1 + 1, c1, r2 + 1, c2) for r1, c1, r2, c2 in merges],
        )
    )
    assert shape(plan) == [
        (
            "一",
            "加大主动公开力度",
            [
                (
                    "推进决策公开",
                    [
                        ("公开决策草案。", "区司法局", "及时公开"),
                        ("公开决策结果。", "区司法局", "及时公开"),
                    ],
                )
            ],
        ),
        ("二", "夯实工作基础", [("加强培训", [("开展培训。", "区政府办公室", "12月31日")])]),
    ]


def test_lead_and_cooperating_unit_columns(tmp_path: Path) -> None:
    rows = [
        ["序号", "工作任务", "重点工作任务", "具体内容", "牵头单位", "配合单位", "完成时限"],
        [
            "1",
            "加大主动公开力度",
            "推进决策公开",
            "公开决策草案。",
            "区司法局",
            "区发改局、各乡镇街委",
            "及时公开",
        ],
        ["", "", "", "公开决策结果。", "区政府办公室", "", "长期坚持"],
    ]
    plan = read_plan(write_docx(tmp_path / "d.docx", rows, merges_below(rows, [0, 1, 2], 1)))
    items = plan.categories[0].key_tasks[0].items
    assert [i.units_text for i in items] == [
        "牵头单位：区司法局；配合单位：区发改局、各乡镇街委",
        "牵头单位：区政府办公室",
    ]
    roles = {m.name: m.role for m in parse_units(items[0].units_text)}
    assert roles == {
        "区司法局": Role.LEAD,
        "区发改局": Role.COOPERATING,
        "各乡镇街委": Role.COOPERATING,
    }


def test_two_row_header_units_over_lead_and_cooperating(tmp_path: Path) -> None:
    rows = [
        ["序号", "工作任务", "重点工作任务", "", "责任单位", "", "完成时限"],
        ["", "", "", "", "牵头单位", "配合单位", ""],
        [
            "1",
            "加大主动公开力度",
            "推进决策公开",
            "公开决策草案。",
            "区司法局",
            "区发改局",
            "及时公开",
        ],
    ]
    merges = [(0, 0, 1, 0), (0, 1, 1, 1), (0, 2, 1, 3), (0, 4, 0, 5), (0, 6, 1, 6)]
    plan = read_plan(write_xlsx(tmp_path / "2024.xlsx", rows, merges))
    item = plan.categories[0].key_tasks[0].items[0]
    assert item.units_text == "牵头单位：区司法局；配合单位：区发改局"
    assert (plan.categories[0].key_tasks[0].title, item.content) == (
        "推进决策公开",
        "公开决策草案。",
    )


def test_deadline_in_remarks_when_there_is_no_deadline_column(tmp_path: Path) -> None:
    rows = [
        ["序号", "工作任务", "具体要求", "责任单位", "备注"],
        ["1", "加大主动公开力度", "公开决策草案。", "区司法局", "6月底前"],
    ]
    plan = read_plan(write_csv(tmp_path / "e.csv", [[TITLE], *rows]))
    assert plan.categories[0].key_tasks[0].items[0].deadline_text == "6月底前"


def test_numbered_sub_items_in_one_cell_become_items_sharing_units_and_deadline(
    tmp_path: Path,
) -> None:
    rows = [
        HEADER_CELLS,
        [
            "1",
            "加大主动公开力度",
            "推进决策公开",
            "1.公开决策草案；\n2.公开决策结果；\n3.做好政策解读。",
            "区司法局",
            "12月31日",
        ],
        ["", "", "", "（1）公开预算 （2）公开决算", "区财政局", "8月31日"],
    ]
    plan = read_plan(write_docx(tmp_path / "f.docx", rows, merges_below(rows, [0, 1, 2], 1)))
    items = plan.categories[0].key_tasks[0].items
    assert [(i.content, i.units_text, i.deadline_text, i.line) for i in items] == [
        ("1.公开决策草案；", "区司法局", "12月31日", 2),
        ("2.公开决策结果；", "区司法局", "12月31日", 2),
        ("3.做好政策解读。", "区司法局", "12月31日", 2),
        ("（1）公开预算", "区财政局", "8月31日", 3),
        ("（2）公开决算", "区财政局", "8月31日", 3),
    ]


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("1.甲；2.乙。", ["1.甲；", "2.乙。"]),
        ("1、甲\n2、乙\n3、丙", ["1、甲", "2、乙", "3、丙"]),
        ("（1）甲。（2）乙。", ["（1）甲。", "（2）乙。"]),
        ("1．甲 2．乙", ["1．甲", "2．乙"]),
        ("争取1.5亿元资金。", ["争取1.5亿元资金。"]),
        ("1.5亿元资金到位；2.项目开工。", ["1.5亿元资金到位；2.项目开工。"]),
        ("1、2月份完成第1、2季度公开。", ["1、2月份完成第1、2季度公开。"]),
        ("加强解读：1.甲；2.乙。", ["加强解读：1.甲；2.乙。"]),
        ("1.只有一条。", ["1.只有一条。"]),
        ("1.甲；3.丙。", ["1.甲；3.丙。"]),
        ("1.甲；2、乙。", ["1.甲；2、乙。"]),
    ],
)
def test_split_sub_items(text: str, parts: list[str]) -> None:
    assert split_sub_items(text) == parts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("一、加大主动公开力度", ("一", "加大主动公开力度", "cn")),
        ("（三）夯实工作基础", ("三", "夯实工作基础", "cn_paren")),
        ("(十二)夯实工作基础", ("十二", "夯实工作基础", "cn_paren")),
        ("2.推进政务公开", ("2", "推进政务公开", "num")),
        ("加大主动公开力度", (None, "加大主动公开力度", None)),
        ("一是加强公开", (None, "一是加强公开", None)),
        ("十四五规划公开", (None, "十四五规划公开", None)),
    ],
)
def test_split_numbering(text: str, expected: tuple) -> None:
    assert split_numbering(text) == expected


def test_vertically_merged_units_and_deadline_apply_to_each_row(tmp_path: Path) -> None:
    rows = [
        HEADER_CELLS,
        ["1", "加大主动公开力度", "推进决策公开", "公开决策草案。", "区司法局", "及时公开"],
        ["", "", "", "公开决策结果。", "", ""],
    ]
    merges = [*merges_below(rows, [0, 1, 2, 4, 5], start=1)]
    for path in (
        write_docx(tmp_path / "g.docx", rows, merges),
        write_xlsx(tmp_path / "2024-g.xlsx", rows, merges),
    ):
        items = read_plan(path).categories[0].key_tasks[0].items
        assert [(i.units_text, i.deadline_text) for i in items] == [("区司法局", "及时公开")] * 2


def test_letter_spaced_and_full_width_headers(tmp_path: Path) -> None:
    rows = [
        ["序　号", "工 作 任 务", "重点工作任务", "具体内容", "责任单位（部门）", "完成时限"],
        ["1", "加大主动公开力度", "推进决策公开", "公开决策草案。", "区司法局", "及时公开"],
    ]
    assert read_plan(write_csv(tmp_path / "2024.csv", rows)).item_count == 1


def test_a_header_repeated_in_a_second_table_is_skipped(tmp_path: Path) -> None:
    first = [
        HEADER_CELLS,
        ["1", "加大主动公开力度", "推进决策公开", "公开决策草案。", "区司法局", "及时公开"],
    ]
    second = [HEADER_CELLS, ["", "", "", "公开决策结果。", "区司法局", "及时公开"]]
    plan = read_plan(write_docx(tmp_path / "h.docx", first, tables=[(second, [])]))
    assert [i.content for i in plan.categories[0].key_tasks[0].items] == [
        "公开决策草案。",
        "公开决策结果。",
    ]
    assert plan.categories[0].key_tasks[0].items[1].line == 4  # rows count on across tables


def test_the_plan_sheet_is_found_among_others(tmp_path: Path) -> None:
    rows = [
        HEADER_CELLS,
        ["1", "加大主动公开力度", "推进决策公开", "公开决策草案。", "区司法局", "及时公开"],
    ]
    notes = [["填表说明"], ["请各单位于每月25日前报送进展"]]
    plan = read_plan(write_xlsx(tmp_path / "2024年分工表.xlsx", rows, sheets=[("说明", notes)]))
    assert plan.item_count == 1


def test_excel_numbers_and_dates_read_as_shown(tmp_path: Path) -> None:
    from datetime import datetime

    path = tmp_path / "2024.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER_CELLS)
    sheet.append(
        [1, "加大主动公开力度", "推进决策公开", "公开决策草案。", "区司法局", datetime(2024, 6, 30)]
    )
    workbook.save(path)
    plan = read_plan(path)
    assert plan.categories[0].no == "1"
    assert plan.categories[0].key_tasks[0].items[0].deadline_text == "2024年6月30日"


# ---------------------------------------------------------------------- errors
def test_unrecognised_header_shows_the_header_found(tmp_path: Path) -> None:
    rows = [["序号", "名称", "说明", "负责人"], ["1", "甲", "乙", "丙"]]
    with pytest.raises(UnrecognisedLayout) as caught:
        read_plan(write_docx(tmp_path / "x.docx", rows))
    error = caught.value
    assert error.line == 1
    assert error.reason == (
        "无法识别表头：序号 | 名称 | 说明 | 负责人；"
        "应包含 工作任务/重点工作任务/责任单位/完成时限 等列"
    )


def test_unrecognised_header_in_a_workbook_names_the_sheet(tmp_path: Path) -> None:
    rows = [[TITLE], ["序号", "项目", "金额"]]
    with pytest.raises(PlanFormatError) as caught:
        read_plan(write_xlsx(tmp_path / "x.xlsx", rows, sheets=[("说明", [["说明"]])]))
    assert caught.value.line == 1
    assert "工作表「说明」" in caught.value.reason
    assert "无法识别表头" in caught.value.reason


def test_a_row_without_content_is_named(tmp_path: Path) -> None:
    rows = [
        HEADER_CELLS,
        ["1", "加大主动公开力度", "推进决策公开", "公开决策草案。", "区司法局", "及时公开"],
        ["", "", "", "", "区司法局", "及时公开"],
    ]
    with pytest.raises(PlanFormatError) as caught:
        read_plan(write_csv(tmp_path / "2024.csv", rows))
    assert caught.value.line == 3
    assert caught.value.reason == "该行应填写具体任务内容（「具体要求」列），实际为空"


def test_a_key_task_cell_spanning_its_content_is_its_own_item(tmp_path: Path) -> None:
    rows = [
        ["序号", "工作任务", "重点工作任务", "", "责任单位", "完成时限"],
        ["1", "加大主动公开力度", "高效办理依申请公开", "", "区政府办公室", "及时公开"],
    ]
    plan = read_plan(write_docx(tmp_path / "2024.docx", rows, [(0, 2, 0, 3), (1, 2, 1, 3)]))
    assert shape(plan)[0][2] == [
        ("高效办理依申请公开", [("高效办理依申请公开", "区政府办公室", "及时公开")])
    ]


def test_a_category_repeated_out_of_order_is_refused(tmp_path: Path) -> None:
    rows = [
        ["序号", "工作任务", "具体任务", "责任单位", "完成时限"],
        ["1", "甲类", "任务一", "区司法局", "及时公开"],
        ["2", "乙类", "任务二", "区司法局", "及时公开"],
        ["1", "甲类", "任务三", "区司法局", "及时公开"],
    ]
    with pytest.raises(PlanFormatError) as caught:
        read_plan(write_csv(tmp_path / "2024.csv", rows))
    assert caught.value.line == 4
    assert "第 2 行已出现过" in caught.value.reason


def test_no_year_anywhere_asks_for_one(tmp_path: Path) -> None:
    rows = [
        ["全区政务公开工作要点分工表"],
        *[HEADER_CELLS, ["1", "甲", "乙", "丙", "区司法局", "及时公开"]],
    ]
    with pytest.raises(PlanFormatError) as caught:
        read_plan(write_csv(tmp_path / "分工表.csv", rows))
    assert "未写明分工表的年份" in str(caught.value)
    assert "--year" in str(caught.value)
    plan = read_plan(tmp_path / "分工表.csv", year=2024)
    assert (plan.title, plan.year) == ("全区政务公开工作要点分工表", 2024)


def test_title_and_year() -> None:
    assert title_and_year(["附件1", TITLE], "x.docx") == (TITLE, 2024)
    assert title_and_year(["附件", "（2024年6月修订）", TITLE], "x.docx") == (TITLE, 2024)
    assert title_and_year(["全区分工表"], "2025-分工表.docx") == ("全区分工表", 2025)
    assert title_and_year([], "2025-分工表.docx") == ("2025-分工表", 2025)


def test_a_file_that_is_not_what_its_name_says(tmp_path: Path) -> None:
    for name in ("x.docx", "x.xlsx"):
        path = tmp_path / name
        path.write_bytes(b"\xd0\xcf\x11\xe0 an old binary .doc or .xls file")
        with pytest.raises(PlanFormatError) as caught:
            read_plan(path)
        assert "另存为" in str(caught.value)


def test_unsupported_file_type_says_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "分工表.doc"
    path.write_bytes(b"old")
    with pytest.raises(PlanFormatError) as caught:
        read_plan(path)
    assert "不支持的文件类型「.doc」" in str(caught.value)
    assert "另存为 .docx" in str(caught.value)
    assert SUPPORTED_SUFFIXES == (".txt", ".docx", ".xlsx", ".csv")


def test_a_word_document_without_a_table(tmp_path: Path) -> None:
    path = tmp_path / "x.docx"
    document = docx.Document()
    document.add_paragraph(TITLE)
    document.save(str(path))
    with pytest.raises(PlanFormatError) as caught:
        read_plan(path)
    assert "未找到表格，也没有写明责任单位的段落" in str(caught.value)


# ---------------------------------------------------------------------- the command line
@pytest.mark.slow
def test_cli_imports_each_format(seed_path: Path, tmp_path: Path) -> None:
    preamble, grid, merges = seed_grid(seed_path)
    files = [
        write_docx(tmp_path / "分工表.docx", grid, merges, paragraphs=preamble),
        write_xlsx(tmp_path / "分工表.xlsx", [[preamble[1]], *grid]),
        write_csv(tmp_path / "分工表.csv", [[preamble[1]], *grid]),
    ]
    runner = CliRunner()
    for path in files:
        db = tmp_path / f"{path.suffix[1:]}.db"
        result = runner.invoke(main, ["import", str(path), "--db", str(db)])
        assert result.exit_code == 0, result.output
        assert "5 项工作任务，19 项重点工作任务，47 条具体任务（新增 47 条）" in result.output
        store = Store.open(db)
        try:
            assert [p.title for p in store.plans()] == [preamble[1]]
        finally:
            store.close()


def test_cli_reports_the_row_of_a_bad_table(tmp_path: Path) -> None:
    path = write_docx(tmp_path / "坏表.docx", [["序号", "名称"], ["1", "甲"]])
    result = CliRunner().invoke(main, ["import", str(path), "--db", str(tmp_path / "x.db")])
    assert result.exit_code == 1
    assert "坏表.docx" in result.output
    assert "第 1 行：无法识别表头：序号 | 名称" in result.output
    assert "未导入任何内容" in result.output


# ---------------------------------------------------------------------- other places' tables
def test_spanning_headers_over_the_number_and_over_category_and_key_task(tmp_path: Path) -> None:
    """工作任务 spans category and key task; 具体要求 spans 序号 and the text."""
    rows = [
        ["工作任务", "", "具体要求", "", "责任处室", "时限要求"],
        ["加大主动公开力度", "推进决策公开", "1", "公开决策草案。", "办公室", "全年"],
        ["", "", "2", "公开决策结果。", "法规处", "按季度"],
        ["", "推进预算公开", "3", "公开部门预算。", "财务处", "2024年底前完成并持续落实"],
    ]
    merges = [(0, 0, 0, 1), (0, 2, 0, 3), (1, 0, 3, 0), (1, 1, 2, 1)]
    plan = read_plan(write_docx(tmp_path / "x.docx", rows, merges))
    assert shape(plan) == [
        (
            "1",
            "加大主动公开力度",
            [
                (
                    "推进决策公开",
                    [("公开决策草案。", "办公室", "全年"), ("公开决策结果。", "法规处", "按季度")],
                ),
                ("推进预算公开", [("公开部门预算。", "财务处", "2024年底前完成并持续落实")]),
            ],
        )
    ]


def test_two_row_header_names_category_and_key_task(tmp_path: Path) -> None:
    rows = [
        ["序号", "工作任务", "", "责任科室", "完成时限"],
        ["", "类别", "具体任务", "", ""],
        ["1", "加大主动公开力度", "公开决策草案。", "办公室", "6月底前"],
    ]
    merges = [(0, 0, 1, 0), (0, 1, 0, 2), (0, 3, 1, 3), (0, 4, 1, 4)]
    plan = read_plan(write_docx(tmp_path / "x.docx", rows, merges))
    assert shape(plan) == [
        ("1", "加大主动公开力度", [("", [("公开决策草案。", "办公室", "6月底前")])])
    ]


def test_lead_column_after_the_units_and_no_deadline_column(tmp_path: Path) -> None:
    rows = [
        [TITLE],
        ["分类", "序号", "事项", "责任单位", "牵头单位"],
        ["发展目标", "1", "地区生产总值增长。", "区统计局、区发改局", "区发改局"],
    ]
    plan = read_plan(write_xlsx(tmp_path / "x.xlsx", rows))
    item = plan.categories[0].key_tasks[0].items[0]
    assert (item.units_text, item.deadline_text) == (
        "责任单位：区统计局、区发改局；牵头单位：区发改局",
        "",
    )
    assert [(m.name, m.role) for m in parse_units(item.units_text)] == [
        ("区统计局", Role.COOPERATING),
        ("区发改局", Role.LEAD),
    ]


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        (["序号", "工作任务", "具体要求", "时限要求"], "责任单位"),
        (["序号", "责任单位", "完成时限"], "工作任务/具体要求"),
    ],
)
def test_a_missing_column_is_named_with_the_header_found(
    tmp_path: Path, header: list[str], missing: str
) -> None:
    rows = [[TITLE], header, ["1"] * len(header)]
    with pytest.raises(UnrecognisedLayout) as caught:
        read_plan(write_csv(tmp_path / "x.csv", rows))
    assert caught.value.line == 2
    assert caught.value.reason == f"未找到「{missing}」列；表头为：{' | '.join(header)}"


def test_responsible_person_is_not_a_unit_column(tmp_path: Path) -> None:
    rows = [
        [TITLE],
        ["序号", "目标任务", "牵头单位", "责任单位", "责任人"],
        ["一、主要目标", "", "", "", ""],
        ["1", "地区生产总值增长15%。", "区发改局", "区统计局", "张三"],
    ]
    plan = read_plan(write_xlsx(tmp_path / "x.xlsx", rows, [(2, 0, 2, 4)]))
    item = plan.categories[0].key_tasks[0].items[0]
    assert item.units_text == "牵头单位：区发改局；责任单位：区统计局"
    assert plan.categories[0].title == "主要目标"


# ---------------------------------------------------------------------- list-style plans
LIST_PLAN = [
    "附件",
    "2024年某市政务公开工作要点",
    "一、总体要求",
    "（一）指导思想。坚持以人民为中心。",
    "二、深化重点领域公开",
    "（一）加强政策解读",
    "1.做好政策解读。（牵头单位：市政府办公室；责任单位：市直各部门、各县市区人民政府，完成时限：全年）",
    "2.回应社会关切。",
    "牵头单位：市政府办公室",
    "配合单位：市委网信办",
    "时间节点：每季度最后一个月的30日前",
    "（二）加强平台建设",
    "3.办好政府网站。",
    "对栏目进行优化。（市政务服务数据管理局负责落实）",
]


def test_list_style_text_plan_three_levels(tmp_path: Path) -> None:
    path = tmp_path / "要点.txt"
    path.write_text("\n".join(LIST_PLAN), encoding="utf-8")
    plan = read_plan(path)
    assert (plan.title, plan.year) == ("2024年某市政务公开工作要点", 2024)
    assert shape(plan) == [
        (
            "二",
            "深化重点领域公开",
            [
                (
                    "（一）加强政策解读",
                    [
                        (
                            "1.做好政策解读。",
                            "牵头单位：市政府办公室；责任单位：市直各部门、各县市区人民政府",
                            "全年",
                        ),
                        (
                            "2.回应社会关切。",
                            "牵头单位：市政府办公室；配合单位：市委网信办",
                            "每季度最后一个月的30日前",
                        ),
                    ],
                ),
                (
                    "（二）加强平台建设",
                    [("3.办好政府网站。\n对栏目进行优化。", "市政务服务数据管理局负责落实", "")],
                ),
            ],
        )
    ]
    lines = [i.line for c in plan.categories for k in c.key_tasks for i in k.items]
    assert lines == [7, 8, 13]


def test_list_style_word_paragraphs_read_the_same(tmp_path: Path) -> None:
    path = tmp_path / "要点.docx"
    document = docx.Document()
    for text in LIST_PLAN:
        document.add_paragraph(text)
    document.save(str(path))
    text_path = tmp_path / "要点.txt"
    text_path.write_text("\n".join(LIST_PLAN), encoding="utf-8")
    assert shape(read_plan(path)) == shape(read_plan(text_path))


def test_list_style_without_headings_is_refused_at_the_task(tmp_path: Path) -> None:
    path = tmp_path / "2024.txt"
    path.write_text(
        "2024年要点\n1.做好政策解读。（市政府办公室负责）\n2.回应关切。（市委网信办负责）\n",
        encoding="utf-8",
    )
    with pytest.raises(PlanFormatError) as caught:
        read_plan(path)
    assert caught.value.line == 2
    assert "没有「一、…」这样的分类标题" in caught.value.reason


def test_a_text_without_units_is_refused_with_what_to_write(tmp_path: Path) -> None:
    path = tmp_path / "2024.txt"
    path.write_text("2024年要点\n一、总体要求\n1.做好工作。\n", encoding="utf-8")
    with pytest.raises(PlanFormatError) as caught:
        read_plan(path)
    assert "没有写明责任单位的段落" in caught.value.reason


LIST_PIECES = [
    "一、",
    "（一）",
    "1.",
    "2、",
    "（1）",
    "牵头单位：",
    "责任单位：",
    "完成时限：",
    "（",
    "）",
    "区发改局",
    "各科室",
    "负责落实",
    "。",
    "，",
    "2024年",
    "要点",
    "\n",
    "全年",
    "、",
]


@pytest.mark.slow
@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.lists(st.sampled_from(LIST_PIECES), max_size=8).map("".join), max_size=12),
    st.sampled_from([None, 2024]),
)
def test_any_list_text_is_a_plan_or_a_reason(lines: list[str], year: int | None) -> None:
    from tracker.importers.listplan import parse_list_plan

    try:
        plan = parse_list_plan(list(enumerate(lines, start=1)), "x.txt", year)
    except PlanFormatError as error:
        assert error.reason
    else:
        assert plan.item_count >= 1


def test_list_style_headings_each_followed_by_their_text(tmp_path: Path) -> None:
    """宜春 2024: ``一、标题`` then its text, ending in the units: two levels, one task each."""
    path = tmp_path / "2024年宜春市政务公开工作要点.txt"
    path.write_text(
        "2024年宜春市政务公开工作要点\n"
        "一、紧扣高质量发展主线，推进信息主动公开\n"
        "集中公开重大部署的相关政策举措和进展情况。（市政府有关部门和各县〔市、区〕人民政府按职责分工负责）\n"
        "二、紧盯重点民生领域，推进信息有序公开\n"
        "及时公开民生实事项目有关政策，并按季度公开执行情况。（市政府办公室负责）\n",
        encoding="utf-8",
    )
    plan = read_plan(path)
    assert shape(plan) == [
        (
            "一",
            "紧扣高质量发展主线，推进信息主动公开",
            [
                (
                    "",
                    [
                        (
                            "集中公开重大部署的相关政策举措和进展情况。",
                            "市政府有关部门和各县〔市、区〕人民政府按职责分工负责",
                            "",
                        )
                    ],
                )
            ],
        ),
        (
            "二",
            "紧盯重点民生领域，推进信息有序公开",
            [
                (
                    "",
                    [
                        (
                            "及时公开民生实事项目有关政策，并按季度公开执行情况。",
                            "市政府办公室负责",
                            "",
                        )
                    ],
                )
            ],
        ),
    ]
    assert [m.name for m in parse_units(shape(plan)[0][2][0][1][0][1])] == [
        "市政府有关部门",
        "各县〔市、区〕人民政府",
    ]
