"""ConnectorJob: the Lakeflow Job every batch connector runs, exactly as the connector job template fixes it:
a LakeflowJob with settings the template fixes.

ingest -> bronze, then transform -> silver with a hard dependency on ingest, so a failed ingest never leaves
silver partially refreshed. Job parameters source_name / target_catalog / hwm_reset; one shared job cluster;
identical retries on both tasks; run as a service principal; one run at a time with queueing.
"""

from __future__ import annotations

from dataclasses import dataclass

from typing import Any

from constructs import Construct

from constructs.connector_operations import ConnectorOperationsProps, RetryPolicy, operated_job_props
from constructs.lakeflow_job import LakeflowJob

__all__ = ["ConnectorJob", "ConnectorJobProps", "JobClusterSpec", "RetryPolicy"]

SHARED_CLUSTER_KEY = "shared"
INGEST_TASK = "ingest"
TRANSFORM_TASK = "transform"


@dataclass(frozen=True)
class JobClusterSpec:
    spark_version: str
    node_type_id: str
    num_workers: int
    data_security_mode: str


@dataclass(frozen=True, kw_only=True)
class ConnectorJobProps(ConnectorOperationsProps):
    target_catalog: str
    ingest_notebook_path: str
    transform_notebook_path: str
    cluster: JobClusterSpec
    # Fixed notebook parameters beside the job parameters (e.g. which secret scope and names to read).
    task_parameters: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        self.validate("target_catalog", "ingest_notebook_path", "transform_notebook_path")


class ConnectorJob(LakeflowJob):
    """One connector's job and its permissions: a LakeflowJob whose settings the template fixes.
    Construct ids: 'job', 'permissions'."""

    def __init__(self, scope: Construct, id: str, *, props: ConnectorJobProps) -> None:
        self.connector_props = props
        super().__init__(scope, id, props=operated_job_props(
            props,
            tasks=[self._task(INGEST_TASK, props.ingest_notebook_path, depends_on=None),
                   self._task(TRANSFORM_TASK, props.transform_notebook_path, depends_on=INGEST_TASK)],
            parameters=[
                {"name": "source_name", "default": props.source_name},
                {"name": "target_catalog", "default": props.target_catalog},
                {"name": "hwm_reset", "default": "false"},
            ],
            job_clusters=[{
                "job_cluster_key": SHARED_CLUSTER_KEY,
                "new_cluster": {
                    "spark_version": props.cluster.spark_version,
                    "node_type_id": props.cluster.node_type_id,
                    "num_workers": props.cluster.num_workers,
                    "data_security_mode": props.cluster.data_security_mode,
                },
            }],
        ))

    def _task(self, key: str, notebook_path: str, depends_on: str | None) -> dict[str, Any]:
        props = self.connector_props
        return {
            "task_key": key,
            "depends_on": [{"task_key": depends_on}] if depends_on else None,
            "notebook_task": {
                "notebook_path": notebook_path,
                "source": "WORKSPACE",
                "base_parameters": dict(sorted(props.task_parameters)) or None,
            },
            "job_cluster_key": SHARED_CLUSTER_KEY,
            **props.task_retries(),
        }
