"""A generated corpus of Quartz cron expressions, time zones and start instants for the differential test against the
real Quartz (tests/core/test_quartz_against_real_quartz.py).

Every field gets every form Quartz has ('*', values, names in either case, ranges, steps, lists, '?', 'L', 'L-n',
'nW', 'LW', 'L-nW', 'nL', 'n#k', years), and the forms that go wrong somewhere: names mixed with numbers, steps after
names, backwards ranges, special forms inside lists, days a month lacks, past years, out-of-range values, schedules
that fire more often than every 10 seconds. Hours lean to 0-3, where clocks change. Seeded: the same corpus on
every run and machine."""
from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

SEED = 20
COUNT = 2400  # expressions
STARTS_PER_EXPRESSION = 3  # (time zone, start instant) pairs each is asked from
FIRES = 5  # fire times compared per request
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")

# Zones whose clocks change by 60 minutes (north and south, at 02:00, 03:00 and midnight), by 30 minutes
# (Lord_Howe), on a 45-minute offset (Chatham), on a half-hour offset (St_Johns), and two that never change.
ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Australia/Sydney", "America/Santiago", "Australia/Lord_Howe",
         "Pacific/Chatham", "America/St_Johns", "Asia/Kolkata")
CHANGES_FROM = datetime(2027, 1, 1, tzinfo=timezone.utc)  # the clock changes of 2027 and 2028 are the start points


def _pick(rng: random.Random, weighted: list[tuple[float, str]]) -> str:
    return rng.choices([form for _, form in weighted], weights=[w for w, _ in weighted])[0]


def _number_field(rng: random.Random, lo: int, hi: int, low_bias: int | None = None) -> str:
    """A seconds/minutes/hours/day-of-month style field of numbers."""
    def value() -> int:
        if low_bias is not None and rng.random() < 0.5:
            return rng.randint(lo, min(hi, low_bias))
        return rng.randint(lo, hi)

    def item() -> str:
        a, b = sorted((value(), value()))
        step = rng.randint(1, hi - lo + 1 if rng.random() < 0.1 else max(1, (hi - lo) // 3))
        return _pick(rng, [(6, str(a)), (3, f"{a}-{b}"), (2, f"{a}-{b}/{step}"), (2, f"{a}/{step}"),
                           (2, f"*/{step}"), (0.3, f"{b}-{a}" if a != b else str(a))])

    form = _pick(rng, [(3, "*"), (6, "item"), (3, "list")])
    if form == "*":
        return "*"
    if form == "item":
        return item()
    return ",".join(item() for _ in range(rng.randint(2, 3)))


def _seconds(rng: random.Random) -> str:
    return _pick(rng, [(30, "0"), (4, "30"), (3, "*/10"), (2, "0/15"), (2, "5,35"), (2, "10-50/20"),
                       (2, "*/30"), (1, "0,5"), (1, "*"), (1, "*/5"), (1, "0-59/7"), (1, "55,0"),
                       (3, _number_field(rng, 0, 59))])


def _minutes(rng: random.Random) -> str:
    return _pick(rng, [(10, "0"), (4, "30"), (3, "*/15"), (2, "*"), (2, "0/20"), (2, "15,45"), (2, "10-40/10"),
                       (12, _number_field(rng, 0, 59))])


def _hours(rng: random.Random) -> str:
    return _pick(rng, [(5, "2"), (3, "1-3"), (3, "*"), (2, "0"), (2, "*/6"), (2, "1,2,3"), (2, "23"),
                       (12, _number_field(rng, 0, 23, low_bias=4))])


def _day_of_month(rng: random.Random) -> str:
    n, m = rng.randint(1, 31), rng.randint(1, 30)
    return _pick(rng, [(12, _number_field(rng, 1, 31)), (4, "*"), (3, "L"), (3, f"L-{rng.randint(0, 30)}"),
                       (3, f"{n}W"), (2, "LW"), (3, f"L-{rng.randint(0, 30)}W"), (0.5, f"{n}W,{m}"),
                       (0.3, f"{n}WL"), (0.5, f"{min(n, m)}-{max(n, m)}W"), (0.3, f"L-{m}W,{n}"), (0.2, "0W"),
                       (0.3, "L-31")])


def _named_item(rng: random.Random, names: tuple[str, ...], spellings: Callable[[str], list[tuple[float, str]]],
                weights: tuple[float, ...], last: Callable[[int, int, int], str]) -> Callable[[], str]:
    """An item of a month or day-of-week field: a number, a name spelled one of `spellings`' ways, ranges and
    steps of numbers or names, the forms Quartz refuses or misreads (a step after a name, a name mixed with a
    number, backwards), and `last(a, b, step)`; `weights` go with these twelve forms in that order."""
    def item() -> str:
        a, b = sorted(rng.sample(range(1, len(names) + 1), 2))
        na, nb = names[a - 1], names[b - 1]
        step = rng.randint(1, len(names))
        name = _pick(rng, spellings(rng.choice(names)))
        forms = (str(a), name, f"{a}-{b}", f"{na}-{nb}", f"{a}-{b}/{step}", f"{a}/{step}", f"{na}/{step}",
                 f"{na}-{nb}/{step}", f"{na}-{b}", f"{a}-{nb}", f"{nb}-{na}", last(a, b, step))
        return _pick(rng, list(zip(weights, forms, strict=True)))
    return item


def _month(rng: random.Random) -> str:
    item = _named_item(rng, MONTHS, lambda text: [
        (6, text), (2, text.lower()), (1, text.title()),
        (0.3, {"JAN": "JANUARY", "SEP": "SEPTEMBER"}.get(text, text + "X"))],
        (4, 4, 3, 3, 2, 2, 0.3, 0.3, 0.3, 0.3, 0.3, 1), lambda a, b, step: f"*/{step}")
    form = _pick(rng, [(8, "*"), (6, "item"), (3, "list")])
    if form == "*":
        return "*"
    return item() if form == "item" else ",".join(item() for _ in range(rng.randint(2, 3)))


def _day_of_week(rng: random.Random) -> str:
    item = _named_item(rng, DAYS, lambda text: [
        (6, text), (2, text.lower()), (0.3, {"MON": "MONDAY", "FRI": "FRIDAY"}.get(text, text + "Z"))],
        (4, 4, 3, 4, 2, 2, 0.3, 0.5, 0.3, 0.3, 0.3, 0.3), lambda a, b, step: f"{b}-{a}")
    weekday = rng.randint(1, 7)
    special = _pick(rng, [(3, f"{weekday}L"), (2, f"{DAYS[weekday - 1]}L"), (1, "L"),
                          (3, f"{weekday}#{rng.randint(1, 5)}"), (2, f"{DAYS[weekday - 1]}#{rng.randint(1, 5)}"),
                          (0.5, f"{weekday}#{rng.choice((0, 6))}"), (0.5, f"{weekday}L,{rng.randint(1, 7)}"),
                          (0.5, f"{DAYS[weekday - 1]}#2,FRI")])
    form = _pick(rng, [(5, "*"), (10, "item"), (4, "list"), (6, "special")])
    if form == "*":
        return "*"
    if form == "special":
        return special
    return item() if form == "item" else ",".join(item() for _ in range(rng.randint(2, 3)))


def _year(rng: random.Random) -> str | None:
    a, b = sorted(rng.sample(range(2026, 2040), 2))
    return _pick(rng, [(40, ""), (4, "*"), (4, str(a)), (3, f"{a}-{b}"), (2, f"{a}/{rng.randint(1, 5)}"),
                       (1, f"{a}-{b}/{rng.randint(1, 4)}"), (0.5, "2020"), (0.5, "2015-2025"), (1, f"{a},{b}"),
                       (1, "2027/1000"), (0.3, "1969"), (0.3, "2200")]) or None


def _broken(rng: random.Random, fields: list[str]) -> list[str]:
    """Invalid or doubtful shapes around a valid expression."""
    i = rng.randrange(6)
    out_of_range = {0: "60", 1: "61", 2: "24", 3: "32", 4: "13", 5: "8"}[i]
    mutation = _pick(rng, [(2, "drop"), (1, "extra"), (3, "range"), (2, "both_question"), (2, "both_set"),
                           (1, "token"), (1, "step0"), (1, "bigstep"), (1, "question_elsewhere")])
    fields = list(fields)
    if mutation == "drop":
        return fields[:5]
    if mutation == "extra":
        return [*fields[:6], "2030", "1"]
    if mutation == "range":
        fields[i] = out_of_range
    elif mutation == "both_question":
        fields[3], fields[5] = "?", "?"
    elif mutation == "both_set":
        fields[3], fields[5] = "1", "MON"
    elif mutation == "token":
        fields[i] = rng.choice(["x", "1-", "-1", "1--2", "1/", "/2", "**", "1,,2", "#", "W", "L-", "5/x", "?5"])
    elif mutation == "step0":
        fields[i] = f"{fields[i].split('/')[0]}/0" if fields[i] not in ("?",) else fields[i]
    elif mutation == "bigstep":
        fields[i] = f"*/{ {0: 60, 1: 61, 2: 24, 3: 32, 4: 13, 5: 8}[i] }"
    else:
        fields[rng.choice((0, 1, 2, 4))] = "?"
    return fields


def expressions(count: int = COUNT, seed: int = SEED) -> list[str]:
    """`count` distinct expressions, about one in twelve deliberately broken."""
    rng = random.Random(seed)
    found: dict[str, None] = {}
    while len(found) < count:
        day_of_month, day_of_week = _day_of_month(rng), _day_of_week(rng)
        if rng.random() < 0.5:
            day_of_month = "?"
        else:
            day_of_week = "?"
        fields = [_seconds(rng), _minutes(rng), _hours(rng), day_of_month, _month(rng), day_of_week]
        if (year := _year(rng)) is not None:
            fields.append(year)
        if rng.random() < 0.08:
            fields = _broken(rng, fields)
        found[" ".join(fields)] = None
    return list(found)


def clock_changes(zone: str) -> list[datetime]:
    """The instants `zone`'s UTC offset changes in 2027 and 2028 (none for UTC or Asia/Kolkata)."""
    tz = ZoneInfo(zone)
    changes, t = [], CHANGES_FROM
    while t.year < 2029:
        later = t + timedelta(hours=1)
        if t.astimezone(tz).utcoffset() != later.astimezone(tz).utcoffset():
            low, high = t, later
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if middle.astimezone(tz).utcoffset() == low.astimezone(tz).utcoffset():
                    low = middle
                else:
                    high = middle
            changes.append(high.replace(microsecond=0))
        t = later
    return changes


def start(rng: random.Random, zone: str, changes: list[datetime]) -> datetime:
    """A start instant: mostly in the day before a clock change, sometimes inside the repeated hour, sometimes
    a week before one; in zones without changes, anywhere in 2027."""
    if not changes:
        return CHANGES_FROM + timedelta(seconds=rng.randrange(365 * 86400))
    change = rng.choice(changes)
    window = _pick(rng, [(6, "day"), (2, "hours"), (1, "week")])
    span = {"day": 26 * 3600, "hours": 3 * 3600, "week": 8 * 86400}[window]
    return change - timedelta(seconds=rng.randrange(span)) + timedelta(seconds=rng.choice((0, 0, 0, 1800, 3600)))
