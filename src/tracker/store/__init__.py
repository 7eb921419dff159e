"""The local SQLite store: the plan's tasks, their statuses and notes, and the change log.

A thin, typed layer over sqlite-utils that knows nothing of the UI. Every write is
one committed transaction (``BEGIN IMMEDIATE``, so the busy timeout applies to the
read-modify-write as a whole) and appends what it changed to ``changes``.

One module per concept, each a class deriving from :class:`~.connection.Connection`
(so each sees ``self.db``, ``self.write()`` and the clock), composed here into the one
:class:`Store` every caller uses. Classes rather than functions taking a ``Database``:
callers keep the one object they hold (``store.items(...)``), with no second layer of
thin wrappers to keep in step, while each concept's SQL stays in its own module:

- :mod:`.connection` — opening, upgrading (with a backup), ``write()``, closing;
- :mod:`.files` — vetting a file before it is opened; :mod:`.errors` — the clerk's texts;
- :mod:`.records` — the row models and :class:`ItemFilter`;
- :mod:`.plans` — plan reads and the SQL they share; :mod:`.plan_import` — storing a plan;
  :mod:`.revisions` — storing a revised plan and carrying the clerks' work over;
- :mod:`.edits` — status, notes, reviews and the change log; :mod:`.reports` — each
  responsible unit's own report and the item's roll-up (:mod:`tracker.domain.rollup`);
- :mod:`.sessions`, :mod:`.settings`, :mod:`.units`;
- :mod:`.schema` (migrations), :mod:`.derive`, :mod:`.search_index`, :mod:`.snapshot`,
  :mod:`.outfile`, :mod:`.locations`.
"""

from __future__ import annotations

from tracker.store.connection import BUSY_TIMEOUT_MS, Clock, Connection, local_now
from tracker.store.edits import LEDGER_FIELDS, Edits
from tracker.store.errors import (
    ChangedUnderneath,
    NotResponsible,
    StoreBusy,
    StoreError,
    StoreReadOnly,
)
from tracker.store.files import QUICK_CHECK_MAX_BYTES
from tracker.store.plan_import import PlanImport, plan_rows
from tracker.store.plans import TRIGRAM, PlanReads
from tracker.store.records import (
    CategoryRecord,
    ChangeRecord,
    ImportResult,
    ItemFilter,
    ItemRecord,
    ItemUnit,
    KeyTaskRecord,
    PlanRecord,
    Progress,
    SessionRecord,
    UnitRecord,
)
from tracker.store.revisions import Revisions, RevisionWritten
from tracker.store.sessions import Sessions
from tracker.store.settings import DEFAULT_DUE_WINDOW, REVIEW_PERIODS, Settings
from tracker.store.units import Units

__all__ = [
    "BUSY_TIMEOUT_MS",
    "DEFAULT_DUE_WINDOW",
    "LEDGER_FIELDS",
    "QUICK_CHECK_MAX_BYTES",
    "REVIEW_PERIODS",
    "TRIGRAM",
    "CategoryRecord",
    "ChangeRecord",
    "ChangedUnderneath",
    "Clock",
    "ImportResult",
    "ItemFilter",
    "ItemRecord",
    "ItemUnit",
    "KeyTaskRecord",
    "NotResponsible",
    "PlanRecord",
    "Progress",
    "RevisionWritten",
    "SessionRecord",
    "Store",
    "StoreBusy",
    "StoreError",
    "StoreReadOnly",
    "UnitRecord",
    "local_now",
    "plan_rows",
]


class Store(Units, PlanReads, Revisions, PlanImport, Edits, Sessions, Settings, Connection):
    """The tracker database.

    Build one with :meth:`open`; tests pass a temporary path and a fixed clock.
    """
