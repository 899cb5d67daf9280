"""Databricks' bundle JSON schema, vendored (core/schema/, from the Databricks CLI's `bundle schema`): the
published shape of job settings, permissions, schemas and the rest, which the config's checks and the tests
hold the platform to."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

SCHEMA_FILE = Path(__file__).resolve().parent / "schema" / "databricks-bundle-jsonschema.json"
BUNDLE = "#/$defs/github.com/databricks/cli/bundle/config/"
BUNDLE_JOB = BUNDLE + "resources.Job"


@functools.cache
def schema_defs() -> dict[str, Any]:
    """The schema's `$defs`, its Unicode classes spelled for Python's `re`.

    The interpolation patterns use \\p{L} / \\p{N}, which `re` lacks: the same classes for re (letters or
    digits: [^\\W_]; letters: [^\\W\\d_])."""
    text = (SCHEMA_FILE.read_text(encoding="utf-8").replace(r"[\\p{L}\\p{N}]", r"[^\\W_]")
            .replace(r"\\p{L}", r"[^\\W\\d_]"))
    assert r"\\p{" not in text, "a Unicode class the schema uses that re cannot read"
    return json.loads(text)["$defs"]
