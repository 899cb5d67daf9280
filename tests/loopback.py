"""A real HTTP server on 127.0.0.1 that replays scripted responses: the stand-in for a source's API (GitHub,
SonarQube, a CMDB) or the workspace edge. Each request takes the next scripted reply for its path; every
request is recorded with its headers so tests can check what a client sent."""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (a timeout test) leaves the late reply with a broken pipe: expected here.
        pass


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # JSON-serialised unless bytes
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (timeouts)
    drop: bool = False  # close the connection without answering (connection reset)


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str  # with query string
    headers: dict[str, str]
    body: str = ""  # what a POST sent


class LoopbackServer:
    def __init__(self) -> None:
        self.script: dict[str, deque[Reply]] = defaultdict(deque)
        self.handlers: dict[str, Callable[[Recorded], Reply]] = {}
        self.requests: list[Recorded] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                self._answer("")

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                self._answer(self.rfile.read(length).decode("utf-8", errors="replace"))

            def _answer(self, body: str) -> None:
                server.requests.append(Recorded(self.command, self.path, dict(self.headers.items()), body))
                route = self.path.split("?")[0]
                queue = server.script.get(route)
                if queue:
                    reply = queue.popleft()
                elif route in server.handlers:
                    reply = server.handlers[route](server.requests[-1])
                else:
                    reply = Reply(404, {"message": f"no scripted reply for {route}"})
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.drop:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                payload = reply.body if isinstance(reply.body, bytes) else (
                    b"" if reply.body is None else json.dumps(reply.body).encode())
                self.send_response(reply.status)
                for name, value in {"Content-Type": "application/json", **reply.headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:  # quiet test output
                pass

        self._httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        # A short poll interval: shutdown() waits for the next poll.
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)

    def reply(self, path: str, *replies: Reply) -> None:
        self.script[path].extend(replies)

    def serve(self, path: str, handler: Callable[[Recorded], Reply]) -> None:
        """Answer every request for `path` (once its scripted replies are used up) with `handler(request)`: a
        source that keeps state across runs."""
        self.handlers[path] = handler

    def __enter__(self) -> LoopbackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()



# The token every loopback profile carries: a dummy, so finding it in output means headers leaked, nothing more.
LOOPBACK_TOKEN = "loopback-dummy-token"


def loopback_workspace(tmp_path: Path, monkeypatch: Any, server: LoopbackServer, config_text: str,
                       profiles: tuple[str, ...] = ("loopback",), clear: tuple[str, ...] = ()) -> Path:
    """The operator's machine for a command against the workspace edge on loopback: connectors.yaml with
    `config_text` (its workspaces name `profiles`), a Databricks CLI config where each profile points at `server`,
    a scratch HOME, no DATABRICKS_* / CONNECTORS_CONFIG variables (nor any starting with `clear`), SDK retries
    cut to a second, and stdin not a terminal. Returns the config's path."""
    from operations import workspace
    from tests.helpers import NoTerminal

    for name in list(os.environ):
        if name.startswith(("DATABRICKS_", "CONNECTORS_CONFIG", *clear)):
            monkeypatch.delenv(name)
    config = tmp_path / "config" / "connectors.yaml"
    config.parent.mkdir()
    config.write_text(config_text)
    databrickscfg = tmp_path / ".databrickscfg"
    databrickscfg.write_text("\n".join(f"[{profile}]\nhost = {server.url}\ntoken = {LOOPBACK_TOKEN}\n"
                                       for profile in profiles))
    (tmp_path / "home").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(databrickscfg))
    monkeypatch.setattr(workspace, "RETRY_TIMEOUT_SECONDS", 1)
    monkeypatch.setattr(sys, "stdin", NoTerminal())
    return config


def unreachable_workspace(tmp_path: Path, monkeypatch: Any) -> str:
    """The operator's profile `loopback` pointed at a loopback port nothing listens on; returns its URL. The SDK's
    retry back-off is real: its clock moves on instead of waiting, to keep a test of it fast."""
    from databricks.sdk.clock import RealClock

    skipped = [0.0]
    monkeypatch.setattr(RealClock, "time", lambda self: time.time() + skipped[0])
    monkeypatch.setattr(RealClock, "sleep", lambda self, seconds: skipped.__setitem__(0, skipped[0] + seconds))
    with socket.socket() as probe:  # a port nothing listens on once the probe closes
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    (tmp_path / ".databrickscfg").write_text(f"[loopback]\nhost = {closed}\ntoken = {LOOPBACK_TOKEN}\n")
    return closed
