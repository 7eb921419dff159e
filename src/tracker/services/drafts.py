"""Unsaved notes, kept in the app's model rather than only in a widget, and when to save them.

A draft is keyed by the item it was typed for, so switching items, a widget being
removed or an error in a handler cannot lose it; the editing service
(:mod:`tracker.services.editing`) flushes the drafts (after a pause in typing, on item
switch, on focus loss, on quit, on a signal).

The autosave policy lives here too, by the drafts' own (injected) monotonic clock:
notes are due about half a second after typing stops, at least every
:data:`SAVE_AT_LEAST_EVERY` seconds while it goes on, and again a little later when a
save failed. Whoever runs a timer asks :meth:`NoteDrafts.due_in`.
"""

from __future__ import annotations

from collections.abc import Callable

SAVE_AFTER_PAUSE = 0.5
"""Seconds of no typing after which notes are saved."""
SAVE_AT_LEAST_EVERY = 1.5
"""Seconds of continuous typing after which notes are saved anyway: the promise is that
nothing typed more than 2 s ago is lost, and a timer may fire late on a busy machine.
Also how long a failed save waits before it is tried again."""


class NoteDrafts:
    """The notes typed but not yet saved, per item, and when typing on them began.

    Args:
        clock: Monotonic seconds (injected by tests).
    """

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._drafts: dict[str, str] = {}
        self._dirty_since: dict[str, float] = {}
        self._bases: dict[str, str | None] = {}
        self._due_at: float | None = None
        """When (by the clock) the drafts are next due for saving; None: nothing to save."""

    def edit(self, item_id: str, text: str, base: str | None = None) -> None:
        """Record the current text typed for an item.

        Args:
            item_id: The item typed for.
            text: The whole text now.
            base: The stored notes the typing started from (kept from the first edit
                until saved), so a save can tell whether another window saved since.
        """
        now = self._clock()
        self._drafts[item_id] = text
        self._dirty_since.setdefault(item_id, now)
        self._bases.setdefault(item_id, base)
        # The module's timings are read now, not bound once, so tests can stretch them.
        waited = now - self._dirty_since[item_id]
        if waited >= SAVE_AT_LEAST_EVERY:
            self._due_at = now
        else:
            self._due_at = now + min(SAVE_AFTER_PAUSE, SAVE_AT_LEAST_EVERY - waited)

    def due_in(self) -> float | None:
        """Seconds until the drafts are due for saving (0: now); None when none is pending."""
        if not self._drafts or self._due_at is None:
            return None
        return max(0.0, self._due_at - self._clock())

    def is_due(self) -> bool:
        """Whether a draft is pending and its save is due now."""
        return self.due_in() == 0.0

    def retry_later(self) -> None:
        """A save failed: the drafts are due again in :data:`SAVE_AT_LEAST_EVERY` seconds."""
        if self._drafts:
            self._due_at = self._clock() + SAVE_AT_LEAST_EVERY

    def base(self, item_id: str) -> str | None:
        """The stored notes an unsaved draft started from (None if unknown)."""
        return self._bases.get(item_id)

    def get(self, item_id: str) -> str | None:
        """The unsaved text for an item, if any."""
        return self._drafts.get(item_id)

    def pending(self) -> dict[str, str]:
        """Every unsaved draft, item id to text."""
        return dict(self._drafts)

    def dirty_for(self, item_id: str) -> float:
        """Seconds since the oldest unsaved edit of an item (0 when it is saved)."""
        since = self._dirty_since.get(item_id)
        return 0.0 if since is None else self._clock() - since

    def saved(self, item_id: str, text: str) -> None:
        """Forget a draft once ``text`` is committed, unless typing went on meanwhile."""
        if self._drafts.get(item_id) == text:
            del self._drafts[item_id]
            self._dirty_since.pop(item_id, None)
            self._bases.pop(item_id, None)
            if not self._drafts:
                self._due_at = None
        elif item_id in self._drafts:
            self._bases[item_id] = text  # typing went on from what is stored now

    def discard(self) -> None:
        """Forget every draft (once they are kept elsewhere, such as a rescue file)."""
        self._drafts.clear()
        self._dirty_since.clear()
        self._bases.clear()
        self._due_at = None

    def __bool__(self) -> bool:
        return bool(self._drafts)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._drafts

    def flush(self, save: Callable[[str, str, str | None], object]) -> list[tuple[str, Exception]]:
        """Save every draft with ``save(item_id, text, base)``.

        A draft whose save raises stays pending so it can be retried.

        Returns:
            The item ids that failed, with their errors.
        """
        failures: list[tuple[str, Exception]] = []
        for item_id, text in self.pending().items():
            try:
                save(item_id, text, self._bases.get(item_id))
            except Exception as error:  # kept and retried; reported to the caller
                failures.append((item_id, error))
            else:
                self.saved(item_id, text)
        return failures
