#!/usr/bin/env python
"""Does this checkout synthesize the same bytes as another commit? For a change that must not change the output
(a faster synth): the sample connectors.yaml and benchmark.py's generated configs, compared file by file.

Run from the project folder:  pipenv run python scripts/compare_synth.py --against main   (options: --help)

The other commit is exported with `git archive` into <scratch>/ref (this checkout's .venv and node_modules linked,
nothing installed); both run `python -O main.py` as `make synth` does, the sample in their own folder (into
<scratch>/<side>/sample, through CDKTF_OUTDIR), each generated config in <scratch>/<side>/n<N>. Exits 1 naming
every file that differs or exists on one side only, 0 when all are byte-identical. Stdlib only.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchmark import PROJECT_DIR, config_text, sizes  # noqa: E402
from core import JSII_SILENCING  # noqa: E402  (benchmark put the project on the path)

LINKED = (".venv", "node_modules")


def export(commit: str, into: Path) -> Path:
    """`commit` of this repository as plain files in `into`, with this checkout's installs linked."""
    shutil.rmtree(into, ignore_errors=True)
    into.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(PROJECT_DIR), "archive", commit], capture_output=True)
    if archive.returncode != 0:
        sys.exit(f"compare_synth: git archive {commit} failed: {archive.stderr.decode(errors='replace').strip()}")
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    for name in LINKED:
        (into / name).symlink_to((PROJECT_DIR / name).resolve())
    return into


def synth(project: Path, workdir: Path, config: Path | None, outdir: Path) -> None:
    """`python -O main.py` of `project` in `workdir`, into `outdir` (a generated config's: workdir/cdktf.out);
    exits if it fails."""
    env = {**os.environ, **JSII_SILENCING}  # the other commit's core may not set them
    env.pop("CDKTF_OUTDIR", None)
    if config is not None:
        env["CONNECTORS_CONFIG"] = str(config)
    else:
        env["CDKTF_OUTDIR"] = str(outdir)  # the sample, synthesized in the project itself: leave its cdktf.out
    shutil.rmtree(outdir, ignore_errors=True)
    if config is None:
        outdir.mkdir(parents=True)
    done = subprocess.run([sys.executable, "-O", str(project / "main.py")], cwd=workdir, env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"compare_synth: the synth of {project} in {workdir} failed:\n{done.stderr}")


def differences(left: Path, right: Path) -> list[str]:
    """Every file under either folder that is not byte-identical in the other, as a path relative to them."""
    files = {p.relative_to(left) for p in left.rglob("*") if p.is_file()}
    files |= {p.relative_to(right) for p in right.rglob("*") if p.is_file()}
    return [str(f) for f in sorted(files)
            if not ((left / f).is_file() and (right / f).is_file() and filecmp.cmp(left / f, right / f, shallow=False))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--against", default="main", help="the commit (branch, tag, hash) to compare with")
    parser.add_argument("--sizes", type=sizes, default="100,500", help="generated connectors, comma-separated")
    parser.add_argument("--scratch", type=Path, default=PROJECT_DIR / ".bench" / "compare", help="working folder")
    args = parser.parse_args()
    scratch = args.scratch.resolve()
    reference = export(args.against, scratch / "ref")
    found = []
    for label, config in [("sample", None), *((f"n{n:04d}", n) for n in args.sizes)]:
        outs = {}
        for side, project in (("head", PROJECT_DIR), ("ref", reference)):
            workdir = project if config is None else scratch / side / label
            path = None
            if config is not None:
                workdir.mkdir(parents=True, exist_ok=True)
                path = workdir / "connectors.yaml"
                path.write_text(config_text(config), encoding="utf-8")
            outs[side] = scratch / side / label / "cdktf.out" if config is not None else scratch / side / "sample"
            synth(project, workdir, path, outs[side])
        diff = differences(outs["ref"], outs["head"])
        count = sum(1 for p in outs["head"].rglob("*") if p.is_file())
        print(f"{label}: {'byte-identical' if not diff else 'DIFFERENT'} ({count} files)")
        found += [f"{label}: {f}" for f in diff]
    if found:
        print("differ from " + args.against + ":\n  " + "\n  ".join(found), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
