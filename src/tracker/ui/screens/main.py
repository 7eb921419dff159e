"""The main screen: the plan tree on the left, the selected node's panes on the right.

This screen owns the interaction with the store: it reacts to the tree and to the
panes' messages, commits status changes at once and schedules the notes autosave
(about half a second after typing stops, at least every two seconds while it goes
on, and at once on an item switch or when the notes lose focus).
"""

from __future__ import annotations

import gc
import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.reactive import var
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import ContentSwitcher, Footer, Static, TextArea, Tree

from tracker.domain.deadlines import DeadlineKind
from tracker.domain.models import Status
from tracker.store import (
    CategoryRecord,
    ChangedUnderneath,
    ItemFilter,
    ItemRecord,
    StoreError,
)
from tracker.store.outfile import export_name
from tracker.store.snapshot import SnapshotError
from tracker.ui.labels import literal
from tracker.ui.screens.dialogs import ConfirmScreen
from tracker.ui.screens.export import ExportScreen
from tracker.ui.screens.search import SearchScreen
from tracker.ui.widgets.folded import FoldedLine
from tracker.ui.widgets.item_detail import ItemDetail
from tracker.ui.widgets.node_summary import NodeSummary
from tracker.ui.widgets.plan_tree import NodeRef, PlanTree

if TYPE_CHECKING:
    from collections.abc import Callable

    from tracker.store import KeyTaskRecord, PlanRecord
    from tracker.ui.app import TrackerApp

SAVE_AFTER_PAUSE = 0.5
"""Seconds of no typing after which notes are saved."""
SAVE_AT_LEAST_EVERY = 1.5
"""Seconds of continuous typing after which notes are saved anyway: the promise is that
nothing typed more than 2 s ago is lost, and a timer may fire late on a busy machine."""

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

    def __init__(self, plan_id: str, flt: ItemFilter | None = None) -> None:
        super().__init__()
        self.plan_id = plan_id
        self._save_timer: Timer | None = None
        self._current: NodeRef | None = None
        self._stored_notes: dict[str, str] = {}
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
        self.set_reactive(MainScreen.flt, flt or ItemFilter())

    def compose(self) -> ComposeResult:
        store = self.app.store
        if self.app.read_only:
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
        store = self.app.store
        # With --today the figures are as of another day: say which.
        as_of = f"　截至 {store.today():%Y-%m-%d}" if store.today_override is not None else ""
        self.query_one(PlanTree).border_title = f"目录{as_of}"
        # What is built so far lives as long as the screen: keep it out of the garbage
        # collector's full passes, which otherwise stall a key press now and then.
        self.call_after_refresh(gc.freeze)
        if self.app.read_only:
            self.query_one("#notes", TextArea).read_only = True
        self.watch(self.app, "save_message", self._show_save_message)
        self._show_filter()
        self._tell_conflicts()

    # ------------------------------------------------------------------ filters
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
            unit = self.app.store.unit(flt.unit_id)
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
            UnitPickerScreen(self.app.store, self.plan_id, self.app.my_unit_id)
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
        chosen = await self.app.push_screen_wait(UnitsScreen(self.app.store, self.plan_id))
        if chosen:
            self.flt = self.flt.model_copy(update={"unit_id": chosen})

    def action_overview(self) -> None:
        """Progress per category and per unit."""
        from tracker.ui.screens.overview import OverviewScreen

        self._save_now()
        self.app.push_screen(OverviewScreen(self.app.store, self.plan_id))

    def action_search(self) -> None:
        """Search the plan; Enter jumps to the item."""
        self._save_now()
        self._open_search(SearchScreen(self.app.store, self.plan_id, self.flt))

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
        chosen = await self.app.push_screen_wait(DueScreen(self.app.store, self.plan_id, self.flt))
        if chosen:
            self.go_to_item(chosen)

    def go_to_item(self, item_id: str) -> None:
        """Put the tree's cursor on an item, expanding the way to it."""
        item = self.app.store.item(item_id)
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
            self.query_one("#notes", TextArea).focus()
            self.app.refuse_if_read_only()

    def _show(self, ref: NodeRef) -> None:
        store = self.app.store
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
        store = self.app.store
        stored = store.item(item_id, self.flt)
        # What this window last read from the database: typing starts from it, and a
        # save finding something else there knows another window saved meanwhile.
        self._stored_notes[item_id] = stored.notes
        self.query_one(ItemDetail).show(
            self._with_draft(stored),
            store.item_units(item_id),
            store.today(),
            store.review_period,
            reload_notes=reload_notes,
        )

    def _with_draft(self, item: ItemRecord) -> ItemRecord:
        draft = self.app.drafts.get(item.id)
        return item if draft is None else item.model_copy(update={"notes": draft})

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
        if self._text_target is not None and self.app.read_only and not follows:
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
            if self.app.refuse_if_read_only():
                self._text_target = ref  # swallow the rest of the phrase, not as commands
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
        search = SearchScreen(self.app.store, self.plan_id, self.flt, query=text)
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
        elif target is not None and not self.app.read_only:
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
        self._set_status(item_id, self.app.store.item(item_id).status.next())

    def _set_status(self, item_id: str, status: Status) -> None:
        if self.app.refuse_if_read_only():
            self._refresh_item(item_id)  # put the status control back
            return
        store = self.app.store
        shown = self.query_one(ItemDetail).item
        # The status the clerk sees: if another window changed it since, don't
        # overwrite their change unseen.
        expected = shown.status.value if shown is not None and shown.id == item_id else None
        try:
            change = store.apply_change(
                item_id, "status", status.value, self.app.user, expected=expected
            )
        except ChangedUnderneath as conflict:
            current = Status(conflict.current).label if conflict.current else "?"
            self.notify(
                f"这项任务的状态刚被另一窗口改为「{current}」，本次未修改。如仍要修改，请再按一次。",
                severity="warning",
                timeout=10,
            )
            self._refresh_item(item_id)
            return
        except (sqlite3.Error, StoreError) as error:
            self.notify(f"状态未能保存：{error}", severity="error", timeout=10, markup=False)
            self._refresh_item(item_id)  # show the status that is really stored
            return
        if change is not None:
            self.app.undo.record(change)
            self.app.show_saved()
            # Say what changed and how to take it back: a status key is one keystroke.
            outline = store.item(item_id).outline
            self.notify(f"已将 {outline} 设为 {status.label}（Ctrl+Z 撤销）", markup=False)
        self._refresh_item(item_id)

    def _refresh_item(self, item_id: str) -> None:
        self.query_one(PlanTree).update_path(self.app.store.item(item_id, self.flt))
        if self._current_item_id() == item_id:
            self._show_item(item_id)

    def action_mark_reviewed(self) -> None:
        """Record that the highlighted standing item was reviewed today."""
        if self.app.refuse_if_read_only():
            return
        item_id = self._cursor_item_id()
        if item_id is None:
            self.notify("请先在目录中选中一项具体任务", severity="warning")
            return
        store = self.app.store
        item = store.item(item_id)
        if item.deadline_kind is not DeadlineKind.STANDING and not (
            item.deadline_kind is DeadlineKind.DATE_THEN_STANDING and item.status is Status.DONE
        ):
            self.notify("只有常态长期任务（如及时公开、长期坚持）需要定期检查", severity="warning")
            return
        try:
            change = store.apply_change(
                item_id, "last_reviewed", store.today().isoformat(), self.app.user
            )
        except (sqlite3.Error, StoreError) as error:
            self.notify(f"未能保存：{error}", severity="error", timeout=10, markup=False)
            return
        self.app.undo.record(change)
        self.app.show_saved()
        self._refresh_item(item_id)

    # ------------------------------------------------------------------ notes
    @on(ItemDetail.NotesEdited)
    def notes_edited(self, event: ItemDetail.NotesEdited) -> None:
        drafts = self.app.drafts
        drafts.edit(event.item_id, event.text, base=self._stored_notes.get(event.item_id))
        self.app.typing()
        waited = drafts.dirty_for(event.item_id)
        if waited >= SAVE_AT_LEAST_EVERY:
            self._save_now()
            return
        if self._save_timer is not None:
            self._save_timer.stop()
        delay = min(SAVE_AFTER_PAUSE, SAVE_AT_LEAST_EVERY - waited)
        self._save_timer = self.set_timer(delay, self._save_now)

    @on(ItemDetail.NotesLeft)
    def notes_left(self) -> None:
        self._save_now()

    def save_now(self) -> None:
        """Save every unsaved note now and show the result."""
        self._save_now()

    def _save_now(self) -> None:
        if self._save_timer is not None:
            self._save_timer.stop()
            self._save_timer = None
        saved = self.app.save_drafts()
        if not saved and self.app.drafts:
            # Saving failed (disk full, folder gone…): the text stays in the draft
            # and in the pane; try again shortly.
            self._save_timer = self.set_timer(SAVE_AT_LEAST_EVERY, self._save_now)
        item_id = self._current_item_id()
        if saved and item_id in saved:
            # After a merge with another window's text, the pane shows both.
            self._show_item(item_id, reload_notes=item_id in self.app.merged_now)

    @work
    async def action_choose_plan(self) -> None:
        """Show another plan of the database."""
        from tracker.ui.screens.plans import PlanPickerScreen

        self._save_now()
        picker = PlanPickerScreen(self.app.store, self.plan_id, self.app.user)
        chosen = await self.app.push_screen_wait(picker)
        if chosen and (chosen != self.plan_id or picker.imported):
            self.app.show_plan(chosen)

    # ------------------------------------------------------------------ history
    def action_undo(self) -> None:
        """Undo the latest change made in this window (Ctrl+Z)."""
        self._undo_or_redo(undo=True)

    def action_redo(self) -> None:
        """Redo the latest undone change (Ctrl+Y)."""
        self._undo_or_redo(undo=False)

    def _undo_or_redo(self, undo: bool) -> None:
        if self.app.refuse_if_read_only():
            return
        self._save_now()
        stack, verb = self.app.undo, "撤销" if undo else "重做"
        try:
            change = (stack.undo if undo else stack.redo)(self.app.store, self.app.user)
        except ChangedUnderneath:
            self.notify(f"该项已被另一窗口修改，无法{verb}", severity="warning", timeout=8)
            return
        except (sqlite3.Error, StoreError) as error:
            self.notify(f"未能{verb}：{error}", severity="error", timeout=10, markup=False)
            return
        if change is None:
            self.notify(f"没有可{verb}的修改（只能{verb}本次打开后的修改）")
            return
        field = {"status": "状态", "notes": "进展情况", "last_reviewed": "检查日期"}[change.field]
        self.notify(f"已{verb}：{field}")
        self.app.show_saved()
        self.go_to_item(change.item_id)
        self.query_one(PlanTree).update_path(self.app.store.item(change.item_id, self.flt))
        if self._cursor_item_id() == change.item_id or self._current_item_id() == change.item_id:
            self._show_item(change.item_id, reload_notes=True)

    def action_history(self) -> None:
        """The highlighted item's history."""
        from tracker.ui.screens.history import HistoryScreen

        item_id = self._cursor_item_id() or self._current_item_id()
        if item_id is None:
            self.notify("请先在目录中选中一项具体任务", severity="warning")
            return
        self._save_now()
        self.app.push_screen(HistoryScreen(self.app.store, item_id))

    @work
    async def action_merge(self) -> None:
        """Merge other clerks' snapshots, then show what the database holds now."""
        from tracker.ui.screens.merge import MergeScreen

        if self.app.refuse_if_read_only():
            return
        self._save_now()
        merged = await self.app.push_screen_wait(MergeScreen(self.app.store, self.app.user))
        if merged:
            self.show_external_changes()

    @work
    async def action_conflicts(self) -> None:
        """The conflicts merges found; resolving one shows the new value here."""
        from tracker.ui.screens.merge import ConflictsScreen

        self._save_now()
        resolved = await self.app.push_screen_wait(ConflictsScreen(self.app.store, self.app.user))
        if resolved:
            self.show_external_changes()

    def _tell_conflicts(self) -> None:
        from tracker.merge import unresolved_count

        count = unresolved_count(self.app.store)
        if count:
            self.notify(f"有 {count} 条合并冲突待处理，按 C 查看", severity="warning", timeout=10)

    def show_external_changes(self) -> None:
        """Another window or a command committed: show what the database holds now."""
        tree = self.query_one(PlanTree)
        tree.refresh_labels()
        item_id = self._current_item_id()
        if item_id is not None and item_id not in self.app.drafts:
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
        self._save_now()
        store = self.app.store
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
            written = self.app.store.export_snapshot(target, force=force)
        except SnapshotError as error:
            self.notify(str(error), severity="error", timeout=10, markup=False)
            return
        self.notify(f"快照已导出到：{written}", title="导出完成", timeout=10, markup=False)

    @work
    async def action_export_ledger(self) -> None:
        """Ask where, then write the ledger (xlsx or csv) of the items my unit filter shows."""
        from tracker.ui.screens.report import export_ledger_dialog

        self._save_now()
        await export_ledger_dialog(self, self.app.store, self.plan_id, self.flt.unit_id)

    def action_report(self) -> None:
        """The progress report (of my unit's items when that filter is on)."""
        from tracker.ui.screens.report import ReportScreen

        self._save_now()
        self.app.push_screen(ReportScreen(self.app.store, self.plan_id, self.flt.unit_id))
