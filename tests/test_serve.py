"""``tracker serve``: the 台账 published read-only with Datasette, on a free local port.

Hand count (as test_ledger's, as of 2023-08-25): 47 rows; 4.1.1 逾期; 2.1.2, 2.3.2,
3.2.2 临期; 3.2.1 past 7月31日 but 持续推进, so no 预警.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tracker.domain.models import Status
from tracker.serve import metadata, publish_copy
from tracker.store import Store

pytest.importorskip("datasette")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def served_db(store: Store) -> Path:
    plan_id = store.plans()[0].id
    items = {i.outline: i for i in store.filtered_items(plan_id)}
    store.set_status(items["3.2.1"].id, Status.ONGOING, "张三")
    store.set_status(items["4.1.1"].id, Status.IN_PROGRESS, "张三")
    store.save_notes(items["4.1.1"].id, "已完成栏目梳理，待迁移上线。", "张三")
    path = store.path
    store.close()
    return path


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


@pytest.mark.slow
def test_serve_publishes_the_ledger_read_only(served_db: Path, tmp_path: Path) -> None:
    port = free_port()
    before = served_db.read_bytes()
    command = [sys.executable, "-m", "tracker", "serve", "--db", str(served_db)]
    process = subprocess.Popen(
        [*command, "--port", str(port), "--today", "2023-08-25"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        banner = process.stdout.readline().decode("utf-8")
        assert banner == f"只读发布 47 项任务：{base}/tracker/ledger\n"
        assert "不能修改" in process.stdout.readline().decode("utf-8")
        for _ in range(100):  # until uvicorn listens (it says nothing at warning level)
            try:
                data = get_json(f"{base}/tracker/ledger.json?_shape=objects&_size=max")
                break
            except (urllib.error.URLError, ConnectionError):
                assert process.poll() is None, process.stdout.read().decode("utf-8")
                time.sleep(0.1)
        else:
            pytest.fail("the server did not answer")
        rows = data["rows"]
        assert len(rows) == 47
        assert [r["序号"] for r in rows[:3]] == ["1.1.1", "1.1.2", "1.1.3"]  # outline order
        by_no = {r["序号"]: r for r in rows}
        assert by_no["4.1.1"]["预警"] == "逾期"
        assert by_no["4.1.1"]["进展情况"] == "已完成栏目梳理，待迁移上线。"
        assert by_no["3.2.1"]["预警"] == "" and by_no["3.2.1"]["状态"] == "持续推进"
        assert sorted(n for n, r in by_no.items() if r["预警"] == "临期") == [
            "2.1.2",
            "2.3.2",
            "3.2.2",
        ]
        facets = data["facet_results"]
        assert {"状态", "预警", "责任单位"} <= set(facets)

        tables = {t["name"]: t for t in get_json(f"{base}/tracker.json")["tables"]}
        assert tables["items_fts"]["hidden"] and not tables["ledger"]["hidden"]
        with urllib.request.urlopen(f"{base}/", timeout=10) as home:  # the root opens the 台账
            assert home.url.endswith("/tracker/ledger")
        # Read-only: Datasette refuses writes to an immutable database.
        query = urllib.parse.quote("DELETE FROM items")
        with pytest.raises(urllib.error.HTTPError):
            get_json(f"{base}/tracker.json?sql={query}")
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()
    assert served_db.read_bytes() == before  # the clerk's database is untouched


def test_metadata_names_everything_in_chinese(store: Store, tmp_path: Path) -> None:
    rows = publish_copy(store, tmp_path / "copy.db")
    assert rows == 47
    meta = metadata("2023年 工作台账", "2023年8月25日")
    tables = meta["databases"]["tracker"]["tables"]
    assert tables["ledger"]["title"] == "工作台账"
    assert tables["ledger"]["facets"][:2] == ["状态", "预警"]
    assert "只读" in meta["description"]
    assert all(tables[name].get("hidden") for name in ("items_fts", "items_fts_data"))


def test_serve_binds_to_localhost_by_default() -> None:
    from click.testing import CliRunner

    from tracker.cli import main

    result = CliRunner().invoke(main, ["serve", "--help"])
    assert "127.0.0.1" in result.output and "只读" in result.output
