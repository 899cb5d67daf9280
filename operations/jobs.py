"""What `run`, `backfill`, `repair`, `status` and `freshness` share: the platform's jobs of one environment and
how to find them in its workspace, the Jobs API's failures as messages, and runs as an operator reads them.

A name on the command line is a connector's name (batch or lakeflow_connect), a key of the `jobs` section
(`findings_gold`) or a job's Databricks name (`appsec-findings-gold`, `github-connector`). The deployed job is
found by its exact name (`jobs.list(name=...)`) and kept only when it carries the tags every job of the
platform gets, managed_by=connector-platform and environment=<env>: a job of the same name deployed by hand,
or another environment's job in a shared workspace, is never the one operated on.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, TextIO, TypeAlias, TypeVar

from core.credentials import redact
from operations import OperationError
from operations.hints import Hints
from operations.workspace import detail, explain, is_a_terminal, server_said, where

if TYPE_CHECKING:
    from connectors_config import ResolvedEnvironment
    from connectors_config.resolved import AnyConnector
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.service.jobs import BaseRun, RepairHistoryItem, Run, RunTask

    # A run as the Jobs API lists it (BaseRun) or gets it by id (Run: the same fields, and the next page's token).
    AnyRun: TypeAlias = BaseRun | Run

MANAGED_BY = "connector-platform"
BATCH, LAKEFLOW, JOB = "batch", "lakeflow_connect", "job"
# How a task ended when it failed itself (a task skipped because an upstream task failed is UPSTREAM_FAILED or
# UPSTREAM_CANCELED: not a failure of its own). INTERNAL_ERROR is a life cycle state, the others result states.
FAILED_RESULTS = frozenset({"FAILED", "TIMEDOUT", "CANCELED", "INTERNAL_ERROR"})
SUCCESS_RESULTS = frozenset({"SUCCESS", "SUCCESS_WITH_FAILURES"})
# How a run ended when it failed, rather than being cancelled, skipped or never started.
FAILED_RUNS = frozenset({"FAILED", "TIMEDOUT", "INTERNAL_ERROR"})
RUNS_PAGE = 20  # runs/list's default page; its documented maximum is "less than 25"
# The runs searched for the latest failed or successful one (60 days of a 15-minute schedule is 5760).
MAX_RUNS_SEARCHED = 500
POLL_SECONDS = 10.0  # `run --wait`, and a SQL statement still running after its wait_timeout
T = TypeVar("T")


def now() -> datetime:
    """The current time, UTC; tests replace it (monkeypatch `operations.jobs.now`) for exact output."""
    return datetime.now(timezone.utc)


def sleep(seconds: float) -> None:
    """Waiting between polls; tests replace it."""
    time.sleep(seconds)


@dataclass(frozen=True)
class Target:
    """A job of the platform in one environment, as connectors.yaml declares it."""

    name: str  # the connector's name, or the key in the jobs section
    kind: str  # BATCH, LAKEFLOW or JOB
    job_name: str  # its Databricks job name
    operator_groups: tuple[str, ...]  # CAN_MANAGE_RUN
    admin_group: str  # CAN_MANAGE
    group: str | None  # its deploy group
    connector: AnyConnector | None = None  # None for a job of the jobs section (kind JOB) only

    def stack(self, env: str) -> str:
        return f"{env}-{self.group}" if self.group else env


def targets(environment: ResolvedEnvironment) -> list[Target]:
    """Every job of the environment: the connectors' (by name), then the jobs section's (by key)."""
    from connectors_config import ResolvedConnector  # late: the config model (pydantic, jsonschema) costs a third of a second, which --help need not pay

    connectors = sorted(environment.all_connectors, key=lambda c: c.name)
    found = [Target(c.name, BATCH if isinstance(c, ResolvedConnector) else LAKEFLOW, f"{c.name}-connector",
                    c.operator_groups, environment.admin_group, c.group, c) for c in connectors]
    found += [Target(j.key, JOB, j.settings["name"], j.operator_groups, j.admin_group, j.group)
              for j in sorted(environment.jobs, key=lambda j: j.key)]
    return found


def target(environment: ResolvedEnvironment, name: str, config_path: str) -> Target:
    """The job `name` stands for; OperationError naming the known ones when there is none."""
    every = targets(environment)
    for candidate in every:
        if name in (candidate.name, candidate.job_name):
            return candidate
    connectors = [t.name for t in every if t.kind != JOB]
    jobs = [f"{t.name} ({t.job_name})" for t in every if t.kind == JOB]
    return _unknown(name, config_path, connectors, jobs)


def _unknown(name: str, config_path: str, connectors: list[str], jobs: list[str]) -> Target:
    raise OperationError(f"no connector or job {redact(name)} in {config_path}; its connectors: "
                         f"{', '.join(connectors) or '(none)'}; its jobs: {', '.join(jobs) or '(none)'}")


# ---------------------------------------------------------------------------------------------- command line


def add_environment_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--env", required=True, metavar="ENV", help="the environment in connectors.yaml")
    parser.add_argument("--config", metavar="PATH",
                        help="the config to read (default: $CONNECTORS_CONFIG, else connectors.yaml)")


WORKSPACE_EPILOG = ("The workspace is the environment's workspace.host / workspace.profile; credentials are the "
                    "Databricks SDK's usual ones (profile, DATABRICKS_* variables, `databricks auth login`).")


def environment_of(args: argparse.Namespace, nothing_done: str) -> tuple[ResolvedEnvironment, str]:
    """The environment --env names, and the config's path; `nothing_done` ends a broken config's report."""
    # late: the config model (pydantic, jsonschema) costs a third of a second, which --help need not pay
    from connectors_config import ConfigError, config_path_from_env, load_config, resolve

    config_path = args.config or config_path_from_env()
    try:
        config = load_config(config_path)
    except ConfigError as error:
        count = len(error.problems)
        head = f"{error.file}: {count} error{'s' if count != 1 else ''}; {nothing_done}."
        raise OperationError("\n".join([head, *(f"  {p.render(error.file)}" for p in error.problems)])) from None
    if args.env not in config.environments:
        raise OperationError(f"no environment {redact(args.env)} in {config_path}; "
                             f"its environments: {', '.join(sorted(config.environments))}")
    return resolve(config, args.env), config_path


class Progress:
    """'querying 2/5: github-connector' on `stream`, rewritten in place (\\r) at a terminal; nothing otherwise (a
    log or a pipe gets only the result)."""

    def __init__(self, stream: TextIO, interactive: bool) -> None:
        self.stream = stream
        self.interactive = interactive
        self._width = 0

    def step(self, index: int, total: int, what: str) -> None:
        if not self.interactive:
            return
        line = f"querying {index}/{total}: {what}"
        self.stream.write("\r" + line.ljust(self._width))
        self.stream.flush()
        self._width = max(self._width, len(line))

    def done(self) -> None:
        """Clears the line, so the result starts at the left margin."""
        if self.interactive and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
        self._width = 0


def progress() -> Progress:
    return Progress(sys.stderr, is_a_terminal(sys.stderr))


# ---------------------------------------------------------------------------------------------- the workspace


def permission(environment: ResolvedEnvironment, target: Target, level: str, doing: str) -> str:
    """What `doing` ('Starting a run') takes and who the stack gives it to."""
    groups = ", ".join(target.operator_groups)
    grants = (f"CAN_MANAGE_RUN to {groups} and CAN_MANAGE to {target.admin_group}" if groups
              else f"CAN_MANAGE to {target.admin_group}")
    return (f"{doing} takes {level} on the job; the {environment.name} stack grants {grants}: run this as a "
            "member of one of them.")


def failure(error: Exception, client: WorkspaceClient, environment: ResolvedEnvironment, action: str,
            denied: str) -> str:
    """A failed API call doing `action` ('start github-connector (job 11)') as a message; `denied` is what to do
    about a 403."""
    from databricks.sdk.errors import DatabricksError, PermissionDenied

    common = explain(error, environment, client, action)
    if common is not None:
        return common
    workspace = f"the {environment.name} workspace ({where(environment, client)})"
    said = server_said(error)
    if isinstance(error, PermissionDenied):
        return f"permission denied to {action} in {workspace}: {said}. {denied}"
    if isinstance(error, DatabricksError):
        code = f"{error.error_code}: " if error.error_code else ""
        return f"{workspace} refused to {action}: {code}{said}."
    return f"failed to {action} in {workspace}: {type(error).__name__}: {said}."


def calling(client: WorkspaceClient, environment: ResolvedEnvironment, action: str, denied: str,
            call: Callable[[], T]) -> T:
    """call(), its failure an OperationError (see `failure`)."""
    try:
        return call()
    except OperationError:
        raise
    except Exception as error:  # noqa: BLE001 (every failure becomes a message)
        raise OperationError(failure(error, client, environment, action, denied)) from None


def find_job(client: WorkspaceClient, environment: ResolvedEnvironment, target: Target) -> int | None:
    """The id of the target's job in the workspace, None when it is not deployed; OperationError when several
    jobs qualify."""
    ours, _ = _lookup(client, environment, target)
    return ours[0] if ours else None


def deployed_job(client: WorkspaceClient, environment: ResolvedEnvironment, target: Target, hints: Hints) -> int:
    """The id of the target's job; OperationError when it is not deployed."""
    ours, others = _lookup(client, environment, target)
    if not ours:
        raise OperationError(not_deployed(client, environment, target, hints, others))
    return ours[0]


def _lookup(client: WorkspaceClient, environment: ResolvedEnvironment, target: Target) -> tuple[list[int], list]:
    """The ids of the jobs of the target's exact name tagged as the environment's (at most one, or OperationError),
    and the other jobs of that name."""
    env = environment.name
    listed = calling(client, environment, f"find job {target.job_name}",
                     permission(environment, target, "CAN_VIEW", "Finding it"),
                     lambda: list(client.jobs.list(name=target.job_name, limit=25)))
    named = [job for job in listed if job.settings is not None and job.settings.name == target.job_name]
    ours = sorted(job.job_id for job in named if job.job_id is not None
                  and _tags(job).get("managed_by") == MANAGED_BY and _tags(job).get("environment") == env)
    if len(ours) > 1:
        raise OperationError(
            f"{len(ours)} jobs named '{target.job_name}' are tagged managed_by={MANAGED_BY} and environment={env} "
            f"in the {env} workspace ({where(environment, client)}): job ids {', '.join(map(str, ours))}. "
            f"Only one is the {target.stack(env)} stack's (its Terraform state holds the id): delete the other, "
            "then try again.")
    return ours, [job for job in named if job.job_id not in ours]


def not_deployed(client: WorkspaceClient, environment: ResolvedEnvironment, target: Target, hints: Hints,
                 others: list | None = None) -> str:
    env = environment.name
    said = (f"{target.name} is not deployed in the {env} workspace ({where(environment, client)}): no job named "
            f"'{target.job_name}' tagged managed_by={MANAGED_BY} and environment={env} (the workspace lists only "
            f"the jobs you may view). Deploy it with `{hints.deploy(target.stack(env))}`.")
    if others:
        found = [f"job {job.job_id} (tagged environment={_tags(job).get('environment', '(none)')})"
                 if _tags(job).get("managed_by") == MANAGED_BY else
                 f"job {job.job_id} (not tagged managed_by={MANAGED_BY})" for job in sorted(others, key=_id)]
        said += f" Of that name it has {', '.join(found)}: not {env}'s, left alone."
    return said


def _id(job: Any) -> int:
    return job.job_id or 0


def _tags(job: Any) -> dict[str, str]:
    return dict(job.settings.tags or {}) if job.settings is not None else {}


def job_runs(client: WorkspaceClient, environment: ResolvedEnvironment, target: Target, job_id: int,
             denied: str, *, completed_only: bool) -> Iterator[BaseRun]:
    """The job's runs (only those that ended: `completed_only`), newest first, with their tasks, page after page."""
    runs = client.jobs.list_runs(job_id=job_id, completed_only=completed_only or None, expand_tasks=True,
                                 limit=RUNS_PAGE)
    action = f"list the runs of {target.job_name} (job {job_id})"
    while True:
        run = calling(client, environment, action, denied, lambda: next(runs, None))
        if run is None:
            return
        yield run


# ---------------------------------------------------------------------------------------------- runs


# Jobs API 2.2 describes a run (and each task run) by `status`: its state (BLOCKED, PENDING, QUEUED, RUNNING, WAITING,
# TERMINATING, TERMINATED) and, once TERMINATED, termination_details (code, type, message); the older `state`
# (life_cycle_state, result_state, state_message) is deprecated. `run_state` reads `status` first and falls back to
# `state`, in the older words, which the commands speak: a termination code as the result it stands for.
SKIPPED_CODES = frozenset({"SKIPPED", "DISABLED", "MAX_JOB_QUEUE_SIZE_EXCEEDED", "MAX_CONCURRENT_RUNS_EXCEEDED"})
RESULT_OF_CODE = {
    "SUCCESS": "SUCCESS", "SUCCESS_WITH_FAILURES": "SUCCESS_WITH_FAILURES",
    "USER_CANCELED": "CANCELED",  # cancelled by a user
    "CANCELED": "TIMEDOUT",  # cancelled by the platform, e.g. past the run's maximum duration
}


@dataclass(frozen=True)
class RunState:
    """How a run or task run stands: its life cycle state (TERMINATED, SKIPPED, INTERNAL_ERROR when it is done;
    RUNNING, PENDING, QUEUED, TERMINATING... while not), its result once done (SUCCESS, FAILED, TIMEDOUT, CANCELED,
    UPSTREAM_FAILED...; None when the service gave none), and what the service said about it ('' for nothing)."""

    lifecycle: str | None
    result: str | None
    message: str


def run_state(run: AnyRun | RunTask | RepairHistoryItem) -> RunState:
    """The run's (or task run's, or repair's) `status` (Jobs API 2.2) when it has one, else its deprecated `state`."""
    status = run.status
    if status is not None and status.state is not None:
        details = status.termination_details
        message = (details.message or "") if details is not None else ""
        if not message.strip() and run.state is not None:
            message = run.state.state_message or ""
        if status.state.value != "TERMINATED":
            return RunState(status.state.value, None, message)
        code = details.code.value if details is not None and details.code is not None else None
        if code in SKIPPED_CODES:
            return RunState("SKIPPED", None, message)
        if code == "INTERNAL_ERROR":
            return RunState("INTERNAL_ERROR", None, message)
        if code is not None:
            return RunState("TERMINATED", RESULT_OF_CODE.get(code, "FAILED"), message)
        kind = details.type.value if details is not None and details.type is not None else None
        # a code this client does not know yet: the type still tells a success from a failure
        return RunState("TERMINATED", None if kind is None else "SUCCESS" if kind == "SUCCESS" else "FAILED", message)
    state = run.state
    if state is None:
        return RunState(None, None, "")
    return RunState(state.life_cycle_state.value if state.life_cycle_state is not None else None,
                    state.result_state.value if state.result_state is not None else None, state.state_message or "")


def state_of(run: AnyRun | RunTask) -> str:
    """SUCCESS, FAILED, TIMEDOUT, CANCELED, UPSTREAM_FAILED...; RUNNING, PENDING, QUEUED... while it is not done;
    SKIPPED, INTERNAL_ERROR."""
    held = run_state(run)
    return held.result or held.lifecycle or "UNKNOWN"


def is_done(run: AnyRun | RepairHistoryItem) -> bool:
    return run_state(run).lifecycle in ("TERMINATED", "SKIPPED", "INTERNAL_ERROR")


def said(run: AnyRun | RunTask) -> str:
    """What the service said about how the run stands (its termination message, or its state message), as shown."""
    return detail(run_state(run).message)


def failed(task: RunTask) -> bool:
    return state_of(task) in FAILED_RESULTS


def latest_attempts(tasks: Iterable[RunTask]) -> list[RunTask]:
    """Each task once, its latest attempt (a repaired run lists earlier attempts too), in the run's order."""
    latest: dict[str, RunTask] = {}
    for task in tasks:
        held = latest.get(task.task_key)
        if held is None or (task.attempt_number or 0, task.start_time or 0) >= (held.attempt_number or 0,
                                                                                held.start_time or 0):
            latest[task.task_key] = task
    return list(latest.values())


def failed_tasks(run: AnyRun) -> list[RunTask]:
    """The tasks that failed themselves (not those skipped because an upstream task failed), in run order."""
    return [task for task in latest_attempts(run.tasks or []) if failed(task)]


def message_of(client: WorkspaceClient, environment: ResolvedEnvironment, target: Target, run: AnyRun,
               denied: str) -> str:
    """Why the run failed: its first failed task's state message or, when that only points at the run output,
    the output's error; the run's own message when no task failed."""
    tasks = failed_tasks(run)
    if not tasks:
        return said(run)
    task = tasks[0]
    told = run_state(task).message
    task_run_id = task.run_id
    if (not told.strip() or "see run output" in told.lower()) and task_run_id is not None:
        output = calling(client, environment, f"read the output of task {task.task_key} of run {run.run_id} of "
                         f"{target.job_name}", denied, lambda: client.jobs.get_run_output(task_run_id))
        told = output.error or told
    return detail(told)


def minute(millis: int | None) -> str:
    """A UTC time, ISO 8601 to the minute: '2025-03-01T09:00'."""
    if not millis:
        return "-"
    return datetime.fromtimestamp(millis / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M")


def since(millis: int) -> timedelta:
    return now() - datetime.fromtimestamp(millis / 1000, tz=timezone.utc)


def duration(span: timedelta | float | None) -> str:
    """'45s', '4m 12s', '3h 05m', '2d 03h'; whole units alone ('15m', '6h', '1d')."""
    if span is None:
        return "-"
    seconds = int(span.total_seconds() if isinstance(span, timedelta) else span)
    if seconds < 0:
        seconds = 0
    for unit, size, small, small_size in (("d", 86400, "h", 3600), ("h", 3600, "m", 60), ("m", 60, "s", 1)):
        if seconds >= size:
            rest = (seconds % size) // small_size
            return f"{seconds // size}{unit}" + (f" {rest:02d}{small}" if rest else "")
    return f"{seconds}s"


def run_duration(run: AnyRun) -> timedelta | None:
    if not run.start_time:
        return None
    if run.end_time:
        return timedelta(milliseconds=run.end_time - run.start_time)
    return since(run.start_time)


def table(header: tuple[str, ...], rows: list[tuple[str, ...]], width: int | None) -> list[str]:
    """Fixed columns, two spaces apart, each as wide as its widest cell; the last one cut to fit `width` (None:
    not cut)."""
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    room = None if width is None else max(20, width - sum(widths[:-1]) - 2 * (len(header) - 1))
    lines = []
    for row in (header, *rows):
        last = row[-1] if room is None or len(row[-1]) <= room else row[-1][:room - 1] + "…"
        lines.append("  ".join([*(cell.ljust(w) for cell, w in zip(row[:-1], widths[:-1], strict=True)), last]).rstrip())
    return lines


def output_width() -> int | None:
    """How wide a table may be: $COLUMNS, else the terminal's width; None (no limit) when stdout is not a terminal:
    a log or a file keeps the whole messages."""
    import os
    import shutil

    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit():
        return int(columns)
    if is_a_terminal(sys.stdout):
        return shutil.get_terminal_size((120, 24)).columns
    return None
