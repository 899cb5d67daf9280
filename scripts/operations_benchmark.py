#!/usr/bin/env python
"""How long `python -m operations` takes to start: `--help`, and reading the sample config the way every
operation does (tests/fixtures/sample/connectors.yaml, every check of it). Neither loads jsii, cdktf or the
provider bindings (tests/operations/test_cli.py holds that). Then how long a command takes to fail with no
network: `status --env dev` against a loopback port that refuses connections and one that never accepts them.
This prints the figures, it tests nothing.

Run from the project folder:  pipenv run python scripts/operations_benchmark.py   (or `make bench-operations`);
--repeat N (default 5) runs each N times, after one unmeasured warm-up, and prints the medians as Markdown.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
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


def wall_time(arguments: list[str], env: dict[str, str] | None = None, check: bool = True) -> tuple[float, float]:
    """The command's wall time and CPU time (user + sys of it and its children), in seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, *arguments], cwd=PROJECT_DIR, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=check, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def row(name: str, times: list[tuple[float, float]]) -> str:
    return (f"| {name} | {statistics.median(t[0] for t in times):.2f} | "
            f"{statistics.median(t[1] for t in times):.2f} |")


def no_network(kind: str, folder: Path) -> tuple[list[str], dict[str, str]]:
    """`status --env dev` of the sample config, its workspace a profile at a loopback port that refuses the
    connection ('refused') or never accepts it (a full backlog: 'silent', as a black-holed address)."""
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    if kind == "silent":
        server.listen(0)
        for _ in range(3):  # fill the backlog: further connection attempts go unanswered
            waiting = socket.socket()
            waiting.setblocking(False)
            waiting.connect_ex(server.getsockname())
            _KEEP.append(waiting)
    _KEEP.append(server)
    config = folder / f"{kind}.yaml"
    # Without the jobs section, whose notebooks are found beside the sample only: the connectors' jobs are queried.
    text = (SAMPLE_CONFIG.read_text().split("\njob_hierarchy:", 1)[0]
            .replace("host: https://adb-1111111111111111.11.azuredatabricks.net\n", "profile: bench\n", 1)
            .replace("warehouse_id: 4b9e2d7a1c3f5e80\n", "warehouse_id: 4b9e2d7a1c3f5e80\n      workspace_id: \"1\"\n", 1))
    config.write_text(text)
    (folder / f"{kind}.cfg").write_text(f"[bench]\nhost = http://127.0.0.1:{server.getsockname()[1]}\n"
                                        "token = bench\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABRICKS_")}
    env.update(DATABRICKS_CONFIG_FILE=str(folder / f"{kind}.cfg"), HOME=str(folder))
    return ["-m", "operations", "status", "--env", "dev", "--config", str(config)], env


_KEEP: list = []  # the sockets, open while the failing commands run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per command (default 5); the median is shown")
    args = parser.parse_args()
    # CPU time says what the command costs; wall time also counts waiting (the network's bound) and, on a busy
    # machine, the wait for a core.
    print(f"load average before: {os.getloadavg()[0]:.1f}\n")
    print("| command | median wall time (s) | median CPU time (s) |\n|---|---:|---:|")
    for name, arguments in COMMANDS.items():
        wall_time(arguments)  # warm-up: .pyc files and the page cache
        times = [wall_time(arguments) for _ in range(args.repeat)]
        print(row(name, times))
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        for kind, name in (("refused", "`status --env dev`, connection refused"),
                           ("silent", "`status --env dev`, a host that never answers")):
            arguments, env = no_network(kind, Path(folder))
            times = [wall_time(arguments, env, check=False) for _ in range(min(args.repeat, 3))]
            print(row(f"{name} (fails)", times))
    print(f"\nmedian of {args.repeat} (of {min(args.repeat, 3)} for the failing commands); "
          f"Python {platform.python_version()}, {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
