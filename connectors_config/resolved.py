"""The config as one environment's stack sees it: defaults applied, overrides merged, lists sorted."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, TypeAlias

from connectors_config import names, personal
from connectors_config.environment import environment_values
from connectors_config.jobs_substitute import references, substitute
from connectors_config.jobs_types import DROPPED_SETTINGS, Catalogue, EnvironmentValues, Origin
from connectors_config.model import (
    Backend,
    BatchConnector,
    Compute,
    Environment,
    IngestedObject,
    LakeflowConnectConnector,
    PlatformConfig,
    Retries,
    TableOptions,
    Workspace,
)
from core.principals import BROAD_GROUPS
from policy.suppressions import Suppression


@dataclass(frozen=True)
class ResolvedConnector:
    """A batch connector: its job runs the ingest and transform notebooks."""

    name: str
    schedule: str
    timezone: str
    schedule_paused: bool
    run_as: str
    source: str  # the source code it runs: notebooks/source_<source>.py
    settings_json: str  # the source's non-secret settings, as canonical JSON for a notebook parameter
    initial_mark: str  # ISO 8601 UTC ('2024-01-01T00:00:00Z'); '' for the source's whole history
    secrets: tuple[str, ...]
    retries: Retries
    compute: Compute
    timeout_seconds: int | None
    notify_on_failure: tuple[str, ...]
    operator_groups: tuple[str, ...]  # may view, run and cancel the job (the team and the connector's owners)
    tags: tuple[tuple[str, str], ...]
    description: str | None
    group: str | None = None  # its deploy group: it deploys in stack '<env>-<group>'; None: in the env's stack
    duration_warning_seconds: int | None = None  # a longer run is reported, not stopped; None: never
    renamed_from: str | None = None  # the name it was deployed under before: its resources move from there


@dataclass(frozen=True)
class ResolvedIngestedObject:
    """One source table or schema, with its destination in the environment's catalog."""

    kind: str  # 'table' or 'schema'
    source: str  # the source table, or the source schema for kind 'schema'
    source_schema: str | None  # kind 'table': the schema the table is in at the source
    destination_schema: str
    destination_table: str | None  # kind 'table': None keeps the source's name
    scd_type: str | None
    primary_keys: tuple[str, ...]
    sequence_by: tuple[str, ...]
    include_columns: tuple[str, ...]
    exclude_columns: tuple[str, ...]


@dataclass(frozen=True)
class ResolvedManagedConnector:
    """A lakeflow_connect connector: Databricks' managed connector ingests it, in a pipeline a job schedules."""

    name: str
    schedule: str
    timezone: str
    schedule_paused: bool
    run_as: str
    connection: str
    destination_schema: str  # also where the pipeline keeps its event log
    objects: tuple[ResolvedIngestedObject, ...]  # in the order of connectors.yaml
    channel: Literal["CURRENT", "PREVIEW"]
    development: bool
    # False only where the environment does not protect data, or the config acknowledges the loss.
    prevent_destroy: bool
    data_loss_acknowledged: str | None  # the reason, where the config acknowledges replacing the pipeline
    retries: Retries
    timeout_seconds: int | None
    notify_on_failure: tuple[str, ...]
    operator_groups: tuple[str, ...]
    tags: tuple[tuple[str, str], ...]
    description: str | None
    group: str | None = None  # as ResolvedConnector.group
    duration_warning_seconds: int | None = None  # as ResolvedConnector.duration_warning_seconds
    renamed_from: str | None = None  # as ResolvedConnector.renamed_from

    @property
    def destination_schemas(self) -> tuple[str, ...]:
        return tuple(sorted({self.destination_schema, *(o.destination_schema for o in self.objects)}))


@dataclass(frozen=True)
class ResolvedJob:
    """A job of the `jobs` section for one environment: its Jobs API settings with `${...}` substituted and
    JobRef / PipelineRef / UploadRef markers where the stack puts the ids and paths of its own resources."""

    key: str
    level: str | None
    settings: dict[str, Any]
    run_as: str  # the environment's, unless the settings name their own run_as
    paused: bool
    notify_on_failure: tuple[str, ...]
    admin_group: str  # may manage the job
    operator_groups: tuple[str, ...]  # may view, run and cancel it
    tags: tuple[tuple[str, str], ...]
    runs_jobs: tuple[str, ...]  # keys of the jobs and connectors it runs
    group: str | None = None  # as ResolvedConnector.group
    renamed_from: str | None = None  # the key it was deployed under before: its resources move from there


# What the stacks and `operations` loop over: a connector of either kind, and anything that deploys a job of its
# own (name, deploy group, operator groups...).
AnyConnector: TypeAlias = ResolvedConnector | ResolvedManagedConnector
Workload: TypeAlias = ResolvedConnector | ResolvedManagedConnector | ResolvedJob


@dataclass(frozen=True)
class ResolvedMonitoring:
    """Where and when the environment's monitoring runs, and whom its alert notifies."""

    warehouse_id: str
    workspace_id: str  # the system table's workspace_id of this environment's workspace
    schedule: str  # Quartz
    timezone: str
    paused: bool
    recipients: tuple[str, ...]  # the environment's on_failure recipients, sorted


@dataclass(frozen=True)
class ResolvedEnvironment:
    name: str
    catalog: str
    workspace: Workspace
    workspace_dir: str
    run_as: str
    admin_group: str
    team_group: str
    readers_group: str | None
    secret_scope: str
    bronze_schema: str
    silver_schema: str
    gold_schema: str
    protect_data: bool
    backend: Backend | None
    connectors: tuple[ResolvedConnector, ...]  # batch connectors, sorted by name
    managed_connectors: tuple[ResolvedManagedConnector, ...]  # lakeflow_connect connectors, sorted by name
    jobs: tuple[ResolvedJob, ...] = ()  # the `jobs` section, each after the jobs it runs, else by key
    # The policy pack's: this environment's suppressions (by resource path), and broad group names in lower case.
    suppressions: tuple[Suppression, ...] = ()
    broad_groups: frozenset[str] = BROAD_GROUPS
    monitoring: ResolvedMonitoring | None = None  # None: the stack deploys no monitoring
    confirm_backfill: bool = True  # `operations backfill` asks before it starts one
    # A personal target (connectors_config.personal): the environment it derives from, whose stack manages what
    # they share (the secret scope and its ACLs, the catalog's and connections' grants), and whose values the
    # policy's cross-environment check counts as its own. None: an environment of the config.
    personal_of: str | None = None
    name_prefix: str = ""  # before every job and pipeline name: a personal target's '[dev alice] '

    @property
    def all_connectors(self) -> tuple[AnyConnector, ...]:
        """The batch connectors, then the managed ones."""
        return (*self.connectors, *self.managed_connectors)

    @property
    def workloads(self) -> tuple[Workload, ...]:
        """Everything that deploys a job of its own: the connectors of both kinds, then the `jobs` section."""
        return (*self.all_connectors, *self.jobs)

    @property
    def groups(self) -> tuple[str, ...]:
        """The deploy groups, sorted: each a stack '<env>-<group>' beside this environment's shared stack. Empty:
        one stack holds everything (the config's check makes groups all or none)."""
        return tuple(sorted({w.group for w in self.workloads if w.group is not None}))

    @property
    def run_as_principals(self) -> tuple[str, ...]:
        """Every identity a batch connector of this environment runs as, each once: the identities that read
        secrets and notebooks and write bronze and silver (managed connectors need none of that)."""
        return tuple(sorted({self.run_as, *(c.run_as for c in self.connectors)}))


def resolve(config: PlatformConfig, env_name: str, user: str | None = None) -> ResolvedEnvironment:
    """Environment `env_name` of the config; with `user` (a checked personal.user_name), that user's personal
    target of it (see connectors_config.personal)."""
    env = config.environments[env_name]
    resolved = ResolvedEnvironment(
        **_values(config, env_name, user),
        workspace=env.workspace,
        protect_data=env.protect_data,
        backend=env.backend,
        connectors=tuple(_connector(config, env_name, env, c) for c in _sorted(config, BatchConnector)),
        managed_connectors=tuple(_managed(config, env_name, env, c) for c in _sorted(config, LakeflowConnectConnector)),
        jobs=_jobs(config, env_name, env, user),
        suppressions=tuple(sorted(
            Suppression(item.resource, item.rule, item.reason, f"policy.suppressions[{index}]")
            for index, item in enumerate(config.policy.suppressions)
            if _stack_of(item.resource) in {env_name, *(f"{env_name}-{g}" for g in _groups(config))})),
        broad_groups=BROAD_GROUPS | {group.strip().lower() for group in config.policy.broad_groups},
        monitoring=_monitoring(config, env),
        confirm_backfill=env.confirm_backfill,
    )
    return resolved if user is None else _personal(resolved, user)


def personal_targets(config: PlatformConfig, user: str) -> tuple[ResolvedEnvironment, ...]:
    """`user`'s personal target of each environment with `personal_targets: true`, by environment name. Raises
    personal.PersonalTargetError if no environment has one, or if a target's stack would have the name of a
    stack the config already has."""
    opted = sorted(name for name, env in config.environments.items() if env.personal_targets)
    if not opted:
        raise personal.PersonalTargetError(
            f"{personal.DEV_USER_ENV_VAR}={user}: no environment of the config has `personal_targets: true`; set it "
            f"on your development environment (docs/configuration.md), or unset {personal.DEV_USER_ENV_VAR} for "
            "the shared environments only")
    stacks = [*config.environments, *(f"{env}-{group}" for env in config.environments for group in _groups(config))]
    targets = tuple(resolve(config, env_name, user) for env_name in opted)
    for target in targets:
        assert target.personal_of is not None
        personal.check_stack_names([target.name], target.personal_of, stacks)
    return targets


def _personal(env: ResolvedEnvironment, user: str) -> ResolvedEnvironment:
    """`user`'s personal target of `env`, whose `${env.*}` values are already the target's (personal_values)."""
    stack = personal.personal_stack_name(env.name, user)
    prefix = personal.name_prefix(env.name, user)

    def schema(name: str) -> str:
        return personal.schema_name(user, name)

    return replace(
        env, name=stack, personal_of=env.name, name_prefix=prefix,
        backend=personal.personal_backend(env.backend, user),
        # one stack, even where the environment has deploy groups; everything paused, whatever the environment says
        connectors=tuple(replace(c, schedule_paused=True, group=None) for c in env.connectors),
        managed_connectors=tuple(replace(
            c, schedule_paused=True, group=None, development=True, destination_schema=schema(c.destination_schema),
            objects=tuple(replace(o, destination_schema=schema(o.destination_schema)) for o in c.objects))
            for c in env.managed_connectors),
        jobs=tuple(replace(j, paused=True, group=None, settings={**j.settings, "name": prefix + j.settings["name"]})
                   for j in env.jobs),
        # the environment's reviewed suppressions hold for the same resources here (construct ids below a stack
        # are the same in a deploy group's stack and in one stack)
        suppressions=tuple(sorted(replace(s, resource=f"{stack}/{s.resource.partition('/')[2]}")
                                  for s in env.suppressions)),
        monitoring=replace(env.monitoring, paused=True) if env.monitoring is not None else None,
    )


def _monitoring(config: PlatformConfig, env: Environment) -> ResolvedMonitoring | None:
    monitoring = env.monitoring
    if monitoring is None:
        return None
    workspace_id = monitoring.workspace_id or names.workspace_id_of(env.workspace.host)
    assert workspace_id is not None  # the loader's cross-field check requires one
    return ResolvedMonitoring(
        warehouse_id=monitoring.warehouse_id, workspace_id=workspace_id, schedule=monitoring.schedule,
        timezone=config.defaults.timezone, paused=env.schedules_paused,
        recipients=tuple(sorted(set(env.notifications.on_failure))))


def _values(config: PlatformConfig, env_name: str, user: str | None = None) -> dict[str, Any]:
    """The environment's `${env.*}` values: the same resolver the jobs section's substitution reads; with `user`,
    those of the user's personal target."""
    values = environment_values(env_name, config.environments[env_name].model_dump(), config.defaults.model_dump())
    return values if user is None else personal.personal_values(values, user)


def _stack_of(resource: str) -> str:
    return resource.split("/", 1)[0]


def _groups(config: PlatformConfig) -> set[str]:
    return {w.deploy_group for w in (*config.connectors, *config.jobs.values()) if w.deploy_group is not None}


def _jobs(config: PlatformConfig, env_name: str, env: Environment, user: str | None) -> tuple[ResolvedJob, ...]:
    environment = EnvironmentValues(env_name, _values(config, env_name, user), dict(env.variables))
    catalogue = Catalogue(jobs=frozenset(config.jobs), connectors=frozenset(c.name for c in config.connectors),
                               pipelines=frozenset(c.name for c in config.connectors
                                                   if isinstance(c, LakeflowConnectConnector)),
                               batch=tuple(sorted((c.name, c.source or c.name) for c in config.connectors
                                                  if isinstance(c, BatchConnector))))
    resolved = {}
    for key, job in sorted(config.jobs.items()):
        origin = Origin(job.origin, {}, (), Path(job.directory))
        settings, problems = substitute(copy.deepcopy(job.settings), environment, catalogue, origin)
        assert not problems, problems  # the loader reported them; a config with problems never gets here
        settings = {field: value for field, value in settings.items() if field not in DROPPED_SETTINGS}
        settings.setdefault("name", key)
        runs = tuple(sorted(references(settings)))
        tags = {**env.tags, "environment": env_name, "managed_by": "connector-platform",
                **({"job_level": job.job_level} if job.job_level else {})}
        resolved[key] = ResolvedJob(
            key=key, level=job.job_level, settings=settings, run_as=env.run_as, paused=env.schedules_paused,
            notify_on_failure=tuple(sorted(set(env.notifications.on_failure))), admin_group=env.admin_group,
            operator_groups=tuple(sorted({env.team_group} - {env.admin_group})), tags=tuple(sorted(tags.items())),
            runs_jobs=runs, group=job.deploy_group, renamed_from=job.renamed_from,
        )
    return tuple(_dependency_order(resolved))


def _dependency_order(resolved: dict[str, ResolvedJob]) -> list[ResolvedJob]:
    """Each job after the jobs it runs (the loader rejected cycles), otherwise by key: deterministic."""
    ordered: list[ResolvedJob] = []
    placed: set[str] = set()

    def place(key: str) -> None:
        if key in placed or key not in resolved:
            return
        placed.add(key)
        for dependency in resolved[key].runs_jobs:
            place(dependency)
        ordered.append(resolved[key])

    for key in sorted(resolved):
        place(key)
    return ordered


def _sorted(config: PlatformConfig, kind: type) -> list:
    return sorted((c for c in config.connectors if isinstance(c, kind)), key=lambda c: c.name)


def _operated(config: PlatformConfig, env_name: str, env: Environment,
              connector: BatchConnector | LakeflowConnectConnector) -> dict:
    """What both kinds of connector resolve alike: cadence, identity, alerts, operators, tags."""
    extra_recipients = connector.notifications.on_failure if connector.notifications else ()
    tags = {**env.tags, **connector.tags, "source": connector.name, "environment": env_name,
            "managed_by": "connector-platform"}
    if config.job_hierarchy:  # a connector's job is atomic: it runs its notebooks or its pipeline
        tags["job_level"] = "atomic"
    return dict(
        name=connector.name,
        schedule=connector.schedule,
        timezone=config.defaults.timezone,
        schedule_paused=env.schedules_paused,
        run_as=connector.run_as.get(env_name, env.run_as),
        timeout_seconds=(connector.timeout_seconds if connector.timeout_seconds is not None
                         else config.defaults.timeout_seconds),
        notify_on_failure=tuple(sorted({*env.notifications.on_failure, *extra_recipients})),
        operator_groups=tuple(sorted({env.team_group, *connector.owners} - {env.admin_group})),
        tags=tuple(sorted(tags.items())),
        description=connector.description,
        group=connector.deploy_group,
        renamed_from=connector.renamed_from,
        duration_warning_seconds=(connector.duration_warning_seconds if connector.duration_warning_seconds
                                  is not None else config.defaults.duration_warning_seconds),
    )


def _managed(config: PlatformConfig, env_name: str, env: Environment,
             connector: LakeflowConnectConnector) -> ResolvedManagedConnector:
    acknowledgement = connector.acknowledge_data_loss.get(env_name)
    return ResolvedManagedConnector(
        **_operated(config, env_name, env, connector),
        connection=connector.connection[env_name],
        destination_schema=connector.destination_schema,
        objects=tuple(ResolvedIngestedObject(
            kind="table" if item.table is not None else "schema",
            source=_source_of(item),
            source_schema=(item.source_schema or connector.source_schema) if item.table is not None else None,
            destination_schema=item.destination_schema or connector.destination_schema,
            destination_table=item.destination_table,
            **{option: getattr(item, option) for option in TableOptions.model_fields},
        ) for item in connector.objects),
        channel=connector.channel,
        development=env.development_mode,
        prevent_destroy=env.protect_data and acknowledgement is None,
        data_loss_acknowledged=acknowledgement.reason if acknowledgement is not None else None,
        # The template's retries: a managed connector has no per-connector override (nothing of it is ours to
        # tune but the cadence).
        retries=config.defaults.retries,
    )


def _source_of(item: IngestedObject) -> str:
    """The source table, or for a whole schema the source schema."""
    source = item.table if item.table is not None else item.schema_
    assert source is not None  # the model's check: an object names exactly one of table and schema
    return source


def _connector(config: PlatformConfig, env_name: str, env: Environment, connector: BatchConnector) -> ResolvedConnector:
    defaults = config.defaults
    retries = defaults.retries
    if connector.retries is not None:
        retries = retries.model_copy(update=connector.retries.model_dump(exclude_none=True))
    compute = defaults.compute
    if connector.compute is not None:
        compute = compute.model_copy(update=connector.compute.model_dump(exclude_none=True))
    return ResolvedConnector(
        **_operated(config, env_name, env, connector),
        source=connector.source or connector.name,
        settings_json=json.dumps(connector.settings, sort_keys=True, separators=(",", ":")),
        initial_mark=connector.initial_mark.strftime("%Y-%m-%dT%H:%M:%SZ") if connector.initial_mark else "",
        secrets=tuple(sorted(set(connector.secrets))),
        retries=retries,
        compute=compute,
    )
