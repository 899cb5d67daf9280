"""The typed model of connectors.yaml: what a reviewer can write, with every default documented by what it does.

All models are frozen and reject unknown keys, so a typo is an error instead of a silently ignored setting.
Field-level rules live here; rules that relate several fields (unique names, one environment using another's
catalog) live in `checks.py`, which works on the raw data so that they are reported together with these.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    create_model,
    model_validator,
)
from pydantic_core import PydanticCustomError

from connectors_config import names
from core.credentials import redact
from core.job_settings import time_zones
from core.name_characters import character_problem
from core.quartz import QuartzError, parse_quartz
from policy.rules import RULE_IDS
from policy.suppressions import MIN_REASON, reason_problem


def _rule(what: str, problem: Callable[[str], str | None]) -> AfterValidator:
    """A pydantic validator that reports '<value> is not a valid <what>; <how to fix>'. Every such value is a
    name: first it must read as what it is (no invisible characters, no look-alike letters of another script)."""

    def check(value: str) -> str:
        reason = character_problem(value) or problem(value)
        if reason is not None:
            raise PydanticCustomError(
                "invalid_name", "{value} is not a valid {what}; {reason}",
                {"value": names.shown(value), "what": what, "reason": reason},
            )
        return value

    return AfterValidator(check)


def _quartz(value: str) -> str:
    try:
        parse_quartz(value)
    except QuartzError as error:
        raise PydanticCustomError(
            "quartz", "{value} is not a valid Quartz cron expression: {reason}",
            {"value": redact(value), "reason": error.reason},
        ) from None
    return value


def _reason(value: str, minimum: int) -> str:
    """A reviewed exception's reason: words, no invisible characters, no credential (`reason_problem`)."""
    problem = reason_problem(value, minimum)
    if problem is not None:
        raise PydanticCustomError("reason", "{problem}", {"problem": problem})
    return value


def _timezone(value: str) -> str:
    if value not in time_zones():
        raise PydanticCustomError(
            "timezone", "{value} is not a time zone; use an IANA/Java time zone id (e.g. 'UTC', 'Europe/Berlin')",
            {"value": redact(value)},
        )
    return value


def _instant(value: object) -> datetime:
    """A point in time with its zone: YAML timestamps ('2024-01-01T00:00:00Z'), dates (midnight UTC) or ISO text."""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
        except ValueError:
            value = None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise PydanticCustomError("instant", "{value} has no time zone; write it in UTC with a Z, e.g. "
                                      "2024-01-01T00:00:00Z", {"value": value.isoformat()})
        return value.astimezone(timezone.utc)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    raise PydanticCustomError("instant", "is not a point in time; write e.g. 2024-01-01T00:00:00Z or 2024-01-01", {})


CatalogName = Annotated[str, _rule("catalog name", lambda v: names.identifier_problem(v, "appsec_dev"))]
SchemaName = Annotated[str, _rule("schema name", lambda v: names.identifier_problem(v, "bronze"))]
SourceName = Annotated[str, _rule("connector name", lambda v: names.identifier_problem(v, "github"))]
EnvironmentName = Annotated[str, _rule("environment name", names.environment_name_problem)]
SecretScopeName = Annotated[str, _rule("secret scope name", names.secret_scope_problem)]
SecretName = Annotated[str, _rule("secret name", names.secret_name_problem)]
ServicePrincipal = Annotated[str, _rule("service principal", names.service_principal_problem)]
GroupName = Annotated[str, _rule("group name", names.group_problem)]
# Groups that get management rights: a group every user is in would give those rights to everyone.
PrivilegedGroupName = Annotated[GroupName, _rule("group for this role", names.broad_group_problem)]
Email = Annotated[str, _rule("e-mail address", names.email_problem)]
TagKey = Annotated[str, _rule("tag key", names.tag_key_problem)]
WorkspaceHost = Annotated[str, _rule("workspace host", names.workspace_host_problem)]
# Written normalized: every rule and every stack sees the folder as the workspace resolves it.
WorkspaceDir = Annotated[str, _rule("workspace folder", names.workspace_dir_problem),
                         AfterValidator(names.normal_workspace_dir)]
ConnectionName = Annotated[str, _rule("connection name", lambda v: names.identifier_problem(v, "servicenow_prod"))]
DestinationSchema = Annotated[str, _rule("destination schema", names.destination_schema_problem)]
TableName = Annotated[str, _rule("table name", lambda v: names.identifier_problem(v, "incident"))]
SourceObjectName = Annotated[str, _rule("source name", names.source_object_problem)]
JobKey = Annotated[str, _rule("job key", lambda v: names.identifier_problem(v, "daily_refresh"))]
DeployGroup = Annotated[str, _rule("deploy group", lambda v: names.identifier_problem(v, "github_sources"))]
VariableName = Annotated[str, _rule("variable name", lambda v: names.identifier_problem(v, "warehouse_id"))]
WarehouseId = Annotated[str, _rule("SQL warehouse ID", names.warehouse_id_problem)]
# YAML reads an unquoted ID as a number: taken as its digits.
WorkspaceId = Annotated[str, BeforeValidator(lambda v: str(v) if type(v) is int else v),
                        _rule("workspace ID", names.workspace_id_problem)]
ConstructPath = Annotated[str, _rule("resource path", names.construct_path_problem)]
QuartzCron = Annotated[str, AfterValidator(_quartz)]
TimeZone = Annotated[str, AfterValidator(_timezone)]
Instant = Annotated[datetime, BeforeValidator(_instant)]
Tags = dict[TagKey, Annotated[str, Field(max_length=255)]]


def _one_old_name(value: object) -> object:
    """renamed_from is one name: a Terraform resource moves from one address."""
    if isinstance(value, (list, tuple)):
        raise PydanticCustomError(
            "renamed_from", "takes one name, the one every environment last deployed (e.g. renamed_from: github); "
            "deploy a rename to every environment before renaming again", {})
    return value


OldName = BeforeValidator(_one_old_name)


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Retries(StrictModel):
    """How a task retries before the job fails (the seed's values are the defaults)."""

    max_retries: Annotated[int, Field(ge=0, le=10)] = 3
    min_retry_interval_millis: Annotated[int, Field(ge=0)] = 2000
    retry_on_timeout: bool = True


class Compute(StrictModel):
    """The job cluster `shared` that both tasks of a connector run on (the seed's cluster is the default)."""

    spark_version: Annotated[str, Field(min_length=1)] = "14.3.x-scala2.12"
    node_type_id: Annotated[str, Field(min_length=1)] = "Standard_DS3_v2"
    num_workers: Annotated[int, Field(ge=0, le=100)] = 1
    # Unity Catalog only serves clusters with an access mode; dedicated (SINGLE_USER) job clusters run as
    # the job's run_as identity, which is what the grants in this stack are given to.
    data_security_mode: Literal["SINGLE_USER", "USER_ISOLATION"] = "SINGLE_USER"


def _overrides_of(model: type[StrictModel]) -> type[StrictModel]:
    """The same fields and rules as `model`, each optional: a connector sets only what it changes."""

    def optional(field):
        inner = Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation
        return (inner | None, None)

    return create_model(f"{model.__name__}Override", __base__=StrictModel,
                        **{name: optional(field) for name, field in model.model_fields.items()})


if TYPE_CHECKING:  # classes made at run time are no types to mypy; what resolve() reads of them is a StrictModel's
    RetriesOverride: TypeAlias = StrictModel
    ComputeOverride: TypeAlias = StrictModel
else:
    RetriesOverride = _overrides_of(Retries)
    ComputeOverride = _overrides_of(Compute)


class Notifications(StrictModel):
    on_failure: tuple[Email, ...] = ()


class Workspace(StrictModel):
    """Which workspace the stack deploys to: a host, a Databricks CLI profile, or both. Never credentials:
    the provider reads those from the profile or the DATABRICKS_* / ARM_* environment variables."""

    host: WorkspaceHost | None = None
    profile: Annotated[str, Field(min_length=1)] | None = None

    @model_validator(mode="after")
    def _one_way_to_find_it(self) -> Workspace:
        if self.host is None and self.profile is None:
            raise PydanticCustomError(
                "workspace", "names no workspace; set 'host' (e.g. 'https://adb-123.4.azuredatabricks.net') "
                "or 'profile' (a Databricks CLI profile)", {},
            )
        return self


class AzurermBackend(StrictModel):
    resource_group_name: Annotated[str, Field(min_length=1)]
    storage_account_name: Annotated[str, Field(min_length=1)]
    container_name: Annotated[str, Field(min_length=1)]
    key: Annotated[str, Field(min_length=1)]


class S3Backend(StrictModel):
    bucket: Annotated[str, Field(min_length=1)]
    key: Annotated[str, Field(min_length=1)]
    region: Annotated[str, Field(min_length=1)]
    dynamodb_table: Annotated[str, Field(min_length=1)] | None = None


class GcsBackend(StrictModel):
    bucket: Annotated[str, Field(min_length=1)]
    prefix: Annotated[str, Field(min_length=1)]


class Backend(StrictModel):
    """Where Terraform keeps this environment's state. Exactly one kind; credentials come from the
    environment of whoever deploys, never from here."""

    azurerm: AzurermBackend | None = None
    s3: S3Backend | None = None
    gcs: GcsBackend | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Backend:
        if sum(kind is not None for kind in (self.azurerm, self.s3, self.gcs)) != 1:
            raise PydanticCustomError(
                "backend", "must name exactly one of 'azurerm', 's3', 'gcs' (omit 'backend' for local state)", {},
            )
        return self


class Monitoring(StrictModel):
    """The environment's own monitoring: an alert and a dashboard over system.lakeflow.job_run_timeline, run on
    this SQL warehouse (see docs/architecture.md, "Monitoring"). Without it, the stack deploys no monitoring."""

    warehouse_id: WarehouseId
    # Job ids are unique only within a workspace, and the system table holds every workspace of the region;
    # default: the ID an Azure host carries (adb-<id>.<n>.azuredatabricks.net), else required.
    workspace_id: WorkspaceId | None = None
    # When the alert checks the jobs; default: at the top of every hour. Paused where schedules are paused.
    schedule: QuartzCron = "0 0 * * * ?"


class Environment(StrictModel):
    catalog: CatalogName
    workspace: Workspace
    run_as: ServicePrincipal
    workspace_dir: WorkspaceDir
    admin_group: PrivilegedGroupName
    team_group: PrivilegedGroupName
    notifications: Notifications
    readers_group: GroupName | None = None
    # Safe by default: every environment's schedules are paused unless it says otherwise (the provider's
    # own default is UNPAUSED, so this is always written out explicitly).
    schedules_paused: bool = True
    # Safe by default: schemas and the secret scope carry prevent_destroy, so no plan can delete them.
    protect_data: bool = True
    secret_scope: SecretScopeName | None = None
    # Managed ingestion pipelines run in development mode (failed updates are not retried, so a broken
    # change shows at once); default: production mode.
    development_mode: bool = False
    backend: Backend | None = None
    tags: Tags = {}
    # Values the `jobs` section refers to as ${var.<name>} (cluster ids, warehouse ids, notebook roots...).
    variables: dict[VariableName, str | int | bool] = {}
    # Default: no monitoring resources.
    monitoring: Monitoring | None = None
    # Safe by default: `python -m operations backfill` asks before it starts a backfill here (--yes skips it).
    confirm_backfill: bool = True
    # Default: none. True: each engineer may synthesize a personal target of this environment ('<env>-user-<user>',
    # `make synth DEV_USER=<user>`): own names, folder, schemas and state, everything paused (docs/deploying.md).
    personal_targets: bool = False


class Defaults(StrictModel):
    """What the connector job template fixes for every connector; a connector may override parts of it."""

    retries: Retries = Retries()
    compute: Compute = Compute()
    secret_scope: SecretScopeName = "mvp-connectors"
    timezone: TimeZone = "UTC"
    # Per-task limit; a hung task otherwise holds the job's only concurrent run slot forever.
    timeout_seconds: Annotated[int, Field(ge=0)] | None = None
    # A run longer than this is reported (job health rule, e-mail, monitoring alert) but goes on; default: none.
    duration_warning_seconds: Annotated[int, Field(ge=1)] | None = None
    bronze_schema: SchemaName = "bronze"
    silver_schema: SchemaName = "silver"
    # Where jobs of the `jobs` section build what they derive from silver; the run_as identities may write it.
    gold_schema: SchemaName = "gold"


class _ConnectorBase(StrictModel):
    """What every connector has, whatever its kind: a name, a cadence, and who operates it."""

    name: SourceName
    schedule: QuartzCron
    description: Annotated[str, Field(max_length=1000)] | None = None
    # Per-task limit of the connector's job; default: defaults.timeout_seconds.
    timeout_seconds: Annotated[int, Field(ge=0)] | None = None
    # Default: defaults.duration_warning_seconds.
    duration_warning_seconds: Annotated[int, Field(ge=1)] | None = None
    # Added to the environment's recipients, not instead of them.
    notifications: Notifications | None = None
    # Extra groups that may view, run and cancel this connector's job.
    owners: tuple[PrivilegedGroupName, ...] = ()
    tags: Tags = {}
    # Per environment, a service principal other than the environment's run_as.
    run_as: dict[EnvironmentName, ServicePrincipal] = {}
    # The stack the connector deploys in, '<environment>-<deploy_group>', beside the environment's shared stack
    # (docs/architecture.md, "deploy groups"); default: no groups, one stack per environment. All or none.
    deploy_group: DeployGroup | None = None
    # The name the connector was deployed under before: its job (and pipeline) move to the new name with Terraform
    # `moved` blocks and keep their ids and run history. One name: the one every environment last deployed.
    renamed_from: Annotated[SourceName | None, OldName] = None


class BatchConnector(_ConnectorBase):
    """A connector this project runs: the ingest and transform notebooks of the connector job template."""

    kind: Literal["batch"]
    # The source code it runs, notebooks/source_<source>.py; default: the source named like the connector.
    source: SourceName | None = None
    # The source's non-secret settings (base URL, organisation, projects...); synth checks them against the
    # source's declared settings, and the job hands them to the notebooks.
    settings: dict[str, Any] = {}
    # The secrets (names, in the environment's scope) the source reads: '<connector>-<role>' per credential role.
    secrets: tuple[SecretName, ...] = ()
    # Where the first run and every hwm_reset backfill start; default: everything the source has.
    initial_mark: Instant | None = None
    retries: RetriesOverride | None = None
    compute: ComputeOverride | None = None


class TableOptions(StrictModel):
    """How the managed connector writes a table (the provider's `table_configuration`); unset: the connector's
    own behaviour for the source (e.g. SCD type 1 keyed by the source's primary key)."""

    scd_type: Literal["SCD_TYPE_1", "SCD_TYPE_2", "APPEND_ONLY"] | None = None
    primary_keys: tuple[SourceObjectName, ...] = ()
    sequence_by: tuple[SourceObjectName, ...] = ()
    include_columns: tuple[SourceObjectName, ...] = ()
    exclude_columns: tuple[SourceObjectName, ...] = ()

    @model_validator(mode="after")
    def _one_column_selection(self) -> TableOptions:
        if self.include_columns and self.exclude_columns:
            raise PydanticCustomError(
                "columns", "sets both include_columns and exclude_columns, which exclude each other; keep one", {},
            )
        return self


class IngestedObject(TableOptions):
    """One source object to ingest: a `table`, or a whole `schema` (its tables now and those added later)."""

    table: SourceObjectName | None = None
    schema_: SourceObjectName | None = Field(None, alias="schema")
    # Where the table lives in the source; default: the connector's source_schema.
    source_schema: SourceObjectName | None = None
    # Default: the connector's destination_schema. Always in the environment's own catalog.
    destination_schema: DestinationSchema | None = None
    # Default: the source table's name.
    destination_table: TableName | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_destination_catalog(cls, data: object) -> object:
        if isinstance(data, dict) and "destination_catalog" in data:
            raise PydanticCustomError(
                "destination_catalog", "sets destination_catalog {value}, but ingested tables always land in each "
                "environment's own catalog (environments.<env>.catalog); remove it and set destination_schema if "
                "the table belongs in another schema", {"value": redact(data["destination_catalog"])},
            )
        return data

    @model_validator(mode="after")
    def _table_or_schema(self) -> IngestedObject:
        if (self.table is None) == (self.schema_ is None):
            raise PydanticCustomError(
                "object", "must name exactly one of 'table' (one source table) or 'schema' (every table of a "
                "source schema)", {},
            )
        if self.schema_ is not None:
            table_only = [key for key in ("source_schema", "destination_table") if getattr(self, key) is not None]
            if table_only:
                raise PydanticCustomError(
                    "object", "{keys} only apply to a 'table' object; a 'schema' object is its own source schema and "
                    "keeps the source's table names", {"keys": " and ".join(table_only)},
                )
        return self


class DataLossAcknowledgement(StrictModel):
    """Consent to replace a managed ingestion pipeline, which deletes the tables it ingested."""

    # The connection the replacement switches to: an acknowledgement covers exactly one change.
    connection: ConnectionName
    # Written into the stack as the pipeline's CP-PREVENT-DESTROY suppression: checked as a suppression's reason.
    reason: Annotated[str, Field(max_length=1000), AfterValidator(lambda v: _reason(v, 10))]


class LakeflowConnectConnector(_ConnectorBase):
    """A source Databricks' managed connector ingests (Lakeflow Connect): a pipeline, scheduled by a job."""

    kind: Literal["lakeflow_connect"]
    connection: Annotated[dict[EnvironmentName, ConnectionName], Field(
        min_length=1, description="the Unity Catalog connection per environment, e.g. {dev: servicenow_dev, "
        "prod: servicenow_prod}")]
    destination_schema: Annotated[DestinationSchema, Field(
        description="the schema of each environment's catalog the tables land in, e.g. servicenow")]
    objects: Annotated[tuple[IngestedObject, ...], Field(
        min_length=1, description="the source tables or schemas to ingest, e.g. [{table: incident}]")]
    # Where a `table` object lives in the source, unless it says otherwise.
    source_schema: SourceObjectName | None = None
    # CURRENT: the runtime Databricks documents for generally available connectors; PREVIEW for preview ones.
    channel: Literal["CURRENT", "PREVIEW"] = "CURRENT"
    # Per environment: consent to replace the pipeline (and lose its tables) for a new connection.
    acknowledge_data_loss: dict[EnvironmentName, DataLossAcknowledgement] = {}


CONNECTOR_KINDS: dict[str, type[_ConnectorBase]] = {"batch": BatchConnector,
                                                    "lakeflow_connect": LakeflowConnectConnector}


def _connector_kind(data: object) -> str:
    """Which model validates a connector. A missing or unknown `kind` is still validated as the kind its keys
    suggest, so its `kind` error comes with every other error in it, not instead of them."""
    if not isinstance(data, dict):
        return getattr(data, "kind", "batch")
    if isinstance(data.get("kind"), str) and data["kind"] in CONNECTOR_KINDS:  # a mapping is no kind (unhashable)
        return data["kind"]
    managed_only = set(LakeflowConnectConnector.model_fields) - set(BatchConnector.model_fields)
    return "lakeflow_connect" if managed_only & set(data) else "batch"


Connector = Annotated[
    Annotated[BatchConnector, Tag("batch")] | Annotated[LakeflowConnectConnector, Tag("lakeflow_connect")],
    Discriminator(_connector_kind),
]


class Job(StrictModel):
    """A job of the `jobs` section, as the loader read it (`connectors_config.jobs` checks its settings)."""

    # atomic: runs notebooks, SQL, pipelines; composite/orchestrator: runs other jobs (seed 004's hierarchy).
    job_level: Literal["atomic", "composite", "orchestrator"] | None = None
    # As a connector's: the stack '<environment>-<deploy_group>' the job deploys in; required once groups are used.
    deploy_group: DeployGroup | None = None
    # The key the job was deployed under before: as a connector's renamed_from, the job keeps its id and history.
    renamed_from: Annotated[JobKey | None, OldName] = None
    origin: str  # the file it is written in: connectors.yaml, or the file it is imported from
    directory: str  # the folder its relative paths resolve against
    settings: dict[str, Any]  # Jobs API job settings, before substitution


class PolicySuppression(StrictModel):
    """A reviewed exception to one policy rule for one resource: shown on every synth and in `review diff`."""

    rule: Literal[RULE_IDS]  # type: ignore[valid-type]
    resource: ConstructPath  # as the violation names it: '<environment>/<construct path>'
    reason: Annotated[str, Field(max_length=1000), AfterValidator(lambda v: _reason(v, MIN_REASON))]


class Policy(StrictModel):
    """The policy pack's settings (docs/policy.md); every rule always runs."""

    # Your own groups that hold (nearly) every user, besides the built-in users / account users / all users:
    # they get no write, manage or owner rights (CP-BROAD-WRITE).
    broad_groups: tuple[GroupName, ...] = ()
    suppressions: tuple[PolicySuppression, ...] = ()


class PlatformConfig(StrictModel):
    environments: Annotated[dict[EnvironmentName, Environment], Field(min_length=1)]
    connectors: tuple[Connector, ...]
    defaults: Defaults = Defaults()
    # Jobs beside the connectors' (gold, orchestrators, maintenance), keyed like bundles' resources.jobs.
    jobs: dict[JobKey, Job] = {}
    # Seed 004's atomic/composite/orchestrator rules; default: off (job_level only tags the jobs).
    job_hierarchy: bool = False
    # Default: no extra broad groups, no suppressions: every finding of the policy pack fails the synth.
    policy: Policy = Policy()
