"""What every exported file shares: it follows the umask (colleagues on a shared folder
can open it), and it is offered under one naming rule, ``<year>分工表-<unit|全部>-<date>``."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from tracker.ledger import export_ledger
from tracker.services.report import build_report, save_report
from tracker.store import Store
from tracker.store.outfile import export_name


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.mark.slow
@pytest.mark.skipif(os.name == "nt", reason="Windows files have no permission bits")
def test_every_export_follows_the_umask(store: Store, tmp_path: Path, umask_022: None) -> None:
    plan_id = store.plans()[0].id
    written = [
        store.export_snapshot(tmp_path / "快照.db"),
        export_ledger(store, plan_id, tmp_path / "台账.xlsx"),
        export_ledger(store, plan_id, tmp_path / "台账.csv"),
    ]
    report = build_report(store, plan_id)
    written += [save_report(report, tmp_path / f"报告.{suffix}") for suffix in ("docx", "md")]
    written.append(save_report(report, tmp_path / "报告.html"))
    for path in written:
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path.name  # mkstemp would give 0600
    os.umask(0o077)  # a clerk who keeps files private gets private files
    private = export_ledger(store, plan_id, tmp_path / "私有.xlsx")
    assert stat.S_IMODE(private.stat().st_mode) == 0o600


def test_export_names() -> None:
    day = date(2023, 8, 25)
    assert export_name(2023, None, day, "xlsx") == "2023分工表-全部-20230825.xlsx"
    assert export_name(2023, "区发改局", day, "db") == "2023分工表-区发改局-20230825.db"
    # a unit name never makes a path: separators and reserved characters are replaced
    assert export_name(2024, "区A/B:局", day, "docx") == "2024分工表-区A_B_局-20230825.docx"


def test_cli_export_ledger_without_a_path(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from tracker.cli import main

    db = store.path
    store.close()
    monkeypatch.chdir(tmp_path)
    args = ["export-ledger", "--unit", "区发改局", "--today", "2023-08-25", "--db", str(db)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "2023分工表-区发改局-20230825.xlsx").is_file()


def test_cli_export_snapshot_without_a_path(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from tracker.cli import main

    db = store.path
    store.close()
    monkeypatch.chdir(tmp_path)
    for args, name in (
        ([], "2023分工表-全部-20230825.db"),
        (["--unit", "区发改局"], "2023分工表-区发改局-20230825.db"),
    ):
        command = ["export-snapshot", *args, "--today", "2023-08-25", "--db", str(db)]
        result = CliRunner().invoke(main, command)
        assert result.exit_code == 0, result.output
        assert (tmp_path / name).is_file() and name in result.output
