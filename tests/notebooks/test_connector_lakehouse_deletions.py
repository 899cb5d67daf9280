"""Deletions: a record the source's full listing of an entity no longer holds is marked in silver (`_deleted_at`,
the listing's time), unmarked when listed again; where the source cannot tell (a fetch that stops at the mark or
that the server filters), nothing is marked. The CMDB source over real HTTP on loopback (tests/generated_cmdb.py),
real Delta tables (LocalDeltaTables), and the Databricks MERGE text parsed by sqlglot."""

from __future__ import annotations

import sys
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "notebooks"))

from connector_http import HttpPolicy  # noqa: E402
from connector_lakehouse import (  # noqa: E402
    DELETED_AT,
    LocalDeltaTables,
    apply_listing,
    listing_table,
    mark_deleted_relisted,
    mark_deleted_statement,
    mark_deleted_unlisted,
    run_ingest,
    run_transform,
)
from connector_runtime import RunParameters  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402
from source_cmdb import SPEC  # noqa: E402
from tests.generated_cmdb import CREDENTIALS, cmdb_settings, serve_applications  # noqa: E402
from tests.loopback import LoopbackServer  # noqa: E402

UTC = timezone.utc
DAY1 = datetime(2026, 11, 20, 8, 15, tzinfo=UTC)
PAGE = 4


def params(cat: str, run: str) -> RunParameters:
    return RunParameters(source_name="cmdb", target_catalog=cat, hwm_reset=False, source="cmdb", settings={},
                         secret_scope="mvp-connectors", secret_names=(), bronze=f"{cat}.bronze",
                         silver=f"{cat}.silver", initial_mark=None, job_run_id=run)


def quiet(_: str) -> None:
    pass


class Cmdb:
    def __init__(self, server):
        self.server, self.gone = server, set()
        serve_applications(server, lambda: 10, PAGE, listed=lambda n: n not in self.gone)

    def run(self, spark, tables, cat, day, log=quiet, **settings):
        p = params(cat, f"run-{day}")
        source = SPEC.open({**cmdb_settings(self.server, PAGE), **settings}, CREDENTIALS,
                           policy=HttpPolicy(timeout_seconds=5.0))
        clock = lambda: DAY1 + timedelta(days=day)  # noqa: E731
        run_ingest(spark, tables, source, p, clock=clock, log=log)
        run_transform(spark, tables, SPEC.silver(cmdb_settings(self.server, PAGE)), p, clock=clock, log=log)
        return p


def deleted(tables, p):
    rows = tables.read(p.silver_table("applications")).select("_record_key", F.unix_seconds(DELETED_AT)).collect()
    return {r[0]: (None if r[1] is None else datetime.fromtimestamp(r[1], tz=UTC)) for r in rows}


@pytest.fixture
def cmdb():
    with LoopbackServer() as server:
        yield Cmdb(server)


def test_records_no_longer_listed_are_marked_deleted_and_unmarked_when_listed_again(spark, cmdb):
    tables, cat = LocalDeltaTables(spark), f"t{uuid.uuid4().hex[:10]}"
    p = cmdb.run(spark, tables, cat, 1)
    assert set(deleted(tables, p).values()) == {None}

    cmdb.gone = {3, 7}
    logged: list[str] = []
    p = cmdb.run(spark, tables, cat, 2, log=logged.append)
    marks = deleted(tables, p)
    listed_at = DAY1 + timedelta(days=2)  # the time of the fetch that no longer listed them
    assert {k for k, v in marks.items() if v is not None} == {"app0000003", "app0000007"}
    assert marks["app0000003"] == listed_at and len(marks) == 10
    assert logged[-1] == (f"cmdb.applications: 2 record(s) of {p.silver_table('applications')} not in the source's "
                          f"listing of {listed_at.strftime('%Y-%m-%dT%H:%M:%SZ')}")
    silver = p.silver_table("applications")
    version = tables.delta(silver).version()

    apply_listing(tables, p, "applications", silver, quiet)  # the same listing again: no row changes
    assert tables.delta(silver).version() == version
    p = cmdb.run(spark, tables, cat, 3)  # still gone: the mark keeps its first time
    assert deleted(tables, p) == marks

    cmdb.gone = {7}  # restored
    p = cmdb.run(spark, tables, cat, 4)
    assert {k for k, v in deleted(tables, p).items() if v is not None} == {"app0000007"}
    assert tables.read(listing_table(p, "applications")).count() == 9


def test_a_server_filtered_fetch_cannot_tell_and_marks_nothing(spark, cmdb):
    tables, cat = LocalDeltaTables(spark), f"t{uuid.uuid4().hex[:10]}"
    filtered = {"since_param": "sysparm_query", "since_format": "sys_updated_on>=%Y-%m-%d %H:%M:%S"}
    cmdb.run(spark, tables, cat, 1, **filtered)  # the first run has no mark, so its listing is whole
    cmdb.gone = {3}
    p = cmdb.run(spark, tables, cat, 2, **filtered)  # filtered at the mark: the old listing stays
    assert set(deleted(tables, p).values()) == {None}
    assert tables.read(listing_table(p, "applications")).count() == 10


def test_an_empty_listing_marks_nothing(spark, cmdb):
    tables, cat = LocalDeltaTables(spark), f"t{uuid.uuid4().hex[:10]}"
    cmdb.run(spark, tables, cat, 1)
    cmdb.gone = set(range(10))  # an endpoint that suddenly lists nothing: more likely an outage than ten deletions
    p = cmdb.run(spark, tables, cat, 2)
    assert set(deleted(tables, p).values()) == {None}


def test_the_databricks_deletion_merge_uses_the_same_conditions_and_only_touches_deleted_at():
    statement = mark_deleted_statement("cat.silver.cmdb_applications", "v", DAY1)
    merge = sqlglot.parse_one(statement, read="databricks")
    assert isinstance(merge, exp.Merge)
    matched, by_source = merge.args["whens"].expressions
    assert matched.args["matched"] and by_source.args["source"]
    assert matched.args["condition"] == sqlglot.parse_one(mark_deleted_relisted(), read="databricks")
    assert by_source.args["condition"] == sqlglot.parse_one(mark_deleted_unlisted(), read="databricks")
    assert [e.this.name for w in (matched, by_source) for e in w.args["then"].expressions] == [DELETED_AT] * 2
    assert statement.endswith("SET t._deleted_at = CAST('2026-11-20 08:15:00.000000' AS TIMESTAMP)")
