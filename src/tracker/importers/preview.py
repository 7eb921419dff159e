"""What an import would bring in, before anything is written: the preview that
``tracker import --dry-run`` prints and the app's import dialog shows.

It reads only the parsed :class:`~tracker.domain.models.Plan`: its levels, its counts, the first
items with their units (lead ★) and deadlines as the store would read them, and the
warnings a clerk should see first (items without units, deadlines that cannot be read or
need the issue date, collectives that have no default members).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tracker.domain.deadlines import DeadlineKind, parse_deadline
from tracker.domain.models import Plan
from tracker.domain.units import Role, UnitKind, collective_levels, parse_units

FIRST_ITEMS = 5
"""How many items the preview lists."""
CONTENT_WIDTH = 40
"""Characters of an item's content shown."""


@dataclass(frozen=True)
class ItemPreview:
    """One item as it would be stored."""

    outline: str
    content: str
    leads: tuple[str, ...]
    cooperating: tuple[str, ...]
    deadline: str
    meaning: str
    """What the deadline was read as: its due date, or its kind's label."""


@dataclass(frozen=True)
class PlanPreview:
    """A plan as it would be imported."""

    title: str
    year: int
    issued: str | None
    levels: int
    """3 (工作任务 → 重点工作任务 → 具体任务) or 2 (no key tasks)."""
    categories: int
    key_tasks: int
    items: int
    first: tuple[ItemPreview, ...]
    warnings: tuple[str, ...] = field(default=())


def _examples(outlines: list[str]) -> str:
    shown = "、".join(outlines[:3])
    return f"{shown} 等" if len(outlines) > 3 else shown


def preview_plan(
    plan: Plan, aliases: dict[str, str] | None = None, first: int = FIRST_ITEMS
) -> PlanPreview:
    """Describe what importing ``plan`` would store (nothing is written)."""
    rows: list[ItemPreview] = []
    no_units: list[str] = []
    unknown: list[str] = []
    undated: list[str] = []
    no_deadline = 0
    vague: dict[str, None] = {}
    for c_seq, category in enumerate(plan.categories, start=1):
        for k_seq, key_task in enumerate(category.key_tasks, start=1):
            for i_seq, item in enumerate(key_task.items, start=1):
                outline = f"{c_seq}.{k_seq}.{i_seq}"
                mentions = parse_units(item.units_text, aliases)
                deadline = parse_deadline(item.deadline_text, plan.year, plan.issued)
                if not mentions:
                    no_units.append(outline)
                for mention in mentions:
                    if mention.kind is UnitKind.COLLECTIVE and not collective_levels(mention.name):
                        vague[mention.name] = None
                if deadline.kind is DeadlineKind.UNKNOWN:
                    unknown.append(outline)
                elif deadline.kind is DeadlineKind.RELATIVE and deadline.months:
                    undated.append(outline)
                elif deadline.kind is DeadlineKind.NONE:
                    no_deadline += 1
                if len(rows) < first:
                    meaning = deadline.kind.label
                    if deadline.due_date is not None:
                        meaning = f"{deadline.due_date.isoformat()}，{meaning}"
                    rows.append(
                        ItemPreview(
                            outline=outline,
                            content=item.content,
                            leads=tuple(m.name for m in mentions if m.role is Role.LEAD),
                            cooperating=tuple(
                                m.name for m in mentions if m.role is Role.COOPERATING
                            ),
                            deadline=item.deadline_text,
                            meaning=meaning,
                        )
                    )
    warnings = []
    if no_units:
        warnings.append(f"{len(no_units)} 条任务未写明责任单位（{_examples(no_units)}）")
    if unknown:
        warnings.append(
            f"{len(unknown)} 条任务的完成时限无法识别，需人工确认（{_examples(unknown)}）"
        )
    if undated:
        warnings.append(
            f"{len(undated)} 条任务的时限自印发之日起计算，但分工表未写明印发日期，"
            f"需人工确认（{_examples(undated)}）"
        )
    if no_deadline:
        warnings.append(f"{no_deadline} 条任务未定时限（不会逾期）")
    if vague:
        warnings.append(f"集合单位 {'、'.join(vague)} 没有默认成员，可用 tracker units join 指定")
    titled = sum(1 for c in plan.categories for k in c.key_tasks if k.title.strip())
    return PlanPreview(
        title=plan.title,
        year=plan.year,
        issued=plan.issued.isoformat() if plan.issued else None,
        levels=3 if titled else 2,
        categories=len(plan.categories),
        key_tasks=titled,
        items=plan.item_count,
        first=tuple(rows),
        warnings=tuple(warnings),
    )


def format_preview(preview: PlanPreview, width: int = CONTENT_WIDTH) -> str:
    """The preview as text for the terminal (and the app's dialog), each item's content
    cut to ``width`` characters."""
    issued = f"，印发日期 {preview.issued}" if preview.issued else ""
    levels = (
        "工作任务 → 重点工作任务 → 具体任务（三级）"
        if preview.levels == 3
        else "工作任务 → 具体任务（两级，无重点工作任务）"
    )
    lines = [
        f"「{preview.title}」（{preview.year} 年{issued}）",
        f"层级：{levels}",
        f"共 {preview.categories} 项工作任务、{preview.key_tasks} 项重点工作任务、"
        f"{preview.items} 条具体任务",
        f"前 {len(preview.first)} 条：",
    ]
    for item in preview.first:
        content = " ".join(item.content.split())
        if len(content) > width:
            content = content[:width] + "…"
        units = "；".join([*(f"★{name}" for name in item.leads), *item.cooperating]) or "（无）"
        lines += [
            f"  {item.outline} {content}",
            f"      责任单位：{units}",
            f"      完成时限：{item.deadline or '（空）'} → {item.meaning}",
        ]
    if preview.warnings:
        lines.append("提示：")
        lines += [f"  ⚠ {warning}" for warning in preview.warnings]
    return "\n".join(lines)
