"""The ledger file: xlsx and csv export read back cell by cell, import-ledger, the CLI
commands, the app's export key, and (where installed) LibreOffice opening the file.

Hand count on the bundled plan with today 2023-08-25 (as in test_overview): the plan has
47 items in 5 categories (16, 12, 5, 6, 8 items) and 19 key tasks; in the xlsx the
header is row 3, so items fill rows 4–50. Overdue: 4.1.1 (5月31日, row 37); 3.2.1
(7月31日, row 35) is past its date but 持续推进, which is never overdue; due soon: 2.1.2
(row 21), 2.3.2 (row 28) and 3.2.2 (row 36), all 8月31日. 区发改局 answers for 23 items.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from textual.widgets import Input

from tracker.cli import main
from tracker.domain.deadlines import DueWarning
from tracker.domain.models import Status
from tracker.importers.parser import read_plan_file
from tracker.ledger import (
    HEADER_ROW,
    ID_COLUMN,
    OFFICE_COLUMNS,
    LedgerError,
    apply_import,
    check_import,
    export_ledger,
    import_ledger,
    read_ledger_file,
)
from tracker.store import ItemFilter, Store
from tracker.ui.app import TrackerApp
from tracker.ui.screens.dialogs import ConfirmScreen, PathScreen

TODAY = date(2023, 8, 25)
WARNING_WORDS = {DueWarning.OVERDUE: "逾期", DueWarning.DUE_SOON: "临期"}
USER = "张三"
FIRST = HEADER_ROW + 1
"""The first item's row in the xlsx."""
LAST = FIRST + 46
"""The 47th item's row."""

STATUS_CHANGES = {
    "聚焦推动经济运行整体好转": Status.DONE,  # 1.1.1
    "及时发布提振内需促进消费恢复": Status.DONE,  # 1.1.2
    "做好积极扩大有效投资相关规划": Status.DONE,  # 1.1.3
    "及时公布行政规范性文件清理结果": Status.IN_PROGRESS,  # 2.1.2, due soon
    "区政府门户网站要参照省政府网站": Status.IN_PROGRESS,  # 4.1.1, overdue
    "各级各部门要按照国家有关部委印发": Status.ONGOING,  # 3.2.1, past 7月31日 but standing
    "切实做好交流培训": Status.ON_HOLD,  # 5.4.2
}
"""The statuses of test_overview's hand count."""


@pytest.fixture
def plan_id(store: Store) -> str:
    """The seed with test_overview's statuses, judged on 2023-08-25."""
    store.today_override = TODAY
    plan_id = store.plans()[0].id
    items = store.filtered_items(plan_id)
    for prefix, status in STATUS_CHANGES.items():
        (item,) = [item for item in items if item.content.startswith(prefix)]
        store.set_status(item.id, status, USER)
    return plan_id


def item_at(store: Store, plan_id: str, outline: str):
    return store.item_by_outline(plan_id, outline)


def unit_id(store: Store, name: str) -> str:
    unit = store.unit(name)
    assert unit is not None
    return unit.id


# ---------------------------------------------------------------------- xlsx export
def test_xlsx_reads_back_cell_by_cell(store: Store, plan_id: str, tmp_path: Path) -> None:
    note = "已召开专题会议。\n已在门户网站公开：http://example.gov.cn/a?b=1"
    first = item_at(store, plan_id, "1.1.1")
    store.save_notes(first.id, note, USER)
    out = export_ledger(store, plan_id, tmp_path / "台账.xlsx")

    sheet = load_workbook(out)["台账"]
    assert sheet["A1"].value == "2023年全区政务公开工作要点分工表　工作台账"
    assert sheet["A2"].value.startswith("截至 2023年8月25日　共 47 项")
    header = [sheet.cell(HEADER_ROW, c).value for c in range(1, 14)]
    assert header == [*OFFICE_COLUMNS, ID_COLUMN]  # the office's: 单位完成情况 beside 状态
    assert sheet.max_row == LAST

    items = store.filtered_items(plan_id)
    assert len(items) == 47
    for row, item in enumerate(items, start=FIRST):
        values = [sheet.cell(row, c).value for c in range(1, 14)]
        updated = store.item(item.id)
        expected = [
            item.outline,
            item.category_title,  # on every row: a page break never loses the label
            item.key_task_title,
            item.content,
            item.units_text,
            item.deadline_text,
            item.status.label,
            f"{item.units_done}/{item.units_total}" if item.units_total else "-",
            item.notes or None,
            WARNING_WORDS.get(item.warning),
            updated.updated_at[:16].replace("T", " ") if updated.updated_at else None,
            updated.updated_by,
            item.id,
        ]
        assert values == expected, f"row {row}"
        assert all(sheet.cell(row, c).data_type == "s" for c in (1, 4, 5, 6, 7))

    # Hand-checked cells.
    assert [sheet.cell(4, c).value for c in (1, 2, 3, 7, 8, 9, 11, 12)] == [
        "1.1.1",
        "加大主动公开力度",
        "深入推进“三城三地三片区”战略定位信息公开",
        "已完成",  # the office's verdict
        "0/3",  # 区发改局、区经信局、区自然资源局 (各乡镇街委 has no members): none reported
        note,
        "2023-06-15 09:30",
        USER,
    ]
    assert sheet["A37"].value == "4.1.1"
    assert sheet["F37"].value == "5月31日"
    assert sheet["G37"].value == "推进中"
    assert sheet["J37"].value == "逾期"  # in words, for a black-and-white printer
    assert sheet["J35"].value is None  # 3.2.1: past 7月31日, but 持续推进 is never overdue
    assert sheet["J21"].value == "临期"
    assert sheet["A50"].value == "5.5.1"


def test_xlsx_layout_print_setup_and_validation(store: Store, plan_id: str, tmp_path: Path) -> None:
    sheet = load_workbook(export_ledger(store, plan_id, tmp_path / "台账.xlsx"))["台账"]
    # Only the title and the 截至 line are merged: labels are on every row, so a page
    # break never leaves an empty box (a merged cell split across two pages).
    merged = sorted(str(r) for r in sheet.merged_cells.ranges)
    assert merged == ["A1:J1", "A2:J2"]  # the office's ledger: 单位完成情况 is column H
    assert sheet.print_area == "'台账'!$A$1:$J$50"  # 更新时间/更新人 are for the screen

    assert sheet.freeze_panes == "A4"
    assert sheet.print_title_rows == "$3:$3"
    assert sheet.page_setup.orientation == "landscape"
    assert str(sheet.page_setup.paperSize) == sheet.PAPERSIZE_A4  # "9": A4
    assert sheet.page_setup.fitToWidth == 1
    assert sheet.page_setup.fitToHeight == 0
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
    assert sheet.column_dimensions["M"].hidden is True
    assert sheet.column_dimensions["D"].width > sheet.column_dimensions["A"].width
    printed = sum(sheet.column_dimensions[c].width for c in "ABCDEFGHIJ")
    assert printed <= 127  # fits landscape A4 at ≥ 85 %: 11 pt prints at ≥ 9 pt
    # A full footer: its 0.3 in sits well inside the 0.75 in bottom margin.
    assert sheet.page_margins.bottom - sheet.page_margins.footer >= 0.4
    assert sheet.oddFooter.center.text == "第 &P 页，共 &N 页"
    assert sheet["D4"].alignment.wrap_text is True

    (validation,) = sheet.data_validations.dataValidation
    assert validation.type == "list"
    assert validation.formula1 == '"未启动,推进中,已完成,持续推进,暂缓/受阻"'
    assert str(validation.sqref) == "G4:G50"
    assert validation.showErrorMessage is True

    # 完成时限 and 预警 coloured as of 2023-08-25: red for overdue, orange for due soon.
    for column in (6, 10):
        fills = {
            row: sheet.cell(row, column).fill.fgColor.rgb
            for row in range(FIRST, LAST + 1)
            if sheet.cell(row, column).fill.fill_type == "solid"
        }
        assert fills == {
            37: "00FFC7CE",  # 4.1.1 5月31日 (3.2.1's 7月31日 is not: 持续推进)
            21: "00FFD8A8",  # 2.1.2 8月31日
            28: "00FFD8A8",  # 2.3.2
            36: "00FFD8A8",  # 3.2.2
        }
    help_sheet = sheet.parent["填写说明"]
    assert help_sheet.page_setup.orientation == "portrait"
    assert help_sheet.sheet_properties.pageSetUpPr.fitToPage is True  # fits its page
    assert help_sheet.page_setup.fitToWidth == 1


def test_xlsx_for_one_unit(store: Store, plan_id: str, tmp_path: Path) -> None:
    fgj = unit_id(store, "区发改局")
    sheet = load_workbook(export_ledger(store, plan_id, tmp_path / "发改.xlsx", unit_id=fgj))[
        "台账"
    ]
    assert "责任单位：区发改局（共 23 项）" in sheet["A2"].value
    outlines = [sheet.cell(r, 1).value for r in range(FIRST, sheet.max_row + 1)]
    expected = [i.outline for i in store.filtered_items(plan_id, ItemFilter(unit_id=fgj))]
    assert outlines == expected and len(outlines) == 23
    assert sheet["B4"].value == sheet["B5"].value == "加大主动公开力度"


def test_hostile_text_stays_text(store: Store, plan_id: str, tmp_path: Path) -> None:
    item = item_at(store, plan_id, "1.1.1")
    hostile = '=HYPERLINK("http://x")\n[/] [bold]x[/bold] <b>\x07\x1b[31m'
    store.save_notes(item.id, hostile, USER)
    sheet = load_workbook(export_ledger(store, plan_id, tmp_path / "a.xlsx"))["台账"]
    cell = sheet["I4"]
    assert cell.data_type == "s"
    assert cell.value == '=HYPERLINK("http://x")\n[/] [bold]x[/bold] <b>\u2407\u241b[31m'
    # Reading it back is not a change: the control characters were only shown.
    result = import_ledger(store, tmp_path / "a.xlsx", None)  # the office's
    assert result.changes == () and result.refused == ()


def test_export_refuses_overwrite_and_other_suffixes(
    store: Store, plan_id: str, tmp_path: Path
) -> None:
    out = tmp_path / "台账.xlsx"
    export_ledger(store, plan_id, out)
    with pytest.raises(LedgerError, match="已存在"):
        export_ledger(store, plan_id, out)
    export_ledger(store, plan_id, out, force=True)
    with pytest.raises(LedgerError, match=r"\.xlsx"):
        export_ledger(store, plan_id, tmp_path / "台账.xls")
    with pytest.raises(LedgerError, match="不存在"):
        export_ledger(store, plan_id, tmp_path / "no" / "台账.xlsx")
    assert sorted(p.name for p in tmp_path.iterdir() if "台账" in p.name) == ["台账.xlsx"]


# ---------------------------------------------------------------------- csv export
def test_csv_is_utf8_with_bom_and_repeats_categories(
    store: Store, plan_id: str, tmp_path: Path
) -> None:
    item = item_at(store, plan_id, "1.1.1")
    store.save_notes(item.id, "第一行\n第二行，含“引号”和,逗号", USER)
    store.save_notes(item_at(store, plan_id, "1.1.2").id, "-已部署", USER)
    out = export_ledger(store, plan_id, tmp_path / "台账.csv")
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    rows = list(csv.reader(data.decode("utf-8-sig").splitlines(keepends=True)))
    assert rows[0] == list(OFFICE_COLUMNS)
    assert len(rows) == 48
    items = store.filtered_items(plan_id)
    for row, item in zip(rows[1:], items, strict=True):
        assert row[:7] == [
            item.outline,
            item.category_title,  # repeated on every row: no merged cells in a CSV
            item.key_task_title,
            item.content,
            item.units_text,
            item.deadline_text,
            item.status.label,
        ]
    assert rows[1][8] == "第一行\n第二行，含“引号”和,逗号"
    assert rows[2][8] == "'-已部署"  # Excel would read -… as a formula
    assert rows[16][1] == rows[1][1] == "加大主动公开力度"


# ---------------------------------------------------------------------- import
def fill(path: Path, cells: dict[str, object], delete_id_column: bool = False) -> Path:
    """Edit a ledger as a unit would in Excel, and save it."""
    workbook = load_workbook(path)
    sheet = workbook["台账"]
    for ref, value in cells.items():
        sheet[ref] = value
    if delete_id_column:
        header = [cell.value for cell in sheet[HEADER_ROW]]
        sheet.delete_cols(header.index(ID_COLUMN) + 1)
    workbook.save(path)
    return path


def test_import_brings_changes_in_as_the_unit(store: Store, plan_id: str, tmp_path: Path) -> None:
    out = export_ledger(store, plan_id, tmp_path / "发改.xlsx", unit_id=unit_id(store, "区发改局"))
    # 区发改局's rows 4 and 6 are 1.1.1 and 1.2.2 (it answers for 1.1.1, 1.1.3, 1.2.2, …).
    sheet = load_workbook(out)["台账"]
    rows = {sheet.cell(r, 1).value: r for r in range(FIRST, sheet.max_row + 1)}
    fill(
        out,
        {
            f"G{rows['1.2.2']}": "推进中",
            f"H{rows['1.2.2']}": "已梳理科技创新政策 12 项，\n正在逐项公开。",
            f"H{rows['1.1.1']}": "已公开重大项目信息 5 条。",
            f"G{rows['1.1.3']}": "未启动",  # unchanged: 区发改局's own (the office said 已完成)
        },
    )
    result = import_ledger(store, out, "区发改局")
    assert result.refused == ()
    assert [c.describe() for c in result.changes] == [
        "1.1.1 进展情况：已公开重大项目信息 5 条。",
        "1.2.2 状态：未启动 → 推进中",
        "1.2.2 进展情况：已梳理科技创新政策 12 项， 正在逐项公开。",
    ]
    assert len(result.written) == 3
    item = item_at(store, plan_id, "1.2.2")
    assert item.status is Status.IN_PROGRESS  # the roll-up: one of its units 推进中
    assert item.notes == ""  # the office's notes are not the unit's
    report = store.report(item.id, "区发改局")
    assert report.status is Status.IN_PROGRESS
    assert report.notes == "已梳理科技创新政策 12 项，\n正在逐项公开。"
    assert report.updated_by == "区发改局"
    logged = store.changes(item.id)
    assert [(c.field, c.by) for c in logged][:2] == [("notes", "区发改局"), ("status", "区发改局")]

    again = import_ledger(store, out, "区发改局")  # nothing new: nothing written
    assert again.changes == () and again.written == ()


def test_import_refuses_rows_it_cannot_match_and_says_which(
    store: Store, plan_id: str, tmp_path: Path
) -> None:
    out = export_ledger(store, plan_id, tmp_path / "全部.xlsx")
    before = len(store.changes())
    fill(
        out,
        {
            "G5": "完成了",  # 1.1.2: not a status
            "I5": "已发布",
            "M6": None,  # 1.1.3 without its id, content changed: cannot tell
            "D6": "做好积极扩大有效投资相关规划（已改写）",
            "I6": "x",
            "M7": None,  # 1.2.1 without its id, but 序号 and 具体内容 match: imported
            "G7": "已完成",
            "A52": "9.9.9",  # a row added at the bottom
            "D52": "新增的任务",
            "G52": "推进中",
            "G8": "推进中",  # 1.2.2: the office may change any item
            "G9": "已完成",  # 1.3.1
        },
    )
    result = import_ledger(store, out, None)  # the office's ledger, as the office
    assert [r.describe() for r in result.refused] == [
        "第 5 行（序号 1.1.2）：状态「完成了」不是可选的状态"
        "（未启动、推进中、已完成、持续推进、暂缓/受阻）",
        "第 6 行（序号 1.1.3）：具体内容与分工表中该序号的任务不符（请勿改动序号和具体内容）",
        "第 52 行（序号 9.9.9）：分工表中没有序号 9.9.9",
    ]
    assert [c.describe() for c in result.changes] == [
        "1.2.1 状态：未启动 → 已完成",
        "1.2.2 状态：未启动 → 推进中",
        "1.3.1 状态：未启动 → 已完成",
    ]
    assert len(store.changes()) == before + 3
    assert item_at(store, plan_id, "1.1.2").notes == ""  # a refused row changes nothing
    assert item_at(store, plan_id, "1.1.2").status is Status.DONE


def test_import_matches_by_outline_and_content_without_ids(
    store: Store, plan_id: str, tmp_path: Path
) -> None:
    out = export_ledger(store, plan_id, tmp_path / "台账.xlsx")
    fill(out, {"I4": "已公开。"}, delete_id_column=True)
    sheet = read_ledger_file(out)
    assert all(row.item_id is None for row in sheet.rows)
    result = import_ledger(store, out, None)
    assert [c.describe() for c in result.changes] == ["1.1.1 进展情况：已公开。"]
    assert result.refused == ()


def test_duplicate_rows_are_refused(store: Store, plan_id: str, tmp_path: Path) -> None:
    out = export_ledger(store, plan_id, tmp_path / "台账.xlsx")
    sheet = load_workbook(out)["台账"]
    copy = [sheet.cell(FIRST, c).value for c in range(1, 13)]
    fill(out, {f"{chr(64 + c)}52": v for c, v in enumerate(copy, start=1)} | {"I52": "又一次"})
    result = import_ledger(store, out, None)
    assert [r.describe() for r in result.refused] == [
        "第 52 行（序号 1.1.1）：与第 4 行是同一项任务（序号 1.1.1），请删去重复的行"
    ]
    assert result.changes == ()


def test_a_file_that_cannot_be_read_changes_nothing(
    store: Store, plan_id: str, tmp_path: Path
) -> None:
    before = len(store.changes())
    broken = tmp_path / "坏.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(LedgerError, match="无法读取"):
        import_ledger(store, broken, "区发改局")
    other = tmp_path / "其他.xlsx"
    workbook = load_workbook(export_ledger(store, plan_id, tmp_path / "x.xlsx"))
    workbook["台账"].delete_rows(1, 3)  # no header left
    workbook.save(other)
    with pytest.raises(LedgerError, match="找不到台账的表头"):
        import_ledger(store, other, "区发改局")
    with pytest.raises(LedgerError, match="不是 xlsx"):
        import_ledger(store, tmp_path / "台账.txt", "区发改局")
    with pytest.raises(LedgerError, match="未找到单位"):
        import_ledger(store, tmp_path / "x.xlsx", "区不存在局")
    assert len(store.changes()) == before


def test_dry_run_writes_nothing(store: Store, plan_id: str, tmp_path: Path) -> None:
    out = fill(export_ledger(store, plan_id, tmp_path / "台账.xlsx"), {"G4": "推进中"})
    result = import_ledger(store, out, None, dry_run=True)
    assert [c.describe() for c in result.changes] == ["1.1.1 状态：已完成 → 推进中"]
    assert result.written == ()
    assert item_at(store, plan_id, "1.1.1").status is Status.DONE


def test_a_value_changed_after_the_check_is_not_overwritten(
    store: Store, plan_id: str, tmp_path: Path
) -> None:
    out = fill(export_ledger(store, plan_id, tmp_path / "台账.xlsx"), {"I4": "办公室的说法"})
    checked = check_import(store, read_ledger_file(out), None)
    item = item_at(store, plan_id, "1.1.1")
    store.save_notes(item.id, "另一窗口刚写的", USER)  # between the check and the write
    result = apply_import(store, checked, "区发改局")
    assert result.written == ()
    assert [r.row for r in result.refused] == [4]
    assert item_at(store, plan_id, "1.1.1").notes == "另一窗口刚写的"


def test_csv_comes_back_too(store: Store, plan_id: str, tmp_path: Path) -> None:
    out = export_ledger(store, plan_id, tmp_path / "台账.csv")
    rows = list(csv.reader(out.read_text("utf-8-sig").splitlines(keepends=True)))
    rows[1][6] = "推进中"
    rows[1][8] = "-已部署"  # 进展情况 (after 单位完成情况)
    # Saved by Excel on Chinese Windows: GBK.
    gbk = tmp_path / "交回.csv"
    with open(gbk, "w", encoding="gbk", newline="") as handle:
        csv.writer(handle).writerows(rows)
    result = import_ledger(store, gbk, None)
    assert [c.describe() for c in result.changes] == [
        "1.1.1 状态：已完成 → 推进中",
        "1.1.1 进展情况：-已部署",
    ]


# ---------------------------------------------------------------------- CLI
@pytest.fixture
def cli_db(tmp_path: Path, seed_path: Path) -> Path:
    db = tmp_path / "台账.db"
    store = Store.open(db)
    store.import_plan(read_plan_file(seed_path))
    store.close()
    return db


def run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_cli_export_ledger(cli_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "台账.xlsx"
    result = run("export-ledger", out, "--db", cli_db, "--today", "2023-08-25")
    assert result.exit_code == 0, result.output
    assert "台账已导出（47 项任务）" in result.output
    sheet = load_workbook(out)["台账"]
    assert sheet["A2"].value.startswith("截至 2023年8月25日")
    # 14 dated items: on 2023-08-25 every still-open one is overdue or due soon.
    assert sheet["F37"].fill.fgColor.rgb == "00FFC7CE"

    refused = run("export-ledger", out, "--db", cli_db)
    assert refused.exit_code == 1 and "已存在" in refused.output

    mine = tmp_path / "发改.csv"
    result = run("--unit", "区发改局", "export-ledger", mine, "--db", cli_db)
    assert result.exit_code == 0 and "23 项任务" in result.output
    assert len(mine.read_text("utf-8-sig").splitlines()) == 24

    unknown = run("export-ledger", tmp_path / "x.xlsx", "--unit", "区不存在局", "--db", cli_db)
    assert unknown.exit_code == 1 and "未找到单位" in unknown.output


def test_cli_import_ledger_lists_changes_and_refusals(cli_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "台账.xlsx"
    assert run("export-ledger", out, "--db", cli_db).exit_code == 0
    fill(out, {"G4": "已完成", "I4": "已公开。", "G5": "办完了"})

    dry = run("import-ledger", out, "--dry-run", "--db", cli_db)
    assert "试运行，未写入" in dry.output

    result = run("import-ledger", out, "--user", USER, "--db", cli_db)  # the office's
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == ("「台账.xlsx」（办公室）：共 47 行，对应 46 项任务，已修改 1 项任务的 2 处")
    assert lines[1:3] == ["  1.1.1 状态：未启动 → 已完成", "  1.1.1 进展情况：已公开。"]
    assert lines[3] == "以下 1 行未导入："
    assert lines[4].startswith("  第 5 行（序号 1.1.2）：状态「办完了」不是可选的状态")
    assert "有 1 行未导入" in result.output

    store = Store.open(cli_db)
    try:
        item = store.item_by_outline(store.plans()[0].id, "1.1.1")
        assert (item.status, item.notes, item.updated_by) == (Status.DONE, "已公开。", USER)
    finally:
        store.close()

    as_unit = run("import-ledger", out, "--by", "区发改局", "--db", cli_db)
    assert as_unit.exit_code == 1 and "是办公室的总台账" in as_unit.output


# ---------------------------------------------------------------------- the app
@pytest.mark.slow
async def test_l_exports_the_ledger_with_overwrite_confirmation(store: Store, plan_id: str) -> None:
    app = TrackerApp(store, USER)
    target = Path.home() / "2023分工表-全部-20230825.xlsx"
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("L")
        await pilot.pause()
        assert isinstance(app.screen, PathScreen)
        assert app.screen.query_one(Input).value == str(target)
        await pilot.press("enter")
        await pilot.pause()
        assert target.exists()
        assert load_workbook(target)["台账"].max_row == LAST

        await pilot.press("L")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        assert not isinstance(app.screen, (PathScreen, ConfirmScreen))

        # My unit's items only, to a CSV, overwriting after a yes.
        app.screen.flt = ItemFilter(unit_id=unit_id(store, "区发改局"))
        csv_target = Path.home() / "发改.csv"
        csv_target.write_text("old")
        await pilot.press("L")
        await pilot.pause()
        app.screen.query_one(Input).value = str(csv_target)
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert len(csv_target.read_text("utf-8-sig").splitlines()) == 24


@pytest.mark.slow
async def test_path_dialog_refuses_other_suffixes(store: Store, plan_id: str) -> None:
    app = TrackerApp(store, USER)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("L")
        await pilot.pause()
        app.screen.query_one(Input).value = str(Path.home() / "台账.doc")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PathScreen)  # still asking
        await pilot.press("escape")
        await pilot.pause()
        assert not list(Path.home().glob("台账*"))


# ---------------------------------------------------------------------- LibreOffice
def soffice() -> str:
    if os.environ.get("TRACKER_SKIP_PRINT") == "1":  # set by .ci/run
        pytest.skip("printed pages not checked (CI)")
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    return found


def convert(source: Path, to: str, outdir: Path) -> Path:
    """Convert a file with LibreOffice headless (its own profile, so runs don't clash)."""
    profile = outdir / "lo-profile"
    outdir.mkdir(exist_ok=True)
    subprocess.run(
        [
            soffice(),
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--convert-to",
            to,
            "--outdir",
            str(outdir),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    converted = outdir / f"{source.stem}.{to.split(':')[0]}"
    assert converted.exists()
    return converted


@pytest.mark.slow
def test_libreoffice_reads_the_xlsx(store: Store, plan_id: str, tmp_path: Path) -> None:
    soffice()
    store.save_notes(item_at(store, plan_id, "1.1.1").id, "第一行\n第二行 =1+1", USER)
    out = export_ledger(store, plan_id, tmp_path / "ledger.xlsx")
    # CSV, comma-separated, quoted, UTF-8 (76), first sheet.
    converted = convert(out, "csv:Text - txt - csv (StarCalc):44,34,76,1", tmp_path / "lo")
    lo_rows = list(csv.reader(converted.read_text("utf-8").splitlines(keepends=True)))
    sheet = load_workbook(out)["台账"]
    ours = [
        ["" if v is None else str(v) for v in row]
        for row in sheet.iter_rows(min_row=1, max_row=sheet.max_row, values_only=True)
    ]
    assert lo_rows == ours


@pytest.mark.slow
def test_libreoffice_resaved_ledger_imports(store: Store, plan_id: str, tmp_path: Path) -> None:
    soffice()
    out = fill(
        export_ledger(store, plan_id, tmp_path / "ledger.xlsx"),
        {"G8": "推进中", "I8": "已部署。"},
    )
    # A unit opens the file in LibreOffice (or WPS) and saves it again.
    resaved = convert(out, "xlsx", tmp_path / "lo")
    sheet = load_workbook(resaved)["台账"]
    assert sheet.column_dimensions["M"].hidden is True
    assert sheet["B5"].value == "加大主动公开力度"
    assert sheet.data_validations.dataValidation[0].formula1 == (
        '"未启动,推进中,已完成,持续推进,暂缓/受阻"'
    )
    assert sheet.page_setup.orientation == "landscape"
    result = import_ledger(store, resaved, None)
    assert result.refused == ()
    assert [c.describe() for c in result.changes] == [
        "1.2.2 状态：未启动 → 推进中",
        "1.2.2 进展情况：已部署。",
    ]


def test_warning_of_rows_matches_the_store(store: Store, plan_id: str) -> None:
    """The coloured rows above are the store's overdue and due-soon items."""
    overdue = store.filtered_items(plan_id, ItemFilter(warnings=frozenset({DueWarning.OVERDUE})))
    due_soon = store.filtered_items(plan_id, ItemFilter(warnings=frozenset({DueWarning.DUE_SOON})))
    assert [i.outline for i in overdue] == ["4.1.1"]  # 3.2.1 is 持续推进: never overdue
    assert [i.outline for i in due_soon] == ["2.1.2", "2.3.2", "3.2.2"]
