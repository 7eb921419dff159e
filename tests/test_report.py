"""The progress report: its figures against a hand count of the bundled plan, the summary
sentence, Markdown and HTML output (escaped), the command and the app's report screen.

The hand count is test_overview's (counted from data/2023-tongchuan-gongkai-fengong.txt,
not with the store), with today 2023-08-25 and the default 14-day window:

- statuses: 3 done (1.1.1-1.1.3), 2 in progress (2.1.2, 4.1.1), 1 ongoing (3.2.1),
  1 on hold (5.4.2), 40 not started; completion 3/47 = 6.38…% → 6.4%;
- overdue: 4.1.1 (5月31日, 86 days: 30 in June + 31 in July + 25 in August; led by
  区经信局); 3.2.1 (7月31日) is past its date but marked 持续推进 (standing work), which
  is never overdue; due soon, 6 days each: the 8月31日 items 2.1.2, 2.3.2, 3.2.2;
- 区发改局 answers for 23 items (3 done, 1 ongoing, 1 on hold; 3.2.2 due soon) and
  leads 5; 区司法局 for 20 (2.1.2 in progress; 2.1.2 and 3.2.2 due soon).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document
from markdown_it import MarkdownIt
from textual.widgets import Input, Static

from tracker.cli import main
from tracker.domain.models import Status
from tracker.importers.parser import read_plan_file
from tracker.services.report import (
    DueItem,
    Report,
    build_report,
    figure_cells,
    rate_label,
    region_word,
    render_html,
    render_markdown,
    save_report,
    summary_sentence,
)
from tracker.store import ItemFilter, Progress, Store
from tracker.ui.app import TrackerApp
from tracker.ui.screens.dialogs import ConfirmScreen, PathScreen
from tracker.ui.screens.report import ReportScreen

TODAY = date(2023, 8, 25)
USER = "张三"

STATUS_CHANGES = {
    "聚焦推动经济运行整体好转": Status.DONE,
    "及时发布提振内需促进消费恢复": Status.DONE,
    "做好积极扩大有效投资相关规划": Status.DONE,
    "及时公布行政规范性文件清理结果": Status.IN_PROGRESS,
    "区政府门户网站要参照省政府网站": Status.IN_PROGRESS,
    "各级各部门要按照国家有关部委印发": Status.ONGOING,
    "切实做好交流培训": Status.ON_HOLD,
}
"""test_overview's statuses."""

SUMMARY = (
    "截至2023年8月25日，全区47项任务已完成3项，完成率6.4%；推进中2项，持续推进1项，"
    "暂缓/受阻1项，尚未启动40项；逾期1项（4.1.1 区经信局牵头），临期3项（14天内到期）。"
)
FGJ_SUMMARY = (
    "截至2023年8月25日，区发改局负责的23项任务已完成3项，完成率13%；持续推进1项，"
    "暂缓/受阻1项，尚未启动18项；无逾期任务，临期1项（14天内到期）。"
)

# 总数 未启动 推进中 已完成 持续推进 暂缓/受阻 完成率 逾期 临期
CATEGORY_FIGURES = {
    "加大主动公开力度": ["16", "13", "0", "3", "0", "0", "18.8%", "0", "0"],
    "推进政务公开提质增效": ["12", "11", "1", "0", "0", "0", "0%", "0", "2"],
    "深化政务公开促进基层政府治理能力提升": ["5", "4", "0", "0", "1", "0", "0%", "0", "1"],
    "加强平台载体信息化建设": ["6", "5", "1", "0", "0", "0", "0%", "1", "0"],
    "夯实工作基础": ["8", "7", "0", "0", "0", "1", "0%", "0", "0"],
}
TOTAL_FIGURES = ["47", "40", "2", "3", "1", "1", "6.4%", "1", "3"]
FGJ_FIGURES = ["23", "18", "0", "3", "1", "1", "13%", "0", "1"]
SFJ_FIGURES = ["20", "17", "1", "0", "1", "1", "0%", "0", "2"]
# The by-unit table counts each unit's own reports (issue 11). The statuses above are the
# office's verdicts: no unit has reported, so every unit's own items are all 未启动, and
# 3.2.1 (7月31日, 持续推进 by the office's verdict, 区政府工作部门 of which both are
# members) is overdue for them: 区发改局 is due soon on 3.2.2, 区司法局 on 2.1.2 and 3.2.2.
FGJ_OWN_FIGURES = ["23", "23", "0", "0", "0", "0", "0%", "1", "1"]
SFJ_OWN_FIGURES = ["20", "20", "0", "0", "0", "0", "0%", "1", "2"]


@pytest.fixture
def plan_id(store: Store) -> str:
    store.today_override = TODAY
    plan_id = store.plans()[0].id
    items = store.filtered_items(plan_id)
    for prefix, status in STATUS_CHANGES.items():
        (item,) = [item for item in items if item.content.startswith(prefix)]
        store.set_status(item.id, status, USER)
    return plan_id


def test_rate_label() -> None:
    cases = [(3, 47), (3, 16), (3, 23), (199, 200), (1999, 2000), (1, 3000), (47, 47), (0, 5)]
    assert [rate_label(d, t) for d, t in cases] == [
        "6.4%",
        "18.8%",
        "13%",
        "99.5%",
        "99.9%",  # 99.95 would round to 100: only everything done is 100%
        "0.1%",  # something done is never 0%
        "100%",
        "0%",
    ]
    assert rate_label(0, 0) == "-"


def test_region_word() -> None:
    assert region_word("2023年全区政务公开工作要点分工表") == "全区"
    assert region_word("2024年全市政务公开工作要点") == "全市"
    assert region_word("政务公开重点任务清单") == "分工表所列"


def test_figures_match_the_hand_count(store: Store, plan_id: str) -> None:
    report = build_report(store, plan_id)
    assert report.today == TODAY and report.unit_name is None
    assert figure_cells(report.total) == TOTAL_FIGURES
    assert {c.name: figure_cells(c.progress) for c in report.categories} == CATEGORY_FIGURES
    assert [c.no for c in report.categories] == ["1", "2", "3", "4", "5"]
    units = {u.name: (figure_cells(u.progress), u.lead) for u in report.units}
    assert units["区发改局"] == (FGJ_OWN_FIGURES, 5)
    assert units["区司法局"] == (SFJ_OWN_FIGURES, 2)
    assert len(units) == 39  # every concrete unit the plan names, no collective
    assert "区政府工作部门" not in units
    # In the plan's order (1.1.1 names these four first), not by pinyin.
    assert [u.name for u in report.units][:4] == [
        "区发改局",
        "区经信局",
        "区自然资源局",
        "区商务局",
    ]

    assert [(i.no, i.days, i.lead, i.deadline_text, i.status) for i in report.overdue] == [
        ("4.1.1", 86, "区经信局", "5月31日", Status.IN_PROGRESS),
    ]  # 3.2.1 (7月31日) is 持续推进: standing work is never overdue
    assert [(i.no, i.days) for i in report.due_soon] == [("2.1.2", 6), ("2.3.2", 6), ("3.2.2", 6)]
    assert report.overdue[0].content.startswith("区政府门户网站要参照省政府网站")


def test_summary_sentence(store: Store, plan_id: str) -> None:
    assert build_report(store, plan_id).summary == SUMMARY


def test_report_for_one_unit(store: Store, plan_id: str) -> None:
    fgj = store.unit("区发改局")
    assert fgj is not None
    report = build_report(store, plan_id, fgj.id)
    assert report.unit_name == "区发改局"
    assert figure_cells(report.total) == FGJ_FIGURES
    assert report.units == ()  # no per-unit table in a unit's own report
    assert [i.no for i in report.overdue] == []
    assert [i.no for i in report.due_soon] == ["3.2.2"]
    assert report.summary == FGJ_SUMMARY
    assert sum(c.progress.total for c in report.categories) == 23


def test_summary_on_other_days(store: Store, plan_id: str) -> None:
    store.today_override = date(2023, 6, 15)
    assert build_report(store, plan_id).summary == (
        "截至2023年6月15日，全区47项任务已完成3项，完成率6.4%；推进中2项，持续推进1项，"
        "暂缓/受阻1项，尚未启动40项；逾期1项（4.1.1 区经信局牵头）。"
    )
    store.today_override = date(2023, 5, 1)
    assert build_report(store, plan_id).summary.endswith("尚未启动40项；无逾期任务。")
    store.today_override = date(2024, 1, 2)  # every open dated item but 持续推进 3.2.1 is late
    summary = build_report(store, plan_id).summary
    assert "；逾期13项（4.1.1 区经信局牵头、2.1.2 区司法局牵头、" in summary
    assert summary.endswith("等）。")


def test_summary_when_all_done_or_nothing_to_do(store: Store, plan_id: str) -> None:
    for item in store.filtered_items(plan_id):
        store.set_status(item.id, Status.DONE, USER)
    assert build_report(store, plan_id).summary == (
        "截至2023年8月25日，全区47项任务已全部完成，完成率100%。"
    )
    company = store.add_unit("某某公司")  # named in no item, in no collective
    report = build_report(store, plan_id, company.id)
    assert report.summary == "截至2023年8月25日，某某公司暂无负责的任务。"
    assert "## 按工作任务" not in render_markdown(report)


def _hostile_report() -> Report:
    hostile = "公开 | 链接 [/] <script>alert(1)</script> *加粗* & `代码`\n第二行"
    item = DueItem(
        item_id="x",
        no="1.1.1",
        content=hostile,
        units_text="区A局 | 区B局",
        lead="区A局",
        deadline_text="5月31日",
        due_date=date(2023, 5, 31),
        status=Status.IN_PROGRESS,
        days=3,
        notes="已公开 | 见 [链接](http://x) <b>粗</b>",
    )
    progress = Progress(total=1, by_status={Status.IN_PROGRESS: 1}, overdue=1)
    return Report(
        plan_id="p",
        plan_title="<b>2023年全区</b> [bold]表[/]",
        today=date(2023, 6, 3),
        due_window=14,
        total=progress,
        overdue=(item,),
    )


def test_markdown_escapes_plan_text() -> None:
    text = render_markdown(_hostile_report())
    html = MarkdownIt("commonmark").enable("table").render(text)
    # One table row for the item: the | inside the text did not split it.
    (row,) = [row for row in html.split("<tr>") if "<td>1.1.1</td>" in row]
    assert row.count("<td") == 7  # … 状态, 逾期天数, 进展情况
    assert "已公开 | 见 [链接](http://x) &lt;b&gt;粗&lt;/b&gt;" in row
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>" not in html and "<em>" not in html and "<code>" not in html
    assert "公开 | 链接 [/]" in html  # shown as typed, on one line
    assert "&lt;b&gt;2023年全区&lt;/b&gt; [bold]表[/]" in html


def test_html_is_self_contained_and_escaped(store: Store, plan_id: str) -> None:
    page = render_html(_hostile_report())
    assert page.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in page
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "第二行" in page
    page = render_html(build_report(store, plan_id))
    assert page.count("<style>") == 1 and "<link" not in page and "src=" not in page
    assert page.count("<table>") == page.count("</table>") == 4
    assert f'<p class="summary">{SUMMARY}</p>' in page
    assert '<td class="num overdue">1</td>' in page  # 合计's overdue count, in red


def test_markdown_on_the_seed(store: Store, plan_id: str) -> None:
    text = render_markdown(build_report(store, plan_id))
    lines = text.splitlines()
    assert lines[0] == "# 2023年全区政务公开工作要点分工表落实情况"
    assert lines[2] == "截至 2023年8月25日"
    assert lines[4] == f"> {SUMMARY}"
    assert "| 1 | 加大主动公开力度 | 16 | 13 | 0 | 3 | 0 | 0 | 18.8% | 0 | 0 |" in lines
    assert "|  | 合计 | 47 | 40 | 2 | 3 | 1 | 1 | 6.4% | 1 | 3 |" in lines
    assert "| 区发改局 | 23 | 23 | 0 | 0 | 0 | 0 | 0% | 1 | 1 | 5 |" in lines  # its own reports
    assert "## 逾期任务：1项" in lines
    assert "## 临期任务（14天内到期）：3项" in lines


def test_save_report(store: Store, plan_id: str, tmp_path: Path) -> None:
    report = build_report(store, plan_id)
    md = save_report(report, tmp_path / "报告.md")
    assert md.read_text("utf-8") == render_markdown(report)
    page = save_report(report, tmp_path / "报告.html")
    assert page.read_text("utf-8").startswith("<!DOCTYPE html>")
    with pytest.raises(Exception, match="已存在"):
        save_report(report, md)
    save_report(report, md, force=True)


# ---------------------------------------------------------------------- CLI
@pytest.fixture
def cli_db(tmp_path: Path, seed_path: Path) -> Path:
    db = tmp_path / "台账.db"
    store = Store.open(db)
    store.import_plan(read_plan_file(seed_path))
    plan_id = store.plans()[0].id
    items = store.filtered_items(plan_id)
    for prefix, status in STATUS_CHANGES.items():
        (item,) = [item for item in items if item.content.startswith(prefix)]
        store.set_status(item.id, status, USER)
    store.close()
    return db


def run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_cli_report(cli_db: Path, tmp_path: Path) -> None:
    result = run("report", "--today", "2023-08-25", "--db", cli_db)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[4] == f"> {SUMMARY}"

    result = run("--today", "2023-08-25", "--unit", "区发改局", "report", "--db", cli_db)
    assert f"> {FGJ_SUMMARY}" in result.output

    out = tmp_path / "8月.html"
    result = run("report", "--today", "2023-08-25", "--out", out, "--db", cli_db)
    assert result.exit_code == 0 and "报告已保存到" in result.output
    assert out.read_text("utf-8").startswith("<!DOCTYPE html>")  # chosen by the name
    again = run("report", "--out", out, "--db", cli_db)
    assert again.exit_code == 1 and "已存在" in again.output
    forced = run("report", "--format", "md", "--out", out, "--force", "--db", cli_db)
    assert forced.exit_code == 0 and out.read_text("utf-8").startswith("# ")

    unknown = run("report", "--unit", "区不存在局", "--db", cli_db)
    assert unknown.exit_code == 1 and "未找到单位「区不存在局」" in unknown.output


# ---------------------------------------------------------------------- the app
@pytest.mark.slow
async def test_r_shows_the_report_and_saves_it(store: Store, plan_id: str) -> None:
    app = TrackerApp(store, USER)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("R")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ReportScreen)
        summary = screen.query_one("#report-summary", Static)
        assert str(summary.render()) == SUMMARY
        overdue = screen.query_one("#report-overdue", Static).content
        assert overdue.renderables[0].plain == "逾期任务：1项"

        await pilot.press("c")
        assert app.clipboard == SUMMARY

        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, PathScreen)
        docx = Path.home() / "2023分工表-全部-20230825.docx"  # Word, by the export name
        assert app.screen.query_one(Input).value == str(docx)
        await pilot.press("enter")
        await pilot.pause()
        assert SUMMARY in [p.text for p in Document(str(docx)).paragraphs]

        target = Path.home() / "进展报告.md"
        await pilot.press("s")
        await pilot.pause()
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await pilot.pause()
        assert target.read_text("utf-8").splitlines()[4] == f"> {SUMMARY}"

        await pilot.press("s")
        await pilot.pause()
        app.screen.query_one(Input).value = str(target.with_suffix(".html"))
        await pilot.press("enter")
        await pilot.pause()
        assert target.with_suffix(".html").read_text("utf-8").startswith("<!DOCTYPE html>")

        await pilot.press("s")  # the .md again: asks before overwriting
        await pilot.pause()
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        assert app.screen is screen

        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ReportScreen)


@pytest.mark.slow
async def test_report_follows_my_unit(store: Store, plan_id: str) -> None:
    fgj = store.unit("区发改局")
    assert fgj is not None
    app = TrackerApp(store, USER)
    async with app.run_test(size=(120, 40)) as pilot:
        app.screen.flt = ItemFilter(unit_id=fgj.id)
        await pilot.press("R")
        await pilot.pause()
        assert isinstance(app.screen, ReportScreen)
        assert app.screen.report.summary == FGJ_SUMMARY
        assert not app.screen.query("#report-units")


@pytest.mark.slow
def test_report_snapshot(snap_compare, store: Store, plan_id: str) -> None:
    assert snap_compare(TrackerApp(store, USER), press=["R"], terminal_size=(100, 30))


def test_summary_sentence_function_matches_property(store: Store, plan_id: str) -> None:
    report = build_report(store, plan_id)
    assert summary_sentence(report) == report.summary


# ---------------------------------------------------------------------- Word (公文)
@pytest.mark.slow
def test_docx_in_official_style(store: Store, plan_id: str, tmp_path: Path) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    report = build_report(store, plan_id)
    store.save_notes(report.overdue[0].item_id, "已完成栏目梳理，待迁移上线。", USER)
    report = build_report(store, plan_id)
    written = save_report(report, tmp_path / "报告.docx")
    document = Document(str(written))

    section = document.sections[0]

    def mm(*lengths) -> list[float]:
        return [round(length.mm) for length in lengths]

    assert mm(section.page_width, section.page_height) == [210, 297]  # A4
    margins = (section.top_margin, section.bottom_margin, section.left_margin)
    assert mm(*margins, section.right_margin) == [37, 35, 28, 26]

    paragraphs = document.paragraphs
    title = paragraphs[0]
    assert title.text == "2023年全区政务公开工作要点分工表\n落实情况"  # breaks before 落实情况
    fonts = title.style.element.rPr.find(qn("w:rFonts"))
    assert fonts.get(qn("w:eastAsia")) == "方正小标宋简体" and title.style.font.size == Pt(22)
    normal = document.styles["Normal"]
    assert normal.element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "仿宋_GB2312"
    assert normal.font.size == Pt(16)  # 三号
    texts = [p.text for p in paragraphs]
    assert "（截至2023年8月25日）" in texts and SUMMARY in texts
    assert "三、逾期任务（1项）" in texts
    assert "进展情况：已完成栏目梳理，待迁移上线。" in texts  # each listed item's 进展情况
    assert "进展情况：未填写。" in texts  # a due-soon item nobody reported on

    # The fallbacks are named in the font table, where Word and WPS look for them.
    font_table = next(
        p for p in document.part.package.iter_parts() if p.partname == "/word/fontTable.xml"
    ).blob.decode("utf-8")
    assert 'w:name="方正小标宋简体"' in font_table and 'w:val="黑体,宋体"' in font_table
    assert 'w:name="仿宋_GB2312"' in font_table and 'w:val="仿宋,FangSong"' in font_table

    categories, units = document.tables
    assert [c.text for c in categories.rows[0].cells][:3] == ["序号", "工作任务", "总数"]
    assert [c.text for c in categories.rows[-1].cells][1:3] == ["合计", "47"]
    assert [row.cells[0].text for row in units.rows[1:4]] == [
        "区发改局",
        "区经信局",
        "区自然资源局",
    ]
    header = units.rows[0]._tr.trPr
    assert header.find(qn("w:tblHeader")) is not None  # repeated on every page
    assert all(row._tr.trPr.find(qn("w:cantSplit")) is not None for row in units.rows)

    footer = section.footer.paragraphs[0]._p.xml
    assert "PAGE" in footer and "— " in footer


@pytest.mark.slow
def test_cli_docx_default_name(cli_db: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run(
        "--unit", "区发改局", "report", "--format", "docx", "--today", "2023-08-25", "--db", cli_db
    )
    assert result.exit_code == 0, result.output
    written = tmp_path / "2023分工表-区发改局-20230825.docx"
    assert FGJ_SUMMARY in [p.text for p in Document(str(written)).paragraphs]
    result = run("report", "--out", tmp_path / "月报.docx", "--db", cli_db)
    assert result.exit_code == 0 and (tmp_path / "月报.docx").stat().st_size > 0


def test_html_prints_on_a4(store: Store, plan_id: str) -> None:
    page = render_html(build_report(store, plan_id))
    assert "@page { size: A4" in page
    assert page.count("<thead>") == page.count("<table>") == 4  # headers repeat per page
    assert "break-inside: avoid" in page
    assert '<td class="short">8月31日</td>' in page  # dates never wrap a character a line
    assert "th { background: #e8e8e8; white-space: nowrap; }" in page
    # the lists carry each item's 进展情况, as the Word report does
    assert "<th>进展情况</th>" in page and '<td class="notes">（未填写）</td>' in page
