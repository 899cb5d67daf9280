"""EnvironmentStack: everything one environment of connectors.yaml deploys, in one Terraform stack.

The provider and backend come from the environment's config; the constructs below are the same for every
environment, so dev and prod differ only by the data in connectors.yaml.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from core.toolchain import AzurermBackend, GcsBackend, LocalBackend, S3Backend, TerraformStack
from constructs import Construct

from connectors_config import ResolvedConnector, ResolvedEnvironment, ResolvedManagedConnector, ResolvedMonitoring
from connectors_config.resolved import AnyConnector, ResolvedJob
from connectors_config.jobs_types import JobRef, PipelineRef, UploadRef
from connectors_config.personal import state_key
from core.quartz import cadence
from constructs.connector_job import ConnectorJob, ConnectorJobProps, JobClusterSpec, RetryPolicy
from constructs.connector_operations import DURATION_METRIC
from constructs.job_monitoring import JobMonitoring, JobMonitoringProps, MonitoredJob
from constructs.connector_pipeline import ConnectorPipeline, ConnectorPipelineProps, IngestedObject
from constructs.lakeflow_job import JobAccess, LakeflowJob, LakeflowJobProps
from constructs.plain_resources import PlainProvider, PlainResource
from constructs.medallion_catalog import ManagedIngestionAccess, MedallionCatalog, MedallionCatalogProps
from core.principals import Principal
from constructs.secret_scope_access import SecretScopeAccess, SecretScopeAccessProps
from constructs.workspace_notebooks import WorkspaceNotebooks, WorkspaceNotebooksProps
from policy import EnvironmentFacts, PolicyContext, Suppression
from policy.aspect import PolicyPack, PolicyProps
from stacks.renames import move_from

INGEST_NOTEBOOK = "ingest_entry"
TRANSFORM_NOTEBOOK = "transform_entry"


def local_state_path(env_name: str) -> str:
    """Relative to the stack's working directory (cdktf.out/stacks/<env>): the project root. Never absolute,
    so the synthesized JSON is the same in every checkout (cdktf's default would embed the absolute path)."""
    return f"../../../terraform.{env_name}.tfstate"


def environment_facts(env: ResolvedEnvironment) -> EnvironmentFacts:
    """What identifies `env`, for the policy pack's check that no other stack refers to it: every principal it
    runs anything as (its run_as, connectors' per-environment run_as, the `jobs` section's own run_as), its
    admin and team groups."""
    job_principals = {job.settings["run_as"]["service_principal_name"] for job in env.jobs
                      if isinstance(job.settings.get("run_as"), dict)
                      and isinstance(job.settings["run_as"].get("service_principal_name"), str)}
    return EnvironmentFacts(
        name=env.name, catalog=env.catalog, secret_scope=env.secret_scope, workspace_dir=env.workspace_dir,
        host=env.workspace.host,
        principals=tuple(sorted({*env.run_as_principals, *(c.run_as for c in env.managed_connectors),
                                 *job_principals})),
        connections=tuple(sorted({c.connection for c in env.managed_connectors})),
        run_as=env.run_as,
        groups=tuple(sorted({env.admin_group, env.team_group})),
    )


class EnvironmentStack(TerraformStack):
    """One environment's stack: what the environment shares (the notebooks, the secret scope's ACLs, the catalog's
    schemas and grants) and, unless the config has deploy groups, every workload (connector jobs, managed
    connectors' pipelines, the `jobs` section). With deploy groups each group's workloads are a GroupStack of their
    own, and this stack keeps only what they share. The policy pack (`self.policy`) checks it on every synth.
    `others`: the other environments of the config, which this stack must never refer to."""

    def __init__(self, scope: Construct, id: str, *, environment: ResolvedEnvironment, notebooks_dir: Path,
                 others: tuple[ResolvedEnvironment, ...] = ()) -> None:
        super().__init__(scope, id)
        env = environment
        _provider_and_backend(self, env)

        admins = Principal.group(env.admin_group)
        runners = tuple(Principal.service_principal(p) for p in env.run_as_principals)
        self.notebooks = WorkspaceNotebooks(self, "notebooks", props=WorkspaceNotebooksProps(
            source_dir=notebooks_dir,
            workspace_dir=env.workspace_dir,
            managers=(admins,),
            readers=tuple(Principal.group(g) for g in sorted({g for c in env.connectors for g in c.operator_groups})),
            runners=runners,
        ))
        # A personal target reads the environment's scope, whose stack manages it and its ACLs (one identity each:
        # two states managing them would revoke each other's on destroy).
        self.secrets = SecretScopeAccess(self, "secrets", props=SecretScopeAccessProps(
            scope_name=env.secret_scope,
            readers=env.run_as_principals,
            managers=(env.admin_group,),
            prevent_destroy=env.protect_data,
        )) if env.personal_of is None else None
        self.catalog = MedallionCatalog(self, "catalog", props=MedallionCatalogProps(
            catalog=env.catalog,
            bronze_schema=env.bronze_schema,
            silver_schema=env.silver_schema,
            gold_schema=env.gold_schema if env.jobs else None,
            writers=env.run_as_principals,
            readers_group=env.readers_group,
            managed_ingestion=tuple(_ingestion_access(c) for c in env.managed_connectors),
            prevent_destroy=env.protect_data,
            grant_shared_securables=env.personal_of is None,
        ))
        # Each key of the `jobs` section and each connector name -> the construct that owns its job: what job
        # settings refer to as ${resources.jobs.<key>.id}, in whichever of the environment's stacks it is.
        self.registry: dict[str, LakeflowJob | ConnectorPipeline] = {}
        self.workloads = None if env.groups else Workloads(self, env, shared=self)
        self.policy = _policy_pack(self, env, others, self.workloads)


class GroupStack(TerraformStack):
    """One deploy group of one environment, stack '<env>-<group>': its connectors' jobs and pipelines and its jobs
    of the `jobs` section, with a state of its own, so `cdktf deploy <env>-<group>` plans and applies only them.
    Notebook paths and other groups' job ids come through cdktf's cross-stack references (an output of the stack
    that has the resource, read through terraform_remote_state here). Construct ids below the stack are those of
    the ungrouped stack, so a resource keeps its Terraform address when a connector moves between stacks."""

    def __init__(self, scope: Construct, id: str, *, environment: ResolvedEnvironment, group: str,
                 shared: EnvironmentStack, others: tuple[ResolvedEnvironment, ...] = ()) -> None:
        super().__init__(scope, id)
        env = environment
        _provider_and_backend(self, env, group=group)
        # Deployed after the shared stack: its pipelines need the schemas and grants there, which no reference
        # says (a depends_on cannot name a resource of another state).
        self.add_dependency(shared)
        self.workloads = Workloads(self, env, shared=shared, group=group)
        self.policy = _policy_pack(self, env, others, self.workloads)


class Workloads:
    """Adds an environment's workloads (or one deploy group's) to a stack: each connector's job (construct id:
    the connector's name), each managed connector's pipeline and job, and the `jobs` section (`jobs/<key>`),
    each job after the jobs it runs; a renamed one's resources move from their addresses under its old name. Job
    settings that refer to jobs, pipelines and uploads get those resources' ids and paths, from this stack or
    through cross-stack references."""

    def __init__(self, stack: TerraformStack, env: ResolvedEnvironment, *, shared: EnvironmentStack,
                 group: str | None = None) -> None:
        self.shared = shared
        self.local = stack is shared
        # Construct ids are the connector names, whatever the kind: names are unique across kinds.
        self.connector_jobs = {
            connector.name: ConnectorJob(stack, connector.name, props=self._job_props(env, connector))
            for connector in env.connectors if connector.group == group
        }
        self.connector_pipelines = {
            connector.name: ConnectorPipeline(stack, connector.name, props=self._pipeline_props(
                env, connector,
                # The first update must find its privileges (and, through them, its schemas) in place; from another
                # stack, the stack dependency orders them instead.
                waits_for=tuple(shared.catalog.grants_for(_ingestion_access(connector))) if self.local else ()))
            for connector in env.managed_connectors if connector.group == group
        }
        shared.registry.update({**self.connector_jobs, **self.connector_pipelines})
        here: dict[str, ConnectorJob | ConnectorPipeline] = {**self.connector_jobs, **self.connector_pipelines}
        for connector in env.all_connectors:
            if connector.renamed_from is not None and connector.name in here:
                move_from(stack, here[connector.name], connector.renamed_from)
        jobs_scope = Construct(stack, "jobs") if any(job.group == group for job in env.jobs) or self.local else None
        self.jobs: dict[str, LakeflowJob] = {}
        for job in env.jobs:
            if job.group != group:
                continue
            assert jobs_scope is not None  # made above for a stack with a job of the group
            self.jobs[job.key] = shared.registry[job.key] = LakeflowJob(jobs_scope, job.key, props=LakeflowJobProps(
                settings=self._bind(job.settings),
                run_as_service_principal=job.run_as,
                access=(JobAccess(Principal.group(job.admin_group), "CAN_MANAGE"),
                        *(JobAccess(Principal.group(g), "CAN_MANAGE_RUN") for g in job.operator_groups)),
                paused=job.paused,
                notify_on_failure=job.notify_on_failure,
                tags=job.tags,
            ))
            if job.renamed_from is not None:
                move_from(stack, self.jobs[job.key], job.renamed_from)
        self.monitoring = self._monitoring(stack, env, env.monitoring) if env.monitoring is not None else None
        # An acknowledged data loss lifts a pipeline's prevent_destroy: a suppression the config already reviewed.
        self.acknowledged = tuple(
            Suppression(self.connector_pipelines[c.name].pipeline.node.path, "CP-PREVENT-DESTROY",
                        f"data loss acknowledged in connectors.yaml: {c.data_loss_acknowledged}")
            for c in env.managed_connectors if c.name in self.connector_pipelines and c.data_loss_acknowledged)

    def _monitoring(self, stack: TerraformStack, env: ResolvedEnvironment,
                    monitoring: ResolvedMonitoring) -> JobMonitoring | None:
        """The alert and dashboard over exactly the jobs this stack deploys; none in a stack without jobs."""
        connectors: dict[str, ConnectorJob | ConnectorPipeline] = {**self.connector_jobs, **self.connector_pipelines}
        monitored = [
            *(MonitoredJob(name=_job_name(connectors[c.name].job), job_id=connectors[c.name].job.id,
                           cadence_seconds=None if c.schedule_paused else _seconds(cadence(c.schedule, c.timezone)),
                           duration_warning_seconds=c.duration_warning_seconds)
              for c in env.all_connectors if c.name in connectors),
            *(MonitoredJob(name=job.settings["name"], job_id=self.jobs[job.key].job.id,
                           cadence_seconds=None if job.paused else job_cadence_seconds(job.settings),
                           duration_warning_seconds=duration_warning_seconds(job.settings))
              for job in env.jobs if job.key in self.jobs),
        ]
        if not monitored:
            return None
        return JobMonitoring(stack, "monitoring", props=JobMonitoringProps(
            title=stack.node.id,
            jobs=tuple(monitored),
            warehouse_id=monitoring.warehouse_id,
            workspace_id=monitoring.workspace_id,
            parent_path=self.shared.notebooks.folder.reference("path"),
            schedule=monitoring.schedule,
            timezone_id=monitoring.timezone,
            paused=monitoring.paused,
            recipients=monitoring.recipients,
            run_as_service_principal=env.run_as,
            admin_group=env.admin_group,
            viewer_groups=tuple(sorted({env.team_group} - {env.admin_group})),
        ))

    def _bind(self, value: Any) -> Any:
        """The environment's own resources where a job's settings refer to them: job ids, pipeline ids, uploads."""
        if isinstance(value, JobRef):
            return self.shared.registry[value.key].job.id
        if isinstance(value, PipelineRef):
            owner = self.shared.registry[value.connector]
            assert isinstance(owner, ConnectorPipeline)  # the config's check: it names a lakeflow_connect connector
            return owner.pipeline.id
        if isinstance(value, UploadRef):
            notebooks = self.shared.notebooks
            return notebooks.notebook_path(value.stem) if value.notebook else notebooks.file_path(value.stem)
        if isinstance(value, dict):
            return {key: self._bind(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self._bind(item) for item in value]
        return value

    def _job_props(self, env: ResolvedEnvironment, connector: ResolvedConnector) -> ConnectorJobProps:
        notebooks = self.shared.notebooks
        return ConnectorJobProps(
            **_operations(env, connector),
            target_catalog=env.catalog,
            ingest_notebook_path=notebooks.notebook_path(INGEST_NOTEBOOK),
            transform_notebook_path=notebooks.notebook_path(TRANSFORM_NOTEBOOK),
            cluster=JobClusterSpec(**connector.compute.model_dump()),
            task_parameters=(
                ("bronze_schema", env.bronze_schema),
                ("initial_mark", connector.initial_mark),
                # A dynamic value reference: the run's id, recorded with every bronze row and state change.
                ("job_run_id", "{{job.run_id}}"),
                ("secret_names", ",".join(connector.secrets)),
                ("secret_scope", env.secret_scope),
                ("settings", connector.settings_json),
                ("silver_schema", env.silver_schema),
                ("source", connector.source),
            ),
        )

    @staticmethod
    def _pipeline_props(env: ResolvedEnvironment, connector: ResolvedManagedConnector,
                        waits_for: tuple) -> ConnectorPipelineProps:
        return ConnectorPipelineProps(
            **_operations(env, connector),
            catalog=env.catalog,
            connection_name=connector.connection,
            event_log_schema=connector.destination_schema,
            objects=tuple(IngestedObject(**vars(item)) for item in connector.objects),
            development=connector.development,
            channel=connector.channel,
            prevent_destroy=connector.prevent_destroy,
            depends_on=waits_for,
        )


def environment_stacks(scope: Construct, env: ResolvedEnvironment, *, notebooks_dir: Path,
                       others: tuple[ResolvedEnvironment, ...] = ()) -> list[EnvironmentStack | GroupStack]:
    """The environment's stack and, with deploy groups, a GroupStack per group, each after the groups whose jobs
    its jobs run (the config refuses groups that run each other's jobs)."""
    shared = EnvironmentStack(scope, env.name, environment=env, notebooks_dir=notebooks_dir, others=others)
    group_of = {w.key if isinstance(w, ResolvedJob) else w.name: w.group for w in env.workloads if w.group is not None}
    needs: dict[str, set[str]] = {group: set() for group in env.groups}
    for job in env.jobs if env.groups else ():
        assert job.group is not None  # the config's check: deploy groups are all or none
        needs[job.group].update(group_of[key] for key in job.runs_jobs if group_of.get(key) not in (None, job.group))
    ordered: list[str] = []

    def place(group: str) -> None:
        if group not in ordered:
            for needed in sorted(needs[group]):
                place(needed)
            ordered.append(group)

    for group in env.groups:
        place(group)
    return [shared, *(GroupStack(scope, group_stack_id(env.name, group), environment=env, group=group, shared=shared,
                                 others=others) for group in ordered)]


def _job_name(job: PlainResource) -> str:
    name = job.attributes["name"]
    assert isinstance(name, str)  # every job the platform deploys is given its name
    return name


def _seconds(span: timedelta | None) -> int | None:
    return None if span is None else int(span.total_seconds())


def job_cadence_seconds(settings: Mapping[str, Any]) -> int | None:
    """How often a job of the `jobs` section runs by itself: its Quartz schedule's longest gap, or its periodic
    trigger's interval; None for a job that runs only when started, by another job or by a file or table."""
    schedule = settings.get("schedule")
    if schedule and schedule.get("pause_status") != "PAUSED":
        return _seconds(cadence(schedule["quartz_cron_expression"], schedule.get("timezone_id") or "UTC"))
    periodic = (settings.get("trigger") or {}).get("periodic")
    if periodic and settings["trigger"].get("pause_status") != "PAUSED":
        return int(periodic["interval"]) * _PERIOD_SECONDS[periodic["unit"]]
    return None


_PERIOD_SECONDS = {"HOURS": 3_600, "DAYS": 86_400, "WEEKS": 604_800}


def duration_warning_seconds(settings: Mapping[str, Any]) -> int | None:
    """The job's health rule on run duration (the lowest, if it has several), in seconds."""
    values = [int(rule["value"]) for rule in (settings.get("health") or {}).get("rules") or ()
              if rule.get("metric") == DURATION_METRIC and rule.get("op") == "GREATER_THAN"]
    return min(values, default=None)


def group_stack_id(env_name: str, group: str) -> str:
    """The stack of one deploy group: what `cdktf deploy` and policy suppressions name."""
    return f"{env_name}-{group}"


def _ingestion_access(connector: ResolvedManagedConnector) -> ManagedIngestionAccess:
    return ManagedIngestionAccess(run_as=connector.run_as, connection=connector.connection,
                                  destination_schemas=connector.destination_schemas)


def _policy_pack(stack: TerraformStack, env: ResolvedEnvironment, others: tuple[ResolvedEnvironment, ...],
                 workloads: Workloads | None) -> PolicyPack:
    """The stack's policy pack, with the config's suppressions of this stack's resources."""
    own = tuple(s for s in env.suppressions if s.resource.split("/", 1)[0] == stack.node.id)
    return PolicyPack(stack, props=PolicyProps(
        context=PolicyContext(environment=environment_facts(env),
                              # a personal target shares its environment's names: they are its own
                              others=tuple(environment_facts(o) for o in others
                                           if o.name not in (env.name, env.personal_of)),
                              protect_data=env.protect_data, broad_groups=env.broad_groups),
        suppressions=(*own, *(workloads.acknowledged if workloads else ())),
    ))


def _provider_and_backend(stack: TerraformStack, env: ResolvedEnvironment, group: str | None = None) -> None:
    """The workspace's provider, and the stack's own state: the environment's, or for a deploy group, a state
    named after the group beside it (local file terraform.<env>-<group>.tfstate; remote key or prefix + '-<group>')."""
    PlainProvider(stack, "databricks", attributes={"host": env.workspace.host, "profile": env.workspace.profile})
    backend = env.backend
    if backend is None:
        LocalBackend(stack, path=local_state_path(stack.node.id))
    elif backend.azurerm is not None:
        # Azure AD auth: no storage account key anywhere near the config.
        settings = backend.azurerm.model_dump()
        AzurermBackend(stack, **{**settings, "key": state_key(settings["key"], group)}, use_azuread_auth=True)
    elif backend.s3 is not None:
        settings = backend.s3.model_dump(exclude_none=True)
        S3Backend(stack, **{**settings, "key": state_key(settings["key"], group)}, encrypt=True)
    else:
        assert backend.gcs is not None  # the model's check: a backend names exactly one kind
        settings = backend.gcs.model_dump()
        GcsBackend(stack, **{**settings, "prefix": state_key(settings["prefix"], group)})


def _operations(env: ResolvedEnvironment, connector: AnyConnector) -> dict[str, Any]:
    """The operating settings both kinds of connector pass to their job alike."""
    return dict(
        source_name=connector.name,
        quartz_cron_expression=connector.schedule,
        timezone_id=connector.timezone,
        schedule_paused=connector.schedule_paused,
        run_as_service_principal=connector.run_as,
        retries=RetryPolicy(**connector.retries.model_dump()),
        notify_on_failure=connector.notify_on_failure,
        admin_group=env.admin_group,
        operator_groups=connector.operator_groups,
        name_prefix=env.name_prefix,
        timeout_seconds=connector.timeout_seconds,
        tags=connector.tags,
        description=connector.description,
        duration_warning_seconds=connector.duration_warning_seconds,
    )
