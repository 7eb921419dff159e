"""Print the 台账 and the Word report the way an office does, and measure the result.

Exports the bundled plan (with a few statuses and notes, as of 2023-08-25) as a ledger
(.xlsx) and a report (.docx), converts both to PDF with LibreOffice, and reads the PDF:
the paper size of every page, the size the body text prints at, whether the footer's
page numbers sit whole on the page, and whether the 填写说明 sheet fits one page.
With ``--png DIR`` it also renders the pages to PNG (pdftoppm) to look at.

    python bench/print_check.py                 # print the measurements
    python bench/print_check.py --png /tmp/pages

Needs LibreOffice (``soffice``) and pdfminer.six; ``tests/test_print.py`` runs it and
is skipped where LibreOffice is missing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

A4 = (595.3, 841.9)
"""A4 in points, portrait."""


@dataclass
class PageFacts:
    """What one printed page shows."""

    width: float
    height: float
    sizes: Counter = field(default_factory=Counter)
    """How many characters print at each size (points, one decimal)."""
    text: str = ""
    lowest: float = 0.0
    """The lowest text's bottom, in points from the page's bottom edge."""

    @property
    def landscape(self) -> bool:
        return self.width > self.height

    @property
    def body_size(self) -> float:
        """The size most characters print at."""
        return self.sizes.most_common(1)[0][0] if self.sizes else 0.0


def soffice() -> str | None:
    """The LibreOffice command, if installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def to_pdf(*sources: Path, outdir: Path) -> list[Path]:
    """Convert office files to PDF with LibreOffice (one run, a private profile, headless)."""
    command = soffice()
    if command is None:
        raise RuntimeError("LibreOffice (soffice) is not installed")
    profile = Path(tempfile.mkdtemp(prefix="lo-profile-"))
    try:
        subprocess.run(
            [
                command,
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(outdir),
                *(str(source) for source in sources),
            ],
            check=True,
            capture_output=True,
            timeout=180,
            env={**os.environ, "HOME": str(profile)},
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    pdfs = [outdir / (source.stem + ".pdf") for source in sources]
    for source, pdf in zip(sources, pdfs, strict=True):
        if not pdf.exists():
            raise RuntimeError(f"LibreOffice made no PDF of {source.name}")
    return pdfs


def read_pdf(pdf: Path) -> list[PageFacts]:
    """Every page's size, the sizes its characters print at, and its text."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTChar, LTTextBox

    pages = []
    for layout in extract_pages(str(pdf)):
        facts = PageFacts(width=layout.width, height=layout.height, lowest=layout.height)
        texts = []

        def walk(node, facts=facts, texts=texts) -> None:
            if isinstance(node, LTChar):
                if node.get_text().strip():
                    facts.sizes[round(node.size, 1)] += 1
                    facts.lowest = min(facts.lowest, node.y0)
                return
            if isinstance(node, LTTextBox):
                texts.append(node.get_text())
            for child in getattr(node, "_objs", []):
                walk(child)

        walk(layout)
        facts.text = "".join(texts)
        pages.append(facts)
    return pages


def render_png(pdf: Path, outdir: Path, prefix: str, dpi: int = 60) -> list[Path]:
    """Render the PDF's pages to PNG with pdftoppm (empty if it is missing)."""
    if shutil.which("pdftoppm") is None:
        return []
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(outdir / prefix)],
        check=True,
        timeout=120,
    )
    return sorted(outdir.glob(f"{prefix}*.png"))


def make_outputs(workdir: Path) -> tuple[Path, Path]:
    """The bundled plan's ledger (.xlsx) and report (.docx) as of 2023-08-25."""
    from datetime import date

    from tracker.domain.models import Status
    from tracker.importers.parser import read_plan_file
    from tracker.ledger import export_ledger
    from tracker.services.report import build_report, save_report
    from tracker.store import Store
    from tracker.store.locations import bundled_plan_path

    store = Store.open(workdir / "print.db")
    try:
        store.import_plan(read_plan_file(bundled_plan_path()))
        store.today_override = date(2023, 8, 25)
        plan_id = store.plans()[0].id
        items = store.filtered_items(plan_id)
        statuses = [Status.DONE, Status.IN_PROGRESS, Status.ONGOING, Status.ON_HOLD]
        notes = (
            "已于7月12日在区政府门户网站“政策文件”栏目集中公开清理结果，共废止规范性文件"
            "6件、宣布失效3件；下一步：8月底前完成备案审查。"
        )
        for index, item in enumerate(items[::4]):
            store.set_status(item.id, statuses[index % len(statuses)], "张三")
            store.save_notes(item.id, notes, "张三")
        ledger = export_ledger(store, plan_id, workdir / "台账.xlsx")
        report = save_report(build_report(store, plan_id), workdir / "报告.docx")
    finally:
        store.close()
    return ledger, report


def check(workdir: Path, png: Path | None = None) -> dict[str, list[PageFacts]]:
    """Make, convert and read both outputs; render PNGs into ``png`` if given."""
    ledger, report = make_outputs(workdir)
    found = {}
    pdfs = to_pdf(ledger, report, outdir=workdir)
    for name, pdf in zip(("ledger", "report"), pdfs, strict=True):
        found[name] = read_pdf(pdf)
        if png is not None:
            png.mkdir(parents=True, exist_ok=True)
            render_png(pdf, png, name)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--png", type=Path, help="render the pages to PNG in this folder")
    args = parser.parse_args()
    if soffice() is None:
        print("LibreOffice (soffice) is not installed", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        found = check(Path(tmp), args.png)
    for name, pages in found.items():
        for number, page in enumerate(pages, start=1):
            shape = "landscape" if page.landscape else "portrait"
            smallest = min(page.sizes) if page.sizes else 0
            print(
                f"{name} page {number}: {page.width:.0f}x{page.height:.0f} pt {shape}, "
                f"body {page.body_size} pt (smallest {smallest} pt), "
                f"lowest text {page.lowest:.0f} pt above the edge, "
                f"median {statistics.median(page.sizes.elements()) if page.sizes else 0} pt"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
