"""ConnectorPipeline: a source Databricks' managed connector ingests (Lakeflow Connect), and the job that runs it.

The seed's template: Lakeflow Connect connectors substitute a pipeline for the ingest/transform job. The
pipeline ingests the source's tables through a Unity Catalog connection straight into the environment's
catalog, on serverless compute. It is scheduled the way Databricks documents for managed ingestion: a job
with a `pipeline_task` (the pipeline's own `trigger` is deprecated), so the schedule, retries, run_as,
queueing, alerts and permissions are those of every other connector's job (`connector_operations`).

Deleting a managed ingestion pipeline deletes the tables it ingested (the API cascades by default and
provider 1.99.0 offers no way out), and a new `connection_name` replaces the pipeline. Hence prevent_destroy
by default, and the synth-time guard in `connectors_config.checks`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from typing import Any

from core.toolchain import ITerraformDependable
from constructs import Construct

from constructs.connector_operations import ConnectorOperationsProps, operated_job_props
from constructs.lakeflow_job import add_job
from constructs.access_control import access_control
from constructs.plain_resources import resource
from core.principals import Principal

INGEST_TASK = "ingest"
# A fatal update failure, or one table failing: worth an e-mail. Retryable update failures are retried by the
# pipeline and, if they persist, fail the job, which e-mails the same recipients.
FAILURE_ALERTS = ("on-flow-failure", "on-update-fatal-failure")


@dataclass(frozen=True, kw_only=True)
class IngestedObject:
    """A source table, or a whole source schema (its tables now and those added later)."""

    kind: Literal["table", "schema"]
    source: str  # the table's name, or the schema's for kind 'schema'
    destination_schema: str  # in the pipeline's catalog
    source_schema: str | None = None  # kind 'table': where it lives in the source, if the source has schemas
    destination_table: str | None = None  # kind 'table'; default: the source's name
    scd_type: str | None = None  # default: the connector's own (SCD type 1)
    primary_keys: tuple[str, ...] = ()
    sequence_by: tuple[str, ...] = ()
    include_columns: tuple[str, ...] = ()
    exclude_columns: tuple[str, ...] = ()

    def table_configuration(self) -> dict:
        options = dict(scd_type=self.scd_type, primary_keys=list(self.primary_keys) or None,
                       sequence_by=list(self.sequence_by) or None,
                       include_columns=list(self.include_columns) or None,
                       exclude_columns=list(self.exclude_columns) or None)
        return {key: value for key, value in options.items() if value is not None}


@dataclass(frozen=True, kw_only=True)
class ConnectorPipelineProps(ConnectorOperationsProps):
    catalog: str  # the environment's catalog: every object lands in it
    connection_name: str  # Unity Catalog connection; changing it replaces the pipeline
    event_log_schema: str  # where the pipeline keeps its event log (the connector's destination schema)
    objects: tuple[IngestedObject, ...]
    # Default: production mode. True: development mode, for environments where changes are tried out.
    development: bool = False
    channel: Literal["CURRENT", "PREVIEW"] = "CURRENT"
    # Safe by default: no plan can delete the pipeline, and with it the tables it ingested.
    prevent_destroy: bool = True
    # Resources the pipeline must wait for, e.g. the grants its run-as identity writes with.
    depends_on: tuple[ITerraformDependable, ...] = ()

    def __post_init__(self) -> None:
        destinations = [(o.destination_schema, o.destination_table or o.source) for o in self.objects
                        if o.kind == "table"]
        extra = [] if self.objects else ["objects must name at least one table or schema"]
        extra += [f"two objects land in {schema}.{table}" for schema, table in sorted(set(destinations))
                  if destinations.count((schema, table)) > 1]
        self.validate("catalog", "connection_name", "event_log_schema", extra=extra)


class ConnectorPipeline(Construct):
    """Construct ids: 'pipeline', 'pipeline_permissions', and the job's 'job', 'permissions'."""

    def __init__(self, scope: Construct, id: str, *, props: ConnectorPipelineProps) -> None:
        super().__init__(scope, id)
        self.props = props
        self.pipeline = resource(self, "pipeline", "databricks_pipeline", {
            "name": f"{props.name_prefix}{props.source_name}-ingestion",
            "catalog": props.catalog,
            "schema": props.event_log_schema,
            "serverless": True,
            "channel": props.channel,
            # Triggered, not continuous: the job below starts each update (continuous pipelines cannot be
            # job tasks).
            "continuous": False,
            "development": props.development,
            "ingestion_definition": {
                "connection_name": props.connection_name,
                "objects": [self._object(o) for o in props.objects],
            },
            "run_as": {"service_principal_name": props.run_as_service_principal},
            "notification": [{"alerts": list(FAILURE_ALERTS), "email_recipients": sorted(props.notify_on_failure)}],
            "tags": dict(sorted(props.tags)),
        }, prevent_destroy=props.prevent_destroy, depends_on=list(props.depends_on) or None)
        self.pipeline_permissions = resource(self, "pipeline_permissions", "databricks_permissions", {
            "pipeline_id": self.pipeline.id, "access_control": self._pipeline_access()})
        self.job, self.permissions = add_job(self, operated_job_props(props, tasks=[{
            "task_key": INGEST_TASK,
            # Incremental updates only: a full refresh re-reads the whole source and is a deliberate act.
            "pipeline_task": {"pipeline_id": self.pipeline.id, "full_refresh": False},
            **props.task_retries(),
        }]))

    def _pipeline_access(self) -> Sequence:
        props = self.props
        # The job runs as the service principal and starts the pipeline's updates: it needs CAN_RUN.
        runners = {Principal.service_principal(props.run_as_service_principal),
                   *(Principal.group(g) for g in props.operator_groups)}
        return [access_control(Principal.group(props.admin_group), "CAN_MANAGE"),
                *(access_control(principal, "CAN_RUN") for principal in sorted(runners))]

    def _object(self, item: IngestedObject) -> dict[str, Any]:
        options = item.table_configuration()
        if item.kind == "schema":
            return {"schema": {
                "source_schema": item.source,
                "destination_catalog": self.props.catalog,
                "destination_schema": item.destination_schema,
                "table_configuration": dict(options) if options else None,
            }}
        return {"table": {
            "source_schema": item.source_schema,
            "source_table": item.source,
            "destination_catalog": self.props.catalog,
            "destination_schema": item.destination_schema,
            "destination_table": item.destination_table,
            "table_configuration": dict(options) if options else None,
        }}
