"""The failures every operations subcommand shares, against the simulated workspace (tests/jobs_workspace.py) and
the real Databricks SDK: credentials the workspace does not accept (401; 403 with a numeric error_code for an
invalid or expired token), a permission the caller lacks (403 PERMISSION_DENIED) and a workspace that cannot be
reached (nothing listening; a port that never accepts the connection)."""

from __future__ import annotations

import socket

import pytest

from operations import workspace
from tests.jobs_workspace import JOBS_LIST, SECRETS_PUT
from tests.loopback import unreachable_workspace
from tests.operations.conftest import cli, where

# Each subcommand, and what it first asks of the workspace (the action its message names).
COMMANDS = {
    "run": (("run", "--env", "dev", "github"), "find job github-connector"),
    "backfill": (("backfill", "--env", "dev", "github", "--yes"), "find job github-connector"),
    "repair": (("repair", "--env", "dev", "github"), "find job github-connector"),
    "status": (("status", "--env", "dev"), "find job github-connector"),
    "freshness": (("freshness", "--env", "dev"), "find job github-connector"),
    "load-secrets": (("load-secrets", "--env", "dev", "github"), "put github-token into secret scope mvp-connectors"),
}
NOTHING_PUT = {"load-secrets": " Nothing was put."}


@pytest.fixture
def secret(monkeypatch) -> None:
    monkeypatch.setenv("CONNECTOR_SECRET_GITHUB_TOKEN", "s3cr3t-value-never-shown")


@pytest.mark.parametrize("command", COMMANDS)
def test_an_invalid_or_expired_token_says_to_log_in_again_against_the_simulated_workspace(
        command, setup, sim, server, secret, capsys, tmp_path):
    sim.reject(403, 403, "Invalid access token.")
    args, action = COMMANDS[command]

    assert cli(setup, *args) == 1

    assert capsys.readouterr().err == (
        f"error: the dev workspace ({where(server)}) did not accept the access token trying to {action}: Invalid "
        "access token. Log in again: `databricks auth login --profile loopback`, or replace the token profile "
        f"loopback ({tmp_path / '.databrickscfg'}) holds.{NOTHING_PUT.get(command, '')}\n")


@pytest.mark.parametrize("command", COMMANDS)
def test_unauthenticated_says_to_log_in_again_with_the_profile_against_the_simulated_workspace(
        command, setup, sim, server, secret, capsys, tmp_path):
    sim.reject(401, "UNAUTHENTICATED", "Credential was not sent or was of an unsupported type for this API.")
    args, action = COMMANDS[command]

    assert cli(setup, *args) == 1

    assert capsys.readouterr().err == (
        f"error: the dev workspace ({where(server)}) did not accept the credentials trying to {action}: Credential "
        "was not sent or was of an unsupported type for this API. Log in again: `databricks auth login --profile "
        f"loopback`, or replace the token profile loopback ({tmp_path / '.databrickscfg'}) holds."
        f"{NOTHING_PUT.get(command, '')}\n")


def test_a_token_from_databricks_token_is_named(setup, sim, server, monkeypatch, capsys, tmp_path):
    (tmp_path / ".databrickscfg").write_text(f"[loopback]\nhost = {server.url}\n")
    monkeypatch.setenv("DATABRICKS_TOKEN", "expired-token")
    sim.reject(403, 403, "Invalid access token.")

    assert cli(setup, "status", "--env", "dev") == 1

    assert capsys.readouterr().err == (
        f"error: the dev workspace ({where(server)}) did not accept the access token trying to find job "
        "github-connector: Invalid access token. Log in again: `databricks auth login --profile loopback`, or "
        "replace the token DATABRICKS_TOKEN holds.\n")


# A permission the caller lacks keeps naming the permission and who has it.
@pytest.mark.parametrize("command", ["run", "backfill", "repair", "status", "freshness"])
def test_a_permission_403_still_names_the_job_permission_against_the_simulated_workspace(
        command, setup, sim, server, capsys):
    sim.deny(JOBS_LIST, "User 4f1c... does not have View permission on jobs")
    args, action = COMMANDS[command]

    assert cli(setup, *args) == 1

    assert capsys.readouterr().err == (
        f"error: permission denied to {action} in the dev workspace ({where(server)}): User 4f1c... does not have "
        "View permission on jobs. Finding it takes CAN_VIEW on the job; the dev stack grants CAN_MANAGE_RUN to "
        "appsec-data-engineers and CAN_MANAGE to appsec-platform-admins: run this as a member of one of them.\n")


def test_a_permission_403_to_put_a_secret_names_the_scope_permission(setup, sim, server, secret, capsys):
    sim.deny(SECRETS_PUT, "User 4f1c... does not have WRITE permission on scope mvp-connectors")

    assert cli(setup, "load-secrets", "--env", "dev", "github") == 1

    assert capsys.readouterr().err == (
        f"error: permission denied to put github-token into secret scope mvp-connectors in the dev workspace "
        f"({where(server)}): User 4f1c... does not have WRITE permission on scope mvp-connectors. Putting secrets "
        "takes WRITE or MANAGE on the scope; the dev stack grants MANAGE to appsec-platform-admins (run-as "
        "principals get READ only): run this as a member of it. Nothing was put.\n")


@pytest.mark.parametrize("command", COMMANDS)
def test_an_unreachable_workspace_fails_within_the_bound(command, setup, secret, monkeypatch, capsys, tmp_path):
    closed = unreachable_workspace(tmp_path, monkeypatch)
    args, action = COMMANDS[command]

    assert cli(setup, *args) == 1

    assert capsys.readouterr().err == (
        f"error: cannot reach the dev workspace ({closed}, profile loopback) to {action}: connection refused (gave "
        "up after trying for 5 s). Check the workspace's host in connectors.yaml (or its profile), the network "
        f"and any VPN.{NOTHING_PUT.get(command, '')}\n")


def test_a_workspace_that_never_accepts_the_connection_fails_within_the_bound(setup, monkeypatch, capsys, tmp_path):
    """A listening socket whose backlog is full: the kernel drops further connection attempts, as a black-holed
    address does. Real connect timeouts (cut to a tenth of a second here); the back-off's clock moves on instead."""
    unreachable_workspace(tmp_path, monkeypatch)
    monkeypatch.setattr(workspace, "CONNECT_TIMEOUT_SECONDS", 0.1)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(0)
        queued = [socket.socket() for _ in range(3)]
        for waiting in queued:
            waiting.setblocking(False)
            waiting.connect_ex(silent.getsockname())
        host = f"http://127.0.0.1:{silent.getsockname()[1]}"
        (tmp_path / ".databrickscfg").write_text(f"[loopback]\nhost = {host}\ntoken = x\n")
        try:
            assert cli(setup, "status", "--env", "dev") == 1
        finally:
            for waiting in queued:
                waiting.close()

    assert capsys.readouterr().err == (
        f"error: cannot reach the dev workspace ({host}, profile loopback) to find job github-connector: timed out "
        "(gave up after trying for 5 s). Check the workspace's host in connectors.yaml (or its profile), the "
        "network and any VPN.\n")


def test_at_a_terminal_the_retries_are_shown(setup, monkeypatch, capsys, tmp_path):
    from tests.helpers import Terminal

    closed = unreachable_workspace(tmp_path, monkeypatch)
    monkeypatch.setattr("sys.stderr", Terminal())
    written: list[str] = []
    monkeypatch.setattr(workspace, "_notice", written.append)

    assert cli(setup, "status", "--env", "dev") == 1

    assert written == [f"still trying to reach {closed}, profile loopback: connection refused, retrying for up to "
                       "5 s"]


def test_not_at_a_terminal_nothing_is_shown_while_retrying(setup, monkeypatch, capsys, tmp_path):
    unreachable_workspace(tmp_path, monkeypatch)
    written: list[str] = []
    monkeypatch.setattr(workspace, "_notice", written.append)

    assert cli(setup, "status", "--env", "dev") == 1

    assert written == []


def test_at_a_terminal_a_slow_answer_is_shown(setup, sim, server, monkeypatch, capsys):
    from tests.helpers import Terminal
    from tests.loopback import Reply

    monkeypatch.setattr("sys.stderr", Terminal())
    monkeypatch.setattr(workspace, "NOTICE_AFTER_SECONDS", 0.05)
    written: list[str] = []
    monkeypatch.setattr(workspace, "_notice", written.append)
    server.reply(JOBS_LIST, Reply(200, {"has_more": False}, delay=0.5))

    cli(setup, "status", "--env", "dev", "github")

    assert written[0] == f"waiting for {where(server)} to answer (more than 0.05 s; at most 60 s)"
