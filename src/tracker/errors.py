"""The error family: every error whose message is written for the clerk.

``str(error)`` is that message (in Chinese), shown as it is: the command line turns a
:class:`TrackerError` escaping a command into the message on stderr and exit status 1
(:class:`tracker.cli.TrackerGroup`), the app one escaping an action or a worker into a
notification (:class:`tracker.ui.app.TrackerApp`). Anything else that escapes is a bug
and surfaces as one.

The bottom layer: imports nothing from tracker. Each area's own classes (``StoreError``,
``PlanFormatError``, ``LedgerError``, ...) derive from these, so a caller can catch by
kind (:class:`NotFound`, :class:`Refused`, :class:`BadFile`) or by area.
"""

from __future__ import annotations


class TrackerError(Exception):
    """An error whose message (``str(error)``) is for the clerk."""


class NotFound(TrackerError):
    """No such plan, item, unit or conflict (or a name that matches several)."""


class Refused(TrackerError):
    """An operation the rules refuse: a read-only database, a value not allowed, an
    output file that exists. Nothing was changed."""


class BadFile(TrackerError):
    """A file that is not what it should be: a plan file, a snapshot, a ledger."""


class StorageError(TrackerError):
    """The database, the disk or a lock failed."""
