"""`freshness`: is each connector's data as recent as its schedule promises?

    python -m operations freshness --env prod

Per connector (batch and lakeflow_connect), against its cadence (the longest gap between two fires of its
schedule, `core.quartz.cadence`):

- silver lag: now - the end of the latest successful run of its job (Jobs API). The verdict is `ok` while that
  is at most twice the cadence (one late or failed run is tolerated), `STALE` beyond.
- high water mark lag (batch connectors): now - the oldest high water mark among the connector's entities, read
  from the state table <catalog>.<bronze_schema>.connector_state on the environment's monitoring SQL warehouse
  (one statement for every connector, through the SQL Statement Execution API), with the batches in bronze the
  transform has not merged into silver yet. A mark moves only when the source has changes, so a quiet source's
  mark ages with nothing wrong: it informs, the verdict is the silver lag's.

A paused schedule (dev's) is noted and its STALE does not count: the exit code is 1 when a connector whose
schedule runs is STALE, a connector is not deployed, or the state table could not be read.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from core.quartz import STALE_AFTER_CADENCES, cadence
from operations import OperationError
from operations import jobs
from operations.hints import hints_of
from operations.jobs import BATCH, JOB, Target
from operations.workspace import connect, explain, quiet_sdk_logging, server_said, where

if TYPE_CHECKING:
    from connectors_config import ResolvedEnvironment
    from connectors_config.resolved import AnyConnector
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.service.sql import StatementResponse

HEADER = ("CONNECTOR", "KIND", "CADENCE", "LAST SUCCESS (UTC)", "SILVER LAG", "HWM LAG", "VERDICT", "NOTES")
STATEMENT_WAIT_SECONDS = 300  # a warehouse that starts takes minutes; beyond this the statement is cancelled


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "freshness", allow_abbrev=False, help="how recent each connector's data is, against its schedule",
        description="For each connector: the lag of silver (since its job's latest successful run) and of its "
                    "oldest high water mark (batch connectors, from the state table), against the cadence of its "
                    "schedule. ok while silver lags at most twice the cadence, STALE beyond.",
        epilog="The state table is read on the environment's monitoring.warehouse_id (CAN_USE on the warehouse, "
               "SELECT on the table); without one, the high water mark lag is not shown. Exit code 1 when a "
               "connector with a running schedule is STALE or not deployed, or the state table could not be "
               f"read. Reading runs takes CAN_VIEW on the jobs. {jobs.WORKSPACE_EPILOG}")
    jobs.add_environment_arguments(parser)
    parser.set_defaults(run=_freshness, extra_hint="freshness takes no names: it reports every connector.",
                        interrupt_hint="freshness changes nothing")


@dataclass(frozen=True)
class LastSuccess:
    deployed: bool
    ended: int | None = None  # ms: the end (else the start) of the latest successful run
    searched: int = 0  # completed runs looked at
    oldest: int | None = None  # ms: the start of the oldest run looked at


@dataclass
class Marks:
    """A batch connector's state rows."""

    oldest: int | None = None  # ms: the oldest high water mark among its entities
    pending: int = 0  # bronze batches not yet merged into silver


@dataclass
class StateReading:
    marks: dict[str, Marks] | None = None  # None: not read
    footnote: str | None = None
    failed: bool = False


def _freshness(args: argparse.Namespace) -> int:
    environment, _ = jobs.environment_of(args, "nothing was queried")
    hints = hints_of(args)
    chosen = [t for t in jobs.targets(environment) if t.kind != JOB]
    moment = jobs.now()
    with quiet_sdk_logging():
        client = connect(environment)
        successes: dict[str, LastSuccess] = {}
        shown = jobs.progress()
        try:
            for index, target in enumerate(chosen, 1):
                shown.step(index, len(chosen), target.job_name)
                successes[target.name] = _last_success(client, environment, target)
        finally:
            shown.done()
        state = _read_state(client, environment, [t.name for t in chosen if t.kind == BATCH])
    rows, counted = [], []
    for target in chosen:
        row, stale = _row(target, successes[target.name], state, moment)
        rows.append(row)
        counted += [target.name] if stale else []
    print(f"freshness in the {environment.name} workspace ({where(environment, client)}) at "
          f"{moment.astimezone(timezone.utc):%Y-%m-%dT%H:%M} UTC:")
    print("\n".join(jobs.table(HEADER, rows, jobs.output_width())))
    print(f"\nSILVER LAG: since the end of the job's latest successful run; STALE beyond {STALE_AFTER_CADENCES} times "
          "the cadence.\nHWM LAG: since the oldest entity's high water mark, which moves only when the source "
          "has changes.")
    if any(_connector(t).schedule_paused for t in chosen):
        print("paused: the schedule is paused (runs only when started); its STALE does not fail the command.")
    if state.footnote:
        print(state.footnote)
    missing = [t for t in chosen if not successes[t.name].deployed]
    if missing:
        deploys = ", ".join(dict.fromkeys(f"`{hints.deploy(t.stack(environment.name))}`" for t in missing))
        print(f"not deployed in {environment.name}: {', '.join(t.name for t in missing)} (no job named "
              f"{', '.join(repr(t.job_name) for t in missing)}). Deploy with {deploys}.")
    return 1 if counted or state.failed else 0


def _last_success(client: WorkspaceClient, environment: ResolvedEnvironment, target: Target) -> LastSuccess:
    job_id = jobs.find_job(client, environment, target)
    if job_id is None:
        return LastSuccess(deployed=False)
    denied = jobs.permission(environment, target, "CAN_VIEW", "Reading its runs")
    searched, oldest = 0, None
    for run in jobs.job_runs(client, environment, target, job_id, denied, completed_only=True):
        if jobs.state_of(run) in jobs.SUCCESS_RESULTS:
            return LastSuccess(True, run.end_time or run.start_time, searched + 1, run.start_time)
        searched, oldest = searched + 1, run.start_time or oldest
        if searched >= jobs.MAX_RUNS_SEARCHED:
            break
    return LastSuccess(True, None, searched, oldest)


def _connector(target: Target) -> AnyConnector:
    assert target.connector is not None  # a connector's target (not a JOB's): `jobs.targets` gives it the connector
    return target.connector


def _row(target: Target, success: LastSuccess, state: StateReading, moment: datetime) -> tuple[tuple[str, ...], bool]:
    connector = _connector(target)
    every = cadence(connector.schedule, connector.timezone)
    notes = ["paused"] if connector.schedule_paused else []
    hwm = "n/a"
    if target.kind == BATCH:
        marks = state.marks.get(target.name) if state.marks is not None else None
        hwm = "-"
        if state.marks is not None and marks is None:
            notes.append("no state yet")
        elif marks is not None:
            hwm = jobs.duration(moment - _at(marks.oldest)) if marks.oldest is not None else "-"
            if marks.pending:
                notes.append(f"{marks.pending} batch{'es' if marks.pending != 1 else ''} not yet in silver")
    if not success.deployed:
        verdict, last, lag = "not deployed", "-", "-"
    elif success.ended is None:
        verdict, last = "STALE", "never"
        lag = (f"> {jobs.duration(moment - _at(success.oldest))}"
               if success.searched >= jobs.MAX_RUNS_SEARCHED and success.oldest else "-")
        notes.append(f"none of its last {success.searched} runs succeeded" if success.searched else "no run yet")
    else:
        silver = moment - _at(success.ended)
        last, lag = jobs.minute(success.ended), jobs.duration(silver)
        verdict = "-" if every is None else ("ok" if silver <= STALE_AFTER_CADENCES * every else "STALE")
    if every is None:
        notes.append("its schedule fires once: no cadence")
    row = (target.name, target.kind, jobs.duration(every), last, lag, hwm, verdict, "; ".join(notes))
    counts = verdict == "not deployed" or (verdict == "STALE" and not connector.schedule_paused)
    return row, counts


def _at(millis: int) -> datetime:
    return datetime.fromtimestamp(millis / 1000, tz=timezone.utc)


# ---------------------------------------------------------------------------------------------- state table


def statement(environment: ResolvedEnvironment, connectors: list[str]) -> str:
    """The one statement that reads every batch connector's state rows; the names are its parameters."""
    markers = ", ".join(f":connector_{index}" for index in range(len(connectors)))
    return (f"SELECT connector, entity, unix_millis(high_water_mark) AS high_water_mark_ms, ingested_batch, "
            f"transformed_batch FROM {_state_table(environment, quoted=True)} WHERE connector IN ({markers}) "
            "ORDER BY connector, entity")


def _state_table(environment: ResolvedEnvironment, quoted: bool = False) -> str:
    parts = (environment.catalog, environment.bronze_schema, "connector_state")
    return ".".join(f"`{p}`" for p in parts) if quoted else ".".join(parts)


def _read_state(client: WorkspaceClient, environment: ResolvedEnvironment, connectors: list[str]) -> StateReading:
    env, table = environment.name, _state_table(environment)
    if not connectors:
        return StateReading()
    if environment.monitoring is None:
        return StateReading(footnote=f"HWM LAG not shown: no SQL warehouse to read {table} on. Set "
                                     f"environments.{env}.monitoring.warehouse_id in connectors.yaml.")
    warehouse = environment.monitoring.warehouse_id
    action = f"read {table} on SQL warehouse {warehouse}"
    try:
        response = _execute(client, environment, connectors, warehouse)
    except Exception as error:  # noqa: BLE001 (every failure becomes a message)
        common = explain(error, environment, client, action)
        if common is not None:
            raise OperationError(common) from None
        from databricks.sdk.errors import PermissionDenied

        said = server_said(error)
        if isinstance(error, PermissionDenied):
            said += ". Reading it takes CAN_USE on the warehouse and SELECT on the table"
        return StateReading(footnote=f"HWM LAG not shown: could not {action}: {said}.", failed=True)
    status = response.status
    if status is None or status.state is None or status.state.value != "SUCCEEDED":
        failure = status.error if status is not None else None
        said = jobs.detail(failure.message or "") if failure is not None else ""
        if "TABLE_OR_VIEW_NOT_FOUND" in said:
            return StateReading(footnote=f"HWM LAG not shown: {table} does not exist yet: no batch "
                                                   f"connector has run in {env}.")
        state = status.state.value if status is not None and status.state is not None else "no state"
        return StateReading(footnote=f"HWM LAG not shown: could not {action}: statement "
                                     f"{response.statement_id} {state}{f': {said}' if said else ''}.", failed=True)
    return StateReading(marks=_marks(client, response))


def _execute(client: WorkspaceClient, environment: ResolvedEnvironment, connectors: list[str],
             warehouse_id: str) -> StatementResponse:
    """Runs the statement, polling past its wait_timeout while the warehouse starts; cancelled after
    STATEMENT_WAIT_SECONDS."""
    from databricks.sdk.service.sql import (
        Disposition,
        ExecuteStatementRequestOnWaitTimeout,
        Format,
        StatementParameterListItem,
    )

    response = client.statement_execution.execute_statement(
        statement=statement(environment, connectors), warehouse_id=warehouse_id,
        wait_timeout="30s", on_wait_timeout=ExecuteStatementRequestOnWaitTimeout.CONTINUE,
        disposition=Disposition.INLINE, format=Format.JSON_ARRAY,
        parameters=[StatementParameterListItem(name=f"connector_{index}", value=name)
                    for index, name in enumerate(connectors)])
    waited = 0.0
    while response.status is not None and response.status.state is not None and \
            response.status.state.value in ("PENDING", "RUNNING"):
        if waited >= STATEMENT_WAIT_SECONDS:
            client.statement_execution.cancel_execution(_statement_id(response))
            break
        jobs.sleep(jobs.POLL_SECONDS)
        waited += jobs.POLL_SECONDS
        response = client.statement_execution.get_statement(_statement_id(response))
    return response


def _statement_id(response: StatementResponse) -> str:
    assert response.statement_id is not None  # the API answers every statement it accepted with its id
    return response.statement_id


def _marks(client: WorkspaceClient, response: StatementResponse) -> dict[str, Marks]:
    schema = response.manifest.schema if response.manifest else None
    columns = [c.name for c in schema.columns or []] if schema else []
    rows = list(response.result.data_array or []) if response.result else []
    chunk = response.result
    while chunk is not None and chunk.next_chunk_index is not None:
        chunk = client.statement_execution.get_statement_result_chunk_n(_statement_id(response),
                                                                         chunk.next_chunk_index)
        rows += chunk.data_array or []
    found: dict[str, Marks] = {}
    for values in rows:
        row = dict(zip(columns, values, strict=True))
        marks = found.setdefault(row["connector"], Marks())
        mark = int(row["high_water_mark_ms"]) if row["high_water_mark_ms"] is not None else None
        if mark is not None and (marks.oldest is None or mark < marks.oldest):
            marks.oldest = mark
        marks.pending += max(0, int(row["ingested_batch"]) - int(row["transformed_batch"]))
    return found

