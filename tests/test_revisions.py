"""Revised plans: the comparison, carrying the clerks' work over, and the import rule."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from tracker.cli import main
from tracker.domain.models import Category, Item, KeyTask, Plan, Status
from tracker.errors import NotFound
from tracker.importers.parser import read_plan_file
from tracker.services.revisions import (
    ARCHIVE_MARK,
    base_title,
    changed_excerpts,
    diff_plans,
    find_revised_plan,
    import_revision,
    is_archive,
    placed_items,
    resolve_plan,
    revision_target,
    stored_items,
)
from tracker.services.search import search
from tracker.store import Store

SEED_TITLE = "2023年全区政务公开工作要点分工表"


# ---------------------------------------------------------------------- building plans
def edit(plan: Plan, **changes) -> Plan:
    """A copy of a plan as nested lists to change: ``categories[c][2][k][1][i]`` is an item."""
    return plan.model_copy(update=changes)


def nested(plan: Plan) -> list:
    return [
        [c.no, c.title, [[k.title, list(k.items)] for k in c.key_tasks]] for c in plan.categories
    ]


def rebuild(plan: Plan, categories: list, **changes) -> Plan:
    return Plan(
        title=changes.get("title", plan.title),
        year=changes.get("year", plan.year),
        source=changes.get("source", "修订.txt"),
        categories=tuple(
            Category(
                no=no,
                title=title,
                key_tasks=tuple(KeyTask(title=t, items=tuple(items)) for t, items in key_tasks),
            )
            for no, title, key_tasks in categories
        ),
    )


def small_plan(*items: tuple[str, str, str], title: str = "2024年某区分工表") -> Plan:
    """A plan from (category, key task, content) triples, in order."""
    categories: dict[str, dict[str, list[Item]]] = {}
    for category, key_task, content in items:
        categories.setdefault(category, {}).setdefault(key_task, []).append(
            Item(content=content, units_text="区政府办公室", deadline_text="及时公开")
        )
    return Plan(
        title=title,
        year=2024,
        categories=tuple(
            Category(
                no=str(n),
                title=c,
                key_tasks=tuple(KeyTask(title=k, items=tuple(v)) for k, v in kts.items()),
            )
            for n, (c, kts) in enumerate(categories.items(), start=1)
        ),
    )


@pytest.fixture
def seed(seed_path: Path) -> Plan:
    return read_plan_file(seed_path)


REWORDED = "（修订）依法依规做好政府信息公开工作，及时公开相关政策文件。"


def revised(seed: Plan, **changes) -> Plan:
    """The seed, revised: the first item reworded, an item removed, one added at the head
    of the second category's first key task (shifting the ids after it), and units
    changed in place."""
    categories = nested(seed)
    first = categories[0][2][0][1][0]
    categories[0][2][0][1][0] = first.model_copy(
        update={"content": first.content[:-6] + "，并做好解读。"}
    )
    del categories[0][2][1][1][1]
    categories[1][2][0][1].insert(
        0,
        Item(
            content="新增：建立政务公开工作月报制度。",
            units_text="区政府办公室",
            deadline_text="每月25日前",
        ),
    )
    unit_item = categories[2][2][0][1][0]
    categories[2][2][0][1][0] = unit_item.model_copy(update={"units_text": "区民政局"})
    return rebuild(seed, categories, **changes)


def item_at(plan: Plan, c: int, k: int, i: int) -> Item:
    return plan.categories[c].key_tasks[k].items[i]


def stored_id(store: Store, plan: Plan, c: int, k: int, i: int) -> str:
    item = item_at(plan, c, k, i)
    found = [p for p in placed_items(plan) if p.content == item.content]
    return found[0].id


# ---------------------------------------------------------------------- comparing
def test_diff_of_a_plan_with_itself_is_identical(seed: Plan) -> None:
    diff = diff_plans(seed, seed)
    assert diff.identical
    assert len(diff.unchanged) == 47
    assert diff.summary() == "新增 0 条、删除 0 条、改写 0 条"


def test_diff_finds_added_removed_reworded_and_unchanged(seed: Plan) -> None:
    new = revised(seed)
    diff = diff_plans(seed, new)
    assert [i.content for i in diff.added] == ["新增：建立政务公开工作月报制度。"]
    assert [i.content for i in diff.removed] == [item_at(seed, 0, 1, 1).content]
    assert [(m.old.content, m.new.content) for m in diff.reworded] == [
        (item_at(seed, 0, 0, 0).content, item_at(new, 0, 0, 0).content)
    ]
    assert diff.reworded[0].ratio >= 0.6
    assert len(diff.unchanged) == 45
    assert not diff.moved
    # The items after the insertion kept their text but not their ids.
    shifted = [m for m in diff.unchanged if m.old.id != m.new.id]
    assert len(shifted) == 5
    assert [m.changed_cells for m in diff.unchanged if m.changed_cells] == [("责任单位",)]
    assert diff.summary() == "新增 1 条、删除 1 条、改写 1 条"
    assert not diff.identical


def test_an_item_moved_to_another_key_task_is_unchanged_and_moved() -> None:
    old = small_plan(("甲类", "任务一", "公开预算。"), ("甲类", "任务二", "公开决算。"))
    new = small_plan(("甲类", "任务一", "公开预算。"), ("甲类", "任务一", "公开决算。"))
    diff = diff_plans(old, new)
    assert len(diff.unchanged) == 2
    assert [m.new.content for m in diff.moved] == ["公开决算。"]


def test_rewording_beyond_the_threshold_is_a_removal_and_an_addition() -> None:
    old = small_plan(("甲类", "任务一", "公开年度预算和决算。"))
    new = small_plan(("甲类", "任务一", "建立月报制度，按时报送。"))
    diff = diff_plans(old, new)
    assert (len(diff.added), len(diff.removed), len(diff.reworded)) == (1, 1, 0)


def test_rewording_is_matched_within_the_category_only() -> None:
    old = small_plan(("甲类", "任务一", "及时公开部门预算信息。"), ("乙类", "任务二", "开展培训。"))
    new = small_plan(
        ("甲类", "任务一", "开展培训。"), ("乙类", "任务二", "及时公开部门预算和决算信息。")
    )
    diff = diff_plans(old, new)
    # 开展培训 moved categories (same text: unchanged); the budget item changed category
    # and wording: not matched across categories.
    assert [m.new.content for m in diff.moved] == ["开展培训。"]
    assert not diff.reworded
    assert [i.content for i in diff.added] == ["及时公开部门预算和决算信息。"]


def test_reworded_pairs_prefer_the_most_similar() -> None:
    old = small_plan(("甲类", "任务一", "公开部门预算。"), ("甲类", "任务一", "公开部门决算。"))
    new = small_plan(("甲类", "任务一", "公开部门决算表。"), ("甲类", "任务一", "公开部门预算表。"))
    diff = diff_plans(old, new)
    assert sorted((m.old.content, m.new.content) for m in diff.reworded) == [
        ("公开部门决算。", "公开部门决算表。"),
        ("公开部门预算。", "公开部门预算表。"),
    ]


def test_whitespace_and_full_width_forms_do_not_count_as_rewording() -> None:
    old = small_plan(("甲类", "任务一", "公开2023年预算。"))
    new = small_plan(("甲类", "任务一", "公开 ２０２３年预算。"))
    diff = diff_plans(old, new)
    assert len(diff.unchanged) == 1 and not diff.reworded


# ---------------------------------------------------------------------- importing a revision
def record_work(store: Store, plan: Plan) -> dict[str, str]:
    """Status, notes and a review on some items; returns their ids by a short name."""
    ids = {
        "reworded": stored_id(store, plan, 0, 0, 0),
        "removed": stored_id(store, plan, 0, 1, 1),
        "shifted": stored_id(store, plan, 1, 0, 0),
        "units": stored_id(store, plan, 2, 0, 0),
    }
    for name, item_id in ids.items():
        store.set_status(item_id, Status.IN_PROGRESS, by="张三")
        store.save_notes(item_id, f"{name} 的进展", by="张三")
    store.set_status(ids["reworded"], Status.DONE, by="王五")
    store.mark_reviewed(ids["shifted"], date(2023, 6, 1), by="张三")
    return ids


def change_rows(store: Store, item_id: str) -> list[tuple]:
    return [
        tuple(r)
        for r in store.db.execute(
            "SELECT id, field, old_value, new_value, changed_at, by, kind, session_id, machine_id "
            "FROM changes WHERE item_id = ? ORDER BY rowid",
            [item_id],
        )
    ]


def test_revision_with_the_same_title_carries_work_over(store: Store, seed: Plan) -> None:
    ids = record_work(store, seed)
    old_history = {name: change_rows(store, item_id) for name, item_id in ids.items()}
    new = revised(seed)

    result = import_revision(store, new, by="李四")

    assert result.plan_id == result.old_plan_id == seed.id
    assert result.diff.summary() == "新增 1 条、删除 1 条、改写 1 条"
    assert result.carried == 6  # the reworded item and the five after the insertion
    # The plan shows exactly the new version, in order.
    shown = store.filtered_items(seed.id)
    assert [i.content for i in shown] == [i.content for i in placed_items(new)]
    assert [i.id for i in shown] == [i.id for i in placed_items(new)]

    reworded = store.item(stored_id(store, new, 0, 0, 0))
    assert (reworded.status, reworded.notes) == (Status.DONE, "reworded 的进展")
    assert reworded.id != ids["reworded"]
    shifted = store.item(stored_id(store, new, 1, 0, 1))
    assert shifted.content == item_at(seed, 1, 0, 0).content
    assert (shifted.status, shifted.notes, shifted.last_reviewed) == (
        Status.IN_PROGRESS,
        "shifted 的进展",
        date(2023, 6, 1),
    )
    # Same id, same row: the units changed in place and the work stayed.
    units = store.item(ids["units"])
    assert (units.units_text, units.notes) == ("区民政局", "units 的进展")
    assert [u.name for u in store.item_units(ids["units"])] == ["区民政局"]
    added = store.item(stored_id(store, new, 1, 0, 0))
    assert (added.status, added.notes) == (Status.NOT_STARTED, "")

    # The old rows and their history are untouched; nothing was deleted.
    for name, item_id in ids.items():
        assert change_rows(store, item_id) == old_history[name]
    assert store.db.execute("SELECT count(*) FROM items").fetchone()[0] == 47 + 1 + 6

    # The new item's history: copies of the old rows, then one 'carried' row per field.
    history = change_rows(store, reworded.id)
    copies, carried = history[:-2], history[-2:]
    assert [c[1:7] for c in copies] == [c[1:7] for c in old_history["reworded"]]
    assert all(c[7] is None for c in copies)  # not made in an app session
    assert {c[0] for c in copies}.isdisjoint(c[0] for c in old_history["reworded"])
    assert [(c[1], c[2], c[3], c[5], c[6]) for c in carried] == [
        ("status", "not_started", "done", "李四", "carried"),
        ("notes", "", "reworded 的进展", "李四", "carried"),
    ]
    assert store.changes(reworded.id)[0].kind == "carried"

    # The superseded rows went to an archive plan, with their work.
    archive = store.plan(result.archive_plan_id)
    assert is_archive(archive)
    assert archive.title == f"{SEED_TITLE}（2023-06-15 {ARCHIVE_MARK}）"
    archived = store.filtered_items(archive.id)
    assert {i.id for i in archived} == {ids["reworded"], ids["removed"]} | {
        m.old.id for m in result.diff.unchanged if m.old.id != m.new.id
    }
    removed = store.item(ids["removed"])
    assert (removed.status, removed.notes, removed.plan_id) == (
        Status.IN_PROGRESS,
        "removed 的进展",
        archive.id,
    )
    assert removed.category_title == seed.categories[0].title
    # The search finds the carried notes on the new item.
    assert reworded.id in {i.id for i in search(store, seed.id, "reworded 的进展")}


def test_carried_notes_with_nul_are_found_by_search(store: Store, seed: Plan) -> None:
    """FTS5 stops reading at NUL: every index writer cleans the text, the revision's too."""
    item_id = stored_id(store, seed, 0, 0, 0)
    store.save_notes(item_id, "前半\x00已报送材料", by="张三")
    assert item_id in {i.id for i in search(store, seed.id, "已报送材料")}

    new = revised(seed)
    import_revision(store, new, by="李四")

    carried = stored_id(store, new, 0, 0, 0)
    assert store.item(carried).notes == "前半\x00已报送材料"
    assert carried in {i.id for i in search(store, seed.id, "已报送材料")}


def test_importing_the_same_revision_again_changes_nothing(store: Store, seed: Plan) -> None:
    record_work(store, seed)
    new = revised(seed)
    import_revision(store, new, by="李四")
    counts = {
        t: store.db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in ("plans", "categories", "key_tasks", "items", "changes")
    }
    again = import_revision(store, new, by="李四")
    assert again.diff.identical
    assert (again.carried, again.history_rows, again.archive_plan_id) == (0, 0, None)
    assert revision_target(store, new) is None  # the command line imports it plainly
    assert counts == {
        t: store.db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in counts
    }


def test_the_same_revision_on_two_copies_writes_the_same_history(
    tmp_path: Path, clock, seed: Plan
) -> None:
    """Two machines with the same ledger (a snapshot) revising it write the same rows."""
    original = Store.open(tmp_path / "a.db", clock=clock)
    original.import_plan(seed)
    record_work(original, seed)
    original.export_snapshot(tmp_path / "b.db")
    original.close()
    histories = []
    for name in ("a.db", "b.db"):
        store = Store.open(tmp_path / name, clock=clock)
        import_revision(store, revised(seed), by="李四")
        new_id = stored_id(store, revised(seed), 0, 0, 0)
        histories.append([row[:7] for row in change_rows(store, new_id)])
        store.close()
    assert len(histories[0]) == 5
    assert histories[0] == histories[1]


def test_revision_with_a_new_title_keeps_the_old_plan(store: Store, seed: Plan) -> None:
    ids = record_work(store, seed)
    new = revised(seed, title=f"{SEED_TITLE}（修订稿）")
    assert find_revised_plan(store, new).id == seed.id

    result = import_revision(store, new, by="李四")

    assert result.plan_id == new.id != seed.id
    assert result.archive_plan_id is None
    old_items = store.filtered_items(seed.id)
    assert len(old_items) == 47
    assert store.item(ids["removed"]).notes == "removed 的进展"
    assert result.carried == 46  # every matched item is new to the database
    new_items = {i.content: i for i in store.filtered_items(new.id)}
    assert new_items[item_at(new, 0, 0, 0).content].status == Status.DONE
    assert new_items[item_at(seed, 2, 0, 0).content].notes == "units 的进展"


def test_a_failed_revision_writes_nothing(
    store: Store, seed: Plan, monkeypatch: pytest.MonkeyPatch
) -> None:
    record_work(store, seed)
    before = {
        t: store.db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in ("plans", "categories", "key_tasks", "items", "changes")
    }

    def broken(*args, **kwargs):
        raise RuntimeError("disk gone")

    import tracker.store.revisions

    monkeypatch.setattr(tracker.store.revisions, "_archive_superseded", broken)
    with pytest.raises(RuntimeError):
        import_revision(store, revised(seed), by="李四")
    assert before == {
        t: store.db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in before
    }
    assert [i.content for i in store.filtered_items(seed.id)] == [
        i.content for i in placed_items(seed)
    ]


# ---------------------------------------------------------------------- which plan is revised
@pytest.mark.parametrize(
    ("title", "same"),
    [
        (f"{SEED_TITLE}（修订稿）", True),
        (f"{SEED_TITLE}(调整后)", True),
        (f"{SEED_TITLE}【征求意见稿】", True),
        ("2023年全区政务公开工作要点分工表修订版", True),
        ("2023 年全区政务公开工作要点分工表", True),
        ("2023年通川区政务公开工作要点分工表", False),
        ("2023年全区政务公开工作要点", False),
    ],
)
def test_base_title(title: str, same: bool) -> None:
    assert (base_title(title) == base_title(SEED_TITLE)) is same


def test_find_revised_plan(store: Store, seed: Plan) -> None:
    assert find_revised_plan(store, seed).id == seed.id
    assert find_revised_plan(store, edit(seed, title=f"{SEED_TITLE}（修订稿）")).id == seed.id
    assert (
        find_revised_plan(store, edit(seed, year=2024, title=SEED_TITLE.replace("2023", "2024")))
        is None
    )
    assert find_revised_plan(store, edit(seed, title="2023年通川区政务公开工作要点分工表")) is None


def test_find_revised_plan_takes_the_latest_version_and_skips_archives(
    store: Store, seed: Plan, clock
) -> None:
    first = revised(seed, title=f"{SEED_TITLE}（修订稿）")
    clock.advance(3600)
    store.import_plan(first)
    second = edit(seed, title=f"{SEED_TITLE}（第二次修订）")
    assert find_revised_plan(store, second).id == first.id
    # An archive made by a same-title revision is never the one revised.
    import_revision(store, revised(seed), by="李四", revises=seed.id)
    archives = [p for p in store.plans() if is_archive(p)]
    assert len(archives) == 1
    assert find_revised_plan(store, second).id == first.id


def test_revision_target_rule(store: Store, seed: Plan) -> None:
    assert revision_target(store, seed) is None  # the same file again
    assert revision_target(store, revised(seed)).id == seed.id
    assert revision_target(store, revised(seed), as_new=True) is None
    assert revision_target(store, small_plan(("甲", "乙", "丙"))) is None
    other = small_plan(("甲", "乙", "丙"))
    assert revision_target(store, other, revises=seed.id[:6]).id == seed.id
    assert revision_target(store, other, revises=SEED_TITLE).id == seed.id
    with pytest.raises(NotFound, match="未找到分工表「没有这份」"):
        revision_target(store, other, revises="没有这份")


def test_changed_excerpts_show_where_texts_differ() -> None:
    assert changed_excerpts("甲" * 80 + "公开预算。", "甲" * 80 + "公开决算。") == (
        "…甲甲甲甲甲甲公开预算。",
        "…甲甲甲甲甲甲公开决算。",
    )
    assert changed_excerpts("公开预算。" + "乙" * 80, "公开决算。" + "乙" * 80)[0].startswith(
        "公开预算。乙"
    )


def test_resolve_plan_needs_four_characters_of_an_id(store: Store, seed: Plan) -> None:
    with pytest.raises(NotFound):
        resolve_plan(store, seed.id[:3])


def test_stored_items_are_in_plan_order(store: Store, seed: Plan) -> None:
    assert stored_items(store, seed.id) == placed_items(seed)


# ---------------------------------------------------------------------- the command line
def write_plan_csv(plan: Plan, path: Path) -> Path:
    """A plan as a CSV table in the seed's layout (merged cells left empty)."""
    rows = [[plan.title], ["序号", "工作任务", "重点工作任务", "", "责任单位", "完成时限"]]
    for category in plan.categories:
        for k, key_task in enumerate(category.key_tasks):
            for i, item in enumerate(key_task.items):
                first = k == 0 and i == 0
                rows.append(
                    [
                        category.no if first else "",
                        category.title if first else "",
                        key_task.title if i == 0 else "",
                        item.content,
                        item.units_text,
                        item.deadline_text,
                    ]
                )
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_cli_import_of_a_revision_prints_the_diff(
    seed_path: Path, seed: Plan, tmp_path: Path
) -> None:
    db = tmp_path / "台账.db"
    runner = CliRunner()
    assert runner.invoke(main, ["import", str(seed_path), "--db", str(db)]).exit_code == 0
    store = Store.open(db)
    record_work(store, seed)
    store.close()
    path = write_plan_csv(revised(seed), tmp_path / "修订.csv")

    result = runner.invoke(main, ["import", str(path), "--db", str(db), "--user", "李四"])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == (
        f"「{SEED_TITLE}」的新版本：新增 1 条、删除 1 条、改写 1 条，已带入状态和进展（6 条）"
    )
    assert "另有 1 条内容未变、责任单位或完成时限有变化" in lines
    assert (
        "  + 新增：建立政务公开工作月报制度。（2 推进政务公开提质增效 › 做好专栏内容保障工作）"
        in lines
    )
    assert any(line.startswith("  - ") for line in lines)
    assert any(line.startswith("  ~ ") for line in lines)
    assert "  ~ …大平台、全面深化改革等信息。" in lines
    assert "    → …大平台、全面深化，并做好解读。" in lines
    assert any("保留在" in line and ARCHIVE_MARK in line for line in lines)

    again = runner.invoke(main, ["import", str(path), "--db", str(db)])
    assert again.exit_code == 0, again.output
    assert "新增 0 条" in again.output and "已导入" in again.output


def test_cli_new_imports_a_separate_plan(seed_path: Path, seed: Plan, tmp_path: Path) -> None:
    db = tmp_path / "台账.db"
    runner = CliRunner()
    runner.invoke(main, ["import", str(seed_path), "--db", str(db)])
    path = write_plan_csv(revised(seed, title=f"{SEED_TITLE}（修订稿）"), tmp_path / "修订稿.csv")

    result = runner.invoke(main, ["import", str(path), "--db", str(db), "--new"])

    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"已导入「{SEED_TITLE}（修订稿）」")
    store = Store.open(db)
    try:
        assert len(store.plans()) == 2
    finally:
        store.close()


def test_cli_revision_under_a_new_title_names_the_old_plan(
    seed_path: Path, seed: Plan, tmp_path: Path
) -> None:
    db = tmp_path / "台账.db"
    runner = CliRunner()
    runner.invoke(main, ["import", str(seed_path), "--db", str(db)])
    path = write_plan_csv(revised(seed, title=f"{SEED_TITLE}（修订稿）"), tmp_path / "修订稿.csv")

    result = runner.invoke(main, ["import", str(path), "--db", str(db)])

    assert result.exit_code == 0, result.output
    assert result.output.startswith(
        f"「{SEED_TITLE}（修订稿）」是「{SEED_TITLE}」的修订版：新增 1 条、删除 1 条、改写 1 条，"
        "已带入状态和进展"
    )
    assert f"原分工表「{SEED_TITLE}」保持不变" in result.output


def test_cli_revises_options(seed_path: Path, tmp_path: Path) -> None:
    db = tmp_path / "台账.db"
    runner = CliRunner()
    runner.invoke(main, ["import", str(seed_path), "--db", str(db)])
    unknown = runner.invoke(
        main, ["import", str(seed_path), "--db", str(db), "--revises", "无此表"]
    )
    assert unknown.exit_code == 1
    assert "未找到分工表「无此表」；未导入任何内容" in unknown.output
    both = runner.invoke(
        main, ["import", str(seed_path), "--db", str(db), "--revises", "x", "--new"]
    )
    assert both.exit_code == 2
