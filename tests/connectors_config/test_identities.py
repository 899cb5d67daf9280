"""What belongs to one environment is refused in another wherever the config can name it: connectors'
per-environment run_as, owners and settings, the `jobs` section after substitution, imported job files; in any
case, as Databricks compares names. Each message exact, with file, line and field; valid look-alikes pass."""

from __future__ import annotations

import json

import pytest

from connectors_config import ConfigError, parse_config, resolve
from tests.fixtures.builders import (ADMIN_GROUP, CMDB, GITHUB, SERVICENOW, SP_DEV, SP_PROD, connectors, environment,
                                     environments, job, jobs)

SP_OTHER = "11111111-2222-4333-8444-555555555555"
SP_ANOTHER = "66666666-7777-4888-9999-000000000000"
OWN = "each environment runs as principals of its own"


def errors_of(text: str, base_dir=None) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        parse_config(text, "connectors.yaml", base_dir=base_dir)
    return [problem.render("connectors.yaml") for problem in raised.value.problems]


def line_of(text: str, needle: str) -> int:
    lines = [number for number, line in enumerate(text.splitlines(), 1) if needle in line]
    assert len(lines) == 1, f"test setup: {needle!r} must be on exactly one line"
    return lines[0]


def with_run_as(run_as: str, connector: str = GITHUB) -> str:
    """dev and prod, and `connector` with `run_as` (a flow mapping) as its per-environment principals."""
    return environments() + connectors(connector.replace("    schedule:", f"    run_as: {run_as}\n    schedule:", 1))


# ------------------------------------------------------------------------------ connectors' per-environment run_as


def test_a_connector_running_in_prod_as_devs_principal_is_refused():
    text = with_run_as(f"{{prod: {SP_DEV}}}")
    assert errors_of(text) == [
        f"connectors.yaml:{line_of(text, 'run_as: {prod')}: connectors[0].run_as.prod: '{SP_DEV}' is dev's service "
        f"principal (environments.dev.run_as); {OWN}: name one only prod runs as, or remove this entry (prod then "
        "runs as environments.prod.run_as)"]


def test_a_connector_running_in_dev_as_prods_principal_in_upper_case_is_refused():
    text = with_run_as(f"{{dev: {SP_PROD.upper()}}}")
    assert errors_of(text) == [
        f"connectors.yaml:{line_of(text, 'run_as: {dev')}: connectors[0].run_as.dev: '{SP_PROD.upper()}' is prod's "
        f"service principal (environments.prod.run_as); {OWN}: name one only dev runs as, or remove this entry (dev "
        "then runs as environments.dev.run_as)"]


def test_one_principal_for_a_connector_in_both_environments_is_refused_at_the_second():
    text = with_run_as(f"{{dev: {SP_OTHER}, prod: {SP_OTHER}}}")
    assert errors_of(text) == [
        f"connectors.yaml:{line_of(text, 'run_as: {dev')}: connectors[0].run_as.prod: '{SP_OTHER}' is dev's service "
        f"principal (connectors[0].run_as.dev); {OWN}: name one only prod runs as, or remove this entry (prod then "
        "runs as environments.prod.run_as)"]


def test_a_managed_connector_running_in_prod_as_another_connectors_dev_principal_is_refused():
    text = environments() + connectors(
        GITHUB.replace("    schedule:", f"    run_as: {{dev: {SP_OTHER}}}\n    schedule:", 1),
        SERVICENOW.replace("    schedule:", f"    run_as: {{prod: {SP_OTHER}}}\n    schedule:", 1))
    assert errors_of(text) == [
        f"connectors.yaml:{line_of(text, 'run_as: {prod')}: connectors[1].run_as.prod: '{SP_OTHER}' is dev's service "
        f"principal (connectors[0].run_as.dev); {OWN}: name one only prod runs as, or remove this entry (prod then "
        "runs as environments.prod.run_as)"]


@pytest.mark.parametrize("run_as", [f"{{dev: {SP_DEV}}}", f"{{prod: {SP_PROD.upper()}}}",
                                    f"{{dev: {SP_OTHER}, prod: {SP_ANOTHER}}}"])
def test_an_environments_own_principals_in_its_own_override_pass(run_as):
    config = parse_config(with_run_as(run_as))
    assert {env: resolve(config, env).connectors[0].run_as.lower() for env in ("dev", "prod")} == {
        "dev": SP_OTHER if SP_OTHER in run_as else SP_DEV, "prod": SP_ANOTHER if SP_ANOTHER in run_as else SP_PROD}


# ------------------------------------------------------------------------------ connectors' owners and settings


def own_groups(text: str) -> str:
    """dev and prod with admin groups of their own."""
    first, rest = text.split(f"admin_group: {ADMIN_GROUP}", 1)
    return first + "admin_group: appsec-dev-admins" + rest.replace(f"admin_group: {ADMIN_GROUP}",
                                                                   "admin_group: appsec-prod-admins", 1)


def test_a_connectors_owner_that_is_one_environments_admin_group_is_refused():
    text = own_groups(environments() + connectors(GITHUB.replace("    schedule:", "    owners: [APPSEC-DEV-ADMINS]\n"
                                                                                 "    schedule:", 1)))
    assert errors_of(text) == [
        f"connectors.yaml:{line_of(text, 'owners:')}: connectors[0].owners[0]: names dev's admin group "
        "'appsec-dev-admins' (environments.dev.admin_group), but a connector's owners are granted in every "
        "environment, also prod; use a group every environment shares, or give each environment its own in "
        "environments.<env>.team_group"]


def test_a_connectors_setting_naming_one_environments_workspace_is_refused_in_the_other():
    text = environments() + connectors(CMDB.replace("https://cmdb.example.com/api/apps",
                                                    "https://ADB-1.1.azuredatabricks.net/api/2.0/x"))
    assert errors_of(text) == [
        f"connectors.yaml:{line_of(text, 'ADB-1')}: connectors[0].settings.url: names dev's workspace "
        "'https://adb-1.1.azuredatabricks.net' (environments.dev.workspace.host) in prod; each environment must use "
        "its own workspace: write a ${var.<name>} each environment sets instead"]


# ------------------------------------------------------------------------------ the jobs section


TASK = "- {task_key: a, notebook_task: {notebook_path: /Workspace/etl/audit, base_parameters: {table: '%s'}}}"


def with_job(task_table: str = "${env.catalog}.silver.x", fields: str = "", dev: str = "", prod: str = "") -> str:
    return (environments(environment("dev", extra=dev), environment("prod", extra=prod)) + connectors(GITHUB)
            + jobs(job("audit", TASK % task_table, fields)))


def test_a_job_running_as_devs_principal_is_refused_in_prod():
    text = with_job(fields=f"run_as: {{service_principal_name: {SP_DEV}}}")
    assert errors_of(text) == [
        f"connectors.yaml:{line_of(text, 'run_as: {service')}: jobs.audit.run_as.service_principal_name: names dev's "
        f"service principal '{SP_DEV}' (environments.dev.run_as) in prod; each environment must use its own service "
        "principal: write ${env.run_as} instead"]


def test_a_job_running_as_a_variable_that_is_devs_principal_in_prod_is_refused_after_substitution():
    text = with_job(fields="run_as: {service_principal_name: '${var.runner}'}",
                    dev=f"    variables: {{runner: {SP_DEV}}}\n", prod=f"    variables: {{runner: {SP_DEV.upper()}}}\n")
    assert errors_of(text) == [
        f"connectors.yaml:{line_of(text, 'run_as: {service')}: jobs.audit.run_as.service_principal_name: names dev's "
        f"service principal '{SP_DEV}' (environments.dev.run_as) in prod; each environment must use its own service "
        "principal: write ${env.run_as} instead (after substitution of '${var.runner}')"]


def test_a_job_permission_for_the_other_environments_admin_group_is_refused():
    text = own_groups(with_job(fields="permissions: [{group_name: appsec-prod-admins, level: CAN_MANAGE}]"))
    assert errors_of(text) == [
        f"connectors.yaml:{line_of(text, 'permissions:')}: jobs.audit.permissions[0].group_name: names prod's admin "
        "group 'appsec-prod-admins' (environments.prod.admin_group) in dev; each environment must use its own group: "
        "write ${env.admin_group} instead"]


@pytest.mark.parametrize("table, env, other", [
    ("APPSEC_DEV.silver.x", "prod", "dev"), ("appsec_dev.silver.x", "prod", "dev"),
    ("Appsec_Prod.Silver.X", "dev", "prod"), ("select * from `APPSEC_PROD`.silver.x", "dev", "prod")])
def test_another_environments_catalog_in_any_case_in_a_parameter_is_refused(table, env, other):
    text = with_job(table)
    assert errors_of(text) == [
        f"connectors.yaml:{line_of(text, 'task_key')}: jobs.audit.tasks[0].notebook_task.base_parameters.table: "
        f"names {other}'s catalog 'appsec_{other}' (environments.{other}.catalog) in {env}; each environment must "
        "use its own catalog: write ${env.catalog} instead"]


def test_another_environments_scope_and_folder_in_a_job_variable_are_refused_after_substitution():
    text = with_job("${var.where}", prod="    variables: {where: /Applications/appsec-connectors/dev/x}\n",
                    dev="    variables: {where: /Applications/appsec-connectors/dev/x}\n")
    assert errors_of(text) == [
        f"connectors.yaml:{line_of(text, 'task_key')}: jobs.audit.tasks[0].notebook_task.base_parameters.table: "
        "names dev's workspace folder '/Applications/appsec-connectors/dev' (environments.dev.workspace_dir) in prod; "
        "each environment must use its own workspace folder: write ${env.workspace_dir} instead (after substitution "
        "of '${var.where}')"]


def test_an_imported_job_file_naming_devs_catalog_is_refused_at_its_line(tmp_path):
    (tmp_path / "audit.json").write_text(json.dumps({"name": "audit", "tasks": [{
        "task_key": "a", "notebook_task": {"notebook_path": "/Workspace/etl/audit",
                                           "base_parameters": {"table": "APPSEC_DEV.gold.findings"}}}]}, indent=2),
        encoding="utf-8")
    text = environments() + connectors(GITHUB) + "jobs:\n  audit:\n    file: audit.json\n"
    assert errors_of(text, base_dir=tmp_path) == [
        "audit.json:9: tasks[0].notebook_task.base_parameters.table: names dev's catalog 'appsec_dev' "
        "(environments.dev.catalog) in prod; each environment must use its own catalog: write ${env.catalog} "
        "instead"]


@pytest.mark.parametrize("fields, table", [
    ("run_as: {service_principal_name: '${env.run_as}'}", "${env.catalog}.silver.x"),
    ("description: 'feeds appsec_devx and the developer dashboard of appsec_prod_archive_v2'", "appsec_development.x"),
    ("permissions: [{group_name: '${env.admin_group}', level: CAN_MANAGE}]", "dev.silver.x"),
])
def test_an_environments_own_values_and_names_that_only_contain_anothers_pass(fields, table):
    config = parse_config(own_groups(with_job(table, fields)))
    assert resolve(config, "prod").jobs[0].settings["tasks"][0]["notebook_task"]["base_parameters"]["table"] == (
        "appsec_prod.silver.x" if "${env" in table else table)
