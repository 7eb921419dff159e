"""My unit, filters and due warnings in the app, checked against the seed by hand."""

from __future__ import annotations

from datetime import date

import pytest
from test_app import wait_until
from textual.widgets import Static

from tracker.domain.deadlines import DueWarning
from tracker.domain.models import Status
from tracker.store import ItemFilter, Store
from tracker.ui.app import MY_UNIT_SETTING, TrackerApp
from tracker.ui.widgets.item_detail import ItemDetail
from tracker.ui.widgets.plan_tree import PlanTree

AUG_25 = date(2023, 8, 25)


def item_nodes(tree: PlanTree) -> list:
    """Every item node the tree shows (after the filter expanded it)."""
    found = []

    def walk(node) -> None:
        for child in node.children:
            if child.data.kind == "item":
                found.append(child)
            walk(child)

    walk(tree.root)
    return found


def item_by_content(store: Store, start: str):
    plan = store.plans()[0]
    return next(i for i in store.filtered_items(plan.id) if i.content.startswith(start))


async def test_a_department_sees_items_of_its_collectives(store: Store) -> None:
    # 区发改局 is named in 6 cells; through 区政府工作部门 (13 cells), 区级各部门（单位）
    # (3) and 区政府相关工作部门 (1) it answers for 17 more: 23 in all (hand count).
    app = TrackerApp(store, "张三", my_unit="区发改局")
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        tree = app.screen.query_one(PlanTree)
        nodes = item_nodes(tree)
        assert len(nodes) == 23
        labels = [str(n.label) for n in nodes]
        # It is listed first (leads) in 5 cells: 三城三地 (1st and 3rd items), 科技创新,
        # 重大建设项目 and the 抽查检查 list.
        assert sum("★" in label for label in labels) == 5
        contents = {store.item(n.data.id).content[:8] for n in nodes}
        # Via 区政府工作部门 only (not named in the cell):
        assert "区级有关部门（单" in contents
        # Not its business: 区卫健局 and 各乡镇街委 only.
        assert "加强重大传染病防" not in contents
        bar = str(app.screen.query_one("#filter-bar", Static).render())
        assert "我的单位：区发改局" in bar

        await pilot.press("m")  # everything
        await pilot.pause()
        assert len(item_nodes(tree)) == 0  # back to the collapsed outline
        assert "47" in str(tree.root.label)
        assert not app.screen.query_one("#filter-bar", Static).display
        await pilot.press("m")  # mine again
        await pilot.pause()
        assert len(item_nodes(tree)) == 23


async def test_a_township_sees_items_of_every_township(store: Store) -> None:
    store.add_unit("东城街道")
    # 各乡镇街委 appears in 38 of the 47 cells (hand count).
    app = TrackerApp(store, "王五", my_unit="东城街道")
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        nodes = item_nodes(app.screen.query_one(PlanTree))
        assert len(nodes) == 38
        assert not any("★" in str(n.label) for n in nodes)


async def test_my_unit_is_remembered(store: Store) -> None:
    unit = store.unit("区经信局")
    store.set_setting(MY_UNIT_SETTING, unit.id)
    app = TrackerApp(store, "张三")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.screen.flt.unit_id == unit.id


async def test_membership_changes_what_a_unit_sees(store: Store) -> None:
    library = store.unit("区图书馆")
    plan_id = store.plans()[0].id
    before = store.plan(plan_id, ItemFilter(unit_id=library.id)).progress.total
    government = store.unit("区政府工作部门")
    store.set_membership(library.id, government.id, member=False)
    after = store.plan(plan_id, ItemFilter(unit_id=library.id)).progress.total
    assert before - after == 13 - 0  # the 13 cells naming only 区政府工作部门 among its groups
    # Re-importing the plan does not bring the default back.
    from tracker.importers.parser import read_plan_file
    from tracker.store.locations import bundled_plan_path

    store.import_plan(read_plan_file(bundled_plan_path()))
    assert store.plan(plan_id, ItemFilter(unit_id=library.id)).progress.total == after


async def test_warnings_as_of_an_injected_today(store: Store) -> None:
    store.today_override = AUG_25
    overdue = item_by_content(store, "各级各部门要按照国家有关部委")  # 7月31日
    soon = item_by_content(store, "建设政策咨询库")  # 8月31日
    assert (overdue.warning, soon.warning) == (DueWarning.OVERDUE, DueWarning.DUE_SOON)
    app = TrackerApp(store, "张三")
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        tree = app.screen.query_one(PlanTree)
        # Plan: 2 overdue (5月31日, 7月31日) by hand count.
        assert "!2" in str(tree.root.label)
        detail = app.screen.query_one(ItemDetail)
        # Moves within KEY_REPEAT_SECONDS show the item a moment later (a held key): wait
        # for it rather than one pause, which a fast run ends before the item is shown.
        app.screen.go_to_item(overdue.id)
        await wait_until(pilot, lambda: detail.item is not None and detail.item.id == overdue.id)
        assert "!逾期" in str(tree.node_for(overdue.id).label)
        assert "逾期 25 天" in str(app.screen.query_one("#item-deadline", Static).render())
        assert detail.item.id == overdue.id
        await pilot.press("3")  # done: no longer overdue
        await wait_until(pilot, lambda: "逾期" not in str(tree.node_for(overdue.id).label))
        assert "逾期" not in str(tree.node_for(overdue.id).label)
        assert "!1" in str(tree.root.label)
        app.screen.go_to_item(soon.id)
        await wait_until(pilot, lambda: detail.item is not None and detail.item.id == soon.id)
        assert "!临期" in str(tree.node_for(soon.id).label)
        assert "还剩 6 天" in str(app.screen.query_one("#item-deadline", Static).render())


async def test_standing_item_review(store: Store) -> None:
    store.today_override = AUG_25
    first = store.filtered_items(store.plans()[0].id)[0]  # 及时公开
    app = TrackerApp(store, "张三")
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("right", "right", "right", "right")
        deadline = app.screen.query_one("#item-deadline", Static)
        assert "尚未检查" in str(deadline.render())
        await pilot.press("r")
        await pilot.pause()
        assert store.item(first.id).last_reviewed == AUG_25
        assert "本月已检查" in str(deadline.render())
        [change] = store.changes(first.id)
        assert (change.field, change.new_value, change.by) == (
            "last_reviewed",
            "2023-08-25",
            "张三",
        )


@pytest.mark.slow
async def test_filter_by_status_and_warning(store: Store) -> None:
    store.today_override = AUG_25
    plan_id = store.plans()[0].id
    items = store.filtered_items(plan_id)
    store.set_status(items[0].id, Status.IN_PROGRESS, "x")
    store.set_status(items[1].id, Status.IN_PROGRESS, "x")
    app = TrackerApp(store, "张三")
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        app.screen.flt = ItemFilter(statuses=frozenset({Status.IN_PROGRESS}))
        await pilot.pause()
        tree = app.screen.query_one(PlanTree)
        assert {n.data.id for n in item_nodes(tree)} == {items[0].id, items[1].id}
        app.screen.flt = ItemFilter(warnings=frozenset({DueWarning.OVERDUE, DueWarning.DUE_SOON}))
        await pilot.pause()
        assert len(item_nodes(tree)) == 5  # 2 overdue + 3 due on 8月31日
        await pilot.press("x")
        await pilot.pause()
        assert app.screen.flt.is_empty
