"""The plan as a tree: plan → categories → key tasks → items.

Children are added when a node is first expanded, so opening a plan of any size costs
only its categories. Each node keeps a :class:`NodeRef` saying what it shows; the
screen reacts to ``Tree.NodeHighlighted``/``NodeSelected`` and reads ``node.data``.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass
from typing import Literal, Protocol

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from tracker.domain.deadlines import DueWarning
from tracker.store import CategoryRecord, ItemFilter, ItemRecord, KeyTaskRecord, PlanRecord
from tracker.ui.labels import (
    literal,
    mini_bar,
    one_line,
    painted,
    progress_text,
    status_badge,
    warning_style,
)
from tracker.ui.tones import Tone

NodeKind = Literal["plan", "category", "key_task", "item"]
ITEM_LABEL_WIDTH = 40
"""Cells of an item's content shown in its label; the detail pane shows it all."""


@dataclass(frozen=True)
class NodeRef:
    """What a tree node stands for."""

    kind: NodeKind
    id: str


class PlanOutline(Protocol):
    """The read-only queries the tree needs (the store provides them)."""

    def plan(self, plan_id: str, flt: ItemFilter | None = None) -> PlanRecord: ...
    def plan_outline(
        self, plan_id: str, flt: ItemFilter | None = None
    ) -> tuple[PlanRecord, list[CategoryRecord]]: ...
    def categories(self, plan_id: str, flt: ItemFilter | None = None) -> list[CategoryRecord]: ...
    def category(self, category_id: str, flt: ItemFilter | None = None) -> CategoryRecord: ...
    def key_tasks(self, category_id: str, flt: ItemFilter | None = None) -> list[KeyTaskRecord]: ...
    def key_task(self, key_task_id: str, flt: ItemFilter | None = None) -> KeyTaskRecord: ...
    def items(self, key_task_id: str, flt: ItemFilter | None = None) -> list[ItemRecord]: ...
    def item(self, item_id: str, flt: ItemFilter | None = None) -> ItemRecord: ...


def plan_label(plan: PlanRecord) -> Text:
    """Root label: the plan's done/total, overdue count and title."""
    return Text.assemble(_counts(plan), " ", literal(plan.title, "bold"))


def category_label(category: CategoryRecord) -> Text:
    """A category's done/total, overdue count, 序号 and title."""
    number = literal(f"{category.no} " if category.no else "", "bold")
    return Text.assemble(_counts(category), " ", number, literal(category.title))


def key_task_label(key_task: KeyTaskRecord) -> Text:
    """A key task's done/total and title (counts first, so a narrow tree still shows them)."""
    return Text.assemble(_counts(key_task), " ", literal(key_task.title))


def item_label(item: ItemRecord) -> Text:
    """An item's status badge, due warning, lead mark and the start of its content."""
    parts: list[Text | str] = [status_badge(item.status)]
    if item.warning in (DueWarning.OVERDUE, DueWarning.DUE_SOON):
        parts.append(painted(f"!{item.warning.label}", f"bold {warning_style(item.warning)}"))
    if item.unit_role == "lead":
        parts.append(painted("★", f"bold {Tone.MARK}"))
    parts += [" ", one_line(item.content, ITEM_LABEL_WIDTH)]
    return Text.assemble(*parts)


def _counts(record: PlanRecord | CategoryRecord | KeyTaskRecord) -> Text:
    progress = record.progress
    counts = Text.assemble(
        mini_bar(progress.done, progress.total), " ", progress_text(progress.done, progress.total)
    )
    if progress.overdue:
        counts.append(f" !{progress.overdue}", style=f"bold {Tone.ERROR}")
    return counts


class PlanTree(Tree[NodeRef]):
    """The plan's outline, filled lazily as nodes are expanded."""

    BINDINGS = [
        Binding("j", "cursor_down", "下移", show=False),
        Binding("k", "cursor_up", "上移", show=False),
        Binding("right", "expand_or_enter", "展开", show=False),
        Binding("left", "collapse_or_parent", "收起", show=False),
    ]

    def __init__(
        self, outline: PlanOutline, plan_id: str, flt: ItemFilter | None = None, **kwargs
    ) -> None:
        self.outline = outline
        self.plan_id = plan_id
        self.flt = flt or ItemFilter()
        # One aggregate query: the plan's counts are the sums of its categories'.
        plan, categories = outline.plan_outline(plan_id, self.flt)
        self._categories: list[CategoryRecord] | None = categories
        """The root's children, read with its counts, until the root is filled."""
        super().__init__(plan_label(plan), NodeRef("plan", plan_id), **kwargs)
        self._by_ref: dict[str, TreeNode[NodeRef]] = {plan_id: self.root}
        self._loaded: set[str] = set()
        # The counts each label shows, so highlighting a node costs no query.
        self._records: dict[str, PlanRecord | CategoryRecord | KeyTaskRecord] = {plan_id: plan}
        self._freeze_pending = False

    def on_mount(self) -> None:
        self.guide_depth = 3
        self._open()

    def _open(self) -> None:
        self.root.expand()
        self._fill(self.root)
        if not self.flt.is_empty:
            # A filtered plan is small: show every match at once.
            for category in list(self.root.children):
                category.expand()
                self._fill(category)
                for key_task in list(category.children):
                    if key_task.data is not None and key_task.data.kind == "key_task":
                        key_task.expand()
                        self._fill(key_task)
        # Open with the categories in view and the cursor on the first of them
        # (line 0 is the plan itself).
        self.cursor_line = 1 if self.root.children else 0

    def set_filter(self, flt: ItemFilter) -> None:
        """Show only the items the filter lets through (counts follow it)."""
        self.flt = flt
        gc.unfreeze()  # the nodes about to go may be collected (frozen again once filled)
        self.clear()
        self._by_ref = {self.plan_id: self.root}
        self._loaded = set()
        plan, self._categories = self.outline.plan_outline(self.plan_id, flt)
        self._records = {self.plan_id: plan}
        self.root.set_label(plan_label(plan))
        self._open()

    def record_for(self, node_id: str) -> PlanRecord | CategoryRecord | KeyTaskRecord | None:
        """The plan, category or key task a node shows, with the counts on its label."""
        return self._records.get(node_id)

    def node_for(self, node_id: str) -> TreeNode[NodeRef] | None:
        """The node showing a plan, category, key task or item, if it is loaded."""
        return self._by_ref.get(node_id)

    # ------------------------------------------------------------------ lazy fill
    @on(Tree.NodeExpanded)
    def _fill_on_expand(self, event: Tree.NodeExpanded[NodeRef]) -> None:
        self._fill(event.node)

    def _fill(self, node: TreeNode[NodeRef]) -> None:
        ref = node.data
        if ref is None or ref.id in self._loaded or ref.kind == "item":
            return
        self._loaded.add(ref.id)
        if ref.kind == "plan":
            # Read with the plan's counts (set_filter and __init__); read now otherwise.
            categories, self._categories = self._categories, None
            if categories is None:
                categories = self.outline.categories(ref.id, self.flt)
            for category in categories:
                self._records[category.id] = category
                self._add(node, category_label(category), NodeRef("category", category.id))
        elif ref.kind == "category":
            for key_task in self.outline.key_tasks(ref.id, self.flt):
                if not key_task.title.strip():
                    # A plan of two levels: the untitled key task is not shown, its
                    # items sit directly under the category.
                    self._loaded.add(key_task.id)
                    self._add_items(node, key_task.id)
                    continue
                self._records[key_task.id] = key_task
                self._add(node, key_task_label(key_task), NodeRef("key_task", key_task.id))
        elif ref.kind == "key_task":
            self._add_items(node, ref.id)
        self._freeze_soon()

    def _freeze_soon(self) -> None:
        """Once the nodes just added are drawn, keep them (and everything else alive by
        then) out of the garbage collector's full passes: with a whole big plan expanded
        (50,000 lines) a full pass takes tens of milliseconds and would stall a key press
        now and then. They live as long as the tree; clearing it unfreezes them."""
        if not self._freeze_pending:
            self._freeze_pending = True
            self.call_after_refresh(self._freeze)

    def _freeze(self) -> None:
        self._freeze_pending = False
        gc.freeze()

    def _add_items(self, node: TreeNode[NodeRef], key_task_id: str) -> None:
        for item in self.outline.items(key_task_id, self.flt):
            leaf = node.add_leaf(item_label(item), NodeRef("item", item.id))
            self._by_ref[item.id] = leaf

    def _add(self, parent: TreeNode[NodeRef], label: Text, ref: NodeRef) -> None:
        self._by_ref[ref.id] = parent.add(label, ref, allow_expand=True)

    def reveal(self, category_id: str, key_task_id: str, item_id: str) -> None:
        """Expand the way to an item and put the cursor on it."""
        for node_id in (category_id, key_task_id):
            node = self._by_ref.get(node_id)
            if node is not None:
                node.expand()
                self._fill(node)
        target = self._by_ref.get(item_id)
        if target is not None:
            # Node lines are known only after the tree is rebuilt with the new children.
            self.call_after_refresh(self.move_cursor, target)

    # ------------------------------------------------------------------ labels
    def update_item(self, item: ItemRecord) -> None:
        """Show an item's new status."""
        node = self._by_ref.get(item.id)
        if node is not None:
            node.set_label(item_label(item))

    def update_path(self, item: ItemRecord) -> None:
        """Show an item's new status and the new counts along its path."""
        self.update_item(item)
        outline, flt = self.outline, self.flt
        plan = outline.plan(self.plan_id, flt)
        self._records[self.plan_id] = plan
        self.root.set_label(plan_label(plan))
        category = outline.category(item.category_id, flt)
        key_task = outline.key_task(item.key_task_id, flt)
        self._records[category.id] = category
        self._records[key_task.id] = key_task
        for record, label in (
            (category, category_label(category)),
            (key_task, key_task_label(key_task)),
        ):
            node = self._by_ref.get(record.id)
            if node is not None:
                node.set_label(label)

    def refresh_labels(self) -> None:
        """Re-read every loaded node's label (another window changed the database)."""
        outline, flt = self.outline, self.flt
        plan = outline.plan(self.plan_id, flt)
        self._records[self.plan_id] = plan
        self.root.set_label(plan_label(plan))
        for node_id, node in list(self._by_ref.items()):
            ref = node.data
            if ref is None or ref.kind == "plan":
                continue
            try:
                if ref.kind == "category":
                    category = outline.category(node_id, flt)
                    self._records[node_id] = category
                    node.set_label(category_label(category))
                elif ref.kind == "key_task":
                    key_task = outline.key_task(node_id, flt)
                    self._records[node_id] = key_task
                    node.set_label(key_task_label(key_task))
                else:
                    node.set_label(item_label(outline.item(node_id, flt)))
            except KeyError:
                continue

    # ------------------------------------------------------------------ keys
    def action_expand_or_enter(self) -> None:
        """Expand the node, or step into it when it is open already."""
        node = self.cursor_node
        if node is None or not node.allow_expand:
            return
        self._fill(node)  # now, so a quick second → finds the children
        if node.is_expanded and node.children:
            self.action_cursor_down()  # the first child is the next line
        else:
            node.expand()

    def action_collapse_or_parent(self) -> None:
        """Collapse the node, or step out to its parent when it is closed."""
        node = self.cursor_node
        if node is None:
            return
        if node.is_expanded and node.allow_expand:
            node.collapse()
        elif node.parent is not None:
            self.action_cursor_parent()
