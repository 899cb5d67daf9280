"""The config as one environment's stack sees it: defaults applied, overrides merged, lists sorted."""

from __future__ import annotations

from dataclasses import dataclass

from connectors_config.model import Backend, Compute, Connector, Environment, PlatformConfig, Retries, Workspace


@dataclass(frozen=True)
class ResolvedConnector:
    name: str
    schedule: str
    timezone: str
    schedule_paused: bool
    run_as: str
    secrets: tuple[str, ...]
    retries: Retries
    compute: Compute
    timeout_seconds: int | None
    notify_on_failure: tuple[str, ...]
    operator_groups: tuple[str, ...]  # may view, run and cancel the job (the team and the connector's owners)
    tags: tuple[tuple[str, str], ...]
    description: str | None


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
    protect_data: bool
    backend: Backend | None
    connectors: tuple[ResolvedConnector, ...]  # sorted by name

    @property
    def run_as_principals(self) -> tuple[str, ...]:
        """Every identity a job of this environment runs as, each once."""
        return tuple(sorted({self.run_as, *(c.run_as for c in self.connectors)}))


def resolve(config: PlatformConfig, env_name: str) -> ResolvedEnvironment:
    env = config.environments[env_name]
    return ResolvedEnvironment(
        name=env_name,
        catalog=env.catalog,
        workspace=env.workspace,
        workspace_dir=env.workspace_dir,
        run_as=env.run_as,
        admin_group=env.admin_group,
        team_group=env.team_group,
        readers_group=env.readers_group,
        secret_scope=env.secret_scope or config.defaults.secret_scope,
        bronze_schema=config.defaults.bronze_schema,
        silver_schema=config.defaults.silver_schema,
        protect_data=env.protect_data,
        backend=env.backend,
        connectors=tuple(_connector(config, env_name, env, c) for c in sorted(config.connectors, key=lambda c: c.name)),
    )


def _connector(config: PlatformConfig, env_name: str, env: Environment, connector: Connector) -> ResolvedConnector:
    defaults = config.defaults
    retries = defaults.retries
    if connector.retries is not None:
        retries = retries.model_copy(update=connector.retries.model_dump(exclude_none=True))
    compute = defaults.compute
    if connector.compute is not None:
        compute = compute.model_copy(update=connector.compute.model_dump(exclude_none=True))
    extra_recipients = connector.notifications.on_failure if connector.notifications else ()
    tags = {**env.tags, **connector.tags, "source": connector.name, "environment": env_name,
            "managed_by": "connector-platform"}
    return ResolvedConnector(
        name=connector.name,
        schedule=connector.schedule,
        timezone=defaults.timezone,
        schedule_paused=env.schedules_paused,
        run_as=connector.run_as.get(env_name, env.run_as),
        secrets=tuple(sorted(set(connector.secrets))),
        retries=retries,
        compute=compute,
        timeout_seconds=connector.timeout_seconds if connector.timeout_seconds is not None else defaults.timeout_seconds,
        notify_on_failure=tuple(sorted({*env.notifications.on_failure, *extra_recipients})),
        operator_groups=tuple(sorted({env.team_group, *connector.owners} - {env.admin_group})),
        tags=tuple(sorted(tags.items())),
        description=connector.description,
    )
