"""The table-store layer of connector_lakehouse, piece by piece: the Delta SQL (MERGE, CREATE TABLE) that a
Databricks cluster runs, and the local store on real Delta tables (delta-rs) that every other test runs.

Local Spark 3.5 has no Delta (its jars cannot be fetched here), so the Spark SQL statements are checked in two ways:
parsed with sqlglot's databricks dialect (their shape), and executed clause by clause in Spark SQL by
`merge_reference` (their semantics: the statement's own ON, WHEN MATCHED condition, SET and INSERT text over a full
outer join). The local store hands the same ON and WHEN MATCHED strings to delta-rs's MERGE, and must leave exactly
the rows that reference leaves; the guarantees only Delta gives (MERGE cardinality, commits, versions) are read back
from the tables' Delta logs."""

from __future__ import annotations

import hashlib
import itertools
import json
import sys
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlglot
from deltalake import DeltaTable
from deltalake.exceptions import DeltaError
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T
from sqlglot import exp

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "notebooks"))

from connector_lakehouse import (  # noqa: E402
    BRONZE_SCHEMA,
    INGEST_STATE_COLUMNS,
    LINEAGE,
    RECORD_KEY,
    STATE_KEY,
    STATE_SCHEMA,
    TRANSFORM_STATE_COLUMNS,
    VERSION_ORDER,
    DeltaTables,
    LocalDeltaTables,
    _ddl,
    latest_versions,
    merge_latest_on,
    merge_latest_when_matched,
    merge_latest_statement,
    newer_condition,
    parse_bronze,
    run_ingest,
    run_transform,
    silver_schema,
    table_store,
    typed_expression,
    upsert_assignments,
    upsert_on,
    upsert_statement,
)
from connector_runtime import RunParameters  # noqa: E402
from tests.helpers import ListSource  # noqa: E402
from connector_source import SILVER_TYPES, SilverColumn, SourceRecord  # noqa: E402
from tests.delta_faults import crash_mid_write  # noqa: E402

UTC = timezone.utc
T0 = datetime(2026, 11, 20, 8, 15, tzinfo=UTC)
T0_MICROS = 1_795_162_500_000_000  # 2026-11-20T08:15:00Z
COLUMNS = (SilverColumn("name", "STRING", "$.name"), SilverColumn("stars", "BIGINT", "$.stars"))


def catalog() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


def micros(value: datetime | None) -> int | None:
    if value is None:
        return None
    delta = value - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def snapshot(frame: DataFrame) -> list[tuple]:
    """Every row, timestamps as epoch microseconds (independent of the Python process's time zone), sorted."""
    cols = [F.unix_micros(f.name).alias(f.name) if isinstance(f.dataType, T.TimestampType) else F.col(f.name)
            for f in frame.schema.fields]
    return sorted((tuple(row) for row in frame.select(*cols).collect()), key=repr)


def as_micros(rows: list[tuple], schema: T.StructType) -> list[tuple]:
    """Python rows as `snapshot` returns them."""
    stamps = [isinstance(f.dataType, T.TimestampType) for f in schema.fields]
    return sorted((tuple(micros(v) if s else v for v, s in zip(row, stamps, strict=True)) for row in rows), key=repr)


def merge_reference(spark, statement: str, target: DataFrame, source: DataFrame) -> list[tuple]:
    """What a Delta MERGE leaves in `target`, computed from the statement's own clauses: a full outer join on its
    ON text; a matched pair for which its WHEN MATCHED condition holds takes its UPDATE SET (`*`: every column
    from the source); an unmatched source row is inserted with its INSERT values (`*`: the row), other columns
    NULL; everything else stays. Supports exactly the clause shapes the module's statements use."""
    merge = sqlglot.parse_one(statement, read="databricks")
    assert isinstance(merge, exp.Merge)
    matched, not_matched = merge.args["whens"].expressions
    assert matched.args["matched"] and not not_matched.args["matched"]
    names = target.columns
    update = matched.args["then"]
    assert isinstance(update, exp.Update)
    if [type(e) for e in update.expressions] == [exp.Star]:
        sets = {name: f"s.{name}" for name in names}
    else:
        assert all(e.this.table == "t" for e in update.expressions)
        sets = {e.this.name: e.expression.sql(dialect="spark") for e in update.expressions}
    insert = not_matched.args["then"]
    assert isinstance(insert, exp.Insert)
    if isinstance(insert.this, exp.Star):
        values = {name: f"s.{name}" for name in names}
    else:
        values = {c.name: v.sql(dialect="spark")
                  for c, v in zip(insert.this.expressions, insert.expression.expressions, strict=True)}
    condition = matched.args.get("condition")
    when = condition.sql(dialect="spark") if condition is not None else "TRUE"
    target_view, source_view = f"ref_t_{uuid.uuid4().hex[:8]}", f"ref_s_{uuid.uuid4().hex[:8]}"
    target.withColumn("__in_t", F.lit(True)).createOrReplaceTempView(target_view)
    source.withColumn("__in_s", F.lit(True)).createOrReplaceTempView(source_view)
    in_t, in_s = "coalesce(t.__in_t, FALSE)", "coalesce(s.__in_s, FALSE)"
    select = ", ".join(
        f"CASE WHEN {in_t} AND {in_s} AND coalesce(({when}), FALSE) THEN {sets.get(n, f't.{n}')} "
        f"WHEN {in_t} THEN t.{n} ELSE {values.get(n, 'NULL')} END AS {n}" for n in names)
    merged = spark.sql(f"SELECT {select} FROM {target_view} AS t FULL OUTER JOIN {source_view} AS s "
                       f"ON {merge.args['on'].sql(dialect='spark')}")
    return snapshot(merged)


# ------------------------------------------------------------------------------------ 1. version order


def test_newer_condition_is_the_strict_order_latest_versions_keeps(spark):
    """The exact SQL text of the MERGE condition, evaluated by Spark, against the window `latest_versions` uses
    and against Python's tuple order: over every pair of 32 versions (all columns differing, each tied)."""
    choices = ([T0, T0 + timedelta(microseconds=1)],  # _source_updated_at: microsecond precision counts
               [9, 10],  # _bronze_batch: numeric, not string, order
               [T0 + timedelta(hours=1), T0 + timedelta(hours=1, microseconds=1)],  # _ingested_at
               ["9f" + "0" * 62, "a0" + "0" * 62],  # _payload_sha256
               ["run-10", "run-9"])  # _ingest_run_id: a string, so 'run-9' is the later one
    versions = list(itertools.product(*choices))
    assert len(versions) == 32
    pairs = list(itertools.product(versions, versions))
    schema = T.StructType([T.StructField("pair", T.LongType()), T.StructField("role", T.StringType())]
                          + [next(f for f in LINEAGE if f.name == name) for name in VERSION_ORDER])
    rows = [(i, role, *version) for i, (new, old) in enumerate(pairs) for role, version in (("new", new), ("old", old))]
    frame = spark.createDataFrame(rows, schema)
    view_new, view_old = f"pairs_new_{uuid.uuid4().hex[:8]}", f"pairs_old_{uuid.uuid4().hex[:8]}"
    frame.where("role = 'new'").createOrReplaceTempView(view_new)
    frame.where("role = 'old'").createOrReplaceTempView(view_old)

    kept = latest_versions(frame.withColumn(RECORD_KEY, F.col("pair").cast("string")))
    kept.select("pair", "role").createOrReplaceTempView(view_kept := f"pairs_kept_{uuid.uuid4().hex[:8]}")
    evaluated = spark.sql(f"SELECT n.pair, {newer_condition('n', 'o')} AS forward, {newer_condition('o', 'n')} "
                          f"AS backward, k.role AS kept FROM {view_new} AS n JOIN {view_old} AS o ON n.pair = o.pair "
                          f"JOIN {view_kept} AS k ON k.pair = n.pair").collect()

    conditions = {row.pair: (row.forward, row.backward, row.kept) for row in evaluated}
    assert len(conditions) == len(pairs) == 1024
    for i, (new, old) in enumerate(pairs):
        forward, backward, kept = conditions[i]
        assert (forward, backward) == (new > old, old > new), (new, old)  # never NULL, never both
        if new != old:
            assert kept == ("new" if forward else "old"), (new, old)
    assert sum(forward for forward, _, _ in conditions.values()) == (1024 - 32) // 2


def test_newer_condition_text_nests_ties_from_the_most_significant_column():
    assert newer_condition("a", "b", ("x",)) == "a.x > b.x"
    assert newer_condition("a", "b", ("x", "y")) == "(a.x > b.x OR (a.x = b.x AND a.y > b.y))"
    assert newer_condition("s", "t").startswith(f"(s.{VERSION_ORDER[0]} > t.{VERSION_ORDER[0]} OR")


# ------------------------------------------------------------------------------------ 2. Delta MERGE shape


def column_ref(node: exp.Expression) -> tuple[str, str]:
    assert isinstance(node, exp.Column), node
    return node.table, node.name


def test_merge_latest_statement_parses_as_the_silver_merge():
    statement = merge_latest_statement("cat.silver.github_repositories", "connector_cat_silver_changes")
    merge = sqlglot.parse_one(statement, read="databricks")

    assert isinstance(merge, exp.Merge)
    target, source = merge.this, merge.args["using"]
    assert (target.catalog, target.db, target.name, target.alias) == ("cat", "silver", "github_repositories", "t")
    assert (source.name, source.alias) == ("connector_cat_silver_changes", "s")
    on = merge.args["on"]
    assert isinstance(on, exp.EQ)
    assert {column_ref(on.this), column_ref(on.expression)} == {("t", RECORD_KEY), ("s", RECORD_KEY)}

    whens = merge.args["whens"].expressions
    assert [(w.args["matched"], bool(w.args.get("source"))) for w in whens] == [(True, False), (False, False)]
    matched, not_matched = whens
    assert isinstance(matched.args["then"], exp.Update)
    assert [type(e) for e in matched.args["then"].expressions] == [exp.Star]
    assert isinstance(not_matched.args["then"], exp.Insert) and isinstance(not_matched.args["then"].this, exp.Star)
    assert not_matched.args.get("condition") is None

    condition = matched.args["condition"]
    assert condition == sqlglot.parse_one(newer_condition("s", "t"), read="databricks")
    # Every '>' compares the source (new) version to the target's, once per ordering column; ties on all
    # but the last column are spelled out with '='.
    greater = [(column_ref(g.this), column_ref(g.expression)) for g in condition.find_all(exp.GT)]
    assert sorted(greater) == sorted((("s", c), ("t", c)) for c in VERSION_ORDER)
    equal = sorted(tuple(sorted((column_ref(e.this), column_ref(e.expression)))) for e in condition.find_all(exp.EQ))
    assert equal == sorted((("s", c), ("t", c)) for c in VERSION_ORDER[:-1])
    assert not list(condition.find_all(exp.GTE, exp.LT, exp.LTE, exp.NEQ, exp.Not))


def test_upsert_statement_updates_only_the_listed_columns_and_inserts_whole_rows():
    names = [f.name for f in STATE_SCHEMA.fields]
    for columns in (INGEST_STATE_COLUMNS, TRANSFORM_STATE_COLUMNS):
        merge = sqlglot.parse_one(upsert_statement("cat.bronze.connector_state", "v", STATE_KEY, columns, names),
                                  read="databricks")
        assert isinstance(merge, exp.Merge)
        target, source = merge.this, merge.args["using"]
        assert (target.catalog, target.db, target.name, target.alias) == ("cat", "bronze", "connector_state", "t")
        assert (source.name, source.alias) == ("v", "s")
        on = merge.args["on"]
        assert isinstance(on, exp.And)
        assert [(column_ref(e.this), column_ref(e.expression)) for e in on.flatten()] == [
            (("t", k), ("s", k)) for k in STATE_KEY]

        matched, not_matched = merge.args["whens"].expressions
        assert matched.args["matched"] and matched.args.get("condition") is None
        update = matched.args["then"]
        assert isinstance(update, exp.Update)
        assert [(column_ref(e.this), column_ref(e.expression)) for e in update.expressions] == [
            (("t", c), ("s", c)) for c in columns]
        assert not set(STATE_KEY) & {e.this.name for e in update.expressions}

        assert not not_matched.args["matched"] and not_matched.args.get("condition") is None
        insert = not_matched.args["then"]
        assert isinstance(insert, exp.Insert)
        assert [column_ref(c) for c in insert.this.expressions] == [("", n) for n in names]
        assert [column_ref(v) for v in insert.expression.expressions] == [("s", n) for n in names]


# ------------------------------------------------------------------------------------ 3. silver merge


def silver_row(key: str, name: str | None, stars: int | None, updated: datetime, batch: int, ingested: datetime,
               sha: str, run: str, deleted_at: datetime | None = None) -> tuple:
    return (name, stars, key, updated, batch, ingested, sha, run, deleted_at)


def test_local_merge_latest_leaves_what_the_delta_merge_leaves(spark):
    schema = silver_schema(COLUMNS)
    tables = LocalDeltaTables(spark)
    table = f"{catalog()}.silver.github_repositories"
    ingested1, ingested2 = T0 + timedelta(days=1), T0 + timedelta(days=2)
    existing = [
        silver_row("same", "same", 1, T0, 1, ingested1, "a" * 64, "run-1"),
        silver_row("older", "older-kept", 2, T0, 1, ingested1, "b" * 64, "run-1"),
        silver_row("newer", "newer-old", 3, T0, 1, ingested1, "c" * 64, "run-1"),
        silver_row("tie_batch_up", "tbu-old", 4, T0, 1, ingested1, "d" * 64, "run-1"),
        silver_row("tie_batch_down", "tbd-kept", 5, T0, 2, ingested2, "e" * 64, "run-2"),
        silver_row("tie_sha_up", "tsu-old", 6, T0, 1, ingested1, "1" * 64, "run-1"),
        silver_row("untouched", "untouched", 7, T0, 1, ingested1, "f" * 64, "run-1"),
        silver_row("gone_back", "gb-old", 8, T0, 1, ingested1, "7" * 64, "run-1", deleted_at=ingested1),
        silver_row("gone_stale", "gs-kept", 9, T0, 1, ingested1, "6" * 64, "run-1", deleted_at=ingested1),
    ]
    batch = [
        existing[0],  # the same version again: no change
        silver_row("older", "older-new", 20, T0 - timedelta(seconds=1), 3, ingested2, "0" * 64, "run-3"),
        silver_row("newer", "newer-new", 30, T0 + timedelta(microseconds=1), 1, ingested1, "0" * 64, "run-0"),
        silver_row("tie_batch_up", "tbu-new", 40, T0, 2, ingested1, "0" * 64, "run-0"),
        silver_row("tie_batch_down", "tbd-new", 50, T0, 1, ingested2 + timedelta(days=9), "f" * 64, "run-9"),
        silver_row("tie_sha_up", "tsu-new", 60, T0, 1, ingested1, "2" * 64, "run-0"),
        silver_row("inserted", "inserted", 70, T0, 1, ingested1, "9" * 64, "run-1"),
        silver_row("inserted_nulls", None, None, T0, 1, ingested1, "8" * 64, "run-1"),
        # a deleted record that changed since (it is listed again): the new version, no longer deleted
        silver_row("gone_back", "gb-new", 80, T0 + timedelta(days=1), 2, ingested2, "0" * 64, "run-2"),
        # a stale version of a deleted record: the table's row, still deleted
        silver_row("gone_stale", "gs-old", 90, T0 - timedelta(days=1), 2, ingested2, "0" * 64, "run-2"),
    ]
    tables.ensure(table, schema)
    tables.merge_latest(table, spark.createDataFrame(existing, schema))
    assert snapshot(tables.read(table)) == as_micros(existing, schema)  # into an empty table: all inserted

    before = spark.createDataFrame(existing, schema)
    incoming = spark.createDataFrame(batch, schema)
    expected = merge_reference(spark, merge_latest_statement(table, "src"), before, incoming)
    tables.merge_latest(table, incoming)
    after = tables.read(table)
    assert after.columns == schema.names
    merged = snapshot(after)
    assert merged == expected

    by_key = {row[2]: row for row in merged}
    assert sorted(by_key) == ["gone_back", "gone_stale", "inserted", "inserted_nulls", "newer", "older", "same",
                              "tie_batch_down", "tie_batch_up", "tie_sha_up", "untouched"]
    assert len(merged) == len(by_key)  # one row per key
    assert {k: (row[0], row[1]) for k, row in by_key.items()} == {
        "same": ("same", 1), "older": ("older-kept", 2), "newer": ("newer-new", 30),
        "tie_batch_up": ("tbu-new", 40), "tie_batch_down": ("tbd-kept", 5), "tie_sha_up": ("tsu-new", 60),
        "untouched": ("untouched", 7), "inserted": ("inserted", 70), "inserted_nulls": (None, None),
        "gone_back": ("gb-new", 80), "gone_stale": ("gs-kept", 9)}
    assert by_key["gone_back"][-1] is None and by_key["gone_stale"][-1] is not None  # _deleted_at
    assert by_key["newer"] == as_micros([batch[2]], schema)[0]  # replaced whole, lineage included
    assert by_key["older"] == as_micros([existing[1]], schema)[0]

    tables.merge_latest(table, spark.createDataFrame(batch, schema))  # a retry: the same latest versions
    assert snapshot(tables.read(table)) == merged


# ------------------------------------------------------------------------------------ 4. state upsert


def state_row(connector: str, entity: str, mark: datetime | None, ingested: int, transformed: int,
              ingest_run: str | None, transform_run: str | None, updated: datetime) -> tuple:
    return (connector, entity, mark, ingested, transformed, ingest_run, transform_run, updated)


def test_local_upsert_leaves_what_the_delta_upsert_leaves(spark):
    tables = LocalDeltaTables(spark)
    table = f"{catalog()}.bronze.connector_state"
    names = STATE_SCHEMA.names
    first = [state_row("github", "repositories", T0, 1, 1, "run-1", "run-1", T0),
             state_row("github", "alerts", T0, 2, 1, "run-1", "run-0", T0),
             state_row("sonarqube", "repositories", T0, 5, 4, "run-5", "run-4", T0)]
    tables.upsert(table, spark.createDataFrame(first, STATE_SCHEMA), STATE_KEY, INGEST_STATE_COLUMNS)
    assert snapshot(tables.read(table)) == as_micros(first, STATE_SCHEMA)  # into no table: inserted whole

    later = T0 + timedelta(hours=1)
    ingest = [state_row("github", "repositories", None, 2, 99, "run-2", "ignored", later),  # NULL mark: taken
              state_row("github", "issues", later, 1, 0, "run-2", None, later)]  # new key: inserted whole
    before = spark.createDataFrame(first, STATE_SCHEMA)
    rows = spark.createDataFrame(ingest, STATE_SCHEMA)
    expected = merge_reference(spark, upsert_statement(table, "src", STATE_KEY, INGEST_STATE_COLUMNS, names),
                               before, rows)
    tables.upsert(table, rows, STATE_KEY, INGEST_STATE_COLUMNS)
    after = tables.read(table)
    assert after.columns == names
    state = snapshot(after)
    assert state == expected
    after_ingest = [
        state_row("github", "alerts", T0, 2, 1, "run-1", "run-0", T0),  # other entity: untouched
        state_row("github", "issues", later, 1, 0, "run-2", None, later),
        state_row("github", "repositories", None, 2, 1, "run-2", "run-1", later),  # transform columns kept
        state_row("sonarqube", "repositories", T0, 5, 4, "run-5", "run-4", T0),  # same entity, other connector
    ]
    assert state == as_micros(after_ingest, STATE_SCHEMA)

    transform = [state_row("github", "issues", None, 0, 1, None, "run-3", later + timedelta(hours=1))]
    before = spark.createDataFrame(after_ingest, STATE_SCHEMA)
    rows = spark.createDataFrame(transform, STATE_SCHEMA)
    expected = merge_reference(spark, upsert_statement(table, "src", STATE_KEY, TRANSFORM_STATE_COLUMNS, names),
                               before, rows)
    tables.upsert(table, rows, STATE_KEY, TRANSFORM_STATE_COLUMNS)
    state = snapshot(tables.read(table))
    assert state == expected
    assert [r for r in state if r[:2] == ("github", "issues")] == as_micros(
        [state_row("github", "issues", later, 1, 1, "run-2", "run-3", later + timedelta(hours=1))], STATE_SCHEMA)
    assert len(state) == 4


# ------------------------------------------------------------------------------------ 5. parsing bronze


PARSE_COLUMNS = (
    SilverColumn("ts", "TIMESTAMP", "$.ts"),
    SilverColumn("n", "BIGINT", "$.n"),
    SilverColumn("i", "INT", "$.i"),
    SilverColumn("d", "DOUBLE", "$.d"),
    SilverColumn("flag", "BOOLEAN", "$.flag"),
    SilverColumn("login", "STRING", "$.owner.login"),
    SilverColumn("deep", "BIGINT", "$.a.b.c"),
    SilverColumn("first_label", "STRING", "$.labels[0].name"),
    SilverColumn("owner", "STRING", "$.owner"),
)


def bronze_rows(spark, payloads: dict[str, dict]) -> DataFrame:
    rows = [("github", "repositories", key, T0, T0 + timedelta(days=1), f"run-{i}", i,
             json.dumps(payload, sort_keys=True, separators=(",", ":")), 1)
            for i, (key, payload) in enumerate(payloads.items())]
    return spark.createDataFrame(rows, BRONZE_SCHEMA)


def test_parse_bronze_types_every_column_and_nulls_what_does_not_parse(spark):
    payloads = {
        "github": {"ts": "2026-11-20T08:15:00Z", "n": 42, "i": 7, "d": 1.5, "flag": True,
                   "owner": {"login": "octo", "id": 1}, "a": {"b": {"c": 5}}, "labels": [{"name": "bug"}]},
        "offset_colon": {"ts": "2026-11-20T10:15:00+02:00", "n": "42", "flag": False, "d": "2.5"},
        "negative_offset": {"ts": "2026-11-20T03:15:00-05:00"},
        "sonarqube": {"ts": "2026-11-20T08:15:00+0000"},
        "sonarqube_offset": {"ts": "2026-11-20T09:15:00+0100"},
        "sonarqube_millis": {"ts": "2026-11-20T08:15:00.000+0000"},
        "servicenow": {"ts": "2026-11-20 08:15:00"},
        "garbage": {"ts": "not a time", "n": "forty-two", "i": 12.5, "d": "abc", "flag": "perhaps", "owner": "x"},
        "nested": {"ts": {"at": "2026-11-20T08:15:00Z"}, "n": {"x": 1}, "i": [1], "flag": {"b": True},
                   "a": {"b": {"c": {"d": 1}}}},
        "out_of_range": {"ts": "2026-13-40 08:15:00", "n": 9223372036854775808, "i": 2147483648},
        "empty": {},
    }
    bronze = bronze_rows(spark, payloads)
    parsed = parse_bronze(bronze, PARSE_COLUMNS)
    assert [(f.name, f.dataType) for f in parsed.schema.fields] == [
        (f.name, f.dataType) for f in silver_schema(PARSE_COLUMNS).fields]
    rows = {row[RECORD_KEY]: row for row in parsed.withColumn("ts", F.unix_micros("ts"))
            .withColumn("_source_updated_at", F.unix_micros("_source_updated_at"))
            .withColumn("_ingested_at", F.unix_micros("_ingested_at")).collect()}

    # Every timestamp spelling sources use is the same instant; anything else is NULL.
    instants = {key: rows[key].ts for key in payloads}
    assert instants == {"github": T0_MICROS, "offset_colon": T0_MICROS, "negative_offset": T0_MICROS,
                        "sonarqube": T0_MICROS, "sonarqube_offset": T0_MICROS, "sonarqube_millis": T0_MICROS,
                        "servicenow": T0_MICROS, "garbage": None, "nested": None, "out_of_range": None,
                        "empty": None}

    typed = {key: (r.n, r.i, r.d, r.flag, r.login, r.deep, r.first_label, r.owner) for key, r in rows.items()}
    assert typed["github"] == (42, 7, 1.5, True, "octo", 5, "bug", '{"id":1,"login":"octo"}')
    assert typed["offset_colon"] == (42, None, 2.5, False, None, None, None, None)
    assert typed["garbage"] == (None, None, None, None, None, None, None, "x")
    assert typed["nested"] == (None, None, None, None, None, None, None, None)
    assert typed["out_of_range"] == (None,) * 8
    assert typed["empty"] == (None,) * 8

    payload = json.dumps(payloads["github"], sort_keys=True, separators=(",", ":"))
    github = rows["github"]
    assert (github._source_updated_at, github._bronze_batch, github._ingested_at, github._ingest_run_id) == (
        T0_MICROS, 0, T0_MICROS + 86_400_000_000, "run-0")
    assert github._payload_sha256 == hashlib.sha256(payload.encode()).hexdigest()


def test_typed_expression_reads_strings_raw_and_casts_the_rest_without_failing():
    assert typed_expression(SilverColumn("a", "STRING", "$.x.y")) == "get_json_object(payload, '$.x.y')"
    assert typed_expression(SilverColumn("a", "BIGINT", "$.x")) == "try_cast(get_json_object(payload, '$.x') AS BIGINT)"
    ts = typed_expression(SilverColumn("a", "TIMESTAMP", "$.x"))
    assert ts.startswith("try_cast(CASE WHEN get_json_object(payload, '$.x') RLIKE ")
    sqlglot.parse_one(ts, read="databricks")  # the patterns are valid SQL
    assert "to_timestamp(" not in ts  # pattern parsers raise on some bad input (timeParserPolicy=EXCEPTION)


def test_a_timestamp_with_trailing_text_becomes_null_not_a_failed_run(spark):
    parsed = parse_bronze(bronze_rows(spark, {"pm": {"ts": "2026-11-20 08:15:00 PM"}}), PARSE_COLUMNS[:1])
    assert [row.ts for row in parsed.collect()] == [None]


def test_zone_less_timestamps_are_utc_whatever_the_session_time_zone(spark):
    bronze = bronze_rows(spark, {"servicenow": {"ts": "2026-11-20 08:15:00"}})
    zone = spark.conf.get("spark.sql.session.timeZone")
    spark.conf.set("spark.sql.session.timeZone", "America/New_York")
    try:
        instants = [r[0] for r in parse_bronze(bronze, PARSE_COLUMNS[:1]).select(F.unix_micros("ts")).collect()]
    finally:
        spark.conf.set("spark.sql.session.timeZone", zone)
    assert instants == [T0_MICROS]


# ------------------------------------------------------------------------------------ 6. DDL


def create_table(schema: T.StructType) -> exp.Create:
    create = sqlglot.parse_one(f"CREATE TABLE IF NOT EXISTS cat.sch.tbl ({_ddl(schema)}) USING DELTA",
                               read="databricks")
    assert isinstance(create, exp.Create)
    assert create.args["kind"] == "TABLE" and create.args["exists"]
    formats = [p for p in create.args["properties"].expressions if isinstance(p, exp.FileFormatProperty)]
    assert [p.this.name.upper() for p in formats] == ["DELTA"]
    return create


@pytest.mark.parametrize("schema", [
    BRONZE_SCHEMA, STATE_SCHEMA,
    silver_schema(tuple(SilverColumn(f"c_{t.lower()}", t, f"$.{t.lower()}") for t in SILVER_TYPES))],
    ids=["bronze", "state", "silver"])
def test_ddl_is_a_databricks_column_list_in_schema_order(spark, schema):
    columns = create_table(schema).this.expressions
    assert [c.name for c in columns] == schema.names
    assert [c.args["kind"].sql(dialect="databricks") for c in columns] == [
        f.dataType.simpleString().upper() for f in schema.fields]
    not_null = [any(isinstance(k.args.get("kind"), exp.NotNullColumnConstraint) for k in c.args.get("constraints", []))
                for c in columns]
    assert not_null == [not f.nullable for f in schema.fields]
    assert spark.createDataFrame([], _ddl(schema)).schema == schema  # Spark's own DDL parser reads it back


def test_silver_ddl_types_are_the_configured_ones_and_lineage_is_not_null():
    schema = silver_schema(tuple(SilverColumn(f"c_{t.lower()}", t, f"$.{t.lower()}") for t in SILVER_TYPES))
    ddl = _ddl(schema)
    assert ddl.split(", ")[:len(SILVER_TYPES)] == [f"c_{t.lower()} {t}" for t in SILVER_TYPES]
    assert ddl.split(", ")[len(SILVER_TYPES):] == [
        "_record_key STRING NOT NULL", "_source_updated_at TIMESTAMP NOT NULL", "_bronze_batch BIGINT NOT NULL",
        "_ingested_at TIMESTAMP NOT NULL", "_payload_sha256 STRING NOT NULL", "_ingest_run_id STRING NOT NULL",
        "_deleted_at TIMESTAMP"]  # NULL while the source lists the record, or when it cannot tell


# ------------------------------------------------------------------------------------ 7. one condition, two engines


def test_both_stores_merge_on_the_same_condition_strings(spark):
    """The `MERGE INTO` text DeltaTables sends holds the ON and WHEN MATCHED strings verbatim, and the local
    store's delta-rs MERGE ran the same ON, as its own Delta log records."""
    statement = merge_latest_statement("c.s.t", "v")
    assert f" ON {merge_latest_on()} WHEN MATCHED AND {merge_latest_when_matched()} THEN " in statement
    assert merge_latest_on() == f"t.{RECORD_KEY} = s.{RECORD_KEY}"
    assert merge_latest_when_matched() == newer_condition("s", "t")
    upsert = upsert_statement("c.s.t", "v", STATE_KEY, INGEST_STATE_COLUMNS, STATE_SCHEMA.names)
    assert f" ON {upsert_on(STATE_KEY)} WHEN MATCHED THEN UPDATE SET " in upsert
    assert upsert_on(STATE_KEY) == "t.connector = s.connector AND t.entity = s.entity"
    assert upsert_assignments(("a", "b")) == {"a": "s.a", "b": "s.b"}

    tables = LocalDeltaTables(spark)
    silver, state = f"{catalog()}.silver.github_repositories", f"{catalog()}.bronze.connector_state"
    tables.ensure(silver, silver_schema(COLUMNS))
    tables.merge_latest(silver, spark.createDataFrame([silver_row("k", "n", 1, T0, 1, T0, "a" * 64, "r")],
                                                      silver_schema(COLUMNS)))
    tables.upsert(state, spark.createDataFrame([state_row("github", "repositories", T0, 1, 0, "r", None, T0)],
                                               STATE_SCHEMA), STATE_KEY, INGEST_STATE_COLUMNS)
    logged = [tables.delta(t).history()[0] for t in (silver, state)]
    assert [(h["operation"], h["operationParameters"]["mergePredicate"]) for h in logged] == [
        ("MERGE", merge_latest_on()), ("MERGE", upsert_on(STATE_KEY))]


# ------------------------------------------------------------------------------------ 8. Delta-only guarantees


def test_two_versions_of_one_key_never_reach_merge_delta_refuses_them_and_the_transform_dedups_first(spark):
    schema = silver_schema(COLUMNS)
    tables = LocalDeltaTables(spark)
    table = f"{catalog()}.silver.github_repositories"
    tables.ensure(table, schema)
    old = [silver_row("k", "old", 1, T0, 1, T0, "a" * 64, "run-1")]
    tables.merge_latest(table, spark.createDataFrame(old, schema))
    version = tables.delta(table).version()
    two = [silver_row("k", "newer", 2, T0 + timedelta(hours=1), 2, T0, "b" * 64, "run-2"),
           silver_row("k", "newest", 3, T0 + timedelta(hours=2), 2, T0, "c" * 64, "run-2")]

    with pytest.raises(DeltaError, match="MERGE matched a target row with multiple source rows"):
        tables.merge_latest(table, spark.createDataFrame(two, schema))  # what Delta does with a raw duplicate
    assert tables.delta(table).version() == version
    assert snapshot(tables.read(table)) == as_micros(old, schema)

    tables.merge_latest(table, latest_versions(spark.createDataFrame(two, schema)))  # what the transform sends
    assert snapshot(tables.read(table)) == as_micros(two[1:], schema)


@pytest.fixture
def a_partition_per_file(spark):
    """Each parquet file read as a partition of its own: the session reads a few small files as one partition
    (one default partition), a cluster reads bronze's batches spread over several."""
    spark.conf.set("spark.sql.files.maxPartitionBytes", spark.conf.get("spark.sql.files.openCostInBytes"))
    yield
    spark.conf.unset("spark.sql.files.maxPartitionBytes")


def test_a_transform_over_bronze_holding_a_record_twice_merges_one_version(spark, a_partition_per_file):
    """Bronze batches 2 and 3 both hold record 'k' (a retried ingest) and silver holds it already: one MERGE of
    both batches would be refused by Delta if the transform did not keep one version per key first. The two
    versions are in two partitions, so keeping one is not left to chance."""
    tables = LocalDeltaTables(spark)
    params = run_parameters(catalog())
    source = ListSource({"repositories": [record("k", T0, name="first", stars=1)]})
    run_ingest(spark, tables, source, params, clock=lambda: T0 + timedelta(days=1), log=quiet)
    run_transform(spark, tables, {"repositories": COLUMNS}, params, log=quiet)
    source.records["repositories"] = [record("k", T0 + timedelta(hours=1), name="second", stars=2)]
    for _ in range(2):  # the same change ingested twice: batches 2 and 3
        run_ingest(spark, tables, source, params, clock=lambda: T0 + timedelta(days=2), log=quiet)
    assert tables.read(params.bronze_table("repositories")).rdd.getNumPartitions() == 3  # a batch per partition

    result = run_transform(spark, tables, {"repositories": COLUMNS}, params, log=quiet)

    assert result.merged == {"repositories": 1}
    silver = tables.read(params.silver_table("repositories")).collect()
    assert [(r.name, r.stars, r._bronze_batch) for r in silver] == [("second", 2, 3)]


def test_merging_the_same_batch_again_leaves_the_table_and_commits_nothing(spark):
    schema = silver_schema(COLUMNS)
    tables = LocalDeltaTables(spark)
    table = f"{catalog()}.silver.github_repositories"
    tables.ensure(table, schema)
    batch = [silver_row("a", "a", 1, T0, 1, T0, "a" * 64, "run-1"), silver_row("b", "b", 2, T0, 1, T0, "b" * 64, "run-1")]
    tables.merge_latest(table, spark.createDataFrame(batch, schema))
    first, version = snapshot(tables.read(table)), tables.delta(table).version()
    assert tables.delta(table).history()[0]["operationMetrics"]["num_target_rows_inserted"] == 2

    tables.merge_latest(table, spark.createDataFrame(batch, schema))

    assert snapshot(tables.read(table)) == first
    assert tables.delta(table).version() == version  # no row changed, so delta-rs wrote no new version

    older = [silver_row("a", "stale", 9, T0 - timedelta(days=1), 1, T0, "f" * 64, "run-0"),
             silver_row("c", "c", 3, T0, 1, T0, "c" * 64, "run-1")]
    tables.merge_latest(table, spark.createDataFrame(older, schema))  # a stale version beside a new key
    metrics = tables.delta(table).history()[0]["operationMetrics"]
    assert (metrics["num_target_rows_inserted"], metrics["num_target_rows_updated"]) == (1, 0)
    assert snapshot(tables.read(table)) == sorted(first + as_micros(older[1:], schema), key=repr)


def test_the_state_mark_advances_only_in_a_commit_after_its_bronze_batch_commit(spark, monkeypatch):
    tables = LocalDeltaTables(spark)
    params = run_parameters(catalog())
    bronze, state = params.bronze_table("repositories"), f"{params.bronze}.connector_state"
    source = ListSource({"repositories": [record("a", T0, name="a", stars=1), record("b", T0, name="b", stars=2)]})
    run_ingest(spark, tables, source, params, clock=lambda: T0 + timedelta(days=1), log=quiet)

    source.records["repositories"].append(record("c", T0 + timedelta(hours=1), name="c", stars=3))
    crash_mid_write(monkeypatch, "driver lost mid-append", where=lambda schema: schema.names == BRONZE_SCHEMA.names)
    with pytest.raises(DeltaError, match="RuntimeError: driver lost mid-append"):
        run_ingest(spark, tables, source, params, clock=lambda: T0 + timedelta(days=2), log=quiet)
    monkeypatch.undo()
    run_ingest(spark, tables, source, params, clock=lambda: T0 + timedelta(days=3), log=quiet)

    # Read back from the logs: bronze committed batch 1, then (after the failed append, which left no version)
    # batch 2; the state's versions move `ingested_batch` to 1, then 2, each in a commit after its batch's.
    bronze_log = sorted(tables.delta(bronze).history(), key=lambda h: h["version"])
    state_log = sorted(tables.delta(state).history(), key=lambda h: h["version"])
    assert [h["operation"] for h in bronze_log] == ["CREATE TABLE", "WRITE", "WRITE"]
    assert [h["operation"] for h in state_log] == ["CREATE TABLE", "MERGE", "MERGE"]
    batches = [sorted({r.batch for r in tables.read_version(version_of(tables, bronze, h["version"])).collect()})
               for h in bronze_log]
    marks = [[tuple(r) for r in tables.read_version(version_of(tables, state, h["version"]))
              .select("ingested_batch", F.unix_micros("high_water_mark")).collect()] for h in state_log]
    assert batches == [[], [1], [1, 2]]
    assert marks == [[], [(1, T0_MICROS)], [(2, T0_MICROS + 3_600_000_000)]]
    for batch in (1, 2):
        assert bronze_log[batch]["timestamp"] <= state_log[batch]["timestamp"]


def test_a_write_that_dies_midway_leaves_the_previous_version_readable(spark, monkeypatch):
    schema = silver_schema(COLUMNS)
    tables = LocalDeltaTables(spark)
    table = f"{catalog()}.silver.github_repositories"
    tables.ensure(table, schema)
    old = [silver_row("a", "a", 1, T0, 1, T0, "a" * 64, "run-1")]
    tables.merge_latest(table, spark.createDataFrame(old, schema))
    version = tables.delta(table).version()
    crash_mid_write(monkeypatch, "cluster lost")
    new = [silver_row(k, k, 2, T0 + timedelta(hours=1), 2, T0, "b" * 64, "run-2") for k in ("a", "b", "c")]

    with pytest.raises(DeltaError, match="RuntimeError: cluster lost"):
        tables.merge_latest(table, spark.createDataFrame(new, schema))
    with pytest.raises(DeltaError, match="RuntimeError: cluster lost"):
        tables.append(table, spark.createDataFrame(new, schema))

    assert tables.delta(table).version() == version
    assert snapshot(tables.read(table)) == as_micros(old, schema)
    monkeypatch.undo()
    tables.merge_latest(table, spark.createDataFrame(new, schema))  # the retry lands whole
    assert snapshot(tables.read(table)) == as_micros(new, schema)


@pytest.mark.parametrize("partitions", [1, 3])
def test_rows_reach_a_local_table_a_partition_per_spark_job_and_one_partition_in_one(spark, partitions,
                                                                                     monkeypatch):
    """Several partitions stream one at a time (toLocalIterator: a job each), so the driver holds one partition at
    a time; one partition is collected in one job, without toLocalIterator's round trip per partition."""
    streamed: list[int] = []
    stream = DataFrame.toLocalIterator
    monkeypatch.setattr(DataFrame, "toLocalIterator",
                        lambda frame, *args, **kwargs: streamed.append(1) or stream(frame, *args, **kwargs))
    schema = silver_schema(COLUMNS)
    tables = LocalDeltaTables(spark)
    table = f"{catalog()}.silver.github_repositories"
    tables.ensure(table, schema)
    rows = [silver_row(k, k, 1, T0, 1, T0, k * 64, "run-1") for k in ("a", "b", "c")]
    frame = spark.createDataFrame(rows, schema).repartition(partitions)
    scheduler = spark.sparkContext._jsc.sc().dagScheduler()
    before = scheduler.numTotalJobs()

    tables.append(table, frame)

    assert scheduler.numTotalJobs() - before == partitions
    assert len(streamed) == (partitions > 1)
    assert snapshot(tables.read(table)) == as_micros(rows, schema)


def test_the_table_store_is_delta_on_a_databricks_cluster_and_local_delta_elsewhere(spark, monkeypatch):
    monkeypatch.delenv("DATABRICKS_RUNTIME_VERSION", raising=False)
    local = table_store(spark)
    assert type(local) is LocalDeltaTables
    assert local.path("cat.silver.t") == str(Path(spark.conf.get("spark.sql.warehouse.dir").removeprefix("file:"))
                                             / "cat" / "silver" / "t")
    monkeypatch.setenv("DATABRICKS_RUNTIME_VERSION", "14.3")
    assert type(table_store(spark)) is DeltaTables


# ------------------------------------------------------------------------------------ helpers for runs


def record(key: str, updated: datetime, **payload) -> SourceRecord:
    return SourceRecord("repositories", key, updated, payload)


def run_parameters(cat: str) -> RunParameters:
    return RunParameters(source_name="github", target_catalog=cat, hwm_reset=False, source="github", settings={},
                         secret_scope="mvp-connectors", secret_names=(), bronze=f"{cat}.bronze",
                         silver=f"{cat}.silver", initial_mark=None, job_run_id="run-1")


def version_of(tables: LocalDeltaTables, table: str, version: int):
    return DeltaTable(tables.path(table), version=version)


def quiet(_: str) -> None:
    pass
