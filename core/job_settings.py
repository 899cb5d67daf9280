"""Offline checks of one Jobs API job settings object that neither `databricks bundle validate` nor the
Terraform provider makes: the workspace rejects these at deploy time or, worse, accepts them and the job fails
(or never fires) at run time.

- triggers: at most one of schedule/continuous/trigger; a continuous job runs one run at a time; a valid Quartz
  expression and time zone; `table_update` names are three-part; `file_arrival` watches a volume or an
  external location;
- the task graph: unique task keys, exactly one task type per task, `depends_on` naming tasks of the job and
  no cycle, an `outcome` only on a condition task, defined `job_cluster_key`/`environment_key`, `for_each`
  inputs that are a JSON array or a reference;
- `{{...}}` dynamic value references: known names only, `{{job.parameters.P}}` declared, `{{tasks.X.…}}`
  upstream of the task that reads it, `{{input}}` inside a for_each task; `{{secrets/<scope>/<key>}}` only as a
  value of a cluster's spark_conf or spark_env_vars, the one place Databricks resolves it (which scope it may
  read is the config's to check: `secret_references`).

`settings_problems` returns (path inside the settings, message) pairs; the config adds file and line, the
LakeflowJob construct its own prefix. It works on settings with unresolved markers or cdktf tokens in them:
values it cannot read are left to the checks that can.
"""

from __future__ import annotations

import difflib
import json
import re
import zoneinfo
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

from core.bundle_schema import schema_defs
from core.field_paths import FieldPath, format_path
from core.quartz import QuartzError, parse_quartz

Problem = tuple[FieldPath, str]

TRIGGERS = ("schedule", "continuous", "trigger")
TABLE_UPDATE_LIMIT = 10  # the Jobs service watches at most this many tables per trigger
_VOLUME = re.compile(r"/Volumes/[^/]+/[^/]+/[^/]+(/.*)?")
_EXTERNAL_LOCATION = re.compile(r"(abfss|s3|gs|r2)://[^/]+(/.*)?")
_REFERENCE = re.compile(r"\{\{(.*?)\}\}")
# {{job.start_time.<arg>}}, {{job.trigger.time.<arg>}}
TIME_ARGUMENTS = ("day", "hour", "is_weekday", "iso_date", "iso_datetime", "iso_weekday", "minute", "month",
                  "second", "timestamp_ms", "year")
TASK_FIELDS = ("error_code", "execution_count", "notebook_path", "result_state", "run_id")
# Legacy references Databricks deprecated, with what replaces each.
DEPRECATED = {"job_id": "job.id", "run_id": "task.run_id", "parent_run_id": "job.run_id",
              "start_date": "job.start_time.iso_date", "start_time": "job.start_time.timestamp_ms",
              "task_key": "task.name", "task_retry_count": "task.execution_count"}
FIXED_REFERENCES = ("job.id", "job.name", "job.run_id", "job.repair_count", "job.trigger.type",
                    "job.trigger.file_arrival.location", "job.trigger.table_update.updated_tables",
                    "task.name", "task.run_id", "task.notebook_path", "task.execution_count",
                    "workspace.id", "workspace.url", "input")
_EXAMPLES = "{{job.run_id}}, {{job.parameters.<name>}}, {{tasks.<task>.values.<name>}}"


@cache
def task_types() -> tuple[str, ...]:
    """Every task type the Jobs API knows (`notebook_task`, `run_job_task`, ...), from Databricks' schema."""
    task = schema_defs()["github.com"]["databricks"]["databricks-sdk-go"]["service"]["jobs.Task"]
    task = task.get("oneOf", [task])[0]
    return tuple(sorted(key for key in task["properties"] if key.endswith("_task")))


@cache
def time_zones() -> frozenset[str]:
    """The tz database's zone ids (what Databricks takes as a Java time zone id); read once, it scans files."""
    return frozenset(zoneinfo.available_timezones())


def settings_problems(settings: Mapping[str, Any]) -> list[Problem]:
    """Every problem of these job settings (Jobs API field names) that the checks above find."""
    tasks = _task_entries(settings)
    return [*_trigger_problems(settings), *_graph_problems(settings, tasks),
            *_reference_problems(settings, tasks)]


def _present(mapping: Any, key: str) -> Any:
    """mapping[key] when it is set (None counts as absent, as the construct drops it)."""
    return mapping.get(key) if isinstance(mapping, Mapping) else None


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else []


# ---------------------------------------------------------------------------------------------- triggers


def _trigger_problems(settings: Mapping[str, Any]) -> Iterator[Problem]:
    present = [key for key in TRIGGERS if _present(settings, key) is not None]
    if len(present) > 1:
        yield ((present[1],), f"the job sets {' and '.join(present)}, but a job has at most one of schedule, "
                              "continuous and trigger; keep one (an orchestrator job can start it on a schedule)")
    runs = _present(settings, "max_concurrent_runs")
    if _present(settings, "continuous") is not None and isinstance(runs, int) and runs != 1:
        yield (("max_concurrent_runs",), f"{runs}: a continuous job runs one run at a time; set 1 or remove it")
    schedule = _present(settings, "schedule")
    cron = _present(schedule, "quartz_cron_expression")
    if isinstance(cron, str) and "${" not in cron:
        try:
            parse_quartz(cron)
        except QuartzError as error:
            yield (("schedule", "quartz_cron_expression"),
                   f"{cron} is not a valid Quartz cron expression: {error.reason}")
    zone = _present(schedule, "timezone_id")
    if isinstance(zone, str) and "${" not in zone and zone not in time_zones():
        yield (("schedule", "timezone_id"),
               f"{zone} is not a time zone; use an IANA/Java time zone id (e.g. 'UTC', 'Europe/Berlin')")
    trigger = _present(settings, "trigger")
    names = _list(_present(_present(trigger, "table_update"), "table_names"))
    if len(names) > TABLE_UPDATE_LIMIT:
        yield (("trigger", "table_update", "table_names"),
               f"watches {len(names)} tables, but a table_update trigger watches at most {TABLE_UPDATE_LIMIT}; "
               "split the job, or trigger it on fewer tables")
    for index, name in enumerate(names):
        if isinstance(name, str) and "${" not in name and not _THREE_PARTS.fullmatch(name):
            yield (("trigger", "table_update", "table_names", index), _three_part(name))
    url = _present(_present(trigger, "file_arrival"), "url")
    if isinstance(url, str) and "${" not in url and not (_VOLUME.fullmatch(url) or _EXTERNAL_LOCATION.fullmatch(url)):
        yield (("trigger", "file_arrival", "url"),
               f"'{url}' is neither a Unity Catalog volume path (/Volumes/<catalog>/<schema>/<volume>/...) nor an "
               "external location URL (abfss://, s3://, gs://, r2://); a file arrival trigger watches only those")


_PART = r"(?:`[^`]*`|[^.`\s])+"
_THREE_PARTS = re.compile(rf"{_PART}\.{_PART}\.{_PART}")


def _three_part(name: str) -> str:
    given = [part for part in name.split(".") if part]
    example = ".".join(["<catalog>", "<schema>", "<table>"][:max(0, 3 - len(given))] + given[-3:])
    return f"'{name}' is not a three-part table name; write catalog.schema.table, e.g. '{example}'"


# ---------------------------------------------------------------------------------------------- task graph


class _Task:
    """A task of the job with its path; `parent` is the for_each task a nested task runs in."""

    def __init__(self, path: FieldPath, task: Mapping[str, Any], parent: _Task | None = None) -> None:
        self.path = path
        self.task = task
        self.parent = parent
        key = task.get("task_key")
        self.key = key if isinstance(key, str) else None
        self.types = [name for name in task_types() if _present(task, name) is not None]

    @property
    def kind(self) -> str:
        return self.types[0] if len(self.types) == 1 else "task"


def _task_entries(settings: Mapping[str, Any]) -> list[_Task]:
    """Every task, each for_each_task's nested task right after its parent."""
    entries = []
    for index, task in enumerate(_list(_present(settings, "tasks"))):
        if not isinstance(task, Mapping):
            continue
        entry = _Task(("tasks", index), task)
        entries.append(entry)
        nested = _present(_present(task, "for_each_task"), "task")
        if isinstance(nested, Mapping):
            entries.append(_Task(("tasks", index, "for_each_task", "task"), nested, entry))
    return entries


def _graph_problems(settings: Mapping[str, Any], tasks: list[_Task]) -> Iterator[Problem]:
    first: dict[str, _Task] = {}
    for entry in tasks:
        if entry.key is None:
            continue
        if entry.key in first:
            yield (entry.path + ("task_key",), f"'{entry.key}' is already the task_key of "
                                               f"{format_path(first[entry.key].path)}; task keys must be unique in a job")
        else:
            first[entry.key] = entry
    clusters = _keys(settings, "job_clusters", "job_cluster_key")
    environments = _keys(settings, "environments", "environment_key")
    top = [entry for entry in tasks if entry.parent is None]
    keys = [entry.key for entry in top if entry.key is not None]
    for entry in tasks:
        yield from _task_type_problems(entry)
        for field, defined, what in (("job_cluster_key", clusters, "job cluster"),
                                     ("environment_key", environments, "environment")):
            value = _present(entry.task, field)
            if isinstance(value, str) and value not in defined:
                yield (entry.path + (field,), f"'{value}' is not {_article(what)} {what} of this job; "
                                              f"{what.replace(' ', '_')}s: {', '.join(sorted(defined)) or 'none'}")
        yield from _for_each_problems(entry)
    for entry in top:
        for index, dependency in enumerate(_list(_present(entry.task, "depends_on"))):
            target = _present(dependency, "task_key")
            where = entry.path + ("depends_on", index)
            if not isinstance(target, str):
                continue
            if target not in first or first[target].parent is not None:
                yield (where + ("task_key",), f"'{target}' is not a task of this job; tasks: {', '.join(keys)}")
                continue
            outcome = _present(dependency, "outcome")
            if outcome is not None:
                kind = first[target].kind
                if kind != "condition_task":
                    yield (where + ("outcome",), f"outcome '{outcome}' needs a condition_task, but '{target}' is "
                                                 f"{_article(kind)} {kind}; remove outcome, or depend on a condition task")
                elif outcome not in ("true", "false"):
                    yield (where + ("outcome",), f"outcome '{outcome}' is not a condition's outcome; "
                                                 "write 'true' or 'false'")
    yield from _cycle_problems(top)


def _article(noun: str) -> str:
    return "an" if noun[:1] in "aeiou" else "a"


def _keys(settings: Mapping[str, Any], field: str, key: str) -> set[str]:
    return {item[key] for item in _list(_present(settings, field))
            if isinstance(item, Mapping) and isinstance(item.get(key), str)}


def _task_type_problems(entry: _Task) -> Iterator[Problem]:
    name = f"task '{entry.key}'" if entry.key else "the task"
    if not entry.types:
        yield (entry.path, f"{name} has no task type; set exactly one, e.g. notebook_task, spark_python_task, "
                           "sql_task, pipeline_task, run_job_task, condition_task or for_each_task")
    elif len(entry.types) > 1:
        yield (entry.path + (entry.types[1],), f"{name} sets {' and '.join(entry.types)}, but a task runs exactly "
                                               "one task type; split it into tasks that depend on each other")


def _for_each_problems(entry: _Task) -> Iterator[Problem]:
    inputs = _present(_present(entry.task, "for_each_task"), "inputs")
    if not isinstance(inputs, str) or _REFERENCE.fullmatch(inputs.strip()):
        return
    try:
        array = isinstance(json.loads(inputs), list)
    except ValueError:
        array = False
    if not array:
        yield (entry.path + ("for_each_task", "inputs"),
               f"'{inputs}' is neither a JSON array nor a {{{{...}}}} reference; write e.g. '[\"a\", \"b\"]' or "
               "'{{tasks.<task>.values.<name>}}'")


def _cycle_problems(top: list[_Task]) -> Iterator[Problem]:
    """Each cycle of depends_on once, named in full, reported at its first task."""
    graph = {entry.key: [d.get("task_key") for d in _list(_present(entry.task, "depends_on"))
                         if isinstance(d, Mapping)] for entry in top if entry.key is not None}
    position = {entry.key: entry for entry in top if entry.key is not None}
    reported: set[frozenset[str]] = set()
    for start in graph:
        stack = [(start, [start])]
        while stack:
            node, trail = stack.pop()
            for upstream in reversed(graph.get(node, [])):
                if upstream == start:
                    cycle = frozenset(trail)
                    if cycle not in reported:
                        reported.add(cycle)
                        chain = " -> ".join([*trail, start])
                        yield (position[start].path + ("depends_on",),
                               f"depends_on forms a cycle: {chain} (each waits for the next), so none of them "
                               "can start; remove one of these dependencies")
                elif upstream in graph and upstream not in trail:
                    stack.append((upstream, [*trail, upstream]))


def _upstream(top: list[_Task]) -> dict[str, set[str]]:
    """Each task key -> every task it (indirectly) depends on."""
    direct: dict[str, set[str]] = {
        entry.key: {d["task_key"] for d in _list(_present(entry.task, "depends_on"))
                    if isinstance(d, Mapping) and isinstance(d.get("task_key"), str)}
        for entry in top if entry.key is not None}
    result: dict[str, set[str]] = {}
    for key in direct:
        seen: set[str] = set()
        todo = list(direct[key])
        while todo:
            node = todo.pop()
            if node not in seen:
                seen.add(node)
                todo += direct.get(node, ())
        result[key] = seen
    return result


# ---------------------------------------------------------------------------------------------- references


def _strings(value: Any, path: FieldPath) -> Iterator[tuple[FieldPath, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _strings(item, path + (key,))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _strings(item, path + (index,))


def _reference_problems(settings: Mapping[str, Any], tasks: list[_Task]) -> Iterator[Problem]:
    parameters = {p["name"] for p in _list(_present(settings, "parameters"))
                  if isinstance(p, Mapping) and isinstance(p.get("name"), str)}
    top = [entry for entry in tasks if entry.parent is None]
    keys = {entry.key for entry in tasks if entry.key is not None}
    upstream = _upstream(top)
    context = _References(parameters, keys, upstream)
    outside = {key: value for key, value in settings.items() if key != "tasks"}
    for path, text in _strings(outside, ()):
        yield from context.check(path, text, None)
    for entry in tasks:
        own = {key: value for key, value in entry.task.items() if key != "for_each_task"}
        for path, text in _strings(own, entry.path):
            yield from context.check(path, text, entry)
        loop = _present(entry.task, "for_each_task")
        if isinstance(loop, Mapping):
            for path, text in _strings({k: v for k, v in loop.items() if k != "task"}, entry.path + ("for_each_task",)):
                yield from context.check(path, text, entry)


class _References:
    def __init__(self, parameters: set[str], keys: set[str], upstream: dict[str, set[str]]) -> None:
        self.parameters = parameters
        self.keys = keys
        self.upstream = upstream

    def check(self, path: FieldPath, text: str, task: _Task | None) -> Iterator[Problem]:
        for match in _REFERENCE.finditer(text):
            name = match.group(1).strip()
            problem = _secret_problem(name, path) if name.startswith("secrets/") else self._problem(name, task)
            if problem:
                joint = " " if problem.startswith(("is ", "needs ")) else ": "
                yield path, f"{{{{{name}}}}}{joint}{problem}"

    def _problem(self, name: str, task: _Task | None) -> str | None:
        parts = _segments(name)
        if name in FIXED_REFERENCES:
            if name.startswith("task.") and task is None:
                return "is used outside a task; {{task.*}} works only in a task's fields"
            if name == "input" and (task is None or task.parent is None):
                return "is set only in the nested task of a for_each_task"
            return None
        if name in DEPRECATED:
            return f"is deprecated; write {{{{{DEPRECATED[name]}}}}}"
        head = parts[:2]
        if head == ["job", "parameters"] and len(parts) == 3:
            if parts[2].strip("`") in self.parameters:
                return None
            return (f"job parameter '{parts[2].strip('`')}' is not declared; declare it under parameters, or use one "
                    f"of: {', '.join(sorted(self.parameters)) or 'none declared'}")
        for prefix in (["job", "start_time"], ["job", "trigger", "time"]):
            if parts[:len(prefix)] == prefix:
                if len(parts) == len(prefix) + 1 and parts[-1] in TIME_ARGUMENTS:
                    return None
                return (f"needs one time argument, {{{{{'.'.join(prefix)}.<argument>}}}}, one of: "
                        f"{', '.join(TIME_ARGUMENTS)}")
        if parts[0] == "backfill" and len(parts) > 1:
            return None  # a backfill run's window, set by Databricks' backfill
        if parts[:3] == ["job", "trigger", "table_update"] and len(parts) > 3:
            return None  # per-table values: {{job.trigger.table_update.<table>.<field>}}
        if parts[0] == "input" and len(parts) > 1:
            return self._problem("input", task)
        if parts[0] == "tasks" and len(parts) >= 3:
            return self._task_reference(parts, task)
        suggestion = difflib.get_close_matches(name, [*FIXED_REFERENCES, "job.parameters.<name>",
                                                      "tasks.<task>.values.<name>"], n=1)
        hint = f"did you mean {{{{{suggestion[0]}}}}}? " if suggestion else ""
        return f"is not a dynamic value reference; {hint}use e.g. {_EXAMPLES}"

    def _task_reference(self, parts: list[str], task: _Task | None) -> str | None:
        other, field = parts[1].strip("`"), parts[2:]
        if not (field[0] in TASK_FIELDS and len(field) == 1 or field[0] == "values" and len(field) == 2
                or field[0] == "output" and len(field) >= 2):
            return (f"'{'.'.join(field)}' is not a field of a task; use {', '.join(TASK_FIELDS)}, values.<name> "
                    "or output.<field>")
        if other not in self.keys:
            return f"'{other}' is not a task of this job; tasks: {', '.join(sorted(self.keys))}"
        if task is None:
            return "is used outside a task; {{tasks.*}} works only in the fields of a task downstream of it"
        reader = task.parent or task  # a nested task runs after what its for_each task depends on
        if other not in self.upstream.get(reader.key or "", set()):
            return (f"task '{other}' is not upstream of task '{reader.key}', so it has not run when "
                    f"'{reader.key}' reads it; add '{other}' to the depends_on of '{reader.key}' "
                    "(directly or through a task in between)")
        return None


_SECRET = re.compile(r"secrets/([A-Za-z0-9_.@-]+)/([A-Za-z0-9_.-]+)")
CLUSTER_SECRET_FIELDS = ("spark_conf", "spark_env_vars")


def in_cluster_secret_field(path: FieldPath) -> bool:
    """True for the value of a cluster's spark_conf or spark_env_vars (a task's or a job cluster's new_cluster),
    where Databricks resolves {{secrets/<scope>/<key>}} when the cluster starts."""
    return len(path) >= 3 and path[-3] == "new_cluster" and path[-2] in CLUSTER_SECRET_FIELDS


def secret_references(settings: Mapping[str, Any]) -> Iterator[tuple[FieldPath, str, str]]:
    """(path, scope, key) of each well-formed {{secrets/<scope>/<key>}} where Databricks resolves it."""
    for path, text in _strings(settings, ()):
        if in_cluster_secret_field(path):
            for match in _REFERENCE.finditer(text):
                secret = _SECRET.fullmatch(match.group(1).strip())
                if secret:
                    yield path, secret.group(1), secret.group(2)


def _secret_problem(name: str, path: FieldPath) -> str | None:
    if not in_cluster_secret_field(path):
        return ("is a secret reference, which Databricks resolves only in a cluster's spark_conf and spark_env_vars "
                "(new_cluster of a task or of job_clusters); read the secret in code with "
                "dbutils.secrets.get(scope, key), or pass it to the cluster there")
    if not _SECRET.fullmatch(name):
        return "is not a secret reference; write {{secrets/<scope>/<key>}}"
    return None


def _segments(name: str) -> list[str]:
    """'job.parameters.`a.b`' -> ['job', 'parameters', '`a.b`']."""
    return re.findall(r"`[^`]*`|[^.`]+", name) or [""]
