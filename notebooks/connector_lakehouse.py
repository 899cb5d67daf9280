"""Bronze, the high water mark and silver, in Spark: what the ingest and transform tasks do with a source.

Uploaded as a workspace file beside the entry notebooks. The contract it keeps:

- ingest: per entity, fetch every record changed since the entity's mark (inclusive), append them to
  `<catalog>.<bronze>.<connector>_<entity>` as one numbered batch, and only then advance the mark and the
  batch number in the state table. A crash between the two re-fetches on retry: bronze may hold a batch
  twice, never a gap.
- transform: per entity, read the committed bronze batches it has not yet processed (after the state's
  `transformed_batch`, up to its `ingested_batch`), parse them into typed columns, keep the latest version
  of each record (by the record's own updated-at, then batch, ingestion time, payload hash and run id: a
  total order, so the outcome never depends on read order), and merge that into silver in one atomic
  write, keeping whichever version is newer. Only then is `transformed_batch` advanced. Re-running a batch
  (a retry, a repair run, a crash before the state update) changes nothing: merging the same latest
  versions again is a no-op.

Everything but `DeltaTables`/`LocalParquetTables` is plain PySpark and runs the same everywhere. Those two
are the thin layer where a Databricks cluster and a local Spark session differ (see their docstrings).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol

from connector_runtime import RunParameters
from connector_source import SilverColumn, Source, format_timestamp
from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

CLOCK_SKEW_MARGIN = timedelta(minutes=5)  # how far the source's clock may run ahead of the cluster's
STATE_TABLE = "connector_state"  # in the bronze schema: one row per (connector, entity)
STATE_KEY = ("connector", "entity")

BRONZE_SCHEMA = T.StructType([
    T.StructField("source", T.StringType(), False),  # the connector's name
    T.StructField("entity", T.StringType(), False),
    T.StructField("record_key", T.StringType(), False),
    T.StructField("record_updated_at", T.TimestampType(), False),  # the record's own last change
    T.StructField("ingested_at", T.TimestampType(), False),
    T.StructField("job_run_id", T.StringType(), False),
    T.StructField("batch", T.LongType(), False),
    T.StructField("payload", T.StringType(), False),  # the record as the source returned it (JSON)
])

STATE_SCHEMA = T.StructType([
    T.StructField("connector", T.StringType(), False),
    T.StructField("entity", T.StringType(), False),
    T.StructField("high_water_mark", T.TimestampType(), True),  # newest record updated-at ingested so far
    T.StructField("ingested_batch", T.LongType(), False),  # last bronze batch committed with its mark
    T.StructField("transformed_batch", T.LongType(), False),  # last bronze batch merged into silver
    T.StructField("ingest_run_id", T.StringType(), True),
    T.StructField("transform_run_id", T.StringType(), True),
    T.StructField("updated_at", T.TimestampType(), False),
])
INGEST_STATE_COLUMNS = ("high_water_mark", "ingested_batch", "ingest_run_id", "updated_at")
TRANSFORM_STATE_COLUMNS = ("transformed_batch", "transform_run_id", "updated_at")

# Silver's lineage columns, beside the source's typed columns.
RECORD_KEY = "_record_key"
LINEAGE = (
    T.StructField(RECORD_KEY, T.StringType(), False),
    T.StructField("_source_updated_at", T.TimestampType(), False),
    T.StructField("_bronze_batch", T.LongType(), False),
    T.StructField("_ingested_at", T.TimestampType(), False),
    T.StructField("_payload_sha256", T.StringType(), False),
    T.StructField("_ingest_run_id", T.StringType(), False),
)
# Which version of a record wins, most significant first; every column descending.
VERSION_ORDER = ("_source_updated_at", "_bronze_batch", "_ingested_at", "_payload_sha256", "_ingest_run_id")

_SPARK_TYPES = {"STRING": T.StringType(), "BIGINT": T.LongType(), "INT": T.IntegerType(),
                "DOUBLE": T.DoubleType(), "BOOLEAN": T.BooleanType(), "TIMESTAMP": T.TimestampType()}
# Timestamp spellings sources use, all read as the same instant whatever the session's time zone: ISO 8601
# with Z or +hh:mm (GitHub), +hhmm (SonarQube), and no zone at all (ServiceNow-style CMDBs: UTC).
_ZONE_LESS = "^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]{1,9})?$"
_OFFSET_WITHOUT_COLON = "([+-][0-9]{2})([0-9]{2})$"


# ---------------------------------------------------------------------------------------------- table store


class TableStore(Protocol):
    """Where bronze, silver and the state live. Callers `ensure` a table (with its declared schema) before
    they append, merge or upsert into it."""

    def read(self, table: str) -> DataFrame | None: ...

    def ensure(self, table: str, schema: T.StructType) -> None: ...

    def append(self, table: str, rows: DataFrame) -> None: ...

    def merge_latest(self, table: str, latest: DataFrame) -> None: ...

    def upsert(self, table: str, rows: DataFrame, key: tuple[str, ...], columns: tuple[str, ...]) -> None: ...


class DeltaTables:
    """On Databricks: Unity Catalog tables in Delta. Appends and MERGEs are single Delta commits, so each
    write is atomic: a failed task leaves the table exactly as it was."""

    def __init__(self, spark: SparkSession) -> None:
        self.spark = spark

    def read(self, table: str) -> DataFrame | None:
        return self.spark.table(table) if self.spark.catalog.tableExists(table) else None

    def ensure(self, table: str, schema: T.StructType) -> None:
        self.spark.sql(f"CREATE TABLE IF NOT EXISTS {table} ({_ddl(schema)}) USING DELTA")

    def append(self, table: str, rows: DataFrame) -> None:
        rows.write.format("delta").mode("append").saveAsTable(table)

    def merge_latest(self, table: str, latest: DataFrame) -> None:
        view = _temp_view_name(table)
        latest.createOrReplaceTempView(view)
        self.spark.sql(merge_latest_statement(table, view))

    def upsert(self, table: str, rows: DataFrame, key: tuple[str, ...], columns: tuple[str, ...]) -> None:
        view = _temp_view_name(table)
        rows.createOrReplaceTempView(view)
        self.spark.sql(upsert_statement(table, view, key, columns, rows.columns))


class LocalParquetTables:
    """Local runs and tests only (no Delta: its jars cannot be fetched here): parquet tables in the Spark
    session's catalog, the three-part name `c.s.t` stored as database `c__s`, table `t`. A MERGE is replaced
    by rebuilding the table into a staging table and swapping it in: the same rows as the Delta MERGE (the
    tests check both against each other), and the old table stays intact until the new one is complete."""

    def __init__(self, spark: SparkSession) -> None:
        self.spark = spark

    def physical(self, table: str) -> str:
        catalog, schema, name = table.split(".")
        database = f"{catalog}__{schema}"
        self.spark.sql(f"CREATE DATABASE IF NOT EXISTS {database}")
        return f"{database}.{name}"

    def read(self, table: str) -> DataFrame | None:
        physical = self.physical(table)
        if not self.spark.catalog.tableExists(physical) and self.spark.catalog.tableExists(f"{physical}__previous"):
            self.spark.sql(f"ALTER TABLE {physical}__previous RENAME TO {physical}")  # a swap that crashed midway
        return self.spark.table(physical) if self.spark.catalog.tableExists(physical) else None

    def ensure(self, table: str, schema: T.StructType) -> None:
        if self.read(table) is None:
            self.spark.createDataFrame([], schema).write.format("parquet").saveAsTable(self.physical(table))

    def append(self, table: str, rows: DataFrame) -> None:
        rows.write.format("parquet").mode("append").saveAsTable(self.physical(table))

    def merge_latest(self, table: str, latest: DataFrame) -> None:
        current = self.read(table)
        combined = latest if current is None else current.unionByName(latest)
        self.replace(table, latest_versions(combined))

    def upsert(self, table: str, rows: DataFrame, key: tuple[str, ...], columns: tuple[str, ...]) -> None:
        current = self.read(table)
        if current is None:
            self.replace(table, rows)
            return
        new, old = rows.alias("s"), current.alias("t")
        joined = old.join(new, [old[k] == new[k] for k in key], "full_outer")
        in_new, in_old = F.col(f"s.{key[0]}").isNotNull(), F.col(f"t.{key[0]}").isNotNull()

        def pick(name: str) -> Column:  # as the MERGE: matched rows take `columns`, new rows come whole
            if name in key:
                return F.coalesce(F.col(f"s.{name}"), F.col(f"t.{name}"))
            if name in columns:
                return F.when(in_new, F.col(f"s.{name}")).otherwise(F.col(f"t.{name}"))
            return F.when(in_old, F.col(f"t.{name}")).otherwise(F.col(f"s.{name}"))

        merged = joined.select(*[pick(name).alias(name) for name in current.columns])
        self.replace(table, merged)

    def replace(self, table: str, rows: DataFrame) -> None:
        """Writes the whole new content beside the table, then swaps it in."""
        physical = self.physical(table)
        staging = f"{physical}__staging"
        self.spark.sql(f"DROP TABLE IF EXISTS {staging}")
        rows.write.format("parquet").saveAsTable(staging)
        self.swap(staging, physical)

    def swap(self, staging: str, physical: str) -> None:
        """The old table is renamed aside, not dropped, until the new one has its name: a crash in between
        leaves `<table>__previous`, which `read` restores."""
        previous = f"{physical}__previous"
        self.spark.sql(f"DROP TABLE IF EXISTS {previous}")
        if self.spark.catalog.tableExists(physical):
            self.spark.sql(f"ALTER TABLE {physical} RENAME TO {previous}")
        self.spark.sql(f"ALTER TABLE {staging} RENAME TO {physical}")
        self.spark.sql(f"DROP TABLE IF EXISTS {previous}")


def table_store(spark: SparkSession) -> TableStore:
    """Delta on a Databricks cluster (which sets DATABRICKS_RUNTIME_VERSION); local parquet anywhere else."""
    return DeltaTables(spark) if os.environ.get("DATABRICKS_RUNTIME_VERSION") else LocalParquetTables(spark)


# ----------------------------------------------------------------------------------------- SQL for Delta


def newer_condition(new: str, old: str, order: Iterable[str] = VERSION_ORDER) -> str:
    """SQL: the row aliased `new` is a later version than `old` in `order` (lexicographic, descending)."""
    columns = list(order)
    condition = f"{new}.{columns[-1]} > {old}.{columns[-1]}"
    for name in reversed(columns[:-1]):
        condition = f"({new}.{name} > {old}.{name} OR ({new}.{name} = {old}.{name} AND {condition}))"
    return condition


def merge_latest_statement(target: str, source_view: str) -> str:
    """Delta MERGE of one row per key into silver: insert new keys, replace a row only with a newer version."""
    return (f"MERGE INTO {target} AS t USING {source_view} AS s ON t.{RECORD_KEY} = s.{RECORD_KEY} "
            f"WHEN MATCHED AND {newer_condition('s', 't')} THEN UPDATE SET * "
            "WHEN NOT MATCHED THEN INSERT *")


def upsert_statement(target: str, source_view: str, key: tuple[str, ...], columns: tuple[str, ...],
                     all_columns: Iterable[str]) -> str:
    """Delta MERGE of state rows: update only `columns` of an existing row, insert a new row whole."""
    on = " AND ".join(f"t.{k} = s.{k}" for k in key)
    updates = ", ".join(f"t.{c} = s.{c}" for c in columns)
    names = list(all_columns)
    return (f"MERGE INTO {target} AS t USING {source_view} AS s ON {on} "
            f"WHEN MATCHED THEN UPDATE SET {updates} "
            f"WHEN NOT MATCHED THEN INSERT ({', '.join(names)}) VALUES ({', '.join('s.' + n for n in names)})")


def _temp_view_name(table: str) -> str:
    return "connector_" + table.replace(".", "_") + "_changes"


def _ddl(schema: T.StructType) -> str:
    return ", ".join(f"{f.name} {f.dataType.simpleString().upper()}" + ("" if f.nullable else " NOT NULL")
                     for f in schema.fields)


# ---------------------------------------------------------------------------------------------- state


@dataclass(frozen=True)
class EntityState:
    high_water_mark: datetime | None = None
    ingested_batch: int = 0
    transformed_batch: int = 0


def read_state(tables: TableStore, params: RunParameters) -> dict[str, EntityState]:
    current = tables.read(state_table(params))
    if current is None:
        return {}
    rows = current.where(F.col("connector") == params.source_name).select(
        "entity", F.unix_micros("high_water_mark").alias("mark_micros"), "ingested_batch", "transformed_batch",
    ).collect()
    return {row.entity: EntityState(_from_micros(row.mark_micros), row.ingested_batch, row.transformed_batch)
            for row in rows}


def state_table(params: RunParameters) -> str:
    return f"{params.bronze}.{STATE_TABLE}"


def _from_micros(micros: int | None) -> datetime | None:
    if micros is None:
        return None
    return datetime.fromtimestamp(micros // 1_000_000, tz=timezone.utc).replace(microsecond=micros % 1_000_000)


def _state_row(spark: SparkSession, params: RunParameters, entity: str, state: EntityState, now: datetime,
               ingest_run: str | None = None, transform_run: str | None = None) -> DataFrame:
    return spark.createDataFrame([(params.source_name, entity, state.high_water_mark, state.ingested_batch,
                                   state.transformed_batch, ingest_run, transform_run, now)], STATE_SCHEMA)


# ---------------------------------------------------------------------------------------------- ingest


@dataclass(frozen=True)
class IngestResult:
    records: dict[str, int] = field(default_factory=dict)  # per entity, records appended to bronze
    marks: dict[str, str] = field(default_factory=dict)  # per entity, the high water mark after the run

    def task_values(self) -> dict[str, Any]:
        """For `dbutils.jobs.taskValues.set`: the transform (and anyone after it) reads them."""
        return {"records_ingested": dict(sorted(self.records.items())),
                "high_water_marks": dict(sorted(self.marks.items()))}


def run_ingest(spark: SparkSession, tables: TableStore, source: Source, params: RunParameters,
               clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
               log: Callable[[str], None] = print) -> IngestResult:
    tables.ensure(state_table(params), STATE_SCHEMA)
    states = read_state(tables, params)
    records: dict[str, int] = {}
    marks: dict[str, str] = {}
    for entity in source.entities:
        prior = states.get(entity, EntityState())
        since = params.initial_mark if params.hwm_reset or prior.high_water_mark is None else prior.high_water_mark
        started = clock()
        fetched = list(source.fetch(entity, since))
        bronze = params.bronze_table(entity)
        tables.ensure(bronze, BRONZE_SCHEMA)
        state = prior
        if fetched:
            batch = prior.ingested_batch + 1
            ingested_at = clock()
            rows = [(params.source_name, entity, record.key, record.updated_at, ingested_at, params.job_run_id,
                     batch, json.dumps(record.payload, sort_keys=True, separators=(",", ":")))
                    for record in fetched]
            tables.append(bronze, spark.createDataFrame(rows, BRONZE_SCHEMA))  # committed before the mark moves
            # Never past the fetch's start (less a margin for clock skew): a record changed while the fetch
            # ran may sit in a page or slice already read, and must be read again by the next run.
            newest = min(max(record.updated_at for record in fetched), started - CLOCK_SKEW_MARGIN)
            mark = newest if prior.high_water_mark is None else max(newest, prior.high_water_mark)
            state = EntityState(mark, batch, prior.transformed_batch)
            tables.upsert(state_table(params), _state_row(spark, params, entity, state, clock(),
                                                          ingest_run=params.job_run_id),
                          STATE_KEY, INGEST_STATE_COLUMNS)
        records[entity] = len(fetched)
        marks[entity] = format_timestamp(state.high_water_mark) if state.high_water_mark else ""
        start = format_timestamp(since) if since else "the beginning"
        log(f"{params.source_name}.{entity}: {len(fetched)} record(s) changed since {start} -> {bronze}"
            + (f" (batch {state.ingested_batch})" if fetched else ""))
    return IngestResult(records, marks)


# ---------------------------------------------------------------------------------------------- transform


@dataclass(frozen=True)
class TransformResult:
    merged: dict[str, int] = field(default_factory=dict)  # per entity, latest versions merged into silver

    def task_values(self) -> dict[str, Any]:
        return {"records_merged": dict(sorted(self.merged.items()))}


def silver_schema(columns: tuple[SilverColumn, ...]) -> T.StructType:
    return T.StructType([T.StructField(c.name, _SPARK_TYPES[c.type], True) for c in columns] + list(LINEAGE))


def parse_bronze(bronze: DataFrame, columns: tuple[SilverColumn, ...]) -> DataFrame:
    """Bronze rows -> typed silver columns (unparseable values become NULL, never a failed run) and lineage."""
    return bronze.select(
        *[F.expr(typed_expression(c)).alias(c.name) for c in columns],
        F.col("record_key").alias(RECORD_KEY),
        F.col("record_updated_at").alias("_source_updated_at"),
        F.col("batch").alias("_bronze_batch"),
        F.col("ingested_at").alias("_ingested_at"),
        F.sha2("payload", 256).alias("_payload_sha256"),
        F.col("job_run_id").alias("_ingest_run_id"),
    )


def typed_expression(column: SilverColumn) -> str:
    """SQL reading one silver column out of the payload; try_cast, so that a value of the wrong shape is NULL
    under ANSI mode too. The path is safe to quote: SilverColumn only takes $.a.b paths."""
    raw = f"get_json_object(payload, '{column.path}')"
    if column.type == "STRING":
        return raw
    if column.type == "TIMESTAMP":
        # Only the cast's ISO parser: try_to_timestamp with a pattern raises, instead of returning NULL, on text
        # the legacy parser would have read differently (Spark's timeParserPolicy=EXCEPTION).
        iso = (f"CASE WHEN {raw} RLIKE '{_ZONE_LESS}' THEN concat({raw}, 'Z') "
               f"ELSE regexp_replace({raw}, '{_OFFSET_WITHOUT_COLON}', '$1:$2') END")
        return f"try_cast({iso} AS TIMESTAMP)"
    return f"try_cast({raw} AS {column.type})"


def latest_versions(rows: DataFrame) -> DataFrame:
    """One row per record key: its latest version in VERSION_ORDER."""
    window = Window.partitionBy(RECORD_KEY).orderBy(*[F.col(c).desc() for c in VERSION_ORDER])
    return rows.withColumn("_rank", F.row_number().over(window)).where("_rank = 1").drop("_rank")


def run_transform(spark: SparkSession, tables: TableStore, silver: Mapping[str, tuple[SilverColumn, ...]],
                  params: RunParameters, clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
                  log: Callable[[str], None] = print) -> TransformResult:
    tables.ensure(state_table(params), STATE_SCHEMA)
    states = read_state(tables, params)
    merged: dict[str, int] = {}
    for entity, columns in silver.items():
        target = params.silver_table(entity)
        tables.ensure(target, silver_schema(columns))
        state = states.get(entity, EntityState())
        bronze = tables.read(params.bronze_table(entity))
        if bronze is None or state.ingested_batch <= state.transformed_batch:
            merged[entity] = 0
            log(f"{params.source_name}.{entity}: nothing new in bronze (batch {state.transformed_batch} merged)")
            continue
        pending = bronze.where((F.col("batch") > state.transformed_batch) & (F.col("batch") <= state.ingested_batch))
        latest = latest_versions(parse_bronze(pending, columns)).cache()
        merged[entity] = latest.count()
        tables.merge_latest(target, latest)  # one atomic write; re-running it is a no-op
        latest.unpersist()
        done = EntityState(state.high_water_mark, state.ingested_batch, state.ingested_batch)
        tables.upsert(state_table(params), _state_row(spark, params, entity, done, clock(),
                                                      transform_run=params.job_run_id),
                      STATE_KEY, TRANSFORM_STATE_COLUMNS)
        log(f"{params.source_name}.{entity}: {merged[entity]} record(s) from bronze batches "
            f"{state.transformed_batch + 1}..{state.ingested_batch} merged into {target}")
    return TransformResult(merged)
