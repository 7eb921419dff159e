"""App sessions: which windows opened the database, which never closed, what each saved."""

from __future__ import annotations

import uuid

from tracker.store.connection import Connection
from tracker.store.records import ChangeRecord, SessionRecord


class Sessions(Connection):
    """The ``sessions`` table and the changes recorded with each session."""

    def begin_session(self, by: str, host: str, pid: int) -> tuple[str, list[SessionRecord]]:
        """Record that an app window opened this database.

        Returns:
            The new session's id, and the earlier sessions that never closed (the app
            was killed, the machine lost power, or another window is still open).
        """
        open_before = [
            SessionRecord(**row)
            for row in self.db.query(
                "SELECT * FROM sessions WHERE ended_at IS NULL ORDER BY started_at"
            )
        ]
        session_id = uuid.uuid4().hex
        with self.write() as db:
            db["sessions"].insert(
                {
                    "id": session_id,
                    "started_at": self._now(),
                    "by": by,
                    "host": host,
                    "pid": pid,
                    "clean": 0,
                }
            )
        self.session_id = session_id
        return session_id, open_before

    def end_session(self, session_id: str, clean: bool = True) -> None:
        """Record that a session ended (cleanly, or found dead by a later one)."""
        with self.write() as db:
            db.execute(
                "UPDATE sessions SET ended_at = ?, clean = ? WHERE id = ? AND ended_at IS NULL",
                [self._now(), int(clean), session_id],
            )

    def session_changes(self, session_id: str) -> list[ChangeRecord]:
        """What a session saved, oldest first."""
        return [
            ChangeRecord(**row)
            for row in self.db.query(
                "SELECT * FROM changes WHERE session_id = ? ORDER BY changed_at, rowid",
                [session_id],
            )
        ]

    def unresolved_conflicts(self) -> int:
        """How many conflicts found by merges await the clerk (the app says so at start)."""
        sql = "SELECT count(*) FROM conflicts WHERE resolved_at IS NULL"
        return int(self.db.execute(sql).fetchone()[0])
