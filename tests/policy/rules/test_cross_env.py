"""CP-CROSS-ENV alone: a stack names only its own environment's catalog, secret scope, workspace folder, workspace
and principals."""

from __future__ import annotations

import dataclasses

import pytest
from core.provider import JobParameter
from core.provider import SecretAcl

from policy import EnvironmentFacts, PolicyContext
from policy.rules.cross_env import RULE
from tests.policy.helpers import (DEV, NOTEBOOK_DIR, PROD, PROD_CONTEXT, SP_DEV, SP_PROD, access, adding, findings_of,
                                  job_with_access, line, notebook_task, owned_job, parameters_job, with_job)

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


# An environment whose workspace is given only by a Databricks CLI profile: no host.
STAGING = EnvironmentFacts(name="staging", catalog="appsec_staging", secret_scope="connectors-staging",
                           workspace_dir="/Applications/appsec-connectors/staging", host=None, principals=())


def test_another_environment_given_only_by_a_profile_has_no_host_to_find_and_a_real_host_still_is(tmp_path):
    """Beside prod, a staging workspace given only by a profile: prod's host is still a finding, staging's none."""
    context = PolicyContext(environment=DEV, others=(STAGING, PROD))
    assert findings(tmp_path, parameters_job(api=f"{PROD.host}/api/2.1/jobs/list"), context=context) == [
        finding("databricks_job", "job",
                f"task[0].notebook_task.base_parameters.api names prod's workspace '{PROD.host}'")]


def test_a_stack_whose_workspace_is_given_only_by_a_profile_still_finds_another_environments_host(tmp_path):
    own = dataclasses.replace(DEV, host=None)
    context = PolicyContext(environment=own, others=(PROD,))
    assert findings(tmp_path, parameters_job(api=f"{PROD.host}/api/2.1/jobs/list"), context=context) == [
        finding("databricks_job", "job",
                f"task[0].notebook_task.base_parameters.api names prod's workspace '{PROD.host}'")]


@pytest.mark.parametrize("catalog", ["APPSEC_DEV.bronze", "Appsec_Dev.silver.github_repos", "appsec_DEV"])
def test_in_prod_the_dev_catalog_in_any_case_is_a_finding(tmp_path, catalog):
    """Unity Catalog folds names to lower case: APPSEC_DEV is appsec_dev."""
    build = with_job(owner=SP_PROD, task=[notebook_task(f"{PROD.workspace_dir}/ingest_entry", catalog=catalog)])
    assert findings(tmp_path, build, context=PROD_CONTEXT) == [
        finding("databricks_job", "job", "task[0].notebook_task.base_parameters.catalog names dev's catalog "
                "'appsec_dev'", env="prod")]


def test_another_environments_host_in_upper_case_is_a_finding(tmp_path):
    assert findings(tmp_path, parameters_job(api=f"{PROD.host.upper()}/api/2.1/jobs/list")) == [
        finding("databricks_job", "job",
                f"task[0].notebook_task.base_parameters.api names prod's workspace '{PROD.host}'")]


# prod runs one connector as dev's own principal (a per-environment run_as naming it): prod then claims it too.
PROD_CLAIMING_DEVS = dataclasses.replace(PROD, principals=(SP_DEV, SP_PROD))


def test_another_environments_own_principal_is_a_finding_even_where_this_environment_runs_as_it(tmp_path):
    context = PolicyContext(environment=PROD_CLAIMING_DEVS, others=(DEV,))
    assert findings(tmp_path, with_job(owner=SP_DEV), context=context) == [
        finding("databricks_job", "job", f"run_as.service_principal_name names dev's service principal '{SP_DEV}'",
                env="prod"),
        finding("databricks_permissions", "job_permissions",
                f"access_control[0].service_principal_name names dev's service principal '{SP_DEV}'", env="prod")]


def test_an_environments_own_principal_is_not_a_finding_where_another_environment_also_claims_it(tmp_path):
    """dev's own run_as in dev's stack: prod's claim on it is prod's mistake (found in prod's stack)."""
    context = PolicyContext(environment=DEV, others=(PROD_CLAIMING_DEVS,))
    assert findings(tmp_path, with_job(owner=SP_DEV), context=context) == []


def test_another_environments_group_is_a_finding_and_a_shared_group_is_not(tmp_path):
    dev = dataclasses.replace(DEV, groups=("appsec-platform-admins", "appsec-dev-engineers"))
    prod = dataclasses.replace(PROD, groups=("appsec-platform-admins", "AppSec-Prod-Engineers"))
    build = job_with_access(access("CAN_MANAGE_RUN", group="appsec-prod-engineers"))
    assert findings(tmp_path, build, context=PolicyContext(environment=dev, others=(prod,))) == [
        finding("databricks_permissions", "job_permissions", "access_control[0].group_name names prod's group "
                "'AppSec-Prod-Engineers'")]


def test_a_description_that_only_contains_another_environments_name_is_not_a_finding(tmp_path):
    build = with_job(description="Copies appsec_prodx and the prod-like dashboard; see appsec_production_notes",
                     task=[notebook_task(f"{NOTEBOOK_DIR}/ingest_entry")])
    assert findings(tmp_path, build) == []
