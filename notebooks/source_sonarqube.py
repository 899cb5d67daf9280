"""SonarQube (Server) as a source: its projects, their issues and their security hotspots, fetched incrementally.

Uploaded as a workspace file beside the entry notebooks. The token goes in `Authorization: Bearer <token>`
(SonarQube 10.0 and later). It needs only 'Browse' on the projects to read; nothing here needs admin rights.

- projects: `api/components/search?qualifiers=TRK` lists what the token may browse (or the `projects` setting
  names them); `api/components/show` gives each one's last analysis date, its updated_at.
- issues: `api/issues/search`, newest update first, 500 a page, read down to the high water mark. SonarQube's
  searches refuse to page past their first 10,000 results (HTTP 400 "Can return only the first 10000
  results"), so a query that cannot reach the mark within them is split into creation-date slices
  (`createdAfter` inclusive, `createdBefore` exclusive), halved until each slice reaches its mark in time.
- security_hotspots: `api/hotspots/search` per project, 500 a page. It has no date filter or date order, so
  every page is read and the mark is applied here.

Marks are inclusive (records updated in the mark's own second are read again: silver keeps one row per key, so
re-reading is harmless, while skipping would lose a record) and compared at whole seconds, SonarQube's
precision. Within one fetch no key is yielded twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from connector_http import HttpPolicy, SourceError, SourceHttp
from connector_source import Setting, SilverColumn, SourceRecord, SourceSpec, parse_timestamp

ISSUES = "api/issues/search"
HOTSPOTS = "api/hotspots/search"
COMPONENTS = "api/components/search"
COMPONENT = "api/components/show"
PAGE_SIZE = 500  # the maximum `ps` of SonarQube's search web services
MAX_RESULTS = 10_000  # p * ps may not exceed this: SonarQube answers 400 instead
LAST_PAGE = MAX_RESULTS // PAGE_SIZE
ISSUE_TYPES = ("BUG", "VULNERABILITY", "CODE_SMELL")  # `types` of api/issues/search (hotspots have their own API)
# Every issue has exactly one of these, so they partition a creation second holding more than 10,000 issues
# (all issues of a first analysis without SCM data share its date).
SEVERITIES = ("INFO", "MINOR", "MAJOR", "CRITICAL", "BLOCKER")
HOTSPOT_STATUSES = ("TO_REVIEW", "REVIEWED")  # what api/hotspots/search returns when no status is given
PROJECT_KEYS_PER_QUERY = 50  # `componentKeys` per issue search, so the URL stays short
# updated_at of a project never analysed: older than any mark, so it lands with a backfill without a mark and
# again with its first analysis; a later-created project lands then, which is when it first has anything to read.
NEVER_ANALYSED = datetime(1970, 1, 1, tzinfo=timezone.utc)
_SECOND = timedelta(seconds=1)


class SonarQubeSource:
    name = "sonarqube"
    entities = ("projects", "issues", "security_hotspots")

    def __init__(self, http: SourceHttp, projects: Sequence[str] | None = None,
                 issue_types: Sequence[str] | None = None) -> None:
        unknown = [t for t in issue_types or () if t not in ISSUE_TYPES]
        if unknown:
            raise ValueError(f"issue types {unknown} are not among {', '.join(ISSUE_TYPES)}")
        self.http = http
        self.projects = tuple(dict.fromkeys(projects or ()))  # empty: every project the token can browse
        self.issue_types = tuple(issue_types or ())  # empty: all
        self._listed_hotspots: frozenset[str] | None = None

    def fetch(self, entity: str, since: datetime | None) -> Iterator[SourceRecord]:
        """Every record of `entity` updated at or after `since` (all of them when None)."""
        if entity not in self.entities:
            raise ValueError(f"unknown entity {entity!r}; entities: {', '.join(self.entities)}")
        mark = None if since is None else since.replace(microsecond=0)  # SonarQube's dates have whole seconds
        return {"projects": self._projects, "issues": self._issues, "security_hotspots": self._hotspots}[entity](mark)

    # projects

    def _projects(self, since: datetime | None) -> Iterator[SourceRecord]:
        for key in self._project_keys():
            component = self._get(COMPONENT, {"component": key}).get("component") or {}
            analysed = component.get("analysisDate")
            updated_at = parse_timestamp(analysed) if analysed else NEVER_ANALYSED
            if since is None or updated_at >= since:
                yield SourceRecord("projects", component.get("key", key), updated_at, component)

    def _project_keys(self) -> tuple[str, ...]:
        """The configured projects, or every project the token can browse. `api/components/search` needs only
        'Browse' (its results are filtered by it); `api/projects/search` would also give the analysis dates but
        needs 'Administer System', too much for a reader."""
        if self.projects:
            return self.projects
        keys: list[str] = []
        params = {"qualifiers": "TRK"}
        first = self._get(COMPONENTS, {**params, "p": 1, "ps": PAGE_SIZE})
        if _total(first) > MAX_RESULTS:
            raise SourceError(f"GET {COMPONENTS}: the token can browse {_total(first)} projects and SonarQube lists "
                              f"at most {MAX_RESULTS}; name the projects to read in the `projects` setting")
        for body in self._pages(COMPONENTS, params, first):
            keys += [component["key"] for component in body.get("components") or []]
        return tuple(dict.fromkeys(keys))

    # issues

    def _issues(self, since: datetime | None) -> Iterator[SourceRecord]:
        base = {"s": "UPDATE_DATE", "asc": "false"}
        if self.issue_types:
            base["types"] = ",".join(self.issue_types)
        scopes: list[dict[str, str]] = [base]
        if self.projects:
            scopes = [{**base, "componentKeys": ",".join(self.projects[i:i + PROJECT_KEYS_PER_QUERY])}
                      for i in range(0, len(self.projects), PROJECT_KEYS_PER_QUERY)]
        seen: set[str] = set()  # an issue updated while we page moves ahead and may show up twice
        for params in scopes:
            for issue in self._issue_window(params, since, None, None):
                if issue["key"] not in seen:
                    seen.add(issue["key"])
                    yield SourceRecord("issues", issue["key"], parse_timestamp(issue["updateDate"]), issue)

    def _issue_window(self, params: dict[str, str], since: datetime | None, after: datetime | None,
                      before: datetime | None) -> Iterator[dict[str, Any]]:
        """The issues created in [after, before) (None: unbounded) and updated at or after `since`, newest update
        first; split into slices when more than the first 10,000 would be needed."""
        window = dict(params)
        if after is not None:
            window["createdAfter"] = _sonar_time(after)
        if before is not None:
            window["createdBefore"] = _sonar_time(before)
        first = self._get(ISSUES, {**window, "p": 1, "ps": PAGE_SIZE})
        last = None
        # `>=`: SonarQube Cloud reports at most 10,000 as the total; splitting when not needed costs a request.
        if _total(first) >= MAX_RESULTS and not _reaches(first, since):
            if since is not None:  # does the 10,000th newest update already come before the mark?
                last = self._get(ISSUES, {**window, "p": LAST_PAGE, "ps": PAGE_SIZE})
            if last is None or not _reaches(last, since):
                yield from self._split_issues(params, since, after, before)
                return
        for body in self._pages(ISSUES, window, first, last):
            for issue in body.get("issues") or []:
                if since is not None and parse_timestamp(issue["updateDate"]) < since:
                    return  # newest first: the rest are older
                yield issue

    def _split_issues(self, params: dict[str, str], since: datetime | None, after: datetime | None,
                      before: datetime | None) -> Iterator[dict[str, Any]]:
        low = after if after is not None else self._creation_bound(params, before, oldest=True)
        high = before if before is not None else self._creation_bound(params, after, oldest=False) + _SECOND
        seconds = int((high - low).total_seconds())
        if seconds > 1:
            middle = low + timedelta(seconds=seconds // 2)
            # An open end stays open: issues created while we read (or dated by SCM blame) still fall in a slice.
            yield from self._issue_window(params, since, middle, before)
            yield from self._issue_window(params, since, after, middle)
        elif "severities" not in params:
            for severity in SEVERITIES:
                yield from self._issue_window({**params, "severities": severity}, since, low, high)
        else:
            raise SourceError(f"GET {ISSUES}: more than {MAX_RESULTS} issues of severity {params['severities']} "
                              f"created at {_sonar_time(low)} changed since the mark, more than SonarQube pages; "
                              "narrow the connector with the `projects` or `issue_types` settings")

    def _creation_bound(self, params: dict[str, str], other: datetime | None, *, oldest: bool) -> datetime:
        """The oldest (or newest) creation second among the window's issues."""
        window = dict(params, s="CREATION_DATE", asc="true" if oldest else "false", p="1", ps="1")
        if other is not None:
            window["createdBefore" if oldest else "createdAfter"] = _sonar_time(other)
        issues = self._get(ISSUES, window).get("issues") or []
        if not issues:
            raise SourceError(f"GET {ISSUES}: the issues SonarQube counted are gone; the next run reads them again")
        return parse_timestamp(issues[0]["creationDate"]).replace(microsecond=0)

    # security hotspots

    def listed_keys(self, entity: str) -> frozenset[str] | None:
        """After a fetch of security_hotspots (every page of every project, whatever the mark), the keys of the
        hotspots SonarQube lists (TO_REVIEW and REVIEWED): a closed one (its code gone) is no longer among them.
        None for the other entities (issues stop at the mark; projects read only changed components)."""
        return self._listed_hotspots if entity == "security_hotspots" else None

    def _hotspots(self, since: datetime | None) -> Iterator[SourceRecord]:
        self._listed_hotspots = None
        listed: set[str] = set()
        seen: set[str] = set()
        for project in self._project_keys():
            # `project` since SonarQube 10.2 (before: `projectKey`, still accepted as its deprecated name).
            params = {"project": project}
            first = self._get(HOTSPOTS, {**params, "p": 1, "ps": PAGE_SIZE})
            parts: list[tuple[dict[str, str], dict[str, Any] | None]] = [(params, first)]
            if _total(first) >= MAX_RESULTS:  # one query per status stays under the cap
                parts = [({**params, "status": status}, None) for status in HOTSPOT_STATUSES]
            for part, part_first in parts:
                part_first = part_first or self._get(HOTSPOTS, {**part, "p": 1, "ps": PAGE_SIZE})
                if _total(part_first) > MAX_RESULTS:
                    raise SourceError(f"GET {HOTSPOTS}: project {project!r} has {_total(part_first)} security "
                                      f"hotspots with status {part.get('status')}; SonarQube pages at most "
                                      f"{MAX_RESULTS}")
                for body in self._pages(HOTSPOTS, part, part_first):
                    for hotspot in body.get("hotspots") or []:
                        updated_at = parse_timestamp(hotspot["updateDate"])
                        listed.add(hotspot["key"])
                        if (since is None or updated_at >= since) and hotspot["key"] not in seen:
                            seen.add(hotspot["key"])
                            yield SourceRecord("security_hotspots", hotspot["key"], updated_at, hotspot)
        self._listed_hotspots = frozenset(listed)

    # HTTP

    def _pages(self, path: str, params: Mapping[str, str], first: dict[str, Any],
               last: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Pages 1, 2... of a search (the first already read), up to its total and never past the cap. A short
        page does not end it: SonarQube drops from a page what its index holds but its database no longer does."""
        body, page = first, 1
        while True:
            yield body
            if page * PAGE_SIZE >= _total(body) or page == LAST_PAGE:
                return
            page += 1
            body = last if page == LAST_PAGE and last is not None else self._get(
                path, {**params, "p": page, "ps": PAGE_SIZE})

    def _get(self, path: str, params: Mapping[str, Any]) -> dict[str, Any]:
        body = self.http.get(path, params).body
        if not isinstance(body, dict):
            raise SourceError(f"GET {path}: the answer is not a JSON object; is base_url the SonarQube server's "
                              "root, e.g. https://sonarqube.example.com?")
        return body


def _total(body: Mapping[str, Any]) -> int:
    paging = body.get("paging") or {}
    return int(paging.get("total", body.get("total", 0)))


def _reaches(page: Mapping[str, Any], since: datetime | None) -> bool:
    """Whether a page of issues, newest update first, ends before the mark (so later pages are not needed)."""
    issues = page.get("issues") or []
    return since is not None and bool(issues) and parse_timestamp(issues[-1]["updateDate"]) < since


def _sonar_time(value: datetime) -> str:
    """A datetime as SonarQube's parameters take it: '2026-11-20T08:15:00+0000'."""
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+0000")


def connect(settings: Mapping[str, Any], credentials: Mapping[str, str], *, policy: HttpPolicy,
            sleep: Callable[[float], None]) -> SonarQubeSource:
    http = SourceHttp(settings["base_url"], {"Authorization": f"Bearer {credentials['token']}"}, policy=policy,
                      sleep=sleep)
    return SonarQubeSource(http, settings.get("projects"), settings.get("issue_types"))


def check(settings: Mapping[str, Any]) -> dict[str, str]:
    problems = {}
    if not str(settings["base_url"]).startswith(("https://", "http://")):
        problems["base_url"] = "must start with https://, e.g. https://sonarqube.example.com"
    unknown = [t for t in settings.get("issue_types") or () if t not in ISSUE_TYPES]
    if unknown:
        problems["issue_types"] = f"{', '.join(unknown)}: not an issue type (issue types: {', '.join(ISSUE_TYPES)})"
    return problems


def _dates() -> tuple[SilverColumn, ...]:
    return (SilverColumn("created_at", "TIMESTAMP", "$.creationDate"),
            SilverColumn("updated_at", "TIMESTAMP", "$.updateDate"))


SILVER: dict[str, tuple[SilverColumn, ...]] = {
    "projects": (
        SilverColumn("key", "STRING", "$.key"),
        SilverColumn("name", "STRING", "$.name"),
        SilverColumn("qualifier", "STRING", "$.qualifier"),
        SilverColumn("visibility", "STRING", "$.visibility"),
        SilverColumn("version", "STRING", "$.version"),
        SilverColumn("analysis_date", "TIMESTAMP", "$.analysisDate"),
        SilverColumn("new_code_since", "TIMESTAMP", "$.leakPeriodDate"),
    ),
    "issues": (
        SilverColumn("key", "STRING", "$.key"),
        SilverColumn("project", "STRING", "$.project"),
        SilverColumn("component", "STRING", "$.component"),
        SilverColumn("line", "INT", "$.line"),
        SilverColumn("rule", "STRING", "$.rule"),
        SilverColumn("type", "STRING", "$.type"),
        SilverColumn("severity", "STRING", "$.severity"),
        SilverColumn("status", "STRING", "$.status"),
        SilverColumn("resolution", "STRING", "$.resolution"),
        SilverColumn("issue_status", "STRING", "$.issueStatus"),  # SonarQube 10.4+: OPEN, ACCEPTED, FIXED...
        SilverColumn("message", "STRING", "$.message"),
        SilverColumn("effort", "STRING", "$.effort"),
        SilverColumn("author", "STRING", "$.author"),
        SilverColumn("assignee", "STRING", "$.assignee"),
        *_dates(),
        SilverColumn("closed_at", "TIMESTAMP", "$.closeDate"),
    ),
    "security_hotspots": (
        SilverColumn("key", "STRING", "$.key"),
        SilverColumn("project", "STRING", "$.project"),
        SilverColumn("component", "STRING", "$.component"),
        SilverColumn("line", "INT", "$.line"),
        SilverColumn("rule_key", "STRING", "$.ruleKey"),
        SilverColumn("security_category", "STRING", "$.securityCategory"),
        SilverColumn("vulnerability_probability", "STRING", "$.vulnerabilityProbability"),
        SilverColumn("status", "STRING", "$.status"),
        SilverColumn("resolution", "STRING", "$.resolution"),
        SilverColumn("message", "STRING", "$.message"),
        SilverColumn("author", "STRING", "$.author"),
        SilverColumn("assignee", "STRING", "$.assignee"),
        *_dates(),
    ),
}

SPEC = SourceSpec(
    name="sonarqube",
    description="A SonarQube server's projects, issues and security hotspots.",
    entities=SonarQubeSource.entities,
    connect=connect,
    silver=lambda settings: SILVER,
    settings={
        "base_url": Setting("the server's root URL, e.g. https://sonarqube.example.com", required=True),
        "projects": Setting("keys of the projects to read (default: every project the token can browse)",
                            kind=list),
        "issue_types": Setting(f"issue types to read, among {', '.join(ISSUE_TYPES)} (default: all); e.g. "
                               "[VULNERABILITY, BUG] keeps code smells, usually most issues, out of bronze", kind=list),
    },
    secrets=("token",),  # a user token of an account with 'Browse' on the projects to read
    check=check,
)
