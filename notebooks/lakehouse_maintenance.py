"""Table maintenance: compact the lakehouse's tables and refresh their statistics.

Uploaded as a workspace file beside the notebooks; the notebook `maintenance_entry` runs it. For every table of
the given schemas of a catalog (listed with SHOW TABLES; views are left out: there is nothing to compact) it runs

- `OPTIMIZE <table>`: rewrites small files into larger ones (Delta); the data stays the same;
- `ANALYZE TABLE <table> COMPUTE STATISTICS FOR ALL COLUMNS`: table and column statistics for the optimizer.

Data-safety rule of this project: maintenance never deletes data. No VACUUM (it removes the files older table
versions need, and with them time travel, the way back from a bad write), no DELETE, TRUNCATE, DROP, RESTORE or
retention change; only the two statements above, built by `maintenance_statements`. A schema that does not
exist is skipped and reported. A table whose maintenance fails (e.g. not a Delta table) is reported and the
others still run; the notebook then fails, after setting its task values, so the failure is seen.

Every identifier is quoted with backticks (a backtick inside a name doubled), so any table name is safe to use.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from connector_runtime import Widgets

# Widgets of the maintenance notebook; defaults apply to interactive runs only.
WIDGETS = (
    ("catalog", ""),
    ("schemas", "bronze,silver,gold"),
)


def quote_identifier(name: str) -> str:
    """`name` as a Databricks SQL identifier: in backticks, a backtick inside doubled."""
    return "`" + name.replace("`", "``") + "`"


def qualified_name(*parts: str) -> str:
    return ".".join(quote_identifier(part) for part in parts)


def maintenance_statements(catalog: str, schema: str, tables: Iterable[str]) -> list[str]:
    """The statements maintaining `tables` of `catalog`.`schema`, per table: OPTIMIZE, then ANALYZE. Pure."""
    statements = []
    for table in tables:
        name = qualified_name(catalog, schema, table)
        statements += [f"OPTIMIZE {name}", f"ANALYZE TABLE {name} COMPUTE STATISTICS FOR ALL COLUMNS"]
    return statements


@dataclass(frozen=True)
class MaintenanceParameters:
    catalog: str
    schemas: tuple[str, ...]


def declare_widgets(widgets: Widgets) -> None:
    for name, default in WIDGETS:
        widgets.text(name, default)


def read_parameters(widgets: Widgets) -> MaintenanceParameters:
    """Reads and checks the widgets; raises ValueError naming every bad parameter at once."""
    catalog = widgets.get("catalog").strip()
    schemas = tuple(dict.fromkeys(s.strip() for s in widgets.get("schemas").split(",") if s.strip()))
    problems = []
    if not catalog:
        problems.append("catalog is empty (e.g. 'appsec_dev')")
    if not schemas:
        problems.append("schemas is empty (e.g. 'bronze,silver,gold')")
    if problems:
        raise ValueError("bad job parameters: " + "; ".join(problems))
    return MaintenanceParameters(catalog, schemas)


def list_tables(spark: Any, catalog: str, schema: str) -> list[str] | None:
    """The tables (not views, not temporary views) of a schema, sorted; None if the schema does not exist."""
    schema_name = qualified_name(catalog, schema)
    if not spark.catalog.databaseExists(schema_name):
        return None
    # SHOW TABLES lists views too (and the session's temporary views): SHOW VIEWS names the ones to leave out.
    views = {row["viewName"] for row in spark.sql(f"SHOW VIEWS IN {schema_name}").collect()}
    return sorted(row["tableName"] for row in spark.sql(f"SHOW TABLES IN {schema_name}").collect()
                  if not row["isTemporary"] and row["tableName"] not in views)


@dataclass(frozen=True)
class MaintenanceResult:
    maintained: tuple[str, ...] = ()  # catalog.schema.table, every statement succeeded
    skipped_schemas: tuple[str, ...] = ()  # catalog.schema that do not exist
    failed: dict[str, str] = field(default_factory=dict)  # catalog.schema.table -> the first error

    def task_values(self) -> dict[str, Any]:
        """For `dbutils.jobs.taskValues.set`."""
        return {"maintained_tables": list(self.maintained), "skipped_schemas": list(self.skipped_schemas),
                "failed_tables": sorted(self.failed)}

    def raise_if_failed(self) -> None:
        if self.failed:
            raise RuntimeError(f"maintenance failed for {len(self.failed)} table(s): "
                               + "; ".join(f"{t}: {e}" for t, e in sorted(self.failed.items())))


def run_maintenance(spark: Any, params: MaintenanceParameters,
                    log: Callable[[str], None] = print) -> MaintenanceResult:
    """OPTIMIZE and ANALYZE every table of the schemas; see the module docstring."""
    maintained: list[str] = []
    skipped: list[str] = []
    failed: dict[str, str] = {}
    for schema in params.schemas:
        tables = list_tables(spark, params.catalog, schema)
        if tables is None:
            skipped.append(f"{params.catalog}.{schema}")
            log(f"{params.catalog}.{schema}: schema does not exist; skipped")
            continue
        for table in tables:
            name = f"{params.catalog}.{schema}.{table}"
            error = _maintain(spark, params.catalog, schema, table)
            if error is None:
                maintained.append(name)
                log(f"{name}: optimized, statistics computed")
            else:
                failed[name] = error
                log(f"{name}: {error}")
    return MaintenanceResult(tuple(maintained), tuple(skipped), failed)


def _maintain(spark: Any, catalog: str, schema: str, table: str) -> str | None:
    """Runs the table's statements in order; the first failure, as one line, or None."""
    for statement in maintenance_statements(catalog, schema, [table]):
        try:
            spark.sql(statement)
        except Exception as error:  # noqa: BLE001 - one table's failure must not stop the others' maintenance
            first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
            return f"{statement.split(' ', 1)[0]} failed: {first_line}"
    return None
