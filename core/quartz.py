"""Parse and validate Quartz cron expressions (Databricks ``quartz_cron_expression``), and say when they fire.

The day fields are kept as small frozen dataclasses; ``fire_times`` computes when a ``QuartzSchedule``
fires, in a time zone, from them alone, as Quartz 2.3.2's ``CronExpression`` (what Databricks' scheduler runs)
does, clock changes included. ``QuartzError.reason`` names the first problem by field order.

The parser refuses everything Quartz refuses, and on purpose a little more: forms Quartz accepts but that never
mean what they say (``STRICTER_THAN_QUARTZ``). tests/core/test_quartz_against_real_quartz.py holds both claims
against the real Quartz.
"""
from __future__ import annotations

import bisect
import calendar
import functools
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

_T = TypeVar("_T")

_FIELDS_HINT = (
    "Quartz needs 6 or 7 fields (seconds minutes hours day-of-month month day-of-week [year])"
)


# What this parser refuses although Quartz accepts it; each entry: why (docs/jobs.md lists them).
STRICTER_THAN_QUARTZ = {
    "backwards-range": "a range that runs backwards ('FRI-MON', '50-10'): Quartz wraps it around the field's end, "
                       "which reads as a typo; write the two ranges",
    "special-day-in-list": "'L', 'W' or '#' inside a list or range ('1W,15', '1-5W', '15WL', '6#3,FRI'): Quartz "
                           "keeps one part and drops the rest without a word",
    "day-never-occurs": "a day the selected months never have ('30 FEB', 'L-29 FEB'): Quartz accepts it and never fires",
    "weekday-outside-month": "'nW' past the end of a shorter selected month ('31W' with APR), or 'L-nW' with n of "
                             "28 or more: Quartz fires on the month's last weekday in some months and skips the "
                             "others, or never answers",
    "step-after-name": "a step after a name ('MON-FRI/2', 'FEB/3'): Quartz ignores the step and fires on every value "
                       "of the range",
    "sloppy-syntax": "an empty list item, a doubled star or a step with no start ('1,,2', '**', '/5'): Quartz reads "
                     "past the typo",
    "extra-fields": "more than 7 fields ('0 0 6 * * ? 2030 1'): Quartz ignores everything after the year",
    "misplaced-last": "'L' in a time or month field ('0 L * * * ?'): Quartz accepts it, then fails computing a fire time",
    "step-zero": "a step of 0 ('*/0'): Quartz reads it as a step of 1",
    "step-past-range": "a range with a step larger than the field ('1-31/40'): Quartz takes the range's first value "
                       "only",
    "long-name": "a name longer than three letters ('MONDAY', 'JANUARY'): Quartz reads the first three letters and "
                 "ignores the rest, so 'MONSTER' is Monday too",
    "never-fires": "years that are all past, before 1970, after 2999 or beyond Quartz's horizon of 100 years ahead "
                   "('... 2020'): Quartz accepts the expression and never fires it",
    "too-frequent": "fires more often than every 10 seconds ('*/5 * * * * ?'): Databricks starts at most one "
                    "scheduled run per 10 seconds and skips the others",
}


class QuartzError(ValueError):
    """An invalid expression; ``reason`` says what is wrong and what to write instead. ``stricter`` names the
    ``STRICTER_THAN_QUARTZ`` entry when Quartz itself would accept the expression, else None."""

    def __init__(self, expression: str, reason: str, stricter: str | None = None) -> None:
        super().__init__(f"invalid Quartz cron expression {expression!r}: {reason}")
        self.expression = expression
        self.reason = reason
        self.stricter = stricter


class _Invalid(Exception):
    """Raised by the field parsers with a bare reason; parse_quartz adds the expression."""

    def __init__(self, reason: str, stricter: str | None = None) -> None:
        assert stricter is None or stricter in STRICTER_THAN_QUARTZ, stricter
        super().__init__(reason)
        self.stricter = stricter


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
    """'LW': the Mon-Fri nearest to the last day of the month; 'L-3W': to the third day before it."""
    offset: int = 0


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
        # Quartz refuses '*/n' and 'a/n' with n above the field's maximum value (59, 23, 31, 12, 7); we refuse the
        # same step after a range too, where Quartz takes the first value alone.
        return min(self.hi, self.hi - self.lo + 1)


_SECONDS = _Field("seconds", 0, 59)
_MINUTES = _Field("minutes", 0, 59)
_HOURS = _Field("hours", 0, 23)
_DOM = _Field("day-of-month", 1, 31)
_MONTH = _Field("month", 1, 12, tuple(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]),
                "a month name (JAN-DEC)")
_DOW = _Field("day-of-week", 1, 7, tuple(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]),
              "a day name (SUN-SAT)")
# Quartz reads any year; it fires none before 1970 or after 2999 (where its search gives up).
_YEAR = _Field("year", 1970, 2999)

# Quartz fires a schedule up to this many years after the current year, and never later.
YEARS_AHEAD = 100
# Databricks starts at most one scheduled run of a job per this many seconds.
MIN_SECONDS_BETWEEN_RUNS = 10

# Where each special character may appear, and how to write it there.
_SPECIAL_FIELDS = {"#": ("day-of-week",), "W": ("day-of-month",),
                   "L": ("day-of-month", "day-of-week")}
_SPECIAL_FORMS = {
    "day-of-month": "is not a valid use of 'L' or 'W'; "
                    "write 'L', 'L-n', 'nW', 'LW' or 'L-nW' on its own, e.g. 'L-3' or '15W'",
    "day-of-week": "is not a valid use of 'L' or '#'; "
                   "write 'L', 'nL' or 'n#k' on its own, e.g. '6L' or '6#3'",
}


def _is_number(token: str) -> bool:
    return token.isascii() and token.isdigit()


def _special_in_list(f: _Field, text: str) -> str | None:
    """Whether Quartz accepts the special form `text` of field `f` that we refuse (our STRICTER key), or refuses it
    too (None): it refuses 'L' beside other values in a list and '#' with a step; it misreads the rest."""
    upper = text.upper()
    if "," in upper and "L" in upper:
        return None
    if f is _DOW and "#" in upper and "/" in upper:
        return None
    return "special-day-in-list"


def _bad_token(f: _Field, token: str, text: str) -> _Invalid:
    """The problem with a token that is neither a number nor a name of field ``f``."""
    # A special day form that ended up inside a list/range, or in a field that has none.
    upper = token.upper()
    special = ("#" if "#" in upper else "W" if re.fullmatch(r"([0-9]+|L)WL?", upper)
               else "L" if re.fullmatch(r"([0-9]+|[A-Z]{3})?L", upper) else None)
    if special is None:
        if f.names and len(upper) > 3 and upper[:3] in f.names and upper.isalpha():
            return _Invalid(f"{f.name} value '{token}' is not {f.noun}: Quartz reads only its first three letters; "
                            f"write '{upper[:3]}'", "long-name")
        return _Invalid(f"{f.name} value '{token}' is not a number" + (f" or {f.noun}" if f.noun else ""))
    if f.name in _SPECIAL_FIELDS[special]:
        return _Invalid(f"{f.name} '{text}' {_SPECIAL_FORMS[f.name]}", _special_in_list(f, text))
    return _Invalid(f"'{special}' is only allowed in {' or '.join(_SPECIAL_FIELDS[special])}, "
                    f"not in {f.name}", _misplaced_last(f, token))


def _misplaced_last(f: _Field, token: str) -> str | None:
    """Our STRICTER key for an 'L' Quartz accepts where it means nothing: in a year it never fires, elsewhere it
    fails computing the next fire."""
    if token.upper() == "L" and f is _YEAR:
        return "never-fires"
    if "L" in token.upper() and f in (_SECONDS, _MINUTES, _HOURS, _MONTH):
        return "misplaced-last"
    if token.upper() == "L-" and f is _DOW:  # read as 'L', Saturday
        return "sloppy-syntax"
    return None


def _value(f: _Field, token: str, text: str) -> int:
    if _is_number(token):
        n = int(token)
        if not f.lo <= n <= f.hi:
            if f is _YEAR:
                raise _Invalid(f"year {n} is out of range {f.lo}-{f.hi}: Quartz never fires it", "never-fires")
            raise _Invalid(f"{f.name} value {n} is out of range {f.lo}-{f.hi}")
        return n
    if token.upper() in f.names:
        return f.lo + f.names.index(token.upper())
    raise _bad_token(f, token, text)


def _step(f: _Field, token: str, ranged: bool) -> int:
    if not _is_number(token):
        raise _Invalid(f"{f.name} step '{token}' is not a number")
    n = int(token)
    if n < 1:
        raise _Invalid(f"step {n} in {f.name} is not allowed; use a step from 1 to {f.max_step}", "step-zero")
    if n > f.max_step and f is not _YEAR:
        raise _Invalid(f"step {n} is larger than the {f.name} range {f.lo}-{f.hi}; "
                       f"use a step from 1 to {f.max_step}", "step-past-range" if ranged else None)
    return n


def _parse_item(f: _Field, item: str, text: str) -> range:
    """One comma-separated part: '*', 'a', 'a-b', each optionally followed by '/step'."""
    base, slash, step_text = item.partition("/")
    parts = base.split("-")
    if ("" in parts or len(parts) > 2 or ("*" in base and base != "*")
            or (slash and (not step_text or "/" in step_text))):
        raise _Invalid(f"{f.name} part '{item}' is not a value, range or step; "
                       "write e.g. '5', '1-5', '*/5' or '1-5/2'",
                       "sloppy-syntax" if not item or set(base) == {"*"} or (not base and slash)
                       else _misplaced_last(f, item))
    if base == "*":
        start, end = f.lo, f.hi
    else:
        start = _value(f, parts[0], text)
        end = _value(f, parts[1], text) if len(parts) == 2 else (f.hi if slash else start)
    named = [not _is_number(part) for part in parts] if base != "*" else [False]
    if len(parts) == 2 and named[0] != named[1]:
        low, high = sorted((start, end))
        raise _Invalid(f"{f.name} range '{base}' mixes a name and a number, which Quartz refuses; write both ends "
                       f"the same way, e.g. '{_span(f, low, high, True)}' or '{low}-{high}'")
    step = _step(f, step_text, ranged=len(parts) == 2) if slash else 1
    if slash and any(named):
        numbers = f"{start}-{end}/{step_text}" if len(parts) == 2 else f"{start}/{step_text}"
        raise _Invalid(f"{f.name} '{item}' has a step after a name, which Quartz ignores (it would fire on every "
                       f"value of the range); write numbers, e.g. '{numbers}', or list the values", "step-after-name")
    if start > end:
        if f is _YEAR:  # Quartz refuses these; it wraps the other fields' backwards ranges around
            raise _Invalid(f"year range '{base}' runs backwards; write '{end}-{start}'")
        as_names = not _is_number(parts[0])
        suffix = item[len(base):]
        raise _Invalid(f"{f.name} range '{base}' runs backwards; write it as two ranges, e.g. "
                       f"'{_span(f, start, f.hi, as_names)}{suffix},"
                       f"{_span(f, f.lo, end, as_names)}{suffix}'", "backwards-range")
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
                       "write either '?' alone or the days without '?'",
                       "sloppy-syntax" if text.startswith("?") else None)  # Quartz reads '?5' as '?'



def _parse_day_of_month(text: str) -> DayOfMonthSpec:
    upper = text.upper()
    if upper == "?":
        return NoSpecificDay()
    _reject_mixed_question_mark(_DOM, text)
    if m := re.fullmatch(r"L(?:-([0-9]+))?(W?)", upper):
        offset = int(m[1] or 0)
        if offset > 30:
            raise _Invalid(f"day-of-month offset {offset} in '{text}' is out of range 0-30")
        return LastWeekdayOfMonth(offset) if m[2] else LastDayOfMonth(offset)
    if m := re.fullmatch(r"([0-9]+)W", upper):
        if int(m[1]) == 0:  # Quartz accepts it, and then never finds a fire time
            raise _Invalid(f"day-of-month '{text}' names day 0, which no month has; use a day from 1 to 31",
                           "day-never-occurs")
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


def _month_names(months: frozenset[int] | set[int]) -> str:
    return ", ".join(_MONTH.names[m - 1] for m in sorted(months))


def _reject_days_outside(day_of_month: DayOfMonthSpec, months: frozenset[int], text: str) -> None:
    """'0 0 0 30 FEB ?' parses, deploys, and never runs; '31W' misfires in 30-day months: say so instead."""
    # Month lengths: the longest (a leap year's FEB) says whether a day ever occurs, the shortest whether it always does.
    longest = {m: calendar.monthrange(2024, m)[1] for m in months}
    shortest = {m: calendar.monthrange(2023, m)[1] for m in months}
    if isinstance(day_of_month, DaysOfMonth | NearestWeekday):
        days = day_of_month.days if isinstance(day_of_month, DaysOfMonth) else {day_of_month.day}
        if min(days) > max(longest.values()):
            raise _Invalid(f"day-of-month '{text}' never occurs in {_month_names(months)}, so the schedule never "
                           f"fires; use a day from 1 to {max(longest.values())}, or 'L' for the last day of the "
                           "month", "day-never-occurs")
        if isinstance(day_of_month, NearestWeekday) and (short := {m for m in months if shortest[m] < day_of_month.day}):
            raise _Invalid(f"day-of-month '{text}': {_month_names(short)} can be shorter than {day_of_month.day} days, "
                           "where Quartz's nearest weekday misfires; write 'LW' for the month's last weekday, or "
                           "leave those months out", "weekday-outside-month")
    if isinstance(day_of_month, LastDayOfMonth | LastWeekdayOfMonth) and day_of_month.offset:
        if max(longest.values()) - day_of_month.offset < 1:
            raise _Invalid(f"day-of-month '{text}' never occurs in {_month_names(months)}, so the schedule never "
                           f"fires; use an offset below {max(longest.values())}", "day-never-occurs")
        if isinstance(day_of_month, LastWeekdayOfMonth) and day_of_month.offset > _LAST_WEEKDAY_OFFSET_MAX:
            raise _Invalid(f"day-of-month '{text}': Quartz never answers for a nearest weekday {day_of_month.offset} "
                           f"days before the last in some months; use an offset up to {_LAST_WEEKDAY_OFFSET_MAX}, "
                           "or a day such as '1W'", "weekday-outside-month")


# 'L-nW' with n of 28 or more sends Quartz 2.3.2 into an endless loop in some months (January, February and more).
_LAST_WEEKDAY_OFFSET_MAX = 27


def _reject_too_frequent(times: tuple[int, ...], expression_fields: list[str]) -> None:
    """Two fires closer than Databricks' minimum: it would skip one, so the schedule does not mean what it says."""
    gaps = [later - earlier for earlier, later in itertools.pairwise([*times, times[0] + 86_400])]
    closest = min(gaps)
    if closest < MIN_SECONDS_BETWEEN_RUNS:
        raise _Invalid(f"fires {closest} second{'s' * (closest != 1)} apart (seconds '{expression_fields[0]}', "
                       f"minutes '{expression_fields[1]}'); Databricks starts at most one scheduled run per "
                       f"{MIN_SECONDS_BETWEEN_RUNS} seconds and skips the others: space the runs at least "
                       f"{MIN_SECONDS_BETWEEN_RUNS} seconds apart, e.g. seconds '0/{MIN_SECONDS_BETWEEN_RUNS}'",
                       "too-frequent")


# A config names a few schedules for many jobs: each expression is parsed once (a QuartzSchedule is immutable).
@functools.lru_cache(maxsize=1024)
def _parse(expression: str) -> QuartzSchedule:
    fields = expression.split()
    if not fields:
        raise _Invalid(f"is empty; {_FIELDS_HINT}")
    if len(fields) == 5:
        raise _Invalid(f"has 5 fields, which is a unix cron expression; {_FIELDS_HINT}, "
                       "e.g. '0 */15 * * * ?' for every 15 minutes")
    if len(fields) not in (6, 7):
        raise _Invalid(f"has {len(fields)} field{'s' * (len(fields) != 1)}; {_FIELDS_HINT}",
                       "extra-fields" if len(fields) > 7 else None)
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
    years = None
    if len(fields) == 7 and fields[6] != "*":
        years = _parse_set(_YEAR, fields[6])
    _reject_days_outside(day_of_month, months, fields[3])
    schedule = QuartzSchedule(expression, seconds, minutes, hours, day_of_month, months, day_of_week, years)
    _reject_too_frequent(_seconds_of_day(schedule), fields)
    return schedule


def _reject_years_past(schedule: QuartzSchedule, now: datetime) -> None:
    """A schedule whose years are over deploys and never runs; Quartz also fires nothing beyond its horizon."""
    if schedule.years is None or fire_times(schedule, now, timezone.utc, 1):
        return
    shown = _span(_YEAR, min(schedule.years), max(schedule.years), False)
    if min(schedule.years) > now.year + YEARS_AHEAD:
        raise _Invalid(f"its years ({shown}) are more than {YEARS_AHEAD} years ahead, where Quartz fires nothing; "
                       "use nearer years or drop the year field", "never-fires")
    raise _Invalid(f"its years ({shown}) have no fire time left after {now.date()}, so it never fires again; "
                   "drop the year field, or use a later year", "never-fires")


def parse_quartz(expression: str, now: datetime | None = None) -> QuartzSchedule:
    """Parse a Quartz cron expression; raises QuartzError with a one-sentence reason. A year field is held against
    `now` (an aware datetime; default: the clock): a schedule that never fires again is refused."""
    schedule = _checked(expression, _parse, expression)
    _checked(expression, _reject_years_past, schedule, now or datetime.now(timezone.utc))
    return schedule


def _checked(expression: str, check: Callable[..., _T], *args: Any) -> _T:
    """`check(*args)`, its _Invalid raised as the QuartzError of `expression`."""
    try:
        return check(*args)
    except _Invalid as exc:
        raise QuartzError(expression, str(exc), exc.stricter) from None


# ---------------------------------------------------------------------------------------------- fire times


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
    if isinstance(dom, NearestWeekday):  # the parser keeps its day inside every selected month
        return frozenset({_nearest_weekday(year, month, dom.day, length)})
    if isinstance(dom, LastWeekdayOfMonth):
        return frozenset({_nearest_weekday(year, month, length - dom.offset, length)})
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


@functools.lru_cache(maxsize=256)
def _seconds_of_day(schedule: QuartzSchedule) -> tuple[int, ...]:
    """The times of day the schedule fires at, as seconds since midnight, sorted."""
    return tuple(h * 3600 + m * 60 + s for h in sorted(schedule.hours) for m in sorted(schedule.minutes)
                 for s in sorted(schedule.seconds))


def _fire_days(schedule: QuartzSchedule, start: date, last_year: int) -> Iterator[date]:
    """The days the schedule fires on, from `start` on, up to the end of `last_year`."""
    years = sorted(y for y in (schedule.years or range(start.year, last_year + 1)) if start.year <= y <= last_year)
    for year in years:
        for month in sorted(schedule.months):
            if (year, month) < (start.year, start.month):
                continue
            for day in sorted(_month_days(schedule, year, month)):
                if date(year, month, day) >= start:
                    yield date(year, month, day)


def _at_least(values: tuple[int, ...], value: int) -> int | None:
    """The first of the sorted `values` that is >= `value`, or None."""
    i = bisect.bisect_left(values, value)
    return values[i] if i < len(values) else None


def _moved(wall: datetime, zone: tzinfo) -> datetime:
    """Where Quartz's lenient calendar puts local time `wall`: a time the clocks skip moves forward by the change
    (it is read with the offset before the change); every other time stays."""
    return wall.replace(tzinfo=zone).astimezone(timezone.utc).astimezone(zone).replace(tzinfo=None)


class _Search:
    """Quartz's search for the next fire, on local (naive) times of one time zone: it moves one field at a time,
    from seconds up to the day, and each time it moves a field it zeroes the finer ones and lets the calendar
    place the result. Where that lands in a clock change's skipped time matters: the search goes on from the
    moved time, past fire times it would otherwise have met (the 30-minute change of Australia/Lord_Howe)."""

    def __init__(self, schedule: QuartzSchedule, zone: tzinfo, last_year: int) -> None:
        self.schedule, self.zone, self.last_year = schedule, zone, last_year
        self.seconds, self.minutes, self.hours = (tuple(sorted(v)) for v in
                                                  (schedule.seconds, schedule.minutes, schedule.hours))
        self._days: dict[date, date | None] = {}

    def _first_day(self, day: date) -> date | None:
        if day not in self._days:
            self._days[day] = next(_fire_days(self.schedule, day, self.last_year), None)
        return self._days[day]

    def next_from(self, t: datetime) -> datetime | None:
        """The first local time at or after `t` (an existing local time, whole seconds) the schedule fires at."""
        seconds, minutes, hours, zone = self.seconds, self.minutes, self.hours, self.zone
        while t.year <= self.last_year:
            second = _at_least(seconds, t.second)
            if second is None:  # the next minute, at the first second
                t = _moved(t.replace(second=seconds[0]) + timedelta(minutes=1), zone)
            elif second != t.second:
                t = t.replace(second=second)
            minute = _at_least(minutes, t.minute)
            if minute is None:  # the next hour, at the first minute
                t = _moved(t.replace(minute=minutes[0], second=0) + timedelta(hours=1), zone)
                continue
            if minute != t.minute:
                t = _moved(t.replace(minute=minute, second=0), zone)
                continue
            hour = _at_least(hours, t.hour)
            if hour is None:  # the next day, at the first hour
                t = _moved(t.replace(hour=hours[0], minute=0, second=0) + timedelta(days=1), zone)
                continue
            if hour != t.hour:
                t = _moved(t.replace(hour=hour, minute=0, second=0), zone)
                continue
            day = self._first_day(t.date())
            if day is None:
                return None
            if day != t.date():  # that day, from midnight
                t = _moved(datetime.combine(day, datetime.min.time()), zone)
                continue
            return t
        return None


def fire_times(schedule: QuartzSchedule, after: datetime, zone: tzinfo, count: int = 3) -> list[datetime]:
    """The first `count` times the schedule fires strictly after `after` (an aware datetime), as aware
    datetimes in `zone`, the job's time zone; fewer when it stops firing (Quartz fires nothing more than
    YEARS_AHEAD years after `after`'s year).

    Clock changes as Quartz has them: a local time the clocks skip does not fire (02:30 on the night clocks go
    forward is skipped that day, and so is 02:10 on Lord Howe Island's 30-minute change, though 02:40 fires);
    a local time that happens twice fires once, on its second (standard-time) pass, so on the night clocks go
    back an hourly schedule skips the first pass of the repeated hour."""
    if after.tzinfo is None:
        raise ValueError("after must be an aware datetime")
    # Quartz counts whole seconds: the search starts on the second after `after`'s, in local time.
    local = after.astimezone(zone)
    t = local.replace(microsecond=0, tzinfo=None) + timedelta(seconds=1)
    search = _Search(schedule, zone, local.year + YEARS_AHEAD)
    found: list[datetime] = []
    while len(found) < count and (fire := search.next_from(t)) is not None:
        found.append(fire.replace(tzinfo=zone, fold=1))  # a repeated time: its second pass
        t = fire + timedelta(seconds=1)
    return [instant.astimezone(timezone.utc).astimezone(zone) for instant in found]


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
    schedule = _checked(expression, _parse, expression)  # past years are fine here: it fires no more
    per_day = len(_seconds_of_day(schedule))
    fires = fire_times(schedule, _CADENCE_FROM, ZoneInfo(timezone_id), count=min(8 * per_day + 1, 20_000))
    gaps = [later - earlier for earlier, later in itertools.pairwise(fires)]
    return max(gaps) if gaps else None
