"""The plan parser: the bundled seed, malformed files, encodings and a round-trip property."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.domain.models import Plan, stable_id
from tracker.importers.parser import (
    PlanFormatError,
    decode_plan_bytes,
    parse_plan_text,
    read_plan_file,
)
from tracker.store.locations import bundled_plan_path

SEED_TITLE = "2023年全区政务公开工作要点分工表"
HEADER = ("序号", "工作任务", "重点工作任务", "责任单位", "完成时限")

CATEGORY_1_KEY_TASKS = [
    "深入推进“三城三地三片区”战略定位信息公开",
    "深入推进教育科技人才支撑信息公开",
    "深入推进民生保障信息公开",
    "深入推进政府自身建设信息公开",
]

ITEMS_PER_KEY_TASK = {
    "1": [3, 2, 5, 6],
    "2": [5, 2, 2, 1, 1, 1],
    "3": [3, 2],
    "4": [3, 3],
    "5": [2, 2, 1, 2, 1],
}


# ---------------------------------------------------------------------- helpers
def build(
    rows: Sequence[Sequence[str]],
    preamble: Sequence[str] = ("附件", SEED_TITLE),
    newline: str = "\n",
) -> tuple[str, list[int]]:
    """Render rows of cells in the dump format; return the text and each row's first line.

    Preamble lines come first, then a blank line, then each row as one tab-led line
    per cell followed by a blank line.
    """
    lines: list[str] = [*preamble, ""]
    starts: list[int] = []
    for cells in rows:
        starts.append(len(lines) + 1)
        lines.extend("\t" + cell for cell in cells)
        lines.append("")
    return newline.join(lines), starts


def body(
    no: str, category: str, key_task: str, content: str, units="区政府办公室", deadline="及时公开"
):
    return [no, category, key_task, content, units, deadline]


def shape(plan: Plan) -> list:
    """A plan's structure and exact cell texts as plain nested lists."""
    return [
        (
            c.no,
            c.title,
            [
                (k.title, [(i.content, i.units_text, i.deadline_text, i.line) for i in k.items])
                for k in c.key_tasks
            ],
        )
        for c in plan.categories
    ]


def all_items(plan: Plan):
    return [i for c in plan.categories for k in c.key_tasks for i in k.items]


def raises_at(text: str, line: int, *fragments: str) -> PlanFormatError:
    with pytest.raises(PlanFormatError) as info:
        parse_plan_text(text)
    error = info.value
    assert error.line == line, f"expected line {line}, got {error.line}: {error}"
    message = str(error)
    assert f"第 {line} 行" in message
    for fragment in fragments:
        assert fragment in message, message
    return error


MINIMAL_ROWS = [HEADER, body("1", "加大主动公开力度", "重点一", "内容一")]


# ---------------------------------------------------------------------- the seed
@pytest.fixture(scope="module")
def seed_text() -> str:
    return bundled_plan_path().read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def seed() -> Plan:
    return read_plan_file(bundled_plan_path())


def test_seed_counts_year_and_title(seed: Plan) -> None:
    assert seed.title == SEED_TITLE
    assert seed.year == 2023
    assert seed.source == "2023-tongchuan-gongkai-fengong.txt"
    assert len(seed.categories) == 5
    assert seed.key_task_count == 19
    assert seed.item_count == 47
    assert len(all_items(seed)) == 47
    assert seed.id == stable_id("plan", 2023, SEED_TITLE)


def test_seed_categories_in_order(seed: Plan) -> None:
    assert [(c.no, c.title) for c in seed.categories] == [
        ("1", "加大主动公开力度"),
        ("2", "推进政务公开提质增效"),
        ("3", "深化政务公开促进基层政府治理能力提升"),
        ("4", "加强平台载体信息化建设"),
        ("5", "夯实工作基础"),
    ]


def test_seed_items_per_key_task(seed: Plan) -> None:
    counts = {c.no: [len(k.items) for k in c.key_tasks] for c in seed.categories}
    assert counts == ITEMS_PER_KEY_TASK


def test_seed_first_item_exact(seed: Plan) -> None:
    first = seed.categories[0].key_tasks[0].items[0]
    assert first.content == (
        "聚焦推动经济运行整体好转、成渝地区双城经济圈建设、川渝万达开地区统筹发展、"
        "达州促进共同富裕示范区建设，及时公开重大项目、重大平台、全面深化改革等信息。"
    )
    assert first.units_text == "区发改局、区经信局、区自然资源局等部门（单位），各乡镇街委。"
    assert first.deadline_text == "及时公开"
    assert first.line == 10


def test_seed_last_item_exact(seed: Plan) -> None:
    last_key_task = seed.categories[-1].key_tasks[-1]
    assert last_key_task.title == "加强工作宣传"
    assert len(last_key_task.items) == 1
    last = last_key_task.items[0]
    assert last.content == (
        "各级各部门（单位）要及时总结政务公开工作典型经验做法，撰写高质量政务公开工作信息，"
        "积极主动在国、省级公开平台发布，加强宣传。"
    )
    assert last.units_text == "区政府工作部门，各乡镇街委。"
    assert last.deadline_text == "12月31日"
    assert last.line == 332


def test_seed_item_with_lead_functional_department(seed: Plan) -> None:
    matches = [i for i in all_items(seed) if i.units_text == "牵头职能部门。"]
    assert len(matches) == 1
    item = matches[0]
    assert item.content == "做好通川区10项民生实事实施信息公开"
    assert item.deadline_text == "及时公开"
    assert item.line == 73
    # The last of the six items of 民生保障 in category 1.
    assert seed.categories[0].key_tasks[2].items[-1] == item


def test_seed_header_spans_title_and_content(seed_text: str, seed: Plan) -> None:
    # The header has five cells, the body rows six: 重点工作任务 covers title and content.
    header_cells = seed_text.split("\n\n")[1].split("\n")
    assert [c.removeprefix("\t") for c in header_cells] == list(HEADER)
    first_key_task = seed.categories[0].key_tasks[0]
    assert first_key_task.title == CATEGORY_1_KEY_TASKS[0]
    for category in seed.categories:
        for key_task in category.key_tasks:
            for item in key_task.items:
                assert item.content != key_task.title
                assert item.content not in {c.title for c in seed.categories}


def test_seed_page_break_repeats_are_one_category(seed_text: str, seed: Plan) -> None:
    # The category rows are repeated in the file after page breaks …
    lines = seed_text.split("\n")
    occurrences = Counter(
        (lines[n], lines[n + 1])
        for n in range(len(lines) - 1)
        if re.fullmatch(r"\t\d+", lines[n]) and lines[n - 1] == ""
    )
    assert occurrences[("\t1", "\t加大主动公开力度")] == 2
    assert occurrences[("\t2", "\t推进政务公开提质增效")] == 3
    assert occurrences[("\t3", "\t深化政务公开促进基层政府治理能力提升")] == 1
    assert occurrences[("\t4", "\t加强平台载体信息化建设")] == 2
    assert occurrences[("\t5", "\t夯实工作基础")] == 2
    # … but each is one category, its key tasks in order and none duplicated.
    assert [c.no for c in seed.categories] == ["1", "2", "3", "4", "5"]
    assert [k.title for k in seed.categories[0].key_tasks] == CATEGORY_1_KEY_TASKS
    assert [k.title for k in seed.categories[1].key_tasks] == [
        "做好专栏内容保障工作",
        "加强涉企政策公开服务",
        "提高政策解读回应质量",
        "高效办理依申请公开",
        "切实提高群众关切回应实效",
        "防范化解重大舆情风险",
    ]
    assert [k.title for k in seed.categories[3].key_tasks] == [
        "大力提升政府网站信息化建管水平",
        "优化完善政务新媒体运维管理机制",
    ]
    assert [k.title for k in seed.categories[4].key_tasks] == [
        "强化保密和安全管理",
        "加强监督管理",
        "深入开展调查研究",
        "切实做好各类保障",
        "加强工作宣传",
    ]
    titles = [k.title for c in seed.categories for k in c.key_tasks]
    assert len(titles) == len(set(titles)) == 19


def test_seed_stray_trailing_cell_is_ignored(seed_text: str, seed: Plan) -> None:
    last_line = seed_text.split("\n")[-1]
    assert last_line != "" and last_line.strip() == ""  # the stray cell is there …
    assert shape(parse_plan_text(seed_text.rstrip())) == shape(seed)  # … and changes nothing
    # A stray blank cell at the end of the last row (tab-led) is dropped too.
    with_cell = seed_text.rstrip() + "\n\t \n"
    assert shape(parse_plan_text(with_cell)) == shape(seed)


def test_seed_deadline_counts(seed: Plan) -> None:
    counts = Counter(i.deadline_text for i in all_items(seed))
    assert counts["及时公开"] == 22
    assert counts["长期坚持"] == 10
    assert counts["适时办理"] == 1
    dated = {text: n for text, n in counts.items() if re.fullmatch(r"\d{1,2}月\d{1,2}日", text)}
    assert sum(dated.values()) == 14
    assert dated["12月31日"] == 7
    assert dated["8月31日"] == 3
    assert sum(counts.values()) == 22 + 10 + 1 + 14


def test_seed_item_lines_point_at_rows(seed_text: str, seed: Plan) -> None:
    lines = seed_text.split("\n")
    for item in all_items(seed):
        # The row starts at item.line; its fourth cell is the content.
        assert lines[item.line - 2] == ""
        assert lines[item.line - 1 + 3] == "\t" + item.content


# ---------------------------------------------------------------------- encodings
def test_gb18030_file_decodes(tmp_path: Path, seed_text: str, seed: Plan) -> None:
    path = tmp_path / "gbk.txt"
    path.write_bytes(seed_text.encode("gb18030"))
    assert shape(read_plan_file(path)) == shape(seed)


def test_gbk_file_decodes(tmp_path: Path, seed_text: str, seed: Plan) -> None:
    path = tmp_path / "gbk.txt"
    path.write_bytes(seed_text.encode("gbk"))
    assert shape(read_plan_file(path)) == shape(seed)


def test_utf8_bom_and_crlf(tmp_path: Path, seed_text: str, seed: Plan) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes(seed_text.replace("\n", "\r\n").encode("utf-8-sig"))
    plan = read_plan_file(path)
    assert plan.title == SEED_TITLE  # no BOM glued to the attachment/title
    assert shape(plan) == shape(seed)


def test_undecodable_bytes_name_the_line() -> None:
    with pytest.raises(PlanFormatError) as info:
        decode_plan_bytes("附件\n2023年\n".encode() + b"\xff\xff\xff\n")
    assert info.value.line == 3
    assert "编码" in str(info.value)


# ---------------------------------------------------------------------- malformed files
def test_missing_title_year() -> None:
    text, _ = build(MINIMAL_ROWS, preamble=("附件", "全区政务公开工作要点分工表"))
    raises_at(text, 2, "年份", "全区政务公开工作要点分工表")


def test_missing_title() -> None:
    text, _ = build(MINIMAL_ROWS, preamble=("附件",))
    raises_at(text, 1, "标题")


def test_missing_header() -> None:
    text, starts = build(MINIMAL_ROWS[1:])
    raises_at(text, starts[0], "表头", "序号")


def test_rows_before_header() -> None:
    text, starts = build([MINIMAL_ROWS[1], *MINIMAL_ROWS])
    raises_at(text, starts[0], "表头之前")


def test_body_row_with_five_cells() -> None:
    rows = [*MINIMAL_ROWS, ["", "", "重点二", "内容二", "区政府办公室"]]
    text, starts = build(rows)
    raises_at(text, starts[2], "6 个单元格", "实际为 5 个")


def test_body_row_with_a_non_blank_seventh_cell() -> None:
    rows = [*MINIMAL_ROWS, [*body("", "", "", "内容二"), "多余"]]
    text, starts = build(rows)
    raises_at(text, starts[2], "实际为 7 个")


def test_continuation_row_before_any_category() -> None:
    rows = [HEADER, body("", "", "重点一", "内容一"), *MINIMAL_ROWS[1:]]
    text, starts = build(rows)
    raises_at(text, starts[1], "工作任务")


def test_item_row_before_any_key_task() -> None:
    rows = [HEADER, body("1", "加大主动公开力度", "", "内容一")]
    text, starts = build(rows)
    raises_at(text, starts[1], "重点工作任务")


def test_item_with_empty_content() -> None:
    rows = [*MINIMAL_ROWS, body("", "", "", " \u3000")]
    text, starts = build(rows)
    raises_at(text, starts[2], "具体任务内容")


def test_category_number_without_title() -> None:
    rows = [*MINIMAL_ROWS, body("2", "", "重点二", "内容二")]
    text, starts = build(rows)
    raises_at(text, starts[2], "「2」")


def test_category_reappearing_later_is_refused() -> None:
    rows = [
        HEADER,
        body("1", "加大主动公开力度", "重点一", "内容一"),
        body("2", "推进政务公开提质增效", "重点二", "内容二"),
        body("1", "加大主动公开力度", "重点三", "内容三"),
    ]
    text, starts = build(rows)
    raises_at(text, starts[3], "已出现过", "加大主动公开力度")


def test_tabless_garbage_line_between_rows() -> None:
    text, starts = build([*MINIMAL_ROWS, body("", "", "", "内容二")])
    lines = text.split("\n")
    # Put a garbage line on the blank line before the last row, followed by a blank line.
    garbage_at = starts[2] - 1  # 1-based number of the blank line before the row
    lines[garbage_at - 1 : garbage_at] = ["", "这是一行垃圾", ""]
    garbage_line = garbage_at + 1
    raises_at("\n".join(lines), garbage_line, "制表符", "这是一行垃圾")


def test_header_only_is_refused() -> None:
    text, starts = build([HEADER])
    raises_at(text, starts[0], "任务行")


def test_well_formed_minimal_plan_parses() -> None:
    # The control for the malformed cases above: the same helper builds a valid file.
    text, starts = build(MINIMAL_ROWS)
    plan = parse_plan_text(text)
    assert shape(plan) == [
        ("1", "加大主动公开力度", [("重点一", [("内容一", "区政府办公室", "及时公开", starts[1])])])
    ]


# ---------------------------------------------------------------------- tolerated variants
@pytest.mark.parametrize(
    "header",
    [
        ("序 号", "工 作 任 务", "重 点 工 作 任 务", "责 任 单 位", "完 成 时 限"),
        (
            "序\u00a0号",
            "工\u00a0作\u00a0任\u00a0务",
            "重点工作任务",
            "责任单位\u00a0",
            "\u00a0完成时限",
        ),
        ("序\u3000号", "工作\u3000任务", "重点工作任务", "责任\u3000单位", "完成时限"),
        ("序号", "工作任务", "重点工作任务", "具体内容", "责任单位", "完成时限"),
        ("序号", "", "工作任务", "重点工作任务", "责任单位", "完成时限", " "),
    ],
    ids=["letter-spaced", "nbsp", "ideographic-space", "six-columns", "blank-cells"],
)
def test_header_variants_are_detected(header: tuple[str, ...]) -> None:
    text, starts = build([header, body("1", "类一", "重点一", "内容一")])
    plan = parse_plan_text(text)
    assert plan.item_count == 1
    assert plan.categories[0].key_tasks[0].items[0].line == starts[1]


def test_repeated_header_after_page_break_is_skipped() -> None:
    rows = [
        HEADER,
        body("1", "类一", "重点一", "内容一"),
        ("序 号", "工作任务", "重点工作任务", "责任单位", "完成时限"),
        body("1", "类一", "重点一", "内容二"),
        HEADER,
        body("", "", "重点二", "内容三"),
    ]
    text, starts = build(rows)
    plan = parse_plan_text(text)
    assert shape(plan) == [
        (
            "1",
            "类一",
            [
                (
                    "重点一",
                    [
                        ("内容一", "区政府办公室", "及时公开", starts[1]),
                        ("内容二", "区政府办公室", "及时公开", starts[3]),
                    ],
                ),
                ("重点二", [("内容三", "区政府办公室", "及时公开", starts[5])]),
            ],
        )
    ]


def test_repeated_category_with_full_width_digits_and_spaces_is_the_same() -> None:
    rows = [HEADER, body("1", "类一", "重点一", "内容一"), body("１", " 类 一", "重点二", "内容二")]
    plan = parse_plan_text(build(rows)[0])
    assert len(plan.categories) == 1
    assert plan.categories[0].title == "类一"  # the first spelling is kept
    assert [k.title for k in plan.categories[0].key_tasks] == ["重点一", "重点二"]


def test_extra_blank_trailing_cells_are_dropped() -> None:
    rows = [HEADER, [*body("1", "类一", "重点一", "内容一"), " ", "", "\u00a0", "\u3000"]]
    plan = parse_plan_text(build(rows)[0])
    item = plan.categories[0].key_tasks[0].items[0]
    assert (item.content, item.units_text, item.deadline_text) == (
        "内容一",
        "区政府办公室",
        "及时公开",
    )


def test_cells_are_kept_exactly_as_written() -> None:
    content = "  ［加强］  [bold]宣传[/] \u00a0１２月 "
    units = "区发改局，各乡镇街委。\u3000"
    rows = [HEADER, body(" 1 ", "类一 ", "重点一\u00a0", content, units, " 12月31日")]
    plan = parse_plan_text(build(rows)[0])
    category = plan.categories[0]
    item = category.key_tasks[0].items[0]
    assert (category.no, category.title, category.key_tasks[0].title) == (
        " 1 ",
        "类一 ",
        "重点一\u00a0",
    )
    assert (item.content, item.units_text, item.deadline_text) == (content, units, " 12月31日")


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x0b", "\x0c", "\x85", "\x1e"])
def test_unicode_line_separators_stay_inside_cells(separator: str) -> None:
    # Only CR/LF end a line; other separators are part of the cell's text.
    content = f"第一段{separator}第二段"
    rows = [HEADER, body("1", "类一", "重点一", content, f"区政府办公室{separator}", separator)]
    item = parse_plan_text(build(rows)[0]).categories[0].key_tasks[0].items[0]
    assert (item.content, item.units_text, item.deadline_text) == (
        content,
        f"区政府办公室{separator}",
        separator,
    )


def test_multi_paragraph_cell_continues_without_tab() -> None:
    text, _ = build(MINIMAL_ROWS)
    text = text.replace("\t内容一\n", "\t内容一\n第二段\n")
    item = parse_plan_text(text).categories[0].key_tasks[0].items[0]
    assert item.content == "内容一\n第二段"
    assert item.units_text == "区政府办公室"


# ---------------------------------------------------------------------- round trip
CHINESE = "区政府发改局经信自然资源部门单位各乡镇街委公开信息加强推进落实年月日序号工作任务重点"
FRAGMENTS = [
    "、",
    "，",
    "。",
    "（单位）",
    "“双随机、一公开”",
    "[bold]",
    "[/]",
    "[red]注意[/red]",
    "\x1b[2J",
    "\x1b[31m",
    "\u00a0",
    "\u3000",
    " ",
    "工 作 任 务",
    "１２３",
    "😀",
    "👩‍💻",
    "e\u0301",
    "\u200b",
    "\ufeff",
    "\u2028",
    "\u2029",
    "\x0b",
    "\x0c",
    "\x85",
    "\x1c",
    "$(rm -rf ~)",
    "\\",
    "'\"",
    "%s{0}",
    "<b>&amp;</b>",
]
_NOT_IN_CELLS = "\t\n\r"
any_char = st.characters(exclude_characters=_NOT_IN_CELLS, exclude_categories=("Cs",))
piece = st.one_of(
    st.text(alphabet=CHINESE, min_size=1, max_size=6),
    st.sampled_from(FRAGMENTS),
    st.text(alphabet=any_char, min_size=1, max_size=4),
)
cell = st.lists(piece, max_size=4).map("".join)
required = st.tuples(cell, st.text(alphabet=CHINESE, min_size=1, max_size=4), cell).map("".join)
merged_blank = st.sampled_from(["", " ", "\u00a0", "\u3000", "  "])


def _norm(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


items_st = st.lists(st.tuples(required, cell, cell), min_size=1, max_size=3)
key_tasks_st = st.lists(
    st.tuples(required, items_st), min_size=1, max_size=3, unique_by=lambda k: _norm(k[0])
)
categories_st = st.lists(
    st.tuples(required, required, key_tasks_st),
    min_size=1,
    max_size=4,
    unique_by=lambda c: (_norm(c[0]), _norm(c[1])),
)


@st.composite
def rendered_plans(draw):
    """A random plan, its dump text, and the structure the parser should give back."""
    year = draw(st.integers(1900, 2999))
    title = f"{year}年" + draw(st.text(alphabet=CHINESE + "[]/😀-_", max_size=12))
    preamble = draw(st.sampled_from([["附件", title], [title], ["附件1", "", title]]))
    categories = draw(categories_st)
    rows: list[list[str]] = [list(HEADER)]
    expected_rows: list[tuple[int, int, int]] = []  # (category, key task, item) per body row
    for ci, (no, ctitle, key_tasks) in enumerate(categories):
        for ki, (ktitle, items) in enumerate(key_tasks):
            for ii, (content, units, deadline) in enumerate(items):
                first_in_category = ki == 0 and ii == 0
                page_break = not first_in_category and draw(st.booleans())
                if page_break and draw(st.booleans()):
                    rows.append(list(draw(st.sampled_from([HEADER, ("序 号", *HEADER[1:])]))))
                if first_in_category or page_break:
                    cells = [no, ctitle]
                else:
                    cells = [draw(merged_blank), draw(merged_blank)]
                if ii == 0 or (page_break and draw(st.booleans())):
                    cells.append(ktitle)
                else:
                    cells.append(draw(merged_blank))
                cells += [content, units, deadline]
                cells += draw(st.lists(merged_blank, max_size=2))  # stray trailing cells
                rows.append(cells)
                expected_rows.append((ci, ki, len(rows) - 1))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    text, starts = build(rows, preamble=preamble, newline=newline)
    if draw(st.booleans()):
        text += newline + " "  # a stray space at the very end, as in the seed
    expected = [
        (
            no,
            ctitle,
            [
                (
                    ktitle,
                    [(content, units, deadline) for content, units, deadline in items],
                )
                for ktitle, items in key_tasks
            ],
        )
        for no, ctitle, key_tasks in categories
    ]
    lines = [starts[row] for _, _, row in expected_rows]
    return title, year, text, expected, lines


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rendered_plans())
def test_round_trip(case) -> None:
    title, year, text, expected, lines = case
    plan = parse_plan_text(text, source="x.txt")
    assert plan.title == title
    assert plan.year == year
    got = [
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
    assert got == expected
    assert [i.line for i in all_items(plan)] == lines
    # The bytes survive the file decoding too (UTF-8 with a BOM).
    assert decode_plan_bytes(text.encode("utf-8-sig")) == text
