"""Your connectors.yaml: it synthesizes through the policy pack, its stacks are valid by Databricks' bundle schema,
the synth is deterministic (the cdktf CLI, in another process, writes the same bytes, naming nothing of the
machine), the committed connectors.lock.json is the one it gives, and each stack matches its reviewed snapshot in
tests/__snapshots__/test_user_config/.

These are the only tests that read your config (tests/fixtures/sample/ is the platform tests' own), and they
adapt to it: after a change you mean, `make snapshot-update` rewrites the snapshots, the lock and the README's
pictures; review their diff in the pull request."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest
from syrupy.extensions.json import JSONSnapshotExtension

from connectors_config import ConfigError, load_config
from connectors_config.lockfile import lock_of, lock_path
from core.toolchain import TOOLCHAIN
from tests.conftest import PROJECT_DIR, USER_CONFIG
from tests.stacks.test_environment_stack_bundle_schema import (
    bundle_jobs,
    bundle_pipelines,
    bundle_schemas,
    bundle_secret_scopes,
    errors,
    validator_for,  # noqa: F401 - the fixture, used by the bundle schema tests below
)
from tests.test_main import assert_names_nothing_of_the_machine, tree

# A character class in one of the bundle schema's own patterns makes `re` warn; it does not affect our values.
pytestmark = pytest.mark.filterwarnings("ignore:Possible nested set:FutureWarning")


def stack_names() -> list[str]:
    """The stacks the config synthesizes, read at collection: each environment's, and with deploy groups one per
    group beside it ('<environment>-<group>')."""
    try:
        config = load_config(USER_CONFIG)
    except ConfigError:
        return ["(connectors.yaml does not load)"]  # the fixtures raise its error in each test
    groups = sorted({w.deploy_group for w in (*config.connectors, *config.jobs.values()) if w.deploy_group})
    return [stack for env in sorted(config.environments) for stack in (env, *(f"{env}-{group}" for group in groups))]


STACKS = stack_names()


@pytest.fixture
def json_snapshot(snapshot):
    return snapshot.use_extension(JSONSnapshotExtension)


@pytest.mark.parametrize("stack", STACKS)
def test_stack_snapshot(user_stacks, stack, json_snapshot):
    assert user_stacks[stack] == json_snapshot


def test_every_stack_passes_the_policy_pack_but_for_the_configs_reviewed_suppressions(user_config, user_synth):
    """main.synth stops at any finding no suppression covers; each suppression it applied is one of the config's."""
    outdir, suppressed = user_synth
    assert sorted(path.name for path in (outdir / "stacks").iterdir()) == sorted(STACKS)
    configured = {f"policy: {s.rule} suppressed on {s.resource}: {s.reason}" for s in user_config.policy.suppressions}
    assert set(suppressed) == configured


@pytest.mark.parametrize("stack", STACKS)
def test_the_stack_is_valid_by_the_bundle_schema(user_stacks, validator_for, stack):  # noqa: F811
    document = user_stacks[stack]
    kinds = document.get("resource", {})
    found = {
        "resources.Job": bundle_jobs(document) if "databricks_job" in kinds else [],
        "resources.Pipeline": bundle_pipelines(document) if "databricks_pipeline" in kinds else [],
        "resources.Schema": bundle_schemas(document) if "databricks_schema" in kinds else [],
        "resources.SecretScope": bundle_secret_scopes(document) if "databricks_secret_scope" in kinds else [],
    }
    assert any(found.values()), f"stack {stack} holds no job, pipeline, schema or secret scope"
    for definition, items in found.items():
        for item in items:
            assert errors(validator_for(definition), item) == [], item.get("name")


def test_the_committed_lock_is_the_one_the_config_gives(user_config):
    """What `make synth` (and `make snapshot-update`) writes: commit it with connectors.yaml."""
    lock, path = lock_of(user_config), lock_path(USER_CONFIG)
    written = lock.render() if lock.pipelines or path.exists() else None
    assert (path.read_text() if path.exists() else None) == written, (
        f"{path.name} is not the lock connectors.yaml gives: run `make snapshot-update` and commit it")


def test_the_output_names_no_folder_user_host_or_time(user_synthesized):
    assert_names_nothing_of_the_machine(user_synthesized, PROJECT_DIR)


@pytest.mark.slow
def test_the_cdktf_cli_synth_writes_the_same_bytes(tmp_path, user_synthesized):
    """Another process (the pinned CLI runs `pipenv run python -O main.py`, with its own hash seed) writes exactly
    what the in-process synth wrote."""
    cli = PROJECT_DIR / "node_modules" / ".bin" / TOOLCHAIN  # cdktf, or cdktn (CDK Terrain)
    assert cli.exists(), f"the pinned {TOOLCHAIN} CLI is not installed: run `make install` (npm ci)"
    assert shutil.which("pipenv"), "pipenv is not on PATH: run `make install`"
    env = {key: value for key, value in os.environ.items() if key != "CONNECTORS_CONFIG"}
    result = subprocess.run([str(cli), "synth", "--output", str(tmp_path / "out")], cwd=PROJECT_DIR,
                            capture_output=True, text=True, timeout=300,
                            env={**env, "CHECKPOINT_DISABLE": "1", "CI": "1"})
    assert result.returncode == 0, result.stdout + result.stderr
    generated = re.search(r"Generated Terraform code for the stacks: ([\w, -]+)", result.stdout)
    assert generated and sorted(generated.group(1).split(", ")) == sorted(STACKS), result.stdout
    cli_tree, direct = tree(tmp_path / "out"), tree(user_synthesized)
    assert sorted(cli_tree) == sorted(direct)
    assert cli_tree == direct
