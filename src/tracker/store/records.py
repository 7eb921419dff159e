"""The store's row models: what a read returns and what a filter asks for.

Pydantic models over :class:`~tracker.domain.models.StoredRecord`, which tolerates
whatever a hand-edited file holds; no SQL here.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tracker.domain.deadlines import DeadlineKind, DueWarning
from tracker.domain.models import Status, StoredRecord
from tracker.domain.units import Role, UnitKind


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True)


class Progress(_Row):
    """Counts of a node's items (under the current filter)."""

    total: int = 0
    """All items under the node."""
    by_status: dict[Status, int] = Field(default_factory=dict)
    """Items per status."""
    overdue: int = 0
    """Open items past their due date (逾期)."""
    due_soon: int = 0
    """Open items due within the warning window (临期)."""
    units_done: int = 0
    """Summed over the items: responsible units that reported 已完成."""
    units_total: int = 0
    """Summed over the items: responsible concrete units."""

    @field_validator("units_done", "units_total", mode="before")
    @classmethod
    def _count(cls, value: object) -> int:
        # Sums of materialised counts: a hand-edited file can make them any value, and
        # a read model never raises on a stored value.
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**53:
            return value
        return 0

    @property
    def done(self) -> int:
        """Items whose status is 已完成."""
        return self.by_status.get(Status.DONE, 0)

    @property
    def rate(self) -> float:
        """The completion rate, 0–1 (0 for an empty node)."""
        return self.done / self.total if self.total else 0.0


class PlanRecord(StoredRecord):
    """A plan as stored."""

    id: str
    title: str
    year: int
    source: str | None = None
    progress: Progress = Progress()


class CategoryRecord(StoredRecord):
    """A category as stored, with its progress."""

    id: str
    plan_id: str
    seq: int
    no: str | None
    title: str
    progress: Progress = Progress()


class KeyTaskRecord(StoredRecord):
    """A key task as stored, with its progress."""

    id: str
    category_id: str
    seq: int
    title: str
    progress: Progress = Progress()


class ItemRecord(StoredRecord):
    """An item as stored, with where it sits in the plan and its warning today."""

    id: str
    key_task_id: str
    category_id: str
    plan_id: str
    plan_year: int
    seq: int
    outline: str = ""
    """The item's outline number, category.key-task.item (e.g. ``1.2.1``)."""
    content: str
    units_text: str
    deadline_text: str
    status: Status
    """The roll-up of the units' reports and the office's verdict; read as a unit
    (:attr:`ItemFilter.as_unit`), that unit's own status."""
    notes: str
    """The office's notes; read as a unit, that unit's own notes."""
    updated_at: str | None = None
    updated_by: str | None = None
    office_status: Status | None = None
    """The office's verdict (None: none recorded)."""
    units_total: int = 0
    """Concrete units responsible for the item."""
    units_done: int = 0
    """Of them, those that reported 已完成."""
    units_reported: int = 0
    """Of them, those that reported anything (a status or notes)."""
    units_on_hold: int = 0
    """Of them, those on hold (暂缓/受阻): the item is flagged when > 0."""
    deadline_kind: DeadlineKind = DeadlineKind.UNKNOWN
    due_date: date | None = None
    """The due date in force today (the next one for recurring deadlines)."""
    last_reviewed: date | None = None
    """When standing work was last reviewed (by the office; read as a unit, by it)."""
    warning: DueWarning = DueWarning.NONE
    """逾期 / 临期 / 正常 as of the store's today."""
    unit_role: str | None = None
    """How the filtered unit answers for it: ``lead``, ``cooperating`` or ``collective``."""
    key_task_title: str = ""
    category_no: str | None = None
    category_title: str = ""

    @model_validator(mode="after")
    def _no_warning_without_due_date(self) -> ItemRecord:
        if "due_date" in self.invalid and self.warning is not DueWarning.NONE:
            object.__setattr__(self, "warning", DueWarning.NONE)  # frozen: set once, here
        return self


class ItemUnit(StoredRecord):
    """A unit named in an item's 责任单位 cell."""

    unit_id: str
    name: str
    kind: UnitKind
    role: Role


class UnitRecord(StoredRecord):
    """A unit with the progress of every item it answers for (directly or via a collective)."""

    id: str
    name: str
    kind: UnitKind
    initials: str = ""
    progress: Progress = Progress()
    lead: int = 0
    """Items it leads (牵头)."""


class ItemFilter(_Row):
    """Which items to show; every part narrows the others (empty parts match all)."""

    unit_id: str | None = None
    """Items this unit answers for, named directly or through a collective unit."""
    statuses: frozenset[Status] = frozenset()
    """Only these statuses."""
    warnings: frozenset[DueWarning] = frozenset()
    """Only these warnings (逾期, 临期, 正常, 无)."""
    item_ids: frozenset[str] | None = None
    """Only these items."""
    text: str | None = None
    """Only items whose content, key task, category, units or notes contain this text."""
    text_units: frozenset[str] = frozenset()
    """…or that name one of these units (found by the text's pinyin initials)."""
    text_scan: bool = False
    """Match the text by scanning in plan order instead of the trigram index: faster
    when it is common (the scan stops at the first rows asked for)."""
    text_units_common: bool = False
    """The ``text_units`` answer for many items: walk the plan in order checking each
    item (stopping at the rows asked for) rather than fetch and sort all of theirs."""
    as_unit: bool = False
    """Read as the unit (``unit_id``, a concrete unit): an item's status, notes and last
    review are that unit's own report, and statuses are filtered and counted by it.
    False: the item's roll-up and the office's notes (``unit_id`` only selects)."""

    @property
    def is_empty(self) -> bool:
        """Whether the filter lets every item through."""
        return (
            self.unit_id is None
            and not self.statuses
            and not self.warnings
            and self.item_ids is None
            and not self.text
        )


CHANGE_COLUMNS = (
    "id",
    "item_id",
    "field",
    "old_value",
    "new_value",
    "changed_at",
    "by",
    "session_id",
    "kind",
    "machine_id",
    "unit_id",
)
"""The change log's columns, in the order merges and reports read and write them."""


class ChangeRecord(StoredRecord):
    """One entry of the append-only change log."""

    id: str
    item_id: str
    field: str
    old_value: str | None
    new_value: str | None
    changed_at: str
    by: str
    session_id: str | None = None
    """The app session that made it (None for the command line)."""
    kind: str = "edit"
    """``edit``, or ``undo``/``redo`` when it reverses or repeats an earlier change."""
    machine_id: str | None = None
    """The database copy (machine) that made it; kept when snapshots are merged."""
    unit_id: str | None = None
    """The unit whose report it changed; None for the office's own fields."""


class SessionRecord(StoredRecord):
    """An app window that opened the database."""

    id: str
    started_at: str
    ended_at: str | None = None
    by: str | None = None
    host: str | None = None
    pid: int | None = None
    clean: int = 0


class ImportResult(_Row):
    """What an import did."""

    plan_id: str
    categories: int
    key_tasks: int
    items: int
    new_items: int
    """Items that were not in the database before (0 when the plan was imported already)."""
