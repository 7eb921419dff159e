"""Search over the bundled 2023 plan: short and long Chinese queries, pinyin initials,
notes, filters and characters that mean something to FTS5 or to Rich markup.

The expected counts were checked by hand against data/2023-tongchuan-gongkai-fengong.txt
(items are numbered 1-47 in plan order):

- 「网」 (substring scan): 25 门户网站, 27 网上群众路线 / 区委网信办, 32 门户网站,
  34-36 (key task 大力提升政府网站信息化建管水平), 40 政府网站, 44 政府网站 → 8.
- 「网站」 (substring scan): the same without 27 → 7.
- 「政府网站」 (trigram index): 25 and 32 say 区政府门户网站, which is not 政府网站 → 5.
- 区发改局 is named in items 1, 2, 3, 5, 20, 33 → ``fgj`` finds 6.
- 区经信局 is named in items 1, 2, 5, 22, 25, 34, 35, 36 → ``jxj`` finds 8.
"""

from __future__ import annotations

from datetime import date

import pytest

from tracker.domain.deadlines import DueWarning
from tracker.domain.models import Status
from tracker.services.search import search
from tracker.store import ItemFilter, ItemRecord, Store

USER = "李四"


def plan_id(store: Store) -> str:
    return store.plans()[0].id


def numbers(store: Store, found: list[ItemRecord]) -> list[int]:
    """Items as their 1-based place in the plan, the way they were counted by hand."""
    place = {item.id: n for n, item in enumerate(store.filtered_items(plan_id(store)), start=1)}
    return [place[item.id] for item in found]


def item_no(store: Store, n: int) -> ItemRecord:
    return store.filtered_items(plan_id(store))[n - 1]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("网", [25, 27, 32, 34, 35, 36, 40, 44]),
        ("网站", [25, 32, 34, 35, 36, 40, 44]),
        ("政府网站", [34, 35, 36, 40, 44]),
        ("门户网站", [25, 32, 34]),
        ("舆情", [28]),
        ("双随机", [15]),
    ],
)
def test_chinese_queries_of_one_two_and_more_characters(
    store: Store, query: str, expected: list[int]
) -> None:
    assert numbers(store, search(store, plan_id(store), query)) == expected


def test_key_task_title_is_searched(store: Store) -> None:
    # 34-36 match through their key task, 大力提升政府网站信息化建管水平, alone.
    found = search(store, plan_id(store), "信息化建管水平")
    assert numbers(store, found) == [34, 35, 36]
    assert all("信息化建管水平" not in item.content for item in found)


def test_category_title_is_searched(store: Store) -> None:
    # 「夯实工作基础」 is category 5's title; none of its items repeats it.
    assert numbers(store, search(store, plan_id(store), "夯实工作基础")) == list(range(40, 48))


def test_units_cell_is_searched(store: Store) -> None:
    assert numbers(store, search(store, plan_id(store), "区发改局")) == [1, 2, 3, 5, 20, 33]


@pytest.mark.parametrize("query", ["fgj", "FGJ", "qfgj", " fgj "])
def test_pinyin_initials_find_the_units_items(store: Store, query: str) -> None:
    found = search(store, plan_id(store), query)
    assert numbers(store, found) == [1, 2, 3, 5, 20, 33]
    assert all("区发改局" in item.units_text for item in found)


def test_jxj_finds_the_economy_bureaus_items(store: Store) -> None:
    found = search(store, plan_id(store), "jxj")
    assert numbers(store, found) == [1, 2, 5, 22, 25, 34, 35, 36]
    assert all("区经信局" in item.units_text for item in found)


def test_initials_shared_by_two_units_find_both(store: Store) -> None:
    # 区交运局 and 区教育局 are both qjyj.
    found = search(store, plan_id(store), "jyj")
    assert numbers(store, found) == [4, 6, 9, 33]
    assert all("区交运局" in i.units_text or "区教育局" in i.units_text for i in found)


def test_notes_are_searchable_right_after_saving(store: Store) -> None:
    pid = plan_id(store)
    item = item_no(store, 4)
    assert search(store, pid, "鹦鹉") == []
    assert search(store, pid, "鹦鹉螺号") == []
    store.save_notes(item.id, "已赴鹦鹉螺号调研。", USER)
    assert [i.id for i in search(store, pid, "鹦鹉")] == [item.id]  # substring scan
    assert [i.id for i in search(store, pid, "鹦鹉螺号")] == [item.id]  # trigram index
    # Changed notes: the old words are gone from the index, the new ones are in.
    store.save_notes(item.id, "改为线上调研。", USER)
    assert search(store, pid, "鹦鹉螺号") == []
    assert search(store, pid, "鹦鹉") == []
    assert [i.id for i in search(store, pid, "线上调研")] == [item.id]


@pytest.mark.parametrize(
    "query",
    ["[", '"', "*", "[/]", '"网站', "网站*", "NEAR(", "a OR b", "'", "^", "-", ":", "(", "\\"],
)
def test_markup_and_fts_syntax_do_not_crash(store: Store, query: str) -> None:
    # The seed uses full-width punctuation only, so none of these ASCII marks matches.
    assert search(store, plan_id(store), query) == []


@pytest.mark.parametrize("query", ["[bold]", "[/]", '"引号"', "*星号*", "[", '"', "*"])
def test_marks_in_notes_are_found_literally(store: Store, query: str) -> None:
    item = item_no(store, 10)
    store.save_notes(item.id, '会议纪要 [bold]不是标记[/]，"引号"与*星号*。', USER)
    assert [i.id for i in search(store, plan_id(store), query)] == [item.id]


@pytest.mark.parametrize("query", ["", "   ", "\t"])
def test_empty_query_finds_nothing(store: Store, query: str) -> None:
    assert search(store, plan_id(store), query) == []


def test_results_stay_inside_the_filter(store: Store) -> None:
    pid = plan_id(store)
    store.set_status(item_no(store, 34).id, Status.DONE, USER)
    open_only = ItemFilter(statuses=frozenset({Status.NOT_STARTED}))
    assert numbers(store, search(store, pid, "政府网站", open_only)) == [35, 36, 40, 44]
    jxj = store.unit("区经信局")
    assert jxj is not None
    # 区经信局 answers for its own 8 items and, as a district department, for those of
    # 区政府工作部门 (13), 区级各部门（单位） (11-13) and 区政府相关工作部门 (19); of
    # 区发改局's six items it shares 1, 2 and 5.
    mine = ItemFilter(unit_id=jxj.id)
    assert numbers(store, search(store, pid, "fgj", mine)) == [1, 2, 5]
    assert len(store.filtered_items(pid, mine)) == 25


def test_results_narrow_a_search_filter_further(store: Store) -> None:
    pid = plan_id(store)
    earlier = frozenset(i.id for i in search(store, pid, "网站"))
    found = search(store, pid, "fgj", ItemFilter(item_ids=earlier))
    assert found == []
    found = search(store, pid, "jxj", ItemFilter(item_ids=earlier))
    assert numbers(store, found) == [25, 34, 35, 36]


def test_warning_filter_as_of_today(store: Store) -> None:
    store.today_override = date(2023, 8, 25)
    overdue = ItemFilter(warnings=frozenset({DueWarning.OVERDUE}))
    # 34 was due 5月31日 and 32 on 7月31日; both mention 网站/门户网站.
    assert numbers(store, search(store, plan_id(store), "网站", overdue)) == [32, 34]


def test_limit(store: Store) -> None:
    pid = plan_id(store)
    assert numbers(store, search(store, pid, "网", limit=3)) == [25, 27, 32]
