"""The error family: every clerk-facing error is a TrackerError of its kind, shown as its
message once by the command line and once by the app."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import seeded_db
from textual import work

import tracker
from tracker.cli import main
from tracker.errors import BadFile, NotFound, Refused, StorageError, TrackerError
from tracker.importers.layout import UnrecognisedLayout
from tracker.importers.parser import PlanFormatError
from tracker.importers.vet import FileRefused
from tracker.ledger.layout import LedgerError
from tracker.merge.incoming import SnapshotRefused
from tracker.serve import ServeError
from tracker.services import editing
from tracker.services.report import ReportError
from tracker.services.revisions import AmbiguousRevision
from tracker.store import Store
from tracker.store.errors import (
    ChangedUnderneath,
    NotResponsible,
    StoreBusy,
    StoreError,
    StoreReadOnly,
)
from tracker.store.outfile import OutputRefused
from tracker.store.snapshot import SnapshotError
from tracker.ui.app import TrackerApp

SOURCE = Path(tracker.__file__).parent
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (StoreError, StorageError),
        (StoreBusy, StorageError),
        (ChangedUnderneath, StorageError),
        (StoreReadOnly, Refused),
        (NotResponsible, Refused),
        (editing.Refused, Refused),
        (OutputRefused, Refused),
        (SnapshotError, BadFile),
        (SnapshotRefused, BadFile),
        (LedgerError, BadFile),
        (PlanFormatError, BadFile),
        (UnrecognisedLayout, BadFile),
        (FileRefused, BadFile),
        (AmbiguousRevision, NotFound),
        (ReportError, TrackerError),
        (ServeError, TrackerError),
    ],
)
def test_every_error_is_a_tracker_error_of_its_kind(error: type, kind: type) -> None:
    assert issubclass(error, kind)
    assert issubclass(error, TrackerError)


def test_old_bases_still_hold() -> None:
    assert issubclass(StoreReadOnly, StoreError) and issubclass(SnapshotRefused, StoreError)
    assert issubclass(PlanFormatError, ValueError) and issubclass(FileRefused, ValueError)
    assert not issubclass(NotFound, KeyError)  # a clerk's message, not a dict lookup


def test_the_message_is_the_string() -> None:
    assert str(NotFound("没有这个任务")) == "没有这个任务"


def test_store_lookups_raise_not_found_with_the_message(store: Store) -> None:
    with pytest.raises(NotFound, match="没有与「2099」对应的分工表"):
        store.resolve_plan("2099")
    plan_id = store.resolve_plan(None).id
    with pytest.raises(NotFound, match=r"没有编号为「9\.9\.9」的任务"):
        store.item_by_outline(plan_id, "9.9.9")
    with pytest.raises(Refused, match="单位名称不能为空"):
        store.add_unit(" ")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["set", "99.9", "--status", "done"],
            "没有编号为「99.9」的任务（编号形如 1.2.1：工作任务.重点工作任务.条目）",
        ),
        (
            ["resolve", "nosuch", "--keep", "ours"],
            "没有编号为「nosuch」的冲突；可用 tracker conflicts 查看",
        ),
        (["--plan", "2099", "list"], "没有与「2099」对应的分工表。"),
        (["units", "alias", "区发改局", "区发改局"], "别名与单位名称相同"),
    ],
)
def test_the_command_line_shows_the_message_and_exits_1(
    db_path: Path, args: list[str], message: str
) -> None:
    seeded_db(db_path)
    result = CliRunner().invoke(main, [*args, "--db", str(db_path)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"错误：{message}")
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, TrackerError)  # caught, not escaped


async def test_the_app_shows_an_error_from_an_action_as_a_notification(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(self: TrackerApp) -> None:
        raise Refused("这次不行")

    monkeypatch.setattr(TrackerApp, "action_help", refuse)
    app = TrackerApp(store, "张三")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        [note] = [n for n in app._notifications if n.message == "这次不行"]
        assert note.severity == "error"
        assert app.is_running and app._exception is None
        await pilot.press("t")  # still answers keys
        await pilot.pause()
        assert app.is_running


async def test_the_app_shows_an_error_from_a_worker_as_a_notification(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    @work
    async def refuse_later(self: TrackerApp) -> None:
        raise BadFile("文件不对")

    monkeypatch.setattr(TrackerApp, "action_help", refuse_later)
    app = TrackerApp(store, "张三")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert [n.severity for n in app._notifications if n.message == "文件不对"] == ["error"]
        assert app.is_running and app._exception is None


def _chinese_builtin_raises(source: str) -> list[int]:
    """The lines raising KeyError / ValueError / LookupError with a Chinese message."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
            continue
        func = node.exc.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        if name not in ("KeyError", "ValueError", "LookupError") or not node.exc.args:
            continue
        texts = [
            part.value
            for part in ast.walk(node.exc.args[0])
            if isinstance(part, ast.Constant) and isinstance(part.value, str)
        ]
        if any(CJK.search(text) for text in texts):
            found.append(node.lineno)
    return found


def test_the_scan_sees_such_a_raise() -> None:
    source = (
        'def f(x):\n    raise KeyError(f"没有「{x}」")\n\n\ndef g():\n    raise ValueError("bad")\n'
    )
    assert _chinese_builtin_raises(source) == [2]


def test_no_builtin_error_carries_a_message_for_the_clerk() -> None:
    found = [
        f"{path.relative_to(SOURCE)}:{line}"
        for path in sorted(SOURCE.rglob("*.py"))
        for line in _chinese_builtin_raises(path.read_text(encoding="utf-8"))
    ]
    assert found == [], "raise NotFound / Refused / BadFile (tracker.errors) instead"
