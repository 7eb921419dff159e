"""The office's intranet view: publish the 台账 read-only with Datasette.

``tracker serve`` takes a consistent copy of the database (SQLite's backup API, as a
snapshot is made), turns the copy's ``ledger`` view into a table of the same name with a
``预警`` column — 逾期 / 临期 worked out by tracker itself as of ``--today`` (or today), so
the page says exactly what the app and the exported 台账 say, recurring deadlines
included — and serves that copy with Datasette in immutable mode. The clerk's own
database is never opened by the web server, and nothing on the page can change anything.

What is published is the state at the moment ``serve`` started: after merging new
snapshots, start it again.

Datasette is an optional extra: ``pip install 'tracker[serve]'``.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tracker.errors import TrackerError
from tracker.ledger import warning_word
from tracker.store import Store

DATABASE_NAME = "tracker"
"""The database's name in the URLs: ``/tracker/ledger``."""
LEDGER_TABLE = "ledger"
"""The published 台账 (a table in the served copy, the view's columns plus 预警)."""
HIDDEN_TABLES = (
    "items",
    "item_units",
    "unit_members",
    "categories",
    "key_tasks",
    "statuses",
    "items_fts",
    "items_fts_data",
    "items_fts_idx",
    "items_fts_content",
    "items_fts_docsize",
    "items_fts_config",
    "_sqlite_migrations",
    "sessions",
    "machines",
    "settings",
)
"""The app's own tables (the 台账 shows them joined), its search index and bookkeeping,
hidden from the table list (still reachable by URL and SQL, like every table)."""
TABLE_TITLES = {
    LEDGER_TABLE: ("工作台账", "分工表的全部任务及其状态、进展情况、预警，按序号排列。"),
    "plans": ("分工表", "导入的政务公开工作要点分工表（每年一份）。"),
    "categories": ("工作任务", "分工表的一级标题（工作任务）。"),
    "key_tasks": ("重点工作任务", "分工表的二级标题（重点工作任务）。"),
    "items": ("具体任务", "每一条具体任务（内部格式，台账见 ledger）。"),
    "units": ("责任单位", "分工表中的责任单位，含集合单位（如各乡镇街委）。"),
    "item_units": ("任务的责任单位", "每条任务由哪些单位负责，谁牵头。"),
    "unit_members": ("集合单位的成员", "集合单位（如区政府工作部门）包含哪些具体单位。"),
    "changes": ("修改记录", "状态和进展情况的每一次修改：谁、何时、改成什么。"),
    "statuses": ("状态", "五种状态及其显示名称。"),
    "merges": ("合并记录", "合并各单位上报快照的记录。"),
    "conflicts": ("合并冲突", "合并时同一字段两边都改过的情况及其处理。"),
}
"""Each table's Chinese title and description on the page."""


class ServeError(TrackerError):
    """The intranet view could not start; the message is for the clerk."""


def require_datasette() -> None:
    """Raises ServeError when Datasette (the ``serve`` extra) is not installed."""
    try:
        import datasette  # type: ignore[import-untyped]  # noqa: F401
    except ImportError:
        raise ServeError(
            "发布功能需要 Datasette：请运行 pip install 'tracker[serve]'"
            "（或 pip install datasette）"
        ) from None


def publish_copy(store: Store, out: Path) -> int:
    """Write the copy to serve: the database with ``ledger`` as a table carrying 预警.

    Args:
        store: The open database (its today decides 逾期/临期).
        out: The file to write (a new file).

    Returns:
        How many ledger rows the copy holds.
    """
    copy = sqlite3.connect(out)
    try:
        store.copy_into(copy)
        copy.execute("PRAGMA journal_mode = DELETE")
        warnings = {
            item.id: warning_word(item.warning)
            for plan in store.plans()
            for item in store.filtered_items(plan.id)
        }
        with copy:
            copy.execute(f"CREATE TABLE {LEDGER_TABLE}_rows AS SELECT * FROM ledger")
            copy.execute("DROP VIEW ledger")
            columns = [row[1] for row in copy.execute(f"PRAGMA table_info({LEDGER_TABLE}_rows)")]
            at = columns.index("进展情况")
            ordered = [*columns[:at], "预警", *columns[at:]]
            quoted = ", ".join(f'"{c}"' for c in ordered)
            copy.execute(
                f'CREATE TABLE {LEDGER_TABLE} ({", ".join(f""""{c}" TEXT""" for c in ordered)})'
            )
            # The view's order (plan, then outline number) becomes the rowid order,
            # which Datasette shows a table in.
            copy.execute(
                f"INSERT INTO {LEDGER_TABLE} ({quoted}) SELECT "
                + ", ".join("''" if c == "预警" else f'"{c}"' for c in ordered)
                + f" FROM {LEDGER_TABLE}_rows ORDER BY rowid"
            )
            copy.executemany(
                f'UPDATE {LEDGER_TABLE} SET "预警" = ? WHERE item_id = ?',
                [(word, item_id) for item_id, word in warnings.items() if word],
            )
            copy.execute(f"DROP TABLE {LEDGER_TABLE}_rows")
        copy.execute("VACUUM")
        return copy.execute(f"SELECT count(*) FROM {LEDGER_TABLE}").fetchone()[0]
    finally:
        copy.close()


def metadata(title: str, today_label: str) -> dict[str, Any]:
    """Datasette's metadata: Chinese titles, the ledger first with its facets, hidden
    search-index tables."""
    tables: dict[str, Any] = {}
    for name, (table_title, description) in TABLE_TITLES.items():
        tables[name] = {"title": table_title, "description": description}
    tables[LEDGER_TABLE].update(
        {
            "facets": ["状态", "预警", "责任单位", "牵头单位"],
            "sortable_columns": ["序号", "状态", "预警", "完成时限", "更新时间"],
            "description": TABLE_TITLES[LEDGER_TABLE][1]
            + f"预警按{today_label}判断：逾期为已过完成时限仍未完成，临期为即将到期；"
            "持续推进和无固定时限的任务不标逾期。",
            "label_column": "具体内容",
        }
    )
    for name in HIDDEN_TABLES:
        tables[name] = {"hidden": True}
    return {
        "title": title,
        "description": f"政务公开工作台账（只读）。数据截至{today_label}；本页面不能修改任何内容。",
        "databases": {
            DATABASE_NAME: {
                "title": title,
                "description": "只读发布：如需更新，请在 tracker 中合并后重新运行 tracker serve。",
                "tables": tables,
            }
        },
    }


@contextlib.contextmanager
def prepared(store: Store) -> Iterator[tuple[Path, dict[str, Any], int]]:
    """The copy to serve and its metadata; the copy is removed afterwards."""
    from tracker.domain.format import day_label

    folder = Path(tempfile.mkdtemp(prefix="tracker-serve-"))
    try:
        copy = folder / f"{DATABASE_NAME}.db"
        rows = publish_copy(store, copy)
        plans = store.plans()
        title = plans[0].title + "　工作台账" if len(plans) == 1 else "政务公开工作台账"
        yield copy, metadata(title, day_label(store.today())), rows
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def serve(copy: Path, meta: dict[str, Any], host: str, port: int) -> None:
    """Serve ``copy`` read-only (immutable) until interrupted."""
    import uvicorn
    from datasette.app import Datasette  # type: ignore[import-untyped]
    from datasette.cli import run_sync  # type: ignore[import-untyped]

    datasette = Datasette(
        immutables=[str(copy)],
        metadata=meta,
        settings={"default_page_size": 100, "allow_download": True},
    )
    _register_home()
    run_sync(datasette.invoke_startup)
    uvicorn.run(datasette.app(), host=host, port=port, log_level="warning", lifespan="on")


def _register_home() -> None:
    """Open the 台账 at the site's root: it comes first, before the list of tables."""
    from datasette.plugins import pm  # type: ignore[import-untyped]

    from tracker.serve import home as serve_home

    if not pm.is_registered(serve_home):
        pm.register(serve_home, name="tracker-home")
