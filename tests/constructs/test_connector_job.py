"""ConnectorJob synthesizes the connector job template exactly, plus run_as, queueing, alerts and permissions."""

from __future__ import annotations

import dataclasses

import pytest

from constructs.connector_job import ConnectorJob, ConnectorJobProps, JobClusterSpec, RetryPolicy
from tests.helpers import resources, synth_construct

PROPS = ConnectorJobProps(
    source_name="github",
    target_catalog="appsec_dev",
    quartz_cron_expression="0 */15 * * * ?",
    timezone_id="UTC",
    run_as_service_principal="3b0a7c52-6d1e-4f8a-9c2b-5e7d1f0a4b61",
    ingest_notebook_path="/Applications/c/dev/ingest_entry",
    transform_notebook_path="/Applications/c/dev/transform_entry",
    retries=RetryPolicy(max_retries=3, min_retry_interval_millis=2000, retry_on_timeout=True),
    cluster=JobClusterSpec(spark_version="14.3.x-scala2.12", node_type_id="Standard_DS3_v2", num_workers=1,
                           data_security_mode="SINGLE_USER"),
    notify_on_failure=("b@example.com", "a@example.com"),
    admin_group="platform-admins",
    operator_groups=("team-b", "team-a"),
    tags=(("source", "github"), ("environment", "dev")),
)


def synth_job(props: ConnectorJobProps = PROPS) -> tuple[dict, dict]:
    synth = synth_construct(lambda stack: ConnectorJob(stack, "github", props=props))
    [job] = resources(synth, "databricks_job")
    [permissions] = resources(synth, "databricks_permissions")
    return job, permissions


@pytest.fixture(scope="module")
def job() -> dict:
    return synth_job()[0]


def test_job_name_and_parameters_follow_the_template(job):
    assert job["name"] == "github-connector"
    assert job["parameter"] == [
        {"name": "source_name", "default": "github"},
        {"name": "target_catalog", "default": "appsec_dev"},
        {"name": "hwm_reset", "default": "false"},
    ]


def test_schedule_is_explicitly_paused_by_default(job):
    assert job["schedule"] == {"quartz_cron_expression": "0 */15 * * * ?", "timezone_id": "UTC",
                               "pause_status": "PAUSED"}


def test_schedule_unpaused_only_when_asked():
    job, _ = synth_job(dataclasses.replace(PROPS, schedule_paused=False))
    assert job["schedule"]["pause_status"] == "UNPAUSED"


def test_tasks_are_sorted_by_key_and_transform_depends_on_ingest(job):
    assert [task["task_key"] for task in job["task"]] == ["ingest", "transform"]
    ingest, transform = job["task"]
    assert "depends_on" not in ingest
    assert transform["depends_on"] == [{"task_key": "ingest"}]
    assert ingest["notebook_task"]["notebook_path"] == "/Applications/c/dev/ingest_entry"
    assert transform["notebook_task"]["notebook_path"] == "/Applications/c/dev/transform_entry"


def test_both_tasks_run_on_the_shared_cluster_with_the_template_retries(job):
    for task in job["task"]:
        assert task["job_cluster_key"] == "shared"
        assert task["notebook_task"]["source"] == "WORKSPACE"
        assert (task["max_retries"], task["min_retry_interval_millis"], task["retry_on_timeout"]) == (3, 2000, True)
        assert "timeout_seconds" not in task
    assert job["job_cluster"] == [{
        "job_cluster_key": "shared",
        "new_cluster": {"spark_version": "14.3.x-scala2.12", "node_type_id": "Standard_DS3_v2", "num_workers": 1,
                        "data_security_mode": "SINGLE_USER"},
    }]


def test_runs_as_the_service_principal_one_at_a_time_with_queueing(job):
    assert job["run_as"] == {"service_principal_name": "3b0a7c52-6d1e-4f8a-9c2b-5e7d1f0a4b61"}
    assert job["max_concurrent_runs"] == 1
    assert job["queue"] == {"enabled": True}


def test_failure_notifications_and_tags_are_sorted(job):
    assert job["email_notifications"] == {"on_failure": ["a@example.com", "b@example.com"]}
    assert list(job["tags"].items()) == [("environment", "dev"), ("source", "github")]


def test_task_parameters_and_timeout_reach_both_tasks():
    job, _ = synth_job(dataclasses.replace(PROPS, timeout_seconds=3600,
                                           task_parameters=(("secret_scope", "mvp-connectors"),)))
    for task in job["task"]:
        assert task["timeout_seconds"] == 3600
        assert task["notebook_task"]["base_parameters"] == {"secret_scope": "mvp-connectors"}


def test_permissions_let_the_team_run_and_only_admins_manage():
    _, permissions = synth_job()
    assert permissions["job_id"].startswith("${databricks_job.") and permissions["job_id"].endswith(".id}")
    assert permissions["access_control"] == [
        {"service_principal_name": "3b0a7c52-6d1e-4f8a-9c2b-5e7d1f0a4b61", "permission_level": "IS_OWNER"},
        {"group_name": "platform-admins", "permission_level": "CAN_MANAGE"},
        {"group_name": "team-a", "permission_level": "CAN_MANAGE_RUN"},
        {"group_name": "team-b", "permission_level": "CAN_MANAGE_RUN"},
    ]


def test_props_are_validated_eagerly_with_every_problem():
    with pytest.raises(ValueError) as raised:
        dataclasses.replace(PROPS, target_catalog="", notify_on_failure=(), operator_groups=("platform-admins",))
    assert str(raised.value) == (
        "ConnectorJobProps for 'github': target_catalog must not be empty; notify_on_failure must name at least "
        "one recipient, or failures go unnoticed; operator_groups must not contain admin_group 'platform-admins'"
    )


def test_props_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        PROPS.source_name = "other"  # type: ignore[misc]
