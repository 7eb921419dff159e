"""Plan files and returned ledgers from outside (issue 14, the file side).

Each attack is refused or contained with a reason, quickly and in bounded memory, and the
clerk's database is left as it was and readable. The crafted files come from
``tests/crafted.py``; the ones that once broke something are committed under
``tests/fixtures/hostile/``.
"""

from __future__ import annotations

import io
import re
import sqlite3
import time
import tracemalloc
import zipfile
from contextlib import closing
from pathlib import Path

import crafted
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from tracker.cli import main
from tracker.importers import read_plan
from tracker.importers.parser import PlanFormatError, read_plan_file
from tracker.importers.vet import (
    MAX_PARAGRAPHS,
    MAX_ROWS,
    MAX_TEXT_LINES,
    MAX_UNCOMPRESSED,
    MAX_ZIP_ENTRIES,
)
from tracker.ledger import LISTED, export_ledger, import_ledger, read_ledger_file
from tracker.store import Store

HOSTILE = crafted.HOSTILE_DIR
MB = 1024 * 1024

EXPECTED = {
    "merged-a3-xfd1048576.xlsx": "表头之后应有任务行",  # read (clipped), then not a plan
    "truncated-sheet.xlsx": "工作表「Sheet1」的内容不完整或已损坏（XML 第 2 行",
    "word-named.xlsx": "这是一个 Word 文件，扩展名却是 .xlsx；请把扩展名改为 .docx",
    "excel-named.docx": "这是一个 Excel 文件，扩展名却是 .docx；请把扩展名改为 .xlsx",
    "old-word-named.xlsx": "这是一个旧版 Word 文件（.doc），扩展名却是 .xlsx；"
    "请在 Word/WPS/Excel 中打开并另存为 .xlsx",
    "password-protected.xlsx": "设有打开密码的 Office 文件",
    "pdf-named.docx": "这是一个 PDF 文件，扩展名却是 .docx",
    "billion-laughs.xlsx": "DTD",
    "value-in-last-row.xlsx": f"文件过大：工作表「Sheet1」的行数（超过 {MAX_ROWS} 行，上限",
}
READ = {"dimension-xfd1048576.xlsx", "unicode-text.csv"}
"""Fixtures that are good plans under a hostile surface: they import."""


def database_state(db: Path) -> list[str]:
    """Everything in a database, as SQL (what "unchanged" means)."""
    with closing(sqlite3.connect(db)) as conn:
        return list(conn.iterdump())


def assert_readable(db: Path) -> None:
    result = CliRunner().invoke(main, ["list", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.fixture
def cli_db(tmp_path: Path, seed_path: Path) -> Path:
    db = tmp_path / "台账.db"
    store = Store.open(db)
    store.import_plan(read_plan_file(seed_path))
    store.close()
    return db


# ---------------------------------------------------------------------- fixtures
def test_the_fixtures_are_what_the_generator_makes() -> None:
    made = crafted.fixtures()
    assert sorted(p.name for p in HOSTILE.iterdir()) == sorted(made)
    assert set(made) == set(EXPECTED) | READ
    for path in HOSTILE.iterdir():
        assert path.stat().st_size < 40_000, path


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hostile_fixture_is_refused_with_a_reason(name: str) -> None:
    started = time.perf_counter()
    with pytest.raises(PlanFormatError) as caught:
        read_plan(HOSTILE / name)
    assert EXPECTED[name] in str(caught.value)
    assert "None" not in str(caught.value)
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize("name", sorted(READ))
def test_hostile_surface_good_plan_imports(name: str) -> None:
    plan = read_plan(HOSTILE / name)
    assert plan.title == crafted.TITLE
    assert [item.content for c in plan.categories for k in c.key_tasks for item in k.items] == [
        row[2] for row in crafted.ROWS
    ]


def test_merged_range_to_the_sheets_end_costs_nothing(tmp_path: Path) -> None:
    """A 2 KB file merging A3:XFD1048576 grew to 6 GB; now it is clipped to the data."""
    # A vertical merge down to the last row, over real data: clipped, and the rows below
    # the first continue its text.
    rows = crafted.plan_rows()
    path = tmp_path / "merged.xlsx"
    path.write_bytes(crafted.xlsx_bytes(crafted.sheet_xml(rows, merges=["A3:A1048576"])))
    tracemalloc.start()
    try:
        plan = read_plan(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * MB
    assert [c.title for c in plan.categories] == ["加大主动公开力度"]
    assert len(plan.categories[0].key_tasks[0].items) == 2


def test_truncated_xml_anywhere_gets_a_reason(tmp_path: Path) -> None:
    good = crafted.xlsx_bytes()
    for member in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml"):
        with zipfile.ZipFile(io.BytesIO(good)) as archive:
            content = archive.read(member)
        path = tmp_path / "x.xlsx"
        path.write_bytes(crafted.replace_member(good, member, content[: len(content) // 2]))
        with pytest.raises(PlanFormatError, match="不完整或已损坏"):
            read_plan(path)


def test_a_word_file_cut_short_gets_a_reason(tmp_path: Path) -> None:
    data = crafted.docx_bytes()
    path = tmp_path / "半截.docx"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(PlanFormatError, match="已损坏"):
        read_plan(path)


def test_a_docx_named_txt_or_csv_says_what_it_is(tmp_path: Path) -> None:
    for name in ("分工表.txt", "分工表.csv", "分工表"):
        path = tmp_path / name
        path.write_bytes(crafted.docx_bytes())
        with pytest.raises(PlanFormatError, match="这是一个 Word 文件，扩展名却是"):
            read_plan(path)


# ---------------------------------------------------------------------- limits
def test_too_many_zip_members_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "多.xlsx"
    path.write_bytes(crafted.many_members(MAX_ZIP_ENTRIES - 4))  # and the 5 parts of a workbook
    with pytest.raises(PlanFormatError) as caught:
        read_plan(path)
    assert str(caught.value) == (
        f"文件过大：压缩包内的文件数（{MAX_ZIP_ENTRIES + 1} 个，上限 {MAX_ZIP_ENTRIES} 个）"
    )


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="measures VmHWM (Linux)")
def test_zip_bomb_is_refused_in_bounded_memory(tmp_path: Path, cli_db: Path) -> None:
    """A sheet inflating past the limit is refused from the zip directory alone:
    neither import nor import-ledger inflates it (a 2 MB bomb used to cost 2.2 GB)."""
    bomb = crafted.zip_bomb(tmp_path / "炸弹.xlsx", MAX_UNCOMPRESSED + MB)
    assert bomb.stat().st_size < 2 * MB
    before = database_state(cli_db)
    for command in (["import"], ["import-ledger", "--by", "区发改局"]):
        _, peak, output = crafted.run_tracker_measured(
            command[0], str(bomb), *command[1:], "--db", str(cli_db)
        )
        assert "文件过大：解压后的大小（101.0 MB，上限 100.0 MB）" in output, output
        assert "Traceback" not in output
        assert peak < 200 * MB, f"{command[0]}: {peak / MB:.0f} MB"
    assert database_state(cli_db) == before


def test_a_bomb_hiding_its_size_is_never_inflated(tmp_path: Path) -> None:
    """The zip directory says 2 KB; the data inflates to 50 MB: reading stops at 2 KB."""
    bomb = crafted.zip_bomb(tmp_path / "藏.xlsx", 50 * MB)
    crafted.lying_sizes(bomb, "xl/worksheets/sheet1.xml", 2000)
    tracemalloc.start()
    try:
        with pytest.raises(PlanFormatError, match=r"文件已损坏或不完整.*BadZipFile"):
            read_plan(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5 * MB


def test_an_xml_part_under_another_name_is_checked_too(tmp_path: Path) -> None:
    """python-docx parses parts by the content type the file declares, whatever their name."""
    hidden = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    path = tmp_path / "藏.docx"
    path.write_bytes(crafted.replace_member(crafted.docx_bytes(), "word/media/image9.png", hidden))
    with pytest.raises(PlanFormatError, match="DTD"):
        read_plan(path)


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (1_000_000, f"文件过大：文本的行数（1000001 行，上限 {MAX_TEXT_LINES} 行）"),
        (MAX_ROWS + 10, f"文件过大：CSV 的行数（超过 {MAX_ROWS} 行，上限 {MAX_ROWS} 行）"),
    ],
)
def test_million_row_csv_is_refused_fast_with_bounded_output(
    tmp_path: Path, cli_db: Path, rows: int, expected: str
) -> None:
    """A 1M-row csv took 2.6 GB and printed 110 MB of refusals."""
    path = tmp_path / "百万行.csv"
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("序号,具体内容,状态,进展情况\n")
        handle.write("9,x,x,x\n" * rows)
    before = database_state(cli_db)
    for args in (["import", str(path)], ["import-ledger", str(path), "--by", "区发改局"]):
        started = time.perf_counter()
        result = CliRunner().invoke(main, [*args, "--db", str(cli_db)])
        assert time.perf_counter() - started < 5
        assert result.exit_code == 1
        assert expected in result.output
        assert len(result.output) < 500
    assert database_state(cli_db) == before


def test_a_text_file_of_millions_of_lines_is_refused_fast(tmp_path: Path) -> None:
    """9 MB of line breaks took 3 minutes and 900 MB in the list-style reader."""
    path = tmp_path / "空行.txt"
    path.write_bytes(b"\n" * 9_000_000)
    started = time.perf_counter()
    with pytest.raises(PlanFormatError) as caught:
        read_plan(path)
    assert str(caught.value) == (f"文件过大：文本的行数（9000000 行，上限 {MAX_TEXT_LINES} 行）")
    assert time.perf_counter() - started < 2


@pytest.mark.slow
def test_a_word_file_of_too_many_paragraphs_is_refused(tmp_path: Path) -> None:
    data = crafted.docx_bytes(rows=[])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        document = archive.read("word/document.xml")
    at = document.index(b"<w:sectPr")
    path = tmp_path / "段落.docx"
    many = document[:at] + b"<w:p/>" * (MAX_PARAGRAPHS + 1) + document[at:]
    path.write_bytes(crafted.replace_member(data, "word/document.xml", many))
    with pytest.raises(
        PlanFormatError, match=f"文件过大：Word 文档的段落数（超过 {MAX_PARAGRAPHS} 段"
    ):
        read_plan(path)


def test_refusal_lists_are_bounded(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "多行.csv"
    rows = [f"9.9.{i},不存在的任务,已完成,x" for i in range(LISTED + 50)]
    path.write_text("序号,具体内容,状态,进展情况\n" + "\n".join(rows), encoding="utf-8")
    from tracker.ledger import describe_import

    lines = list(describe_import(import_ledger(store, path, "区发改局", dry_run=True)))
    assert lines[1] == f"以下 {LISTED + 50} 行未导入："
    assert lines[-1] == "  ……另有 50 行未列出"
    assert len(lines) == LISTED + 3


# ---------------------------------------------------------------------- messages
def test_a_docx_with_a_10_mb_paragraph_imports(tmp_path: Path) -> None:
    """libxml2 refuses a text node over 10 MB unless told; it was 「不是可以读取的」."""
    data = crafted.docx_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        document = archive.read("word/document.xml")
    long = "说明" * (5 * MB // 3 + 1)  # 10 MB of UTF-8 text
    paragraph = f"<w:p><w:r><w:t>{long}</w:t></w:r></w:p>".encode()
    at = document.index(b"<w:sectPr")
    path = tmp_path / "长段落.docx"
    path.write_bytes(
        crafted.replace_member(data, "word/document.xml", document[:at] + paragraph + document[at:])
    )
    assert len(long.encode()) > 10_000_000
    plan = read_plan(path)
    assert plan.title == crafted.TITLE
    assert len(plan.categories[0].key_tasks[0].items) == 2


def test_utf16_csv_is_read_as_plan_and_as_ledger(store: Store, tmp_path: Path) -> None:
    plan = read_plan(HOSTILE / "unicode-text.csv")
    assert plan.categories[0].key_tasks[0].items[0].content == crafted.ROWS[0][2]
    # A ledger saved by Excel as 「Unicode 文本」 (big-endian too).
    plan_id = store.plans()[0].id
    item = store.item_by_outline(plan_id, "1.1.1")
    rows = [["序号", "具体内容", "状态", "进展情况"], ["1.1.1", item.content, "推进中", "已公开"]]
    for encoding in ("utf-16-le", "utf-16-be"):
        path = tmp_path / f"{encoding}.csv"
        text = "\r\n".join("\t".join(r) for r in rows)
        path.write_bytes(("\ufeff" + text).encode(encoding))
        sheet = read_ledger_file(path)
        assert [(r.no, r.status, r.notes) for r in sheet.rows] == [("1.1.1", "推进中", "已公开")]


# ---------------------------------------------------------------------- import-ledger
@pytest.fixture
def ledger(store: Store, tmp_path: Path) -> tuple[Path, dict[str, int]]:
    """区发改局's ledger with notes on 1.1.1 and 1.2.2; its rows by outline."""
    plan_id = store.plans()[0].id
    for outline in ("1.1.1", "1.2.2"):
        item = store.item_by_outline(plan_id, outline)
        store.save_notes(item.id, f"{outline} 的进展：已部署。", "区发改局", unit="区发改局")
    unit = store.unit("区发改局")
    assert unit is not None
    out = export_ledger(store, plan_id, tmp_path / "发改.xlsx", unit_id=unit.id)
    sheet = load_workbook(out)["台账"]
    rows = {sheet.cell(r, 1).value: r for r in range(4, sheet.max_row + 1)}
    return out, rows


def edit(path: Path, cells: dict[str, object]) -> Path:
    workbook = load_workbook(path)
    for ref, value in cells.items():
        workbook["台账"][ref] = value
    workbook.save(path)
    return path


def with_cached_value(path: Path, ref: str, cached: str) -> Path:
    """Give the formula in ``ref`` a cached result, as Excel saves one."""
    with zipfile.ZipFile(path) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    pattern = re.compile(rf'<c r="{ref}"([^>]*)><f>(.*?)</f><v\s*(?:/>|></v>)')
    sheet, n = pattern.subn(
        lambda m: f'<c r="{ref}"{m.group(1)} t="str"><f>{m.group(2)}</f><v>{cached}</v>', sheet
    )
    assert n == 1
    path.write_bytes(
        crafted.replace_member(path.read_bytes(), "xl/worksheets/sheet1.xml", sheet.encode())
    )
    return path


def notes_of(store: Store, outline: str) -> str:
    """区发改局's own notes on an item (its ledger imports into its reports)."""
    return store.report(store.item_by_outline(store.plans()[0].id, outline).id, "区发改局").notes


def test_a_formula_without_cached_value_refuses_its_row(
    store: Store, ledger: tuple[Path, dict[str, int]]
) -> None:
    """Such a cell reads as empty: it used to clear the notes (「已清空」)."""
    path, rows = ledger
    r1, r2 = rows["1.1.1"], rows["1.2.2"]
    edit(path, {f"H{r1}": '=CONCAT("a","b")', f"G{r1}": "已完成", f"G{r2}": "推进中"})
    before = len(store.changes())
    result = import_ledger(store, path, "区发改局")
    assert [r.describe() for r in result.refused] == [
        f'第 {r1} 行（序号 1.1.1）：「进展情况」是公式（=CONCAT("a","b")），且没有计算结果；'
        "未导入这一行，请把公式改为直接填写的文字后重新导入"
    ]
    assert [c.describe() for c in result.changes] == ["1.2.2 状态：未启动 → 推进中"]
    assert notes_of(store, "1.1.1") == "1.1.1 的进展：已部署。"
    assert len(store.changes()) == before + 1


def test_a_formula_with_a_cached_value_refuses_its_row_too(
    store: Store, ledger: tuple[Path, dict[str, int]]
) -> None:
    path, rows = ledger
    r1 = rows["1.1.1"]
    with_cached_value(edit(path, {f"G{r1}": '=IF(1,"已完成","")'}), f"G{r1}", "已完成")
    assert read_ledger_file(path).rows[0].status == "已完成"  # the cached value is there
    result = import_ledger(store, path, "区发改局", dry_run=True)
    assert [r.reason for r in result.refused] == [
        '「状态」是公式（=IF(1,"已完成","")）；未导入这一行，请把公式改为直接填写的文字后重新导入'
    ]
    assert result.changes == ()


def test_an_emptied_note_is_kept_unless_allowed(
    store: Store, ledger: tuple[Path, dict[str, int]]
) -> None:
    path, rows = ledger
    r1, r2 = rows["1.1.1"], rows["1.2.2"]
    edit(path, {f"H{r1}": None, f"G{r1}": "已完成", f"H{r2}": "   "})
    result = import_ledger(store, path, "区发改局")
    assert result.refused == ()
    assert [r.describe() for r in result.kept] == [
        f"第 {r1} 行（序号 1.1.1）：进展情况为空，原有进展「1.1.1 的进展：已部署。」未清空",
        f"第 {r2} 行（序号 1.2.2）：进展情况为空，原有进展「1.2.2 的进展：已部署。」未清空",
    ]
    assert [c.describe() for c in result.changes] == ["1.1.1 状态：未启动 → 已完成"]
    assert notes_of(store, "1.1.1") == "1.1.1 的进展：已部署。"
    cleared = import_ledger(store, path, "区发改局", allow_clear=True)
    assert cleared.kept == ()
    assert [c.describe() for c in cleared.changes] == [
        "1.1.1 进展情况：已清空",
        "1.2.2 进展情况：已清空",
    ]
    assert notes_of(store, "1.1.1") == notes_of(store, "1.2.2") == ""


def test_cli_allow_clear(cli_db: Path, tmp_path: Path) -> None:
    store = Store.open(cli_db)
    try:
        item = store.item_by_outline(store.plans()[0].id, "1.1.1")
        store.save_notes(item.id, "已部署。", "区发改局")
    finally:
        store.close()
    out = tmp_path / "交回.xlsx"
    assert CliRunner().invoke(main, ["export-ledger", str(out), "--db", str(cli_db)]).exit_code == 0
    edit(out, {"I4": None})  # the office's ledger: 进展情况 after 单位完成情况
    result = CliRunner().invoke(main, ["import-ledger", str(out), "--db", str(cli_db)])
    assert result.exit_code == 1
    assert (
        "以下 1 行的进展情况为空，原有进展未清空（确需清空请加 --allow-clear）：" in result.output
    )
    assert "有 1 行的原有进展未清空，见上面的列表" in result.output
    result = CliRunner().invoke(
        main, ["import-ledger", str(out), "--allow-clear", "--db", str(cli_db)]
    )
    assert result.exit_code == 0, result.output
    assert "1.1.1 进展情况：已清空" in result.output
    assert_readable(cli_db)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hostile_files_as_ledgers_change_nothing(name: str, cli_db: Path, tmp_path: Path) -> None:
    source = HOSTILE / name
    path = tmp_path / (source.stem + (".xlsx" if source.suffix == ".docx" else source.suffix))
    path.write_bytes(source.read_bytes())
    before = database_state(cli_db)
    result = CliRunner().invoke(
        main, ["import-ledger", str(path), "--by", "区发改局", "--db", str(cli_db)]
    )
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)
    assert "未导入任何内容" in result.output or "找不到台账的表头" in result.output
    assert database_state(cli_db) == before
    assert_readable(cli_db)


def test_a_word_file_named_xlsx_is_named_for_import_ledger(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "交回.xlsx"
    path.write_bytes(crafted.docx_bytes())
    from tracker.ledger import LedgerError

    with pytest.raises(LedgerError) as caught:
        import_ledger(store, path, "区发改局")
    assert str(caught.value) == (
        "无法读取「交回.xlsx」：这是一个 Word 文件，扩展名却是 .xlsx；无法作为 .xlsx 文件导入；"
        "未导入任何内容"
    )
