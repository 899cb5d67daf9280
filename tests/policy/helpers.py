"""What the policy tests share: two environments' facts, compliant builders of the resources rules look at
(real cdktf constructs), and `findings_of`: one stack synthesized as cdktf writes it, evaluated with one rule."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from core.toolchain import App, TerraformResourceLifecycle, TerraformStack
from core.provider import AlertV2
from core.provider import Job, JobRunAs, JobTask, JobTaskNotebookTask
from core.provider import Permissions, PermissionsAccessControl
from core.provider import Pipeline, PipelineRunAs
from core.provider import DatabricksProvider
from constructs import Construct

from policy import EnvironmentFacts, PolicyContext, Rule, evaluate

SP_DEV = "3b0a7c52-6d1e-4f8a-9c2b-5e7d1f0a4b61"
SP_PROD = "9e4d2b17-0c5f-4a3e-8b6d-7f1c2a9e5d03"
SP_ADMIN = "5c8e1f3a-2b4d-4e6f-8a0c-1d3e5f7a9b2c"  # an admin service principal that runs nothing
ALICE = "alice@example.com"
DEV = EnvironmentFacts(name="dev", catalog="appsec_dev", secret_scope="connectors-dev",
                       workspace_dir="/Applications/appsec-connectors/dev",
                       host="https://adb-1111111111111111.11.azuredatabricks.net", principals=(SP_DEV,),
                       run_as=SP_DEV)
PROD = EnvironmentFacts(name="prod", catalog="appsec_prod", secret_scope="connectors-prod",
                        workspace_dir="/Applications/appsec-connectors/prod",
                        host="https://adb-2222222222222222.12.azuredatabricks.net", principals=(SP_PROD,),
                        run_as=SP_PROD)
CONTEXT = PolicyContext(environment=DEV, others=(PROD,))
PROD_CONTEXT = PolicyContext(environment=PROD, others=(DEV,))
NOTEBOOK_DIR = f"{DEV.workspace_dir}/notebooks"
CONTENT = "IyBEYXRhYnJpY2tzIG5vdGVib29rIHNvdXJjZQ=="  # base64 of '# Databricks notebook source'
KEEP = TerraformResourceLifecycle(prevent_destroy=True)
RUN_AS_DEV = JobRunAs(service_principal_name=SP_DEV)
OWNER_DEV = PermissionsAccessControl(service_principal_name=SP_DEV, permission_level="IS_OWNER")

Build = Callable[[Construct], object]


# ------------------------------------------------------------------------------------------ one rule, one stack


def terraform_of(outdir: Path, build: Build, *, context: PolicyContext = CONTEXT) -> dict:
    """The Terraform JSON cdktf writes for one stack, named after the context's environment, holding a provider
    (on the environment's host) and what `build` adds; no policy pack."""
    app = App(outdir=str(outdir))
    stack = TerraformStack(app, context.environment.name)
    DatabricksProvider(stack, "databricks", host=context.environment.host)
    build(stack)
    app.synth()
    return json.loads((outdir / "stacks" / context.environment.name / "cdk.tf.json").read_text(encoding="utf-8"))


def findings_of(rule: Rule, outdir: Path, build: Build, *, context: PolicyContext = CONTEXT) -> list[str]:
    """What `rule`, and only it, finds in the stack `build` makes: each finding as the line a user reads."""
    return [finding.render() for finding in evaluate(terraform_of(outdir, build, context=context), context,
                                                     rules=(rule,))]


def line(kind: str, id: str, rule: str, message: str, fix: str, env: str = "dev") -> str:
    """A finding on a resource added directly to the stack: its logical id is its construct id, no hash."""
    return f"{env}/{id} ({kind}.{id}): {rule}: {message}; fix: {fix}"


# --------------------------------------------------------------------------- compliant resources, to vary


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


def pipeline(scope: Construct, id: str = "pipeline", *, run_as: PipelineRunAs | None = None,
             lifecycle: TerraformResourceLifecycle | None = KEEP, **settings) -> Pipeline:
    return Pipeline(scope, id, name="servicenow-ingestion", catalog="appsec_dev", schema="servicenow",
                    run_as=run_as or PipelineRunAs(service_principal_name=SP_DEV), lifecycle=lifecycle, **settings)


def alert(scope: Construct, parent_path: str = NOTEBOOK_DIR, **settings) -> AlertV2:
    return AlertV2(scope, "alert", display_name="jobs needing attention", query_text="SELECT 1 AS job_name",
                   warehouse_id="4b9e2d7a1c3f5e80", parent_path=parent_path,
                   evaluation={"source": {"name": "job_name", "aggregation": "COUNT"},
                               "comparison_operator": "GREATER_THAN", "threshold": {"value": {"double_value": 0}}},
                   schedule={"quartz_cron_schedule": "0 0 * * * ?", "timezone_id": "UTC"}, **settings)
