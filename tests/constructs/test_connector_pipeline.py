"""ConnectorPipeline: a serverless managed ingestion pipeline into the environment's catalog, scheduled by a job
that behaves like every batch connector's job, and guarded against destroy."""

from __future__ import annotations

import dataclasses

import pytest

from constructs.connector_operations import RetryPolicy
from constructs.connector_pipeline import ConnectorPipeline, ConnectorPipelineProps, IngestedObject
from tests.helpers import resource, resources, synth_construct

SP = "3b0a7c52-6d1e-4f8a-9c2b-5e7d1f0a4b61"
PROPS = ConnectorPipelineProps(
    source_name="servicenow",
    quartz_cron_expression="0 30 */6 * * ?",
    timezone_id="UTC",
    run_as_service_principal=SP,
    retries=RetryPolicy(max_retries=3, min_retry_interval_millis=2000, retry_on_timeout=True),
    notify_on_failure=("b@example.com", "a@example.com"),
    admin_group="platform-admins",
    operator_groups=("team-b", "team-a"),
    tags=(("source", "servicenow"), ("environment", "dev")),
    catalog="appsec_dev",
    connection_name="servicenow_dev",
    event_log_schema="servicenow",
    objects=(
        IngestedObject(kind="table", source="incident", source_schema="tables", destination_schema="servicenow",
                       scd_type="SCD_TYPE_2", primary_keys=("sys_id",), sequence_by=("sys_updated_on",)),
        IngestedObject(kind="table", source="sys_user", source_schema="tables", destination_schema="servicenow",
                       destination_table="users", exclude_columns=("mobile_phone",)),
        IngestedObject(kind="schema", source="tables", destination_schema="servicenow_all"),
    ),
)


def synth_pipeline(props: ConnectorPipelineProps = PROPS) -> dict:
    return synth_construct(lambda stack: ConnectorPipeline(stack, "servicenow", props=props))


@pytest.fixture(scope="module")
def synthesized() -> dict:
    return synth_pipeline()


@pytest.fixture(scope="module")
def pipeline(synthesized) -> dict:
    return resource(synthesized, "databricks_pipeline", "servicenow/pipeline")


@pytest.fixture(scope="module")
def job(synthesized) -> dict:
    return resource(synthesized, "databricks_job", "servicenow/job")


def test_pipeline_is_serverless_triggered_managed_ingestion_in_the_catalog(pipeline):
    assert pipeline["name"] == "servicenow-ingestion"
    assert (pipeline["catalog"], pipeline["schema"]) == ("appsec_dev", "servicenow")
    assert (pipeline["serverless"], pipeline["continuous"], pipeline["channel"]) == (True, False, "CURRENT")
    assert pipeline["development"] is False
    assert pipeline["ingestion_definition"]["connection_name"] == "servicenow_dev"
    # No notebooks, clusters or libraries: the managed connector is the code.
    assert not {"library", "cluster", "edition", "trigger"} & set(pipeline)


def test_objects_keep_their_order_and_land_in_the_catalog(pipeline):
    assert pipeline["ingestion_definition"]["objects"] == [
        {"table": {"source_schema": "tables", "source_table": "incident", "destination_catalog": "appsec_dev",
                   "destination_schema": "servicenow",
                   "table_configuration": {"scd_type": "SCD_TYPE_2", "primary_keys": ["sys_id"],
                                           "sequence_by": ["sys_updated_on"]}}},
        {"table": {"source_schema": "tables", "source_table": "sys_user", "destination_catalog": "appsec_dev",
                   "destination_schema": "servicenow", "destination_table": "users",
                   "table_configuration": {"exclude_columns": ["mobile_phone"]}}},
        {"schema": {"source_schema": "tables", "destination_catalog": "appsec_dev",
                    "destination_schema": "servicenow_all"}},
    ]


def test_pipeline_runs_as_the_service_principal_and_alerts_on_failure(pipeline):
    assert pipeline["run_as"] == {"service_principal_name": SP}
    assert pipeline["notification"] == [{"alerts": ["on-flow-failure", "on-update-fatal-failure"],
                                         "email_recipients": ["a@example.com", "b@example.com"]}]
    assert list(pipeline["tags"].items()) == [("environment", "dev"), ("source", "servicenow")]


def test_pipeline_is_protected_by_default_and_only_unprotected_when_asked(pipeline):
    assert pipeline["lifecycle"] == {"prevent_destroy": True}
    unprotected = synth_pipeline(dataclasses.replace(PROPS, prevent_destroy=False, development=True))
    pipeline = resource(unprotected, "databricks_pipeline", "servicenow/pipeline")
    assert "lifecycle" not in pipeline
    assert pipeline["development"] is True


def test_job_triggers_an_incremental_update_with_the_batch_job_rules(job, synthesized):
    [pipeline_name] = synthesized["resource"]["databricks_pipeline"]
    assert job["name"] == "servicenow-connector"
    assert job["task"] == [{
        "task_key": "ingest",
        "pipeline_task": {"pipeline_id": f"${{databricks_pipeline.{pipeline_name}.id}}", "full_refresh": False},
        "max_retries": 3, "min_retry_interval_millis": 2000, "retry_on_timeout": True,
    }]
    assert job["schedule"] == {"quartz_cron_expression": "0 30 */6 * * ?", "timezone_id": "UTC",
                               "pause_status": "PAUSED"}
    assert job["run_as"] == {"service_principal_name": SP}
    assert (job["max_concurrent_runs"], job["queue"]) == (1, {"enabled": True})
    assert job["email_notifications"] == {"on_failure": ["a@example.com", "b@example.com"]}
    assert "parameter" not in job and "job_cluster" not in job


def test_schedule_unpaused_and_timeout_only_when_asked():
    result = synth_pipeline(dataclasses.replace(PROPS, schedule_paused=False, timeout_seconds=5400))
    job = resource(result, "databricks_job", "servicenow/job")
    assert job["schedule"]["pause_status"] == "UNPAUSED"
    assert job["task"][0]["timeout_seconds"] == 5400


def test_permissions_admins_manage_operators_and_the_job_identity_run(synthesized):
    by_target = {("job" if "job_id" in p else "pipeline"): p["access_control"]
                 for p in resources(synthesized, "databricks_permissions")}
    assert by_target["job"] == [
        {"service_principal_name": SP, "permission_level": "IS_OWNER"},
        {"group_name": "platform-admins", "permission_level": "CAN_MANAGE"},
        {"group_name": "team-a", "permission_level": "CAN_MANAGE_RUN"},
        {"group_name": "team-b", "permission_level": "CAN_MANAGE_RUN"},
    ]
    assert by_target["pipeline"] == [
        {"group_name": "platform-admins", "permission_level": "CAN_MANAGE"},
        {"group_name": "team-a", "permission_level": "CAN_RUN"},
        {"group_name": "team-b", "permission_level": "CAN_RUN"},
        {"service_principal_name": SP, "permission_level": "CAN_RUN"},
    ]


def test_pipeline_waits_for_what_it_depends_on():
    from core.provider import Grant

    def build(stack):
        grant = Grant(stack, "connection_grant", foreign_connection="servicenow_dev", principal=SP,
                      privileges=["USE_CONNECTION"])
        ConnectorPipeline(stack, "servicenow", props=dataclasses.replace(PROPS, depends_on=(grant,)))

    result = synth_construct(build)
    [grant_name] = result["resource"]["databricks_grant"]
    assert resource(result, "databricks_pipeline", "servicenow/pipeline")["depends_on"] == [
        f"databricks_grant.{grant_name}"]


def test_props_are_validated_eagerly_with_every_problem():
    with pytest.raises(ValueError) as raised:
        dataclasses.replace(PROPS, connection_name="", notify_on_failure=(), objects=())
    assert str(raised.value) == (
        "ConnectorPipelineProps for 'servicenow': connection_name must not be empty; notify_on_failure must name "
        "at least one recipient, or failures go unnoticed; objects must name at least one table or schema"
    )
    twice = IngestedObject(kind="table", source="incident", destination_schema="servicenow")
    with pytest.raises(ValueError, match=r"two objects land in servicenow\.incident$"):
        dataclasses.replace(PROPS, objects=(twice, twice))


def test_props_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        PROPS.connection_name = "other"  # type: ignore[misc]
