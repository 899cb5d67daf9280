"""ConnectorJob: the Lakeflow Job every batch connector runs, exactly as the connector job template fixes it.

ingest -> bronze, then transform -> silver with a hard dependency on ingest, so a failed ingest never leaves
silver partially refreshed. Job parameters source_name / target_catalog / hwm_reset; one shared job cluster;
identical retries on both tasks; run as a service principal; one run at a time with queueing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cdktf_cdktf_provider_databricks.job import (
    Job,
    JobEmailNotifications,
    JobJobCluster,
    JobJobClusterNewCluster,
    JobParameter,
    JobQueue,
    JobRunAs,
    JobSchedule,
    JobTask,
    JobTaskDependsOn,
    JobTaskNotebookTask,
)
from cdktf_cdktf_provider_databricks.permissions import Permissions
from constructs import Construct

from constructs.principals import Principal

SHARED_CLUSTER_KEY = "shared"
INGEST_TASK = "ingest"
TRANSFORM_TASK = "transform"


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int
    min_retry_interval_millis: int
    retry_on_timeout: bool


@dataclass(frozen=True)
class JobClusterSpec:
    spark_version: str
    node_type_id: str
    num_workers: int
    data_security_mode: str


@dataclass(frozen=True)
class ConnectorJobProps:
    source_name: str
    target_catalog: str
    quartz_cron_expression: str
    timezone_id: str
    run_as_service_principal: str  # application ID
    ingest_notebook_path: str
    transform_notebook_path: str
    retries: RetryPolicy
    cluster: JobClusterSpec
    notify_on_failure: tuple[str, ...]
    admin_group: str  # may manage the job
    operator_groups: tuple[str, ...]  # may view, run and cancel the job, not change it
    # Safe by default: the schedule is written out PAUSED unless asked otherwise (the provider's default
    # when pause_status is left out is UNPAUSED).
    schedule_paused: bool = True
    # Default: no per-task time limit.
    timeout_seconds: int | None = None
    # Fixed notebook parameters beside the job parameters (e.g. which secret scope and names to read).
    task_parameters: tuple[tuple[str, str], ...] = ()
    tags: tuple[tuple[str, str], ...] = ()
    description: str | None = None
    job_name: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "job_name", f"{self.source_name}-connector")
        problems = [
            f"{name} must not be empty" for name in
            ("source_name", "target_catalog", "quartz_cron_expression", "timezone_id", "run_as_service_principal",
             "ingest_notebook_path", "transform_notebook_path", "admin_group")
            if not getattr(self, name)
        ]
        if not self.notify_on_failure:
            problems.append("notify_on_failure must name at least one recipient, or failures go unnoticed")
        if self.admin_group in self.operator_groups:
            problems.append(f"operator_groups must not contain admin_group '{self.admin_group}'")
        if problems:
            raise ValueError(f"ConnectorJobProps for '{self.source_name}': " + "; ".join(problems))


class ConnectorJob(Construct):
    """One connector's job and its permissions. Construct ids: 'job', 'permissions'."""

    def __init__(self, scope: Construct, id: str, *, props: ConnectorJobProps) -> None:
        super().__init__(scope, id)
        self.props = props
        self.job = Job(
            self, "job",
            name=props.job_name,
            description=props.description,
            parameter=[
                JobParameter(name="source_name", default=props.source_name),
                JobParameter(name="target_catalog", default=props.target_catalog),
                JobParameter(name="hwm_reset", default="false"),
            ],
            schedule=JobSchedule(
                quartz_cron_expression=props.quartz_cron_expression,
                timezone_id=props.timezone_id,
                pause_status="PAUSED" if props.schedule_paused else "UNPAUSED",
            ),
            job_cluster=[JobJobCluster(
                job_cluster_key=SHARED_CLUSTER_KEY,
                new_cluster=JobJobClusterNewCluster(
                    spark_version=props.cluster.spark_version,
                    node_type_id=props.cluster.node_type_id,
                    num_workers=props.cluster.num_workers,
                    data_security_mode=props.cluster.data_security_mode,
                ),
            )],
            # The provider stores tasks sorted by task_key; any other order is a permanent diff.
            task=sorted([self._task(INGEST_TASK, props.ingest_notebook_path, depends_on=None),
                         self._task(TRANSFORM_TASK, props.transform_notebook_path, depends_on=INGEST_TASK)],
                        key=lambda task: task.task_key),
            run_as=JobRunAs(service_principal_name=props.run_as_service_principal),
            max_concurrent_runs=1,
            queue=JobQueue(enabled=True),
            email_notifications=JobEmailNotifications(on_failure=sorted(props.notify_on_failure)),
            tags=dict(sorted(props.tags)),
        )
        owners = [Principal.group(props.admin_group).access_control("CAN_MANAGE")]
        operators = [Principal.group(g).access_control("CAN_MANAGE_RUN") for g in sorted(props.operator_groups)]
        self.permissions = Permissions(self, "permissions", job_id=self.job.id, access_control=owners + operators)

    def _task(self, key: str, notebook_path: str, depends_on: str | None) -> JobTask:
        props = self.props
        return JobTask(
            task_key=key,
            depends_on=[JobTaskDependsOn(task_key=depends_on)] if depends_on else None,
            notebook_task=JobTaskNotebookTask(
                notebook_path=notebook_path,
                source="WORKSPACE",
                base_parameters=dict(sorted(props.task_parameters)) or None,
            ),
            job_cluster_key=SHARED_CLUSTER_KEY,
            max_retries=props.retries.max_retries,
            min_retry_interval_millis=props.retries.min_retry_interval_millis,
            retry_on_timeout=props.retries.retry_on_timeout,
            timeout_seconds=props.timeout_seconds,
        )
