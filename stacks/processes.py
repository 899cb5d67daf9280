"""One synth in several processes: the environments' stacks split over the machine's cores, each part a cdktf App
of its own in a forked process, the parts' output folders merged into the one folder a single App would write.

Why: a synth is a ping-pong between Python and cdktf's node process, each waiting for the other, so one App uses
one core. The environments share nothing at synth (every cross-stack reference stays inside an environment: its
deploy groups' stacks refer to its shared stack; a personal target refers to nothing else), so each environment's
stacks can be an App of their own without changing a byte of them. cdktf writes two things per App: each stack's
folder (`stacks/<name>/`, moved as it is) and `manifest.json`, one entry per stack, which is written again here with
the entries of every part, in the style the parts wrote it (MANIFEST_STYLES: cdktf's and CDK Terrain's). The
tests hold the merged folder to a single App's, byte for byte, under either toolchain.

A part runs in a process forked before anything loads jsii (the parent never starts node); where jsii is already
loaded (the test suite's own process), or with CONNECTORS_SYNTH_PROCESSES=1, the synth is one App in this process.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import shutil
import signal
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from policy import PolicyError

# The number of processes a synth may use; default: one per core this process may run on, at most one per
# environment (and personal target). 1: one App in this process, as cdktf's own examples do.
PROCESSES_ENV_VAR = "CONNECTORS_SYNTH_PROCESSES"
MANIFEST = "manifest.json"

T = TypeVar("T")


class ProcessCountError(ValueError):
    """CONNECTORS_SYNTH_PROCESSES is not a number of processes."""


class SynthProcessError(RuntimeError):
    """A part of the synth failed for a reason other than the policy pack (a bug): its traceback, as text."""


def process_count(units: int) -> int:
    """How many processes a synth of `units` environments (and personal targets) uses. Raises ProcessCountError
    if CONNECTORS_SYNTH_PROCESSES is set to something else than a number of processes."""
    wanted = os.environ.get(PROCESSES_ENV_VAR, "").strip()
    if wanted and not (wanted.isdigit() and int(wanted) >= 1):
        raise ProcessCountError(f"{PROCESSES_ENV_VAR}={wanted}: not a number of processes; give a whole number, "
                                "1 or more (1: one process), or unset it for one per core")
    if units < 2 or "jsii" in sys.modules or not hasattr(os, "fork"):
        return 1  # forking after jsii started would share its node process between parent and child
    cores = int(wanted) if wanted else (
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))
    return max(1, min(units, cores))


def split(weights: Sequence[int], parts: int) -> list[range]:
    """`parts` contiguous, non-empty ranges over `weights` (in order), each about the same total weight."""
    parts = max(1, min(parts, len(weights)))
    total = sum(weights)
    ranges: list[range] = []
    start, running = 0, 0
    for index, weight in enumerate(weights):
        running += weight
        left = len(weights) - index - 1
        due = len(ranges) + 1
        if due < parts and (running * parts >= total * due or left == parts - due):
            ranges.append(range(start, index + 1))
            start = index + 1
    ranges.append(range(start, len(weights)))
    return ranges


def run_forked(tasks: Sequence[Callable[[], T]]) -> list[T]:
    """Each task's result, each task run in a forked process of its own, all at once. A task's PolicyError is
    raised here with the problems of every task that had one; any other failure as SynthProcessError."""
    children: list[tuple[int, int]] = []
    sys.stdout.flush()  # else a child would write this process's buffered output again
    sys.stderr.flush()
    try:
        for task in tasks:
            read, write = os.pipe()
            pid = os.fork()
            if pid == 0:  # the child: never returns
                os.close(read)
                _child(task, write)
            os.close(write)
            children.append((pid, read))
        outcomes = [_collect(pid, read) for pid, read in children]
        children = []
    finally:
        for pid, read in children:  # interrupted (Ctrl-C) or failed: no child outlives the synth
            with contextlib.suppress(OSError):  # a child already gone
                os.kill(pid, signal.SIGTERM)
            with contextlib.suppress(OSError):
                os.waitpid(pid, 0)
            with contextlib.suppress(OSError):
                os.close(read)
    problems = [problem for kind, value in outcomes if kind == "policy" for problem in value]
    crashes = [value for kind, value in outcomes if kind == "crash"]
    if crashes:
        raise SynthProcessError("a synth process failed:\n" + "\n".join(crashes))
    if problems:
        raise PolicyError(problems)
    return [value for _, value in outcomes]


def _child(task: Callable[[], Any], write: int) -> None:
    code = 0
    try:
        try:
            outcome: tuple[str, Any] = ("ok", task())
        except PolicyError as error:
            outcome = ("policy", error.problems)
        except BaseException:  # noqa: BLE001  (reported whole to the parent, which raises it)
            outcome = ("crash", traceback.format_exc())
        with os.fdopen(write, "wb") as pipe:
            pickle.dump(outcome, pipe)
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:  # noqa: BLE001
        code = 1
    finally:
        # Not the parent's exit handlers (its temporary folders are its own). jsii's node process ends when this
        # process's end closes its input.
        os._exit(code)


def _collect(pid: int, read: int) -> tuple[str, Any]:
    with os.fdopen(read, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    if not data:
        return "crash", f"synth process {pid} ended without a result (wait status {status})"
    return pickle.loads(data)


def merge_outputs(parts: Sequence[Path], outdir: Path) -> None:
    """Moves each part's stack folders into `outdir`/stacks and writes one manifest with every part's stacks, in
    the style the parts' manifests are written in (MANIFEST_STYLES)."""
    manifest: dict[str, Any] = {"stacks": {}}
    texts = [(part / MANIFEST).read_text(encoding="utf-8") for part in parts]
    style = manifest_style(texts)
    for part, text in zip(parts, texts, strict=True):
        written = json.loads(text)
        stacks = written.pop("stacks")
        if manifest.keys() - {"stacks"} and {k: v for k, v in manifest.items() if k != "stacks"} != written:
            raise SynthProcessError(f"the parts' manifests differ beyond their stacks: {written}")
        manifest.update(written)
        (outdir / "stacks").mkdir(parents=True, exist_ok=True)
        for name in stacks:
            shutil.move(str(part / "stacks" / name), str(outdir / "stacks" / name))
        manifest["stacks"].update(stacks)
        leftover = sorted(p.name for p in part.iterdir() if p.name not in (MANIFEST, "stacks"))
        if leftover or any((part / "stacks").iterdir()):
            raise SynthProcessError(f"a part's output holds files the merge does not know: {leftover}")
        shutil.rmtree(part)
    (outdir / MANIFEST).write_text(MANIFEST_STYLES[style](manifest), encoding="utf-8")


def manifest_style(texts: Sequence[str]) -> str:
    """The name of the MANIFEST_STYLES writer that writes each of `texts` (manifests) exactly as it is."""
    for name, write in MANIFEST_STYLES.items():
        if all(write(json.loads(text)) == text for text in texts):
            return name
    raise SynthProcessError(f"the parts' {MANIFEST} is written in none of the styles the merge knows "
                            f"({', '.join(MANIFEST_STYLES)}): a CDK upgrade changed it; add its style")


def stable_json(value: Any, indent: str = "  ", level: int = 0) -> str:
    """`value` as cdktf writes its manifest (json-stable-stringify, `space: 2`): keys sorted, every object and
    array opened on its own lines, an empty one too (`[` newline `]`)."""
    if isinstance(value, dict):
        items = [f"{json.dumps(key, ensure_ascii=False)}: {stable_json(item, indent, level + 1)}"
                 for key, item in sorted(value.items())]
        return _block("{", "}", items, indent, level)
    if isinstance(value, list):
        return _block("[", "]", [stable_json(item, indent, level + 1) for item in value], indent, level)
    return json.dumps(value, ensure_ascii=False)


def _block(opening: str, closing: str, items: list[str], indent: str, level: int) -> str:
    inner, outer = "\n" + indent * (level + 1), "\n" + indent * level
    return opening + ",".join(inner + item for item in items) + outer + closing


def json_stringify(value: Any) -> str:
    """`value` as JavaScript's JSON.stringify(value, null, 2) writes it, keys sorted (safe-stable-stringify)."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)


# How each CDK writes manifest.json, both with sorted keys and an indent of two: cdktf with json-stable-stringify
# (every array and object opened on its own lines, an empty one too), CDK Terrain with safe-stable-stringify (as
# JSON.stringify: `[]`). The merge writes the parts' own style, so its manifest is the one their App would write.
MANIFEST_STYLES: dict[str, Callable[[Any], str]] = {
    "json-stable-stringify": stable_json, "safe-stable-stringify": json_stringify}

