"""The SonarQube source against a loopback server: scripted replies in SonarQube's Web API shapes ({paging, issues},
{paging, hotspots}, {paging, components}, {component}) and, for the 10,000-result cap, a fake api/issues/search
that really filters, sorts and pages a generated set of issues and refuses p * ps > 10,000 with SonarQube's 400."""

from __future__ import annotations

import random
import sys
import traceback
import urllib.parse
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "notebooks"))

from connector_http import HttpPolicy, SourceError  # noqa: E402
from connector_source import load_spec  # noqa: E402
from source_sonarqube import NEVER_ANALYSED, SILVER, SPEC, SonarQubeSource  # noqa: E402
from tests.loopback import LoopbackServer, Recorded, Reply  # noqa: E402

TOKEN = "squ_9f3c2a7be41d0c58a6e2f1b7d93c4e8a05b6d2f1"
ISSUES = "/api/issues/search"
HOTSPOTS = "/api/hotspots/search"
COMPONENTS = "/api/components/search"
COMPONENT = "/api/components/show"
UTC = timezone.utc


def sonar_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def paged(items_name: str, items: list, total: int, page: int = 1) -> dict:
    return {"paging": {"pageIndex": page, "pageSize": 500, "total": total}, items_name: items}


def issue(key: str, updated: datetime, **extra) -> dict:
    return {"key": key, "rule": "java:S2076", "severity": "CRITICAL", "component": "api:src/Main.java",
            "project": "api", "line": 42, "message": "Make sure this command is safe.", "type": "VULNERABILITY",
            "status": "OPEN", "creationDate": "2025-06-01T00:00:00+0000", "updateDate": sonar_time(updated), **extra}


def hotspot(key: str, project: str, updated: datetime, **extra) -> dict:
    return {"key": key, "component": f"{project}:src/Db.java", "project": project, "securityCategory": "sql-injection",
            "vulnerabilityProbability": "HIGH", "status": "TO_REVIEW", "line": 7, "message": "Make sure this is safe.",
            "creationDate": "2025-06-01T00:00:00+0000", "updateDate": sonar_time(updated),
            "ruleKey": "java:S2077", **extra}


def query(recorded: Recorded) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(recorded.path).query))


def routed(server: LoopbackServer, path: str) -> list[dict[str, str]]:
    return [query(r) for r in server.requests if r.path.split("?")[0] == path]


def open_source(server: LoopbackServer, **settings) -> SonarQubeSource:
    source = SPEC.open({"base_url": server.url, **settings}, {"token": TOKEN},
                       policy=HttpPolicy(timeout_seconds=5.0), sleep=lambda seconds: None)
    assert isinstance(source, SonarQubeSource)
    return source


# A fake api/issues/search: SonarQube's filters, sorts, paging and its 10,000-result cap.


class FakeIssueSearch:
    def __init__(self, issues: list[dict]) -> None:
        # each: key, created_ms, updated_ms, severity (SonarQube keeps milliseconds, shows whole seconds)
        self.by_update = sorted(issues, key=lambda i: (i["updated_ms"], i["key"]))
        self.by_creation = sorted(issues, key=lambda i: (i["created_ms"], i["key"]))
        self.served: list[tuple[dict[str, str], int]] = []  # (query, status)

    def __call__(self, request: Recorded) -> Reply:
        params = query(request)
        reply = self._answer(params, request.headers.get("Authorization"))
        self.served.append((params, reply.status))
        return reply

    def _answer(self, params: dict[str, str], authorization: str | None) -> Reply:
        if authorization != f"Bearer {TOKEN}":
            return Reply(401)
        page, size = int(params.get("p", 1)), int(params.get("ps", 100))
        if size > 500:
            return Reply(400, {"errors": [{"msg": f"'ps' value ({size}) must be less than 500"}]})
        if page * size > 10_000:
            return Reply(400, {"errors": [{"msg": f"Can return only the first 10000 results. {page * size}th result "
                                                  "asked."}]})
        try:
            after = self._millis(params.get("createdAfter"))
            before = self._millis(params.get("createdBefore"))
        except ValueError as error:
            return Reply(400, {"errors": [{"msg": str(error)}]})
        ordered = self.by_update if params.get("s") == "UPDATE_DATE" else self.by_creation
        if params.get("asc", "true") == "false":
            ordered = ordered[::-1]
        severities = set(params["severities"].split(",")) if "severities" in params else None
        matching = [i for i in ordered
                    if (after is None or i["created_ms"] >= after) and (before is None or i["created_ms"] < before)
                    and (severities is None or i["severity"] in severities)]
        shown = [self._shown(i) for i in matching[(page - 1) * size:page * size]]
        return Reply(body={"total": len(matching), "p": page, "ps": size,
                           "paging": {"pageIndex": page, "pageSize": size, "total": len(matching)}, "issues": shown})

    @staticmethod
    def _millis(value: str | None) -> int | None:
        if value is None:
            return None
        return int(datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z").timestamp() * 1000)

    @staticmethod
    def _shown(item: dict) -> dict:
        def seconds(ms: int) -> str:
            return sonar_time(datetime.fromtimestamp(ms // 1000, UTC))
        return {"key": item["key"], "rule": "java:S1144", "severity": item["severity"], "project": "api",
                "component": "api:src/Main.java", "type": "BUG", "status": "OPEN",
                "creationDate": seconds(item["created_ms"]), "updateDate": seconds(item["updated_ms"])}

    def issue_requests(self) -> list[dict[str, str]]:
        return [params for params, _ in self.served]


START = datetime(2024, 1, 1, tzinfo=UTC)
SEVERITIES = ("INFO", "MINOR", "MAJOR", "CRITICAL", "BLOCKER")


def spread_issues(count: int, seed: int) -> list[dict]:
    """Issues created over almost three years, each updated up to sixty days later (milliseconds apart)."""
    rng = random.Random(seed)
    start = int(START.timestamp() * 1000)
    issues = []
    for n in range(count):
        created = start + rng.randrange(1000 * 86400 * 1000)
        issues.append({"key": f"AZ{n:06d}", "created_ms": created, "severity": rng.choice(SEVERITIES),
                       "updated_ms": created + rng.randrange(60 * 86400 * 1000)})
    return issues


def same_second_issues(count: int, second: datetime, prefix: str, severities=SEVERITIES) -> list[dict]:
    """A first analysis without SCM data: every issue created in the same second (at different milliseconds)."""
    base = int(second.timestamp() * 1000)
    return [{"key": f"{prefix}{n:06d}", "created_ms": base + n % 1000, "severity": severities[n % len(severities)],
             "updated_ms": base + 5000 + n} for n in range(count)]


def fetch_with_fake(server: LoopbackServer, issues: list[dict], since: datetime | None):
    fake = FakeIssueSearch(issues)
    server.serve(ISSUES, fake)
    return list(open_source(server).fetch("issues", since)), fake


def assert_within_the_cap(fake: FakeIssueSearch) -> None:
    assert fake.served and all(status == 200 for _, status in fake.served)
    assert max(int(p["p"]) * int(p["ps"]) for p in fake.issue_requests()) <= 10_000


# Issues


def test_issues_are_read_newest_first_down_to_the_mark(server):
    top = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    mark = datetime(2026, 11, 19, 12, 0, 0, 250_000, tzinfo=UTC)  # a mark finer than SonarQube's seconds
    first = [issue(f"i{n:03d}", top - timedelta(minutes=n)) for n in range(500)]
    second = [issue("i500", datetime(2026, 11, 19, 12, 0, 1, tzinfo=UTC)),
              issue("i501", datetime(2026, 11, 19, 12, 0, 0, tzinfo=UTC)),  # in the mark's second: read again
              issue("i502", datetime(2026, 11, 19, 11, 59, 59, tzinfo=UTC))]
    server.reply(ISSUES, Reply(body=paged("issues", first, 1400)),
                 Reply(body=paged("issues", second + [issue("i503", START)] * 497, 1400, page=2)),
                 Reply(body=paged("issues", [issue("never", top)], 1400, page=3)))
    records = list(open_source(server).fetch("issues", mark))
    assert [r.key for r in records] == [f"i{n:03d}" for n in range(502)]
    assert {r.entity for r in records} == {"issues"}
    assert records[0].updated_at == top and records[0].payload["rule"] == "java:S2076"
    assert records[-1].updated_at == datetime(2026, 11, 19, 12, 0, 0, tzinfo=UTC)
    assert routed(server, ISSUES) == [{"s": "UPDATE_DATE", "asc": "false", "p": "1", "ps": "500"},
                                      {"s": "UPDATE_DATE", "asc": "false", "p": "2", "ps": "500"}]  # no page 3
    assert {r.headers["Authorization"] for r in server.requests} == {f"Bearer {TOKEN}"}


def test_a_backfill_beyond_10000_issues_is_sliced_by_creation_date(server):
    issues = spread_issues(10_800, seed=4)
    records, fake = fetch_with_fake(server, issues, None)
    keys = [r.key for r in records]
    assert len(keys) == 10_800 and len(set(keys)) == 10_800
    assert set(keys) == {i["key"] for i in issues}
    assert_within_the_cap(fake)
    sliced = [p for p in fake.issue_requests() if "createdAfter" in p or "createdBefore" in p]
    assert sliced and all(p["s"] in ("UPDATE_DATE", "CREATION_DATE") for p in sliced)
    assert len(fake.served) < 60


def test_a_mark_more_than_10000_issues_back_is_reached_through_slices(server):
    issues = spread_issues(15_000, seed=7)
    newest_first = sorted((i["updated_ms"] // 1000 for i in issues), reverse=True)
    mark = datetime.fromtimestamp(newest_first[12_000], UTC)
    expected = {i["key"] for i in issues if i["updated_ms"] // 1000 >= newest_first[12_000]}
    records, fake = fetch_with_fake(server, issues, mark)
    keys = [r.key for r in records]
    assert len(keys) == len(expected) > 12_000 and len(set(keys)) == len(keys)
    assert set(keys) == expected
    assert min(r.updated_at for r in records) == mark
    assert_within_the_cap(fake)
    assert {"s": "UPDATE_DATE", "asc": "false", "p": "20", "ps": "500"} in fake.issue_requests()  # the probe
    assert any("createdAfter" in p for p in fake.issue_requests())


def test_a_mark_within_10000_issues_needs_no_slices(server):
    issues = spread_issues(12_000, seed=9)
    newest_first = sorted((i["updated_ms"] // 1000 for i in issues), reverse=True)
    records, fake = fetch_with_fake(server, issues, datetime.fromtimestamp(newest_first[9_000], UTC))
    assert len(records) == len({r.key for r in records}) >= 9_001
    requests = fake.issue_requests()
    # page 20 ends before the mark, so pages 2 to 19 hold the rest: no slices
    assert [p["p"] for p in requests] == ["1", "20"] + [str(n) for n in range(2, 20)]
    assert not any("createdAfter" in p or "createdBefore" in p for p in requests)


def test_more_than_10000_issues_created_in_one_second_are_split_by_severity(server):
    second = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
    issues = same_second_issues(10_300, second, "FA") + spread_issues(200, seed=11)
    records, fake = fetch_with_fake(server, issues, None)
    keys = [r.key for r in records]
    assert len(keys) == len(set(keys)) == 10_500
    assert set(keys) == {i["key"] for i in issues}
    assert_within_the_cap(fake)
    by_severity = [p for p in fake.issue_requests() if "severities" in p]
    assert {p["severities"] for p in by_severity} == set(SEVERITIES)
    assert {(p["createdAfter"], p["createdBefore"]) for p in by_severity} == {
        ("2025-03-04T05:06:07+0000", "2025-03-04T05:06:08+0000")}


def test_more_than_10000_issues_of_one_second_and_severity_fail_clearly(server):
    second = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
    issues = same_second_issues(10_001, second, "FB", severities=("MAJOR",))
    with pytest.raises(SourceError, match=r"more than 10000 issues of severity MAJOR created at "
                                          r"2025-03-04T05:06:07\+0000 .*`projects` or `issue_types`"):
        fetch_with_fake(server, issues, None)


def test_issue_types_and_projects_narrow_the_search(server):
    projects = [f"team:service-{n:02d}" for n in range(60)]
    server.reply(ISSUES, Reply(body=paged("issues", [], 0)), Reply(body=paged("issues", [], 0)))
    assert list(open_source(server, projects=projects, issue_types=["VULNERABILITY", "BUG"])
                .fetch("issues", None)) == []
    assert routed(server, ISSUES) == [
        {"s": "UPDATE_DATE", "asc": "false", "types": "VULNERABILITY,BUG", "componentKeys": ",".join(projects[:50]),
         "p": "1", "ps": "500"},
        {"s": "UPDATE_DATE", "asc": "false", "types": "VULNERABILITY,BUG", "componentKeys": ",".join(projects[50:]),
         "p": "1", "ps": "500"}]


def test_an_issue_seen_twice_while_paging_is_yielded_once(server):
    top = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    first = [issue(f"i{n:03d}", top - timedelta(minutes=n)) for n in range(500)]
    # i499 was pushed down one place by an update ahead of it: the next page starts with it again
    server.reply(ISSUES, Reply(body=paged("issues", first, 502)),
                 Reply(body=paged("issues", [first[-1], issue("i500", top - timedelta(days=1))], 502, page=2)))
    keys = [r.key for r in open_source(server).fetch("issues", None)]
    assert keys == [f"i{n:03d}" for n in range(501)]


def test_a_short_page_does_not_end_the_search_before_its_total(server):
    # SonarQube leaves out of a page what its index still lists but its database no longer holds
    server.reply(ISSUES, Reply(body=paged("issues", [issue("i1", START)], 501)),
                 Reply(body=paged("issues", [issue("i501", START)], 501, page=2)))
    assert [r.key for r in open_source(server).fetch("issues", None)] == ["i1", "i501"]
    assert [p["p"] for p in routed(server, ISSUES)] == ["1", "2"]


# Security hotspots


def test_hotspots_are_read_per_project_and_filtered_by_the_mark(server):
    mark = datetime(2026, 11, 1, tzinfo=UTC)
    new, old = datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 10, 1, tzinfo=UTC)
    server.reply(COMPONENTS, Reply(body=paged("components", [{"key": "api", "name": "API", "qualifier": "TRK"},
                                                             {"key": "web", "name": "Web", "qualifier": "TRK"}], 2)))
    api_first = [hotspot(f"api-{n:03d}", "api", new if n % 100 == 0 else old) for n in range(500)]
    server.reply(HOTSPOTS, Reply(body=paged("hotspots", api_first, 501)),
                 Reply(body=paged("hotspots", [hotspot("api-500", "api", mark)], 501, page=2)),
                 Reply(body=paged("hotspots", [hotspot("web-1", "web", old), hotspot("web-2", "web", new)], 2)))
    records = list(open_source(server).fetch("security_hotspots", mark))
    assert [r.key for r in records] == ["api-000", "api-100", "api-200", "api-300", "api-400", "api-500", "web-2"]
    assert {r.entity for r in records} == {"security_hotspots"}
    assert records[-1].updated_at == new and records[-1].payload["vulnerabilityProbability"] == "HIGH"
    assert routed(server, COMPONENTS) == [{"qualifiers": "TRK", "p": "1", "ps": "500"}]
    assert routed(server, HOTSPOTS) == [{"project": "api", "p": "1", "ps": "500"},
                                        {"project": "api", "p": "2", "ps": "500"},
                                        {"project": "web", "p": "1", "ps": "500"}]


def test_hotspots_of_configured_projects_without_a_mark_are_all_read(server):
    server.reply(HOTSPOTS, Reply(body=paged("hotspots", [hotspot("h1", "api", START)], 1)))
    records = list(open_source(server, projects=["api"]).fetch("security_hotspots", None))
    assert [(r.key, r.updated_at) for r in records] == [("h1", START)]
    assert [r.path.split("?")[0] for r in server.requests] == [HOTSPOTS]  # no listing


def serve_a_project_read_per_status(server) -> None:
    """Project `big` with 10,001 hotspots (more than SonarQube pages through: read per status), then one of each
    status: open-1 to review, safe-1 reviewed as safe."""
    when = datetime(2026, 11, 2, tzinfo=UTC)
    server.reply(HOTSPOTS,
                 Reply(body=paged("hotspots", [hotspot(f"x{n}", "big", when) for n in range(500)], 10_001)),
                 Reply(body=paged("hotspots", [hotspot("open-1", "big", when)], 1)),
                 Reply(body=paged("hotspots", [hotspot("safe-1", "big", when, status="REVIEWED", resolution="SAFE")],
                                  1)))


def test_a_project_with_10000_hotspots_or_more_is_read_per_status(server):
    serve_a_project_read_per_status(server)
    records = list(open_source(server, projects=["big"]).fetch("security_hotspots", None))
    assert [r.key for r in records] == ["open-1", "safe-1"]
    assert routed(server, HOTSPOTS) == [{"project": "big", "p": "1", "ps": "500"},
                                        {"project": "big", "status": "TO_REVIEW", "p": "1", "ps": "500"},
                                        {"project": "big", "status": "REVIEWED", "p": "1", "ps": "500"}]


def test_hotspots_are_listed_whole_whatever_the_mark_so_a_closed_one_is_missing(server):
    mark = datetime(2026, 11, 1, tzinfo=UTC)
    new, old = datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 10, 1, tzinfo=UTC)
    server.reply(COMPONENTS, Reply(body=paged("components", [{"key": "api", "qualifier": "TRK"},
                                                             {"key": "web", "qualifier": "TRK"}], 2)))
    api_first = [hotspot(f"api-{n:03d}", "api", new if n == 0 else old) for n in range(500)]
    server.reply(HOTSPOTS, Reply(body=paged("hotspots", api_first, 501)),
                 Reply(body=paged("hotspots", [hotspot("api-500", "api", old)], 501, page=2)),
                 Reply(body=paged("hotspots", [hotspot("web-1", "web", old, status="REVIEWED", resolution="SAFE")],
                                  1)))
    source = open_source(server)
    assert source.listed_keys("security_hotspots") is None  # nothing fetched yet
    records = list(source.fetch("security_hotspots", mark))
    assert [r.key for r in records] == ["api-000"]
    assert len(routed(server, HOTSPOTS)) == 3  # past the mark, to every project's last page
    assert source.listed_keys("security_hotspots") == frozenset(
        [f"api-{n:03d}" for n in range(501)] + ["web-1"])  # reviewed ones too: only closed ones are not listed
    assert source.listed_keys("issues") is None  # issues stop at the mark: cannot tell
    assert source.listed_keys("projects") is None


def test_a_project_read_per_status_is_listed_from_both_statuses(server):
    serve_a_project_read_per_status(server)
    source = open_source(server, projects=["big"])
    list(source.fetch("security_hotspots", None))
    assert source.listed_keys("security_hotspots") == frozenset({"open-1", "safe-1"})


def test_a_hotspot_fetch_that_fails_midway_leaves_no_listing_not_even_the_last_one(server):
    when = datetime(2026, 11, 2, tzinfo=UTC)
    server.reply(HOTSPOTS, Reply(body=paged("hotspots", [hotspot("h1", "api", when)], 1)),
                 Reply(body=paged("hotspots", [hotspot("h2", "web", when)], 1)),
                 Reply(body=paged("hotspots", [hotspot("h1", "api", when)], 1)),
                 Reply(404, {"errors": [{"msg": "Project 'web' not found"}]}))
    source = open_source(server, projects=["api", "web"])
    list(source.fetch("security_hotspots", None))
    assert source.listed_keys("security_hotspots") == frozenset({"h1", "h2"})

    with pytest.raises(SourceError, match=r"HTTP 404, not found: .*Project 'web' not found"):
        list(source.fetch("security_hotspots", None))
    assert source.listed_keys("security_hotspots") is None  # web's hotspots unread: none of them is gone


# Projects


def test_projects_take_their_last_analysis_date(server):
    server.reply(COMPONENTS, *[Reply(body=paged("components", [{"key": k, "qualifier": "TRK"}
                                                              for k in ("api", "web", "new")], 3))] * 2)
    analysed = {"api": "2026-11-20T08:15:00+0000", "web": "2026-10-01T00:00:00+0000"}

    def show(request: Recorded) -> Reply:
        key = query(request)["component"]
        component = {"key": key, "name": key.title(), "qualifier": "TRK", "visibility": "private"}
        return Reply(body={"component": {**component, **({"analysisDate": analysed[key]} if key in analysed else {})},
                           "ancestors": []})

    server.serve(COMPONENT, show)
    source = open_source(server)
    everything = list(source.fetch("projects", None))
    assert [(r.entity, r.key, r.updated_at) for r in everything] == [
        ("projects", "api", datetime(2026, 11, 20, 8, 15, tzinfo=UTC)),
        ("projects", "web", datetime(2026, 10, 1, tzinfo=UTC)),
        ("projects", "new", NEVER_ANALYSED)]  # never analysed: the epoch, so only a mark-less fetch has it
    assert everything[0].payload == {"key": "api", "name": "Api", "qualifier": "TRK", "visibility": "private",
                                     "analysisDate": "2026-11-20T08:15:00+0000"}
    recent = list(source.fetch("projects", datetime(2026, 11, 20, 8, 15, tzinfo=UTC)))
    assert [r.key for r in recent] == ["api"]  # at the mark: inclusive
    assert [query(r) for r in server.requests if r.path.startswith(COMPONENT)][:3] == [
        {"component": "api"}, {"component": "web"}, {"component": "new"}]


def test_the_project_listing_is_paged(server):
    server.reply(COMPONENTS,
                 Reply(body=paged("components", [{"key": f"p{n:03d}"} for n in range(500)], 502)),
                 Reply(body=paged("components", [{"key": "p500"}, {"key": "p501"}], 502, page=2)))
    assert open_source(server)._project_keys() == tuple(f"p{n:03d}" for n in range(502))
    assert routed(server, COMPONENTS) == [{"qualifiers": "TRK", "p": "1", "ps": "500"},
                                          {"qualifiers": "TRK", "p": "2", "ps": "500"}]


def test_more_projects_than_sonarqube_lists_ask_for_the_projects_setting(server):
    server.reply(COMPONENTS, Reply(body=paged("components", [{"key": "p"}] * 500, 10_001)))
    with pytest.raises(SourceError, match=r"can browse 10001 projects .* in the `projects` setting"):
        list(open_source(server).fetch("security_hotspots", None))


# Failures


def test_a_transient_503_is_retried(server):
    server.reply(ISSUES, Reply(503, {"errors": [{"msg": "Issues index is being rebuilt"}]}),
                 Reply(body=paged("issues", [issue("i1", START)], 1)))
    slept: list[float] = []
    source = SPEC.open({"base_url": server.url}, {"token": TOKEN}, policy=HttpPolicy(timeout_seconds=5.0),
                       sleep=slept.append)
    assert [r.key for r in source.fetch("issues", None)] == ["i1"]
    assert len(routed(server, ISSUES)) == 2
    assert slept == [1.0]


def test_a_bad_token_fails_clearly_without_showing_it(server):
    server.reply(ISSUES, Reply(401, b""))
    with pytest.raises(SourceError) as raised:
        list(open_source(server).fetch("issues", None))
    message = str(raised.value)
    assert message.startswith(f"GET {server.url}{ISSUES}?s=UPDATE_DATE&asc=false&p=1&ps=500: HTTP 401, "
                              "the credentials were refused: check the secret in the scope")
    assert TOKEN not in message
    assert TOKEN not in "".join(traceback.format_exception(raised.value))


def test_an_unknown_project_is_reported_as_not_found(server):
    server.reply(COMPONENT, Reply(404, {"errors": [{"msg": "Component key 'gone' not found"}]}))
    with pytest.raises(SourceError, match=r"HTTP 404, not found: .*Component key 'gone' not found"):
        list(open_source(server, projects=["gone"]).fetch("projects", None))


def test_an_answer_that_is_not_json_points_at_base_url(server):
    server.reply(ISSUES, Reply(body=b"<html>Sign in</html>", headers={"Content-Type": "text/html"}))
    with pytest.raises(SourceError, match=r"is base_url the SonarQube server's root"):
        list(open_source(server).fetch("issues", None))


# Spec


def test_the_spec_names_its_settings_and_problems():
    assert load_spec("sonarqube") is SPEC
    assert SPEC.entities == ("projects", "issues", "security_hotspots") and SPEC.secrets == ("token",)
    assert SPEC.secret_names("sonarqube") == ("sonarqube-token",)
    assert SPEC.problems({}) == {"base_url": "is required by source 'sonarqube': the server's root URL, e.g. "
                                             "https://sonarqube.example.com"}
    assert SPEC.problems({"base_url": "https://sonarqube.example.com", "projects": ["api"],
                          "issue_types": ["VULNERABILITY"]}) == {}
    assert SPEC.problems({"base_url": "sonarqube.example.com", "issue_types": ["SECURITY_HOTSPOT"]}) == {
        "base_url": "must start with https://, e.g. https://sonarqube.example.com",
        "issue_types": "SECURITY_HOTSPOT: not an issue type (issue types: BUG, VULNERABILITY, CODE_SMELL)"}
    assert SPEC.problems({"base_url": "https://s.example.com", "projects": "api", "organisation": "x"}) == {
        "projects": "must be a list of strings",
        "organisation": "is not a setting of source 'sonarqube' (its settings: base_url, issue_types, projects)"}


def test_open_connects_with_settings_and_credentials(server):
    server.reply(ISSUES, Reply(body=paged("issues", [], 0)))
    source = open_source(server, projects=["api", "api"])
    assert isinstance(source, SonarQubeSource) and source.entities == SPEC.entities
    assert source.projects == ("api",)
    assert list(source.fetch("issues", None)) == []
    assert routed(server, ISSUES)[0]["componentKeys"] == "api"
    assert server.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"
    with pytest.raises(ValueError, match=r"^source 'sonarqube': setting 'base_url' is required .*; "
                                         r"credential 'token' is missing$"):
        SPEC.open({}, {})
    with pytest.raises(ValueError, match="unknown entity 'quality_gates'"):
        source.fetch("quality_gates", None)


SAMPLES = {  # abridged from the response examples of SonarQube's Web API documentation
    "projects": {"key": "com.sonarsource:java-markdown", "name": "Java Markdown", "qualifier": "TRK",
                 "visibility": "public", "version": "1.0-SNAPSHOT", "analysisDate": "2017-03-01T11:39:03+0100",
                 "leakPeriodDate": "2017-01-01T11:39:03+0100", "tags": [], "description": "Java Markdown Project"},
    "issues": {"key": "01fc972e-2a3c-433e-bcae-0bd7f88f5123", "component": "http-request:src/HttpRequest.java",
               "project": "http-request", "rule": "java:S1144", "issueStatus": "ACCEPTED", "status": "RESOLVED",
               "resolution": "WONTFIX", "severity": "MINOR", "message": "Remove this unused method.", "line": 81,
               "author": "Developer 1", "assignee": "dev-1", "effort": "2h1min", "type": "CODE_SMELL",
               "creationDate": "2013-05-13T17:55:39+0200", "updateDate": "2013-05-13T17:55:39+0200",
               "closeDate": "2013-06-13T17:55:39+0200", "tags": ["bug"],
               "impacts": [{"softwareQuality": "MAINTAINABILITY", "severity": "HIGH"}]},
    "security_hotspots": hotspot("hotspot-0", "test-project", START, status="REVIEWED", resolution="SAFE",
                                 author="joe", assignee="assignee-uuid"),
}


@pytest.mark.parametrize("entity", SPEC.entities)
def test_every_silver_column_finds_its_field_in_a_sample_record(entity):
    def at(record: dict, path: str):
        for part in path[2:].split("."):
            record = record[part]
        return record

    columns = SPEC.silver({})[entity]
    assert SILVER[entity] is columns and len({c.name for c in columns}) == len(columns)
    found = {c.name: at(SAMPLES[entity], c.path) for c in columns}
    assert None not in found.values()
    for column in columns:
        if column.type == "TIMESTAMP":
            datetime.strptime(found[column.name], "%Y-%m-%dT%H:%M:%S%z")
        elif column.type == "INT":
            assert isinstance(found[column.name], int)
