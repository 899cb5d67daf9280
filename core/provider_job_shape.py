"""What the Databricks provider's (1.99.0) `databricks_job` can express, vendored as data
(core/schema/databricks-provider-job.json) so the config's checks read it without the provider bindings: jsii and
its node process cost seconds, which `python -m operations` and config validation need not pay.

The file is the bindings' structs read by reflection (`core.jobs_api.reflected_shape`); a test holds it equal
to them, so it cannot drift from what `provider_arguments` builds. Each struct maps its argument names to
either `{"struct": <struct>, "repeated": bool}` (a block or a list of blocks) or `{"kinds": [...]}` (str,
number, bool, map, list), with its `required` arguments.

`walk` maps Jobs API job settings onto the provider's arguments and collects every field it cannot map; given a
`Builder` (core.jobs_api's, which loads the bindings) it also builds the provider's structs. `job_attributes` is
the same mapping as the plain attributes the synth writes (constructs/plain_resources.py), without jsii.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from core import field_paths

FieldPath = field_paths.FieldPath
SHAPE_FILE = Path(__file__).resolve().parent / "schema" / "databricks-provider-job.json"
ROOT = "Job"

# API field -> provider argument, per provider struct; every other field keeps its name.
RENAMED: dict[str, dict[str, str]] = {
    "Job": {"tasks": "task", "job_clusters": "job_cluster", "parameters": "parameter", "environments": "environment"},
    "JobTask": {"libraries": "library"},
    "JobTaskForEachTaskTask": {"libraries": "library"},
    "JobGitSource": {"git_url": "url", "git_provider": "provider", "git_branch": "branch", "git_tag": "tag",
                     "git_commit": "commit"},
}
# Terraform's own meta-arguments of every resource, not job settings: never taken from a job definition.
TERRAFORM_META = frozenset({"connection", "count", "depends_on", "for_each", "lifecycle", "provider", "provisioners"})
# Settings a job definition may carry that are not `databricks_job` arguments; LakeflowJob handles them.
NOT_JOB_ARGUMENTS = frozenset({"permissions", "lifecycle"})
# `databricks_job` arguments that are no Jobs API job settings: the provider's legacy single-task fields and
# its own controls. A job definition never carries them.
PROVIDER_ONLY = frozenset({"always_running", "control_run_state", "dbt_task", "existing_cluster_id", "id", "library",
                           "max_retries", "min_retry_interval_millis", "new_cluster", "notebook_task", "pipeline_task",
                           "provider_config", "python_wheel_task", "retry_on_timeout", "run_job_task",
                           "spark_jar_task", "spark_python_task", "spark_submit_task", "timeouts"})
# How cdktf writes an unresolved string token (`Token.is_unresolved` without loading cdktf): a job settings
# object from the config holds none, one the constructs build may (another job's id).
_TOKEN_MARK = "${TfToken["


class Builder(Protocol):
    def struct(self, name: str, arguments: dict[str, Any]) -> Any: ...

    def number_token(self, value: str) -> Any | None:
        """`value` as a number token when it is an unresolved token, else None."""


@functools.cache
def shape() -> dict[str, Any]:
    """The vendored structs: {struct name: {"fields": {argument: spec}, "required": [argument, ...]}}."""
    return json.loads(SHAPE_FILE.read_text(encoding="utf-8"))["structs"]


class JobSettingsError(ValueError):
    """Fields of a job definition the provider cannot express; `problems` holds (path, message) pairs."""

    def __init__(self, problems: list[tuple[FieldPath, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{format_path(path)}: {message}" for path, message in problems))


def format_path(path: FieldPath) -> str:
    return field_paths.format_path(path, empty="(job)")


def job_attributes(settings: Mapping[str, Any]) -> dict[str, Any]:
    """The `databricks_job` attributes, Terraform's names and plain values (a block a dict, a repeated block a
    list of dicts, another resource's token as it is), for a Jobs API job settings object (without `permissions`
    and `lifecycle`, which are not job arguments). Raises JobSettingsError listing every field it cannot map."""
    arguments, problems = walk(settings)
    if problems:
        raise JobSettingsError(problems)
    return arguments


def walk(settings: Mapping[str, Any], builder: Builder | None = None) -> tuple[dict[str, Any], list[tuple[FieldPath, str]]]:
    """(the `databricks_job` keyword arguments, the problems) for a Jobs API job settings object; without a
    builder the structs are left as their argument dicts."""
    problems: list[tuple[FieldPath, str]] = []
    arguments = _arguments(ROOT, settings, (), problems, builder)
    return arguments, problems


def unsupported_fields(settings: Mapping[str, Any]) -> list[tuple[FieldPath, str]]:
    """Every field of a job settings object the provider cannot express, as (path, message) pairs."""
    return walk(settings)[1]


def _arguments(struct_name: str, data: Mapping[str, Any], path: FieldPath, problems: list[tuple[FieldPath, str]],
               builder: Builder | None) -> dict[str, Any]:
    fields = shape()[struct_name]["fields"]
    renames = RENAMED.get(struct_name, {})
    arguments = {}
    for key, value in data.items():
        if value is None or (struct_name == ROOT and key in NOT_JOB_ARGUMENTS):
            continue
        name = renames.get(key, key)
        if name not in fields or (key not in renames and key in renames.values()):  # the provider's spelling
            problems.append((path + (key,), _not_supported(key, renames)))
            continue
        arguments[name] = _value(fields[name], value, path + (key,), problems, builder)
    return arguments


def _not_supported(key: str, renames: dict[str, str]) -> str:
    api_names = {provider: api for api, provider in renames.items()}
    if key in api_names:
        return f"is the provider's name; write the Jobs API's '{api_names[key]}'"
    return "is a field the Databricks Terraform provider 1.99.0 cannot deploy; remove it"


def _value(spec: dict[str, Any], value: Any, path: FieldPath, problems: list[tuple[FieldPath, str]],
           builder: Builder | None) -> Any:
    if "struct" in spec:
        if spec["repeated"]:
            if not isinstance(value, Sequence) or isinstance(value, str):
                problems.append((path, f"expected a list, got {_shown(value)}"))
                return None
            return [_struct(spec["struct"], item, path + (index,), problems, builder)
                    for index, item in enumerate(value)]
        return _struct(spec["struct"], value, path, problems, builder)
    kinds = set(spec["kinds"])
    if "number" in kinds and isinstance(value, str):
        token = builder.number_token(value) if builder is not None else (value if _TOKEN_MARK in value else None)
        if token is not None:
            return token
    if "number" in kinds and isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    if "bool" in kinds and isinstance(value, bool):
        return value
    if "str" in kinds and isinstance(value, str):
        return value
    if "map" in kinds and isinstance(value, Mapping):
        if all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            return dict(value)
        problems.append((path, "expected a mapping of strings to strings (quote numbers and booleans)"))
        return None
    if "list" in kinds and isinstance(value, Sequence) and not isinstance(value, str):
        if all(isinstance(item, str) for item in value):
            return list(value)
        problems.append((path, "expected a list of strings (quote numbers and booleans)"))
        return None
    problems.append((path, f"expected {' or '.join(sorted(kinds))}, got {_shown(value)}"))
    return None


def _struct(name: str, value: Any, path: FieldPath, problems: list[tuple[FieldPath, str]],
            builder: Builder | None) -> Any:
    if not isinstance(value, Mapping):
        problems.append((path, f"expected a mapping, got {_shown(value)}"))
        return None
    before = len(problems)
    arguments = _arguments(name, value, path, problems, builder)
    missing = [argument for argument in shape()[name]["required"] if argument not in arguments]
    problems += [(path, f"{_api_name(name, argument)} is required here but missing") for argument in missing]
    if len(problems) > before:
        return None  # reported; building it would only fail on what is already said
    return builder.struct(name, arguments) if builder is not None else arguments


def _api_name(struct_name: str, name: str) -> str:
    return next((api for api, provider in RENAMED.get(struct_name, {}).items() if provider == name), name)


def _shown(value: Any) -> str:
    return f"{type(value).__name__} {value!r}"[:80]
