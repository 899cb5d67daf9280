"""The checks of the `jobs` section, per environment, after substitution: Databricks' bundle JSON schema, what
the Terraform provider can express, the Jobs API settings checks (core.job_settings), unique names, silver
table triggers, run_job_task cycles, deploy groups that need each other, and with `job_hierarchy: true` the
atomic/composite/orchestrator rules. Each returns problems naming file, line and field."""

from __future__ import annotations

import difflib
import functools
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # jsonschema loads only for a config with a `jobs` section (0.03 s of every synth's start)
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

from core.credentials import redact
from core.job_settings import secret_references
from connectors_config.errors import ConfigProblem, Path as FieldPath
from connectors_config import jobs_derived
from connectors_config.jobs_substitute import references, written_path
from connectors_config.names import shown
from connectors_config.jobs_types import (
    CONTROL_TASKS,
    DROPPED_SETTINGS,
    LEVEL_RANK,
    LEVELS,
    TEMPLATE_NOTEBOOKS,
    TOKEN,
    Catalogue,
    EnvironmentValues,
    JobRef,
    LoadedJob,
    PipelineRef,
    UploadRef,
    connector_entries,
    job_name,
    job_references,
    task_entries,
)
from core.bundle_schema import BUNDLE_JOB, schema_defs
from core.name_characters import character_problem
from core.principals import PRINCIPAL_KEYS, Principal
from core.uc_names import name_key
from core.provider_job_shape import unsupported_fields

_PRINCIPAL_WORDS = {"group_name": "group name", "user_name": "user name",
                    "service_principal_name": "service principal"}
_JSON_TYPES = {"array": "a list", "object": "a mapping", "string": "a string", "integer": "an integer",
               "boolean": "true or false", "number": "a number"}


@functools.cache
def _validator() -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    return Draft202012Validator({"$defs": schema_defs(), "$ref": BUNDLE_JOB})


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
        problems.append((("edit_mode",), f"{redact(edit_mode)} is not one of: UI_LOCKED, EDITABLE"))
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
        error.message = f"{redact(error.instance)} is not {' or '.join(expected) or 'valid here'}"
        error.validator = "custom"
        return [error]
    return [error]


def _schema_message(error: ValidationError) -> str:
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties") or {})
        extra = sorted(set(error.instance) - set(allowed))
        hints = [match for e in extra for match in difflib.get_close_matches(e, allowed, n=1)]
        fix = (f"did you mean {', '.join(repr(h) for h in hints)}?" if len(hints) == len(extra)
               else f"fields here: {', '.join(allowed)}")
        return f"unknown field{'s' if len(extra) > 1 else ''} {', '.join(repr(e) for e in extra)} of the Jobs API; {fix}"
    if error.validator == "required":
        return f"{error.message.split(' ')[0]} is required here but missing"
    if error.validator == "enum":
        return f"{redact(error.instance)} is not one of: {', '.join(map(str, error.validator_value))}"
    if error.validator == "type":
        return f"{redact(error.instance)} is not {_JSON_TYPES.get(error.validator_value, error.validator_value)}"
    return error.message


def permission_problems(settings: dict[str, Any]) -> list[tuple[FieldPath, str]]:
    """Bundle-style permissions name exactly one principal each (the schema leaves all three optional), and at
    most one owner, never a group (what LakeflowJobProps requires, reported here at the entry's line)."""
    problems: list[tuple[FieldPath, str]] = []
    owners: list[Principal] = []
    for index, entry in enumerate(settings.get("permissions") or ()):
        named = [key for key in PRINCIPAL_KEYS if key in entry]
        if len(named) != 1:
            problems.append((("permissions", index), f"must name exactly one of {', '.join(PRINCIPAL_KEYS)} "
                                                     f"(found: {', '.join(named) or 'none'})"))
            continue
        if entry.get("level") != "IS_OWNER":
            continue
        owner = Principal(PRINCIPAL_KEYS[named[0]], entry[named[0]])
        if owner.kind == "group":
            problems.append((("permissions", index, "level"), f"IS_OWNER for group '{owner.name}': a job's owner is "
                                                              "a user or service principal; give the group CAN_MANAGE"))
        elif owners and owner not in owners:
            listed = ", ".join(f"'{p.name}'" for p in [*owners, owner])
            problems.append((("permissions", index, "level"), f"a job has exactly one owner; IS_OWNER is given to "
                                                              f"{listed}: keep one and give the others CAN_MANAGE"))
        if owner.kind != "group" and owner not in owners:
            owners.append(owner)
    return problems


def name_problems(settings: dict[str, Any]) -> list[tuple[FieldPath, str]]:
    """The job's name and the principals its permissions and run_as name must read as what they are: no
    invisible characters, no look-alike letters of another script (two jobs or groups that look the same)."""
    named: list[tuple[FieldPath, str, object]] = [(("name",), "job name", settings.get("name"))]
    for index, entry in enumerate(settings.get("permissions") or ()):
        if isinstance(entry, dict):
            named += [(("permissions", index, key), _PRINCIPAL_WORDS[key], entry.get(key)) for key in PRINCIPAL_KEYS]
    run_as = settings.get("run_as")
    if isinstance(run_as, dict):
        named += [(("run_as", key), _PRINCIPAL_WORDS[key], run_as.get(key)) for key in PRINCIPAL_KEYS]
    problems = []
    for path, what, value in named:
        reason = character_problem(value) if isinstance(value, str) else None  # other types: the schema's
        if reason is not None:
            problems.append((path, f"{shown(str(value))} is not a valid {what}; {reason}"))
    return problems


@_by_content
def provider_problems(settings: dict[str, Any]) -> list[tuple[FieldPath, str]]:
    """Fields the Databricks provider 1.99.0 cannot express (read from its vendored shape: no bindings, no jsii)."""
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
        for path, task in task_entries(settings):
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


def connector_groups(data: dict[str, Any]) -> dict[str, Any]:
    return {c["name"]: c.get("deploy_group") for c in connector_entries(data)
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


def literal_job_ids(job: LoadedJob, catalogue: Catalogue) -> list[ConfigProblem]:
    """A run_job_task names its job by reference: a literal id differs per workspace, so the same definition
    would run another job (or none) in each environment, and nothing here can check it. An id from
    `${var.<name>}` is taken as given: the variable is set per environment on purpose."""
    problems = []
    for path, task in task_entries(job.settings):
        job_id = (task.get("run_job_task") or {}).get("job_id") if isinstance(task.get("run_job_task"), dict) else None
        if job_id is not None and not (isinstance(job_id, str) and TOKEN.fullmatch(job_id.strip())):
            problems.append(job.origin.problem(
                path + ("run_job_task", "job_id"),
                f"{job_id!r} is a literal job id, which differs per workspace and cannot be checked; name the job "
                f"as ${{resources.jobs.<key>.id}} (jobs: {', '.join(sorted(catalogue.jobs)) or 'none'}; connectors: "
                f"{', '.join(sorted(catalogue.connectors)) or 'none'})"))
    return problems


def derived_parameters(jobs: dict[str, LoadedJob]) -> list[ConfigProblem]:
    """A run_job_task that passes a written value to a job parameter whose default is derived from the connectors
    (`${connectors.*}`) overrides the derived list with one that stays as written when a connector is renamed,
    added or removed: the job would read tables no connector writes any more."""
    derived: dict[tuple[str, str], tuple[str, str]] = {}
    for key, job in jobs.items():
        parameters = job.settings.get("parameters")
        for index, parameter in enumerate(parameters if isinstance(parameters, list) else ()):
            default = parameter.get("default") if isinstance(parameter, dict) else None
            if isinstance(default, str) and _derives(default) and isinstance(parameter.get("name"), str):
                derived[(key, parameter["name"])] = (default, job.origin.where(("parameters", index, "default")))
    problems = []
    for _, job in sorted(jobs.items()):
        for path, task in task_entries(job.settings):
            run = task.get("run_job_task")
            job_id = run.get("job_id") if isinstance(run, dict) else None
            reference = TOKEN.fullmatch(job_id.strip()) if isinstance(job_id, str) else None
            target = reference.group(1).removeprefix("resources.jobs.").removesuffix(".id") if reference else ""
            passed = run.get("job_parameters") if isinstance(run, dict) else None
            for name, value in (passed.items() if isinstance(passed, dict) and target else ()):
                if (target, name) in derived and not (isinstance(value, str) and (_derives(value) or "{{" in value)):
                    default, where = derived[(target, name)]
                    problems.append(job.origin.problem(path + ("run_job_task", "job_parameters", name), (
                        f"passes {name}={redact(str(value))} to job '{target}', whose parameter '{name}' is derived "
                        f"from the connectors ({default}, {where}); a written value stays as written when a "
                        f"connector is renamed, added or removed; remove it here (the job's default applies) or pass "
                        f"{default}")))
    return problems


def _derives(value: str) -> bool:
    return any(jobs_derived.is_derived(match.group(1)) for match in TOKEN.finditer(value))


def unique_names(jobs: dict[str, LoadedJob], resolved: dict[str, dict[str, Any]],
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


def silver_triggers(jobs: dict[str, LoadedJob], resolved: dict[str, dict[str, Any]], env: EnvironmentValues,
                     catalogue: Catalogue) -> list[ConfigProblem]:
    """A table_update trigger on this environment's silver schema watches a table a connector writes: a
    misspelt name, or the name of a connector since renamed, would never fire, and the Jobs service would not
    say so."""
    silver = f"{env.values.get('catalog')}.{env.values.get('silver_schema')}."
    known: list[str] | None = None
    problems = []
    for key in sorted(resolved):
        trigger = resolved[key].get("trigger")
        table_update = trigger.get("table_update") if isinstance(trigger, dict) else None
        names = table_update.get("table_names") if isinstance(table_update, dict) else None
        for index, name in enumerate(names if isinstance(names, list) else ()):
            # Unity Catalog names in any case: APPSEC_DEV.Silver.x is a table of this silver schema.
            if isinstance(name, str) and name_key(name).startswith(name_key(silver)):
                known = sorted(jobs_derived.silver_tables(catalogue)) if known is None else known
                table = name[len(silver):]
                if name_key(table) not in known:
                    path = written_path(jobs[key].settings, ("trigger", "table_update", "table_names", index), env,
                                        catalogue)
                    problems.append(jobs[key].origin.problem(path, (
                        f"{name}: no connector writes silver table '{table}'; "
                        f"{jobs_derived.stale_table_fix(name_key(table), catalogue)} "
                        f"(silver tables: {', '.join(known) or 'none'})")))
    return problems


def secret_readers(data: dict[str, Any], env: EnvironmentValues) -> set[str]:
    """Who has READ on `env`'s secret scope (stacks.environment_stack gives it to ResolvedEnvironment's
    run_as_principals): the environment's run_as and each batch connector's run_as for it."""
    readers = {env.values["run_as"]} if isinstance(env.values.get("run_as"), str) else set()
    for connector in connector_entries(data):
        if isinstance(connector, dict) and connector.get("kind", "batch") == "batch":
            run_as = connector.get("run_as")
            if isinstance(run_as, dict) and isinstance(run_as.get(env.name), str):
                readers.add(run_as[env.name])
    return readers


def secret_reference_problems(settings: dict[str, Any], env: EnvironmentValues, readers: set[str],
                              others: set[str]) -> list[tuple[FieldPath, str]]:
    """Each {{secrets/<scope>/<key>}} of a cluster's spark_conf or spark_env_vars reads the environment's own
    scope, as an identity with READ on it: otherwise the cluster fails to start. Another environment's scope
    (`others`) has its own message (identities.job_problems)."""
    scope = env.values.get("secret_scope")
    run_as = settings.get("run_as")
    principal = (run_as.get("service_principal_name") if isinstance(run_as, dict) and "service_principal_name"
                 in run_as else env.values.get("run_as"))
    problems: list[tuple[FieldPath, str]] = []
    for path, read_scope, key in secret_references(settings):
        reference = f"{{{{secrets/{read_scope}/{key}}}}}"
        if read_scope in others - {scope}:
            continue
        if read_scope != scope:
            problems.append((path, f"{reference} reads secret scope '{read_scope}', not {env.name}'s scope '{scope}', "
                                   "the only one its jobs have READ on; write "
                                   f"{{{{secrets/${{env.secret_scope}}/{key}}}}}"))
        elif principal not in readers:
            problems.append((path, f"{reference}: the job runs as {redact(principal)}, which has no READ on "
                                   f"secret scope '{scope}' (READ goes to {env.name}'s run_as and its batch "
                                   "connectors' run_as); run the job as one of them, e.g. ${env.run_as}"))
    return problems
