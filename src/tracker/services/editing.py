"""The one way the ledger is edited: statuses, reviews, notes drafts, undo and redo.

The app, ``tracker set``, ``tracker import-ledger`` and the flush after the app ends
all go through :class:`Editing`. It owns the rules that used to live in the main
screen: only standing items are reviewed, a status seen stale is not overwritten, the
clerk's changes are recorded for undo, notes are saved by the drafts' autosave policy
(:class:`~tracker.services.drafts.NoteDrafts`, with its injected clock) and a read-only
database refuses every edit.

Every edit is for one reporter: a unit (the clerk's unit, :attr:`Editing.unit`: its own
report on the item, as :mod:`tracker.store.reports` keeps it) or the office (no unit:
the office's verdict, notes and review). Drafts are kept per (item, reporter), and the
status a clerk "saw" is the reporter's own (for the office its verdict, never the
roll-up), so a change underneath is told only when one happened.

Each edit answers with an :class:`Outcome`: the rows that changed (and their new
records), the notices to show and the state of the save line. The service also hands
every outcome to its listeners (:meth:`Editing.listen`), so the window that repaints is
told even when another part of the app saved. It knows nothing of Textual.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from tracker import errors
from tracker.domain.deadlines import DeadlineKind
from tracker.domain.models import Status
from tracker.services.drafts import NoteDrafts
from tracker.services.undo import UndoStack
from tracker.store import ChangedUnderneath, ChangeRecord, ItemFilter, ItemRecord, Store, StoreError
from tracker.store.errors import NotResponsible

Severity = Literal["information", "warning", "error"]
SaveState = Literal["typing", "saved", "failed"]

READ_ONLY_TEXT = (
    "此数据库是只读的（如光盘、写保护的U盘或只读文件），不能修改。"
    "请先把它复制到本机可写的位置再打开。"
)
NOT_STANDING_TEXT = "只有常态长期任务（如及时公开、长期坚持）需要定期检查"
MERGED_TEXT = "这项任务的进展情况刚被另一窗口修改过；两处的文字已合并保存，请检查。"
FIELD_NAMES = {"status": "状态", "notes": "进展情况", "last_reviewed": "检查日期"}
"""How the clerk calls each ledger field (in the undo/redo toasts)."""


@dataclass(frozen=True)
class Notice:
    """A message for the clerk (a toast in the app, a line in the CLI)."""

    text: str
    title: str = ""
    severity: Severity = "information"
    timeout: float | None = None
    """Seconds it stays up; None for the front end's default."""


@dataclass(frozen=True)
class Outcome:
    """What an edit did, so the front end repaints only that and says what it must."""

    changed: tuple[str, ...] = ()
    """Items whose row is to be repainted (a status or review date written, or a
    refused edit whose control must show the stored value again)."""
    records: Mapping[str, ItemRecord] = field(default_factory=dict)
    """The new records of ``changed`` items, read under the caller's filter."""
    notes_saved: tuple[str, ...] = ()
    """Items whose notes drafts were committed."""
    reload_notes: tuple[str, ...] = ()
    """Items whose notes pane must show the stored text, not what is in it (an undo, or
    a save merged with another window's text)."""
    notices: tuple[Notice, ...] = ()
    save_state: SaveState | None = None
    """The save line: still typing, all saved, or a save failed (None: unchanged)."""
    change: ChangeRecord | None = None
    """The change written (for an undo or redo: the change taken back or made again)."""
    error: Exception | None = None
    """Why nothing was written: a store error, a change underneath, a refusal."""
    refused: bool = False
    """The edit was refused by a rule (read-only, not a standing item)."""

    @property
    def written(self) -> bool:
        """Whether the database was changed."""
        return self.change is not None


class Refused(StoreError, errors.Refused):
    """An edit a rule forbids (the message is for the clerk); nothing was written."""


Listener = Callable[[Outcome], None]

DRAFT_KEY_SEPARATOR = ":"
"""Between the item and the unit in a unit's draft key (ids are hex: never in them)."""


def draft_key(item_id: str, unit: str | None) -> str:
    """The key a draft is kept under: the item's id for the office's notes, the item's
    and the unit's ids for a unit's."""
    return item_id if unit is None else f"{item_id}{DRAFT_KEY_SEPARATOR}{unit}"


def draft_target(key: str) -> tuple[str, str | None]:
    """The item and the unit (None: the office) a draft key stands for."""
    item_id, _, unit = key.partition(DRAFT_KEY_SEPARATOR)
    return item_id, unit or None


def own_status(record: ItemRecord, unit: str | None) -> Status:
    """The status the reporter sets and sees in the status control: a unit's own (the
    record read as that unit), or the office's verdict (未启动 when it recorded none) —
    never the roll-up, which another's report may have moved."""
    if unit is not None:
        return record.status
    return record.office_status or Status.NOT_STARTED


class Editing:
    """Edits to one database by one clerk, with this session's undo history and drafts.

    Args:
        store: The open database.
        user: The clerk, recorded with every change.
        drafts: The unsaved notes (tests pass one with a fake clock); by default on
            :func:`time.monotonic`.
        read_only: Refuse every edit; default: whether the store is read-only.
    """

    def __init__(
        self,
        store: Store,
        user: str,
        drafts: NoteDrafts | None = None,
        read_only: bool | None = None,
    ) -> None:
        self.store = store
        self.user = user
        self.drafts = drafts if drafts is not None else NoteDrafts(time.monotonic)
        self.undo_stack = UndoStack()
        """The changes made since the service was made (Ctrl+Z / Ctrl+Y)."""
        self.read_only: bool = (
            bool(getattr(store, "read_only", False)) if read_only is None else read_only
        )
        """The database cannot be written (a snapshot on a CD or a locked USB stick)."""
        self._seen_notes: dict[str, str] = {}
        """What this window last read of each item's notes: typing starts from it, and a
        save finding something else there knows another window saved meanwhile."""
        self._listeners: list[Listener] = []
        self.unit: str | None = None
        """The unit (its id) whose reports this clerk edits; None: the office's verdict,
        notes and review. The app keeps it in step with its "my unit"."""
        self._refusals: dict[tuple[str, str], str | None] = {}
        """Per (item, unit): why the unit may not report on it (None: it may)."""

    # ------------------------------------------------------------------ listeners
    def listen(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` with every outcome from now on.

        Returns:
            A function that stops it.
        """
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _tell(self, outcome: Outcome) -> Outcome:
        for listener in list(self._listeners):
            listener(outcome)
        return outcome

    def refuse_if_read_only(self) -> bool:
        """Say why an edit does nothing on a read-only database; True if refused."""
        if self.read_only:
            self._tell(self._read_only_outcome())
        return self.read_only

    @staticmethod
    def _read_only_outcome(changed: tuple[str, ...] = ()) -> Outcome:
        notice = Notice(READ_ONLY_TEXT, title="只读", severity="warning", timeout=8)
        return Outcome(
            changed=changed, notices=(notice,), refused=True, error=Refused(READ_ONLY_TEXT)
        )

    # ------------------------------------------------------------------ reading
    def own_filter(self, flt: ItemFilter | None = None) -> ItemFilter | None:
        """The filter to read one item with as this clerk sees it: for a unit, as that
        unit (its own status, notes and review); for the office, ``flt`` as given."""
        if self.unit is None or self.reads_own(flt):
            return flt
        return ItemFilter(unit_id=self.unit, as_unit=True)

    def reads_own(self, flt: ItemFilter | None) -> bool:
        """Whether records read under ``flt`` show this clerk's own fields."""
        if self.unit is None:
            return flt is None or not flt.as_unit
        return flt is not None and flt.as_unit and flt.unit_id == self.unit

    def item(self, item_id: str, flt: ItemFilter | None = None) -> ItemRecord:
        """An item as the clerk is to see it: stored (a unit's clerk: its own report,
        with when and by whom it was last updated), with any unsaved notes typed for it.

        The stored notes are remembered as the base the next typing starts from.
        """
        stored = self.store.item(item_id, self.own_filter(flt))
        if self.unit is not None:
            stored = self._with_report(stored)
        self._seen_notes[draft_key(item_id, self.unit)] = stored.notes
        return self.shown(stored)

    def _with_report(self, record: ItemRecord) -> ItemRecord:
        """A record read as the clerk's unit, with its report's last update (not the
        office's); notes that the unit may not report on are marked refused."""
        unit = self.unit
        assert unit is not None
        try:
            report = self.store.report(record.id, unit)
        except NotResponsible as refusal:
            self._refusals[(record.id, unit)] = str(refusal)
            return record.model_copy(update={"updated_at": None, "updated_by": None})
        self._refusals[(record.id, unit)] = None
        return record.model_copy(
            update={"updated_at": report.updated_at, "updated_by": report.updated_by}
        )

    def refusal(self, item_id: str) -> str | None:
        """Why this clerk may not report on an item (a unit not responsible for it), or
        None when they may (always, for the office)."""
        unit = self.unit
        if unit is None:
            return None
        key = (item_id, unit)
        if key not in self._refusals:
            try:
                self.store.report(item_id, unit)
            except NotResponsible as refusal:
                self._refusals[key] = str(refusal)
            except KeyError:
                return None
            else:
                self._refusals[key] = None
        return self._refusals[key]

    def own_status(self, record: ItemRecord) -> Status:
        """The status this clerk sets on an item and sees in its control (see
        :func:`own_status`); ``record`` read as :meth:`item` reads it."""
        return own_status(record, self.unit)

    def shown(self, record: ItemRecord) -> ItemRecord:
        """A stored record with any unsaved notes typed for it (by this clerk)."""
        draft = self.drafts.get(draft_key(record.id, self.unit))
        return record if draft is None else record.model_copy(update={"notes": draft})

    def _records(self, item_ids: tuple[str, ...], flt: ItemFilter | None) -> dict[str, ItemRecord]:
        """The stored records of changed items (remembered as what this window read)."""
        records = {}
        for item_id in item_ids:
            try:
                records[item_id] = record = self.store.item(item_id, flt)
            except KeyError:
                continue  # gone meanwhile (another window removed its plan)
            if self.reads_own(flt):
                if self.unit is not None:
                    records[item_id] = record = self._with_report(record)
                self._seen_notes[draft_key(item_id, self.unit)] = record.notes
        return records

    def _refused(self, error: NotResponsible, changed: tuple[str, ...] = ()) -> Outcome:
        """A unit that does not answer for the item: its message, nothing written."""
        notice = Notice(str(error), title="不能填报", severity="warning", timeout=10)
        return Outcome(changed=changed, notices=(notice,), refused=True, error=error)

    # ------------------------------------------------------------------ status
    def set_status(
        self,
        item_id: str,
        status: Status,
        seen: Status | None = None,
        flt: ItemFilter | None = None,
    ) -> Outcome:
        """Set an item's status, logged and undoable.

        Args:
            seen: The status the clerk sees (their own: see :func:`own_status`): if
                another window changed it since, their change is not overwritten unseen
                (nothing is written, and they are told).
            flt: The filter the caller shows items under (for the new record).
        """
        if self.read_only:
            return self._tell(self._read_only_outcome((item_id,)))
        changed = (item_id,)
        try:
            change = self.store.apply_change(
                item_id,
                "status",
                Status(status).value,
                self.user,
                expected=None if seen is None else Status(seen).value,
                unit=self.unit,
            )
        except NotResponsible as refusal:
            return self._tell(self._refused(refusal, changed))
        except ChangedUnderneath as conflict:
            current = Status(conflict.current).label if conflict.current else "?"
            text = (
                f"这项任务的状态刚被另一窗口改为「{current}」，本次未修改。如仍要修改，请再按一次。"
            )
            notice = Notice(text, severity="warning", timeout=10)
            records = self._records(changed, flt)
            return self._tell(Outcome(changed, records, notices=(notice,), error=conflict))
        except (sqlite3.Error, StoreError) as error:
            notice = Notice(f"状态未能保存：{error}", severity="error", timeout=10)
            # Show the status that is really stored.
            records = self._records(changed, flt)
            return self._tell(Outcome(changed, records, notices=(notice,), error=error))
        records = self._records(changed, flt)
        if change is None:
            return self._tell(Outcome(changed, records))
        self.undo_stack.record(change)
        # Say what changed and how to take it back: a status key is one keystroke.
        outline = records[item_id].outline if item_id in records else item_id
        notice = Notice(f"已将 {outline} 设为 {Status(status).label}（Ctrl+Z 撤销）")
        return self._tell(
            Outcome(changed, records, notices=(notice,), save_state="saved", change=change)
        )

    def cycle_status(
        self, item_id: str, seen: Status | None = None, flt: ItemFilter | None = None
    ) -> Outcome:
        """Move an item to the status after the clerk's own stored one."""
        stored = self.store.item(item_id, self.own_filter(None))
        return self.set_status(item_id, self.own_status(stored).next(), seen, flt)

    def mark_reviewed(self, item_id: str, flt: ItemFilter | None = None) -> Outcome:
        """Record that a standing item was reviewed today (by the store's clock).

        Only standing work (及时公开, 长期坚持, or a dated item done and standing since)
        is reviewed; any other item is refused with a message and nothing written.
        """
        if self.read_only:
            return self._tell(self._read_only_outcome())
        item = self.store.item(item_id, self.own_filter(None))
        standing = item.deadline_kind is DeadlineKind.STANDING or (
            item.deadline_kind is DeadlineKind.DATE_THEN_STANDING and item.status is Status.DONE
        )
        if not standing:
            notice = Notice(NOT_STANDING_TEXT, severity="warning")
            return self._tell(
                Outcome(notices=(notice,), refused=True, error=Refused(NOT_STANDING_TEXT))
            )
        try:
            change = self.store.apply_change(
                item_id, "last_reviewed", self.store.today().isoformat(), self.user, unit=self.unit
            )
        except NotResponsible as refusal:
            return self._tell(self._refused(refusal))
        except (sqlite3.Error, StoreError) as error:
            notice = Notice(f"未能保存：{error}", severity="error", timeout=10)
            return self._tell(Outcome(notices=(notice,), error=error))
        self.undo_stack.record(change)
        changed = (item_id,)
        return self._tell(
            Outcome(changed, self._records(changed, flt), save_state="saved", change=change)
        )

    def save_notes(self, item_id: str, notes: str, flt: ItemFilter | None = None) -> Outcome:
        """Replace an item's notes at once (a command, not typing), logged and undoable."""
        if self.read_only:
            return self._tell(self._read_only_outcome())
        try:
            change = self.store.apply_change(item_id, "notes", notes, self.user, unit=self.unit)
        except NotResponsible as refusal:
            return self._tell(self._refused(refusal))
        except (sqlite3.Error, StoreError) as error:
            notice = Notice(f"进展情况未能保存：{error}", severity="error", timeout=10)
            return self._tell(Outcome(notices=(notice,), error=error))
        self.undo_stack.record(change)
        changed = (item_id,)
        return self._tell(
            Outcome(
                changed,
                self._records(changed, flt),
                notes_saved=changed,
                reload_notes=changed,
                save_state="saved" if change is not None else None,
                change=change,
            )
        )

    def apply_change(
        self,
        item_id: str,
        field_name: str,
        value: str | None,
        expected: str | None,
        unit: str | None = None,
    ) -> ChangeRecord | None:
        """Write one ledger field stating the value it replaces (an imported ledger's row):
        of ``unit``'s report, or (None) the office's verdict and notes.

        Args:
            unit: The unit whose report it is; None: the office's (an import names its unit
                with ``--by``, it never takes the clerk's own by default).

        Returns:
            The logged change, or None when the field held ``value`` already.

        Raises:
            Refused: the database is read-only.
            ChangedUnderneath: the field holds neither ``expected`` nor ``value``.
            NotResponsible: the unit does not answer for the item.
        """
        if self.read_only:
            raise Refused(READ_ONLY_TEXT)
        # Not on the undo stack: an import is taken back by importing again, not by Ctrl+Z.
        return self.store.apply_change(
            item_id, field_name, value, self.user, expected=expected, unit=unit
        )

    # ------------------------------------------------------------------ notes drafts
    def edit_notes(self, item_id: str, text: str) -> Outcome:
        """The clerk typed: keep the text as a draft; save it now if typing went on long.

        Returns:
            The typing outcome, or the save's when one was due (after
            :data:`~tracker.services.drafts.SAVE_AT_LEAST_EVERY` of continuous typing).
        """
        if self.read_only:
            return self._tell(self._read_only_outcome())
        refusal = self.refusal(item_id)
        if refusal is not None:
            return self._tell(self._refused(NotResponsible(refusal)))
        key = draft_key(item_id, self.unit)
        self.drafts.edit(key, text, base=self._seen_notes.get(key))
        if self.drafts.is_due():
            return self.save_drafts()
        return self._tell(Outcome(save_state="typing"))

    def due_in(self) -> float | None:
        """Seconds until the drafts are due for saving (0: now); None when nothing is pending."""
        return self.drafts.due_in()

    def save_due(self) -> Outcome | None:
        """Save the drafts if they are due (a timer fired); None if nothing was due."""
        return self.save_drafts() if self.drafts.is_due() else None

    def save_drafts(self) -> Outcome:
        """Commit every unsaved note now, one transaction each (merged with another
        window's text if that saved meanwhile). A failed save keeps its draft, to be
        retried when :meth:`due_in` says."""
        pending = self.drafts.pending()
        if not pending:
            return Outcome()  # every item switch asks: nothing to do, nothing to tell
        merged: list[str] = []
        failures = self.flush(merged=merged)
        notices = tuple(
            Notice(MERGED_TEXT, title="已合并两处的修改", severity="warning", timeout=15)
            for _ in merged
        )
        if failures:
            self.drafts.retry_later()
            _, error = failures[0]
            return self._tell(Outcome(notices=notices, save_state="failed", error=error))
        saved = tuple(dict.fromkeys(draft_target(key)[0] for key in pending))
        return self._tell(
            Outcome(
                notes_saved=saved, reload_notes=tuple(merged), notices=notices, save_state="saved"
            )
        )

    def flush(
        self, via: Store | None = None, merged: list[str] | None = None
    ) -> list[tuple[str, Exception]]:
        """Save every draft: on an item switch, focus loss, quit, a signal, a hang-up,
        and after the app has ended.

        Args:
            via: The store to write through (the exit deadline's own connection, from
                its thread); default: this service's.
            merged: Collects the items whose notes had to be merged with another
                window's text.

        Returns:
            The drafts (their keys: :func:`draft_key`) that failed, with their errors
            (they stay pending; a unit's draft on an item it does not answer for is
            dropped, with its error).
        """
        store = via if via is not None else self.store
        refused: list[str] = []

        def save(key: str, text: str, base: str | None) -> None:
            item_id, unit = draft_target(key)
            try:
                change, was_merged = store.save_draft(item_id, text, self.user, base, unit=unit)
            except NotResponsible:
                refused.append(key)  # never to be saved: retrying would only fail again
                raise
            self.undo_stack.record(change)
            if was_merged and merged is not None:
                merged.append(item_id)

        failures = self.drafts.flush(save)
        for key in refused:
            self.drafts.saved(key, self.drafts.get(key) or "")
        return failures

    # ------------------------------------------------------------------ undo
    def undo(self, flt: ItemFilter | None = None) -> Outcome:
        """Undo the latest change made through this service (notes are saved first)."""
        return self._undo_or_redo(True, flt)

    def redo(self, flt: ItemFilter | None = None) -> Outcome:
        """Redo the latest undone change."""
        return self._undo_or_redo(False, flt)

    def _undo_or_redo(self, undo: bool, flt: ItemFilter | None) -> Outcome:
        if self.read_only:
            return self._tell(self._read_only_outcome())
        self.save_drafts()
        stack, verb = self.undo_stack, "撤销" if undo else "重做"
        try:
            change = (stack.undo if undo else stack.redo)(self.store, self.user)
        except ChangedUnderneath as conflict:
            notice = Notice(f"该项已被另一窗口修改，无法{verb}", severity="warning", timeout=8)
            return self._tell(Outcome(notices=(notice,), error=conflict))
        except (sqlite3.Error, StoreError) as error:
            notice = Notice(f"未能{verb}：{error}", severity="error", timeout=10)
            return self._tell(Outcome(notices=(notice,), error=error))
        if change is None:
            notice = Notice(f"没有可{verb}的修改（只能{verb}本次打开后的修改）")
            return self._tell(Outcome(notices=(notice,)))
        changed = (change.item_id,)
        notice = Notice(f"已{verb}：{FIELD_NAMES[change.field]}")
        return self._tell(
            Outcome(
                changed,
                self._records(changed, flt),
                reload_notes=changed,
                notices=(notice,),
                save_state="saved",
                change=change,
            )
        )
