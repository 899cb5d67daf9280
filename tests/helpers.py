"""Helpers for construct tests: synthesize a throwaway stack and read resources out of its JSON."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import datetime

    from connector_source import SourceRecord  # notebooks/, on sys.path in the notebooks' tests

    from core.toolchain import TerraformStack


def synth_construct(build: Callable[[TerraformStack], object]) -> dict:
    """Synthesizes one throwaway stack holding what `build(stack)` adds; returns its Terraform JSON."""
    from core.toolchain import Testing, TerraformStack

    stack = TerraformStack(Testing.app(), "test")
    build(stack)
    return json.loads(Testing.synth(stack))


def resources(synth: dict, resource_type: str) -> list[dict]:
    """The resources of one type, ordered by logical id, without cdktf's metadata."""
    found = synth.get("resource", {}).get(resource_type, {})
    return [_body(found[name]) for name in sorted(found)]


def resource(synth: dict, resource_type: str, construct_path: str) -> dict:
    """The one resource whose logical id is the construct path ('catalog/bronze') plus cdktf's hash suffix."""
    prefix = construct_path.replace("/", "_") + "_"
    matches = [name for name in synth.get("resource", {}).get(resource_type, {})
               if name.startswith(prefix) and len(name) == len(prefix) + 8]
    if len(matches) != 1:
        raise KeyError(f"{resource_type} at {construct_path}: found {matches}")
    return _body(synth["resource"][resource_type][matches[0]])


def logical_ids(synth: dict, resource_type: str) -> list[str]:
    return sorted(synth.get("resource", {}).get(resource_type, {}))


def _body(body: dict) -> dict:
    return {key: value for key, value in body.items() if key != "//"}


class NoTerminal(io.StringIO):
    """A stand-in for stdin when it is not a terminal (CI, a pipe): no prompt can be answered."""

    def isatty(self) -> bool:
        return False


class Terminal(io.StringIO):
    """A stand-in for an operator's terminal: prompts read the given text."""

    def isatty(self) -> bool:
        return True


def synth_config_text(text: str, outdir: Path) -> dict[str, dict]:
    """`text` (a connectors.yaml of builders' parts, read as if it were the sample's) synthesized into `outdir`
    as main.py does it, uploading the sample's notebooks; stack name -> its cdk.tf.json."""
    import stacks.app
    from connectors_config import parse_config
    from tests.conftest import SAMPLE_CONFIG, SAMPLE_DIR, SAMPLE_NOTEBOOKS, stack_documents

    config = parse_config(text, str(SAMPLE_CONFIG), lock=None, base_dir=SAMPLE_DIR)
    stacks.app.synth(config, str(outdir), notebooks_dir=SAMPLE_NOTEBOOKS)
    return stack_documents(outdir)


class ListSource:
    """A source's records in memory, for the notebooks' tests: `fetch` returns those changed at or after `since`."""

    def __init__(self, records: dict[str, list[SourceRecord]]):
        self.records = records
        self.entities = tuple(records)

    def fetch(self, entity: str, since: datetime | None) -> Iterator[SourceRecord]:
        return iter([r for r in self.records[entity] if since is None or r.updated_at >= since])
