"""The command line, driven with click's CliRunner against temporary databases."""

from __future__ import annotations

import getpass
import shutil
import sqlite3
import sys
import types
from collections.abc import Iterator
from contextlib import closing
from importlib.metadata import version
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from conftest import seeded_db

from tracker.cli import main
from tracker.cli.common import Settings, common_options
from tracker.services.drafts import NoteDrafts
from tracker.services.editing import Editing
from tracker.store import Store
from tracker.store.locations import default_db_path

BAD_PLAN = "\n".join(
    [
        "附件",
        "2023年全区政务公开工作要点分工表",
        "",
        "\t序号",
        "\t工作任务",
        "\t重点工作任务",
        "\t责任单位",
        "\t完成时限",
        "",
        "\t1",
        "\t加大主动公开力度",
        "\t重点一",
        "\t内容一",
        "\t区政府办公室",
        "\t及时公开",
        "",
        "\t",  # line 17: a row with five cells
        "\t",
        "\t",
        "\t内容二",
        "\t区政府办公室",
        "",
    ]
)
BAD_LINE = 17


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def invoke(runner: CliRunner, *args: object) -> Result:
    return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)


def table_counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        return {
            t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("plans", "categories", "key_tasks", "items")
        }
    finally:
        conn.close()


SEED_COUNTS = {"plans": 1, "categories": 5, "key_tasks": 19, "items": 47}


# ---------------------------------------------------------------------- import
def test_import_reports_counts_and_is_idempotent(
    runner: CliRunner, seed_path: Path, tmp_path: Path
) -> None:
    db = tmp_path / "台账.db"
    first = invoke(runner, "import", seed_path, "--db", db)
    assert first.exit_code == 0, first.output
    assert "已导入「2023年全区政务公开工作要点分工表」" in first.output
    assert "5 项工作任务" in first.output
    assert "19 项重点工作任务" in first.output
    assert "47 条具体任务" in first.output
    assert "新增 47 条" in first.output
    assert str(db) in first.output
    assert table_counts(db) == SEED_COUNTS

    second = invoke(runner, "import", seed_path, "--db", db)
    assert second.exit_code == 0, second.output
    assert "新增 0 条" in second.output
    assert table_counts(db) == SEED_COUNTS


def test_import_into_a_new_database_does_not_add_the_bundled_plan(
    runner: CliRunner, tmp_path: Path
) -> None:
    plan = tmp_path / "small.txt"
    plan.write_text(
        BAD_PLAN.replace("\t\n\t\n\t\n\t内容二\n\t区政府办公室\n", "").replace(
            "2023年全区", "2024年某区"
        ),
        encoding="utf-8",
    )
    db = tmp_path / "small.db"
    result = invoke(runner, "import", plan, "--db", db)
    assert result.exit_code == 0, result.output
    assert "1 项工作任务，1 项重点工作任务，1 条具体任务（新增 1 条）" in result.output
    assert table_counts(db) == {"plans": 1, "categories": 1, "key_tasks": 1, "items": 1}


def test_import_malformed_file_fails_and_creates_nothing(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text(BAD_PLAN, encoding="utf-8")
    db = tmp_path / "new.db"
    result = runner.invoke(main, ["import", str(bad), "--db", str(db)])
    assert result.exit_code != 0
    assert f"第 {BAD_LINE} 行" in result.output
    assert "未导入任何内容" in result.output
    assert "bad.txt" in result.output
    assert not db.exists() or table_counts(db)["plans"] == 0


def test_import_malformed_file_leaves_existing_database_unchanged(
    runner: CliRunner, seed_path: Path, tmp_path: Path
) -> None:
    db = tmp_path / "existing.db"
    assert invoke(runner, "import", seed_path, "--db", db).exit_code == 0
    bad = tmp_path / "bad.txt"
    bad.write_bytes(BAD_PLAN.replace("2023年全区", "2030年全区").encode("gb18030"))
    result = runner.invoke(main, ["import", str(bad), "--db", str(db)])
    assert result.exit_code != 0
    assert f"第 {BAD_LINE} 行" in result.output
    assert table_counts(db) == SEED_COUNTS


def test_import_missing_file_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        main, ["import", str(tmp_path / "nope.txt"), "--db", str(tmp_path / "x.db")]
    )
    assert result.exit_code == 2
    assert "nope.txt" in result.output
    assert not (tmp_path / "x.db").exists()


def test_import_refuses_a_non_tracker_database(
    runner: CliRunner, seed_path: Path, tmp_path: Path
) -> None:
    db = tmp_path / "notes.txt"
    db.write_bytes(b"not a database at all\n" * 50)
    result = runner.invoke(main, ["import", str(seed_path), "--db", str(db)])
    assert result.exit_code == 1
    assert "不是 tracker 数据库" in result.output
    assert db.read_bytes() == b"not a database at all\n" * 50


# ---------------------------------------------------------------------- export-snapshot
def test_export_snapshot_creates_file_and_seeds_the_default_database(
    runner: CliRunner, tmp_path: Path
) -> None:
    db, out = default_db_path(), tmp_path / "快照.db"
    result = invoke(runner, "export-snapshot", out)
    assert result.exit_code == 0, result.output
    assert "快照已导出到" in result.output
    assert str(out.resolve()) in result.output
    assert table_counts(db) == SEED_COUNTS  # the bundled plan, on first use
    assert table_counts(out) == SEED_COUNTS
    conn = sqlite3.connect(out)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    finally:
        conn.close()


def test_export_snapshot_refuses_existing_file_unless_forced(
    runner: CliRunner, tmp_path: Path
) -> None:
    db, out = seeded_db(tmp_path / "台账.db"), tmp_path / "快照.db"
    out.write_bytes(b"an earlier report")
    refused = runner.invoke(main, ["export-snapshot", str(out), "--db", str(db)])
    assert refused.exit_code == 1
    assert "已存在" in refused.output
    assert "--force" in refused.output
    assert out.read_bytes() == b"an earlier report"
    assert not list(tmp_path.glob("*.part")) and not list(tmp_path.glob(".*.part"))

    forced = invoke(runner, "export-snapshot", out, "--db", db, "--force")
    assert forced.exit_code == 0, forced.output
    assert table_counts(out) == SEED_COUNTS


def test_export_snapshot_refuses_the_database_itself(runner: CliRunner, tmp_path: Path) -> None:
    db = seeded_db(tmp_path / "台账.db")
    assert invoke(runner, "export-snapshot", tmp_path / "first.db", "--db", db).exit_code == 0
    result = runner.invoke(main, ["export-snapshot", str(db), "--db", str(db), "--force"])
    assert result.exit_code == 1
    assert "数据库自身" in result.output
    assert table_counts(db) == SEED_COUNTS


# ---------------------------------------------------------------------- --db and TRACKER_DB
def test_db_before_the_subcommand(runner: CliRunner, tmp_path: Path) -> None:
    db, out = seeded_db(tmp_path / "before.db"), tmp_path / "snap.db"
    result = invoke(runner, "--db", db, "export-snapshot", out)
    assert result.exit_code == 0, result.output
    assert table_counts(db) == SEED_COUNTS
    assert out.exists()
    assert not default_db_path().exists()


def test_db_after_the_subcommand(runner: CliRunner, tmp_path: Path) -> None:
    db, out = seeded_db(tmp_path / "after.db"), tmp_path / "snap.db"
    result = invoke(runner, "export-snapshot", out, "--db", db)
    assert result.exit_code == 0, result.output
    assert table_counts(db) == SEED_COUNTS
    assert not default_db_path().exists()


def test_db_after_the_subcommand_wins_over_before(runner: CliRunner, tmp_path: Path) -> None:
    group_db, command_db = tmp_path / "group.db", seeded_db(tmp_path / "command.db")
    result = invoke(
        runner, "--db", group_db, "export-snapshot", tmp_path / "s.db", "--db", command_db
    )
    assert result.exit_code == 0, result.output
    assert command_db.exists()
    assert not group_db.exists()


def test_tracker_db_environment_variable(
    runner: CliRunner, seed_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "from-env.db"
    monkeypatch.setenv("TRACKER_DB", str(db))
    result = invoke(runner, "import", seed_path)
    assert result.exit_code == 0, result.output
    assert str(db) in result.output
    assert table_counts(db) == SEED_COUNTS
    assert invoke(runner, "export-snapshot", tmp_path / "snap.db").exit_code == 0
    assert table_counts(tmp_path / "snap.db") == SEED_COUNTS
    assert not default_db_path().exists()


@pytest.mark.parametrize("position", ["before", "after"])
def test_explicit_db_beats_tracker_db(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, position: str
) -> None:
    env_db, explicit = tmp_path / "env.db", seeded_db(tmp_path / "explicit.db")
    monkeypatch.setenv("TRACKER_DB", str(env_db))
    out = tmp_path / "snap.db"
    if position == "before":
        args = ["--db", explicit, "export-snapshot", out]
    else:
        args = ["export-snapshot", out, "--db", explicit]
    result = invoke(runner, *args)
    assert result.exit_code == 0, result.output
    assert explicit.exists()
    assert not env_db.exists()


def test_default_database_lives_in_the_user_data_folder(
    runner: CliRunner, seed_path: Path, tmp_path: Path
) -> None:
    # conftest points XDG_DATA_HOME into tmp_path, so this is not the clerk's real file.
    expected = default_db_path()
    assert tmp_path in expected.parents
    result = invoke(runner, "import", seed_path)
    assert result.exit_code == 0, result.output
    assert table_counts(expected) == SEED_COUNTS


# ---------------------------------------------------------------------- --user and TRACKER_USER
@pytest.fixture
def probe() -> Iterator[str]:
    """A throwaway subcommand, decorated like the real ones, that prints its settings."""

    @click.command("probe-settings")
    @common_options
    def probe_command(settings: Settings) -> None:
        click.echo(f"db={settings.db}")
        click.echo(f"clerk={settings.clerk}")

    main.add_command(probe_command)
    try:
        yield "probe-settings"
    finally:
        main.commands.pop("probe-settings", None)


def probed(runner: CliRunner, *args: object) -> dict[str, str]:
    result = invoke(runner, *args)
    assert result.exit_code == 0, result.output
    return dict(line.split("=", 1) for line in result.output.splitlines())


def test_settings_defaults() -> None:
    settings = Settings(None, None)
    assert settings.clerk == getpass.getuser()
    assert settings.db == default_db_path()
    assert Settings(Path("x.db"), "李四").clerk == "李四"
    assert Settings(Path("x.db"), "李四").db == Path("x.db")


def test_user_option_and_environment(
    runner: CliRunner, probe: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "x.db"
    assert probed(runner, probe)["clerk"] == getpass.getuser()
    assert probed(runner, probe)["db"] == str(default_db_path())
    assert probed(runner, "--user", "李四", probe)["clerk"] == "李四"
    assert probed(runner, probe, "--user", "王五")["clerk"] == "王五"
    assert probed(runner, "--user", "李四", probe, "--user", "王五")["clerk"] == "王五"
    assert probed(runner, "--db", db, probe) == {"db": str(db), "clerk": getpass.getuser()}
    assert probed(runner, probe, "--db", db)["db"] == str(db)

    monkeypatch.setenv("TRACKER_USER", "赵六")
    monkeypatch.setenv("TRACKER_DB", str(tmp_path / "env.db"))
    assert probed(runner, probe) == {"db": str(tmp_path / "env.db"), "clerk": "赵六"}
    # An explicit option, before or after the subcommand, beats the environment.
    assert probed(runner, "--user", "李四", probe)["clerk"] == "李四"
    assert probed(runner, probe, "--user", "王五")["clerk"] == "王五"
    assert probed(runner, "--db", db, probe)["db"] == str(db)


class FakeApp:
    """Stands in for the Textual app: the clerk types a note, then the app ends."""

    instances: list[FakeApp] = []
    exit_code = 0

    def __init__(
        self, store, clerk: str, plan_id: str | None = None, my_unit: str | None = None
    ) -> None:
        self.store = store
        self.clerk = clerk
        self.my_unit = my_unit
        self.editing = Editing(store, clerk, drafts=NoteDrafts(lambda: 0.0))
        self.drafts = self.editing.drafts
        self.return_code = self.exit_code
        FakeApp.instances.append(self)

    def run(self) -> None:
        [plan] = self.store.plans()
        category = self.store.categories(plan.id)[0]
        key_task = self.store.key_tasks(category.id)[0]
        self.item_id = self.store.items(key_task.id)[0].id
        self.drafts.edit(self.item_id, "草稿：已部署")


@pytest.fixture
def fake_app(monkeypatch: pytest.MonkeyPatch) -> type[FakeApp]:
    module = types.ModuleType("tracker.ui.app")
    module.TrackerApp = FakeApp
    monkeypatch.setitem(sys.modules, "tracker.ui.app", module)
    monkeypatch.setattr("tracker.cli._isatty", lambda stream: True)  # as in a terminal
    monkeypatch.setattr(FakeApp, "instances", [])
    return FakeApp


def logged_by(db: Path) -> list[tuple[str, str, str]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT field, new_value, by FROM changes").fetchall()
    finally:
        conn.close()


def test_user_option_reaches_the_change_log(
    runner: CliRunner, tmp_path: Path, fake_app: type[FakeApp]
) -> None:
    db = seeded_db(tmp_path / "台账.db")
    result = invoke(runner, "--db", db, "--user", "区发改局-李四")
    assert result.exit_code == 0, result.output
    [app] = fake_app.instances
    assert app.clerk == "区发改局-李四"
    assert logged_by(db) == [("notes", "草稿：已部署", "区发改局-李四")]
    assert not app.drafts  # flushed on exit


def test_tracker_user_reaches_the_change_log(
    runner: CliRunner, tmp_path: Path, fake_app: type[FakeApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = seeded_db(tmp_path / "台账.db")
    monkeypatch.setenv("TRACKER_USER", "各乡镇街委-王五")
    monkeypatch.setenv("TRACKER_DB", str(db))
    result = invoke(runner)
    assert result.exit_code == 0, result.output
    assert logged_by(db) == [("notes", "草稿：已部署", "各乡镇街委-王五")]


def test_login_name_reaches_the_change_log_by_default(
    runner: CliRunner, tmp_path: Path, fake_app: type[FakeApp]
) -> None:
    db = seeded_db(tmp_path / "台账.db")
    assert invoke(runner, "--db", db).exit_code == 0
    assert logged_by(db) == [("notes", "草稿：已部署", getpass.getuser())]


def test_app_return_code_is_the_exit_code(
    runner: CliRunner, tmp_path: Path, fake_app: type[FakeApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(FakeApp, "exit_code", 3)
    seeded_db(tmp_path / "x.db")
    result = runner.invoke(main, ["--db", str(tmp_path / "x.db"), "--user", "李四"])
    assert result.exit_code == 3
    assert logged_by(tmp_path / "x.db") == [("notes", "草稿：已部署", "李四")]  # still saved


# ---------------------------------------------------------------------- version and help
def test_version(runner: CliRunner) -> None:
    result = invoke(runner, "--version")
    assert result.exit_code == 0
    assert "tracker" in result.output
    assert version("tracker") in result.output


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_is_in_chinese(runner: CliRunner, flag: str) -> None:
    result = invoke(runner, flag)
    assert result.exit_code == 0
    assert "政务公开工作要点分工表台账" in result.output
    assert "import" in result.output
    assert "export-snapshot" in result.output
    assert "数据库文件" in result.output
    assert "经办人" in result.output


@pytest.mark.parametrize(
    ("command", "phrase"),
    [("import", "导入分工表文件"), ("export-snapshot", "导出 SQLite 快照")],
)
def test_subcommand_help(runner: CliRunner, command: str, phrase: str) -> None:
    result = invoke(runner, command, "--help")
    assert result.exit_code == 0
    assert phrase in result.output
    assert "--db" in result.output
    assert "--user" in result.output
    assert not default_db_path().exists()


def test_config_sets_the_due_window_and_review_period(runner: CliRunner, tmp_path: Path) -> None:
    db = seeded_db(tmp_path / "c.db")
    assert "due-window\t14" in runner.invoke(main, ["config", "--db", str(db)]).output
    result = runner.invoke(main, ["config", "due-window", "7", "--db", str(db)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["config", "review-period", "quarter", "--db", str(db)])
    assert result.exit_code == 0, result.output
    store = Store.open(db)
    try:
        assert (store.due_window, store.review_period) == (7, "quarter")
    finally:
        store.close()
    bad = runner.invoke(main, ["config", "due-window", "两周", "--db", str(db)])
    assert bad.exit_code != 0 and "天数" in bad.output
    bad = runner.invoke(main, ["config", "review-period", "weekly", "--db", str(db)])
    assert bad.exit_code != 0


def test_units_commands(runner: CliRunner, tmp_path: Path) -> None:
    db = str(seeded_db(tmp_path / "u.db"))
    listing = runner.invoke(main, ["units", "--db", db])
    assert listing.exit_code == 0, listing.output
    rows = {line.split()[0]: line.split()[1:3] for line in listing.output.splitlines()}
    assert rows["单位"] == ["类别", "任务数"]  # the header
    assert rows["区发改局"][0] == "具体单位" and rows["各乡镇街委"][0] == "集合单位"
    added = runner.invoke(main, ["units", "add", "东城街道", "--db", db])
    assert "各乡镇街委" in added.output
    left = runner.invoke(main, ["units", "leave", "区图书馆", "区政府工作部门", "--db", db])
    assert left.exit_code == 0, left.output
    joined = runner.invoke(
        main, ["--db", db, "units", "join", "区发改局", "被审计区级部门（单位）"]
    )
    assert joined.exit_code == 0, joined.output
    store = Store.open(tmp_path / "u.db")
    try:
        assert "区政府工作部门" not in store.memberships(store.unit("区图书馆").id)
        assert "被审计区级部门（单位）" in store.memberships(store.unit("区发改局").id)
        assert "东城街道" in store.memberships(store.unit("各乡镇街委").id)
    finally:
        store.close()
    wrong = runner.invoke(main, ["units", "join", "区发改局", "区经信局", "--db", db])
    assert wrong.exit_code != 0 and "集合单位" in wrong.output
    missing = runner.invoke(main, ["units", "join", "不存在局", "各乡镇街委", "--db", db])
    assert missing.exit_code != 0 and "未找到单位" in missing.output


def test_unknown_unit_is_refused(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tracker.cli._isatty", lambda stream: True)  # as in a terminal
    result = runner.invoke(main, ["--unit", "火星局", "--db", str(seeded_db(tmp_path / "x.db"))])
    assert result.exit_code != 0
    assert "未找到单位「火星局」" in result.output


# ---------------------------------------------------------------------- bad, busy and old databases
def make_tracker_db(path: Path) -> Path:
    seeded_db(path)
    assert invoke(CliRunner(), "units", "--db", path).exit_code == 0
    return path


def make_bad_db(kind: str, tmp_path: Path) -> tuple[Path, str]:
    """A file that is not a usable tracker database, and what the clerk is told."""
    path = tmp_path / "bad" / "台账.db"
    path.parent.mkdir()
    if kind == "text":
        path.write_text("会议纪要\n" * 300, encoding="utf-8")
        return path, "不是 tracker 数据库"
    real = make_tracker_db(tmp_path / "real.db")
    if kind == "truncated":
        path.write_bytes(real.read_bytes()[:3000])
        return path, "已损坏或不完整"
    assert kind == "newer"
    path.write_bytes(real.read_bytes())
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA user_version = 999")
        conn.commit()
    return path, "更新版本的 tracker"


BAD_DB_COMMANDS = {
    "app": [],
    "import": ["import", "{plan}"],
    "export-snapshot": ["export-snapshot", "{out}"],
    "config": ["config"],
    "config-set": ["config", "due-window", "7"],
    "units": ["units"],
    "units-add": ["units", "add", "东城街道"],
}


@pytest.mark.parametrize("kind", ["text", "truncated", "newer"])
@pytest.mark.parametrize("command", BAD_DB_COMMANDS)
def test_bad_database_is_a_message_for_every_command(
    runner: CliRunner,
    tmp_path: Path,
    seed_path: Path,
    kind: str,
    command: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("tracker.cli._isatty", lambda stream: True)  # the app: in a terminal
    db, message = make_bad_db(kind, tmp_path)
    data = db.read_bytes()
    out = tmp_path / "快照.db"
    args = [a.format(plan=seed_path, out=out) for a in BAD_DB_COMMANDS[command]]
    result = runner.invoke(main, ["--db", str(db), *args])
    assert isinstance(result.exception, SystemExit), result.exception  # no traceback
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert db.read_bytes() == data
    assert sorted(p.name for p in db.parent.iterdir()) == ["台账.db"]
    assert not out.exists()


@pytest.fixture
def quick_busy_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's stores wait 0.2 s for a lock instead of 5 s."""
    original = Store.open.__func__

    def open_quickly(cls, path, *args, **kwargs):
        kwargs.setdefault("busy_timeout_ms", 200)
        return original(cls, path, *args, **kwargs)

    monkeypatch.setattr(Store, "open", classmethod(open_quickly))


def test_busy_database_for_export_snapshot(
    runner: CliRunner, tmp_path: Path, quick_busy_timeout: None
) -> None:
    """Another program holds the lock while an old database would be upgraded."""
    db = tmp_path / "台账.db"
    db.write_bytes((Path(__file__).parent / "fixtures" / "schema-v1.db").read_bytes())
    out = tmp_path / "快照.db"
    with closing(sqlite3.connect(db, isolation_level=None)) as other:
        other.execute("BEGIN IMMEDIATE")
        result = runner.invoke(main, ["export-snapshot", str(out), "--db", str(db)])
        other.execute("ROLLBACK")
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1
    assert "另一个程序正在写入该数据库，请稍后重试" in result.output
    assert "database is locked" not in result.output
    assert not out.exists()
    assert not list(tmp_path.glob("*.before-v*.db"))


def test_busy_database_for_export_snapshot_while_locked_exclusively(
    runner: CliRunner, tmp_path: Path, quick_busy_timeout: None
) -> None:
    db = make_tracker_db(tmp_path / "台账.db")
    out = tmp_path / "快照.db"
    with closing(sqlite3.connect(db, isolation_level=None)) as other:
        other.execute("PRAGMA journal_mode = DELETE")
        other.execute("BEGIN EXCLUSIVE")
        result = runner.invoke(main, ["export-snapshot", str(out), "--db", str(db)])
        other.execute("ROLLBACK")
    assert result.exit_code == 1
    assert "另一个程序正在写入该数据库" in result.output
    assert not out.exists()


def test_busy_database_while_saving_a_setting(
    runner: CliRunner, tmp_path: Path, quick_busy_timeout: None
) -> None:
    """The open succeeds (reading is never blocked in WAL mode); the write is refused."""
    db = make_tracker_db(tmp_path / "台账.db")
    with closing(sqlite3.connect(db, isolation_level=None)) as other:
        other.execute("BEGIN IMMEDIATE")
        result = runner.invoke(main, ["config", "due-window", "7", "--db", str(db)])
        other.execute("ROLLBACK")
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1
    assert "另一个程序正在写入该数据库" in result.output
    assert "已设置" not in result.output


def test_upgrade_says_where_the_backup_is(runner: CliRunner, tmp_path: Path) -> None:
    db = tmp_path / "台账.db"
    db.write_bytes((Path(__file__).parent / "fixtures" / "schema-v1.db").read_bytes())
    result = runner.invoke(main, ["config", "--db", str(db)])
    assert result.exit_code == 0, result.output
    [backup] = tmp_path.glob("台账.before-v*.db")
    assert f"升级前的备份：{backup}" in result.output


def test_notes_that_cannot_be_saved_at_exit_are_shown_not_lost(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The USB stick is pulled while the app is open: the typed notes are printed."""
    db = seeded_db(tmp_path / "U盘" / "台账.db")

    class PulledStick(FakeApp):
        def run(self) -> None:
            super().run()
            shutil.rmtree(db.parent)

    module = types.ModuleType("tracker.ui.app")
    module.TrackerApp = PulledStick
    monkeypatch.setitem(sys.modules, "tracker.ui.app", module)
    monkeypatch.setattr("tracker.cli._isatty", lambda stream: True)  # as in a terminal
    result = runner.invoke(main, ["--db", str(db), "--user", "李四"])
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1
    assert "以下进展情况没有保存" in result.output
    assert "草稿：已部署" in result.output
    assert "已不在原处" in result.output
