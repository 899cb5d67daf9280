#!/usr/bin/env python
"""How synth time, CPU and memory grow with the number of connectors, against a databricks-bundles baseline.

Run from the project folder:  pipenv run python scripts/benchmark.py   (or `make bench`); options: --help

For each N it writes a config with the sample connectors.yaml's `environments` and `defaults` plus N generated
batch connectors into <scratch>/n<N>/connectors.yaml, then runs the synth, `python -O main.py` (the flags are
--python-flags; -O as `make synth` runs it), there (cwd = that folder, so the output lands in
<scratch>/n<N>/cdktf.out). Interleaved with each synth it runs the baseline, scripts/bundles_baseline.py: the
same N x 2 connector jobs built and serialised with Databricks' own Python job model (databricks-bundles, in
its own virtualenv <scratch>/bundles-venv, made on first use and never part of the Pipfile). Each runs --repeat
times; per N the report gives the medians of wall time, CPU time (user + sys of the whole process tree) and
peak memory of the whole process tree (python and the node jsii children; Pss from /proc/<pid>/smaps_rollup,
VmRSS where that cannot be read), the synth's resources, the ratio of the two wall times, a least-squares fit
of synth wall time against resources, the resources per stack for the largest N and the machine. After the
measured runs of each N, one unmeasured baseline run checks that its jobs equal the synth's. One unmeasured
warm-up of each first fills the caches (.pyc files, page cache) that would otherwise slow only the first
measured run. --doc writes the report between `<!-- benchmark:begin -->` and `<!-- benchmark:end -->` in a doc
(docs/performance.md).
Stdlib only; Linux (/proc).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import json
import os
import re
import resource
import shlex
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))
from core import JSII_SILENCING  # noqa: E402  (stdlib only: the project's shared vocabulary)
MAIN = PROJECT_DIR / "main.py"
BASELINE = PROJECT_DIR / "scripts" / "bundles_baseline.py"
SAMPLE = PROJECT_DIR / "connectors.yaml"
SCHEDULES = ("0 */15 * * * ?", "0 0 */3 * * ?", "0 0 2 * * ?")  # bundles_baseline.py mirrors these
KEPT_SECTIONS = ("environments", "defaults")
BUNDLES_PACKAGE, BUNDLES_VERSION = "databricks-bundles", "1.22.1"
PACKAGES = ("cdktf", "cdktf-cdktf-provider-databricks", "jsii")
DOC_BEGIN, DOC_END = "<!-- benchmark:begin -->", "<!-- benchmark:end -->"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# How often the process tree is sampled. Each sample reads every process's memory map summary, CPU the measured
# processes then lack on a 2-core machine: every 10 ms it cost a 500-connector synth (four busy processes) 0.4 s of
# its 3 s, a single-process baseline almost nothing. A synth's memory grows over seconds, so 50 ms finds its peak.
SAMPLE_SECONDS = 0.05


def config_text(n: int, groups: int | None = None) -> str:
    """The sample's top-level `environments` and `defaults` sections, verbatim, plus N generated connectors,
    spread round-robin over groups g01..g<groups> when `groups` is given."""
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
        if groups:
            lines.append(f"    deploy_group: g{(i - 1) % groups + 1:02d}")
    return "\n".join(lines) + "\n"


def process_table() -> dict[int, tuple[int, int]]:
    """{pid: (ppid, utime + stime in clock ticks)} of every process, from /proc/<pid>/stat."""
    table = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(entry.path, "stat").read_text()
            except OSError:
                continue  # exited meanwhile
            # After "(comm)": state, ppid, ...; utime and stime are fields 14 and 15 of the whole line.
            fields = stat[stat.rindex(")") + 2:].split()
            table[int(entry.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    return table


def descendants(root: int, table: dict[int, tuple[int, int]]) -> set[int]:
    """root and every process below it in `table`."""
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
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


@dataclass(frozen=True)
class Sample:
    wall: float  # s
    cpu: float  # s, user + sys of the process tree
    peak: float  # MB, peak Pss (or VmRSS) of the process tree


def measure(command: list[str], workdir: Path, env: dict[str, str], label: str, used: set[str]) -> Sample:
    """Runs `command` in workdir, sampling its process tree every SAMPLE_SECONDS; exits if it fails."""
    out_log, err_log = workdir / f"{label}.stdout.log", workdir / f"{label}.stderr.log"
    peak_kb = 0
    cpu_seen: dict[int, int] = {}  # pid -> its CPU ticks, as last seen
    # RUSAGE_CHILDREN covers descendants that were waited for (jsii waits for its node process); the /proc
    # samples are the fallback for any that were not, so the larger of the two counts.
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with out_log.open("wb") as out, err_log.open("wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(command, cwd=workdir, env=env, stdout=out, stderr=err)
        try:
            while proc.poll() is None:
                table = process_table()
                tree = descendants(proc.pid, table)
                cpu_seen.update((pid, table[pid][1]) for pid in tree if pid in table)
                peak_kb = max(peak_kb, sum(memory_kb(pid, used) for pid in tree))
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=SAMPLE_SECONDS)
            wall = time.perf_counter() - start
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.stderr.write(err_log.read_text(errors="replace"))
        sys.exit(f"benchmark: {label} failed in {workdir} (exit code {proc.returncode}); its stderr is above")
    waited = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Sample(wall, max(waited, sum(cpu_seen.values()) / CLOCK_TICKS), peak_kb * 1024 / 1e6)


def bundles_python(scratch: Path) -> Path:
    """The interpreter of <scratch>/bundles-venv with databricks-bundles==BUNDLES_VERSION, made if needed."""
    venv = scratch / "bundles-venv"
    python = venv / "bin" / "python"
    if python.exists() and installed_version(python, BUNDLES_PACKAGE) == BUNDLES_VERSION:
        return python
    print(f"benchmark: creating {venv} with {BUNDLES_PACKAGE}=={BUNDLES_VERSION}", file=sys.stderr, flush=True)
    for command in ([sys.executable, "-m", "venv", "--clear", str(venv)],
                    [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                     f"{BUNDLES_PACKAGE}=={BUNDLES_VERSION}"]):
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit(f"benchmark: {shlex.join(command)} failed:\n{done.stdout}{done.stderr}"
                     "(--no-baseline skips the baseline)")
    return python


def installed_version(python: Path, package: str) -> str | None:
    done = subprocess.run([str(python), "-c", f"import importlib.metadata as m; print(m.version({package!r}))"],
                          capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else None


def count_resources(outdir: Path) -> dict[str, int]:
    """{stack: resources} of outdir/stacks/*/cdk.tf.json; data sources and outputs are not counted."""
    return {
        stack.parent.name: sum(len(instances) for instances in
                               json.loads(stack.read_text(encoding="utf-8")).get("resource", {}).values())
        for stack in sorted(outdir.glob("stacks/*/cdk.tf.json"))
    }


def machine_line(bundles_version: str | None) -> str:
    cpuinfo = Path("/proc/cpuinfo").read_text(errors="replace")
    model = next(iter(re.findall(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)), "unknown CPU")
    meminfo = Path("/proc/meminfo").read_text()
    total = re.search(r"^MemTotal:\s*(\d+)", meminfo, re.M)
    assert total is not None  # Linux's /proc/meminfo always starts with it
    ram = int(total.group(1)) / 1024 ** 2
    try:
        node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip() or "unknown"
    except OSError:
        node = "not found"
    versions = []
    for package in PACKAGES:
        try:
            versions.append(f"{package} {importlib.metadata.version(package)}")
        except importlib.metadata.PackageNotFoundError:
            versions.append(f"{package} not installed")
    if bundles_version:
        versions.append(f"{BUNDLES_PACKAGE} {bundles_version}")
    return (f"Machine: {model}, {os.cpu_count()} CPU(s), {ram:.1f} GiB RAM; Python {sys.version.split()[0]}, "
            f"Node {node}; {', '.join(versions)}.")


def median(samples: list[Sample]) -> Sample:
    return Sample(*(statistics.median(getattr(s, f) for s in samples) for f in ("wall", "cpu", "peak")))


def report(rows: list[tuple], per_stack: dict[str, int], args: argparse.Namespace, used: set[str],
           bundles_version: str | None) -> str:
    """The markdown report: results table, fit, notes, resources per stack, machine."""
    baseline = bundles_version is not None
    head = ["N", "stacks", "resources", "synth wall (s)", "synth CPU (s)", "synth peak (MB)", "ms/resource"]
    if baseline:
        head += ["bundles wall (s)", "bundles CPU (s)", "bundles peak (MB)", "ratio (synth wall / bundles wall)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---:|" * len(head)]
    for n, stacks, resources, synth, bundles in rows:
        cells = [n, stacks, resources, f"{synth.wall:.2f}", f"{synth.cpu:.2f}", f"{synth.peak:.0f}",
                 f"{synth.wall * 1000 / resources:.1f}" if resources else "–"]
        if baseline:
            cells += [f"{bundles.wall:.2f}", f"{bundles.cpu:.2f}", f"{bundles.peak:.0f}",
                      f"{synth.wall / bundles.wall:.1f}"]
        lines.append("| " + " | ".join(map(str, cells)) + " |")

    try:
        slope, fixed = statistics.linear_regression([r[2] for r in rows], [r[3].wall for r in rows])
        lines.append(f"\nFit (least squares, synth wall vs resources): {fixed:.2f} s fixed + {slope * 1000:.2f} ms "
                     "per resource")
    except statistics.StatisticsError:
        lines.append("\nFit: needs at least two sizes with different resource counts")
    synth_command = shlex.join(["python", *args.python_flags, "main.py"])
    note = (f"Median of {args.repeat} run(s) per size; synth = `{synth_command}`"
            + ("; baseline = scripts/bundles_baseline.py (the same connector jobs with databricks-bundles), "
               "runs interleaved with the synth's" if baseline else "")
            + f"; CPU = user + sys of the process tree; memory = {' and '.join(sorted(used))} of the process tree, "
            f"sampled every ~{SAMPLE_SECONDS * 1000:.0f} ms.")
    if args.groups:
        note += f" Connectors in {args.groups} group(s); the baseline still builds one job per connector, unchecked."
    lines.append(note)
    lines += ["", f"Resources per stack (N={rows[-1][0]}):", "", "| stack | resources |", "|---|---:|"]
    lines += [f"| {stack} | {count} |" for stack, count in per_stack.items()]
    lines += ["", machine_line(bundles_version)]
    return "\n".join(lines)


def doc_parts(path: Path) -> tuple[str, str]:
    """The text of `path` up to and including the begin marker, and from the end marker on; exits if absent."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        sys.exit(f"benchmark: cannot read --doc {path}: {error}")
    begin, end = text.find(DOC_BEGIN), text.find(DOC_END)
    if begin < 0 or end < begin:
        sys.exit(f"benchmark: {path} needs a line {DOC_BEGIN} and after it a line {DOC_END}; "
                 "the report goes between them")
    return text[:begin + len(DOC_BEGIN)], text[end:]


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
    parser.add_argument("--warmup", type=int, default=1, help="unmeasured runs of each before the first size")
    parser.add_argument("--scratch", type=Path, default=PROJECT_DIR / ".bench",
                        help="folder for generated configs, synth output and the baseline's virtualenv")
    parser.add_argument("--python-flags", type=shlex.split, default="-O",
                        help="interpreter flags of the synth process; give them after `=`: --python-flags=-O, "
                        "--python-flags= for none")
    parser.add_argument("--no-baseline", action="store_true", help="skip the databricks-bundles baseline")
    parser.add_argument("--groups", type=int, metavar="K",
                        help="put every generated connector in one of K groups g01..gK, round-robin")
    parser.add_argument("--doc", type=Path, metavar="PATH",
                        help=f"write the report between {DOC_BEGIN} and {DOC_END} in PATH, not to stdout")
    args = parser.parse_args()
    if args.repeat < 1 or args.warmup < 0 or (args.groups is not None and args.groups < 1):
        parser.error("--repeat and --groups must be at least 1, --warmup at least 0")
    if args.doc:
        doc_parts(args.doc)  # fail before the long part, not after it
    args.scratch = args.scratch.resolve()

    bundles = None if args.no_baseline else bundles_python(args.scratch)
    synth_env = {k: v for k, v in os.environ.items() if k != "CDKTF_OUTDIR"}  # else main.py writes where that says
    for name, value in JSII_SILENCING.items():  # also for another commit's synth, whose core may not set them
        synth_env.setdefault(name, value)
    rows: list[tuple] = []
    used: set[str] = set()
    per_stack: dict[str, int] = {}
    for i, n in enumerate(args.sizes):
        workdir = args.scratch / f"n{n:04d}"
        workdir.mkdir(parents=True, exist_ok=True)
        config = workdir / "connectors.yaml"
        config.write_text(config_text(n, args.groups), encoding="utf-8")
        synth_cmd = [sys.executable, *args.python_flags, str(MAIN)]
        env = {**synth_env, "CONNECTORS_CONFIG": str(config)}
        baseline_cmd = bundles and [str(bundles), str(BASELINE), "--connectors", str(n),
                                    "--out", str(workdir / "bundles.out")]
        synth_runs, baseline_runs = [], []
        for run in range(-(args.warmup if i == 0 else 0), args.repeat):
            # Interleaved, so a noisy moment on the machine hits both; negative runs are the warm-up.
            sample = measure(synth_cmd, workdir, env, "synth", set() if run < 0 else used)
            if run >= 0:
                synth_runs.append(sample)
            if baseline_cmd:
                sample = measure(baseline_cmd, workdir, os.environ.copy(), "baseline", set() if run < 0 else used)
                if run >= 0:
                    baseline_runs.append(sample)
        if baseline_cmd and not args.groups:
            # Unmeasured: are the baseline's jobs still the synth's? (a grouped synth builds other jobs)
            measure([*baseline_cmd, "--check", str(workdir / "cdktf.out")], workdir, os.environ.copy(),
                    "baseline-check", set())
        per_stack = count_resources(workdir / "cdktf.out")
        rows.append((n, len(per_stack), sum(per_stack.values()), median(synth_runs),
                     median(baseline_runs) if baseline_runs else None))
        print(f"  N={n}: synth {', '.join(f'{s.wall:.2f}s' for s in synth_runs)}"
              + (f"; bundles {', '.join(f'{s.wall:.2f}s' for s in baseline_runs)}" if baseline_runs else ""),
              file=sys.stderr, flush=True)

    text = report(rows, per_stack, args, used, installed_version(bundles, BUNDLES_PACKAGE) if bundles else None)
    if args.doc:
        head, tail = doc_parts(args.doc)  # read again: it may have been edited meanwhile
        args.doc.write_text(f"{head}\n{text}\n{tail}", encoding="utf-8")
        print(f"benchmark: report written to {args.doc}", file=sys.stderr)
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
