"""The command line: ``tracker`` opens the app; subcommands import and export.

Every command takes, before or after its name, ``--db PATH`` (and ``TRACKER_DB``),
``--user NAME`` (and ``TRACKER_USER``) for the clerk recorded in the change log, and
``--unit``, ``--today`` and ``--plan``. A database named by ``--db`` or ``TRACKER_DB``
must exist (only ``import`` creates one); the default one is created on first run.
Everything printed goes through :func:`tracker.cli.text.echo`.
"""

# ruff: noqa: E402 (the garbage collector is turned off before the imports, see below)
from __future__ import annotations

import gc
import os

# Start-up (issue 15). The imports below and the app's first frame allocate a great
# many long-lived objects: the garbage collector's passes over them, while nothing is
# garbage yet, cost tens of milliseconds. It is off during these imports (on again at
# the end of this module) and while the app builds its first frame (run_app; the main
# screen freezes what it built, then turns it back on). Pydantic's plugin discovery (a
# scan of every installed package's metadata) finds none we use; an explicit setting in
# the environment still wins.
_GC_WAS_ENABLED = gc.isenabled()
gc.disable()
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

import contextlib
import importlib
import sqlite3
import sys
from collections.abc import Callable, MutableMapping
from datetime import date
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from tracker.cli.common import (
    DB_HELP,
    PLAN_HELP,
    TODAY_HELP,
    UNIT_HELP,
    USER_HELP,
    Settings,
    TrackerCommand,
    common_options,
    open_store,
)
from tracker.cli.text import (
    DateParam,
    TrackerContext,
    echo,
    require_unit,
    table,
    use_chinese_click,
)
from tracker.errors import NotFound, TrackerError
from tracker.store import REVIEW_PERIODS, Store, StoreError
from tracker.ui.labels import printable
from tracker.ui.terminal import non_utf8_encoding, utf8_advice


class TrackerGroup(click.Group):
    """The command group: a :class:`~tracker.errors.TrackerError` (a database, file or
    lookup problem) ends any command with its message and exit status 1, never a
    traceback; click's own messages are Chinese, and every message's control characters
    are shown, not executed."""

    context_class = TrackerContext
    command_class = TrackerCommand
    group_class = type  # ``units`` is a TrackerGroup too

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("options_metavar", "[选项]")
        kwargs.setdefault("subcommand_metavar", "命令 [参数]...")
        self._registrars: list[Callable[[click.Group], None]] = []
        super().__init__(*args, **kwargs)

    # Commands defined in other modules are added when a command is looked up or listed
    # (``tracker list``, ``tracker --help``), not when ``tracker`` just opens the app.
    @property  # type: ignore[override]
    def commands(self) -> MutableMapping[str, click.Command]:
        if self._registrars:
            registrars, self._registrars = self._registrars, []
            for register in registrars:
                register(self)
        return self._commands

    @commands.setter
    def commands(self, value: MutableMapping[str, click.Command]) -> None:
        self._commands = value

    def register_later(self, module: str) -> None:
        """Add the commands of ``module`` (its ``register(group)``) when first needed."""
        self._registrars.append(lambda group: importlib.import_module(module).register(group))

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        # Commands built apart (``click.command`` in cli_ledger) get the same help.
        if type(cmd) is click.Command:
            cmd.context_class = TrackerContext
            if cmd.options_metavar == "[OPTIONS]":
                cmd.options_metavar = "[选项]"
        super().add_command(cmd, name)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        use_chinese_click()
        return super().main(*args, **kwargs)

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except click.ClickException as error:
            _show_safely(error)
            raise

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TrackerError as error:  # the clerk's message, never a traceback
            raise _show_safely(click.ClickException(str(error))) from error
        except click.ClickException as error:
            _show_safely(error)
            raise


def _show_safely(error: click.ClickException) -> click.ClickException:
    """The error, its message with control characters shown (a file or unit name in it
    may come from a snapshot)."""
    # click declares ``message`` final; it is the text ``show`` prints, so it is replaced.
    setattr(error, "message", printable(error.message))  # noqa: B010
    return error


class TerminalNotUtf8(click.ClickException):
    """The terminal is not UTF-8; exit status 2, like other problems with how we were run."""

    exit_code = 2

    def __init__(self, encoding: str) -> None:
        super().__init__(utf8_advice(encoding))
        self.encoding = encoding

    def show(self, file: Any = None) -> None:
        # Written in the terminal's own character set, so a GBK terminal shows Chinese.
        text = f"错误：{self.message}\n"
        stream = file or sys.stderr
        try:
            data = text.encode(self.encoding, errors="replace")
            stream.flush()
            stream.buffer.write(data)
            stream.buffer.flush()
        except (AttributeError, LookupError, OSError):
            click.echo(text, file=stream, nl=False)


class NoTerminal(click.ClickException):
    """The app was started without a terminal (``tracker > out.txt``): one line, exit 2."""

    exit_code = 2

    def __init__(self) -> None:
        super().__init__(
            "tracker 应用需要在终端窗口中运行（标准输出或输入不是终端，如 tracker > 文件）；"
            "命令行用法见 tracker --help"
        )

    def show(self, file: Any = None) -> None:
        click.echo(f"错误：{self.message}", file=file or sys.stderr)


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


@click.group(
    cls=TrackerGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="TRACKER_DB",
    metavar="文件",
    help=DB_HELP,
)
@click.option("--user", envvar="TRACKER_USER", metavar="经办人", help=USER_HELP)
@click.option("--unit", envvar="TRACKER_UNIT", metavar="单位", help=UNIT_HELP)
@click.option("--today", type=DateParam(), help=TODAY_HELP)
@click.option("--plan", envvar="TRACKER_PLAN", metavar="分工表", help=PLAN_HELP)
@click.version_option(
    package_name="tracker",
    prog_name="tracker",
    message="%(prog)s %(version)s",
    help="显示版本号并退出",
)
@click.pass_context
def main(
    ctx: click.Context,
    db_path: Path | None,
    user: str | None,
    unit: str | None,
    today: date | None,
    plan: str | None,
) -> None:
    """政务公开工作要点分工表台账。不带子命令时打开应用。

    \b
    例：
      tracker                         打开应用（首次运行自动载入 2023 年分工表）
      tracker import 分工表.docx --db 台账.db   新建数据库并导入分工表
      tracker --db 台账.db            使用已有的数据库
      tracker list --unit 区发改局 --overdue
      tracker export-snapshot 快照.db --db 台账.db
    --db、--user、--unit、--today、--plan 写在命令名之前或之后均可。
    """
    from_env = ParameterSource.ENVIRONMENT
    ctx.obj = Settings(
        db_path,
        user,
        unit=unit,
        today=today,
        plan=plan,
        db_from_env=ctx.get_parameter_source("db_path") == from_env,
        unit_from_env=ctx.get_parameter_source("unit") == from_env,
    )
    if ctx.invoked_subcommand is None:
        run_app(ctx.obj)


def run_app(settings: Settings) -> None:
    """Open the app on the database; save any draft however the app ends.

    Raises:
        TerminalNotUtf8: before anything is opened, in a terminal that is not UTF-8.
        NoTerminal: before anything is opened, when the output or input is not a terminal.
    """
    encoding = non_utf8_encoding()
    if encoding is not None:
        raise TerminalNotUtf8(encoding)
    if not (_isatty(sys.stdout) and _isatty(sys.stdin)):
        raise NoTerminal()  # the app would write escape codes into a file, and hang
    gc.disable()  # until the first frame is drawn (see the top of this module)
    try:
        from tracker.ui.app import TrackerApp  # the UI is loaded only when it is shown

        store = open_store(settings)
    except BaseException:
        gc.enable()
        raise
    try:
        if settings.unit:
            require_unit(store, settings.unit)
        plan_id = store.resolve_plan(settings.plan).id
    except BaseException:
        store.close()
        gc.enable()
        raise
    app = TrackerApp(store, settings.clerk, plan_id=plan_id, my_unit=settings.unit)
    failures: list[tuple[str, Exception]] = []
    try:
        app.run()
    finally:
        gc.enable()  # the app may have ended before its first frame
        # An error in a handler ends the app; what was typed is still saved (merged
        # with another window's text if that saved meanwhile), as every save is: by
        # the app's editing service.
        failures = app.editing.flush()
        if failures:  # the disk, the lock or the file failed: show the text, never drop it
            echo(_unsaved_notes(store, app.drafts.pending(), failures), err=True)
        try:
            session_id = getattr(app, "session_id", None)  # None: the app never began one
            if not app.drafts and session_id is not None:
                # An app ended by an error did not close cleanly: the next start says so.
                clean = getattr(app, "_exception", None) is None
                with contextlib.suppress(StoreError, sqlite3.Error):  # the file is gone
                    store.end_session(session_id, clean=clean)
        finally:
            store.close()
    if failures:
        raise click.ClickException("有进展情况没有保存，内容已在上面列出，请复制保存")
    if getattr(app, "ended_by_signal", False):
        # Signalled or hung up: everything is saved and closed. The interpreter's own
        # teardown can take most of a second on a busy machine; skip it.
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(app.return_code or 1)
    if app.return_code:
        sys.exit(app.return_code)


def _unsaved_notes(
    store: Store, pending: dict[str, str], failures: list[tuple[str, Exception]]
) -> str:
    """The notes that could not be saved, in full, for the clerk to copy."""
    lines = [f"以下进展情况没有保存（{failures[0][1]}）："]
    for item_id, _ in failures:
        try:
            title = store.item(item_id).content[:40]
        except (KeyError, StoreError, sqlite3.Error):
            title = item_id
        lines += ["", f"【{title}】", pending.get(item_id, "")]
    return "\n".join(lines)


@main.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--revises",
    metavar="PLAN",
    help="把文件作为已跟踪分工表 PLAN（编号、编号开头或标题）的修订版导入",
)
@click.option(
    "--new", "as_new", is_flag=True, help="作为单独的新分工表导入，不与已跟踪的分工表比对"
)
@click.option(
    "--year",
    type=click.IntRange(1900, 2999),
    help="分工表的年份（文件标题和文件名中都没有年份时必填）",
)
@click.option(
    "--dry-run", is_flag=True, help="只显示将导入的内容（层级、数量、前几条、提示），不写入"
)
@common_options
def import_command(
    settings: Settings,
    file: Path,
    revises: str | None,
    as_new: bool,
    year: int | None,
    dry_run: bool,
) -> None:
    """导入分工表文件：Word（.docx）、Excel（.xlsx）、CSV 或导出的文本（.txt）。

    --db 所指的数据库不存在时新建，只含导入的分工表。

    \b
    表格或分条列出的工作要点（「一、」「（一）」「1.」分级，任务后括注或另起一行写明
    牵头单位、责任单位、完成时限）均可导入。文件中没有年份时用 --year 指定；
    --dry-run 只预览，不写入。
    重复导入同一文件不会产生重复。已跟踪同一份分工表时（标题和年份相同，或同一年份、
    标题只差「（修订稿）」「调整」等字样）按修订版导入：列出新增、删除、改写的条目，
    把原条目的状态、进展和修改历史带入新条目；删除的条目不会丢失。

    \b
    例：tracker import 2023-分工表.docx --db 台账.db
        tracker import 工作要点.docx --year 2024 --dry-run
        tracker import 分工表（修订稿）.xlsx --revises 2023年全区政务公开工作要点分工表
    """
    from tracker.importers import read_plan
    from tracker.importers.parser import PlanFormatError
    from tracker.services.revisions import import_plan_or_revision

    if revises and as_new:
        raise click.UsageError("--revises 和 --new 不能同时使用")
    try:
        plan = read_plan(file, year=year)
    except PlanFormatError as error:
        raise click.ClickException(f"「{file}」{error}；未导入任何内容") from error
    except OSError as error:
        raise click.ClickException(f"无法读取「{file}」：{error.strerror}") from error
    if dry_run:
        from tracker.importers.preview import format_preview, preview_plan

        echo(f"预览（未写入任何内容）：{format_preview(preview_plan(plan))}")
        return
    store = open_store(settings, seed=False, create=True)
    try:
        _, message, revised = import_plan_or_revision(
            store, plan, settings.clerk, revises=revises, as_new=as_new
        )
    except NotFound as error:
        raise click.ClickException(f"{error}；未导入任何内容") from error
    finally:
        store.close()
    echo(f"{message}\n→ {settings.db}" if revised else f"{message} → {settings.db}")


@main.command("export-snapshot")
@click.argument("out", type=click.Path(path_type=Path), required=False)
@click.option("--force", is_flag=True, help="覆盖已存在的文件")
@common_options
def export_snapshot_command(settings: Settings, out: Path | None, force: bool) -> None:
    """导出 SQLite 快照：一个完整、独立的数据库文件，可上报、存档或在其他电脑合并。

    \b
    给出 --unit 时只导出该单位负责（含通过集合单位负责）的任务的进展和该单位自己的
    填报（不含其他单位的填报），供上报后在区政府办合并；各单位的快照合并时互不冲突
    （环境变量 TRACKER_UNIT 不会缩小快照的范围）。
    例：tracker export-snapshot 区发改局-2023-11.db --db 台账.db
        tracker export-snapshot 区发改局-2023-11.db --unit 区发改局   只含本单位的任务
        tracker export-snapshot --unit 区发改局   保存为 2023分工表-区发改局-日期.db
    """
    store = open_store(settings)
    try:
        # A unit on the command line (before or after the name); TRACKER_UNIT must not
        # narrow a snapshot.
        unit_name = None if settings.unit_from_env else settings.unit
        if out is None:  # the export name: <year>分工表-<unit or 全部>-<date>.db
            from tracker.store.outfile import export_name

            unit = store.unit(unit_name) if unit_name else None
            plans = store.plans()
            year = plans[0].year if plans else store.today().year
            out = Path(export_name(year, unit.name if unit else None, store.today(), "db"))
        if unit_name:
            from tracker.merge import export_unit_snapshot

            require_unit(store, unit_name)
            done = export_unit_snapshot(store, out, unit_name, force=force)
            echo(
                f"「{done.unit}」的 {done.items} 项任务、{done.reports} 条本单位填报、"
                f"{done.changes} 条修改记录"
            )
            written = done.path
        else:
            written = store.export_snapshot(out, force=force)
    finally:
        store.close()
    echo(f"快照已导出到：{written}")


@main.group("units", invoke_without_command=True)
@click.option(
    "--all", "all_plans", is_flag=True, help="列出所有分工表的单位（默认只列当前分工表的）"
)
@common_options
def units_command(settings: Settings, all_plans: bool) -> None:
    """列出当前分工表（--plan，默认最新）的责任单位；子命令可添加单位、设置集合单位的成员。

    \b
    集合单位（如 区直各部门、各乡镇街道、各科室）代表多个具体单位，按写法认出；默认
    成员按层级：区直/区政府…的为区级部门，市直/市政府…的为市级部门，各乡镇/各街道的为
    乡镇街道，各科室的为单位内的科室；可用 join / leave 调整。名称按分工表原文保留，
    同义的写法用 alias 合并。
    例：
      tracker units                                列出单位及其所属集合
      tracker units --all                          列出所有分工表的单位
      tracker units add 东城街道                   添加一个乡镇街道
      tracker units join 区发改局 被审计区级部门（单位）
      tracker units leave 区图书馆 区政府工作部门
      tracker units alias 各乡镇（街道） 各乡镇街道   两种写法算同一单位
    """
    ctx = click.get_current_context()
    if ctx.invoked_subcommand is not None:
        return
    store = open_store(settings)
    try:
        plan_id = None
        if not all_plans:
            plan_id = store.resolve_plan(settings.plan).id
        rows = []
        unassigned = 0
        for unit in store.units(plan_id):
            related = store.memberships(unit.id)
            if unit.kind.value == "collective":
                if related:
                    members = f"成员 {len(related)} 个"
                else:
                    members = "未设成员（工作可能无人认领）"
                    unassigned += bool(unit.progress.total)
                rows.append([unit.name, "集合单位", unit.progress.total, members])
            else:
                groups = "、".join(related) or "—"
                rows.append([unit.name, "具体单位", unit.progress.total, f"属于：{groups}"])
    finally:
        store.close()
    echo(table(["单位", "类别", "任务数", "集合单位／成员"], rows, right=[2]))
    if unassigned:
        echo(
            f"提示：{unassigned} 个集合单位未设成员，其任务不计入任何具体单位。"
            "设置成员：tracker units join 单位 集合单位，或在应用的责任单位（U）中按 m。",
            err=True,
        )


@units_command.command("add")
@click.argument("name")
@common_options
def units_add(settings: Settings, name: str) -> None:
    """添加单位（如计划中只以「各乡镇街委」出现的乡镇街道），自动加入默认的集合单位。"""
    store = open_store(settings)
    try:
        unit = store.add_unit(name)
        groups = "、".join(store.memberships(unit.id)) or "无"
        echo(f"已添加「{unit.name}」，属于：{groups}")
    finally:
        store.close()


def _set_membership(settings: Settings, unit_name: str, collective: str, member: bool) -> None:
    store = open_store(settings)
    try:
        unit = require_unit(store, unit_name)
        group = require_unit(store, collective)
        store.set_membership(unit.id, group.id, member)
        verb = "已加入" if member else "已移出"
        echo(f"「{unit.name}」{verb}「{group.name}」")
    finally:
        store.close()


@units_command.command("alias")
@click.argument("alias", required=False)
@click.argument("name", required=False)
@click.option("--remove", is_flag=True, help="删除别名 ALIAS")
@common_options
def units_alias(settings: Settings, alias: str | None, name: str | None, remove: bool) -> None:
    """让写法 ALIAS 与单位 NAME 算同一单位（适用于所有分工表）；不带参数时列出别名。

    \b
    例：tracker units alias 各乡镇（街道） 各乡镇街道
        tracker units alias 各乡镇（街道） --remove
    """
    store = open_store(settings)
    try:
        if alias is None:
            aliases = store.aliases()
            for key, value in aliases.items():
                echo(f"{key}\t→ {value}")
            if not aliases:
                echo("没有别名。添加：tracker units alias 别名 单位名称")
            return
        if remove == (name is not None):
            raise click.UsageError("请给出单位名称，或用 --remove 删除别名")
        items = store.set_alias(alias, None if remove else name)
        if remove:
            echo(f"已删除别名「{alias}」（重新识别了 {items} 条任务的责任单位）")
        else:
            echo(f"「{alias}」今后算作「{name}」（重新识别了 {items} 条任务的责任单位）")
    finally:
        store.close()


@units_command.command("join")
@click.argument("unit")
@click.argument("collective")
@common_options
def units_join(settings: Settings, unit: str, collective: str) -> None:
    """让具体单位 UNIT 属于集合单位 COLLECTIVE（其任务也归 UNIT 负责）。"""
    _set_membership(settings, unit, collective, True)


@units_command.command("leave")
@click.argument("unit")
@click.argument("collective")
@common_options
def units_leave(settings: Settings, unit: str, collective: str) -> None:
    """让具体单位 UNIT 不再属于集合单位 COLLECTIVE（重新导入也不会恢复）。"""
    _set_membership(settings, unit, collective, False)


SETTINGS = {
    "due-window": ("due_window", "临期提醒提前的天数（默认 14）"),
    "review-period": (
        "review_period",
        "常态工作的检查周期：month（每月，默认）或 quarter（每季度）",
    ),
}


@main.command("config")
@click.argument("key", type=click.Choice(sorted(SETTINGS)), required=False)
@click.argument("value", required=False)
@common_options
def config_command(settings: Settings, key: str | None, value: str | None) -> None:
    """查看或修改设置（保存在数据库中）。

    \b
    例：
      tracker config                       列出所有设置
      tracker config due-window 7          提前 7 天提醒临期
      tracker config review-period quarter 常态工作每季度检查一次
    """
    store = open_store(settings)
    try:
        if key is None:
            echo(f"due-window\t{store.due_window}\t{SETTINGS['due-window'][1]}")
            echo(f"review-period\t{store.review_period}\t{SETTINGS['review-period'][1]}")
            return
        name, meaning = SETTINGS[key]
        if value is None:
            current = store.due_window if key == "due-window" else store.review_period
            echo(f"{key}\t{current}\t{meaning}")
            return
        if key == "due-window" and not (value.isdigit() and 0 <= int(value) <= 366):
            raise click.ClickException("due-window 应为 0 到 366 之间的天数")
        if key == "review-period" and value not in REVIEW_PERIODS:
            raise click.ClickException("review-period 应为 month 或 quarter")
        store.set_setting(name, value)
        echo(f"已设置 {key} = {value}")
    finally:
        store.close()


for _module in ("items", "ledger", "merge", "serve"):
    main.register_later(f"tracker.cli.{_module}")
if _GC_WAS_ENABLED:
    gc.enable()
