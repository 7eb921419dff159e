"""Importing a plan in the app: p, then i; the path, the year when the file names none,
the same preview as ``tracker import --dry-run``, and nothing written until confirmed.
A two-level plan shows its items directly under each category."""

from __future__ import annotations

import shutil
import sys
from datetime import date
from pathlib import Path

import pytest
from textual import events
from textual.widgets import Button, Input, Static

from tracker.domain.models import Status
from tracker.store import ItemRecord, Store
from tracker.ui.app import TrackerApp
from tracker.ui.screens.import_plan import ImportPlanScreen
from tracker.ui.screens.plans import PlanPickerScreen
from tracker.ui.widgets.item_detail import deadline_text
from tracker.ui.widgets.plan_tree import PlanTree

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


@pytest.mark.slow
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


@pytest.mark.slow
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


def _item(deadline: str, status: str = "not_started", **extra) -> ItemRecord:
    from tracker.domain.deadlines import parse_deadline

    parsed = parse_deadline(deadline, 2023)
    return ItemRecord(
        id="i",
        key_task_id="k",
        category_id="c",
        plan_id="p",
        plan_year=2023,
        seq=1,
        content="内容",
        units_text="区发改局",
        deadline_text=deadline,
        status=status,
        notes="",
        deadline_kind=parsed.kind,
        due_date=parsed.due_date,
        **extra,
    )


def test_detail_shows_no_deadline_dated_then_standing_and_flagged_months() -> None:
    today = date(2023, 8, 25)
    assert str(deadline_text(_item(""), today)).endswith("（未定时限）")
    late = str(deadline_text(_item("2018年底前完成并持续落实"), today))
    assert "2018-12-31" in late and "逾期" in late
    done = str(deadline_text(_item("2018年底前完成并持续落实", "done"), today))
    assert "此后持续落实" in done and "尚未检查；按 r 记录本月已检查" in done
    months = str(deadline_text(_item("6个月"), today))
    assert "⚠ 自印发之日起 6 个月，分工表未写明印发日期，请人工确认" in months


async def test_r_reviews_dated_then_standing_work_once_done(store: Store) -> None:
    plan = store.resolve_plan(None).id
    item = store.item_by_outline(plan, "1.1.1")
    with store.write() as db:
        db.execute(
            "UPDATE items SET deadline_text = ?, deadline_kind = 'date_then_standing', "
            "due_date = '2023-05-31' WHERE id = ?",
            ["5月底前完成并持续落实", item.id],
        )
    store.set_status(item.id, Status.DONE, "张三")
    app = TrackerApp(store, "张三", plan_id=plan)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("right", "right", "right", "right")
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
    assert store.item(item.id).last_reviewed == store.today()
