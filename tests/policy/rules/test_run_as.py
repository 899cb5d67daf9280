"""CP-RUN-AS alone: jobs, pipelines and SQL alerts run as a service principal."""

from __future__ import annotations

from core.provider import Job, JobRunAs
from core.provider import Pipeline, PipelineRunAs

from policy.rules.run_as import RULE
from tests.policy.helpers import (ALICE, KEEP, NOTEBOOK_DIR, OWNER_DEV, SP_DEV, adding, alert, findings_of,
                                  job_with_access, line, notebook_task, owned_job, pipeline, with_job, with_pipeline)

FIX = "set run_as.service_principal_name (connectors.yaml: the environment's or connector's run_as)"


def findings(outdir, build, **kwargs) -> list[str]:
    return findings_of(RULE, outdir, build, **kwargs)


def finding(kind: str, id: str, message: str) -> str:
    return line(kind, id, "CP-RUN-AS", message, FIX)


def test_a_job_and_a_pipeline_running_as_a_service_principal_pass(tmp_path):
    def build(stack):
        owned_job(stack, task=[notebook_task(f"{NOTEBOOK_DIR}/ingest_entry")])
        pipeline(stack)

    assert findings(tmp_path, build) == []


def test_a_job_without_run_as_runs_as_whoever_deploys_it(tmp_path):
    assert findings(tmp_path, job_with_access(OWNER_DEV, run_as=None)) == [
        "dev/job (databricks_job.job): CP-RUN-AS: runs as whoever deploys it (no run_as); fix: set "
        "run_as.service_principal_name (connectors.yaml: the environment's or connector's run_as)"]


def test_a_job_running_as_a_user_is_named_with_that_user(tmp_path):
    build = with_job(run_as=JobRunAs(user_name=ALICE))
    assert findings(tmp_path, build) == [finding("databricks_job", "job", f"runs as user '{ALICE}'")]


def test_a_job_running_as_a_group_is_refused_because_a_group_is_no_run_as_identity(tmp_path):
    """Provider 1.138's run_as.group_name; an override writes it under either toolchain's bindings (1.99's JobRunAs
    has no group_name)."""
    def build(stack):
        Job(stack, "job", name="github").add_override("run_as", {"group_name": "appsec-platform-admins"})

    assert findings(tmp_path, build) == [
        "dev/job (databricks_job.job): CP-RUN-AS: runs as group 'appsec-platform-admins': a group is not a run-as "
        "identity the platform allows (only a service principal); fix: set run_as.service_principal_name "
        "(connectors.yaml: the environment's or connector's run_as)"]


def test_a_pipeline_without_run_as_is_a_finding(tmp_path):
    build = adding(Pipeline, "pipeline", name="servicenow-ingestion", lifecycle=KEEP)
    assert findings(tmp_path, build) == [
        finding("databricks_pipeline", "pipeline", "runs as whoever deploys it (no run_as)")]


def test_a_pipeline_running_as_a_user_is_a_finding(tmp_path):
    build = with_pipeline(run_as=PipelineRunAs(user_name=ALICE))
    assert findings(tmp_path, build) == [finding("databricks_pipeline", "pipeline", f"runs as user '{ALICE}'")]


def test_a_sql_alert_running_as_a_service_principal_passes(tmp_path):
    assert findings(tmp_path, lambda stack: alert(stack, run_as={"service_principal_name": SP_DEV})) == []


def test_a_sql_alert_without_run_as_runs_as_whoever_deploys_it(tmp_path):
    assert findings(tmp_path, lambda stack: alert(stack)) == [
        finding("databricks_alert_v2", "alert", "runs as whoever deploys it (no run_as)")]
    assert findings(tmp_path / "user", lambda stack: alert(stack, run_as_user_name=ALICE)) == [
        finding("databricks_alert_v2", "alert", f"runs as user '{ALICE}'")]
