"""Silver's schema when a source's silver columns change: a new column merges with schema evolution (delta-rs's
merge_schema locally, Databricks' schema auto-merge setting on a cluster), a changed type is refused before
anything is written. Real Delta tables (LocalDeltaTables), read back through their Delta logs."""

from __future__ import annotations

import sys
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "notebooks"))

from connector_lakehouse import (  # noqa: E402
    SCHEMA_AUTO_MERGE,
    DeltaTables,
    LocalDeltaTables,
    SchemaChangeError,
    run_ingest,
    run_transform,
)
from connector_runtime import RunParameters  # noqa: E402
from tests.helpers import ListSource  # noqa: E402
from connector_source import SilverColumn, SourceRecord  # noqa: E402

UTC = timezone.utc
T0 = datetime(2026, 11, 20, 8, 15, tzinfo=UTC)
NAME = SilverColumn("name", "STRING", "$.name")
STARS = SilverColumn("stars", "BIGINT", "$.stars")


def params() -> RunParameters:
    cat = f"t{uuid.uuid4().hex[:10]}"
    return RunParameters(source_name="github", target_catalog=cat, hwm_reset=False, source="github", settings={},
                         secret_scope="mvp-connectors", secret_names=(), bronze=f"{cat}.bronze",
                         silver=f"{cat}.silver", initial_mark=None, job_run_id="run-1")


def rec(entity: str, key: str, updated: datetime, **payload) -> SourceRecord:
    return SourceRecord(entity, key, updated, payload)


def quiet(_: str) -> None:
    pass


def run(spark, tables, source, p, silver, day: int):
    run_ingest(spark, tables, source, p, clock=lambda: T0 + timedelta(days=day), log=quiet)
    return run_transform(spark, tables, silver, p, clock=lambda: T0 + timedelta(days=day), log=quiet)


def rows(tables, table, *columns):
    return sorted(tuple(r) for r in tables.read(table).select(*columns).collect())


def test_a_new_silver_column_is_added_by_schema_evolution_and_filled_from_then_on(spark):
    tables, p = LocalDeltaTables(spark), params()
    source = ListSource({"repositories": [rec("repositories", "a", T0, name="a", stars=1, topic="x")]})
    run(spark, tables, source, p, {"repositories": (NAME,)}, 1)
    table = p.silver_table("repositories")
    assert "stars" not in tables.read(table).columns

    source.records["repositories"] = [rec("repositories", "b", T0 + timedelta(hours=1), name="b", stars=2)]
    run(spark, tables, source, p, {"repositories": (NAME, STARS)}, 2)

    silver = tables.read(table)
    assert silver.columns[:2] == ["name", "_record_key"] and "stars" in silver.columns
    assert rows(tables, table, "_record_key", "name", "stars") == [("a", "a", None), ("b", "b", 2)]
    assert tables.delta(table).history()[0]["operation"] == "MERGE"
    assert [f.name for f in tables.delta(table).schema().fields].count("stars") == 1


@pytest.mark.parametrize(("old", "new", "was", "now"), [
    (SilverColumn("stars", "STRING", "$.stars"), STARS, "STRING", "BIGINT"),
    (STARS, SilverColumn("stars", "INT", "$.stars"), "BIGINT", "INT"),
    (SilverColumn("pushed_at", "TIMESTAMP", "$.pushed_at"), SilverColumn("pushed_at", "STRING", "$.pushed_at"),
     "TIMESTAMP", "STRING"),
])
def test_a_changed_column_type_is_refused_before_any_write(spark, old, new, was, now):
    tables, p = LocalDeltaTables(spark), params()
    source = ListSource({"repositories": [rec("repositories", "a", T0, name="a", stars=1, pushed_at="x")],
                         "dependabot_alerts": [rec("dependabot_alerts", "a#1", T0, name="n")]})
    run(spark, tables, source, p, {"repositories": (NAME, old), "dependabot_alerts": (NAME,)}, 1)
    source.records["repositories"] = [rec("repositories", "b", T0 + timedelta(hours=1), name="b", stars=2)]
    source.records["dependabot_alerts"] = [rec("dependabot_alerts", "a#2", T0 + timedelta(hours=1), name="m")]
    run_ingest(spark, tables, source, p, clock=lambda: T0 + timedelta(days=2), log=quiet)
    logs = {t: tables.delta(t).version() for t in (p.silver_table("repositories"), p.silver_table("dependabot_alerts"),
                                                    f"{p.bronze}.connector_state")}

    # dependabot_alerts comes first and is unchanged: it is not merged either, since the run is refused whole.
    with pytest.raises(SchemaChangeError) as refused:
        run_transform(spark, tables, {"dependabot_alerts": (NAME,), "repositories": (NAME, new)}, p, log=quiet)

    table = p.silver_table("repositories")
    assert str(refused.value) == (
        f"nothing was written: silver table {table}: column '{new.name}' is {was} in the table but {now} in the "
        f"silver columns of source 'github'; a Delta MERGE cannot change a column's type. Fix: declare "
        f"'{new.name}' as {was} again in SILVER of notebooks/source_github.py, or give the {now} values a new "
        "column name (a new column is added by schema evolution)")
    assert {t: tables.delta(t).version() for t in logs} == logs  # no commit in any Delta log


def test_every_type_change_is_named_at_once_and_a_same_type_look_alike_passes(spark):
    tables, p = LocalDeltaTables(spark), params()
    source = ListSource({"repositories": [rec("repositories", "a", T0, name="a", stars=1)]})
    run(spark, tables, source, p, {"repositories": (NAME, STARS)}, 1)
    changed = (SilverColumn("name", "BIGINT", "$.name"), SilverColumn("stars", "DOUBLE", "$.stars"))
    with pytest.raises(SchemaChangeError) as refused:
        run_transform(spark, tables, {"repositories": changed}, p, log=quiet)
    assert str(refused.value).count("silver table") == 2
    assert "column 'name' is STRING in the table but BIGINT" in str(refused.value)
    assert "column 'stars' is BIGINT in the table but DOUBLE" in str(refused.value)

    # The same types from another JSON path, in another order, one column dropped: not a type change.
    source.records["repositories"] = [rec("repositories", "b", T0 + timedelta(hours=1), login="b", stars=2)]
    run(spark, tables, source, p, {"repositories": (STARS, SilverColumn("name", "STRING", "$.login"))}, 2)
    assert rows(tables, p.silver_table("repositories"), "_record_key", "name", "stars") == [("a", "a", 1), ("b", "b", 2)]


def test_a_dropped_silver_column_stays_in_the_table_null_in_rows_merged_from_then_on(spark):
    tables, p = LocalDeltaTables(spark), params()
    source = ListSource({"repositories": [rec("repositories", "a", T0, name="a", stars=1)]})
    run(spark, tables, source, p, {"repositories": (NAME, STARS)}, 1)
    source.records["repositories"] = [rec("repositories", "a", T0 + timedelta(hours=1), name="a2", stars=5),
                                      rec("repositories", "b", T0 + timedelta(hours=1), name="b", stars=2)]
    run(spark, tables, source, p, {"repositories": (NAME,)}, 2)
    assert rows(tables, p.silver_table("repositories"), "_record_key", "name", "stars") == [
        ("a", "a2", 1), ("b", "b", None)]


class RecordingConf:
    def __init__(self, values):
        self.values, self.seen = dict(values), []

    def get(self, key, default=None):
        return self.values.get(key, default)

    def set(self, key, value):
        self.values[key] = value

    def unset(self, key):
        self.values.pop(key, None)


class RecordingSpark:
    """The workspace edge: what DeltaTables sends to a Databricks cluster's session, recorded."""

    def __init__(self, values):
        self.conf = RecordingConf(values)
        self.statements = []

    def sql(self, statement):
        self.statements.append((statement, self.conf.get(SCHEMA_AUTO_MERGE)))


class View:
    def createOrReplaceTempView(self, name):  # noqa: N802 (Spark's naming)
        self.name = name


@pytest.mark.parametrize("before", [None, "false", "true"])
def test_simulated_databricks_merge_runs_with_schema_auto_merge_on_and_restores_the_setting(before):
    spark = RecordingSpark({} if before is None else {SCHEMA_AUTO_MERGE: before})
    DeltaTables(spark).merge_latest("cat.silver.github_repositories", View())
    [(statement, setting)] = spark.statements
    assert statement.startswith("MERGE INTO cat.silver.github_repositories AS t USING ") and setting == "true"
    assert spark.conf.values == ({} if before is None else {SCHEMA_AUTO_MERGE: before})
