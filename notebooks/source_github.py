"""GitHub as a source: an organisation's repositories and its security alerts (code scanning, Dependabot,
secret scanning), fetched incrementally by `updated_at`.

Uploaded as a workspace file beside the entry notebooks. Every endpoint below lists newest-updated first
(`sort=updated&direction=desc`, repositories by `sort=updated`) and pages by Link header, so a run reads
pages until it reaches records older than the high water mark and stops there. The mark is inclusive
(records updated in the mark's own second are read again): silver keeps one row per key, so re-reading is
harmless, while skipping would lose a record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any

from connector_http import HttpPolicy, SourceHttp
from connector_source import Setting, SilverColumn, SourceRecord, SourceSpec, parse_timestamp

# entity -> (path under the organisation, extra query parameters)
ENDPOINTS: dict[str, tuple[str, dict[str, str]]] = {
    "repositories": ("repos", {"type": "all", "sort": "updated", "direction": "desc"}),
    "code_scanning_alerts": ("code-scanning/alerts", {"sort": "updated", "direction": "desc"}),
    "dependabot_alerts": ("dependabot/alerts", {"sort": "updated", "direction": "desc"}),
    # hide_secret: the leaked secret itself must never land in bronze.
    "secret_scanning_alerts": ("secret-scanning/alerts", {"sort": "updated", "direction": "desc",
                                                          "hide_secret": "true"}),
}
PAGE_SIZE = 100  # GitHub's maximum per_page
LISTED_WHOLE = ("repositories",)  # read to the last page every run: absence from the list means removed
API_VERSION = "2022-11-28"


class GitHubSource:
    name = "github"
    entities = tuple(ENDPOINTS)

    def __init__(self, http: SourceHttp, organisation: str) -> None:
        if not organisation or "/" in organisation:
            raise ValueError(f"organisation {organisation!r} must be a GitHub organisation login, e.g. 'acme'")
        self.http = http
        self.organisation = organisation
        self._listed: dict[str, frozenset[str]] = {}

    def fetch(self, entity: str, since: datetime | None) -> Iterator[SourceRecord]:
        """Every record of `entity` updated at or after `since` (all of them when None), newest first.
        Repositories are read to the last page whatever the mark (an organisation has far fewer repositories
        than alerts), so that `listed_keys` can tell which ones are gone."""
        path, params = ENDPOINTS[entity]
        self._listed.pop(entity, None)
        listed: set[str] = set()
        for page in self.http.pages(f"orgs/{self.organisation}/{path}", {**params, "per_page": PAGE_SIZE}):
            older_seen = False
            for item in page.body or []:
                key = record_key(entity, item)
                listed.add(key)
                updated_at = parse_timestamp(item["updated_at"])
                if since is not None and updated_at < since:
                    older_seen = True  # sorted newest first: the rest of this and later pages are older
                    continue
                yield SourceRecord(entity, key, updated_at, item)
            if older_seen and entity not in LISTED_WHOLE:
                return
        if entity in LISTED_WHOLE:
            self._listed[entity] = frozenset(listed)

    def listed_keys(self, entity: str) -> frozenset[str] | None:
        """After a fetch of repositories, the ids of every repository listed (a deleted or transferred one is
        not); None for alerts, whose fetch stops at the mark."""
        return self._listed.get(entity)


def record_key(entity: str, item: dict[str, Any]) -> str:
    """Repositories by id; alerts by repository and alert number (numbers repeat across repositories)."""
    if entity == "repositories":
        return str(item["id"])
    return f"{item['repository']['full_name']}#{item['number']}"


def connect(settings: Mapping[str, Any], credentials: Mapping[str, str], *, policy: HttpPolicy,
            sleep: Callable[[float], None]) -> GitHubSource:
    headers = {"Authorization": f"Bearer {credentials['token']}", "Accept": "application/vnd.github+json",
               "X-GitHub-Api-Version": API_VERSION}
    return GitHubSource(SourceHttp(settings["base_url"], headers, policy=policy, sleep=sleep),
                        settings["organisation"])


def _alert(*extra: SilverColumn) -> tuple[SilverColumn, ...]:
    return (SilverColumn("number", "BIGINT", "$.number"),
            SilverColumn("repository", "STRING", "$.repository.full_name"),
            SilverColumn("state", "STRING", "$.state"),
            *extra,
            SilverColumn("html_url", "STRING", "$.html_url"),
            SilverColumn("created_at", "TIMESTAMP", "$.created_at"),
            SilverColumn("updated_at", "TIMESTAMP", "$.updated_at"))


SILVER: dict[str, tuple[SilverColumn, ...]] = {
    "repositories": (
        SilverColumn("id", "BIGINT", "$.id"),
        SilverColumn("full_name", "STRING", "$.full_name"),
        SilverColumn("visibility", "STRING", "$.visibility"),
        SilverColumn("archived", "BOOLEAN", "$.archived"),
        SilverColumn("default_branch", "STRING", "$.default_branch"),
        SilverColumn("html_url", "STRING", "$.html_url"),
        SilverColumn("pushed_at", "TIMESTAMP", "$.pushed_at"),
        SilverColumn("updated_at", "TIMESTAMP", "$.updated_at"),
    ),
    "code_scanning_alerts": _alert(
        SilverColumn("rule_id", "STRING", "$.rule.id"),
        SilverColumn("severity", "STRING", "$.rule.security_severity_level"),
        SilverColumn("tool", "STRING", "$.tool.name"),
        SilverColumn("path", "STRING", "$.most_recent_instance.location.path"),
        SilverColumn("fixed_at", "TIMESTAMP", "$.fixed_at"),
        SilverColumn("dismissed_at", "TIMESTAMP", "$.dismissed_at"),
    ),
    "dependabot_alerts": _alert(
        SilverColumn("severity", "STRING", "$.security_advisory.severity"),
        SilverColumn("ghsa_id", "STRING", "$.security_advisory.ghsa_id"),
        SilverColumn("cve_id", "STRING", "$.security_advisory.cve_id"),
        SilverColumn("package", "STRING", "$.dependency.package.name"),
        SilverColumn("ecosystem", "STRING", "$.dependency.package.ecosystem"),
        SilverColumn("manifest_path", "STRING", "$.dependency.manifest_path"),
        SilverColumn("fixed_at", "TIMESTAMP", "$.fixed_at"),
        SilverColumn("dismissed_at", "TIMESTAMP", "$.dismissed_at"),
    ),
    "secret_scanning_alerts": _alert(
        SilverColumn("secret_type", "STRING", "$.secret_type"),
        SilverColumn("resolution", "STRING", "$.resolution"),
        SilverColumn("resolved_at", "TIMESTAMP", "$.resolved_at"),
        SilverColumn("push_protection_bypassed", "BOOLEAN", "$.push_protection_bypassed"),
    ),
}

SPEC = SourceSpec(
    name="github",
    description="A GitHub organisation's repositories and security alerts (code scanning, Dependabot, secret "
                "scanning).",
    entities=GitHubSource.entities,
    connect=connect,
    silver=lambda settings: SILVER,
    settings={
        "organisation": Setting("the organisation's login, as in https://github.com/<organisation>", required=True),
        "base_url": Setting("the REST API root (GitHub Enterprise Server: https://<host>/api/v3)",
                            default="https://api.github.com"),
    },
    secrets=("token",),  # a fine-grained token with read access to the organisation's repositories and alerts
)
