"""Remembered settings (my unit, the warning window, the review period, this copy's id)."""

from __future__ import annotations

from tracker.store.connection import Connection

DEFAULT_DUE_WINDOW = 14
"""Days before a due date when an open item turns yellow (临期), unless configured."""
REVIEW_PERIODS = ("month", "quarter")
"""Reporting periods in which standing work must be reviewed once."""


class Settings(Connection):
    """The ``settings`` table: one text value per key."""

    def setting(self, key: str) -> str | None:
        """A remembered setting (my unit, the warning window, ...), or None."""
        row = self.db.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
        return row[0] if row and isinstance(row[0], str) else None  # text, or not set

    def set_setting(self, key: str, value: str | None) -> None:
        """Remember a setting (None forgets it)."""
        with self.write() as db:
            if value is None:
                db.execute("DELETE FROM settings WHERE key = ?", [key])
            else:
                db.execute(
                    "INSERT INTO settings (key, value) VALUES (?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    [key, value],
                )

    @property
    def due_window(self) -> int:
        """Days before a due date when an item turns yellow (临期); setting ``due_window``."""
        value = self.setting("due_window")
        return int(value) if value and value.isdigit() else DEFAULT_DUE_WINDOW

    @property
    def review_period(self) -> str:
        """How often standing work is reviewed: ``month`` (default) or ``quarter``."""
        value = self.setting("review_period")
        return value if value in REVIEW_PERIODS else "month"

    @property
    def machine_id(self) -> str | None:
        """This database copy's id, recorded with every change it makes."""
        if self._machine_id is None:
            self._machine_id = self.setting("machine_id")
        return self._machine_id
