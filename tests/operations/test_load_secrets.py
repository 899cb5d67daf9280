"""`python -m operations load-secrets`: the only way connector credentials enter the platform.

No machine here reaches a Databricks workspace, so a LoopbackServer (tests/loopback.py) stands in for the
workspace edge: the real Databricks SDK talks HTTP to it, through a temporary Databricks CLI profile
(`workspace: {profile: loopback}` in a temporary connectors.yaml, DATABRICKS_CONFIG_FILE for the profile).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from operations.cli import main
from tests.conftest import PROJECT_DIR
from tests.fixtures.builders import GITHUB, SERVICENOW, batch_connector, connectors, environment, environments
from tests.helpers import Terminal
from tests.loopback import LOOPBACK_TOKEN, LoopbackServer, Reply, loopback_workspace, unreachable_workspace
from tests.operations.conftest import no_credentials

PUT = "/api/2.0/secrets/put"
TOKEN = LOOPBACK_TOKEN
# Two batch connectors (one and two secrets) and a lakeflow_connect one; dev's workspace is the loopback profile.
CONFIG = environments(
    environment("dev", profile="loopback", on_failure="appsec-data@example.com"),
    environment("prod", host="https://adb-2222222222222222.12.azuredatabricks.net",
                on_failure="appsec-data@example.com"),
) + "\n" + connectors(
    GITHUB,
    batch_connector("cmdb", "0 0 2 * * ?", secrets=("cmdb-client-id", "cmdb-client-secret"),
                    settings='{url: "https://cmdb.example.com/api/applications", '
                             "fields: {key: sys_id, updated_at: sys_updated_on}}"),
    SERVICENOW,
)


def a_value() -> str:
    """A fresh credential-shaped value: unique, so finding it anywhere means it leaked."""
    return f"ghp_{secrets.token_hex(18)}"


@pytest.fixture
def setup(tmp_path, monkeypatch, server):
    """A connectors.yaml whose dev workspace is profile 'loopback', the profile pointing at the server (see
    `loopback_workspace`), and an environment without any CONNECTOR_SECRET_* variables."""
    return loopback_workspace(tmp_path, monkeypatch, server, CONFIG, clear=("CONNECTOR_SECRET_",))


def load(config: Path, *args: str) -> list[str]:
    return ["load-secrets", "--config", str(config), *args]


def puts(server: LoopbackServer) -> list[dict]:
    found = [r for r in server.requests if r.path == PUT]
    assert all(r.method == "POST" for r in found)
    return [json.loads(r.body) for r in found]


def files_holding(root: Path, value: str) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file() and value.encode() in path.read_bytes()]


def test_puts_the_declared_secret_into_the_scope_against_a_loopback_workspace(setup, server, monkeypatch, capsys):
    value = a_value()
    monkeypatch.setenv("CONNECTOR_SECRET_GITHUB_TOKEN", value)
    server.reply(PUT, Reply(200, {}))

    assert main(load(setup, "--env", "dev", "github")) == 0

    assert puts(server) == [{"scope": "mvp-connectors", "key": "github-token", "string_value": value}]
    put = next(r for r in server.requests if r.path == PUT)
    assert put.headers["Authorization"] == f"Bearer {TOKEN}"
    out, err = capsys.readouterr()
    assert out == ("put github-token into secret scope mvp-connectors (dev)\n"
                   "loaded 1 secret(s) of github into secret scope mvp-connectors in the dev workspace "
                   f"({server.url}, profile loopback)\n")
    assert err == ""


def test_the_value_is_in_no_output_and_no_file_after_a_run_against_a_loopback_workspace(
        setup, server, monkeypatch, capsys, tmp_path):
    values = {"CONNECTOR_SECRET_CMDB_CLIENT_ID": a_value(), "CONNECTOR_SECRET_CMDB_CLIENT_SECRET": a_value()}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    server.reply(PUT, Reply(200, {}), Reply(403, {"error_code": "PERMISSION_DENIED", "message": "no WRITE"}))

    assert main(load(setup, "--env", "dev", "cmdb")) == 1

    assert [p["key"] for p in puts(server)] == ["cmdb-client-id", "cmdb-client-secret"]
    out, err = capsys.readouterr()
    for value in values.values():
        assert value not in out + err
        assert files_holding(tmp_path, value) == []
        assert files_holding(setup.parent, value) == []


def test_as_a_subprocess_it_puts_every_secret_of_the_connector_against_a_loopback_workspace(setup, server, tmp_path):
    values = {"cmdb-client-id": a_value(), "cmdb-client-secret": a_value()}
    env = {**os.environ, "CONNECTOR_SECRET_CMDB_CLIENT_ID": values["cmdb-client-id"],
           "CONNECTOR_SECRET_CMDB_CLIENT_SECRET": values["cmdb-client-secret"], "CONNECTORS_CONFIG": str(setup)}
    server.reply(PUT, Reply(200, {}), Reply(200, {}))

    done = subprocess.run([sys.executable, "-m", "operations", "load-secrets", "--env", "dev", "cmdb"],
                          cwd=PROJECT_DIR, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=60)

    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines() == [
        "put cmdb-client-id into secret scope mvp-connectors (dev)",
        "put cmdb-client-secret into secret scope mvp-connectors (dev)",
        f"loaded 2 secret(s) of cmdb into secret scope mvp-connectors in the dev workspace ({server.url}, "
        "profile loopback)",
    ]
    assert puts(server) == [{"scope": "mvp-connectors", "key": key, "string_value": value}
                            for key, value in values.items()]
    for value in values.values():
        assert files_holding(tmp_path, value) == []


def test_missing_values_put_nothing_and_name_every_variable_to_set(setup, server, monkeypatch, capsys):
    monkeypatch.setenv("CONNECTOR_SECRET_CMDB_CLIENT_ID", "   ")  # blank counts as missing

    assert main(load(setup, "--env", "dev", "cmdb")) == 1

    assert server.requests == []
    assert capsys.readouterr() == ("", (
        "error: no value for 2 of cmdb's 2 secret(s); nothing was put into secret scope mvp-connectors (dev):\n"
        "  cmdb-client-id: set CONNECTOR_SECRET_CMDB_CLIENT_ID\n"
        "  cmdb-client-secret: set CONNECTOR_SECRET_CMDB_CLIENT_SECRET\n"
        "Empty values count as missing; set the variables, or run in a terminal to be prompted (input hidden).\n"))


def test_one_missing_value_puts_none_of_the_others(setup, server, monkeypatch, capsys):
    value = a_value()
    monkeypatch.setenv("CONNECTOR_SECRET_CMDB_CLIENT_ID", value)

    assert main(load(setup, "--env", "dev", "cmdb")) == 1

    assert server.requests == []
    out, err = capsys.readouterr()
    assert err.splitlines()[:2] == [
        "error: no value for 1 of cmdb's 2 secret(s); nothing was put into secret scope mvp-connectors (dev):",
        "  cmdb-client-secret: set CONNECTOR_SECRET_CMDB_CLIENT_SECRET",
    ]
    assert value not in out + err


def test_only_loads_the_named_subset_against_a_loopback_workspace(setup, server, monkeypatch, capsys):
    value = a_value()
    monkeypatch.setenv("CONNECTOR_SECRET_CMDB_CLIENT_SECRET", value)
    server.reply(PUT, Reply(200, {}))

    assert main(load(setup, "--env", "dev", "--only", "cmdb-client-secret", "cmdb")) == 0

    assert puts(server) == [{"scope": "mvp-connectors", "key": "cmdb-client-secret", "string_value": value}]
    assert capsys.readouterr().out.splitlines()[0] == "put cmdb-client-secret into secret scope mvp-connectors (dev)"


def test_only_refuses_a_name_the_connector_does_not_declare(setup, server, monkeypatch, capsys):
    monkeypatch.setenv("CONNECTOR_SECRET_GITHUB_TOKEN", a_value())

    assert main(load(setup, "--env", "dev", "--only", "github-token", "--only", "gitlab-token", "github")) == 1

    assert server.requests == []
    assert capsys.readouterr() == ("", "error: --only names secrets github does not declare: 'gitlab-token'; "
                                       "its secrets in connectors.yaml: github-token\n")


def test_an_unknown_connector_is_refused(setup, server, capsys):
    assert main(load(setup, "--env", "dev", "gitlab")) == 1

    assert server.requests == []
    assert capsys.readouterr().err == (f"error: no connector 'gitlab' in {setup}; "
                                       "its batch connectors: cmdb, github\n")


def test_an_unknown_environment_is_refused(setup, server, capsys):
    assert main(load(setup, "--env", "qa", "github")) == 1

    assert capsys.readouterr().err == f"error: no environment 'qa' in {setup}; its environments: dev, prod\n"


def test_a_lakeflow_connect_connector_has_no_secrets_to_load(setup, server, capsys):
    assert main(load(setup, "--env", "dev", "servicenow")) == 1

    assert server.requests == []
    assert capsys.readouterr().err == (
        "error: servicenow is a lakeflow_connect connector: it has no secrets to load. Its credentials live in "
        "the Unity Catalog connection 'servicenow_dev' (dev), which an admin creates with the source's OAuth "
        "flow (see docs/deploying.md).\n")


def test_a_broken_config_is_reported_in_full_and_nothing_is_put(setup, server, capsys):
    setup.write_text(setup.read_text().replace("catalog: appsec_dev", "catalog: appsec_prod", 1))

    assert main(load(setup, "--env", "dev", "github")) == 1

    err = capsys.readouterr().err
    assert err.startswith(f"error: {setup}: 1 error; no secret was put.\n  {setup}:")
    assert server.requests == []


def test_a_missing_scope_says_to_deploy_the_stack_against_a_loopback_workspace(setup, server, monkeypatch, capsys):
    value = a_value()
    monkeypatch.setenv("CONNECTOR_SECRET_GITHUB_TOKEN", value)
    server.reply(PUT, Reply(404, {"error_code": "RESOURCE_DOES_NOT_EXIST",
                                  "message": "Scope mvp-connectors does not exist!"}))

    assert main(load(setup, "--env", "dev", "github")) == 1

    assert [p["key"] for p in puts(server)] == ["github-token"]
    assert capsys.readouterr() == ("", (
        f"error: secret scope mvp-connectors does not exist in the dev workspace ({server.url}, profile "
        "loopback). The dev stack creates it, with its ACLs: deploy the stack first "
        f"(`CONNECTORS_CONFIG={setup} npx cdktf deploy dev`, see docs/deploying.md), or check the environment's secret_scope and workspace in connectors.yaml. "
        "Nothing was put.\n"))


def test_permission_denied_midway_names_what_was_put_against_a_loopback_workspace(
        setup, server, monkeypatch, capsys):
    monkeypatch.setenv("CONNECTOR_SECRET_CMDB_CLIENT_ID", a_value())
    monkeypatch.setenv("CONNECTOR_SECRET_CMDB_CLIENT_SECRET", a_value())
    server.reply(PUT, Reply(200, {}), Reply(403, {"error_code": "PERMISSION_DENIED",
                                                  "message": "User does not have permission WRITE on scope"}))

    assert main(load(setup, "--env", "dev", "cmdb")) == 1

    out, err = capsys.readouterr()
    assert out == "put cmdb-client-id into secret scope mvp-connectors (dev)\n"
    assert err == (
        "error: permission denied to put cmdb-client-secret into secret scope mvp-connectors in the dev workspace "
        f"({server.url}, profile loopback): User does not have permission WRITE on scope. Putting secrets takes "
        "WRITE or MANAGE on the scope; the dev stack grants MANAGE to appsec-platform-admins (run-as principals "
        "get READ only): run this as a member of it.\n"
        "Already put: cmdb-client-id; not put: cmdb-client-secret. Putting again overwrites: run the same "
        "command again once this is fixed.\n")


def test_a_server_echoing_the_value_never_gets_it_printed_against_a_loopback_workspace(
        setup, server, monkeypatch, capsys):
    value = a_value()
    monkeypatch.setenv("CONNECTOR_SECRET_GITHUB_TOKEN", value)
    server.reply(PUT, Reply(400, {"error_code": "INVALID_PARAMETER_VALUE", "message": f"bad value {value}"}))

    assert main(load(setup, "--env", "dev", "github")) == 1

    assert capsys.readouterr().err == (
        f"error: the dev workspace ({server.url}, profile loopback) refused to put github-token into secret "
        "scope mvp-connectors: INVALID_PARAMETER_VALUE: bad value ***. Nothing was put.\n")


def test_rejected_credentials_are_explained_against_a_loopback_workspace(setup, server, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("CONNECTOR_SECRET_GITHUB_TOKEN", a_value())
    server.reply(PUT, Reply(401, {"error_code": "UNAUTHENTICATED", "message": "Invalid access token."}))

    assert main(load(setup, "--env", "dev", "github")) == 1

    assert capsys.readouterr().err == (
        f"error: the dev workspace ({server.url}, profile loopback) did not accept the credentials trying to put "
        "github-token into secret scope mvp-connectors: Invalid access token. Log in again: `databricks auth login "
        f"--profile loopback`, or replace the token profile loopback ({tmp_path / '.databrickscfg'}) holds. "
        "Nothing was put.\n")


def test_no_credentials_are_reported_before_any_prompt(setup, server, monkeypatch, capsys, tmp_path):
    (tmp_path / ".databrickscfg").write_text(f"[loopback]\nhost = {server.url}\n")
    monkeypatch.setattr(sys, "stdin", Terminal())
    monkeypatch.setattr("getpass.getpass", lambda prompt: pytest.fail("prompted without credentials"))

    assert main(load(setup, "--env", "dev", "github")) == 1

    assert puts(server) == []
    assert capsys.readouterr().err == no_credentials(server)


def test_a_profile_that_is_not_configured_is_named(setup, server, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("CONNECTOR_SECRET_GITHUB_TOKEN", a_value())
    (tmp_path / ".databrickscfg").write_text(f"[other]\nhost = {server.url}\ntoken = {TOKEN}\n")

    assert main(load(setup, "--env", "dev", "github")) == 1

    assert capsys.readouterr().err == (
        "error: the dev workspace is Databricks CLI profile 'loopback' (connectors.yaml), but no such profile is "
        f"configured (resolve: {tmp_path / '.databrickscfg'} has no loopback profile configured). Create it with "
        "`databricks auth login --profile loopback`, or set DATABRICKS_CONFIG_FILE to the file that has it.\n")
    assert server.requests == []


def test_an_unreachable_workspace_is_explained(setup, monkeypatch, capsys, tmp_path):
    closed = unreachable_workspace(tmp_path, monkeypatch)
    monkeypatch.setenv("CONNECTOR_SECRET_GITHUB_TOKEN", a_value())

    assert main(load(setup, "--env", "dev", "github")) == 1

    assert capsys.readouterr().err == (
        f"error: cannot reach the dev workspace ({closed}, profile loopback) to put github-token into secret "
        "scope mvp-connectors: connection refused (gave up after trying for 5 s). Check the workspace's host "
        "in connectors.yaml (or its profile), the network and any VPN. Nothing was put.\n")


def test_at_a_terminal_it_prompts_with_hidden_input_against_a_loopback_workspace(setup, server, monkeypatch, capsys):
    value = a_value()
    prompts = []
    monkeypatch.setattr(sys, "stdin", Terminal())
    monkeypatch.setattr("getpass.getpass", lambda prompt: prompts.append(prompt) or value)
    server.reply(PUT, Reply(200, {}))

    assert main(load(setup, "--env", "dev", "github")) == 0

    assert prompts == ["github-token for github in dev (input hidden; or set CONNECTOR_SECRET_GITHUB_TOKEN): "]
    assert puts(server) == [{"scope": "mvp-connectors", "key": "github-token", "string_value": value}]
    out, err = capsys.readouterr()
    assert value not in out + err


def test_an_empty_answer_at_the_prompt_puts_nothing(setup, server, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", Terminal())
    monkeypatch.setattr("getpass.getpass", lambda prompt: "")

    assert main(load(setup, "--env", "dev", "github")) == 1

    assert puts(server) == []
    assert capsys.readouterr().err == (
        "error: no value for 1 of github's 1 secret(s); nothing was put into secret scope mvp-connectors (dev):\n"
        "  github-token: set CONNECTOR_SECRET_GITHUB_TOKEN\n"
        "Empty values count as missing; answer each prompt or set the variables.\n")


def test_a_value_typed_on_the_command_line_is_refused_and_not_echoed(setup, server, capsys):
    value = a_value()

    assert main(load(setup, "--env", "dev", "github", value)) == 2

    assert server.requests == []
    assert capsys.readouterr().err == (
        "python -m operations load-secrets: error: 1 unexpected argument(s) (not shown). load-secrets takes one "
        "connector name; secret values are never taken from the command line: set CONNECTOR_SECRET_<NAME> or "
        "answer the prompt.\n")


def test_the_usage_names_the_options():
    parser_usage = subprocess.run([sys.executable, "-m", "operations", "load-secrets", "--help"], cwd=PROJECT_DIR,
                                  capture_output=True, text=True, timeout=60, env={**os.environ, "COLUMNS": "120"})

    assert parser_usage.returncode == 0
    assert parser_usage.stdout.splitlines()[0] == (
        "usage: python -m operations load-secrets [-h] --env ENV [--config PATH] [--only NAME] CONNECTOR")


def test_secrets_that_would_read_the_same_variable_are_refused():
    from dataclasses import replace

    from connectors_config import parse_config, resolve
    from operations import OperationError
    from operations.load_secrets import _selected

    github = next(c for c in resolve(parse_config(CONFIG), "dev").connectors if c.name == "github")
    with pytest.raises(OperationError) as refused:
        _selected(replace(github, secrets=("github-token", "github.token")), [])

    assert str(refused.value) == (
        "secrets of github would read the same variable: github-token and github.token (both "
        "CONNECTOR_SECRET_GITHUB_TOKEN). Load them one at a time with --only, or rename one in connectors.yaml.")
    assert _selected(replace(github, secrets=("github-token", "github.token")), ["github.token"]) == ("github.token",)


def test_usage_errors_return_2_without_exiting(capsys):
    assert main(["load-secrets", "github"]) == 2
    assert capsys.readouterr().err.endswith(
        "python -m operations load-secrets: error: the following arguments are required: --env\n")
    assert main([]) == 2


def test_a_workspace_unreachable_while_authenticating_is_not_called_missing_credentials():
    from connectors_config import parse_config, resolve
    from operations.workspace import _no_client

    prod = resolve(parse_config(CONFIG), "prod")
    sdk_said = ValueError("default auth: azure-cli: HTTPSConnectionPool(host='adb-2222222222222222.12."
                          "azuredatabricks.net', port=443): Max retries exceeded with url: /aad/auth (Caused by "
                          "NameResolutionError(\"...: Failed to resolve 'adb-2222222222222222.12.azuredatabricks.net' "
                          "([Errno -2] Name or service not known)\")). Config: host=https://adb-2222222222222222.12.")

    assert _no_client(prod, sdk_said) == (
        "cannot reach the prod workspace (https://adb-2222222222222222.12.azuredatabricks.net) to authenticate: "
        "host name not found. Check the workspace's host in connectors.yaml (or its profile), the network and any "
        "VPN.")
