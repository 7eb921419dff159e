"""Output hygiene: nothing the command line prints from data reaches the terminal as an
escape sequence. Item text, notes, unit, plan, machine and file names holding OSC 52
(write the clipboard), OSC 0 (set the window title), ESC[2J (clear the screen), the
one-byte CSI (0x9b), BEL or DEL are shown as visible stand-ins by every command, also
when its output is piped."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import seeded_db

from tracker.cli import main
from tracker.store import Store
from tracker.store.locations import bundled_plan_path
from tracker.ui.labels import printable

OSC52 = "\x1b]52;c;cm0gLXJmIH4=\x07"
OSC0 = "\x1b]0;已被篡改\x1b\\"
CLEAR = "\x1b[2J"
EVIL = f"{OSC52}{OSC0}{CLEAR}\x9b31m\x07\x7f\x85"
"""Each attack of issue 14, with C1 (CSI, NEL), BEL and DEL."""
RAW = ("\x1b", "\x9b", "\x07", "\x7f", "\x85")


def assert_clean(text: str) -> None:
    for char in RAW:
        assert char not in text, f"{char!r} reached the output: {text[:300]!r}"


def run(*args: object) -> Result:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def poison(db: Path) -> None:
    """Hostile text in the first item, its key task and category, the plan, a unit, and
    the first item's notes (saved as an edit, so it is also in the change log)."""
    with closing(sqlite3.connect(db)) as conn:
        conn.execute(
            "UPDATE items SET content = '教育' || ? || '公开', deadline_text = '及时' || ? "
            "WHERE id = (SELECT id FROM items ORDER BY rowid LIMIT 1)",
            [EVIL, EVIL],
        )
        conn.execute("UPDATE categories SET title = title || ?", [EVIL])
        conn.execute("UPDATE key_tasks SET title = title || ?", [EVIL])
        conn.execute("UPDATE plans SET title = title || ?", [EVIL])
        conn.execute("UPDATE units SET name = name || ? WHERE name = '区教育局'", [EVIL])
        conn.commit()
    store = Store.open(db)
    try:
        [plan] = store.plans()
        first = store.filtered_items(plan.id)[0]
        store.save_notes(first.id, f"第一行{EVIL}\n第二行{CLEAR}", "李四")
    finally:
        store.close()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = seeded_db(tmp_path / "台账.db")
    poison(path)
    return path


def test_printable_uses_the_apps_stand_ins() -> None:
    assert printable(EVIL) == ("␛]52;c;cm0gLXJmIH4=␇␛]0;已被篡改␛\\␛[2J\ue09b31m␇␡\ue085")
    assert printable("第一行\n\t第二行\r\n") == "第一行\n\t第二行\n"  # lines and tabs kept
    assert printable("覆盖\r前文") == "覆盖␍前文"


@pytest.mark.parametrize(
    "args",
    [
        ["list"],
        ["list", "--status", "not_started"],
        ["set", "1.1.1", "--status", "推进中"],
        ["set", "1.1.1", "--notes", "新的进展"],
        ["report"],
        ["report", "--format", "html"],
        ["report", "--unit", "区发改局"],
        ["units"],
        ["export-ledger", "{tmp}/台账.xlsx"],
        ["config"],
    ],
)
def test_every_command_shows_control_characters_from_data(
    db: Path, tmp_path: Path, args: list[str]
) -> None:
    result = run(*[a.format(tmp=tmp_path) for a in args], "--db", db, "--today", "2023-08-25")
    assert result.exit_code == 0, result.output
    assert_clean(result.output)


def test_list_shows_the_hostile_item_with_stand_ins(db: Path) -> None:
    result = run("list", "--db", db)
    [row] = [line for line in result.stdout.splitlines() if line.startswith("1.1.1")]
    assert "␛]52;c;cm0gLXJmIH4=␇" in row and "␛[2J" in row
    assert "\ue085" in row  # NEL shown, not taken for a line break
    assert_clean(result.output)


def test_list_json_keeps_the_data_and_escapes_it(db: Path) -> None:
    result = run("list", "--json", "--db", db)
    assert result.exit_code == 0
    assert_clean(result.stdout)
    first = json.loads(result.stdout)[0]
    assert first["content"] == f"教育{EVIL}公开"  # exactly the data, for scripts
    assert first["notes"] == f"第一行{EVIL}\n第二行{CLEAR}"


def test_unknown_values_typed_on_the_command_line_are_shown_too(db: Path) -> None:
    for args in (
        ["list", "--unit", f"火星{OSC0}局"],
        ["list", "--status", CLEAR],
        ["set", "1.1.1", "--status", OSC52],
        ["set", f"9{CLEAR}", "--status", "done"],
        ["--plan", OSC0, "list"],
        ["units", "join", OSC52, "各乡镇街委"],
    ):
        result = run(*args, "--db", db)
        assert result.exit_code in (1, 2), result.output
        assert_clean(result.output)


def test_import_messages_show_control_characters(tmp_path: Path) -> None:
    plan = tmp_path / f"分工表{CLEAR}.txt"
    text = bundled_plan_path().read_text(encoding="utf-8")
    plan.write_text(
        text.replace("2023年全区政务公开工作要点分工表", f"2023年全区政务公开工作要点分工表{OSC0}"),
        encoding="utf-8",
    )
    result = run("import", plan, "--db", tmp_path / f"新{OSC52}.db")
    assert_clean(result.output)
    again = run("import", plan, "--db", tmp_path / f"新{OSC52}.db")
    assert_clean(again.output)
    broken = tmp_path / f"坏{OSC0}.txt"
    broken.write_text(f"不是分工表{CLEAR}\n", encoding="utf-8")
    assert_clean(run("import", broken, "--db", tmp_path / "x.db").output)


def test_import_ledger_messages_show_control_characters(db: Path, tmp_path: Path) -> None:
    ledger = tmp_path / "台账.csv"
    assert run("export-ledger", ledger, "--db", db).exit_code == 0
    text = ledger.read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    lines[-1] = lines[-1].replace(",未启动,", f",{CLEAR}不存在的状态,", 1)
    ledger.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    for extra in (["--dry-run"], []):
        result = run("import-ledger", ledger, "--by", "区发改局", *extra, "--db", db)
        assert_clean(result.output)


def clerk_copy(template: Path, path: Path, machine: str) -> Store:
    """Another clerk's copy of the database, on a machine with a hostile name."""
    shutil.copyfile(template, path)
    machine_id = uuid.uuid4().hex
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("UPDATE settings SET value = ? WHERE key = 'machine_id'", [machine_id])
        conn.execute(
            "INSERT INTO machines (id, name, first_seen) VALUES (?, ?, '2023-06-01T09:00:00')",
            [machine_id, machine],
        )
        conn.commit()
    return Store.open(path)


def test_merge_and_conflicts_show_control_characters(tmp_path: Path) -> None:
    template = seeded_db(tmp_path / "template.db")
    poison(template)
    office_path = tmp_path / "office.db"
    office = clerk_copy(template, office_path, f"办公室{OSC0}")
    unit = clerk_copy(template, tmp_path / "unit.db", f"单位电脑{OSC52}")
    [plan] = office.plans()
    item = office.filtered_items(plan.id)[1].id
    office.save_notes(item, f"办公室写的{CLEAR}", f"张三{OSC0}")
    unit.save_notes(item, f"单位写的{OSC52}", f"李四{EVIL}")
    office.close()
    folder = tmp_path / "上报"
    folder.mkdir()
    snapshot = folder / f"区教育局{OSC0}.db"
    unit.export_snapshot(snapshot)
    unit.close()
    with closing(sqlite3.connect(snapshot)) as conn:
        conn.execute(
            "INSERT OR REPLACE INTO settings (key, value) VALUES ('export_unit', ?)",
            [f"区教育局{EVIL}"],
        )
        conn.commit()
    (folder / f"坏{CLEAR}.db").write_bytes(b"not a database" * 100)

    merged = run("merge", folder, "--db", office_path, "--user", "张三")
    assert "合计" in merged.output
    assert_clean(merged.output)
    listed = run("conflicts", "--all", "--db", office_path)
    assert listed.exit_code == 0
    assert_clean(listed.output)
    if "冲突 " in listed.output:  # the merge accepted the hostile names: shown, not run
        assert "␛" in listed.output


@pytest.mark.slow
def test_piped_output_of_a_real_process_has_no_escape_codes(db: Path, tmp_path: Path) -> None:
    """``tracker list | cat``: the real program, its stdout a pipe."""
    env = {k: v for k, v in os.environ.items() if k != "TRACKER_DB"}
    env.update(HOME=str(tmp_path / "home"), XDG_DATA_HOME=str(tmp_path / "xdg"))
    env.update(PYTHONIOENCODING="utf-8", LANG="C.UTF-8", LC_ALL="C.UTF-8")
    for args in (["list"],):  # one process: CliRunner's runs above are piped too
        done = subprocess.run(
            [sys.executable, "-m", "tracker", *args, "--db", str(db)],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr.decode()
        for stream in (done.stdout, done.stderr):
            assert b"\x1b" not in stream and b"\x07" not in stream
            assert "\x9b" not in stream.decode("utf-8")
