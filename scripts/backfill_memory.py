#!/usr/bin/env python
"""The driver's peak memory during a large backfill: ingest of 200,000 records from a loopback CMDB (the CMDB
source over real HTTP, tests/generated_cmdb.py) into a real local Delta bronze table, appended in chunks of
CHUNK_RECORDS (what run_ingest does) and, for comparison, the whole fetch as one chunk (what it did before:
every record of the entity held in a list, then one append).

Each approach runs in a fresh Python process of its own (with its own local Spark session), so neither sees the
other's allocations; each reports the peak of Python allocations during the ingest (tracemalloc, started once
Spark and the server are up) and the process's peak resident size (ru_maxrss: the Python driver only; Spark's
JVM is a process of its own). Not a test: timings and memory depend on the machine.

    python scripts/backfill_memory.py [--records 200000] [--chunk 10000]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime, timezone
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))
sys.path.insert(0, str(PROJECT_DIR / "notebooks"))

PAGE = 1_000  # records per page of the loopback CMDB


def measure(records: int, chunk: int) -> dict[str, float]:
    """One ingest of `records` records in chunks of `chunk`, in this process: its peaks and duration."""
    from pyspark.sql import SparkSession

    from connector_http import HttpPolicy
    from connector_lakehouse import LocalDeltaTables, run_ingest
    from connector_runtime import RunParameters
    from source_cmdb import SPEC
    from tests.generated_cmdb import CREDENTIALS, cmdb_settings, serve_applications
    from tests.loopback import LoopbackServer

    with tempfile.TemporaryDirectory(prefix="backfill-memory-") as warehouse, LoopbackServer() as server:
        spark = (SparkSession.builder.master("local[1]").appName("backfill-memory")
                 .config("spark.sql.warehouse.dir", warehouse).config("spark.sql.session.timeZone", "UTC")
                 .config("spark.ui.enabled", "false").getOrCreate())
        spark.sparkContext.setLogLevel("ERROR")
        serve_applications(server, lambda: records, PAGE)
        source = SPEC.open(cmdb_settings(server, PAGE), CREDENTIALS, policy=HttpPolicy(timeout_seconds=30.0))
        params = RunParameters(source_name="cmdb", target_catalog="memory", hwm_reset=False, source="cmdb",
                               settings={}, secret_scope="mvp-connectors", secret_names=(), bronze="memory.bronze",
                               silver="memory.silver", initial_mark=None, job_run_id="backfill")
        tables = LocalDeltaTables(spark, warehouse)
        start = time.monotonic()
        tracemalloc.start()
        result = run_ingest(spark, tables, source, params, clock=lambda: datetime.now(timezone.utc),
                            log=lambda _: None, chunk_records=chunk)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        seconds = time.monotonic() - start
        bronze = tables.read("memory.bronze.cmdb_applications")
        written = 0 if bronze is None else bronze.count()
        spark.stop()
    if result.records != {"applications": records} or written != records:
        raise SystemExit(f"ingested {result.records}, bronze holds {written}: expected {records}")
    return {"peak_python_mib": peak / 2**20, "max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "seconds": seconds}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--chunk", type=int, default=None, help="records per chunk (default: CHUNK_RECORDS)")
    parser.add_argument("--measure", type=int, default=None, help=argparse.SUPPRESS)  # in a child: one chunk size
    args = parser.parse_args()
    if args.measure is not None:
        print(json.dumps(measure(args.records, args.measure)))
        return 0
    from connector_lakehouse import CHUNK_RECORDS

    chunk = args.chunk or CHUNK_RECORDS
    print(f"ingest of {args.records:,} records (loopback CMDB, {PAGE:,} a page) into a local Delta bronze table")
    print(f"{'approach':<34} {'peak Python (MiB)':>18} {'max RSS (MiB)':>14} {'seconds':>8}")
    for label, size in ((f"chunks of {chunk:,} (run_ingest)", chunk), ("whole fetch, one append (before)", args.records)):
        child = subprocess.run([sys.executable, __file__, "--records", str(args.records), "--measure", str(size)],
                               capture_output=True, text=True, check=False)
        if child.returncode != 0:
            print(child.stderr[-2000:], file=sys.stderr)
            return child.returncode
        figures = json.loads(child.stdout.strip().splitlines()[-1])
        print(f"{label:<34} {figures['peak_python_mib']:>18.1f} {figures['max_rss_mib']:>14.1f} "
              f"{figures['seconds']:>8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
