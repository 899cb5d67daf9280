"""The comparison of `make check-cdk-terrain` (scripts/check_cdk_terrain.py) on hand-made synth folders: the listed
version values and the spelling of empty objects may differ, nothing else; each difference is named. The whole
check (a copy, a virtualenv with cdktn, two synths and the tests) runs in CI, not here."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.conftest import PROJECT_DIR

sys.path.insert(0, str(PROJECT_DIR / "scripts"))
from check_cdk_terrain import differences  # noqa: E402

STACK = {
    "//": {"metadata": {"version": "0.21.0", "stackName": "dev"}},
    "terraform": {"required_providers": {"databricks": {"source": "databricks/databricks", "version": "1.99.0"}}},
    "resource": {"databricks_job": {"ingest": {"name": "ingest", "tags": {}}},
                 "databricks_schema": {"bronze": {"name": "bronze"}}},
}


def write(root: Path, stack: dict, manifest_version: str = "0.21.0", spelled: str = "", asset: bytes = b"x") -> Path:
    (root / "stacks" / "dev" / "assets").mkdir(parents=True)
    text = json.dumps(stack, indent=2)
    (root / "stacks" / "dev" / "cdk.tf.json").write_text(text.replace("{}", spelled) if spelled else text)
    (root / "stacks" / "dev" / "assets" / "nb.py").write_bytes(asset)
    (root / "manifest.json").write_text(json.dumps({"version": manifest_version, "stacks": {}}))
    return root


def changed(**values) -> dict:
    stack = json.loads(json.dumps(STACK))
    for path, value in values.items():
        node = stack
        *parents, last = path.split("__")
        for key in parents:
            node = node[key]
        node[last] = value
    return stack


def test_the_version_values_and_the_spelling_of_empty_objects_may_differ(tmp_path):
    newer = changed(terraform__required_providers__databricks__version="1.138.0")
    newer["//"]["metadata"]["version"] = "0.24.0"
    cdktf = write(tmp_path / "cdktf", STACK, spelled="{\n}")
    cdktn = write(tmp_path / "cdktn", newer, manifest_version="0.24.0")
    assert differences(cdktf, cdktn) == []


def test_any_other_value_differing_is_named_with_its_path(tmp_path):
    other = changed(resource__databricks_job__ingest__name="ingest2")
    assert differences(write(tmp_path / "a", STACK), write(tmp_path / "b", other)) == [
        'stacks/dev/cdk.tf.json: differs at /resource/databricks_job/ingest/name: "ingest" vs "ingest2"']


def test_a_source_version_or_a_provider_source_is_not_a_version_value(tmp_path):
    other = changed(terraform__required_providers__databricks__source="databricks/other")
    assert differences(write(tmp_path / "a", STACK), write(tmp_path / "b", other)) == [
        "stacks/dev/cdk.tf.json: differs at /terraform/required_providers/databricks/source: "
        '"databricks/databricks" vs "databricks/other"']


def test_a_renamed_resource_is_a_logical_id_difference(tmp_path):
    other = changed()
    other["resource"]["databricks_schema"] = {"bronze_2": {"name": "bronze"}}
    assert differences(write(tmp_path / "a", STACK), write(tmp_path / "b", other)) == [
        "stacks/dev/cdk.tf.json: logical ids differ: resource.databricks_schema.bronze, "
        "resource.databricks_schema.bronze_2",
        "stacks/dev/cdk.tf.json: differs at /resource/databricks_schema/bronze (only under cdktf)"]


def test_a_file_on_one_side_or_a_differing_asset_is_named(tmp_path):
    a, b = write(tmp_path / "a", STACK), write(tmp_path / "b", STACK, asset=b"y")
    (b / "stacks" / "dev" / "extra.json").write_text("{}")
    assert differences(a, b) == ["stacks/dev/extra.json: only under cdktn", "stacks/dev/assets/nb.py: differs"]
