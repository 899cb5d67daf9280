"""LakeflowJob: Jobs API job settings synthesize into exactly the `databricks_job` and `databricks_permissions` they
describe, with nothing added but the defaults the construct documents; the seed jobs round-trip field by field.

Jobs are grouped into a few stacks, each synthesized once per module (jsii starts once per session, a synth is
cheap). Error cases build into throwaway stacks and never synthesize.
"""

from __future__ import annotations

import ast
import copy
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from core.jobs_api import JobSettingsError, unsupported_fields
from constructs.lakeflow_job import JobAccess, LakeflowJob, LakeflowJobProps
from core.principals import Principal
from tests.helpers import logical_ids, synth_construct

SP = "3b0a7c52-6d1e-4f8a-9c2b-5e7d1f0a4b61"
OTHER_SP = "9f1e2d3c-4b5a-4978-8a9b-0c1d2e3f4a5b"
ADMINS = JobAccess(Principal.group("platform-admins"), "CAN_MANAGE")
NOTEBOOK = {"notebook_task": {"notebook_path": "/Workspace/etl/nb"}}
CLUSTER = "0215-230117-3c5px09z"
PROVIDER = "Databricks Terraform provider 1.99.0"  # what a refusal of an unknown field must name
TRIGGERS = ("schedule", "trigger", "continuous")

# The Jobs API's names -> the provider's, by where the field sits. Written by hand for this test (not read from
# jobs_api.RENAMED), so a wrong rename in the construct cannot agree with itself. Every other name is the same.
API_TO_PROVIDER: dict[str, dict[str, str]] = {
    "job": {"tasks": "task", "job_clusters": "job_cluster", "parameters": "parameter", "environments": "environment"},
    "task": {"libraries": "library"},
    "git_source": {"git_url": "url", "git_provider": "provider", "git_branch": "branch", "git_tag": "tag",
                   "git_commit": "commit"},
}


def provider_names(value: Any, where: str | None = None) -> Any:
    """A Jobs API value spelled with the provider's argument names (API_TO_PROVIDER), otherwise unchanged."""
    if isinstance(value, list):
        return [provider_names(item, where) for item in value]
    if not isinstance(value, dict):
        return value
    renames = API_TO_PROVIDER.get(where or "", {})
    result = {}
    for key, item in value.items():
        if where == "job" and key in ("tasks", "git_source"):
            inner = "task" if key == "tasks" else "git_source"
        elif where == "task" and key == "for_each_task":
            item, inner = {**item, "task": provider_names(item["task"], "task")}, None
        else:
            inner = None
        result[renames.get(key, key)] = provider_names(item, inner)
    return result


def props(settings: dict, **options: Any) -> LakeflowJobProps:
    return LakeflowJobProps(settings=settings, run_as_service_principal=SP, **{"access": (ADMINS,), **options})


def logical_id(synth: dict, resource_type: str, construct_id: str, child: str) -> str:
    """The logical id of `construct_id/child`. cdktf drops a path component the previous one ends with, so the job
    of a LakeflowJob 'tvf_deployment_job' is 'tvf_deployment_job_<hash>', not 'tvf_deployment_job_job_<hash>'."""
    prefix = f"{construct_id}_" if construct_id.endswith(child) else f"{construct_id}_{child}_"
    [name] = [n for n in logical_ids(synth, resource_type) if n.startswith(prefix) and len(n) == len(prefix) + 8]
    return name


def body(synth: dict, resource_type: str, name: str) -> dict:
    return {key: value for key, value in synth["resource"][resource_type][name].items() if key != "//"}


def job_of(synth: dict, construct_id: str) -> dict:
    return body(synth, "databricks_job", logical_id(synth, "databricks_job", construct_id, "job"))


def permissions_of(synth: dict, construct_id: str) -> dict:
    return body(synth, "databricks_permissions", logical_id(synth, "databricks_permissions", construct_id,
                                                            "permissions"))


def job_reference(synth: dict, construct_id: str) -> str:
    """The Terraform reference to a LakeflowJob's job id, as the synthesized JSON spells it."""
    return f"${{databricks_job.{logical_id(synth, 'databricks_job', construct_id, 'job')}.id}}"


def build_failing(settings: dict, **options: Any) -> None:
    """Builds one LakeflowJob into a throwaway stack (no synth): for settings that must be refused."""
    from core.toolchain import TerraformStack, Testing

    LakeflowJob(TerraformStack(Testing.app(), "refused"), "job", props=props(settings, **options))


def one_task_job(name: str, **settings: Any) -> dict:
    return {"name": name, "tasks": [{"task_key": "main", "existing_cluster_id": CLUSTER,
                                     "notebook_task": {"notebook_path": f"/Workspace/etl/{name}"}}], **settings}


# ---------------------------------------------------------------------------------------------------------------
# 1. Every feature: the synthesized block says exactly what the Jobs API settings say.
# ---------------------------------------------------------------------------------------------------------------

TASK_TYPES: list[dict] = [
    {"task_key": "notebook", "existing_cluster_id": CLUSTER,
     "notebook_task": {"notebook_path": "/Workspace/etl/bronze", "source": "WORKSPACE",
                       "base_parameters": {"catalog": "retail", "schema": "bronze"}}},
    {"task_key": "pipeline", "pipeline_task": {"pipeline_id": "3c1f0b2a-pipeline", "full_refresh": True}},
    {"task_key": "spark_python", "existing_cluster_id": CLUSTER,
     "spark_python_task": {"python_file": "/Workspace/etl/main.py", "source": "WORKSPACE",
                           "parameters": ["--date", "{{job.start_time.iso_date}}", "--dry-run"]}},
    {"task_key": "python_wheel", "existing_cluster_id": CLUSTER,
     "python_wheel_task": {"package_name": "retail_etl", "entry_point": "main",
                           "named_parameters": {"catalog": "retail", "mode": "full"}},
     "libraries": [{"whl": "/Volumes/retail/libs/wheels/retail_etl-1.0-py3-none-any.whl"}]},
    {"task_key": "spark_jar", "existing_cluster_id": CLUSTER,
     "spark_jar_task": {"main_class_name": "com.example.retail.Main", "parameters": ["--full", "true"]},
     "libraries": [{"jar": "/Volumes/retail/libs/jars/retail.jar"}]},
    {"task_key": "spark_submit", "existing_cluster_id": CLUSTER,
     "spark_submit_task": {"parameters": ["--class", "com.example.Main", "/Volumes/retail/libs/app.jar", "x"]}},
    {"task_key": "sql_file",
     "sql_task": {"warehouse_id": "wh-123", "file": {"path": "sql/create_views.sql", "source": "GIT"},
                  "parameters": {"catalog": "retail", "gold_schema": "gold"}}},
    {"task_key": "sql_query", "sql_task": {"warehouse_id": "wh-123", "query": {"query_id": "q-42"}}},
    {"task_key": "sql_alert",
     "sql_task": {"warehouse_id": "wh-123",
                  "alert": {"alert_id": "al-7", "pause_subscriptions": False,
                            "subscriptions": [{"user_name": "analyst@example.com"}, {"destination_id": "dest-1"}]}}},
    {"task_key": "sql_dashboard",
     "sql_task": {"warehouse_id": "wh-123",
                  "dashboard": {"dashboard_id": "dash-9", "custom_subject": "Daily orders",
                                "pause_subscriptions": True, "subscriptions": [{"user_name": "cfo@example.com"}]}}},
    {"task_key": "run_job", "run_job_task": {"job_id": 123456789, "job_parameters": {"run_date": "2024-01-01"}}},
    {"task_key": "dbt", "existing_cluster_id": CLUSTER,
     "dbt_task": {"commands": ["dbt deps", "dbt run --select gold"], "project_directory": "dbt/retail",
                  "profiles_directory": "dbt/profiles", "catalog": "retail", "schema": "gold",
                  "warehouse_id": "wh-123", "source": "GIT"},
     "libraries": [{"pypi": {"package": "dbt-databricks>=1.8.0,<2.0.0"}}]},
]

CONTROL_FLOW_TASKS: list[dict] = [
    {"task_key": "produce", "existing_cluster_id": CLUSTER,
     "notebook_task": {"notebook_path": "/Workspace/cf/produce"}},
    {"task_key": "check", "depends_on": [{"task_key": "produce"}],
     "condition_task": {"op": "GREATER_THAN", "left": "{{tasks.produce.values.row_count}}", "right": "0"}},
    {"task_key": "on_rows", "depends_on": [{"task_key": "check", "outcome": "true"}], "existing_cluster_id": CLUSTER,
     "notebook_task": {"notebook_path": "/Workspace/cf/publish"}},
    {"task_key": "on_empty", "depends_on": [{"task_key": "check", "outcome": "false"}],
     "existing_cluster_id": CLUSTER, "notebook_task": {"notebook_path": "/Workspace/cf/warn"}},
    {"task_key": "list", "existing_cluster_id": CLUSTER, "notebook_task": {"notebook_path": "/Workspace/cf/list"}},
    {"task_key": "each_literal",
     "for_each_task": {"inputs": '["eu", "us", "apac"]', "concurrency": 3,
                       "task": {"task_key": "each_literal_iteration", "existing_cluster_id": CLUSTER,
                                "notebook_task": {"notebook_path": "/Workspace/cf/region",
                                                  "base_parameters": {"region": "{{input}}"}},
                                "libraries": [{"pypi": {"package": "requests==2.32.3"}},
                                              {"maven": {"coordinates": "com.example:geo:1.0"}}]}}},
    {"task_key": "each_reference", "depends_on": [{"task_key": "list"}],
     "for_each_task": {"inputs": "{{tasks.list.values.items}}", "concurrency": 10,
                       "task": {"task_key": "each_reference_iteration", "existing_cluster_id": CLUSTER,
                                "max_retries": 1,
                                "spark_python_task": {"python_file": "/Workspace/cf/item.py",
                                                      "parameters": ["{{input}}"]}}}},
    {"task_key": "cleanup", "run_if": "ALL_DONE", "existing_cluster_id": CLUSTER,
     "depends_on": [{"task_key": "on_rows"}, {"task_key": "on_empty"}],
     "notebook_task": {"notebook_path": "/Workspace/cf/cleanup"}},
    {"task_key": "page_oncall", "run_if": "AT_LEAST_ONE_FAILED", "existing_cluster_id": CLUSTER,
     "depends_on": [{"task_key": "each_literal"}, {"task_key": "each_reference"}],
     "notebook_task": {"notebook_path": "/Workspace/cf/page"}},
]

FEATURE_JOBS: dict[str, dict] = {
    "quartz": one_task_job("quartz", schedule={"quartz_cron_expression": "0 0 2 * * ?",
                                               "timezone_id": "Europe/Warsaw"}),
    "periodic": one_task_job("periodic", trigger={"periodic": {"interval": 4, "unit": "HOURS"}}),
    "file_arrival": one_task_job("file_arrival", trigger={"file_arrival": {
        "url": "/Volumes/retail/landing/orders/", "min_time_between_triggers_seconds": 60,
        "wait_after_last_change_seconds": 120}}),
    "table_update_any": one_task_job("table_update_any", trigger={"table_update": {
        "table_names": ["retail.silver.customers", "retail.silver.orders"], "condition": "ANY_UPDATED",
        "min_time_between_triggers_seconds": 300, "wait_after_last_change_seconds": 60}}),
    "table_update_all": one_task_job("table_update_all", trigger={"table_update": {
        "table_names": ["retail.silver.customers", "retail.silver.orders"], "condition": "ALL_UPDATED"}}),
    "continuous": one_task_job("continuous", continuous={"task_retry_mode": "ON_FAILURE"}),
    "manual": one_task_job("manual"),
    "task_types": {"name": "task_types", "tasks": TASK_TYPES},
    "control_flow": {"name": "control_flow", "tasks": CONTROL_FLOW_TASKS},
    "dynamic_values": {
        "name": "dynamic_values",
        "parameters": [{"name": "run_date", "default": "{{job.start_time.iso_date}}"},
                       {"name": "x", "default": "42"}],
        "tasks": [
            {"task_key": "t", "existing_cluster_id": CLUSTER, "notebook_task": {"notebook_path": "/Workspace/dv/t"}},
            {"task_key": "u", "depends_on": [{"task_key": "t"}], "existing_cluster_id": CLUSTER,
             "notebook_task": {"notebook_path": "/Workspace/dv/u", "base_parameters": {
                 "x": "{{job.parameters.x}}", "k": "{{tasks.t.values.k}}", "run": "{{job.run_id}}",
                 "date": "{{job.start_time.iso_date}}"}}},
        ],
    },
    "operations": {
        "name": "operations",
        "description": "Timeouts, health, retries, notifications, queueing",
        "timeout_seconds": 14400,
        "health": {"rules": [{"metric": "RUN_DURATION_SECONDS", "op": "GREATER_THAN", "value": 3600}]},
        "email_notifications": {
            "on_start": ["start@example.com"], "on_success": ["success@example.com"],
            "on_failure": ["failure-a@example.com", "failure-b@example.com"],
            "on_duration_warning_threshold_exceeded": ["slow@example.com"], "no_alert_for_skipped_runs": True},
        "webhook_notifications": {"on_failure": [{"id": "0481e838-0a59-4eff-9541-a4ca6f149574"}],
                                  "on_duration_warning_threshold_exceeded": [{"id": "slack-dest"}]},
        "notification_settings": {"no_alert_for_skipped_runs": True, "no_alert_for_canceled_runs": True},
        "queue": {"enabled": True},
        "max_concurrent_runs": 3,
        "tags": {"team": "retail", "cost_center": "cc-42"},
        "tasks": [{"task_key": "work", "existing_cluster_id": CLUSTER, "timeout_seconds": 600,
                   "max_retries": 3, "min_retry_interval_millis": 60000, "retry_on_timeout": True,
                   "health": {"rules": [{"metric": "RUN_DURATION_SECONDS", "op": "GREATER_THAN", "value": 300}]},
                   "notebook_task": {"notebook_path": "/Workspace/ops/work"}}],
    },
    "compute": {
        "name": "compute",
        "job_clusters": [{"job_cluster_key": "etl", "new_cluster": {
            "spark_version": "16.2.x-scala2.12", "node_type_id": "i3.xlarge", "data_security_mode": "SINGLE_USER",
            "autoscale": {"min_workers": 1, "max_workers": 8},
            "spark_conf": {"spark.sql.shuffle.partitions": "64", "spark.databricks.delta.optimizeWrite.enabled":
                           "true"},
            "custom_tags": {"team": "retail", "purpose": "etl"}}}],
        "tasks": [
            {"task_key": "on_job_cluster", "job_cluster_key": "etl",
             "notebook_task": {"notebook_path": "/Workspace/compute/etl"},
             "libraries": [{"pypi": {"package": "Faker==22.0.0", "repo": "https://pypi.org/simple"}},
                           {"whl": "/Volumes/retail/libs/wheels/util-0.1-py3-none-any.whl"},
                           {"maven": {"coordinates": "com.crealytics:spark-excel_2.12:3.5.1_0.20.4"}}]},
            {"task_key": "on_existing_cluster", "existing_cluster_id": CLUSTER,
             "notebook_task": {"notebook_path": "/Workspace/compute/adhoc"}},
        ],
    },
    "serverless": {
        "name": "serverless",
        "environments": [
            {"environment_key": "default", "spec": {"environment_version": "4", "dependencies": ["Faker==22.0.0"]}},
            {"environment_key": "legacy",
             "spec": {"client": "1", "dependencies": ["pandas==2.2.2", "/Volumes/a/b.whl"]}},
        ],
        "tasks": [
            {"task_key": "generate", "environment_key": "default",
             "spark_python_task": {"python_file": "/Workspace/serverless/generate.py"}},
            {"task_key": "legacy", "environment_key": "legacy", "depends_on": [{"task_key": "generate"}],
             "python_wheel_task": {"package_name": "legacy", "entry_point": "run"}},
            {"task_key": "notebook", "notebook_task": {"notebook_path": "/Workspace/serverless/nb"}},
        ],
    },
    "identity": {
        "name": "identity",
        "run_as": {"user_name": "etl-owner@example.com"},
        "permissions": [{"level": "CAN_VIEW", "group_name": "readers"},
                        {"level": "CAN_MANAGE_RUN", "user_name": "ops@example.com"},
                        {"level": "CAN_MANAGE", "service_principal_name": OTHER_SP}],
        "git_source": {"git_url": "https://github.com/example/retail-etl", "git_provider": "gitHub",
                       "git_branch": "main"},
        "tasks": [{"task_key": "from_git", "existing_cluster_id": CLUSTER,
                   "notebook_task": {"notebook_path": "notebooks/etl", "source": "GIT"}}],
    },
    "git_tag": one_task_job("git_tag", git_source={"git_url": "https://gitlab.com/example/etl",
                                                   "git_provider": "gitLab", "git_tag": "v1.4.2"}),
    "git_commit": one_task_job("git_commit", git_source={"git_url": "https://github.com/example/etl",
                                                         "git_provider": "gitHub", "git_commit": "9b2f0e1"}),
}
FEATURE_SNAPSHOT = copy.deepcopy(FEATURE_JOBS)


@pytest.fixture(scope="module")
def features() -> dict:
    """Every feature job (paused=False, no platform additions) in one stack, plus jobs referencing one another."""
    def build(stack) -> None:
        built = {key: LakeflowJob(stack, key, props=props(settings, paused=False))
                 for key, settings in FEATURE_JOBS.items()}
        LakeflowJob(stack, "references", props=props({"name": "references", "tasks": [
            {"task_key": "run_other", "run_job_task": {"job_id": built["manual"].job.id,
                                                       "job_parameters": {"from": "{{job.id}}"}}},
            {"task_key": "run_each", "for_each_task": {"inputs": "[1, 2]", "task": {
                "task_key": "run_each_iteration", "run_job_task": {"job_id": built["quartz"].job.id}}}},
        ]}, paused=False))

    return synth_construct(build)


def test_settings_are_not_mutated_by_the_construct(features):
    assert FEATURE_JOBS == FEATURE_SNAPSHOT


@pytest.mark.parametrize(("key", "block", "expected"), [
    ("quartz", "schedule",
     {"quartz_cron_expression": "0 0 2 * * ?", "timezone_id": "Europe/Warsaw", "pause_status": "UNPAUSED"}),
    ("periodic", "trigger", {"periodic": {"interval": 4, "unit": "HOURS"}, "pause_status": "UNPAUSED"}),
    ("file_arrival", "trigger",
     {"file_arrival": {"url": "/Volumes/retail/landing/orders/", "min_time_between_triggers_seconds": 60,
                       "wait_after_last_change_seconds": 120}, "pause_status": "UNPAUSED"}),
    ("table_update_any", "trigger",
     {"table_update": {"table_names": ["retail.silver.customers", "retail.silver.orders"],
                       "condition": "ANY_UPDATED", "min_time_between_triggers_seconds": 300,
                       "wait_after_last_change_seconds": 60}, "pause_status": "UNPAUSED"}),
    ("table_update_all", "trigger",
     {"table_update": {"table_names": ["retail.silver.customers", "retail.silver.orders"],
                       "condition": "ALL_UPDATED"}, "pause_status": "UNPAUSED"}),
    ("continuous", "continuous", {"task_retry_mode": "ON_FAILURE", "pause_status": "UNPAUSED"}),
])
def test_each_trigger_is_written_as_the_settings_say(features, key, block, expected):
    job = job_of(features, key)
    assert job[block] == expected
    assert [name for name in TRIGGERS if name in job] == [block]


def test_a_manual_job_has_no_schedule_trigger_or_continuous(features):
    job = job_of(features, "manual")
    assert not {"schedule", "trigger", "continuous"} & job.keys()
    assert job["name"] == "manual"


@pytest.mark.parametrize("task", TASK_TYPES, ids=lambda task: task["task_key"])
def test_each_task_type_is_written_as_the_settings_say(features, task):
    [written] = [t for t in job_of(features, "task_types")["task"] if t["task_key"] == task["task_key"]]
    assert written == provider_names(task, "task")


def test_task_type_details_keep_their_json_types(features):
    tasks = {t["task_key"]: t for t in job_of(features, "task_types")["task"]}
    assert tasks["run_job"]["run_job_task"] == {"job_id": 123456789, "job_parameters": {"run_date": "2024-01-01"}}
    assert type(tasks["run_job"]["run_job_task"]["job_id"]) is int
    assert tasks["pipeline"]["pipeline_task"]["full_refresh"] is True
    assert tasks["sql_alert"]["sql_task"]["alert"]["subscriptions"] == [
        {"user_name": "analyst@example.com"}, {"destination_id": "dest-1"}]
    assert tasks["sql_dashboard"]["sql_task"]["dashboard"]["pause_subscriptions"] is True
    assert tasks["sql_file"]["sql_task"]["file"] == {"path": "sql/create_views.sql", "source": "GIT"}
    assert tasks["sql_query"]["sql_task"]["query"] == {"query_id": "q-42"}
    assert tasks["dbt"]["dbt_task"]["commands"] == ["dbt deps", "dbt run --select gold"]
    assert tasks["python_wheel"]["python_wheel_task"]["named_parameters"] == {"catalog": "retail", "mode": "full"}
    assert tasks["spark_jar"]["library"] == [{"jar": "/Volumes/retail/libs/jars/retail.jar"}]
    assert "libraries" not in tasks["spark_jar"]


def test_condition_task_and_its_outcome_branches(features):
    tasks = {t["task_key"]: t for t in job_of(features, "control_flow")["task"]}
    assert tasks["check"]["condition_task"] == {
        "op": "GREATER_THAN", "left": "{{tasks.produce.values.row_count}}", "right": "0"}
    assert tasks["check"]["depends_on"] == [{"task_key": "produce"}]
    assert tasks["on_rows"]["depends_on"] == [{"task_key": "check", "outcome": "true"}]
    assert tasks["on_empty"]["depends_on"] == [{"task_key": "check", "outcome": "false"}]


def test_for_each_over_a_json_array_with_its_nested_task_and_libraries(features):
    tasks = {t["task_key"]: t for t in job_of(features, "control_flow")["task"]}
    assert tasks["each_literal"]["for_each_task"] == {
        "inputs": '["eu", "us", "apac"]', "concurrency": 3,
        "task": {"task_key": "each_literal_iteration", "existing_cluster_id": CLUSTER,
                 "notebook_task": {"notebook_path": "/Workspace/cf/region", "base_parameters": {"region": "{{input}}"}},
                 "library": [{"pypi": {"package": "requests==2.32.3"}},
                             {"maven": {"coordinates": "com.example:geo:1.0"}}]}}


def test_for_each_over_a_task_value_reference(features):
    tasks = {t["task_key"]: t for t in job_of(features, "control_flow")["task"]}
    for_each = tasks["each_reference"]["for_each_task"]
    assert for_each["inputs"] == "{{tasks.list.values.items}}"
    assert for_each["concurrency"] == 10
    assert for_each["task"] == {"task_key": "each_reference_iteration", "existing_cluster_id": CLUSTER,
                                "max_retries": 1, "spark_python_task": {"python_file": "/Workspace/cf/item.py",
                                                                        "parameters": ["{{input}}"]}}
    assert tasks["each_reference"]["depends_on"] == [{"task_key": "list"}]


def test_run_if_conditions(features):
    tasks = {t["task_key"]: t for t in job_of(features, "control_flow")["task"]}
    assert (tasks["cleanup"]["run_if"], tasks["cleanup"]["depends_on"]) == (
        "ALL_DONE", [{"task_key": "on_rows"}, {"task_key": "on_empty"}])
    assert (tasks["page_oncall"]["run_if"], tasks["page_oncall"]["depends_on"]) == (
        "AT_LEAST_ONE_FAILED", [{"task_key": "each_literal"}, {"task_key": "each_reference"}])
    assert "run_if" not in tasks["produce"]


def test_whole_control_flow_job_is_the_settings_in_provider_names(features):
    job = job_of(features, "control_flow")
    expected = sorted(provider_names(CONTROL_FLOW_TASKS, "task"), key=lambda task: task["task_key"])
    assert job["task"] == expected


def test_job_parameters_and_dynamic_value_references_pass_verbatim(features):
    job = job_of(features, "dynamic_values")
    assert job["parameter"] == [{"name": "run_date", "default": "{{job.start_time.iso_date}}"},
                                {"name": "x", "default": "42"}]
    assert "parameters" not in job
    [_, u] = job["task"]
    assert u["notebook_task"]["base_parameters"] == {
        "x": "{{job.parameters.x}}", "k": "{{tasks.t.values.k}}", "run": "{{job.run_id}}",
        "date": "{{job.start_time.iso_date}}"}


def test_timeouts_health_and_retries(features):
    job = job_of(features, "operations")
    assert job["timeout_seconds"] == 14400
    assert job["health"] == {"rules": [{"metric": "RUN_DURATION_SECONDS", "op": "GREATER_THAN", "value": 3600}]}
    [task] = job["task"]
    assert {k: task[k] for k in ("timeout_seconds", "max_retries", "min_retry_interval_millis", "retry_on_timeout")} \
        == {"timeout_seconds": 600, "max_retries": 3, "min_retry_interval_millis": 60000, "retry_on_timeout": True}
    assert task["health"] == {"rules": [{"metric": "RUN_DURATION_SECONDS", "op": "GREATER_THAN", "value": 300}]}


def test_email_webhook_and_notification_settings(features):
    job = job_of(features, "operations")
    assert job["email_notifications"] == {
        "on_start": ["start@example.com"], "on_success": ["success@example.com"],
        "on_failure": ["failure-a@example.com", "failure-b@example.com"],
        "on_duration_warning_threshold_exceeded": ["slow@example.com"], "no_alert_for_skipped_runs": True}
    assert job["webhook_notifications"] == {"on_failure": [{"id": "0481e838-0a59-4eff-9541-a4ca6f149574"}],
                                            "on_duration_warning_threshold_exceeded": [{"id": "slack-dest"}]}
    assert job["notification_settings"] == {"no_alert_for_skipped_runs": True, "no_alert_for_canceled_runs": True}


def test_queue_concurrency_description_and_tags(features):
    job = job_of(features, "operations")
    assert job["queue"] == {"enabled": True}
    assert job["max_concurrent_runs"] == 3
    assert job["description"] == "Timeouts, health, retries, notifications, queueing"
    assert job["tags"] == {"team": "retail", "cost_center": "cc-42"}


def test_the_whole_operations_job_is_the_settings_plus_run_as(features):
    assert job_of(features, "operations") == {**provider_names(FEATURE_JOBS["operations"], "job"),
                                              "run_as": {"service_principal_name": SP}}


def test_job_clusters_with_new_cluster_and_task_libraries(features):
    job = job_of(features, "compute")
    assert "job_clusters" not in job
    assert job["job_cluster"] == [{"job_cluster_key": "etl", "new_cluster": {
        "spark_version": "16.2.x-scala2.12", "node_type_id": "i3.xlarge", "data_security_mode": "SINGLE_USER",
        "autoscale": {"min_workers": 1, "max_workers": 8},
        "spark_conf": {"spark.sql.shuffle.partitions": "64", "spark.databricks.delta.optimizeWrite.enabled": "true"},
        "custom_tags": {"team": "retail", "purpose": "etl"}}}]
    tasks = {t["task_key"]: t for t in job["task"]}
    assert tasks["on_job_cluster"]["job_cluster_key"] == "etl"
    assert tasks["on_job_cluster"]["library"] == [
        {"pypi": {"package": "Faker==22.0.0", "repo": "https://pypi.org/simple"}},
        {"whl": "/Volumes/retail/libs/wheels/util-0.1-py3-none-any.whl"},
        {"maven": {"coordinates": "com.crealytics:spark-excel_2.12:3.5.1_0.20.4"}}]
    assert tasks["on_existing_cluster"]["existing_cluster_id"] == CLUSTER
    assert "job_cluster_key" not in tasks["on_existing_cluster"]


def test_serverless_environments_and_task_environment_keys(features):
    job = job_of(features, "serverless")
    assert "environments" not in job
    assert job["environment"] == [
        {"environment_key": "default", "spec": {"environment_version": "4", "dependencies": ["Faker==22.0.0"]}},
        {"environment_key": "legacy", "spec": {"client": "1", "dependencies": ["pandas==2.2.2", "/Volumes/a/b.whl"]}}]
    keys = {t["task_key"]: t.get("environment_key") for t in job["task"]}
    assert keys == {"generate": "default", "legacy": "legacy", "notebook": None}


def test_settings_run_as_and_git_source_in_provider_names(features):
    job = job_of(features, "identity")
    assert job["run_as"] == {"user_name": "etl-owner@example.com"}
    assert job["git_source"] == {"url": "https://github.com/example/retail-etl", "provider": "gitHub",
                                 "branch": "main"}
    assert job["task"][0]["notebook_task"] == {"notebook_path": "notebooks/etl", "source": "GIT"}
    assert job_of(features, "git_tag")["git_source"] == {"url": "https://gitlab.com/example/etl",
                                                         "provider": "gitLab", "tag": "v1.4.2"}
    assert job_of(features, "git_commit")["git_source"] == {"url": "https://github.com/example/etl",
                                                            "provider": "gitHub", "commit": "9b2f0e1"}


def test_bundle_permissions_become_a_permissions_resource_not_a_job_argument(features):
    job = job_of(features, "identity")
    assert "permissions" not in job
    permissions = permissions_of(features, "identity")
    # Owned by the principal it runs as (its own run_as, a user), not the service principal it would default to.
    assert permissions == {"job_id": job_reference(features, "identity"), "access_control": [
        {"user_name": "etl-owner@example.com", "permission_level": "IS_OWNER"},
        {"group_name": "platform-admins", "permission_level": "CAN_MANAGE"},
        {"service_principal_name": OTHER_SP, "permission_level": "CAN_MANAGE"},
        {"user_name": "ops@example.com", "permission_level": "CAN_MANAGE_RUN"},
        {"group_name": "readers", "permission_level": "CAN_VIEW"},
    ]}


def test_another_jobs_id_token_becomes_a_terraform_reference_where_a_number_is_wanted(features):
    tasks = {t["task_key"]: t for t in job_of(features, "references")["task"]}
    assert tasks["run_other"]["run_job_task"] == {"job_id": job_reference(features, "manual"),
                                                  "job_parameters": {"from": "{{job.id}}"}}
    assert tasks["run_each"]["for_each_task"]["task"]["run_job_task"] == {
        "job_id": job_reference(features, "quartz")}


@pytest.mark.parametrize("key", sorted(FEATURE_JOBS))
def test_every_feature_job_is_exactly_its_settings_plus_the_documented_defaults(features, key):
    """Nothing the settings say is lost and nothing else appears: run_as (unless own), UNPAUSED where there is a
    trigger without status, tasks by task_key; permissions leave the job."""
    expected = provider_names({k: v for k, v in FEATURE_JOBS[key].items() if k != "permissions"}, "job")
    expected["task"] = sorted(expected["task"], key=lambda task: task["task_key"])
    expected.setdefault("run_as", {"service_principal_name": SP})
    for block in TRIGGERS:
        if block in expected:
            expected[block] = {**expected[block], "pause_status": expected[block].get("pause_status", "UNPAUSED")}
    assert job_of(features, key) == expected


# ---------------------------------------------------------------------------------------------------------------
# 2. The construct's documented defaults.
# ---------------------------------------------------------------------------------------------------------------

DAILY = {"quartz_cron_expression": "0 0 6 * * ?", "timezone_id": "UTC"}
DEFAULT_JOBS: dict[str, tuple[dict, dict]] = {  # construct id -> (settings, LakeflowJobProps options)
    "unsorted": ({"name": "unsorted", "tasks": [
        {"task_key": key, "existing_cluster_id": CLUSTER, "notebook_task": {"notebook_path": f"/nb/{key}"}}
        for key in ("silver", "bronze", "gold", "Audit", "audit_2", "10_first")]}, {"paused": False}),
    "own_run_as_sp": (one_task_job("own_run_as_sp", run_as={"service_principal_name": OTHER_SP}), {}),
    "own_run_as_user": (one_task_job("own_run_as_user", run_as={"user_name": "etl@example.com"}), {}),
    "paused_by_default": (one_task_job("paused_by_default", schedule={**DAILY, "pause_status": "UNPAUSED"}), {}),
    "paused_schedule": (one_task_job("paused_schedule", schedule={**DAILY, "pause_status": "UNPAUSED"}),
                        {"paused": True}),
    "paused_schedule_no_status": (one_task_job("paused_schedule_no_status", schedule=DAILY), {"paused": True}),
    "paused_trigger": (one_task_job("paused_trigger", trigger={
        "pause_status": "UNPAUSED", "table_update": {"table_names": ["c.s.t"]}}), {"paused": True}),
    "paused_continuous": (one_task_job("paused_continuous", continuous={"pause_status": "UNPAUSED"}),
                          {"paused": True}),
    "unpaused_keeps_paused": (one_task_job("unpaused_keeps_paused", schedule={**DAILY, "pause_status": "PAUSED"}),
                              {"paused": False}),
    "unpaused_schedule": (one_task_job("unpaused_schedule", schedule=DAILY), {"paused": False}),
    "unpaused_trigger": (one_task_job("unpaused_trigger", trigger={"periodic": {"interval": 1, "unit": "DAYS"}}),
                         {"paused": False}),
    "unpaused_continuous": (one_task_job("unpaused_continuous", continuous={}), {"paused": False}),
    "unpaused_continuous_paused": (one_task_job("unpaused_continuous_paused", continuous={"pause_status": "PAUSED"}),
                                   {"paused": False}),
    "notify_merged": (one_task_job("notify_merged", email_notifications={
        "on_failure": ["zoe@example.com", "bob@example.com"], "on_success": ["sam@example.com"]}),
                      {"notify_on_failure": ("bob@example.com", "amy@example.com")}),
    "notify_only": (one_task_job("notify_only"), {"notify_on_failure": ("ops@example.com",)}),
    "notify_none": (one_task_job("notify_none"), {}),
    "tags_merged": (one_task_job("tags_merged", tags={"layer": "semantic", "job_level": "atomic"}),
                    {"tags": (("job_level", "platform"), ("environment", "dev"))}),
    "tags_only_props": (one_task_job("tags_only_props"), {"tags": (("source", "github"), ("environment", "dev"))}),
    "tags_none": (one_task_job("tags_none"), {}),
    "permissions_merged": (one_task_job("permissions_merged", permissions=[
        {"level": "CAN_VIEW", "group_name": "platform-admins"},
        {"level": "CAN_MANAGE", "group_name": "team"},
        {"level": "CAN_VIEW", "user_name": "auditor@example.com"},
        {"level": "IS_OWNER", "service_principal_name": SP},
        {"level": "CAN_MANAGE_RUN", "user_name": "auditor@example.com"},
        {"level": "CAN_VIEW", "group_name": "a-readers"},
    ]), {"access": (ADMINS, JobAccess(Principal.group("team"), "CAN_MANAGE_RUN"),
                    JobAccess(Principal.service_principal(SP), "CAN_MANAGE_RUN"),
                    JobAccess(Principal.group("z-operators"), "CAN_MANAGE_RUN"))}),
    "managed_only_by_settings": (one_task_job("managed_only_by_settings", permissions=[
        {"level": "CAN_MANAGE", "group_name": "owners"}]), {"access": ()}),
    "protected_by_settings": (one_task_job("protected_by_settings", lifecycle={"prevent_destroy": True}), {}),
    "protected_by_props": (one_task_job("protected_by_props"), {"prevent_destroy": True}),
    "unprotected": (one_task_job("unprotected", lifecycle={"prevent_destroy": False}), {}),
}


@pytest.fixture(scope="module")
def defaults() -> dict:
    def build(stack) -> None:
        for key, (settings, options) in DEFAULT_JOBS.items():
            LakeflowJob(stack, key, props=props(settings, **options))

    return synth_construct(build)


def test_tasks_are_written_sorted_by_task_key(defaults):
    assert [t["task_key"] for t in job_of(defaults, "unsorted")["task"]] == [
        "10_first", "Audit", "audit_2", "bronze", "gold", "silver"]


def test_run_as_defaults_to_the_given_service_principal(defaults):
    assert job_of(defaults, "unsorted")["run_as"] == {"service_principal_name": SP}


@pytest.mark.parametrize(("key", "run_as"), [
    ("own_run_as_sp", {"service_principal_name": OTHER_SP}),
    ("own_run_as_user", {"user_name": "etl@example.com"}),
])
def test_the_settings_own_run_as_is_kept(defaults, key, run_as):
    assert job_of(defaults, key)["run_as"] == run_as


@pytest.mark.parametrize(("key", "block"), [
    ("paused_by_default", "schedule"), ("paused_schedule", "schedule"), ("paused_schedule_no_status", "schedule"),
    ("paused_trigger", "trigger"), ("paused_continuous", "continuous"),
])
def test_paused_forces_paused_even_over_the_settings_unpaused(defaults, key, block):
    settings, _ = DEFAULT_JOBS[key]
    assert job_of(defaults, key)[block] == {**settings[block], "pause_status": "PAUSED"}


@pytest.mark.parametrize(("key", "block", "status"), [
    ("unpaused_keeps_paused", "schedule", "PAUSED"), ("unpaused_schedule", "schedule", "UNPAUSED"),
    ("unpaused_trigger", "trigger", "UNPAUSED"), ("unpaused_continuous", "continuous", "UNPAUSED"),
    ("unpaused_continuous_paused", "continuous", "PAUSED"),
])
def test_not_paused_keeps_the_settings_status_and_writes_unpaused_where_there_is_none(defaults, key, block, status):
    settings, _ = DEFAULT_JOBS[key]
    assert job_of(defaults, key)[block] == {**settings[block], "pause_status": status}


def test_notify_on_failure_is_merged_with_the_settings_sorted_and_each_once(defaults):
    assert job_of(defaults, "notify_merged")["email_notifications"] == {
        "on_failure": ["amy@example.com", "bob@example.com", "zoe@example.com"], "on_success": ["sam@example.com"]}
    assert job_of(defaults, "notify_only")["email_notifications"] == {"on_failure": ["ops@example.com"]}
    assert "email_notifications" not in job_of(defaults, "notify_none")


def test_tags_are_merged_and_props_win_on_a_clash(defaults):
    tags = job_of(defaults, "tags_merged")["tags"]
    assert tags == {"environment": "dev", "job_level": "platform", "layer": "semantic"}
    assert list(tags) == sorted(tags)
    assert job_of(defaults, "tags_only_props")["tags"] == {"environment": "dev", "source": "github"}
    assert "tags" not in job_of(defaults, "tags_none")


def test_permissions_merge_keeping_the_highest_level_managers_first(defaults):
    assert permissions_of(defaults, "permissions_merged") == {
        "job_id": job_reference(defaults, "permissions_merged"),
        "access_control": [
            {"service_principal_name": SP, "permission_level": "IS_OWNER"},
            {"group_name": "platform-admins", "permission_level": "CAN_MANAGE"},
            {"group_name": "team", "permission_level": "CAN_MANAGE"},
            {"group_name": "z-operators", "permission_level": "CAN_MANAGE_RUN"},
            {"user_name": "auditor@example.com", "permission_level": "CAN_MANAGE_RUN"},
            {"group_name": "a-readers", "permission_level": "CAN_VIEW"},
        ]}
    assert "permissions" not in job_of(defaults, "permissions_merged")


def test_a_manager_named_only_in_the_settings_permissions_is_enough(defaults):
    assert permissions_of(defaults, "managed_only_by_settings")["access_control"] == [
        {"service_principal_name": SP, "permission_level": "IS_OWNER"},
        {"group_name": "owners", "permission_level": "CAN_MANAGE"}]


@pytest.mark.parametrize(("key", "lifecycle"), [
    ("protected_by_settings", {"prevent_destroy": True}),
    ("protected_by_props", {"prevent_destroy": True}),
    ("unprotected", None),
    ("notify_none", None),
])
def test_prevent_destroy_becomes_terraform_lifecycle(defaults, key, lifecycle):
    job = job_of(defaults, key)
    assert job.get("lifecycle") == lifecycle
    assert "lifecycle" not in permissions_of(defaults, key)


@pytest.mark.parametrize(("change", "path"), [
    (lambda s: s["tasks"][0].update(compute={"hardware_accelerator": "GPU_1xA10"}), ("tasks", 0, "compute")),
    (lambda s: s["tasks"][0].update(alert_task={"alert_id": "a-1", "warehouse_id": "wh"}, notebook_task=None),
     ("tasks", 0, "alert_task")),
    (lambda s: s.update(parent_path="/Workspace/Shared/jobs"), ("parent_path",)),
    (lambda s: s.update(run_as={"group_name": "etl-runners"}), ("run_as", "group_name")),
    (lambda s: s["tasks"][0].update(for_each_task={"inputs": "[1]", "task": {"task_key": "i", "compute": {},
                                                                              **NOTEBOOK}}, notebook_task=None),
     ("tasks", 0, "for_each_task", "task", "compute")),
], ids=["tasks[0].compute", "tasks[0].alert_task", "parent_path", "run_as.group_name", "nested compute"])
def test_a_field_the_provider_lacks_is_refused_by_its_path(change, path):
    settings = one_task_job("refused")
    change(settings)
    with pytest.raises(JobSettingsError) as raised:
        build_failing(settings)
    [(where, message)] = raised.value.problems
    assert where == path
    assert PROVIDER in message and "provider's name" not in message
    dotted = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
    assert str(raised.value) == f"{dotted}: {message}"


@pytest.mark.parametrize(("change", "path", "api_name"), [
    (lambda s: s["tasks"][0].update(library=[{"pypi": {"package": "x"}}]), ("tasks", 0, "library"), "libraries"),
    (lambda s: s["tasks"][0].update(for_each_task={"inputs": "[1]", "task": {"task_key": "i", "library": [],
                                                                              **NOTEBOOK}}, notebook_task=None),
     ("tasks", 0, "for_each_task", "task", "library"), "libraries"),
    (lambda s: s.update(task=[{"task_key": "other"}]), ("task",), "tasks"),
    (lambda s: s.update(job_cluster=[{"job_cluster_key": "c"}]), ("job_cluster",), "job_clusters"),
    (lambda s: s.update(parameter=[{"name": "p", "default": "d"}]), ("parameter",), "parameters"),
    (lambda s: s.update(environment=[{"environment_key": "e"}]), ("environment",), "environments"),
    (lambda s: s.update(git_source={"url": "https://github.com/x/y", "git_provider": "gitHub"}),
     ("git_source", "url"), "git_url"),
    (lambda s: s.update(git_source={"git_url": "https://github.com/x/y", "provider": "gitHub", "branch": "m"}),
     ("git_source", "provider"), "git_provider"),
], ids=["library", "nested library", "task", "job_cluster", "parameter", "environment", "url", "provider"])
def test_the_providers_spelling_is_refused_with_the_api_name(change, path, api_name):
    settings = one_task_job("spelling")
    change(settings)
    with pytest.raises(JobSettingsError) as raised:
        build_failing(settings)
    assert raised.value.problems[0] == (path, f"is the provider's name; write the Jobs API's '{api_name}'")


def test_task_instead_of_tasks_is_refused_naming_tasks():
    settings = {"name": "spelling", "task": [{"task_key": "a", "notebook_task": {"notebook_path": "/nb"}}]}
    assert unsupported_fields(settings) == [(("task",), "is the provider's name; write the Jobs API's 'tasks'")]
    with pytest.raises(ValueError, match=r"\btasks\b"):  # the props check speaks first: no `tasks`
        build_failing(settings)


def test_every_problem_is_reported_at_once():
    settings = one_task_job("many", parent_path="/x", run_as={"group_name": "g"}, job_cluster=[])
    settings["tasks"][0]["library"] = []
    with pytest.raises(JobSettingsError) as raised:
        build_failing(settings)
    assert [path for path, _ in raised.value.problems] == [
        ("tasks", 0, "library"), ("parent_path",), ("run_as", "group_name"), ("job_cluster",)]


@pytest.mark.parametrize(("change", "problem"), [
    (lambda s: s.update(max_concurrent_runs="1"), (("max_concurrent_runs",), "expected number, got str '1'")),
    (lambda s: s.update(tags={"retries": 3}),
     (("tags",), "expected a mapping of strings to strings (quote numbers and booleans)")),
    (lambda s: s["tasks"][0].update(depends_on="ingest"), (("tasks", 0, "depends_on"), "expected a list, got str "
                                                                                       "'ingest'")),
    (lambda s: s.update(queue=True), (("queue",), "expected a mapping, got bool True")),
])
def test_a_value_of_the_wrong_type_is_refused_by_its_path(change, problem):
    settings = one_task_job("types")
    change(settings)
    with pytest.raises(JobSettingsError) as raised:
        build_failing(settings)
    assert raised.value.problems == [problem]


@pytest.mark.parametrize(("settings", "options", "message"), [
    ({"tasks": [{"task_key": "a", **NOTEBOOK}]}, {}, "LakeflowJobProps for 'None': settings.name must name the job"),
    ({"name": "", "tasks": [{"task_key": "a", **NOTEBOOK}]}, {}, "LakeflowJobProps for '': settings.name must name the job"),
    ({"name": "j"}, {}, "LakeflowJobProps for 'j': settings.tasks must hold at least one task, each with a task_key"),
    ({"name": "j", "tasks": []}, {},
     "LakeflowJobProps for 'j': settings.tasks must hold at least one task, each with a task_key"),
    ({"name": "j", "tasks": [{"task_key": "a", **NOTEBOOK}, {"notebook_task": {"notebook_path": "/nb"}}]}, {},
     "LakeflowJobProps for 'j': settings.tasks must hold at least one task, each with a task_key"),
    ({"name": "j", "tasks": [{"task_key": "a", **NOTEBOOK}]},
     {"access": (JobAccess(Principal.group("team"), "CAN_MANAGE_RUN"),)},
     "LakeflowJobProps for 'j': access must give someone CAN_MANAGE, or nobody but its owner can fix the job"),
    ({"name": "j", "tasks": [{"task_key": "a", **NOTEBOOK}], "permissions": [{"level": "CAN_VIEW", "group_name": "g"}]},
     {"access": ()},
     "LakeflowJobProps for 'j': access must give someone CAN_MANAGE, or nobody but its owner can fix the job"),
    ({"tasks": []}, {"access": (), "run_as_service_principal": ""},
     "LakeflowJobProps for 'None': settings.name must name the job; settings.tasks must hold at least one task, "
     "each with a task_key; run_as_service_principal must not be empty; access must give someone CAN_MANAGE, or "
     "nobody but its owner can fix the job"),
], ids=["no name", "empty name", "no tasks", "empty tasks", "task without task_key", "nobody manages",
        "settings grant no manager", "everything"])
def test_props_are_validated_with_exact_messages(settings, options, message):
    arguments = {"settings": settings, "run_as_service_principal": SP, "access": (ADMINS,), **options}
    with pytest.raises(ValueError) as raised:
        LakeflowJobProps(**arguments)
    assert str(raised.value) == message


@pytest.mark.parametrize(("options", "message"), [
    ({"access": (ADMINS, JobAccess(Principal.group("team"), "IS_OWNER"))},
     "LakeflowJobProps for 'j': IS_OWNER for group 'team': a job's owner is a user or service principal; give the "
     "group CAN_MANAGE"),
    ({"access": (ADMINS, JobAccess(Principal("user", "a@example.com"), "IS_OWNER"),
                 JobAccess(Principal("user", "b@example.com"), "IS_OWNER"))},
     "LakeflowJobProps for 'j': a job has exactly one owner; IS_OWNER is given to 'a@example.com', 'b@example.com': "
     "keep one and give the others CAN_MANAGE"),
], ids=["group owner", "two owners"])
def test_a_job_has_exactly_one_owner_and_never_a_group(options, message):
    with pytest.raises(ValueError) as raised:
        LakeflowJobProps(settings=one_task_job("j"), run_as_service_principal=SP, **options)
    assert str(raised.value) == message


def test_the_owner_is_the_run_as_service_principal_unless_access_names_one():
    default = LakeflowJobProps(settings=one_task_job("j"), run_as_service_principal=SP, access=(ADMINS,))
    assert [p for p, level in default.permission_levels().items() if level == "IS_OWNER"] == \
        [Principal.service_principal(SP)]
    owner = Principal("user", "owner@example.com")
    named = LakeflowJobProps(settings=one_task_job("j"), run_as_service_principal=SP,
                             access=(ADMINS, JobAccess(owner, "IS_OWNER")))
    assert [p for p, level in named.permission_levels().items() if level == "IS_OWNER"] == [owner]
    assert Principal.service_principal(SP) not in named.permission_levels()


@pytest.mark.parametrize(("run_as", "owner"), [
    ({"service_principal_name": OTHER_SP}, Principal.service_principal(OTHER_SP)),
    ({"user_name": "etl@example.com"}, Principal("user", "etl@example.com")),
], ids=["service principal", "user"])
def test_a_job_with_its_own_run_as_is_owned_by_the_principal_it_runs_as(run_as, owner):
    job = LakeflowJobProps(settings=one_task_job("own", run_as=run_as), run_as_service_principal=SP,
                           access=(ADMINS,))
    assert job.runner() == owner
    assert [p for p, level in job.permission_levels().items() if level == "IS_OWNER"] == [owner]
    assert Principal.service_principal(SP) not in job.permission_levels()


def test_a_named_owner_wins_over_the_job_s_own_run_as():
    owner = Principal("user", "owner@example.com")
    job = LakeflowJobProps(settings=one_task_job("own", run_as={"service_principal_name": OTHER_SP}),
                           run_as_service_principal=SP, access=(ADMINS, JobAccess(owner, "IS_OWNER")))
    assert [p for p, level in job.permission_levels().items() if level == "IS_OWNER"] == [owner]


def test_an_empty_service_principal_is_fine_when_the_settings_name_their_run_as():
    job = LakeflowJobProps(settings=one_task_job("own", run_as={"user_name": "u@example.com"}),
                           run_as_service_principal="", access=(ADMINS,))
    assert job.job_settings()["run_as"] == {"user_name": "u@example.com"}
    assert job.permission_levels()[Principal("user", "u@example.com")] == "IS_OWNER"


def test_error_paths_index_the_settings_own_task_list():
    settings = {"name": "order", "tasks": [
        {"task_key": "b_second_when_sorted", "compute": {"hardware_accelerator": "GPU_1xA10"}, **NOTEBOOK},
        {"task_key": "a_first_when_sorted", "notebook_task": {"notebook_path": "/nb"}}]}
    with pytest.raises(JobSettingsError) as raised:
        build_failing(settings)
    assert [path for path, _ in raised.value.problems] == [("tasks", 0, "compute")]


def test_a_permission_without_principal_is_a_validation_error():
    with pytest.raises(ValueError) as raised:
        props(one_task_job("perm", permissions=[{"level": "CAN_VIEW"}]))
    assert str(raised.value) == ("LakeflowJobProps for 'perm': settings.permissions[0] must name exactly one of "
                                 "group_name, user_name, service_principal_name")


def test_an_unknown_permission_level_is_a_validation_error():
    with pytest.raises(ValueError) as raised:
        props(one_task_job("perm", permissions=[{"level": "CAN_RUN", "group_name": "g"}]))
    assert str(raised.value) == ("LakeflowJobProps for 'perm': settings.permissions[0].level 'CAN_RUN' is not one "
                                 "of: CAN_VIEW, CAN_MANAGE_RUN, CAN_MANAGE, IS_OWNER")


def test_an_unsubstituted_bundle_variable_is_a_validation_error():
    settings = one_task_job("vars")
    settings["tasks"][0]["existing_cluster_id"] = "${var.cluster_id}"
    with pytest.raises(ValueError) as raised:
        props(settings)
    assert str(raised.value) == ("LakeflowJobProps for 'vars': settings.tasks[0].existing_cluster_id: "
                                 "'${var.cluster_id}' is not substituted; resolve ${...} before the job is built "
                                 "(Terraform would read it as its own interpolation)")


def test_provider_only_job_arguments_are_not_job_settings():
    settings = one_task_job("legacy", max_retries=3)
    with pytest.raises(JobSettingsError) as raised:
        build_failing(settings)
    assert raised.value.problems == [(("max_retries",), "is a field the Databricks Terraform provider 1.99.0 cannot "
                                                        "deploy; remove it")]


def test_a_null_on_failure_is_treated_as_absent():
    settings = one_task_job("null_on_failure", email_notifications={"on_failure": None, "on_success": ["a@x.io"]})
    assert props(settings, notify_on_failure=("ops@x.io",)).job_settings()["email_notifications"] == {
        "on_failure": ["ops@x.io"], "on_success": ["a@x.io"]}


# ---------------------------------------------------------------------------------------------------------------
# 3. Seed round-trips: the jobs of the reference seeds, read from the seed files, field by field.
# ---------------------------------------------------------------------------------------------------------------

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "reference" / "seeds"
# The seeds are the maintainers' reference documents beside the checkout, not part of the repository: without
# them these round trips are skipped with this message, and every other test here still runs.
NO_SEEDS = "the reference seeds are not beside this checkout (../shared/reference/seeds): a maintainer-only check"


def need_seeds() -> None:
    if not SEEDS.is_dir():
        pytest.skip(NO_SEEDS)
# Bundle variables, substituted by this test as `databricks bundle` would.
BUNDLE_VARIABLES = {"bundle.target": "test", "var.catalog": "test_catalog", "var.bronze_schema": "test_bronze",
                    "var.silver_schema": "test_silver", "var.gold_schema": "test_gold", "var.schema": "test_schema",
                    "var.warehouse_id": "test-warehouse-0001"}
REFERENCE = re.compile(r"\$\{resources\.(jobs|pipelines)\.([A-Za-z0-9_]+)\.id\}")
VARIABLE = re.compile(r"\$\{((?:var|bundle)\.[A-Za-z0-9_]+)\}")


def seed_text(number: str) -> str:
    [path] = SEEDS.glob(f"{number}_*.txt")
    return path.read_text()


def bundle_jobs(yaml_text: str) -> dict[str, dict]:
    return YAML(typ="safe", pure=True).load(yaml_text)["resources"]["jobs"]


def fenced(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", text, re.S | re.M)


def load_seed_jobs() -> dict[str, dict]:
    """Seed job key -> its Jobs API definition, read from the seed files (bundle keys; JSON jobs by name)."""
    jobs: dict[str, dict] = {}
    text = seed_text("001")
    for block in fenced(text, "yaml"):  # the two bundle YAML definitions
        jobs.update(bundle_jobs(block))
    [task_1] = fenced(text, "json")  # Task 1's JSON job
    job = json.loads(task_1)
    jobs[job["name"]] = job
    text = seed_text("002")
    [python_dict] = re.findall(r"^job_config = (\{.*?^\})$", text, re.S | re.M)  # a Python dict in a notebook cell
    job = ast.literal_eval(python_dict)
    jobs[job["name"]] = job
    [yaml_cell] = re.findall(r"^resources:\n(?:[ \t]+.*\n|\n)*", text, re.M)  # an unfenced YAML notebook cell
    jobs.update(bundle_jobs(yaml_cell))
    for block in fenced(seed_text("004"), "yaml"):
        if re.search(r"^resources:", block, re.M):  # whole bundle resources; the other blocks are fragments
            jobs.update(bundle_jobs(block))
    return jobs


SEED_JOBS = load_seed_jobs() if SEEDS.is_dir() else {}


def substituted(value: Any, reference: Callable[[str, str], Any]) -> Any:
    """`value` with bundle variables replaced and each `${resources.<kind>.<key>.id}` replaced by
    `reference(kind, key)`."""
    if isinstance(value, dict):
        return {key: substituted(item, reference) for key, item in value.items()}
    if isinstance(value, list):
        return [substituted(item, reference) for item in value]
    if not isinstance(value, str):
        return value
    if match := REFERENCE.fullmatch(value):
        return reference(match[1], match[2])
    assert not REFERENCE.search(value), f"a reference inside a longer string: {value!r}"
    return VARIABLE.sub(lambda m: BUNDLE_VARIABLES[m[1]], value)


def references_in(value: Any) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for item in value.values():
            yield from references_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from references_in(item)
    elif isinstance(value, str) and (match := REFERENCE.fullmatch(value)):
        yield match[1], match[2]


# Construct id -> (seed job key, LakeflowJobProps options). Round-trips use paused=False and no notify/tags;
# two variants show the pause override and the notify/tags merge.
ROUND_TRIPS: dict[str, tuple[str, dict]] = {
    **{key: (key, {"paused": False}) for key in SEED_JOBS},
    "demo_orders_pipeline_paused": ("demo_orders_pipeline", {"paused": True}),
    "refresh_orchestrator_job_notified": ("refresh_orchestrator_job", {
        "paused": False, "notify_on_failure": ("oncall@example.com", "data-engineering@company.com"),
        "tags": (("job_level", "platform"), ("environment", "dev"))}),
}
# Construct ids of the LakeflowJobs standing in for jobs the seeds reference but do not define.
STAND_INS = ["bronze_setup_job", "gold_setup_job", "metric_view_deployment_job", "ml_layer_setup_job",
             "monitoring_layer_setup_job"]
STAND_IN_PIPELINE = "silver_dlt_pipeline"

ABSENT = "<absent>"
ORDER = ("order", "sorted by task_key")
# Every difference between a seed job (in provider names, variables and references resolved) and its synthesized
# databricks_job: (path, seed value, synthesized value). Anything not listed fails.
RUN_AS_ADDED = ("run_as", ABSENT, {"service_principal_name": SP})
EXPECTED_DIFFERENCES: dict[str, list[tuple]] = {
    "demo_orders_pipeline": [RUN_AS_ADDED, ("task", *ORDER)],
    "demo_customer_pipeline": [RUN_AS_ADDED],  # its tasks are already in task_key order
    "RetailHub_Daily_Refresh": [RUN_AS_ADDED, ("task", *ORDER), ("trigger.pause_status", ABSENT, "UNPAUSED")],
    "RetailHub_Medallion_Pipeline": [RUN_AS_ADDED, ("task", *ORDER)],  # its trigger is PAUSED and stays so
    "job_medalion_run": [RUN_AS_ADDED, ("task", *ORDER)],
    "tvf_deployment_job": [RUN_AS_ADDED],
    "semantic_layer_setup_job": [RUN_AS_ADDED, ("task", *ORDER)],
    "master_setup_orchestrator": [RUN_AS_ADDED, ("task", *ORDER)],
    "setup_orchestrator_job": [RUN_AS_ADDED, ("task", *ORDER)],
    "refresh_orchestrator_job": [RUN_AS_ADDED, ("task", *ORDER)],  # its schedule is PAUSED and stays so
    "demo_orders_pipeline_paused": [RUN_AS_ADDED, ("task", *ORDER), ("trigger.pause_status", "UNPAUSED", "PAUSED")],
    "refresh_orchestrator_job_notified": [
        RUN_AS_ADDED, ("task", *ORDER),
        ("email_notifications.on_failure", ["data-engineering@company.com"],
         ["data-engineering@company.com", "oncall@example.com"]),
        ("tags.environment", "test", "dev"), ("tags.job_level", "orchestrator", "platform")],
}


@pytest.fixture(scope="module")
def seeds() -> dict:
    """Every seed job in one stack. A job referenced by `${resources.jobs.K.id}` is built before the job that
    references it: the seed's own job K, or a stand-in LakeflowJob named K where the seeds do not define K."""
    need_seeds()
    from core.provider import Pipeline

    def build(stack) -> None:
        built: dict[str, LakeflowJob] = {}
        pipeline = Pipeline(stack, STAND_IN_PIPELINE, name=STAND_IN_PIPELINE)

        def token(kind: str, key: str) -> Any:
            if kind == "pipelines":
                assert key == STAND_IN_PIPELINE
                return pipeline.id
            return ensure(key).job.id

        def ensure(key: str) -> LakeflowJob:
            if key not in built:
                if key in SEED_JOBS:
                    built[key] = make(key, key, {"paused": False})
                else:
                    assert key in STAND_INS, f"an unexpected reference to job {key}"
                    built[key] = LakeflowJob(stack, key, props=props(one_task_job(key), paused=False))
            return built[key]

        def make(construct_id: str, key: str, options: dict) -> LakeflowJob:
            for kind, referenced in references_in(SEED_JOBS[key]):
                if kind == "jobs":
                    ensure(referenced)
            settings = substituted(SEED_JOBS[key], token)
            return LakeflowJob(stack, construct_id, props=props(settings, **options))

        for construct_id, (key, options) in ROUND_TRIPS.items():
            if construct_id not in built:
                built[construct_id] = make(construct_id, key, options)
        assert sorted(set(built) - set(ROUND_TRIPS)) == STAND_INS

    return synth_construct(build)


def seed_as_synthesized(seeds: dict, key: str) -> dict:
    """The seed job as the synthesized JSON should spell it before the construct's additions: provider names,
    bundle variables substituted, references as the Terraform references to the jobs built for them."""
    def reference(kind: str, referenced: str) -> str:
        if kind == "pipelines":
            [name] = logical_ids(seeds, "databricks_pipeline")
            return f"${{databricks_pipeline.{name}.id}}"
        return job_reference(seeds, referenced)

    return provider_names(substituted(SEED_JOBS[key], reference), "job")


def by_task_key(job: dict) -> dict:
    """The job with its task list as a mapping task_key -> task (order is compared on its own)."""
    return {**job, "task": {task["task_key"]: task for task in job.get("task", [])}}


def dotted(path: tuple) -> str:
    text = ""
    for index, part in enumerate(path):
        if isinstance(part, int) or (index and path[index - 1] == "task" and index == 1):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


def differences(seed: Any, written: Any, path: tuple = ()) -> list[tuple]:
    """(path, seed value, synthesized value) for every place the two differ; ABSENT where one has nothing."""
    if isinstance(seed, dict) and isinstance(written, dict):
        found = []
        for key in [*seed, *(k for k in written if k not in seed)]:
            found += differences(seed.get(key, ABSENT), written.get(key, ABSENT), (*path, key))
        return found
    if isinstance(seed, list) and isinstance(written, list) and len(seed) == len(written):
        return [d for index, (a, b) in enumerate(zip(seed, written, strict=True))
                for d in differences(a, b, (*path, index))]
    return [] if seed == written else [(dotted(path), seed, written)]


def task_order_difference(seed: dict, written: dict) -> list[tuple]:
    seed_order = [task["task_key"] for task in seed["task"]]
    written_order = [task["task_key"] for task in written["task"]]
    if seed_order == written_order:
        return []
    return [("task", *ORDER)] if written_order == sorted(seed_order) else [("task", seed_order, written_order)]


def leaves(value: Any, path: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    """Every scalar (and list of scalars) of a definition, with its path."""
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from leaves(item, (*path, key))
    elif isinstance(value, list) and any(isinstance(item, (dict, list)) for item in value):
        for index, item in enumerate(value):
            yield from leaves(item, (*path, index))
    else:
        yield path, value


def lookup(value: Any, path: tuple) -> Any:
    for part in path:
        if isinstance(value, dict):
            value = value.get(part, ABSENT)
        elif isinstance(value, list) and isinstance(part, int) and part < len(value):
            value = value[part]
        else:
            return ABSENT
    return value


def test_the_seed_files_hold_the_expected_jobs():
    need_seeds()
    assert sorted(SEED_JOBS) == sorted([
        "demo_orders_pipeline", "demo_customer_pipeline", "RetailHub_Daily_Refresh",  # 001
        "RetailHub_Medallion_Pipeline", "job_medalion_run",  # 002
        "tvf_deployment_job", "semantic_layer_setup_job", "master_setup_orchestrator", "setup_orchestrator_job",
        "refresh_orchestrator_job"])  # 004
    assert SEED_JOBS["demo_orders_pipeline"]["trigger"]["table_update"]["table_names"] == [
        "retailhub_trainer.silver.silver_customers"]
    assert SEED_JOBS["RetailHub_Daily_Refresh"]["trigger"] == {"periodic": {"interval": 1, "unit": "DAYS"}}
    assert len(SEED_JOBS["RetailHub_Medallion_Pipeline"]["tasks"]) == 6
    assert len(SEED_JOBS["job_medalion_run"]["tasks"]) == 6
    assert sorted(set(references_in(SEED_JOBS))) == sorted(
        [("jobs", key) for key in [*STAND_INS, "semantic_layer_setup_job", "tvf_deployment_job"]]
        + [("pipelines", STAND_IN_PIPELINE)])


@pytest.mark.parametrize("construct_id", sorted(ROUND_TRIPS))
def test_every_seed_field_reaches_the_job_with_the_same_value(seeds, construct_id):
    """Walks the seed definition: each of its fields is in the synthesized job, renamed by API_TO_PROVIDER, with
    the same value (tasks matched by task_key); the expected differences are checked by the next test."""
    key, _ = ROUND_TRIPS[construct_id]
    seed = by_task_key(seed_as_synthesized(seeds, key))
    written = by_task_key(job_of(seeds, construct_id))
    changed = {path for path, _, _ in EXPECTED_DIFFERENCES[construct_id]}
    walked = [(path, value) for path, value in leaves(seed) if dotted(path) not in changed]
    assert len(walked) >= 5
    assert [(dotted(path), value, lookup(written, path)) for path, value in walked
            if lookup(written, path) != value] == []


@pytest.mark.parametrize("construct_id", sorted(ROUND_TRIPS))
def test_a_seed_job_differs_only_by_the_expected_differences(seeds, construct_id):
    key, _ = ROUND_TRIPS[construct_id]
    seed = seed_as_synthesized(seeds, key)
    written = job_of(seeds, construct_id)
    found = task_order_difference(seed, written) + differences(by_task_key(seed), by_task_key(written))
    assert sorted(found, key=repr) == sorted(EXPECTED_DIFFERENCES[construct_id], key=repr)


def test_the_seed_orders_table_update_trigger_is_paused_by_the_construct(seeds):
    assert SEED_JOBS["demo_orders_pipeline"]["trigger"]["pause_status"] == "UNPAUSED"
    assert job_of(seeds, "demo_orders_pipeline_paused")["trigger"] == {
        "pause_status": "PAUSED", "table_update": {"table_names": ["retailhub_trainer.silver.silver_customers"]}}
    assert job_of(seeds, "demo_orders_pipeline")["trigger"]["pause_status"] == "UNPAUSED"


def test_run_job_tasks_reference_the_jobs_built_for_them(seeds):
    jobs = seeds["resource"]["databricks_job"]
    names = {f"${{databricks_job.{name}.id}}": body["name"] for name, body in jobs.items()}
    targets = {}
    for construct_id in ("semantic_layer_setup_job", "master_setup_orchestrator"):
        for task in job_of(seeds, construct_id)["task"]:
            targets[(construct_id, task["task_key"])] = names[task["run_job_task"]["job_id"]]
    assert targets == {
        ("semantic_layer_setup_job", "deploy_tvfs"): "[test] Health Monitor - TVF Deployment",
        ("semantic_layer_setup_job", "deploy_metric_views"): "metric_view_deployment_job",  # stand-in
        ("master_setup_orchestrator", "bronze_setup"): "bronze_setup_job",  # stand-in
        ("master_setup_orchestrator", "gold_setup"): "gold_setup_job",  # stand-in
        ("master_setup_orchestrator", "semantic_layer_setup"): "[test] Health Monitor - Semantic Layer Setup",
        ("master_setup_orchestrator", "monitoring_layer_setup"): "monitoring_layer_setup_job",  # stand-in
        ("master_setup_orchestrator", "ml_layer_setup"): "ml_layer_setup_job",  # stand-in
    }


def test_the_pipeline_task_references_the_pipeline(seeds):
    [pipeline] = logical_ids(seeds, "databricks_pipeline")
    tasks = {t["task_key"]: t for t in job_of(seeds, "refresh_orchestrator_job")["task"]}
    assert tasks["run_silver_dlt_pipeline"]["pipeline_task"] == {
        "pipeline_id": f"${{databricks_pipeline.{pipeline}.id}}", "full_refresh": False}


def test_no_bundle_interpolation_is_left_in_the_seed_jobs(seeds):
    text = json.dumps(seeds["resource"]["databricks_job"])
    assert re.findall(r"\$\{(?!databricks_job\.|databricks_pipeline\.)[^}]*\}", text) == []


def test_every_seed_job_has_its_permissions(seeds):
    for construct_id in [*ROUND_TRIPS, *STAND_INS]:
        assert permissions_of(seeds, construct_id) == {
            "job_id": job_reference(seeds, construct_id),
            "access_control": [{"service_principal_name": SP, "permission_level": "IS_OWNER"},
                               {"group_name": "platform-admins", "permission_level": "CAN_MANAGE"}]}
