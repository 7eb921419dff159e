"""A terminal that is not UTF-8 is refused before anything starts, with a way out.

Textual reads keystrokes as UTF-8: in a GBK terminal the first Chinese character typed
ends the app. So ``tracker`` checks first, exits with status 2 and explains the fix.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import seeded_db

from tracker.ui.terminal import locale_charset, non_utf8_encoding

GBK_ENV = {"LANG": "zh_CN.GBK", "LC_ALL": "zh_CN.GBK", "PYTHONIOENCODING": "gbk"}


def run_tracker(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG"))}
    environ.update(env, HOME=str(tmp_path / "home"), XDG_DATA_HOME=str(tmp_path / "xdg"))
    return subprocess.run(
        [sys.executable, "-m", "tracker", *args],
        env=environ,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=30,
    )


def test_gbk_terminal_is_refused_before_the_database_is_touched(tmp_path: Path) -> None:
    db = tmp_path / "tmp.db"
    result = run_tracker(tmp_path, GBK_ENV, "--db", str(db))
    assert result.returncode == 2
    message = result.stderr.decode("gbk")  # written in the terminal's own character set
    assert "终端的字符编码是 GBK，不是 UTF-8" in message
    assert "export LANG=zh_CN.UTF-8" in message
    assert "C.UTF-8" in message
    assert "SSH 客户端" in message
    assert "Windows Terminal" in message and "chcp 65001" in message
    assert "The terminal uses GBK, not UTF-8" in message  # readable even when garbled
    assert "Traceback" not in message
    assert not db.exists()
    assert not (tmp_path / "xdg").exists()


def test_gbk_named_only_in_lang_is_refused_too(tmp_path: Path) -> None:
    """The locale is often not installed: Python then runs in UTF-8, but the terminal
    (an SSH client set to GBK) still sends GBK."""
    db = tmp_path / "tmp.db"
    result = run_tracker(tmp_path, {"LANG": "zh_CN.GB18030"}, "--db", str(db))
    assert result.returncode == 2
    assert b"GB18030" in result.stderr
    assert not db.exists()


@pytest.mark.slow
def test_subcommands_still_work_in_a_gbk_terminal(tmp_path: Path) -> None:
    """Only the full-screen app reads keystrokes; ``tracker config`` prints in GBK."""
    db = seeded_db(tmp_path / "tmp.db")
    result = run_tracker(tmp_path, GBK_ENV, "config", "--db", str(db))
    assert result.returncode == 0, result.stderr.decode("gbk", "replace")
    assert "临期提醒" in result.stdout.decode("gbk")


@pytest.mark.parametrize(
    ("environ", "streams", "preferred", "platform", "expected"),
    [
        ({"LANG": "zh_CN.UTF-8"}, ["utf-8", "utf-8"], "UTF-8", "linux", None),
        ({"LANG": "C.UTF-8"}, ["utf-8", "utf-8"], "utf-8", "linux", None),
        ({"LANG": "zh_CN.utf8"}, ["UTF-8", "UTF-8"], "UTF8", "linux", None),
        ({"LANG": "C"}, ["utf-8", "utf-8"], "utf-8", "linux", None),
        ({}, ["utf-8", "utf-8"], "utf-8", "linux", None),
        ({"LANG": "zh_CN.GBK"}, ["utf-8", "utf-8"], "utf-8", "linux", "GBK"),
        ({"LC_ALL": "zh_CN.gb2312", "LANG": "zh_CN.UTF-8"}, ["utf-8"], "utf-8", "linux", "gb2312"),
        ({"LC_ALL": "zh_CN.UTF-8", "LANG": "zh_CN.GBK"}, ["utf-8"], "utf-8", "linux", None),
        ({"LC_CTYPE": "zh_TW.Big5@x"}, ["utf-8"], "utf-8", "linux", "Big5"),
        ({"LANG": "zh_CN.UTF-8"}, ["gbk", "utf-8"], "utf-8", "linux", "gbk"),
        ({"LANG": "zh_CN.UTF-8"}, [None, "ascii"], "utf-8", "linux", "ascii"),
        ({"LANG": "zh_CN"}, ["utf-8", "utf-8"], "GB2312", "linux", "GB2312"),
        # The Windows console hands Textual Unicode whatever the code page.
        ({}, ["utf-8", "utf-8"], "cp936", "win32", None),
        ({}, ["cp936", "utf-8"], "cp936", "win32", "cp936"),
    ],
)
def test_non_utf8_encoding(
    environ: dict[str, str],
    streams: list[str | None],
    preferred: str,
    platform: str,
    expected: str | None,
) -> None:
    assert non_utf8_encoding(environ, streams, preferred, platform) == expected


def test_locale_charset() -> None:
    assert locale_charset({"LANG": "zh_CN.GBK"}) == "GBK"
    assert locale_charset({"LANG": "en_US.UTF-8@euro"}) == "UTF-8"
    assert locale_charset({"LANG": "zh_CN"}) is None
    assert locale_charset({"LC_ALL": "", "LANG": "zh_CN.GBK"}) == "GBK"
    assert locale_charset({}) is None


def test_python_coercing_a_missing_locale_does_not_hide_it() -> None:
    """With zh_CN.GBK not installed Python sets LC_CTYPE=C.UTF-8 for itself (PEP 538)."""
    assert locale_charset({"LC_CTYPE": "C.UTF-8", "LANG": "zh_CN.GBK"}) == "GBK"
    assert locale_charset({"LC_CTYPE": "C.UTF-8", "LANG": "C"}) == "UTF-8"
    assert locale_charset({"LC_CTYPE": "C.UTF-8"}) == "UTF-8"
    assert locale_charset({"LC_CTYPE": "zh_CN.UTF-8", "LANG": "zh_CN.GBK"}) == "UTF-8"
