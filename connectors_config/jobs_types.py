"""The vocabulary of the `jobs` section's modules (loading, substitution, checks): the markers substitution
leaves where the stack puts its own resources' ids and paths, where a definition is written, and what is known
of each job."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connectors_config.errors import ConfigProblem, Path as FieldPath, format_path, line_of

LEVELS = ("atomic", "composite", "orchestrator")
LEVEL_RANK = {level: rank for rank, level in enumerate(LEVELS)}
PLATFORM_KEYS = ("job_level", "deploy_group", "renamed_from", "file", "job")
# What `databricks jobs get` prints around a job's settings: facts about the deployed job, not settings.
JOBS_GET_FIELDS = frozenset({"job_id", "creator_user_name", "run_as_user_name", "created_time", "settings",
                             "effective_budget_policy_id", "effective_usage_policy_id", "has_more", "trigger_state",
                             "run_as_owner"})
# Settings the API prints that this platform does not take over, and why.
DROPPED_SETTINGS = {
    "format": "MULTI_TASK is the only format jobs are created with; the provider computes it",
    "deployment": "it records a bundle deployment; from now on this platform deploys the job",
}
TEMPLATE_NOTEBOOKS = ("ingest_entry", "transform_entry")
# Task fields that run work, as opposed to running other jobs or steering control flow.
CONTROL_TASKS = ("run_job_task", "condition_task", "for_each_task")
TOKEN = re.compile(r"\$\{([^{}]*)\}")


@dataclass(frozen=True)
class JobRef:
    """`${resources.jobs.<key>.id}`: the id of another job of the same stack (a config job or a connector's)."""

    key: str


@dataclass(frozen=True)
class PipelineRef:
    """`${resources.pipelines.<connector>.id}`: a lakeflow_connect connector's pipeline in the same stack."""

    connector: str


@dataclass(frozen=True)
class UploadRef:
    """A file of notebooks/ a job runs: the workspace path of its uploaded notebook or workspace file."""

    stem: str
    notebook: bool


@dataclass(frozen=True)
class Origin:
    """Where a job definition is written: the file (as the reader knows it), its line map, the definition's
    path inside it, and the folder its relative paths resolve against."""

    file: str  # as the reader knows it: the config's name, or the imported file as connectors.yaml names it
    lines: dict
    prefix: FieldPath
    directory: Path
    is_config: bool = False

    def problem(self, inner: FieldPath, message: str) -> ConfigProblem:
        path = self.prefix + tuple(inner)
        return ConfigProblem(line_of(path, self.lines), format_path(path), message,
                             "" if self.is_config else self.file)

    def where(self, inner: FieldPath = ()) -> str:
        """'file:line path', to name a second place in a message."""
        path = self.prefix + tuple(inner)
        return f"{self.file}:{line_of(path, self.lines)} {format_path(path)}"


@dataclass(frozen=True)
class EnvironmentValues:
    """What substitution needs from one environment: its `${env.*}` values (see connectors_config.environment)
    and its `${var.*}` variables."""

    name: str
    values: dict[str, Any]  # ENV_VALUES; None where the environment has none
    variables: dict[str, Any]


@dataclass(frozen=True)
class Catalogue:
    """The names a job may refer to: config jobs, connectors' jobs, managed connectors' pipelines, and the batch
    connectors with the source each reads (what `${connectors.sources.*}` derives from)."""

    jobs: frozenset[str]
    connectors: frozenset[str]
    pipelines: frozenset[str]
    # (connector, source) of each batch connector deployed to the environment, sorted; every connector of the
    # config deploys to every environment, so this is the same for all of them.
    batch: tuple[tuple[str, str], ...] = ()


@dataclass
class LoadedJob:
    key: str
    level: str | None
    settings: dict[str, Any]
    origin: Origin  # where the settings are written: the entry, or the file it imports
    entry: Origin | None = None  # the entry in connectors.yaml, where job_level is written; None: `origin`
    group: Any = None  # its deploy_group, as written (the model checks it)
    renamed_from: Any = None  # the key it was deployed under before, as written (the model checks it)

    @property
    def entry_origin(self) -> Origin:
        """Where the entry is written in connectors.yaml (job_level and deploy_group are written there)."""
        return self.entry or self.origin


def task_entries(settings: dict[str, Any]) -> Iterator[tuple[FieldPath, dict[str, Any]]]:
    """Every task with its path, for_each_task's nested tasks included."""
    tasks = settings.get("tasks")
    for index, task in enumerate(tasks if isinstance(tasks, list) else ()):
        if isinstance(task, dict):
            yield ("tasks", index), task
            nested = (task.get("for_each_task") or {}).get("task") if isinstance(task.get("for_each_task"), dict) \
                else None
            if isinstance(nested, dict):
                yield ("tasks", index, "for_each_task", "task"), nested


def connector_entries(data: dict[str, Any]) -> tuple:
    """The raw `connectors` entries, or none where `connectors` is not a list (the model reports that)."""
    listed = data.get("connectors")
    return tuple(listed) if isinstance(listed, (list, tuple)) else ()


def job_references(value: Any, path: FieldPath = ()) -> Iterator[tuple[FieldPath, str]]:
    """Every JobRef in `value`, with its path."""
    if isinstance(value, JobRef):
        yield path, value.key
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from job_references(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from job_references(v, path + (i,))


def job_name(key: str, settings: dict[str, Any]) -> str:
    """A job's name: its settings' `name`; default: its key."""
    name = settings.get("name")
    return name if isinstance(name, str) and name else key
