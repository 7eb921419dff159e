"""The 台账 and the Word report on paper: LibreOffice converts them to PDF and the PDF is
measured (``bench/print_check.py``). Skipped where LibreOffice is not installed, and in CI
(``TRACKER_SKIP_PRINT=1``, set by ``.ci/run``: converting takes a minute of the CI's five)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (shutil.which("soffice") or shutil.which("libreoffice")),
        reason="LibreOffice (soffice) is not installed",
    ),
    pytest.mark.skipif(
        os.environ.get("TRACKER_SKIP_PRINT") == "1", reason="printed pages not checked (CI)"
    ),
]

BENCH = Path(__file__).resolve().parent.parent / "bench" / "print_check.py"


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory):
    pytest.importorskip("pdfminer")
    spec = importlib.util.spec_from_file_location("print_check", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["print_check"] = module
    spec.loader.exec_module(module)
    return module.check(tmp_path_factory.mktemp("print"))


def test_ledger_prints_at_a_readable_size(printed) -> None:
    ledger = printed["ledger"]
    table, help_page = ledger[:-1], ledger[-1]
    assert len(table) >= 2
    for page in table:
        assert page.landscape and round(page.width) == 842 and round(page.height) == 595  # A4
        assert page.body_size >= 9.0, page.sizes  # not the 6.4 pt of fit-to-width at 57 %
        assert min(page.sizes) >= 9.0  # no text (footer included) below 9 pt
        assert page.lowest >= 15  # the footer's line is whole, not cut at the edge
        assert "逾期" in page.text or "临期" in page.text or "进展情况" in page.text
    numbered = [page for page in table if "第 1 页" in page.text]
    assert numbered, "the first page has its page number in the footer"
    # Labels repeat: every page names its 工作任务 (no empty merged boxes).
    assert all("加大主动公开力度" in p.text or "工作任务" in p.text for p in table)
    # The 填写说明 sheet fits its one page, all of it.
    assert not help_page.landscape
    assert "填写说明" in help_page.text and "7. 「预警」列" in help_page.text.replace("\n", "")


def test_report_prints_in_official_style(printed) -> None:
    report = printed["report"]
    assert all(round(p.width) == 595 and round(p.height) == 842 for p in report)  # A4
    first = report[0]
    assert first.sizes[16.0] > 100  # the body in 仿宋 三号 (the tables in 五号, 10.5 pt)
    assert 22.0 in first.sizes  # the title, 二号
    assert "— 1 —" in first.text.replace("\n", "")  # the page number
