"""Scripting the ledger from the command line: ``tracker list`` and ``tracker set``.

Items are named by their outline number (category.key-task.item, e.g. ``1.2.1``), as
shown in the app. Every ``set`` is logged in ``changes`` like an edit in the app.
"""

from __future__ import annotations

import json

import click

from tracker.cli.common import Settings, common_options, open_store
from tracker.cli.text import echo, json_safe, one_line, require_unit, table
from tracker.domain.deadlines import DEADLINE_KIND_LABELS, DeadlineKind, DueWarning
from tracker.domain.models import STATUS_LABELS, Status
from tracker.services.editing import Editing, Outcome
from tracker.store import ItemFilter, ItemRecord, Store, StoreError

_STATUS_BY_WORD = {s.value: s for s in Status} | {label: s for s, label in STATUS_LABELS.items()}


def parse_status(word: str) -> Status:
    """A status from its code (``done``) or Chinese label (已完成).

    Raises:
        click.BadParameter: naming the accepted words.
    """
    status = _STATUS_BY_WORD.get(word.strip())
    if status is None:
        accepted = "、".join(f"{s.value}（{s.label}）" for s in Status)
        raise click.BadParameter(f"「{word}」不是状态；可用：{accepted}")
    return status


def _plan_id(store: Store, spec: str | None) -> str:
    return store.resolve_plan(spec).id


def _as_json(item: ItemRecord) -> dict:
    return {
        "outline": item.outline,
        "id": item.id,
        "category": item.category_title,
        "key_task": item.key_task_title,
        "content": item.content,
        "units": item.units_text,
        "deadline": item.deadline_text,
        "deadline_kind": item.deadline_kind.value,
        "due_date": item.due_date.isoformat() if item.due_date else None,
        "status": item.status.value,
        "status_label": item.status.label,
        "warning": item.warning.value,
        "notes": item.notes,
        "updated_at": item.updated_at,
        "updated_by": item.updated_by,
    }


def _done(outcome: Outcome) -> bool:
    """Whether an edit wrote anything; a store's refusal becomes the command's error."""
    if isinstance(outcome.error, StoreError):
        raise click.ClickException(str(outcome.error)) from outcome.error
    if outcome.error is not None:
        raise outcome.error
    return outcome.written


def register(main: click.Group) -> None:
    """Add ``list`` and ``set`` to the ``tracker`` command group."""

    @main.command("list")
    @click.option(
        "--status",
        "statuses",
        multiple=True,
        metavar="状态",
        help="只列出该状态（可多次给出；代码或中文）",
    )
    @click.option("--overdue", is_flag=True, help="只列出逾期的任务")
    @click.option("--due-soon", is_flag=True, help="只列出临期的任务")
    @click.option("--json", "as_json", is_flag=True, help="输出 JSON（供脚本使用）")
    @common_options
    def list_command(
        settings: Settings,
        statuses: tuple[str, ...],
        overdue: bool,
        due_soon: bool,
        as_json: bool,
    ) -> None:
        """列出任务（按大纲编号），可按单位、状态、逾期筛选。

        \b
        在终端中按窗口宽度截短「具体内容」；输出到文件或管道时不截短。
        例：
          tracker list --unit 区发改局 --overdue
          tracker --today 2023-08-25 list --status 推进中 --json
        """
        store = open_store(settings)
        try:
            plan_id = _plan_id(store, settings.plan)
            unit_id = require_unit(store, settings.unit).id if settings.unit else None
            warnings = frozenset(
                w
                for w, on in ((DueWarning.OVERDUE, overdue), (DueWarning.DUE_SOON, due_soon))
                if on
            )
            flt = ItemFilter(
                unit_id=unit_id,
                statuses=frozenset(parse_status(s) for s in statuses),
                warnings=warnings,
            )
            items = store.filtered_items(plan_id, flt)
        finally:
            store.close()
        if as_json:
            # Exactly the data (JSON escapes ESC); C1 and DEL escaped too.
            text = json.dumps([_as_json(i) for i in items], ensure_ascii=False, indent=2)
            click.echo(json_safe(text))
            return
        marks = {"overdue": "逾期", "due_soon": "临期"}
        rows = [
            [
                item.outline,
                item.status.label,
                marks.get(item.warning.value, ""),
                DEADLINE_KIND_LABELS[DeadlineKind.NONE]
                if item.deadline_kind is DeadlineKind.NONE
                else item.deadline_text,
                item.content,
            ]
            for item in items
        ]
        if rows:
            echo(table(["编号", "状态", "预警", "完成时限", "具体内容"], rows))
        echo(f"共 {len(items)} 项", err=True)

    @main.command("set")
    @click.argument("outline")
    @click.option("--status", metavar="状态", help="新状态：代码（done）或中文（已完成）")
    @click.option("--notes", metavar="文本", help="新的进展情况（整段替换）")
    @common_options
    def set_command(
        settings: Settings, outline: str, status: str | None, notes: str | None
    ) -> None:
        """修改一项任务的状态或进展情况，记入修改日志（与在应用中修改相同）。

        \b
        例：
          tracker set 1.2.1 --status done --notes "已在门户网站公开"
          tracker set 3.1.2 --status 推进中 --user 区发改局
        """
        if status is None and notes is None:
            raise click.UsageError("请至少给出 --status 或 --notes")
        new_status = parse_status(status) if status is not None else None
        store = open_store(settings)
        try:
            plan_id = _plan_id(store, settings.plan)
            item = store.item_by_outline(plan_id, outline)
            # The same service as the app's keys: the same rules, the same change log.
            editing = Editing(store, settings.clerk)
            changed = []
            if new_status is not None and _done(editing.set_status(item.id, new_status)):
                changed.append(f"状态 → {new_status.label}")
            if notes is not None and _done(editing.save_notes(item.id, notes)):
                changed.append("进展情况已更新")
            summary = "；".join(changed) if changed else "无变化"
            echo(f"{item.outline} {one_line(item.content)[:40]}：{summary}")
        finally:
            store.close()
