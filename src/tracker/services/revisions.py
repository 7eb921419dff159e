"""Revised plans: what changed since the tracked version, and carrying the work over.

Offices re-issue a 分工表 during the year (a task added, one dropped, a sentence
reworded, units changed). Importing the new version must not lose what the clerks
recorded against the old one. :func:`diff_plans` tells which items were added, removed,
reworded or left unchanged; :func:`import_revision` imports the new version and, for
each old item matched to a new one, carries its status, notes, last review and history
over — all in one transaction.

Matching, in order (each item is matched once):

1. the same id (same place, same text: nothing to carry);
2. the same category, key task and content (compared normalised: whitespace and
   full-width forms do not count);
3. the same content anywhere in the plan (the item moved);
4. similar content (``difflib`` ratio ≥ :data:`SIMILARITY`) within the corresponding
   category: *reworded*. Categories correspond by title, else by most of their matched
   items, else by number.

What carrying means, and what happens to the old rows:

- The new item gets the old item's ``status``, ``notes``, ``last_reviewed``,
  ``updated_at`` and ``updated_by``, but only if the new item is new to the database:
  an item that already exists keeps its own.
- History: ``changes`` is append-only, so the old item's rows stay untouched. Each is
  copied to the new item with the same field, values, time, clerk, kind and machine,
  no session (the copy was not made in one), and an id derived from the original's id
  and the new item's (so importing the same revision on two machines gives the same
  rows, and importing it twice adds nothing). Then one row per carried field records
  the carrying itself: ``kind = 'carried'``, by the importing clerk, now, from the new
  item's empty value to the carried one — so the last row of each field always ends
  at the item's current value.
- Nothing is deleted. When the revision keeps the tracked plan's title and year (same
  plan id), the old plan's items that are not in the new version (removed items, and
  the old texts of reworded or moved ones) are moved with their status, notes and
  history into an archive plan, ``<title>（<date> 修订前）``, so the plan itself shows
  only the new version. With a new title, the old plan stays as it was, beside the new.

The matching is here; the rows it writes are the store's
(:meth:`tracker.store.Store.import_revision`, :mod:`tracker.store.revisions`).
"""

from __future__ import annotations

import difflib
import re
from collections import Counter, defaultdict, deque
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from tracker.domain.models import Plan
from tracker.errors import NotFound
from tracker.importers.parser import normalise
from tracker.store import ImportResult, PlanRecord, Store, plan_rows
from tracker.store.revisions import ARCHIVE_MARK

SIMILARITY = 0.6
"""The least ``difflib`` ratio of two contents for an item to count as reworded."""

_ARCHIVE_TITLE = re.compile(rf"（\d{{4}}-\d{{2}}-\d{{2}} {ARCHIVE_MARK}）$")
_BRACKETED = re.compile(r"\([^()]*\)|【[^【】]*】|〔[^〔〕]*〕|\[[^\[\]]*\]")
_REVISION_WORDS = re.compile(
    r"修订稿|修订版|修订|调整稿|调整版|调整后的|调整后|调整|更新版|更新|定稿|终稿|最终版|"
    r"征求意见稿|送审稿|第[0-9一二三四五六七八九十]+版|[vV]\d+|^附件\d*[:：]?"
)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class PlacedItem(_Frozen):
    """An item with where it sits in its plan: one side of a comparison."""

    id: str
    """The item's id (as stored, or as the new version will be stored)."""
    category_no: str | None
    category_title: str
    key_task_title: str
    content: str
    units_text: str = ""
    deadline_text: str = ""

    @property
    def category_key(self) -> tuple[str, str]:
        """What identifies the category within one version of a plan."""
        return normalise(self.category_no or ""), normalise(self.category_title)

    @property
    def place(self) -> str:
        """Where the item sits, for a listing: ``1 加大主动公开力度 › 深入推进…``."""
        no = f"{self.category_no} " if self.category_no else ""
        return f"{no}{self.category_title.strip()} › {self.key_task_title.strip()}"


class ItemMatch(_Frozen):
    """An old item and the new item it became."""

    old: PlacedItem
    new: PlacedItem
    ratio: float
    """How similar the contents are (1.0 when equal after normalising)."""

    @property
    def moved(self) -> bool:
        """Whether the item now sits under another category or key task title."""
        return normalise(self.old.category_title) != normalise(
            self.new.category_title
        ) or normalise(self.old.key_task_title) != normalise(self.new.key_task_title)

    @property
    def changed_cells(self) -> tuple[str, ...]:
        """Which other cells changed: ``责任单位``, ``完成时限``."""
        changed = []
        if normalise(self.old.units_text) != normalise(self.new.units_text):
            changed.append("责任单位")
        if normalise(self.old.deadline_text) != normalise(self.new.deadline_text):
            changed.append("完成时限")
        return tuple(changed)


class PlanDiff(_Frozen):
    """What changed from the tracked version of a plan to a new one."""

    added: tuple[PlacedItem, ...] = ()
    """New items without a counterpart, in the new version's order."""
    removed: tuple[PlacedItem, ...] = ()
    """Old items without a counterpart, in the old version's order."""
    reworded: tuple[ItemMatch, ...] = ()
    """Items whose content changed (similar enough to be the same task)."""
    unchanged: tuple[ItemMatch, ...] = ()
    """Items whose content is the same (they may have moved, or changed units or deadline)."""

    @property
    def moved(self) -> tuple[ItemMatch, ...]:
        """Unchanged items that sit under another category or key task now."""
        return tuple(m for m in self.unchanged if m.moved)

    @property
    def identical(self) -> bool:
        """Whether the new version is the tracked one (every item kept its id)."""
        return (
            not self.added
            and not self.removed
            and not self.reworded
            and all(m.old.id == m.new.id for m in self.unchanged)
        )

    def summary(self) -> str:
        """``新增 N 条、删除 M 条、改写 K 条``."""
        added, removed, reworded = len(self.added), len(self.removed), len(self.reworded)
        return f"新增 {added} 条、删除 {removed} 条、改写 {reworded} 条"


class RevisionResult(_Frozen):
    """What :func:`import_revision` did."""

    plan_id: str
    """The new version's plan."""
    old_plan_id: str
    """The tracked plan it revises."""
    diff: PlanDiff
    imported: ImportResult
    carried: int
    """New items that received an old item's status, notes and history."""
    history_rows: int
    """Rows of ``changes`` written for them (copies and ``carried`` rows)."""
    archive_plan_id: str | None = None
    """Where the old version's superseded items went (same plan id only), if anywhere."""
    archive_plan_title: str | None = None
    """That archive plan's title."""


class AmbiguousRevision(NotFound):
    """Several tracked plans could be the one revised; the caller must name one."""

    def __init__(self, candidates: Sequence[PlanRecord]) -> None:
        self.candidates = tuple(candidates)
        names = "、".join(f"「{p.title}」（{p.id}）" for p in candidates)
        super().__init__(f"无法确定修订的是哪一份分工表：{names}")


# ---------------------------------------------------------------------- which plan
def base_title(title: str) -> str:
    """A title without what revisions add: bracketed notes and revision words.

    ``2023年全区政务公开工作要点分工表（修订稿）`` and ``2023年全区政务公开工作要点
    分工表`` have the same base title.
    """
    text = normalise(title)
    text = _BRACKETED.sub("", text)
    return _REVISION_WORDS.sub("", text)


def is_archive(plan: PlanRecord) -> bool:
    """Whether a plan is an archive of a revised plan's superseded items."""
    return bool(_ARCHIVE_TITLE.search(plan.title))


def find_revised_plan(store: Store, plan: Plan) -> PlanRecord | None:
    """The tracked plan that a newly read plan revises, if any.

    The rule: the plan with the same title and year (the same plan id); else, among
    the plans of the same year whose title is the same apart from bracketed notes and
    revision words (see :func:`base_title`), the one imported last. Archive plans are
    never revised.

    Returns:
        The plan, or None when the new plan is not a version of a tracked one.
    """
    plans = [p for p in store.plans() if not is_archive(p)]
    for candidate in plans:
        if candidate.id == plan.id:
            return candidate
    base = base_title(plan.title)
    similar = [p for p in plans if p.year == plan.year and base_title(p.title) == base]
    if not similar:
        return None
    imported = store.imported_at([p.id for p in similar])
    return max(similar, key=lambda p: imported.get(p.id, ""))


def resolve_plan(store: Store, name: str) -> PlanRecord:
    """A tracked plan by its id, the start of its id (4 characters or more) or its title.

    Raises:
        NotFound: no plan, or several, answer to ``name``.
    """
    plans = store.plans()
    exact = [p for p in plans if name in (p.id, p.title)]
    if len(exact) == 1:
        return exact[0]
    prefixed = [p for p in plans if len(name) >= 4 and p.id.startswith(name)]
    if len(prefixed) == 1 and not exact:
        return prefixed[0]
    if exact or prefixed:
        raise AmbiguousRevision(exact or prefixed)
    raise NotFound(f"未找到分工表「{name}」")


# ---------------------------------------------------------------------- comparing
def placed_items(plan: Plan) -> list[PlacedItem]:
    """A plan's items in order, with the ids the store will give them."""
    category_rows, key_task_rows, item_rows = plan_rows(plan)
    categories = {row["id"]: row for row in category_rows}
    key_tasks = {row["id"]: row for row in key_task_rows}
    placed = []
    for row in item_rows:
        key_task = key_tasks[row["key_task_id"]]
        category = categories[key_task["category_id"]]
        placed.append(
            PlacedItem(
                id=row["id"],
                category_no=category["no"],
                category_title=category["title"],
                key_task_title=key_task["title"],
                content=row["content"],
                units_text=row["units_text"],
                deadline_text=row["deadline_text"],
            )
        )
    return placed


def stored_items(store: Store, plan_id: str) -> list[PlacedItem]:
    """A tracked plan's items in plan order."""
    return [
        PlacedItem(
            id=item.id,
            category_no=item.category_no,
            category_title=item.category_title,
            key_task_title=item.key_task_title,
            content=item.content,
            units_text=item.units_text,
            deadline_text=item.deadline_text,
        )
        for item in store.filtered_items(plan_id)
    ]


def diff_plans(old: Plan | Sequence[PlacedItem], new: Plan | Sequence[PlacedItem]) -> PlanDiff:
    """Compare two versions of a plan item by item (see the module's matching rules).

    Args:
        old: The tracked version (:func:`stored_items`), or a parsed plan.
        new: The new version, parsed, or its :func:`placed_items`.

    Returns:
        What was added, removed, reworded and left unchanged.
    """
    olds = placed_items(old) if isinstance(old, Plan) else list(old)
    news = placed_items(new) if isinstance(new, Plan) else list(new)
    pair_of_old: dict[int, tuple[int, float]] = {}
    taken: set[int] = set()

    def pair(o: int, n: int, ratio: float) -> None:
        pair_of_old[o] = (n, ratio)
        taken.add(n)

    # 1. The same id.
    new_index = {item.id: i for i, item in enumerate(news)}
    for o, item in enumerate(olds):
        n = new_index.get(item.id)
        if n is not None and n not in taken:
            pair(o, n, 1.0)

    # 2. The same place and content; 3. the same content anywhere.
    def exact(key_of) -> None:
        waiting: dict[object, deque[int]] = defaultdict(deque)
        for n, item in enumerate(news):
            if n not in taken:
                waiting[key_of(item)].append(n)
        for o, item in enumerate(olds):
            if o not in pair_of_old and waiting[key_of(item)]:
                pair(o, waiting[key_of(item)].popleft(), 1.0)

    exact(lambda i: (*map(normalise, (i.category_title, i.key_task_title, i.content)),))
    exact(lambda i: normalise(i.content))

    # 4. Similar content within corresponding categories.
    category_of = _corresponding_categories(olds, news, pair_of_old)
    candidates: list[tuple[float, bool, int, int, int]] = []
    for o, old_item in enumerate(olds):
        if o in pair_of_old or old_item.category_key not in category_of:
            continue
        target = category_of[old_item.category_key]
        old_text = normalise(old_item.content)
        matcher = difflib.SequenceMatcher(None, autojunk=False)
        matcher.set_seq2(old_text)
        for n, new_item in enumerate(news):
            if n in taken or new_item.category_key != target:
                continue
            matcher.set_seq1(normalise(new_item.content))
            if matcher.real_quick_ratio() < SIMILARITY or matcher.quick_ratio() < SIMILARITY:
                continue
            ratio = matcher.ratio()
            if ratio >= SIMILARITY:
                same_key_task = normalise(old_item.key_task_title) == normalise(
                    new_item.key_task_title
                )
                candidates.append((ratio, same_key_task, -abs(o - n), o, n))
    for ratio, _, _, o, n in sorted(candidates, reverse=True):
        if o not in pair_of_old and n not in taken:
            pair(o, n, ratio)

    unchanged: list[ItemMatch] = []
    reworded: list[ItemMatch] = []
    for o, (n, ratio) in sorted(pair_of_old.items(), key=lambda kv: kv[1][0]):
        match = ItemMatch(old=olds[o], new=news[n], ratio=round(ratio, 4))
        same = normalise(olds[o].content) == normalise(news[n].content)
        (unchanged if same else reworded).append(match)
    return PlanDiff(
        added=tuple(item for n, item in enumerate(news) if n not in taken),
        removed=tuple(item for o, item in enumerate(olds) if o not in pair_of_old),
        reworded=tuple(reworded),
        unchanged=tuple(unchanged),
    )


def _corresponding_categories(
    olds: list[PlacedItem], news: list[PlacedItem], pairs: dict[int, tuple[int, float]]
) -> dict[tuple[str, str], tuple[str, str]]:
    """Which new category each old one became: same title, else where most of its
    matched items went, else the same number."""
    old_keys = list(dict.fromkeys(i.category_key for i in olds))
    new_keys = list(dict.fromkeys(i.category_key for i in news))
    result: dict[tuple[str, str], tuple[str, str]] = {}
    used: set[tuple[str, str]] = set()
    for key in old_keys:
        same = next((k for k in new_keys if k[1] == key[1] and k not in used), None)
        if same is not None:
            result[key] = same
            used.add(same)
    votes: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for o, (n, _) in pairs.items():
        votes[olds[o].category_key][news[n].category_key] += 1
    for key in old_keys:
        if key in result or not votes[key]:
            continue
        for target, _ in votes[key].most_common():
            if target not in used:
                result[key] = target
                used.add(target)
                break
    for key in old_keys:
        if key in result or not key[0]:
            continue
        same_no = next((k for k in new_keys if k[0] == key[0] and k not in used), None)
        if same_no is not None:
            result[key] = same_no
            used.add(same_no)
    return result


# ---------------------------------------------------------------------- importing
def import_revision(
    store: Store, new_plan: Plan, by: str, revises: str | None = None
) -> RevisionResult:
    """Import a new version of a tracked plan and carry the clerks' work over.

    In one transaction: import ``new_plan``; for every matched pair whose new item is
    new to the database, carry status, notes, last review and history over (see the
    module docstring); when the plan id is the tracked one's, move its superseded
    items into an archive plan.

    Args:
        store: The database.
        new_plan: The new version, as read from its file.
        by: The clerk importing it (recorded on the ``carried`` rows).
        revises: The tracked plan's id; None finds it by :func:`find_revised_plan`.

    Returns:
        The comparison and what was carried.

    Raises:
        NotFound: no tracked plan to revise (or ``revises`` names none).
    """
    if revises is None:
        found = find_revised_plan(store, new_plan)
        if found is None:
            raise NotFound(f"「{new_plan.title}」不是已跟踪分工表的修订版")
        revises = found.id
    new_items = placed_items(new_plan)
    diffs: list[PlanDiff] = []

    def pairs() -> list[tuple[str, str]]:
        # Inside the store's transaction: the tracked items compared are the ones carried.
        diffs.append(diff_plans(stored_items(store, revises), new_items))
        return [(m.old.id, m.new.id) for m in (*diffs[0].unchanged, *diffs[0].reworded)]

    written = store.import_revision(new_plan, revises, by, match=pairs)
    return RevisionResult(
        plan_id=new_plan.id,
        old_plan_id=revises,
        diff=diffs[0],
        imported=written.imported,
        carried=written.carried,
        history_rows=written.history_rows,
        archive_plan_id=written.archive_plan_id,
        archive_plan_title=written.archive_plan_title,
    )


# ---------------------------------------------------------------------- the command line
def revision_target(
    store: Store, plan: Plan, revises: str | None = None, as_new: bool = False
) -> PlanRecord | None:
    """Which tracked plan ``tracker import`` treats a file as a revision of.

    The rule:

    1. ``--new`` (``as_new``): none; the file is imported as a plan of its own.
    2. ``--revises PLAN``: that plan (id, start of the id, or title).
    3. Otherwise :func:`find_revised_plan`: the plan with the same title and year, else
       the one last imported with the same year and the same title apart from
       bracketed notes and revision words (``（修订稿）``, ``调整``, ...).

    A file identical to the tracked plan (every item keeps its id) is not a revision:
    it is imported again as before, which changes nothing.

    Returns:
        The plan revised, or None for a plain import.

    Raises:
        NotFound: ``revises`` names no plan, or several.
    """
    if as_new:
        return None
    if revises is not None:
        return resolve_plan(store, revises)
    old = find_revised_plan(store, plan)
    if (
        old is not None
        and old.id == plan.id
        and diff_plans(stored_items(store, old.id), plan).identical
    ):
        return None
    return old


def _line(text: str, width: int = 50) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def changed_excerpts(old: str, new: str, width: int = 50, context: int = 8) -> tuple[str, str]:
    """The parts of two texts that differ, with a little context on each side.

    ``…示范区建设等信息。`` → ``…示范区建设等信息，并做好解读。``: a long item reworded at
    its end shows its end, not the same first fifty characters twice.
    """
    old, new = " ".join(old.split()), " ".join(new.split())
    prefix = 0
    while prefix < min(len(old), len(new)) and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while (
        suffix < min(len(old), len(new)) - prefix
        and old[len(old) - 1 - suffix] == new[len(new) - 1 - suffix]
    ):
        suffix += 1
    start = max(prefix - context, 0)

    def excerpt(text: str) -> str:
        end = min(len(text) - suffix + context, len(text))
        part = ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")
        return part if len(part) <= width else part[: width - 1] + "…"

    return excerpt(old), excerpt(new)


def format_revision(result: RevisionResult, old: PlanRecord, new_plan: Plan) -> str:
    """What a revision import did, for the clerk: the summary line, then each change."""
    diff = result.diff
    same = old.id == new_plan.id
    what = f"「{new_plan.title}」" + ("的新版本" if same else f"是「{old.title}」的修订版")
    lines = [f"{what}：{diff.summary()}，已带入状态和进展（{result.carried} 条）"]
    if diff.moved:
        lines.append(f"另有 {len(diff.moved)} 条内容未变、位置有调整")
    changed_cells = [m for m in diff.unchanged if m.changed_cells]
    if changed_cells:
        lines.append(f"另有 {len(changed_cells)} 条内容未变、责任单位或完成时限有变化")
    if diff.added:
        lines += ["", "新增："]
        lines += [f"  + {_line(i.content)}（{_line(i.place, 30)}）" for i in diff.added]
    if diff.removed:
        lines += ["", "删除："]
        lines += [f"  - {_line(i.content)}（{_line(i.place, 30)}）" for i in diff.removed]
    if diff.reworded:
        lines += ["", "改写："]
        for match in diff.reworded:
            before, after = changed_excerpts(match.old.content, match.new.content)
            lines += [f"  ~ {before}", f"    → {after}"]
    if result.archive_plan_id:
        lines += [
            "",
            f"删除的条目和改写前的原文连同状态、进展，保留在「{result.archive_plan_title}」中"
            "（可在分工表列表中打开）",
        ]
    elif not same:
        lines += ["", f"原分工表「{old.title}」保持不变"]
    return "\n".join(lines)


def import_plan_or_revision(
    store: Store, plan: Plan, by: str, revises: str | None = None, as_new: bool = False
) -> tuple[str, str, bool]:
    """Import a plan read from a file the way ``tracker import`` does: as a revision of
    the tracked plan it revises (:func:`revision_target`), else as a plan of its own.

    Returns:
        The imported plan's id, what was done (for the clerk), and whether it was a
        revision.

    Raises:
        NotFound: ``revises`` names no tracked plan.
    """
    old = revision_target(store, plan, revises=revises, as_new=as_new)
    if old is not None:
        revision = import_revision(store, plan, by, revises=old.id)
        return revision.plan_id, format_revision(revision, old, plan), True
    result = store.import_plan(plan)
    titled = sum(1 for c in plan.categories for k in c.key_tasks if k.title.strip())
    key_tasks = f"{titled} 项重点工作任务，" if titled else ""
    return (
        result.plan_id,
        f"已导入「{plan.title}」：{result.categories} 项工作任务，"
        f"{key_tasks}{result.items} 条具体任务（新增 {result.new_items} 条）",
        False,
    )
