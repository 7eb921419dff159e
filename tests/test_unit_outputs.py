"""Per-unit outputs (issue 11): the ledger for one unit and the office's ledger with its
单位完成情况 column and 分单位 sheet, import-ledger --by U, and the report's by-unit
figures and 尚未填报的单位 section, checked against a hand count on the bundled plan.

Hand count on the seed, today 2023-08-25 (the dates as in test_ledger's docstring):
overdue before that day are 4.1.1 (5月31日) and 3.2.1 (7月31日); due soon (8月31日) are
2.1.2, 2.3.2 and 3.2.2. Two units report:

* 区发改局 (23 items, test_ledger's count; it leads 5): 1.1.1 已完成, 1.2.2 推进中,
  3.2.2 已完成. Of its items 3.2.1 is overdue (through 区政府工作部门, of which it is a
  member) and 3.2.2 was its only due-soon one (now done).
* 区司法局 (20 items, test_report's count; it leads 2): 2.1.2 推进中 with notes, 3.2.2
  暂缓/受阻. Overdue: 3.2.1; due soon: 2.1.2 and 3.2.2 (neither done).

1.1.1 names three concrete units (区发改局、区经信局、区自然资源局; 各乡镇街委 has no
members), 3.2.2 names 21: their 单位完成情况 are 1/3 and 1/21.
"""

from __future__ import annotations

import csv
import shutil
import sqlite3
import uuid
from contextlib import closing
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document
from openpyxl import load_workbook

from tracker.cli import main
from tracker.domain.models import Status
from tracker.ledger import (
    HEADER_ROW,
    LEDGER_COLUMNS,
    OFFICE_COLUMNS,
    UNIT_SHEET_COLUMNS,
    LedgerError,
    export_ledger,
    import_ledger,
)
from tracker.merge import merge_many
from tracker.services.report import build_report, figure_cells, render_markdown, save_report
from tracker.store import Store

TODAY = date(2023, 8, 25)
FGJ, SFJ = "区发改局", "区司法局"
REPORTS = {
    FGJ: [
        ("1.1.1", Status.DONE, ""),
        ("1.2.2", Status.IN_PROGRESS, ""),
        ("3.2.2", Status.DONE, ""),
    ],
    SFJ: [
        ("2.1.2", Status.IN_PROGRESS, "已完成清理，正在建统一查询库。"),
        ("3.2.2", Status.ON_HOLD, ""),
    ],
}
# Hand-counted rows of the report's by-unit table (see the module docstring):
# 总数, 未启动, 推进中, 已完成, 持续推进, 暂缓/受阻, 完成率, 逾期, 临期; and 牵头.
FGJ_ROW = (["23", "20", "1", "2", "0", "0", "8.7%", "1", "0"], 5)  # 2/23 = 8.7 %
SFJ_ROW = (["20", "18", "1", "0", "0", "1", "0%", "1", "2"], 2)
# 区经信局 is on 1.1.1 too, but 区发改局's 已完成 is not its own: 25 items, none reported;
# overdue 4.1.1 and 3.2.1, due soon 2.3.2 (the figures of the seed with no report).
JXJ_ROW = (["25", "25", "0", "0", "0", "0", "0%", "2", "1"], 3)


def write_reports(store: Store, units: list[str]) -> None:
    plan_id = store.plans()[0].id
    for unit in units:
        for outline, status, notes in REPORTS[unit]:
            item = store.item_by_outline(plan_id, outline)
            store.apply_change(item.id, "status", status.value, f"{unit}经办人", unit=unit)
            if notes:
                store.apply_change(item.id, "notes", notes, f"{unit}经办人", unit=unit)


@pytest.fixture
def plan_id(store: Store) -> str:
    store.today_override = TODAY
    write_reports(store, [FGJ, SFJ])
    return store.plans()[0].id


def clerk_copy(template: Path, path: Path) -> Store:
    """A unit's copy of the office's database, on its own machine."""
    shutil.copyfile(template, path)
    machine_id = uuid.uuid4().hex
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("UPDATE settings SET value = ? WHERE key = 'machine_id'", [machine_id])
        conn.execute(
            "INSERT INTO machines (id, name, first_seen) VALUES (?, ?, '2023-06-01T09:00:00')",
            [machine_id, path.stem],
        )
        conn.commit()
    return Store.open(path)


def by_unit_rows(store: Store, plan_id: str) -> dict[str, tuple[list[str], int]]:
    report = build_report(store, plan_id)
    return {u.name: (figure_cells(u.progress), u.lead) for u in report.units}


# ---------------------------------------------------------------------- the report
def test_by_unit_table_is_the_hand_count(store: Store, plan_id: str) -> None:
    rows = by_unit_rows(store, plan_id)
    assert rows[FGJ] == FGJ_ROW
    assert rows[SFJ] == SFJ_ROW
    assert rows["区经信局"] == JXJ_ROW
    report = build_report(store, plan_id)
    assert [line.name for line in report.unreported][:3] == ["区经信局", "区自然资源局", "区商务局"]
    assert len(report.unreported) == 37  # the plan's 39 concrete units, less the two
    assert FGJ not in {line.name for line in report.unreported}


def test_by_unit_table_after_merging_two_units_snapshots(
    store: Store, db_path: Path, tmp_path: Path
) -> None:
    store.today_override = TODAY
    plan_id = store.plans()[0].id
    store.close()
    copies = []
    for unit in (FGJ, SFJ):
        copy = clerk_copy(db_path, tmp_path / f"{unit}.db")
        write_reports(copy, [unit])
        copy.close()
        copies.append(tmp_path / f"{unit}.db")
    office = Store.open(db_path)
    try:
        office.today_override = TODAY
        result = merge_many(office, copies, "办公室")
        assert result.refused == []
        assert all(not merged.conflicts for merged in result.merged)
        rows = by_unit_rows(office, plan_id)
        assert rows[FGJ] == FGJ_ROW
        assert rows[SFJ] == SFJ_ROW
        assert rows["区经信局"] == JXJ_ROW
    finally:
        office.close()


def test_report_sections_in_markdown_and_docx(store: Store, plan_id: str, tmp_path: Path) -> None:
    report = build_report(store, plan_id)
    lines = render_markdown(report).splitlines()
    assert "| 区发改局 | 23 | 20 | 1 | 2 | 0 | 0 | 8.7% | 1 | 0 | 5 |" in lines
    assert "| 区司法局 | 20 | 18 | 1 | 0 | 0 | 1 | 0% | 1 | 2 | 2 |" in lines
    at = lines.index("## 尚未填报的单位")
    sentence = lines[at + 2]
    assert sentence.startswith(
        "以下37个单位负责的任务尚无任何填报：区经信局25项、区自然资源局19项、"
    )
    assert "区发改局" not in sentence and "区司法局" not in sentence
    assert lines.index("## 未设成员的集合单位") < lines.index("## 尚未填报的单位")

    out = save_report(report, tmp_path / "报告.docx")
    paragraphs = [p.text for p in Document(str(out)).paragraphs]
    headings = [p for p in paragraphs if p.startswith("（")]
    assert "（三）未设成员的集合单位" in headings and "（四）尚未填报的单位" in headings
    assert sentence.replace("\\", "") in paragraphs


def test_a_unit_that_wrote_only_notes_has_reported(store: Store) -> None:
    store.today_override = TODAY
    plan_id = store.plans()[0].id
    item = store.item_by_outline(plan_id, "1.1.1")
    store.apply_change(item.id, "notes", "已部署。", "经办人", unit="区经信局")
    names = {line.name for line in build_report(store, plan_id).unreported}
    assert "区经信局" not in names and FGJ in names


# ---------------------------------------------------------------------- the ledger
def test_office_ledger_units_done_column_and_unit_sheet(
    store: Store, plan_id: str, tmp_path: Path
) -> None:
    book = load_workbook(export_ledger(store, plan_id, tmp_path / "总台账.xlsx"))
    assert book.sheetnames == ["台账", "分单位", "填写说明"]
    sheet = book["台账"]
    header = [sheet.cell(HEADER_ROW, c).value for c in range(1, len(OFFICE_COLUMNS) + 1)]
    assert header == list(OFFICE_COLUMNS)
    status, done = header.index("状态") + 1, header.index("单位完成情况") + 1
    rows = {sheet.cell(r, 1).value: r for r in range(HEADER_ROW + 1, sheet.max_row + 1)}
    assert len(rows) == 47
    cells = {no: (sheet.cell(r, status).value, sheet.cell(r, done).value) for no, r in rows.items()}
    assert cells["1.1.1"] == ("推进中", "1/3")  # the roll-up: 1 of 3 units done
    assert cells["3.2.2"] == ("推进中", "1/21")  # 区发改局 done, 区司法局 on hold
    assert cells["1.2.2"][0] == "推进中"
    assert cells["5.5.1"][0] == "未启动"

    units = book["分单位"]
    assert [units.cell(HEADER_ROW, c).value for c in range(1, 9)] == list(UNIT_SHEET_COLUMNS)
    body = [
        [units.cell(r, c).value for c in range(1, 9)]
        for r in range(HEADER_ROW + 1, units.max_row + 1)
    ]
    assert len(body) == sum(
        len(store.responsible_units(item.id)) for item in store.filtered_items(plan_id)
    )
    first = [(row[0], row[2], row[3], row[4]) for row in body[:3]]
    assert first == [
        ("1.1.1", FGJ, "牵头", "已完成"),
        ("1.1.1", "区经信局", "配合", "未启动"),
        ("1.1.1", "区自然资源局", "配合", "未启动"),
    ]
    assert body[0][1].startswith("聚焦推动经济运行整体好转") and body[0][1].endswith("…")
    assert body[0][7] == f"{FGJ}经办人" and body[0][6].startswith("2023-06-15")
    sfj = [row for row in body if row[0] == "2.1.2" and row[2] == SFJ]
    assert [(r[4], r[5]) for r in sfj] == [("推进中", "已完成清理，正在建统一查询库。")]
    # Printed like the main sheet.
    assert units.page_setup.orientation == "landscape"
    assert units.print_title_rows == "$3:$3"
    assert units.sheet_properties.pageSetUpPr.fitToPage is True
    assert sum(units.column_dimensions[c].width for c in "ABCDEFGH") <= 127


def test_office_csv_writes_the_unit_part_beside_it(
    store: Store, plan_id: str, tmp_path: Path
) -> None:
    out = export_ledger(store, plan_id, tmp_path / "总台账.csv")
    beside = tmp_path / "总台账-分单位.csv"
    rows = list(csv.reader(out.read_text("utf-8-sig").splitlines(keepends=True)))
    assert rows[0] == list(OFFICE_COLUMNS) and rows[1][7] == "1/3"
    parts = list(csv.reader(beside.read_text("utf-8-sig").splitlines(keepends=True)))
    assert parts[0] == list(UNIT_SHEET_COLUMNS)
    assert parts[1][:5] == ["1.1.1", parts[1][1], FGJ, "牵头", "已完成"]
    # Replacing takes --force for both files.
    with pytest.raises(LedgerError, match="已存在"):
        export_ledger(store, plan_id, out)
    beside.unlink()
    out.unlink()
    result = CliRunner().invoke(
        main, ["export-ledger", str(out), "--db", str(store.path), "--today", "2023-08-25"]
    )
    assert result.exit_code == 0, result.output
    assert "另存为" in result.output and beside.exists()


def test_unit_ledger_lists_the_units_own_reports(
    store: Store, plan_id: str, tmp_path: Path
) -> None:
    unit = store.unit(FGJ)
    assert unit is not None
    book = load_workbook(export_ledger(store, plan_id, tmp_path / "发改.xlsx", unit_id=unit.id))
    assert book.sheetnames == ["台账", "填写说明"]  # no 分单位 sheet: it is one unit's
    sheet = book["台账"]
    header = [sheet.cell(HEADER_ROW, c).value for c in range(1, len(LEDGER_COLUMNS) + 1)]
    assert header == list(LEDGER_COLUMNS)
    rows = {
        sheet.cell(r, 1).value: [sheet.cell(r, c).value for c in range(1, 12)]
        for r in range(HEADER_ROW + 1, sheet.max_row + 1)
    }
    assert len(rows) == 23
    assert rows["1.1.1"][6] == "已完成"  # its own, while the roll-up is 推进中
    assert rows["1.2.2"][6] == "推进中"
    assert rows["1.1.3"][6] == "未启动"
    assert rows["1.1.1"][10] == f"{FGJ}经办人"  # its own last update


# ---------------------------------------------------------------------- import-ledger --by
def test_import_by_a_unit_round_trip(store: Store, plan_id: str, tmp_path: Path) -> None:
    unit = store.unit(FGJ)
    assert unit is not None
    out = export_ledger(store, plan_id, tmp_path / "发改.xlsx", unit_id=unit.id)
    book = load_workbook(out)
    sheet = book["台账"]
    row = next(
        r for r in range(HEADER_ROW + 1, sheet.max_row + 1) if sheet.cell(r, 1).value == "1.1.3"
    )
    sheet[f"G{row}"] = "推进中"
    sheet[f"H{row}"] = "已编制投资规划。"
    book.save(out)
    item = store.item_by_outline(plan_id, "1.1.3")
    office_before = (item.office_status, item.notes, item.updated_at)
    before = len(store.changes())

    refused = import_ledger(store, out, SFJ)  # another unit: the whole file is refused
    assert refused.blocked and refused.written == ()
    # 区发改局's reported rows 1.1.1 and 1.2.2, and the filled 1.1.3, are not 区司法局's (3.2.2 is).
    assert [r.no for r in refused.refused] == ["1.1.1", "1.1.3", "1.2.2"]
    assert len(store.changes()) == before

    result = import_ledger(store, out, FGJ)
    assert [c.describe() for c in result.changes] == [
        "1.1.3 状态：未启动 → 推进中",
        "1.1.3 进展情况：已编制投资规划。",
    ]
    report = store.report(item.id, FGJ)
    assert (report.status, report.notes, report.updated_by) == (
        Status.IN_PROGRESS,
        "已编制投资规划。",
        FGJ,
    )
    after = store.item(item.id)
    assert (after.office_status, after.notes, after.updated_at) == office_before  # untouched
    assert after.status is Status.IN_PROGRESS  # the roll-up follows the unit's report
    assert {c.unit_id for c in store.changes(item.id)} == {unit.id}
    assert import_ledger(store, out, FGJ).changes == ()  # again: nothing new


def test_cli_import_by_refuses_the_office_ledger_and_another_units(
    store: Store, plan_id: str, tmp_path: Path
) -> None:
    office = export_ledger(store, plan_id, tmp_path / "总台账.xlsx")
    unit = store.unit(FGJ)
    assert unit is not None
    mine = export_ledger(store, plan_id, tmp_path / "发改.xlsx", unit_id=unit.id)
    book = load_workbook(mine)
    book["台账"]["H4"] = "写了点东西"
    book.save(mine)
    db = str(store.path)
    before = len(store.changes())

    result = CliRunner().invoke(main, ["import-ledger", str(office), "--by", FGJ, "--db", db])
    assert result.exit_code == 1 and "是办公室的总台账" in result.output

    result = CliRunner().invoke(main, ["import-ledger", str(mine), "--by", SFJ, "--db", db])
    assert result.exit_code == 1
    assert "整份台账未导入" in result.output and "不由区司法局负责" in result.output

    result = CliRunner().invoke(main, ["import-ledger", str(mine), "--db", db])  # as the office
    assert result.exit_code == 1 and f"请加 --by {FGJ}" in result.output
    assert len(store.changes()) == before


def test_a_collective_cannot_import_reports(store: Store, plan_id: str, tmp_path: Path) -> None:
    out = export_ledger(store, plan_id, tmp_path / "总台账.xlsx")
    with pytest.raises(LedgerError, match="是集合单位"):
        import_ledger(store, out, "各乡镇街委")
