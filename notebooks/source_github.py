"""GitHub as a source: an organisation's repositories and its security alerts (code scanning, Dependabot,
secret scanning), fetched incrementally by `updated_at`.

Uploaded as a workspace file beside the entry notebooks. Every endpoint below lists newest-updated first
(`sort=updated&direction=desc`, repositories by `sort=updated`) and pages by Link header, so a run reads
pages until it reaches records older than the high water mark and stops there. The mark is inclusive
(records updated in the mark's own second are read again): silver keeps one row per key, so re-reading is
harmless, while skipping would lose a record.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from source_http import SourceHttp

# entity -> (path under the organisation, extra query parameters)
ENDPOINTS: dict[str, tuple[str, dict[str, str]]] = {
    "repositories": ("repos", {"type": "all", "sort": "updated", "direction": "desc"}),
    "code_scanning_alerts": ("code-scanning/alerts", {"sort": "updated", "direction": "desc"}),
    "dependabot_alerts": ("dependabot/alerts", {"sort": "updated", "direction": "desc"}),
    "secret_scanning_alerts": ("secret-scanning/alerts", {"sort": "updated", "direction": "desc"}),
}
PAGE_SIZE = 100  # GitHub's maximum per_page


@dataclass(frozen=True)
class SourceRecord:
    entity: str
    key: str  # unique within the entity
    updated_at: datetime  # the record's own last change, timezone-aware
    payload: dict[str, Any]  # the record as the source returned it


class GitHubSource:
    name = "github"
    entities = tuple(ENDPOINTS)

    def __init__(self, http: SourceHttp, organisation: str) -> None:
        if not organisation or "/" in organisation:
            raise ValueError(f"organisation {organisation!r} must be a GitHub organisation login, e.g. 'acme'")
        self.http = http
        self.organisation = organisation

    def fetch(self, entity: str, since: datetime | None) -> Iterator[SourceRecord]:
        """Every record of `entity` updated at or after `since` (all of them when None), newest first."""
        path, params = ENDPOINTS[entity]
        for page in self.http.pages(f"orgs/{self.organisation}/{path}", {**params, "per_page": PAGE_SIZE}):
            older_seen = False
            for item in page.body or []:
                updated_at = parse_timestamp(item["updated_at"])
                if since is not None and updated_at < since:
                    older_seen = True  # sorted newest first: the rest of this and later pages are older
                    continue
                yield SourceRecord(entity, record_key(entity, item), updated_at, item)
            if older_seen:
                return


def record_key(entity: str, item: dict[str, Any]) -> str:
    """Repositories by id; alerts by repository and alert number (numbers repeat across repositories)."""
    if entity == "repositories":
        return str(item["id"])
    return f"{item['repository']['full_name']}#{item['number']}"


def parse_timestamp(value: str) -> datetime:
    """GitHub's ISO 8601 timestamps ('2026-11-20T08:15:00Z'), timezone-aware."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
