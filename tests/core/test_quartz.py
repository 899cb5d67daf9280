import dataclasses
import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from core.quartz import (
    cadence,
    DaysOfMonth,
    DaysOfWeek,
    LastDayOfMonth,
    LastDayOfWeekInMonth,
    LastWeekdayOfMonth,
    NearestWeekday,
    NoSpecificDay,
    NthDayOfWeekInMonth,
    QuartzError,
    STRICTER_THAN_QUARTZ,
    fire_times,
    parse_quartz,
)
from tests.conftest import PROJECT_DIR

ALL_SECONDS = frozenset(range(60))
ALL_HOURS = frozenset(range(24))
ALL_DAYS = DaysOfMonth(frozenset(range(1, 32)))
ALL_MONTHS = frozenset(range(1, 13))
ALL_WEEKDAYS = DaysOfWeek(frozenset(range(1, 8)))

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)  # a Saturday

FIELDS_HINT = (
    "Quartz needs 6 or 7 fields (seconds minutes hours day-of-month month day-of-week [year])"
)


@pytest.mark.parametrize(
    "expression",
    [
        "0 */15 * * * ?",
        "0 0 */3 * * ?",
        "0 0 2 * * ?",
        "0 0 6 ? * MON-FRI",
        "0 0 12 L * ?",
        "0 0 12 15W * ?",
        "0 0 12 ? * 6#3",
        "0 0 12 ? * 6L",
        "0 0 12 LW * ?",
        "0 15 10 ? * * 2030",
        "0 0/5 14,18 * * ?",
        "0 0 0 1 JAN,jul ?",
        "0 0 12 L-3 * ?",
        "0 0 12 ? * L",
        "0 0 12 ? * fri#2",
        "0 0 12 ? * FriL",
        "*/10 * * ? * *",
        "0 0 12 1/31 * ?",
        "*/59 0 0 * * ?",
        "0 0 0 ? * * 1970-2999/100",
        "0 0 12 L-3W * ?",
        "0 0 12 L-0 * ?",
        "  0 0 2\t* *  ?  ",
    ],
)
def test_valid_expressions_parse(expression):
    assert parse_quartz(expression, NOW).expression == expression


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        (
            "0 */15 * * * ?",
            dict(seconds={0}, minutes={0, 15, 30, 45}, hours=ALL_HOURS, day_of_month=ALL_DAYS,
                 months=ALL_MONTHS, day_of_week=NoSpecificDay(), years=None),
        ),
        ("0 0 */3 * * ?", dict(minutes={0}, hours={0, 3, 6, 9, 12, 15, 18, 21})),
        ("0 0 2 * * ?", dict(seconds={0}, minutes={0}, hours={2}, day_of_month=ALL_DAYS)),
        (
            "0 0 6 ? * MON-FRI",
            dict(hours={6}, day_of_month=NoSpecificDay(),
                 day_of_week=DaysOfWeek(frozenset({2, 3, 4, 5, 6}))),
        ),
        ("0 0 12 L * ?", dict(day_of_month=LastDayOfMonth(0))),
        ("0 0 12 l-3 * ?", dict(day_of_month=LastDayOfMonth(3))),
        ("0 0 12 15W * ?", dict(day_of_month=NearestWeekday(15))),
        ("0 0 12 LW * ?", dict(day_of_month=LastWeekdayOfMonth())),
        ("0 0 12 L-3W * ?", dict(day_of_month=LastWeekdayOfMonth(3))),
        ("0 0 12 L-0 * ?", dict(day_of_month=LastDayOfMonth(0))),
        ("0 0 12 L-0W * ?", dict(day_of_month=LastWeekdayOfMonth(0))),
        ("0 0 12 ? * 6#3", dict(day_of_week=NthDayOfWeekInMonth(weekday=6, nth=3))),
        ("0 0 12 ? * mon#1", dict(day_of_week=NthDayOfWeekInMonth(weekday=2, nth=1))),
        ("0 0 12 ? * 6L", dict(day_of_week=LastDayOfWeekInMonth(6))),
        ("0 0 12 ? * friL", dict(day_of_week=LastDayOfWeekInMonth(6))),
        ("0 0 12 ? * L", dict(day_of_week=DaysOfWeek(frozenset({7})))),
        ("0 0 12 ? * sun,SAT", dict(day_of_week=DaysOfWeek(frozenset({1, 7})))),
        ("0 0 12 ? * *", dict(day_of_week=ALL_WEEKDAYS)),
        ("0 15 10 ? * * 2030", dict(minutes={15}, hours={10}, years={2030})),
        ("0 0 0 ? * * 2030-2034/2", dict(years={2030, 2032, 2034})),
        ("0 0 0 ? * * *", dict(years=None)),
        ("0 0/5 14,18 * * ?", dict(minutes=set(range(0, 60, 5)), hours={14, 18})),
        ("0 0 0 1 JAN,jul ?", dict(day_of_month=DaysOfMonth(frozenset({1})), months={1, 7})),
        ("0 0 0 1 3-5/2 ?", dict(months={3, 5})),
        ("0 10-20/5,30,45/7 * * * ?", dict(minutes={10, 15, 20, 30, 45, 52, 59})),
        ("0 * * * * ?", dict(seconds={0}, minutes=ALL_SECONDS)),
        ("*/10 * * * * ?", dict(seconds={0, 10, 20, 30, 40, 50})),
        ("0 0 0 ? * * 2030/50", dict(years=set(range(2030, 3000, 50)))),
        ("*/59 0 0 * * ?", dict(seconds={0, 59})),
        ("0 0 12 1/31 * ?", dict(day_of_month=DaysOfMonth(frozenset({1})))),
    ],
)
def test_parsed_fields(expression, expected):
    schedule = parse_quartz(expression, NOW)
    actual = {name: getattr(schedule, name) for name in expected}
    assert actual == expected


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        # field count
        ("0 0 * * *", "has 5 fields, which is a unix cron expression; " + FIELDS_HINT
         + ", e.g. '0 */15 * * * ?' for every 15 minutes"),
        ("0 0 * * * ? 2030 1", "has 8 fields; " + FIELDS_HINT),
        ("0 0 0 *", "has 4 fields; " + FIELDS_HINT),
        ("*", "has 1 field; " + FIELDS_HINT),
        ("", "is empty; " + FIELDS_HINT),
        ("  \t ", "is empty; " + FIELDS_HINT),
        # '?' pairing
        ("0 0 6 1 * MON", "sets both day-of-month ('1') and day-of-week ('MON'); "
         "Quartz needs '?' in exactly one of them, e.g. '0 0 6 1 * ?'"),
        ("0 0 6 * * *", "sets both day-of-month ('*') and day-of-week ('*'); "
         "Quartz needs '?' in exactly one of them, e.g. '0 0 6 1 * ?'"),
        ("0 0 6 ? * ?", "has '?' in both day-of-month and day-of-week; "
         "set one of them, e.g. '0 0 6 ? * *'"),
        ("0 0 6 ?,1 * ?", "day-of-month '?,1' combines '?' with other values; "
         "write either '?' alone or the days without '?'"),
        ("0 0 6 1 * ?/2", "day-of-week '?/2' combines '?' with other values; "
         "write either '?' alone or the days without '?'"),
        ("0 0 ? 1 * ?", "'?' is only allowed in day-of-month or day-of-week, not in hours"),
        ("0 0 0 ? * * ?", "'?' is only allowed in day-of-month or day-of-week, not in year"),
        # out of range
        ("60 * * * * ?", "seconds value 60 is out of range 0-59"),
        ("0 60 * * * ?", "minutes value 60 is out of range 0-59"),
        ("0 0 24 * * ?", "hours value 24 is out of range 0-23"),
        ("0 0 0 32 * ?", "day-of-month value 32 is out of range 1-31"),
        ("0 0 0 0 * ?", "day-of-month value 0 is out of range 1-31"),
        ("0 0 0 1 13 ?", "month value 13 is out of range 1-12"),
        ("0 0 0 ? * 0", "day-of-week value 0 is out of range 1-7"),
        ("0 0 0 ? * 1-8", "day-of-week value 8 is out of range 1-7"),
        ("0 0 0 ? * * 1969", "year 1969 is out of range 1970-2999: Quartz never fires it"),
        ("0 0 0 ? * * 3000", "year 3000 is out of range 1970-2999: Quartz never fires it"),
        ("0 0 0 32W * ?", "day-of-month value 32 is out of range 1-31"),
        ("0 0 0 L-31 * ?", "day-of-month offset 31 in 'L-31' is out of range 0-30"),
        ("0 0 0 L-31W * ?", "day-of-month offset 31 in 'L-31W' is out of range 0-30"),
        ("0 0 0 ? * 8L", "day-of-week value 8 is out of range 1-7"),
        ("0 0 0 ? * 6#6", "day-of-week occurrence 6 in '6#6' is out of range 1-5"),
        ("0 0 0 ? * 6#0", "day-of-week occurrence 0 in '6#0' is out of range 1-5"),
        # unknown tokens
        ("0 0 6 ? * MOM", "day-of-week value 'MOM' is not a number or a day name (SUN-SAT)"),
        ("0 0 6 ? * MON-FRY", "day-of-week value 'FRY' is not a number or a day name (SUN-SAT)"),
        ("0 0 6 ? * MOML", "day-of-week value 'MOM' is not a number or a day name (SUN-SAT)"),
        ("0 0 6 1 JANUARY ?", "month value 'JANUARY' is not a month name (JAN-DEC): Quartz reads only its first "
         "three letters; write 'JAN'"),
        ("0 0 6 1 JA ?", "month value 'JA' is not a number or a month name (JAN-DEC)"),
        ("x * * * * ?", "seconds value 'x' is not a number"),
        ("0 0 MON ? * *", "hours value 'MON' is not a number"),
        ("0 0 0 JAN * ?", "day-of-month value 'JAN' is not a number"),
        ("0 -1 * * * ?", "minutes part '-1' is not a value, range or step; "
         "write e.g. '5', '1-5', '*/5' or '1-5/2'"),
        ("0 1,,2 * * * ?", "minutes part '' is not a value, range or step; "
         "write e.g. '5', '1-5', '*/5' or '1-5/2'"),
        ("0 1-2-3 * * * ?", "minutes part '1-2-3' is not a value, range or step; "
         "write e.g. '5', '1-5', '*/5' or '1-5/2'"),
        ("0 */ * * * ?", "minutes part '*/' is not a value, range or step; "
         "write e.g. '5', '1-5', '*/5' or '1-5/2'"),
        ("0 1/2/3 * * * ?", "minutes part '1/2/3' is not a value, range or step; "
         "write e.g. '5', '1-5', '*/5' or '1-5/2'"),
        ("0 *-5 * * * ?", "minutes part '*-5' is not a value, range or step; "
         "write e.g. '5', '1-5', '*/5' or '1-5/2'"),
        # steps
        ("*/75 * * * * ?", "step 75 is larger than the seconds range 0-59; "
         "use a step from 1 to 59"),
        ("*/60 * * * * ?", "step 60 is larger than the seconds range 0-59; "
         "use a step from 1 to 59"),
        ("0 0 0 1/32 * ?", "step 32 is larger than the day-of-month range 1-31; "
         "use a step from 1 to 31"),
        ("0 */0 * * * ?", "step 0 in minutes is not allowed; use a step from 1 to 59"),
        ("0 */x * * * ?", "minutes step 'x' is not a number"),
        # backwards ranges
        ("0 0 22-2 * * ?", "hours range '22-2' runs backwards; "
         "write it as two ranges, e.g. '22-23,0-2'"),
        ("0 50-10/5 * * * ?", "minutes range '50-10' runs backwards; "
         "write it as two ranges, e.g. '50-59/5,0-10/5'"),
        ("0 0 0 ? * FRI-MON", "day-of-week range 'FRI-MON' runs backwards; "
         "write it as two ranges, e.g. 'FRI-SAT,SUN-MON'"),
        ("0 0 0 ? * SAT-MON", "day-of-week range 'SAT-MON' runs backwards; "
         "write it as two ranges, e.g. 'SAT,SUN-MON'"),
        ("0 0 0 25-5 * ?", "day-of-month range '25-5' runs backwards; "
         "write it as two ranges, e.g. '25-31,1-5'"),
        # L / W / # in the wrong place or the wrong form
        ("0 0 0 ? * 6#3 2030#1", "'#' is only allowed in day-of-week, not in year"),
        ("0 0 0 1#2 * ?", "'#' is only allowed in day-of-week, not in day-of-month"),
        ("0 0 0 ? * 15W", "'W' is only allowed in day-of-month, not in day-of-week"),
        ("0 0 5W * * ?", "'W' is only allowed in day-of-month, not in hours"),
        ("0 0 L * * ?", "'L' is only allowed in day-of-month or day-of-week, not in hours"),
        ("0 0 0 1 L ?", "'L' is only allowed in day-of-month or day-of-week, not in month"),
        ("0 0 0 L,15 * ?", "day-of-month 'L,15' is not a valid use of 'L' or 'W'; "
         "write 'L', 'L-n', 'nW', 'LW' or 'L-nW' on its own, e.g. 'L-3' or '15W'"),
        ("0 0 0 1-15W * ?", "day-of-month '1-15W' is not a valid use of 'L' or 'W'; "
         "write 'L', 'L-n', 'nW', 'LW' or 'L-nW' on its own, e.g. 'L-3' or '15W'"),
        ("0 0 0 5L * ?", "day-of-month '5L' is not a valid use of 'L' or 'W'; "
         "write 'L', 'L-n', 'nW', 'LW' or 'L-nW' on its own, e.g. 'L-3' or '15W'"),
        ("0 0 0 ? * 2#1,6#3", "day-of-week '2#1,6#3' is not a valid use of 'L' or '#'; "
         "write 'L', 'nL' or 'n#k' on its own, e.g. '6L' or '6#3'"),
        ("0 0 0 ? * 1,L", "day-of-week '1,L' is not a valid use of 'L' or '#'; "
         "write 'L', 'nL' or 'n#k' on its own, e.g. '6L' or '6#3'"),
        ("0 0 0 ? * 6#", "day-of-week '6#' is not a valid use of 'L' or '#'; "
         "write 'L', 'nL' or 'n#k' on its own, e.g. '6L' or '6#3'"),
        # only the first problem, in field order, is reported
        ("0 60 24 32 13 MOM 1900", "minutes value 60 is out of range 0-59"),
        ("0 0 0 1 * MOM", "day-of-week value 'MOM' is not a number or a day name (SUN-SAT)"),
        ("0 0 0 1 * MON 1900", "sets both day-of-month ('1') and day-of-week ('MON'); "
         "Quartz needs '?' in exactly one of them, e.g. '0 0 6 1 * ?'"),
        ("0 0 0 ? * * 1900,x", "year 1900 is out of range 1970-2999: Quartz never fires it"),
        # names and numbers mixed in one range: Quartz refuses these
        ("0 0 0 1 JAN-6 ?", "month range 'JAN-6' mixes a name and a number, which Quartz refuses; "
         "write both ends the same way, e.g. 'JAN-JUN' or '1-6'"),
        ("0 0 0 ? * MON-5", "day-of-week range 'MON-5' mixes a name and a number, which Quartz refuses; "
         "write both ends the same way, e.g. 'MON-THU' or '2-5'"),
        ("0 0 0 ? * 6-tue", "day-of-week range '6-tue' mixes a name and a number, which Quartz refuses; "
         "write both ends the same way, e.g. 'TUE-FRI' or '3-6'"),
        ("0 0 0 ? * * 2030-2026", "year range '2030-2026' runs backwards; write '2026-2030'"),
    ],
)
def test_invalid_expression_reason(expression, reason):
    with pytest.raises(QuartzError) as caught:
        parse_quartz(expression, NOW)
    assert caught.value.reason == reason


# Refused on purpose although Quartz accepts them (STRICTER_THAN_QUARTZ); the differential test against the real
# Quartz holds that it does accept each.
STRICTER_CASES = [
    ("0 0 0 ? * FRI-MON", "backwards-range",
     "day-of-week range 'FRI-MON' runs backwards; write it as two ranges, e.g. 'FRI-SAT,SUN-MON'"),
    ("0 0 0 1W,15 * ?", "special-day-in-list", "day-of-month '1W,15' is not a valid use of 'L' or 'W'; "
     "write 'L', 'L-n', 'nW', 'LW' or 'L-nW' on its own, e.g. 'L-3' or '15W'"),
    ("0 0 0 15WL * ?", "special-day-in-list", "day-of-month '15WL' is not a valid use of 'L' or 'W'; "
     "write 'L', 'L-n', 'nW', 'LW' or 'L-nW' on its own, e.g. 'L-3' or '15W'"),
    ("0 0 0 ? * 6#3,FRI", "special-day-in-list", "day-of-week '6#3,FRI' is not a valid use of 'L' or '#'; "
     "write 'L', 'nL' or 'n#k' on its own, e.g. '6L' or '6#3'"),
    ("0 0 0 L-29 FEB ?", "day-never-occurs",
     "day-of-month 'L-29' never occurs in FEB, so the schedule never fires; use an offset below 29"),
    ("0 0 0 0W * ?", "day-never-occurs", "day-of-month '0W' names day 0, which no month has; use a day from 1 to 31"),
    ("0 0 0 31W * ?", "weekday-outside-month",
     "day-of-month '31W': FEB, APR, JUN, SEP, NOV can be shorter than 31 days, where Quartz's nearest weekday "
     "misfires; write 'LW' for the month's last weekday, or leave those months out"),
    ("0 0 0 29W 1-3 ?", "weekday-outside-month",
     "day-of-month '29W': FEB can be shorter than 29 days, where Quartz's nearest weekday misfires; write 'LW' for "
     "the month's last weekday, or leave those months out"),
    ("0 0 0 L-28W * ?", "weekday-outside-month",
     "day-of-month 'L-28W': Quartz never answers for a nearest weekday 28 days before the last in some months; "
     "use an offset up to 27, or a day such as '1W'"),
    ("0 0 0 ? * MON-FRI/2", "step-after-name",
     "day-of-week 'MON-FRI/2' has a step after a name, which Quartz ignores (it would fire on every value of the "
     "range); write numbers, e.g. '2-6/2', or list the values"),
    ("0 0 0 1 FEB/3 ?", "step-after-name",
     "month 'FEB/3' has a step after a name, which Quartz ignores (it would fire on every value of the range); "
     "write numbers, e.g. '2/3', or list the values"),
    ("0 */0 * * * ?", "step-zero", "step 0 in minutes is not allowed; use a step from 1 to 59"),
    ("0 0 0 1-31/40 * ?", "step-past-range",
     "step 40 is larger than the day-of-month range 1-31; use a step from 1 to 31"),
    ("0 0 6 ? * MONDAY", "long-name",
     "day-of-week value 'MONDAY' is not a day name (SUN-SAT): Quartz reads only its first three letters; write 'MON'"),
    ("0 0 0 1 1 ? 2020", "never-fires", "its years (2020) have no fire time left after 2026-11-21, so it never "
     "fires again; drop the year field, or use a later year"),
    ("0 0 0 1 1 ? 2026", "never-fires", "its years (2026) have no fire time left after 2026-11-21, so it never "
     "fires again; drop the year field, or use a later year"),
    ("0 0 0 1 1 ? 2200", "never-fires", "its years (2200) are more than 100 years ahead, where Quartz fires "
     "nothing; use nearer years or drop the year field"),
    ("0 0 0 1 1 ? 1969", "never-fires", "year 1969 is out of range 1970-2999: Quartz never fires it"),
    ("0 0 0 1 1 ? L", "never-fires", "'L' is only allowed in day-of-month or day-of-week, not in year"),
    ("*/5 * * * * ?", "too-frequent",
     "fires 5 seconds apart (seconds '*/5', minutes '*'); Databricks starts at most one scheduled run per 10 "
     "seconds and skips the others: space the runs at least 10 seconds apart, e.g. seconds '0/10'"),
    ("55,0 * * * * ?", "too-frequent",
     "fires 5 seconds apart (seconds '55,0', minutes '*'); Databricks starts at most one scheduled run per 10 "
     "seconds and skips the others: space the runs at least 10 seconds apart, e.g. seconds '0/10'"),
    ("0 0 6 * * ? 2030 1", "extra-fields", "has 8 fields; " + FIELDS_HINT),
    ("0 L * * * ?", "misplaced-last", "'L' is only allowed in day-of-month or day-of-week, not in minutes"),
    ("0 1,,2 * * * ?", "sloppy-syntax",
     "minutes part '' is not a value, range or step; write e.g. '5', '1-5', '*/5' or '1-5/2'"),
    ("0 ** * * * ?", "sloppy-syntax",
     "minutes part '**' is not a value, range or step; write e.g. '5', '1-5', '*/5' or '1-5/2'"),
    ("0 /5 * * * ?", "sloppy-syntax",
     "minutes part '/5' is not a value, range or step; write e.g. '5', '1-5', '*/5' or '1-5/2'"),
    ("0 0 0 * * ?5", "sloppy-syntax",
     "day-of-week '?5' combines '?' with other values; write either '?' alone or the days without '?'"),
]


@pytest.mark.parametrize(("expression", "stricter", "reason"), STRICTER_CASES)
def test_refused_on_purpose_although_quartz_accepts_it(expression, stricter, reason):
    with pytest.raises(QuartzError) as caught:
        parse_quartz(expression, NOW)
    assert (caught.value.stricter, caught.value.reason) == (stricter, reason)


def test_every_deliberate_strictness_has_a_case():
    assert {stricter for _, stricter, _ in STRICTER_CASES} == set(STRICTER_THAN_QUARTZ)


@pytest.mark.parametrize("expression", ["0 0 0 1 JAN-6 ?", "0 0 24 * * ?", "0 0 0 ? * 6L,2", "*/60 * * * * ?",
                                        "0 0 0 ? * * 2030-2026", "0 0 * * * *"])
def test_what_quartz_refuses_too_is_not_labelled_stricter(expression):
    with pytest.raises(QuartzError) as caught:
        parse_quartz(expression, NOW)
    assert caught.value.stricter is None


def test_the_year_field_is_held_against_the_clock_by_default():
    this_year = datetime.now(timezone.utc).year
    parse_quartz(f"0 0 0 1 1 ? {this_year + 1}")
    with pytest.raises(QuartzError) as caught:
        parse_quartz(f"0 0 0 1 1 ? {this_year - 1}")
    assert caught.value.stricter == "never-fires"


def test_error_is_a_value_error_that_names_the_expression():
    with pytest.raises(ValueError) as caught:
        parse_quartz("0 0 24 * * ?")
    error = caught.value
    assert isinstance(error, QuartzError)
    assert error.expression == "0 0 24 * * ?"
    assert str(error) == (
        "invalid Quartz cron expression '0 0 24 * * ?': hours value 24 is out of range 0-23"
    )


def test_schedule_is_frozen_and_hashable():
    schedule = parse_quartz("0 0 12 ? * 6#3")
    with pytest.raises(dataclasses.FrozenInstanceError):
        schedule.hours = frozenset({1})  # type: ignore[misc]
    assert hash(schedule) == hash(parse_quartz("0 0 12 ? * 6#3"))


# ---------------------------------------------------------------------------------------------- never fires


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("0 0 0 30 FEB ?", "day-of-month '30' never occurs in FEB, so the schedule never fires; "
         "use a day from 1 to 29, or 'L' for the last day of the month"),
        ("0 0 0 31 4,6 ?", "day-of-month '31' never occurs in APR, JUN, so the schedule never fires; "
         "use a day from 1 to 30, or 'L' for the last day of the month"),
        ("0 0 0 31W APR ?", "day-of-month '31W' never occurs in APR, so the schedule never fires; "
         "use a day from 1 to 30, or 'L' for the last day of the month"),
    ],
)
def test_day_that_never_occurs_is_rejected(expression, reason):
    with pytest.raises(QuartzError) as caught:
        parse_quartz(expression)
    assert caught.value.reason == reason


@pytest.mark.parametrize("expression", ["0 0 0 29 FEB ?", "0 0 0 30,31 2,3 ?", "0 0 0 L FEB ?"])
def test_day_that_occurs_in_some_selected_month_is_accepted(expression):
    parse_quartz(expression)


# ---------------------------------------------------------------------------------------------- fire times

UTC = ZoneInfo("UTC")


def _fires(expression, zone="UTC", after=NOW, count=3):
    return [t.isoformat() for t in fire_times(parse_quartz(expression, NOW), after, ZoneInfo(zone), count)]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("0 0 5 * * ?", ["2026-11-22T05:00:00+00:00", "2026-11-23T05:00:00+00:00", "2026-11-24T05:00:00+00:00"]),
        ("0 */15 * * * ?", ["2026-11-21T12:15:00+00:00", "2026-11-21T12:30:00+00:00",
                            "2026-11-21T12:45:00+00:00"]),
        ("0 0 6 ? * MON-FRI", ["2026-11-23T06:00:00+00:00", "2026-11-24T06:00:00+00:00",
                               "2026-11-25T06:00:00+00:00"]),
        # 'W': 2027-05-15 is a Saturday -> Friday 14th; 2027-08-15 a Sunday -> Monday 16th
        ("0 0 12 15W 5,8,12 ?", ["2026-12-15T12:00:00+00:00", "2027-05-14T12:00:00+00:00",
                                 "2027-08-16T12:00:00+00:00"]),
        # '1W' on a Saturday (2027-05-01) stays in the month: Monday 3rd
        ("0 0 0 1W MAY ?", ["2027-05-03T00:00:00+00:00", "2028-05-01T00:00:00+00:00", "2029-05-01T00:00:00+00:00"]),
        ("0 0 12 LW * ?", ["2026-11-30T12:00:00+00:00", "2026-12-31T12:00:00+00:00", "2027-01-29T12:00:00+00:00"]),
        ("0 0 12 L * ?", ["2026-11-30T12:00:00+00:00", "2026-12-31T12:00:00+00:00", "2027-01-31T12:00:00+00:00"]),
        ("0 0 12 L-3 * ?", ["2026-11-27T12:00:00+00:00", "2026-12-28T12:00:00+00:00", "2027-01-28T12:00:00+00:00"]),
        ("0 0 12 ? * 6L", ["2026-11-27T12:00:00+00:00", "2026-12-25T12:00:00+00:00", "2027-01-29T12:00:00+00:00"]),
        # a fifth Friday only in some months
        ("0 0 12 ? * 6#5", ["2027-01-29T12:00:00+00:00", "2027-04-30T12:00:00+00:00", "2027-07-30T12:00:00+00:00"]),
        ("0 0 0 29 FEB ?", ["2028-02-29T00:00:00+00:00", "2032-02-29T00:00:00+00:00", "2036-02-29T00:00:00+00:00"]),
        ("0 0 0 1 1 ? 2099", ["2099-01-01T00:00:00+00:00"]),
        # Quartz fires up to 100 years ahead
        ("0 0 0 1 1 ? 2126/1", ["2126-01-01T00:00:00+00:00"]),
        ("0 0 12 L-3W * ?", ["2026-11-27T12:00:00+00:00", "2026-12-28T12:00:00+00:00", "2027-01-28T12:00:00+00:00"]),
    ],
)
def test_fire_times(expression, expected):
    assert _fires(expression) == expected


def test_fire_times_are_in_the_schedule_time_zone():
    assert _fires("0 0 12 ? * 6L", "Europe/Berlin") == [
        "2026-11-27T12:00:00+01:00", "2026-12-25T12:00:00+01:00", "2027-01-29T12:00:00+01:00"]


# Clock changes: each answer below is the real Quartz 2.3.2's (tests/core/RealQuartz.java).


def test_a_local_time_the_clocks_skip_does_not_fire_that_day():
    # 2027-03-14: New York's clocks jump from 02:00 to 03:00; there is no 02:30 that day
    after = datetime(2027, 3, 13, tzinfo=timezone.utc)
    assert _fires("0 30 2 * * ?", "America/New_York", after) == [
        "2027-03-13T02:30:00-05:00", "2027-03-15T02:30:00-04:00", "2027-03-16T02:30:00-04:00"]


def test_a_repeated_local_time_fires_once_on_its_second_pass():
    # 2026-11-01: New York's clocks go back from 02:00 to 01:00; 01:30 happens twice, and fires in standard time
    after = datetime(2026, 10, 31, tzinfo=timezone.utc)
    assert _fires("0 30 1 * * ?", "America/New_York", after, 4) == [
        "2026-10-31T01:30:00-04:00", "2026-11-01T01:30:00-05:00", "2026-11-02T01:30:00-05:00",
        "2026-11-03T01:30:00-05:00"]


@pytest.mark.parametrize(("after", "expected"), [
    # the clocks go forward on 2027-03-28: that Sunday has no 02:30, so the next fire is a week later
    (datetime(2027, 3, 20, tzinfo=timezone.utc), ["2027-03-21T02:30:00+01:00", "2027-04-04T02:30:00+02:00"]),
    # they go back on 2027-10-31: 02:30 fires once, in standard time
    (datetime(2027, 10, 23, tzinfo=timezone.utc), ["2027-10-24T02:30:00+02:00", "2027-10-31T02:30:00+01:00"]),
])
def test_a_weekly_job_on_the_change_sundays(after, expected):
    assert _fires("0 30 2 ? * SUN", "Europe/Berlin", after, 2) == expected


def test_a_sub_hourly_schedule_skips_the_first_pass_of_the_repeated_hour():
    after = datetime(2027, 10, 30, 23, 30, tzinfo=timezone.utc)
    assert _fires("0 0/20 * * * ?", "Europe/Berlin", after, 5) == [
        "2027-10-31T01:40:00+02:00", "2027-10-31T02:00:00+01:00", "2027-10-31T02:20:00+01:00",
        "2027-10-31T02:40:00+01:00", "2027-10-31T03:00:00+01:00"]


def test_a_thirty_minute_change_keeps_the_times_that_exist():
    # 2027-10-03: Lord Howe Island's clocks jump from 02:00 to 02:30; 02:10 and 02:20 do not exist, 02:30 does
    after = datetime(2027, 10, 2, 13, tzinfo=timezone.utc)
    assert _fires("0 10-40/10 2 * * ?", "Australia/Lord_Howe", after, 4) == [
        "2027-10-03T02:30:00+11:00", "2027-10-03T02:40:00+11:00", "2027-10-04T02:10:00+11:00",
        "2027-10-04T02:20:00+11:00"]


def test_a_midnight_change_skips_that_midnight():
    # 2027-09-05: Santiago's clocks jump from 00:00 to 01:00, so a daily midnight job does not run that day
    after = datetime(2027, 9, 3, 12, tzinfo=timezone.utc)
    assert _fires("0 0 0 ? * *", "America/Santiago", after) == [
        "2027-09-04T00:00:00-04:00", "2027-09-06T00:00:00-03:00", "2027-09-07T00:00:00-03:00"]


def test_fire_times_are_strictly_after_and_need_an_aware_time():
    assert _fires("0 0 12 * * ?", after=NOW, count=1) == ["2026-11-22T12:00:00+00:00"]
    with pytest.raises(ValueError, match="after must be an aware datetime"):
        fire_times(parse_quartz("0 0 12 * * ?"), datetime(2026, 11, 21), UTC)


@pytest.mark.parametrize("expression,expected", [
    ("0 */15 * * * ?", timedelta(minutes=15)),
    ("0 0 */3 * * ?", timedelta(hours=3)),
    ("0 0 2 * * ?", timedelta(days=1)),
    ("0 0,30 9-17 ? * MON-FRI", timedelta(days=2, hours=15, minutes=30)),  # Friday 17:30 to Monday 09:00
    ("0 0 3 ? * SUN", timedelta(weeks=1)),
    ("0 0 0 1 * ?", timedelta(days=31)),
    ("0 0 0 1 1 ? 2030", None),  # fires once from 2030 on: no cadence
])
def test_cadence_is_the_longest_wait_between_two_fires(expression, expected):
    assert cadence(expression, "Europe/Berlin") == expected


def test_the_docs_list_every_deliberate_strictness():
    docs = (PROJECT_DIR / "docs" / "configuration.md").read_text(encoding="utf-8")
    section = docs.split("## Schedules: Quartz as Databricks runs it", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"^\| `([a-z-]+)` \|", section, flags=re.MULTILINE)
    assert sorted(listed) == sorted(STRICTER_THAN_QUARTZ)
    assert "02:30 on the\n  night clocks go forward is skipped that day" in section
