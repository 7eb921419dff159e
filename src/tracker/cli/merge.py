"""Commands to gather snapshots: ``tracker merge``, ``tracker conflicts``, ``tracker resolve``.

Registered on the main group by :func:`register`, called by :mod:`tracker.cli`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from tracker.cli.common import Settings, common_options, open_store
from tracker.cli.text import echo, one_line
from tracker.domain.format import FIELD_LABELS, minute_label
from tracker.domain.models import Status
from tracker.store import StoreError

if TYPE_CHECKING:
    from tracker.merge import Conflict

# The merge package loads when a merge command runs: ``tracker`` itself opens the app
# without it (tests/test_startup.py).

KEEP_CHOICES = ("ours", "theirs", "both")
"""``resolve --keep`` choices: the values of :class:`tracker.merge.Keep` (a test keeps
them equal), spelled here so that the command's options need not load the merge."""


def show_value(field: str, value: str | None) -> str:
    """A field's value as a clerk reads it (a status by its label)."""
    if value is None or value == "":
        return "（空）"
    if field == "status":
        try:
            return Status(value).label
        except ValueError:
            return value
    return value


def _side(by: str | None, machine: str | None, at: str | None) -> str:
    when = minute_label(at)
    return f"（{by or '?'}，{machine or '未知机器'}，{when}）"


def conflict_lines(conflict: Conflict) -> list[str]:
    """A conflict for the terminal: both values in full."""

    def indented(text: str) -> str:
        return text.replace("\n", "\n      ")

    field = conflict.field
    content = one_line(conflict.item_content)
    label = FIELD_LABELS.get(field, field)
    if conflict.unit:  # a unit's report edited on two machines
        label = f"{one_line(conflict.unit)}的{label}"
    lines = [
        f"冲突 {conflict.id[:8]}　{label}　【{content[:40]}{'…' if len(content) > 40 else ''}】",
        f"  本机 {_side(conflict.ours_by, conflict.ours_machine, conflict.ours_at)}：",
        f"      {indented(show_value(field, conflict.ours_value))}",
        f"  对方 {_side(conflict.theirs_by, conflict.theirs_machine, conflict.theirs_at)}：",
        f"      {indented(show_value(field, conflict.theirs_value))}",
    ]
    if conflict.current_value not in (conflict.ours_value, conflict.theirs_value):
        lines.append(f"  当前：{indented(show_value(field, conflict.current_value))}")
    return lines


def register(group: click.Group) -> None:
    """Add the merge commands to the ``tracker`` group."""

    @group.command("merge")
    @click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
    @common_options
    def merge_command(settings: Settings, files: tuple[Path, ...]) -> None:
        """合并其他经办人（或各单位）导出的快照：双方的修改都保留，同时修改的列为冲突。

        FILES 可以是多个快照文件，或存放快照的文件夹（合并其中所有 .db 文件）。
        每个文件各自一个事务；无法合并的文件会说明原因并跳过，其余照常合并。

        \b
        例：
          tracker merge 区发改局.db --db 台账.db
          tracker merge 上报/ --db 台账.db          合并文件夹中的全部快照
          tracker merge 上报/*.db
        """
        from tracker.merge import expand_paths, merge_one

        paths = expand_paths(files)
        if not paths:
            raise click.ClickException("没有找到要合并的快照文件")
        store = open_store(settings)
        merged, refused, changes, items, conflicts = 0, 0, 0, 0, 0
        try:
            for path in paths:
                try:
                    result = merge_one(store, path, settings.clerk)
                except StoreError as error:
                    refused += 1
                    echo(f"✗ {error}", err=True)
                    continue
                merged += 1
                changes += result.changes_in
                items += result.items_updated
                conflicts += len(result.conflicts)
                echo(result.summary())
                for line in result.warnings():
                    echo(f"  ⚠ {line}")
                if len({c.by for c in result.from_whom}) > 1:
                    for who in result.from_whom:
                        echo(f"    {who.by}（{who.machine}）：{who.count} 条")
        finally:
            store.close()
        total = (
            f"合计：合并 {merged} 个文件，新增修改 {changes} 条，"
            f"更新任务 {items} 项，冲突 {conflicts} 条"
        )
        if refused:
            total += f"；{refused} 个文件未合并"
        echo(total)
        if conflicts:
            echo(
                "冲突可用 tracker conflicts 查看，"
                "用 tracker resolve 编号 --keep ours|theirs|both 处理"
            )
        if refused:
            click.get_current_context().exit(1)

    @group.command("conflicts")
    @click.option("--all", "show_all", is_flag=True, help="也列出已处理的冲突")
    @common_options
    def conflicts_command(settings: Settings, show_all: bool) -> None:
        """列出合并时发现的冲突（两处在互不知情时修改了同一项）。

        \b
        例：tracker conflicts --db 台账.db
        """
        from tracker.merge import keep_label, list_conflicts, list_quarantined

        store = open_store(settings)
        try:
            conflicts = list_conflicts(store, include_resolved=show_all)
            held = list_quarantined(store)
        finally:
            store.close()
        if held:
            echo(f"可疑修改 {len(held)} 条（日期比合并时本机时钟晚一天以上，已隔离，未采用）：")
            for change in held:
                content = " ".join(change.item_content.split())
                field = FIELD_LABELS.get(change.field, change.field)
                echo(
                    f"  {minute_label(change.changed_at)}　{change.by}"
                    f"（{change.machine or '未知机器'}）　{field}"
                    f"　【{content[:30]}{'…' if len(content) > 30 else ''}】："
                    f"{show_value(change.field, change.new_value)[:60]}"
                )
            echo("")
        if not conflicts:
            echo("没有待处理的冲突")
            return
        for conflict in conflicts:
            for line in conflict_lines(conflict):
                echo(line)
            if conflict.resolved_at:
                echo(
                    f"  已处理：{keep_label(conflict.resolution)}（{conflict.resolved_by}，"
                    f"{minute_label(conflict.resolved_at)}）"
                )
            echo("")
        open_count = sum(1 for c in conflicts if c.resolved_at is None)
        echo(f"共 {open_count} 条未处理的冲突。处理：tracker resolve 编号 --keep ours|theirs|both")

    @group.command("resolve")
    @click.argument("conflict_id")
    @click.option(
        "--keep",
        type=click.Choice(KEEP_CHOICES),
        required=True,
        help="ours 保留本机，theirs 保留对方，both 两者都保留（仅进展情况）",
    )
    @common_options
    def resolve_command(settings: Settings, conflict_id: str, keep: str) -> None:
        """处理一条冲突：所选的值作为一次正常修改记入日志。编号可只写前几位。

        \b
        例：tracker resolve 1a2b3c4d --keep theirs --db 台账.db
        """
        from tracker.merge import Keep, find_conflict, resolve_conflict

        store = open_store(settings)
        try:
            conflict = find_conflict(store, conflict_id)
            resolve_conflict(store, conflict.id, keep, settings.clerk)
        finally:
            store.close()
        echo(f"已处理冲突 {conflict.id[:8]}：{Keep(keep).label}")
