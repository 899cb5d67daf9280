"""The GitHub source against a loopback server replaying GitHub's REST shapes: newest-first pages by Link
header, stopping at the high water mark, keys that stay unique across repositories."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "notebooks"))

from source_github import SPEC, GitHubSource  # noqa: E402
from connector_http import HttpPolicy, SourceError, SourceHttp  # noqa: E402
from tests.loopback import LoopbackServer, Reply  # noqa: E402


def alert(repo: str, number: int, updated_at: str) -> dict:
    return {"number": number, "state": "open", "updated_at": updated_at, "created_at": "2026-01-01T00:00:00Z",
            "repository": {"id": len(repo), "full_name": repo},
            "rule": {"id": "py/sql-injection", "severity": "error"}}


@pytest.fixture
def github():
    with LoopbackServer() as server:
        http = SourceHttp(server.url, {"Authorization": "Bearer test"}, policy=HttpPolicy(timeout_seconds=2.0),
                          sleep=lambda seconds: None)
        yield server, GitHubSource(http, "acme")


def test_reads_pages_until_the_high_water_mark(github):
    server, source = github
    path = "/orgs/acme/code-scanning/alerts"
    server.reply(path,
                 Reply(body=[alert("acme/api", 7, "2026-11-20T10:00:00Z"),
                             alert("acme/web", 7, "2026-11-20T09:00:00Z")],
                       headers={"Link": f'<{server.url}{path}?page=2>; rel="next"'}),
                 Reply(body=[alert("acme/api", 3, "2026-11-19T12:00:00Z"),
                             alert("acme/api", 2, "2026-11-01T00:00:00Z")],
                       headers={"Link": f'<{server.url}{path}?page=3>; rel="next"'}),
                 Reply(body=[alert("acme/api", 1, "2026-10-01T00:00:00Z")]))
    since = datetime(2026, 11, 19, 12, 0, tzinfo=timezone.utc)
    records = list(source.fetch("code_scanning_alerts", since))
    assert [(r.key, r.updated_at.isoformat()) for r in records] == [
        ("acme/api#7", "2026-11-20T10:00:00+00:00"),
        ("acme/web#7", "2026-11-20T09:00:00+00:00"),
        ("acme/api#3", "2026-11-19T12:00:00+00:00"),  # at the mark: read again, never skipped
    ]
    assert [r.path for r in server.requests] == [
        f"{path}?sort=updated&direction=desc&per_page=100", f"{path}?page=2"]  # page 3 is never read


def test_without_a_mark_every_page_is_read(github):
    server, source = github
    path = "/orgs/acme/repos"
    server.reply(path,
                 Reply(body=[{"id": 11, "full_name": "acme/api", "updated_at": "2026-11-20T10:00:00Z"}],
                       headers={"Link": f'<{server.url}{path}?page=2>; rel="next"'}),
                 Reply(body=[{"id": 12, "full_name": "acme/web", "updated_at": "2020-01-01T00:00:00Z"}]))
    records = list(source.fetch("repositories", None))
    assert [(r.entity, r.key) for r in records] == [("repositories", "11"), ("repositories", "12")]
    assert server.requests[0].path == f"{path}?type=all&sort=updated&direction=desc&per_page=100"


def test_bad_credentials_fail_the_fetch(github):
    server, source = github
    server.reply("/orgs/acme/secret-scanning/alerts", Reply(401, {"message": "Bad credentials"}))
    with pytest.raises(SourceError, match=r"HTTP 401, the credentials were refused"):
        list(source.fetch("secret_scanning_alerts", None))


def test_an_organisation_must_be_a_login():
    with pytest.raises(ValueError, match="must be a GitHub organisation login"):
        GitHubSource(SourceHttp("https://api.github.com"), "acme/api")


def test_secret_scanning_alerts_are_requested_without_the_leaked_secret(github):
    server, source = github
    path = "/orgs/acme/secret-scanning/alerts"
    server.reply(path, Reply(body=[]))
    assert list(source.fetch("secret_scanning_alerts", None)) == []
    assert [r.path for r in server.requests] == [
        f"{path}?sort=updated&direction=desc&hide_secret=true&per_page=100"]


def test_the_public_api_is_the_default_base_url_and_the_token_goes_in_a_bearer_header():
    assert SPEC.with_defaults({"organisation": "acme"}) == {"organisation": "acme",
                                                           "base_url": "https://api.github.com"}
    with LoopbackServer() as server:
        server.reply("/orgs/acme/repos", Reply(body=[]))
        source = SPEC.open({"organisation": "acme", "base_url": server.url}, {"token": "ghp_specOpenToken"})
        assert list(source.fetch("repositories", None)) == []
        sent = {name.lower(): value for name, value in server.requests[0].headers.items()}
        assert (sent["authorization"], sent["x-github-api-version"]) == ("Bearer ghp_specOpenToken", "2022-11-28")


def repo_item(id_: int, updated_at: str) -> dict:
    return {"id": id_, "full_name": f"acme/r{id_}", "updated_at": updated_at}


def test_repositories_are_read_to_the_last_page_whatever_the_mark_so_their_listing_is_whole(github):
    server, source = github
    path = "/orgs/acme/repos"
    server.reply(path,
                 Reply(body=[repo_item(1, "2026-11-20T10:00:00Z"), repo_item(2, "2026-11-01T00:00:00Z")],
                       headers={"Link": f'<{server.url}{path}?page=2>; rel="next"'}),
                 Reply(body=[repo_item(3, "2026-10-01T00:00:00Z")]))
    assert source.listed_keys("repositories") is None  # nothing fetched yet
    records = list(source.fetch("repositories", datetime(2026, 11, 19, tzinfo=timezone.utc)))
    assert [r.key for r in records] == ["1"]
    assert len(server.requests) == 2  # past the mark, to the last page
    assert source.listed_keys("repositories") == frozenset({"1", "2", "3"})
    assert source.listed_keys("code_scanning_alerts") is None  # alerts stop at the mark: cannot tell


def test_a_repository_fetch_that_fails_midway_leaves_no_listing(github):
    server, source = github
    path = "/orgs/acme/repos"
    server.reply(path, Reply(body=[repo_item(1, "2026-11-20T10:00:00Z")],
                             headers={"Link": f'<{server.url}{path}?page=2>; rel="next"'}),
                 Reply(404, {"message": "Not Found"}))
    with pytest.raises(SourceError):
        list(source.fetch("repositories", None))
    assert source.listed_keys("repositories") is None
