"""Parse and validate Quartz cron expressions (Databricks ``quartz_cron_expression``).

The day fields are kept as small frozen dataclasses; ``fire_times`` computes when a ``QuartzSchedule``
fires, in a time zone, from them alone. ``QuartzError.reason`` names the first problem by field order.
"""
from __future__ import annotations

import calendar
import functools
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

_FIELDS_HINT = (
    "Quartz needs 6 or 7 fields (seconds minutes hours day-of-month month day-of-week [year])"
)


class QuartzError(ValueError):
    """An invalid expression; ``reason`` says what is wrong and what to write instead."""

    def __init__(self, expression: str, reason: str) -> None:
        super().__init__(f"invalid Quartz cron expression {expression!r}: {reason}")
        self.expression = expression
        self.reason = reason


class _Invalid(Exception):
    """Raised by the field parsers with a bare reason; parse_quartz adds the expression."""


@dataclass(frozen=True)
class NoSpecificDay:
    """'?': this day field does not restrict the schedule (the other day field does)."""


@dataclass(frozen=True)
class DaysOfMonth:
    days: frozenset[int]  # 1-31


@dataclass(frozen=True)
class LastDayOfMonth:
    offset: int = 0  # 'L' -> 0, 'L-3' -> 3 days before the last day of the month


@dataclass(frozen=True)
class NearestWeekday:
    day: int  # '15W': the Mon-Fri closest to the 15th, without leaving the month


@dataclass(frozen=True)
class LastWeekdayOfMonth:
    """'LW': the last Mon-Fri of the month."""


@dataclass(frozen=True)
class DaysOfWeek:
    days: frozenset[int]  # 1=SUN ... 7=SAT


@dataclass(frozen=True)
class LastDayOfWeekInMonth:
    weekday: int  # '6L': the last Friday of the month


@dataclass(frozen=True)
class NthDayOfWeekInMonth:
    weekday: int  # '6#3': the third Friday of the month
    nth: int  # 1-5


DayOfMonthSpec = NoSpecificDay | DaysOfMonth | LastDayOfMonth | NearestWeekday | LastWeekdayOfMonth
DayOfWeekSpec = NoSpecificDay | DaysOfWeek | LastDayOfWeekInMonth | NthDayOfWeekInMonth


@dataclass(frozen=True)
class QuartzSchedule:
    expression: str  # as given
    seconds: frozenset[int]
    minutes: frozenset[int]
    hours: frozenset[int]
    day_of_month: DayOfMonthSpec
    months: frozenset[int]
    day_of_week: DayOfWeekSpec
    years: frozenset[int] | None  # None = every year


@dataclass(frozen=True)
class _Field:
    name: str
    lo: int
    hi: int
    names: tuple[str, ...] = ()  # names[i] stands for lo + i
    noun: str = ""  # e.g. "a month name (JAN-DEC)"

    @property
    def max_step(self) -> int:
        # Quartz rejects a step above the field's maximum value (59, 23, 31, 12, 7); it has no
        # such check for years, where we cap the step at the number of years instead.
        return min(self.hi, self.hi - self.lo + 1)


_SECONDS = _Field("seconds", 0, 59)
_MINUTES = _Field("minutes", 0, 59)
_HOURS = _Field("hours", 0, 23)
_DOM = _Field("day-of-month", 1, 31)
_MONTH = _Field("month", 1, 12, tuple(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]),
                "a month name (JAN-DEC)")
_DOW = _Field("day-of-week", 1, 7, tuple(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]),
              "a day name (SUN-SAT)")
_YEAR = _Field("year", 1970, 2099)

# Where each special character may appear, and how to write it there.
_SPECIAL_FIELDS = {"#": ("day-of-week",), "W": ("day-of-month",),
                   "L": ("day-of-month", "day-of-week")}
_SPECIAL_FORMS = {
    "day-of-month": "is not a valid use of 'L' or 'W'; "
                    "write 'L', 'L-n', 'nW' or 'LW' on its own, e.g. 'L-3' or '15W'",
    "day-of-week": "is not a valid use of 'L' or '#'; "
                   "write 'L', 'nL' or 'n#k' on its own, e.g. '6L' or '6#3'",
}


def _is_number(token: str) -> bool:
    return token.isascii() and token.isdigit()


def _bad_token(f: _Field, token: str, text: str) -> str:
    """The reason for a token that is neither a number nor a name of field ``f``."""
    # A special day form that ended up inside a list/range, or in a field that has none.
    upper = token.upper()
    special = ("#" if "#" in upper else "W" if re.fullmatch(r"([0-9]+|L)W", upper)
               else "L" if re.fullmatch(r"([0-9]+|[A-Z]{3})?L", upper) else None)
    if special is None:
        return f"{f.name} value '{token}' is not a number" + (f" or {f.noun}" if f.noun else "")
    if f.name in _SPECIAL_FIELDS[special]:
        return f"{f.name} '{text}' {_SPECIAL_FORMS[f.name]}"
    return (f"'{special}' is only allowed in {' or '.join(_SPECIAL_FIELDS[special])}, "
            f"not in {f.name}")


def _value(f: _Field, token: str, text: str) -> int:
    if _is_number(token):
        n = int(token)
        if not f.lo <= n <= f.hi:
            raise _Invalid(f"{f.name} value {n} is out of range {f.lo}-{f.hi}")
        return n
    if token.upper() in f.names:
        return f.lo + f.names.index(token.upper())
    raise _Invalid(_bad_token(f, token, text))


def _step(f: _Field, token: str) -> int:
    if not _is_number(token):
        raise _Invalid(f"{f.name} step '{token}' is not a number")
    n = int(token)
    if n < 1:
        raise _Invalid(f"step {n} in {f.name} is not allowed; use a step from 1 to {f.max_step}")
    if n > f.max_step:
        raise _Invalid(f"step {n} is larger than the {f.name} range {f.lo}-{f.hi}; "
                       f"use a step from 1 to {f.max_step}")
    return n


def _parse_item(f: _Field, item: str, text: str) -> range:
    """One comma-separated part: '*', 'a', 'a-b', each optionally followed by '/step'."""
    base, slash, step_text = item.partition("/")
    parts = base.split("-")
    if ("" in parts or len(parts) > 2 or ("*" in base and base != "*")
            or (slash and (not step_text or "/" in step_text))):
        raise _Invalid(f"{f.name} part '{item}' is not a value, range or step; "
                       "write e.g. '5', '1-5', '*/5' or '1-5/2'")
    if base == "*":
        start, end = f.lo, f.hi
    else:
        start = _value(f, parts[0], text)
        end = _value(f, parts[1], text) if len(parts) == 2 else (f.hi if slash else start)
    step = _step(f, step_text) if slash else 1
    if start > end:
        # Quartz would wrap some of these around; we ask for the explicit two-range form.
        as_names = not _is_number(parts[0])
        suffix = item[len(base):]
        raise _Invalid(f"{f.name} range '{base}' runs backwards; write it as two ranges, e.g. "
                       f"'{_span(f, start, f.hi, as_names)}{suffix},"
                       f"{_span(f, f.lo, end, as_names)}{suffix}'")
    return range(start, end + 1, step)


def _span(f: _Field, a: int, b: int, as_names: bool) -> str:
    show = (lambda v: f.names[v - f.lo]) if as_names else str
    return show(a) if a == b else f"{show(a)}-{show(b)}"


def _parse_set(f: _Field, text: str) -> frozenset[int]:
    if "?" in text:
        raise _Invalid(f"'?' is only allowed in day-of-month or day-of-week, not in {f.name}")
    return frozenset(v for item in text.split(",") for v in _parse_item(f, item, text))


def _reject_mixed_question_mark(f: _Field, text: str) -> None:
    if "?" in text:
        raise _Invalid(f"{f.name} '{text}' combines '?' with other values; "
                       "write either '?' alone or the days without '?'")


def _parse_day_of_month(text: str) -> DayOfMonthSpec:
    upper = text.upper()
    if upper == "?":
        return NoSpecificDay()
    _reject_mixed_question_mark(_DOM, text)
    if upper == "L":
        return LastDayOfMonth()
    if upper == "LW":
        return LastWeekdayOfMonth()
    if m := re.fullmatch(r"L-([0-9]+)", upper):
        offset = int(m[1])
        if not 1 <= offset <= 30:
            raise _Invalid(f"day-of-month offset {offset} in '{text}' is out of range 1-30")
        return LastDayOfMonth(offset)
    if m := re.fullmatch(r"([0-9]+)W", upper):
        return NearestWeekday(_value(_DOM, m[1], text))
    return DaysOfMonth(_parse_set(_DOM, text))


def _parse_day_of_week(text: str) -> DayOfWeekSpec:
    upper = text.upper()
    if upper == "?":
        return NoSpecificDay()
    _reject_mixed_question_mark(_DOW, text)
    if upper == "L":
        return DaysOfWeek(frozenset({7}))  # a bare 'L' here means Saturday
    if m := re.fullmatch(r"([A-Za-z0-9]+)[Ll]", text):
        return LastDayOfWeekInMonth(_value(_DOW, m[1], text))
    if m := re.fullmatch(r"([A-Za-z0-9]+)#([0-9]+)", text):
        weekday, nth = _value(_DOW, m[1], text), int(m[2])
        if not 1 <= nth <= 5:
            raise _Invalid(f"day-of-week occurrence {nth} in '{text}' is out of range 1-5")
        return NthDayOfWeekInMonth(weekday, nth)
    return DaysOfWeek(_parse_set(_DOW, text))


def _reject_days_never_in(day_of_month: DayOfMonthSpec, months: frozenset[int], text: str) -> None:
    """'0 0 0 30 FEB ?' parses, deploys, and never runs: say so instead."""
    days = (day_of_month.days if isinstance(day_of_month, DaysOfMonth)
            else {day_of_month.day} if isinstance(day_of_month, NearestWeekday) else None)
    longest = max(calendar.monthrange(2024, m)[1] for m in months)  # 2024: a leap year, FEB has 29 days
    if days and min(days) > longest:
        names = ", ".join(_MONTH.names[m - 1] for m in sorted(months))
        raise _Invalid(f"day-of-month '{text}' never occurs in {names}, so the schedule never fires; "
                       f"use a day from 1 to {longest}, or 'L' for the last day of the month")


def _parse(expression: str) -> QuartzSchedule:
    fields = expression.split()
    if not fields:
        raise _Invalid(f"is empty; {_FIELDS_HINT}")
    if len(fields) == 5:
        raise _Invalid(f"has 5 fields, which is a unix cron expression; {_FIELDS_HINT}, "
                       "e.g. '0 */15 * * * ?' for every 15 minutes")
    if len(fields) not in (6, 7):
        raise _Invalid(f"has {len(fields)} field{'s' * (len(fields) != 1)}; {_FIELDS_HINT}")
    # Parse strictly left to right so the reported problem is the first one by field order.
    seconds = _parse_set(_SECONDS, fields[0])
    minutes = _parse_set(_MINUTES, fields[1])
    hours = _parse_set(_HOURS, fields[2])
    day_of_month = _parse_day_of_month(fields[3])
    months = _parse_set(_MONTH, fields[4])
    day_of_week = _parse_day_of_week(fields[5])
    dom_free, dow_free = (isinstance(d, NoSpecificDay) for d in (day_of_month, day_of_week))
    if dom_free and dow_free:
        raise _Invalid("has '?' in both day-of-month and day-of-week; "
                       "set one of them, e.g. '0 0 6 ? * *'")
    if not dom_free and not dow_free:
        raise _Invalid(f"sets both day-of-month ('{fields[3]}') and day-of-week ('{fields[5]}'); "
                       "Quartz needs '?' in exactly one of them, e.g. '0 0 6 1 * ?'")
    _reject_days_never_in(day_of_month, months, fields[3])
    years = None
    if len(fields) == 7 and fields[6] != "*":
        years = _parse_set(_YEAR, fields[6])
    return QuartzSchedule(expression, seconds, minutes, hours, day_of_month, months,
                          day_of_week, years)


def parse_quartz(expression: str) -> QuartzSchedule:
    """Parse a Quartz cron expression; raises QuartzError with a one-sentence reason."""
    try:
        return _parse(expression)
    except _Invalid as exc:
        raise QuartzError(expression, str(exc)) from None


# ---------------------------------------------------------------------------------------------- fire times

LAST_YEAR = _YEAR.hi  # Quartz schedules nothing after 2099


def _weekday(day: date) -> int:
    """Quartz numbering: 1=SUN ... 7=SAT."""
    return day.isoweekday() % 7 + 1


def _month_days(schedule: QuartzSchedule, year: int, month: int) -> frozenset[int]:
    """The days of `month` the schedule's day fields select."""
    length = calendar.monthrange(year, month)[1]
    dom, dow = schedule.day_of_month, schedule.day_of_week
    if isinstance(dom, DaysOfMonth):
        return frozenset(d for d in dom.days if d <= length)
    if isinstance(dom, LastDayOfMonth):
        return frozenset({length - dom.offset}) if length - dom.offset >= 1 else frozenset()
    if isinstance(dom, NearestWeekday):
        return frozenset({_nearest_weekday(year, month, dom.day, length)}) if dom.day <= length else frozenset()
    if isinstance(dom, LastWeekdayOfMonth):
        return frozenset({_nearest_weekday(year, month, length, length)})
    weekdays = {d: _weekday(date(year, month, d)) for d in range(1, length + 1)}
    if isinstance(dow, DaysOfWeek):
        return frozenset(d for d, w in weekdays.items() if w in dow.days)
    matching = [d for d, w in weekdays.items() if w == dow.weekday]  # type: ignore[union-attr]
    if isinstance(dow, LastDayOfWeekInMonth):
        return frozenset({matching[-1]})
    assert isinstance(dow, NthDayOfWeekInMonth)
    return frozenset({matching[dow.nth - 1]}) if dow.nth <= len(matching) else frozenset()


def _nearest_weekday(year: int, month: int, day: int, length: int) -> int:
    """Quartz 'W': the Mon-Fri nearest to `day`, never leaving the month."""
    weekday = _weekday(date(year, month, day))
    if weekday == 7:  # Saturday: the Friday before, or the Monday after on the 1st
        return day - 1 if day > 1 else day + 2
    if weekday == 1:  # Sunday: the Monday after, or the Friday before on the last day
        return day + 1 if day < length else day - 2
    return day


def _local_times(schedule: QuartzSchedule) -> list[time]:
    return [time(h, m, s) for h in sorted(schedule.hours) for m in sorted(schedule.minutes)
            for s in sorted(schedule.seconds)]


def _days(schedule: QuartzSchedule, start: date) -> Iterator[date]:
    """The days the schedule fires on, from `start` on, up to the end of LAST_YEAR."""
    years = sorted(y for y in (schedule.years or range(start.year, LAST_YEAR + 1)) if y >= start.year)
    for year in years:
        for month in sorted(schedule.months):
            if (year, month) < (start.year, start.month):
                continue
            for day in sorted(_month_days(schedule, year, month)):
                if date(year, month, day) >= start:
                    yield date(year, month, day)


def fire_times(schedule: QuartzSchedule, after: datetime, zone: tzinfo, count: int = 3) -> list[datetime]:
    """The first `count` times the schedule fires strictly after `after` (an aware datetime), as aware
    datetimes in `zone`, the job's time zone. Fewer when it stops firing before 2100.

    Daylight saving time as Quartz has it: a local time the clocks skip fires at the same moment an hour
    later by the clock (02:30 on a spring-forward night fires at 03:30); a local time that happens twice
    fires once, at its first occurrence."""
    if after.tzinfo is None:
        raise ValueError("after must be an aware datetime")
    local_after = after.astimezone(zone)
    times = _local_times(schedule)
    found: list[datetime] = []
    for day in _days(schedule, local_after.date()):
        for clock in times:
            # fold=0: the first occurrence of a repeated time; for a skipped one, the offset before the gap.
            # Compared in UTC: aware datetimes of one tzinfo compare by wall clock, not by instant.
            instant = datetime.combine(day, clock, tzinfo=zone).astimezone(timezone.utc)
            if instant > after and (not found or instant > found[-1]):
                found.append(instant)
                if len(found) == count:
                    break
        else:
            continue
        break
    return [instant.astimezone(zone) for instant in found]


# A job is stale when it has not succeeded within this many cadences: the monitoring alert's rule and
# `operations freshness`'s verdict alike.
STALE_AFTER_CADENCES = 2

# A fixed start, so a schedule's cadence is the same whenever and wherever it is computed (a Monday in January,
# no daylight saving change in the zones most jobs use).
_CADENCE_FROM = datetime(2030, 1, 7, tzinfo=timezone.utc)


@functools.lru_cache(maxsize=1024)  # connectors share a few schedules; a stack asks once per job
def cadence(expression: str, timezone_id: str) -> timedelta | None:
    """The longest wait between two consecutive fires of the schedule, over eight of its periods (eight days for
    a schedule that fires daily or more often, eight weeks for a weekly one...): how long a job on it may go
    without running. None when it fires fewer than twice from 2030 on."""
    schedule = parse_quartz(expression)
    per_day = len(_local_times(schedule))
    fires = fire_times(schedule, _CADENCE_FROM, ZoneInfo(timezone_id), count=min(8 * per_day + 1, 20_000))
    gaps = [later - earlier for earlier, later in itertools.pairwise(fires)]
    return max(gaps) if gaps else None
