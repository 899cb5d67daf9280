"""core.credentials: one list of credential shapes, read by the config (a value where a name belongs) and by the
policy pack (a literal anywhere in a stack), so both refuse the same tokens and show them redacted alike."""

from __future__ import annotations

import pytest

from core.credentials import (
    TOKEN_SHAPES,
    entropy,
    is_credential_key,
    looks_like_secret_value,
    masked,
    redact,
    shape_in,
    url_password,
)

# One token of each shape, as the vendor issues it (made-up values of the real length).
EXAMPLES = {
    "a GitHub token": "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5",
    "a Databricks token": "dapi" + "0123456789abcdef0123456789abcdef",
    "an AWS access key": "AKIA" + "IOSFODNN7EXAMPLE",
    "a GitLab token": "glpat-" + "xY7kP2mQ9rT4vW8zB3nC",
    "a Slack token": "xoxb-" + "123456789012-abcdefABCDEF",
    "a SonarQube token": "squ_" + "0123456789abcdef0123456789abcdef01234567",
    "an API key": "sk-" + "proj4Tq9LmZ2xV7bN1cR8sK3wY6",
    "a JSON web token": "eyJhbGciOiJIUzI1NiJ9." + "eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl",
    "a private key": "-----BEGIN RSA PRIVATE KEY-----",
}


def test_every_shape_has_an_example():
    assert sorted(EXAMPLES) == sorted(what for what, _ in TOKEN_SHAPES)


@pytest.mark.parametrize(("what", "value"), sorted(EXAMPLES.items()))
def test_the_config_and_the_policy_pack_see_the_same_credential(what, value):
    assert looks_like_secret_value(value)
    assert shape_in(f"Authorization: Bearer {value}") == what
    assert redact(value) == f"'{value[:4]}…' (redacted: looks like a credential)"
    assert value[5:] not in masked(f"auth={value}")


@pytest.mark.parametrize("name", ["github-token", "sonarqube.token", "servicenow-oauth2-client-secret", "dapi",
                                  "task_key", "sk-learn", "ghp_short", "connectors-dev"])
def test_names_are_not_credentials(name):
    assert not looks_like_secret_value(name)
    assert shape_in(name) is None
    assert redact(name) == repr(name)


def test_a_shape_inside_a_longer_word_is_not_one():
    assert shape_in("task-sk-" + "proj4Tq9LmZ2xV7bN1cR8sK3wY6") is None


def test_assignments_and_random_runs_look_like_secrets():
    assert looks_like_secret_value("password=hunter2")
    assert looks_like_secret_value("f3a9c1e07b2d4c6e8a1f5b3d9e7c2a40")
    assert entropy("aaaa") == 0.0
    assert entropy("abcd") == 2.0


@pytest.mark.parametrize("key", [
    "spark.hadoop.fs.s3a.secret.key", "spark.hadoop.fs.s3a.access.key", "fs.azure.account.key.acct.dfs.core.windows.net",
    "fs.azure.account.oauth2.client.secret.acct.dfs.core.windows.net", "fs.azure.sas.raw.acct.blob.core.windows.net",
    "spark.databricks.ingest.password", "spark.hadoop.javax.jdo.option.ConnectionPassword", "GITHUB_TOKEN", "apiToken",
    "access_key", "client_secret", "secret_value", "private_key", "Authorization"])
def test_a_key_holds_a_credential_when_any_part_says_so(key):
    assert is_credential_key(key)


@pytest.mark.parametrize("key", [
    "spark.sql.shuffle.partitions", "fs.s3a.endpoint", "secret_scope", "secret_names", "token_url", "task_key", "key",
    "fs.azure.sas.token.provider.type", "spark.hadoop.fs.s3a.aws.credentials.provider",
    "fs.azure.account.oauth2.client.id.acct.dfs.core.windows.net", "fs.azure.account.auth.type", "tokenizer"])
def test_a_key_that_names_or_configures_a_credential_holds_none(key):
    assert not is_credential_key(key)


@pytest.mark.parametrize(("text", "shown"), [
    ("https://svc:hunter2@db.example.com/x", "https://svc:…@db.example.com/x"),
    ("url=postgresql://u:p%40ss@h:5432/db?ssl=1", "postgresql://u:…@h:5432/db"),
    ("jdbc:mysql://a:b@c", "mysql://a:…@c"),
])
def test_a_password_in_a_url_is_found_and_cut(text, shown):
    assert url_password(text) == shown
    assert "…@" in masked(text) and "hunter2" not in masked(text) and "p%40ss" not in masked(text)


@pytest.mark.parametrize("text", ["https://db.example.com/x", "https://user@host", "see http://host:8080/x",
                                  "https://x:{{secrets/s/k}}@h"])
def test_a_url_without_a_password_has_none(text):
    assert url_password(text) is None
    assert masked(text) == text


@pytest.mark.parametrize(("value", "shown"), [
    ("Bearer ghp_" + "a1B2" * 9, "'Bearer ghp_…'"),
    ("see https://svc:hunter2@db.example.com/x", "'see …' (redacted: looks like a credential)"),
    ("token for https://svc:x@h", "'token for https://svc:…@h'"),
    ("appsec-platform-admins", "'appsec-platform-admins'"),
])
def test_redact_cuts_a_credential_inside_other_words(value, shown):
    assert redact(value) == shown
