"""Who has reported: the office's matrix of items × responsible units, and the units
still owing their part of items that are due.

Each responsible concrete unit has its own report on an item (:mod:`.reports`); these
reads put them side by side for a category or a whole plan, in one statement each, so
the office sees at a glance which units have not reported (未填报) and which are
overdue. A unit that never reported has no ``reports`` row: 未启动 with no notes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from tracker.domain.models import Status
from tracker.domain.units import Role
from tracker.store.plans import ITEM_PLACE
from tracker.store.reports import _RESPONSIBLE, ResponsibleUnit, _gather, _ordered, _status
from tracker.store.settings import Settings

FINISHED = ("done", "ongoing")
"""A unit's own statuses that finish its part of an item as far as due dates go: 已完成
and 持续推进 (standing work is never overdue), as for the item itself. The units overdue
on an item are the others (``Store.units()`` counts them per unit the same way)."""


@dataclass(frozen=True)
class MatrixCell:
    """One responsible unit's report on one item, as the matrix shows it."""

    status: Status = Status.NOT_STARTED
    """The unit's own status (未启动 if it never reported)."""
    reported: bool = False
    """Whether it has reported: a status other than 未启动, or notes."""
    role: Role = Role.COOPERATING
    """``lead`` or ``cooperating`` (a collective's members take its role)."""


@dataclass(frozen=True)
class MatrixItem:
    """A row of the matrix: an item, its roll-up and its units' cells."""

    id: str
    outline: str
    """The item's outline number, e.g. ``1.2.1``."""
    content: str
    status: Status
    """The item's roll-up (the office's verdict, or what the units' reports add up to)."""
    cells: dict[str, MatrixCell] = field(default_factory=dict)
    """Per responsible concrete unit id; a unit not responsible has no cell."""

    @property
    def reported(self) -> int:
        """How many of its units have reported."""
        return sum(cell.reported for cell in self.cells.values())


@dataclass(frozen=True)
class UnitCounts:
    """A unit's row of the units × status view: its items by its own status."""

    unit_id: str
    name: str
    total: int = 0
    """Items of the scope it answers for."""
    unreported: int = 0
    """Of them, those it has not reported on (未填报)."""
    by_status: dict[Status, int] = field(default_factory=dict)
    """Of those it reported on, how many per own status (未启动: notes only)."""

    @property
    def reported(self) -> int:
        """Items it has reported on."""
        return self.total - self.unreported


@dataclass(frozen=True)
class ReportMatrix:
    """Items × responsible units for a category or a plan."""

    items: list[MatrixItem]
    """In plan order."""
    units: list[ResponsibleUnit]
    """The concrete units responsible for any of the items, in the order the scope first
    names them (a collective's members by pinyin, where it is named); ``role`` is the
    unit's role where it first appears."""

    def unit_counts(self) -> list[UnitCounts]:
        """Each unit's items by its own status, units that have reported nothing first,
        then those with the most items unreported; ties keep the scope's order."""
        counts = []
        for unit in self.units:
            cells = [item.cells[unit.unit_id] for item in self.items if unit.unit_id in item.cells]
            by_status = dict.fromkeys(Status, 0)
            for cell in cells:
                if cell.reported:
                    by_status[cell.status] += 1
            unreported = sum(not cell.reported for cell in cells)
            counts.append(UnitCounts(unit.unit_id, unit.name, len(cells), unreported, by_status))
        return sorted(counts, key=lambda c: (c.reported > 0, -c.unreported))


def _scope(category_id: str | None) -> str:
    where = "categories.plan_id = :plan"
    if category_id is not None:
        where += " AND categories.id = :category"
    return f"SELECT items.id FROM items {ITEM_PLACE} WHERE {where}"


class Matrix(Settings):
    """The office's view of the units' reports (the store's concept class)."""

    def report_matrix(self, plan_id: str, category_id: str | None = None) -> ReportMatrix:
        """Every item of a category (or of the plan, with None) with each responsible
        concrete unit's own status, in one statement.

        Args:
            plan_id: The plan.
            category_id: One of its categories, or None for every item of the plan.
        """
        params = {"plan": plan_id, "category": category_id}
        items_sql = _scope(category_id)
        # The items, then their responsible units with their reports, as one ordered list.
        rows = self.db.execute(
            "WITH scope(item_id) AS MATERIALIZED (" + items_sql + "), "
            "responsible AS MATERIALIZED ("
            + _RESPONSIBLE.format(items="SELECT item_id FROM scope")
            + ") "
            "SELECT items.id, 0, categories.seq || '.' || key_tasks.seq || '.' || items.seq, "
            "items.content, items.status, NULL, NULL, NULL, NULL, "
            "categories.seq, key_tasks.seq, items.seq "
            f"FROM items {ITEM_PLACE} WHERE items.id IN (SELECT item_id FROM scope) "
            "UNION ALL "
            "SELECT responsible.item_id, 1, responsible.unit_id, responsible.name, "
            "responsible.role, responsible.place, responsible.tie, reports.status, "
            "coalesce(reports.notes, '') != '', NULL, NULL, NULL FROM responsible "
            "LEFT JOIN reports ON reports.item_id = responsible.item_id "
            "AND reports.unit_id = responsible.unit_id",
            params,
        ).fetchall()
        items: dict[str, MatrixItem] = {}
        places: dict[str, tuple] = {}
        unit_rows = []
        for row in rows:
            if row[1] == 0:
                item_id, _, outline, content, status, *_, c, k, i = row
                items[item_id] = MatrixItem(item_id, str(outline), str(content), _status(status))
                places[item_id] = (c, k, i)
            else:
                unit_rows.append(row)
        order = sorted(items, key=places.__getitem__)
        gathered = _gather((r[0], r[2], r[3], r[4], r[5], r[6]) for r in unit_rows)
        reports = {(r[0], r[2]): (r[7], bool(r[8])) for r in unit_rows}
        first: dict[str, tuple[tuple, ResponsibleUnit]] = {}
        for item_id in order:
            item = items[item_id]
            for unit in _ordered(gathered.get(item_id, {})):
                status, has_notes = reports.get((item_id, unit.unit_id), (None, False))
                own = _status(status)
                item.cells[unit.unit_id] = MatrixCell(
                    own, own is not Status.NOT_STARTED or has_notes, unit.role
                )
                if unit.unit_id not in first:
                    first[unit.unit_id] = ((places[item_id], unit.place), unit.responsible)
        units = [unit for _, unit in sorted(first.values(), key=lambda f: f[0])]
        return ReportMatrix([items[i] for i in order], units)

    def unfinished_units(self, item_ids: Iterable[str]) -> dict[str, list[ResponsibleUnit]]:
        """For each item, its responsible concrete units whose own report is neither
        已完成 nor 持续推进 (those that still owe work by its due date), in plan order;
        one statement.

        Returns:
            Per item id (every one asked for), the units; empty when all are finished.
        """
        ids = list(dict.fromkeys(item_ids))
        found: dict[str, list[ResponsibleUnit]] = {item_id: [] for item_id in ids}
        if not ids:
            return found
        rows = self.db.execute(
            "SELECT r.* FROM ("
            + _RESPONSIBLE.format(items="SELECT value FROM json_each(:ids)")
            + ") AS r LEFT JOIN reports ON reports.item_id = r.item_id "
            "AND reports.unit_id = r.unit_id "
            f"WHERE coalesce(reports.status, 'not_started') NOT IN {FINISHED}",
            {"ids": json.dumps(ids)},
        )
        for item_id, units in _gather(rows).items():
            found[item_id] = [unit.responsible for unit in _ordered(units)]
        return found
