"""Shared fixtures. jsii (the node process behind cdktf) starts once per test session; the sample config's
stacks are synthesized once and shared by every test that reads them."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")

from connectors_config import PlatformConfig, load_config  # noqa: E402

SAMPLE_CONFIG = PROJECT_DIR / "connectors.yaml"


@pytest.fixture(scope="session")
def sample_config() -> PlatformConfig:
    return load_config(SAMPLE_CONFIG)


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory, sample_config) -> Path:
    """The sample config synthesized once, in process, exactly as main.py does it."""
    import main

    outdir = tmp_path_factory.mktemp("synth") / "cdktf.out"
    main.synth(sample_config, str(outdir))
    return outdir


@pytest.fixture(scope="session")
def stacks(synthesized) -> dict[str, dict]:
    """Stack name -> its synthesized cdk.tf.json."""
    return {path.name: json.loads((path / "cdk.tf.json").read_text())
            for path in sorted((synthesized / "stacks").iterdir())}


def synth_construct(build: Callable[[object], None]) -> dict:
    """Synthesizes one throwaway stack holding what `build(stack)` adds; returns its Terraform JSON."""
    from cdktf import Testing, TerraformStack

    stack = TerraformStack(Testing.app(), "test")
    build(stack)
    return json.loads(Testing.synth(stack))


def resources(synth: dict, resource_type: str) -> list[dict]:
    """The resources of one type, in construct-path order, without cdktf's metadata."""
    found = synth.get("resource", {}).get(resource_type, {})
    return [{k: v for k, v in body.items() if k != "//"}
            for _, body in sorted(found.items(), key=lambda item: item[1]["//"]["metadata"]["path"])]


def resource_by_path(synth: dict, resource_type: str, path: str) -> dict:
    for body in synth.get("resource", {}).get(resource_type, {}).values():
        if body["//"]["metadata"]["path"] == path:
            return {k: v for k, v in body.items() if k != "//"}
    raise KeyError(f"no {resource_type} at {path}")
