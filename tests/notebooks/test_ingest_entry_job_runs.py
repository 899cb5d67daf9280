"""Job runs of the GitHub connector, end to end: the real entry notebooks, on a real local Spark session, against
a real HTTP server on loopback that behaves like GitHub's REST API (newest first, Link paging, bearer token).
Only the workspace is simulated: `dbutils` is a stand-in (tests/dbutils_standin.py). Tables are real Delta tables,
written by delta-rs (LocalDeltaTables, the entry notebooks' local table store): every append and MERGE is a Delta
commit, and a crash is injected either mid-write (tests/delta_faults.py) or between two commits.

Each scenario ends the way the contract promises: silver holds each record once, in its latest version."""

from __future__ import annotations

import functools
import json
import sys
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "notebooks"))

from connector_http import SourceError  # noqa: E402
from connector_lakehouse import RECORD_KEY, STATE_TABLE, LocalDeltaTables  # noqa: E402
from deltalake.exceptions import DeltaError  # noqa: E402
from tests.dbutils_standin import StandInDbutils, run_notebook  # noqa: E402
from tests.delta_faults import crash_mid_write  # noqa: E402
from tests.loopback import LoopbackServer, Recorded, Reply  # noqa: E402

TOKEN = "ghp_jobRunTestToken0123456789abcdefABCD"
PAGE = 2  # the stand-in serves small pages, so every run pages


class FakeGitHub:
    """GitHub's organisation endpoints over a mutable dataset: sorted by updated_at, newest first, paged."""

    PATHS = {"repositories": "/orgs/acme/repos", "code_scanning_alerts": "/orgs/acme/code-scanning/alerts",
             "dependabot_alerts": "/orgs/acme/dependabot/alerts",
             "secret_scanning_alerts": "/orgs/acme/secret-scanning/alerts"}

    def __init__(self, server: LoopbackServer):
        self.server = server
        self.items: dict[str, dict[str, dict]] = {entity: {} for entity in self.PATHS}
        for entity, path in self.PATHS.items():
            server.serve(path, functools.partial(self.answer, entity))

    def put(self, entity: str, key: str, item: dict) -> None:
        self.items[entity][key] = item

    def answer(self, entity: str, request: Recorded) -> Reply:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return Reply(401, {"message": "Bad credentials"})
        page = int(parse_qs(urlsplit(request.path).query).get("page", ["1"])[0])
        ordered = sorted(self.items[entity].values(), key=lambda i: (i["updated_at"], str(i.get("number"))),
                         reverse=True)
        chunk = ordered[(page - 1) * PAGE: page * PAGE]
        headers = {}
        if page * PAGE < len(ordered):
            headers["Link"] = f'<{self.server.url}{self.PATHS[entity]}?page={page + 1}>; rel="next"'
        return Reply(body=chunk, headers=headers)


def repo(id_: int, name: str, updated_at: str, archived: bool = False) -> dict:
    return {"id": id_, "full_name": f"acme/{name}", "visibility": "private", "archived": archived,
            "default_branch": "main", "html_url": f"https://github.com/acme/{name}",
            "pushed_at": updated_at, "updated_at": updated_at}


def code_alert(repo_name: str, number: int, state: str, updated_at: str) -> dict:
    return {"number": number, "state": state, "updated_at": updated_at, "created_at": "2026-01-01T00:00:00Z",
            "html_url": f"https://github.com/acme/{repo_name}/security/code-scanning/{number}",
            "repository": {"full_name": f"acme/{repo_name}"}, "tool": {"name": "CodeQL"},
            "rule": {"id": "py/sql-injection", "security_severity_level": "high"},
            "most_recent_instance": {"location": {"path": "app/db.py"}},
            "fixed_at": updated_at if state == "fixed" else None, "dismissed_at": None}


class ConnectorJob:
    """The github connector's job as the stack defines it: job parameters plus the task's fixed parameters,
    with a new run id per run; `repair` re-runs tasks of an earlier run, with that run's id and task values."""

    def __init__(self, spark, server: LoopbackServer, name: str = "github", settings: dict | None = None,
                 secrets: dict[str, str] | None = None):
        self.spark = spark
        self.catalog = f"t{uuid.uuid4().hex[:10]}"  # tables of this test only
        self.server = server
        self.name = name
        self.settings = settings if settings is not None else {"organisation": "acme", "base_url": server.url}
        self.scopes = {"mvp-connectors": secrets if secrets is not None else {"github-token": TOKEN}}
        self.runs: dict[str, dict] = {}

    def parameters(self, run_id: str, **overrides: str) -> dict[str, str]:
        return {"source_name": self.name, "target_catalog": self.catalog, "hwm_reset": "false", "source": self.name,
                "settings": json.dumps(self.settings), "secret_scope": "mvp-connectors",
                "secret_names": ",".join(sorted(self.scopes["mvp-connectors"])), "bronze_schema": "bronze",
                "silver_schema": "silver", "initial_mark": "", "job_run_id": run_id, **overrides}

    def run(self, run_id: str, tasks: tuple[str, ...] = ("ingest", "transform"), **overrides: str) -> dict:
        """Runs the tasks in order, like the job: a failed ingest raises before transform starts."""
        values = self.runs.setdefault(run_id, {})
        for task in tasks:
            dbutils = StandInDbutils(self.parameters(run_id, **overrides), self.scopes, values, task_key=task)
            run_notebook(f"{task}_entry", dbutils, self.spark)
        return values

    def table(self, layer: str, entity: str) -> list[dict]:
        frame = LocalDeltaTables(self.spark).read(f"{self.catalog}.{layer}.{self.name}_{entity}")
        return [row.asDict() for row in frame.collect()] if frame is not None else []

    def silver(self, entity: str) -> dict[str, dict]:
        rows = self.table("silver", entity)
        keys = [row["_record_key"] for row in rows]
        assert len(keys) == len(set(keys)), f"duplicate keys in silver: {sorted(keys)}"
        return {row["_record_key"]: row for row in rows}


def crash_on_state_write(monkeypatch, column: str, message: str) -> None:
    """Fault injection: the state write that moves `column` fails, as if the driver died just before it."""
    real_upsert = LocalDeltaTables.upsert

    def crashing(self, table, rows, key, columns):
        if column in columns:
            raise RuntimeError(message)
        return real_upsert(self, table, rows, key, columns)

    monkeypatch.setattr(LocalDeltaTables, "upsert", crashing)


@pytest.fixture
def github(spark):
    with LoopbackServer() as server:
        source = FakeGitHub(server)
        source.put("repositories", "1", repo(1, "api", "2026-11-01T10:00:00Z"))
        source.put("repositories", "2", repo(2, "web", "2026-11-02T10:00:00Z"))
        source.put("repositories", "3", repo(3, "legacy", "2026-10-01T10:00:00Z", archived=True))
        source.put("code_scanning_alerts", "api#1", code_alert("api", 1, "open", "2026-11-10T08:00:00Z"))
        source.put("code_scanning_alerts", "web#1", code_alert("web", 1, "open", "2026-11-11T08:00:00Z"))
        source.put("code_scanning_alerts", "api#2", code_alert("api", 2, "dismissed", "2026-11-12T08:00:00Z"))
        yield source, ConnectorJob(spark, server)


def test_a_run_moves_github_records_into_bronze_and_typed_silver(github):
    source, job = github
    values = job.run("run-1")

    assert values["ingest"] == {
        "records_ingested": {"code_scanning_alerts": 3, "dependabot_alerts": 0, "repositories": 3,
                             "secret_scanning_alerts": 0},
        "high_water_marks": {"code_scanning_alerts": "2026-11-12T08:00:00Z", "dependabot_alerts": "",
                             "repositories": "2026-11-02T10:00:00Z", "secret_scanning_alerts": ""}}
    assert values["transform"] == {"records_merged": {"code_scanning_alerts": 3, "dependabot_alerts": 0,
                                                      "repositories": 3, "secret_scanning_alerts": 0}}
    bronze = job.table("bronze", "code_scanning_alerts")
    assert sorted((r["source"], r["entity"], r["record_key"], r["batch"], r["job_run_id"]) for r in bronze) == [
        ("github", "code_scanning_alerts", "acme/api#1", 1, "run-1"),
        ("github", "code_scanning_alerts", "acme/api#2", 1, "run-1"),
        ("github", "code_scanning_alerts", "acme/web#1", 1, "run-1")]
    assert json.loads(bronze[0]["payload"])["tool"] == {"name": "CodeQL"}

    repos = job.silver("repositories")
    assert sorted(repos) == ["1", "2", "3"]
    assert (repos["3"]["id"], repos["3"]["full_name"], repos["3"]["archived"]) == (3, "acme/legacy", True)
    assert repos["2"]["pushed_at"].isoformat() == "2026-11-02T10:00:00"  # UTC, typed TIMESTAMP
    alerts = job.silver("code_scanning_alerts")
    assert {k: (a["state"], a["severity"], a["path"]) for k, a in alerts.items()} == {
        "acme/api#1": ("open", "high", "app/db.py"), "acme/api#2": ("dismissed", "high", "app/db.py"),
        "acme/web#1": ("open", "high", "app/db.py")}
    assert job.table("silver", "dependabot_alerts") == []  # created empty: downstream can rely on it


def test_the_token_is_sent_to_the_source_and_stored_nowhere(github, capsys):
    source, job = github
    job.run("run-1")
    sent = {r.headers.get("Authorization") for r in job.server.requests}
    assert sent == {f"Bearer {TOKEN}"}
    stored = [json.dumps(row, default=str) for layer in ("bronze", "silver") for entity in FakeGitHub.PATHS
              for row in job.table(layer, entity)]
    assert stored and not any(TOKEN in row for row in stored)
    assert TOKEN not in capsys.readouterr().out


def test_the_next_run_fetches_only_changes_and_silver_keeps_the_latest_version(github):
    source, job = github
    job.run("run-1")
    source.put("code_scanning_alerts", "api#1", code_alert("api", 1, "fixed", "2026-11-20T09:00:00Z"))
    before = len(job.server.requests)

    values = job.run("run-2")

    alerts_requests = [r.path for r in job.server.requests[before:] if "code-scanning" in r.path]
    # Page 1 ends at the mark; page 2 starts below it, so paging stops there (page 3 is never read).
    assert alerts_requests == ["/orgs/acme/code-scanning/alerts?sort=updated&direction=desc&per_page=100",
                               "/orgs/acme/code-scanning/alerts?page=2"]
    # The changed alert, plus the one at the old mark: the mark is inclusive, re-reading is harmless.
    assert values["ingest"]["records_ingested"]["code_scanning_alerts"] == 2
    alerts = job.silver("code_scanning_alerts")
    assert {k: a["state"] for k, a in alerts.items()} == {"acme/api#1": "fixed", "acme/api#2": "dismissed",
                                                          "acme/web#1": "open"}
    assert alerts["acme/api#1"]["fixed_at"].isoformat() == "2026-11-20T09:00:00"


def test_a_retry_after_a_crash_between_bronze_write_and_mark_update_refetches_and_loses_nothing(github, monkeypatch):
    source, job = github
    crash_on_state_write(monkeypatch, "high_water_mark", "driver lost after the bronze commit")
    with pytest.raises(RuntimeError, match="driver lost"):
        job.run("run-1")
    assert len(job.table("bronze", "repositories")) == 3  # written and committed...
    assert job.silver("repositories") == {}  # ...but transform never ran
    monkeypatch.undo()

    values = job.run("run-1-retry")

    assert values["ingest"]["records_ingested"]["repositories"] == 3  # the mark had not moved: all again
    assert len(job.table("bronze", "repositories")) == 6  # bronze holds the batch twice...
    assert sorted(job.silver("repositories")) == ["1", "2", "3"]  # ...silver each record once
    assert sorted(job.silver("code_scanning_alerts")) == ["acme/api#1", "acme/api#2", "acme/web#1"]


def test_a_failed_transform_leaves_silver_as_it_was_and_its_repair_completes_it(github, monkeypatch):
    source, job = github
    job.run("run-1")
    before = job.silver("code_scanning_alerts")
    source.put("code_scanning_alerts", "api#1", code_alert("api", 1, "fixed", "2026-11-20T09:00:00Z"))
    source.put("code_scanning_alerts", "api#3", code_alert("api", 3, "open", "2026-11-20T10:00:00Z"))

    silver_version = LocalDeltaTables(job.spark).delta(f"{job.catalog}.silver.github_code_scanning_alerts").version()
    crash_mid_write(monkeypatch, "cluster terminated", where=lambda schema: RECORD_KEY in schema.names)
    with pytest.raises(DeltaError, match="RuntimeError: cluster terminated"):  # inside delta-rs's MERGE
        job.run("run-2")
    assert job.silver("code_scanning_alerts") == before  # exactly as it was: no new version was committed
    assert LocalDeltaTables(job.spark).delta(
        f"{job.catalog}.silver.github_code_scanning_alerts").version() == silver_version
    monkeypatch.undo()
    requests_before_repair = len(job.server.requests)

    values = job.run("run-2", tasks=("transform",))  # repair: the failed task only, same run

    assert len(job.server.requests) == requests_before_repair  # the repair fetched nothing
    assert values["ingest"]["records_ingested"]["code_scanning_alerts"] == 3  # from the repaired run
    alerts = job.silver("code_scanning_alerts")
    assert {k: a["state"] for k, a in alerts.items()} == {
        "acme/api#1": "fixed", "acme/api#2": "dismissed", "acme/api#3": "open", "acme/web#1": "open"}


def test_merging_the_same_bronze_twice_changes_nothing(github, monkeypatch):
    source, job = github
    job.run("run-1", tasks=("ingest",))
    crash_on_state_write(monkeypatch, "transformed_batch", "lost before the transform state moved")
    with pytest.raises(RuntimeError, match="lost before"):
        job.run("run-1", tasks=("transform",))
    first = job.silver("repositories")
    silver = LocalDeltaTables(job.spark).delta(f"{job.catalog}.silver.github_repositories")
    monkeypatch.undo()

    job.run("run-1", tasks=("transform",))  # the same batch again

    assert job.silver("repositories") == first
    silver.update_incremental()
    assert [h["operation"] for h in silver.history()] == ["MERGE", "CREATE TABLE"]  # the second MERGE changed nothing


def test_an_hwm_reset_backfill_refetches_from_the_initial_mark_and_silver_keeps_each_record_once(github):
    source, job = github
    job.run("run-1")
    source.put("repositories", "2", repo(2, "web", "2026-11-21T10:00:00Z", archived=True))
    before = len(job.server.requests)

    values = job.run("backfill-1", hwm_reset="true", initial_mark="2026-10-15T00:00:00Z")

    repo_pages = [r.path for r in job.server.requests[before:] if r.path.startswith("/orgs/acme/repos")]
    assert repo_pages == ["/orgs/acme/repos?type=all&sort=updated&direction=desc&per_page=100",
                          "/orgs/acme/repos?page=2"]  # every page down to the initial mark
    assert values["ingest"]["records_ingested"]["repositories"] == 2  # 'legacy' predates the initial mark
    assert values["ingest"]["high_water_marks"]["repositories"] == "2026-11-21T10:00:00Z"
    repos = job.silver("repositories")
    assert sorted(repos) == ["1", "2", "3"]
    assert repos["2"]["archived"] is True and repos["3"]["archived"] is True

    job.run("run-2")  # back to incremental from the new mark
    assert job.runs["run-2"]["ingest"]["records_ingested"]["repositories"] == 1  # only the one at the mark


def test_bad_credentials_fail_ingest_clearly_and_transform_never_runs(github):
    source, job = github
    job.scopes["mvp-connectors"]["github-token"] = "ghp_revokedToken000000000000000000000000"
    with pytest.raises(SourceError) as raised:
        job.run("run-1")
    message = str(raised.value)
    assert message.startswith(f"GET {job.server.url}/orgs/acme/repos?type=all&sort=updated&direction=desc&"
                              "per_page=100: HTTP 401, the credentials were refused: check the secret in the scope")
    assert "ghp_" not in message
    assert "transform" not in job.runs["run-1"]


def test_the_state_table_records_marks_and_batches_per_entity(github):
    source, job = github
    job.run("run-1")
    table = LocalDeltaTables(job.spark).read(f"{job.catalog}.bronze.{STATE_TABLE}")
    state = {row.entity: row.asDict() for row in table.collect()}
    assert {e: (s["connector"], s["ingested_batch"], s["transformed_batch"], s["ingest_run_id"],
                s["transform_run_id"]) for e, s in state.items()} == {
        "code_scanning_alerts": ("github", 1, 1, "run-1", "run-1"),
        "repositories": ("github", 1, 1, "run-1", "run-1")}
    assert state["repositories"]["high_water_mark"].isoformat() == "2026-11-02T10:00:00"


def test_a_cmdb_run_maps_the_configured_fields_into_silver(spark):
    table = "/api/now/table/cmdb_ci_business_app"
    inventory = {"a1": {"sys_id": "a1", "name": "Payments", "owned_by": {"value": "u7"},
                        "business_criticality": "1 - most critical", "sys_updated_on": "2026-11-20 08:15:00"},
                 "a2": {"sys_id": "a2", "name": "Wiki", "owned_by": {"value": "u9"},
                        "business_criticality": "4 - not critical", "sys_updated_on": "2026-11-19 10:00:00"},
                 "a3": {"sys_id": "a3", "name": "Intranet", "owned_by": {"value": "u9"},
                        "business_criticality": "3 - less critical", "sys_updated_on": "2026-11-01 00:00:00"}}
    with LoopbackServer() as server:
        server.serve("/oauth_token.do", lambda request: Reply(body={"access_token": "cmdb-bearer", "expires_in": 1800}))
        server.serve(table, lambda request: Reply(body={"result": list(inventory.values())}) if request.headers.get(
            "Authorization") == "Bearer cmdb-bearer" else Reply(401, {"error": "unauthorized"}))
        job = ConnectorJob(spark, server, name="cmdb", secrets={"cmdb-client-id": "id-1", "cmdb-client-secret": "s3"},
                           settings={"url": f"{server.url}{table}", "records_path": "result",
                                     "token_url": f"{server.url}/oauth_token.do",
                                     "fields": {"key": "sys_id", "name": "name", "owner": "owned_by.value",
                                                "criticality": "business_criticality",
                                                "updated_at": "sys_updated_on"}})
        job.run("run-1")
        inventory["a2"] = {**inventory["a2"], "name": "Wiki (retired)", "sys_updated_on": "2026-11-21 07:00:00"}
        values = job.run("run-2")

    # What changed since the mark, and the record at the mark itself (inclusive): not the whole inventory.
    assert values["ingest"]["records_ingested"] == {"applications": 2}
    assert len(job.table("bronze", "applications")) == 5  # 3 + 2: a3 (older than the mark) not again
    apps = job.silver("applications")
    assert {k: (a["key"], a["name"], a["owner"], a["criticality"], a["updated_at"].isoformat())
            for k, a in apps.items()} == {
        "a1": ("a1", "Payments", "u7", "1 - most critical", "2026-11-20T08:15:00"),
        "a2": ("a2", "Wiki (retired)", "u9", "4 - not critical", "2026-11-21T07:00:00"),
        "a3": ("a3", "Intranet", "u9", "3 - less critical", "2026-11-01T00:00:00")}


def test_a_sonarqube_run_moves_projects_issues_and_hotspots_into_silver(spark):
    def paged(name: str, items: list) -> Reply:
        return Reply(body={"paging": {"pageIndex": 1, "pageSize": 500, "total": len(items)}, name: items})

    issue = {"key": "AX-1", "rule": "java:S2076", "severity": "CRITICAL", "component": "api:src/Main.java",
             "project": "api", "line": 42, "message": "Make sure this command is safe.", "type": "VULNERABILITY",
             "status": "OPEN", "creationDate": "2026-06-01T00:00:00+0000", "updateDate": "2026-11-20T08:15:00+0000"}
    hotspot = {"key": "HS-1", "component": "api:src/Db.java", "project": "api", "securityCategory": "sql-injection",
               "vulnerabilityProbability": "HIGH", "status": "TO_REVIEW", "line": 7, "message": "Check this query.",
               "creationDate": "2026-06-01T00:00:00+0000", "updateDate": "2026-11-19T10:00:00+0000",
               "ruleKey": "java:S2077"}
    with LoopbackServer() as server:
        server.serve("/api/components/search", lambda request: paged("components", [{"key": "api", "qualifier": "TRK"}]))
        server.serve("/api/components/show", lambda request: Reply(body={"component": {
            "key": "api", "name": "API", "qualifier": "TRK", "visibility": "private",
            "analysisDate": "2026-11-20T08:00:00+0000"}}))
        server.serve("/api/issues/search", lambda request: paged("issues", [issue]))
        server.serve("/api/hotspots/search", lambda request: paged("hotspots", [hotspot]))
        job = ConnectorJob(spark, server, name="sonarqube", settings={"base_url": server.url},
                           secrets={"sonarqube-token": "squ_jobRunToken"})
        values = job.run("run-1")

    assert values["ingest"]["records_ingested"] == {"issues": 1, "projects": 1, "security_hotspots": 1}
    [issue_row] = job.silver("issues").values()
    assert (issue_row["key"], issue_row["severity"], issue_row["line"], issue_row["updated_at"].isoformat()) == (
        "AX-1", "CRITICAL", 42, "2026-11-20T08:15:00")
    [hotspot_row] = job.silver("security_hotspots").values()
    assert (hotspot_row["security_category"], hotspot_row["vulnerability_probability"]) == ("sql-injection", "HIGH")
    assert job.silver("projects")["api"]["analysis_date"].isoformat() == "2026-11-20T08:00:00"
    assert {r.headers.get("Authorization") for r in server.requests} == {"Bearer squ_jobRunToken"}
