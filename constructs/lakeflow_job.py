"""LakeflowJob: any Lakeflow Job the Jobs API can express, written in the API's own field names, deployed the
platform's way.

The job's settings are a Jobs API job settings object, exactly as `databricks jobs get`, the Jobs UI's
"View as JSON" or a bundle's `resources.jobs.<key>` spell it: every trigger, task type, control-flow task,
parameter, notification, compute and git source. `core.provider_job_shape` maps it onto the provider's blocks,
written as plain attributes (constructs/plain_resources.py). What this
construct adds, each the safe default a reviewer expects (and nothing else is changed):

- run_as: the given service principal, unless the settings name their own run_as; never whoever deploys.
- paused (default): every schedule, trigger and continuous run is written PAUSED, whatever the settings say,
  so an environment where schedules are paused starts nothing by itself. Not paused: the settings' own
  pause status, written out as UNPAUSED where they have none (the provider's default, made visible).
- notify_on_failure: added to the settings' `email_notifications.on_failure` (sorted, each once).
- tags: added to the settings' tags (these win on a clash, e.g. `job_level`).
- tasks are written sorted by task_key: the provider stores them so, and any other order is a permanent diff
  (errors still name a task by its place in the settings).
- permissions (the settings' bundle-style `permissions`, plus `access`) become a `databricks_permissions`
  resource; a principal named twice keeps its highest level.
- owner: exactly one IS_OWNER, never a group. Default: the principal the job runs as (the settings' own run_as,
  a service principal or a user, else the given service principal), unless `access` or the settings'
  permissions name the owner; otherwise Databricks would make whoever deploys the owner.
- lifecycle.prevent_destroy (bundle-style), or `prevent_destroy`, becomes Terraform's lifecycle.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from constructs import Construct

from constructs.access_control import access_control
from constructs.plain_resources import PlainResource, resource
from core.job_settings import settings_problems
from core.provider_job_shape import format_path, job_attributes
from core.principals import JOB_PERMISSION_LEVELS, PERMISSION_RANK, PRINCIPAL_KEYS, Principal

JobPermissionLevel = Literal["CAN_VIEW", "CAN_MANAGE_RUN", "CAN_MANAGE", "IS_OWNER"]
TRIGGERS = ("schedule", "trigger", "continuous")
_UNRESOLVED = re.compile(r"\$\{(?!TfToken\[)")


@dataclass(frozen=True, order=True)
class JobAccess:
    principal: Principal
    level: JobPermissionLevel


@dataclass(frozen=True, kw_only=True)
class LakeflowJobProps:
    # A Jobs API job settings object (API field names: tasks, job_clusters, parameters...). Values may be
    # cdktf tokens, e.g. another job's id in a run_job_task.
    settings: Mapping[str, Any]
    # Application ID of the service principal the job runs as, unless `settings` has its own run_as.
    run_as_service_principal: str
    # Who may do what with the job, besides the settings' own `permissions`; someone must manage it.
    access: tuple[JobAccess, ...]
    # Safe by default: every schedule, trigger and continuous run is written PAUSED.
    paused: bool = True
    # Added to the settings' on-failure e-mails, so no job of the platform fails unnoticed.
    notify_on_failure: tuple[str, ...] = ()
    # Added to the settings' tags; these win on a clash.
    tags: tuple[tuple[str, str], ...] = ()
    # Default: the job may be destroyed (it holds no data); the settings' lifecycle.prevent_destroy also sets it.
    prevent_destroy: bool = False

    def __post_init__(self) -> None:
        settings = self.settings
        problems = []
        if not isinstance(settings.get("name"), str) or not settings["name"]:
            problems.append("settings.name must name the job")
        tasks = settings.get("tasks")
        if not tasks or not all(isinstance(t, Mapping) and isinstance(t.get("task_key"), str) for t in tasks):
            problems.append("settings.tasks must hold at least one task, each with a task_key")
        if not self.run_as_service_principal and "run_as" not in settings:
            problems.append("run_as_service_principal must not be empty")
        permission_problems = _permission_problems(settings.get("permissions"))
        problems += permission_problems
        problems += [f"settings.{format_path(path)}: {value!r} is not substituted; resolve ${{...}} before the "
                     "job is built (Terraform would read it as its own interpolation)"
                     for path, value in _unsubstituted(settings)]
        problems += [f"settings.{format_path(path)}: {message}" for path, message in settings_problems(settings)]
        if not permission_problems:
            owners = sorted(p for p, level in self.permission_levels().items() if level == "IS_OWNER")
            if len(owners) > 1:
                problems.append(f"a job has exactly one owner; IS_OWNER is given to {_names(owners)}: keep one and "
                                "give the others CAN_MANAGE")
            problems += [f"IS_OWNER for group '{p.name}': a job's owner is a user or service principal; give the "
                         "group CAN_MANAGE" for p in owners if p.kind == "group"]
            if "CAN_MANAGE" not in self.permission_levels().values():
                problems.append("access must give someone CAN_MANAGE, or nobody but its owner can fix the job")
        if problems:
            raise ValueError(f"LakeflowJobProps for '{settings.get('name')}': " + "; ".join(problems))

    def permission_levels(self) -> dict[Principal, str]:
        """Every principal with its highest level, from `access` and the settings' own permissions."""
        granted = [(a.principal, a.level) for a in self.access]
        for entry in self.settings.get("permissions") or ():
            key = next(key for key in PRINCIPAL_KEYS if key in entry)
            granted.append((Principal(PRINCIPAL_KEYS[key], entry[key]), entry["level"]))
        runner = self.runner()
        if not any(level == "IS_OWNER" for _, level in granted) and runner is not None:
            granted.append((runner, "IS_OWNER"))
        levels: dict[Principal, str] = {}
        for principal, level in granted:
            if PERMISSION_RANK[level] >= PERMISSION_RANK.get(levels.get(principal, ""), -1):
                levels[principal] = level
        return levels

    def runner(self) -> Principal | None:
        """The principal the job runs as: the settings' own run_as (a service principal or a user), else
        `run_as_service_principal`; the job's owner unless `access` or the permissions name one."""
        run_as = self.settings.get("run_as")
        if isinstance(run_as, Mapping):
            for key, kind in PRINCIPAL_KEYS.items():
                if kind != "group" and isinstance(run_as.get(key), str) and run_as[key]:
                    return Principal(kind, run_as[key])
        return Principal.service_principal(self.run_as_service_principal) if self.run_as_service_principal else None

    def job_settings(self) -> dict[str, Any]:
        """The settings with the platform's defaults applied (see the module docstring), in API names."""
        settings = {key: value for key, value in self.settings.items() if value is not None}
        settings.setdefault("run_as", {"service_principal_name": self.run_as_service_principal})
        for trigger in TRIGGERS:
            if trigger in settings:
                own = settings[trigger].get("pause_status") or "UNPAUSED"
                settings[trigger] = {**settings[trigger], "pause_status": "PAUSED" if self.paused else own}
        emails = dict(settings.get("email_notifications") or {})
        on_failure = sorted({*(emails.get("on_failure") or ()), *self.notify_on_failure})
        if on_failure:
            settings["email_notifications"] = {**emails, "on_failure": on_failure}
        tags = {**(settings.get("tags") or {}), **dict(self.tags)}
        if tags or "tags" in settings:
            settings["tags"] = dict(sorted(tags.items()))
        return settings

    @property
    def protected(self) -> bool:
        return self.prevent_destroy or bool((self.settings.get("lifecycle") or {}).get("prevent_destroy"))


def _names(principals: list[Principal]) -> str:
    return ", ".join(f"'{p.name}'" for p in principals)


def _permission_problems(permissions: Any) -> list[str]:
    if permissions is None:
        return []
    if not isinstance(permissions, (list, tuple)):
        return ["settings.permissions must be a list of {level, group_name | user_name | service_principal_name}"]
    problems = []
    for index, entry in enumerate(permissions):
        keys = [key for key in PRINCIPAL_KEYS if isinstance(entry, Mapping) and key in entry]
        if len(keys) != 1:
            problems.append(f"settings.permissions[{index}] must name exactly one of group_name, user_name, "
                            "service_principal_name")
        elif entry.get("level") not in JOB_PERMISSION_LEVELS:
            problems.append(f"settings.permissions[{index}].level {entry.get('level')!r} is not one of: "
                            f"{', '.join(JOB_PERMISSION_LEVELS)}")
    return problems


def _unsubstituted(value: Any, path: tuple = ()) -> list[tuple[tuple, str]]:
    """Strings with a `${...}` that is not a cdktf token: a bundle variable or reference nobody resolved."""
    if isinstance(value, str):
        return [(path, value)] if _UNRESOLVED.search(value) else []
    if isinstance(value, Mapping):
        return [found for key, item in value.items() for found in _unsubstituted(item, path + (key,))]
    if isinstance(value, (list, tuple)):
        return [found for index, item in enumerate(value) for found in _unsubstituted(item, path + (index,))]
    return []


def add_job(scope: Construct, props: LakeflowJobProps) -> tuple[PlainResource, PlainResource]:
    """The job (construct id 'job', a `databricks_job`) and its permissions ('permissions', a
    `databricks_permissions`), added to `scope`: LakeflowJob's children, and those of constructs that own a job
    beside other resources (ConnectorPipeline)."""
    arguments = job_attributes(props.job_settings())
    arguments["task"] = sorted(arguments["task"], key=lambda task: task["task_key"])
    job = resource(scope, "job", "databricks_job", arguments, prevent_destroy=props.protected)
    levels = props.permission_levels()
    ordered = sorted(levels, key=lambda principal: (-PERMISSION_RANK[levels[principal]], principal))
    permissions = resource(scope, "permissions", "databricks_permissions", {
        "job_id": job.id,
        "access_control": [access_control(principal, levels[principal]) for principal in ordered],
    })
    return job, permissions


class LakeflowJob(Construct):
    """Any Lakeflow Job. Construct ids: 'job', 'permissions'."""

    def __init__(self, scope: Construct, id: str, *, props: LakeflowJobProps) -> None:
        super().__init__(scope, id)
        self.props = props
        self.job, self.permissions = add_job(self, props)
