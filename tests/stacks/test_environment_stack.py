"""The sample connectors.yaml (the platform tests' copy, tests/fixtures/sample/), synthesized: one stack per
environment with everything the issue lists. The user's own stacks have their reviewed snapshots in
tests/test_user_config.py."""

from __future__ import annotations

import json

import pytest

from core.provider_differences import PROVIDER_VERSIONS
from core.toolchain import TOOLCHAIN
from tests.helpers import resource, resources

SP_DEV = "3b0a7c52-6d1e-4f8a-9c2b-5e7d1f0a4b61"
SP_PROD = "9e4d2b17-0c5f-4a3e-8b6d-7f1c2a9e5d03"


def test_one_stack_per_environment(stacks, synthesized):
    assert sorted(stacks) == ["dev", "prod"]
    manifest = json.loads((synthesized / "manifest.json").read_text())
    assert sorted(manifest["stacks"]) == ["dev", "prod"]


def test_every_resource_type_each_stack_holds(stacks):
    for env in ("dev", "prod"):
        counts = {kind: len(items) for kind, items in stacks[env]["resource"].items()}
        assert counts == {
            "databricks_directory": 1, "databricks_notebook": 4, "databricks_workspace_file": 9,
            # folder + one per job (4 connectors', 4 of `jobs`) + the pipeline + the alert and the dashboard
            "databricks_permissions": 12,
            "databricks_secret_scope": 1, "databricks_secret_acl": 2,
            "databricks_schema": 4, "databricks_grant": 6 if env == "dev" else 10,
            "databricks_job": 8, "databricks_pipeline": 1, "databricks_alert_v2": 1, "databricks_dashboard": 1,
        }


def test_provider_points_at_the_environment_workspace_with_no_credentials(stacks):
    assert stacks["dev"]["provider"]["databricks"] == [{"host": "https://adb-1111111111111111.11.azuredatabricks.net"}]
    assert stacks["prod"]["provider"]["databricks"] == [{"host": "https://adb-2222222222222222.12.azuredatabricks.net"}]
    assert stacks["dev"]["terraform"]["required_providers"]["databricks"] == {
        "source": "databricks/databricks", "version": PROVIDER_VERSIONS[TOOLCHAIN]}


def test_dev_state_is_local_with_a_checkout_independent_path(stacks):
    assert stacks["dev"]["terraform"]["backend"] == {"local": {"path": "../../../terraform.dev.tfstate"}}


def test_prod_state_is_remote_with_azure_ad_auth(stacks):
    assert stacks["prod"]["terraform"]["backend"] == {"azurerm": {
        "resource_group_name": "rg-appsec-tfstate", "storage_account_name": "stappsectfstate",
        "container_name": "tfstate", "key": "connector-platform/prod.tfstate", "use_azuread_auth": True}}


@pytest.mark.parametrize(("env", "paused"), [("dev", "PAUSED"), ("prod", "UNPAUSED")])
def test_schedules_follow_the_environment(stacks, env, paused):
    jobs = {job["name"]: job for job in resources(stacks[env], "databricks_job")}
    assert {name: job["schedule"] for name, job in jobs.items() if "schedule" in job} == {
        "github-connector": {"quartz_cron_expression": "0 */15 * * * ?", "timezone_id": "UTC", "pause_status": paused},
        "sonarqube-connector": {"quartz_cron_expression": "0 0 */3 * * ?", "timezone_id": "UTC",
                                "pause_status": paused},
        "cmdb-connector": {"quartz_cron_expression": "0 0 2 * * ?", "timezone_id": "UTC", "pause_status": paused},
        "servicenow-connector": {"quartz_cron_expression": "0 30 */6 * * ?", "timezone_id": "UTC",
                                 "pause_status": paused},
        "appsec-daily-refresh": {"quartz_cron_expression": "0 0 5 * * ?", "timezone_id": "UTC",
                                 "pause_status": paused},
        # Its file says UNPAUSED: dev pauses it all the same.
        "appsec-table-maintenance": {"quartz_cron_expression": "0 0 3 ? * SUN", "timezone_id": "Europe/Berlin",
                                     "pause_status": paused},
    }
    assert jobs["appsec-findings-gold"]["trigger"]["pause_status"] == paused


@pytest.mark.parametrize(("env", "catalog", "sp"), [("dev", "appsec_dev", SP_DEV), ("prod", "appsec_prod", SP_PROD)])
def test_jobs_target_the_environment_catalog_and_principal(stacks, env, catalog, sp):
    jobs = resources(stacks[env], "databricks_job")
    for job in jobs:
        assert job["run_as"] == {"service_principal_name": sp}
        assert job["tags"]["environment"] == env
    notebook_jobs = [job for job in jobs if "parameter" in job and job["name"].endswith("-connector")]
    assert len(notebook_jobs) == 3
    for job in notebook_jobs:
        assert {p["name"]: p["default"] for p in job["parameter"]}["target_catalog"] == catalog
    [pipeline] = resources(stacks[env], "databricks_pipeline")
    assert pipeline["catalog"] == catalog
    assert pipeline["run_as"] == {"service_principal_name": sp}


def test_connector_overrides_apply_to_that_connector_only(stacks):
    jobs = {job["name"]: job for job in resources(stacks["dev"], "databricks_job")}
    assert {t["min_retry_interval_millis"] for t in jobs["sonarqube-connector"]["task"]} == {10000}
    assert {t["min_retry_interval_millis"] for t in jobs["github-connector"]["task"]} == {2000}
    assert {t["timeout_seconds"] for t in jobs["cmdb-connector"]["task"]} == {7200}
    assert {t["timeout_seconds"] for t in jobs["github-connector"]["task"]} == {3600}
    assert jobs["cmdb-connector"]["task"][0]["notebook_task"]["base_parameters"]["secret_names"] == (
        "cmdb-client-id,cmdb-client-secret")


def test_both_tasks_get_the_sources_settings_and_the_run_id_from_the_job(stacks):
    jobs = {job["name"]: job for job in resources(stacks["prod"], "databricks_job")}
    for task in jobs["sonarqube-connector"]["task"]:
        assert task["notebook_task"]["base_parameters"] == {
            "bronze_schema": "bronze", "initial_mark": "2024-01-01T00:00:00Z", "job_run_id": "{{job.run_id}}",
            "secret_names": "sonarqube-token", "secret_scope": "mvp-connectors",
            "settings": '{"base_url":"https://sonarqube.example.com"}', "silver_schema": "silver",
            "source": "sonarqube"}
    github = jobs["github-connector"]["task"][0]["notebook_task"]["base_parameters"]
    assert (github["settings"], github["initial_mark"]) == ('{"organisation":"acme-appsec"}', "")


def test_jobs_run_the_uploaded_notebooks(stacks):
    notebooks = stacks["dev"]["resource"]["databricks_notebook"]
    ingest_id = next(name for name in notebooks if name.startswith("notebooks_ingest_entry_"))
    for job in resources(stacks["dev"], "databricks_job"):
        if job["name"] != "servicenow-connector" and job["name"].endswith("-connector"):
            assert job["task"][0]["notebook_task"]["notebook_path"] == f"${{databricks_notebook.{ingest_id}.path}}"


def test_jobs_section_references_become_terraform_references(stacks):
    synth = stacks["prod"]
    jobs = {job["name"]: job for job in resources(synth, "databricks_job")}
    ids = {body["name"]: name for name, body in synth["resource"]["databricks_job"].items()}
    refresh = {task["task_key"]: task["run_job_task"]["job_id"] for task in jobs["appsec-connectors-refresh"]["task"]}
    assert refresh == {key: f"${{databricks_job.{ids[key + '-connector']}.id}}"
                       for key in ("cmdb", "github", "servicenow", "sonarqube")}
    daily = {task["task_key"]: task for task in jobs["appsec-daily-refresh"]["task"]}
    assert daily["rebuild_findings"]["run_job_task"]["job_id"] == f"${{databricks_job.{ids['appsec-findings-gold']}.id}}"
    assert daily["rebuild_findings"]["run_if"] == "ALL_DONE"
    notebooks = synth["resource"]["databricks_notebook"]
    gold_notebook = next(name for name in notebooks if name.startswith("notebooks_gold_entry_"))
    [gold_task] = jobs["appsec-findings-gold"]["task"]
    assert gold_task["notebook_task"]["notebook_path"] == f"${{databricks_notebook.{gold_notebook}.path}}"
    assert gold_task["notebook_task"]["base_parameters"]["catalog"] == "appsec_prod"
    # Derived from the connectors (${connectors.sources.*}); the orchestrator passes nothing, so the default applies.
    assert jobs["appsec-findings-gold"]["trigger"]["table_update"]["table_names"] == [
        f"appsec_prod.silver.{table}" for table in (
            "github_code_scanning_alerts", "github_dependabot_alerts", "github_secret_scanning_alerts",
            "sonarqube_issues", "sonarqube_security_hotspots")]
    assert jobs["appsec-findings-gold"]["parameter"] == [{"name": "connectors", "default": "github,sonarqube"}]
    assert "job_parameters" not in daily["rebuild_findings"]["run_job_task"]
    [cluster] = jobs["appsec-table-maintenance"]["job_cluster"]
    assert cluster["new_cluster"]["num_workers"] == 2  # ${var.maintenance_workers} in prod
    assert {job["name"]: job["tags"]["job_level"] for job in jobs.values()} == {
        "appsec-connectors-refresh": "composite", "appsec-daily-refresh": "orchestrator",
        "appsec-findings-gold": "atomic", "appsec-table-maintenance": "atomic", "cmdb-connector": "atomic",
        "github-connector": "atomic", "servicenow-connector": "atomic", "sonarqube-connector": "atomic"}
    permissions = {p["job_id"]: p["access_control"] for p in resources(synth, "databricks_permissions") if "job_id" in p}
    assert permissions[f"${{databricks_job.{ids['appsec-daily-refresh']}.id}}"] == [
        {"service_principal_name": "9e4d2b17-0c5f-4a3e-8b6d-7f1c2a9e5d03", "permission_level": "IS_OWNER"},
        {"group_name": "appsec-platform-admins", "permission_level": "CAN_MANAGE"},
        {"group_name": "appsec-data-engineers", "permission_level": "CAN_MANAGE_RUN"}]


def test_secret_acls_read_for_run_as_manage_for_admins(stacks):
    acls = {(acl["principal"], acl["permission"]) for acl in resources(stacks["prod"], "databricks_secret_acl")}
    assert acls == {(SP_PROD, "READ"), ("appsec-platform-admins", "MANAGE")}


def test_readers_group_only_where_configured(stacks):
    principals = {grant["principal"] for grant in resources(stacks["dev"], "databricks_grant")}
    assert principals == {SP_DEV}
    prod = {(g.get("schema") or g.get("catalog"), g["principal"]): g["privileges"]
            for g in resources(stacks["prod"], "databricks_grant")}
    assert prod[("appsec_prod.silver", "appsec-analysts")] == ["SELECT", "USE_SCHEMA"]


def test_data_bearing_resources_are_protected(stacks):
    for env in ("dev", "prod"):
        for schema in ("bronze", "silver", "schema_servicenow"):
            assert resource(stacks[env], "databricks_schema", f"catalog/{schema}")["lifecycle"] == {
                "prevent_destroy": True}
        assert resource(stacks[env], "databricks_pipeline", "servicenow/pipeline")["lifecycle"] == {
            "prevent_destroy": True}
        assert resource(stacks[env], "databricks_secret_scope", "secrets/scope")["lifecycle"] == {
            "prevent_destroy": True}


def test_no_absolute_paths_or_secret_values_in_the_output(synthesized):
    for path in sorted(synthesized.rglob("*.json")):
        text = path.read_text()
        assert str(synthesized.parent) not in text
        assert '"/tmp' not in text and '"/home' not in text and '"/root' not in text
        for marker in ("dapi", "ghp_", "password", "-----BEGIN"):
            assert marker not in text, f"{marker} in {path.name}"


@pytest.mark.parametrize(("env", "catalog", "connection", "development"), [
    ("dev", "appsec_dev", "servicenow_dev", True), ("prod", "appsec_prod", "servicenow_prod", False)])
def test_servicenow_is_a_managed_ingestion_pipeline_per_environment(stacks, env, catalog, connection, development):
    pipeline = resource(stacks[env], "databricks_pipeline", "servicenow/pipeline")
    assert pipeline["ingestion_definition"]["connection_name"] == connection
    assert pipeline["development"] is development
    assert (pipeline["serverless"], pipeline["continuous"], pipeline["channel"]) == (True, False, "CURRENT")
    assert [(o["table"]["source_table"], o["table"]["destination_catalog"], o["table"]["destination_schema"])
            for o in pipeline["ingestion_definition"]["objects"]] == [
        ("incident", catalog, "servicenow"), ("cmdb_ci_appl", catalog, "servicenow"),
        ("sys_user", catalog, "servicenow")]
    assert pipeline["ingestion_definition"]["objects"][0]["table"]["table_configuration"] == {
        "scd_type": "SCD_TYPE_2", "primary_keys": ["sys_id"], "sequence_by": ["sys_updated_on"]}
    job = resource(stacks[env], "databricks_job", "servicenow/job")
    assert [task["pipeline_task"] for task in job["task"]] == [
        {"pipeline_id": f"${{databricks_pipeline.{pipeline_id(stacks[env])}.id}}", "full_refresh": False}]


def pipeline_id(stack: dict) -> str:
    [name] = stack["resource"]["databricks_pipeline"]
    return name


def test_servicenow_grants_merge_with_the_batch_connectors(stacks):
    grants = {(g.get("schema") or g.get("catalog") or g.get("foreign_connection"), g["principal"]): g["privileges"]
              for g in resources(stacks["prod"], "databricks_grant")}
    assert grants[("appsec_prod", SP_PROD)] == ["USE_CATALOG"]  # one grant, shared by all four connectors
    assert grants[("servicenow_prod", SP_PROD)] == ["USE_CONNECTION"]
    assert grants[("appsec_prod.servicenow", SP_PROD)] == ["CREATE_TABLE", "USE_SCHEMA"]
    assert grants[("appsec_prod.servicenow", "appsec-analysts")] == ["SELECT", "USE_SCHEMA"]
    assert ("appsec_prod.bronze", "appsec-analysts") not in grants


def test_pipeline_references_and_python_files_bind_to_the_stacks_own_resources():
    """The references no sample job uses: a managed connector's pipeline, and a plain module run as a python file."""
    from core.toolchain import Testing

    from connectors_config import parse_config, resolve
    from stacks.environment_stack import EnvironmentStack
    from tests.conftest import SAMPLE_NOTEBOOKS
    from tests.connectors_config.test_jobs import PROJECT, config

    text = config("""\
  refresh:
    tasks:
      - task_key: pipeline
        pipeline_task: {pipeline_id: "${resources.pipelines.servicenow.id}"}
      - task_key: script
        spark_python_task: {python_file: notebooks/findings_gold.py}
        existing_cluster_id: 0101-abc
""")
    environment = resolve(parse_config(text, "connectors.yaml", base_dir=PROJECT), "dev")
    stack = EnvironmentStack(Testing.app(), "dev", environment=environment, notebooks_dir=SAMPLE_NOTEBOOKS)
    synth = json.loads(Testing.synth(stack))
    [job] = [job for job in resources(synth, "databricks_job") if job["name"] == "refresh"]
    [pipeline_id] = synth["resource"]["databricks_pipeline"]
    [module_id] = [name for name in synth["resource"]["databricks_workspace_file"]
                   if name.startswith("notebooks_findings_gold_")]
    tasks = {task["task_key"]: task for task in job["task"]}
    assert tasks["pipeline"]["pipeline_task"]["pipeline_id"] == f"${{databricks_pipeline.{pipeline_id}.id}}"
    assert tasks["script"]["spark_python_task"]["python_file"] == f"${{databricks_workspace_file.{module_id}.path}}"
