"""A CMDB on loopback that lists `count` generated applications, ServiceNow-style (`{"result": [...]}`, paged by
Link header with sysparm_offset), each page built when it is asked for: the server holds one page at a time, so
a large listing costs the client's memory, not the server's. Used by the chunked-ingest tests and by
scripts/backfill_memory.py."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.loopback import LoopbackServer, Recorded, Reply

TABLE = "/api/now/table/cmdb_ci_business_app"
CREDENTIALS = {"client-id": "cmdb-reader-4f1c", "client-secret": "Lo0pback-Secret!value"}
FIELDS = {"key": "sys_id", "name": "name", "owner": "owned_by.value", "updated_at": "sys_updated_on"}
FIRST_UPDATE = datetime(2026, 1, 1, tzinfo=timezone.utc)


def application(number: int) -> dict[str, Any]:
    """The n-th application (from 0): about 400 bytes of JSON, one second newer than the one before."""
    updated = (FIRST_UPDATE + timedelta(seconds=number)).strftime("%Y-%m-%d %H:%M:%S")
    return {"sys_id": f"app{number:07d}", "name": f"Application {number}", "sys_updated_on": updated,
            "owned_by": {"link": "https://acme.service-now.com/api/now/table/sys_user/u1", "value": f"u{number % 97}"},
            "business_criticality": "2 - somewhat critical", "operational_status": "1",
            "short_description": "generated for the bounded-memory backfill " + "x" * 120}


def serve_applications(server: LoopbackServer, count: Callable[[], int], page: int,
                       listed: Callable[[int], bool] | None = None) -> None:
    """`server` lists the applications numbered below `count()` (those for which `listed` holds), `page` at a
    time."""

    def answer(request: Recorded) -> Reply:
        query = parse_qs(urlsplit(request.path).query)
        offset = int(query.get("sysparm_offset", ["0"])[0])
        numbers: Sequence[int] = range(count()) if listed is None else [n for n in range(count()) if listed(n)]
        body = [application(n) for n in numbers[offset: offset + page]]
        headers = {}
        if offset + page < len(numbers):
            headers["Link"] = f'<{server.url}{TABLE}?sysparm_limit={page}&sysparm_offset={offset + page}>; rel="next"'
        return Reply(body={"result": body}, headers=headers)

    server.serve(TABLE, answer)


def cmdb_settings(server: LoopbackServer, page: int) -> dict[str, Any]:
    return {"url": f"{server.url}{TABLE}?sysparm_limit={page}", "records_path": "result", "fields": FIELDS}
