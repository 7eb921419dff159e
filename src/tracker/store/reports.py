"""Each responsible unit's own report on an item, and the item's materialised roll-up.

An item answers to its responsible *concrete* units: those its 责任单位 cell names, and
the members of the collectives it names (各乡镇街委 → every township that joined it).
Each of them reports on its own part in ``reports`` (status, notes, last review, when
and by whom); a unit that never reported has no row and counts as 未启动 with no notes.
The office (no unit) keeps its verdict in ``items.office_status`` and its notes and
review in ``items.notes``/``items.last_reviewed``.

``items.status`` is the roll-up of the office's verdict and the units' reports under
the rule of :mod:`tracker.domain.rollup`, stored with the unit counts
(``items.units_total``, ``units_done``, ``units_reported``, ``units_on_hold``) so every
read, filter and count uses it as it used the status before. :func:`recompute_rollups`
keeps it in step; it runs after every report or verdict write, membership change,
re-derivation of an item's units and plan import, inside the same transaction.

Module functions take a sqlite-utils ``Database`` (or a ``sqlite3.Connection``) and run
in the caller's transaction; :class:`Reports` adds the store's methods.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Any, NamedTuple

from tracker.domain.models import Status, StoredRecord
from tracker.domain.rollup import Rollup, UnitState, rollup
from tracker.domain.units import Role, canonical_name
from tracker.store.errors import ChangedUnderneath, NotResponsible
from tracker.store.records import CHANGE_COLUMNS, ChangeRecord
from tracker.store.search_index import index_notes
from tracker.store.settings import Settings

if TYPE_CHECKING:
    from sqlite_utils import Database

REPORT_FIELDS = ("status", "notes", "last_reviewed")
"""The fields of a unit's report (the same ledger fields as the office's)."""
OFFICE = ""
"""Pass as ``unit`` to ``Store.changes`` for the office's changes only
(``changes.unit_id IS NULL``); None means every change."""
ROLLUP_COLUMNS = ("status", "units_total", "units_done", "units_reported", "units_on_hold")
"""The ``items`` columns the roll-up is stored in."""
_CHUNK = 2000


class ResponsibleUnit(NamedTuple):
    """A concrete unit that answers for an item."""

    unit_id: str
    name: str
    role: Role
    """``lead`` or ``cooperating``; a collective's members take its role (lead wins)."""


class UnitReport(StoredRecord):
    """One responsible unit's report on an item (defaults when it never reported)."""

    item_id: str
    unit: str
    """The unit's name."""
    unit_id: str
    role: Role = Role.COOPERATING
    status: Status = Status.NOT_STARTED
    notes: str = ""
    """The unit's 进展情况."""
    last_reviewed: date | None = None
    """When the unit last reviewed its part of standing work."""
    updated_at: str | None = None
    """When the unit last changed its report (None: never reported)."""
    updated_by: str | None = None

    @property
    def reported(self) -> bool:
        """Whether the unit has reported: a status other than 未启动, or notes."""
        return self.status is not Status.NOT_STARTED or bool(self.notes)


def _not_responsible_error(message: str) -> Exception:
    return NotResponsible(message)


# ---------------------------------------------------------------------- responsible units
# Units named in the items (concrete ones), and the members of the collectives named.
# {items} is a subquery of item ids. ``place``/``tie`` order them as the plan does: by
# where the cell names them, a collective's members by pinyin initials.
_RESPONSIBLE = """
SELECT item_units.item_id AS item_id, units.id AS unit_id, units.name AS name,
       item_units.role AS role, item_units.position AS place, '' AS tie
FROM item_units JOIN units ON units.id = item_units.unit_id
WHERE units.kind = 'concrete' AND item_units.item_id IN ({items})
UNION ALL
SELECT item_units.item_id, units.id, units.name, item_units.role, item_units.position,
       coalesce(units.initials, '') || units.name
FROM item_units
JOIN unit_members ON unit_members.collective_id = item_units.unit_id
    AND unit_members.member = 1
JOIN units ON units.id = unit_members.member_id
WHERE units.kind = 'concrete' AND item_units.item_id IN ({items})
"""
_JSON_IDS = "SELECT value FROM json_each(:ids)"


def _conn(db: Database | sqlite3.Connection) -> sqlite3.Connection:
    return db if isinstance(db, sqlite3.Connection) else db.conn


def _status(value: object) -> Status:
    """A stored status; anything no clerk could set reads as 未启动."""
    try:
        return Status(value)  # type: ignore[arg-type]
    except ValueError:
        return Status.NOT_STARTED


def verdict_of(value: object) -> Status | None:
    """An office verdict as stored or logged: None for none (NULL, 未启动) or for a
    value no clerk could set."""
    status = _status(value)
    return None if status is Status.NOT_STARTED else status


def _role(value: object) -> Role:
    return Role.LEAD if value == Role.LEAD.value else Role.COOPERATING


class _Unit:
    """One responsible unit while rows are gathered (first place, strongest role)."""

    __slots__ = ("name", "place", "role", "row", "unit_id")

    def __init__(self, unit_id: str, name: str, role: Role, place: tuple) -> None:
        self.unit_id, self.name, self.role, self.place = unit_id, name, role, place
        self.row: dict[str, Any] | None = None

    def see(self, role: Role, place: tuple) -> None:
        if role is Role.LEAD:
            self.role = Role.LEAD
        self.place = min(self.place, place)

    @property
    def responsible(self) -> ResponsibleUnit:
        return ResponsibleUnit(self.unit_id, self.name, self.role)

    def state(self) -> UnitState:
        if self.row is None:
            return UnitState()
        notes = self.row.get("notes")
        return UnitState(_status(self.row.get("status")), bool(notes))


def _gather(rows: Iterable[tuple]) -> dict[str, dict[str, _Unit]]:
    """Rows (item_id, unit_id, name, role, place, tie, ...) → per item, per unit."""
    found: dict[str, dict[str, _Unit]] = {}
    for item_id, unit_id, name, role, place, tie, *_ in rows:
        if unit_id is None:
            found.setdefault(item_id, {})
            continue
        units = found.setdefault(item_id, {})
        # A hand-edited file may hold any type here: sort on what always compares.
        key = (place if isinstance(place, int) else 0, tie if isinstance(tie, str) else str(tie))
        unit = units.get(unit_id)
        if unit is None:
            units[unit_id] = _Unit(unit_id, str(name), _role(role), key)
        else:
            unit.see(_role(role), key)
    return found


def _ordered(units: dict[str, _Unit]) -> list[_Unit]:
    return sorted(units.values(), key=lambda u: u.place)


def responsible_units(db: Database | sqlite3.Connection, item_id: str) -> list[ResponsibleUnit]:
    """The concrete units that answer for an item, in plan order (one statement)."""
    rows = _conn(db).execute(_RESPONSIBLE.format(items=":item"), {"item": item_id})
    return [u.responsible for u in _ordered(_gather(rows).get(item_id, {}))]


_REPORTS_OF = f"""
SELECT r.item_id, r.unit_id, r.name, r.role, r.place, r.tie, reports.item_id IS NOT NULL,
       reports.status, reports.notes, reports.last_reviewed, reports.updated_at,
       reports.updated_by
FROM ({_RESPONSIBLE.format(items=_JSON_IDS)}) AS r
LEFT JOIN reports ON reports.item_id = r.item_id AND reports.unit_id = r.unit_id
"""


def reports_of(
    db: Database | sqlite3.Connection, item_ids: Iterable[str]
) -> dict[str, list[UnitReport]]:
    """Every responsible unit's report on each of these items, in plan order (as
    :meth:`Reports.reports`; one statement per 2,000 items). An item no unit answers
    for has an empty list."""
    conn = _conn(db)
    ids = list(dict.fromkeys(item_ids))
    found: dict[str, list[UnitReport]] = {item_id: [] for item_id in ids}
    for start in range(0, len(ids), _CHUNK):
        params = {"ids": json.dumps(ids[start : start + _CHUNK])}
        rows = conn.execute(_REPORTS_OF, params).fetchall()
        gathered = _gather(rows)
        for item_id, unit_id, *_, has_report, status, notes, reviewed, at, by in rows:
            if has_report:
                gathered[item_id][unit_id].row = {
                    "status": status,
                    "notes": notes,
                    "last_reviewed": reviewed,
                    "updated_at": at,
                    "updated_by": by,
                }
        for item_id, units in gathered.items():
            found[item_id] = [_report(item_id, unit) for unit in _ordered(units)]
    return found


# ---------------------------------------------------------------------- reads as a unit
# What a unit's clerk sees of an item in the plan's reads: with ``:reader`` bound to a
# concrete unit, its own report's field (未启动 / empty / none if it never reported);
# with ``:reader`` NULL or a collective, the item's own (the roll-up, the office's notes
# and review). The uncorrelated subquery on ``units`` runs once per statement.
_AS_UNIT = (
    "(CASE WHEN (SELECT kind FROM units WHERE id = :reader) IS NOT 'concrete' "
    "THEN items.{field} ELSE coalesce((SELECT reports.{field} FROM reports "
    "WHERE reports.item_id = items.id AND reports.unit_id = :reader), {default}) END)"
)
STATUS_SQL = _AS_UNIT.format(field="status", default="'not_started'")
"""The item's status as the reader sees it (needs ``:reader`` bound, None for none)."""
NOTES_SQL = _AS_UNIT.format(field="notes", default="''")
"""The item's notes as the reader sees it (needs ``:reader`` bound, None for none)."""
REVIEWED_SQL = _AS_UNIT.format(field="last_reviewed", default="NULL")
"""The item's last review as the reader sees it (needs ``:reader`` bound, None for none)."""
UNIT_NOTES_MATCH_SQL = (
    "items.id IN (SELECT item_id FROM reports WHERE reports.item_id = items.id "
    "AND instr(reports.notes, :text))"
)
"""Whether a unit's notes contain ``:text`` (the text search's scan, beside items.notes)."""


# ---------------------------------------------------------------------- the roll-up
def recompute_rollups(db: Database | sqlite3.Connection, item_ids: Iterable[str]) -> int:
    """Recompute and store the roll-up of the given items, in the caller's transaction.

    Two reads for the units and their collectives, then per 2,000 items three reads
    (their named units, reports and stored roll-ups) and one batch of updates, for
    the rows that changed. Collectives are expanded in Python, once per distinct set
    of named units (plans repeat the same 责任单位 cells): far quicker than asking
    SQLite for distinct units per item.

    Returns:
        How many items' stored roll-up changed.
    """
    conn = _conn(db)
    ids = list(dict.fromkeys(item_ids))
    if not ids:
        return 0
    concrete = {row[0] for row in conn.execute("SELECT id FROM units WHERE kind = 'concrete'")}
    members: dict[str, list[str]] = {}
    for collective_id, member_id in conn.execute(
        "SELECT collective_id, member_id FROM unit_members WHERE member = 1"
    ):
        if member_id in concrete:
            members.setdefault(collective_id, []).append(member_id)
    expanded: dict[tuple[str, ...], frozenset[str]] = {}

    def responsible(named: tuple[str, ...]) -> frozenset[str]:
        found = expanded.get(named)
        if found is None:
            found = expanded[named] = frozenset(
                [u for u in named if u in concrete] + [m for u in named for m in members.get(u, ())]
            )
        return found

    ruled: dict[tuple, tuple] = {}
    changed = 0
    for start in range(0, len(ids), _CHUNK):
        params = {"ids": json.dumps(ids[start : start + _CHUNK])}
        named: dict[str, list[str]] = {}
        for item_id, unit_id in conn.execute(
            f"SELECT item_id, unit_id FROM item_units WHERE item_id IN ({_JSON_IDS})", params
        ):
            named.setdefault(item_id, []).append(unit_id)
        reports: dict[str, dict[str, UnitState]] = {}
        for item_id, unit_id, status, has_notes in conn.execute(
            "SELECT item_id, unit_id, status, coalesce(notes, '') != '' FROM reports "
            f"WHERE item_id IN ({_JSON_IDS})",
            params,
        ):
            reports.setdefault(item_id, {})[unit_id] = UnitState(_status(status), bool(has_notes))
        updates = []
        for item_id, office, *stored in conn.execute(
            f"SELECT id, office_status, {', '.join(ROLLUP_COLUMNS)} FROM items "
            f"WHERE id IN ({_JSON_IDS})",
            params,
        ):
            units = responsible(tuple(sorted(named.get(item_id, ()))))
            mine = reports.get(item_id, {})
            key = (
                office,
                tuple(sorted(mine.get(unit_id, _NEVER) for unit_id in units))
                if mine
                else (_NEVER,) * len(units),
            )
            row = ruled.get(key)
            if row is None:  # the rule, once per distinct verdict and unit states
                row = ruled[key] = _stored(rollup(verdict_of(office), key[1]))
            if tuple(stored) != row:
                updates.append((*row, item_id))
        if updates:
            conn.executemany(
                f"UPDATE items SET {', '.join(f'{c} = ?' for c in ROLLUP_COLUMNS)} WHERE id = ?",
                updates,
            )
            changed += len(updates)
    return changed


_NEVER = UnitState()
"""A unit that never reported."""


def _stored(result: Rollup) -> tuple:
    """A roll-up as the values of :data:`ROLLUP_COLUMNS`."""
    return (
        result.status.value,
        result.units_total,
        result.units_done,
        result.units_reported,
        result.units_on_hold,
    )


def items_naming(db: Database | sqlite3.Connection, unit_ids: Iterable[str]) -> list[str]:
    """The items whose 责任单位 cell names any of these units (directly)."""
    rows = _conn(db).execute(
        "SELECT DISTINCT item_id FROM item_units WHERE unit_id IN (SELECT value FROM json_each(?))",
        [json.dumps(sorted(set(unit_ids)))],
    )
    return [row[0] for row in rows]


def items_naming_collectives(db: Database | sqlite3.Connection) -> list[str]:
    """The items whose 责任单位 cell names a collective unit."""
    rows = _conn(db).execute(
        "SELECT DISTINCT item_id FROM item_units JOIN units ON units.id = item_units.unit_id "
        "WHERE units.kind = 'collective'"
    )
    return [row[0] for row in rows]


def recompute_for_units(db: Database | sqlite3.Connection, unit_ids: Iterable[str]) -> int:
    """Recompute the roll-up of every item these units answer for, directly or through a
    collective they belong to, or (for a collective) through its members: after a
    membership or a unit changed.

    Returns:
        How many items' stored roll-up changed.
    """
    ids = sorted(set(unit_ids))
    collectives = [
        row[0]
        for row in _conn(db).execute(
            "SELECT collective_id FROM unit_members WHERE member_id IN "
            "(SELECT value FROM json_each(?))",
            [json.dumps(ids)],
        )
    ]
    return recompute_rollups(db, items_naming(db, [*ids, *collectives]))


# ---------------------------------------------------------------------- one item, for a write
_ITEM_STATE = f"""
SELECT r.item_id, r.unit_id, r.name, r.role, r.place, r.tie,
       items.office_status, items.notes AS office_notes,
       {", ".join(f"items.{c} AS rollup_{c}" for c in ROLLUP_COLUMNS)},
       categories.seq || '.' || key_tasks.seq || '.' || items.seq AS outline,
       reports.item_id IS NOT NULL AS has_report, reports.status, reports.notes,
       reports.last_reviewed, reports.updated_at, reports.updated_by
FROM items
JOIN key_tasks ON key_tasks.id = items.key_task_id
JOIN categories ON categories.id = key_tasks.category_id
LEFT JOIN ({_RESPONSIBLE.format(items=":item")}) AS r ON 1
LEFT JOIN reports ON reports.item_id = items.id AND reports.unit_id = r.unit_id
WHERE items.id = :item
"""


class _ItemState(NamedTuple):
    office: Status | None
    stored: tuple
    outline: str
    units: list[_Unit]

    def find(self, unit: str) -> _Unit | None:
        name = canonical_name(unit)
        for candidate in self.units:
            if unit in (candidate.unit_id, candidate.name) or name == candidate.name:
                return candidate
        return None

    def rollup(self, office: Status | None) -> Rollup:
        return rollup(office, [u.state() for u in self.units])


def _item_state(conn: sqlite3.Connection, item_id: str) -> _ItemState:
    """Everything a write needs to know of an item, in one statement.

    Raises:
        KeyError: no such item.
    """
    cursor = conn.execute(_ITEM_STATE, {"item": item_id})
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, row, strict=True)) for row in cursor]
    if not rows:
        raise KeyError(item_id)
    first = rows[0]
    if first["item_id"] is None:  # no responsible unit
        units: list[_Unit] = []
    else:
        gathered = _gather(
            (r["item_id"], r["unit_id"], r["name"], r["role"], r["place"], r["tie"]) for r in rows
        )[item_id]
        for r in rows:
            if r["has_report"]:
                gathered[r["unit_id"]].row = r
        units = _ordered(gathered)
    return _ItemState(
        office=verdict_of(first["office_status"]),
        stored=tuple(first[f"rollup_{c}"] for c in ROLLUP_COLUMNS),
        outline=str(first["outline"]),
        units=units,
    )


def item_rollup(db: Database | sqlite3.Connection, item_id: str, office: Status | None) -> tuple:
    """An item's roll-up under the office's verdict ``office``, from its stored
    reports, as the values of :data:`ROLLUP_COLUMNS` (one statement; nothing written).

    Raises:
        KeyError: no such item.
    """
    return _stored(_item_state(_conn(db), item_id).rollup(office))


def _refusal(conn: sqlite3.Connection, unit: str, outline: str) -> Exception:
    """The clerk's message for a unit that may not report on an item."""
    row = conn.execute(
        "SELECT name, kind FROM units WHERE id = ? OR name = ?", [unit, canonical_name(unit)]
    ).fetchone()
    if row is None:
        return _not_responsible_error(f"没有名为「{unit}」的单位，不能填报 {outline}。")
    if row[1] == "collective":
        return _not_responsible_error(
            f"{row[0]} 是集合单位，不能直接填报；请由它的成员单位各自填报 {outline}。"
        )
    return _not_responsible_error(f"{row[0]} 不是 {outline} 的责任单位，不能填报。")


def _report_value(unit: _Unit, field: str) -> str | None:
    row = unit.row or {}
    if field == "status":
        value = row.get("status")
        return Status.NOT_STARTED.value if value is None else value
    if field == "notes":
        return row.get("notes") or ""
    return row.get(field)


_INSERT_CHANGE = (
    f"INSERT INTO changes ({', '.join(CHANGE_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(CHANGE_COLUMNS))})"
)
_UPSERT_REPORT = (
    "INSERT INTO reports (item_id, unit_id, status, notes, last_reviewed, updated_at, "
    "updated_by) VALUES (:item_id, :unit_id, :status, :notes, :last_reviewed, :updated_at, "
    ":updated_by) ON CONFLICT (item_id, unit_id) DO UPDATE SET {field} = excluded.{field}, "
    "updated_at = excluded.updated_at, updated_by = excluded.updated_by"
)


class Reports(Settings):
    """Units' reports: reading them, and writing one unit's (the store's concept class;
    :class:`~tracker.store.edits.Edits` builds the office's writes on it)."""

    # ------------------------------------------------------------------ reads
    def responsible_units(self, item_id: str) -> list[ResponsibleUnit]:
        """The concrete units that answer for an item (named, or members of a collective
        named), in plan order, each with its role (members take the collective's; lead
        wins)."""
        return responsible_units(self.db, item_id)

    def reports(self, item_id: str) -> list[UnitReport]:
        """Every responsible unit's report on an item, in plan order; a unit that never
        reported gets 未启动, empty notes and ``updated_at`` None.

        Raises:
            KeyError: no such item.
        """
        state = _item_state(self.db.conn, item_id)
        return [_report(item_id, unit) for unit in state.units]

    def reports_of(self, item_ids: Iterable[str]) -> dict[str, list[UnitReport]]:
        """Every responsible unit's report on each of these items (see
        :meth:`reports`), read together: for listing many items."""
        return reports_of(self.db, item_ids)

    def report(self, item_id: str, unit: str) -> UnitReport:
        """One unit's report on an item (``unit`` is its id or name).

        Raises:
            KeyError: no such item.
            NotResponsible: the unit does not answer for the item.
        """
        state = _item_state(self.db.conn, item_id)
        found = state.find(unit)
        if found is None:
            raise _refusal(self.db.conn, unit, state.outline)
        return _report(item_id, found)

    def plan_reports(self, plan_id: str) -> list[UnitReport]:
        """Every responsible unit's report on every item of a plan: items in plan order,
        each item's units in plan order (a unit that never reported gets defaults).
        One statement (the office ledger's 分单位 sheet)."""
        items = (
            "SELECT items.id FROM items JOIN key_tasks ON key_tasks.id = items.key_task_id "
            "JOIN categories ON categories.id = key_tasks.category_id "
            "WHERE categories.plan_id = :plan"
        )
        cursor = self.db.conn.execute(
            "SELECT r.item_id, r.unit_id, r.name, r.role, r.place, r.tie, "
            "reports.item_id IS NOT NULL AS has_report, reports.status, reports.notes, "
            "reports.last_reviewed, reports.updated_at, reports.updated_by, "
            "categories.seq AS c, key_tasks.seq AS k, items.seq AS i "
            f"FROM ({_RESPONSIBLE.format(items=items)}) AS r "
            "JOIN items ON items.id = r.item_id "
            "JOIN key_tasks ON key_tasks.id = items.key_task_id "
            "JOIN categories ON categories.id = key_tasks.category_id "
            "LEFT JOIN reports ON reports.item_id = r.item_id AND reports.unit_id = r.unit_id "
            # Plan order by SQLite, which orders values of any type (a poisoned seq too).
            "ORDER BY categories.seq, key_tasks.seq, items.seq, items.id",
            {"plan": plan_id},
        )
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor]
        gathered = _gather(
            (r["item_id"], r["unit_id"], r["name"], r["role"], r["place"], r["tie"]) for r in rows
        )
        for r in rows:
            if r["has_report"]:
                gathered[r["item_id"]][r["unit_id"]].row = r
        in_plan_order = dict.fromkeys(r["item_id"] for r in rows)
        return [
            _report(item_id, unit)
            for item_id in in_plan_order
            if item_id in gathered
            for unit in _ordered(gathered[item_id])
        ]

    def unit_reports(self, unit: str, plan_id: str) -> list[UnitReport]:
        """A unit's reports on every item of a plan it answers for, in plan order (the
        items it never reported on included, with defaults).

        Raises:
            KeyError: no such unit.
        """
        row = self.db.execute(
            "SELECT id, name, kind FROM units WHERE id = ? OR name = ?",
            [unit, canonical_name(unit)],
        ).fetchone()
        if row is None:
            raise KeyError(unit)
        unit_id, name, kind = row
        if kind != "concrete":
            return []
        rows = self.db.query(
            "WITH named(item_id, role) AS ("
            "SELECT item_id, role FROM item_units WHERE unit_id = :unit UNION ALL "
            "SELECT item_units.item_id, item_units.role FROM item_units JOIN unit_members "
            "ON unit_members.collective_id = item_units.unit_id AND unit_members.member = 1 "
            "AND unit_members.member_id = :unit), "
            "mine(item_id, lead) AS (SELECT item_id, max(role = 'lead') FROM named "
            "GROUP BY item_id) "
            "SELECT items.id AS item_id, CASE WHEN mine.lead THEN 'lead' ELSE 'cooperating' "
            "END AS role, reports.status, reports.notes, reports.last_reviewed, "
            "reports.updated_at, reports.updated_by FROM mine "
            "JOIN items ON items.id = mine.item_id "
            "JOIN key_tasks ON key_tasks.id = items.key_task_id "
            "JOIN categories ON categories.id = key_tasks.category_id "
            "LEFT JOIN reports ON reports.item_id = items.id AND reports.unit_id = :unit "
            "WHERE categories.plan_id = :plan "
            "ORDER BY categories.seq, key_tasks.seq, items.seq",
            {"unit": unit_id, "plan": plan_id},
        )
        return [
            UnitReport.model_validate(
                {k: v for k, v in r.items() if v is not None} | {"unit": name, "unit_id": unit_id}
            )
            for r in rows
        ]

    # ------------------------------------------------------------------ writes
    def apply_unit_change(
        self,
        item_id: str,
        unit: str,
        field: str,
        value: str | None,
        by: str,
        expected: str | None = None,
        kind: str = "edit",
    ) -> ChangeRecord | None:
        """Set one field of a unit's report, log it (with the unit) and recompute the
        item's roll-up, in one committed transaction (at most six statements with
        BEGIN and COMMIT; seven when a unit's first notes make it count as reported).

        Args:
            unit: A concrete responsible unit's id or name.
            expected: If given, the value the clerk saw: another stored value (not
                already ``value``) raises ``ChangedUnderneath`` and writes nothing.

        Returns:
            The logged change, or None when the value was already ``value``.

        Raises:
            KeyError: no such item.
            NotResponsible: the unit does not answer for the item (nothing written).
        """
        if field not in REPORT_FIELDS:
            raise ValueError(f"not a report field: {field}")
        if field == "status":
            value = Status(value or Status.NOT_STARTED).value
        elif field == "notes":
            value = value or ""
        with self.write() as db:
            conn = db.conn
            state = _item_state(conn, item_id)
            target = state.find(unit)
            if target is None:
                raise _refusal(conn, unit, state.outline)
            old = _report_value(target, field)
            if old == value:
                return None
            if expected is not None and old != expected:
                raise ChangedUnderneath(item_id, field, current=old, expected=expected)
            now = self._now()
            row = {f: _report_value(target, f) for f in REPORT_FIELDS}
            row.update({field: value, "updated_at": now, "updated_by": by})
            conn.execute(
                _UPSERT_REPORT.format(field=field),
                {"item_id": item_id, "unit_id": target.unit_id, **row},
            )
            target.row = row
            change = ChangeRecord(
                id=uuid.uuid4().hex,
                item_id=item_id,
                field=field,
                old_value=old,
                new_value=value,
                changed_at=now,
                by=by,
                session_id=self.session_id,
                kind=kind,
                machine_id=self.machine_id,
                unit_id=target.unit_id,
            )
            conn.execute(_INSERT_CHANGE, [getattr(change, c) for c in CHANGE_COLUMNS])
            result = _stored(state.rollup(state.office))
            if result != state.stored:
                conn.execute(
                    f"UPDATE items SET {', '.join(f'{c} = ?' for c in ROLLUP_COLUMNS)} "
                    "WHERE id = ?",
                    [*result, item_id],
                )
            if field == "notes":
                index_notes(conn, item_id)
        return change


def _report(item_id: str, unit: _Unit) -> UnitReport:
    row = {k: v for k, v in (unit.row or {}).items() if k in UnitReport.model_fields}
    return UnitReport.model_validate(
        {k: v for k, v in row.items() if v is not None}
        | {"item_id": item_id, "unit": unit.name, "unit_id": unit.unit_id, "role": unit.role}
    )
