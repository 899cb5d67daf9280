#!/usr/bin/env python
"""How long `python -m operations` takes to start: `--help`, and reading the sample config the way every
operation does (tests/fixtures/sample/connectors.yaml, every check of it). Neither loads jsii, cdktf or the
provider bindings (tests/operations/test_cli.py holds that); this prints the figure, it tests nothing.

Run from the project folder:  pipenv run python scripts/operations_benchmark.py   (or `make bench-operations`);
--repeat N (default 5) runs each N times, after one unmeasured warm-up, and prints the medians as Markdown.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
SAMPLE_CONFIG = PROJECT_DIR / "tests" / "fixtures" / "sample" / "connectors.yaml"
READ_CONFIG = ("import argparse, operations.cli\nfrom operations.jobs import environment_of\n"
               f"environment_of(argparse.Namespace(config={str(SAMPLE_CONFIG)!r}, env='dev'), 'nothing done')\n")
COMMANDS = {
    "`python -m operations --help`": ["-m", "operations", "--help"],
    "reading the sample config (`operations.jobs.environment_of`)": ["-c", READ_CONFIG],
}


def wall_time(arguments: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, *arguments], cwd=PROJECT_DIR, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per command (default 5); the median is shown")
    args = parser.parse_args()
    print("| command | median wall time (s) |\n|---|---:|")
    for name, arguments in COMMANDS.items():
        wall_time(arguments)  # warm-up: .pyc files and the page cache
        times = [wall_time(arguments) for _ in range(args.repeat)]
        print(f"| {name} | {statistics.median(times):.2f} |")
    print(f"\nmedian of {args.repeat}; Python {platform.python_version()}, {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
