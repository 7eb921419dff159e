"""Units: who answers for which item, collective memberships and the clerk's aliases."""

from __future__ import annotations

from tracker.domain.models import Status, as_text
from tracker.domain.units import UnitKind, canonical_name
from tracker.errors import Refused
from tracker.store.derive import derive_items, ensure_unit
from tracker.store.derive import unit_id as unit_id_of
from tracker.store.plans import DUE, ITEM_PLACE, PROGRESS, PlanReads, with_progress
from tracker.store.records import ItemUnit, UnitRecord
from tracker.store.reports import recompute_for_units, recompute_rollups

# Who answers for which item: units named in it, and members of collectives named in it.
_RESPONSIBLE_CTE = """responsible(unit_id, item_id, role) AS (
    SELECT unit_id, item_id, role FROM item_units
    UNION ALL
    SELECT DISTINCT unit_members.member_id, item_units.item_id, 'collective' FROM item_units
    JOIN unit_members ON unit_members.collective_id = item_units.unit_id
        AND unit_members.member = 1
    WHERE NOT EXISTS (SELECT 1 FROM item_units AS direct
        WHERE direct.item_id = item_units.item_id AND direct.unit_id = unit_members.member_id)
)"""


class Units(PlanReads):
    """The units, their progress and memberships (progress is read like the plan's)."""

    def item_units(self, item_id: str) -> list[ItemUnit]:
        """The units an item's 责任单位 cell names, in order, with their roles."""
        return [
            ItemUnit(**row)
            for row in self.db.query(
                "SELECT units.id AS unit_id, units.name, units.kind, item_units.role "
                "FROM item_units JOIN units ON units.id = item_units.unit_id "
                "WHERE item_units.item_id = ? ORDER BY item_units.position",
                [item_id],
            )
        ]

    def units(self, plan_id: str | None = None) -> list[UnitRecord]:
        """The units with the progress of the items they answer for, concrete units
        first, by name: with ``plan_id``, only the units of that plan (named in it, or
        answering for its items through a collective it names); else every unit."""
        _, params = self._params(None)
        plan_clause = "1"
        if plan_id is not None:
            params["plan"] = plan_id
            plan_clause = "plans.id = :plan"
        rows = self.db.query(
            f"WITH {_RESPONSIBLE_CTE} "
            "SELECT units.id, units.name, units.kind, units.initials, "
            f"coalesce(progress.total, 0) AS total, "
            + ", ".join(f"coalesce(progress.s_{s.value}, 0) AS s_{s.value}" for s in Status)
            + ", coalesce(progress.overdue, 0) AS overdue, "
            "coalesce(progress.due_soon, 0) AS due_soon, coalesce(progress.lead, 0) AS lead, "
            "coalesce(progress.units_done, 0) AS units_done, "
            "coalesce(progress.units_total, 0) AS units_total "
            "FROM units LEFT JOIN ("
            f"SELECT unit_id, {PROGRESS}, sum(role = 'lead') AS lead FROM ("
            "SELECT responsible.unit_id, responsible.role, items.status AS status, "
            f"items.units_done, items.units_total, {DUE} AS due "
            f"FROM responsible JOIN items ON items.id = responsible.item_id {ITEM_PLACE} "
            f"JOIN plans ON plans.id = categories.plan_id WHERE {plan_clause}"
            ") GROUP BY unit_id) AS progress ON progress.unit_id = units.id "
            + ("WHERE progress.total > 0 " if plan_id is not None else "")
            + "ORDER BY units.kind DESC, units.name",
            params,
        )
        return [with_progress(UnitRecord, row) for row in rows]

    def units_in_plan_order(self, plan_id: str) -> list[str]:
        """The ids of the units a plan names, in the order the plan first names them.

        A unit reached only through a collective (a township through 各乡镇街委) comes
        where the plan first names that collective, after the units named there, by
        pinyin initials.
        """
        rows = self.db.execute(
            "WITH direct AS (SELECT item_units.unit_id AS unit_id, "
            "min(printf('%08d.%08d.%08d.%04d', categories.seq, key_tasks.seq, items.seq, "
            "item_units.position)) AS place "
            f"FROM item_units JOIN items ON items.id = item_units.item_id {ITEM_PLACE} "
            "WHERE categories.plan_id = ? GROUP BY item_units.unit_id) "
            "SELECT unit_id, place, '' FROM direct UNION ALL "
            "SELECT unit_members.member_id, direct.place || '~', "
            "coalesce(units.initials, '') || units.name FROM unit_members "
            "JOIN direct ON direct.unit_id = unit_members.collective_id "
            "JOIN units ON units.id = unit_members.member_id WHERE unit_members.member = 1",
            [plan_id],
        ).fetchall()
        first: dict[str, tuple[str, str]] = {}
        for unit_id, place, tie in rows:
            key = (place, tie)
            if unit_id not in first or key < first[unit_id]:
                first[unit_id] = key
        return sorted(first, key=first.__getitem__)

    def unit(self, name_or_id: str) -> UnitRecord | None:
        """A unit by its name or id (no progress figures), or None."""
        row = self.db.execute(
            "SELECT id, name, kind, initials FROM units WHERE id = ? OR name = ?",
            [name_or_id, canonical_name(name_or_id)],
        ).fetchone()
        if row is None:
            return None
        return UnitRecord(id=row[0], name=row[1], kind=row[2], initials=row[3] or "")

    def memberships(self, unit_id: str) -> list[str]:
        """The collectives a concrete unit belongs to, or the members of a collective."""
        rows = self.db.execute(
            "SELECT units.name FROM unit_members JOIN units ON units.id = "
            "CASE WHEN unit_members.member_id = :u THEN unit_members.collective_id "
            "ELSE unit_members.member_id END "
            "WHERE (unit_members.member_id = :u OR unit_members.collective_id = :u) "
            "AND unit_members.member = 1 ORDER BY units.name",
            {"u": unit_id},
        ).fetchall()
        return [as_text(row[0]) for row in rows]  # a merged file may hold a non-text name

    def membership_ids(self, unit_id: str) -> frozenset[str]:
        """The ids of a collective's members, or of the collectives a concrete unit
        belongs to (:meth:`memberships` gives their names)."""
        rows = self.db.execute(
            "SELECT CASE WHEN member_id = :u THEN collective_id ELSE member_id END "
            "FROM unit_members WHERE (member_id = :u OR collective_id = :u) AND member = 1",
            {"u": unit_id},
        ).fetchall()
        return frozenset(row[0] for row in rows)

    def add_unit(self, name: str) -> UnitRecord:
        """Add a unit (e.g. a township the plan names only as 各乡镇街委), with its
        default memberships."""
        name = canonical_name(name)
        if not name:
            raise Refused("单位名称不能为空")
        with self.write() as db:
            recompute_for_units(db, [ensure_unit(db, name)])
        record = self.unit(name)
        assert record is not None
        return record

    def set_membership(self, unit_id: str, collective_id: str, member: bool) -> None:
        """Say whether a concrete unit belongs to a collective unit (remembered over
        re-imports)."""
        with self.write() as db:
            kinds = dict(
                db.execute(
                    "SELECT id, kind FROM units WHERE id IN (?, ?)", [unit_id, collective_id]
                ).fetchall()
            )
            if kinds.get(collective_id) != UnitKind.COLLECTIVE.value:
                raise Refused("只能加入集合单位（如 区政府工作部门、各乡镇街委）")
            if kinds.get(unit_id) != UnitKind.CONCRETE.value:
                raise Refused("只有具体单位可以加入集合单位")
            db.execute(
                "INSERT INTO unit_members (collective_id, member_id, member, source) "
                "VALUES (?, ?, ?, 'configured') ON CONFLICT (collective_id, member_id) "
                "DO UPDATE SET member = excluded.member, source = 'configured'",
                [collective_id, unit_id, int(member)],
            )
            recompute_for_units(db, [collective_id])

    def aliases(self) -> dict[str, str]:
        """The clerk's unit aliases: another spelling → the name it means."""
        return dict(self.db.execute("SELECT alias, name FROM unit_aliases ORDER BY alias"))

    def set_alias(self, alias: str, name: str | None) -> int:
        """Make ``alias`` mean unit ``name`` in every plan (None forgets the alias), and
        re-read every item's units so the two spellings become one unit.

        Returns:
            How many items were re-read.

        Raises:
            Refused: an empty name, or an alias of itself.
        """
        alias, target = canonical_name(alias), canonical_name(name) if name else None
        if not alias or (name is not None and not target):
            raise Refused("别名和单位名称都不能为空")
        if alias == target:
            raise Refused("别名与单位名称相同")
        with self.write() as db:
            if target is None:
                db.execute("DELETE FROM unit_aliases WHERE alias = ?", [alias])
            else:
                db.execute(
                    "INSERT INTO unit_aliases (alias, name) VALUES (?, ?) "
                    "ON CONFLICT (alias) DO UPDATE SET name = excluded.name",
                    [alias, target],
                )
            ids = [row[0] for row in db.execute("SELECT id FROM items")]
            derive_items(db, ids)
            # The alias's own unit answers for nothing now: drop it unless configured.
            db.execute(
                "DELETE FROM unit_members WHERE source = 'default' AND (member_id = :u "
                "OR collective_id = :u) AND NOT EXISTS (SELECT 1 FROM item_units "
                "WHERE unit_id = :u)",
                {"u": unit_id_of(alias)},
            )
            db.execute(
                "DELETE FROM units WHERE id = :u AND NOT EXISTS (SELECT 1 FROM item_units "
                "WHERE unit_id = :u) AND NOT EXISTS (SELECT 1 FROM unit_members "
                "WHERE member_id = :u OR collective_id = :u) "
                "AND NOT EXISTS (SELECT 1 FROM reports WHERE unit_id = :u)",
                {"u": unit_id_of(alias)},
            )
            recompute_rollups(db, ids)  # the alias's memberships may have gone
        return len(ids)
