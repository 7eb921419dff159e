"""Deadlines: reading 完成时限 cells, next due dates, warnings and review periods."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tracker.domain.deadlines import (
    Deadline,
    DeadlineKind,
    DueWarning,
    days_left,
    due_warning,
    needs_review,
    next_due,
    parse_deadline,
    period_start,
)
from tracker.importers.parser import read_plan_file
from tracker.store.locations import bundled_plan_path

YEAR = 2023

# --- Labels --------------------------------------------------------------------------------


def test_kind_codes_and_labels() -> None:
    assert {k.value: k.label for k in DeadlineKind} == {
        "date": "有明确时限",
        "standing": "常态长期",
        "as_needed": "适时",
        "recurring": "周期性",
        "relative": "相对时限",
        "unknown": "无法识别",
        "none": "未定时限",
        "date_then_standing": "限期完成后持续落实",
    }


def test_warning_codes_labels_and_colours() -> None:
    assert {w.value: (w.label, w.colour) for w in DueWarning} == {
        "overdue": ("逾期", "red"),
        "due_soon": ("临期", "yellow"),
        "on_track": ("正常", "green"),
        "none": ("无时限/已完成", None),
    }


def test_deadline_is_frozen() -> None:
    deadline = parse_deadline("8月31日", YEAR)
    with pytest.raises(ValueError):
        deadline.text = "9月30日"  # type: ignore[misc]


# --- Dated deadlines -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("8月31日", date(2023, 8, 31)),
        ("12月31日", date(2023, 12, 31)),
        ("2023年6月底前", date(2023, 6, 30)),
        ("2024年6月底前", date(2024, 6, 30)),  # the text's own year wins
        ("6月底前", date(2023, 6, 30)),
        ("6月底", date(2023, 6, 30)),
        ("6月末", date(2023, 6, 30)),
        ("4月底前", date(2023, 4, 30)),
        ("2月底前", date(2023, 2, 28)),
        ("年底前", date(2023, 12, 31)),
        ("年底", date(2023, 12, 31)),
        ("年末", date(2023, 12, 31)),
        ("年内", date(2023, 12, 31)),
        ("2023年底前", date(2023, 12, 31)),
        ("12月底前", date(2023, 12, 31)),
        ("十二月底前", date(2023, 12, 31)),
        ("三月底前", date(2023, 3, 31)),
        ("上半年", date(2023, 6, 30)),
        ("上半年内", date(2023, 6, 30)),
        ("下半年", date(2023, 12, 31)),
        ("11月中旬", date(2023, 11, 20)),
        ("11月上旬", date(2023, 11, 10)),
        ("11月下旬", date(2023, 11, 30)),
        ("2月下旬", date(2023, 2, 28)),
        ("2022年6月", date(2022, 6, 30)),
        ("6月", date(2023, 6, 30)),
        ("9月30日前", date(2023, 9, 30)),
        ("9月30日之前", date(2023, 9, 30)),
        ("第三季度", date(2023, 9, 30)),
        ("三季度末", date(2023, 9, 30)),
        ("第一季度", date(2023, 3, 31)),
        ("第四季度", date(2023, 12, 31)),
        ("2023年7月底前在区政府门户网站公开", date(2023, 7, 31)),
        ("次年3月底前", date(2024, 3, 31)),
        ("2023.6.30", date(2023, 6, 30)),
    ],
)
def test_dated(text: str, expected: date) -> None:
    deadline = parse_deadline(text, YEAR)
    assert deadline.kind == DeadlineKind.DATE
    assert deadline.due_date == expected
    assert deadline.text == text
    assert deadline.recurrence is None


def test_month_end_in_a_leap_year() -> None:
    assert parse_deadline("2月底前", 2024).due_date == date(2024, 2, 29)
    assert parse_deadline("2月末", 2000).due_date == date(2000, 2, 29)
    assert parse_deadline("2月底前", 1900).due_date == date(1900, 2, 28)
    assert parse_deadline("2024年2月", 2023).due_date == date(2024, 2, 29)
    assert parse_deadline("2月29日", 2024).due_date == date(2024, 2, 29)


def test_full_width_and_odd_spaces_match_but_text_is_verbatim() -> None:
    texts = ("８月３１日", "8 月 31 日", "8\u00a0月31日", "\u3000８月３１日\u3000", "8月31日\n")
    for text in texts:
        deadline = parse_deadline(text, YEAR)
        assert deadline.kind == DeadlineKind.DATE
        assert deadline.due_date == date(2023, 8, 31)
        assert deadline.text == text


def test_several_dates_take_the_completion_date() -> None:
    deadline = parse_deadline("6月底前完成初稿，12月底前公开", YEAR)
    assert deadline.due_date == date(2023, 12, 31)


# --- Standing, as needed -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["及时公开", "长期坚持", "持续推进", "常态化", "持续开展", "长期", "实时", " 及时公开 "]
)
def test_standing(text: str) -> None:
    deadline = parse_deadline(text, YEAR)
    assert deadline.kind == DeadlineKind.STANDING
    assert deadline.due_date is None
    assert deadline.text == text


@pytest.mark.parametrize("text", ["适时办理", "适时开展", "适时"])
def test_as_needed(text: str) -> None:
    deadline = parse_deadline(text, YEAR)
    assert deadline.kind == DeadlineKind.AS_NEEDED
    assert deadline.due_date is None


def test_standing_with_a_start_is_still_standing() -> None:
    assert parse_deadline("6月起持续推进", YEAR).kind == DeadlineKind.STANDING


# --- Recurring -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "recurrence", "month", "day", "due"),
    [
        ("每季度", "quarterly", None, None, None),
        ("每季度末", "quarterly", None, None, None),
        ("每个季度", "quarterly", None, None, None),
        ("每月25日前", "monthly", None, 25, None),
        ("每月二十五日前", "monthly", None, 25, None),
        ("每月", "monthly", None, None, None),
        ("每月底前", "monthly", None, None, None),
        ("每半年", "half_yearly", None, None, None),
        ("每年3月31日前", "yearly", 3, 31, date(2023, 3, 31)),
        ("每年6月底前", "yearly", 6, None, date(2023, 6, 30)),
        ("每年年底前", "yearly", 12, 31, date(2023, 12, 31)),
        ("每年", "yearly", None, None, None),
    ],
)
def test_recurring(
    text: str, recurrence: str, month: int | None, day: int | None, due: date | None
) -> None:
    deadline = parse_deadline(text, YEAR)
    assert deadline.kind == DeadlineKind.RECURRING
    assert (deadline.recurrence, deadline.month, deadline.day, deadline.due_date) == (
        recurrence,
        month,
        day,
        due,
    )


@pytest.mark.parametrize("text", ["每月32日", "每月0日", "每年2月30日", "每年13月"])
def test_impossible_recurring_is_unknown(text: str) -> None:
    assert parse_deadline(text, YEAR).kind == DeadlineKind.UNKNOWN


# --- Relative ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "working_days", "days"),
    [
        ("信息形成之日起20个工作日内", 20, None),
        ("收到申请之日起15个工作日内", 15, None),
        ("收到申请之日起十五个工作日内", 15, None),
        ("30日内", None, 30),
        ("30天内", None, 30),
        ("信息形成之日起３０日内", None, 30),
    ],
)
def test_relative(text: str, working_days: int | None, days: int | None) -> None:
    deadline = parse_deadline(text, YEAR)
    assert deadline.kind == DeadlineKind.RELATIVE
    assert (deadline.working_days, deadline.days) == (working_days, days)
    assert deadline.due_date is None


# --- Unknown: never guess ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "视情况而定",
        "另行通知",
        "2月30日",
        "2023年2月29日",  # not a leap year
        "4月31日",
        "13月",
        "第5季度",
        "6月前",  # end of May or of June?
        "半年内",
        "30日",
        "每周",
        "0个工作日内",
        "1899年6月底前",
        "3000年6月底前",
        "6月底前，2月30日前",  # one impossible date spoils the cell
    ],
)
def test_unknown(text: str) -> None:
    deadline = parse_deadline(text, YEAR)
    assert deadline.kind == DeadlineKind.UNKNOWN
    assert deadline.due_date is None
    assert deadline.text == text


@pytest.mark.parametrize("year", [0, 1899, 3000, -5, 10_000])
def test_invalid_year_is_unknown(year: int) -> None:
    assert parse_deadline("8月31日", year).kind == DeadlineKind.UNKNOWN
    assert parse_deadline("每年3月31日前", year).due_date is None


# --- The seed ------------------------------------------------------------------------------


def test_every_seed_deadline_is_read() -> None:
    plan = read_plan_file(bundled_plan_path())
    texts = [i.deadline_text for c in plan.categories for k in c.key_tasks for i in k.items]
    deadlines = [parse_deadline(t, plan.year) for t in texts]

    assert all(d.text == t for d, t in zip(deadlines, texts, strict=True))
    kinds = Counter(d.kind for d in deadlines)
    assert kinds == {DeadlineKind.STANDING: 32, DeadlineKind.AS_NEEDED: 1, DeadlineKind.DATE: 14}
    by_text = Counter((d.text.strip(), d.kind) for d in deadlines)
    assert by_text[("及时公开", DeadlineKind.STANDING)] == 22
    assert by_text[("长期坚持", DeadlineKind.STANDING)] == 10
    assert by_text[("适时办理", DeadlineKind.AS_NEEDED)] == 1
    dates = Counter(d.due_date for d in deadlines if d.kind == DeadlineKind.DATE)
    assert dates == {
        date(2023, 12, 31): 7,
        date(2023, 8, 31): 3,
        date(2023, 5, 31): 1,
        date(2023, 7, 31): 1,
        date(2023, 9, 30): 1,
        date(2023, 10, 31): 1,
    }


# --- next_due ------------------------------------------------------------------------------


def _recurring(text: str) -> Deadline:
    deadline = parse_deadline(text, YEAR)
    assert deadline.kind == DeadlineKind.RECURRING
    return deadline


def test_next_due_of_a_date_is_its_date_whatever_today() -> None:
    deadline = parse_deadline("8月31日", YEAR)
    assert next_due(deadline, date(2023, 1, 1)) == date(2023, 8, 31)
    assert next_due(deadline, date(2024, 1, 1)) == date(2023, 8, 31)


@pytest.mark.parametrize(
    "text", ["及时公开", "适时办理", "信息形成之日起20个工作日内", "视情况而定", ""]
)
def test_next_due_is_none_without_a_date(text: str) -> None:
    assert next_due(parse_deadline(text, YEAR), date(2023, 6, 1)) is None
    assert days_left(parse_deadline(text, YEAR), date(2023, 6, 1)) is None


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2023, 6, 1), date(2023, 6, 25)),
        (date(2023, 6, 25), date(2023, 6, 25)),
        (date(2023, 6, 26), date(2023, 7, 25)),
        (date(2023, 12, 26), date(2024, 1, 25)),
    ],
)
def test_next_due_monthly_day(today: date, expected: date) -> None:
    assert next_due(_recurring("每月25日前"), today) == expected


def test_next_due_monthly_day_is_clamped_to_the_month() -> None:
    deadline = _recurring("每月31日前")
    assert next_due(deadline, date(2023, 2, 10)) == date(2023, 2, 28)
    assert next_due(deadline, date(2024, 2, 10)) == date(2024, 2, 29)
    assert next_due(deadline, date(2023, 4, 1)) == date(2023, 4, 30)
    assert next_due(deadline, date(2023, 1, 31)) == date(2023, 1, 31)
    assert next_due(_recurring("每月30日前"), date(2024, 1, 31)) == date(2024, 2, 29)


def test_next_due_monthly_without_a_day_is_month_end() -> None:
    deadline = _recurring("每月")
    assert next_due(deadline, date(2024, 2, 1)) == date(2024, 2, 29)
    assert next_due(deadline, date(2023, 2, 28)) == date(2023, 2, 28)
    assert next_due(deadline, date(2023, 12, 31)) == date(2023, 12, 31)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2023, 1, 1), date(2023, 3, 31)),
        (date(2023, 3, 31), date(2023, 3, 31)),
        (date(2023, 4, 1), date(2023, 6, 30)),
        (date(2023, 8, 15), date(2023, 9, 30)),
        (date(2023, 12, 31), date(2023, 12, 31)),
    ],
)
def test_next_due_quarterly(today: date, expected: date) -> None:
    assert next_due(_recurring("每季度"), today) == expected


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2023, 1, 1), date(2023, 6, 30)),
        (date(2023, 6, 30), date(2023, 6, 30)),
        (date(2023, 7, 1), date(2023, 12, 31)),
    ],
)
def test_next_due_half_yearly(today: date, expected: date) -> None:
    assert next_due(_recurring("每半年"), today) == expected


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2023, 1, 1), date(2023, 3, 31)),
        (date(2023, 3, 31), date(2023, 3, 31)),
        (date(2023, 4, 1), date(2024, 3, 31)),
        (date(2025, 2, 1), date(2025, 3, 31)),
    ],
)
def test_next_due_yearly(today: date, expected: date) -> None:
    assert next_due(_recurring("每年3月31日前"), today) == expected


def test_next_due_yearly_leap_day_and_bare_year() -> None:
    leap = _recurring("每年2月29日前")
    assert next_due(leap, date(2023, 1, 1)) == date(2023, 2, 28)
    assert next_due(leap, date(2024, 1, 1)) == date(2024, 2, 29)
    assert next_due(_recurring("每年"), date(2023, 5, 1)) == date(2023, 12, 31)
    assert next_due(_recurring("每年6月底前"), date(2023, 7, 1)) == date(2024, 6, 30)


def test_next_due_at_the_end_of_the_calendar_is_none() -> None:
    assert next_due(_recurring("每月1日"), date.max) is None


# --- due_warning ---------------------------------------------------------------------------

AUG_31 = parse_deadline("8月31日", YEAR)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2023, 8, 1), DueWarning.ON_TRACK),
        (date(2023, 8, 16), DueWarning.ON_TRACK),  # 15 days left
        (date(2023, 8, 17), DueWarning.DUE_SOON),  # 14 days left: the window's edge
        (date(2023, 8, 30), DueWarning.DUE_SOON),
        (date(2023, 8, 31), DueWarning.DUE_SOON),  # the due day itself is not late
        (date(2023, 9, 1), DueWarning.OVERDUE),  # the day after is
        (date(2024, 1, 1), DueWarning.OVERDUE),
    ],
)
def test_due_warning_boundaries(today: date, expected: DueWarning) -> None:
    assert due_warning(AUG_31, done=False, today=today) == expected


def test_days_left() -> None:
    assert days_left(AUG_31, date(2023, 8, 17)) == 14
    assert days_left(AUG_31, date(2023, 8, 31)) == 0
    assert days_left(AUG_31, date(2023, 9, 1)) == -1


def test_due_warning_window_is_adjustable() -> None:
    today = date(2023, 8, 24)  # 7 days left
    assert due_warning(AUG_31, False, today, window_days=7) == DueWarning.DUE_SOON
    assert due_warning(AUG_31, False, today, window_days=6) == DueWarning.ON_TRACK
    assert due_warning(AUG_31, False, date(2023, 8, 31), window_days=0) == DueWarning.DUE_SOON


@pytest.mark.parametrize("today", [date(2023, 1, 1), date(2023, 8, 31), date(2024, 1, 1)])
def test_done_never_warns(today: date) -> None:
    assert due_warning(AUG_31, done=True, today=today) == DueWarning.NONE
    assert due_warning(_recurring("每月25日前"), done=True, today=today) == DueWarning.NONE


@pytest.mark.parametrize(
    "text", ["及时公开", "长期坚持", "适时办理", "信息形成之日起20个工作日内", "视情况而定"]
)
def test_undated_kinds_never_warn(text: str) -> None:
    deadline = parse_deadline(text, YEAR)
    for today in (date(2023, 1, 1), date(2023, 12, 31), date(2030, 6, 1)):
        assert due_warning(deadline, done=False, today=today) == DueWarning.NONE


def test_recurring_warns_before_each_occurrence_and_is_never_overdue() -> None:
    monthly = _recurring("每月25日前")
    assert due_warning(monthly, False, date(2023, 6, 10)) == DueWarning.ON_TRACK
    assert due_warning(monthly, False, date(2023, 6, 11)) == DueWarning.DUE_SOON
    assert due_warning(monthly, False, date(2023, 6, 25)) == DueWarning.DUE_SOON
    # After the 25th the next occurrence is next month's.
    assert due_warning(monthly, False, date(2023, 6, 26)) == DueWarning.ON_TRACK


# --- needs_review --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("last", "today", "expected"),
    [
        (None, date(2023, 6, 15), True),
        (date(2023, 6, 1), date(2023, 6, 30), False),
        (date(2023, 5, 31), date(2023, 6, 1), True),
        (date(2023, 6, 30), date(2023, 7, 1), True),
        (date(2023, 6, 15), date(2023, 6, 15), False),
        (date(2022, 12, 31), date(2023, 1, 1), True),
    ],
)
def test_needs_review_monthly(last: date | None, today: date, expected: bool) -> None:
    assert needs_review(last, today) is expected
    assert needs_review(last, today, "month") is expected


@pytest.mark.parametrize(
    ("last", "today", "expected"),
    [
        (None, date(2023, 6, 15), True),
        (date(2023, 4, 1), date(2023, 6, 30), False),
        (date(2023, 3, 31), date(2023, 4, 1), True),
        (date(2023, 3, 31), date(2023, 3, 31), False),
        (date(2023, 5, 31), date(2023, 6, 1), False),  # same quarter, new month
        (date(2023, 9, 30), date(2023, 10, 1), True),
        (date(2022, 12, 31), date(2023, 1, 1), True),
    ],
)
def test_needs_review_quarterly(last: date | None, today: date, expected: bool) -> None:
    assert needs_review(last, today, "quarter") is expected


def test_period_start() -> None:
    assert period_start(date(2023, 8, 15)) == date(2023, 8, 1)
    assert period_start(date(2023, 8, 15), "quarter") == date(2023, 7, 1)
    assert period_start(date(2023, 12, 31), "quarter") == date(2023, 10, 1)


# --- Properties ----------------------------------------------------------------------------

_DEADLINE_ALPHABET = (
    "0123456789０１２３年月日号底前末之内上中下旬半季度第每个工作天自然起后初"
    "零〇一二两三四五六七八九十今次明及时长期持续适 \u00a0\u3000.-/"
)


def _check(deadline: Deadline, text: str) -> None:
    assert deadline.text == text
    assert isinstance(deadline.kind, DeadlineKind)
    assert deadline.due_date is None or isinstance(deadline.due_date, date)
    dated = (DeadlineKind.DATE, DeadlineKind.DATE_THEN_STANDING)  # 2018年底前完成并持续落实
    if deadline.kind not in (*dated, DeadlineKind.RECURRING):
        assert deadline.due_date is None
    if deadline.kind in dated:
        assert deadline.due_date is not None


@given(st.text(), st.integers(min_value=-10_000, max_value=10_000))
@example("1月及时", 1900)  # dated, then standing: once found only now and then
def test_parse_never_raises_on_any_text(text: str, year: int) -> None:
    _check(parse_deadline(text, year), text)


@given(
    st.text(alphabet=_DEADLINE_ALPHABET, max_size=24),
    st.integers(min_value=1900, max_value=2999),
    st.dates(),
)
def test_parse_and_reminders_never_raise_on_deadline_like_text(
    text: str, year: int, today: date
) -> None:
    deadline = parse_deadline(text, year)
    _check(deadline, text)
    due = next_due(deadline, today)
    if deadline.kind == DeadlineKind.RECURRING and due is not None:
        assert today <= due < today + timedelta(days=367)
    assert isinstance(due_warning(deadline, done=False, today=today), DueWarning)
    assert due_warning(deadline, done=True, today=today) == DueWarning.NONE


# --- Wordings of other places' plans -------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\u3000"])
def test_no_deadline_is_its_own_kind_never_overdue(text: str) -> None:
    deadline = parse_deadline(text, YEAR)
    assert deadline.kind is DeadlineKind.NONE
    assert deadline.kind.label == "未定时限"
    assert due_warning(deadline, False, date(2099, 1, 1)) is DueWarning.NONE


@pytest.mark.parametrize("text", ["全年", "年内"])
def test_whole_year_is_the_year_end(text: str) -> None:
    deadline = parse_deadline(text, YEAR)
    assert (deadline.kind, deadline.due_date) == (DeadlineKind.DATE, date(YEAR, 12, 31))


@pytest.mark.parametrize(
    ("text", "recurrence"),
    [("按季度", "quarterly"), ("按季", "quarterly"), ("按月度", "monthly"), ("按月", "monthly")],
)
def test_by_quarter_and_by_month_recur(text: str, recurrence: str) -> None:
    deadline = parse_deadline(text, YEAR)
    assert (deadline.kind, deadline.recurrence) == (DeadlineKind.RECURRING, recurrence)


@pytest.mark.parametrize("text", ["按上级要求", "根据上级要求", "按上级部署"])
def test_as_the_higher_level_asks_is_as_needed(text: str) -> None:
    assert parse_deadline(text, YEAR).kind is DeadlineKind.AS_NEEDED


@pytest.mark.parametrize(
    ("text", "months", "due"),
    [
        ("6个月", 6, date(2023, 9, 28)),
        ("六个月内", 6, date(2023, 9, 28)),
        ("1年", 12, date(2024, 3, 28)),
        ("一年内", 12, date(2024, 3, 28)),
    ],
)
def test_months_run_from_the_issue_date_else_are_flagged(text: str, months: int, due: date):
    unknown_issue = parse_deadline(text, YEAR)
    assert (unknown_issue.kind, unknown_issue.months) == (DeadlineKind.RELATIVE, months)
    assert unknown_issue.due_date is None
    dated = parse_deadline(text, YEAR, issued=date(2023, 3, 28))
    assert (dated.kind, dated.due_date) == (DeadlineKind.DATE, due)


def test_at_least_thirty_days_is_relative() -> None:
    deadline = parse_deadline("不少于30日", YEAR)
    assert (deadline.kind, deadline.days) == (DeadlineKind.RELATIVE, 30)


def test_a_date_then_keep_it_up_is_dated_then_standing() -> None:
    deadline = parse_deadline("2018年底前完成并持续落实", YEAR)
    assert deadline.kind is DeadlineKind.DATE_THEN_STANDING
    assert deadline.due_date == date(2018, 12, 31)
    # overdue until done; once done it is standing work (never overdue, reviewed)
    assert due_warning(deadline, False, date(2019, 1, 5)) is DueWarning.OVERDUE
    assert due_warning(deadline, True, date(2019, 1, 5)) is DueWarning.NONE


def test_the_thirtieth_of_each_quarters_last_month() -> None:
    deadline = parse_deadline("每季度最后一个月的30日前", YEAR)
    assert (deadline.kind, deadline.recurrence, deadline.day) == (
        DeadlineKind.RECURRING,
        "quarterly",
        30,
    )
    assert next_due(deadline, date(2023, 2, 10)) == date(2023, 3, 30)
    assert next_due(deadline, date(2023, 3, 31)) == date(2023, 6, 30)
    assert next_due(deadline, date(2023, 12, 31)) == date(2024, 3, 30)
