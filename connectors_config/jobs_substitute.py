"""Substitution: a job's settings for one environment, `${...}` values replaced (SUBSTITUTIONS), references to
the stack's own jobs and pipelines made JobRef / PipelineRef, relative notebook and python file paths made
UploadRef, workspace paths normalized (core.workspace_paths), `${connectors.sources.*}` derived from the
connectors (connectors_config.jobs_derived; a list item standing for several tables becomes that many items, and
`written_path` maps a path after substitution back to the one written). `{{...}}` dynamic value references are
left to the Jobs service."""

from __future__ import annotations

import re
from typing import Any

from connectors_config import jobs_derived, names
from connectors_config.environment import ENV_VALUES
from connectors_config.errors import Path as FieldPath
from connectors_config.jobs_types import (
    TOKEN,
    Catalogue,
    EnvironmentValues,
    JobRef,
    Origin,
    PipelineRef,
    UploadRef,
    job_references,
    task_entries,
)
from connectors_config.repository import relative_to_root
from connectors_config.sources import NOTEBOOKS_DIR
from core.workspace_paths import WorkspacePathError, is_code_path, normalize_workspace_path

SUBSTITUTIONS = ("${env.<name>} (" + ", ".join(ENV_VALUES) + "), ${var.<name>} (environments.<env>.variables), "
                 "${bundle.target} (the environment's name), ${resources.jobs.<job or connector>.id}, "
                 "${resources.pipelines.<lakeflow_connect connector>.id}, "
                 "${connectors.sources.<source>[,...]} (those sources' connectors), "
                 "${connectors.sources.<source>[,...].tables.<entity>[,...]} (their silver tables, in a list)")
_JOB_REF = re.compile(r"resources\.jobs\.([A-Za-z0-9_-]+)\.id")
_PIPELINE_REF = re.compile(r"resources\.pipelines\.([A-Za-z0-9_-]+)\.id")


def substitute(settings: dict[str, Any], env: EnvironmentValues, catalogue: Catalogue,
               origin: Origin) -> tuple[dict[str, Any], list[tuple[FieldPath, str]]]:
    """The settings for `env`: `${...}` substituted, references made JobRef/PipelineRef, relative notebook
    and python file paths made UploadRef; with every problem found on the way."""
    problems: list[tuple[FieldPath, str]] = []
    result = _substitute(settings, (), env, catalogue, problems)
    if isinstance(result, dict):
        _resolve_uploads(result, origin, problems)
    return result, problems


def _substitute(value: Any, path: FieldPath, env: EnvironmentValues, catalogue: Catalogue, problems: list) -> Any:
    if isinstance(value, dict):
        return {k: _substitute(v, path + (k,), env, catalogue, problems) for k, v in value.items()}
    if isinstance(value, list):
        items: list[Any] = []
        for i, item in enumerate(value):
            tables = _table_list(item, path + (i,), env, catalogue, problems)
            items += [_substitute(item, path + (i,), env, catalogue, problems)] if tables is None else tables
        return items
    if not isinstance(value, str):
        return value
    if "${" not in value:
        return _workspace_path(value, value, path, env, problems)
    whole = TOKEN.fullmatch(value)
    if whole:
        name = whole.group(1)
        reference = _reference(name, catalogue, path, problems)
        if reference is not None:
            return reference
        if _is_reference(name):
            return value
        if jobs_derived.is_table_list(name):
            problems.append((path, f"{value} stands for several silver tables; write it as an item of a list, e.g. "
                                   "of trigger.table_update.table_names"))
            return value
        return _lookup(name, env, catalogue, path, problems, whole_value=True)

    def replace(match: re.Match) -> str:
        if _is_reference(match.group(1)) or jobs_derived.is_table_list(match.group(1)):
            problems.append((path, f"{match.group(0)} must be the whole value, not part of '{value}'"))
            return match.group(0)
        return str(_lookup(match.group(1), env, catalogue, path, problems, whole_value=False))

    return _workspace_path(value, TOKEN.sub(replace, value), path, env, problems)


_IN_WORKSPACE_DIR = "${env.workspace_dir}"


def _workspace_path(written: str, value: str, path: FieldPath, env: EnvironmentValues, problems: list) -> str:
    """`value` (`written` substituted), normalized as the workspace resolves it (core.workspace_paths) where it
    is a workspace path: a path after ${env.workspace_dir} must stay inside the environment's folder, the code
    path of a task, pipeline or library inside the workspace."""
    folder = env.values.get("workspace_dir")
    if (written == _IN_WORKSPACE_DIR or written.startswith(_IN_WORKSPACE_DIR + "/")) and isinstance(folder, str) \
            and names.workspace_dir_problem(folder) is None:
        root, fix = folder, (f"'{written}' climbs out of the environment's workspace folder ({_IN_WORKSPACE_DIR}, "
                             f"'{folder}') with '..'; name a path inside it without '..' "
                             f"(e.g. '{_IN_WORKSPACE_DIR}/gold_entry')")
    elif is_code_path(path) and value.startswith("/") and "{{" not in value:
        root, fix = "/", (f"'{written}' climbs above the workspace root with '..'; write the path without '..' "
                          "(e.g. '/Applications/<team>/<env>/gold_entry')")
    else:
        return value
    try:
        return normalize_workspace_path(value, root)
    except WorkspacePathError:
        problems.append((path, fix))
        return value


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
                               f"{', '.join(sorted(catalogue.connectors)) or 'none'}; {_job_fix(key, catalogue)}"))
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


def _table_list(item: Any, path: FieldPath, env: EnvironmentValues, catalogue: Catalogue,
                problems: list) -> list[str] | None:
    """The silver tables a list item `${connectors.sources.<source>,... .tables.<entity>,...}` stands for (the item
    as written where it has a problem); None for any other item."""
    whole = TOKEN.fullmatch(item) if isinstance(item, str) else None
    if whole is None or not jobs_derived.is_table_list(whole.group(1)):
        return None
    tables, problem = jobs_derived.derive(whole.group(1), env, catalogue)
    if problem is not None:
        problems.append((path, problem))
        return [item]
    return list(tables)


def written_path(settings: Any, path: FieldPath, env: EnvironmentValues, catalogue: Catalogue) -> FieldPath:
    """The path in the written `settings` of what is at `path` after substitution: a list item that stands for
    several tables (`_table_list`) moves the items after it."""
    written: list[Any] = []
    value = settings
    for part in path:
        if isinstance(value, list) and isinstance(part, int):
            position, found = 0, None
            for index, item in enumerate(value):
                tables = _table_list(item, (), env, catalogue, [])
                width = 1 if tables is None else len(tables)
                if part < position + width:
                    found = index
                    break
                position += width
            written.append(part if found is None else found)
            value = None if found is None else value[found]
        else:
            written.append(part)
            value = value.get(part) if isinstance(value, dict) else None
    return tuple(written)


def _job_fix(key: str, catalogue: Catalogue) -> str:
    """How to name the job `key` was meant to be: a renamed connector by its name now, else any job."""
    renamed = [connector for connector, source in catalogue.batch if source == key]
    if renamed:
        return (f"no connector is named '{key}', but {', '.join(renamed)} read{'s' if len(renamed) == 1 else ''} "
                f"source {key}: write ${{resources.jobs.{renamed[0]}.id}}")
    return "name one of them (a connector's job by the connector's name), or add the job to the jobs section"


def _lookup(name: str, env: EnvironmentValues, catalogue: Catalogue, path: FieldPath, problems: list, *,
            whole_value: bool) -> Any:
    if jobs_derived.is_derived(name):
        derived, problem = jobs_derived.derive(name, env, catalogue)
        if problem is not None:
            problems.append((path, problem))
            return ""
        return derived
    namespace, _, field = name.partition(".")
    if namespace == "env" and field in ENV_VALUES:
        value = env.values.get(field)
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


def _resolve_uploads(settings: dict[str, Any], origin: Origin, problems: list) -> None:
    """Relative notebook_path / python_file -> UploadRef, where the job does not run from a git source."""
    if settings.get("git_source"):
        return
    for path, task in task_entries(settings):
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
        against = relative_to_root(origin.directory, origin.file) if origin.is_config else "this file"
        problems.append((path, f"{value} is not a .py file of notebooks/, the folder this platform uploads; move "
                               f"the file there (and refer to it relative to {against}) or give an absolute "
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
