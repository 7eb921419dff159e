"""Unsaved notes, kept in the app's model rather than only in a widget.

A draft is keyed by the item it was typed for, so switching items, a widget being
removed or an error in a handler cannot lose it; whoever owns the store flushes the
drafts (after a pause in typing, on item switch, on focus loss, on quit, on a signal).
"""

from __future__ import annotations

from collections.abc import Callable


class NoteDrafts:
    """The notes typed but not yet saved, per item, and when typing on them began.

    Args:
        clock: Monotonic seconds (injected by tests).
    """

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._drafts: dict[str, str] = {}
        self._dirty_since: dict[str, float] = {}

    def edit(self, item_id: str, text: str) -> None:
        """Record the current text typed for an item."""
        self._drafts[item_id] = text
        self._dirty_since.setdefault(item_id, self._clock())

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

    def __bool__(self) -> bool:
        return bool(self._drafts)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._drafts

    def flush(self, save: Callable[[str, str], object]) -> list[tuple[str, Exception]]:
        """Save every draft with ``save(item_id, text)``.

        A draft whose save raises stays pending so it can be retried.

        Returns:
            The item ids that failed, with their errors.
        """
        failures: list[tuple[str, Exception]] = []
        for item_id, text in self.pending().items():
            try:
                save(item_id, text)
            except Exception as error:  # kept and retried; reported to the caller
                failures.append((item_id, error))
            else:
                self.saved(item_id, text)
        return failures
