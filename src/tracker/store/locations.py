"""Where things live: the bundled plan and stylesheet, the default database, the clerk.

Nothing is resolved at import time; every path is computed when asked for.
"""

from __future__ import annotations

import getpass
import os
from importlib import resources
from pathlib import Path

import platformdirs

APP_NAME = "tracker"
BUNDLED_PLAN_NAME = "2023-tongchuan-gongkai-fengong.txt"


def _packaged_or_source(*parts: str) -> Path:
    """A file shipped inside the package (a wheel), else the repository's copy.

    The wheel carries ``tracker.tcss`` and ``data/`` inside the package; an editable
    install runs from the source tree, where they sit at the repository's top.
    """
    packaged = Path(str(resources.files("tracker").joinpath(*parts)))
    if packaged.exists():
        return packaged
    return Path(__file__).resolve().parents[3].joinpath(*parts)


def stylesheet_path() -> Path:
    """The app's stylesheet, ``tracker.tcss``."""
    return _packaged_or_source("tracker.tcss")


def bundled_plan_path() -> Path:
    """The 2023 plan that ships with the app."""
    return _packaged_or_source("data", BUNDLED_PLAN_NAME)


def default_db_path() -> Path:
    """The database in the user's data directory (``TRACKER_DB`` and ``--db`` override it)."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "tracker.db"


def default_user() -> str:
    """The clerk's name when neither ``--user`` nor ``TRACKER_USER`` gives one: the login."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USERNAME", "") or "未知用户"
