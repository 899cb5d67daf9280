"""CP-SECRET-LITERAL alone: no credential in any synthesized attribute, and a finding never shows one."""

from __future__ import annotations

import pytest
from core.provider import JobTask, JobTaskNewCluster, JobTaskNotebookTask
from core.provider import WorkspaceFile

from policy.rules.secret_literal import RULE
from tests.policy.helpers import DEV, NOTEBOOK_DIR, Build, findings_of, line, owned_job, parameters_job, with_job

FIX = ("store the value in the secret scope and pass its name (code reads it with dbutils.secrets.get; a cluster's "
       "spark_conf or spark_env_vars value reads it as {{secrets/<scope>/<key>}})")
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


def spark_conf_job(**conf: str) -> Build:
    """A compliant job whose task's cluster gets `conf` as its spark_conf."""
    return lambda stack: owned_job(stack, task=[JobTask(
        task_key="ingest", notebook_task=JobTaskNotebookTask(notebook_path=f"{NOTEBOOK_DIR}/ingest_entry"),
        new_cluster=JobTaskNewCluster(spark_version="14.3.x-scala2.12", num_workers=1, spark_conf=conf))])


# Keys that hold a credential in any of their parts, not only the last: Hadoop's S3A and ABFS settings, a
# metastore's password, an Azure SAS, a session token.
CREDENTIAL_CONF_KEYS = [
    "spark.hadoop.fs.s3a.secret.key", "spark.hadoop.fs.s3a.access.key", "spark.hadoop.fs.s3a.session.token",
    "fs.azure.account.key.appsecdata.dfs.core.windows.net",
    "fs.azure.account.oauth2.client.secret.appsecdata.dfs.core.windows.net",
    "fs.azure.sas.raw.appsecdata.blob.core.windows.net",
    "spark.hadoop.javax.jdo.option.ConnectionPassword", "spark.databricks.ingest.password",
]


@pytest.mark.parametrize("key", CREDENTIAL_CONF_KEYS)
@pytest.mark.parametrize(("value", "shown"), [("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "'wJal…', redacted"),
                                              ("hunter2", "redacted")])
def test_a_literal_under_a_dotted_credential_key_is_a_finding(tmp_path, key, value, shown):
    found = findings(tmp_path, spark_conf_job(**{key: value}))
    assert found == [finding("databricks_job", "job",
                             f"task[0].new_cluster.spark_conf.{key}, named like a credential, holds a literal value "
                             f"({shown})")]
    assert value[4:] not in found[0]


@pytest.mark.parametrize("field", ["client_secret", "api_token", "DB_PASSWORD", "AWS_SECRET_ACCESS_KEY"])
def test_a_literal_in_a_credential_named_env_var_is_a_finding(tmp_path, field):
    found = findings(tmp_path, env_vars_job(**{field: "x7Gk2pQ9vL4mN8rT1wZ5"}))
    assert found == [finding("databricks_job", "job",
                             f"task[0].new_cluster.spark_env_vars.{field}, named like a credential, holds a "
                             "literal value ('x7Gk…', redacted)")]


def test_cluster_settings_that_name_or_configure_credentials_are_not_literals(tmp_path):
    """Look-alikes of the keys above: endpoints, client ids, provider classes, auth types, and the credential
    keys themselves given a secret reference."""
    build = spark_conf_job(**{
        "spark.sql.shuffle.partitions": "64", "spark.hadoop.fs.s3a.endpoint": "s3.eu-west-1.amazonaws.com",
        "fs.azure.account.auth.type.appsecdata.dfs.core.windows.net": "OAuth",
        "fs.azure.account.oauth.provider.type.appsecdata.dfs.core.windows.net":
            "org.apache.hadoop.fs.azurebfs.oauth2.ClientCredsTokenProvider",
        "fs.azure.account.oauth2.client.id.appsecdata.dfs.core.windows.net": "3b0a7c52-6d1e-4f8a-9c2b-5e7d1f0a4b61",
        "fs.azure.account.oauth2.client.endpoint.appsecdata.dfs.core.windows.net":
            "https://login.microsoftonline.com/0f1e2d3c/oauth2/token",
        "spark.hadoop.fs.s3a.aws.credentials.provider": "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider",
        "fs.azure.sas.token.provider.type": "com.example.SasTokenProvider",
        "spark.hadoop.fs.s3a.secret.key": "{{secrets/connectors-dev/s3-secret-key}}",
        "fs.azure.account.key.appsecdata.dfs.core.windows.net": "{{secrets/connectors-dev/adls-account-key}}"})
    assert findings(tmp_path, build) == []


@pytest.mark.parametrize(("url", "shown"), [
    ("https://svc:Sup3rS3cret@cmdb.example.com/api", "https://svc:…@cmdb.example.com/api"),
    ("postgresql://reader:hunter2x@db.example.com:5432/appsec", "postgresql://reader:…@db.example.com:5432/appsec"),
    ("mongodb+srv://app:pa55word@cluster0.example.net/?retryWrites=true", "mongodb+srv://app:…@cluster0.example.net/"),
    ("jdbc:mysql://etl:s3cr3t@mysql.example.com/db", "mysql://etl:…@mysql.example.com/db"),
    ("ftp://:anonymous1@ftp.example.com", "ftp://:…@ftp.example.com"),
])
def test_a_password_in_a_url_is_a_finding_and_is_never_shown(tmp_path, url, shown):
    found = findings(tmp_path, parameters_job(source=url))
    assert found == [finding("databricks_job", "job", "task[0].notebook_task.base_parameters.source holds a "
                                                      f"password in a URL ('{shown}', redacted)")]
    password = url.split("://")[1].split("@")[0].split(":")[1]
    assert password not in found[0]


def test_urls_without_a_password_are_not_literals(tmp_path):
    build = parameters_job(base_url="https://sonarqube.example.com:9000/api", user_only="https://svc@git.example.com",
                           referenced="https://svc:{{secrets/connectors-dev/cmdb-password}}@cmdb.example.com")
    assert findings(tmp_path, build) == []


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


def test_a_string_is_judged_by_the_key_that_holds_it_in_each_block():
    """The rule remembers what each string holds, per key kind: the same literal is a finding under a key named
    like a credential and none under an ordinary one, in any block and at any depth; a block without a finding is
    passed over, and a credential-shaped map key is cut in the path it names."""
    from policy.rule import Stack
    from policy.rules.secret_literal import check

    document = {"resource": {"databricks_job": {
        "a": {"name": "plain-value", "tags": {"owner": "plain-value"}},
        "b": {"task": [{"spark_env_vars": {"API_TOKEN": "plain-value", "MODE": "plain-value"}}]},
        "c": {"tags": {GITHUB_TOKEN: "x"}, "name": "plain-value"}}}}
    assert [(item.address, message) for item, message in check(Stack(document), None)] == [
        ("databricks_job.b", "task[0].spark_env_vars.API_TOKEN, named like a credential, holds a literal value "
                             "(redacted)"),
        ("databricks_job.c", f"tags.ghp_… holds a GitHub token ('ghp_…' {REDACTED})")]
