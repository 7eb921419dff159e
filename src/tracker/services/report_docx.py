"""The progress report as a Word document in the style of a 公文 (official document).

Offices hand in Word files, laid out as GB/T 9704 asks: A4, margins of 37 mm (top),
35 mm (bottom), 28 mm (left) and 26 mm (right); the title in 方正小标宋简体 二号 (22 pt);
the body in 仿宋_GB2312 三号 (16 pt) at a fixed 28.9 pt line; first-level headings in
黑体, second-level in 楷体_GB2312; the page number in the footer as 「— 1 —」.

Those fonts come with a government PC's WPS or Office install but not everywhere, so
each is named with a fallback a stock Windows has (方正小标宋简体 → 黑体 → 宋体,
仿宋_GB2312 → 仿宋, 楷体_GB2312 → 楷体) in the document's font table (``w:altName``,
which Word and WPS follow), and every run names its font for East Asian text
(``w:eastAsia``), where Word looks for Chinese.

Tables (the figures) use 仿宋 五号 (10.5 pt) so that eleven columns fit the page; their
header rows repeat on every page and no row splits across pages.

Nothing here knows about the terminal.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Emu, Length, Mm, Pt

from tracker.domain.format import day_label
from tracker.ledger import excel_text

if TYPE_CHECKING:
    from docx.document import Document as DocumentObject
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    from tracker.services.report import Report, ReportTable

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
SUBHEADING_FONT = "楷体_GB2312"
FONT_FALLBACKS = {
    TITLE_FONT: ("黑体", "宋体"),
    BODY_FONT: ("仿宋", "FangSong"),
    SUBHEADING_FONT: ("楷体", "KaiTi"),
    HEADING_FONT: ("SimHei",),
}
"""Each 公文 font and what to use where it is missing (the font table's ``altName``
takes the first; the rest are named for readers of the file)."""
TITLE_SIZE = Pt(22)
"""二号."""
BODY_SIZE = Pt(16)
"""三号."""
TABLE_SIZE = Pt(10.5)
"""五号."""
LINE = Pt(28.9)
"""The fixed line of a 公文 body: 22 lines on the page."""
TITLE_LINE = 20
"""Characters of 二号 text on one line between the margins."""
MARGINS = {"top": Mm(37), "bottom": Mm(35), "left": Mm(28), "right": Mm(26)}
"""GB/T 9704's page margins."""
_CN_NUMBERS = "一二三四五六七八九十"


def write_docx(report: Report, out: Path) -> None:
    """Write the report to ``out`` as a .docx (the caller moves it into place)."""
    from tracker.services.report import (
        UNASSIGNED_TITLE,
        UNREPORTED_TITLE,
        due_lists,
        report_tables,
        unassigned_sentence,
        unreported_sentence,
    )

    document = Document()
    _page_setup(document)
    _styles(document)
    _font_table(document)

    title = document.add_paragraph(style="Title")
    heading = report.heading
    suffix = "落实情况"
    if len(heading) > TITLE_LINE and heading.endswith(suffix):
        # A long title breaks before 落实情况, not wherever the line ends (「…落实情」「况」).
        _run(title, heading[: -len(suffix)]).add_break()
        _run(title, suffix)
    else:
        _run(title, heading)
    as_of = document.add_paragraph(style="Subtitle")
    _run(as_of, f"（截至{day_label(report.today)}）")

    sections: list[tuple[str, list[ReportTable] | None]] = [("总体情况", None)]
    if report.total.total:
        figures = [t for t in report_tables(report) if t.kind == "figures"]
        sections.append(("分类统计", figures))
    for number, (heading, tables) in enumerate(sections):
        _heading(document, f"{_CN_NUMBERS[number]}、{heading}", level=1)
        if tables is None:
            _body(document, report.summary)
            continue
        for sub, table in enumerate(tables):
            _heading(document, f"（{_CN_NUMBERS[sub]}）{table.title}", level=2)
            if table.note:
                _body(document, table.note + "。", keep_with_next=True)
            _figures_table(document, table)
        lines = [
            (name, text)
            for name, text in (
                # Collectives with no members, whose work counts for no unit; units that
                # have reported nothing yet (a line each, no table).
                (UNASSIGNED_TITLE, unassigned_sentence(report.unassigned)),
                (UNREPORTED_TITLE, unreported_sentence(report.unreported)),
            )
            if text
        ]
        for sub, (name, text) in enumerate(lines, start=len(tables)):
            _heading(document, f"（{_CN_NUMBERS[sub]}）{name}", level=2)
            _body(document, text)
    number = len(sections)
    if report.total.total:
        lists = due_lists(report)
        if not report.overdue:
            _heading(document, f"{_CN_NUMBERS[number]}、逾期任务", level=1)
            _body(document, "无逾期任务。")
            number += 1
        for items, list_title, days_header in lists:
            _heading(document, f"{_CN_NUMBERS[number]}、{list_title}（{len(items)}项）", level=1)
            number += 1
            for index, item in enumerate(items, start=1):
                days = f"{days_header[:2]}{item.days}天"
                _body(document, f"{index}. {item.no}　{item.content}", bold_prefix=True)
                units = item.units_text.rstrip("。；，, ")
                _body(
                    document,
                    f"责任单位：{units}；完成时限：{item.deadline_text}（{days}）；"
                    f"状态：{item.status.label}。",
                )
                _body(document, "进展情况：" + (item.notes.strip() or "未填写。"))
    document.core_properties.title = excel_text(report.heading)
    document.core_properties.author = "tracker"
    document.save(str(out))


# ---------------------------------------------------------------------- layout
def _page_setup(document: DocumentObject) -> None:
    for section in document.sections:
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width = Mm(210)
        section.page_height = Mm(297)
        section.top_margin = MARGINS["top"]
        section.bottom_margin = MARGINS["bottom"]
        section.left_margin = MARGINS["left"]
        section.right_margin = MARGINS["right"]
        section.header_distance = Mm(15)
        section.footer_distance = Mm(22)  # the page number sits 7 mm below the text
        footer = section.footer.paragraphs[0]
        footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _page_number(footer)


def _page_number(paragraph: Paragraph) -> None:
    """「— 1 —」 with the number as a PAGE field (宋体 四号, as 公文 number pages)."""

    def run(text: str = "") -> None:
        r = paragraph.add_run(text)
        _set_font(r, "宋体", Pt(14))

    run("— ")
    parts: tuple[tuple[str, str], ...] = (
        ("fldChar", "begin"),
        ("instrText", " PAGE "),
        ("fldChar", "separate"),
        ("text", "1"),
    )
    for kind, value in parts:
        r = paragraph.add_run()
        _set_font(r, "宋体", Pt(14))
        if kind == "fldChar":
            fld = OxmlElement("w:fldChar")
            fld.set(qn("w:fldCharType"), value)
            r._r.append(fld)
        elif kind == "instrText":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = value
            r._r.append(instr)
        else:
            r.text = value
    end = paragraph.add_run()
    fld = OxmlElement("w:fldChar")
    fld.set(qn("w:fldCharType"), "end")
    end._r.append(fld)
    run(" —")


def _styles(document: DocumentObject) -> None:
    styles = document.styles
    normal = styles["Normal"]
    _set_font(normal, BODY_FONT, BODY_SIZE)
    fmt = normal.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = LINE
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)
    for name, font, size in (
        ("Title", TITLE_FONT, TITLE_SIZE),
        ("Subtitle", SUBHEADING_FONT, BODY_SIZE),
    ):
        style = styles[name]
        _set_font(style, font, size)
        style.font.bold = False
        style.font.italic = False
        style.font.color.rgb = None
        style.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
        style.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        style.paragraph_format.line_spacing = Pt(36) if name == "Title" else LINE
        style.paragraph_format.space_after = Pt(0) if name == "Title" else LINE
        _no_border(style)


def _no_border(style) -> None:
    # The default template's Title has a bottom border; a 公文 title has none.
    ppr = style.element.get_or_add_pPr()
    for border in ppr.findall(qn("w:pBdr")):
        ppr.remove(border)


def _font_table(document: DocumentObject) -> None:
    """Name each 公文 font with its fallback in word/fontTable.xml (``w:altName``)."""
    part = next(
        (p for p in document.part.package.iter_parts() if p.partname == "/word/fontTable.xml"),
        None,
    )
    if part is None:  # pragma: no cover - python-docx's template has one
        return
    from lxml import etree  # type: ignore[import-untyped]  # python-docx's own XML library

    root = etree.fromstring(part.blob)
    for name, fallbacks in FONT_FALLBACKS.items():
        font = etree.SubElement(root, qn("w:font"))
        font.set(qn("w:name"), name)
        alt = etree.SubElement(font, qn("w:altName"))
        alt.set(qn("w:val"), ",".join(fallbacks))
        charset = etree.SubElement(font, qn("w:charset"))
        charset.set(qn("w:val"), "86")  # GB2312
        family = etree.SubElement(font, qn("w:family"))
        family.set(qn("w:val"), "modern" if name != TITLE_FONT else "script")
        pitch = etree.SubElement(font, qn("w:pitch"))
        pitch.set(qn("w:val"), "fixed" if name != TITLE_FONT else "variable")
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _set_font(target, name: str, size: Pt) -> None:
    """Set a style's or run's font for Latin and East Asian text alike."""
    target.font.name = name
    target.font.size = size
    element = target.element if hasattr(target, "element") else target._element
    rpr = element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), name)
    fonts.set(qn("w:hint"), "eastAsia")


def _run(paragraph: Paragraph, text: str):
    return paragraph.add_run(excel_text(text))


def _heading(document: DocumentObject, text: str, level: int) -> None:
    paragraph = document.add_paragraph()
    paragraph.paragraph_format.first_line_indent = Pt(32)
    paragraph.paragraph_format.keep_with_next = True
    run = _run(paragraph, text)
    _set_font(run, HEADING_FONT if level == 1 else SUBHEADING_FONT, BODY_SIZE)


def _body(
    document: DocumentObject, text: str, bold_prefix: bool = False, keep_with_next: bool = False
) -> None:
    for line in text.splitlines() or [""]:
        paragraph = document.add_paragraph()
        paragraph.paragraph_format.first_line_indent = Pt(32)  # two characters
        run = _run(paragraph, line)
        run.bold = bold_prefix or None
        if bold_prefix or keep_with_next:
            paragraph.paragraph_format.keep_with_next = True


def _figures_table(document: DocumentObject, table: ReportTable) -> None:
    from tracker.services.report import _is_figure

    grid: Table = document.add_table(rows=1, cols=len(table.headers))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    usable = Mm(210 - 28 - 26)
    widths: list[Length] = [
        Mm(15) if header == "完成率" else Mm(10) if header == "序号" else Mm(13)
        for header in table.headers
    ]
    text = next(i for i, h in enumerate(table.headers) if h != "序号")
    widths[text] = Emu(usable - (sum(widths) - widths[text]))
    grid.autofit = False
    for i, width in enumerate(widths):
        grid.columns[i].width = width  # the grid LibreOffice and WPS lay out by
    for i, header in enumerate(table.headers):
        _cell(grid.rows[0].cells[i], header, widths[i], center=True, bold=True)
    _repeat_header(grid.rows[0])
    for index, values in enumerate(table.rows):
        row = grid.add_row()
        bold = table.total_row and index == len(table.rows) - 1
        for i, value in enumerate(values):
            _cell(row.cells[i], value, widths[i], center=_is_figure(table, i), bold=bold)
    for row in grid.rows:
        _no_split(row)
    document.add_paragraph()


def _cell(cell, text: str, width, center: bool, bold: bool = False) -> None:
    cell.width = width
    paragraph = cell.paragraphs[0]
    paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    paragraph.paragraph_format.first_line_indent = Pt(0)
    if center:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = _run(paragraph, text)
    _set_font(run, BODY_FONT, TABLE_SIZE)
    run.bold = bold or None


def _repeat_header(row) -> None:
    trpr = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    trpr.append(header)


def _no_split(row) -> None:
    trpr = row._tr.get_or_add_trPr()
    cant = OxmlElement("w:cantSplit")
    cant.set(qn("w:val"), "true")
    trpr.insert(0, cant)
