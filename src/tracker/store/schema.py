"""The database schema and its migrations.

The schema is a public format (snapshots are opened in other tools), documented in
the README. Every migration is registered with sqlite-utils' migrations helper and
ends by setting ``PRAGMA user_version`` to its number, so any SQLite tool can tell
which schema a file has.
"""

from __future__ import annotations

import sqlite3

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from tracker.domain.models import STATUS_LABELS, Status

SCHEMA_VERSION = 10
"""The schema this version of tracker writes. A file with a higher number is refused."""

TABLES = (
    "plans",
    "categories",
    "key_tasks",
    "items",
    "statuses",
    "changes",
    "units",
    "item_units",
    "unit_members",
    "settings",
    "sessions",
    "machines",
    "merges",
    "conflicts",
    "unit_aliases",
    "quarantined_changes",
    "reports",
)
"""The tables every tracker database (and so every snapshot) has."""

migrations = Migrations("tracker")


def identify(conn: sqlite3.Connection) -> tuple[int, set[str], bool]:
    """What a SQLite file is: its schema version, its tables, and whether tracker wrote it.

    A tracker database is known by its record of tracker migrations, so another
    program's database that happens to set ``user_version`` is not taken for one.

    Raises:
        sqlite3.DatabaseError: the file cannot be read as SQLite.
    """
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    ours = "_sqlite_migrations" in tables and bool(
        conn.execute(
            "SELECT count(*) FROM _sqlite_migrations WHERE migration_set = ?", [migrations.name]
        ).fetchone()[0]
    )
    return version, tables, ours


@migrations(name="0001_initial")
def _initial(db: Database) -> None:
    db["statuses"].create({"code": str, "label": str, "seq": int}, pk="code", not_null={"label"})
    db["statuses"].insert_all(
        {"code": s.value, "label": STATUS_LABELS[s], "seq": s.seq} for s in Status
    )
    db["plans"].create(
        {"id": str, "title": str, "year": int, "source": str, "imported_at": str},
        pk="id",
        not_null={"title", "year"},
    )
    db["categories"].create(
        {"id": str, "plan_id": str, "seq": int, "no": str, "title": str},
        pk="id",
        foreign_keys=[("plan_id", "plans", "id")],
        not_null={"plan_id", "seq", "title"},
    )
    db["key_tasks"].create(
        {"id": str, "category_id": str, "seq": int, "title": str},
        pk="id",
        foreign_keys=[("category_id", "categories", "id")],
        not_null={"category_id", "seq", "title"},
    )
    db["items"].create(
        {
            "id": str,
            "key_task_id": str,
            "seq": int,
            "content": str,
            "units_text": str,
            "deadline_text": str,
            "status": str,
            "notes": str,
            "updated_at": str,
            "updated_by": str,
        },
        pk="id",
        foreign_keys=[("key_task_id", "key_tasks", "id"), ("status", "statuses", "code")],
        not_null={"key_task_id", "seq", "content", "status", "notes"},
        defaults={
            "status": Status.NOT_STARTED.value,
            "notes": "",
            "units_text": "",
            "deadline_text": "",
        },
    )
    db["changes"].create(
        {
            "id": str,
            "item_id": str,
            "field": str,
            "old_value": str,
            "new_value": str,
            "changed_at": str,
            "by": str,
        },
        pk="id",
        foreign_keys=[("item_id", "items", "id")],
        not_null={"item_id", "field", "changed_at", "by"},
    )
    db["categories"].create_index(["plan_id", "seq"])
    db["key_tasks"].create_index(["category_id", "seq"])
    db["items"].create_index(["key_task_id", "seq"])
    db["items"].create_index(["status"])
    db["changes"].create_index(["item_id", "changed_at"])
    # The log is append-only: the database itself refuses edits and deletions.
    db.execute(
        "CREATE TRIGGER changes_append_only_update BEFORE UPDATE ON changes "
        "BEGIN SELECT RAISE(ABORT, 'changes is append-only'); END"
    )
    db.execute(
        "CREATE TRIGGER changes_append_only_delete BEFORE DELETE ON changes "
        "BEGIN SELECT RAISE(ABORT, 'changes is append-only'); END"
    )
    db.execute("PRAGMA user_version = 1")


@migrations(name="0002_units_deadlines_search")
def _units_deadlines_search(db: Database) -> None:
    """Responsible units, parsed deadlines, standing-work reviews, settings and search."""
    # Imported here: derive needs the schema module's callers, not the other way round.
    from tracker.store.derive import derive_items

    db["units"].create(
        {"id": str, "name": str, "kind": str, "initials": str},
        pk="id",
        not_null={"name", "kind"},
    )
    db["units"].create_index(["name"], unique=True)
    db["item_units"].create(
        {"item_id": str, "unit_id": str, "role": str, "position": int},
        pk=("item_id", "unit_id"),
        foreign_keys=[("item_id", "items", "id"), ("unit_id", "units", "id")],
        not_null={"role", "position"},
    )
    db["item_units"].create_index(["unit_id"])
    # Which concrete units a collective (区政府工作部门, 各乡镇街委, ...) stands for.
    # member = 0 records a clerk's "not a member", so a default is not re-added.
    db["unit_members"].create(
        {"collective_id": str, "member_id": str, "member": int, "source": str},
        pk=("collective_id", "member_id"),
        foreign_keys=[("collective_id", "units", "id"), ("member_id", "units", "id")],
        not_null={"member", "source"},
    )
    db["unit_members"].create_index(["member_id"])
    db["items"].add_column("deadline_kind", str)
    db["items"].add_column("due_date", str)
    db["items"].add_column("last_reviewed", str)
    db["items"].create_index(["due_date"])
    db["settings"].create({"key": str, "value": str}, pk="key")
    # Trigram search over everything a clerk may type a piece of; 1-2 character
    # queries fall back to substring scans (trigram needs three characters).
    db.execute(
        "CREATE VIRTUAL TABLE items_fts USING fts5("
        "item_id UNINDEXED, content, key_task, category, units, notes, tokenize = 'trigram')"
    )
    derive_items(db, [row[0] for row in db.execute("SELECT id FROM items")])
    db.execute("PRAGMA user_version = 2")


@migrations(name="0003_sessions")
def _sessions(db: Database) -> None:
    """App sessions (to tell an unclean shutdown or a second window) and change kinds."""
    db["sessions"].create(
        {
            "id": str,
            "started_at": str,
            "ended_at": str,
            "by": str,
            "host": str,
            "pid": int,
            "clean": int,
        },
        pk="id",
        not_null={"started_at", "clean"},
    )
    db["changes"].add_column("session_id", str)
    db["changes"].add_column("kind", str, not_null_default="edit")
    db.execute("PRAGMA user_version = 3")


LEDGER_VIEW = """
CREATE VIEW ledger AS
SELECT
    categories.seq || '.' || key_tasks.seq || '.' || items.seq AS 序号,
    categories.title AS 工作任务,
    key_tasks.title AS 重点工作任务,
    items.content AS 具体内容,
    items.units_text AS 责任单位,
    (SELECT group_concat(name, '、') FROM (
        SELECT units.name FROM item_units JOIN units ON units.id = item_units.unit_id
        WHERE item_units.item_id = items.id AND item_units.role = 'lead'
        ORDER BY item_units.position)) AS 牵头单位,
    items.deadline_text AS 完成时限,
    statuses.label AS 状态,
    items.notes AS 进展情况,
    items.updated_at AS 更新时间,
    items.updated_by AS 更新人,
    plans.title AS 分工表,
    items.id AS item_id
FROM items
JOIN key_tasks ON key_tasks.id = items.key_task_id
JOIN categories ON categories.id = key_tasks.category_id
JOIN plans ON plans.id = categories.plan_id
JOIN statuses ON statuses.code = items.status
ORDER BY plans.year, plans.title, categories.seq, key_tasks.seq, items.seq
"""
"""The 台账 with Chinese column names, so any SQLite tool shows it without our schema."""


@migrations(name="0004_ledger_machines_merges")
def _ledger_machines_merges(db: Database) -> None:
    """The ledger view; which machine made each change; merges and their conflicts."""
    import socket
    import uuid

    db.execute(LEDGER_VIEW)
    db["machines"].create(
        {"id": str, "name": str, "first_seen": str}, pk="id", not_null={"first_seen"}
    )
    machine_id = uuid.uuid4().hex
    db.execute("INSERT INTO settings (key, value) VALUES ('machine_id', ?)", [machine_id])
    db.execute(
        "INSERT INTO machines (id, name, first_seen) VALUES (?, ?, datetime('now'))",
        [machine_id, socket.gethostname()],
    )
    db["changes"].add_column("machine_id", str)
    # Changes made before machines were recorded were made here.
    db.execute("DROP TRIGGER changes_append_only_update")
    db.execute("UPDATE changes SET machine_id = ? WHERE machine_id IS NULL", [machine_id])
    db.execute(
        "CREATE TRIGGER changes_append_only_update BEFORE UPDATE ON changes "
        "BEGIN SELECT RAISE(ABORT, 'changes is append-only'); END"
    )
    db["merges"].create(
        {
            "id": str,
            "source": str,
            "plan_id": str,
            "merged_at": str,
            "by": str,
            "changes_in": int,
            "conflicts": int,
        },
        pk="id",
        not_null={"merged_at"},
    )
    db["conflicts"].create(
        {
            "id": str,
            "item_id": str,
            "field": str,
            "ours_change_id": str,
            "theirs_change_id": str,
            "ours_value": str,
            "theirs_value": str,
            "detected_at": str,
            "merge_id": str,
            "resolved_at": str,
            "resolved_by": str,
            "resolution": str,
        },
        pk="id",
        foreign_keys=[("item_id", "items", "id")],
        not_null={"item_id", "field", "detected_at"},
    )
    db["conflicts"].create_index(["resolved_at"])
    db.execute("PRAGMA user_version = 4")


@migrations(name="0005_progress_index")
def _progress_index(db: Database) -> None:
    """A covering index for progress counts: they then never read the items' text."""
    db.execute(
        "CREATE INDEX IF NOT EXISTS idx_items_progress "
        "ON items (key_task_id, status, deadline_kind, due_date, deadline_text)"
    )
    db.execute("PRAGMA user_version = 5")


@migrations(name="0006_issued_aliases_no_deadline")
def _issued_aliases_no_deadline(db: Database) -> None:
    """Plans' issue dates (deadlines such as 6个月 run from them), the clerk's unit
    aliases, and the ``none`` deadline kind for items without a deadline."""
    db.table("plans").add_column("issued", str)
    db.table("unit_aliases").create({"alias": str, "name": str}, pk="alias", not_null={"name"})
    db.execute(
        "UPDATE items SET deadline_kind = 'none' "
        "WHERE trim(coalesce(deadline_text, ''), ' ' || char(9, 10, 13, 12288)) = ''"
    )
    db.execute("PRAGMA user_version = 6")


@migrations(name="0007_quarantined_changes")
def _quarantined_changes(db: Database) -> None:
    """Changes a merge held back (dated too far ahead of the merging machine's clock)."""
    db["quarantined_changes"].create(
        {
            "id": str,
            "item_id": str,
            "field": str,
            "old_value": str,
            "new_value": str,
            "changed_at": str,
            "by": str,
            "session_id": str,
            "kind": str,
            "machine_id": str,
            "reason": str,
            "merge_id": str,
            "quarantined_at": str,
        },
        pk="id",
        not_null={"item_id", "field", "quarantined_at"},
    )
    db.execute("PRAGMA user_version = 7")


@migrations(name="0008_unit_reports")
def _unit_reports(db: Database) -> None:
    """Each responsible unit's own report; the item's status becomes their roll-up.

    Today's item-level status becomes the office's verdict (``items.office_status``;
    未启动 is no verdict), and ``items.notes``/``last_reviewed`` stay as the office's.
    ``items.status`` is from now on the roll-up (:mod:`tracker.domain.rollup`), kept
    with the unit counts beside it; with no unit reports yet it equals the old status.
    Changes gain the unit they were made for (NULL: the office); history stays.
    """
    # Imported here, as derive above: the store's modules import this one.
    from tracker.store.reports import recompute_rollups

    db["reports"].create(
        {
            "item_id": str,
            "unit_id": str,
            "status": str,
            "notes": str,
            "last_reviewed": str,
            "updated_at": str,
            "updated_by": str,
        },
        pk=("item_id", "unit_id"),
        foreign_keys=[
            ("item_id", "items", "id"),
            ("unit_id", "units", "id"),
            ("status", "statuses", "code"),
        ],
        not_null={"status", "notes"},
        defaults={"status": Status.NOT_STARTED.value, "notes": ""},
    )
    db["reports"].create_index(["unit_id", "status"])
    db.execute("ALTER TABLE changes ADD COLUMN unit_id TEXT")
    db.execute("ALTER TABLE quarantined_changes ADD COLUMN unit_id TEXT")
    db.execute("ALTER TABLE items ADD COLUMN office_status TEXT REFERENCES statuses(code)")
    for column in ("units_total", "units_done", "units_reported", "units_on_hold"):
        db.execute(f"ALTER TABLE items ADD COLUMN {column} INTEGER NOT NULL DEFAULT 0")
    # Progress counts sum the unit counts too: still from the index alone.
    db.execute("DROP INDEX IF EXISTS idx_items_progress")
    db.execute(
        "CREATE INDEX idx_items_progress ON items "
        "(key_task_id, status, deadline_kind, due_date, deadline_text, units_done, units_total)"
    )
    db.execute(
        "UPDATE items SET office_status = status WHERE status != 'not_started' "
        "AND status IN (SELECT code FROM statuses)"
    )
    recompute_rollups(db, [row[0] for row in db.execute("SELECT id FROM items")])
    db.execute("PRAGMA user_version = 8")


@migrations(name="0009_compact_search_index")
def _compact_search_index(db: Database) -> None:
    """A smaller search index: items numbered 1, 2, 3… for it (``items.search_rowid``).

    The index's rowids were 60-bit hashes of the item ids; FTS5 stores each posting as
    the delta from the previous rowid, so small consecutive numbers take one or two
    bytes where hashes took eight, which halves the index. The index no longer keeps
    its per-column sizes (only ranking reads them); search finds the items through
    ``search_rowid`` (a unique index). What is indexed, and so
    what a search finds, is unchanged.
    """
    from tracker.store.search_index import CREATE_FTS_V9 as CREATE_FTS
    from tracker.store.search_index import FTS_COLUMNS_V9 as FTS_COLUMNS

    db.execute("ALTER TABLE items ADD COLUMN search_rowid INTEGER")
    db.execute("UPDATE items SET search_rowid = rowid")
    db.execute("CREATE UNIQUE INDEX idx_items_search_rowid ON items (search_rowid)")
    db.execute(f"CREATE TEMP TABLE search_copy AS SELECT {FTS_COLUMNS} FROM items_fts")
    db.execute("DROP TABLE items_fts")
    db.execute(CREATE_FTS)
    db.execute(
        f"INSERT INTO items_fts (rowid, {FTS_COLUMNS}) SELECT items.search_rowid, "
        + ", ".join(f"search_copy.{c}" for c in FTS_COLUMNS.split(", "))
        + " FROM temp.search_copy AS search_copy JOIN items ON items.id = search_copy.item_id "
        "ORDER BY items.search_rowid"
    )
    db.execute("DROP TABLE temp.search_copy")
    db.execute("INSERT INTO items_fts (items_fts) VALUES ('optimize')")
    db.execute("PRAGMA user_version = 9")


@migrations(name="0010_candidate_search_index")
def _candidate_search_index(db: Database) -> None:
    """A search index about a tenth the size: it names candidates, search checks them.

    The trigram index kept a second copy of every item's text and the position of
    every trigram in it, and copied its key task's and category's titles into every
    item. It now keeps neither copy nor positions (external content, ``detail = none``,
    :data:`tracker.store.search_index.CREATE_FTS`): it tells which items hold all the
    trigrams of a query, and search checks their text itself. Titles are matched in
    their own small tables. What a search finds, and in which order, is unchanged.
    """
    from tracker.store.search_index import CREATE_FTS, rebuild

    db.execute("DROP TABLE items_fts")
    for sql in CREATE_FTS:
        db.execute(sql)
    rebuild(db.conn)
    db.execute("PRAGMA user_version = 10")
