"""Importing a plan in the app: p, then i; the path, the year when the file names none,
the same preview as ``tracker import --dry-run``, and nothing written until confirmed.
A two-level plan shows its items directly under each category."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from textual import events
from textual.widgets import Button, Input, Static

from tracker.app import TrackerApp
from tracker.screens.import_plan import ImportPlanScreen
from tracker.screens.plans import PlanPickerScreen
from tracker.store import Store
from tracker.widgets.plan_tree import PlanTree

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
from real import chizhou_xfj

TITLE = chizhou_xfj.TRUTH["title"]


async def _paste_path(pilot, path: Path) -> None:
    """Paste the path into the focused path box (as a clerk pastes from the file manager)."""
    box = pilot.app.screen.query_one("#import-path", Input)
    box.post_message(events.Paste(str(path)))
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()


def _preview(app: TrackerApp) -> str:
    return str(app.screen.query_one("#import-preview", Static).render())


async def test_import_asks_for_the_year_previews_then_writes(store: Store, tmp_path: Path):
    [built] = chizhou_xfj.build(tmp_path)
    path = shutil.copy(built, tmp_path / "信访局清单.docx")
    app = TrackerApp(store, "张三")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("p")
        await pilot.pause()
        assert isinstance(app.screen, PlanPickerScreen)
        await pilot.press("i")
        await pilot.pause()
        assert isinstance(app.screen, ImportPlanScreen)
        await _paste_path(pilot, path)
        assert "文件中没有写明年份" in _preview(app)
        assert app.screen.focused is app.screen.query_one("#import-year", Input)
        await pilot.press("2", "0", "2", "2", "enter")
        await pilot.pause()
        preview = _preview(app)
        assert f"「{TITLE}」（2022 年）" in preview
        assert "层级：工作任务 → 具体任务（两级，无重点工作任务）" in preview
        assert "共 7 项工作任务、0 项重点工作任务、8 条具体任务" in preview
        assert not app.screen.query_one("#import-ok", Button).disabled
        assert [p.title for p in store.plan_list()] == ["2023年全区政务公开工作要点分工表"]
        await pilot.press("enter")
        await pilot.pause()
        await pilot.pause()
        assert TITLE in [p.title for p in store.plan_list()]
        tree = app.screen.query_one(PlanTree)
        assert TITLE in str(tree.root.label)
        first = tree.root.children[0]
        first.expand()
        await pilot.pause()
        # two levels: the items sit directly under the category
        assert [child.data.kind for child in first.children] == ["item"]
        assert "对行政规范性文件进行全面清理" in str(first.children[0].label)


async def test_a_bad_file_is_refused_and_nothing_is_written(store: Store, tmp_path: Path):
    bad = tmp_path / "bad.csv"
    bad.write_text("序号,工作任务,具体要求,时限要求\n1,甲,乙,年底前\n", encoding="utf-8")
    app = TrackerApp(store, "张三")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("p", "i")
        await pilot.pause()
        await _paste_path(pilot, bad)
        assert "未找到「责任单位」列；表头为：序号 | 工作任务 | 具体要求 | 时限要求" in _preview(
            app
        )
        assert app.screen.query_one("#import-ok", Button).disabled
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, PlanPickerScreen)
    assert len(store.plan_list()) == 1
