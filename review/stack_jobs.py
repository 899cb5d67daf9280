"""The jobs of a synthesized stack, read back from its cdk.tf.json into small frozen views.

Reviewers read what was synthesized, not the config: that is what Terraform deploys. Only what a reviewer needs
to see what runs and what starts it is kept; references between resources (`${databricks_job.X.id}`, a
notebook's path) are resolved to the names people know. Any `*_task` the Jobs API has is read; the kinds we know
get a short description.
"""

from __future__ import annotations

import copy

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class ReviewError(Exception):
    """What a reviewer can fix (no synth output, an unknown environment, a README without markers); the
    command line prints it as `error: ...`."""


@dataclass(frozen=True)
class ScheduleView:
    cron: str  # Quartz, seconds first
    timezone: str  # a tz database name, e.g. UTC or Europe/Paris
    paused: bool


@dataclass(frozen=True)
class TableUpdateTrigger:
    """Runs when tables change (the deprecated `table` block too: same fields)."""
    tables: tuple[str, ...]
    condition: str | None  # ANY_UPDATED / ALL_UPDATED
    wait_after_last_change_seconds: int | None
    min_time_between_triggers_seconds: int | None
    paused: bool


@dataclass(frozen=True)
class FileArrivalTrigger:
    url: str
    wait_after_last_change_seconds: int | None
    min_time_between_triggers_seconds: int | None
    paused: bool


@dataclass(frozen=True)
class PeriodicTrigger:
    interval: int | None  # None: the block has none
    unit: str  # HOURS, DAYS, WEEKS
    paused: bool


@dataclass(frozen=True)
class OtherTrigger:
    """A trigger kind this tool has no words for (added to the Jobs API later): shown by its block name."""
    kind: str
    paused: bool


TriggerView = TableUpdateTrigger | FileArrivalTrigger | PeriodicTrigger | OtherTrigger


@dataclass(frozen=True)
class TaskView:
    key: str
    kind: str  # the `*_task` block present, e.g. 'notebook_task'; '' when none is
    depends_on: tuple[tuple[str, str | None], ...] = ()  # (task_key, outcome), sorted
    run_if: str | None = None  # None when absent or ALL_SUCCESS (the default)
    detail: str = ""  # short human text; see `_detail`
    nested: TaskView | None = None  # for_each_task: the task it runs for each input
    target: str | None = None  # run_job/pipeline task: the address of the job or pipeline it runs, in this stack


@dataclass(frozen=True)
class JobView:
    address: str  # databricks_job.<resource name>
    name: str
    level: str | None  # tags.job_level
    schedule: ScheduleView | None
    triggers: tuple[TriggerView, ...]
    continuous: bool | None  # None: not continuous; otherwise whether it is paused
    tasks: tuple[TaskView, ...]  # sorted by key


@dataclass(frozen=True)
class StackJobs:
    env: str
    jobs: tuple[JobView, ...]  # sorted by name


_TOKEN = re.compile(r"^\$\{(databricks_[a-z_]+)\.([^.}]+)\.([a-z_]+)\}$")


def _block(value: Any) -> dict | None:
    """A nested block: cdktf writes a single block as an object; plain Terraform JSON may write a list."""
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, dict) else None


def _blocks(value: Any) -> list[dict]:
    if isinstance(value, dict):
        return [value]
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _paused(block: dict) -> bool:
    return block.get("pause_status") == "PAUSED"  # the provider's default is UNPAUSED


class _Resources:
    """The stack's resources, to resolve `${type.name.attribute}` references."""

    def __init__(self, document: dict) -> None:
        self._resources = document.get("resource") or {}

    def resolve(self, value: Any, kind: str, attribute: str) -> tuple[str, dict] | None:
        """(address, resource) when `value` is exactly a reference to `attribute` of a `kind` in the stack."""
        match = _TOKEN.match(value) if isinstance(value, str) else None
        if not match or match.group(1) != kind or match.group(3) != attribute:
            return None
        resource = (self._resources.get(kind) or {}).get(match.group(2))
        return (f"{kind}.{match.group(2)}", resource) if isinstance(resource, dict) else None

    def jobs(self) -> dict[str, dict]:
        return {name: body for name, body in (self._resources.get("databricks_job") or {}).items()
                if isinstance(body, dict)}


def _last_part(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


def _detail(kind: str, body: dict, resources: _Resources) -> tuple[str, str | None]:
    """(detail, target address) of one `*_task` block."""
    if kind == "notebook_task":
        path = body.get("notebook_path", "")
        found = resources.resolve(path, "databricks_notebook", "path")
        if found and isinstance(found[1].get("path"), str):
            path = found[1]["path"]
        return _last_part(str(path)), None
    if kind == "run_job_task":
        found = resources.resolve(body.get("job_id"), "databricks_job", "id")
        if found:
            return str(found[1].get("name", found[0])), found[0]
        return f"job {body.get('job_id')}", None
    if kind == "pipeline_task":
        found = resources.resolve(body.get("pipeline_id"), "databricks_pipeline", "id")
        if found:
            return str(found[1].get("name", found[0])), found[0]
        return f"pipeline {body.get('pipeline_id')}", None
    if kind == "condition_task":
        return f"{body.get('left', '')} {body.get('op', '')} {body.get('right', '')}", None
    if kind == "for_each_task":
        concurrency = body.get("concurrency")
        suffix = f", {concurrency} at a time" if concurrency else ""
        return f"over {body.get('inputs', '')}{suffix}", None
    return "", None


def _task(body: dict, resources: _Resources) -> TaskView:
    kinds = sorted(key for key, value in body.items() if key.endswith("_task") and _block(value) is not None)
    kind = kinds[0] if kinds else ""
    block = _block(body.get(kind)) or {}
    detail, target = _detail(kind, block, resources) if kind else ("", None)
    nested_body = _block(block.get("task")) if kind == "for_each_task" else None
    depends_on = sorted(((str(dep.get("task_key", "")), dep.get("outcome")) for dep in _blocks(body.get("depends_on"))),
                        key=lambda dep: (dep[0], dep[1] or ""))
    run_if = body.get("run_if")
    return TaskView(key=str(body.get("task_key", "")), kind=kind, depends_on=tuple(depends_on),
                    run_if=None if run_if in (None, "ALL_SUCCESS") else str(run_if), detail=detail,
                    nested=_task(nested_body, resources) if nested_body is not None else None, target=target)


def _waits(block: dict) -> dict[str, int | None]:
    return {"wait_after_last_change_seconds": block.get("wait_after_last_change_seconds"),
            "min_time_between_triggers_seconds": block.get("min_time_between_triggers_seconds")}


def _triggers(trigger: dict | None) -> tuple[TriggerView, ...]:
    if trigger is None:
        return ()
    paused = _paused(trigger)
    views: list[TriggerView] = []
    for kind in sorted(key for key in trigger if key != "pause_status"):
        block = _block(trigger[kind])
        if block is None:
            continue
        if kind in ("table_update", "table"):
            views.append(TableUpdateTrigger(tuple(str(t) for t in block.get("table_names") or ()),
                                            block.get("condition"), paused=paused, **_waits(block)))
        elif kind == "file_arrival":
            views.append(FileArrivalTrigger(str(block.get("url", "")), paused=paused, **_waits(block)))
        elif kind == "periodic":
            views.append(PeriodicTrigger(block.get("interval"), str(block.get("unit", "")), paused))
        else:
            views.append(OtherTrigger(kind, paused))
    return tuple(views)


def _job(resource_name: str, body: dict, resources: _Resources) -> JobView:
    schedule = _block(body.get("schedule"))
    continuous = _block(body.get("continuous"))
    tags = body.get("tags")
    tags = tags if isinstance(tags, dict) else {}
    level = tags.get("job_level")
    tasks = sorted((_task(task, resources) for task in _blocks(body.get("task"))), key=lambda task: task.key)
    return JobView(
        address=f"databricks_job.{resource_name}", name=str(body.get("name", resource_name)),
        level=str(level) if level is not None else None,
        schedule=None if schedule is None else ScheduleView(str(schedule.get("quartz_cron_expression", "")),
                                                            str(schedule.get("timezone_id", "UTC")),
                                                            _paused(schedule)),
        triggers=_triggers(_block(body.get("trigger"))),
        continuous=None if continuous is None else _paused(continuous),
        tasks=tuple(tasks))


def parse_stack(env: str, document: dict) -> StackJobs:
    """The jobs of one synthesized cdk.tf.json (already parsed), sorted by name."""
    resources = _Resources(document)
    jobs = [_job(name, body, resources) for name, body in resources.jobs().items()]
    return StackJobs(env, tuple(sorted(jobs, key=lambda job: (job.name, job.address))))


def load_documents(directory: Path) -> dict[str, dict]:
    """Environment -> its parsed cdk.tf.json, from a synth output folder (`<directory>/stacks/<env>/cdk.tf.json`)."""
    directory = Path(directory)
    stacks_dir = directory / "stacks"
    envs = sorted(path.name for path in stacks_dir.iterdir() if path.is_dir()) if stacks_dir.is_dir() else []
    if not envs:
        raise ReviewError(f"no synthesized stacks in {directory} (it has no stacks/<env>/cdk.tf.json): "
                          "run `make synth` first")
    documents: dict[str, dict] = {}
    for env in envs:
        file = stacks_dir / env / "cdk.tf.json"
        try:
            documents[env] = json.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ReviewError(f"the stack {env} in {directory} has no cdk.tf.json: run `make synth` again") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ReviewError(f"the stack {env} in {directory} cannot be read ({error}): "
                              "run `make synth` again") from None
        if not isinstance(documents[env], dict):
            raise ReviewError(f"the stack {env} in {directory} is not a Terraform JSON object: run `make synth` again")
    return merge_deploy_groups(documents)


_CROSS_STACK = re.compile(r"\$\{data\.terraform_remote_state\.cross-stack-reference-input-([A-Za-z0-9_-]+)\.outputs\."
                          r"([A-Za-z0-9_-]+)\}")


def merge_deploy_groups(documents: dict[str, dict]) -> dict[str, dict]:
    """Stack -> document, with each deploy group's stack ('<env>-<group>') merged into its environment's, and
    cdktf's cross-stack references (an output of one stack read through terraform_remote_state in another) put
    back as the plain references they stand for: review sees an environment whole, however it is split."""
    owner = {name: next((env for env in documents if name.startswith(f"{env}-")), name) for name in documents}
    outputs = {(name, key): body.get("value") for name, document in documents.items()
               for key, body in (document.get("output") or {}).items() if isinstance(body, dict)}

    def plain(match: re.Match) -> str:
        value = outputs.get((match.group(1), match.group(2)))
        return value if isinstance(value, str) else match.group(0)

    merged: dict[str, dict] = {}
    for name in sorted(documents, key=lambda n: (owner[n] != n, n)):  # each environment's own stack first
        document = documents[name]
        if owner[name] == name:
            merged[name] = document
            continue
        target = merged[owner[name]] = copy.deepcopy(merged[owner[name]])
        if _CROSS_STACK.search(json.dumps(document)):
            document = json.loads(_CROSS_STACK.sub(plain, json.dumps(document)))
        for kind, blocks in (document.get("resource") or {}).items():
            target.setdefault("resource", {}).setdefault(kind, {}).update(blocks)
    for name, document in merged.items():
        if _CROSS_STACK.search(json.dumps(document)):
            merged[name] = json.loads(_CROSS_STACK.sub(plain, json.dumps(document)))
    return merged


def load_synth(directory: Path) -> dict[str, StackJobs]:
    """Environment -> its stack's jobs, from a synth output folder (see `load_documents`)."""
    return {env: parse_stack(env, document) for env, document in load_documents(directory).items()}


def _with_nested(task: TaskView) -> list[TaskView]:
    return [task, *([task.nested] if task.nested else [])]


def run_job_calls(stack: StackJobs) -> list[tuple[JobView, str, str]]:
    """(caller, task key, callee's address) for every run_job task between jobs of this stack, sorted. A for_each
    task that runs a job counts under its own key. A literal job id names a job outside the stack: no call."""
    addresses = {job.address for job in stack.jobs}
    calls = {(job, task.key, inner.target) for job in stack.jobs for task in job.tasks
             for inner in _with_nested(task) if inner.kind == "run_job_task" and inner.target in addresses}
    return sorted(calls, key=lambda call: (call[0].name, call[0].address, call[1], call[2]))
