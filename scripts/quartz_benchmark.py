#!/usr/bin/env python
"""How long the differential test against the real Quartz takes (tests/core/test_quartz_against_real_quartz.py),
and what it compares: the same corpus and comparison, timed by part, printed as Markdown.

Run from the project folder:  pipenv run python scripts/quartz_benchmark.py   (or `make bench-quartz`);
--repeat N runs it N times and reports the medians. Needs Debian's libquartz2-java and a JDK (`make install`).
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

from tests.core.real_quartz import Differential, missing, run_differential  # noqa: E402  (after the path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs to take the median of (default: 3)")
    args = parser.parse_args(argv)
    if (why := missing()) is not None:
        print(f"quartz_benchmark: {why}", file=sys.stderr)
        return 1
    runs: list[tuple[float, Differential]] = []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="real-quartz-") as folder:
            started = time.perf_counter()
            report = run_differential(Path(folder))
            runs.append((time.perf_counter() - started, report))
    last = runs[-1][1]
    def median(part: str) -> float:
        return statistics.median(r.seconds[part] for _, r in runs)
    print("| expressions | requests | fire-time comparisons (near a 60 / 30-minute change) | both refuse | "
          "refused on purpose | failures | javac (s) | real Quartz (s) | core.quartz (s) | total (s) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| {last.expressions} | {last.requests} | {last.fire_comparisons} ({last.near_changes.get(60, 0)} / "
          f"{last.near_changes.get(30, 0)}) | {last.both_refuse} | {sum(last.stricter.values())} | "
          f"{len(last.failures)} | {median('javac'):.1f} | {median('quartz'):.1f} | {median('ours'):.1f} | "
          f"{statistics.median(t for t, _ in runs):.1f} |")
    print()
    print("Refused on purpose, by reason: " + ", ".join(f"{k} {v}" for k, v in sorted(last.stricter.items())))
    print(f"Medians of {len(runs)} runs on {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}.")
    for failure in last.failures[:20]:
        print(f"FAILURE: {failure}")
    return 1 if last.failures else 0


if __name__ == "__main__":
    sys.exit(main())
