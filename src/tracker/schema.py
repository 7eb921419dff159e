"""The database schema and its migrations.

The schema is a public format (snapshots are opened in other tools), documented in
the README. Every migration is registered with sqlite-utils' migrations helper and
ends by setting ``PRAGMA user_version`` to its number, so any SQLite tool can tell
which schema a file has.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from tracker.models import STATUS_LABELS, Status

SCHEMA_VERSION = 3
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
)
"""The tables every tracker database (and so every snapshot) has."""

migrations = Migrations("tracker")


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
    from tracker.derive import derive_items

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
