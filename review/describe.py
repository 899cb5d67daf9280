"""Every job of every stack in words: what starts it and, for a schedule, when it fires next in its own time
zone, so a reviewer sees "runs at 05:00 UTC daily, and after the refresh" rather than a cron string."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.quartz import QuartzError, fire_times, parse_quartz
from review.stack_jobs import (
    FileArrivalTrigger,
    JobView,
    PeriodicTrigger,
    ScheduleView,
    StackJobs,
    TableUpdateTrigger,
    TriggerView,
    run_job_calls,
)

NOTHING = "no trigger: runs only when started by hand or by another job"


def _state(paused: bool) -> str:
    return "PAUSED" if paused else "active"


def format_time(moment: datetime) -> str:
    """`2026-11-22 06:00:00 CET (Sun)`: the zone's abbreviation, and the weekday a reviewer checks first."""
    return moment.strftime("%Y-%m-%d %H:%M:%S %Z (%a)")


def upcoming(schedule: ScheduleView, now: datetime, count: int) -> tuple[str, list[datetime]]:
    """(label, the next `count` fire times after `now`): the label says 'next' (or 'would fire next (if
    unpaused)'), or, with no times, why there are none."""
    try:
        zone = ZoneInfo(schedule.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return "unknown time zone, fire times not computed", []
    try:
        times = fire_times(parse_quartz(schedule.cron, now), now, zone, count)
    except QuartzError as error:  # a year field that is over reads as the schedule's state, not as a mistake here
        return ("never fires again" if error.stricter == "never-fires" else error.reason), []
    if not times:
        return "never fires again", []
    return ("would fire next (if unpaused)" if schedule.paused else "next"), times


def _schedule_lines(schedule: ScheduleView, now: datetime, count: int) -> list[str]:
    head = f"schedule {schedule.cron} ({schedule.timezone}), {_state(schedule.paused)}"
    label, times = upcoming(schedule, now, count)
    if not times:
        return [f"{head}: {label}"]
    return [f"{head}; {label}:", *(f"  {format_time(moment)}" for moment in times)]


def trigger_conditions(trigger: TableUpdateTrigger | FileArrivalTrigger) -> str:
    """`ANY_UPDATED; waits 300 s after the last change, at most every 900 s`: when a table or file trigger fires
    ('' when it sets none of these)."""
    waits = []
    if trigger.wait_after_last_change_seconds is not None:
        waits.append(f"waits {trigger.wait_after_last_change_seconds} s after the last change")
    if trigger.min_time_between_triggers_seconds is not None:
        waits.append(f"at most every {trigger.min_time_between_triggers_seconds} s")
    condition = trigger.condition if isinstance(trigger, TableUpdateTrigger) else None
    return "; ".join(part for part in (condition, ", ".join(waits)) if part)


def tables_phrase(trigger: TableUpdateTrigger) -> str:
    count = len(trigger.tables)
    return f"on update of {count} table{'' if count == 1 else 's'}"


def trigger_words(trigger: TriggerView) -> str:
    """One trigger in words, without its pause state."""
    if isinstance(trigger, TableUpdateTrigger | FileArrivalTrigger):
        inside = trigger_conditions(trigger)
        inside = f" ({inside})" if inside else ""
        if isinstance(trigger, FileArrivalTrigger):
            return f"when files arrive in {trigger.url}{inside}"
        return f"{tables_phrase(trigger)}{inside}: " + ", ".join(trigger.tables)
    if isinstance(trigger, PeriodicTrigger):
        return f"every {trigger.interval} {trigger.unit}"
    return f"on its {trigger.kind} trigger"


def _job_lines(job: JobView, callers: list[tuple[str, str]], now: datetime, count: int) -> list[str]:
    lines = []
    if job.schedule is not None:
        lines += _schedule_lines(job.schedule, now, count)
    for trigger in job.triggers:
        if isinstance(trigger, TableUpdateTrigger):  # one table a line: names are long
            inside = trigger_conditions(trigger)
            lines.append(f"trigger, {_state(trigger.paused)}: {tables_phrase(trigger)}"
                         + (f" ({inside})" if inside else "") + ":")
            lines += [f"  {table}" for table in trigger.tables]
        else:
            lines.append(f"trigger, {_state(trigger.paused)}: {trigger_words(trigger)}")
    if job.continuous is not None:
        lines.append(f"continuous, {_state(job.continuous)}: a new run starts whenever none is running")
    lines += [f"started by {caller} (task {key})" for caller, key in callers]
    head = f"{job.name} ({job.level})" if job.level else job.name
    return [head, *(f"  {line}" for line in lines or [NOTHING])]


def describe_stack(stack: StackJobs, now: datetime, count: int = 3) -> str:
    callers: dict[str, list[tuple[str, str]]] = {}
    for caller, key, callee in run_job_calls(stack):
        callers.setdefault(callee, []).append((caller.name, key))
    lines = [f"environment {stack.env}"]
    for job in stack.jobs:
        lines += [f"  {line}" for line in _job_lines(job, callers.get(job.address, []), now, count)]
    if not stack.jobs:
        lines.append("  no jobs")
    return "\n".join(lines) + "\n"


def describe(stacks: dict[str, StackJobs], now: datetime, count: int = 3) -> str:
    """Plain text for reviewers: per environment (sorted), per job (sorted by name), what starts it and when.
    `now` must be aware; fire times are the next `count` after it."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    return "\n".join(describe_stack(stacks[env], now, count) for env in sorted(stacks))
