"""The workspace edge, simulated: a stateful fake of the Jobs 2.2 API and of the SQL Statement Execution API, on a
LoopbackServer (tests/loopback.py), for `python -m operations run / backfill / repair / status / freshness`.

It speaks the real APIs' JSON (the field names of databricks/sdk/service/jobs.py and sql.py), so the real
Databricks SDK is the client: jobs/list with its exact, case-insensitive name filter; runs/list newest first,
with completed_only and expand_tasks; both paged with has_more / next_page_token in pages of at most
`page_size` (2 unless told, whatever `limit` asks, so that a test proves a command follows the pages);
runs/get (with the repair history: the original run and each repair, with its state; a repair in progress
leaves the run RUNNING again, as the service does), runs/get-output, run-now, runs/repair; /api/2.0/sql/statements over the
state rows it holds, its results in chunks of `chunk_rows`. A run and each task run are described as `shape`
says: by 2.2's `status` only (STATUS), by the deprecated `state` only (STATE), or by both (BOTH, the default). Every request is recorded: `sent(path)` gives the
query or JSON body of each, in order, so tests assert exactly what a command asked for.

What it does not do: run anything (a run started with run-now ends after `polls_to_finish` runs/get calls, as
`outcome` says), check permissions (only `deny(path)` answers 403; `reject(...)` answers every request as a
workspace answers credentials it does not accept), or execute SQL: it answers a SELECT of plain
columns and `unix_millis(<column>) AS <alias>` from a table it holds, filtered by `connector IN (:params)`, and
fails any other statement, so a command's statement cannot drift from what this checks unnoticed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from itertools import count
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.loopback import LoopbackServer, Recorded, Reply

JOBS_LIST = "/api/2.2/jobs/list"
RUNS_LIST = "/api/2.2/jobs/runs/list"
RUNS_GET = "/api/2.2/jobs/runs/get"
RUNS_OUTPUT = "/api/2.2/jobs/runs/get-output"
RUN_NOW = "/api/2.2/jobs/run-now"
REPAIR = "/api/2.2/jobs/runs/repair"
STATEMENTS = "/api/2.0/sql/statements"
SECRETS_PUT = "/api/2.0/secrets/put"
WORKSPACE_ID = "1234"
PLATFORM = "connector-platform"
BATCH_TASKS = (("ingest", ()), ("transform", ("ingest",)))
DONE = ("TERMINATED", "SKIPPED", "INTERNAL_ERROR")
# How a run or task run is described: STATUS, as Jobs API 2.2 documents it (`status`: state and termination_details);
# STATE, the deprecated shape alone (`state`: life_cycle_state, result_state, state_message); BOTH, as the service
# answers today.
STATUS, STATE, BOTH = "status", "state", "both"
# The termination (code, type) Jobs API 2.2 gives for a result, or for a life cycle state without one.
TERMINATION = {"SUCCESS": ("SUCCESS", "SUCCESS"), "SUCCESS_WITH_FAILURES": ("SUCCESS_WITH_FAILURES", "SUCCESS"),
               "FAILED": ("RUN_EXECUTION_ERROR", "CLIENT_ERROR"), "TIMEDOUT": ("CANCELED", "CLIENT_ERROR"),
               "CANCELED": ("USER_CANCELED", "SUCCESS"), "UPSTREAM_FAILED": ("SKIPPED", "SUCCESS"),
               "EXCLUDED": ("SKIPPED", "SUCCESS"), "SKIPPED": ("SKIPPED", "SUCCESS"),
               "INTERNAL_ERROR": ("INTERNAL_ERROR", "INTERNAL_ERROR")}


def ms(iso: str) -> int:
    """'2025-03-01T09:00' (UTC) -> epoch milliseconds, as the Jobs API gives times."""
    return int(datetime.fromisoformat(iso).replace(tzinfo=timezone.utc).timestamp() * 1000)


def _error(status: int, code: str, message: str) -> Reply:
    return Reply(status, {"error_code": code, "message": message})


def _query(request: Recorded) -> dict[str, str]:
    return {key: values[-1] for key, values in parse_qs(urlsplit(request.path).query).items()}


def status_of(state: dict[str, Any]) -> dict[str, Any]:
    """The 2.2 `status` that stands for a deprecated `state`."""
    life_cycle = state["life_cycle_state"]
    if life_cycle not in DONE:
        return {"state": life_cycle}
    code, kind = TERMINATION[state["result_state"] if life_cycle == "TERMINATED" else life_cycle]
    return {"state": "TERMINATED", "termination_details": {"code": code, "type": kind,
                                                            "message": state.get("state_message", "")}}


def _flag(query: dict[str, str], name: str) -> bool:
    return query.get(name, "").lower() == "true"


@dataclass
class Outcome:
    """How a run started by run-now ends: its result, and the failed tasks with their state messages."""

    result: str = "SUCCESS"
    failed: dict[str, str] | None = None
    outputs: dict[str, str] | None = None  # task -> the error its run output holds
    minutes: float = 3.0


class SimulatedWorkspace:
    def __init__(self, server: LoopbackServer, page_size: int = 2, chunk_rows: int = 2,
                 warehouses: tuple[str, ...] = ("4b9e2d7a1c3f5e80",), shape: str = BOTH) -> None:
        """`shape`: how runs and task runs are described (STATUS, STATE or BOTH)."""
        assert shape in (STATUS, STATE, BOTH), shape
        self.shape = shape
        self.server = server
        self.url = server.url
        self.page_size = page_size
        self.chunk_rows = chunk_rows
        self.warehouses = set(warehouses)
        self.jobs: dict[int, dict[str, Any]] = {}
        self.runs: dict[int, dict[str, Any]] = {}
        self.outputs: dict[int, dict[str, Any]] = {}  # task run id -> its run output
        self.tables: dict[str, list[dict[str, Any]]] = {}  # 'catalog.schema.table' -> rows
        self.statements: dict[str, dict[str, Any]] = {}
        self.denied: dict[str, str] = {}
        self.rejected: Reply | None = None
        self.secrets: dict[tuple[str, str], str] = {}
        self.clock = ms("2025-03-01T12:00")  # when run-now starts a run
        self.outcome = Outcome()
        self.polls_to_finish = 1  # runs/get calls before a started run ends
        self.statement_polls = 0  # GETs of a statement before it succeeds (0: the POST answers with the result)
        self._job_ids = count(101)
        self._run_ids = count(1001)
        self._task_run_ids = count(5001)
        self._repair_ids = count(9001)
        self._statement_ids = count(1)
        self._polls: dict[int, int] = {}
        for path, handler in ((JOBS_LIST, self._jobs_list), (RUNS_LIST, self._runs_list), (RUNS_GET, self._runs_get),
                              (RUNS_OUTPUT, self._runs_output), (RUN_NOW, self._run_now), (REPAIR, self._repair),
                              (STATEMENTS, self._execute), (SECRETS_PUT, self._put_secret)):
            server.serve(path, self._guarded(path, handler))

    # ------------------------------------------------------------------------------------------ set-up

    def add_job(self, name: str, environment: str | None, *, tasks=BATCH_TASKS, managed: bool = True,
                tags: dict[str, str] | None = None) -> int:
        """A deployed job; `environment` None or `managed` False leave out the platform's tags."""
        job_id = next(self._job_ids)
        platform_tags = {"managed_by": PLATFORM, "environment": environment} if managed and environment else {}
        self.jobs[job_id] = {
            "job_id": job_id, "creator_user_name": "9e4d2b17-0c5f-4a3e-8b6d-7f1c2a9e5d03",
            "created_time": ms("2025-01-06T08:00") + job_id,
            "settings": {"name": name, "tags": {**platform_tags, **(tags or {})}, "format": "MULTI_TASK",
                         "max_concurrent_runs": 1, "timeout_seconds": 0, "email_notifications": {}},
            "_tasks": [{"task_key": key, "depends_on": [{"task_key": d} for d in depends]} for key, depends in tasks],
        }
        return job_id

    def add_run(self, job_id: int, start: str, minutes: float = 3.0, *, result: str = "SUCCESS",
                failed: dict[str, str] | None = None, outputs: dict[str, str] | None = None,
                life_cycle: str = "TERMINATED") -> int:
        """A run of the job that started at `start` (UTC): `failed` names the tasks that failed with their state
        messages (the tasks after them end UPSTREAM_FAILED, the others SUCCESS); `outputs` the errors of their
        run outputs. life_cycle RUNNING: a run still going."""
        run_id = next(self._run_ids)
        run = {"job_id": job_id, "run_id": run_id, "number_in_job": run_id, "original_attempt_run_id": run_id,
               "creator_user_name": "9e4d2b17-0c5f-4a3e-8b6d-7f1c2a9e5d03", "run_name": self.jobs[job_id]["settings"]
               ["name"], "run_type": "JOB_RUN", "trigger": "PERIODIC", "format": "MULTI_TASK",
               "start_time": ms(start), "setup_duration": 0, "execution_duration": 0, "cleanup_duration": 0,
               "run_page_url": f"{self.url}/?o={WORKSPACE_ID}#job/{job_id}/run/{run_id}",
               "tasks": [], "_repairs": [], "_original": {}}
        self.runs[run_id] = run
        self._settle(run, life_cycle, result if not failed else "FAILED", failed or {}, outputs or {},
                     ms(start) + int(minutes * 60_000))
        return run_id

    def add_state(self, table: str, connector: str, entity: str, high_water_mark: str | None, ingested_batch: int,
                  transformed_batch: int) -> None:
        """A row of a connector_state table ('appsec_dev.bronze.connector_state')."""
        self.tables.setdefault(table, []).append({
            "connector": connector, "entity": entity,
            "high_water_mark": ms(high_water_mark) if high_water_mark else None,
            "ingested_batch": ingested_batch, "transformed_batch": transformed_batch})

    def deny(self, path: str, message: str) -> None:
        """Answer every request for `path` with 403 PERMISSION_DENIED."""
        self.denied[path] = message

    def reject(self, status: int, error_code: int | str, message: str) -> None:
        """Answer every request (any route) as a workspace answers credentials it does not accept: 401
        (UNAUTHENTICATED), or 403 with a numeric error_code for an invalid or expired token."""
        self.rejected = Reply(status, {"error_code": error_code, "message": message})

    # ------------------------------------------------------------------------------------------ what was sent

    def sent(self, path: str) -> list[dict[str, Any]]:
        """The query (GET) or JSON body (POST) of every request to `path`, in order."""
        return [_query(r) if r.method == "GET" else json.loads(r.body or "{}")
                for r in self.server.requests if r.path.split("?")[0] == path]

    # ------------------------------------------------------------------------------------------ runs

    def _settle(self, run: dict[str, Any], life_cycle: str, result: str, failed: dict[str, str],
                outputs: dict[str, str], end: int) -> None:
        """Sets the run's state and its tasks' (each task's latest attempt) as `failed` and `result` say."""
        job = self.jobs[run["job_id"]]
        downstream = self._downstream(job, set(failed))
        done = life_cycle in DONE
        tasks = []
        for position, task in enumerate(job["_tasks"]):
            key = task["task_key"]
            task_run = next(self._task_run_ids)
            if not done:
                state = {"life_cycle_state": life_cycle, "state_message": "", "user_cancelled_or_timedout": False}
            elif key in failed:
                state = {"life_cycle_state": "TERMINATED", "result_state": "FAILED", "state_message": failed[key],
                         "user_cancelled_or_timedout": False}
            elif key in downstream:
                state = {"life_cycle_state": "SKIPPED", "result_state": "UPSTREAM_FAILED",
                         "state_message": "Upstream task(s) failed.", "user_cancelled_or_timedout": False}
            else:
                task_result = "SUCCESS" if failed or result in ("SUCCESS", "FAILED") else result
                state = {"life_cycle_state": "TERMINATED", "result_state": task_result, "state_message": "",
                         "user_cancelled_or_timedout": task_result == "CANCELED"}
            tasks.append({
                "run_id": task_run, "task_key": key, "depends_on": task["depends_on"] or None,
                "attempt_number": len(run["_repairs"]), "state": state, "start_time": run["start_time"] + position,
                "end_time": end if done else 0, "setup_duration": 0, "execution_duration": 0, "cleanup_duration": 0,
                "run_page_url": f"{self.url}/?o={WORKSPACE_ID}#job/{run['job_id']}/run/{task_run}",
            })
            self.outputs[task_run] = {"metadata": {"run_id": task_run, "task_key": key, "job_id": run["job_id"]},
                                      **({"error": outputs[key], "error_trace": f"Traceback ...\n{outputs[key]}"}
                                         if key in outputs else {})}
        run["tasks"] = [*run["tasks"], *tasks] if run["_repairs"] else tasks
        run["state"] = {"life_cycle_state": life_cycle, "state_message": "", "user_cancelled_or_timedout": False,
                        **({"result_state": result} if done else {})}
        if done and failed:
            first = next(iter(failed))
            run["state"]["state_message"] = f"Task {first} failed with message: {failed[first]}"
        run["end_time"] = end if done else 0
        run["run_duration"] = end - run["start_time"] if done else 0
        # the repair history: the original run's outcome, then each repair's (a repair ends as the run then does)
        attempt = run["_repairs"][-1] if run["_repairs"] else run["_original"]
        attempt["state"], attempt["end_time"] = run["state"], run["end_time"]

    @staticmethod
    def _downstream(job: dict[str, Any], failed: set[str]) -> set[str]:
        found: set[str] = set()
        changed = True
        while changed:
            changed = False
            for task in job["_tasks"]:
                if task["task_key"] not in found and any(d["task_key"] in failed | found for d in task["depends_on"]):
                    found.add(task["task_key"])
                    changed = True
        return found

    def _described(self, item: dict[str, Any]) -> dict[str, Any]:
        """A run, task run or repair history item, its state in the workspace's shape."""
        shown = {k: v for k, v in item.items() if k != "state"}
        if self.shape != STATUS:
            shown["state"] = item["state"]
        if self.shape != STATE:
            shown["status"] = status_of(item["state"])
        return shown

    def _public(self, run: dict[str, Any], tasks: bool = True, history: bool = False) -> dict[str, Any]:
        shown = self._described({k: v for k, v in run.items() if not k.startswith("_") and (tasks or k != "tasks")})
        if tasks:
            shown["tasks"] = [self._described(task) for task in run["tasks"]]
        if history:
            shown["repair_history"] = [
                self._described({"type": "ORIGINAL", "id": run["run_id"], "start_time": run["start_time"],
                                 "end_time": run["_original"]["end_time"], "state": run["_original"]["state"],
                                 "task_run_ids": []}),
                *(self._described({"type": "REPAIR", "id": repair["repair_id"], "start_time": repair["start_time"],
                                   "end_time": repair["end_time"], "state": repair["state"], "task_run_ids": []})
                  for repair in run["_repairs"])]
        return shown

    def _page(self, items: list[Any], query: dict[str, str], field: str) -> Reply:
        offset = int(query["page_token"].removeprefix(f"{field}-after-")) if "page_token" in query else 0
        size = min(int(query.get("limit") or 20), self.page_size)
        page = items[offset:offset + size]
        body: dict[str, Any] = {"has_more": offset + size < len(items)}
        if page:
            body[field] = page
        if body["has_more"]:
            body["next_page_token"] = f"{field}-after-{offset + size}"
        if offset:
            body["prev_page_token"] = f"{field}-before-{offset}"
        return Reply(200, body)

    # ------------------------------------------------------------------------------------------ endpoints

    def _guarded(self, path: str, handler):
        def answer(request: Recorded) -> Reply:
            if self.rejected is not None:
                return self.rejected
            if path in self.denied:
                return _error(403, "PERMISSION_DENIED", self.denied[path])
            return handler(request)
        return answer

    def _jobs_list(self, request: Recorded) -> Reply:
        query = _query(request)
        name = query.get("name")
        found = [{k: v for k, v in job.items() if not k.startswith("_")}
                 for job in sorted(self.jobs.values(), key=lambda j: -j["created_time"])
                 if name is None or job["settings"]["name"].lower() == name.lower()]
        return self._page(found, query, "jobs")

    def _runs_list(self, request: Recorded) -> Reply:
        query = _query(request)
        runs = [run for run in self.runs.values()
                if ("job_id" not in query or run["job_id"] == int(query["job_id"]))
                and (not _flag(query, "completed_only") or run["state"]["life_cycle_state"] in DONE)
                and (not _flag(query, "active_only") or run["state"]["life_cycle_state"] not in DONE)]
        runs.sort(key=lambda r: (-r["start_time"], -r["run_id"]))
        return self._page([self._public(r, tasks=_flag(query, "expand_tasks")) for r in runs], query, "runs")

    def _runs_get(self, request: Recorded) -> Reply:
        query = _query(request)
        run = self.runs.get(int(query.get("run_id", 0)))
        if run is None:
            return _error(400, "INVALID_PARAMETER_VALUE", f"Run {query.get('run_id')} does not exist.")
        if run["state"]["life_cycle_state"] not in DONE and "_outcome" in run:
            self._polls[run["run_id"]] = self._polls.get(run["run_id"], 0) + 1
            if self._polls[run["run_id"]] >= self.polls_to_finish:
                outcome: Outcome = run.pop("_outcome")
                self._settle(run, "TERMINATED", outcome.result, outcome.failed or {}, outcome.outputs or {},
                             run["start_time"] + int(outcome.minutes * 60_000))
        return Reply(200, self._public(run, history=_flag(query, "include_history")))

    def _runs_output(self, request: Recorded) -> Reply:
        query = _query(request)
        task_run = int(query.get("run_id", 0))
        if task_run in self.runs:
            return _error(400, "INVALID_PARAMETER_VALUE", "Retrieving the output of runs with multiple tasks is not "
                                                          "supported. Please retrieve the output of each individual "
                                                          "task run instead.")
        if task_run not in self.outputs:
            return _error(400, "INVALID_PARAMETER_VALUE", f"Run {task_run} does not exist.")
        return Reply(200, self.outputs[task_run])

    def _run_now(self, request: Recorded) -> Reply:
        body = json.loads(request.body or "{}")
        job_id = body.get("job_id")
        if job_id not in self.jobs:
            return _error(400, "INVALID_PARAMETER_VALUE", f"Job {job_id} does not exist.")
        run_id = self.add_run(job_id, datetime.fromtimestamp(self.clock / 1000, tz=timezone.utc)
                              .strftime("%Y-%m-%dT%H:%M"), life_cycle="PENDING")
        run = self.runs[run_id]
        run["trigger"] = "ONE_TIME"
        if body.get("job_parameters"):
            run["job_parameters"] = [{"name": k, "value": v} for k, v in body["job_parameters"].items()]
        run["_outcome"] = self.outcome
        return Reply(200, {"run_id": run_id, "number_in_job": run_id})

    def _repair(self, request: Recorded) -> Reply:
        body = json.loads(request.body or "{}")
        run = self.runs.get(body.get("run_id"))
        if run is None:
            return _error(400, "INVALID_PARAMETER_VALUE", f"Run {body.get('run_id')} does not exist.")
        if run["state"]["life_cycle_state"] not in DONE:
            return _error(400, "INVALID_STATE_TRANSITION", f"Run {run['run_id']} is still in progress.")
        latest = run["_repairs"][-1]["repair_id"] if run["_repairs"] else None
        if body.get("latest_repair_id") != latest:
            return _error(400, "INVALID_PARAMETER_VALUE", f"The latest repair id of run {run['run_id']} is "
                                                          f"{latest}, not {body.get('latest_repair_id')}.")
        unknown = [key for key in body.get("rerun_tasks", []) if key not in {t["task_key"] for t in run["tasks"]}]
        if unknown:
            return _error(400, "INVALID_PARAMETER_VALUE", f"Task(s) {', '.join(unknown)} not found in run.")
        return Reply(200, {"repair_id": self.start_repair(run["run_id"], body)})

    def start_repair(self, run_id: int, body: dict[str, Any] | None = None) -> int:
        """A repair of the run starting now (`clock`), as runs/repair starts it: the run is RUNNING again, and so is
        the repair in its history, until `_settle` ends both. Returns the repair's id."""
        run = self.runs[run_id]
        repair_id = next(self._repair_ids)
        running = {"life_cycle_state": "RUNNING", "state_message": "", "user_cancelled_or_timedout": False}
        run["_repairs"].append({"repair_id": repair_id, "start_time": self.clock, "end_time": 0, "state": running,
                                **(body or {})})
        run["state"] = dict(running)
        run["end_time"] = 0
        return repair_id

    def end_repair(self, run_id: int, minutes: float, *, result: str = "SUCCESS",
                   failed: dict[str, str] | None = None) -> None:
        """The run's repair in progress ends, `minutes` after the run first started: the run and the repair in its
        history end as `result` (or `failed`) says."""
        run = self.runs[run_id]
        assert run["_repairs"] and run["state"]["life_cycle_state"] not in DONE, f"run {run_id} is not being repaired"
        self._settle(run, "TERMINATED", "FAILED" if failed else result, failed or {}, {},
                     run["start_time"] + int(minutes * 60_000))

    def _put_secret(self, request: Recorded) -> Reply:
        body = json.loads(request.body or "{}")
        self.secrets[(body["scope"], body["key"])] = body["string_value"]
        return Reply(200, {})

    # ------------------------------------------------------------------------------------------ SQL

    def _execute(self, request: Recorded) -> Reply:
        body = json.loads(request.body or "{}")
        if body.get("warehouse_id") not in self.warehouses:
            return _error(404, "RESOURCE_DOES_NOT_EXIST", f"SQL warehouse {body.get('warehouse_id')} does not exist.")
        statement_id = f"01f0-{next(self._statement_ids):04d}-simulated"
        path = f"{STATEMENTS}/{statement_id}"
        answer = self._answer(statement_id, body)
        self.statements[statement_id] = {"polls": self.statement_polls, "answer": answer}
        self.server.serve(path, self._guarded(STATEMENTS, lambda request: self._poll(statement_id)))
        if self.statement_polls:
            return Reply(200, {"statement_id": statement_id, "status": {"state": "PENDING"}})
        return Reply(200, answer)

    def _poll(self, statement_id: str) -> Reply:
        held = self.statements[statement_id]
        held["polls"] -= 1
        if held["polls"] > 0:
            return Reply(200, {"statement_id": statement_id, "status": {"state": "RUNNING"}})
        return Reply(200, held["answer"])

    def _answer(self, statement_id: str, body: dict[str, Any]) -> dict[str, Any]:
        statement = " ".join(body.get("statement", "").split())
        parsed = re.fullmatch(r"SELECT (?P<select>.+?) FROM (?P<table>\S+) WHERE connector IN \((?P<params>[^)]*)\)"
                              r"(?: ORDER BY (?P<order>.+))?", statement)
        if parsed is None:
            return self._failed(statement_id, "the simulated warehouse only answers SELECT ... FROM <table> WHERE "
                                              f"connector IN (...) [ORDER BY ...]: {statement}")
        table = parsed["table"].replace("`", "")
        if table not in self.tables:
            return self._failed(statement_id, f"[TABLE_OR_VIEW_NOT_FOUND] The table or view {parsed['table']} cannot "
                                              "be found. Verify the spelling and correctness of the schema and "
                                              "catalog. SQLSTATE: 42P01; line 1 pos 108")
        values = {f":{p['name']}": p.get("value") for p in body.get("parameters", [])}
        wanted = {values.get(marker.strip()) for marker in parsed["params"].split(",")}
        columns = []  # (name, the table's column it shows); timestamps are held as epoch ms already
        for expression in parsed["select"].split(", "):
            plain = re.fullmatch(r"(\w+)", expression)
            millis = re.fullmatch(r"unix_millis\((\w+)\) AS (\w+)", expression)
            if plain:
                columns.append((plain[1], plain[1]))
            elif millis:
                columns.append((millis[2], millis[1]))
            else:
                return self._failed(statement_id, f"the simulated warehouse cannot compute {expression}")
        rows = [row for row in self.tables[table] if row["connector"] in wanted]
        order = [key.strip() for key in (parsed["order"] or "").split(",") if key.strip()]
        rows.sort(key=lambda row: tuple(row[key] for key in order))
        data = [[None if row[source] is None else str(row[source]) for _, source in columns] for row in rows]
        chunks = [data[i:i + self.chunk_rows] for i in range(0, len(data), self.chunk_rows)] or [[]]
        for index, chunk in enumerate(chunks[1:], 1):
            def reply(request: Recorded, index: int = index, chunk: list[list[str | None]] = chunk) -> Reply:
                return Reply(200, self._chunk(statement_id, index, chunk, len(chunks)))

            self.server.serve(f"{STATEMENTS}/{statement_id}/result/chunks/{index}", reply)
        return {"statement_id": statement_id, "status": {"state": "SUCCEEDED"},
                "manifest": {"format": "JSON_ARRAY", "schema": {"column_count": len(columns), "columns": [
                    {"name": name, "position": i, **({"type_name": "STRING", "type_text": "STRING"}
                                                     if source in ("connector", "entity")
                                                     else {"type_name": "LONG", "type_text": "BIGINT"})}
                    for i, (name, source) in enumerate(columns)]},
                    "total_chunk_count": len(chunks), "total_row_count": len(data), "truncated": False,
                    "chunks": [{"chunk_index": i, "row_offset": i * self.chunk_rows, "row_count": len(c)}
                               for i, c in enumerate(chunks)]},
                "result": self._chunk(statement_id, 0, chunks[0], len(chunks))}

    def _chunk(self, statement_id: str, index: int, rows: list[list[Any]], total: int) -> dict[str, Any]:
        chunk: dict[str, Any] = {"chunk_index": index, "row_offset": index * self.chunk_rows, "row_count": len(rows),
                                 "data_array": rows}
        if index + 1 < total:
            chunk["next_chunk_index"] = index + 1
            chunk["next_chunk_internal_link"] = f"{STATEMENTS}/{statement_id}/result/chunks/{index + 1}"
        return chunk

    @staticmethod
    def _failed(statement_id: str, message: str) -> dict[str, Any]:
        return {"statement_id": statement_id,
                "status": {"state": "FAILED", "error": {"error_code": "BAD_REQUEST", "message": message}}}
