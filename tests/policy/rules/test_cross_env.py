"""CP-CROSS-ENV alone: a stack names only its own environment's catalog, secret scope, workspace folder, workspace
and principals."""

from __future__ import annotations

from cdktf_cdktf_provider_databricks.job import JobParameter
from cdktf_cdktf_provider_databricks.secret_acl import SecretAcl

from policy import EnvironmentFacts, PolicyContext
from policy.rules.cross_env import RULE
from tests.policy.helpers import (DEV, NOTEBOOK_DIR, PROD, PROD_CONTEXT, SP_DEV, SP_PROD, adding, findings_of, line,
                                  notebook_task, owned_job, parameters_job, with_job)

FIX = "use the stack's own environment values (${env.*} in the jobs section)"


def findings(outdir, build, **kwargs) -> list[str]:
    return findings_of(RULE, outdir, build, **kwargs)


def finding(kind: str, id: str, message: str, env: str = "dev") -> str:
    return line(kind, id, "CP-CROSS-ENV", message, FIX, env)


def test_the_stacks_own_environment_values_pass(tmp_path):
    """Its own catalog, scope, folder, principal and host; a folder that only starts like prod's is not prod's."""
    def build(stack):
        SecretAcl(stack, "acl", scope=DEV.secret_scope, principal=SP_DEV, permission="READ")
        owned_job(stack, task=[notebook_task(f"{NOTEBOOK_DIR}/ingest_entry", catalog="appsec_dev.bronze",
                                             host=DEV.host, archive="/Applications/appsec-connectors/prod-archive")])

    assert findings(tmp_path, build) == []


def test_another_environments_catalog_in_a_task_parameter_is_a_finding(tmp_path):
    assert findings(tmp_path, parameters_job(catalog="appsec_prod.bronze")) == [
        finding("databricks_job", "job", "task[0].notebook_task.base_parameters.catalog names prod's catalog "
                "'appsec_prod'")]


def test_another_environments_catalog_in_a_job_parameter_is_a_finding(tmp_path):
    build = with_job(parameter=[JobParameter(name="catalog", default="appsec_prod")])
    assert findings(tmp_path, build) == [
        finding("databricks_job", "job", "parameter[0].default names prod's catalog 'appsec_prod'")]


def test_another_environments_secret_scope_is_a_finding(tmp_path):
    build = adding(SecretAcl, "acl", scope=PROD.secret_scope, principal=SP_DEV, permission="READ")
    assert findings(tmp_path, build) == [
        finding("databricks_secret_acl", "acl", "scope names prod's secret scope 'connectors-prod'")]


def test_another_environments_workspace_folder_in_a_notebook_path_is_a_finding(tmp_path):
    build = with_job(task=[notebook_task(f"{PROD.workspace_dir}/ingest_entry")])
    assert findings(tmp_path, build) == [
        finding("databricks_job", "job",
                f"task[0].notebook_task.notebook_path names prod's workspace folder '{PROD.workspace_dir}'")]


def test_another_environments_principal_in_an_acl_is_a_finding(tmp_path):
    build = adding(SecretAcl, "acl", scope=DEV.secret_scope, principal=SP_PROD, permission="READ")
    assert findings(tmp_path, build) == [
        finding("databricks_secret_acl", "acl", f"principal names prod's service principal '{SP_PROD}'")]


def test_another_environments_host_is_a_finding(tmp_path):
    assert findings(tmp_path, parameters_job(api=f"{PROD.host}/api/2.1/jobs/list")) == [
        finding("databricks_job", "job",
                f"task[0].notebook_task.base_parameters.api names prod's workspace '{PROD.host}'")]


def test_a_secret_scope_both_environments_share_is_not_a_finding(tmp_path):
    shared = PolicyContext(environment=DEV, others=(EnvironmentFacts(
        name="prod", catalog=PROD.catalog, secret_scope=DEV.secret_scope, workspace_dir=PROD.workspace_dir,
        host=PROD.host, principals=PROD.principals),))
    build = adding(SecretAcl, "acl", scope=DEV.secret_scope, principal=SP_DEV, permission="READ")
    assert findings(tmp_path, build, context=shared) == []


def test_a_name_that_only_starts_like_another_environments_catalog_is_not_it(tmp_path):
    """Whole names are compared: appsec_devx is not appsec_dev."""
    build = with_job(owner=SP_PROD, task=[
        notebook_task(f"{PROD.workspace_dir}/ingest_entry", catalog="appsec_devx.bronze")])
    assert findings(tmp_path, build, context=PROD_CONTEXT) == []


def test_in_prod_the_dev_catalog_is_a_finding(tmp_path):
    build = with_job(owner=SP_PROD, task=[
        notebook_task(f"{PROD.workspace_dir}/ingest_entry", catalog="appsec_dev.bronze")])
    assert findings(tmp_path, build, context=PROD_CONTEXT) == [
        finding("databricks_job", "job", "task[0].notebook_task.base_parameters.catalog names dev's catalog "
                "'appsec_dev'", env="prod")]


def test_another_environments_secret_scope_with_a_dot_is_a_finding(tmp_path):
    dotted = PolicyContext(environment=DEV, others=(EnvironmentFacts(
        name="prod", catalog=PROD.catalog, secret_scope="connectors.prod", workspace_dir=PROD.workspace_dir,
        host=PROD.host, principals=PROD.principals),))
    build = adding(SecretAcl, "acl", scope="connectors.prod", principal=SP_DEV, permission="READ")
    assert findings(tmp_path, build, context=dotted) == [
        finding("databricks_secret_acl", "acl", "scope names prod's secret scope 'connectors.prod'")]
