"""The main screen: the plan tree on the left, the selected node's panes on the right.

This screen is wiring: it reacts to the tree and to the panes' messages by asking the
editing service (:class:`~tracker.services.editing.Editing`) — set a status, keep the
typed notes, save them now on an item switch or when the notes lose focus — and
repaints the rows the service says changed. The rules (what may be edited, when notes
are due for saving, what undo takes back) are the service's.

A unit's clerk (my unit set) reads the plan as that unit: the tree's statuses and
counts, the item's status, notes and last review are the unit's own report. The office
(no unit set) sees the items' roll-up, its own verdict and each unit's report.
"""

from __future__ import annotations

import gc
import time
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.reactive import var
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import ContentSwitcher, Footer, Static, TextArea, Tree

from tracker.domain.models import Status
from tracker.services.editing import Editing, Outcome
from tracker.store import CategoryRecord, ItemFilter, ItemRecord
from tracker.store.outfile import export_name
from tracker.store.snapshot import SnapshotError
from tracker.ui.labels import literal
from tracker.ui.screens.dialogs import ConfirmScreen
from tracker.ui.screens.search import SearchScreen
from tracker.ui.widgets.folded import FoldedLine
from tracker.ui.widgets.item_detail import ItemDetail
from tracker.ui.widgets.node_summary import NodeSummary
from tracker.ui.widgets.plan_tree import NodeRef, PlanTree

if TYPE_CHECKING:
    from collections.abc import Callable

    from tracker.store import KeyTaskRecord, PlanRecord
    from tracker.ui.app import TrackerApp

KEY_REPEAT_SECONDS = 0.05
"""Highlights closer together than this are a key held down: the panes follow when it stops."""

SHORT_HEIGHT = 32
"""Below this many rows the item's path and content take less room, for the notes."""

KIND_LABELS = {"plan": "分工表", "category": "工作任务", "key_task": "重点工作任务"}

# Typing in the tree. Clerks type through a Chinese input method, which commits a whole
# phrase (「于2023年8月」) at once: the terminal writes it in one go, Textual's input
# thread reads it in one ``os.read`` and its parser makes one Key event per character,
# each stamped (``Message.time``, monotonic) as it is made — a few hundredths of a
# millisecond apart (measured in tmux: 0.05–0.25 ms). A person's separate key presses
# are tens of milliseconds apart at the very least (key repeat ≈ 30 ms). So keys whose
# stamps are within BURST_GAP of each other came in one read: they are text, never
# commands. The stamps are used rather than arrival times because the keys reach this
# screen through several message queues, at whatever pace the app is running.
#
# A key that is a command on its own but could start such a phrase (the status keys
# 1–5, s, r: keys that write) waits up to LONE_KEY_WAIT for the rest of the burst; if
# none comes, or a non-text key (↓, Enter…) follows, it was a lone keystroke and its
# command runs. Any other printable key no binding claims (a Chinese character, 年, 7,
# punctuation) is text at once. Other command keys (j, k, /, o, q…) act at once as before.
BURST_GAP = 0.01
"""Keys made less than this many seconds apart came in one read from the terminal."""
LONE_KEY_WAIT = 0.06
"""Seconds a status key waits for the rest of a burst before it counts as a lone keystroke."""
HELD_ACTIONS = frozenset({"set_status", "cycle_status", "mark_reviewed"})
"""The commands whose keys wait to see whether they start a burst of text."""


_REFUSED = NodeRef("item", "")
"""Where the rest of a phrase goes that the clerk's unit may not write: nowhere."""


def _freeze_and_collect_from_now_on() -> None:
    gc.freeze()
    gc.enable()


class DatabaseChanged(Message, bubble=False):
    """Another window or a command committed to the database (the app looks once a second)."""


class MainScreen(Screen[None]):
    """Tree, detail panes, a save-state line and the footer."""

    app: TrackerApp

    BINDINGS = [
        # The app's help and quit keys, first so the footer shows them at any width.
        Binding("question_mark", "app.help", "帮助", key_display="?"),
        Binding("q", "app.quit", "退出"),
        # One footer entry stands for the five status keys.
        *(
            Binding(
                str(s.seq),
                f"set_status('{s.value}')",
                "设置状态" if s.seq == 1 else s.label,
                show=s.seq == 1,
                key_display="1-5" if s.seq == 1 else None,
            )
            for s in Status
        ),
        Binding("s", "cycle_status", "切换状态", show=False),
        Binding("r", "mark_reviewed", "已检查", show=False),
        Binding("slash", "search", "搜索", key_display="/"),
        Binding("m", "toggle_mine", "我的/全部"),
        Binding("u", "choose_unit", "我的单位", show=False),
        Binding("f", "filters", "筛选"),
        Binding("x", "clear_filters", "清除筛选", show=False),
        Binding("d", "due_list", "按时限"),
        Binding("o", "overview", "总览"),
        Binding("U", "units", "单位", key_display="U"),
        Binding("b", "matrix", "填报情况"),
        Binding("e", "export_snapshot", "导出快照", show=False),
        Binding("L", "export_ledger", "导出台账", key_display="L", show=False),
        Binding("R", "report", "进展报告", key_display="R", show=False),
        Binding("h", "history", "历史", show=False),
        Binding("p", "choose_plan", "分工表", show=False),
        Binding("ctrl+z", "undo", "撤销", show=False),
        Binding("ctrl+y", "redo", "重做", show=False),
        Binding("M", "merge", "合并快照", key_display="M", show=False),
        Binding("C", "conflicts", "合并冲突", key_display="C", show=False),
    ]

    flt: var[ItemFilter] = var(ItemFilter, init=False)
    """Which items the tree shows (my unit, statuses, warnings)."""

    def __init__(self, editing: Editing, plan_id: str, flt: ItemFilter | None = None) -> None:
        super().__init__()
        self.editing = editing
        """Every edit is asked of it; it answers (and tells) what changed."""
        self.store = editing.store
        """The database, for reading what to show."""
        self.plan_id = plan_id
        self._stop_listening: Callable[[], None] = lambda: None
        self._current: NodeRef | None = None
        self._last_highlight = 0.0
        self._show_timer: Timer | None = None
        self._held: list[events.Key] = []
        """A status key (and what followed it in the same burst) not yet known to be alone."""
        self._held_timer: Timer | None = None
        self._last_key_time = 0.0
        """When the last printable key typed in the tree was made (``Message.time``)."""
        self._text_target: NodeRef | SearchScreen | None = None
        """Where text typed in the tree goes until the tree has the focus again: an
        item's notes, or the search box (text typed on a category or key task)."""
        self.set_reactive(MainScreen.flt, self.validate_flt(flt or ItemFilter()))

    def compose(self) -> ComposeResult:
        store = self.store
        if self.editing.read_only:
            yield Static(
                Text(
                    "只读：此数据库不可写（光盘、写保护的U盘或只读文件），只能查看，修改不会保存",
                    style="bold",
                ),
                id="read-only-banner",
            )
        yield Static(id="filter-bar")
        with Horizontal(id="main"):
            yield PlanTree(store, self.plan_id, self.flt, id="plan-tree")
            with ContentSwitcher(initial="node-summary", id="panes"):
                yield NodeSummary(id="node-summary")
                yield ItemDetail(id="item-detail")
        yield FoldedLine(id="save-state")
        yield Footer()

    def on_resize(self, event: events.Resize) -> None:
        # A short terminal (80×24) keeps at least five lines of notes in view.
        self.set_class(event.size.height < SHORT_HEIGHT, "-short")

    def on_mount(self) -> None:
        store = self.store
        # With --today the figures are as of another day: say which.
        as_of = f"　截至 {store.today():%Y-%m-%d}" if store.today_override is not None else ""
        self.query_one(PlanTree).border_title = f"目录{as_of}"
        # What is built so far lives as long as the screen: keep it out of the garbage
        # collector's full passes, which otherwise stall a key press now and then. The
        # ``tracker`` command starts the app with the collector off (its first frame
        # comes sooner): it is on again from here.
        self.call_after_refresh(_freeze_and_collect_from_now_on)
        if self.editing.read_only:
            self.query_one("#notes", TextArea).read_only = True
        self.watch(self.app, "save_message", self._show_save_message)
        self._stop_listening = self.editing.listen(self._repaint)
        self._show_filter()
        self._tell_conflicts()

    def on_unmount(self) -> None:
        self._stop_listening()
        gc.unfreeze()  # what this screen built may be collected now (see on_mount)

    # ------------------------------------------------------------------ filters
    def validate_flt(self, flt: ItemFilter) -> ItemFilter:
        """My unit's items are read as my unit (its own reports); another unit's items,
        or all, as the office reads them (the roll-up)."""
        as_unit = flt.unit_id is not None and flt.unit_id == self.editing.unit
        return flt if flt.as_unit == as_unit else flt.model_copy(update={"as_unit": as_unit})

    def watch_flt(self, flt: ItemFilter) -> None:
        self._save_now()
        self._current = None
        self.query_one(PlanTree).set_filter(flt)
        self._show_filter()
        # The cursor may stay on the same line (no NodeHighlighted): show the node
        # under it now, with the counts under the new filter.
        self.call_after_refresh(self._show_cursor_node)

    def _show_cursor_node(self) -> None:
        node = self.query_one(PlanTree).cursor_node
        if node is not None and node.data is not None:
            self._current = node.data
            self._show(node.data)

    def _show_filter(self) -> None:
        flt = self.flt
        bar = self.query_one("#filter-bar", Static)
        bar.display = not flt.is_empty
        if flt.is_empty:
            return
        parts = [Text("筛选中 ", style="bold")]
        if flt.unit_id:
            unit = self.store.unit(flt.unit_id)
            mine = flt.unit_id == self.app.my_unit_id
            parts.append(Text("我的单位：" if mine else "单位：", style="bold"))
            parts.append(literal(unit.name if unit else flt.unit_id))
            parts.append(Text("（★ 牵头）  ", style="dim"))
        if flt.statuses:
            parts.append(Text("状态：", style="bold"))
            parts.append(
                Text("、".join(s.label for s in sorted(flt.statuses, key=lambda s: s.seq)))
            )
            parts.append(Text("  "))
        if flt.warnings:
            parts.append(Text("预警：", style="bold"))
            parts.append(Text("、".join(w.label for w in sorted(flt.warnings))))
            parts.append(Text("  "))
        parts.append(Text("m 我的/全部　x 清除", style="dim"))
        bar.update(Text.assemble(*parts))

    def action_toggle_mine(self) -> None:
        """Switch between my unit's items and everything."""
        mine = self.app.my_unit_id
        if mine is None:
            self.action_choose_unit()
            return
        unit_id = None if self.flt.unit_id == mine else mine
        self.flt = self.flt.model_copy(update={"unit_id": unit_id})

    @work
    async def action_choose_unit(self) -> None:
        """Pick my unit (remembered in the database) and show its items."""
        from tracker.ui.screens.unit_picker import UnitPickerScreen

        chosen = await self.app.push_screen_wait(
            UnitPickerScreen(self.store, self.plan_id, self.app.my_unit_id)
        )
        if chosen is None:
            return
        self.app.remember_my_unit(chosen or None)
        self.flt = self.flt.model_copy(update={"unit_id": chosen or None})

    @work
    async def action_filters(self) -> None:
        """Filter by status and by due warning."""
        from tracker.ui.screens.filters import FilterScreen

        chosen = await self.app.push_screen_wait(FilterScreen(self.flt))
        if chosen is not None:
            self.flt = chosen

    def action_clear_filters(self) -> None:
        """Show everything again."""
        self.flt = ItemFilter()

    @work
    async def action_units(self) -> None:
        """The units screen; Enter there shows that unit's items here."""
        from tracker.ui.screens.units import UnitsScreen

        self._save_now()
        chosen = await self.app.push_screen_wait(UnitsScreen(self.store, self.plan_id))
        if chosen:
            self.flt = self.flt.model_copy(update={"unit_id": chosen})

    def action_overview(self) -> None:
        """Progress per category and per unit."""
        from tracker.ui.screens.overview import OverviewScreen

        self._save_now()
        self.app.push_screen(OverviewScreen(self.store, self.plan_id))

    @work
    async def action_matrix(self) -> None:
        """Who has reported: items × units of the category in view (or the plan)."""
        from tracker.ui.screens.matrix import MatrixScreen, category_of

        self._save_now()
        ref = self._current
        category = category_of(self.store, ref.kind, ref.id) if ref is not None else None
        chosen = await self.app.push_screen_wait(MatrixScreen(self.store, self.plan_id, category))
        if chosen:
            self.go_to_item(chosen)

    def action_search(self) -> None:
        """Search the plan; Enter jumps to the item."""
        self._save_now()
        self._open_search(SearchScreen(self.store, self.plan_id, self.flt))

    @work
    async def _open_search(self, search: SearchScreen) -> None:
        chosen = await self.app.push_screen_wait(search)
        if chosen:
            self.go_to_item(chosen)

    @work
    async def action_due_list(self) -> None:
        """Open items by due date; Enter jumps to the item."""
        from tracker.ui.screens.due import DueScreen

        self._save_now()
        chosen = await self.app.push_screen_wait(DueScreen(self.store, self.plan_id, self.flt))
        if chosen:
            self.go_to_item(chosen)

    def go_to_item(self, item_id: str) -> None:
        """Put the tree's cursor on an item, expanding the way to it."""
        item = self.store.item(item_id)
        tree = self.query_one(PlanTree)
        if tree.node_for(item.key_task_id) is None and not self.flt.is_empty:
            self.flt = ItemFilter()  # the item is filtered out: show everything
            tree = self.query_one(PlanTree)
        tree.reveal(item.category_id, item.key_task_id, item.id)
        tree.focus()

    def _show_save_message(self, message: Text) -> None:
        self.query_one("#save-state", FoldedLine).show(message)  # never a bare ⚠

    # ------------------------------------------------------------------ tree
    @on(Tree.NodeHighlighted, "#plan-tree")
    def show_node(self, event: Tree.NodeHighlighted[NodeRef]) -> None:
        ref = event.node.data
        if ref is None or ref == self._current:
            return
        cursor = event.node.tree.cursor_node
        if self._current is None and cursor is not None and cursor is not event.node:
            # Opening: the tree highlights its root, then the first category, before
            # either is handled. The pane is built once, for where the cursor is.
            return
        # Leaving an item: its notes are saved before anything else is shown.
        self._save_now()
        previous, self._current = self._current, ref
        now = time.monotonic()
        # (Leaving the plan's root is the tree opening on its first category: show it.)
        quick = (
            previous is not None
            and previous.kind != "plan"
            and now - self._last_highlight < KEY_REPEAT_SECONDS
        )
        self._last_highlight = now
        if self._show_timer is not None:
            self._show_timer.stop()
            self._show_timer = None
        if quick:
            # A key held down: show the node the cursor stops on, not every one passed.
            self._show_timer = self.set_timer(KEY_REPEAT_SECONDS, self._show_current)
        else:
            self._show(ref)

    def _show_current(self) -> None:
        self._show_timer = None
        if self._current is not None:
            self._show(self._current)

    @on(Tree.NodeSelected, "#plan-tree")
    def enter_item(self, event: Tree.NodeSelected[NodeRef]) -> None:
        if event.node.data is not None and event.node.data.kind == "item":
            refusal = self.editing.refusal(event.node.data.id)
            if refusal is not None:
                self.notify(refusal, title="不能填报", severity="warning", markup=False)
                return
            self.query_one("#notes", TextArea).focus()
            self.editing.refuse_if_read_only()

    def _show(self, ref: NodeRef) -> None:
        store = self.store
        switcher = self.query_one("#panes", ContentSwitcher)
        if ref.kind == "item":
            self._show_item(ref.id)
            switcher.current = "item-detail"
            return
        # The tree read these counts when it drew the node: no query per keypress.
        record = self.query_one(PlanTree).record_for(ref.id)
        if record is None:
            load: dict[str, Callable[..., PlanRecord | CategoryRecord | KeyTaskRecord]] = {
                "plan": store.plan,
                "category": store.category,
                "key_task": store.key_task,
            }
            record = load[ref.kind](ref.id, self.flt)
        if isinstance(record, CategoryRecord):
            title = f"{record.no or ''} {record.title}".strip()
        else:
            title = record.title
        self.query_one(NodeSummary).show(KIND_LABELS[ref.kind], title, record.progress)
        switcher.current = "node-summary"

    def _show_item(self, item_id: str, reload_notes: bool = False) -> None:
        self._paint_item(self.editing.item(item_id, self.flt), reload_notes)

    def _paint_item(self, item: ItemRecord, reload_notes: bool = False) -> None:
        """Show an item (as the service gave it: with any unsaved notes) in the pane: for
        the office with its units' reports, for a unit with why it may not report."""
        store = self.store
        office = self.editing.unit is None
        self.query_one(ItemDetail).show(
            item,
            store.item_units(item.id),
            store.today(),
            store.review_period,
            reload_notes=reload_notes,
            office=office,
            reports=store.reports(item.id) if office and item.units_total else None,
            refusal=self.editing.refusal(item.id),
        )

    @on(ItemDetail.UnitChosen)
    def open_unit_report(self, event: ItemDetail.UnitChosen) -> None:
        """One unit's full notes and history on the item (the office's table)."""
        from tracker.ui.screens.unit_report import UnitReportScreen

        self._save_now()
        self.app.push_screen(UnitReportScreen(self.store, event.item_id, event.unit_id))

    def _current_item_id(self) -> str | None:
        return self._current.id if self._current and self._current.kind == "item" else None

    def _cursor_item_id(self) -> str | None:
        # The tree's cursor, not the last NodeHighlighted handled: a key typed right
        # after a move must act on the item the cursor is on now.
        node = self.query_one(PlanTree).cursor_node
        ref = node.data if node is not None else None
        return ref.id if ref is not None and ref.kind == "item" else None

    # ------------------------------------------------------------------ typing in the tree
    async def on_key(self, event: events.Key) -> None:
        # Keys reach here from the focused widget, before the bindings are looked up
        # (see BURST_GAP above for the rule).
        tree = self.query_one(PlanTree)
        if self.focused is not tree and not self._held and self._text_target is None:
            return
        if not event.is_printable or event.character is None:
            # ↓, Enter, Esc… never belong to a phrase: a held status key was alone.
            await self._release_held()
            return
        follows = event.time - self._last_key_time <= BURST_GAP
        self._last_key_time = event.time
        refused = self.editing.read_only or self._text_target is _REFUSED
        if self._text_target is not None and refused and not follows:
            self._text_target = None  # the refused phrase is over
        if self._text_target is not None:
            # Text is going somewhere already; keys still on their way to the tree
            # (typed before the focus moved) follow it there.
            event.stop()
            self._deliver(event.character)
            return
        if self._held:
            if follows:
                event.stop()
                self._stop_held_timer()
                text = "".join(key.character or "" for key in self._held) + event.character
                self._held = []
                self._start_text(text)
                return
            await self._release_held()
        binding = self.active_bindings.get(event.key)
        if binding is not None and binding.binding.action.split("(")[0] in HELD_ACTIONS:
            event.stop()
            self._held = [event]
            self._held_timer = self.set_timer(LONE_KEY_WAIT, self._release_held)
            return
        if binding is not None:
            return  # j, k, /, o, q, space…: a command, as always
        event.stop()
        self._start_text(event.character)

    def on_paste(self, event: events.Paste) -> None:
        # A paste into the tree (bracketed paste) is text too.
        if self.focused is self.query_one(PlanTree) and event.text:
            event.stop()
            if self._text_target is not None:
                self._deliver(event.text)
            else:
                self._start_text(event.text)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        # Typed text follows into the notes it went to, while they have the focus;
        # back in the tree (or in another pane) typing starts afresh.
        if event.widget.id != "notes":
            self._text_target = None

    def _stop_held_timer(self) -> None:
        if self._held_timer is not None:
            self._held_timer.stop()
            self._held_timer = None

    async def _release_held(self) -> None:
        """The held status key was a lone keystroke: run its command now."""
        self._stop_held_timer()
        held, self._held = self._held, []
        for key in held:
            binding = self.active_bindings.get(key.key)
            if binding is not None:
                await self.app.run_action(binding.binding.action, binding.node)

    def _start_text(self, text: str) -> None:
        """Text typed in the tree: into the highlighted item's notes, else the search box."""
        node = self.query_one(PlanTree).cursor_node
        ref = node.data if node is not None else None
        if ref is not None and ref.kind == "item":
            if self.editing.refuse_if_read_only():
                self._text_target = ref  # swallow the rest of the phrase, not as commands
                return
            refusal = self.editing.refusal(ref.id)
            if refusal is not None:
                self.notify(refusal, title="不能填报", severity="warning", markup=False)
                self._text_target = _REFUSED  # swallow the rest of the phrase
                return
            if self._current != ref or self._show_timer is not None:
                self._current = ref
                if self._show_timer is not None:
                    self._show_timer.stop()
                    self._show_timer = None
                self._show(ref)
            self._text_target = ref
            self.query_one(ItemDetail).type_into_notes(text)
            return
        # On a category or key task the text has no notes to go to: keep it in the
        # search box, where it finds the items it is about.
        self._save_now()
        search = SearchScreen(self.store, self.plan_id, self.flt, query=text)
        self._text_target = search
        self.notify(
            "进展情况只能写在具体任务上：用 ↑↓ 选中一项具体任务再输入。",
            title="文字已放入搜索框",
            severity="warning",
            timeout=8,
        )
        self._open_search(search)

    def on_screen_resume(self) -> None:
        # Back from the search box that typed text opened: the next phrase starts afresh
        # (the tree may have had the focus all along, so no focus event says so).
        if isinstance(self._text_target, SearchScreen):
            self._text_target = None

    def _deliver(self, text: str) -> None:
        target = self._text_target
        if (
            isinstance(target, SearchScreen)
            and target.is_mounted
            and target not in self.app.screen_stack
        ):
            # The search box was closed while the phrase was still arriving.
            self._text_target = None
            self._start_text(text)
            return
        if isinstance(target, SearchScreen):
            target.type_text(text)
        elif target is not None and target is not _REFUSED and not self.editing.read_only:
            self.query_one(ItemDetail).type_into_notes(text)

    # ------------------------------------------------------------------ status
    @on(ItemDetail.StatusChosen)
    def status_chosen(self, event: ItemDetail.StatusChosen) -> None:
        self._set_status(event.item_id, event.status)

    def action_set_status(self, code: str) -> None:
        """Set the highlighted item's status."""
        item_id = self._cursor_item_id()
        if item_id is None:
            self.notify("请先在目录中选中一项具体任务", severity="warning")
            return
        self._set_status(item_id, Status(code))

    def action_cycle_status(self) -> None:
        """Move the highlighted item to the next status."""
        item_id = self._cursor_item_id()
        if item_id is None:
            self.notify("请先在目录中选中一项具体任务", severity="warning")
            return
        self.editing.cycle_status(item_id, self._seen_status(item_id), self.flt)

    def _set_status(self, item_id: str, status: Status) -> None:
        self.editing.set_status(item_id, status, self._seen_status(item_id), self.flt)

    def _seen_status(self, item_id: str) -> Status | None:
        """The status the clerk sees for an item (if the pane shows it), so that a change
        another window made since is not overwritten unseen."""
        shown = self.query_one(ItemDetail).item
        if shown is None or shown.id != item_id:
            return None
        # The clerk's own: a unit's report, or the office's verdict (not the roll-up).
        return self.editing.own_status(shown)

    def action_mark_reviewed(self) -> None:
        """Record that the highlighted standing item was reviewed today."""
        if self.editing.refuse_if_read_only():
            return
        item_id = self._cursor_item_id()
        if item_id is None:
            self.notify("请先在目录中选中一项具体任务", severity="warning")
            return
        self.editing.mark_reviewed(item_id, self.flt)

    def _repaint(self, outcome: Outcome) -> None:
        """The service changed rows (asked here or anywhere in the app): show them."""
        if not outcome.changed and not outcome.notes_saved:
            return
        tree = self.query_one(PlanTree)
        for item_id in outcome.changed:
            # Read under this screen's filter by the service, when this screen asked.
            record = outcome.records.get(item_id) or self.editing.item(item_id, self.flt)
            tree.update_path(record)
        current = self._current_item_id()
        if current is None:
            return
        reload_notes = current in outcome.reload_notes  # an undo, a merge with another's text
        if current in outcome.records and self.editing.reads_own(self.flt):
            self._paint_item(self.editing.shown(outcome.records[current]), reload_notes)
        elif current in outcome.changed or current in outcome.notes_saved:
            self._show_item(current, reload_notes=reload_notes)

    # ------------------------------------------------------------------ notes
    @on(ItemDetail.NotesEdited)
    def notes_edited(self, event: ItemDetail.NotesEdited) -> None:
        self.editing.edit_notes(event.item_id, event.text)

    @on(ItemDetail.NotesLeft)
    def notes_left(self) -> None:
        self._save_now()

    def _save_now(self) -> None:
        self.editing.save_drafts()

    @work
    async def action_choose_plan(self) -> None:
        """Show another plan of the database."""
        from tracker.ui.screens.plans import PlanPickerScreen

        self._save_now()
        picker = PlanPickerScreen(self.store, self.plan_id, self.editing.user)
        chosen = await self.app.push_screen_wait(picker)
        if chosen and (chosen != self.plan_id or picker.imported):
            self.app.show_plan(chosen)

    # ------------------------------------------------------------------ history
    def action_undo(self) -> None:
        """Undo the latest change made in this window (Ctrl+Z)."""
        self._went_to(self.editing.undo(self.flt))

    def action_redo(self) -> None:
        """Redo the latest undone change (Ctrl+Y)."""
        self._went_to(self.editing.redo(self.flt))

    def _went_to(self, outcome: Outcome) -> None:
        """After an undo or redo (already repainted), put the cursor on the item."""
        if outcome.change is None:
            return
        item_id = outcome.change.item_id
        self.go_to_item(item_id)
        if self._cursor_item_id() == item_id and self._current_item_id() != item_id:
            self._show_item(item_id, reload_notes=True)

    def action_history(self) -> None:
        """The highlighted item's history."""
        from tracker.ui.screens.history import HistoryScreen

        item_id = self._cursor_item_id() or self._current_item_id()
        if item_id is None:
            self.notify("请先在目录中选中一项具体任务", severity="warning")
            return
        self._save_now()
        self.app.push_screen(HistoryScreen(self.store, item_id))

    @work
    async def action_merge(self) -> None:
        """Merge other clerks' snapshots, then show what the database holds now."""
        from tracker.ui.screens.merge import MergeScreen

        if self.editing.refuse_if_read_only():
            return
        self._save_now()
        merged = await self.app.push_screen_wait(MergeScreen(self.store, self.editing.user))
        if merged:
            self.show_external_changes()

    @work
    async def action_conflicts(self) -> None:
        """The conflicts merges found; resolving one shows the new value here."""
        from tracker.ui.screens.merge import ConflictsScreen

        self._save_now()
        resolved = await self.app.push_screen_wait(ConflictsScreen(self.store, self.editing.user))
        if resolved:
            self.show_external_changes()

    def _tell_conflicts(self) -> None:
        count = self.store.unresolved_conflicts()
        if count:
            self.notify(f"有 {count} 条合并冲突待处理，按 C 查看", severity="warning", timeout=10)

    @on(DatabaseChanged)
    def show_external_changes(self) -> None:
        """Another window or a command committed: show what the database holds now."""
        tree = self.query_one(PlanTree)
        tree.refresh_labels()
        item_id = self._current_item_id()
        if item_id is not None and item_id not in self.editing.drafts:
            # Nothing typed here is pending: show their notes too.
            self._show_item(item_id, reload_notes=True)
        elif item_id is not None:
            self._show_item(item_id)

    # ------------------------------------------------------------------ other keys
    def action_focus_tree(self) -> None:
        """Back to the tree."""
        self.query_one(PlanTree).focus()

    @work
    async def action_export_snapshot(self) -> None:
        """Ask where, then write a snapshot of the database."""
        from tracker.ui.screens.export import ExportScreen

        self._save_now()
        store = self.store
        year = store.plan(self.plan_id).year if self.plan_id else store.today().year
        default = Path.home() / export_name(year, None, store.today(), "db")
        target = await self.app.push_screen_wait(ExportScreen(default))
        if target is None:
            return
        force = False
        if target.exists():
            force = await self.app.push_screen_wait(
                ConfirmScreen(f"文件「{target}」已存在。覆盖它吗？")
            )
            if not force:
                self.notify("未导出：没有覆盖已有文件", severity="warning")
                return
        try:
            written = self.store.export_snapshot(target, force=force)
        except SnapshotError as error:
            self.notify(str(error), severity="error", timeout=10, markup=False)
            return
        self.notify(f"快照已导出到：{written}", title="导出完成", timeout=10, markup=False)

    @work
    async def action_export_ledger(self) -> None:
        """Ask where, then write the ledger (xlsx or csv) of the items my unit filter shows."""
        from tracker.ui.screens.report import export_ledger_dialog

        self._save_now()
        await export_ledger_dialog(self, self.store, self.plan_id, self.flt.unit_id)

    def action_report(self) -> None:
        """The progress report (of my unit's items when that filter is on)."""
        from tracker.ui.screens.report import ReportScreen

        self._save_now()
        self.app.push_screen(ReportScreen(self.store, self.plan_id, self.flt.unit_id))
