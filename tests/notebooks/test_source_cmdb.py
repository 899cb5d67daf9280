"""The CMDB source against a loopback server replaying ServiceNow's Table API shapes: {"result": [...]} bodies,
Link-header pages, 'YYYY-MM-DD HH:MM:SS' timestamps in UTC, an OAuth2 client-credentials token endpoint or HTTP
Basic; and its settings checked the way synth checks connectors.yaml."""

from __future__ import annotations

import base64
import sys
import traceback
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "notebooks"))

from connector_http import HttpPolicy, SourceError, SourceHttp  # noqa: E402
from connector_source import SilverColumn, load_spec  # noqa: E402
from source_cmdb import SPEC, ClientCredentials, CmdbSource  # noqa: E402
from tests.loopback import LoopbackServer, Reply  # noqa: E402

TABLE = "/api/now/table/cmdb_ci_business_app"
CLIENT_ID = "cmdb-reader-4f1c"
SECRET = "Lo0pback-Secret!value"
CREDENTIALS = {"client-id": CLIENT_ID, "client-secret": SECRET}
FIELDS = {"key": "sys_id", "name": "name", "owner": "owned_by.value", "criticality": "business_criticality",
          "updated_at": "sys_updated_on"}


def app(sys_id: str, updated: str, **extra) -> dict:
    return {"sys_id": sys_id, "name": f"App {sys_id}", "business_criticality": "1 - most critical",
            "owned_by": {"link": "https://acme.service-now.com/api/now/table/sys_user/u1", "value": "u1"},
            "sys_updated_on": updated, **extra}


def open_source(server: LoopbackServer, slept: list[float] | None = None, **settings):
    settings = {"url": f"{server.url}{TABLE}?sysparm_limit=2", "records_path": "result", "fields": FIELDS,
                **settings}
    settings = {name: value for name, value in settings.items() if value is not None}  # None: not set
    return SPEC.open(settings, CREDENTIALS, policy=HttpPolicy(timeout_seconds=2.0),
                     sleep=(slept if slept is not None else []).append)


def keys(records) -> list[str]:
    return [record.key for record in records]


# Authentication


def test_without_a_token_url_every_request_carries_basic_auth(server):
    server.reply(TABLE, Reply(body={"result": [app("a1", "2026-11-20 08:15:00")]}))
    records = list(open_source(server).fetch("applications", None))
    assert keys(records) == ["a1"]
    expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{SECRET}".encode()).decode()
    assert [(r.method, r.path, r.headers["Authorization"]) for r in server.requests] == [
        ("GET", f"{TABLE}?sysparm_limit=2", expected)]
    assert server.requests[0].headers["Accept"] == "application/json"


def test_oauth_posts_the_client_credentials_then_sends_the_bearer_token(server):
    server.reply("/oauth_token.do", Reply(body={"access_token": "tok-1", "token_type": "Bearer", "expires_in": 1799}))
    server.reply(TABLE, Reply(body={"result": [app("a1", "2026-11-20 08:15:00")]}))
    records = list(open_source(server, token_url=f"{server.url}/oauth_token.do").fetch("applications", None))
    assert keys(records) == ["a1"]
    token, listing = server.requests
    assert (token.method, token.path) == ("POST", "/oauth_token.do")
    assert token.body == f"client_id={CLIENT_ID}&client_secret=Lo0pback-Secret%21value&grant_type=client_credentials"
    assert token.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert "Authorization" not in token.headers
    assert (listing.method, listing.headers["Authorization"]) == ("GET", "Bearer tok-1")


def test_the_token_is_requested_once_and_again_shortly_before_it_expires(server):
    server.reply("/oauth_token.do", Reply(body={"access_token": "tok-1", "expires_in": 300}),
                 Reply(body={"access_token": "tok-2", "expires_in": 300}))
    page = f"{server.url}{TABLE}"
    server.reply(TABLE, *(Reply(body={"result": [app(f"a{n}", "2026-11-20 08:15:00")]},
                                headers={"Link": f'<{page}?sysparm_offset={n}>;rel="next"'} if n < 3 else {})
                          for n in (1, 2, 3)))
    now = [1000.0]
    http = SourceHttp(page, policy=HttpPolicy(timeout_seconds=2.0))
    token = ClientCredentials(SourceHttp(page), f"{server.url}/oauth_token.do", CLIENT_ID, SECRET,
                              clock=lambda: now[0])
    source = CmdbSource(http, page, FIELDS, records_path="result", token=token)
    for _record in source.fetch("applications", None):
        now[0] += 130.0  # page 2 is asked for 170 s before tok-1 expires, page 3 only 40 s before: tok-2
    assert [(r.method, r.headers.get("Authorization")) for r in server.requests] == [
        ("POST", None), ("GET", "Bearer tok-1"), ("GET", "Bearer tok-1"), ("POST", None), ("GET", "Bearer tok-2")]


def test_a_refused_client_secret_fails_without_showing_it(server):
    server.reply("/oauth_token.do", Reply(401, {"error": "access_denied", "error_description": "access_denied"}))
    source = open_source(server, token_url=f"{server.url}/oauth_token.do")
    with pytest.raises(SourceError) as raised:
        list(source.fetch("applications", None))
    assert str(raised.value) == (f"POST {server.url}/oauth_token.do: HTTP 401, the credentials were refused: check "
                                 "the secret in the scope (source said: 'access_denied')")
    assert SECRET not in "".join(traceback.format_exception(raised.value))
    assert [r.path for r in server.requests] == ["/oauth_token.do"]  # no listing without a token


def test_a_token_response_without_an_access_token_fails(server):
    server.reply("/oauth_token.do", Reply(body={"scope": "useraccount", "token_type": "Bearer"}))
    source = open_source(server, token_url=f"{server.url}/oauth_token.do?tenant=acme")
    with pytest.raises(SourceError) as raised:
        list(source.fetch("applications", None))
    assert str(raised.value) == f"POST {server.url}/oauth_token.do: the token response has no access_token"


def test_refused_credentials_on_the_listing_fail_the_fetch(server):
    server.reply(TABLE, Reply(401, {"error": {"message": "User Not Authenticated", "detail": "Required to provide "
                                                                                            "Auth information"},
                                    "status": "failure"}))
    with pytest.raises(SourceError) as raised:
        list(open_source(server).fetch("applications", None))
    message = str(raised.value)
    assert message.startswith(f"GET {server.url}{TABLE}?sysparm_limit=2: HTTP 401, the credentials were refused: "
                              "check the secret in the scope (source said: ")
    assert SECRET not in message and base64.b64encode(f"{CLIENT_ID}:{SECRET}".encode()).decode() not in message
    assert len(server.requests) == 1  # permanent: not retried


# Paging, the mark, retries


def test_pages_follow_the_link_header_to_the_last_page(server):
    page = f"{server.url}{TABLE}?sysparm_limit=2"
    first, last = f'<{page}&sysparm_offset=0>;rel="first"', f'<{page}&sysparm_offset=4>;rel="last"'
    server.reply(TABLE,
                 Reply(body={"result": [app("a1", "2026-11-20 08:15:00"), app("a2", "2026-11-19 07:00:00")]},
                       headers={"Link": f'{first},<{page}&sysparm_offset=2>;rel="next",{last}'}),
                 Reply(body={"result": [app("a3", "2026-01-01 00:00:00"), app("a4", "2026-11-21 00:00:00")]},
                       headers={"Link": f'{first},<{page}&sysparm_offset=0>;rel="prev",'
                                        f'<{page}&sysparm_offset=4>;rel="next",{last}'}),
                 Reply(body={"result": [app("a5", "2025-05-05 05:05:05")]},
                       headers={"Link": f'{first},<{page}&sysparm_offset=2>;rel="prev",{last}'}))
    records = list(open_source(server).fetch("applications", None))
    assert [(r.entity, r.key, r.updated_at) for r in records] == [
        ("applications", "a1", datetime(2026, 11, 20, 8, 15, tzinfo=timezone.utc)),
        ("applications", "a2", datetime(2026, 11, 19, 7, 0, tzinfo=timezone.utc)),
        ("applications", "a3", datetime(2026, 1, 1, tzinfo=timezone.utc)),
        ("applications", "a4", datetime(2026, 11, 21, tzinfo=timezone.utc)),
        ("applications", "a5", datetime(2025, 5, 5, 5, 5, 5, tzinfo=timezone.utc))]
    assert records[0].payload == app("a1", "2026-11-20 08:15:00")
    assert [r.path for r in server.requests] == [
        f"{TABLE}?sysparm_limit=2", f"{TABLE}?sysparm_limit=2&sysparm_offset=2",
        f"{TABLE}?sysparm_limit=2&sysparm_offset=4"]


def test_a_next_page_on_another_host_is_not_followed(server):
    server.reply(TABLE, Reply(body={"result": [app("a1", "2026-11-20 08:15:00")]},
                              headers={"Link": '<https://elsewhere.example/api?page=2>;rel="next"'}))
    with pytest.raises(SourceError) as raised:
        list(open_source(server).fetch("applications", None))
    assert str(raised.value) == (f"GET {server.url}{TABLE}: the next page is on another host "
                                 f"(https://elsewhere.example); the credentials are sent to {server.url} only")


def test_records_changed_at_or_after_the_mark_are_kept(server):
    server.reply(TABLE, Reply(body={"result": [
        app("before", "2026-11-20 08:14:59"), app("at", "2026-11-20 08:15:00"), app("after", "2026-11-20 08:15:01"),
        app("long-ago", "2024-02-29 12:00:00")]}))
    since = datetime(2026, 11, 20, 9, 15, tzinfo=timezone(timedelta(hours=1)))
    records = list(open_source(server).fetch("applications", since))
    assert keys(records) == ["at", "after"]  # the mark's own second is read again, never skipped
    assert server.requests[0].path == f"{TABLE}?sysparm_limit=2"  # no since_param: the URL is unchanged


def test_since_param_lets_the_server_filter_at_the_mark(server):
    server.reply(TABLE, Reply(body={"result": [app("a1", "2026-11-20 08:15:00")]}),
                 Reply(body={"result": [app("a1", "2026-11-20 08:15:00")]}))
    source = open_source(server, url=f"{server.url}{TABLE}?sysparm_query=ORDERBYsys_id&sysparm_limit=2",
                         since_param="sysparm_query", since_format="^sys_updated_on>=%Y-%m-%d %H:%M:%S")
    assert keys(source.fetch("applications", datetime(2026, 11, 20, 8, 15, tzinfo=timezone.utc))) == ["a1"]
    assert keys(source.fetch("applications", None)) == ["a1"]
    assert [r.path for r in server.requests] == [
        f"{TABLE}?sysparm_query=ORDERBYsys_id%5Esys_updated_on%3E%3D2026-11-20%2008%3A15%3A00&sysparm_limit=2",
        f"{TABLE}?sysparm_query=ORDERBYsys_id&sysparm_limit=2"]  # without a mark: every record


def test_since_param_is_added_when_the_url_has_none(server):
    server.reply("/apps", Reply(body=[app("a1", "2026-11-20T08:15:00Z")]))
    source = open_source(server, url=f"{server.url}/apps", records_path=None, since_param="changed_since",
                         since_format="%Y-%m-%dT%H:%M:%SZ")
    assert keys(source.fetch("applications", datetime(2026, 11, 20, 8, 15, tzinfo=timezone.utc))) == ["a1"]
    assert server.requests[0].path == "/apps?changed_since=2026-11-20T08%3A15%3A00Z"


def test_a_transient_502_is_retried(server):
    server.reply(TABLE, Reply(502, {"error": {"message": "Bad Gateway"}}),
                 Reply(body={"result": [app("a1", "2026-11-20 08:15:00")]}))
    slept: list[float] = []
    assert keys(open_source(server, slept).fetch("applications", None)) == ["a1"]
    assert slept == [1.0]
    assert len(server.requests) == 2


# Records that cannot be read


def test_a_record_without_its_key_names_the_path_and_position(server):
    record = app("a2", "2026-11-20 08:15:00", comments="internal: do not print")
    del record["sys_id"]
    server.reply(TABLE, Reply(body={"result": [app("a1", "2026-11-20 08:15:00"), record]}))
    with pytest.raises(ValueError) as raised:
        list(open_source(server).fetch("applications", None))
    assert str(raised.value) == "cmdb: record 2 on page 1 has no 'sys_id' (fields.key)"


def test_a_record_without_its_last_change_names_the_path_and_position(server):
    server.reply(TABLE, Reply(body={"result": [app("a1", "")]}))
    with pytest.raises(ValueError) as raised:
        list(open_source(server).fetch("applications", None))
    assert str(raised.value) == "cmdb: record 1 on page 1 has no 'sys_updated_on' (fields.updated_at)"


def test_a_record_whose_last_change_is_not_a_timestamp_names_the_path(server):
    server.reply(TABLE, Reply(body={"result": [app("a1", "yesterday")]}))
    with pytest.raises(ValueError) as raised:
        list(open_source(server).fetch("applications", None))
    assert str(raised.value) == ("cmdb: record 1 on page 1: 'sys_updated_on' (fields.updated_at): 'yesterday' is not "
                                 "a timestamp (expected ISO 8601, e.g. '2026-11-20T08:15:00Z')")


def test_a_body_without_the_records_path_fails(server):
    server.reply(TABLE, Reply(body={"results": []}))
    with pytest.raises(ValueError) as raised:
        list(open_source(server).fetch("applications", None))
    assert str(raised.value) == "cmdb: page 1 has no list at 'result' (records_path)"


def test_an_object_body_without_records_path_says_to_set_it(server):
    server.reply(TABLE, Reply(body={"result": []}))
    with pytest.raises(ValueError) as raised:
        list(open_source(server, records_path=None).fetch("applications", None))
    assert str(raised.value) == ("cmdb: page 1 is an object, not a list of records: set records_path to the list's "
                                 "path in the body (e.g. 'result')")


# Settings, as synth checks them


GOOD = {"url": "https://acme.service-now.com/api/now/table/cmdb_ci_business_app", "records_path": "result",
        "fields": FIELDS}


def test_good_settings_have_no_problems():
    assert SPEC.problems(GOOD) == {}
    assert SPEC.problems({**GOOD, "token_url": "https://acme.service-now.com/oauth_token.do",
                          "since_param": "sysparm_query", "since_format": "^sys_updated_on>=%Y-%m-%d %H:%M:%S"}) == {}


def test_fields_must_map_the_key():
    fields = {name: path for name, path in FIELDS.items() if name != "key"}
    assert SPEC.problems({**GOOD, "fields": fields}) == {
        "fields": "must map 'key' (the record's unique id, e.g. 'key: sys_id')"}


def test_fields_must_map_the_last_change():
    fields = {name: path for name, path in FIELDS.items() if name != "updated_at"}
    assert SPEC.problems({**GOOD, "fields": fields}) == {
        "fields": "must map 'updated_at' (the record's last change, e.g. 'updated_at: sys_updated_on')"}


def test_column_names_must_be_lowercase_identifiers():
    assert SPEC.problems({**GOOD, "fields": {**FIELDS, "Owner Name": "owned_by.display_value"}}) == {
        "fields": "column 'Owner Name' is not a lowercase identifier (e.g. 'owner_name')"}


def test_paths_must_be_dotted_field_names():
    assert SPEC.problems({**GOOD, "fields": {**FIELDS, "owner": "owned_by/value"}}) == {
        "fields": "path 'owned_by/value' of column 'owner' is not a dotted path of field names (e.g. 'owned_by.value')"}


def test_an_unknown_setting_is_named():
    assert SPEC.problems({**GOOD, "page_size": "100"}) == {
        "page_size": "is not a setting of source 'cmdb' (its settings: fields, records_path, since_format, "
                     "since_param, token_url, url)"}


def test_url_and_fields_are_required():
    assert SPEC.problems({}) == {
        "fields": "is required by source 'cmdb': " + SPEC.settings["fields"].description,
        "url": "is required by source 'cmdb': " + SPEC.settings["url"].description}


@pytest.mark.parametrize("url", ["http://acme.service-now.com/api/now/table/x", "acme.service-now.com/api",
                                 "ftp://acme.example/apps"])
def test_urls_must_be_https(url):
    assert SPEC.problems({**GOOD, "url": url}) == {"url": (
        "must be an https:// URL (http:// only on loopback, for tests), "
        "e.g. 'https://acme.service-now.com/api/now/table/cmdb_ci_business_app'")}


def test_urls_must_not_carry_credentials():
    assert SPEC.problems({**GOOD, "token_url": "https://reader:pw@acme.service-now.com/oauth_token.do"}) == {
        "token_url": "must not carry credentials: they come from the secrets cmdb-client-id and cmdb-client-secret"}


def test_records_path_must_be_dotted_field_names():
    assert SPEC.problems({**GOOD, "records_path": "$.result"}) == {
        "records_path": "must be a dotted path of field names, e.g. 'result' or 'data.items'"}


def test_since_param_and_since_format_go_together():
    assert SPEC.problems({**GOOD, "since_param": "sysparm_query"}) == {
        "since_format": "is required with since_param: how the mark is written, e.g. '%Y-%m-%dT%H:%M:%SZ'"}
    assert SPEC.problems({**GOOD, "since_format": "%Y-%m-%d"}) == {
        "since_param": "is required with since_format: the query parameter that receives the mark"}


def test_since_format_must_write_the_mark():
    assert SPEC.problems({**GOOD, "since_param": "q", "since_format": "updated>=100%%"}) == {
        "since_format": "must write the mark with strftime directives, e.g. '%Y-%m-%d %H:%M:%S'"}


def test_open_names_missing_credentials():
    with pytest.raises(ValueError) as raised:
        SPEC.open(GOOD, {"client-id": CLIENT_ID})
    assert str(raised.value) == "source 'cmdb': credential 'client-secret' is missing"


# What the platform reads from the spec


def test_the_spec_declares_one_entity_and_two_secrets():
    assert load_spec("cmdb") is SPEC
    assert (SPEC.name, SPEC.entities, SPEC.secrets) == ("cmdb", ("applications",), ("client-id", "client-secret"))
    assert SPEC.secret_names("cmdb") == ("cmdb-client-id", "cmdb-client-secret")


def test_silver_has_one_column_per_mapped_field():
    assert SPEC.silver(GOOD) == {"applications": (
        SilverColumn("key", "STRING", "$.sys_id"),
        SilverColumn("criticality", "STRING", "$.business_criticality"),
        SilverColumn("name", "STRING", "$.name"),
        SilverColumn("owner", "STRING", "$.owned_by.value"),
        SilverColumn("updated_at", "TIMESTAMP", "$.sys_updated_on"))}
