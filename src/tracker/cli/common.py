"""What the ``tracker`` group and its command modules share: the settings every command
takes (``--db``, ``--user``, ``--unit``, ``--today``, ``--plan``), the decorator that adds
them, opening the database, and the command class.

Imported at top level by :mod:`tracker.cli` (the group) and by the command modules
(:mod:`~tracker.cli.items`, :mod:`~tracker.cli.ledger`, :mod:`~tracker.cli.merge`,
:mod:`~tracker.cli.serve`); it imports none of them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import click
from pydantic import BaseModel, ConfigDict

from tracker.cli.text import DateParam, TrackerContext, echo, missing_database_message
from tracker.store import Store, StoreError
from tracker.store.locations import bundled_plan_path, default_db_path, default_user

DB_HELP = (
    "数据库文件（默认：用户数据目录下的 tracker.db；也可用环境变量 TRACKER_DB）；"
    "须已存在，新建请用 tracker import"
)
USER_HELP = "记录在修改日志中的经办人（默认：环境变量 TRACKER_USER，否则为登录名）"
UNIT_HELP = (
    "单位：只看（或只导出）该单位负责（含通过集合单位负责）的任务；也可用环境变量 TRACKER_UNIT"
)
TODAY_HELP = "按指定日期判断逾期、临期，用于补做某日的报告；默认为今天"
PLAN_HELP = (
    "分工表（编号或其开头、标题或年份，如 2023）；默认最新的一份；也可用环境变量 TRACKER_PLAN"
)


def common_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--db``, ``--user``, ``--unit``, ``--today`` and ``--plan`` to a command.

    Given after the command name they win over the same options before it (the
    group's), which win over the environment.
    """

    # No envvar here: the group reads TRACKER_DB / TRACKER_USER / ..., so an explicit
    # ``tracker --db X cmd`` is not overridden by the environment at the command level.
    @click.option(
        "--db",
        "db_path",
        type=click.Path(dir_okay=False, path_type=Path),
        metavar="文件",
        help=DB_HELP,
    )
    @click.option("--user", metavar="经办人", help=USER_HELP)
    # Named apart from the commands' own parameters (``units join UNIT …``).
    @click.option("--unit", "unit_option", metavar="单位", help=UNIT_HELP)
    @click.option("--today", "today_option", type=DateParam(), help=TODAY_HELP)
    @click.option("--plan", "plan_option", metavar="分工表", help=PLAN_HELP)
    @click.pass_context
    @functools.wraps(command)
    def wrapper(
        ctx: click.Context,
        db_path: Path | None,
        user: str | None,
        unit_option: str | None,
        today_option: date | None,
        plan_option: str | None,
        **kwargs: Any,
    ):
        inherited = ctx.find_object(Settings) or Settings()
        given = {
            "db_path": db_path,
            "user": user,
            "unit": unit_option,
            "today": today_option,
            "plan": plan_option,
        }
        update: dict[str, Any] = {key: value for key, value in given.items() if value}
        if "db_path" in update:
            update["db_from_env"] = False
        if "unit" in update:
            update["unit_from_env"] = False
        settings = inherited.model_copy(update=update)
        ctx.obj = settings  # subcommands of a group see these values
        return command(settings, **kwargs)

    return wrapper


class Settings(BaseModel):
    """The database, clerk, unit and day a command works with."""

    model_config = ConfigDict(frozen=True)

    db_path: Path | None = None
    """``--db``; None means the default in the user data directory."""
    user: str | None = None
    """``--user``; None means the login name."""
    unit: str | None = None
    """``--unit``: the clerk's unit."""
    today: date | None = None
    """``--today``: judge deadlines as of this day instead of the clock's."""
    plan: str | None = None
    """``--plan``: which plan (id or its start, title, or year); default the newest."""
    db_from_env: bool = False
    """The database was named by ``TRACKER_DB``, not ``--db`` (for the messages)."""
    unit_from_env: bool = False
    """The unit came from ``TRACKER_UNIT``, not ``--unit`` (it never narrows an export)."""

    def __init__(self, db_path: Path | None = None, user: str | None = None, **kwargs: Any):
        super().__init__(db_path=db_path, user=user, **kwargs)

    @property
    def db(self) -> Path:
        return self.db_path or default_db_path()

    @property
    def clerk(self) -> str:
        return self.user or default_user()


def open_store(settings: Settings, seed: bool = True, create: bool = False) -> Store:
    """Open the database.

    A database named by ``--db`` or ``TRACKER_DB`` must exist, unless ``create`` (for
    ``import``): a typo never makes a new, empty database. The default database is
    created on first run and, if ``seed``, loaded with the bundled plan.

    Raises:
        click.ClickException: with a message for the clerk.
    """
    path = settings.db
    explicit = settings.db_path is not None
    if explicit and not create:
        empty = path.is_file() and path.stat().st_size == 0  # SQLite would take it as new
        if not path.exists() or empty:
            raise click.ClickException(
                missing_database_message(path, from_env=settings.db_from_env, empty=empty)
            )
    try:
        store = Store.open(path)
    except StoreError as error:
        raise click.ClickException(str(error)) from error
    if store.upgrade_backup is not None:
        echo(f"数据库已升级到新格式；升级前的备份：{store.upgrade_backup}", err=True)
    store.today_override = settings.today
    try:
        if seed and not explicit and not store.has_plans():
            # The default database's first run (or one that ended before the plan loaded).
            from tracker.importers.parser import read_plan_file

            store.import_plan(read_plan_file(bundled_plan_path()))
    except BaseException:
        store.close()
        raise
    return store


class TrackerCommand(click.Command):
    """A command whose usage line reads in Chinese (``[选项]``), its help laid out by
    display width."""

    context_class = TrackerContext

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("options_metavar", "[选项]")
        super().__init__(*args, **kwargs)
