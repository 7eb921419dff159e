"""The README's pictures: the screenshot shows Chinese correctly in a browser, and the
printed pages it shows are there and small."""

from __future__ import annotations

import html
import re
from pathlib import Path

from rich.cells import cell_len

DOCS = Path(__file__).resolve().parent.parent / "docs"
CELL = 12.2
"""Rich's cell width in its SVG: 20 px font × 0.61 aspect ratio."""


def test_screenshot_text_runs_take_their_display_width() -> None:
    """Each run's textLength is its display cells × the cell width, so a browser draws a
    Chinese run two cells a character instead of squeezing it into one (Rich's bug)."""
    svg = (DOCS / "screenshot.svg").read_text("utf-8")
    runs = re.findall(r'<text\b[^>]*?textLength="([0-9.]+)"[^>]*>([^<]*)</text>', svg)
    assert len(runs) > 100
    wide = 0
    for length, escaped in runs:
        text = html.unescape(escaped)
        assert abs(float(length) - CELL * cell_len(text)) < 0.05, text
        wide += cell_len(text) != len(text)
    assert wide > 20  # the screenshot does show Chinese
    texts = "".join(html.unescape(t) for _, t in runs)
    assert "[bold]" not in texts and "[/]" not in texts  # a clerk's note, not markup
    assert "区政府门户网站" in texts


def test_printed_pages_are_small_pngs() -> None:
    readme = (DOCS.parent / "README.md").read_text("utf-8")
    for name in ("printed-ledger.png", "printed-report.png"):
        page = DOCS / name
        assert page.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert page.stat().st_size < 150_000
        assert f"docs/{name}" in readme
