"""The Jobs API's job settings, as `databricks jobs get`, the Jobs UI's "View as JSON" and bundles spell them,
mapped onto the Databricks provider's (1.99.0) `databricks_job` blocks.

The two spell almost everything alike. The provider names a few repeated fields as singular blocks and
drops the `git_` prefix of git_source's fields; `RENAMED` below lists every such difference, and nothing else
is renamed. The structs come from the provider bindings themselves, read by reflection, so a field the
provider has never heard of (a newer API field such as `tasks[].compute`) is an error naming its path, never
silently dropped. Values that are cdktf tokens (another job's id) are passed through; a token where the
provider wants a number becomes a number token.
"""

from __future__ import annotations

import functools
import inspect
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from cdktf import Token
from core import field_paths
from core.provider import job as provider_job

Path = field_paths.FieldPath

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


class JobSettingsError(ValueError):
    """Fields of a job definition the provider cannot express; `problems` holds (path, message) pairs."""

    def __init__(self, problems: list[tuple[Path, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{format_path(path)}: {message}" for path, message in problems))


def format_path(path: Path) -> str:
    return field_paths.format_path(path, empty="(job)")


def provider_arguments(settings: Mapping[str, Any]) -> dict[str, Any]:
    """The keyword arguments of `databricks_job` for a Jobs API job settings object (without `permissions`
    and `lifecycle`, which are not job arguments). Raises JobSettingsError listing every field it cannot map."""
    problems: list[tuple[Path, str]] = []
    arguments = _arguments("Job", _job_hints(), settings, (), problems)
    if problems:
        raise JobSettingsError(problems)
    return arguments


def unsupported_fields(settings: Mapping[str, Any]) -> list[tuple[Path, str]]:
    """The problems `provider_arguments` would raise, for config validation."""
    try:
        provider_arguments(settings)
    except JobSettingsError as error:
        return error.problems
    return []


@functools.cache
def _job_hints() -> dict[str, Any]:
    hints = typing.get_type_hints(provider_job.Job.__init__)
    return {name: hint for name, hint in hints.items()
            if name not in {"scope", "id_", "return", *TERRAFORM_META, *PROVIDER_ONLY}}


@functools.cache
def _struct_hints(struct: type) -> dict[str, Any]:
    return {name: hint for name, hint in typing.get_type_hints(_constructor(struct)).items() if name != "return"}


def _constructor(struct: type) -> Callable[..., None]:
    """The struct class's __init__, whose parameters are the block's fields. Read through `type[Any]`: mypy takes
    `__init__` of a plain `type` for an instance's, and the cached callers keep `type`, which it knows is hashable."""
    cls: type[Any] = struct
    return cls.__init__


def _arguments(struct_name: str, hints: dict[str, Any], data: Mapping[str, Any], path: Path,
               problems: list[tuple[Path, str]]) -> dict[str, Any]:
    renames = RENAMED.get(struct_name, {})
    arguments = {}
    for key, value in data.items():
        if value is None or (struct_name == "Job" and key in NOT_JOB_ARGUMENTS):
            continue
        name = renames.get(key, key)
        if name not in hints or (key not in renames and key in renames.values()):  # the provider's spelling
            problems.append((path + (key,), _not_supported(key, struct_name, hints, renames)))
            continue
        arguments[name] = _value(hints[name], value, path + (key,), problems)
    return arguments


def _not_supported(key: str, struct_name: str, hints: dict[str, Any], renames: dict[str, str]) -> str:
    api_names = {provider: api for api, provider in renames.items()}
    if key in api_names:
        return f"is the provider's name; write the Jobs API's '{api_names[key]}'"
    return "is a field the Databricks Terraform provider 1.99.0 cannot deploy; remove it"


def _value(hint: Any, value: Any, path: Path, problems: list[tuple[Path, str]]) -> Any:
    struct, repeated = _struct_of(hint)
    if struct is not None:
        if repeated:
            if not isinstance(value, Sequence) or isinstance(value, str):
                problems.append((path, f"expected a list, got {_shown(value)}"))
                return None
            return [_struct(struct, item, path + (index,), problems) for index, item in enumerate(value)]
        return _struct(struct, value, path, problems)
    kinds = _scalar_kinds(hint)
    if "number" in kinds and isinstance(value, str) and Token.is_unresolved(value):
        return Token.as_number(value)
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


def _struct(struct: type, value: Any, path: Path, problems: list[tuple[Path, str]]) -> Any:
    if not isinstance(value, Mapping):
        problems.append((path, f"expected a mapping, got {_shown(value)}"))
        return None
    before = len(problems)
    arguments = _arguments(struct.__name__, _struct_hints(struct), value, path, problems)
    missing = [name for name in _required(struct) if name not in arguments]
    problems += [(path, f"{_api_name(struct, name)} is required here but missing") for name in missing]
    if len(problems) > before:
        return None  # reported; building it would only fail on what is already said
    return struct(**arguments)


@functools.cache
def _required(struct: type) -> tuple[str, ...]:
    parameters = inspect.signature(_constructor(struct)).parameters.values()
    return tuple(p.name for p in parameters if p.kind is p.KEYWORD_ONLY and p.default is p.empty)


def _api_name(struct: type, name: str) -> str:
    return next((api for api, provider in RENAMED.get(struct.__name__, {}).items() if provider == name), name)


def _shown(value: Any) -> str:
    return f"{type(value).__name__} {value!r}"[:80]


def _members(hint: Any) -> tuple[Any, ...]:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return typing.get_args(hint)
    return (hint,)


def _is_struct(candidate: Any) -> bool:
    return isinstance(candidate, type) and candidate.__module__ == provider_job.__name__


def _struct_of(hint: Any) -> tuple[type | None, bool]:
    """(struct class, repeated) when `hint` is a provider block or a list of them."""
    for member in _members(hint):
        if _is_struct(member):
            return member, False
        if typing.get_origin(member) in (Sequence, typing.Sequence, list):
            for item in _members(typing.get_args(member)[0]):
                if _is_struct(item):
                    return item, True
    return None, False


def _scalar_kinds(hint: Any) -> set[str]:
    kinds = set()
    for member in _members(hint):
        origin = typing.get_origin(member)
        if member is str:
            kinds.add("str")
        elif member in (int, float):
            kinds.add("number")
        elif member is bool:
            kinds.add("bool")
        elif origin in (Mapping, typing.Mapping, dict):
            kinds.add("map")
        elif origin in (Sequence, typing.Sequence, list):
            kinds.add("list")
    return kinds
