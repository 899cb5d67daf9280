"""connector_http against a real HTTP server on loopback: paging by Link header, backoff on 5xx, timeouts and
connection resets, rate limits waited out or refused, permanent failures reported without credentials.

Waits are recorded, not slept: the client takes `sleep` and `clock`, so no test waits for a rate limit."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "notebooks"))

from connector_http import HttpPolicy, SourceError, SourceHttp  # noqa: E402
from tests.loopback import LoopbackServer, Reply  # noqa: E402

TOKEN = "ghp_loopbackTestToken0123456789abcdef"
NOW = 1_800_000_000.0


def client(server: LoopbackServer, **policy) -> tuple[SourceHttp, list[float]]:
    slept: list[float] = []
    http = SourceHttp(server.url, {"Authorization": f"Bearer {TOKEN}"},
                      policy=HttpPolicy(**{"timeout_seconds": 2.0, **policy}), sleep=slept.append, clock=lambda: NOW)
    return http, slept


def test_pages_follow_the_link_header_to_the_last_page(server):
    server.reply("/orgs/acme/repos",
                 Reply(body=[{"id": 1}, {"id": 2}], headers={
                     "Link": f'<{server.url}/orgs/acme/repos?page=2>; rel="next", '
                             f'<{server.url}/orgs/acme/repos?page=3>; rel="last"'}),
                 Reply(body=[{"id": 3}], headers={"Link": f'<{server.url}/orgs/acme/repos?page=3>; rel="next"'}),
                 Reply(body=[{"id": 4}]))
    http, slept = client(server)
    pages = list(http.pages("orgs/acme/repos", {"per_page": 100}))
    assert [item["id"] for page in pages for item in page.body] == [1, 2, 3, 4]
    assert [r.path for r in server.requests] == [
        "/orgs/acme/repos?per_page=100", "/orgs/acme/repos?page=2", "/orgs/acme/repos?page=3"]
    assert all(r.headers["Authorization"] == f"Bearer {TOKEN}" for r in server.requests)
    assert slept == []


def test_server_errors_are_retried_with_doubling_backoff(server):
    server.reply("/api/issues", Reply(502, {"message": "bad gateway"}), Reply(503), Reply(body={"total": 0}))
    http, slept = client(server)
    assert http.get("/api/issues").body == {"total": 0}
    assert slept == [1.0, 2.0]
    assert http.waits == [("HTTP 502", 1.0), ("HTTP 503", 2.0)]


def test_connection_resets_and_timeouts_are_retried(server):
    server.reply("/api/projects", Reply(drop=True), Reply(delay=0.6), Reply(body={"components": []}))
    http, slept = client(server, timeout_seconds=0.3)
    assert http.get("/api/projects").body == {"components": []}
    assert [reason for reason, _ in http.waits][1] == "timed out"
    assert slept == [1.0, 2.0]


def test_transient_failures_give_up_after_the_attempts(server):
    server.reply("/api/projects", *[Reply(500)] * 3)
    http, _ = client(server, attempts=3)
    with pytest.raises(SourceError) as raised:
        http.get("/api/projects")
    assert str(raised.value) == f"GET {server.url}/api/projects: HTTP 500, the source refused the request"
    assert len(server.requests) == 3


def test_rate_limit_retry_after_is_waited_out(server):
    server.reply("/search/issues", Reply(429, headers={"Retry-After": "7"}), Reply(body={"items": []}))
    http, slept = client(server)
    assert http.get("/search/issues").body == {"items": []}
    assert slept == [7.0]


def test_primary_rate_limit_waits_until_the_reset(server):
    server.reply("/orgs/acme/repos",
                 Reply(403, {"message": "API rate limit exceeded"},
                       headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(NOW) + 30)}),
                 Reply(body=[]))
    http, slept = client(server)
    assert http.get("/orgs/acme/repos").body == []
    assert slept == [31.0]


def test_a_rate_limit_longer_than_allowed_fails_the_run_clearly(server):
    server.reply("/orgs/acme/repos", Reply(403, {"message": "API rate limit exceeded"},
                                           headers={"X-RateLimit-Remaining": "0",
                                                    "X-RateLimit-Reset": str(int(NOW) + 3600)}))
    http, slept = client(server)
    with pytest.raises(SourceError) as raised:
        http.get("/orgs/acme/repos")
    assert str(raised.value) == (
        f"GET {server.url}/orgs/acme/repos: rate limited for 3601 s, longer than the 900 s this run may wait; "
        "the next scheduled run continues from the high water mark")
    assert slept == []


@pytest.mark.parametrize(("status", "message", "hint"), [
    (401, "Bad credentials", "the credentials were refused: check the secret in the scope"),
    (403, "Resource not accessible by integration", "the credentials lack access to this resource"),
    (404, "Not Found", "not found: check the connector's settings (URL, organisation, project)"),
])
def test_permanent_failures_fail_at_once_without_the_credentials(server, status, message, hint):
    server.reply("/orgs/acme/code-scanning/alerts", Reply(status, {"message": message}))
    http, slept = client(server)
    with pytest.raises(SourceError) as raised:
        http.get("/orgs/acme/code-scanning/alerts", {"state": "open", "access_token": TOKEN})
    assert str(raised.value) == (
        f"GET {server.url}/orgs/acme/code-scanning/alerts?state=open&access_token=REDACTED: HTTP {status}, {hint} "
        f"(source said: {message!r})")
    assert TOKEN not in str(raised.value)
    assert len(server.requests) == 1 and slept == []


def test_only_http_urls_are_accepted():
    with pytest.raises(ValueError, match="must start with https://"):
        SourceHttp("ftp://example.com")
