"""The gold table of open findings (notebooks/findings_gold.py, notebook gold_entry), on a real local Spark
session: silver is built the way the connector jobs build it (run_ingest then run_transform, from payloads shaped
like GitHub's and SonarQube's answers), then the gold refresh runs and its rows are checked exactly.

Tables are real Delta tables written by delta-rs (LocalDeltaTables), so the gold overwrite is one Delta overwrite
commit; the Databricks path's INSERT OVERWRITE (Spark SQL on Delta, whose jars cannot be fetched here) is checked as
text (sqlglot, Databricks dialect) and by running its query on the local session, through a stand-in that records
the SQL a Databricks cluster would run.
"""

from __future__ import annotations

import shutil
import sys
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
import sqlglot
from deltalake.exceptions import DeltaError
from pyspark.sql import functions as F
from pyspark.sql import types as T
from sqlglot import exp

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "notebooks"))

from connector_lakehouse import (  # noqa: E402
    DELETED_AT,
    LINEAGE,
    RECORD_KEY,
    DeltaTables,
    LocalDeltaTables,
    _ddl,
    run_ingest,
    run_transform,
)
from connector_runtime import RunParameters  # noqa: E402
from connector_source import SourceRecord, load_spec, parse_timestamp  # noqa: E402
from tests.delta_faults import crash_mid_write  # noqa: E402
from findings_gold import (  # noqa: E402
    FINDINGS,
    GITHUB_SEVERITY,
    GOLD_SCHEMA,
    SONARQUBE_HOTSPOT_SEVERITY,
    SONARQUBE_ISSUE_SEVERITY,
    WIDGETS,
    GoldConnector,
    GoldParameters,
    declare_widgets,
    insert_overwrite_statement,
    open_findings,
    overwrite_table,
    read_parameters,
    refresh_open_findings,
    severity_case,
)
from tests.dbutils_standin import StandInDbutils, StandInWidgets, run_notebook  # noqa: E402

CLOCK = datetime(2027, 1, 1, tzinfo=timezone.utc)  # after every record: marks are the records' own times
CREATED = "2026-11-01T08:00:00Z"
SONAR_CREATED = "2026-11-01T08:00:00+0000"
SONAR_TABLES = ("sonarqube_issues", "sonarqube_security_hotspots")


# ------------------------------------------------------------------------------------ sources and silver


class StubSource:
    """A source's records in memory, served as `fetch` promises: every record changed at or after `since`. Only
    the entities gold reads (the others would only make each connector run longer)."""

    def __init__(self, name: str, listed_whole: tuple[str, ...] = ()):
        self.entities = tuple(FINDINGS[name])
        self.records: dict[str, dict[str, SourceRecord]] = {entity: {} for entity in self.entities}
        self.listed_whole = listed_whole  # entities whose every record the source lists (listed_keys)

    def put(self, entity: str, key: str, payload: dict) -> None:
        updated = payload.get("updated_at") or payload["updateDate"]
        self.records[entity][key] = SourceRecord(entity, key, parse_timestamp(updated), payload)

    def fetch(self, entity: str, since: datetime | None) -> Iterator[SourceRecord]:
        return iter([r for r in self.records[entity].values() if since is None or r.updated_at >= since])

    def listed_keys(self, entity: str) -> frozenset[str] | None:
        return frozenset(self.records[entity]) if entity in self.listed_whole else None


def gh(repo: str, number: int, state: str, updated_at: str, **fields) -> dict:
    kind = fields.pop("kind")
    return {"number": number, "state": state, "created_at": CREATED, "updated_at": updated_at,
            "html_url": f"https://github.com/acme/{repo}/security/{kind}/{number}",
            "repository": {"full_name": f"acme/{repo}"}, **fields}


def code_alert(repo: str, number: int, state: str, severity: str | None, updated_at: str) -> dict:
    return gh(repo, number, state, updated_at, kind="code-scanning", tool={"name": "CodeQL"},
              rule={"id": "py/sql-injection", "security_severity_level": severity},
              most_recent_instance={"location": {"path": "app/db.py"}}, fixed_at=None, dismissed_at=None)


def dependabot_alert(repo: str, number: int, state: str, severity: str, updated_at: str, package: str, ghsa: str,
                     cve: str | None) -> dict:
    return gh(repo, number, state, updated_at, kind="dependabot",
              security_advisory={"severity": severity, "ghsa_id": ghsa, "cve_id": cve},
              dependency={"package": {"name": package, "ecosystem": "npm"}, "manifest_path": "package-lock.json"})


def secret_alert(repo: str, number: int, state: str, updated_at: str) -> dict:
    return gh(repo, number, state, updated_at, kind="secret-scanning", secret_type="github_personal_access_token",
              resolution=None if state == "open" else "revoked", push_protection_bypassed=False)


def issue(key: str, type_: str, severity: str, status: str, updated: str, issue_status: str | None = None,
          resolution: str | None = None, component: str = "acme-api:src/db.py", line: int | None = 42) -> dict:
    payload = {"key": key, "project": "acme-api", "component": component, "line": line,
               "rule": "pythonsecurity:S3649", "type": type_, "severity": severity, "status": status,
               "resolution": resolution, "message": f"Fix {key}", "creationDate": SONAR_CREATED, "updateDate": updated}
    if issue_status is not None:  # SonarQube 10.4 and later only
        payload["issueStatus"] = issue_status
    return payload


def hotspot(key: str, probability: str, status: str, updated: str, resolution: str | None = None) -> dict:
    return {"key": key, "project": "acme-api", "component": "acme-api:src/app.py", "line": 7,
            "ruleKey": "python:S4502", "securityCategory": "csrf", "vulnerabilityProbability": probability,
            "status": status, "resolution": resolution, "message": f"Review {key}", "creationDate": SONAR_CREATED,
            "updateDate": updated}


def github_source() -> StubSource:
    source = StubSource("github")
    for payload in (code_alert("api", 1, "open", "high", "2026-11-10T08:00:00Z"),
                    code_alert("api", 2, "open", None, "2026-11-10T09:00:00Z"),  # not a security rule
                    code_alert("web", 3, "dismissed", "high", "2026-11-10T10:00:00Z"),
                    code_alert("web", 4, "fixed", "critical", "2026-11-10T11:00:00Z")):
        source.put("code_scanning_alerts", f"{payload['repository']['full_name']}#{payload['number']}", payload)
    for payload in (dependabot_alert("api", 1, "open", "critical", "2026-11-11T08:00:00Z", "lodash",
                                     "GHSA-35jh-r3h4-6jhm", "CVE-2021-23337"),
                    dependabot_alert("web", 2, "open", "moderate", "2026-11-11T09:00:00Z", "minimist",
                                     "GHSA-xvch-5gv4-984h", None),  # a value outside the mapping
                    dependabot_alert("web", 3, "auto_dismissed", "low", "2026-11-11T10:00:00Z", "qs",
                                     "GHSA-hrpp-h998-j3pp", "CVE-2022-24999")):
        source.put("dependabot_alerts", f"{payload['repository']['full_name']}#{payload['number']}", payload)
    for payload in (secret_alert("api", 1, "open", "2026-11-12T08:00:00Z"),
                    secret_alert("api", 2, "resolved", "2026-11-12T09:00:00Z")):
        source.put("secret_scanning_alerts", f"{payload['repository']['full_name']}#{payload['number']}", payload)
    return source


def sonarqube_source(listed_whole: tuple[str, ...] = ()) -> StubSource:
    source = StubSource("sonarqube", listed_whole)
    for payload in (
            issue("AX1", "VULNERABILITY", "BLOCKER", "OPEN", "2026-11-13T08:00:00+0000", issue_status="OPEN"),
            issue("AX2", "VULNERABILITY", "CRITICAL", "CONFIRMED", "2026-11-13T09:00:00+0000"),  # before 10.4
            issue("AX3", "VULNERABILITY", "MAJOR", "REOPENED", "2026-11-13T10:00:00+0000", issue_status="OPEN"),
            issue("AX4", "VULNERABILITY", "MINOR", "RESOLVED", "2026-11-13T11:00:00+0000", issue_status="ACCEPTED",
                  resolution="WONTFIX"),
            issue("AX5", "VULNERABILITY", "INFO", "CLOSED", "2026-11-13T12:00:00+0000", issue_status="FIXED",
                  resolution="FIXED"),
            issue("AX6", "BUG", "BLOCKER", "OPEN", "2026-11-13T13:00:00+0000", issue_status="OPEN"),
            issue("AX7", "VULNERABILITY", "INFO", "CONFIRMED", "2026-11-13T14:00:00+0000", issue_status="CONFIRMED",
                  component="acme-api", line=None)):  # on the project itself: no path
        source.put("issues", payload["key"], payload)
    for payload in (hotspot("HS1", "HIGH", "TO_REVIEW", "2026-11-14T08:00:00+0000"),
                    hotspot("HS2", "MEDIUM", "REVIEWED", "2026-11-14T09:00:00+0000", "ACKNOWLEDGED"),
                    hotspot("HS3", "LOW", "REVIEWED", "2026-11-14T10:00:00+0000", "SAFE"),
                    hotspot("HS4", "HIGH", "REVIEWED", "2026-11-14T11:00:00+0000", "FIXED"),
                    hotspot("HS5", "LOW", "TO_REVIEW", "2026-11-14T12:00:00+0000")):
        source.put("security_hotspots", payload["key"], payload)
    return source


def run_connector(spark, catalog: str, name: str, source: StubSource, run_id: str, reads: str | None = None) -> None:
    """The connector job's two tasks, as the notebooks run them: ingest into bronze, transform into silver.
    `reads`: the connector's source; default: the source named like the connector."""
    reads = reads or name
    params = RunParameters(source_name=name, target_catalog=catalog, hwm_reset=False, source=reads, settings={},
                           secret_scope="mvp-connectors", secret_names=(), bronze=f"{catalog}.bronze",
                           silver=f"{catalog}.silver", initial_mark=None, job_run_id=run_id)
    tables = LocalDeltaTables(spark)
    quiet = lambda _: None  # noqa: E731
    run_ingest(spark, tables, source, params, clock=lambda: CLOCK, log=quiet)
    silver = load_spec(reads).silver({})
    run_transform(spark, tables, {entity: silver[entity] for entity in source.entities}, params,
                  clock=lambda: CLOCK, log=quiet)


def parameters(catalog: str, run_id: str, connectors: tuple[str, ...] = ("github", "sonarqube"),
               gold: str = "gold") -> GoldParameters:
    """`connectors` as the job parameter writes each: '<connector>:<source>' or '<connector>'."""
    return GoldParameters(catalog, "silver", gold, tuple(GoldConnector.parse(c) for c in connectors), run_id)


def gold_rows(spark, catalog: str, gold: str = "gold") -> list[tuple]:
    """Every gold row, in GOLD_SCHEMA's column order, timestamps as UTC text (the session's zone is UTC)."""
    frame = LocalDeltaTables(spark).read(f"{catalog}.{gold}.open_findings")
    assert frame is not None, f"{catalog}.{gold}.open_findings was never written"
    columns = [F.date_format(f.name, "yyyy-MM-dd'T'HH:mm:ss'Z'").alias(f.name)
               if isinstance(f.dataType, T.TimestampType) else F.col(f.name) for f in frame.schema.fields]
    return sorted(tuple(row) for row in frame.select(*columns).collect())


def catalog() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


def gold_schema() -> str:
    """A gold schema of the calling test's own, for tests that share a catalog's silver."""
    return f"gold_{uuid.uuid4().hex[:8]}"


def copy_of(spark, source_catalog: str) -> str:
    """A catalog of the calling test's own holding a copy of every table of `source_catalog` (a Delta log names
    its files relative to the table's folder, so a copied folder is the same table), for a test that goes on
    from a shared catalog's state and writes to it."""
    cat, root = catalog(), Path(LocalDeltaTables(spark).root)
    shutil.copytree(root / source_catalog, root / cat)
    return cat


@pytest.fixture(scope="module")
def both_ran(spark) -> str:
    """A catalog where the github and the sonarqube connector each ran once. Shared: tests only read its silver
    (each writes a gold schema of its own), so silver is built once for all of them."""
    cat = catalog()
    run_connector(spark, cat, "github", github_source(), "ingest-1")
    run_connector(spark, cat, "sonarqube", sonarqube_source(), "ingest-1")
    return cat


@pytest.fixture(scope="module")
def github_ran(spark) -> str:
    """A catalog where only the github connector ran (sonarqube's silver tables do not exist). Shared likewise."""
    cat = catalog()
    run_connector(spark, cat, "github", github_source(), "ingest-1")
    return cat


# The open findings of github_source() and sonarqube_source(), refreshed by `run`, as gold_rows gives them.
def github_findings(run: str) -> list[tuple]:
    url = "https://github.com/acme"
    return [
        ("github", "code_scanning_alerts", "acme/api#1", "py/sql-injection", "py/sql-injection", "high", "high",
         "open", "acme/api", "app/db.py", None, f"{url}/api/security/code-scanning/1", "2026-11-01T08:00:00Z",
         "2026-11-10T08:00:00Z", run),
        ("github", "code_scanning_alerts", "acme/api#2", "py/sql-injection", "py/sql-injection", None, None,
         "open", "acme/api", "app/db.py", None, f"{url}/api/security/code-scanning/2", "2026-11-01T08:00:00Z",
         "2026-11-10T09:00:00Z", run),
        ("github", "dependabot_alerts", "acme/api#1", "GHSA-35jh-r3h4-6jhm", "lodash: CVE-2021-23337", "critical",
         "critical", "open", "acme/api", "package-lock.json", None, f"{url}/api/security/dependabot/1",
         "2026-11-01T08:00:00Z", "2026-11-11T08:00:00Z", run),
        ("github", "dependabot_alerts", "acme/web#2", "GHSA-xvch-5gv4-984h", "minimist: GHSA-xvch-5gv4-984h", None,
         "moderate", "open", "acme/web", "package-lock.json", None, f"{url}/web/security/dependabot/2",
         "2026-11-01T08:00:00Z", "2026-11-11T09:00:00Z", run),
        ("github", "secret_scanning_alerts", "acme/api#1", "github_personal_access_token",
         "github_personal_access_token", "high", None, "open", "acme/api", None, None,
         f"{url}/api/security/secret-scanning/1", "2026-11-01T08:00:00Z", "2026-11-12T08:00:00Z", run),
    ]


def sonarqube_findings(run: str) -> list[tuple]:
    def row(entity, key, rule, title, severity, source_severity, status, path, line, updated):
        return ("sonarqube", entity, key, rule, title, severity, source_severity, status, "acme-api", path, line,
                None, "2026-11-01T08:00:00Z", updated, run)

    rule = "pythonsecurity:S3649"
    return [
        row("issues", "AX1", rule, "Fix AX1", "critical", "BLOCKER", "OPEN", "src/db.py", 42, "2026-11-13T08:00:00Z"),
        row("issues", "AX2", rule, "Fix AX2", "high", "CRITICAL", "CONFIRMED", "src/db.py", 42,
            "2026-11-13T09:00:00Z"),
        row("issues", "AX3", rule, "Fix AX3", "medium", "MAJOR", "OPEN", "src/db.py", 42, "2026-11-13T10:00:00Z"),
        row("issues", "AX7", rule, "Fix AX7", "info", "INFO", "CONFIRMED", None, None, "2026-11-13T14:00:00Z"),
        row("security_hotspots", "HS1", "python:S4502", "Review HS1", "high", "HIGH", "TO_REVIEW", "src/app.py", 7,
            "2026-11-14T08:00:00Z"),
        row("security_hotspots", "HS2", "python:S4502", "Review HS2", "medium", "MEDIUM", "ACKNOWLEDGED",
            "src/app.py", 7, "2026-11-14T09:00:00Z"),
        row("security_hotspots", "HS5", "python:S4502", "Review HS5", "low", "LOW", "TO_REVIEW", "src/app.py", 7,
            "2026-11-14T12:00:00Z"),
    ]


# ------------------------------------------------------------------------------------ the refresh


def test_gold_holds_exactly_the_open_findings_of_every_silver_table_normalised(spark, both_ran):
    cat, gold = both_ran, gold_schema()
    lines: list[str] = []

    result = refresh_open_findings(spark, LocalDeltaTables(spark), parameters(cat, "gold-1", gold=gold),
                                   log=lines.append)

    assert gold_rows(spark, cat, gold) == sorted(github_findings("gold-1") + sonarqube_findings("gold-1"))
    assert result.findings == 12
    assert result.skipped_tables == ()
    assert result.read_tables == tuple(f"{cat}.silver.{t}" for t in (
        "github_code_scanning_alerts", "github_dependabot_alerts", "github_secret_scanning_alerts",
        "sonarqube_issues", "sonarqube_security_hotspots"))
    assert result.task_values() == {"findings": 12, "skipped_tables": []}
    assert lines == [f"12 open finding(s) from 5 silver table(s) -> {cat}.{gold}.open_findings"]
    table = LocalDeltaTables(spark).read(f"{cat}.{gold}.open_findings")
    assert [(f.name, f.dataType) for f in table.schema.fields] == [(f.name, f.dataType) for f in GOLD_SCHEMA.fields]


def test_silver_tables_that_do_not_exist_are_skipped_and_named(spark, github_ran):
    cat = catalog()  # no connector ever ran here
    lines: list[str] = []
    nothing = refresh_open_findings(spark, LocalDeltaTables(spark), parameters(cat, "gold-1"), log=lines.append)
    every_table = tuple(f"{cat}.silver.{t}" for t in (
        "github_code_scanning_alerts", "github_dependabot_alerts", "github_secret_scanning_alerts", *SONAR_TABLES))
    assert (nothing.findings, nothing.read_tables, nothing.skipped_tables) == (0, (), every_table)
    assert gold_rows(spark, cat) == []  # the table exists, empty: readers can rely on it
    assert lines[0] == f"{cat}.silver.github_code_scanning_alerts: does not exist (connector 'github' never ran); " \
                       "skipped"

    gold = gold_schema()
    result = refresh_open_findings(spark, LocalDeltaTables(spark), parameters(github_ran, "gold-2", gold=gold),
                                   log=lambda _: None)
    assert result.task_values() == {"findings": 5,
                                    "skipped_tables": [f"{github_ran}.silver.{t}" for t in SONAR_TABLES]}
    assert gold_rows(spark, github_ran, gold) == github_findings("gold-2")


def test_a_connector_named_otherwise_than_its_source_is_read_with_its_sources_rules(spark, github_ran):
    """github renamed github_cloud (source: github): gold reads github_cloud's tables with GitHub's rules, and its
    rows are the same as before the rename; the old connector's frozen tables are not read."""
    cat, lines = copy_of(spark, github_ran), []  # github ran before the rename: its tables are frozen from now on
    cloud = github_source()
    cloud.put("secret_scanning_alerts", "acme/web#9", secret_alert("web", 9, "open", "2026-11-20T09:00:00Z"))
    run_connector(spark, cat, "github_cloud", cloud, "ingest-1", reads="github")
    run_connector(spark, cat, "sonar", sonarqube_source(), "ingest-1", reads="sonarqube")

    result = refresh_open_findings(spark, LocalDeltaTables(spark),
                                   parameters(cat, "gold-1", ("github_cloud:github", "sonar:sonarqube", "gitlab:github")),
                                   log=lines.append)

    leaked = ("github", "secret_scanning_alerts", "acme/web#9", "github_personal_access_token",
              "github_personal_access_token", "high", None, "open", "acme/web", None, None,
              "https://github.com/acme/web/security/secret-scanning/9", "2026-11-01T08:00:00Z",
              "2026-11-20T09:00:00Z", "gold-1")
    assert gold_rows(spark, cat) == sorted(github_findings("gold-1") + [leaked] + sonarqube_findings("gold-1"))
    assert result.read_tables == tuple(f"{cat}.silver.{t}" for t in (
        "github_cloud_code_scanning_alerts", "github_cloud_dependabot_alerts", "github_cloud_secret_scanning_alerts",
        "sonar_issues", "sonar_security_hotspots"))
    assert result.skipped_tables == tuple(f"{cat}.silver.gitlab_{entity}" for entity in FINDINGS["github"])
    assert lines[0] == f"{cat}.silver.gitlab_code_scanning_alerts: does not exist (connector 'gitlab' never ran); " \
                       "skipped"


def test_a_rerun_replaces_every_row_and_a_finding_closed_in_silver_disappears(spark, both_ran):
    cat = copy_of(spark, both_ran)
    github, sonarqube = github_source(), sonarqube_source()  # as both_ran's connectors read them
    tables = LocalDeltaTables(spark)
    refresh_open_findings(spark, tables, parameters(cat, "gold-1"), log=lambda _: None)

    again = refresh_open_findings(spark, tables, parameters(cat, "gold-2"), log=lambda _: None)
    assert again.findings == 12  # replaced, not appended
    assert gold_rows(spark, cat) == sorted(github_findings("gold-2") + sonarqube_findings("gold-2"))

    # The sources move on: a code scanning alert is fixed, a hotspot reviewed safe, a new secret leaks.
    github.put("code_scanning_alerts", "acme/api#1", code_alert("api", 1, "fixed", "high", "2026-11-20T08:00:00Z"))
    github.put("secret_scanning_alerts", "acme/web#9", secret_alert("web", 9, "open", "2026-11-20T09:00:00Z"))
    sonarqube.put("security_hotspots", "HS1",
                  hotspot("HS1", "HIGH", "REVIEWED", "2026-11-20T10:00:00+0000", "SAFE"))
    run_connector(spark, cat, "github", github, "ingest-2")
    run_connector(spark, cat, "sonarqube", sonarqube, "ingest-2")

    result = refresh_open_findings(spark, tables, parameters(cat, "gold-3"), log=lambda _: None)

    leaked = ("github", "secret_scanning_alerts", "acme/web#9", "github_personal_access_token",
              "github_personal_access_token", "high", None, "open", "acme/web", None, None,
              "https://github.com/acme/web/security/secret-scanning/9", "2026-11-01T08:00:00Z",
              "2026-11-20T09:00:00Z", "gold-3")
    closed = {("code_scanning_alerts", "acme/api#1"), ("security_hotspots", "HS1")}
    expected = [row for row in github_findings("gold-3") + sonarqube_findings("gold-3")
                if (row[1], row[2]) not in closed] + [leaked]
    assert gold_rows(spark, cat) == sorted(expected)
    assert result.findings == 11


def test_a_finding_the_source_no_longer_lists_is_not_in_gold_until_it_is_listed_again(spark):
    """SonarQube lists its hotspots whole: one whose code is gone is closed and no longer listed. Silver keeps its
    row with `_deleted_at` set; gold leaves it out, and has it again once the source lists it again."""
    cat, tables = catalog(), LocalDeltaTables(spark)
    sonarqube = sonarqube_source(listed_whole=("security_hotspots",))
    run_connector(spark, cat, "sonarqube", sonarqube, "ingest-1")
    refresh_open_findings(spark, tables, parameters(cat, "gold-1", ("sonarqube",)), log=lambda _: None)
    assert gold_rows(spark, cat) == sonarqube_findings("gold-1")

    gone = sonarqube.records["security_hotspots"].pop("HS1")  # open when last read, then closed: not listed
    run_connector(spark, cat, "sonarqube", sonarqube, "ingest-2")
    silver = tables.read(f"{cat}.silver.sonarqube_security_hotspots")
    assert {row[RECORD_KEY] for row in silver.where(F.col(DELETED_AT).isNotNull()).collect()} == {"HS1"}
    assert silver.count() == 5  # kept in silver, marked
    rule = FINDINGS["sonarqube"]["security_hotspots"]
    assert open_findings(silver, "sonarqube", "security_hotspots", rule, "r").count() == 2
    # a silver table from before deletions has no _deleted_at: every record counts
    assert open_findings(silver.drop(DELETED_AT), "sonarqube", "security_hotspots", rule, "r").count() == 3

    result = refresh_open_findings(spark, tables, parameters(cat, "gold-2", ("sonarqube",)), log=lambda _: None)
    assert gold_rows(spark, cat) == [row for row in sonarqube_findings("gold-2") if row[2] != "HS1"]
    assert result.findings == 6

    sonarqube.records["security_hotspots"]["HS1"] = gone  # listed again, unchanged (so not fetched again)
    run_connector(spark, cat, "sonarqube", sonarqube, "ingest-3")
    again = refresh_open_findings(spark, tables, parameters(cat, "gold-3", ("sonarqube",)), log=lambda _: None)
    assert gold_rows(spark, cat) == sonarqube_findings("gold-3")
    assert again.findings == 7


def test_a_refresh_that_fails_while_writing_leaves_the_previous_gold_intact(spark, github_ran, monkeypatch):
    cat, gold = github_ran, gold_schema()
    tables = LocalDeltaTables(spark)
    refresh_open_findings(spark, tables, parameters(cat, "gold-1", ("github",), gold), log=lambda _: None)

    version = tables.delta(f"{cat}.{gold}.open_findings").version()
    crash_mid_write(monkeypatch, "cluster lost", where=lambda schema: schema.names == GOLD_SCHEMA.names)
    with pytest.raises(DeltaError, match="RuntimeError: cluster lost"):  # raised inside delta-rs's write
        refresh_open_findings(spark, tables, parameters(cat, "gold-2", ("github",), gold), log=lambda _: None)
    assert gold_rows(spark, cat, gold) == github_findings("gold-1")
    assert tables.delta(f"{cat}.{gold}.open_findings").version() == version  # nothing committed


# ------------------------------------------------------------------------------------ the notebook


def test_the_notebook_refreshes_gold_and_sets_its_task_values(spark, github_ran, monkeypatch):
    monkeypatch.delenv("DATABRICKS_RUNTIME_VERSION", raising=False)  # local Delta (delta-rs), as every local run
    cat, gold = github_ran, gold_schema()
    run_values: dict = {}
    dbutils = StandInDbutils({"catalog": cat, "silver_schema": "silver", "gold_schema": gold,
                              "connectors": "github, sonarqube", "job_run_id": "991"},
                             run_values=run_values, task_key="gold")
    run_notebook("gold_entry", dbutils, spark)

    assert run_values == {"gold": {"findings": 5,
                                   "skipped_tables": [f"{cat}.silver.{t}" for t in SONAR_TABLES]}}
    assert gold_rows(spark, cat, gold) == github_findings("991")
    source = (Path(__file__).resolve().parents[2] / "notebooks" / "gold_entry.py").read_text()
    assert source.startswith("# Databricks notebook source\n") and "dbutils.widgets" in source


def declared_widgets(passed: dict[str, str]) -> StandInWidgets:
    """What the notebook's widgets hold: declared with their defaults, then the values the job passes."""
    widgets = StandInWidgets(passed)
    declare_widgets(widgets)
    return widgets


def test_parameters_come_from_widgets_and_bad_ones_are_all_named():
    declared = StandInWidgets({})
    declare_widgets(declared)
    assert declared.declared == dict(WIDGETS) == {"catalog": "", "silver_schema": "silver", "gold_schema": "gold",
                                                  "connectors": "github,sonarqube", "job_run_id": ""}
    params = read_parameters(declared_widgets({"catalog": "appsec_dev", "connectors": "sonarqube, github,sonarqube"}))
    assert params == GoldParameters("appsec_dev", "silver", "gold", (GoldConnector("sonarqube", "sonarqube"),
                                                                     GoldConnector("github", "github")), "interactive")
    assert (params.gold_table, params.silver_table("github", "dependabot_alerts")) == (
        "appsec_dev.gold.open_findings", "appsec_dev.silver.github_dependabot_alerts")

    with pytest.raises(ValueError) as raised:
        read_parameters(declared_widgets({"catalog": "Appsec Dev", "gold_schema": "", "connectors": "github,cmdb,x"}))
    assert str(raised.value) == (
        "bad job parameters: catalog='Appsec Dev' is not a lowercase identifier (e.g. 'appsec_dev', 'silver'); "
        "gold_schema='' is not a lowercase identifier (e.g. 'appsec_dev', 'silver'); connectors 'cmdb', 'x' read "
        "sources with no security findings to read (sources with findings: github, sonarqube; a connector named "
        "otherwise than its source is written <connector>:<source>)")
    with pytest.raises(ValueError) as raised:
        read_parameters(declared_widgets({"catalog": "c", "connectors": " , "}))
    assert str(raised.value) == "bad job parameters: connectors is empty (e.g. 'github_cloud:github,sonarqube')"


def test_a_connector_named_otherwise_than_its_source_is_written_with_its_source():
    params = read_parameters(declared_widgets({"catalog": "c", "connectors": "github_cloud:github, sonarqube,"
                                               "github_ghes : github,github_cloud:github"}))
    assert params.connectors == (GoldConnector("github_cloud", "github"), GoldConnector("sonarqube", "sonarqube"),
                                 GoldConnector("github_ghes", "github"))
    assert [str(c) for c in params.connectors] == ["github_cloud:github", "sonarqube", "github_ghes:github"]
    assert params.silver_table("github_cloud", "dependabot_alerts") == "c.silver.github_cloud_dependabot_alerts"


@pytest.mark.parametrize(("connectors", "message"), [
    ("github_cloud:", "connectors 'github_cloud:': each is <connector>:<source>, or <connector> where it is named "
                      "like its source, in lowercase identifiers (e.g. 'github_cloud:github,sonarqube')"),
    (":github,a:b:c,GitHub", "connectors ':github', 'a:b:c', 'GitHub': each is <connector>:<source>, or <connector> "
                             "where it is named like its source, in lowercase identifiers (e.g. "
                             "'github_cloud:github,sonarqube')"),
    ("github_cloud:github,github_cloud:sonarqube,github", "connectors 'github_cloud' (sources github, sonarqube) are "
                                                          "given more than one source; a connector reads one source"),
    ("github_cloud:cmdb,github_cloud", "connectors 'github_cloud' (sources cmdb, github_cloud) are given more than one "
                                       "source; a connector reads one source; connectors 'github_cloud:cmdb', "
                                       "'github_cloud' read sources with no security findings to read (sources with "
                                       "findings: github, sonarqube; a connector named otherwise than its source is "
                                       "written <connector>:<source>)"),
], ids=["no_source", "malformed", "two_sources", "renamed_without_its_source"])
def test_a_bad_connectors_parameter_is_named_with_the_form_it_takes(connectors, message):
    with pytest.raises(ValueError) as raised:
        read_parameters(declared_widgets({"catalog": "c", "connectors": connectors}))
    assert str(raised.value) == "bad job parameters: " + message


# ------------------------------------------------------------------------------------ the mapping


@pytest.mark.parametrize(("mapping", "cases"), [
    (GITHUB_SEVERITY, {"critical": "critical", "high": "high", "medium": "medium", "low": "low",
                       "moderate": None, "HIGH": None, None: None}),
    (SONARQUBE_ISSUE_SEVERITY, {"BLOCKER": "critical", "CRITICAL": "high", "MAJOR": "medium", "MINOR": "low",
                                "INFO": "info", "blocker": None, "HIGH": None, None: None}),
    (SONARQUBE_HOTSPOT_SEVERITY, {"HIGH": "high", "MEDIUM": "medium", "LOW": "low", "CRITICAL": None, None: None}),
], ids=["github", "sonarqube_issues", "sonarqube_hotspots"])
def test_severity_mapping_per_source_and_null_outside_it(spark, mapping, cases):
    frame = spark.createDataFrame([(value,) for value in cases], "value STRING")
    mapped = {row.value: row.severity for row in frame.select(
        "value", F.expr(severity_case("value", mapping)).alias("severity")).collect()}
    assert mapped == cases


def test_every_column_a_finding_rule_reads_is_a_silver_column_of_its_source():
    for source, entities in FINDINGS.items():
        spec = load_spec(source)
        silver = spec.silver(spec.with_defaults({}))
        for entity, rule in entities.items():
            assert entity in spec.entities
            known = {c.name for c in silver[entity]} | {f.name for f in LINEAGE}
            for expression in (rule.is_open, *rule.columns.values()):
                read = {c.name for c in sqlglot.parse_one(expression, read="databricks").find_all(exp.Column)}
                assert read <= known, (source, entity, expression, read - known)


# ------------------------------------------------------------------------------------ the Delta overwrite


class RecordingSpark:
    """Stand-in for a Databricks cluster's SQL endpoint (Delta, which local Spark cannot run): records it."""

    def __init__(self):
        self.statements: list[str] = []

    def sql(self, statement: str) -> None:
        self.statements.append(statement)


def test_delta_overwrite_is_one_insert_overwrite_after_ensure_with_a_recording_spark_stand_in(spark):
    rows = spark.createDataFrame([("github", "dependabot_alerts", "acme/api#1", None, None, "high", "high", "open",
                                   "acme/api", None, None, None, None, None, "run-1")], GOLD_SCHEMA)
    recorder = RecordingSpark()
    overwrite_table(DeltaTables(recorder), "cat.gold.open_findings", rows.select(*reversed(rows.columns)),
                    GOLD_SCHEMA)

    view = "gold_cat_gold_open_findings_refresh"
    assert recorder.statements == [
        f"CREATE TABLE IF NOT EXISTS cat.gold.open_findings ({_ddl(GOLD_SCHEMA)}) USING DELTA",
        insert_overwrite_statement("cat.gold.open_findings", view, GOLD_SCHEMA.names)]
    insert = sqlglot.parse_one(recorder.statements[1], read="databricks")
    assert isinstance(insert, exp.Insert) and insert.args["overwrite"]
    assert (insert.this.catalog, insert.this.db, insert.this.name) == ("cat", "gold", "open_findings")
    query = insert.expression
    assert [c.name for c in query.expressions] == GOLD_SCHEMA.names  # INSERT matches by position
    # Its query, run on the local session over the registered view, gives the rows in the table's column order.
    assert spark.sql(query.sql(dialect="spark")).collect() == rows.collect()

    with pytest.raises(TypeError, match="supports DeltaTables and LocalDeltaTables, not RecordingSpark"):
        overwrite_table(RecordingSpark(), "cat.gold.open_findings", rows, GOLD_SCHEMA)
