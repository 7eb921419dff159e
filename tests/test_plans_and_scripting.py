"""Several plans in one database, outline numbers, and scripting with list/set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from textual.widgets import Static

from tracker.cli import main
from tracker.domain.models import Status
from tracker.errors import NotFound
from tracker.importers.parser import parse_plan_text
from tracker.store import Store
from tracker.ui.app import TrackerApp
from tracker.ui.screens.plans import PlanPickerScreen
from tracker.ui.widgets.plan_tree import PlanTree

PLAN_2024 = "\n".join(
    [
        "附件",
        "2024年全区政务公开工作要点分工表",
        "",
        "\t序号\n\t工作任务\n\t重点工作任务\n\t责任单位\n\t完成时限",
        "",
        "\t1\n\t深化主动公开\n\t做好政策解读\n\t制定解读方案\n\t区政府办公室\n\t6月底前",
        "",
        "\t\n\t\n\t\n\t开展在线访谈\n\t区发改局\n\t年底前",
    ]
)


@pytest.fixture
def two_plans(store: Store) -> Store:
    store.import_plan(parse_plan_text(PLAN_2024, source="2024.txt"))
    return store


def test_outline_numbers_and_plan_resolution(two_plans: Store) -> None:
    plan_2023 = two_plans.resolve_plan("2023")
    plan_2024 = two_plans.resolve_plan("2024")
    assert two_plans.resolve_plan(None).id == plan_2024.id  # the newest first
    assert two_plans.resolve_plan(plan_2023.id[:6]).id == plan_2023.id
    item = two_plans.item_by_outline(plan_2023.id, "1.2.1")
    assert item.content.startswith("推进学前教育普及普惠")
    assert item.outline == "1.2.1"
    assert two_plans.item_by_outline(plan_2024.id, "1.1.2").content == "开展在线访谈"
    with pytest.raises(NotFound):
        two_plans.item_by_outline(plan_2023.id, "1.9.1")
    with pytest.raises(NotFound, match="没有与「2099」对应"):
        two_plans.resolve_plan("2099")


def test_list_and_set_from_the_command_line(two_plans: Store, db_path: Path) -> None:
    runner = CliRunner()
    two_plans.close()
    result = runner.invoke(
        main,
        [
            "--plan",
            "2023",
            "set",
            "1.2.1",
            "--status",
            "已完成",
            "--notes",
            "已公开[/]",
            "--db",
            str(db_path),
            "--user",
            "区教育局",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "状态 → 已完成" in result.output
    listed = runner.invoke(
        main, ["--plan", "2023", "list", "--status", "done", "--json", "--db", str(db_path)]
    )
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    assert [(r["outline"], r["status"], r["notes"]) for r in rows] == [
        ("1.2.1", "done", "已公开[/]")
    ]
    store = Store.open(db_path)
    try:
        item = store.item_by_outline(store.resolve_plan("2023").id, "1.2.1")
        assert item.status is Status.DONE
        assert {c.by for c in store.changes(item.id)} == {"区教育局"}
    finally:
        store.close()
    overdue = runner.invoke(
        main,
        ["--today", "2023-08-25", "--plan", "2023", "list", "--overdue", "--db", str(db_path)],
    )
    header, *lines = overdue.stdout.splitlines()
    assert header.split() == ["编号", "状态", "预警", "完成时限", "具体内容"]
    assert [line.split()[0] for line in lines] == ["3.2.1", "4.1.1"]
    mine = runner.invoke(
        main, ["--plan", "2023", "--unit", "区发改局", "list", "--db", str(db_path)]
    )
    assert len(mine.stdout.splitlines()) == 1 + 23  # the header and 23 items
    bad = runner.invoke(main, ["set", "1.2.1", "--status", "完成", "--db", str(db_path)])
    assert bad.exit_code != 0 and "不是状态" in bad.output
    missing = runner.invoke(
        main, ["--plan", "2023", "set", "9.9.9", "--status", "done", "--db", str(db_path)]
    )
    assert missing.exit_code != 0 and "没有编号为「9.9.9」" in missing.output
    nothing = runner.invoke(main, ["set", "1.1.1", "--db", str(db_path)])
    assert nothing.exit_code != 0


@pytest.mark.slow
async def test_plan_switcher_and_outline_in_the_app(two_plans: Store) -> None:
    app = TrackerApp(two_plans, "张三", plan_id=two_plans.resolve_plan("2023").id)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("right", "right", "right", "right")
        await pilot.pause()
        assert str(app.screen.query_one("#item-path", Static).render()).startswith("1.1.1")
        await pilot.press("p")
        await pilot.pause()
        assert isinstance(app.screen, PlanPickerScreen)
        await pilot.press("up", "enter")  # 2024 is listed first
        await pilot.pause()
        tree = app.screen.query_one(PlanTree)
        assert "2024年" in str(tree.root.label)
        assert "深化主动公开" in str(tree.root.children[0].label)
        assert "2024年" in app.sub_title
