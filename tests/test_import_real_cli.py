"""``tracker import`` of real plans from the command line: --year, --dry-run, the units
of the plan in view, collectives with default members by level, and the alias table."""

from __future__ import annotations

import sys
from pathlib import Path

from click.testing import CliRunner

from tracker.cli import main
from tracker.store import ItemFilter, Store

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
from real import chizhou_xfj, jiangmen_tdcb, lishan_2023, xiangshan_2025


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_a_file_without_a_year_asks_for_one_then_imports(tmp_path: Path) -> None:
    [path] = chizhou_xfj.build(tmp_path)
    db = tmp_path / "t.db"
    refused = run("import", str(path), "--db", str(db))
    assert refused.exit_code == 1
    assert "--year" in refused.output and "未导入任何内容" in refused.output
    done = run("import", str(path), "--year", "2022", "--db", str(db))
    assert done.exit_code == 0, done.output
    assert "7 项工作任务，8 条具体任务（新增 8 条）" in done.output
    mismatch = run("import", str(lishan_2023.build(tmp_path)[0]), "--year", "2024", "--db", str(db))
    assert mismatch.exit_code == 1
    assert "与指定的 --year 2024 不符" in mismatch.output


def test_dry_run_previews_and_writes_nothing(tmp_path: Path) -> None:
    [path] = jiangmen_tdcb.build(tmp_path)
    db = tmp_path / "t.db"
    result = run("import", str(path), "--year", "2023", "--dry-run", "--db", str(db))
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith(
        "预览（未写入任何内容）：「江门市土地储备中心政务公开工作任务分工」（2023 年）"
    )
    assert "层级：工作任务 → 具体任务（两级，无重点工作任务）" in out
    assert "共 5 项工作任务、0 项重点工作任务、10 条具体任务" in out
    assert "2.1.3 4.及时更新微信公众号信息。" in out
    assert "责任单位：★办公室；各科室" in out
    assert "完成时限：（空） → 未定时限" in out
    assert "⚠ 10 条任务未定时限（不会逾期）" in out
    assert not db.exists()


def test_dry_run_warns_of_months_without_an_issue_date(tmp_path: Path) -> None:
    path = tmp_path / "要点.txt"
    path.write_text(
        "2024年某区政务公开工作要点\n一、加强公开\n1.编制目录。（牵头单位：区政府办公室；"
        "完成时限：6个月）\n2.开展培训。（区司法局负责落实）\n",
        encoding="utf-8",
    )
    out = run("import", str(path), "--dry-run").output
    assert "1.1.1 1.编制目录。" in out
    assert "完成时限：6个月 → 相对时限" in out
    assert "⚠ 1 条任务的时限自印发之日起计算，但分工表未写明印发日期" in out
    assert "责任单位：★区司法局" in out


def test_units_of_the_plan_in_view_and_all(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    run("import", str(jiangmen_tdcb.build(tmp_path)[0]), "--year", "2023", "--db", str(db))
    run("import", str(lishan_2023.build(tmp_path)[0]), "--db", str(db))
    lishan = run("--plan", lishan_2023.SOURCE, "units", "--db", str(db)).output
    assert "区发改局" in lishan and "财务科" not in lishan
    jiangmen = run("--plan", jiangmen_tdcb.SOURCE, "units", "--db", str(db))
    assert "财务科" in jiangmen.output and "区发改局" not in jiangmen.output
    everything = run("units", "--all", "--db", str(db)).output
    assert "财务科" in everything and "区发改局" in everything


def test_collectives_have_default_members_by_level(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    run("import", str(jiangmen_tdcb.build(tmp_path)[0]), "--year", "2023", "--db", str(db))
    run("import", str(xiangshan_2025.build(tmp_path)[0]), "--year", "2025", "--db", str(db))
    store = Store.open(db)
    try:
        jiangmen = store.resolve_plan("2023").id
        finance = store.unit("财务科")
        assert finance is not None
        # 1 item names 财务科; 8 name 各科室 (an office's sections)
        assert len(store.filtered_items(jiangmen, ItemFilter(unit_id=finance.id))) == 9
        assert "各科室" in store.memberships(finance.id)
        xiangshan = store.resolve_plan("2025").id
        commerce = store.unit("区商务局")
        assert commerce is not None
        # named in item 3; items 1 and 5 name 各区直部门 and 区直各部门 (district
        # departments); items 2 and 4 name other units 「等相关区直部门」 (those units)
        assert len(store.filtered_items(xiangshan, ItemFilter(unit_id=commerce.id))) == 3
        assert set(store.memberships(commerce.id)) == {"各区直部门", "区直各部门"}
        # a township is not a district department; 各镇（办） is the townships'
        assert store.unit("经开区") is not None
    finally:
        store.close()


def test_alias_merges_two_spellings_in_every_plan(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    run("import", str(xiangshan_2025.build(tmp_path)[0]), "--year", "2025", "--db", str(db))
    before = run("units", "--db", str(db)).output
    assert "各区直部门" in before and "区直各部门" in before
    added = run("units", "alias", "各区直部门", "区直各部门", "--db", str(db))
    assert added.exit_code == 0, added.output
    assert "「各区直部门」今后算作「区直各部门」" in added.output
    after = run("units", "--db", str(db)).output
    assert "各区直部门" not in after
    assert "各区直部门\t→ 区直各部门" in run("units", "alias", "--db", str(db)).output
    removed = run("units", "alias", "各区直部门", "--remove", "--db", str(db))
    assert removed.exit_code == 0, removed.output
    assert "各区直部门" in run("units", "--db", str(db)).output


def test_a_district_collective_counts_for_each_department(tmp_path: Path) -> None:
    lines = ["2024年某区政务公开工作要点", "一、加强公开"]
    lines.append("1.公开就业政策。（牵头单位：区人力资源社会保障局）")
    lines += [f"{n}.公开第{n}项信息。（责任单位：区直有关单位）" for n in range(2, 7)]
    lines.append("7.乡镇公开。（责任单位：各乡镇街道）")
    path = tmp_path / "要点.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    db = tmp_path / "t.db"
    assert run("import", str(path), "--db", str(db)).exit_code == 0
    run("units", "add", "北山镇", "--db", str(db))
    store = Store.open(db)
    try:
        plan = store.resolve_plan(None).id
        hrss = store.unit("区人力资源社会保障局")
        town = store.unit("北山镇")
        assert hrss is not None and town is not None
        assert len(store.filtered_items(plan, ItemFilter(unit_id=hrss.id))) == 6
        assert len(store.filtered_items(plan, ItemFilter(unit_id=town.id))) == 1
        names = {u.name for u in store.units(plan)}
        assert "各乡镇街道" in names and "各乡镇街委" not in names  # kept as written
    finally:
        store.close()


def test_list_shows_an_item_without_a_deadline_as_undated(tmp_path: Path) -> None:
    [path] = lishan_2023.build(tmp_path)
    db = tmp_path / "t.db"
    assert run("import", str(path), "--db", str(db)).exit_code == 0
    listed = run("list", "--db", str(db))
    assert listed.exit_code == 0, listed.output
    rows = [line for line in listed.output.splitlines() if line.startswith("1.1.")]
    assert len(rows) == 6 and all("未定时限" in row for row in rows), listed.output
