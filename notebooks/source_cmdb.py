"""A CMDB as a source: the application inventory one REST endpoint lists, read daily.

Uploaded as a workspace file beside the entry notebooks. Nothing here is specific to one product: connectors.yaml
gives the endpoint's URL, where the list sits in each response body and which field of a record feeds which
silver column. ServiceNow's Table API is the model (`GET /api/now/table/<table>` answering {"result": [...]},
paged by Link header, timestamps like '2026-11-20 08:15:00' in UTC).

- Authentication: with `token_url`, an OAuth2 client-credentials grant (client id and secret POSTed as a form,
  then `Authorization: Bearer <access_token>`, fetched again shortly before it expires); without it, HTTP Basic
  with the client id and secret as user and password.
- Paging: Link header rel="next", only on the host of `url`, so the credentials never go anywhere else.
- Incremental: every record changed at or after the mark is kept (the mark is inclusive: silver keeps one row per
  key, so re-reading is harmless, while skipping would lose a record). The endpoint's order is not assumed, so
  every page is read; `since_param`/`since_format` optionally let the server filter at the mark too, and the
  same check still applies to what it returns.
"""

from __future__ import annotations

import base64
import re
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timezone
from typing import Any

from connector_http import HttpPolicy, SourceError, SourceHttp
from connector_source import Setting, SilverColumn, SourceRecord, SourceSpec, parse_timestamp

ENTITY = "applications"
REQUIRED_COLUMNS = {"key": "the record's unique id, e.g. 'key: sys_id'",
                    "updated_at": "the record's last change, e.g. 'updated_at: sys_updated_on'"}
TOKEN_MARGIN_SECONDS = 60.0  # a token this close to expiring is replaced before the next page
_COLUMN = re.compile(r"[a-z][a-z0-9_]*")
_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


class ClientCredentials:
    """OAuth2 client-credentials grant: a bearer token, requested before the first page and again when the
    last one is about to expire (ServiceNow's last 30 minutes by default)."""

    def __init__(self, http: SourceHttp, token_url: str, client_id: str, client_secret: str, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.http = http  # without credentials of its own: the form carries them
        self.token_url = token_url
        self._form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret}
        self._clock = clock
        self._token: str | None = None
        self._expires_at: float | None = None

    def authorization(self) -> str:
        now = self._clock()
        if self._token is None or (self._expires_at is not None and now >= self._expires_at - TOKEN_MARGIN_SECONDS):
            body = self.http.post_form(self.token_url, self._form).body
            token = body.get("access_token") if isinstance(body, dict) else None
            if not isinstance(token, str) or not token:
                raise SourceError(f"POST {_without_query(self.token_url)}: the token response has no access_token")
            expires_in = body.get("expires_in")
            self._token = token
            self._expires_at = now + float(expires_in) if isinstance(expires_in, (int, float)) else None
        return f"Bearer {self._token}"


class CmdbSource:
    name = "cmdb"
    entities = (ENTITY,)

    def __init__(self, http: SourceHttp, url: str, fields: Mapping[str, str], *, records_path: str | None = None,
                 token: ClientCredentials | None = None, since_param: str | None = None,
                 since_format: str | None = None) -> None:
        if problem := fields_problem(fields):
            raise ValueError(f"fields {problem}")
        self.http = http
        self.url = url
        self.fields = dict(fields)
        self.records_path = records_path
        self.token = token
        self._listed: frozenset[str] | None = None
        self.since_param = since_param
        self.since_format = since_format

    def fetch(self, entity: str, since: datetime | None) -> Iterator[SourceRecord]:
        """Every application changed at or after `since` (all of them when None), in the endpoint's order."""
        if entity != ENTITY:
            raise ValueError(f"source 'cmdb' has no entity {entity!r} (its entities: {ENTITY})")
        self._listed = None
        listed: set[str] = set()
        url = self.url
        if since is not None and self.since_param:
            url = with_mark(url, self.since_param, since.astimezone(timezone.utc).strftime(self.since_format or ""))
        for number, body in enumerate(self._pages(url), start=1):
            for position, item in enumerate(self._records(body, number), start=1):
                where = f"cmdb: record {position} on page {number}"
                if not isinstance(item, dict):
                    raise ValueError(f"{where} is not an object")
                key = self._value(item, "key", where)
                if isinstance(key, (dict, list, bool)):
                    raise ValueError(f"{where}: '{self.fields['key']}' (fields.key) is not a string or number")
                changed = self._value(item, "updated_at", where)
                try:
                    if not isinstance(changed, str):
                        raise ValueError(f"is {_kind(changed)}, not a timestamp string")
                    updated_at = parse_timestamp(changed)
                except ValueError as error:
                    raise ValueError(f"{where}: '{self.fields['updated_at']}' (fields.updated_at): {error}") from None
                listed.add(str(key))
                if since is None or updated_at >= since:
                    yield SourceRecord(entity, str(key), updated_at, item)
        # Every page read: the list is whole unless the server filtered it at the mark.
        self._listed = frozenset(listed) if since is None or not self.since_param else None

    def listed_keys(self, entity: str) -> frozenset[str] | None:
        """The keys of the last fetch's full listing (see connector_source.Source), None if it was filtered."""
        return self._listed if entity == ENTITY else None

    def _pages(self, url: str) -> Iterator[Any]:
        origin = _origin(url)
        page_url: str | None = url
        while page_url is not None:
            if self.token is not None:
                self.http.set_header("Authorization", self.token.authorization())
            response = self.http.get(page_url)
            yield response.body
            next_link = response.next_link()
            page_url = urllib.parse.urljoin(page_url, next_link) if next_link else None
            if page_url is not None and _origin(page_url) != origin:
                raise SourceError(f"GET {_without_query(url)}: the next page is on another host "
                                  f"({_origin(page_url)}); the credentials are sent to {origin} only")

    def _records(self, body: Any, number: int) -> list[Any]:
        if body is None:
            return []
        if self.records_path is None:
            if not isinstance(body, list):
                raise ValueError(f"cmdb: page {number} is {_kind(body)}, not a list of records: set records_path "
                                 "to the list's path in the body (e.g. 'result')")
            return body
        found = lookup(body, self.records_path)
        if not isinstance(found, list):
            raise ValueError(f"cmdb: page {number} has no list at '{self.records_path}' (records_path)")
        return found

    def _value(self, item: dict[str, Any], column: str, where: str) -> Any:
        value = lookup(item, self.fields[column])
        if value is None or value == "":
            raise ValueError(f"{where} has no '{self.fields[column]}' (fields.{column})")
        return value


def lookup(value: Any, path: str) -> Any:
    """The value at a dotted path ('owned_by.value'), or None when any step is missing."""
    for step in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(step)
    return value


def with_mark(url: str, param: str, mark: str) -> str:
    """`url` with the formatted mark as query parameter `param`, appended to that parameter's value when the URL
    already sets it (a ServiceNow sysparm_query with a static filter keeps it: 'operational_status=1' becomes
    'operational_status=1^sys_updated_on>=...')."""
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    if any(name == param for name, _ in query):
        query = [(name, value + mark if name == param else value) for name, value in query]
    else:
        query.append((param, mark))
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query, quote_via=urllib.parse.quote)))


def fields_problem(fields: Mapping[str, str]) -> str | None:
    """Why a field mapping cannot be used, or None."""
    problems = [f"must map '{column}' ({meaning})" for column, meaning in REQUIRED_COLUMNS.items()
                if column not in fields]
    for column, path in sorted(fields.items()):
        if not _COLUMN.fullmatch(column):
            problems.append(f"column {column!r} is not a lowercase identifier (e.g. 'owner_name')")
        if not _PATH.fullmatch(path):
            problems.append(f"path {path!r} of column {column!r} is not a dotted path of field names "
                            "(e.g. 'owned_by.value')")
    return "; ".join(problems) or None


def url_problem(value: str) -> str | None:
    try:
        parts = urllib.parse.urlsplit(value)
        loopback = parts.scheme == "http" and parts.hostname in _LOOPBACK
    except ValueError:
        parts, loopback = urllib.parse.urlsplit(""), False
    if not (parts.scheme == "https" and parts.hostname) and not loopback:
        return ("must be an https:// URL (http:// only on loopback, for tests), "
                "e.g. 'https://acme.service-now.com/api/now/table/cmdb_ci_business_app'")
    if parts.username is not None or parts.password is not None:
        return "must not carry credentials: they come from the secrets cmdb-client-id and cmdb-client-secret"
    if parts.fragment:
        return "must not have a #fragment"
    return None


def check(settings: Mapping[str, Any]) -> dict[str, str]:
    """Problems of the settings as a whole, by setting (each setting's kind is already checked)."""
    found: dict[str, str] = {}
    for name in ("url", "token_url"):
        if name in settings and (problem := url_problem(settings[name])):
            found[name] = problem
    if "records_path" in settings and not _PATH.fullmatch(settings["records_path"]):
        found["records_path"] = "must be a dotted path of field names, e.g. 'result' or 'data.items'"
    if "fields" in settings and (problem := fields_problem(settings["fields"])):
        found["fields"] = problem
    if "since_param" in settings and "since_format" not in settings:
        found["since_format"] = "is required with since_param: how the mark is written, e.g. '%Y-%m-%dT%H:%M:%SZ'"
    if "since_format" in settings:
        if "since_param" not in settings:
            found["since_param"] = "is required with since_format: the query parameter that receives the mark"
        if "%" not in settings["since_format"].replace("%%", ""):
            found["since_format"] = "must write the mark with strftime directives, e.g. '%Y-%m-%d %H:%M:%S'"
    return found


def connect(settings: Mapping[str, Any], credentials: Mapping[str, str], *, policy: HttpPolicy,
            sleep: Callable[[float], None]) -> CmdbSource:
    client_id, client_secret = credentials["client-id"], credentials["client-secret"]
    token = None
    headers: dict[str, str] = {}
    if settings.get("token_url"):
        token = ClientCredentials(SourceHttp(settings["token_url"], policy=policy, sleep=sleep),
                                  settings["token_url"], client_id, client_secret)
    else:
        basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode("ascii")
        headers["Authorization"] = f"Basic {basic}"
    return CmdbSource(SourceHttp(settings["url"], headers, policy=policy, sleep=sleep), settings["url"],
                      settings["fields"], records_path=settings.get("records_path"), token=token,
                      since_param=settings.get("since_param"), since_format=settings.get("since_format"))


def silver(settings: Mapping[str, Any]) -> dict[str, tuple[SilverColumn, ...]]:
    """One column per mapped field: key first, updated_at (TIMESTAMP) last, the others (STRING) by name between
    them, so the order does not depend on the mapping's (the job hands settings over as sorted JSON)."""
    fields = settings["fields"]
    if problem := fields_problem(fields):
        raise ValueError(f"fields {problem}")
    middle = sorted(column for column in fields if column not in REQUIRED_COLUMNS)
    return {ENTITY: tuple(SilverColumn(column, "TIMESTAMP" if column == "updated_at" else "STRING",
                                       f"$.{fields[column]}") for column in ("key", *middle, "updated_at"))}


def _origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _without_query(url: str) -> str:
    return urllib.parse.urlunsplit(urllib.parse.urlsplit(url)._replace(query="", fragment=""))


def _kind(body: Any) -> str:
    kinds: dict[type, str] = {dict: "an object", str: "text"}
    return kinds.get(type(body), type(body).__name__)


SPEC = SourceSpec(
    name="cmdb",
    description="The application inventory a CMDB's REST endpoint lists (ServiceNow's Table API or alike).",
    entities=CmdbSource.entities,
    connect=connect,
    silver=silver,
    settings={
        "url": Setting("the absolute URL listing the applications, query included, e.g. "
                       "'https://acme.service-now.com/api/now/table/cmdb_ci_business_app?sysparm_limit=1000'",
                       required=True),
        "records_path": Setting("the dotted path of the list of records in each response body, e.g. 'result' "
                                "(default: the body is the list)"),
        "fields": Setting("silver column -> dotted path in a record; must map 'key' and 'updated_at', e.g. "
                          "{key: sys_id, name: name, owner: owned_by.value, updated_at: sys_updated_on}",
                          kind=dict, required=True),
        "token_url": Setting("an OAuth2 client-credentials token endpoint, e.g. "
                             "'https://acme.service-now.com/oauth_token.do' (default: HTTP Basic with the client "
                             "id and secret)"),
        "since_param": Setting("a query parameter that lets the server filter at the mark, e.g. 'sysparm_query'; "
                               "appended to its value when the URL already sets it"),
        "since_format": Setting("how the mark (UTC) is written into since_param, as a strftime format selecting "
                                "records changed at or after it, e.g. '^sys_updated_on>=%Y-%m-%d %H:%M:%S'"),
    },
    # OAuth: the client id and secret of an OAuth application; Basic: the integration user's name and password.
    secrets=("client-id", "client-secret"),
    check=check,
)
