"""Storing a revised plan: the new version imported, the clerks' work carried over.

Which old item became which new one is the service's question
(:mod:`tracker.services.revisions`, by content and place); what carrying means in rows
is the store's, and lives here: the ledger fields and units' reports copied, the
history copied with derived ids, ``carried`` rows, and the old version's superseded
items moved into an archive plan. All of it is one transaction, so a failure halfway
leaves the database as it was.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple

from sqlite_utils import Database

from tracker.domain.models import Plan, Status, stable_id
from tracker.errors import NotFound
from tracker.store.plan_import import PlanImport, plan_rows
from tracker.store.plans import ITEM_PLACE
from tracker.store.records import ImportResult
from tracker.store.reports import recompute_rollups
from tracker.store.search_index import index_notes
from tracker.store.settings import Settings

ARCHIVE_MARK = "修订前"
"""Ends an archive plan's title: ``2023年…分工表（2023-06-15 修订前）``."""
_COPY_NAMESPACE = uuid.UUID("6f1c2a52-3c55-4d0e-9a55-8f8e2f0c7a11")
_CARRIED_FIELDS: tuple[tuple[str, str | None], ...] = (
    ("status", Status.NOT_STARTED.value),
    ("notes", ""),
    ("last_reviewed", None),
)
"""The ledger fields carried over, with the value a newly imported item has."""


class RevisionWritten(NamedTuple):
    """What :meth:`Revisions.import_revision` wrote."""

    imported: ImportResult
    """The new version's import."""
    carried: int
    """New items that received an old item's status, notes and history."""
    history_rows: int
    """Rows of ``changes`` written for them (copies and ``carried`` rows)."""
    archive_plan_id: str | None
    """Where the old version's superseded items went (same plan id only), if anywhere."""
    archive_plan_title: str | None
    """That archive plan's title."""


def archive_title(title: str, day: str) -> str:
    """The title of the archive kept when ``title`` is revised on ``day`` (YYYY-MM-DD)."""
    return f"{title}（{day} {ARCHIVE_MARK}）"


class Revisions(PlanImport, Settings):
    """Revising a tracked plan (the matching itself is :mod:`tracker.services.revisions`)."""

    def imported_at(self, plan_ids: Sequence[str]) -> dict[str, str]:
        """When each plan was first imported (ISO time; ``''`` when not recorded), to
        tell which of several similar plans is the latest."""
        if not plan_ids:
            return {}
        return dict(
            self.db.execute(
                "SELECT id, coalesce(imported_at, '') FROM plans WHERE id IN "
                f"({', '.join('?' * len(plan_ids))})",
                list(plan_ids),
            ).fetchall()
        )

    def import_revision(
        self,
        plan: Plan,
        revises: str,
        by: str,
        match: Callable[[], Iterable[tuple[str, str]]],
    ) -> RevisionWritten:
        """Import ``plan`` as a new version of ``revises`` and carry the work over.

        In one transaction: import ``plan``; for every ``(old id, new id)`` pair whose
        new item is new to the database, give it the old item's status, notes, last
        review, units' reports and history; when the plan id is the revised one's,
        move its superseded items into an archive plan (see
        :mod:`tracker.services.revisions` for what each step means to the clerk).

        Args:
            plan: The new version, as read from its file.
            revises: The tracked plan's id.
            by: The clerk importing it (recorded on the ``carried`` rows).
            match: Pairs each old item with the new item it became. Called inside the
                transaction, after the revised plan is found and before anything is
                written, so it reads the very rows the carrying then writes over.

        Raises:
            NotFound: no plan ``revises`` (nothing is written).
        """
        new_ids = [row["id"] for row in plan_rows(plan)[2]]
        with self.write() as db:
            old_plan = db.execute(
                "SELECT title, year, source, imported_at FROM plans WHERE id = ?", [revises]
            ).fetchone()
            if old_plan is None:
                raise NotFound(f"未找到分工表「{revises}」")
            pairs = list(match())
            existing = _existing_ids(db, new_ids)
            imported = self.import_plan_into(db, plan)
            now = self.clock().isoformat(timespec="seconds")
            carried = history_rows = 0
            for old_id, new_id in pairs:
                if old_id == new_id or new_id in existing:
                    continue
                carried += 1
                history_rows += self._carry(db, old_id, new_id, by, now)
            archive_id = archive = None
            if plan.id == revises:
                archive = archive_title(old_plan[0], self.clock().date().isoformat())
                archive_id = _archive_superseded(db, plan, old_plan, archive, set(new_ids))
        return RevisionWritten(
            imported=imported,
            carried=carried,
            history_rows=history_rows,
            archive_plan_id=archive_id,
            archive_plan_title=archive if archive_id else None,
        )

    def _carry(self, db: Database, old_id: str, new_id: str, by: str, now: str) -> int:
        """Give the new item the old one's ledger fields, units' reports and history.

        Returns:
            How many rows of ``changes`` were written.
        """
        row = db.execute(
            "SELECT coalesce(office_status, 'not_started'), notes, last_reviewed, updated_at, "
            "updated_by FROM items WHERE id = ?",
            [old_id],
        ).fetchone()
        status, notes, last_reviewed, updated_at, updated_by = row
        db.execute(
            "UPDATE items SET office_status = nullif(?, 'not_started'), notes = ?, "
            "last_reviewed = ?, updated_at = ?, updated_by = ? WHERE id = ?",
            [status, notes, last_reviewed, updated_at, updated_by, new_id],
        )
        db.execute(
            "INSERT OR IGNORE INTO reports (item_id, unit_id, status, notes, last_reviewed, "
            "updated_at, updated_by) SELECT ?, unit_id, status, notes, last_reviewed, "
            "updated_at, updated_by FROM reports WHERE item_id = ?",
            [new_id, old_id],
        )
        recompute_rollups(db, [new_id])
        index_notes(db, new_id, notes)
        written = 0
        history = db.execute(
            "SELECT id, field, old_value, new_value, changed_at, by, kind, machine_id, unit_id "
            "FROM changes WHERE item_id = ? ORDER BY changed_at, rowid",
            [old_id],
        ).fetchall()
        for (
            change_id,
            field,
            old_value,
            new_value,
            changed_at,
            change_by,
            kind,
            machine,
            unit,
        ) in history:
            cursor = db.execute(
                "INSERT OR IGNORE INTO changes (id, item_id, field, old_value, new_value, "
                "changed_at, by, session_id, kind, machine_id, unit_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)",
                [
                    _copy_id(change_id, new_id),
                    new_id,
                    field,
                    old_value,
                    new_value,
                    changed_at,
                    change_by,
                    kind,
                    machine,
                    unit,
                ],
            )
            written += cursor.rowcount
        values = {"status": status, "notes": notes, "last_reviewed": last_reviewed}
        for field, empty in _CARRIED_FIELDS:
            if values[field] in (empty, None):
                continue
            cursor = db.execute(
                "INSERT OR IGNORE INTO changes (id, item_id, field, old_value, new_value, "
                "changed_at, by, session_id, kind, machine_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'carried', ?)",
                [
                    _copy_id("carried", old_id, new_id, field),
                    new_id,
                    field,
                    empty,
                    values[field],
                    now,
                    by,
                    self.session_id,
                    self.machine_id,
                ],
            )
            written += cursor.rowcount
        return written


def _existing_ids(db: Database, ids: list[str]) -> set[str]:
    """Which of ``ids`` are items already (their own work is never overwritten)."""
    found: set[str] = set()
    for start in range(0, len(ids), 500):  # under SQLite's bound-parameter limit
        chunk = ids[start : start + 500]
        found.update(
            row[0]
            for row in db.execute(
                f"SELECT id FROM items WHERE id IN ({', '.join('?' * len(chunk))})", chunk
            )
        )
    return found


def _copy_id(*parts: str) -> str:
    """A change row's id for a copy: a UUID derived from what it copies, so the same
    revision imported twice (or on two machines) writes the same rows."""
    return uuid.uuid5(_COPY_NAMESPACE, "\x1f".join(parts)).hex


def _archive_superseded(
    db: Database, new_plan: Plan, old_plan: tuple, title: str, new_ids: set[str]
) -> str | None:
    """Move the plan's items that are not in its new version into an archive plan.

    The archive keeps the old categories and key tasks (titles, numbers and order) of
    the items it holds; the plan's categories and key tasks left without items are
    then dropped (their text is kept in the archive). Nothing a clerk wrote moves
    apart from its item.

    Returns:
        The archive plan's id, or None when nothing was superseded.
    """
    plan_id = new_plan.id
    stale = [
        row
        for row in db.execute(
            "SELECT items.id, key_tasks.seq, key_tasks.title, categories.seq, categories.no, "
            f"categories.title FROM items {ITEM_PLACE} "
            "WHERE categories.plan_id = ? ORDER BY categories.seq, key_tasks.seq, items.seq",
            [plan_id],
        ).fetchall()
        if row[0] not in new_ids
    ]
    if not stale:
        return None
    _, year, source, imported_at = old_plan
    archive_id = stable_id("archive", plan_id, *sorted(new_ids))
    db.execute(
        "INSERT OR IGNORE INTO plans (id, title, year, source, imported_at) VALUES (?, ?, ?, ?, ?)",
        [archive_id, title, year, source, imported_at],
    )
    for item_id, k_seq, k_title, c_seq, c_no, c_title in stale:
        category_id = stable_id(archive_id, "category", c_no, c_title)
        key_task_id = stable_id(category_id, "key_task", k_seq, k_title)
        db.execute(
            "INSERT OR IGNORE INTO categories (id, plan_id, seq, no, title) VALUES (?, ?, ?, ?, ?)",
            [category_id, archive_id, c_seq, c_no, c_title],
        )
        db.execute(
            "INSERT OR IGNORE INTO key_tasks (id, category_id, seq, title) VALUES (?, ?, ?, ?)",
            [key_task_id, category_id, k_seq, k_title],
        )
        db.execute("UPDATE items SET key_task_id = ? WHERE id = ?", [key_task_id, item_id])
    db.execute(
        "DELETE FROM key_tasks WHERE category_id IN (SELECT id FROM categories WHERE plan_id = ?) "
        "AND NOT EXISTS (SELECT 1 FROM items WHERE items.key_task_id = key_tasks.id)",
        [plan_id],
    )
    db.execute(
        "DELETE FROM categories WHERE plan_id = ? "
        "AND NOT EXISTS (SELECT 1 FROM key_tasks WHERE key_tasks.category_id = categories.id)",
        [plan_id],
    )
    return archive_id
