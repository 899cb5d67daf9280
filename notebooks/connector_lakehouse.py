"""Bronze, the high water mark and silver, in Spark: what the ingest and transform tasks do with a source.

Uploaded as a workspace file beside the entry notebooks. The contract it keeps:

- ingest: per entity, fetch every record changed since the entity's mark (inclusive), append them to
  `<catalog>.<bronze>.<connector>_<entity>` as one numbered batch, written in numbered chunks of
  CHUNK_RECORDS (a commit each, so the driver never holds a whole backfill), and only once every chunk has
  committed advance the mark and the batch number in the state table. A crash before that re-fetches on
  retry: bronze may hold a batch (or some of its chunks) twice, never a gap.
- transform: per entity, read the committed bronze batches it has not yet processed (after the state's
  `transformed_batch`, up to its `ingested_batch`), parse them into typed columns, keep the latest version
  of each record (by the record's own updated-at, then batch, ingestion time, payload hash and run id: a
  total order, so the outcome never depends on read order), and merge that into silver in one atomic
  write, keeping whichever version is newer. Only then is `transformed_batch` advanced. Re-running a batch
  (a retry, a repair run, a crash before the state update) changes nothing: merging the same latest
  versions again is a no-op.

Everything but `DeltaTables`/`LocalDeltaTables` is plain PySpark and runs the same everywhere. Those two
are the thin layer where a Databricks cluster and a local Spark session differ (see their docstrings): both
write Delta tables, with the same MERGE conditions, one through Spark SQL, the other through delta-rs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

from connector_runtime import RunParameters
from connector_source import SilverColumn, Source, SourceRecord, format_timestamp, listed_keys
from pyspark.sql import DataFrame, SparkSession, Window
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
    # Which chunk of its batch the row came in, from 1 (NULL in bronze written before chunks).
    T.StructField("chunk", T.LongType(), True),
])
CHUNK_RECORDS = 10_000  # records per bronze chunk: the most of one entity's fetch the driver holds at once

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
# When the source's full listing of the entity last lacked the record; NULL while it is listed, or when the
# source cannot tell (see listed_keys in connector_source.py).
DELETED_AT = "_deleted_at"
LISTING_SCHEMA = T.StructType([
    T.StructField("record_key", T.StringType(), False),
    T.StructField("listed_at", T.TimestampType(), False),
    T.StructField("job_run_id", T.StringType(), False),
])
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

    def overwrite(self, table: str, rows: DataFrame) -> None: ...

    def mark_deleted(self, table: str, listing: DataFrame, listed_at: datetime) -> None: ...


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
        """A column `rows` has and the table has not yet is added (Delta's mergeSchema)."""
        rows.write.format("delta").mode("append").option("mergeSchema", "true").saveAsTable(table)

    def merge_latest(self, table: str, latest: DataFrame) -> None:
        """With schema evolution, as Databricks documents it for `UPDATE SET *` / `INSERT *`: a column `latest`
        has and the table has not yet is added (NULL in the rows already there). The session setting, rather
        than `MERGE WITH SCHEMA EVOLUTION INTO`, works on every runtime the jobs use (that syntax needs 15.2);
        it is restored after the statement."""
        view = _temp_view_name(table)
        latest.createOrReplaceTempView(view)
        before = self.spark.conf.get(SCHEMA_AUTO_MERGE, None)
        self.spark.conf.set(SCHEMA_AUTO_MERGE, "true")
        try:
            self.spark.sql(merge_latest_statement(table, view))
        finally:
            if before is None:
                self.spark.conf.unset(SCHEMA_AUTO_MERGE)
            else:
                self.spark.conf.set(SCHEMA_AUTO_MERGE, before)

    def upsert(self, table: str, rows: DataFrame, key: tuple[str, ...], columns: tuple[str, ...]) -> None:
        view = _temp_view_name(table)
        rows.createOrReplaceTempView(view)
        self.spark.sql(upsert_statement(table, view, key, columns, rows.columns))

    def overwrite(self, table: str, rows: DataFrame) -> None:
        rows.write.format("delta").mode("overwrite").saveAsTable(table)

    def mark_deleted(self, table: str, listing: DataFrame, listed_at: datetime) -> None:
        view = _temp_view_name(table)
        listing.createOrReplaceTempView(view)
        self.spark.sql(mark_deleted_statement(table, view, listed_at))


class LocalDeltaTables:
    """Local runs and tests: real Delta tables, written by delta-rs (the `deltalake` package, no JVM) under
    `<root>/<catalog>/<schema>/<table>` (root: the Spark session's warehouse folder). Every append, merge and
    overwrite is one commit to the table's Delta log, so a write that fails leaves the previous version, and
    the MERGEs run the very ON and WHEN MATCHED conditions DeltaTables sends in its `MERGE INTO` statements.
    Spark still does every transform: rows cross to Arrow (streamed, `ARROW_BATCH_ROWS` rows at a time) on
    their way in, and Spark reads a version's parquet files, as listed by the Delta log, on the way out."""

    def __init__(self, spark: SparkSession, root: str | None = None) -> None:
        self.spark = spark
        warehouse = root if root is not None else str(spark.conf.get("spark.sql.warehouse.dir"))
        self.root: str = urlsplit(warehouse).path if warehouse.startswith("file:") else warehouse

    def path(self, table: str) -> str:
        catalog, schema, name = table.split(".")
        return os.path.join(self.root, catalog, schema, name)

    def delta(self, table: str) -> Any:
        """The table's current version (a deltalake.DeltaTable), None before it exists."""
        from deltalake import DeltaTable

        path = self.path(table)
        return DeltaTable(path) if DeltaTable.is_deltatable(path) else None

    def read(self, table: str) -> DataFrame | None:
        current = self.delta(table)
        return None if current is None else self.read_version(current)

    def read_version(self, delta: Any) -> DataFrame:
        """The rows of one version of a table: the parquet files its Delta log lists, in its schema."""
        schema = T.StructType.fromJson(json.loads(delta.schema().to_json()))
        files = delta.file_uris()
        return self.spark.read.schema(schema).parquet(*files) if files else self.spark.createDataFrame([], schema)

    def ensure(self, table: str, schema: T.StructType) -> None:
        from deltalake import DeltaTable, Schema

        DeltaTable.create(self.path(table), schema=Schema.from_json(schema.json()), mode="ignore")

    def append(self, table: str, rows: DataFrame) -> None:
        """A column `rows` has and the table has not yet is added (schema evolution), as on Databricks."""
        self.write(table, rows, "append")

    def overwrite(self, table: str, rows: DataFrame) -> None:
        """Replaces the whole content in one commit; the table's schema stays."""
        self.write(table, rows, "overwrite")

    def write(self, table: str, rows: DataFrame, mode: Literal["append", "overwrite"]) -> None:
        from deltalake import write_deltalake

        current = self.delta(table)
        if current is None:
            raise ValueError(f"{table} does not exist: ensure it before writing")
        schema = T.StructType.fromJson(json.loads(current.schema().to_json()))
        added = [f for f in rows.schema.fields if f.name not in schema.names] if mode == "append" else []
        if added:
            schema = T.StructType(schema.fields + [T.StructField(f.name, f.dataType, True) for f in added])
        write_deltalake(current, arrow_batches(rows, schema), mode=mode, schema_mode="merge" if added else None)

    def merge_latest(self, table: str, latest: DataFrame) -> None:
        """With schema evolution (delta-rs's merge_schema): a column `latest` has and the table has not yet is
        added, as on Databricks."""
        (self.merger(table, latest, merge_latest_on(), merge_schema=True)
         .when_matched_update_all(predicate=merge_latest_when_matched())
         .when_not_matched_insert_all()
         .execute())

    def upsert(self, table: str, rows: DataFrame, key: tuple[str, ...], columns: tuple[str, ...]) -> None:
        if self.delta(table) is None:
            self.ensure(table, rows.schema)
        (self.merger(table, rows, upsert_on(key))
         .when_matched_update(updates=upsert_assignments(columns))
         .when_not_matched_insert(updates=upsert_assignments(rows.columns))
         .execute())

    def mark_deleted(self, table: str, listing: DataFrame, listed_at: datetime) -> None:
        (self.merger(table, listing, mark_deleted_on())
         .when_matched_update(updates={DELETED_AT: "NULL"}, predicate=mark_deleted_relisted())
         .when_not_matched_by_source_update(updates={DELETED_AT: deleted_at_value(listed_at)},
                                            predicate=mark_deleted_unlisted())
         .execute())

    def merger(self, table: str, source: DataFrame, on: str, merge_schema: bool = False) -> Any:
        current = self.delta(table)
        if current is None:
            raise ValueError(f"{table} does not exist: ensure it before merging into it")
        schema = T.StructType([T.StructField(f.name, f.dataType, True) for f in source.schema.fields])
        return current.merge(arrow_batches(source, schema), predicate=on, source_alias=SOURCE, target_alias=TARGET,
                             merge_schema=merge_schema)


ARROW_BATCH_ROWS = 10_000  # rows per Arrow batch on the way from Spark to a local Delta table


def arrow_batches(rows: DataFrame, schema: T.StructType) -> Any:
    """`rows` (`schema`'s columns, by name) as an Arrow stream (arro3 RecordBatchReader) that delta-rs pulls
    batch by batch, while Spark computes the rows partition by partition. Timestamps cross as UTC microseconds,
    whatever the session's time zone."""
    from arro3.core import Array, DataType, Field, RecordBatch, RecordBatchReader, Schema

    types: dict[T.DataType, Any] = {T.StringType(): DataType.utf8(), T.LongType(): DataType.int64(), T.IntegerType(): DataType.int32(),
             T.DoubleType(): DataType.float64(), T.BooleanType(): DataType.bool(),
             T.TimestampType(): DataType.timestamp("us", tz="UTC")}
    fields = [Field(f.name, types[f.dataType], nullable=f.nullable) for f in schema.fields]
    arrow_schema = Schema(fields)
    stamps = [isinstance(f.dataType, T.TimestampType) for f in schema.fields]
    selected = rows.select(*[F.unix_micros(f.name).alias(f.name) if stamp else F.col(f.name)
                             for f, stamp in zip(schema.fields, stamps, strict=True)])

    def column(values: list[Any], arrow_field: Any, stamp: bool) -> Any:
        if not stamp:
            return Array(values, type=arrow_field.type)
        # A timestamp array is an int64 array read with a timestamp field (the Arrow C data interface).
        micros = Array(values, type=DataType.int64())
        return Array.from_arrow_pycapsule(arrow_field.__arrow_c_schema__(), micros.__arrow_c_array__()[1])

    def batch(chunk: list[tuple[Any, ...]]) -> Any:
        values = zip(*chunk, strict=True)  # rows -> columns; a chunk is never empty
        return RecordBatch.from_arrays([column(list(v), f, s) for v, f, s in zip(values, fields, stamps, strict=True)],
                                       schema=arrow_schema)

    def batches() -> Iterator[Any]:
        chunk: list[tuple[Any, ...]] = []
        # A partition at a time (one Spark job each); one partition (most writes) is collected in one job, since
        # the driver holds it whole either way and toLocalIterator costs a socket handshake per partition.
        several = selected.rdd.getNumPartitions() > 1
        for row in (selected.toLocalIterator() if several else selected.collect()):
            chunk.append(tuple(row))
            if len(chunk) >= ARROW_BATCH_ROWS:
                yield batch(chunk)
                chunk = []
        if chunk:
            yield batch(chunk)

    return RecordBatchReader.from_batches(arrow_schema, batches())


# Databricks' session setting for MERGE with schema evolution (and appends that add columns).
SCHEMA_AUTO_MERGE = "spark.databricks.delta.schema.autoMerge.enabled"


def table_store(spark: SparkSession) -> TableStore:
    """Delta on a Databricks cluster (which sets DATABRICKS_RUNTIME_VERSION); local Delta (delta-rs) elsewhere."""
    return DeltaTables(spark) if os.environ.get("DATABRICKS_RUNTIME_VERSION") else LocalDeltaTables(spark)


# ----------------------------------------------------------------------------------------- SQL for Delta
# Each MERGE's ON and WHEN MATCHED conditions are built once, here: DeltaTables puts them in its `MERGE INTO`
# statement, LocalDeltaTables hands the same strings to delta-rs. The source is aliased `s`, the target `t`.

SOURCE, TARGET = "s", "t"


def newer_condition(new: str, old: str, order: Iterable[str] = VERSION_ORDER) -> str:
    """SQL: the row aliased `new` is a later version than `old` in `order` (lexicographic, descending)."""
    columns = list(order)
    condition = f"{new}.{columns[-1]} > {old}.{columns[-1]}"
    for name in reversed(columns[:-1]):
        condition = f"({new}.{name} > {old}.{name} OR ({new}.{name} = {old}.{name} AND {condition}))"
    return condition


def merge_latest_on() -> str:
    """The silver MERGE's ON: the same record."""
    return f"{TARGET}.{RECORD_KEY} = {SOURCE}.{RECORD_KEY}"


def merge_latest_when_matched() -> str:
    """The silver MERGE's WHEN MATCHED condition: the incoming version is newer than silver's."""
    return newer_condition(SOURCE, TARGET)


def merge_latest_statement(target: str, source_view: str) -> str:
    """Delta MERGE of one row per key into silver: insert new keys, replace a row only with a newer version."""
    return (f"MERGE INTO {target} AS {TARGET} USING {source_view} AS {SOURCE} ON {merge_latest_on()} "
            f"WHEN MATCHED AND {merge_latest_when_matched()} THEN UPDATE SET * "
            "WHEN NOT MATCHED THEN INSERT *")


def upsert_on(key: tuple[str, ...]) -> str:
    """The state MERGE's ON: the same key."""
    return " AND ".join(f"{TARGET}.{k} = {SOURCE}.{k}" for k in key)


def upsert_assignments(columns: Iterable[str]) -> dict[str, str]:
    """Target column -> the source value it takes, for an update's SET or an insert's VALUES."""
    return {c: f"{SOURCE}.{c}" for c in columns}


def upsert_statement(target: str, source_view: str, key: tuple[str, ...], columns: tuple[str, ...],
                     all_columns: Iterable[str]) -> str:
    """Delta MERGE of state rows: update only `columns` of an existing row, insert a new row whole."""
    updates = ", ".join(f"{TARGET}.{c} = {value}" for c, value in upsert_assignments(columns).items())
    inserts = upsert_assignments(all_columns)
    return (f"MERGE INTO {target} AS {TARGET} USING {source_view} AS {SOURCE} ON {upsert_on(key)} "
            f"WHEN MATCHED THEN UPDATE SET {updates} "
            f"WHEN NOT MATCHED THEN INSERT ({', '.join(inserts)}) VALUES ({', '.join(inserts.values())})")


def mark_deleted_on() -> str:
    """The deletion MERGE's ON: silver's record is in the source's full listing."""
    return f"{TARGET}.{RECORD_KEY} = {SOURCE}.record_key"


def mark_deleted_relisted() -> str:
    """A record marked deleted that the source lists again (restored): no longer deleted."""
    return f"{TARGET}.{DELETED_AT} IS NOT NULL"


def mark_deleted_unlisted() -> str:
    """A record the listing lacks, not yet marked: deleted as of the listing."""
    return f"{TARGET}.{DELETED_AT} IS NULL"


def deleted_at_value(listed_at: datetime) -> str:
    """SQL for the listing's time, in UTC (the MERGE's NOT MATCHED BY SOURCE clause cannot read the source)."""
    return f"CAST('{listed_at.astimezone(timezone.utc).strftime('%Y-%m-%d %H:%M:%S.%f')}' AS TIMESTAMP)"


def mark_deleted_statement(target: str, source_view: str, listed_at: datetime) -> str:
    """Delta MERGE of a full listing into silver: mark what it lacks as deleted, unmark what it lists again."""
    return (f"MERGE INTO {target} AS {TARGET} USING {source_view} AS {SOURCE} ON {mark_deleted_on()} "
            f"WHEN MATCHED AND {mark_deleted_relisted()} THEN UPDATE SET {TARGET}.{DELETED_AT} = NULL "
            f"WHEN NOT MATCHED BY SOURCE AND {mark_deleted_unlisted()} "
            f"THEN UPDATE SET {TARGET}.{DELETED_AT} = {deleted_at_value(listed_at)}")


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


def listing_table(params: RunParameters, entity: str) -> str:
    """The keys of the source's last full listing of the entity (only for entities it lists whole)."""
    return f"{params.bronze_table(entity)}_listing"


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
               log: Callable[[str], None] = print, chunk_records: int = CHUNK_RECORDS) -> IngestResult:
    tables.ensure(state_table(params), STATE_SCHEMA)
    states = read_state(tables, params)
    records: dict[str, int] = {}
    marks: dict[str, str] = {}
    for entity in source.entities:
        prior = states.get(entity, EntityState())
        since = params.initial_mark if params.hwm_reset or prior.high_water_mark is None else prior.high_water_mark
        bronze = params.bronze_table(entity)
        tables.ensure(bronze, BRONZE_SCHEMA)
        batch = prior.ingested_batch + 1
        started = clock()
        count, chunks, newest = 0, 0, None
        # The fetch is read `chunk_records` at a time, each chunk appended as its own commit before the next is
        # read: a large backfill never sits whole in the driver's memory.
        for chunk in chunked(source.fetch(entity, since), chunk_records):
            chunks += 1
            ingested_at = clock()
            rows = [(params.source_name, entity, record.key, record.updated_at, ingested_at, params.job_run_id,
                     batch, json.dumps(record.payload, sort_keys=True, separators=(",", ":")), chunks)
                    for record in chunk]
            tables.append(bronze, spark.createDataFrame(rows, BRONZE_SCHEMA))
            count += len(chunk)
            latest = max(record.updated_at for record in chunk)
            newest = latest if newest is None else max(newest, latest)
        listing = listed_keys(source, entity)
        if listing is not None:  # the source listed the entity whole: the transform marks what it lacks
            tables.ensure(listing_table(params, entity), LISTING_SCHEMA)
            tables.overwrite(listing_table(params, entity), spark.createDataFrame(
                [(key, started, params.job_run_id) for key in sorted(listing)], LISTING_SCHEMA))
        state = prior
        if newest is not None:  # every chunk committed: only now does the mark move
            # Never past the fetch's start (less a margin for clock skew): a record changed while the fetch
            # ran may sit in a page or slice already read, and must be read again by the next run.
            newest = min(newest, started - CLOCK_SKEW_MARGIN)
            mark = newest if prior.high_water_mark is None else max(newest, prior.high_water_mark)
            state = EntityState(mark, batch, prior.transformed_batch)
            tables.upsert(state_table(params), _state_row(spark, params, entity, state, clock(),
                                                          ingest_run=params.job_run_id),
                          STATE_KEY, INGEST_STATE_COLUMNS)
        records[entity] = count
        marks[entity] = format_timestamp(state.high_water_mark) if state.high_water_mark else ""
        start = format_timestamp(since) if since else "the beginning"
        log(f"{params.source_name}.{entity}: {count} record(s) changed since {start} -> {bronze}"
            + (f" (batch {batch}, {chunks} chunk(s))" if count else ""))
    return IngestResult(records, marks)


def chunked(items: Iterable[SourceRecord], size: int) -> Iterator[list[SourceRecord]]:
    """`items` in lists of `size` (the last may be shorter), each read only when the previous one is done."""
    if size < 1:
        raise ValueError(f"chunk size {size} must be at least 1")
    chunk: list[SourceRecord] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# ---------------------------------------------------------------------------------------------- transform


@dataclass(frozen=True)
class TransformResult:
    merged: dict[str, int] = field(default_factory=dict)  # per entity, latest versions merged into silver

    def task_values(self) -> dict[str, Any]:
        return {"records_merged": dict(sorted(self.merged.items()))}


def silver_schema(columns: tuple[SilverColumn, ...]) -> T.StructType:
    return T.StructType([T.StructField(c.name, _SPARK_TYPES[c.type], True) for c in columns] + list(LINEAGE)
                        + [T.StructField(DELETED_AT, T.TimestampType(), True)])


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
        F.lit(None).cast(T.TimestampType()).alias(DELETED_AT),  # a new version is listed, so not deleted
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


class SchemaChangeError(ValueError):
    """A silver column whose type the source's silver columns change: refused before the transform writes."""


def type_changes(table: str, current: T.StructType, declared: T.StructType, source: str) -> list[str]:
    """Why silver's existing `table` cannot take rows of the `declared` schema: each column whose type differs.
    A new column is fine (the MERGE adds it by schema evolution); a column no longer declared stays in the table,
    NULL in the rows inserted from then on and unchanged elsewhere."""
    existing = {f.name: f.dataType for f in current.fields}
    problems = []
    for column in declared.fields:
        old = existing.get(column.name)
        if old is not None and old != column.dataType:
            was, now = old.simpleString().upper(), column.dataType.simpleString().upper()
            problems.append(
                f"silver table {table}: column '{column.name}' is {was} in the table but {now} in the silver columns "
                f"of source '{source}'; a Delta MERGE cannot change a column's type. Fix: declare '{column.name}' "
                f"as {was} again in SILVER of notebooks/source_{source}.py, or give the {now} values a new column "
                "name (a new column is added by schema evolution)")
    return problems


def check_silver_schemas(tables: TableStore, silver: Mapping[str, tuple[SilverColumn, ...]],
                         params: RunParameters) -> None:
    """Every type change across the source's silver tables, raised at once before any of them is written."""
    problems = []
    for entity, columns in silver.items():
        table = params.silver_table(entity)
        current = tables.read(table)
        if current is not None:
            problems += type_changes(table, current.schema, silver_schema(columns), params.source)
    if problems:
        raise SchemaChangeError("nothing was written: " + "; ".join(problems))


def run_transform(spark: SparkSession, tables: TableStore, silver: Mapping[str, tuple[SilverColumn, ...]],
                  params: RunParameters, clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
                  log: Callable[[str], None] = print) -> TransformResult:
    check_silver_schemas(tables, silver, params)  # before any write: a refused change leaves every table as it was
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
            apply_listing(tables, params, entity, target, log)
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
        apply_listing(tables, params, entity, target, log)
    return TransformResult(merged)


def apply_listing(tables: TableStore, params: RunParameters, entity: str, target: str,
                  log: Callable[[str], None]) -> None:
    """Marks in silver the records the source's last full listing lacks (`_deleted_at`: the listing's time) and
    unmarks those it lists again; after the merge, so a record changed and then removed ends up marked. Applying
    the same listing again changes nothing."""
    listing = tables.read(listing_table(params, entity))
    silver = tables.read(target)
    if listing is None or silver is None or DELETED_AT not in silver.columns:
        return  # the source cannot tell (or has not listed yet); a silver table from before deletions gains
        # the column with its next merge
    stamps = listing.select(F.unix_micros("listed_at").alias("micros")).distinct().collect()
    if len(stamps) != 1:
        return  # an empty listing (the source lists nothing at all) marks nothing: more likely an outage
    listed_at = _from_micros(stamps[0].micros)
    assert listed_at is not None
    tables.mark_deleted(target, listing.select("record_key"), listed_at)
    deleted = tables.read(target).where(F.col(DELETED_AT).isNotNull()).count()  # type: ignore[union-attr]
    log(f"{params.source_name}.{entity}: {deleted} record(s) of {target} not in the source's listing of "
        f"{format_timestamp(listed_at)}")
