"""Deadlines (完成时限): the cell's words read into a kind and, where there is one, a date.

A plan's 完成时限 cell is free text: ``8月31日``, ``2023年6月底前``, ``及时公开``,
``每季度``, ``信息形成之日起20个工作日内``... :func:`parse_deadline` keeps the words exactly
as written and derives what they mean; when the words do not clearly name a date it
says so (:attr:`DeadlineKind.UNKNOWN`) rather than guess.

On top of that sit the reminders: :func:`next_due` (the date that matters today),
:func:`due_warning` (逾期 / 临期 / 正常) and :func:`needs_review` (standing work that
has not been looked at this reporting period). Every function takes ``today`` as an
argument, so nothing here reads the clock.

Nothing here knows about SQLite or the terminal.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import date, timedelta
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tracker.domain.lazy_re import lazy_compile

MIN_YEAR = 1900
"""The earliest year a deadline may name (the same range as a plan's year)."""
MAX_YEAR = 2999
"""The latest year a deadline may name."""

Recurrence = Literal["monthly", "quarterly", "half_yearly", "yearly"]
"""How often a recurring deadline comes round."""


class DeadlineKind(StrEnum):
    """What sort of deadline a 完成时限 cell states, stored as a stable code."""

    DATE = "date"
    STANDING = "standing"
    AS_NEEDED = "as_needed"
    RECURRING = "recurring"
    RELATIVE = "relative"
    UNKNOWN = "unknown"
    NONE = "none"
    """The plan sets no deadline (an empty cell, or no deadline column at all)."""
    DATE_THEN_STANDING = "date_then_standing"
    """Done by a date, then kept up (``2018年底前完成并持续落实``): overdue only until done,
    then reviewed like standing work."""

    @property
    def label(self) -> str:
        """The label a clerk reads."""
        return DEADLINE_KIND_LABELS[self]


DEADLINE_KIND_LABELS: dict[DeadlineKind, str] = {
    DeadlineKind.DATE: "有明确时限",
    DeadlineKind.STANDING: "常态长期",
    DeadlineKind.AS_NEEDED: "适时",
    DeadlineKind.RECURRING: "周期性",
    DeadlineKind.RELATIVE: "相对时限",
    DeadlineKind.UNKNOWN: "无法识别",
    DeadlineKind.NONE: "未定时限",
    DeadlineKind.DATE_THEN_STANDING: "限期完成后持续落实",
}

DATED_KINDS = frozenset({DeadlineKind.DATE, DeadlineKind.DATE_THEN_STANDING})
"""Kinds with a fixed due date."""
REVIEWED_KINDS = frozenset({DeadlineKind.STANDING, DeadlineKind.DATE_THEN_STANDING})
"""Kinds whose items are reviewed each period (the dated-then-standing once done)."""


class Deadline(BaseModel):
    """A 完成时限 cell: its original words and what they were read to mean."""

    model_config = ConfigDict(frozen=True)

    text: str
    """The cell's words, exactly as in the plan (never normalised)."""
    kind: DeadlineKind = DeadlineKind.UNKNOWN
    """What sort of deadline the words state."""
    due_date: date | None = None
    """The fixed due date, for a dated deadline and a yearly one with a month; else ``None``."""
    recurrence: Recurrence | None = None
    """How often a recurring deadline comes round; ``None`` unless it is recurring."""
    day: int | None = Field(default=None, ge=1, le=31)
    """The day of the month (``每月25日前`` → 25); ``None`` means the month's last day."""
    month: int | None = Field(default=None, ge=1, le=12)
    """The month of a yearly deadline (``每年3月31日前`` → 3); ``None`` means December."""
    working_days: int | None = Field(default=None, ge=1)
    """Working days allowed from the triggering event (``20个工作日内`` → 20)."""
    days: int | None = Field(default=None, ge=1)
    """Natural days allowed from the triggering event (``30日内`` → 30)."""
    months: int | None = Field(default=None, ge=1)
    """Months allowed from the plan's issue date (``6个月`` → 6, ``1年`` → 12), when the
    issue date is unknown (else the deadline is dated)."""


class DueWarning(StrEnum):
    """How an item stands against its deadline on a given day."""

    OVERDUE = "overdue"
    DUE_SOON = "due_soon"
    ON_TRACK = "on_track"
    NONE = "none"

    @property
    def label(self) -> str:
        """The label a clerk reads."""
        return DUE_WARNING_LABELS[self]

    @property
    def colour(self) -> str | None:
        """The colour to show the warning in (a colour name), or ``None`` for no colour."""
        return DUE_WARNING_COLOURS[self]


DUE_WARNING_LABELS: dict[DueWarning, str] = {
    DueWarning.OVERDUE: "逾期",
    DueWarning.DUE_SOON: "临期",
    DueWarning.ON_TRACK: "正常",
    DueWarning.NONE: "无时限/已完成",
}

DUE_WARNING_COLOURS: dict[DueWarning, str | None] = {
    DueWarning.OVERDUE: "red",
    DueWarning.DUE_SOON: "yellow",
    DueWarning.ON_TRACK: "green",
    DueWarning.NONE: None,
}


# --- Reading the words ------------------------------------------------------------------

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4}
_CN_DIGITS |= {"五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_NUMERAL = "零〇一二两三四五六七八九十"

# Chinese numerals are turned into digits only where they count something a deadline
# uses (months, days, quarters, working days), so words such as 统一 are left alone.
_CN_NUMBER = lazy_compile(
    rf"[{_CN_NUMERAL}]+(?=个?(?:月|日|号|工作日|自然日|天|季度|年(?:内|之内|以内)?$))"
    r"|[零〇一二三四五六七八九]{4}(?=年)"
)

# What may stand before a month: an explicit year (2023年), or 今年/次年 and the like.
_YEAR = r"(?:(?<![0-9])(?P<year>[0-9]{4})年|(?P<rel>[今本当次明来翌])年)?"
_MONTH = r"(?<![0-9])(?P<month>[0-9]{1,2})月份?"
# After a bare month or quarter these make it a start, or ambiguous ("6月前": end of May
# or of June?), so such a phrase names no date.
_NOT_AN_END = r"(?![0-9]|前|之前|以前|起|开始|以来|以后|后|初|中)"

_RELATIVE_YEAR = {"今": 0, "本": 0, "当": 0, "次": 1, "明": 1, "来": 1, "翌": 1}

_DATE_FULL = lazy_compile(_YEAR + _MONTH + r"(?P<day>[0-9]{1,2})(?:日|号)?(?![0-9])")
_DATE_NUMERIC = lazy_compile(
    r"(?<![0-9])(?P<year>[0-9]{4})[-./](?P<month>[0-9]{1,2})[-./](?P<day>[0-9]{1,2})(?![0-9])"
)
_DATE_MONTH_END = lazy_compile(_YEAR + _MONTH + r"(?:底|末)")
_DATE_TEN_DAYS = lazy_compile(_YEAR + _MONTH + r"(?P<xun>[上中下])旬")
_DATE_BARE_MONTH = lazy_compile(_YEAR + _MONTH + _NOT_AN_END)
_DATE_HALF = lazy_compile(_YEAR + r"(?P<half>[上下])半年")
_DATE_QUARTER = lazy_compile(
    _YEAR + r"第?(?<![0-9])(?P<quarter>[0-9])季度?(?:末|底|" + _NOT_AN_END + ")"
)
# 年底 may follow a year (2023年底, 2023年年底, 明年底) but not a count (3年内, 半年内).
_DATE_YEAR_END = lazy_compile(
    r"(?:(?<![0-9])(?P<year>[0-9]{4})年?|(?P<rel>[今本当次明来翌])年?"
    rf"|(?<![0-9半{_CN_NUMERAL}]))"
    r"(?:年底|年末|年内|年终|年度内|年度末)"
)

_EVERY_YEAR_DATE = lazy_compile(
    r"每年度?(?<![0-9])(?P<month>[0-9]{1,2})月(?P<day>[0-9]{1,2})(?:日|号)?(?![0-9])"
)
_EVERY_YEAR_MONTH = lazy_compile(r"每年度?(?<![0-9])(?P<month>[0-9]{1,2})月份?(?![0-9])")
_EVERY_YEAR_END = lazy_compile(r"每年度?(?:年底|年末|底|末)")
_EVERY_HALF_YEAR = lazy_compile(r"每半年")
_EVERY_QUARTER = lazy_compile(r"每个?季|按季度?")
_EVERY_QUARTER_DAY = lazy_compile(
    r"每个?季度?(?:最后[一1]个月|末月)的?(?P<day>[0-9]{1,2})(?:日|号)"
)
_EVERY_MONTH_DAY = lazy_compile(r"每个?月(?P<day>[0-9]{1,2})(?:日|号)")
_EVERY_MONTH = lazy_compile(r"每个?月|按月度?")
_EVERY_YEAR = lazy_compile(r"每年|按年度?")
_EVERY_HALF = lazy_compile(r"每半年|按半年")

_WORKING_DAYS = lazy_compile(r"(?<![0-9])(?P<n>[0-9]{1,4})个?工作日")
_NATURAL_DAYS = lazy_compile(
    r"(?<![0-9月])(?P<n>[0-9]{1,4})个?(?:自然日|日|天)(?:内|之内|以内)"
    r"|不少于(?P<at_least>[0-9]{1,4})个?(?:自然日|日|天)"
)
_MONTHS = lazy_compile(r"(?<![0-9])(?P<n>[0-9]{1,2})个月(?:内|之内|以内)?")
_YEARS = lazy_compile(r"^(?:[^0-9]*?)(?<![0-9])(?P<n>[1-9])年(?:内|之内|以内)?$")
_WHOLE_YEAR = lazy_compile(r"全年|年内")

_STANDING_WORDS = ("及时", "长期", "持续", "常态", "实时", "随时", "动态更新")
_AS_NEEDED_WORDS = ("适时", "上级要求", "上级部署", "上级安排", "按要求", "根据需要", "按需")

_INVALID = object()
"""Marks a phrase that looks like a date but is not one (2月30日, 13月, 第5季度)."""


def _normalise(text: str) -> str:
    """The matching form: NFKC, no whitespace, Chinese numerals as digits where they count."""
    folded = unicodedata.normalize("NFKC", text)
    folded = "".join(folded.replace("\u200b", "").replace("\ufeff", "").split())
    return _CN_NUMBER.sub(lambda m: _cn_to_digits(m.group()), folded)


def _cn_to_digits(numeral: str) -> str:
    """``十二`` → ``12``, ``三十一`` → ``31``, ``二〇二三`` → ``2023``; unreadable: unchanged."""
    if "十" not in numeral:
        return "".join(str(_CN_DIGITS[c]) for c in numeral)
    tens, _, ones = numeral.partition("十")
    if len(tens) > 1 or len(ones) > 1 or "十" in ones:
        return numeral
    value = (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)
    return str(value)


def _month_length(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _month_end(year: int, month: int) -> date:
    return date(year, month, _month_length(year, month))


def _valid_year(year: int) -> bool:
    return MIN_YEAR <= year <= MAX_YEAR


def _phrase_year(match: re.Match[str], year: int) -> int | None:
    """The year of a date phrase: its own, 今年/次年 counted from the plan's, else the plan's."""
    groups = match.groupdict()
    if groups.get("year"):
        explicit = int(groups["year"])
        return explicit if _valid_year(explicit) else None
    if groups.get("rel"):
        shifted = year + _RELATIVE_YEAR[groups["rel"]]
        return shifted if _valid_year(shifted) else None
    return year


def _date_of(match: re.Match[str], year: int, pattern: re.Pattern[str]) -> date | object:
    """The date one matched phrase names, or :data:`_INVALID`."""
    y = _phrase_year(match, year)
    if y is None:
        return _INVALID
    groups = match.groupdict()
    month = int(groups["month"]) if groups.get("month") else None
    if month is not None and not 1 <= month <= 12:
        return _INVALID
    if pattern is _DATE_FULL or pattern is _DATE_NUMERIC:
        assert month is not None
        day = int(groups["day"])
        if not 1 <= day <= _month_length(y, month):
            return _INVALID
        return date(y, month, day)
    if pattern is _DATE_MONTH_END or pattern is _DATE_BARE_MONTH:
        assert month is not None
        return _month_end(y, month)
    if pattern is _DATE_TEN_DAYS:
        assert month is not None
        xun = groups["xun"]
        return _month_end(y, month) if xun == "下" else date(y, month, 10 if xun == "上" else 20)
    if pattern is _DATE_HALF:
        return date(y, 6, 30) if groups["half"] == "上" else date(y, 12, 31)
    if pattern is _DATE_QUARTER:
        quarter = int(groups["quarter"])
        if not 1 <= quarter <= 4:
            return _INVALID
        return _month_end(y, quarter * 3)
    return date(y, 12, 31)  # _DATE_YEAR_END


_DATE_PATTERNS = (
    _DATE_FULL,
    _DATE_NUMERIC,
    _DATE_MONTH_END,
    _DATE_TEN_DAYS,
    _DATE_BARE_MONTH,
    _DATE_HALF,
    _DATE_QUARTER,
    _DATE_YEAR_END,
)


def _find_date(norm: str, year: int) -> date | object | None:
    """The date the words name: ``None`` if none, :data:`_INVALID` if one is impossible.

    Every date phrase is found; where two overlap the one starting first (then the longer)
    is the phrase. With several phrases (``6月底前完成初稿，12月底前公开``) the latest date
    is the deadline, the cell being a completion deadline.
    """
    found: list[tuple[int, int, re.Match[str], re.Pattern[str]]] = []
    for pattern in _DATE_PATTERNS:
        found.extend((m.start(), -m.end(), m, pattern) for m in pattern.finditer(norm))
    found.sort(key=lambda f: (f[0], f[1]))
    dates: list[date] = []
    taken_until = -1
    for start, neg_end, match, pattern in found:
        if start < taken_until:
            continue
        taken_until = -neg_end
        value = _date_of(match, year, pattern)
        if not isinstance(value, date):
            return _INVALID
        dates.append(value)
    return max(dates) if dates else None


def _recurring(text: str, norm: str, year: int) -> Deadline | None:
    """The deadline if the words state a recurring one (每月/每季度/每半年/每年)."""
    if m := _EVERY_YEAR_DATE.search(norm):
        month, day = int(m["month"]), int(m["day"])
        # Any year's calendar: 每年2月29日 exists (in leap years), 每年2月30日 never does.
        if not 1 <= month <= 12 or not 1 <= day <= _month_length(2000, month):
            return _unknown(text)
        due = date(year, month, min(day, _month_length(year, month)))
        return Deadline(
            text=text,
            kind=DeadlineKind.RECURRING,
            recurrence="yearly",
            month=month,
            day=day,
            due_date=due,
        )
    if m := _EVERY_YEAR_MONTH.search(norm):
        month = int(m["month"])
        if not 1 <= month <= 12:
            return _unknown(text)
        return Deadline(
            text=text,
            kind=DeadlineKind.RECURRING,
            recurrence="yearly",
            month=month,
            due_date=_month_end(year, month),
        )
    if _EVERY_YEAR_END.search(norm):
        return Deadline(
            text=text,
            kind=DeadlineKind.RECURRING,
            recurrence="yearly",
            month=12,
            day=31,
            due_date=date(year, 12, 31),
        )
    if _EVERY_HALF_YEAR.search(norm) or _EVERY_HALF.search(norm):
        return Deadline(text=text, kind=DeadlineKind.RECURRING, recurrence="half_yearly")
    if m := _EVERY_QUARTER_DAY.search(norm):
        day = int(m["day"])
        if not 1 <= day <= 31:
            return _unknown(text)
        return Deadline(text=text, kind=DeadlineKind.RECURRING, recurrence="quarterly", day=day)
    if _EVERY_QUARTER.search(norm):
        return Deadline(text=text, kind=DeadlineKind.RECURRING, recurrence="quarterly")
    if m := _EVERY_MONTH_DAY.search(norm):
        day = int(m["day"])
        if not 1 <= day <= 31:
            return _unknown(text)
        return Deadline(text=text, kind=DeadlineKind.RECURRING, recurrence="monthly", day=day)
    if _EVERY_MONTH.search(norm):
        return Deadline(text=text, kind=DeadlineKind.RECURRING, recurrence="monthly")
    if _EVERY_YEAR.search(norm):
        return Deadline(text=text, kind=DeadlineKind.RECURRING, recurrence="yearly")
    return None


def _relative(text: str, norm: str) -> Deadline | None:
    """The deadline if the words count days from an event (``20个工作日内``, ``30日内``)."""
    if m := _WORKING_DAYS.search(norm):
        n = int(m["n"])
        if n < 1:
            return _unknown(text)
        return Deadline(text=text, kind=DeadlineKind.RELATIVE, working_days=n)
    if m := _NATURAL_DAYS.search(norm):
        n = int(m["n"] or m["at_least"])
        if n < 1:
            return _unknown(text)
        return Deadline(text=text, kind=DeadlineKind.RELATIVE, days=n)
    return None


def _months(text: str, norm: str, issued: date | None) -> Deadline | None:
    """``6个月`` / ``1年``: counted from the plan's issue date when known, else flagged
    (relative, with :attr:`Deadline.months`)."""
    months = None
    if m := _MONTHS.search(norm):
        months = int(m["n"])
    elif m := _YEARS.search(norm):
        months = int(m["n"]) * 12
    if months is None or months < 1:
        return None
    if issued is None:
        return Deadline(text=text, kind=DeadlineKind.RELATIVE, months=months)
    total = issued.month - 1 + months
    year, month = issued.year + total // 12, total % 12 + 1
    if not _valid_year(year):
        return _unknown(text)
    due = date(year, month, min(issued.day, _month_length(year, month)))
    return Deadline(text=text, kind=DeadlineKind.DATE, due_date=due)


def _unknown(text: str) -> Deadline:
    return Deadline(text=text, kind=DeadlineKind.UNKNOWN)


def parse_deadline(text: str, year: int, issued: date | None = None) -> Deadline:
    """Read a 完成时限 cell.

    The words are matched in a normalised form (NFKC, so full-width digits and spaces
    match; whitespace removed; Chinese numerals such as ``十二月`` read as digits) but
    kept verbatim in :attr:`Deadline.text`. The first reading that fits wins, in this
    order: recurring (``每月25日前``, ``每季度``, ``每半年``, ``每年3月31日前``), relative
    (``信息形成之日起20个工作日内``, ``30日内``), dated (``8月31日``, ``2023年6月底前``,
    ``年底前``, ``11月中旬``, ``上半年``, ``第三季度``...), standing (``及时公开``,
    ``长期坚持``, ``持续推进``, ``常态化``...), as needed (``适时办理``, ``按上级要求``).
    ``全年`` is the year's end; ``按季度``/``按月度`` recur; ``6个月``/``1年`` count from the
    plan's issue date (relative and flagged without one); ``不少于30日`` is relative; a
    date followed by standing words (``2018年底前完成并持续落实``) is dated, then
    standing; an empty cell is :attr:`DeadlineKind.NONE` (no deadline). Anything else,
    and anything naming an impossible date (``2月30日``), is
    :attr:`DeadlineKind.UNKNOWN`: the words are never guessed at.

    Args:
        text: The cell's words, exactly as in the plan.
        year: The plan's year; a date without a year of its own belongs to it. Outside
            1900-2999 nothing can be dated and the result is unknown.
        issued: The plan's issue date, if known: ``6个月`` and ``1年`` count from it.

    Returns:
        The deadline; it never raises.
    """
    norm = _normalise(text)
    if not norm:
        return Deadline(text=text, kind=DeadlineKind.NONE)
    if not _valid_year(year):
        return _unknown(text)
    if (found := _recurring(text, norm, year)) is not None:
        return found
    if (found := _relative(text, norm)) is not None:
        return found
    if (found := _months(text, norm, issued)) is not None:
        return found
    if _WHOLE_YEAR.fullmatch(norm.rstrip("。.")):
        return Deadline(text=text, kind=DeadlineKind.DATE, due_date=date(year, 12, 31))
    when = _find_date(norm, year)
    if isinstance(when, date):
        kind = DeadlineKind.DATE
        if any(word in norm for word in _STANDING_WORDS):
            kind = DeadlineKind.DATE_THEN_STANDING  # 2018年底前完成并持续落实
        return Deadline(text=text, kind=kind, due_date=when)
    if when is _INVALID:
        return _unknown(text)
    if any(word in norm for word in _STANDING_WORDS):
        return Deadline(text=text, kind=DeadlineKind.STANDING)
    if any(word in norm for word in _AS_NEEDED_WORDS):
        return Deadline(text=text, kind=DeadlineKind.AS_NEEDED)
    return _unknown(text)


# --- Reminders ---------------------------------------------------------------------------


def _clamped(year: int, month: int, day: int | None) -> date:
    """The day in that month, or its last day when the month is shorter (or ``day`` is None)."""
    length = _month_length(year, month)
    return date(year, month, length if day is None else min(day, length))


def _next_recurring(deadline: Deadline, today: date) -> date:
    if deadline.recurrence == "monthly":
        this_month = _clamped(today.year, today.month, deadline.day)
        if today <= this_month:
            return this_month
        following = _month_end(today.year, today.month) + timedelta(days=1)
        return _clamped(following.year, following.month, deadline.day)
    if deadline.recurrence == "quarterly":
        this_quarter = _clamped(today.year, (today.month - 1) // 3 * 3 + 3, deadline.day)
        if today <= this_quarter:
            return this_quarter
        following = _month_end(today.year, (today.month - 1) // 3 * 3 + 3) + timedelta(days=1)
        return _clamped(following.year, following.month + 2, deadline.day)
    if deadline.recurrence == "half_yearly":
        return date(today.year, 6, 30) if today.month <= 6 else date(today.year, 12, 31)
    month = deadline.month or 12
    this_year = _clamped(today.year, month, deadline.day)
    if today <= this_year:
        return this_year
    return _clamped(today.year + 1, month, deadline.day)


def next_due(deadline: Deadline, today: date) -> date | None:
    """The due date that matters on ``today``.

    Args:
        deadline: A parsed deadline.
        today: The day to judge on.

    Returns:
        For a dated deadline, its due date; for a recurring one, the next occurrence on or
        after ``today`` (a monthly day beyond the month's end falls on its last day; a
        quarterly or half-yearly one falls on the period's last day; ``每月`` without a day
        on the month's last day, ``每年`` without a month on 31 December). ``None`` for any
        other kind, or past the end of the calendar.
    """
    if deadline.kind in DATED_KINDS:
        return deadline.due_date
    if deadline.kind != DeadlineKind.RECURRING or deadline.recurrence is None:
        return None
    try:
        return _next_recurring(deadline, today)
    except (ValueError, OverflowError):  # beyond date.max
        return None


def days_left(deadline: Deadline, today: date) -> int | None:
    """Days from ``today`` to :func:`next_due` (negative once overdue), or ``None``."""
    due = next_due(deadline, today)
    return None if due is None else (due - today).days


def due_warning(deadline: Deadline, done: bool, today: date, window_days: int = 14) -> DueWarning:
    """How an item stands against its deadline on ``today``.

    Args:
        deadline: The item's parsed deadline.
        done: Whether the item is finished; a finished item never warns.
        today: The day to judge on.
        window_days: How many days ahead a due date counts as 临期. The due day itself
            is still 临期; the day after it is 逾期.

    Returns:
        :attr:`DueWarning.NONE` when done or when there is no date to be late for
        (standing, as-needed, relative and unknown deadlines are never overdue);
        otherwise 逾期, 临期 or 正常.
    """
    if done:
        return DueWarning.NONE
    due = next_due(deadline, today)
    if due is None:
        return DueWarning.NONE
    if today > due:
        return DueWarning.OVERDUE
    if (due - today).days <= window_days:
        return DueWarning.DUE_SOON
    return DueWarning.ON_TRACK


def period_start(today: date, period: Literal["month", "quarter"] = "month") -> date:
    """The first day of the reporting period (month or quarter) containing ``today``."""
    if period == "quarter":
        return date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    return date(today.year, today.month, 1)


def needs_review(
    last_reviewed: date | None,
    today: date,
    period: Literal["month", "quarter"] = "month",
) -> bool:
    """Whether standing work is due for its periodic look.

    Args:
        last_reviewed: When the item was last reviewed, or ``None`` if never.
        today: The day to judge on.
        period: The reporting period: ``"month"`` or ``"quarter"``.

    Returns:
        True when never reviewed, or last reviewed before the current period began.
    """
    return last_reviewed is None or last_reviewed < period_start(today, period)
