"""The roll-up rule: an item's status from its units' reports and the office's verdict.

Defined once, here, as a pure function (no I/O); the store materialises its result on
every write (``items.status`` and ``items.units_*``), and everything that counts or
filters items reads that.

规则（汇总状态）/ The rule:

1. 办公室（不设单位）给出结论时（状态不是「未启动」），以办公室的结论为该任务的状态，
   例如确认已完成；各单位的填报仍照常显示在旁边，不被隐藏。
   When the office (no unit set) has recorded a verdict (a status other than 未启动),
   that verdict is the item's status — for example accepting it as done. The units'
   reports are still shown beside it, never hidden.
2. 否则由各责任单位的填报得出 / Otherwise it follows from the responsible units' reports
   (a unit that never reported counts as 未启动 with no notes):

   - 没有责任单位，或没有单位填报 → 未启动
     no responsible unit, or none has reported → 未启动 (not_started);
   - 每个单位都已完成 → 已完成
     every unit reported 已完成 → 已完成 (done);
   - 每个单位都是已完成或持续推进（至少一个持续推进）→ 持续推进
     every unit is 已完成 or 持续推进, some 持续推进 → 持续推进 (ongoing);
   - 每个单位都是暂缓/受阻 → 暂缓/受阻
     every unit is 暂缓/受阻 → 暂缓/受阻 (on_hold);
   - 其余（有单位填报）→ 推进中
     otherwise (some have reported) → 推进中 (in_progress).

   「已填报」指状态不是「未启动」，或写了进展情况。
   A unit "has reported" when its status is not 未启动 or its notes are not empty.
3. 任一单位暂缓/受阻时，该任务标出（``units_on_hold`` > 0）。
   A unit's 暂缓/受阻 is flagged on the item (``units_on_hold`` > 0), whatever the status.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from tracker.domain.models import Status


class UnitState(NamedTuple):
    """What the rule needs of one responsible unit's report."""

    status: Status = Status.NOT_STARTED
    """The unit's own status (未启动 if it never reported)."""
    has_notes: bool = False
    """Whether the unit wrote any notes (进展情况)."""

    @property
    def reported(self) -> bool:
        """Whether the unit has reported: a status other than 未启动, or notes."""
        return self.status is not Status.NOT_STARTED or self.has_notes


class Rollup(NamedTuple):
    """An item's derived status and the unit counts shown beside it."""

    status: Status
    """The item's status (the office's verdict, or what the units' reports add up to)."""
    units_total: int = 0
    """Concrete units responsible for the item."""
    units_done: int = 0
    """Of them, those that reported 已完成."""
    units_reported: int = 0
    """Of them, those that reported anything (a status or notes)."""
    units_on_hold: int = 0
    """Of them, those that reported 暂缓/受阻 (the item is flagged when > 0)."""
    office: Status | None = None
    """The office's verdict, or None when it has recorded none."""

    @property
    def flagged(self) -> bool:
        """Whether some unit is on hold (暂缓/受阻), shown on the item."""
        return self.units_on_hold > 0


_SETTLED = frozenset({Status.DONE, Status.ONGOING})


def rollup(office: Status | None, units: Iterable[UnitState | Status]) -> Rollup:
    """The item's status under the rule of this module (see its docstring).

    Args:
        office: The office's verdict; None or 未启动 means it has recorded none.
        units: One entry per responsible concrete unit, in any order: its status and
            whether it wrote notes (a bare :class:`Status` means no notes).

    Returns:
        The item's status and unit counts.
    """
    states = [u if isinstance(u, UnitState) else UnitState(Status(u)) for u in units]
    statuses = [Status(s.status) for s in states]
    verdict = None if office is None or office is Status.NOT_STARTED else Status(office)
    total = len(states)
    done = statuses.count(Status.DONE)
    reported = sum(s.reported for s in states)
    on_hold = statuses.count(Status.ON_HOLD)
    if verdict is not None:
        status = verdict
    elif reported == 0:
        status = Status.NOT_STARTED
    elif done == total:
        status = Status.DONE
    elif all(s in _SETTLED for s in statuses):
        status = Status.ONGOING
    elif on_hold == total:
        status = Status.ON_HOLD
    else:
        status = Status.IN_PROGRESS
    return Rollup(status, total, done, reported, on_hold, verdict)
