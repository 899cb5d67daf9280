"""The `jobs` section of connectors.yaml: jobs other than the connectors', in the Jobs API's own field names.

A job is written inline (`tasks`, `job_clusters`, `parameters`... as `databricks jobs get` prints them and
bundles write them) or imported with `file:` from an existing definition: a Jobs API JSON (the Jobs UI's
"View as JSON", `databricks jobs create --json @job.json`, or `databricks jobs get` output with its
`settings`) or a bundle YAML with `resources.jobs.<key>` (pick one with `job:` when it holds several).

Per environment, `${...}` values are substituted (see SUBSTITUTIONS); `{{...}}` dynamic value references are
left to the Jobs service. A relative notebook_path / python_file (like `file:`) resolves against the project
root when written in the config (connectors_config.repository.project_root), against its own file's folder when
written in an imported file, and must be a file of notebooks/, which the platform uploads: it becomes the
uploaded object's workspace path. Every definition is then checked, for every environment, against Databricks'
bundle JSON schema and against what the Terraform provider can express; with `job_hierarchy: true`, also
against the seed's atomic/composite/orchestrator rules. Problems name their file, line and field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from connectors_config.environment import environment_values
from connectors_config.errors import ConfigProblem
from connectors_config.identities import Foreign, job_problems, owned_names
from connectors_config.jobs_checks import (
    connector_groups,
    cycle_problems,
    derived_parameters,
    group_cycle_problems,
    hierarchy_problems,
    literal_job_ids,
    name_problems,
    permission_problems,
    provider_problems,
    schema_problems,
    secret_readers,
    secret_reference_problems,
    silver_triggers,
    unique_names,
)
from connectors_config.jobs_load import load_jobs
from connectors_config.jobs_substitute import substitute, written_path
from connectors_config.jobs_types import Catalogue, EnvironmentValues, Origin, connector_entries
from core.job_settings import settings_problems



def environments_of(data: dict[str, Any]) -> list[EnvironmentValues]:
    """Each well-formed environment of the raw config (before the model), with what `${env.*}` and `${var.*}`
    resolve to."""
    raw_defaults = _mapping(data.get("defaults"))
    environments = _mapping(data.get("environments"))
    result = []
    for name, env in sorted(environments.items()):
        if not isinstance(env, dict):
            continue
        variables = _mapping(env.get("variables"))
        result.append(EnvironmentValues(name, environment_values(name, env, raw_defaults), dict(variables)))
    return result


def _mapping(value: Any) -> dict[str, Any]:
    """`value` where it is a mapping, else an empty one (the model reports the wrong type)."""
    return value if isinstance(value, dict) else {}


def _substituted(problems: list[tuple[Any, str]], written: Any) -> list[tuple[Any, str]]:
    """`problems`, each saying so where the value came from a `${...}` substitution (a variable, say)."""
    result = []
    for path, message in problems:
        value = written
        for part in path:
            value = value[part] if isinstance(value, (dict, list, tuple)) and _has(value, part) else None
        result.append((path, message + (f" (after substitution of '{value}')"
                                        if isinstance(value, str) and "${" in value else "")))
    return result


def _written(problems: list[tuple[Any, str]], written: dict[str, Any], env: EnvironmentValues,
             catalogue: Catalogue) -> list[tuple[Any, str]]:
    """`problems` of the substituted settings, each at its path in the settings as `written`."""
    return [(written_path(written, path, env, catalogue), message) for path, message in problems]


def _has(container: Any, part: Any) -> bool:
    if isinstance(container, dict):
        return part in container
    return isinstance(part, int) and 0 <= part < len(container)


def catalogue_of(data: dict[str, Any], jobs: dict[str, Any]) -> Catalogue:
    connectors = [c for c in connector_entries(data) if isinstance(c, dict) and isinstance(c.get("name"), str)]
    return Catalogue(
        jobs=frozenset(jobs),
        connectors=frozenset(c["name"] for c in connectors),
        pipelines=frozenset(c["name"] for c in connectors if c.get("kind") == "lakeflow_connect"),
        batch=tuple(sorted((str(c["name"]), _source_of(c)) for c in connectors if c.get("kind", "batch") == "batch")),
    )


def _source_of(connector: dict[str, Any]) -> str:
    """The source a batch connector reads: `source`, default the connector's name (the model checks the type)."""
    source = connector.get("source")
    return source if isinstance(source, str) else str(connector["name"])


def check_jobs(data: dict[str, Any], lines: dict, config_file: str,
               base_dir: Path) -> tuple[dict[str, Any], list[ConfigProblem]]:
    """The `jobs` section as the model takes it (each job's level, origin and settings) and every problem of
    it, for every environment."""
    jobs, problems = load_jobs(data.get("jobs"), lines, config_file, base_dir)
    catalogue = catalogue_of(data, _mapping(data.get("jobs")))
    for key in sorted(catalogue.jobs & catalogue.connectors):
        problems.append(Origin(Path(config_file).name, lines, ("jobs", key), base_dir, True).problem(
            (), f"'{key}' is also a connector's name, and ${{resources.jobs.{key}.id}} must mean one job; rename it"))
    hierarchy = data.get("job_hierarchy") is True
    for _, job in sorted(jobs.items()):
        problems += literal_job_ids(job, catalogue)
    problems += derived_parameters(jobs)
    resolved: dict[str, Any] = {}
    owned = owned_names(data)
    for env in environments_of(data):
        resolved = {}
        foreign = Foreign(env.name, owned)
        readers = secret_readers(data, env)
        scopes = {str(other.values.get("secret_scope")) for other in environments_of(data) if other.name != env.name}
        for key, job in sorted(jobs.items()):
            settings, found = substitute(job.settings, env, catalogue, job.origin)
            # Each check only on what the previous ones passed: one mistake, one message.
            # Past the schema, the checks are independent of each other: all of them report.
            # Their paths are the substituted settings'; written_path maps them back to the lines written.
            if not found:
                where = (job.settings, env, catalogue)
                found = _written(schema_problems(settings), *where) or [
                    *_written([*name_problems(settings), *permission_problems(settings), *provider_problems(settings),
                               *settings_problems(settings)], *where),
                    *_substituted(_written(job_problems(settings, foreign, env.name), *where), job.settings),
                    *_written(secret_reference_problems(settings, env, readers, scopes), *where)]
            problems += [job.origin.problem(path, message) for path, message in found]
            resolved[key] = settings
        problems += unique_names(jobs, resolved, catalogue)
        problems += silver_triggers(jobs, resolved, env, catalogue)
        problems += cycle_problems(jobs, resolved)
        if hierarchy:
            problems += hierarchy_problems(jobs, resolved, catalogue.connectors)
    if resolved:  # which job runs which is the same in every environment: checked once, on the last one
        problems += group_cycle_problems(jobs, resolved, connector_groups(data))
    # Entries that are not mappings stay as they are, for the model to report.
    model_jobs = {key: entry for key, entry in (data.get("jobs") or {}).items() if not isinstance(entry, dict)}
    model_jobs.update({key: {"job_level": job.level, "deploy_group": job.group,
                             "renamed_from": job.renamed_from, "origin": job.origin.file,
                             "directory": str(job.origin.directory), "settings": job.settings}
                       for key, job in jobs.items()})
    return model_jobs, problems


