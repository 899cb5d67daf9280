"""The environment's workspace through the Databricks SDK, and the SDK's failures as messages for an operator.

Authentication is the SDK's own (unified auth): the profile named in connectors.yaml (from ~/.databrickscfg
or $DATABRICKS_CONFIG_FILE), DATABRICKS_* variables, `databricks auth login`, Azure CLI... connectors.yaml
names only which workspace (`host` and/or `profile`); credentials never come from it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from operations import OperationError

if TYPE_CHECKING:
    from connectors_config import ResolvedEnvironment
    from databricks.sdk import WorkspaceClient

# How long the SDK keeps retrying an unreachable workspace (connection refused, reset, timeouts) before it
# gives up; the SDK's own default is 5 minutes.
RETRY_TIMEOUT_SECONDS = 30

_DETAIL_LIMIT = 400
_CHECK_NETWORK = "Check the workspace's host in connectors.yaml (or its profile), the network and any VPN."


def where(environment: ResolvedEnvironment, client: WorkspaceClient | None = None) -> str:
    """The workspace for messages: its host (as the client resolved it, else as connectors.yaml gives it) and
    the profile connectors.yaml names, e.g. 'https://adb-1.2.azuredatabricks.net, profile dev'."""
    workspace = environment.workspace
    host = (client.config.host if client is not None else None) or workspace.host
    parts = [host] if host else []
    if workspace.profile:
        parts.append(f"profile {workspace.profile}")
    return ", ".join(parts)


@contextmanager
def quiet_sdk_logging() -> Iterator[None]:
    """The SDK logs warnings (e.g. a failed host-metadata probe) that Python would print to stderr: the
    command reports failures itself, in its own words."""
    logger = logging.getLogger("databricks")
    handler = logging.NullHandler()
    propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def connect(environment: ResolvedEnvironment) -> WorkspaceClient:
    """A client for the environment's workspace; raises OperationError when the SDK finds no credentials."""
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.config import Config

    workspace = environment.workspace
    try:
        return WorkspaceClient(config=Config(host=workspace.host, profile=workspace.profile,
                                             retry_timeout_seconds=RETRY_TIMEOUT_SECONDS))
    except ValueError as error:
        raise OperationError(_no_client(environment, error)) from None


def _no_client(environment: ResolvedEnvironment, error: ValueError) -> str:
    env, profile, host = environment.name, environment.workspace.profile, environment.workspace.host
    text = str(error)
    if profile and re.search(rf"has no {re.escape(profile)} profile", text):
        return (f"the {env} workspace is Databricks CLI profile '{profile}' (connectors.yaml), but no such profile "
                f"is configured ({detail(text)}). Create it with `databricks auth login --profile {profile}`, "
                "or set DATABRICKS_CONFIG_FILE to the file that has it.")
    if re.search(r"Max retries exceeded|NameResolutionError|Failed to resolve|Connection refused|timed out", text):
        # The SDK reached out while picking credentials (Azure CLI, OAuth discovery) and got no answer.
        return (f"cannot reach the {env} workspace ({where(environment)}) to authenticate: "
                f"{_network_reason(error)}. {_CHECK_NETWORK}")
    login = f"--profile {profile}" if profile else f"--host {host}"
    return (f"no usable Databricks credentials for the {env} workspace ({where(environment)}): {detail(text)}. "
            f"Authenticate as for any Databricks tool: `databricks auth login {login}`, DATABRICKS_TOKEN, "
            "DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET, or `az login` on Azure.")


def explain(error: Exception, environment: ResolvedEnvironment, client: WorkspaceClient, action: str) -> str | None:
    """What went wrong doing `action` ('put github-token into secret scope mvp-connectors'), for the failures
    every command shares: unreachable workspace, rejected credentials. None for the others."""
    import requests
    from databricks.sdk.errors import Unauthenticated

    env = environment.name
    network = error.__cause__ if isinstance(error, TimeoutError) else error
    if isinstance(network, (requests.ConnectionError, requests.Timeout)):
        gave_up = (f" (gave up after retrying for {RETRY_TIMEOUT_SECONDS} s)"
                   if isinstance(error, TimeoutError) else "")
        return (f"cannot reach the {env} workspace ({where(environment, client)}) to {action}: "
                f"{_network_reason(network)}{gave_up}. {_CHECK_NETWORK}")
    if isinstance(error, Unauthenticated):
        return (f"the {env} workspace ({where(environment, client)}) rejected the credentials trying to "
                f"{action}: {server_said(error)}. Log in again (`databricks auth login`) or check the token or "
                "client secret the SDK found (profile, DATABRICKS_* variables).")
    return None


def _network_reason(error: Exception) -> str:
    text = str(error)
    if "Connection refused" in text:
        return "connection refused"
    if re.search(r"Name or service not known|nodename nor servname|getaddrinfo failed|No address associated"
                 r"|Failed to resolve", text):
        return "host name not found"
    if "timed out" in text.lower():
        return "timed out"
    if "reset" in text.lower() or "RemoteDisconnected" in text or "aborted" in text.lower():
        return "connection reset"
    return "connection failed"


def mask(text: str, hide: Iterable[str] = ()) -> str:
    """`text` with each of the `hide` strings (secret values) replaced by '***'."""
    for value in hide:
        if value:
            text = text.replace(value, "***")
    return text


def detail(text: str, hide: Iterable[str] = ()) -> str:
    """An SDK or server message for an operator: masked (a secret value must never be printed, even if a server
    echoed it), on one line, without a final period (the caller's sentence goes on) and shortened."""
    line = " ".join(mask(text, hide).split()).rstrip(".")
    return line if len(line) <= _DETAIL_LIMIT else line[:_DETAIL_LIMIT - 1] + "…"


def server_said(error: Exception, hide: Iterable[str] = ()) -> str:
    """What the workspace answered, without the client settings the SDK appends to auth failures ('Config:
    host=..., token=***, ...'): the operator knows them, and the command names the workspace itself."""
    return detail(re.sub(r"\s*\bConfig: .*\Z", "", str(error), flags=re.DOTALL), hide)
