"""The members dialog (``m`` in the units screen): who a collective unit stands for.

For a collective (各乡镇街委, 区政府工作部门…) it lists every concrete unit with a check
box, ticked for the collective's members; for a concrete unit, every collective, ticked
for those it belongs to. Ticking or unticking saves at once, through the same store
call as ``tracker units join`` / ``leave`` (:meth:`Store.set_membership`), and says
so; Esc closes. Typing narrows the list by a piece of the name or by pinyin initials
(``fgj`` → 区发改局), as in the my-unit picker. For a collective, a name that finds no
unit can be added as a new one (a township the plan names only as 各乡镇街委), as
``tracker units add`` does, and made a member.

A collective with no members (:data:`UNASSIGNED_LABEL`) holds work that counts for no
concrete unit: the units screen, the overview and the report flag it.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, SelectionList, Static
from textual.widgets.selection_list import Selection

from tracker.domain.deadlines import DueWarning
from tracker.domain.units import UnitKind
from tracker.errors import Refused
from tracker.store import Store, StoreError, UnitRecord
from tracker.ui.labels import literal, painted, warning_style
from tracker.ui.screens.unit_picker import unit_matches

UNASSIGNED_LABEL = "未设成员"
"""The flag of a collective unit with no members."""
UNASSIGNED_STYLE = f"bold {warning_style(DueWarning.DUE_SOON)}"
"""How the flag is drawn: in the warning colour of the theme (as 临期)."""
PLACEHOLDER = "输入单位名称或拼音首字母筛选，如 fgj（区发改局）"


def membership_message(member: str, collective: str, joined: bool) -> str:
    """What the clerk is told after a change, e.g. 「区发改局」已加入「各乡镇街委」."""
    return f"「{member}」{'已加入' if joined else '已移出'}「{collective}」（已保存）"


class MembersScreen(ModalScreen[bool]):
    """Ticks the members of a collective, or the collectives of a concrete unit.

    Every tick is saved at once; the dialog dismisses with whether anything changed
    (the units screen then recounts).

    Args:
        store: The open database (writable: the caller refuses on a read-only one).
        unit: The unit whose memberships are shown.
    """

    BINDINGS = [
        Binding("escape", "close", "关闭"),
        Binding("down", "move(1)", "下一项", show=False),
        Binding("up", "move(-1)", "上一项", show=False),
    ]

    def __init__(self, store: Store, unit: UnitRecord) -> None:
        super().__init__()
        self.store = store
        self.unit = unit
        self.collective = unit.kind is UnitKind.COLLECTIVE
        """Whether the list holds the unit's members (else the collectives it joins)."""
        wanted = UnitKind.CONCRETE if self.collective else UnitKind.COLLECTIVE
        self.choices = sorted(
            (u for u in store.units() if u.kind is wanted), key=lambda u: (u.initials, u.name)
        )
        """The units that can be ticked, by pinyin."""
        self.changed = False
        """Whether a membership was saved while the dialog was open."""

    def compose(self) -> ComposeResult:
        with Vertical(id="members-dialog", classes="dialog") as dialog:
            name = literal(self.unit.name)
            if self.collective:
                dialog.border_title = Text.assemble("设置成员：", name)
                explain = Text.assemble(
                    "勾选属于", literal(self.unit.name, "bold"),
                    "的具体单位：它的任务也归这些单位负责。",
                )  # fmt: skip
            else:
                dialog.border_title = Text.assemble("所属集合单位：", name)
                explain = Text.assemble(
                    "勾选", literal(self.unit.name, "bold"),
                    "所属的集合单位：这些集合单位的任务也归它负责。",
                )  # fmt: skip
            dialog.border_subtitle = "空格/Enter 勾选（立即保存）　Esc 关闭"
            yield Static(explain, id="members-explain")
            yield Input(placeholder=PLACEHOLDER, id="members-input")
            yield Static(id="members-count")
            yield SelectionList[str](id="members-list")

    def on_mount(self) -> None:
        self.query_one("#members-input", Input).focus()
        self.show_units("")

    @property
    def typed(self) -> str:
        """What the clerk typed in the filter box."""
        return self.query_one("#members-input", Input).value

    def show_units(self, query: str) -> None:
        """List the units the query finds, ticked as the database says; keep the cursor."""
        ticked = self.store.membership_ids(self.unit.id)
        shown = [u for u in self.choices if unit_matches(u, query)]
        choices = self.query_one("#members-list", SelectionList)
        index = choices.highlighted
        before = choices.get_option_at_index(index).value if index is not None else None
        choices.clear_options()
        choices.add_options(Selection(literal(u.name), u.id, u.id in ticked) for u in shown)
        ids = [u.id for u in shown]
        if before in ids:
            choices.highlighted = ids.index(before)
        elif ids:
            choices.highlighted = 0
        self._count(len(ticked), len(shown), query)

    def _count(self, ticked: int, shown: int, query: str) -> None:
        count = self.query_one("#members-count", Static)
        if self.collective:
            have = (
                Text(f"已有成员 {ticked} 个")
                if ticked
                else painted(f"{UNASSIGNED_LABEL}：其任务不计入任何具体单位", UNASSIGNED_STYLE)
            )
        else:
            have = Text(f"属于 {ticked} 个集合单位" if ticked else "不属于任何集合单位")
        if query.strip():
            found = f"　找到 {shown} 个" if shown else "　没有找到"
            have.append(found, style="bold" if shown else "dim")
            if not shown and self._new_name(query):
                have.append("　Enter 添加为新单位并设为成员", style="bold")
        count.update(have)

    def _new_name(self, query: str) -> str:
        """The name of a unit Enter would add (a collective's list found nothing), or ""."""
        name = query.strip()
        if not self.collective or name.isascii():  # ASCII: pinyin initials, not a name
            return ""
        return name

    @on(Input.Changed, "#members-input")
    def filter_as_typed(self, event: Input.Changed) -> None:
        event.stop()
        self.show_units(event.value)

    @on(Input.Submitted, "#members-input")
    def tick_highlighted(self, event: Input.Submitted) -> None:
        """Enter in the filter box ticks (or unticks) the highlighted unit."""
        event.stop()
        choices = self.query_one("#members-list", SelectionList)
        if choices.highlighted is not None:
            choices.toggle(choices.get_option_at_index(choices.highlighted))
        elif not choices.option_count and self._new_name(event.value):
            self.add_member(self._new_name(event.value))
        else:
            self.app.bell()

    def add_member(self, name: str) -> None:
        """Add a unit the database does not know yet (a township 各乡镇街委 stands for,
        as ``tracker units add`` does) and make it a member."""
        if self.app.refuse_if_read_only():  # type: ignore[attr-defined]
            return
        try:
            added = self.store.add_unit(name)
            self.store.set_membership(added.id, self.unit.id, True)
        except (Refused, StoreError) as error:
            self.notify(f"未能添加：{error}", severity="error", timeout=8, markup=False)
            return
        self.changed = True
        if all(u.id != added.id for u in self.choices):  # an alias may name a known unit
            self.choices = sorted([*self.choices, added], key=lambda u: (u.initials, u.name))
        self.notify(
            f"已添加单位「{added.name}」，" + membership_message(added.name, self.unit.name, True),
            markup=False,
        )
        self.query_one("#members-input", Input).value = ""  # shows the whole list again

    @on(SelectionList.SelectionToggled, "#members-list")
    def save_membership(self, event: SelectionList.SelectionToggled) -> None:
        """Save the tick at once, as ``tracker units join/leave`` would."""
        event.stop()
        other_id = str(event.selection.value)
        joined = other_id in event.selection_list.selected
        other = next(u for u in self.choices if u.id == other_id)
        member, collective = (other, self.unit) if self.collective else (self.unit, other)
        if self.app.refuse_if_read_only():  # type: ignore[attr-defined]
            self.show_units(self.typed)
            return
        try:
            self.store.set_membership(member.id, collective.id, joined)
        except (Refused, StoreError) as error:
            self.notify(f"未能保存：{error}", severity="error", timeout=8, markup=False)
        else:
            self.changed = True
            self.notify(membership_message(member.name, collective.name, joined), markup=False)
        self.show_units(self.typed)

    def action_move(self, step: int) -> None:
        choices = self.query_one("#members-list", SelectionList)
        if step > 0:
            choices.action_cursor_down()
        else:
            choices.action_cursor_up()

    def action_close(self) -> None:
        """Close (every tick is already saved)."""
        self.dismiss(self.changed)
