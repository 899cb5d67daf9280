"""scripts/compare_synth.py names every file that is not byte-identical on both sides (the comparison behind
"same bytes out"); its synths are the ordinary `python -O main.py`, run by tests/test_main.py."""

from __future__ import annotations

import sys

from tests.conftest import PROJECT_DIR

sys.path.insert(0, str(PROJECT_DIR / "scripts"))
from compare_synth import differences  # noqa: E402


def write(root, files: dict[str, bytes]):
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(content)
    return root


def test_every_differing_or_missing_file_is_named(tmp_path):
    ref = write(tmp_path / "ref", {"stacks/dev/cdk.tf.json": b'{"a": 1}\n', "stacks/prod/cdk.tf.json": b"{}\n",
                                   "manifest.json": b"{}", "assets/x/a.py": b"x"})
    head = write(tmp_path / "head", {"stacks/dev/cdk.tf.json": b'{"a": 1}\n', "stacks/prod/cdk.tf.json": b"{} \n",
                                     "manifest.json": b"{}", "assets/y/a.py": b"x"})
    assert differences(ref, head) == ["assets/x/a.py", "assets/y/a.py", "stacks/prod/cdk.tf.json"]


def test_identical_folders_have_no_difference(tmp_path):
    files = {"stacks/dev/cdk.tf.json": b'{"a": 1}\n', "manifest.json": b"{}"}
    assert differences(write(tmp_path / "ref", files), write(tmp_path / "head", files)) == []
