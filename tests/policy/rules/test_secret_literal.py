"""CP-SECRET-LITERAL alone: no credential in any synthesized attribute, and a finding never shows one."""

from __future__ import annotations

import pytest
from cdktf_cdktf_provider_databricks.job import JobTask, JobTaskNewCluster, JobTaskNotebookTask
from cdktf_cdktf_provider_databricks.workspace_file import WorkspaceFile

from policy.rules.secret_literal import RULE
from tests.policy.helpers import DEV, NOTEBOOK_DIR, Build, findings_of, line, owned_job, parameters_job, with_job

FIX = "store the value in the secret scope and pass its name; code reads it with dbutils.secrets.get"
REDACTED = "(redacted: looks like a credential)"
GITHUB_TOKEN = "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5"
DATABRICKS_TOKEN = "dapi" + "0123456789abcdef0123456789abcdef"
AWS_KEY = "AKIA" + "IOSFODNN7EXAMPLE"
PRIVATE_KEY = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\n-----END RSA PRIVATE KEY-----"


def findings(outdir, build, **kwargs) -> list[str]:
    return findings_of(RULE, outdir, build, **kwargs)


def finding(kind: str, id: str, message: str) -> str:
    return line(kind, id, "CP-SECRET-LITERAL", message, FIX)


def env_vars_job(**env_vars: str) -> Build:
    """A compliant job whose task's cluster gets `env_vars`."""
    return lambda stack: owned_job(stack, task=[JobTask(
        task_key="ingest", notebook_task=JobTaskNotebookTask(notebook_path=f"{NOTEBOOK_DIR}/ingest_entry"),
        new_cluster=JobTaskNewCluster(spark_version="14.3.x-scala2.12", num_workers=1, spark_env_vars=env_vars))])


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

    assert findings(tmp_path, build) == []


@pytest.mark.parametrize(("value", "shape", "shown"), [
    (GITHUB_TOKEN, "a GitHub token", f"'ghp_…' {REDACTED}"),
    (DATABRICKS_TOKEN, "a Databricks token", f"'dapi…' {REDACTED}"),
    (AWS_KEY, "an AWS access key", f"'AKIA…' {REDACTED}"),
    (PRIVATE_KEY, "a private key", f"'----…' {REDACTED}"),
    (f"Bearer {GITHUB_TOKEN}", "a GitHub token", f"'Bear…' {REDACTED}"),
])
def test_a_credential_of_a_known_shape_is_a_finding_and_is_never_shown(tmp_path, value, shape, shown):
    found = findings(tmp_path, parameters_job(auth=value))
    assert found == [finding("databricks_job", "job",
                             f"task[0].notebook_task.base_parameters.auth holds {shape} ({shown})")]
    assert value[5:] not in found[0]


def test_a_password_in_a_jdbc_url_is_a_finding(tmp_path):
    url = "jdbc:postgresql://db.example.com:5432/appsec?user=svc&password=Sup3rS3cret"
    found = findings(tmp_path, parameters_job(jdbc_url=url))
    assert found == [finding("databricks_job", "job",
                             "task[0].notebook_task.base_parameters.jdbc_url assigns a credential in text "
                             "('password=…', redacted)")]
    assert "Sup3rS3cret" not in found[0]


def test_a_password_in_embedded_json_is_a_finding_and_prose_about_a_token_is_not(tmp_path):
    found = findings(tmp_path, parameters_job(options='{"user": "svc", "password": "hunter2x"}',
                                              note="Rotates the GitHub token: see the runbook"))
    assert found == [finding("databricks_job", "job",
                             "task[0].notebook_task.base_parameters.options assigns a credential in text "
                             "('password=…', redacted)")]
    assert "hunter2x" not in found[0]


@pytest.mark.parametrize("field", ["client_secret", "api_token"])
def test_a_random_value_in_a_credential_named_env_var_is_a_finding(tmp_path, field):
    found = findings(tmp_path, env_vars_job(**{field: "x7Gk2pQ9vL4mN8rT1wZ5"}))
    assert found == [finding("databricks_job", "job",
                             f"task[0].new_cluster.spark_env_vars.{field}, named like a credential, holds a "
                             "random-looking value ('x7Gk…', redacted)")]


def test_sk_inside_a_word_does_not_start_an_api_key(tmp_path):
    """'risk-assessment-…' contains 'sk-' and 32 more characters: not an sk- key, it is inside a word."""
    build = with_job(name="risk-assessment-daily-refresh-github-connector",
                     tags={"purpose": "risk-assessment-daily-refresh-github"})
    assert findings(tmp_path, build) == []


def test_an_api_key_standing_alone_is_a_finding(tmp_path):
    """The counterpart of the test above: the same shape, not inside a word."""
    found = findings(tmp_path, parameters_job(openai="sk-assessment-daily-refresh-github-connector"))
    assert found == [finding("databricks_job", "job",
                             f"task[0].notebook_task.base_parameters.openai holds an API key ('sk-a…' {REDACTED})")]


def test_a_secret_scope_name_with_digits_is_a_name_not_a_secret(tmp_path):
    """connectors.yaml accepts `secret_scope: appsec-connectors-2024`, and EnvironmentStack passes it to every
    connector task as the parameter `secret_scope` (the sample with that scope fails with 12 findings); a secret
    name such as 'jira-api-token-v2' in `secret_names` is flagged the same way."""
    build = parameters_job(secret_scope="appsec-connectors-2024", secret_names="jira-api-token-v2")
    assert findings(tmp_path, build) == []


def test_a_credential_used_as_a_map_key_is_never_shown(tmp_path):
    found = findings(tmp_path, env_vars_job(**{GITHUB_TOKEN: "1"}))
    assert len(found) == 1 and GITHUB_TOKEN not in found[0]
