"""Make the README's screenshot (docs/screenshot.svg) from the real app, fit for browsers.

Runs the app headless at 160×50 on the bundled plan as of 2023-08-25, with a few
statuses and a clerk's note, and saves Textual's SVG screenshot — then fixes each text
run's ``textLength``. Rich sets it to characters × cell width, so a run of Chinese
(two cells a character) is squeezed into half its width and the glyphs overlap in
every browser (GitHub included); :func:`fix_text_lengths` sets it to display cells ×
cell width (:func:`rich.cells.cell_len`), the width the run really takes on screen.
``tests/test_docs.py`` checks the rule on the committed file.

    python bench/screenshot.py                    # writes docs/screenshot.svg
    python bench/screenshot.py --png docs/x.png   # also a PNG (headless Chromium)
"""

from __future__ import annotations

import argparse
import asyncio
import html
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from rich.cells import cell_len

ROOT = Path(__file__).resolve().parent.parent
SIZE = (160, 50)
NOTE = (
    "7月12日已在区政府门户网站“重大项目”专栏公开成渝地区双城经济圈建设项目进展3条；"
    "8月召开专题会议部署下半年工作，相关链接已报区政府信息公开管理中心备案。"
)
"""The example note: what a clerk of 区发改局 would write."""
_TEXT = re.compile(r'(<text\b[^>]*?textLength=")([0-9.]+)("[^>]*>)([^<]*)(</text>)')


def fix_text_lengths(svg: str) -> str:
    """Give every text run the width of its display cells (wide characters take two)."""

    def fix(match: re.Match[str]) -> str:
        text = html.unescape(match.group(4))
        if not text:
            return match.group(0)
        cell = float(match.group(2)) / len(text)  # Rich's width: characters × cell
        length = cell * cell_len(text)
        return f"{match.group(1)}{length:g}{match.group(3)}{match.group(4)}{match.group(5)}"

    return _TEXT.sub(fix, svg)


async def take(db: Path) -> str:
    """The app's SVG screenshot on the demo database."""
    from tracker.domain.models import Status
    from tracker.importers.parser import read_plan_file
    from tracker.store import Store
    from tracker.store.locations import bundled_plan_path
    from tracker.ui.app import TrackerApp

    moment = datetime(2023, 8, 25, 9, 30, tzinfo=timezone(timedelta(hours=8)))
    store = Store.open(db, clock=lambda: moment)
    store.today_override = date(2023, 8, 25)
    store.import_plan(read_plan_file(bundled_plan_path()))
    plan_id = store.plans()[0].id
    items = {item.outline: item for item in store.filtered_items(plan_id)}
    for outline, status in (
        ("1.1.1", Status.IN_PROGRESS),
        ("1.1.2", Status.DONE),
        ("1.1.3", Status.DONE),
        ("1.2.1", Status.ONGOING),
        ("4.1.1", Status.IN_PROGRESS),
    ):
        store.set_status(items[outline].id, status, "张三")
    store.save_notes(items["1.1.1"].id, NOTE, "张三")
    app = TrackerApp(store, "张三")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("right", "down", "right", "down")  # item 1.1.1
        await pilot.pause()
        svg = app.export_screenshot()
    store.close()
    return svg


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshot.svg")
    parser.add_argument("--png", type=Path, help="also render a PNG with headless Chromium")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        svg = fix_text_lengths(asyncio.run(take(Path(tmp) / "demo.db")))
    args.out.write_text(svg, encoding="utf-8")
    print(f"wrote {args.out}")
    if args.png:
        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        if chromium is None:
            print("Chromium is not installed: no PNG", file=sys.stderr)
            return 1
        subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--window-size=1970,1270",
                f"--screenshot={args.png.resolve()}",
                args.out.resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        print(f"wrote {args.png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
