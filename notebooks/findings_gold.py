"""Gold: one row per open security finding, across the silver tables of the batch connectors.

Uploaded as a workspace file beside the notebooks; the notebook `gold_entry` runs it. The contract it keeps:

- Input: the parameter `connectors`, each connector with the source it reads: `<connector>:<source>`, or a
  bare `<connector>` where the connector is named like its source, separated by commas (e.g.
  `github_cloud:github,sonarqube`); the job writes it as `${connectors.sources.github,sonarqube}`, which synth
  derives from connectors.yaml, so a renamed or added connector is read without an edit (docs/jobs.md). The
  source picks the rules (FINDINGS, keyed by source), the connector the tables: the silver tables of the
  source's finding entities, `<catalog>.<silver>.<connector>_<entity>`. A silver table that does not exist yet
  (the connector never ran) is skipped and named in the result, never an error.
- Output: `<catalog>.<gold>.open_findings` (GOLD_SCHEMA), rebuilt whole on every run and written in ONE
  overwrite (`overwrite_table`): readers see the previous refresh or this one, never half of one. A finding
  closed in silver is simply absent from the next refresh, and so is one the source no longer lists (silver's
  `_deleted_at` is set, e.g. a SonarQube hotspot closed because its code is gone) until it is listed again;
  every row names the run that wrote it.
- What "open" means, per silver table, and how the source's severity becomes critical, high, medium, low or
  info (NULL when the source gives none or a value outside the mapping; `source_severity` keeps its own value):
  - github code_scanning_alerts: state 'open'; rule.security_severity_level critical, high, medium, low as
    they are (a rule that is not a security rule has none: NULL).
  - github dependabot_alerts: state 'open'; security_advisory.severity critical, high, medium, low as they are.
  - github secret_scanning_alerts: state 'open'; GitHub rates none, and a leaked credential counts as 'high'
    (SECRET_SCANNING_SEVERITY).
  - sonarqube issues: type VULNERABILITY only (bugs and code smells are not security findings) and still to
    fix: issueStatus OPEN or CONFIRMED (SonarQube 10.4+), or, where silver has no issueStatus, status OPEN,
    CONFIRMED or REOPENED (ACCEPTED, FALSE_POSITIVE, RESOLVED, CLOSED are not open); severity BLOCKER critical,
    CRITICAL high, MAJOR medium, MINOR low, INFO info.
  - sonarqube security_hotspots: status TO_REVIEW, or REVIEWED with resolution ACKNOWLEDGED (reviewed and found
    to be a risk that needs a fix; SAFE and FIXED are closed); vulnerabilityProbability HIGH high, MEDIUM
    medium, LOW low.

The `source` column holds the source (github, sonarqube), not the connector: what a row means follows the
source's rules, and readers of gold keep their filters when a connector is renamed. Two connectors of one
source that read the same records give a row each.

Silver keeps no link for SonarQube records (its base URL is a connector setting this job does not read), so their
`url` is NULL. Only `overwrite_table` differs between a Databricks cluster and a local session; the rest is
plain PySpark.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from connector_lakehouse import DELETED_AT, RECORD_KEY, DeltaTables, LocalDeltaTables, TableStore
from connector_runtime import INTERACTIVE_RUN, Widgets
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

GOLD_TABLE = "open_findings"
_IDENTIFIER = re.compile(r"[a-z][a-z0-9_]*")

GOLD_SCHEMA = T.StructType([
    T.StructField("source", T.StringType(), False),  # the source the connector reads: github, sonarqube
    T.StructField("entity", T.StringType(), False),
    T.StructField("finding_key", T.StringType(), False),  # silver's record key: unique within (source, entity)
    T.StructField("rule", T.StringType(), True),  # what the source flags: rule id, advisory, secret type
    T.StructField("title", T.StringType(), True),  # what a person reads: the message, else the rule
    T.StructField("severity", T.StringType(), True),  # critical, high, medium, low, info or NULL
    T.StructField("source_severity", T.StringType(), True),  # the source's own value, before the mapping
    T.StructField("status", T.StringType(), True),  # the source's own open state (open, OPEN, TO_REVIEW...)
    T.StructField("location", T.StringType(), True),  # repository full name or SonarQube project key
    T.StructField("path", T.StringType(), True),  # file within it, when the source names one
    T.StructField("line", T.IntegerType(), True),
    T.StructField("url", T.StringType(), True),
    T.StructField("created_at", T.TimestampType(), True),
    T.StructField("updated_at", T.TimestampType(), True),
    T.StructField("refreshed_by_run", T.StringType(), False),  # the job run that wrote this refresh
])
# Columns each FindingRule computes from its silver table; open_findings fills in the other four the same way for all.
MAPPED_COLUMNS = tuple(f.name for f in GOLD_SCHEMA.fields
                       if f.name not in ("source", "entity", "finding_key", "refreshed_by_run"))

GITHUB_SEVERITY = {"critical": "critical", "high": "high", "medium": "medium", "low": "low"}
SECRET_SCANNING_SEVERITY = "high"  # GitHub rates no secret scanning alert; a leaked credential is treated as high
SONARQUBE_ISSUE_SEVERITY = {"BLOCKER": "critical", "CRITICAL": "high", "MAJOR": "medium", "MINOR": "low",
                            "INFO": "info"}
SONARQUBE_HOTSPOT_SEVERITY = {"HIGH": "high", "MEDIUM": "medium", "LOW": "low"}
SONARQUBE_SECURITY_ISSUE_TYPES = ("VULNERABILITY",)


def severity_case(column: str, mapping: Mapping[str, str]) -> str:
    """SQL mapping the source's severity column; no ELSE, so a value outside the mapping is NULL."""
    whens = " ".join(f"WHEN '{source}' THEN '{normalised}'" for source, normalised in mapping.items())
    return f"CASE {column} {whens} END"


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


@dataclass(frozen=True)
class FindingRule:
    """How one silver table becomes findings: a SQL predicate for 'open' and a SQL expression per gold column,
    both over the silver table's own columns (the source's SPEC.silver)."""

    is_open: str
    columns: Mapping[str, str]  # every name in MAPPED_COLUMNS

    def __post_init__(self) -> None:
        if set(self.columns) != set(MAPPED_COLUMNS):
            raise ValueError(f"a finding rule maps exactly {', '.join(MAPPED_COLUMNS)}; got {sorted(self.columns)}")


def _github(rule: str, title: str, severity: str, source_severity: str, path: str) -> FindingRule:
    return FindingRule("state = 'open'", {
        "rule": rule, "title": title, "severity": severity, "source_severity": source_severity,
        "status": "state", "location": "repository", "path": path, "line": "NULL", "url": "html_url",
        "created_at": "created_at", "updated_at": "updated_at"})


def _sonarqube(is_open: str, rule: str, severity_column: str, mapping: Mapping[str, str], status: str) -> FindingRule:
    # A component is '<project>:<path>' (the project is already the location), or the project itself.
    path = ("CASE WHEN component = project THEN NULL WHEN startswith(component, concat(project, ':')) "
            "THEN substring(component, length(project) + 2) ELSE component END")
    return FindingRule(is_open, {
        "rule": rule, "title": f"coalesce(message, {rule})", "severity": severity_case(severity_column, mapping),
        "source_severity": severity_column, "status": status, "location": "project", "path": path, "line": "line",
        "url": "NULL", "created_at": "created_at", "updated_at": "updated_at"})


# source -> entity -> rule; a connector's rules are its source's (the `connectors` parameter names the source).
FINDINGS: dict[str, dict[str, FindingRule]] = {
    "github": {
        # Silver keeps no rule description, so the rule id is the title.
        "code_scanning_alerts": _github("rule_id", "rule_id", severity_case("severity", GITHUB_SEVERITY),
                                        "severity", "path"),
        "dependabot_alerts": _github("ghsa_id", "concat_ws(': ', package, coalesce(cve_id, ghsa_id))",
                                     severity_case("severity", GITHUB_SEVERITY), "severity", "manifest_path"),
        "secret_scanning_alerts": _github("secret_type", "secret_type", f"'{SECRET_SCANNING_SEVERITY}'", "NULL",
                                          "NULL"),
    },
    "sonarqube": {
        "issues": _sonarqube(
            f"{_in('type', SONARQUBE_SECURITY_ISSUE_TYPES)} AND coalesce({_in('issue_status', ('OPEN', 'CONFIRMED'))}, "
            f"{_in('status', ('OPEN', 'CONFIRMED', 'REOPENED'))})",
            "rule", "severity", SONARQUBE_ISSUE_SEVERITY, "coalesce(issue_status, status)"),
        "security_hotspots": _sonarqube(
            "status = 'TO_REVIEW' OR (status = 'REVIEWED' AND resolution = 'ACKNOWLEDGED')",
            "rule_key", "vulnerability_probability", SONARQUBE_HOTSPOT_SEVERITY, "coalesce(resolution, status)"),
    },
}


# ---------------------------------------------------------------------------------------------- parameters


# Widgets of the gold notebook; defaults apply to interactive runs only.
WIDGETS = (
    ("catalog", ""),
    ("silver_schema", "silver"),
    ("gold_schema", "gold"),
    ("connectors", "github,sonarqube"),  # whose silver tables to read: <connector>[:<source>],...
    ("job_run_id", ""),
)


@dataclass(frozen=True)
class GoldConnector:
    """A connector gold reads: its name prefixes its silver tables, its source picks the rules."""

    name: str
    source: str

    @classmethod
    def parse(cls, item: str) -> GoldConnector:
        """'<connector>:<source>', or '<connector>' where the connector is named like its source."""
        name, _, source = item.partition(":")
        return cls(name.strip(), source.strip() if ":" in item else name.strip())

    def __str__(self) -> str:
        """As the parameter writes it."""
        return self.name if self.name == self.source else f"{self.name}:{self.source}"


@dataclass(frozen=True)
class GoldParameters:
    catalog: str
    silver_schema: str
    gold_schema: str
    connectors: tuple[GoldConnector, ...]
    job_run_id: str

    def silver_table(self, connector: str, entity: str) -> str:
        return f"{self.catalog}.{self.silver_schema}.{connector}_{entity}"

    @property
    def gold_table(self) -> str:
        return f"{self.catalog}.{self.gold_schema}.{GOLD_TABLE}"


def declare_widgets(widgets: Widgets) -> None:
    for name, default in WIDGETS:
        widgets.text(name, default)


def read_parameters(widgets: Widgets) -> GoldParameters:
    """Reads and checks the widgets; raises ValueError naming every bad parameter at once (before any read)."""
    values = {name: widgets.get(name).strip() for name, _ in WIDGETS}
    problems = [f"{name}={values[name]!r} is not a lowercase identifier (e.g. 'appsec_dev', 'silver')"
                for name in ("catalog", "silver_schema", "gold_schema") if not _IDENTIFIER.fullmatch(values[name])]
    connectors, connector_problems = _connectors(values["connectors"])
    problems += connector_problems
    if problems:
        raise ValueError("bad job parameters: " + "; ".join(problems))
    return GoldParameters(values["catalog"], values["silver_schema"], values["gold_schema"], connectors,
                          values["job_run_id"] or INTERACTIVE_RUN)


def _connectors(value: str) -> tuple[tuple[GoldConnector, ...], list[str]]:
    """The `connectors` parameter, each connector once, and what is wrong with it."""
    items = [item.strip() for item in value.split(",") if item.strip()]
    if not items:
        return (), ["connectors is empty (e.g. 'github_cloud:github,sonarqube')"]
    malformed = [item for item in items if not all(_IDENTIFIER.fullmatch(part.strip()) for part in item.split(":"))
                 or item.count(":") > 1]
    if malformed:
        return (), [f"connectors {', '.join(repr(item) for item in malformed)}: each is <connector>:<source>, or "
                    "<connector> where it is named like its source, in lowercase identifiers "
                    "(e.g. 'github_cloud:github,sonarqube')"]
    connectors = tuple(dict.fromkeys(GoldConnector.parse(item) for item in items))
    problems = []
    sources: dict[str, list[str]] = {}
    for connector in connectors:
        sources.setdefault(connector.name, []).append(connector.source)
    twice = {name: listed for name, listed in sources.items() if len(listed) > 1}
    if twice:
        problems.append("connectors " + ", ".join(f"'{name}' (sources {', '.join(listed)})"
                                                  for name, listed in twice.items())
                        + " are given more than one source; a connector reads one source")
    unknown = [c for c in connectors if c.source not in FINDINGS]
    if unknown:
        problems.append(f"connectors {', '.join(repr(str(c)) for c in unknown)} read sources with "
                        f"no security findings to read (sources with findings: {', '.join(FINDINGS)}; a "
                        "connector named otherwise than its source is written <connector>:<source>)")
    return connectors, problems


# ---------------------------------------------------------------------------------------------- gold build


@dataclass(frozen=True)
class GoldResult:
    findings: int  # rows in the gold table after this refresh
    read_tables: tuple[str, ...]
    skipped_tables: tuple[str, ...]  # silver tables that do not exist (yet)

    def task_values(self) -> dict[str, Any]:
        """For `dbutils.jobs.taskValues.set`."""
        return {"findings": self.findings, "skipped_tables": list(self.skipped_tables)}


def open_findings(silver: DataFrame, source: str, entity: str, rule: FindingRule, job_run_id: str) -> DataFrame:
    """The open findings of one silver table of a connector of `source`, in GOLD_SCHEMA's columns and types. A
    record marked deleted in silver (`_deleted_at` set: the source's last full listing lacks it) is no finding;
    a silver table written before deletions has no such column, and none of its records is marked."""
    fixed = {"source": F.lit(source), "entity": F.lit(entity), "finding_key": F.col(RECORD_KEY),
             "refreshed_by_run": F.lit(job_run_id)}
    if DELETED_AT in silver.columns:
        silver = silver.where(F.col(DELETED_AT).isNull())
    return silver.where(F.expr(f"coalesce(({rule.is_open}), FALSE)")).select(*[
        (fixed[f.name] if f.name in fixed else F.expr(rule.columns[f.name])).cast(f.dataType).alias(f.name)
        for f in GOLD_SCHEMA.fields])


def build_open_findings(spark: SparkSession, tables: TableStore, params: GoldParameters,
                        log: Callable[[str], None] = print) -> tuple[DataFrame, list[str], list[str]]:
    """Every open finding of the connectors' silver tables (lazy), the tables read and the tables skipped."""
    parts: list[DataFrame] = []
    read: list[str] = []
    skipped: list[str] = []
    for connector in params.connectors:
        for entity, rule in FINDINGS[connector.source].items():
            table = params.silver_table(connector.name, entity)
            silver = tables.read(table)
            if silver is None:
                skipped.append(table)
                log(f"{table}: does not exist (connector '{connector.name}' never ran); skipped")
                continue
            read.append(table)
            parts.append(open_findings(silver, connector.source, entity, rule, params.job_run_id))
    findings = spark.createDataFrame([], GOLD_SCHEMA)
    for part in parts:
        findings = findings.unionByName(part)
    return findings, read, skipped


def refresh_open_findings(spark: SparkSession, tables: TableStore, params: GoldParameters,
                          log: Callable[[str], None] = print) -> GoldResult:
    """Rebuilds the gold table from silver in one overwrite; see the module docstring."""
    findings, read, skipped = build_open_findings(spark, tables, params, log)
    overwrite_table(tables, params.gold_table, findings, GOLD_SCHEMA)
    gold = tables.read(params.gold_table)
    assert gold is not None  # overwrite_table has just written it
    count = gold.count()  # what readers now see
    log(f"{count} open finding(s) from {len(read)} silver table(s) -> {params.gold_table}")
    return GoldResult(count, tuple(read), tuple(skipped))


# ---------------------------------------------------------------------------------------------- overwrite


def insert_overwrite_statement(target: str, source_view: str, columns: tuple[str, ...] | list[str]) -> str:
    """Delta: replace the whole content in one commit (readers see the old or the new version, never a mix). The
    table is kept, so its grants, history and declared schema stay; columns are listed in the table's order
    because INSERT matches them by position."""
    return f"INSERT OVERWRITE TABLE {target} SELECT {', '.join(columns)} FROM {source_view}"


def overwrite_table(tables: TableStore, table: str, rows: DataFrame, schema: T.StructType) -> None:
    """Creates `table` with `schema` if missing, then replaces its whole content by `rows` in one write.

    DeltaTables runs one INSERT OVERWRITE (rather than its `overwrite`, a DataFrame write), which keeps the
    table's declared schema and matches the columns by position; LocalDeltaTables one delta-rs overwrite commit
    (the previous version stays readable until it lands)."""
    if not isinstance(tables, (DeltaTables, LocalDeltaTables)):
        raise TypeError(f"overwrite_table supports DeltaTables and LocalDeltaTables, not {type(tables).__name__}")
    tables.ensure(table, schema)
    rows = rows.select(*schema.names)
    if isinstance(tables, DeltaTables):
        view = "gold_" + table.replace(".", "_") + "_refresh"
        rows.createOrReplaceTempView(view)
        tables.spark.sql(insert_overwrite_statement(table, view, schema.names))
    else:
        tables.overwrite(table, rows)
