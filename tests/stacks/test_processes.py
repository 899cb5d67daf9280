"""stacks/processes.py: a synth split over processes writes exactly what one cdktf App writes.

The oracle is cdktf itself: the same config synthesized as one App (CONNECTORS_SYNTH_PROCESSES=1) and in parts,
each in a fresh process (the suite's own process has jsii loaded, where a synth never forks), compared byte for
byte; and the manifest cdktf writes, which the merge must write again as cdktf does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.provider_differences import MANIFEST_STYLES
from core.toolchain import TOOLCHAIN
from policy import PolicyError
from stacks import processes
from stacks.processes import (
    PROCESSES_ENV_VAR,
    ProcessCountError,
    SynthProcessError,
    json_stringify,
    manifest_style,
    merge_outputs,
    process_count,
    run_forked,
    split,
    stable_json,
)
from tests.conftest import PROJECT_DIR, SAMPLE_CONFIG, SAMPLE_DIR, SAMPLE_NOTEBOOKS
from tests.stacks.test_environment_stack_deploy_groups import grouped
from tests.stacks.test_environment_stack_personal import OPT_IN, sample

# A synth in a process of its own: config text file, output folder, user ('' for none); prints the suppressions.
DRIVER = (
    "import sys\nfrom pathlib import Path\nimport stacks.app\nfrom connectors_config import parse_config\n"
    "config = parse_config(Path(sys.argv[1]).read_text(), 'connectors.yaml', base_dir=Path(sys.argv[2]))\n"
    "print('\\n'.join(stacks.app.synth(config, sys.argv[3], notebooks_dir=Path(sys.argv[4]), "
    "user=sys.argv[5] or None)))\n")


def synth_in_process(tmp_path: Path, text: str, processes: int, user: str = "") -> tuple[Path, str]:
    config = tmp_path / "connectors.yaml"
    config.write_text(text, encoding="utf-8")
    outdir = tmp_path / f"out-{processes}" / "cdktf.out"
    env = {**os.environ, PROCESSES_ENV_VAR: str(processes), "PYTHONHASHSEED": str(processes)}
    done = subprocess.run([sys.executable, "-O", "-c", DRIVER, str(config), str(SAMPLE_DIR), str(outdir),
                           str(SAMPLE_NOTEBOOKS), user], cwd=PROJECT_DIR, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    return outdir, done.stdout


def files(outdir: Path) -> dict[str, bytes]:
    return {str(path.relative_to(outdir)): path.read_bytes() for path in sorted(outdir.rglob("*")) if path.is_file()}


@pytest.mark.slow
@pytest.mark.parametrize(("case", "user"), [("sample", ""), ("deploy groups", ""), ("personal target", "alice")])
def test_a_synth_in_parts_writes_the_bytes_of_one_app(tmp_path, case, user):
    text = {"sample": SAMPLE_CONFIG.read_text(encoding="utf-8"), "deploy groups": grouped(),
            "personal target": sample(OPT_IN)}[case]
    one, said_once = synth_in_process(tmp_path, text, 1, user)
    expected = files(one)
    stacks = json.loads(expected["manifest.json"])["stacks"]
    assert len(stacks) >= 2
    for count in (2, 3):
        parts, said = synth_in_process(tmp_path, text, count, user)
        assert files(parts) == expected, f"{count} processes"
        assert said == said_once
        assert not [p.name for p in parts.parent.iterdir() if p.name != "cdktf.out"]  # no part left behind


def test_the_manifest_is_written_as_the_toolchains_app_writes_it(synthesized):
    written = (synthesized / "manifest.json").read_text(encoding="utf-8")
    assert manifest_style([written]) == MANIFEST_STYLES[TOOLCHAIN]
    assert processes.MANIFEST_STYLES[MANIFEST_STYLES[TOOLCHAIN]](json.loads(written)) == written


def test_safe_stable_stringify_writes_empty_blocks_inline_as_json_stringify_does():
    assert json_stringify({"b": [], "a": {"c": [1, "x"], "d": {}}}) == (
        '{\n  "a": {\n    "c": [\n      1,\n      "x"\n    ],\n    "d": {}\n  },\n  "b": []\n}')


def test_a_manifest_in_a_style_the_merge_does_not_know_is_refused():
    with pytest.raises(SynthProcessError) as raised:
        manifest_style(['{"stacks": {}}'])
    assert str(raised.value) == ("the parts' manifest.json is written in none of the styles the merge knows "
                                 "(json-stable-stringify, safe-stable-stringify): a CDK upgrade changed it; add its "
                                 "style")


def test_stable_json_sorts_keys_and_opens_empty_blocks_on_their_own_lines():
    assert stable_json({"b": [], "a": {"c": [1, "x"], "d": {}}}) == (
        '{\n  "a": {\n    "c": [\n      1,\n      "x"\n    ],\n    "d": {\n    }\n  },\n  "b": [\n  ]\n}')


@pytest.mark.parametrize("write", [stable_json, json_stringify])
def test_merging_two_parts_keeps_each_stack_folder_and_lists_every_stack_in_their_style(tmp_path, write):
    parts = []
    for name in ("dev", "prod"):
        part = tmp_path / f"part-{name}"
        (part / "stacks" / name).mkdir(parents=True)
        (part / "stacks" / name / "cdk.tf.json").write_text(name)
        (part / "manifest.json").write_text(write({"stacks": {name: {"name": name, "dependencies": []}},
                                                   "version": "0.21.0"}))
        parts.append(part)
    merge_outputs(parts, tmp_path / "out")
    assert files(tmp_path / "out") == {
        "manifest.json": write({"stacks": {"dev": {"name": "dev", "dependencies": []},
                                           "prod": {"name": "prod", "dependencies": []}},
                                "version": "0.21.0"}).encode(),
        "stacks/dev/cdk.tf.json": b"dev", "stacks/prod/cdk.tf.json": b"prod"}
    assert not any(part.exists() for part in parts)


def test_a_part_written_by_another_cdk_version_is_refused(tmp_path):
    parts = []
    for name, version in (("dev", "0.21.0"), ("prod", "0.24.0")):
        part = tmp_path / name
        (part / "stacks" / name).mkdir(parents=True)
        (part / "manifest.json").write_text(stable_json({"stacks": {name: {}}, "version": version}))
        parts.append(part)
    with pytest.raises(SynthProcessError, match="the parts' manifests differ beyond their stacks"):
        merge_outputs(parts, tmp_path / "out")


@pytest.mark.parametrize(("weights", "parts", "expected"), [
    ([1, 1], 2, [range(0, 1), range(1, 2)]),
    ([1, 1, 1, 1], 2, [range(0, 2), range(2, 4)]),
    ([5, 1, 1, 1], 2, [range(0, 1), range(1, 4)]),
    ([1, 1, 1, 5], 2, [range(0, 3), range(3, 4)]),
    ([1, 1, 1], 3, [range(0, 1), range(1, 2), range(2, 3)]),
    ([9, 9], 5, [range(0, 1), range(1, 2)]),
    ([4], 2, [range(0, 1)]),
    ([1, 1, 1], 1, [range(0, 3)]),
])
def test_split_gives_contiguous_parts_of_about_the_same_weight(weights, parts, expected):
    assert split(weights, parts) == expected


def test_split_covers_every_unit_once_in_order_with_no_empty_part():
    for count in range(1, 9):
        for parts in range(1, 6):
            for weights in ([1] * count, list(range(1, count + 1)), list(range(count, 0, -1))):
                ranges = split(weights, parts)
                assert [i for r in ranges for i in r] == list(range(count))
                assert len(ranges) == min(parts, count) and all(len(r) for r in ranges)


def test_each_task_runs_in_a_process_of_its_own_and_results_keep_their_order():
    assert run_forked([os.getpid, os.getpid]) != [os.getpid(), os.getpid()]
    assert run_forked([lambda: ["a"], lambda: [], lambda: ["b", "c"]]) == [["a"], [], ["b", "c"]]


def test_every_parts_policy_problems_are_raised_once():
    def failing(*problems):
        def task():
            raise PolicyError(list(problems))
        return task

    with pytest.raises(PolicyError) as raised:
        run_forked([failing("prod: b", "prod: a"), lambda: [], failing("dev: c")])
    assert raised.value.problems == ["dev: c", "prod: a", "prod: b"]


def test_a_part_that_crashes_is_reported_with_its_traceback():
    with pytest.raises(SynthProcessError) as raised:
        run_forked([lambda: [], lambda: 1 // 0])
    assert str(raised.value).startswith("a synth process failed:\nTraceback (most recent call last):")
    assert "ZeroDivisionError: integer division or modulo by zero" in str(raised.value)


def test_one_process_where_jsii_is_loaded_or_there_is_one_unit(monkeypatch):
    monkeypatch.delitem(sys.modules, "jsii", raising=False)
    monkeypatch.setenv(PROCESSES_ENV_VAR, "4")
    assert process_count(2) == 2
    assert process_count(6) == 4
    assert process_count(1) == 1
    monkeypatch.setenv(PROCESSES_ENV_VAR, "1")
    assert process_count(6) == 1
    monkeypatch.setenv(PROCESSES_ENV_VAR, "4")
    monkeypatch.setitem(sys.modules, "jsii", sys)
    assert process_count(6) == 1


def test_by_default_one_process_per_core_this_process_may_use(monkeypatch):
    monkeypatch.delitem(sys.modules, "jsii", raising=False)
    monkeypatch.delenv(PROCESSES_ENV_VAR, raising=False)
    assert process_count(64) == min(64, len(os.sched_getaffinity(0)))
    assert process_count(1) == 1


@pytest.mark.parametrize("value", ["0", "two", "-1", "1.5"])
def test_a_bad_process_count_is_refused_with_the_fix(monkeypatch, value):
    monkeypatch.delitem(sys.modules, "jsii", raising=False)
    monkeypatch.setenv(PROCESSES_ENV_VAR, value)
    with pytest.raises(ProcessCountError) as raised:
        process_count(2)
    assert str(raised.value) == (f"CONNECTORS_SYNTH_PROCESSES={value}: not a number of processes; give a whole "
                                 "number, 1 or more (1: one process), or unset it for one per core")


@pytest.mark.slow
def test_main_says_a_bad_process_count_cleanly_and_writes_nothing(tmp_path):
    env = {**os.environ, PROCESSES_ENV_VAR: "two", "CONNECTORS_CONFIG": str(SAMPLE_CONFIG)}
    done = subprocess.run([sys.executable, str(PROJECT_DIR / "main.py")], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == ("error: CONNECTORS_SYNTH_PROCESSES=two: not a number of processes; give a whole number, "
                           "1 or more (1: one process), or unset it for one per core; nothing was synthesized.\n")
    assert list(tmp_path.iterdir()) == []
