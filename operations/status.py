"""`status`: the latest runs of the platform's jobs in one environment, as one plain-text table.

    python -m operations status --env prod
    python -m operations status --env dev github findings_gold --runs 5

One row per run, newest first, for each connector's job and each job of the jobs section (or the ones named):
its state, start (UTC), duration and, for a failed run, the task that failed and why (the task's state message,
else the error of its run output). A job that is not deployed is a row saying so rather than a failure of the
whole command, which then exits 1. What the Jobs UI shows across several pages, for the on-call operator's
first look; reading runs takes CAN_VIEW on the jobs. When none of the runs shown failed or succeeded (cancelled,
skipped, still going), one more row shows the latest run that did, searched for further back as `repair`
searches; or a row says none did.
"""

from __future__ import annotations

import argparse
from itertools import islice
from typing import TYPE_CHECKING

from operations import jobs
from operations.hints import hints_of
from operations.jobs import Target
from operations.workspace import connect, quiet_sdk_logging, where

if TYPE_CHECKING:
    from connectors_config import ResolvedEnvironment
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.service.jobs import BaseRun

HEADER = ("NAME", "RUN", "STATE", "START (UTC)", "DURATION", "FAILED TASK", "ERROR")
MAX_RUNS = 25


def _count(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= MAX_RUNS:
        raise argparse.ArgumentTypeError(f"expected a number of runs from 1 to {MAX_RUNS}, got {text!r}")
    return int(text)


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "status", allow_abbrev=False, help="the latest runs of the environment's jobs, as a table",
        description="The latest runs of each connector's job and each job of the jobs section (or of the NAMEs "
                    "given): state, start (UTC), duration and, for a failed run, the failed task and its error.",
        epilog="NAME is a connector's name, a key of the jobs section or a job's Databricks name. A job that is "
               "not deployed is shown as such; the exit code is then 1. Reading runs takes CAN_VIEW on the jobs. "
               f"{jobs.WORKSPACE_EPILOG}")
    jobs.add_environment_arguments(parser)
    parser.add_argument("--runs", type=_count, default=3, metavar="N",
                        help=f"runs shown per job, newest first (default: 3, at most {MAX_RUNS})")
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help="connectors or jobs (default: every one of the environment)")
    parser.set_defaults(run=_status, extra_hint="status takes connector or job names and --runs N.",
                        interrupt_hint="status changes nothing")


def _status(args: argparse.Namespace) -> int:
    environment, config_path = jobs.environment_of(args, "nothing was queried")
    chosen = ([jobs.target(environment, name, config_path) for name in dict.fromkeys(args.names)]
              or jobs.targets(environment))
    rows: list[tuple[str, ...]] = []
    missing: list[Target] = []
    with quiet_sdk_logging():
        client = connect(environment)
        shown = jobs.progress()
        try:
            for index, target in enumerate(chosen, 1):
                shown.step(index, len(chosen), target.job_name)
                job_id = jobs.find_job(client, environment, target)
                if job_id is None:
                    missing.append(target)
                    rows.append((target.name, "-", "not deployed", "-", "-", "-",
                                 f"no job '{target.job_name}' tagged environment={environment.name}"))
                else:
                    rows += _rows(client, environment, target, job_id, args.runs)
        finally:
            shown.done()
    print(f"latest runs in the {environment.name} workspace ({where(environment, client)}), "
          f"up to {args.runs} per job:")
    print("\n".join(jobs.table(HEADER, rows, jobs.output_width())))
    if missing:
        deploys = ", ".join(dict.fromkeys(f"`{hints_of(args).deploy(t.stack(environment.name))}`" for t in missing))
        print(f"\nnot deployed in {environment.name}: {', '.join(t.name for t in missing)}. Deploy with {deploys}.")
    return 1 if missing else 0


def _rows(client: WorkspaceClient, environment: ResolvedEnvironment, target: Target, job_id: int,
          count: int) -> list[tuple[str, ...]]:
    denied = jobs.permission(environment, target, "CAN_VIEW", "Reading its runs")
    listed = client.jobs.list_runs(job_id=job_id, expand_tasks=True, limit=min(count, jobs.RUNS_PAGE))
    runs = jobs.calling(client, environment, f"list the runs of {target.job_name} (job {job_id})", denied,
                        lambda: list(islice(listed, count)))
    if not runs:
        return [(target.name, "-", "no runs", "-", "-", "-", "")]
    rows = [_row(client, environment, target, run, denied) for run in runs]
    if not any(_decisive(run) for run in runs):
        rows += _latest_decisive(client, environment, target, job_id, denied, runs)
    return rows


def _decisive(run: BaseRun) -> bool:
    """Whether the run failed or succeeded (rather than being cancelled, skipped, or still going)."""
    return jobs.state_of(run) in jobs.FAILED_RUNS | jobs.SUCCESS_RESULTS


def _row(client: WorkspaceClient, environment: ResolvedEnvironment, target: Target, run: BaseRun, denied: str,
         note: str = "") -> tuple[str, ...]:
    state = jobs.state_of(run)
    failed = jobs.failed_tasks(run) if state in jobs.FAILED_RUNS else []
    if state in jobs.FAILED_RUNS:
        why = jobs.message_of(client, environment, target, run, denied)
    else:  # why a run was cancelled or skipped, if the service said
        why = jobs.said(run) if jobs.is_done(run) else ""
    return (target.name, str(run.run_id), state, jobs.minute(run.start_time), jobs.duration(jobs.run_duration(run)),
            failed[0].task_key if failed else "-", " ".join(part for part in (note, why) if part))


def _latest_decisive(client: WorkspaceClient, environment: ResolvedEnvironment, target: Target, job_id: int,
                     denied: str, shown: list[BaseRun]) -> list[tuple[str, ...]]:
    """When none of the runs shown failed or succeeded: a row for the latest completed run that did, searched for
    past them as `repair` searches (at most jobs.MAX_RUNS_SEARCHED completed runs), marked as such; else a row
    saying none did. Nothing when no run has ended yet."""
    ids = {run.run_id for run in shown}
    newer, searched = len(shown), 0
    for run in jobs.job_runs(client, environment, target, job_id, denied, completed_only=True):
        searched += 1
        if _decisive(run):
            note = f"(latest to fail or succeed; {newer} newer run{'s' if newer != 1 else ''} did neither)"
            return [_row(client, environment, target, run, denied, note)]
        newer += run.run_id not in ids
        if searched >= jobs.MAX_RUNS_SEARCHED:
            return [(target.name, "-", "-", "-", "-", "-",
                     f"none of its latest {searched} completed runs failed or succeeded")]
    if not searched:
        return []
    runs = f"{searched} completed run{'s' if searched != 1 else ''}"
    return [(target.name, "-", "-", "-", "-", "-", f"none of its {runs} failed or succeeded")]
