"""Large backfills in bounded memory: ingest appends an entity's fetch to bronze in numbered chunks, each its own
Delta commit, reading the next chunk from the source only after the last one is written; the mark moves only
after every chunk of the run has committed, and a run retried after a crash between chunks leaves silver with each
record once. The source is the CMDB source against a real HTTP server on loopback that lists generated
applications (tests/generated_cmdb.py); tables are real Delta tables (LocalDeltaTables)."""

from __future__ import annotations

import sys
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "notebooks"))

from connector_http import HttpPolicy  # noqa: E402
from connector_lakehouse import BRONZE_SCHEMA, LocalDeltaTables, chunked, read_state, run_ingest, run_transform  # noqa: E402
from connector_runtime import RunParameters  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402
from pyspark.sql import types as T  # noqa: E402
from source_cmdb import SPEC  # noqa: E402
from tests.generated_cmdb import CREDENTIALS, cmdb_settings, serve_applications  # noqa: E402
from tests.loopback import LoopbackServer  # noqa: E402

UTC = timezone.utc
NOW = datetime(2026, 11, 20, 8, 15, tzinfo=UTC)
RECORDS, CHUNK, PAGE = 5_000, 1_000, 250


def params(run: str, cat: str) -> RunParameters:
    return RunParameters(source_name="cmdb", target_catalog=cat, hwm_reset=False, source="cmdb", settings={},
                         secret_scope="mvp-connectors", secret_names=(), bronze=f"{cat}.bronze",
                         silver=f"{cat}.silver", initial_mark=None, job_run_id=run)


class Counted:
    """The source, with how many records its fetch has handed out so far."""

    def __init__(self, source):
        self.source, self.pulled = source, 0
        self.entities = source.entities

    def fetch(self, entity, since):
        for record in self.source.fetch(entity, since):
            self.pulled += 1
            yield record


class Recording:
    """The table store, recording for each bronze append its row count and how many records the source had
    handed out by then: what the driver held beyond what it had written."""

    def __init__(self, tables, source: Counted, crash_after: int | None = None):
        self.tables, self.source, self.crash_after = tables, source, crash_after
        self.appends: list[tuple[int, int]] = []

    def __getattr__(self, name):
        return getattr(self.tables, name)

    def append(self, table, rows):
        if table.endswith("_applications") and self.crash_after is not None and len(self.appends) == self.crash_after:
            raise RuntimeError(f"driver lost after chunk {self.crash_after}")
        self.tables.append(table, rows)
        if table.endswith("_applications"):
            self.appends.append((rows.count(), self.source.pulled))


@pytest.fixture
def cmdb():
    with LoopbackServer() as server:
        serve_applications(server, lambda: RECORDS, PAGE)
        yield server


def open_cmdb(server) -> Counted:
    return Counted(SPEC.open(cmdb_settings(server, PAGE), CREDENTIALS, policy=HttpPolicy(timeout_seconds=5.0)))


def quiet(_: str) -> None:
    pass


def test_a_backfill_is_appended_in_numbered_chunks_never_holding_more_than_one(spark, cmdb):
    source = open_cmdb(cmdb)
    tables, p = Recording(LocalDeltaTables(spark), source), params("run-1", f"t{uuid.uuid4().hex[:10]}")
    logged: list[str] = []

    result = run_ingest(spark, tables, source, p, clock=lambda: NOW, log=logged.append, chunk_records=CHUNK)

    assert result.records == {"applications": RECORDS}
    # Each append is one chunk of 1,000, written before the source handed out a single record of the next.
    assert tables.appends == [(CHUNK, CHUNK * n) for n in range(1, 6)]
    bronze = p.bronze_table("applications")
    log = sorted(tables.delta(bronze).history(), key=lambda h: h["version"])
    assert [h["operation"] for h in log] == ["CREATE TABLE"] + ["WRITE"] * 5  # a commit per chunk
    counts = tables.read(bronze).groupBy("batch", "chunk").count().orderBy("chunk").collect()
    assert [tuple(r) for r in counts] == [(1, n, CHUNK) for n in range(1, 6)]
    assert logged == [f"cmdb.applications: {RECORDS} record(s) changed since the beginning -> {bronze} "
                      "(batch 1, 5 chunk(s))"]
    assert read_state(tables, p)["applications"].ingested_batch == 1


def test_a_run_retried_after_a_crash_between_chunks_moves_no_mark_and_doubles_nothing_in_silver(spark, cmdb):
    cat = f"t{uuid.uuid4().hex[:10]}"
    source = open_cmdb(cmdb)
    crashed = Recording(LocalDeltaTables(spark), source, crash_after=3)
    with pytest.raises(RuntimeError, match="driver lost after chunk 3"):
        run_ingest(spark, crashed, source, params("run-1", cat), clock=lambda: NOW, log=quiet, chunk_records=CHUNK)
    tables, p = LocalDeltaTables(spark), params("run-1", cat)
    bronze = p.bronze_table("applications")
    assert tables.read(bronze).count() == 3 * CHUNK  # three chunks committed...
    assert read_state(tables, p) == {}  # ...and no mark: the run did not finish

    retry = params("run-1-retry", cat)
    run_ingest(spark, tables, open_cmdb(cmdb), retry, clock=lambda: NOW, log=quiet, chunk_records=CHUNK)
    run_transform(spark, tables, SPEC.silver(cmdb_settings(cmdb, PAGE)), retry, log=quiet)

    by_run = tables.read(bronze).groupBy("job_run_id", "batch").agg(F.count("*"), F.max("chunk")).collect()
    assert sorted(tuple(r) for r in by_run) == [("run-1", 1, 3 * CHUNK, 3), ("run-1-retry", 1, RECORDS, 5)]
    silver = tables.read(retry.silver_table("applications"))
    assert silver.count() == RECORDS
    assert silver.select("_record_key").distinct().count() == RECORDS
    assert silver.where(F.col("_ingest_run_id") != "run-1-retry").count() == 0  # the retry's versions win
    state = read_state(tables, retry)["applications"]
    assert (state.ingested_batch, state.transformed_batch) == (1, 1)
    assert state.high_water_mark == datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=RECORDS - 1)


def test_bronze_written_before_chunks_gains_the_chunk_column_by_schema_evolution(spark, cmdb):
    tables, p = LocalDeltaTables(spark), params("run-1", f"t{uuid.uuid4().hex[:10]}")
    bronze = p.bronze_table("applications")
    before = T.StructType([f for f in BRONZE_SCHEMA.fields if f.name != "chunk"])
    tables.ensure(bronze, before)
    tables.append(bronze, spark.createDataFrame(
        [("cmdb", "applications", "old", NOW, NOW, "run-0", 0, "{}")], before))

    run_ingest(spark, tables, open_cmdb(cmdb), p, clock=lambda: NOW, log=quiet, chunk_records=2_000)

    rows = tables.read(bronze).groupBy("chunk").count().orderBy(F.col("chunk").asc_nulls_first()).collect()
    assert [tuple(r) for r in rows] == [(None, 1), (1, 2_000), (2, 2_000), (3, 1_000)]


@pytest.mark.parametrize(("count", "size", "sizes"), [(0, 3, []), (5, 5, [5]), (7, 3, [3, 3, 1]), (3, 1, [1, 1, 1])])
def test_chunked_reads_lazily_and_cuts_at_the_size(count, size, sizes):
    pulled = []
    source = (pulled.append(n) or n for n in range(count))
    seen = []
    for chunk in chunked(source, size):
        seen.append(len(chunk))
        assert len(pulled) == sum(seen)  # nothing read ahead of the chunk handed out
    assert seen == sizes


@pytest.mark.parametrize("size", [0, -1])
def test_a_chunk_size_below_one_is_refused(size):
    with pytest.raises(ValueError, match=f"^chunk size {size} must be at least 1$"):
        next(chunked(iter([]), size))
