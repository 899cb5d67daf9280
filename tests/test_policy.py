"""The policy pack end to end: each rule on real cdktf constructs, synthesized through `main.synth_checked` as
`python main.py` does it, with every problem asserted as the exact line a user reads; suppressions; the config's
`policy` section."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from cdktf import App, TerraformResourceLifecycle, TerraformStack
from cdktf_cdktf_provider_databricks.alert_v2 import AlertV2
from cdktf_cdktf_provider_databricks.dashboard import Dashboard
from cdktf_cdktf_provider_databricks.directory import Directory
from cdktf_cdktf_provider_databricks.grant import Grant
from cdktf_cdktf_provider_databricks.grants import Grants, GrantsGrant
from cdktf_cdktf_provider_databricks.job import (Job, JobGitSource, JobParameter, JobRunAs, JobTask,
                                                 JobTaskNewCluster, JobTaskNotebookTask, JobTaskSparkPythonTask)
from cdktf_cdktf_provider_databricks.notebook import Notebook
from cdktf_cdktf_provider_databricks.permissions import Permissions, PermissionsAccessControl
from cdktf_cdktf_provider_databricks.pipeline import (Pipeline, PipelineLibrary, PipelineLibraryGlob,
                                                      PipelineLibraryNotebook, PipelineRunAs)
from cdktf_cdktf_provider_databricks.provider import DatabricksProvider
from cdktf_cdktf_provider_databricks.schema import Schema
from cdktf_cdktf_provider_databricks.secret_acl import SecretAcl
from cdktf_cdktf_provider_databricks.secret_scope import SecretScope
from cdktf_cdktf_provider_databricks.workspace_file import WorkspaceFile
from constructs import Construct

import main
from connectors_config import ConfigError, load_config, parse_config, resolve
from connectors_config.names import BROAD_GROUPS
from policy import RULE_IDS, EnvironmentFacts, PolicyContext, PolicyError, Suppression
from policy.aspect import PolicyGate, PolicyPack, PolicyProps
from tests.conftest import SAMPLE_CONFIG, SAMPLE_NOTEBOOKS
from tests.test_config_errors import VALID

SP_DEV = "3b0a7c52-6d1e-4f8a-9c2b-5e7d1f0a4b61"
SP_PROD = "9e4d2b17-0c5f-4a3e-8b6d-7f1c2a9e5d03"
SP_ADMIN = "5c8e1f3a-2b4d-4e6f-8a0c-1d3e5f7a9b2c"  # an admin service principal that runs nothing
ALICE = "alice@example.com"
DEV = EnvironmentFacts(name="dev", catalog="appsec_dev", secret_scope="connectors-dev",
                       workspace_dir="/Applications/appsec-connectors/dev",
                       host="https://adb-1111111111111111.11.azuredatabricks.net", principals=(SP_DEV,))
PROD = EnvironmentFacts(name="prod", catalog="appsec_prod", secret_scope="connectors-prod",
                        workspace_dir="/Applications/appsec-connectors/prod",
                        host="https://adb-2222222222222222.12.azuredatabricks.net", principals=(SP_PROD,))
CONTEXT = PolicyContext(environment=DEV, others=(PROD,))
NOTEBOOK_DIR = f"{DEV.workspace_dir}/notebooks"
CONTENT = "IyBEYXRhYnJpY2tzIG5vdGVib29rIHNvdXJjZQ=="  # base64 of '# Databricks notebook source'
KEEP = TerraformResourceLifecycle(prevent_destroy=True)
RUN_AS_DEV = JobRunAs(service_principal_name=SP_DEV)
OWNER_DEV = PermissionsAccessControl(service_principal_name=SP_DEV, permission_level="IS_OWNER")

# Each rule's fix, as the user reads it after every finding of that rule.
FIX = {
    "CP-RUN-AS": "set run_as.service_principal_name (connectors.yaml: the environment's or connector's run_as)",
    "CP-SECRET-READ": "give run-as identities READ; secrets are written by an admin group, outside the jobs",
    "CP-BROAD-WRITE": "grant to a dedicated group instead (connectors.yaml: policy.broad_groups lists your own "
                      "broad groups)",
    "CP-ALL-PRIVILEGES": "grant the privileges needed, each by name",
    "CP-PRIVILEGE-SECURABLE": "grant the privilege on a securable it applies to, or the privilege this securable "
                              "takes",
    "CP-JOB-OWNER": "give the job's permissions exactly one IS_OWNER, the service principal it runs as",
    "CP-WORKSPACE-PATH": "keep code in a dedicated folder (connectors.yaml: workspace_dir, e.g. "
                         "/Applications/<team>/<env>)",
    "CP-PREVENT-DESTROY": "set lifecycle.prevent_destroy and drop force_destroy (a deliberate deletion is a "
                          "reviewed suppression)",
    "CP-CROSS-ENV": "use the stack's own environment values (${env.*} in the jobs section)",
    "CP-SECRET-LITERAL": "store the value in the secret scope and pass its name; code reads it with "
                         "dbutils.secrets.get",
}
REDACTED = "(redacted: looks like a credential)"

Build = Callable[[Construct], object]


# ------------------------------------------------------------------------------------------------ helpers


class PolicyStack(TerraformStack):
    """A bare TerraformStack with a provider and a PolicyPack (`policy`, where `main.synth_checked` finds it), and
    nothing else."""

    def __init__(self, scope: Construct, id: str, *, context: PolicyContext,
                 suppressions: tuple[Suppression, ...]) -> None:
        super().__init__(scope, id)
        DatabricksProvider(self, "databricks", host=context.environment.host)
        self.policy = PolicyPack(self, props=PolicyProps(context=context, suppressions=suppressions))


def app_of(outdir: Path, *stacks: tuple[Build, PolicyContext, tuple[Suppression, ...]]) -> App:
    """An App with one PolicyStack per (build, context, suppressions), named after the context's environment,
    and the PolicyGate over all of their packs."""
    app = App(outdir=str(outdir))
    packs = []
    for build, context, suppressions in stacks:
        stack = PolicyStack(app, context.environment.name, context=context, suppressions=suppressions)
        build(stack)
        packs.append(stack.policy)
    app.node.add_validation(PolicyGate(tuple(packs)))
    return app


def synth(outdir: Path, build: Build, *, context: PolicyContext = CONTEXT,
          suppressions: tuple[Suppression, ...] = ()) -> list[str]:
    """Synthesizes one stack holding what `build` adds: the suppression lines, or PolicyError."""
    return main.synth_checked(app_of(outdir, (build, context, suppressions)))


def problems(outdir: Path, build: Build, **kwargs) -> list[str]:
    with pytest.raises(PolicyError) as raised:
        synth(outdir, build, **kwargs)
    return raised.value.problems


def line(kind: str, id: str, rule: str, message: str, env: str = "dev") -> str:
    """A finding on a resource added directly to the stack: its logical id is its construct id, no hash."""
    return f"{env}/{id} ({kind}.{id}): {rule}: {message}; fix: {FIX[rule]}"


def owned_job(scope: Construct, id: str = "job", *, name: str = "github", run_as: JobRunAs | None = None,
              owner: str = SP_DEV, **settings) -> Job:
    """A compliant job (runs as `owner`, by default the dev SP, its one owner) and its permissions
    ('<id>_permissions')."""
    job = Job(scope, id, name=name, run_as=run_as or JobRunAs(service_principal_name=owner), **settings)
    Permissions(scope, f"{id}_permissions", job_id=job.id, access_control=[
        access("IS_OWNER", service_principal=owner), access("CAN_MANAGE", group="appsec-platform-admins")])
    return job


def job_with_access(*entries: PermissionsAccessControl, run_as: JobRunAs | None = RUN_AS_DEV) -> Build:
    """A job 'github' ('job') and one databricks_permissions ('job_permissions') holding just `entries`."""
    def build(stack):
        job = Job(stack, "job", name="github", run_as=run_as)
        Permissions(stack, "job_permissions", job_id=job.id, access_control=list(entries))

    return build


def access(level: str, *, group: str = "", user: str = "", service_principal: str = "") -> PermissionsAccessControl:
    return PermissionsAccessControl(permission_level=level, group_name=group or None, user_name=user or None,
                                    service_principal_name=service_principal or None)


def adding(resource: type, id: str, **config) -> Build:
    """Adds one resource (a provider binding, e.g. SecretAcl) with construct id `id` to the stack."""
    return lambda stack: resource(stack, id, **config)


def with_job(**settings) -> Build:
    """Adds `owned_job` with `settings`."""
    return lambda stack: owned_job(stack, **settings)


def with_pipeline(**settings) -> Build:
    """Adds `pipeline` with `settings`."""
    return lambda stack: pipeline(stack, **settings)


def notebook_task(path: str, **parameters: str) -> JobTask:
    return JobTask(task_key="ingest", notebook_task=JobTaskNotebookTask(notebook_path=path,
                                                                        base_parameters=parameters or None))


def parameters_job(**parameters: str) -> Build:
    """A compliant job whose one task passes `parameters` to a notebook of the environment's own folder."""
    return lambda stack: owned_job(stack, task=[notebook_task(f"{NOTEBOOK_DIR}/ingest_entry", **parameters)])


def env_vars_job(**env_vars: str) -> Build:
    """A compliant job whose task's cluster gets `env_vars`."""
    return lambda stack: owned_job(stack, task=[JobTask(
        task_key="ingest", notebook_task=JobTaskNotebookTask(notebook_path=f"{NOTEBOOK_DIR}/ingest_entry"),
        new_cluster=JobTaskNewCluster(spark_version="14.3.x-scala2.12", num_workers=1, spark_env_vars=env_vars))])


def pipeline(scope: Construct, id: str = "pipeline", *, run_as: PipelineRunAs | None = None,
             lifecycle: TerraformResourceLifecycle | None = KEEP, **settings) -> Pipeline:
    return Pipeline(scope, id, name="servicenow-ingestion", catalog="appsec_dev", schema="servicenow",
                    run_as=run_as or PipelineRunAs(service_principal_name=SP_DEV), lifecycle=lifecycle, **settings)


# ------------------------------------------------------------------------------------------------ CP-RUN-AS


def test_a_job_and_a_pipeline_running_as_a_service_principal_pass(tmp_path):
    """The compliant baseline every other test starts from: it must synthesize with no finding."""
    def build(stack):
        owned_job(stack, task=[notebook_task(f"{NOTEBOOK_DIR}/ingest_entry")])
        pipeline(stack)

    assert synth(tmp_path, build) == []
    assert (tmp_path / "manifest.json").exists()


def test_a_job_without_run_as_runs_as_whoever_deploys_it(tmp_path):
    assert problems(tmp_path, job_with_access(OWNER_DEV, run_as=None)) == [
        "dev/job (databricks_job.job): CP-RUN-AS: runs as whoever deploys it (no run_as); fix: set "
        "run_as.service_principal_name (connectors.yaml: the environment's or connector's run_as)"]


def test_a_job_running_as_a_user_is_named_with_that_user(tmp_path):
    build = with_job(run_as=JobRunAs(user_name=ALICE))
    assert problems(tmp_path, build) == [
        line("databricks_job", "job", "CP-RUN-AS", f"runs as user '{ALICE}'")]


def test_a_pipeline_without_run_as_is_a_finding(tmp_path):
    build = adding(Pipeline, "pipeline", name="servicenow-ingestion", lifecycle=KEEP)
    assert problems(tmp_path, build) == [
        line("databricks_pipeline", "pipeline", "CP-RUN-AS", "runs as whoever deploys it (no run_as)")]


def test_a_pipeline_running_as_a_user_is_a_finding(tmp_path):
    build = with_pipeline(run_as=PipelineRunAs(user_name=ALICE))
    assert problems(tmp_path, build) == [
        line("databricks_pipeline", "pipeline", "CP-RUN-AS", f"runs as user '{ALICE}'")]


def alert(scope: Construct, parent_path: str = NOTEBOOK_DIR, **settings) -> AlertV2:
    return AlertV2(scope, "alert", display_name="jobs needing attention", query_text="SELECT 1 AS job_name",
                   warehouse_id="4b9e2d7a1c3f5e80", parent_path=parent_path,
                   evaluation={"source": {"name": "job_name", "aggregation": "COUNT"},
                               "comparison_operator": "GREATER_THAN", "threshold": {"value": {"double_value": 0}}},
                   schedule={"quartz_cron_schedule": "0 0 * * * ?", "timezone_id": "UTC"}, **settings)


def test_a_sql_alert_running_as_a_service_principal_passes(tmp_path):
    assert synth(tmp_path, lambda stack: alert(stack, run_as={"service_principal_name": SP_DEV})) == []


def test_a_sql_alert_without_run_as_runs_as_whoever_deploys_it(tmp_path):
    assert problems(tmp_path, lambda stack: alert(stack)) == [
        line("databricks_alert_v2", "alert", "CP-RUN-AS", "runs as whoever deploys it (no run_as)")]
    assert problems(tmp_path / "user", lambda stack: alert(stack, run_as_user_name=ALICE)) == [
        line("databricks_alert_v2", "alert", "CP-RUN-AS", f"runs as user '{ALICE}'")]


def test_a_nested_resource_is_named_by_its_construct_path_and_its_hashed_address(tmp_path):
    """Suppressions name the construct path; the address (with cdktf's hash) is shown beside it."""
    def build(stack):
        scope = Construct(stack, "github")
        owned_job(scope, run_as=JobRunAs(user_name=ALICE))

    [found] = problems(tmp_path, build)
    where, rest = found.split(": ", 1)
    assert re.fullmatch(r"dev/github/job \(databricks_job\.github_job_[0-9A-F]{8}\)", where)
    assert rest == f"CP-RUN-AS: runs as user '{ALICE}'; fix: {FIX['CP-RUN-AS']}"


# ------------------------------------------------------------------------------------------- CP-SECRET-READ


def secret_access(permission: str, principal: str = SP_DEV, *, runner: Build = owned_job) -> Build:
    """A protected scope, an ACL on it (by reference, as SecretScopeAccess writes it), and `runner`'s job or
    pipeline (by default a job running as SP_DEV)."""
    def build(stack):
        scope = SecretScope(stack, "scope", name=DEV.secret_scope, lifecycle=KEEP)
        SecretAcl(stack, "acl", scope=scope.name, principal=principal, permission=permission)
        runner(stack)

    return build


def test_the_run_as_identity_may_read_the_secret_scope(tmp_path):
    assert synth(tmp_path, secret_access("READ")) == []


def test_a_principal_that_runs_nothing_may_manage_the_secret_scope(tmp_path):
    assert synth(tmp_path, secret_access("MANAGE", SP_ADMIN)) == []


def test_the_run_as_identity_of_a_job_may_not_write_secrets(tmp_path):
    assert problems(tmp_path, secret_access("WRITE")) == [
        line("databricks_secret_acl", "acl", "CP-SECRET-READ",
             f"'{SP_DEV}' runs jobs or pipelines and gets WRITE on secret scope '{DEV.secret_scope}'")]


def test_the_run_as_identity_of_a_pipeline_may_not_manage_secrets(tmp_path):
    assert problems(tmp_path, secret_access("MANAGE", runner=pipeline)) == [
        line("databricks_secret_acl", "acl", "CP-SECRET-READ",
             f"'{SP_DEV}' runs jobs or pipelines and gets MANAGE on secret scope '{DEV.secret_scope}'")]


def test_a_user_a_job_runs_as_may_not_manage_secrets_either(tmp_path):
    """Both findings (sorted by resource path): that user managing the scope the job reads, and running as a user."""
    runner = with_job(run_as=JobRunAs(user_name=ALICE))
    assert problems(tmp_path, secret_access("MANAGE", ALICE, runner=runner)) == [
        line("databricks_secret_acl", "acl", "CP-SECRET-READ",
             f"'{ALICE}' runs jobs or pipelines and gets MANAGE on secret scope '{DEV.secret_scope}'"),
        line("databricks_job", "job", "CP-RUN-AS", f"runs as user '{ALICE}'")]


# ------------------------------------------------------------------------------------------- CP-BROAD-WRITE

BROAD = PolicyContext(environment=DEV, others=(PROD,), broad_groups=BROAD_GROUPS | {"all-staff"})


def test_broad_groups_may_read_use_and_view_and_other_groups_are_not_broad(tmp_path):
    """Reading, using and viewing: every user may; and a group only becomes broad when the config says so."""
    def build(stack):
        scope = SecretScope(stack, "scope", name=DEV.secret_scope, lifecycle=KEEP)
        SecretAcl(stack, "acl", scope=scope.name, principal="users", permission="READ")
        job_with_access(OWNER_DEV, access("CAN_VIEW", group="account users"),
                        access("CAN_MANAGE", group="all-staff"))(stack)
        Grants(stack, "grants", catalog="appsec_dev", grant=[
            GrantsGrant(principal="users", privileges=["USE_CATALOG", "USE_SCHEMA", "SELECT", "BROWSE"]),
            GrantsGrant(principal="appsec-data-engineers", privileges=["MODIFY", "CREATE_TABLE"])])

    assert synth(tmp_path, build) == []


def test_users_may_not_manage_a_secret_scope(tmp_path):
    build = adding(SecretAcl, "acl", scope=DEV.secret_scope, principal="users", permission="MANAGE")
    assert problems(tmp_path, build) == [
        line("databricks_secret_acl", "acl", "CP-BROAD-WRITE",
             f"broad group 'users' gets MANAGE on secret scope '{DEV.secret_scope}'")]


def test_account_users_may_not_write_to_a_secret_scope(tmp_path):
    build = adding(SecretAcl, "acl", scope=DEV.secret_scope, principal="account users", permission="WRITE")
    assert problems(tmp_path, build) == [
        line("databricks_secret_acl", "acl", "CP-BROAD-WRITE",
             f"broad group 'account users' gets WRITE on secret scope '{DEV.secret_scope}'")]


@pytest.mark.parametrize("group", ["users", "account users", "All-Staff"])
def test_a_broad_group_may_not_manage_a_job(tmp_path, group):
    """All-Staff is broad because the config says so (BROAD), compared in lower case."""
    build = job_with_access(OWNER_DEV, access("CAN_MANAGE", group=group))
    assert problems(tmp_path, build, context=BROAD) == [
        line("databricks_permissions", "job_permissions", "CP-BROAD-WRITE", f"broad group '{group}' gets CAN_MANAGE")]


def test_a_config_declared_broad_group_may_not_manage_a_secret_scope(tmp_path):
    build = adding(SecretAcl, "acl", scope=DEV.secret_scope, principal="all-staff", permission="MANAGE")
    assert problems(tmp_path, build, context=BROAD) == [
        line("databricks_secret_acl", "acl", "CP-BROAD-WRITE",
             f"broad group 'all-staff' gets MANAGE on secret scope '{DEV.secret_scope}'")]


def test_users_may_not_modify_a_table_through_databricks_grant(tmp_path):
    build = adding(Grant, "grant", table="appsec_dev.silver.github_repos", principal="users",
                   privileges=["SELECT", "MODIFY"])
    assert problems(tmp_path, build) == [
        line("databricks_grant", "grant", "CP-BROAD-WRITE", "broad group 'users' gets MODIFY")]


def test_a_config_declared_broad_group_may_not_modify_through_databricks_grants(tmp_path):
    build = adding(Grants, "grants", schema="appsec_dev.silver", grant=[
        GrantsGrant(principal="appsec-analysts", privileges=["SELECT"]),
        GrantsGrant(principal="All-Staff", privileges=["USE_SCHEMA", "MODIFY", "CREATE_TABLE"])])
    assert problems(tmp_path, build, context=BROAD) == [
        line("databricks_grants", "grants", "CP-BROAD-WRITE", "broad group 'All-Staff' gets CREATE_TABLE, MODIFY")]


# ----------------------------------------------------------------------------------------- CP-ALL-PRIVILEGES


def test_privileges_granted_by_name_pass(tmp_path):
    build = adding(Grant, "grant", catalog="appsec_dev", principal="appsec-data-engineers",
                   privileges=["USE_CATALOG", "USE_SCHEMA", "SELECT", "MODIFY"])
    assert synth(tmp_path, build) == []


def test_all_privileges_is_a_finding(tmp_path):
    build = adding(Grant, "grant", catalog="appsec_dev", principal="appsec-data-engineers",
                   privileges=["ALL_PRIVILEGES"])
    assert problems(tmp_path, build) == [
        line("databricks_grant", "grant", "CP-ALL-PRIVILEGES",
             "'appsec-data-engineers' gets ALL_PRIVILEGES, which grows silently as Databricks adds privileges")]


def test_all_privileges_is_recognised_as_the_provider_spells_it_in_any_case(tmp_path):
    """The provider upper-cases privileges and turns spaces into underscores: 'all privileges' is the same."""
    build = adding(Grants, "grants", schema="appsec_dev.gold", grant=[
        GrantsGrant(principal="appsec-analysts", privileges=["SELECT"]),
        GrantsGrant(principal=SP_DEV, privileges=["all privileges"])])
    assert problems(tmp_path, build) == [
        line("databricks_grants", "grants", "CP-ALL-PRIVILEGES",
             f"'{SP_DEV}' gets ALL_PRIVILEGES, which grows silently as Databricks adds privileges")]


# ------------------------------------------------------------------------------------ CP-PRIVILEGE-SECURABLE


def test_privileges_that_apply_to_their_securables_pass(tmp_path):
    def build(stack):
        Grant(stack, "connection", foreign_connection="servicenow", principal=SP_DEV, privileges=["USE_CONNECTION"])
        Grant(stack, "volume", volume="appsec_dev.bronze.raw", principal=SP_DEV, privileges=["read volume"])
        Grant(stack, "table", table="appsec_dev.silver.github_repos", principal=SP_DEV, privileges=["SELECT"])

    assert synth(tmp_path, build) == []


def test_use_connection_does_not_apply_to_a_catalog(tmp_path):
    build = adding(Grant, "grant", catalog="appsec_dev", principal=SP_DEV, privileges=["USE_CATALOG", "USE_CONNECTION"])
    assert problems(tmp_path, build) == [
        line("databricks_grant", "grant", "CP-PRIVILEGE-SECURABLE",
             "on 'appsec_dev': USE_CONNECTION does not apply to a catalog; it applies to a connection")]


def test_read_volume_does_not_apply_to_a_table(tmp_path):
    build = adding(Grants, "grants", table="appsec_dev.bronze.github_repos", grant=[
        GrantsGrant(principal=SP_DEV, privileges=["SELECT", "READ_VOLUME"])])
    assert problems(tmp_path, build) == [
        line("databricks_grants", "grants", "CP-PRIVILEGE-SECURABLE",
             "on 'appsec_dev.bronze.github_repos': READ_VOLUME does not apply to a table; it applies to a catalog, "
             "schema or volume")]


def test_a_misspelt_privilege_is_no_privilege_and_the_closest_is_suggested(tmp_path):
    build = adding(Grant, "grant", catalog="appsec_dev", principal=SP_DEV, privileges=["SELCT"])
    assert problems(tmp_path, build) == [
        line("databricks_grant", "grant", "CP-PRIVILEGE-SECURABLE",
             "on 'appsec_dev': SELCT is not a Unity Catalog privilege; did you mean SELECT?")]


def test_a_securable_given_by_reference_is_named_by_what_it_resolves_to(tmp_path):
    def build(stack):
        schema = Schema(stack, "bronze", catalog_name="appsec_dev", name="bronze", lifecycle=KEEP)
        Grants(stack, "grants", schema=schema.id, grant=[GrantsGrant(principal=SP_DEV, privileges=["USE_CATALOG"])])

    assert problems(tmp_path, build) == [
        line("databricks_grants", "grants", "CP-PRIVILEGE-SECURABLE",
             "on 'appsec_dev.bronze': USE_CATALOG does not apply to a schema; it applies to a catalog")]


# --------------------------------------------------------------------------------------------- CP-JOB-OWNER


def test_a_job_owned_by_a_user_passes(tmp_path):
    assert synth(tmp_path, job_with_access(access("IS_OWNER", user=ALICE))) == []


def test_a_job_without_permissions_is_owned_by_whoever_deploys_it(tmp_path):
    build = adding(Job, "job", name="github", run_as=RUN_AS_DEV)
    assert problems(tmp_path, build) == [
        line("databricks_job", "job", "CP-JOB-OWNER",
             "job 'github' has no databricks_permissions, so Databricks makes whoever deploys it its owner")]


def test_a_pipelines_permissions_do_not_make_a_job_owned(tmp_path):
    def build(stack):
        pipe = pipeline(stack)
        Job(stack, "job", name="github", run_as=RUN_AS_DEV)
        Permissions(stack, "pipeline_permissions", pipeline_id=pipe.id, access_control=[OWNER_DEV])

    assert problems(tmp_path, build) == [
        line("databricks_job", "job", "CP-JOB-OWNER",
             "job 'github' has no databricks_permissions, so Databricks makes whoever deploys it its owner")]


def test_two_permissions_resources_on_one_job_replace_each_other(tmp_path):
    def build(stack):
        job = owned_job(stack)
        Permissions(stack, "job_permissions_extra", job_id=job.id, access_control=[
            access("CAN_MANAGE_RUN", group="appsec-data-engineers")])

    assert problems(tmp_path, build) == [
        line("databricks_permissions", "job_permissions", "CP-JOB-OWNER",
             "job 'github' has 2 databricks_permissions resources (databricks_permissions.job_permissions, "
             "databricks_permissions.job_permissions_extra); each replaces the others' access")]


def test_a_job_with_no_owner_is_a_finding(tmp_path):
    build = job_with_access(access("CAN_MANAGE", group="appsec-platform-admins"))
    assert problems(tmp_path, build) == [
        line("databricks_permissions", "job_permissions", "CP-JOB-OWNER",
             "job 'github' has 0 owners (IS_OWNER: nobody); it needs exactly one")]


def test_a_job_with_two_owners_is_a_finding(tmp_path):
    build = job_with_access(OWNER_DEV, access("IS_OWNER", user=ALICE))
    assert problems(tmp_path, build) == [
        line("databricks_permissions", "job_permissions", "CP-JOB-OWNER",
             f"job 'github' has 2 owners (IS_OWNER: service principal '{SP_DEV}', user '{ALICE}'); "
             "it needs exactly one")]


def test_a_group_cannot_own_a_job(tmp_path):
    build = job_with_access(access("IS_OWNER", group="appsec-platform-admins"))
    assert problems(tmp_path, build) == [
        line("databricks_permissions", "job_permissions", "CP-JOB-OWNER",
             "job 'github' is owned by group 'appsec-platform-admins'; an owner is a user or service principal")]


# ---------------------------------------------------------------------------------------- CP-WORKSPACE-PATH


def test_code_in_a_dedicated_folder_or_in_git_passes(tmp_path):
    """/Applications/... is a dedicated folder (a '/Shared' further down is no shared root); a job with a
    git_source and a task sourced from GIT run code from the repository, so their relative paths are fine."""
    def build(stack):
        Directory(stack, "directory", path=DEV.workspace_dir)
        Notebook(stack, "notebook", path=f"{NOTEBOOK_DIR}/ingest_entry", content_base64=CONTENT, language="PYTHON")
        WorkspaceFile(stack, "file", path="/Applications/Shared/connector_runtime.py", content_base64=CONTENT)
        owned_job(stack, "git_job", name="from-git", git_source=JobGitSource(url="https://github.com/acme/x",
                                                                              provider="gitHub", branch="main"),
                  task=[notebook_task("notebooks/ingest_entry")])
        owned_job(stack, "git_task", name="git-task", task=[JobTask(
            task_key="ingest", notebook_task=JobTaskNotebookTask(notebook_path="notebooks/ingest", source="GIT"))])

    assert synth(tmp_path, build) == []


@pytest.mark.parametrize(("kind", "path", "root", "why"), [
    ("notebook", "/Shared/ingest_entry", "Shared", "every workspace user can edit it"),
    ("notebook", "/Users/alice@example.com/ingest_entry", "Users", "it is a user's home folder"),
    ("workspace_file", "/Workspace/Shared/connectors/runtime.py", "Shared", "every workspace user can edit it"),
    ("workspace_file", "/Repos/alice@example.com/connectors/runtime.py", "Repos", "it is a user's Git folder"),
    ("directory", "/Users/x", "Users", "it is a user's home folder"),
    ("directory", "/Workspace/Shared", "Shared", "every workspace user can edit it"),
])
def test_workspace_objects_under_shared_or_user_folders_are_findings(tmp_path, kind, path, root, why):
    def build(stack):
        if kind == "notebook":
            Notebook(stack, "object", path=path, content_base64=CONTENT, language="PYTHON")
        elif kind == "workspace_file":
            WorkspaceFile(stack, "object", path=path, content_base64=CONTENT)
        else:
            Directory(stack, "object", path=path)

    assert problems(tmp_path, build) == [
        line(f"databricks_{kind}", "object", "CP-WORKSPACE-PATH", f"'{path}' is under /{root}: {why}")]


def test_an_alert_and_a_dashboard_in_the_environments_folder_pass(tmp_path):
    def build(stack):
        alert(stack, run_as={"service_principal_name": SP_DEV})
        Dashboard(stack, "dashboard", display_name="job health", warehouse_id="4b9e2d7a1c3f5e80",
                  parent_path=NOTEBOOK_DIR, serialized_dashboard="{}")

    assert synth(tmp_path, build) == []


def test_an_alert_and_a_dashboard_under_shared_are_findings(tmp_path):
    def build(stack):
        alert(stack, run_as={"service_principal_name": SP_DEV}, parent_path="/Shared/alerts")
        Dashboard(stack, "dashboard", display_name="job health", warehouse_id="4b9e2d7a1c3f5e80",
                  parent_path="/Users/alice@example.com", serialized_dashboard="{}")

    assert problems(tmp_path, build) == [
        line("databricks_alert_v2", "alert", "CP-WORKSPACE-PATH",
             "parent_path '/Shared/alerts' is under /Shared: every workspace user can edit it"),
        line("databricks_dashboard", "dashboard", "CP-WORKSPACE-PATH",
             "parent_path '/Users/alice@example.com' is under /Users: it is a user's home folder")]


def test_a_job_running_a_notebook_from_a_home_folder_is_a_finding(tmp_path):
    build = with_job(task=[notebook_task(f"/Users/{ALICE}/ingest")])
    assert problems(tmp_path, build) == [
        line("databricks_job", "job", "CP-WORKSPACE-PATH",
             f"task[0].notebook_task.notebook_path '/Users/{ALICE}/ingest' is under /Users: it is a user's home "
             "folder")]


def test_a_job_running_a_python_file_from_shared_is_a_finding(tmp_path):
    build = with_job(task=[
        notebook_task(f"{NOTEBOOK_DIR}/ingest_entry"),
        JobTask(task_key="tidy", spark_python_task=JobTaskSparkPythonTask(python_file="/Workspace/Shared/tidy.py"))])
    assert problems(tmp_path, build) == [
        line("databricks_job", "job", "CP-WORKSPACE-PATH",
             "task[1].spark_python_task.python_file '/Workspace/Shared/tidy.py' is under /Shared: every workspace "
             "user can edit it")]


def test_a_pipeline_library_from_shared_is_a_finding(tmp_path):
    build = with_pipeline(library=[
        PipelineLibrary(notebook=PipelineLibraryNotebook(path="/Shared/dlt/servicenow"))])
    assert problems(tmp_path, build) == [
        line("databricks_pipeline", "pipeline", "CP-WORKSPACE-PATH",
             "library[0].notebook.path '/Shared/dlt/servicenow' is under /Shared: every workspace user can edit it")]


def test_a_pipeline_library_glob_from_a_home_folder_is_a_finding(tmp_path):
    build = with_pipeline(library=[PipelineLibrary(glob=PipelineLibraryGlob(include=f"/Users/{ALICE}/dlt/**"))])
    assert problems(tmp_path, build) == [
        line("databricks_pipeline", "pipeline", "CP-WORKSPACE-PATH",
             f"library[0].glob.include '/Users/{ALICE}/dlt/**' is under /Users: it is a user's home folder")]


def test_a_workspace_sourced_task_of_a_git_job_is_still_checked(tmp_path):
    """Jobs API: a task's notebook_task.source WORKSPACE reads the notebook from the workspace even when the job
    has a git_source; the /Users notebook it runs is just as editable by its owner."""
    task = JobTask(task_key="ingest", notebook_task=JobTaskNotebookTask(notebook_path=f"/Users/{ALICE}/x",
                                                                         source="WORKSPACE"))
    build = with_job(git_source=JobGitSource(url="https://github.com/acme/x", provider="gitHub", branch="main"),
                     task=[task])
    assert problems(tmp_path, build) == [
        line("databricks_job", "job", "CP-WORKSPACE-PATH",
             f"task[0].notebook_task.notebook_path '/Users/{ALICE}/x' is under /Users: it is a user's home folder")]


# --------------------------------------------------------------------------------------- CP-PREVENT-DESTROY

UNPROTECTED = PolicyContext(environment=DEV, others=(PROD,), protect_data=False)


def data_bearing(lifecycle: TerraformResourceLifecycle | None, **schema_settings) -> Build:
    def build(stack):
        Schema(stack, "schema", catalog_name="appsec_dev", name="bronze", lifecycle=lifecycle, **schema_settings)
        pipeline(stack, lifecycle=lifecycle)
        SecretScope(stack, "scope", name=DEV.secret_scope, lifecycle=lifecycle)

    return build


def test_data_bearing_resources_with_prevent_destroy_pass(tmp_path):
    assert synth(tmp_path, data_bearing(KEEP)) == []


def test_without_protect_data_prevent_destroy_is_not_required(tmp_path):
    assert synth(tmp_path, data_bearing(None), context=UNPROTECTED) == []


def test_with_protect_data_each_data_bearing_resource_needs_prevent_destroy(tmp_path):
    assert problems(tmp_path, data_bearing(None)) == [
        line("databricks_pipeline", "pipeline", "CP-PREVENT-DESTROY",
             "pipeline holds data and has no lifecycle.prevent_destroy in environment 'dev' (protect_data)"),
        line("databricks_schema", "schema", "CP-PREVENT-DESTROY",
             "schema holds data and has no lifecycle.prevent_destroy in environment 'dev' (protect_data)"),
        line("databricks_secret_scope", "scope", "CP-PREVENT-DESTROY",
             "secret scope holds data and has no lifecycle.prevent_destroy in environment 'dev' (protect_data)")]


def test_a_prevent_destroy_set_to_false_is_no_protection(tmp_path):
    build = adding(Schema, "schema", catalog_name="appsec_dev", name="bronze",
                   lifecycle=TerraformResourceLifecycle(prevent_destroy=False))
    assert problems(tmp_path, build) == [
        line("databricks_schema", "schema", "CP-PREVENT-DESTROY",
             "schema holds data and has no lifecycle.prevent_destroy in environment 'dev' (protect_data)")]


def test_a_protected_schema_with_force_destroy_is_a_finding(tmp_path):
    build = adding(Schema, "schema", catalog_name="appsec_dev", name="bronze", lifecycle=KEEP, force_destroy=True)
    assert problems(tmp_path, build) == [
        line("databricks_schema", "schema", "CP-PREVENT-DESTROY",
             "schema has force_destroy: destroying it drops every table")]


def test_force_destroy_is_a_finding_even_without_protect_data(tmp_path):
    build = adding(Schema, "schema", catalog_name="appsec_dev", name="bronze", force_destroy=True)
    assert problems(tmp_path, build, context=UNPROTECTED) == [
        line("databricks_schema", "schema", "CP-PREVENT-DESTROY",
             "schema has force_destroy: destroying it drops every table")]


# ---------------------------------------------------------------------------------------------- CP-CROSS-ENV


def test_the_stacks_own_environment_values_pass(tmp_path):
    """Its own catalog, scope, folder, principal and host; a folder that only starts like prod's is not prod's."""
    def build(stack):
        SecretAcl(stack, "acl", scope=DEV.secret_scope, principal=SP_DEV, permission="READ")
        owned_job(stack, task=[notebook_task(f"{NOTEBOOK_DIR}/ingest_entry", catalog="appsec_dev.bronze",
                                             host=DEV.host, archive="/Applications/appsec-connectors/prod-archive")])

    assert synth(tmp_path, build) == []


def test_another_environments_catalog_in_a_task_parameter_is_a_finding(tmp_path):
    assert problems(tmp_path, parameters_job(catalog="appsec_prod.bronze")) == [
        line("databricks_job", "job", "CP-CROSS-ENV",
             "task[0].notebook_task.base_parameters.catalog names prod's catalog 'appsec_prod'")]


def test_another_environments_catalog_in_a_job_parameter_is_a_finding(tmp_path):
    build = with_job(parameter=[JobParameter(name="catalog", default="appsec_prod")])
    assert problems(tmp_path, build) == [
        line("databricks_job", "job", "CP-CROSS-ENV", "parameter[0].default names prod's catalog 'appsec_prod'")]


def test_another_environments_secret_scope_is_a_finding(tmp_path):
    build = adding(SecretAcl, "acl", scope=PROD.secret_scope, principal=SP_DEV, permission="READ")
    assert problems(tmp_path, build) == [
        line("databricks_secret_acl", "acl", "CP-CROSS-ENV", "scope names prod's secret scope 'connectors-prod'")]


def test_another_environments_workspace_folder_in_a_notebook_path_is_a_finding(tmp_path):
    build = with_job(task=[notebook_task(f"{PROD.workspace_dir}/ingest_entry")])
    assert problems(tmp_path, build) == [
        line("databricks_job", "job", "CP-CROSS-ENV",
             f"task[0].notebook_task.notebook_path names prod's workspace folder '{PROD.workspace_dir}'")]


def test_another_environments_principal_in_an_acl_is_a_finding(tmp_path):
    build = adding(SecretAcl, "acl", scope=DEV.secret_scope, principal=SP_PROD, permission="READ")
    assert problems(tmp_path, build) == [
        line("databricks_secret_acl", "acl", "CP-CROSS-ENV", f"principal names prod's service principal '{SP_PROD}'")]


def test_another_environments_host_is_a_finding(tmp_path):
    assert problems(tmp_path, parameters_job(api=f"{PROD.host}/api/2.1/jobs/list")) == [
        line("databricks_job", "job", "CP-CROSS-ENV",
             f"task[0].notebook_task.base_parameters.api names prod's workspace '{PROD.host}'")]


def test_a_secret_scope_both_environments_share_is_not_a_finding(tmp_path):
    shared = PolicyContext(environment=DEV, others=(EnvironmentFacts(
        name="prod", catalog=PROD.catalog, secret_scope=DEV.secret_scope, workspace_dir=PROD.workspace_dir,
        host=PROD.host, principals=PROD.principals),))
    build = adding(SecretAcl, "acl", scope=DEV.secret_scope, principal=SP_DEV, permission="READ")
    assert synth(tmp_path, build, context=shared) == []


PROD_CONTEXT = PolicyContext(environment=PROD, others=(DEV,))


def test_a_name_that_only_starts_like_another_environments_catalog_is_not_it(tmp_path):
    """Whole names are compared: appsec_devx is not appsec_dev."""
    build = with_job(owner=SP_PROD, task=[
        notebook_task(f"{PROD.workspace_dir}/ingest_entry", catalog="appsec_devx.bronze")])
    assert synth(tmp_path, build, context=PROD_CONTEXT) == []


def test_in_prod_the_dev_catalog_is_a_finding(tmp_path):
    build = with_job(owner=SP_PROD, task=[
        notebook_task(f"{PROD.workspace_dir}/ingest_entry", catalog="appsec_dev.bronze")])
    assert problems(tmp_path, build, context=PROD_CONTEXT) == [
        line("databricks_job", "job", "CP-CROSS-ENV",
             "task[0].notebook_task.base_parameters.catalog names dev's catalog 'appsec_dev'", env="prod")]


def test_another_environments_secret_scope_with_a_dot_is_a_finding(tmp_path):
    dotted = PolicyContext(environment=DEV, others=(EnvironmentFacts(
        name="prod", catalog=PROD.catalog, secret_scope="connectors.prod", workspace_dir=PROD.workspace_dir,
        host=PROD.host, principals=PROD.principals),))
    build = adding(SecretAcl, "acl", scope="connectors.prod", principal=SP_DEV, permission="READ")
    assert problems(tmp_path, build, context=dotted) == [
        line("databricks_secret_acl", "acl", "CP-CROSS-ENV", "scope names prod's secret scope 'connectors.prod'")]


# ----------------------------------------------------------------------------------------- CP-SECRET-LITERAL

GITHUB_TOKEN = "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5"
DATABRICKS_TOKEN = "dapi" + "0123456789abcdef0123456789abcdef"
AWS_KEY = "AKIA" + "IOSFODNN7EXAMPLE"
PRIVATE_KEY = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\n-----END RSA PRIVATE KEY-----"


def test_secret_references_and_names_are_not_literals(tmp_path):
    """What the platform passes instead of secrets: references, secret names, asset hashes, ordinary words."""
    def build(stack):
        owned_job(stack, name="risk-assessment-daily-refresh-github-connector", task=[JobTask(
            task_key="ingest",
            notebook_task=JobTaskNotebookTask(notebook_path=f"{NOTEBOOK_DIR}/ingest_entry", base_parameters={
                "secret_names": "github-token", "secret_scope": DEV.secret_scope,
                "jdbc_url": "jdbc:postgresql://db.example.com:5432/appsec?user=svc"
                            "&password={{secrets/connectors-dev/db-password}}"}),
            new_cluster=JobTaskNewCluster(spark_version="14.3.x-scala2.12", num_workers=1, spark_env_vars={
                "GITHUB_TOKEN": "{{secrets/connectors-dev/github-token}}",
                # Random-looking only with the reference in: the rule looks at what is left without it.
                "client_secret": "{{secrets/connectors-dev/servicenow-oauth2-client-secret}}"}))])
        WorkspaceFile(stack, "file", path=f"{NOTEBOOK_DIR}/connector_runtime.py",
                      source="assets/connector_runtime/3f2a9c8e7b6d5a4f3e2d1c0b9a8f7e6d/connector_runtime.py")

    assert synth(tmp_path, build) == []


@pytest.mark.parametrize(("value", "shape", "shown"), [
    (GITHUB_TOKEN, "a GitHub token", f"'ghp_…' {REDACTED}"),
    (DATABRICKS_TOKEN, "a Databricks token", f"'dapi…' {REDACTED}"),
    (AWS_KEY, "an AWS access key", f"'AKIA…' {REDACTED}"),
    (PRIVATE_KEY, "a private key", f"'----…' {REDACTED}"),
    (f"Bearer {GITHUB_TOKEN}", "a GitHub token", f"'Bear…' {REDACTED}"),
])
def test_a_credential_of_a_known_shape_is_a_finding_and_is_never_shown(tmp_path, value, shape, shown):
    found = problems(tmp_path, parameters_job(auth=value))
    assert found == [line("databricks_job", "job", "CP-SECRET-LITERAL",
                          f"task[0].notebook_task.base_parameters.auth holds {shape} ({shown})")]
    assert value[5:] not in found[0]


def test_a_password_in_a_jdbc_url_is_a_finding(tmp_path):
    url = "jdbc:postgresql://db.example.com:5432/appsec?user=svc&password=Sup3rS3cret"
    found = problems(tmp_path, parameters_job(jdbc_url=url))
    assert found == [line("databricks_job", "job", "CP-SECRET-LITERAL",
                          "task[0].notebook_task.base_parameters.jdbc_url assigns a credential in text "
                          "('password=…', redacted)")]
    assert "Sup3rS3cret" not in found[0]


def test_a_password_in_embedded_json_is_a_finding_and_prose_about_a_token_is_not(tmp_path):
    found = problems(tmp_path, parameters_job(options='{"user": "svc", "password": "hunter2x"}',
                                              note="Rotates the GitHub token: see the runbook"))
    assert found == [line("databricks_job", "job", "CP-SECRET-LITERAL",
                          "task[0].notebook_task.base_parameters.options assigns a credential in text "
                          "('password=…', redacted)")]
    assert "Sup3rS3cret" not in found[0]


@pytest.mark.parametrize("field", ["client_secret", "api_token"])
def test_a_random_value_in_a_credential_named_env_var_is_a_finding(tmp_path, field):
    found = problems(tmp_path, env_vars_job(**{field: "x7Gk2pQ9vL4mN8rT1wZ5"}))
    assert found == [line("databricks_job", "job", "CP-SECRET-LITERAL",
                          f"task[0].new_cluster.spark_env_vars.{field}, named like a credential, holds a "
                          "random-looking value ('x7Gk…', redacted)")]


def test_sk_inside_a_word_does_not_start_an_api_key(tmp_path):
    """'risk-assessment-…' contains 'sk-' and 32 more characters: not an sk- key, it is inside a word."""
    build = with_job(name="risk-assessment-daily-refresh-github-connector",
                     tags={"purpose": "risk-assessment-daily-refresh-github"})
    assert synth(tmp_path, build) == []


def test_an_api_key_standing_alone_is_a_finding(tmp_path):
    """The counterpart of the test above: the same shape, not inside a word."""
    found = problems(tmp_path, parameters_job(openai="sk-assessment-daily-refresh-github-connector"))
    assert found == [line("databricks_job", "job", "CP-SECRET-LITERAL",
                          f"task[0].notebook_task.base_parameters.openai holds an API key ('sk-a…' {REDACTED})")]


def test_a_secret_scope_name_with_digits_is_a_name_not_a_secret(tmp_path):
    """connectors.yaml accepts `secret_scope: appsec-connectors-2024`, and EnvironmentStack passes it to every
    connector task as the parameter `secret_scope` (the sample with that scope fails with 12 findings); a secret
    name such as 'jira-api-token-v2' in `secret_names` is flagged the same way."""
    build = parameters_job(secret_scope="appsec-connectors-2024", secret_names="jira-api-token-v2")
    assert synth(tmp_path, build) == []


def test_a_credential_used_as_a_map_key_is_never_shown(tmp_path):
    found = problems(tmp_path, env_vars_job(**{GITHUB_TOKEN: "1"}))
    assert len(found) == 1 and GITHUB_TOKEN not in found[0]


# -------------------------------------------------------------------------------------------- suppressions

REASON = "reviewed by appsec (SEC-1234): owned through the workspace UI until the migration"


def test_a_suppressed_finding_is_reported_not_failed_and_its_reason_is_in_the_resource(tmp_path):
    unowned = adding(Job, "job", name="github", run_as=RUN_AS_DEV)
    suppression = Suppression("dev/job", "CP-JOB-OWNER", REASON, "policy.suppressions[0]")
    assert synth(tmp_path, unowned, suppressions=(suppression,)) == [
        f"policy: CP-JOB-OWNER suppressed on dev/job: {REASON}"]
    document = json.loads((tmp_path / "stacks" / "dev" / "cdk.tf.json").read_text())
    comment = document["resource"]["databricks_job"]["job"]["//"]
    assert comment["policy_suppressions"] == [{"rule": "CP-JOB-OWNER", "reason": REASON}]
    assert comment["metadata"]["path"] == "dev/job"
    assert (tmp_path / "manifest.json").exists()


def test_a_suppression_of_a_nested_resource_is_written_into_that_resource(tmp_path):
    def build(stack):
        scope = Construct(stack, "github")
        Job(scope, "job", name="github", run_as=RUN_AS_DEV)

    suppression = Suppression("dev/github/job", "CP-JOB-OWNER", REASON, "policy.suppressions[3]")
    assert synth(tmp_path, build, suppressions=(suppression,)) == [
        f"policy: CP-JOB-OWNER suppressed on dev/github/job: {REASON}"]
    document = json.loads((tmp_path / "stacks" / "dev" / "cdk.tf.json").read_text())
    [(address, body)] = document["resource"]["databricks_job"].items()
    assert re.fullmatch(r"github_job_[0-9A-F]{8}", address)
    assert body["//"]["policy_suppressions"] == [{"rule": "CP-JOB-OWNER", "reason": REASON}]


def test_a_suppression_that_matches_nothing_fails_the_synth_naming_where_it_is_written(tmp_path):
    """A stale exception would silently cover the next, different violation of that resource."""
    stale = Suppression("dev/job", "CP-RUN-AS", REASON, "policy.suppressions[2]")
    assert problems(tmp_path, owned_job, suppressions=(stale,)) == [
        "policy.suppressions[2]: CP-RUN-AS on dev/job matches no violation of this synth; remove it (if the "
        "resource was renamed, the suppression names its new path)"]
    assert not (tmp_path / "manifest.json").exists()


def test_a_suppression_the_platform_adds_itself_is_named_as_a_suppression(tmp_path):
    stale = Suppression("dev/renamed/pipeline", "CP-PREVENT-DESTROY", REASON)
    assert problems(tmp_path, owned_job, suppressions=(stale,)) == [
        "suppression: CP-PREVENT-DESTROY on dev/renamed/pipeline matches no violation of this synth; remove it "
        "(if the resource was renamed, the suppression names its new path)"]


def test_a_suppression_of_another_rule_on_the_same_resource_hides_only_its_own(tmp_path):
    build = adding(Job, "job", name="github")  # no run_as, no permissions
    owner = Suppression("dev/job", "CP-JOB-OWNER", REASON, "policy.suppressions[0]")
    assert problems(tmp_path, build, suppressions=(owner,)) == [
        line("databricks_job", "job", "CP-RUN-AS", "runs as whoever deploys it (no run_as)")]


def test_a_suppression_for_a_rule_the_resource_does_not_break_is_stale_and_hides_nothing(tmp_path):
    owner = Suppression("dev/job", "CP-JOB-OWNER", REASON, "policy.suppressions[0]")
    assert problems(tmp_path, job_with_access(OWNER_DEV, run_as=None), suppressions=(owner,)) == [
        line("databricks_job", "job", "CP-RUN-AS", "runs as whoever deploys it (no run_as)"),
        "policy.suppressions[0]: CP-JOB-OWNER on dev/job matches no violation of this synth; remove it (if the "
        "resource was renamed, the suppression names its new path)"]


# ----------------------------------------------------------------------------------------- the whole app


def test_every_stacks_violations_are_reported_at_once_and_no_manifest_is_written(tmp_path):
    unowned = adding(Job, "job", name="github", run_as=RUN_AS_DEV)
    leaked = adding(SecretAcl, "acl", scope=DEV.secret_scope, principal="users", permission="READ")
    app = app_of(tmp_path, (unowned, CONTEXT, ()), (leaked, PROD_CONTEXT, ()))
    with pytest.raises(PolicyError) as raised:
        main.synth_checked(app)
    assert raised.value.problems == [
        line("databricks_job", "job", "CP-JOB-OWNER",
             "job 'github' has no databricks_permissions, so Databricks makes whoever deploys it its owner"),
        line("databricks_secret_acl", "acl", "CP-CROSS-ENV", "scope names dev's secret scope 'connectors-dev'",
             env="prod")]
    assert str(raised.value).splitlines()[0] == (
        "policy: 2 violations; nothing was synthesized. Fix each, or suppress one in connectors.yaml "
        "(policy.suppressions: rule, resource, reason) once it is reviewed.")
    assert not (tmp_path / "manifest.json").exists()


def test_the_sample_config_passes_every_rule(tmp_path):
    assert main.synth_checked(main.build_app(load_config(SAMPLE_CONFIG), str(tmp_path), SAMPLE_NOTEBOOKS)) == []
    assert (tmp_path / "manifest.json").exists()


def test_the_rule_ids_are_the_ten_published_ones_in_order():
    """Rule ids are a public contract: suppressions in users' connectors.yaml name them."""
    assert RULE_IDS == ("CP-RUN-AS", "CP-SECRET-READ", "CP-BROAD-WRITE", "CP-ALL-PRIVILEGES",
                        "CP-PRIVILEGE-SECURABLE", "CP-JOB-OWNER", "CP-WORKSPACE-PATH", "CP-PREVENT-DESTROY",
                        "CP-CROSS-ENV", "CP-SECRET-LITERAL")
    assert set(FIX) == set(RULE_IDS)


# ------------------------------------------------------------------------------------ connectors.yaml policy

LONG_REASON = "reviewed by appsec on 2026-01-02, ticket SEC-1"


def errors_of(policy: str) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        parse_config(VALID + policy, "connectors.yaml")
    return [problem.render("connectors.yaml") for problem in raised.value.problems]


def suppression(rule: str = "CP-RUN-AS", resource: str = "dev/jobs/x/job", reason: str = LONG_REASON) -> str:
    return f"    - rule: {rule}\n      resource: {resource}\n      reason: {reason}\n"


def test_a_suppression_of_an_unknown_rule_lists_the_rules():
    assert errors_of("policy:\n  suppressions:\n" + suppression(rule="CP-RUN-ASS")) == [
        "connectors.yaml:35: policy.suppressions[0].rule: 'CP-RUN-ASS' is not one of: 'CP-RUN-AS', 'CP-SECRET-READ', "
        "'CP-BROAD-WRITE', 'CP-ALL-PRIVILEGES', 'CP-PRIVILEGE-SECURABLE', 'CP-JOB-OWNER', 'CP-WORKSPACE-PATH', "
        "'CP-PREVENT-DESTROY', 'CP-CROSS-ENV' or 'CP-SECRET-LITERAL'"]


def test_a_suppression_needs_a_reason_of_twenty_characters():
    assert errors_of("policy:\n  suppressions:\n" + suppression(reason="too short")) == [
        "connectors.yaml:37: policy.suppressions[0].reason: is too short; write at least 20 characters"]


def test_a_suppression_names_an_environment_then_a_construct_path():
    assert errors_of("policy:\n  suppressions:\n" + suppression(resource="jobs")) == [
        "connectors.yaml:36: policy.suppressions[0].resource: 'jobs' is not a valid resource path; use the resource "
        "path the policy violation names: '<stack>/<construct>/.../<resource>' "
        "(e.g. 'prod/jobs/legacy_export/permissions')"]


def test_a_suppression_of_an_unknown_environment_lists_the_environments():
    assert errors_of("policy:\n  suppressions:\n" + suppression(resource="staging/jobs/x/job")) == [
        "connectors.yaml:36: policy.suppressions[0].resource: 'staging' is not an environment; a resource path "
        "starts with one of: dev, prod"]


def test_the_same_rule_and_resource_may_be_suppressed_once():
    assert errors_of("policy:\n  suppressions:\n" + suppression() + suppression(reason=LONG_REASON + " again")) == [
        "connectors.yaml:38: policy.suppressions[1]: suppresses CP-RUN-AS on dev/jobs/x/job again "
        "(also policy.suppressions[0]); keep one"]


def test_an_unknown_key_under_policy_suggests_the_closest():
    assert errors_of("policy:\n  broad_group: [all-staff]\n") == [
        "connectors.yaml:34: policy.broad_group: unknown key 'broad_group'; did you mean 'broad_groups'? "
        "allowed here: broad_groups, suppressions"]


def test_suppressions_and_broad_groups_resolve_per_environment():
    """Each environment gets only its own suppressions, each with where it is written; broad groups are compared
    in lower case, the built-in ones always included."""
    config = parse_config(VALID + "policy:\n  broad_groups: [All-Staff]\n  suppressions:\n"
                          + suppression(resource="prod/jobs/x/job")
                          + suppression(rule="CP-JOB-OWNER", resource="dev/jobs/x/permissions")
                          + suppression(rule="CP-BROAD-WRITE", resource="prod/secrets/acl_users"))
    prod = resolve(config, "prod")
    assert prod.suppressions == (
        Suppression("prod/jobs/x/job", "CP-RUN-AS", LONG_REASON, "policy.suppressions[0]"),
        Suppression("prod/secrets/acl_users", "CP-BROAD-WRITE", LONG_REASON, "policy.suppressions[2]"))
    assert resolve(config, "dev").suppressions == (
        Suppression("dev/jobs/x/permissions", "CP-JOB-OWNER", LONG_REASON, "policy.suppressions[1]"),)
    assert prod.broad_groups == frozenset({"users", "account users", "all users", "all-staff"})


def test_without_a_policy_section_nothing_is_suppressed_and_only_built_in_groups_are_broad():
    dev = resolve(parse_config(VALID), "dev")
    assert dev.suppressions == ()
    assert dev.broad_groups == frozenset({"users", "account users", "all users"})
