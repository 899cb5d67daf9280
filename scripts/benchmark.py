#!/usr/bin/env python
"""How synth time and memory grow with the number of connectors.

Run from the project folder:  pipenv run python scripts/benchmark.py   (or `make bench`); options: --help

For each N it writes a config with the sample connectors.yaml's `environments` and `defaults` plus N generated
batch connectors into <scratch>/n<N>/connectors.yaml, then runs `python main.py` there (cwd = that folder, so
the output lands in <scratch>/n<N>/cdktf.out) --repeat times. It reports the median wall time of the whole
process, the peak memory of the whole process tree (python and the node jsii child; Pss from
/proc/<pid>/smaps_rollup, VmRSS where that cannot be read), the resources in the synthesized stacks, and a
least-squares fit of wall time against resources. One unmeasured warm-up synth first fills the caches
(.pyc files, page cache) that would otherwise slow only the first measured run. Stdlib only; Linux (/proc).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
MAIN = PROJECT_DIR / "main.py"
SAMPLE = PROJECT_DIR / "connectors.yaml"
SCHEDULES = ("0 */15 * * * ?", "0 0 */3 * * ?", "0 0 2 * * ?")
KEPT_SECTIONS = ("environments", "defaults")


def config_text(n: int) -> str:
    """The sample's top-level `environments` and `defaults` sections, verbatim, plus N generated connectors."""
    sections: dict[str, list[str]] = {}
    current = None
    for line in SAMPLE.read_text(encoding="utf-8").splitlines():
        top = re.match(r"([A-Za-z_]\w*)\s*:", line)
        if top:
            current = top.group(1)
        if current is not None:
            sections.setdefault(current, []).append(line)
    if missing := [name for name in KEPT_SECTIONS if name not in sections]:
        sys.exit(f"benchmark: {SAMPLE} has no top-level {', '.join(missing)} section")
    lines = [line for name in KEPT_SECTIONS for line in sections[name]] + ["connectors:"]
    for i in range(1, n + 1):
        lines += [
            f"  - name: conn_{i:04d}",
            "    kind: batch",
            f"    description: Generated benchmark connector {i}.",
            f'    schedule: "{SCHEDULES[(i - 1) % len(SCHEDULES)]}"',
            "    source: github",
            "    settings: {organisation: acme}",
            f"    secrets: [conn_{i:04d}-token]",
        ]
    return "\n".join(lines) + "\n"


def descendants(root: int) -> set[int]:
    """root and every process below it, from the ppid field of /proc/<pid>/stat."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(entry.path, "stat").read_text()
            except OSError:
                continue  # exited meanwhile
            ppid = int(stat[stat.rindex(")") + 2:].split()[1])  # fields after "(comm)": state, ppid, ...
            children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = set(), [root]
    while todo:
        pid = todo.pop()
        tree.add(pid)
        todo.extend(children.get(pid, ()))
    return tree


def memory_kb(pid: int, used: set[str]) -> int:
    """Pss of one process in kB (shared pages split fairly between the processes sharing them), else VmRSS."""
    for path, key, kind in ((f"/proc/{pid}/smaps_rollup", "Pss:", "Pss"), (f"/proc/{pid}/status", "VmRSS:", "VmRSS")):
        try:
            for line in Path(path).read_text().splitlines():
                if line.startswith(key):
                    used.add(kind)
                    return int(line.split()[1])
        except (OSError, ValueError):
            pass
    return 0  # gone, or a zombie


def run_once(workdir: Path, config: Path, used: set[str]) -> tuple[float, float]:
    """(wall seconds, peak MB of the process tree) of one `python main.py`; exits if the synth fails."""
    env = {k: v for k, v in os.environ.items() if k != "CDKTF_OUTDIR"}  # else main.py writes where that says
    env["CONNECTORS_CONFIG"] = str(config)
    out_log, err_log = workdir / "stdout.log", workdir / "stderr.log"
    peak_kb = 0
    with out_log.open("wb") as out, err_log.open("wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, str(MAIN)], cwd=workdir, env=env, stdout=out, stderr=err)
        try:
            while proc.poll() is None:
                peak_kb = max(peak_kb, sum(memory_kb(pid, used) for pid in descendants(proc.pid)))
                try:
                    proc.wait(timeout=0.01)
                except subprocess.TimeoutExpired:
                    pass
            wall = time.perf_counter() - start
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    if proc.returncode != 0:
        sys.stderr.write(err_log.read_text(errors="replace"))
        sys.exit(f"benchmark: synth failed for {config} (exit code {proc.returncode}); its stderr is above")
    return wall, peak_kb * 1024 / 1e6


def count_resources(outdir: Path) -> tuple[int, int]:
    """(stacks, resources) in outdir/stacks/*/cdk.tf.json; data sources and outputs are not counted."""
    stacks = sorted(outdir.glob("stacks/*/cdk.tf.json"))
    resources = sum(
        len(instances)
        for stack in stacks
        for instances in json.loads(stack.read_text(encoding="utf-8")).get("resource", {}).values()
    )
    return len(stacks), resources


def sizes(text: str) -> list[int]:
    try:
        values = sorted({int(part) for part in text.split(",")})
    except ValueError:
        values = []
    if not values or values[0] < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give positive integers separated by commas, e.g. 1,10,100")
    return values


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--sizes", type=sizes, default="1,10,100,500",
                        help="comma-separated numbers of generated connectors, e.g. 1,10")
    parser.add_argument("--repeat", type=int, default=3, help="runs per size; the median is reported")
    parser.add_argument("--warmup", type=int, default=1, help="unmeasured synths before the first size")
    parser.add_argument("--scratch", type=Path, default=PROJECT_DIR / ".bench",
                        help="folder for generated configs and synth output")
    args = parser.parse_args()
    if args.repeat < 1 or args.warmup < 0:
        parser.error("--repeat must be at least 1 and --warmup at least 0")

    rows, used = [], set()
    for i, n in enumerate(args.sizes):
        workdir = (args.scratch / f"n{n:04d}").resolve()
        workdir.mkdir(parents=True, exist_ok=True)
        config = workdir / "connectors.yaml"
        config.write_text(config_text(n), encoding="utf-8")
        for _ in range(args.warmup if i == 0 else 0):
            run_once(workdir, config, set())
        runs = [run_once(workdir, config, used) for _ in range(args.repeat)]
        envs, resources = count_resources(workdir / "cdktf.out")
        wall, peak = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
        rows.append((n, envs, resources, wall, peak))
        print(f"  N={n}: {', '.join(f'{w:.2f}s' for w, _ in runs)}", file=sys.stderr, flush=True)

    print("| N | environments | resources | median wall (s) | peak memory (MB) | ms/resource "
          "| marginal ms/resource |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    previous = None
    for n, envs, resources, wall, peak in rows:
        marginal = "–"
        if previous and resources != previous[2]:
            marginal = f"{(wall - previous[3]) * 1000 / (resources - previous[2]):.1f}"
        per = f"{wall * 1000 / resources:.1f}" if resources else "–"
        print(f"| {n} | {envs} | {resources} | {wall:.2f} | {peak:.0f} | {per} | {marginal} |")
        previous = (n, envs, resources, wall, peak)

    try:
        slope, fixed = statistics.linear_regression([r[2] for r in rows], [r[3] for r in rows])
        print(f"\nFit (least squares, wall vs resources): {fixed:.2f} s fixed + {slope * 1000:.2f} ms per resource")
    except statistics.StatisticsError:
        print("\nFit: needs at least two sizes with different resource counts")
    print(f"Median of {args.repeat} run(s) per size; memory = {' and '.join(sorted(used))} of the process tree, "
          f"sampled every ~10 ms; {os.cpu_count()} CPU(s), Python {sys.version.split()[0]}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
