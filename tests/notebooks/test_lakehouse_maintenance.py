"""Table maintenance (notebooks/lakehouse_maintenance.py, notebook maintenance_entry): the exact SQL it sends, that
every statement is valid Databricks SQL with every identifier quoted, that it never deletes data, and a whole
notebook run on the local Spark session.

OPTIMIZE is Delta's, which local Spark does not have (no Delta jars here), so the notebook run uses a stand-in for
that one statement only (`OptimizeStandInSpark`); SHOW TABLES, SHOW VIEWS, the schema check and ANALYZE TABLE run
for real on local parquet tables."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "notebooks"))

from lakehouse_maintenance import (  # noqa: E402
    WIDGETS,
    MaintenanceParameters,
    declare_widgets,
    maintenance_statements,
    quote_identifier,
    read_parameters,
    run_maintenance,
)
from tests.dbutils_standin import StandInDbutils, StandInWidgets, run_notebook  # noqa: E402

ODD_NAMES = ["a`b", "``", "with space", "semi;colon", "dot.ted", "DROP TABLE x", "ünïcode", "-dash", "1digit"]


def parse(statement: str) -> exp.Expr:
    return sqlglot.parse_one(statement, read="databricks")


def table_parts(table: exp.Table) -> tuple[str, str, str]:
    assert all(part.args.get("quoted") for part in table.parts), table  # every identifier quoted
    return table.catalog, table.db, table.name


# ------------------------------------------------------------------------------------ the pure SQL


def test_statements_are_optimize_then_analyze_per_table_in_the_given_order():
    assert maintenance_statements("appsec_dev", "silver", ["github_repositories", "sonarqube_issues"]) == [
        "OPTIMIZE `appsec_dev`.`silver`.`github_repositories`",
        "ANALYZE TABLE `appsec_dev`.`silver`.`github_repositories` COMPUTE STATISTICS FOR ALL COLUMNS",
        "OPTIMIZE `appsec_dev`.`silver`.`sonarqube_issues`",
        "ANALYZE TABLE `appsec_dev`.`silver`.`sonarqube_issues` COMPUTE STATISTICS FOR ALL COLUMNS",
    ]
    assert maintenance_statements("appsec_dev", "silver", []) == []


def test_a_backtick_inside_a_name_is_doubled():
    assert quote_identifier("a`b") == "`a``b`"
    assert quote_identifier("``") == "``````"
    assert maintenance_statements("c`at", "s", ["t`"]) == [
        "OPTIMIZE `c``at`.`s`.`t```",
        "ANALYZE TABLE `c``at`.`s`.`t``` COMPUTE STATISTICS FOR ALL COLUMNS"]


@pytest.mark.parametrize("name", ODD_NAMES)
def test_every_statement_parses_as_databricks_sql_naming_exactly_the_table(name):
    """sqlglot reads ANALYZE TABLE fully. It has no grammar for Delta's OPTIMIZE and keeps it as a command, so
    its argument is parsed on its own as a table name: one table, the three names given, nothing after it."""
    optimize, analyze = maintenance_statements(f"cat {name}", name, [name])

    parsed = parse(analyze)
    assert isinstance(parsed, exp.Analyze) and parsed.args["kind"] == "TABLE"
    assert [table_parts(t) for t in parsed.args["tables"]] == [(f"cat {name}", name, name)]
    assert parsed.args["expression"].sql(dialect="databricks") == "COMPUTE STATISTICS FOR ALL COLUMNS"
    assert parsed.sql(dialect="databricks") == analyze  # nothing dropped or reinterpreted

    command = parse(optimize)
    assert isinstance(command, exp.Command) and command.this == "OPTIMIZE"
    target = sqlglot.parse_one(command.expression.name, read="databricks", into=exp.Table)
    assert table_parts(target) == (f"cat {name}", name, name)
    assert target.sql(dialect="databricks") == command.expression.name


def test_maintenance_never_deletes_data():
    """The data-safety rule: only OPTIMIZE and ANALYZE, never VACUUM or anything else that removes data."""
    statements = maintenance_statements("c", "s", ["t", "vacuum", "DROP TABLE t"])
    assert {s.split(" ", 1)[0] for s in statements} == {"OPTIMIZE", "ANALYZE"}
    for statement in statements:
        parsed = parse(statement)
        assert not list(parsed.find_all(exp.Drop, exp.Delete, exp.TruncateTable, exp.Update))
        assert not statement.upper().startswith(("VACUUM", "DELETE", "DROP", "TRUNCATE", "RESTORE", "ALTER"))


# ------------------------------------------------------------------------------------ parameters


def test_widgets_are_catalog_and_schemas_and_bad_values_are_all_named():
    declared = StandInWidgets({})
    declare_widgets(declared)
    assert declared.declared == dict(WIDGETS) == {"catalog": "", "schemas": "bronze,silver,gold"}
    params = read_parameters(StandInWidgets({"catalog": "appsec_dev", "schemas": " bronze, silver,,gold,silver "}))
    assert params == MaintenanceParameters("appsec_dev", ("bronze", "silver", "gold"))
    with pytest.raises(ValueError) as raised:
        read_parameters(StandInWidgets({"catalog": " ", "schemas": ", ,"}))
    assert str(raised.value) == ("bad job parameters: catalog is empty (e.g. 'appsec_dev'); schemas is empty "
                                 "(e.g. 'bronze,silver,gold')")


# ------------------------------------------------------------------------------------ a run on local Spark


class OptimizeStandInSpark:
    """The local Spark session, except Delta's OPTIMIZE (the Databricks edge: local Spark has no Delta), which
    is recorded and, for the tables in `optimize_fails`, fails the way OPTIMIZE fails on a non-Delta table.
    Every statement is recorded; all but OPTIMIZE run for real."""

    def __init__(self, spark, optimize_fails: tuple[str, ...] = ()):
        self.spark, self.optimize_fails = spark, optimize_fails
        self.statements: list[str] = []
        self.catalog = spark.catalog

    def sql(self, statement: str, *args, **kwargs):
        self.statements.append(statement)
        if statement.startswith("OPTIMIZE "):
            if any(statement.endswith(f".`{table}`") for table in self.optimize_fails):
                raise RuntimeError("[DELTA_ONLY_OPERATION] OPTIMIZE is only supported for Delta tables.\nmore")
            return self.spark.createDataFrame([], "path STRING")
        return self.spark.sql(statement, *args, **kwargs)


@pytest.fixture
def local_schemas(spark):
    """Two local schemas with parquet tables, a view and a temporary view (local Spark keeps a catalog's
    schemas in `spark_catalog`: the stand-in names that as the catalog)."""
    prefix = f"m{uuid.uuid4().hex[:10]}"
    bronze, silver = f"{prefix}_bronze", f"{prefix}_silver"
    for schema in (bronze, silver):
        spark.sql(f"CREATE DATABASE {schema}")
    spark.range(3).write.format("parquet").saveAsTable(f"{bronze}.github_repositories")
    spark.range(5).write.format("parquet").saveAsTable(f"{silver}.github_repositories")
    spark.range(2).write.format("parquet").saveAsTable(f"{silver}.sonarqube_issues")
    spark.sql(f"CREATE VIEW {silver}.open_repositories AS SELECT id FROM {silver}.github_repositories")
    spark.range(1).createOrReplaceTempView(f"{prefix}_temporary")
    yield prefix, bronze, silver
    spark.catalog.dropTempView(f"{prefix}_temporary")


def statistics(spark, table: str) -> str | None:
    rows = spark.sql(f"DESCRIBE TABLE EXTENDED {table}").collect()
    return next((row.data_type for row in rows if row.col_name == "Statistics"), None)


def test_notebook_on_local_spark_with_an_optimize_stand_in_maintains_tables_and_skips_a_missing_schema(
        spark, local_schemas):
    prefix, bronze, silver = local_schemas
    stand_in = OptimizeStandInSpark(spark)
    run_values: dict = {}
    dbutils = StandInDbutils({"catalog": "spark_catalog", "schemas": f"{bronze},{silver},{prefix}_gold"},
                             run_values=run_values, task_key="maintenance")
    run_notebook("maintenance_entry", dbutils, stand_in)

    assert run_values == {"maintenance": {
        "maintained_tables": [f"spark_catalog.{bronze}.github_repositories",
                              f"spark_catalog.{silver}.github_repositories",
                              f"spark_catalog.{silver}.sonarqube_issues"],
        "skipped_schemas": [f"spark_catalog.{prefix}_gold"],
        "failed_tables": []}}
    maintenance = [s for s in stand_in.statements if not s.startswith("SHOW ")]
    assert maintenance == (maintenance_statements("spark_catalog", bronze, ["github_repositories"])
                           + maintenance_statements("spark_catalog", silver, ["github_repositories",
                                                                                "sonarqube_issues"]))
    # ANALYZE really ran: the statistics are there, column statistics included.
    assert statistics(spark, f"{silver}.sonarqube_issues").endswith(" bytes, 2 rows")
    assert statistics(spark, f"{bronze}.github_repositories").endswith(" bytes, 3 rows")
    column = {r.info_name: r.info_value for r in spark.sql(f"DESCRIBE TABLE EXTENDED {silver}.sonarqube_issues id")
              .collect()}
    assert (column["min"], column["max"], column["distinct_count"]) == ("0", "1", "2")


def test_a_failing_table_is_reported_the_others_still_run_and_the_notebook_fails_with_an_optimize_stand_in(
        spark, local_schemas):
    prefix, bronze, silver = local_schemas
    stand_in = OptimizeStandInSpark(spark, optimize_fails=("sonarqube_issues",))
    run_values: dict = {}
    dbutils = StandInDbutils({"catalog": "spark_catalog", "schemas": f"{silver},{bronze}"}, run_values=run_values,
                             task_key="maintenance")
    with pytest.raises(RuntimeError) as raised:
        run_notebook("maintenance_entry", dbutils, stand_in)

    failure = "OPTIMIZE failed: [DELTA_ONLY_OPERATION] OPTIMIZE is only supported for Delta tables."
    assert str(raised.value) == f"maintenance failed for 1 table(s): spark_catalog.{silver}.sonarqube_issues: {failure}"
    assert run_values["maintenance"] == {  # set before the failure
        "maintained_tables": [f"spark_catalog.{silver}.github_repositories",
                              f"spark_catalog.{bronze}.github_repositories"],
        "skipped_schemas": [], "failed_tables": [f"spark_catalog.{silver}.sonarqube_issues"]}
    assert f"ANALYZE TABLE `spark_catalog`.`{silver}`.`sonarqube_issues` COMPUTE STATISTICS FOR ALL COLUMNS" \
        not in stand_in.statements  # its remaining statement is not attempted
    assert statistics(spark, f"{silver}.sonarqube_issues") is None


def test_run_maintenance_logs_each_table_and_each_skipped_schema(spark, local_schemas):
    prefix, bronze, _ = local_schemas
    lines: list[str] = []
    result = run_maintenance(OptimizeStandInSpark(spark), MaintenanceParameters(
        "spark_catalog", (f"{prefix}_nope", bronze)), log=lines.append)
    assert lines == [f"spark_catalog.{prefix}_nope: schema does not exist; skipped",
                     f"spark_catalog.{bronze}.github_repositories: optimized, statistics computed"]
    assert result.maintained == (f"spark_catalog.{bronze}.github_repositories",)
