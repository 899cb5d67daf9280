"""The environment's workspace through the Databricks SDK, and the SDK's failures as messages for an operator.

Authentication is the SDK's own (unified auth): the profile named in connectors.yaml (from ~/.databrickscfg
or $DATABRICKS_CONFIG_FILE), DATABRICKS_* variables, `databricks auth login`, Azure CLI... connectors.yaml
names only which workspace (`host` and/or `profile`); credentials never come from it.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING, Any, TextIO

from operations import OperationError

if TYPE_CHECKING:
    from connectors_config import ResolvedEnvironment
    from databricks.sdk import WorkspaceClient

# How long the SDK keeps retrying a call that failed on the way (a connection reset, a read timeout) or that the
# workspace answered with a transient error (429, 503); the SDK's own default is 5 minutes.
RETRY_TIMEOUT_SECONDS = 30
# A workspace that cannot be connected to (connection refused, host name not found, no answer to connect) fails the
# command this long after the command first tried it, each attempt to connect waiting at most CONNECT_TIMEOUT_SECONDS
# (the SDK's own: 60 s each, retried for RETRY_TIMEOUT_SECONDS).
UNREACHABLE_AFTER_SECONDS = 5
CONNECT_TIMEOUT_SECONDS = 3.0
# How long a call may take once connected (a slow but alive workspace), as the SDK's default.
READ_TIMEOUT_SECONDS = 60.0
# At a terminal, a call still unanswered after this long says so on stderr.
NOTICE_AFTER_SECONDS = 2.0

_DETAIL_LIMIT = 400
_CHECK_NETWORK = "Check the workspace's host in connectors.yaml (or its profile), the network and any VPN."


def where(environment: ResolvedEnvironment, client: WorkspaceClient | None = None, resolved: str | None = None) -> str:
    """The workspace for messages: its host (as the client resolved it, else as the SDK's error `resolved` it, else
    as connectors.yaml gives it) and the profile connectors.yaml names, e.g. 'https://adb-1.2.azuredatabricks.net,
    profile dev'."""
    workspace = environment.workspace
    host = (client.config.host if client is not None else None) or resolved or workspace.host
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


def is_a_terminal(stream: TextIO | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (AttributeError, ValueError, OSError):  # closed or replaced
        return False


def connect(environment: ResolvedEnvironment) -> WorkspaceClient:
    """A client for the environment's workspace, which gives up on an unreachable workspace after
    UNREACHABLE_AFTER_SECONDS (see `Unreachable`); raises OperationError when the SDK finds no credentials."""
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.clock import RealClock
    from databricks.sdk.config import Config

    workspace = environment.workspace
    started = RealClock().time()
    try:
        # Config() probes the host (/.well-known/databricks-config, best effort: a failure only falls back to the
        # explicit configuration): one short attempt, not the SDK's retries of a minute or more.
        config = Config(host=workspace.host, profile=workspace.profile, retry_timeout_seconds=1,
                        http_timeout_seconds=CONNECT_TIMEOUT_SECONDS)
    except ValueError as error:
        raise OperationError(_no_client(environment, error)) from None
    config.retry_timeout_seconds = RETRY_TIMEOUT_SECONDS
    config.http_timeout_seconds = READ_TIMEOUT_SECONDS
    client = WorkspaceClient(config=config)
    notice = _notice if is_a_terminal(sys.stderr) else None
    adapter = _bounded_adapter()(where(environment, client), started, notice)
    session = client.api_client._api_client._session  # the SDK's requests session: no public hook for timeouts
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return client


def _notice(line: str) -> None:
    """A line on stderr (a terminal): over a progress line (jobs.Progress) if one is shown."""
    sys.stderr.write(f"\r\x1b[K{line}\n")
    sys.stderr.flush()


class Unreachable(Exception):
    """The workspace could not be connected to for UNREACHABLE_AFTER_SECONDS: not a requests.ConnectionError, so
    the SDK does not retry it once more."""

    def __init__(self, reason: str, seconds: float) -> None:
        super().__init__(f"{reason} (gave up after trying for {seconds:g} s)")
        self.reason = reason
        self.seconds = seconds


@cache
def _bounded_adapter() -> type:
    """The adapter class, made on first use: requests is loaded only by a command that calls the workspace."""
    from requests.adapters import HTTPAdapter

    class BoundedAdapter(HTTPAdapter):
        """requests' adapter as the SDK mounts it, with a short connect timeout; a failure to connect is retried here,
        with a short back-off, until UNREACHABLE_AFTER_SECONDS after the first one (after the client was made, while
        nothing has answered yet), then raised as `Unreachable`. Failures once connected are left to the SDK's retries.
        At a terminal, `notice` tells of the retries and of a call unanswered after NOTICE_AFTER_SECONDS."""

        def __init__(self, workspace: str, started: float, notice: Callable[[str], None] | None) -> None:
            from databricks.sdk.clock import RealClock

            super().__init__(pool_connections=20, pool_maxsize=20, pool_block=True)
            self.workspace = workspace
            self.clock = RealClock()
            self.failing_since: float | None = None
            self.started: float | None = started  # None once the workspace answered
            self.notice = notice

        def send(self, request: Any, stream: bool = False, timeout: Any = None, verify: Any = True, cert: Any = None,
                 proxies: Any = None) -> Any:
            import requests

            read = timeout if isinstance(timeout, (int, float)) else READ_TIMEOUT_SECONDS
            attempt = 0
            while True:
                since = self.failing_since if self.failing_since is not None else self.started
                left = UNREACHABLE_AFTER_SECONDS - (self.clock.time() - since) if since is not None else None
                connect = CONNECT_TIMEOUT_SECONDS if left is None else max(0.1, min(CONNECT_TIMEOUT_SECONDS, left))
                try:
                    response = self._timed(request, stream, (connect, read), verify, cert, proxies)
                except requests.ConnectionError as error:
                    if not _before_connecting(error):
                        raise
                    if self.failing_since is None:
                        self.failing_since = self.started if self.started is not None else self.clock.time()
                    left = UNREACHABLE_AFTER_SECONDS - (self.clock.time() - self.failing_since)
                    reason = _network_reason(error)
                    if left <= 0:
                        raise Unreachable(reason, UNREACHABLE_AFTER_SECONDS) from error
                    if attempt == 0 and self.notice is not None:
                        self.notice(f"still trying to reach {self.workspace}: {reason}, retrying for up to "
                                    f"{UNREACHABLE_AFTER_SECONDS:g} s")
                    self.clock.sleep(min(0.5 * 2 ** attempt, 2.0, left))
                    attempt += 1
                    continue
                self.failing_since = self.started = None
                return response

        def _timed(self, request: Any, stream: bool, timeout: tuple[float, float], verify: Any, cert: Any,
                   proxies: Any) -> Any:
            if self.notice is None:
                return super().send(request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=proxies)
            notice = self.notice
            timer = threading.Timer(NOTICE_AFTER_SECONDS, lambda: notice(
                f"waiting for {self.workspace} to answer (more than {NOTICE_AFTER_SECONDS:g} s; at most "
                f"{timeout[1]:g} s)"))
            timer.daemon = True
            timer.start()
            try:
                return super().send(request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=proxies)
            finally:
                timer.cancel()

    return BoundedAdapter


def _before_connecting(error: Exception) -> bool:
    """Whether the request failed before it was sent: no connection (refused, host name not found, connect timed
    out), so trying again sends nothing twice."""
    import requests
    from urllib3.exceptions import NewConnectionError

    if isinstance(error, requests.ConnectTimeout):
        return True
    reason = getattr(error.args[0] if error.args else None, "reason", None)
    return isinstance(reason, NewConnectionError)


def _no_client(environment: ResolvedEnvironment, error: ValueError) -> str:
    text = str(error)
    # The SDK's error ends with the settings it resolved ('Config: host=..., profile=...'): the host a profile gives.
    found = re.search(r"\bConfig: host=([^,\s]+)", text)
    env, profile = environment.name, environment.workspace.profile
    host = environment.workspace.host or (found.group(1) if found else None)
    if profile and re.search(rf"has no {re.escape(profile)} profile", text):
        return (f"the {env} workspace is Databricks CLI profile '{profile}' (connectors.yaml), but no such profile "
                f"is configured ({server_said(error)}). Create it with `databricks auth login --profile {profile}`, "
                "or set DATABRICKS_CONFIG_FILE to the file that has it.")
    if re.search(r"Max retries exceeded|NameResolutionError|Failed to resolve|Connection refused|timed out", text):
        # The SDK reached out while picking credentials (Azure CLI, OAuth discovery) and got no answer.
        return (f"cannot reach the {env} workspace ({where(environment, resolved=host)}) to authenticate: "
                f"{_network_reason(error)}. {_CHECK_NETWORK}")
    login = f"--profile {profile}" if profile else f"--host {host}"
    return (f"no usable Databricks credentials for the {env} workspace ({where(environment, resolved=host)}): "
            f"{server_said(error)}. "
            f"Authenticate as for any Databricks tool: `databricks auth login {login}`, DATABRICKS_TOKEN, "
            "DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET, or `az login` on Azure.")


def explain(error: Exception, environment: ResolvedEnvironment, client: WorkspaceClient, action: str) -> str | None:
    """What went wrong doing `action` ('put github-token into secret scope mvp-connectors'), for the failures
    every command shares: unreachable workspace, rejected credentials. None for the others."""
    import requests
    from databricks.sdk.errors import PermissionDenied, Unauthenticated

    env = environment.name
    workspace = f"the {env} workspace ({where(environment, client)})"
    if isinstance(error, Unreachable):
        return f"cannot reach {workspace} to {action}: {error}. {_CHECK_NETWORK}"
    network = error.__cause__ if isinstance(error, TimeoutError) else error
    if isinstance(network, (requests.ConnectionError, requests.Timeout)):
        gave_up = (f" (gave up after retrying for {RETRY_TIMEOUT_SECONDS} s)"
                   if isinstance(error, TimeoutError) else "")
        return (f"cannot reach {workspace} to {action}: {_network_reason(network)}{gave_up}. {_CHECK_NETWORK}")
    if isinstance(error, Unauthenticated):
        return (f"{workspace} did not accept the credentials trying to {action}: {server_said(error)}. "
                f"{_log_in_again(environment, client)}")
    if isinstance(error, PermissionDenied) and is_invalid_token(error):
        return (f"{workspace} did not accept the access token trying to {action}: {server_said(error)}. "
                f"{_log_in_again(environment, client)}")
    return None


def is_invalid_token(error: Exception) -> bool:
    """A 403 that rejects the token itself, not a permission: workspaces answer an invalid or expired token with
    a numeric error_code (403) and 'Invalid access token.', where a permission is PERMISSION_DENIED."""
    code = getattr(error, "error_code", None)
    numeric = isinstance(code, int) or (isinstance(code, str) and code.isdigit())
    return numeric or "invalid access token" in str(error).lower()


def _log_in_again(environment: ResolvedEnvironment, client: WorkspaceClient) -> str:
    """How to get credentials the workspace accepts, pasteable."""
    config = client.config
    profile = config.profile or environment.workspace.profile
    host = config.host or environment.workspace.host
    login = f"`databricks auth login --profile {profile}`" if profile else f"`databricks auth login --host {host}`"
    if config.auth_type != "pat":
        return f"Log in again: {login}."
    if os.environ.get("DATABRICKS_TOKEN"):
        holder = "DATABRICKS_TOKEN"
    elif profile:
        holder = f"profile {profile} ({config.config_file or '~/.databrickscfg'})"
    else:
        holder = "the SDK found"
    return f"Log in again: {login}, or replace the token {holder} holds."


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
