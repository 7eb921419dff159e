"""The command line's consistency: a missing ``--db`` is refused, ``--unit``/``--today``/
``--plan`` go before or after any command, a mistyped unit gets suggestions, tables line
up by display width, and click's own messages are Chinese."""

from __future__ import annotations

import json
import re
import sqlite3
import sys
import types
from contextlib import closing
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from conftest import seeded_db
from rich.cells import cell_len

from tracker.cli import main
from tracker.cli.text import table, unit_suggestions, wrap_cells
from tracker.store.locations import bundled_plan_path, default_db_path

TODAY = "2023-08-25"


def run(*args: object, **kwargs) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], **kwargs)


def plan_titles(db: Path) -> list[str]:
    with closing(sqlite3.connect(db)) as conn:
        return [row[0] for row in conn.execute("SELECT title FROM plans ORDER BY title")]


# ---------------------------------------------------------------------- a missing --db
# Every command, with what it needs besides the database ({tmp} is a scratch folder).
EVERY_COMMAND = {
    "app": [],
    "list": ["list"],
    "set": ["set", "1.1.1", "--status", "done"],
    "report": ["report"],
    "export-snapshot": ["export-snapshot", "{tmp}/快照.db"],
    "export-ledger": ["export-ledger", "{tmp}/台账.xlsx"],
    "import-ledger": ["import-ledger", "{ledger}", "--by", "区发改局"],
    "merge": ["merge", "{snapshot}"],
    "conflicts": ["conflicts"],
    "resolve": ["resolve", "abc", "--keep", "ours"],
    "units": ["units"],
    "units-add": ["units", "add", "东城街道"],
    "units-join": ["units", "join", "区发改局", "各乡镇街委"],
    "units-leave": ["units", "leave", "区发改局", "各乡镇街委"],
    "config": ["config"],
    "config-set": ["config", "due-window", "7"],
}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A snapshot and a ledger for the commands that read one."""
    folder = tmp_path_factory.mktemp("inputs")
    db = seeded_db(folder / "source.db")
    assert run("export-snapshot", folder / "快照.db", "--db", db).exit_code == 0
    assert run("export-ledger", folder / "台账.xlsx", "--db", db).exit_code == 0
    return {"snapshot": str(folder / "快照.db"), "ledger": str(folder / "台账.xlsx")}


@pytest.fixture
def fake_app(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The app, if it were ever started."""
    started: list[object] = []

    class NeverStarted:
        def __init__(self, *args: object, **kwargs: object) -> None:
            started.append(self)

    module = types.ModuleType("tracker.ui.app")
    module.TrackerApp = NeverStarted
    monkeypatch.setitem(sys.modules, "tracker.ui.app", module)
    monkeypatch.setattr("tracker.cli._isatty", lambda stream: True)  # as in a terminal
    return started


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    """An empty folder of the test's own (conftest puts HOME in tmp_path)."""
    folder = tmp_path / "scratch"
    folder.mkdir()
    return folder


def command_args(command: str, tmp: Path, inputs: dict[str, str]) -> list[str]:
    return [a.format(tmp=tmp, **inputs) for a in EVERY_COMMAND[command]]


@pytest.mark.parametrize("position", ["before", "after"])
@pytest.mark.parametrize("command", EVERY_COMMAND)
def test_a_missing_db_is_refused_and_nothing_is_created(
    scratch: Path, inputs: dict[str, str], fake_app: list[object], command: str, position: str
) -> None:
    db = scratch / "no" / "such" / "台账.db"
    args = command_args(command, scratch, inputs)
    where = ["--db", str(db)]
    result = run(*(where + args if position == "before" else args + where))
    assert result.exit_code == 1, result.output
    assert f"未找到数据库「{db}」" in result.output
    assert f"tracker import 分工表.docx --db {db}" in result.output
    assert "Traceback" not in result.output
    assert not (scratch / "no").exists()  # not even the folder
    assert sorted(p.name for p in scratch.iterdir()) == []
    assert not default_db_path().exists()
    assert fake_app == []


@pytest.mark.parametrize("command", ["app", "list", "set", "report", "export-snapshot"])
def test_a_missing_tracker_db_is_refused_and_named(
    scratch: Path,
    inputs: dict[str, str],
    fake_app: list[object],
    monkeypatch: pytest.MonkeyPatch,
    command: str,
) -> None:
    db = scratch / "typo.db"
    monkeypatch.setenv("TRACKER_DB", str(db))
    result = run(*command_args(command, scratch, inputs))
    assert result.exit_code == 1
    assert f"未找到数据库「{db}」（环境变量 TRACKER_DB 所指）" in result.output
    assert list(scratch.iterdir()) == []
    assert not default_db_path().exists()


def test_an_empty_file_is_no_database(scratch: Path) -> None:
    db = scratch / "空.db"
    db.touch()
    result = run("set", "1.1.1", "--status", "done", "--db", db)
    assert result.exit_code == 1
    assert f"数据库文件「{db}」是空的" in result.output
    assert db.read_bytes() == b""
    assert [p.name for p in scratch.iterdir()] == ["空.db"]


def test_set_on_a_mistyped_db_changes_nothing_anywhere(tmp_path: Path) -> None:
    real = seeded_db(tmp_path / "台账.db")
    before = real.read_bytes()
    result = run("set", "1.1.1", "--status", "done", "--db", tmp_path / "台帐.db")
    assert result.exit_code == 1 and "状态 →" not in result.output
    assert real.read_bytes() == before
    assert not (tmp_path / "台帐.db").exists()


def test_import_creates_a_missing_database_with_only_its_plan(tmp_path: Path) -> None:
    db = tmp_path / "新建" / "台账.db"
    plan = tmp_path / "2024.txt"
    text = bundled_plan_path().read_text(encoding="utf-8")
    plan.write_text(text.replace("2023年全区", "2024年全区"), encoding="utf-8")
    result = run("import", plan, "--db", db)
    assert result.exit_code == 0, result.output
    assert plan_titles(db) == ["2024年全区政务公开工作要点分工表"]
    # Later commands on it never add the bundled plan.
    assert run("list", "--db", db).exit_code == 0
    assert plan_titles(db) == ["2024年全区政务公开工作要点分工表"]


def test_import_into_the_default_database_on_first_run_loads_only_that_plan(
    tmp_path: Path,
) -> None:
    plan = tmp_path / "2024.txt"
    text = bundled_plan_path().read_text(encoding="utf-8")
    plan.write_text(text.replace("2023年全区", "2024年全区"), encoding="utf-8")
    assert run("import", plan).exit_code == 0
    assert run("list").exit_code == 0
    assert plan_titles(default_db_path()) == ["2024年全区政务公开工作要点分工表"]


def test_the_default_database_is_created_with_the_bundled_plan(tmp_path: Path) -> None:
    result = run("list", "--overdue", "--today", TODAY)
    assert result.exit_code == 0, result.output
    assert plan_titles(default_db_path()) == ["2023年全区政务公开工作要点分工表"]


# ---------------------------------------------------------------------- options anywhere
def all_commands(group: click.Group, path: tuple[str, ...] = ()):
    for name, command in group.commands.items():
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from all_commands(command, (*path, name))


@pytest.mark.parametrize("option", ["--db", "--user", "--unit", "--today", "--plan"])
def test_every_command_takes_the_common_options_after_its_name(option: str) -> None:
    commands = list(all_commands(main))
    assert len(commands) >= 15
    for path, command in commands:
        names = {name for param in command.params for name in param.opts}
        assert option in names, f"tracker {' '.join(path)} lacks {option}"
        assert run(*path, "--help").exit_code == 0


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seeded_db(tmp_path_factory.mktemp("db") / "台账.db")


def test_list_takes_unit_today_and_plan_after_its_name(db: Path) -> None:
    after = run(
        "list", "--unit", "区发改局", "--overdue", "--today", TODAY, "--plan", "2023", "--db", db
    )
    before = run(
        "--unit", "区发改局", "--today", TODAY, "--plan", "2023", "list", "--overdue", "--db", db
    )
    assert after.exit_code == 0, after.output
    assert after.output == before.output
    [header, *rows] = after.stdout.splitlines()
    assert header.split()[0] == "编号"
    assert rows and all("逾期" in row.split() for row in rows)
    everyone = run("list", "--overdue", "--today", TODAY, "--db", db)
    assert len(everyone.stdout.splitlines()) > len(after.stdout.splitlines())


def test_after_the_name_wins_over_before(db: Path) -> None:
    mixed = run("--unit", "区教育局", "list", "--unit", "区发改局", "--json", "--db", db)
    mine = run("list", "--unit", "区发改局", "--json", "--db", db)
    assert mixed.exit_code == 0, mixed.output
    assert json.loads(mixed.stdout) == json.loads(mine.stdout)


@pytest.mark.parametrize("command", [["report"], ["export-ledger", "{tmp}/台账.csv"]])
def test_report_and_ledger_take_the_options_before_or_after(
    db: Path, tmp_path: Path, command: list[str]
) -> None:
    args = [a.format(tmp=tmp_path) for a in command]
    after = run(*args, "--unit", "区发改局", "--today", TODAY, "--db", db)
    if len(args) > 1:
        Path(args[1]).unlink()
    before = run("--unit", "区发改局", "--today", TODAY, *args, "--db", db)
    assert after.exit_code == 0, after.output
    assert after.output == before.output


def test_export_snapshot_unit_before_or_after_but_never_from_the_environment(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n, args in enumerate(
        [["--unit", "区发改局", "export-snapshot"], ["export-snapshot", "--unit", "区发改局"]]
    ):
        result = run(*args, tmp_path / f"{n}.db", "--db", db)
        assert result.exit_code == 0, result.output
        assert "「区发改局」的" in result.output
    monkeypatch.setenv("TRACKER_UNIT", "区发改局")
    whole = run("export-snapshot", tmp_path / "whole.db", "--db", db)
    assert whole.exit_code == 0 and "「区发改局」的" not in whole.output


# ---------------------------------------------------------------------- unit suggestions
NAMES = ["区发改局", "区经信局", "区教育局", "各乡镇街委", "区政府工作部门"]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("发改局", ["区发改局"]),  # a part of the name
        ("fgj", ["区发改局"]),  # pinyin initials
        ("发该局", ["区发改局"]),  # sounds the same
        ("fagaiju", ["区发改局"]),  # full pinyin
        ("通川区发改局", ["区发改局"]),  # a name inside
        ("火星局", []),
    ],
)
def test_unit_suggestions(typed: str, expected: list[str]) -> None:
    assert unit_suggestions(NAMES, typed) == expected


def test_substring_suggestions_come_first_shortest_first() -> None:
    assert unit_suggestions(NAMES, "局")[:3] == ["区发改局", "区经信局", "区教育局"]


@pytest.mark.parametrize(
    "args",
    [
        ["list", "--unit", "发改局"],
        ["--unit", "发改局", "list"],
        ["report", "--unit", "发改局"],
        ["export-ledger", "x.xlsx", "--unit", "发改局"],
        ["export-snapshot", "x.db", "--unit", "发改局"],
        ["units", "join", "发改局", "各乡镇街委"],
        ["import-ledger", "{ledger}", "--by", "发改局"],
        ["--unit", "发改局"],  # the app
    ],
)
def test_an_unknown_unit_gets_suggestions_on_every_command(
    db: Path,
    inputs: dict[str, str],
    fake_app: list[object],
    args: list[str],
    scratch: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(scratch)
    before = db.read_bytes()
    result = run(*[a.format(**inputs) for a in args], "--db", db)
    assert result.exit_code == 1
    assert "错误：未找到单位「发改局」，是否指：区发改局" in result.output
    assert list(scratch.iterdir()) == []
    assert fake_app == []
    assert db.read_bytes() == before


def test_an_unknown_unit_without_a_close_one_says_where_to_look(db: Path) -> None:
    result = run("list", "--unit", "火星局", "--db", db)
    assert result.exit_code == 1
    assert "未找到单位「火星局」；可用 tracker units 查看所有单位" in result.output


# ---------------------------------------------------------------------- aligned columns
def column_starts(line: str, fields: list[str]) -> list[int]:
    """The display column where each field starts in the line."""
    starts, position = [], 0
    for field in fields:
        index = line.index(field, position)
        starts.append(cell_len(line[:index]))
        position = index + len(field)
    return starts


def test_units_prints_aligned_columns_with_a_header(db: Path) -> None:
    result = run("units", "--db", db)
    assert result.exit_code == 0, result.output
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["单位", "类别", "任务数", "集合单位／成员"]
    assert len(rows) > 40
    starts = column_starts(header, ["单位", "类别"])
    for row in rows:
        name, kind, count, rest = re.split(r"\s{2,}", row.strip(), maxsplit=3)
        assert column_starts(row, [name, kind])[1] == starts[1], row
        # The count is right-aligned: it ends where the header's column ends.
        assert cell_len(row[: row.index(kind) + len(kind)]) < cell_len(row[: row.index(rest)])
        count_end = cell_len(row[: row.index(f" {count} ") + 1 + len(count)])
        assert count_end == cell_len(header[: header.index("任务数") + 3])


def test_list_prints_aligned_columns_with_a_header(db: Path) -> None:
    result = run("list", "--today", TODAY, "--db", db)
    assert result.exit_code == 0, result.output
    header, *rows = result.stdout.splitlines()
    assert len(rows) == 47
    titles = ["编号", "状态", "预警", "完成时限", "具体内容"]
    starts = column_starts(header, titles)
    for row in rows:
        outline, status = row.split()[:2]
        assert column_starts(row, [outline, status]) == starts[:2], row
        # 具体内容 starts in the same display column on every row (Chinese is 2 cells).
        at = {cell_len(row[:i]): i for i in range(len(row))}
        assert starts[4] in at, row
        assert row[at[starts[4]] - 1] == " " and row[at[starts[4]]] != " ", row


def test_a_table_fits_the_width_cutting_only_the_last_column() -> None:
    rows = [["1.1.1", "推进中", "区发改局、区经信局负责的很长很长的一段具体内容" * 3]]
    text = table(["编号", "状态", "具体内容"], rows, width=40)
    _, line = text.splitlines()
    assert cell_len(line) <= 40 and line.endswith("…")
    assert line.startswith("1.1.1  推进中  ")
    assert table(["编号", "状态", "具体内容"], rows).splitlines()[1].endswith("段具体内容")


# ---------------------------------------------------------------------- click in Chinese
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["list", "--bogus"], "没有选项「--bogus」"),
        (["import"], "缺少参数 'FILE'"),
        (["nosuch"], "没有命令「nosuch」"),
        (["config", "colour"], "不是 'due-window', 'review-period' 之一"),
        (["list", "--today", "2023/8/25"], "不是日期，应写成 YYYY-MM-DD"),
        (["resolve", "x"], "缺少选项 '--keep'"),
        (["list", "--unit"], "选项「--unit」需要一个值"),
    ],
)
def test_usage_errors_are_in_chinese(args: list[str], expected: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert expected in result.output
    assert result.output.count("错误：") == 1
    for english in ("Error:", "Usage:", "Try '", "No such", "Missing"):
        assert english not in result.output


@pytest.mark.parametrize("args", [["--help"], ["list", "-h"], ["units", "join", "--help"]])
def test_help_is_all_chinese(args: list[str]) -> None:
    result = run(*args)
    assert result.exit_code == 0
    assert "显示本帮助并退出" in result.output
    assert "用法：" in result.output and "选项" in result.output
    for english in ("Show this message", "Usage:", "Options:", "[OPTIONS]", "Commands:"):
        assert english not in result.output


def test_option_help_fits_80_columns() -> None:
    """Chinese option help wraps by display width (a Han character is 2 cells)."""
    for path, _ in [((), main), *all_commands(main)]:
        result = CliRunner().invoke(main, [*path, "--help"], terminal_width=80)
        options = result.output.split("选项:\n", 1)[1].split("\n\n", 1)[0]
        assert "--db 文件" in options
        for line in options.splitlines():
            assert cell_len(line) <= 80, line


def test_version_is_chinese() -> None:
    result = run("--help")
    assert "显示版本号并退出" in result.output
    assert run("--version").output.startswith("tracker ")


def test_help_touches_no_database(scratch: Path) -> None:
    assert run("list", "--help", "--db", scratch / "x.db").exit_code == 0
    assert list(scratch.iterdir()) == []


def test_help_text_wraps_chinese_between_characters_by_display_width() -> None:
    text = "md（Markdown，默认）或 html（独立网页，可用浏览器打开、打印）；不写时按 --out 的扩展名"
    lines = wrap_cells(text, 20)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert all(cell_len(line) <= 20 + 4 for line in lines)  # + closing marks kept on the line
    assert not any(line[0] in "，。、；：）」" for line in lines)
    assert "--out" in " ".join(lines).split()  # Latin words stay whole
