"""The `jobs` section of connectors.yaml: jobs other than the connectors', in the Jobs API's own field names.

A job is written inline (`tasks`, `job_clusters`, `parameters`... as `databricks jobs get` prints them and
bundles write them) or imported with `file:` from an existing definition: a Jobs API JSON (the Jobs UI's
"View as JSON", `databricks jobs create --json @job.json`, or `databricks jobs get` output with its
`settings`) or a bundle YAML with `resources.jobs.<key>` (pick one with `job:` when it holds several).

Per environment, `${...}` values are substituted (see SUBSTITUTIONS); `{{...}}` dynamic value references are
left to the Jobs service. A relative notebook_path / python_file resolves against the file that declares it
and must be a file of notebooks/, which the platform uploads: it becomes the uploaded object's workspace
path. Every definition is then checked, for every environment, against Databricks' bundle JSON schema and
against what the Terraform provider can express; with `job_hierarchy: true`, also against the seed's
atomic/composite/orchestrator rules. Problems name their file, line and field.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from ruamel.yaml.error import YAMLError

from connectors_config import names
from connectors_config.errors import ConfigProblem, Path as FieldPath, format_path, line_of
from connectors_config.job_checks import settings_problems
from connectors_config.sources import NOTEBOOKS_DIR
from connectors_config.yaml_lines import ambiguous_numbers, read, version_problem

LEVELS = ("atomic", "composite", "orchestrator")
LEVEL_RANK = {level: rank for rank, level in enumerate(LEVELS)}
PLATFORM_KEYS = ("job_level", "deploy_group", "file", "job")
# `${env.<name>}`: the environment's own values.
ENV_VALUES = ("name", "catalog", "bronze_schema", "silver_schema", "gold_schema", "secret_scope", "workspace_dir",
              "run_as", "admin_group", "team_group", "readers_group")
SUBSTITUTIONS = ("${env.<name>} (" + ", ".join(ENV_VALUES) + "), ${var.<name>} (environments.<env>.variables), "
                 "${bundle.target} (the environment's name), ${resources.jobs.<job or connector>.id}, "
                 "${resources.pipelines.<lakeflow_connect connector>.id}")
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
_TOKEN = re.compile(r"\$\{([^{}]*)\}")
_JOB_REF = re.compile(r"resources\.jobs\.([A-Za-z0-9_-]+)\.id")
_PIPELINE_REF = re.compile(r"resources\.pipelines\.([A-Za-z0-9_-]+)\.id")
_JSON_TYPES = {"array": "a list", "object": "a mapping", "string": "a string", "integer": "an integer",
               "boolean": "true or false", "number": "a number"}
SCHEMA_FILE = Path(__file__).resolve().parent / "schema" / "databricks-bundle-jsonschema.json"
BUNDLE_JOB = "#/$defs/github.com/databricks/cli/bundle/config/resources.Job"


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
class Environment:
    """What substitution needs from one environment (from the raw config, before the model)."""

    name: str
    values: dict[str, Any]  # ENV_VALUES; None where the environment has none
    variables: dict[str, Any]


@dataclass(frozen=True)
class Catalogue:
    """The names a job may refer to: config jobs, connectors' jobs, managed connectors' pipelines."""

    jobs: frozenset[str]
    connectors: frozenset[str]
    pipelines: frozenset[str]


@dataclass
class LoadedJob:
    key: str
    level: str | None
    settings: dict[str, Any]
    origin: Origin  # where the settings are written: the entry, or the file it imports
    entry: Origin | None = None  # the entry in connectors.yaml, where job_level is written; None: `origin`
    group: Any = None  # its deploy_group, as written (the model checks it)

    @property
    def entry_origin(self) -> Origin:
        """Where the entry is written in connectors.yaml (job_level and deploy_group are written there)."""
        return self.entry or self.origin


# ---------------------------------------------------------------------------------------------- loading


def load_jobs(raw: Any, lines: dict, config_file: str,
              base_dir: Path) -> tuple[dict[str, LoadedJob], list[ConfigProblem]]:
    """Each entry of the `jobs` section with its settings (inline, or read from its file)."""
    if not isinstance(raw, dict):
        return {}, []  # the model reports a `jobs` that is not a mapping
    jobs, problems = {}, []
    for key, entry in raw.items():
        here = Origin(Path(config_file).name, lines, ("jobs", key), base_dir, is_config=True)
        if not isinstance(entry, dict):
            continue  # the model reports it
        level = entry.get("job_level")
        if "file" in entry:
            others = sorted(set(entry) - set(PLATFORM_KEYS))
            if others:
                problems.append(here.problem((others[0],), "an imported job is changed in its file, not here; "
                                             "keep only file, job, job_level and deploy_group "
                                             f"(found: {', '.join(others)})"))
                continue
            loaded, file_problems = _read_job_file(entry.get("file"), entry.get("job"), here, base_dir)
            problems += file_problems
            if loaded is not None:
                settings, origin = loaded
                jobs[key] = LoadedJob(key, level, settings, origin, here, entry.get("deploy_group"))
            continue
        if "job" in entry:
            problems.append(here.problem(("job",), "'job' picks a job of an imported bundle file; add `file:` "
                                         "or remove it"))
        settings = _lists({k: v for k, v in entry.items() if k not in PLATFORM_KEYS})
        jobs[key] = LoadedJob(key, level, settings, here, group=entry.get("deploy_group"))
    return jobs, problems


def _read_job_file(file: Any, pick: Any, here: Origin, base_dir: Path) -> tuple[tuple | None, list[ConfigProblem]]:
    if not isinstance(file, str) or not file:
        return None, [here.problem(("file",), "must name a Jobs API JSON or bundle YAML file, e.g. jobs/x.json")]
    path = (base_dir / file)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, [here.problem(("file",), f"{file} does not exist; `file:` is relative to the folder of "
                                               f"{here.file}")]
    except (OSError, UnicodeDecodeError) as error:
        return None, [here.problem(("file",), f"{file} cannot be read: {error}")]
    version = version_problem(text)
    if version is not None:
        return None, [ConfigProblem(version[0], "(file)", version[1], file)]
    try:
        document, file_lines = read(text)
    except YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        position = getattr(error, "position", None)  # a character YAML does not allow: only its position is known
        line = mark.line + 1 if mark else text.count("\n", 0, position) + 1 if isinstance(position, int) else 0
        problem = getattr(error, "problem", None) or (
            f"unacceptable character #x{error.character:04x} ({error.reason}); remove it"
            if isinstance(getattr(error, "character", None), int) else str(error).splitlines()[0])
        return None, [ConfigProblem(line, "(file)", f"is neither JSON nor YAML: {problem}", file)]
    directory = path.parent

    def origin(prefix: FieldPath) -> Origin:
        return Origin(file, file_lines, prefix, directory)

    if not isinstance(document, dict):
        return None, [ConfigProblem(1, "(file)", "expected a job definition (a mapping)", file)]
    numbers = [ConfigProblem(line_of(path, file_lines), format_path(path), message, file)
               for path, message in ambiguous_numbers(document)]
    if numbers:
        return None, numbers
    bundle_jobs = (document.get("resources") or {}).get("jobs") if isinstance(document.get("resources"), dict) else None
    if isinstance(bundle_jobs, dict):
        keys = sorted(bundle_jobs)
        if pick is None and len(keys) == 1:
            pick = keys[0]
        if pick not in bundle_jobs:
            reason = (f"has no job '{pick}'" if pick is not None else "holds several jobs")
            return None, [here.problem(("job" if pick is not None else "file",),
                                       f"{file} {reason}; set `job:` to one of: {', '.join(keys)}")]
        settings = bundle_jobs[pick]
        if not isinstance(settings, dict):
            return None, [origin(("resources", "jobs", pick)).problem((), "expected a job definition (a mapping)")]
        return (settings, origin(("resources", "jobs", pick))), []
    if pick is not None:
        return None, [here.problem(("job",), f"{file} is not a bundle file with resources.jobs; remove `job:`")]
    if isinstance(document.get("settings"), dict) and set(document) <= JOBS_GET_FIELDS:
        return (document["settings"], origin(("settings",))), []
    return (document, origin(())), []


def _lists(value: Any) -> Any:
    """The config loader's tuples -> lists, as JSON has them."""
    if isinstance(value, dict):
        return {k: _lists(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_lists(v) for v in value]
    return value


# ---------------------------------------------------------------------------------------------- substitution


def substitute(settings: dict[str, Any], env: Environment, catalogue: Catalogue,
               origin: Origin) -> tuple[dict[str, Any], list[tuple[FieldPath, str]]]:
    """The settings for `env`: `${...}` substituted, references made JobRef/PipelineRef, relative notebook
    and python file paths made UploadRef; with every problem found on the way."""
    problems: list[tuple[FieldPath, str]] = []
    result = _substitute(settings, (), env, catalogue, problems)
    if isinstance(result, dict):
        _resolve_uploads(result, origin, problems)
    return result, problems


def _substitute(value: Any, path: FieldPath, env: Environment, catalogue: Catalogue, problems: list) -> Any:
    if isinstance(value, dict):
        return {k: _substitute(v, path + (k,), env, catalogue, problems) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, path + (i,), env, catalogue, problems) for i, v in enumerate(value)]
    if not isinstance(value, str) or "${" not in value:
        return value
    whole = _TOKEN.fullmatch(value)
    if whole:
        name = whole.group(1)
        reference = _reference(name, catalogue, path, problems)
        if reference is not None:
            return reference
        if _is_reference(name):
            return value
        return _lookup(name, env, path, problems, whole_value=True)

    def replace(match: re.Match) -> str:
        if _is_reference(match.group(1)):
            problems.append((path, f"{match.group(0)} must be the whole value, not part of '{value}'"))
            return match.group(0)
        return str(_lookup(match.group(1), env, path, problems, whole_value=False))

    return _TOKEN.sub(replace, value)


def _is_reference(name: str) -> bool:
    return name.startswith("resources.")


def _reference(name: str, catalogue: Catalogue, path: FieldPath, problems: list) -> Any:
    job = _JOB_REF.fullmatch(name)
    if job:
        key = job.group(1)
        if key in catalogue.jobs or key in catalogue.connectors:
            return JobRef(key)
        problems.append((path, f"${{{name}}} names no job of this config; jobs: "
                               f"{', '.join(sorted(catalogue.jobs)) or 'none'}; connectors: "
                               f"{', '.join(sorted(catalogue.connectors)) or 'none'}"))
        return None
    pipeline = _PIPELINE_REF.fullmatch(name)
    if pipeline:
        key = pipeline.group(1)
        if key in catalogue.pipelines:
            return PipelineRef(key)
        problems.append((path, f"${{{name}}} names no pipeline of this config; lakeflow_connect connectors: "
                               f"{', '.join(sorted(catalogue.pipelines)) or 'none'}"))
        return None
    if _is_reference(name):
        problems.append((path, f"unknown reference ${{{name}}}; use {SUBSTITUTIONS}"))
    return None


def _lookup(name: str, env: Environment, path: FieldPath, problems: list, *, whole_value: bool) -> Any:
    namespace, _, field = name.partition(".")
    if namespace == "env" and field in ENV_VALUES:
        value = env.name if field == "name" else env.values.get(field)
        if value is not None:
            return value
        problems.append((path, f"${{{name}}}: environment {env.name} has no {field}; set "
                               f"environments.{env.name}.{field} or do not use it"))
        return ""
    if namespace == "bundle" and field == "target":
        return env.name
    if namespace == "var" and field:
        if field in env.variables:
            value = env.variables[field]
            return value if whole_value else str(value).lower() if isinstance(value, bool) else str(value)
        problems.append((path, f"${{{name}}} is not defined for environment {env.name}; add "
                               f"environments.{env.name}.variables.{field}"))
        return ""
    problems.append((path, f"unknown substitution ${{{name}}}; use {SUBSTITUTIONS}"))
    return ""


def _tasks(settings: dict[str, Any]) -> Iterator[tuple[FieldPath, dict[str, Any]]]:
    """Every task with its path, for_each_task's nested tasks included."""
    tasks = settings.get("tasks")
    for index, task in enumerate(tasks if isinstance(tasks, list) else ()):
        if isinstance(task, dict):
            yield ("tasks", index), task
            nested = (task.get("for_each_task") or {}).get("task") if isinstance(task.get("for_each_task"), dict) \
                else None
            if isinstance(nested, dict):
                yield ("tasks", index, "for_each_task", "task"), nested


def _resolve_uploads(settings: dict[str, Any], origin: Origin, problems: list) -> None:
    """Relative notebook_path / python_file -> UploadRef, where the job does not run from a git source."""
    if settings.get("git_source"):
        return
    for path, task in _tasks(settings):
        for block, field in (("notebook_task", "notebook_path"), ("spark_python_task", "python_file")):
            spec = task.get(block)
            if not isinstance(spec, dict) or spec.get("source") == "GIT":
                continue
            value = spec.get(field)
            if not isinstance(value, str) or value.startswith("/") or "{{" in value or not value:
                continue
            spec[field] = _upload(value, block == "notebook_task", origin, path + (block, field), problems)


def _upload(value: str, notebook: bool, origin: Origin, path: FieldPath, problems: list) -> Any:
    target = (origin.directory / value).resolve()
    candidates = [target] if target.suffix else [target.with_suffix(".py"), target]
    found = next((c for c in candidates if c.is_file()), None)
    if found is None or found.parent != NOTEBOOKS_DIR or found.suffix != ".py":
        problems.append((path, f"{value} is not a .py file of notebooks/, the folder this platform uploads; move "
                               "the file there (and refer to it relative to this file) or give an absolute "
                               "workspace path"))
        return value
    is_notebook = found.read_text(encoding="utf-8").startswith("# Databricks notebook source")
    if notebook and not is_notebook:
        problems.append((path, f"{value} is a plain Python file, not a notebook; start it with "
                               "'# Databricks notebook source' or run it with a spark_python_task"))
        return value
    return UploadRef(found.stem, is_notebook)


def references(settings: Any) -> set[str]:
    """The keys of the jobs `settings` runs (JobRef anywhere in it)."""
    return {key for _, key in job_references(settings)}


# ---------------------------------------------------------------------------------------------- checks


@functools.cache
def _validator() -> Draft202012Validator:
    # The schema's interpolation patterns use \p{L} / \p{N}, which Python's re lacks: the same classes for re
    # (letters or digits: [^\W_]; letters: [^\W\d_]).
    text = (SCHEMA_FILE.read_text(encoding="utf-8").replace(r"[\\p{L}\\p{N}]", r"[^\\W_]")
            .replace(r"\\p{L}", r"[^\\W\\d_]"))
    assert r"\\p{" not in text, "a Unicode class the schema uses that re cannot read"
    return Draft202012Validator({"$defs": json.loads(text)["$defs"], "$ref": BUNDLE_JOB})


def _placeholders(value: Any, *, for_provider: bool) -> Any:
    """Markers as the schema (bundle interpolation syntax) or the provider (plain values) accept them."""
    if isinstance(value, JobRef):
        return 1 if for_provider else f"${{resources.jobs.{value.key}.id}}"
    if isinstance(value, PipelineRef):
        return "pipeline-id" if for_provider else f"${{resources.pipelines.{value.connector}.id}}"
    if isinstance(value, UploadRef):
        return f"/Workspace/uploaded/{value.stem}"
    if isinstance(value, dict):
        return {k: _placeholders(v, for_provider=for_provider) for k, v in value.items()}
    if isinstance(value, list):
        return [_placeholders(v, for_provider=for_provider) for v in value]
    return value


def _by_content(check):
    """`check(settings)`, remembered by the settings' content: the same job checked again (in both environments'
    identical parts, or by a tool that parses the config many times) costs a lookup, not a schema walk."""
    @functools.lru_cache(maxsize=256)
    def remembered(key: str, settings: Any) -> tuple:
        return tuple(check(settings.value))

    @functools.wraps(check)
    def wrapper(settings: dict[str, Any]) -> list[tuple[FieldPath, str]]:
        return list(remembered(json.dumps(settings, sort_keys=True, default=repr), _Unhashed(settings)))
    return wrapper


class _Unhashed:
    """Carries the settings past lru_cache, which keys on the JSON text alone."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __hash__(self) -> int:
        return 0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Unhashed)


@_by_content
def schema_problems(settings: dict[str, Any]) -> list[tuple[FieldPath, str]]:
    """Where `settings` break Databricks' bundle schema for a job, each at its deepest meaningful path."""
    instance = _placeholders({k: v for k, v in settings.items() if k not in DROPPED_SETTINGS and k != "edit_mode"},
                             for_provider=False)
    problems = []
    for error in _validator().iter_errors(instance):
        for leaf in _leaves(error):
            path = tuple(leaf.absolute_path)
            if leaf.validator == "additionalProperties":  # at the unknown key itself: its line
                path += (min(set(leaf.instance) - set(leaf.schema.get("properties") or {})),)
            problems.append((path, _schema_message(leaf)))
    edit_mode = settings.get("edit_mode")
    if edit_mode is not None and edit_mode not in ("UI_LOCKED", "EDITABLE"):
        problems.append((("edit_mode",), f"{names.redact(edit_mode)} is not one of: UI_LOCKED, EDITABLE"))
    return problems


def _leaves(error: ValidationError) -> list[ValidationError]:
    """The errors worth showing: inside a oneOf of 'the value' or 'a ${...} interpolation string', the
    branch that is about the value."""
    if not error.context:
        return [error]
    branches: dict[int, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    meaningful = [subs for subs in branches.values()
                  if not all(s.validator in ("type", "pattern") and not s.relative_path for s in subs)]
    if len(meaningful) == 1:
        return [leaf for sub in meaningful[0] for leaf in _leaves(sub)]
    if not meaningful:  # a value of the wrong type for every branch: say which types fit
        expected = sorted({_JSON_TYPES.get(s.validator_value, str(s.validator_value))
                           for subs in branches.values() for s in subs if s.validator == "type"} - {"a string"})
        error.message = f"{names.redact(error.instance)} is not {' or '.join(expected) or 'valid here'}"
        error.validator = "custom"
        return [error]
    return [error]


def _schema_message(error: ValidationError) -> str:
    if error.validator == "additionalProperties":
        allowed = sorted((error.schema.get("properties") or {}))
        extra = sorted(set(error.instance) - set(allowed))
        hints = [match for e in extra for match in difflib.get_close_matches(e, allowed, n=1)]
        fix = (f"did you mean {', '.join(repr(h) for h in hints)}?" if len(hints) == len(extra)
               else f"fields here: {', '.join(allowed)}")
        return f"unknown field{'s' if len(extra) > 1 else ''} {', '.join(repr(e) for e in extra)} of the Jobs API; {fix}"
    if error.validator == "required":
        return f"{error.message.split(' ')[0]} is required here but missing"
    if error.validator == "enum":
        return f"{names.redact(error.instance)} is not one of: {', '.join(map(str, error.validator_value))}"
    if error.validator == "type":
        return f"{names.redact(error.instance)} is not {_JSON_TYPES.get(error.validator_value, error.validator_value)}"
    return error.message


def _permission_problems(settings: dict[str, Any]) -> list[tuple[FieldPath, str]]:
    """Bundle-style permissions name exactly one principal each (the schema leaves all three optional)."""
    problems = []
    for index, entry in enumerate(settings.get("permissions") or ()):
        named = [key for key in ("group_name", "service_principal_name", "user_name") if key in entry]
        if len(named) != 1:
            problems.append((("permissions", index), "must name exactly one of group_name, service_principal_name, "
                                                     f"user_name (found: {', '.join(named) or 'none'})"))
    return problems


@_by_content
def provider_problems(settings: dict[str, Any]) -> list[tuple[FieldPath, str]]:
    """Fields the Databricks provider 1.99.0 cannot express (imports the provider bindings: only with jobs)."""
    from constructs.jobs_api import unsupported_fields

    dropped = {k: v for k, v in settings.items() if k not in DROPPED_SETTINGS}
    return unsupported_fields(_placeholders(dropped, for_provider=True))


def notebook_identity(value: Any) -> str | None:
    if isinstance(value, UploadRef):
        return f"notebooks/{value.stem}.py"
    return value if isinstance(value, str) else None


def work_fields(task: dict[str, Any]) -> list[str]:
    """The task-type fields of `task` that run work (notebook, SQL, pipeline...): not control flow."""
    return [key for key in task if key.endswith("_task") and key not in CONTROL_TASKS]


def hierarchy_problems(jobs: dict[str, LoadedJob], resolved: dict[str, dict[str, Any]],
                       connectors: frozenset[str]) -> list[ConfigProblem]:
    """Seed 004's rules, for `job_hierarchy: true`: every job has a level; atomic jobs run work, composite
    and orchestrator jobs only run jobs (and control flow); each notebook runs in exactly one atomic job; a job
    runs only jobs of lower layers; its job_level tag, if written, agrees. Connectors' jobs are atomic."""
    problems = []
    seen_notebooks: dict[str, tuple[str, FieldPath]] = {}
    for key in sorted(jobs):
        job, settings = jobs[key], resolved.get(key)
        if settings is None:
            continue
        where = job.origin
        if job.level is None:  # job_level is written in connectors.yaml, also for an imported job
            problems.append((job.entry or where).problem(
                (), f"job_level is required because job_hierarchy is on; set {', '.join(LEVELS)}"))
            continue
        if job.level not in LEVELS:
            continue  # the model reports it
        tags = settings.get("tags")
        tag = tags.get("job_level") if isinstance(tags, dict) else None
        if tag is not None and tag != job.level:
            problems.append(where.problem(("tags", "job_level"), f"says '{tag}' but job_level is '{job.level}'; "
                                          "remove the tag (every job is tagged with its job_level)"))
        for path, task in _tasks(settings):
            if job.level == "atomic" and "run_job_task" in task:
                problems.append(where.problem(path + ("run_job_task",), "an atomic job runs notebooks, SQL and "
                                              "pipelines, not other jobs; move this task into a composite or "
                                              "orchestrator job"))
            if job.level != "atomic":
                for field in work_fields(task):
                    problems.append(where.problem(path + (field,), f"a {job.level} job holds only run_job_task "
                                                  "and control-flow tasks (condition_task, for_each_task); move "
                                                  f"this {field} into an atomic job and run that job here"))
                continue
            notebook = notebook_identity((task.get("notebook_task") or {}).get("notebook_path")
                                         if isinstance(task.get("notebook_task"), dict) else None)
            if notebook is None:
                continue
            stem = Path(notebook).stem if notebook.startswith("notebooks/") else None
            if stem in TEMPLATE_NOTEBOOKS:
                problems.append(where.problem(path + ("notebook_task", "notebook_path"), f"{notebook} is the "
                                              "connector template's notebook, run by every connector's job; run "
                                              "a connector's job with a run_job_task instead"))
            elif notebook in seen_notebooks and seen_notebooks[notebook][0] != key:
                first_key, first_path = seen_notebooks[notebook]
                problems.append(where.problem(path + ("notebook_task", "notebook_path"), f"{notebook} already runs "
                                              f"in atomic job '{first_key}' ({jobs[first_key].origin.where(first_path)}"
                                              "); each notebook belongs to exactly one atomic job: run job "
                                              f"'{first_key}' with a run_job_task instead"))
            else:
                seen_notebooks.setdefault(notebook, (key, path + ("notebook_task", "notebook_path")))
        for path, target in job_references(settings):
            target_level = "atomic" if target in connectors else jobs[target].level if target in jobs else None
            if target_level not in LEVELS or job.level == "atomic":
                continue
            if LEVEL_RANK[target_level] >= LEVEL_RANK[job.level]:
                other = (f"connector '{target}'" if target in connectors
                         else f"job '{target}' ({jobs[target].origin.where(('job_level',) if jobs[target].origin.is_config else ())})")
                problems.append(where.problem(path, f"a {job.level} job runs only jobs of lower layers, but "
                                              f"{other} is {target_level}"))
    return problems


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


def cycle_problems(jobs: dict[str, LoadedJob], resolved: dict[str, dict[str, Any]]) -> list[ConfigProblem]:
    """run_job_task chains that come back to where they started: such jobs never finish, and their ids
    depend on each other, so they cannot be deployed."""
    graph = {key: sorted(references(settings) & set(jobs)) for key, settings in resolved.items()}
    problems, reported = [], set()
    for start in sorted(graph):
        stack = [(start, [start])]
        while stack:
            node, trail = stack.pop()
            for nxt in graph.get(node, ()):
                if nxt == start:
                    cycle = frozenset(trail)
                    if cycle not in reported:
                        reported.add(cycle)
                        chain = " -> ".join([*trail, start])
                        problems.append(jobs[start].origin.problem((), f"run_job_tasks form a cycle: {chain}; "
                                                                   "a job must not (indirectly) run itself"))
                elif nxt not in trail and len(trail) < len(graph):
                    stack.append((nxt, [*trail, nxt]))
    return problems


def _connector_groups(data: dict[str, Any]) -> dict[str, Any]:
    return {c["name"]: c.get("deploy_group") for c in _connector_entries(data)
            if isinstance(c, dict) and isinstance(c.get("name"), str)}


def group_cycle_problems(jobs: dict[str, LoadedJob], resolved: dict[str, dict[str, Any]],
                         connector_groups: dict[str, Any]) -> list[ConfigProblem]:
    """Deploy groups whose jobs run each other's jobs both ways: each group's stack would need the other's job
    ids first, so neither could be deployed (cdktf refuses such stacks)."""
    group_of = {**connector_groups, **{key: job.group for key, job in jobs.items()}}
    edges: dict[tuple[str, str], str] = {}  # (group, group it needs) -> the first job that makes it need it
    for key in sorted(resolved):
        for target in sorted(references(resolved[key])):
            source, needed = group_of.get(key), group_of.get(target)
            if isinstance(source, str) and isinstance(needed, str) and source != needed:
                edges.setdefault((source, needed), f"{key} runs {target}")
    problems, reported = [], set()
    for (source, needed), why in sorted(edges.items()):
        back = edges.get((needed, source))
        if back is not None and frozenset((source, needed)) not in reported:
            reported.add(frozenset((source, needed)))
            key = why.split(" ", 1)[0]
            problems.append(jobs[key].entry_origin.problem(("deploy_group",), (
                f"deploy groups '{source}' and '{needed}' run each other's jobs ({why}; {back}), so neither stack "
                "can be deployed first; put these jobs in one group")))
    return problems


# ---------------------------------------------------------------------------------------------- all together


def environments_of(data: dict[str, Any]) -> list[Environment]:
    """Each well-formed environment of the raw config, with what `${env.*}` and `${var.*}` resolve to."""
    from connectors_config.model import Defaults

    raw_defaults = data.get("defaults") if isinstance(data.get("defaults"), dict) else {}

    def default(field: str) -> Any:
        return raw_defaults.get(field, Defaults.model_fields[field].default)

    environments = data.get("environments") if isinstance(data.get("environments"), dict) else {}
    result = []
    for name, env in sorted(environments.items()):
        if not isinstance(env, dict):
            continue
        values = {field: env.get(field) for field in ("catalog", "workspace_dir", "run_as", "admin_group",
                                                      "team_group", "readers_group")}
        values.update(bronze_schema=default("bronze_schema"), silver_schema=default("silver_schema"),
                      gold_schema=default("gold_schema"), secret_scope=env.get("secret_scope") or default("secret_scope"))
        variables = env.get("variables") if isinstance(env.get("variables"), dict) else {}
        result.append(Environment(name, values, dict(variables)))
    return result


def _connector_entries(data: dict[str, Any]) -> tuple:
    """The raw `connectors` entries, or none where `connectors` is not a list (the model reports that)."""
    listed = data.get("connectors")
    return tuple(listed) if isinstance(listed, (list, tuple)) else ()


def catalogue_of(data: dict[str, Any], jobs: dict[str, Any]) -> Catalogue:
    connectors = [c for c in _connector_entries(data) if isinstance(c, dict) and isinstance(c.get("name"), str)]
    return Catalogue(
        jobs=frozenset(jobs),
        connectors=frozenset(c["name"] for c in connectors),
        pipelines=frozenset(c["name"] for c in connectors if c.get("kind") == "lakeflow_connect"),
    )


def job_name(key: str, settings: dict[str, Any]) -> str:
    """A job's name: its settings' `name`; default: its key."""
    name = settings.get("name")
    return name if isinstance(name, str) and name else key


def check_jobs(data: dict[str, Any], lines: dict, config_file: str,
               base_dir: Path) -> tuple[dict[str, Any], list[ConfigProblem]]:
    """The `jobs` section as the model takes it (each job's level, origin and settings) and every problem of
    it, for every environment."""
    jobs, problems = load_jobs(data.get("jobs"), lines, config_file, base_dir)
    catalogue = catalogue_of(data, data.get("jobs") if isinstance(data.get("jobs"), dict) else {})
    for key in sorted(catalogue.jobs & catalogue.connectors):
        problems.append(Origin(Path(config_file).name, lines, ("jobs", key), base_dir, True).problem(
            (), f"'{key}' is also a connector's name, and ${{resources.jobs.{key}.id}} must mean one job; rename it"))
    hierarchy = data.get("job_hierarchy") is True
    for key, job in sorted(jobs.items()):
        problems += _literal_job_ids(job, catalogue)
    resolved: dict[str, Any] = {}
    for env in environments_of(data):
        resolved = {}
        for key, job in sorted(jobs.items()):
            settings, found = substitute(job.settings, env, catalogue, job.origin)
            # Each check only on what the previous ones passed: one mistake, one message.
            # Past the schema, the checks are independent of each other: all of them report.
            found = found or schema_problems(settings) or [
                *_permission_problems(settings), *provider_problems(settings), *settings_problems(settings)]
            problems += [job.origin.problem(path, message) for path, message in found]
            resolved[key] = settings
        problems += _unique_names(jobs, resolved, catalogue)
        problems += _silver_triggers(jobs, resolved, env, data)
        problems += cycle_problems(jobs, resolved)
        if hierarchy:
            problems += hierarchy_problems(jobs, resolved, catalogue.connectors)
    if resolved:  # which job runs which is the same in every environment: checked once, on the last one
        problems += group_cycle_problems(jobs, resolved, _connector_groups(data))
    # Entries that are not mappings stay as they are, for the model to report.
    model_jobs = {key: entry for key, entry in (data.get("jobs") or {}).items() if not isinstance(entry, dict)}
    model_jobs.update({key: {"job_level": job.level, "deploy_group": job.group, "origin": job.origin.file,
                             "directory": str(job.origin.directory), "settings": job.settings}
                       for key, job in jobs.items()})
    return model_jobs, problems


def _literal_job_ids(job: LoadedJob, catalogue: Catalogue) -> list[ConfigProblem]:
    """A run_job_task names its job by reference: a literal id differs per workspace, so the same definition
    would run another job (or none) in each environment, and nothing here can check it. An id from
    `${var.<name>}` is taken as given: the variable is set per environment on purpose."""
    problems = []
    for path, task in _tasks(job.settings):
        job_id = (task.get("run_job_task") or {}).get("job_id") if isinstance(task.get("run_job_task"), dict) else None
        if job_id is not None and not (isinstance(job_id, str) and _TOKEN.fullmatch(job_id.strip())):
            problems.append(job.origin.problem(
                path + ("run_job_task", "job_id"),
                f"{job_id!r} is a literal job id, which differs per workspace and cannot be checked; name the job "
                f"as ${{resources.jobs.<key>.id}} (jobs: {', '.join(sorted(catalogue.jobs)) or 'none'}; connectors: "
                f"{', '.join(sorted(catalogue.connectors)) or 'none'})"))
    return problems


def _unique_names(jobs: dict[str, LoadedJob], resolved: dict[str, dict[str, Any]],
                  catalogue: Catalogue) -> list[ConfigProblem]:
    """Operators find jobs by name (in the UI and the operations command): one job per name."""
    taken = {f"{connector}-connector": f"connector '{connector}'" for connector in catalogue.connectors}
    problems = []
    for key in sorted(resolved):
        name = job_name(key, resolved[key])
        if name in taken:
            problems.append(jobs[key].origin.problem(("name",), f"'{name}' is already the name of {taken[name]}; "
                                                     "give each job its own name"))
        else:
            taken[name] = f"job '{key}'"
    return problems


def silver_tables(data: dict[str, Any]) -> list[str]:
    """The silver tables the batch connectors write: '<connector>_<entity>' for each entity of its source."""
    from connectors_config.sources import available_sources, source_spec

    available = available_sources()
    tables = []
    for connector in _connector_entries(data):
        if isinstance(connector, dict) and connector.get("kind", "batch") == "batch" \
                and isinstance(connector.get("name"), str):
            source = connector.get("source", connector["name"])
            if source in available:
                tables += [f"{connector['name']}_{entity}" for entity in source_spec(source).entities]
    return sorted(tables)


def _silver_triggers(jobs: dict[str, LoadedJob], resolved: dict[str, dict[str, Any]], env: Environment,
                     data: dict[str, Any]) -> list[ConfigProblem]:
    """A table_update trigger on this environment's silver schema watches a table a connector writes: a
    misspelt name would never fire, and the Jobs service would not say so."""
    silver = f"{env.values.get('catalog')}.{env.values.get('silver_schema')}."
    known = None
    problems = []
    for key in sorted(resolved):
        trigger = resolved[key].get("trigger")
        table_update = trigger.get("table_update") if isinstance(trigger, dict) else None
        names = table_update.get("table_names") if isinstance(table_update, dict) else None
        for index, name in enumerate(names if isinstance(names, list) else ()):
            if isinstance(name, str) and name.startswith(silver):
                known = silver_tables(data) if known is None else known
                if name[len(silver):] not in known:
                    problems.append(jobs[key].origin.problem(
                        ("trigger", "table_update", "table_names", index),
                        f"{name}: no connector writes silver table '{name[len(silver):]}'; silver tables: "
                        f"{', '.join(known)}"))
    return problems
