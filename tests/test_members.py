"""Collectives with no members (未设成员): flagged in the units screen, the overview,
``tracker units`` and the report; members set in the app (``m`` in the units screen).

In the bundled plan 各乡镇街委 holds 38 items, 牵头职能部门 and 被审计区级部门（单位） one
each, and none of the three has members: the clerk adds townships (or picks who the
other two mean). 区政府工作部门 has the 39 district departments by default.
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from docx import Document
from rich.console import Group
from rich.text import Text
from test_overview import USER, table_rows
from textual.pilot import Pilot
from textual.widgets import Input, SelectionList, Static

from tracker.cli import main
from tracker.services.report import UNASSIGNED_TITLE, build_report, render_html, render_markdown
from tracker.services.report import save_report as write_report
from tracker.store import ItemFilter, Store, UnitRecord
from tracker.ui.app import TrackerApp
from tracker.ui.screens.members import MembersScreen
from tracker.ui.screens.overview import OverviewScreen
from tracker.ui.screens.report import ReportScreen
from tracker.ui.screens.units import UnitsScreen
from tracker.ui.widgets.progress_table import ProgressTable

TOWNSHIPS = "各乡镇街委"
UNASSIGNED_LINE = (
    "以下集合单位未设成员，其任务不计入任何具体单位，工作可能无人认领："
    "各乡镇街委38项、牵头职能部门1项、被审计区级部门（单位）1项。"
)
"""The report's line on the seed, in the order the plan first names the three."""


def unit(store: Store, name: str) -> UnitRecord:
    found = store.unit(name)
    assert found is not None
    return found


def members_column(screen: UnitsScreen) -> dict[str, str]:
    """Each unit's 成员 cell, by name."""
    table = screen.query_one("#units-table", ProgressTable)
    return {row[0]: row[2] for row in table_rows(table)}


async def open_units_on(pilot: Pilot, store: Store, name: str) -> UnitsScreen:
    """The units screen with the cursor on ``name``."""
    plan_id = store.plans()[0].id
    screen = UnitsScreen(store, plan_id, selected=unit(store, name).id)
    await pilot.app.push_screen(screen)
    await pilot.pause()
    return screen


async def test_units_screen_flags_collectives_without_members(store: Store) -> None:
    async with TrackerApp(store, USER).run_test(size=(160, 50)) as pilot:
        screen = await open_units_on(pilot, store, TOWNSHIPS)
        members = members_column(screen)
        assert members[TOWNSHIPS] == "未设成员"
        assert members["牵头职能部门"] == members["被审计区级部门（单位）"] == "未设成员"
        assert members["区政府工作部门"] == "39"
        assert members["区发改局"] == ""  # a concrete unit has no members
        subtitle = str(screen.query_one("#units-box").border_subtitle)
        assert "3 个未设成员" in subtitle


async def test_m_adds_and_removes_a_member_and_the_flag_follows(store: Store) -> None:
    townships = unit(store, TOWNSHIPS)
    fgj = unit(store, "区发改局")
    app = TrackerApp(store, USER)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_units_on(pilot, store, TOWNSHIPS)
        await pilot.press("m")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, MembersScreen)
        assert "未设成员" in str(dialog.query_one("#members-count", Static).render())
        await pilot.press("f", "g", "j")  # typing filters: pinyin initials of 区发改局
        choices = dialog.query_one("#members-list", SelectionList)
        assert choices.option_count == 1
        await pilot.press("enter")  # ticks the one found, saved at once
        await pilot.pause()
        assert store.membership_ids(townships.id) == {fgj.id}
        assert store.memberships(townships.id) == ["区发改局"]
        said = [n.message for n in app._notifications]
        assert "「区发改局」已加入「各乡镇街委」（已保存）" in said
        assert str(dialog.query_one("#members-count", Static).render()).startswith("已有成员 1 个")

        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen
        assert members_column(screen)[TOWNSHIPS] == "1"  # the flag is gone
        assert "2 个未设成员" in str(screen.query_one("#units-box").border_subtitle)
        table = screen.query_one("#units-table", ProgressTable)
        assert table.cursor_key == townships.id  # the cursor stays on the collective
        fgj_row = table.get_row(fgj.id)
        # Its 23 items and 各乡镇街委's 38: 40 (each counted once, though 16 of them name
        # both 区政府工作部门 and 各乡镇街委, two collectives it now belongs to).
        assert fgj_row[3].plain == "40"

        # Again: tab into the list and untick with space.
        await pilot.press("m")
        await pilot.pause()
        await pilot.press("f", "g", "j", "tab", "space")
        await pilot.pause()
        assert store.membership_ids(townships.id) == frozenset()
        said = [n.message for n in app._notifications]
        assert "「区发改局」已移出「各乡镇街委」（已保存）" in said
        await pilot.press("escape")
        await pilot.pause()
        assert members_column(screen)[TOWNSHIPS] == "未设成员"


async def test_a_township_the_database_does_not_know_is_added_as_a_member(
    store: Store,
) -> None:
    townships = unit(store, TOWNSHIPS)
    app = TrackerApp(store, USER)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_units_on(pilot, store, TOWNSHIPS)
        await pilot.press("m")
        await pilot.pause()
        dialog = app.screen
        dialog.query_one("#members-input", Input).value = "东城街道"
        await pilot.pause()
        count = str(dialog.query_one("#members-count", Static).render())
        assert "没有找到" in count and "Enter 添加为新单位并设为成员" in count
        await pilot.press("enter")
        await pilot.pause()
        added = unit(store, "东城街道")
        assert store.membership_ids(townships.id) == {added.id}
        said = [n.message for n in app._notifications]
        assert "已添加单位「东城街道」，「东城街道」已加入「各乡镇街委」（已保存）" in said
        assert dialog.query_one("#members-input", Input).value == ""
        assert added.id in dialog.query_one("#members-list", SelectionList).selected
        await pilot.press("escape")
        await pilot.pause()
        assert members_column(screen)[TOWNSHIPS] == "1"
        assert members_column(screen)["东城街道"] == ""  # listed now: 38 items
        # Initials find nothing, and are no name to add.
        await pilot.press("m", "z", "z", "z", "enter")
        await pilot.pause()
        assert store.membership_ids(townships.id) == {added.id}


async def test_m_on_a_concrete_unit_picks_its_collectives(store: Store) -> None:
    townships = unit(store, TOWNSHIPS)
    fgj = unit(store, "区发改局")
    before = store.membership_ids(fgj.id)
    app = TrackerApp(store, USER)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_units_on(pilot, store, "区发改局")
        await pilot.press("m")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, MembersScreen)
        choices = dialog.query_one("#members-list", SelectionList)
        assert set(choices.selected) == before  # ticked: the collectives it belongs to
        assert "属于 3 个集合单位" in str(dialog.query_one("#members-count", Static).render())
        await pilot.press("g", "x", "z", "enter")
        await pilot.pause()
        assert store.membership_ids(fgj.id) == before | {townships.id}
        assert store.memberships(townships.id) == ["区发改局"]


async def test_members_refused_on_a_read_only_database(store: Store) -> None:
    store.read_only = True  # what Store.open sets for a file it cannot write
    app = TrackerApp(store, USER)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_units_on(pilot, store, TOWNSHIPS)
        await pilot.press("m")
        await pilot.pause()
        assert app.screen is screen  # no dialog
        assert any("只读" in n.message for n in app._notifications)
    assert store.memberships(unit(store, TOWNSHIPS).id) == []


async def test_escape_in_the_dialog_changes_nothing(store: Store) -> None:
    app = TrackerApp(store, USER)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_units_on(pilot, store, TOWNSHIPS)
        await pilot.press("m", "f", "g", "j", "escape")
        await pilot.pause()
        assert app.screen is screen
    assert store.memberships(unit(store, TOWNSHIPS).id) == []


async def test_overview_names_collectives_without_members(store: Store) -> None:
    plan_id = store.plans()[0].id
    app = TrackerApp(store, USER)
    async with app.run_test(size=(160, 50)) as pilot:
        await app.push_screen(OverviewScreen(store, plan_id))
        await pilot.pause()
        line = app.screen.query_one("#overview-unassigned", Static)
        assert line.display
        text = str(line.render())
        assert "未设成员" in text and "工作可能无人认领" in text
        assert "各乡镇街委38项" in text and "牵头职能部门1项" in text
    for name in ("各乡镇街委", "牵头职能部门", "被审计区级部门（单位）"):
        store.set_membership(unit(store, "区发改局").id, unit(store, name).id, True)
    async with TrackerApp(store, USER).run_test(size=(160, 50)) as pilot:
        await pilot.app.push_screen(OverviewScreen(store, plan_id))
        await pilot.pause()
        assert not pilot.app.screen.query_one("#overview-unassigned", Static).display


def test_report_lists_collectives_without_members(store: Store, tmp_path: Path) -> None:
    plan_id = store.plans()[0].id
    report = build_report(store, plan_id)
    assert [line.name for line in report.unassigned] == [
        "各乡镇街委",
        "牵头职能部门",
        "被审计区级部门（单位）",
    ]
    assert [line.progress.total for line in report.unassigned] == [38, 1, 1]
    lines = render_markdown(report).splitlines()
    at = lines.index(f"## {UNASSIGNED_TITLE}")
    assert lines[at + 2] == UNASSIGNED_LINE
    assert (
        lines.index("## 按责任单位")
        < at
        < next(i for i, line in enumerate(lines) if line.startswith("## 逾期任务"))
    )
    assert f'<p class="unassigned">{UNASSIGNED_LINE}</p>' in render_html(report)
    texts = [p.text for p in Document(str(write_report(report, tmp_path / "r.docx"))).paragraphs]
    assert f"（三）{UNASSIGNED_TITLE}" in texts and UNASSIGNED_LINE in texts
    assert any(t.startswith("三、逾期任务") for t in texts)  # the numbering after it holds

    # A unit's own report has no such section; nor has the plan once each has members.
    assert build_report(store, plan_id, unit(store, "区发改局").id).unassigned == ()
    for name in ("各乡镇街委", "牵头职能部门", "被审计区级部门（单位）"):
        store.set_membership(unit(store, "区发改局").id, unit(store, name).id, True)
    report = build_report(store, plan_id)
    assert report.unassigned == ()
    assert UNASSIGNED_TITLE not in render_markdown(report)


async def test_report_screen_shows_the_line(store: Store) -> None:
    plan_id = store.plans()[0].id
    app = TrackerApp(store, USER)
    async with app.run_test(size=(160, 50)) as pilot:
        await app.push_screen(ReportScreen(store, plan_id))
        await pilot.pause()
        section = app.screen.query_one("#report-unassigned", Static)
        group = section.content
        assert isinstance(group, Group)
        title, body = group.renderables
        assert isinstance(title, Text) and title.plain == UNASSIGNED_TITLE
        assert isinstance(body, Text) and body.plain.startswith(UNASSIGNED_LINE)


def test_cli_units_flags_collectives_without_members(tmp_path: Path) -> None:
    from conftest import seeded_db

    db = str(seeded_db(tmp_path / "u.db"))
    runner = CliRunner()
    listing = runner.invoke(main, ["units", "--db", db])
    assert listing.exit_code == 0, listing.output
    rows = {line.split()[0]: line.split()[1:] for line in listing.stdout.splitlines()}
    assert rows[TOWNSHIPS] == ["集合单位", "38", "未设成员（工作可能无人认领）"]
    assert rows["区政府工作部门"] == ["集合单位", "13", "成员", "39", "个"]
    assert "3 个集合单位未设成员" in listing.stderr
    joined = runner.invoke(main, ["units", "join", "区发改局", TOWNSHIPS, "--db", db])
    assert joined.exit_code == 0, joined.output
    listing = runner.invoke(main, ["units", "--db", db])
    rows = {line.split()[0]: line.split()[1:] for line in listing.stdout.splitlines()}
    assert rows[TOWNSHIPS] == ["集合单位", "38", "成员", "1", "个"]
    assert "2 个集合单位未设成员" in listing.stderr


def test_dialog_snapshot(snap_compare, store: Store) -> None:
    async def run_before(pilot: Pilot) -> None:
        await open_units_on(pilot, store, TOWNSHIPS)
        await pilot.press("m")
        await pilot.pause()

    assert snap_compare(TrackerApp(store, USER), run_before=run_before, terminal_size=(80, 24))


def test_an_item_through_two_collectives_counts_once(store: Store) -> None:
    # 16 items name both 区政府工作部门 (which 区发改局 belongs to) and 各乡镇街委.
    plan_id = store.plans()[0].id
    fgj = unit(store, "区发改局")
    store.set_membership(fgj.id, unit(store, TOWNSHIPS).id, True)
    items = store.filtered_items(plan_id, ItemFilter(unit_id=fgj.id))
    (row,) = [u for u in store.units(plan_id) if u.id == fgj.id]
    assert row.progress.total == len(items) == 40
