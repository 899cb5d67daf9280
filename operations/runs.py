"""`run`, `backfill` and `repair`: start a deployed job now, re-read a batch connector from its initial mark, or
re-run what failed in a job's latest failed run.

    python -m operations run --env dev github
    python -m operations backfill --env prod sonarqube
    python -m operations repair --env prod findings_gold --dry-run

Each finds the job as `operations.jobs` does (its exact name and the platform's tags, never a look-alike) and
acts through the Jobs API; none waits for the run to end (`run --wait` does). A backfill is a run with the job
parameter hwm_reset=true: the ingest task reads every entity from the connector's initial_mark instead of its
high water marks, bronze gets the records again as a new batch and the transform merges into silver only
versions newer than those it holds: a backfill deletes nothing, and duplicates nothing in silver. It can read
a source's whole history, so where the environment sets confirm_backfill (the default) the operator types the
connector's name first. A repair is the Jobs API's repair of the failed run, not a new run: the tasks that
failed and every task after them run again; the tasks that succeeded keep their results. It waits for what is
still going: while a run newer than the failed one runs (or is queued), or a repair of the run does, it starts
nothing and says which, and how to follow it.
"""

from __future__ import annotations

import argparse
import functools
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from operations import OperationError
from operations import jobs
from operations.hints import Hints, hints_of
from operations.jobs import JOB, LAKEFLOW, SUCCESS_RESULTS, Target
from operations.workspace import connect, quiet_sdk_logging, where

if TYPE_CHECKING:
    from connectors_config import ResolvedEnvironment
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.service.jobs import BaseRun, RepairHistoryItem, RepairRunResponse, Run, RunNowResponse, RunTask

    from operations.jobs import AnyRun



def _interrupted(what: str) -> Callable[[argparse.Namespace], str]:
    """What Ctrl-C leaves behind, and the command that shows it."""
    def hint(args: argparse.Namespace) -> str:
        name = getattr(args, "name", None) or args.connector
        return (f"{what} already started goes on in the workspace: `{hints_of(args).operation('status', args.env, name)}` "
                "shows it")
    return hint


def register_run(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "run", allow_abbrev=False, help="start the deployed job of a connector or of the jobs section now",
        description="Start the deployed job of a connector, or of a job of the jobs section, now (the Jobs API's "
                    "run now). Prints the run's id and page and returns; --wait waits for the run to end.",
        epilog="NAME is a connector's name, a key of the jobs section or a job's Databricks name. The job must "
               "be deployed in the environment: named as the stack names it and tagged managed_by="
               f"{jobs.MANAGED_BY} and environment=ENV. Starting a run takes CAN_MANAGE_RUN on the job. "
               f"{jobs.WORKSPACE_EPILOG}")
    jobs.add_environment_arguments(parser)
    parser.add_argument("--wait", action="store_true",
                        help="wait for the run to end and report how it ended (exit 1 unless it succeeded)")
    parser.add_argument("name", metavar="NAME", help="a connector, or a job of the jobs section")
    parser.set_defaults(run=_run, extra_hint="run takes one connector or job name.", interrupt_hint=_interrupted("a run"))


def register_backfill(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "backfill", allow_abbrev=False, help="re-read every entity of a batch connector from its initial_mark",
        description="Run a batch connector's job with hwm_reset=true: every entity is read again from the "
                    "connector's initial_mark (else from the beginning of the source), not from its high water "
                    "marks. Silver keeps the newest version of each record: nothing in it is deleted or duplicated.",
        epilog="Where the environment's confirm_backfill is true (the default), it asks you to type the "
               "connector's name first; without a terminal, only --yes starts it. Lakeflow Connect connectors "
               "have no high water mark: their full refresh drops SCD type 2 history and is not offered here. "
               f"Starting a run takes CAN_MANAGE_RUN on the job. {jobs.WORKSPACE_EPILOG}")
    jobs.add_environment_arguments(parser)
    parser.add_argument("--yes", action="store_true",
                        help="do not ask for confirmation (for scripts; the environment's confirm_backfill asks)")
    parser.add_argument("connector", metavar="CONNECTOR", help="a batch connector's name in connectors.yaml")
    parser.set_defaults(run=_backfill, extra_hint="backfill takes one batch connector's name.",
                        interrupt_hint=_interrupted("a run"))


def register_repair(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "repair", allow_abbrev=False, help="re-run the failed tasks of a job's latest failed run",
        description="Repair the latest failed run of a connector's or job's job: re-run the tasks that failed "
                    "and every task that depends on them (the Jobs API's repair); the tasks that succeeded "
                    "are not re-run. Nothing to do when the latest completed run succeeded.",
        epilog="NAME is a connector's name, a key of the jobs section or a job's Databricks name. Runs that "
               "were cancelled or skipped are passed over. While a newer run, or a repair of the run, is still "
               "going, nothing is repaired (exit 1): `status` follows it. Repairing a run takes CAN_MANAGE_RUN on "
               "the job. "
               f"{jobs.WORKSPACE_EPILOG}")
    jobs.add_environment_arguments(parser)
    parser.add_argument("--dry-run", action="store_true", help="print what would be re-run; repair nothing")
    parser.add_argument("name", metavar="NAME", help="a connector, or a job of the jobs section")
    parser.set_defaults(run=_repair, extra_hint="repair takes one connector or job name.",
                        interrupt_hint=_interrupted("a repair"))


# ---------------------------------------------------------------------------------------------- run


def _run(args: argparse.Namespace) -> int:
    environment, config_path = jobs.environment_of(args, "nothing was started")
    chosen = jobs.target(environment, args.name, config_path)
    hints = hints_of(args)
    with quiet_sdk_logging():
        client = connect(environment)
        job_id = jobs.deployed_job(client, environment, chosen, hints)
        run_id = _start(client, environment, chosen, job_id, None)
        if args.wait:
            return _wait(client, environment, chosen, job_id, run_id, hints)
    return 0


def _start(client: WorkspaceClient, environment: ResolvedEnvironment, chosen: Target, job_id: int,
           parameters: dict[str, str] | None) -> int:
    """Runs the job now (an idempotency token: a retried request cannot start a second run) and prints where."""
    denied = jobs.permission(environment, chosen, "CAN_MANAGE_RUN", "Starting a run")
    # The SDK annotates Wait.response with the builtin any(); run-now's is a RunNowResponse.
    run_id = jobs.calling(client, environment, f"start {chosen.job_name} (job {job_id})", denied,
                          lambda: cast("RunNowResponse", client.jobs.run_now(
                              job_id, job_parameters=parameters, idempotency_token=uuid.uuid4().hex).response).run_id)
    assert run_id is not None  # the Jobs API answers run-now with the new run's id
    with_parameters = "".join(f" with {name}={value}" for name, value in (parameters or {}).items())
    print(f"started run {run_id} of {chosen.job_name} (job {job_id}){with_parameters} in the {environment.name} "
          f"workspace ({where(environment, client)})")
    print(_page(client, job_id, run_id))
    return run_id


def _page(client: WorkspaceClient, job_id: int, run_id: int, run: AnyRun | None = None) -> str:
    """The run's page: as the Jobs API gives it, else built from the host (the run has started either way)."""
    if run is None:
        try:
            run = client.jobs.get_run(run_id)
        except Exception:  # noqa: BLE001 (the run is started; only its link is at stake)
            run = None
    if run is not None and run.run_page_url:
        return run.run_page_url
    return f"{(client.config.host or '').rstrip('/')}/jobs/{job_id}/runs/{run_id}"


def _wait(client: WorkspaceClient, environment: ResolvedEnvironment, chosen: Target, job_id: int,
          run_id: int, hints: Hints) -> int:
    print(f"waiting for run {run_id} to end (Ctrl-C stops waiting, not the run)", file=sys.stderr, flush=True)
    denied = jobs.permission(environment, chosen, "CAN_VIEW", "Following a run")
    while True:
        run = jobs.calling(client, environment, f"follow run {run_id} of {chosen.job_name}", denied,
                           lambda: client.jobs.get_run(run_id))
        if jobs.is_done(run):
            break
        jobs.sleep(jobs.POLL_SECONDS)
    state = jobs.state_of(run)
    ended = f"run {run_id} of {chosen.job_name} ended {state} after {jobs.duration(jobs.run_duration(run))}"
    if state in SUCCESS_RESULTS:
        print(ended)
        return 0
    failed = jobs.failed_tasks(run)
    why = jobs.message_of(client, environment, chosen, run, denied)
    task = f"task {failed[0].task_key} failed" if failed else ""
    print(ended + (f": {task}" if task else "") + (f": {why}" if why else ""))
    if state in jobs.FAILED_RUNS:
        print(f"`{hints.operation('repair', environment.name, chosen.name)}` re-runs what failed and what depends "
              "on it.")
    return 1


# ---------------------------------------------------------------------------------------------- backfill


def _backfill(args: argparse.Namespace) -> int:
    environment, config_path = jobs.environment_of(args, "no backfill was started")
    chosen = jobs.target(environment, args.connector, config_path)
    env, name = environment.name, chosen.name
    hints = hints_of(args)
    if chosen.kind == LAKEFLOW:
        raise OperationError(
            f"{name} is a lakeflow_connect connector: it has no high water mark to reset (Databricks' managed "
            "connector keeps its own cursor). Its equivalent, a full refresh of its pipeline, snapshots every "
            "table again and drops the history its SCD type 2 tables keep, so it is deliberately not offered "
            f"here. `{hints.operation('run', env, name)}` starts an ordinary incremental update.")
    if chosen.kind == JOB:
        raise OperationError(
            f"{name} is a job of the jobs section ({chosen.job_name}), not a batch connector: only batch "
            f"connectors have high water marks to reset. `{hints.operation('run', env, name)}` starts it.")
    ask = environment.confirm_backfill and not args.yes
    if ask and not jobs.is_a_terminal(sys.stdin):
        raise OperationError(
            f"a backfill of {name} in {env} needs confirmation (environments.{env}.confirm_backfill is true) and "
            "stdin is not a terminal: nothing was started. Run it at a terminal to confirm, or add --yes.")
    from connectors_config import ResolvedConnector  # late: the config model (pydantic, jsonschema) costs a third of a second, which --help need not pay

    connector = chosen.connector
    assert isinstance(connector, ResolvedConnector)  # neither LAKEFLOW nor JOB: a batch connector's target
    start = (f"{connector.initial_mark} (its initial_mark)" if connector.initial_mark
             else "the beginning of the source (it has no initial_mark)")
    with quiet_sdk_logging():
        client = connect(environment)
        job_id = jobs.deployed_job(client, environment, chosen, hints)
        print(f"backfill {name} in {env}: re-reads every entity from {start}, not from its high water marks. "
              "Bronze gets the records again as a new batch; silver keeps the newest version of each record "
              "(nothing is deleted).", flush=True)
        if ask:
            _confirm(name, env)
        _start(client, environment, chosen, job_id, {"hwm_reset": "true"})
    return 0


def _confirm(name: str, env: str) -> None:
    try:
        answer = input(f"type {name} to start the backfill in {env}: ")
    except EOFError:
        answer = ""
    if answer.strip() != name:
        raise OperationError(f"the answer was not '{name}': no backfill was started.")


# ---------------------------------------------------------------------------------------------- repair


@dataclass(frozen=True)
class RepairPlan:
    failed: tuple[str, ...]  # the tasks that failed: rerun_tasks
    dependents: tuple[str, ...]  # every task after them: rerun_dependent_tasks re-runs them too
    kept: tuple[tuple[str, str], ...]  # the other tasks, with how they ended

    @property
    def rerun(self) -> tuple[str, ...]:
        return self.failed + self.dependents


def plan(run: AnyRun) -> RepairPlan:
    """What repairing `run` re-runs: its failed tasks and, transitively, the tasks that depend on them (those
    skipped as UPSTREAM_FAILED among them), each list in dependency order."""
    tasks = _in_dependency_order(jobs.latest_attempts(run.tasks or []))
    failed = [t.task_key for t in tasks if jobs.failed(t)]
    after: dict[str, list[str]] = {}
    for task in tasks:
        for dependency in task.depends_on or []:
            after.setdefault(dependency.task_key, []).append(task.task_key)
    reached: set[str] = set()
    pending = list(failed)
    while pending:
        for key in after.get(pending.pop(), []):
            if key not in reached:
                reached.add(key)
                pending.append(key)
    dependents = [t.task_key for t in tasks if t.task_key in reached and t.task_key not in failed]
    kept = [(t.task_key, jobs.state_of(t)) for t in tasks if t.task_key not in reached and t.task_key not in failed]
    return RepairPlan(tuple(failed), tuple(dependents), tuple(kept))


def _in_dependency_order(tasks: list[RunTask]) -> list[RunTask]:
    """Each task after those it depends on; otherwise in the run's order."""
    keys = {t.task_key for t in tasks}
    placed: list[RunTask] = []
    done: set[str] = set()
    while len(placed) < len(tasks):
        ready = [t for t in tasks if t.task_key not in done and all(
            d.task_key in done or d.task_key not in keys for d in t.depends_on or [])]
        if not ready:  # a cycle the service would not allow: keep the rest as listed
            ready = [t for t in tasks if t.task_key not in done]
        placed.append(ready[0])
        done.add(ready[0].task_key)
    return placed


def describe(plan: RepairPlan) -> str:
    """'re-runs transform, report, notify (failed: transform; depending on it: report, notify); ingest succeeded
    and is not re-run'"""
    said = f"re-runs {', '.join(plan.rerun)} (failed: {', '.join(plan.failed)}"
    if plan.dependents:
        said += f"; depending on {'it' if len(plan.failed) == 1 else 'them'}: {', '.join(plan.dependents)}"
    said += ")"
    succeeded = [key for key, state in plan.kept if state in SUCCESS_RESULTS]
    if succeeded:
        said += (f"; {_and(succeeded)} succeeded and {'is' if len(succeeded) == 1 else 'are'} not re-run")
    others = [f"{key} ({state})" for key, state in plan.kept if state not in SUCCESS_RESULTS]
    if others:
        said += f"; {_and(others)} {'is' if len(others) == 1 else 'are'} not re-run"
    return said


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _repair(args: argparse.Namespace) -> int:
    environment, config_path = jobs.environment_of(args, "nothing was repaired")
    chosen = jobs.target(environment, args.name, config_path)
    env, hints = environment.name, hints_of(args)
    follow = hints.operation("status", env, chosen.name)
    with quiet_sdk_logging():
        client = connect(environment)
        job_id = jobs.deployed_job(client, environment, chosen, hints)
        viewing = jobs.permission(environment, chosen, "CAN_VIEW", "Reading its runs")
        found, passed = _latest_failed(client, environment, chosen, job_id, viewing, follow)
        if found is None:
            return 0
        run_id = found.run_id
        assert run_id is not None  # the Jobs API lists every run with its id
        run = _whole_run(client, environment, chosen, run_id, viewing)
        _refuse_while_repairing(run, chosen, job_id, follow)
        if passed:
            print(f"passed over {len(passed)} newer run(s) that neither failed nor succeeded: "
                  + ", ".join(f"{r.run_id} ({jobs.state_of(r)})" for r in passed))
        repair = plan(run)
        what = (f"run {run.run_id} of {chosen.job_name} (job {job_id}, started {jobs.minute(run.start_time)}, "
                f"{jobs.state_of(run)})")
        if not repair.failed:
            reason = jobs.said(run)
            raise OperationError(
                f"{what} failed, but none of its tasks did{f' ({reason})' if reason else ''}: a repair would "
                f"re-run nothing. `{hints.operation('run', env, chosen.name)}` starts a new run.")
        print(f"repair {what}: {describe(repair)}", flush=True)
        if args.dry_run:
            print("dry run: nothing was repaired")
            return 0
        repairs = [item.id for item in _repairs(run) if item.id is not None]
        denied = jobs.permission(environment, chosen, "CAN_MANAGE_RUN", "Repairing a run")
        # The SDK annotates Wait.response with the builtin any(); a repair's is a RepairRunResponse.
        repair_id = jobs.calling(
            client, environment, f"repair run {run.run_id} of {chosen.job_name}", denied,
            lambda: cast("RepairRunResponse", client.jobs.repair_run(
                run_id, rerun_tasks=list(repair.failed), rerun_dependent_tasks=True,
                latest_repair_id=repairs[-1] if repairs else None).response).repair_id)
        print(f"started repair {repair_id} of run {run.run_id} in the {env} workspace ({where(environment, client)})")
        print(_page(client, job_id, run_id, run))
    return 0


def _latest_failed(client: WorkspaceClient, environment: ResolvedEnvironment, chosen: Target, job_id: int,
                   denied: str, follow: str) -> tuple[BaseRun | None, list[BaseRun]]:
    """The latest run that failed or succeeded when it failed, with the newer runs that were cancelled or skipped;
    None (having said why) when it succeeded, or none failed. OperationError when a run newer than it is still
    going, a repair or not: its outcome decides whether a repair is needed, and a run being repaired is repaired
    again only once that repair has ended."""
    passed: list[BaseRun] = []
    for run in jobs.job_runs(client, environment, chosen, job_id, denied, completed_only=False):
        if not jobs.is_done(run):
            run_id = run.run_id
            assert run_id is not None  # the Jobs API lists every run with its id
            whole = jobs.calling(client, environment, f"read run {run_id} of {chosen.job_name}", denied,
                                 functools.partial(client.jobs.get_run, run_id, include_history=True))
            _refuse_while_repairing(whole, chosen, job_id, follow)
            raise OperationError(
                f"run {run_id} of {chosen.job_name} (job {job_id}) started {jobs.minute(run.start_time)} and is "
                f"{jobs.state_of(run)}: its outcome decides whether a repair is needed. Wait for it to end "
                f"(`{follow}`), then repair again if it fails.")
        state = jobs.state_of(run)
        if state in jobs.FAILED_RUNS:
            return run, passed
        if state in SUCCESS_RESULTS:
            print(f"the latest completed run {run.run_id} of {chosen.job_name} (started "
                  f"{jobs.minute(run.start_time)}) succeeded; nothing to repair")
            return None, passed
        passed.append(run)
        if len(passed) >= jobs.MAX_RUNS_SEARCHED:
            print(f"none of the latest {len(passed)} completed runs of {chosen.job_name} failed or succeeded "
                  "(cancelled or skipped); nothing to repair")
            return None, passed
    if passed:
        print(f"none of the {len(passed)} completed runs of {chosen.job_name} failed or succeeded (cancelled or "
              "skipped); nothing to repair")
    else:
        print(f"{chosen.job_name} has no completed run; nothing to repair")
    return None, passed


def _repairs(run: Run) -> list[RepairHistoryItem]:
    """The run's repairs, oldest first (its repair history, less the original run)."""
    return [item for item in run.repair_history or [] if item.type is not None and item.type.value == "REPAIR"]


def _refuse_while_repairing(run: Run, chosen: Target, job_id: int, follow: str) -> None:
    """OperationError when a repair of the run is going on: the run is not done (a run is repaired only once it has
    ended, so its latest repair is what runs), or its latest repair says it is not."""
    repairs = _repairs(run)
    if not repairs:
        return
    latest = repairs[-1]
    held = jobs.run_state(latest)
    if jobs.is_done(run) and (held.lifecycle is None or jobs.is_done(latest)):
        return
    state = (held.result or held.lifecycle) if held.lifecycle is not None else jobs.state_of(run)
    raise OperationError(
        f"run {run.run_id} of {chosen.job_name} (job {job_id}) is being repaired: repair {latest.id} started "
        f"{jobs.minute(latest.start_time)} is {state}. Wait for it to end (`{follow}`), then repair again if it "
        "fails.")


def _whole_run(client: WorkspaceClient, environment: ResolvedEnvironment, chosen: Target, run_id: int,
               denied: str) -> Run:
    """The run with every task (the API pages arrays of more than 100) and its repair history."""
    action = f"read run {run_id} of {chosen.job_name}"
    run = jobs.calling(client, environment, action, denied,
                       lambda: client.jobs.get_run(run_id, include_history=True))
    token = run.next_page_token
    while token:
        page = jobs.calling(client, environment, action, denied,
                            functools.partial(client.jobs.get_run, run_id, include_history=True, page_token=token))
        run.tasks = [*(run.tasks or []), *(page.tasks or [])]
        token = page.next_page_token
    return run
