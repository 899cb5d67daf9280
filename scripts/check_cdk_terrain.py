#!/usr/bin/env python
"""The switch to CDK Terrain, proven on every change (`make check-cdk-terrain`, in CI after check-standalone).

In a scratch copy of the repository's git-tracked files (as they are in the working tree):

1. under cdktf (this checkout's `.venv`), synthesize the fixture sample (tests/fixtures/sample) and a generated
   100-connector config (scripts/benchmark.py's generator over the sample's environments and defaults);
2. run the switch (scripts/switch_toolchain.py, without the locks: `--with-locks` runs them too);
3. under cdktn (a virtualenv of its own with the switched Pipfile's pins, the rest at Pipfile.lock's versions,
   made on first use and kept in .bench/cdk-terrain/venv-<hash>), synthesize the same two;
4. the two synths must hold the same stacks, files and logical ids, and the same JSON but for VERSION_VALUES;
   then each toolchain's synth of the generated config is measured, interleaved in the same run (`--bench`
   REPEAT, default 3): wall, CPU and peak memory of the process tree, as scripts/benchmark.py measures them;
5. under cdktn, run tests/constructs, tests/policy and tests/connectors_config; the tests that depend on the
   provider's version read core/provider_differences.py (what the newer provider adds), nothing is skipped.

It prints each step's time and the total. Exit 0 when all hold, 1 with what differs or failed.

    python scripts/check_cdk_terrain.py [--keep] [--with-locks] [--no-tests] [--bench REPEAT]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

from benchmark import config_text
import benchmark
from check_user_edits import link_shared, repository_files
from switch_toolchain import SwitchError, switch

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".bench" / "cdk-terrain"
SAMPLE = Path("tests/fixtures/sample")
GENERATED = 100
# And the provider's job shape: the fields the newer provider adds are data there (core/provider_differences.py).
TEST_PACKAGES = ("tests/constructs", "tests/policy", "tests/connectors_config", "tests/core/test_provider_job_shape.py")
# Of the dev packages, what those tests import (pyspark: the monitoring queries on a real Spark session).
DEV_PACKAGES = ("pytest", "syrupy", "hypothesis", "sqlglot", "pyspark")
# The switched packages and what they bring along: from the switched Pipfile and pip, not from the cdktf lock.
SWITCHED = {"cdktf", "cdktf-cdktf-provider-databricks", "cdktn", "cdktn-provider-databricks", "constructs"}
# The only values in which a stack may differ between the toolchains (JSON paths; `*` any key).
VERSION_VALUES = (
    ("//", "metadata", "version"),  # the CDK's own version
    ("terraform", "required_providers", "databricks", "version"),  # the provider's version (1.99.0 -> 1.138.0)
    ("version",),  # manifest.json: the CDK's version again (no stack has a top-level `version`)
)
# Compared as parsed JSON: cdktn writes an empty object as `{}` where cdktf writes `{` newline `}`.
# The synth's own driver, run in the project it synthesizes: (config, outdir, notebooks folder).
SYNTH = ("import sys\nfrom pathlib import Path\nimport stacks.app\nfrom connectors_config import load_config\n"
         "stacks.app.synth(load_config(Path(sys.argv[1])), sys.argv[2], notebooks_dir=Path(sys.argv[3]))\n")


class CheckError(Exception):
    pass


def step(label: str, started: float) -> None:
    print(f"check-cdk-terrain: {label} ({time.monotonic() - started:.0f} s)", flush=True)


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None, what: str = "") -> str:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-30:])
        raise CheckError(f"{what or ' '.join(command)} failed (exit {result.returncode}):\n{tail}")
    return result.stdout


def copy_tracked(root: Path, target: Path) -> None:
    """The git-tracked files of `root` as they are in the working tree, committed in a git tree of their own (the
    switch refuses uncommitted changes)."""
    for name in repository_files(root):
        source = root / name
        if not source.exists() and not source.is_symlink():
            continue  # deleted in the working tree
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():  # the sample's notebooks link to notebooks/
            (target / name).symlink_to(os.readlink(source))
        else:
            shutil.copy2(source, target / name)
    run(["git", "init", "-q"], target)
    run(["git", "add", "-A"], target)
    run(["git", "-c", "user.name=check", "-c", "user.email=check@localhost", "commit", "-qm", "cdktf"], target)


def requirements(project: Path) -> list[str]:
    """The switched Pipfile's packages and the dev packages the tests need, pinned as the Pipfile pins them; every
    other package at Pipfile.lock's version (as constraints), so the two toolchains differ in the switched ones only."""
    pipfile = tomllib.loads((project / "Pipfile").read_text())
    pins = {**pipfile["packages"], **{name: pipfile["dev-packages"][name] for name in DEV_PACKAGES}}
    return sorted(f"{name}{spec}" for name, spec in pins.items())


def constraints(project: Path) -> list[str]:
    lock = json.loads((project / "Pipfile.lock").read_text())
    return sorted(f"{name}{entry['version']}" for section in ("default", "develop")
                  for name, entry in lock[section].items() if name not in SWITCHED and "version" in entry)


def cdktn_python(project: Path, lock_of: Path) -> Path:
    """A virtualenv with `requirements(project)` under `constraints(lock_of)`, made once per set of them."""
    wanted, pinned = requirements(project), constraints(lock_of)
    key = hashlib.sha256("\n".join([*wanted, "--", *pinned]).encode()).hexdigest()[:12]
    venv = CACHE / f"venv-{key}"
    python = venv / "bin" / "python"
    if (venv / ".complete").exists():
        return python
    shutil.rmtree(venv, ignore_errors=True)
    CACHE.mkdir(parents=True, exist_ok=True)
    print(f"check-cdk-terrain: creating {venv.relative_to(ROOT)} ({', '.join(w for w in wanted if 'cdktn' in w)})",
          flush=True)
    base = getattr(sys, "_base_executable", sys.executable)
    run([base, "-m", "venv", str(venv)], ROOT)
    (venv / "requirements.txt").write_text("\n".join(wanted) + "\n")
    (venv / "constraints.txt").write_text("\n".join(pinned) + "\n")
    run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r",
         str(venv / "requirements.txt"), "-c", str(venv / "constraints.txt")], ROOT, what="pip install (cdktn)")
    run([str(python), "-O", "-m", "compileall", "-q", "-j", "0", str(venv / "lib")], ROOT)
    (venv / ".complete").touch()
    for stale in CACHE.glob("venv-*"):  # one kept: an older set of pins is never used again
        if stale != venv:
            shutil.rmtree(stale, ignore_errors=True)
    return python


def synth_both(python: Path, project: Path, out: Path, generated: Path) -> float:
    """The sample and the generated config, synthesized by `python -O` in `project`, into out/sample, out/generated;
    the wall time of the two synths, in seconds."""
    started = time.monotonic()
    env = {k: v for k, v in os.environ.items() if k not in ("CDKTF_OUTDIR", "CONNECTORS_DEV_USER", "PYTHONPATH")}
    for name, config in (("sample", project / SAMPLE / "connectors.yaml"), ("generated", generated)):
        run([str(python), "-O", "-c", SYNTH, str(config), str(out / name), str(project / SAMPLE / "notebooks")],
            project, env, what=f"the {name} synth under {python}")
    return time.monotonic() - started


def bench(runs: list[tuple[str, Path, Path]], generated: Path, scratch: Path, repeat: int) -> str:
    """Each toolchain's synth of the generated config (`python -O`, as `make synth`), `repeat` times, interleaved so
    that a busy moment of the machine hits both: a Markdown table of the medians of wall time, CPU time and peak
    memory of the whole process tree (scripts/benchmark.py measures them). `runs`: (toolchain, python, project)."""
    env = {k: v for k, v in os.environ.items() if k not in ("CDKTF_OUTDIR", "CONNECTORS_DEV_USER", "PYTHONPATH")}
    used: set[str] = set()
    samples: dict[str, list[benchmark.Sample]] = {label: [] for label, _, _ in runs}
    for run_index in range(repeat + 1):  # the first round warms the caches and is not counted
        for label, python, project in runs:
            workdir = scratch / f"bench-{label}"
            workdir.mkdir(exist_ok=True)
            command = [str(python), "-O", "-c", SYNTH, str(generated), str(workdir / "cdktf.out"),
                       str(project / SAMPLE / "notebooks")]
            # Run in its own folder (where the benchmark's logs go), the project's code on the path.
            sample = benchmark.measure(command, workdir, {**env, "PYTHONPATH": str(project)}, label,
                                       used if run_index else set())
            if run_index:
                samples[label].append(sample)
    lines = ["| toolchain | N × 2 envs | synth wall (s) | synth CPU (s) | synth peak (MB) |",
             "|---|---:|---:|---:|---:|"]
    for label, _, _ in runs:
        middle = benchmark.median(samples[label])
        lines.append(f"| {label} | {GENERATED} | {middle.wall:.2f} | {middle.cpu:.2f} | {middle.peak:.0f} |")
    return "\n".join(lines) + (f"\nMedian of {repeat} runs each, interleaved; load average "
                               f"{os.getloadavg()[0]:.1f}. {benchmark.machine_line(None)}")


def normalized(document: object, path: tuple[str, ...] = ()) -> object:
    if isinstance(document, dict):
        return {key: ("<version>" if (*path, key) in VERSION_VALUES else normalized(value, (*path, key)))
                for key, value in document.items()}
    if isinstance(document, list):
        return [normalized(value, path) for value in document]
    return document


def logical_ids(document: dict) -> list[str]:
    return sorted(f"{block}.{kind}.{name}" for block in ("resource", "data") for kind, named in
                  document.get(block, {}).items() for name in named)


def differences(cdktf_out: Path, cdktn_out: Path) -> list[str]:
    """What differs between two synth folders, beyond VERSION_VALUES: files present in one only, logical ids, and
    the first differing JSON path of each stack or manifest; other files byte for byte."""
    problems = []
    left = {p.relative_to(cdktf_out).as_posix() for p in cdktf_out.rglob("*") if p.is_file()}
    right = {p.relative_to(cdktn_out).as_posix() for p in cdktn_out.rglob("*") if p.is_file()}
    problems += [f"{name}: only under cdktf" for name in sorted(left - right)]
    problems += [f"{name}: only under cdktn" for name in sorted(right - left)]
    for name in sorted(left & right):
        a, b = (cdktf_out / name).read_bytes(), (cdktn_out / name).read_bytes()
        if not name.endswith(".json"):
            if a != b:
                problems.append(f"{name}: differs")
            continue
        da, db = json.loads(a), json.loads(b)
        if name.endswith("cdk.tf.json") and logical_ids(da) != logical_ids(db):
            only = sorted(set(logical_ids(da)) ^ set(logical_ids(db)))
            problems.append(f"{name}: logical ids differ: {', '.join(only[:5])}")
        where = first_difference(normalized(da), normalized(db))
        if where is not None:
            problems.append(f"{name}: differs at {where}")
    return problems


def first_difference(a: object, b: object, path: str = "") -> str | None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                return f"{path}/{key} (only under {'cdktf' if key in a else 'cdktn'})"
            found = first_difference(a[key], b[key], f"{path}/{key}")
            if found:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            found = first_difference(x, y, f"{path}[{index}]")
            if found:
                return found
        return None
    return None if a == b else f"{path or '/'}: {json.dumps(a)[:80]} vs {json.dumps(b)[:80]}"


def check(keep: bool, with_locks: bool, tests: bool, repeat: int = 3) -> int:
    started = time.monotonic()
    scratch = Path(tempfile.mkdtemp(prefix="check-cdk-terrain-"))
    try:
        project = scratch / "repository"
        project.mkdir()
        copy_tracked(ROOT, project)
        link_shared(ROOT, project)  # the maintainers' reference documents, where present: their checks run too
        generated = scratch / f"n{GENERATED}" / "connectors.yaml"
        generated.parent.mkdir()
        benchmark.SAMPLE = project / SAMPLE / "connectors.yaml"  # the fixture's environments, not the user's
        generated.write_text(config_text(GENERATED), encoding="utf-8")
        step("copied the repository", started)

        seconds = synth_both(ROOT / ".venv" / "bin" / "python", project, scratch / "cdktf", generated)
        step(f"synthesized the sample and {GENERATED} connectors under cdktf in {seconds:.1f} s", started)

        lock_of = scratch / "cdktf-lock"
        lock_of.mkdir()
        shutil.copy2(project / "Pipfile.lock", lock_of / "Pipfile.lock")
        with open(os.devnull, "w") as quiet:
            switch(project, lock=with_locks, out=sys.stdout if with_locks else quiet)
        step("switched the copy to CDK Terrain" + (" with its locks" if with_locks else ""), started)

        python = cdktn_python(project, lock_of)
        step(f"cdktn's virtualenv ready ({python.parent.parent.relative_to(ROOT)})", started)

        seconds = synth_both(python, project, scratch / "cdktn", generated)
        step(f"synthesized the sample and {GENERATED} connectors under cdktn in {seconds:.1f} s", started)
        problems = differences(scratch / "cdktf", scratch / "cdktn")
        if problems:
            raise CheckError("the two toolchains' stacks differ beyond the version values:\n  "
                             + "\n  ".join(problems[:40]))
        stacks = len(list((scratch / "cdktf").glob("*/stacks/*/cdk.tf.json")))
        step(f"{stacks} stacks identical but for {', '.join('.'.join(p) for p in VERSION_VALUES)}", started)

        if repeat:
            # cdktf: this checkout's code and installs; cdktn: the switched copy's.
            table = bench([("cdktf", ROOT / ".venv" / "bin" / "python", ROOT), ("cdktn", python, project)],
                          generated, scratch, repeat)
            step(f"each toolchain's synth of {GENERATED} connectors, same run:\n{table}\n", started)

        if tests:
            env = {k: v for k, v in os.environ.items() if k not in ("CONNECTORS_DEV_USER", "PYTHONPATH")}
            summary = run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", *TEST_PACKAGES], project, env,
                          what=f"pytest {' '.join(TEST_PACKAGES)} under cdktn").strip().splitlines()[-1]
            step(f"under cdktn, {' '.join(TEST_PACKAGES)}: {summary}", started)
    except (CheckError, SwitchError) as error:
        print(f"check-cdk-terrain: {error}", file=sys.stderr)
        return 1
    finally:
        if keep:
            print(f"check-cdk-terrain: kept {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    print(f"check-cdk-terrain: passed in {time.monotonic() - started:.0f} s")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder and say where it is")
    parser.add_argument("--with-locks", action="store_true", help="let the switch regenerate the locks too")
    parser.add_argument("--no-tests", action="store_true", help="compare the synths only")
    parser.add_argument("--bench", type=int, default=3, metavar="REPEAT",
                        help="measure each toolchain's synth of the generated config REPEAT times (0: not at all)")
    args = parser.parse_args()
    return check(args.keep, args.with_locks, not args.no_tests, max(0, args.bench))


if __name__ == "__main__":
    sys.exit(main())
