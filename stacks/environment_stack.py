"""EnvironmentStack: everything one environment of connectors.yaml deploys, in one Terraform stack.

The provider and backend come from the environment's config; the constructs below are the same for every
environment, so dev and prod differ only by the data in connectors.yaml.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cdktf import AzurermBackend, GcsBackend, LocalBackend, S3Backend, TerraformStack
from constructs.databricks import DatabricksProvider
from constructs import Construct

from connectors_config import ResolvedConnector, ResolvedEnvironment, ResolvedManagedConnector
from connectors_config.jobs import JobRef, PipelineRef, UploadRef
from constructs.connector_job import ConnectorJob, ConnectorJobProps, JobClusterSpec, RetryPolicy
from constructs.connector_pipeline import ConnectorPipeline, ConnectorPipelineProps, IngestedObject
from constructs.lakeflow_job import JobAccess, LakeflowJob, LakeflowJobProps
from constructs.medallion_catalog import ManagedIngestionAccess, MedallionCatalog, MedallionCatalogProps
from constructs.principals import Principal
from constructs.secret_scope_access import SecretScopeAccess, SecretScopeAccessProps
from constructs.workspace_notebooks import WorkspaceNotebooks, WorkspaceNotebooksProps
from policy import EnvironmentFacts, PolicyContext, Suppression
from policy.aspect import PolicyPack, PolicyProps

INGEST_NOTEBOOK = "ingest_entry"
TRANSFORM_NOTEBOOK = "transform_entry"


def local_state_path(env_name: str) -> str:
    """Relative to the stack's working directory (cdktf.out/stacks/<env>): the project root. Never absolute,
    so the synthesized JSON is the same in every checkout (cdktf's default would embed the absolute path)."""
    return f"../../../terraform.{env_name}.tfstate"


def environment_facts(env: ResolvedEnvironment) -> EnvironmentFacts:
    """What identifies `env`, for the policy pack's check that no other stack refers to it."""
    return EnvironmentFacts(
        name=env.name, catalog=env.catalog, secret_scope=env.secret_scope, workspace_dir=env.workspace_dir,
        host=env.workspace.host,
        principals=tuple(sorted({*env.run_as_principals, *(c.run_as for c in env.managed_connectors)})),
        connections=tuple(sorted({c.connection for c in env.managed_connectors})),
    )


class EnvironmentStack(TerraformStack):
    """One environment's stack; the policy pack (`self.policy`) checks it on every synth. `others`: the other
    environments of the config, which this stack must never refer to."""

    def __init__(self, scope: Construct, id: str, *, environment: ResolvedEnvironment, notebooks_dir: Path,
                 others: tuple[ResolvedEnvironment, ...] = ()) -> None:
        super().__init__(scope, id)
        env = environment
        DatabricksProvider(self, "databricks", host=env.workspace.host, profile=env.workspace.profile)
        self._backend(env)

        admins = Principal.group(env.admin_group)
        runners = tuple(Principal.service_principal(p) for p in env.run_as_principals)
        self.notebooks = WorkspaceNotebooks(self, "notebooks", props=WorkspaceNotebooksProps(
            source_dir=notebooks_dir,
            workspace_dir=env.workspace_dir,
            managers=(admins,),
            readers=tuple(Principal.group(g) for g in sorted({g for c in env.connectors for g in c.operator_groups})),
            runners=runners,
        ))
        self.secrets = SecretScopeAccess(self, "secrets", props=SecretScopeAccessProps(
            scope_name=env.secret_scope,
            readers=env.run_as_principals,
            managers=(env.admin_group,),
            prevent_destroy=env.protect_data,
        ))
        access = {connector.name: ManagedIngestionAccess(
            run_as=connector.run_as, connection=connector.connection, destination_schemas=connector.destination_schemas,
        ) for connector in env.managed_connectors}
        self.catalog = MedallionCatalog(self, "catalog", props=MedallionCatalogProps(
            catalog=env.catalog,
            bronze_schema=env.bronze_schema,
            silver_schema=env.silver_schema,
            gold_schema=env.gold_schema if env.jobs else None,
            writers=env.run_as_principals,
            readers_group=env.readers_group,
            managed_ingestion=tuple(access.values()),
            prevent_destroy=env.protect_data,
        ))
        # Construct ids are the connector names, whatever the kind: names are unique across kinds.
        self.connector_jobs = {
            connector.name: ConnectorJob(self, connector.name, props=self._job_props(env, connector))
            for connector in env.connectors
        }
        self.connector_pipelines = {
            connector.name: ConnectorPipeline(self, connector.name, props=self._pipeline_props(
                env, connector, waits_for=tuple(self.catalog.grants_for(access[connector.name]))))
            for connector in env.managed_connectors
        }
        # The `jobs` section, each built after the jobs it runs: construct ids 'jobs/<key>/job|permissions'.
        jobs_scope = Construct(self, "jobs")
        self.jobs: dict[str, LakeflowJob] = {}
        for job in env.jobs:
            self.jobs[job.key] = LakeflowJob(jobs_scope, job.key, props=LakeflowJobProps(
                settings=self._bind(job.settings),
                run_as_service_principal=job.run_as,
                access=(JobAccess(Principal.group(job.admin_group), "CAN_MANAGE"),
                        *(JobAccess(Principal.group(g), "CAN_MANAGE_RUN") for g in job.operator_groups)),
                paused=job.paused,
                notify_on_failure=job.notify_on_failure,
                tags=job.tags,
            ))
        # An acknowledged data loss lifts a pipeline's prevent_destroy: a suppression the config already reviewed.
        acknowledged = tuple(
            Suppression(self.connector_pipelines[c.name].pipeline.node.path, "CP-PREVENT-DESTROY",
                        f"data loss acknowledged in connectors.yaml: {c.data_loss_acknowledged}")
            for c in env.managed_connectors if c.data_loss_acknowledged is not None)
        self.policy = PolicyPack(self, props=PolicyProps(
            context=PolicyContext(environment=environment_facts(env),
                                  others=tuple(environment_facts(o) for o in others if o.name != env.name),
                                  protect_data=env.protect_data, broad_groups=env.broad_groups),
            suppressions=(*env.suppressions, *acknowledged),
        ))

    def _bind(self, value: Any) -> Any:
        """The stack's own resources where a job's settings refer to them: job ids, pipeline ids, uploads."""
        if isinstance(value, JobRef):
            owner = self.jobs.get(value.key) or self.connector_jobs.get(value.key) \
                or self.connector_pipelines[value.key]
            return owner.job.id
        if isinstance(value, PipelineRef):
            return self.connector_pipelines[value.connector].pipeline.id
        if isinstance(value, UploadRef):
            return (self.notebooks.notebook_path(value.stem) if value.notebook
                    else self.notebooks.files[value.stem].path)
        if isinstance(value, dict):
            return {key: self._bind(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self._bind(item) for item in value]
        return value

    def _job_props(self, env: ResolvedEnvironment, connector: ResolvedConnector) -> ConnectorJobProps:
        return ConnectorJobProps(
            **_operations(env, connector),
            target_catalog=env.catalog,
            ingest_notebook_path=self.notebooks.notebook_path(INGEST_NOTEBOOK),
            transform_notebook_path=self.notebooks.notebook_path(TRANSFORM_NOTEBOOK),
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
            # The first update must find its privileges (and, through them, its schemas) in place.
            depends_on=waits_for,
        )

    def _backend(self, env: ResolvedEnvironment) -> None:
        backend = env.backend
        if backend is None:
            LocalBackend(self, path=local_state_path(env.name))
        elif backend.azurerm is not None:
            # Azure AD auth: no storage account key anywhere near the config.
            AzurermBackend(self, **backend.azurerm.model_dump(), use_azuread_auth=True)
        elif backend.s3 is not None:
            S3Backend(self, **backend.s3.model_dump(exclude_none=True), encrypt=True)
        else:
            GcsBackend(self, **backend.gcs.model_dump())


def _operations(env: ResolvedEnvironment, connector: ResolvedConnector | ResolvedManagedConnector) -> dict:
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
        timeout_seconds=connector.timeout_seconds,
        tags=connector.tags,
        description=connector.description,
    )
