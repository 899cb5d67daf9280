"""connectors_config.checks: a connector's settings, written into its job as they are, hold no credential: no
token of a known shape, no URL with 'user:password@', no value under a key that holds a credential; none is
ever shown whole."""

from __future__ import annotations

import pytest

from connectors_config import ConfigError, parse_config
from tests.fixtures.builders import GITHUB, batch_connector, connectors, environments

USE_A_SECRET = ("the settings are written into the job as they are: store the credential with `python -m operations "
                "load-secrets` and list only its name under the connector's 'secrets' (the source reads it with "
                "dbutils.secrets.get)")


def cmdb(settings: str) -> str:
    return batch_connector("cmdb", "0 0 2 * * ?", settings=settings, secrets=("cmdb-client-id", "cmdb-client-secret"))


def config(settings: str) -> str:
    return environments() + connectors(GITHUB, cmdb(settings))


def errors_of(text: str) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        parse_config(text, "connectors.yaml")
    return [problem.render("connectors.yaml") for problem in raised.value.problems]


FIELDS = "fields: {key: id, updated_at: updated}"


@pytest.mark.parametrize(("url", "shown"), [
    ("https://svc:Sup3rS3cret@cmdb.example.com/api/apps", "https://svc:…@cmdb.example.com/api/apps"),
    ("http://admin:hunter2x@10.0.0.5:8080/api/apps", "http://admin:…@10.0.0.5:8080/api/apps"),
    ("https://:0nlyAPassw0rd@cmdb.example.com/api/apps?limit=10", "https://:…@cmdb.example.com/api/apps"),
])
def test_a_password_in_a_settings_url_is_refused_and_never_shown(url, shown):
    errors = errors_of(config(f'{{url: "{url}", {FIELDS}}}'))
    assert errors == [f"connectors.yaml:32: connectors[1].settings.url: '{shown}' (redacted) has a password in its "
                      f"URL; remove 'user:password@' from it: {USE_A_SECRET}"]
    password = url.split("://")[1].split("@")[0].split(":")[1]
    assert password not in "\n".join(errors)


def test_a_password_in_a_url_inside_a_nested_setting_is_refused():
    """Any string of the settings, however deep: here a (made-up) list of mirrors."""
    errors = errors_of(config('{url: "https://cmdb.example.com/api", fields: {key: id, updated_at: "'
                              'postgresql://etl:s3cr3tPass@db.example.com/cmdb"}}'))
    assert errors == ["connectors.yaml:32: connectors[1].settings.fields.updated_at: "
                      f"'postgresql://etl:…@db.example.com/cmdb' (redacted) has a password in its URL; remove "
                      f"'user:password@' from it: {USE_A_SECRET}"]


@pytest.mark.parametrize(("token", "what", "start"), [
    ("ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5", "a GitHub token", "ghp_"),
    ("AKIA" + "IOSFODNN7EXAMPLE", "an AWS access key", "AKIA"),
])
def test_a_token_in_the_settings_is_refused_and_never_shown(token, what, start):
    errors = errors_of(environments() + connectors(batch_connector(
        "github", "0 */15 * * * ?", settings=f"{{organisation: {token}}}", secrets=("github-token",))))
    assert errors == [f"connectors.yaml:27: connectors[0].settings.organisation: '{start}…' (redacted: looks like "
                      f"a credential) is {what}; {USE_A_SECRET}"]
    assert token[5:] not in "\n".join(errors)


@pytest.mark.parametrize(("value", "what", "shown"), [
    ("Bearer xoxb-000000000000-000000000000000000000000", "a Slack token", "Bearer xoxb…"),
    ("Bearer glpat-ASfOXt-fQiyCQq1FvNW1", "a GitLab token", "Bearer glpa…"),
])
def test_a_token_after_other_words_in_the_settings_is_refused_and_never_shown(value, what, shown):
    """Found by the fuzz: a value that does not itself start like a token was shown whole."""
    errors = errors_of(environments() + connectors(batch_connector(
        "github", "0 */15 * * * ?", settings=f'{{organisation: "{value}"}}', secrets=("github-token",))))
    assert errors == [f"connectors.yaml:27: connectors[0].settings.organisation: '{shown}' is {what}; {USE_A_SECRET}"]
    assert value.split()[1][5:] not in "\n".join(errors)


def test_the_sample_settings_and_urls_without_a_password_pass():
    """Look-alikes: a URL with a port, a token_url (it names where tokens come from), an organisation named
    after tokens."""
    parse_config(environments() + connectors(
        batch_connector("github", "0 */15 * * * ?", settings="{organisation: token-tools}", secrets=("github-token",)),
        cmdb('{url: "https://cmdb.example.com:8443/api/apps", token_url: '
             f'"https://cmdb.example.com/oauth_token.do", {FIELDS}}}')))


@pytest.mark.parametrize("key", ["org_token", "api.password", "client-secret"])
def test_a_setting_named_like_a_credential_is_refused_without_its_value(key):
    errors = errors_of(environments() + connectors(batch_connector(
        "github", "0 */15 * * * ?", settings=f"{{organisation: acme, {key}: hunter2x}}", secrets=("github-token",))))
    assert errors == [f"connectors.yaml:27: connectors[0].settings.{key}: '{key}' holds a credential (its value is "
                      f"not shown); {USE_A_SECRET}"]
    assert "hunter2x" not in "\n".join(errors)
