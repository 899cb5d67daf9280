"""The repository is self-contained (scripts/check_standalone.py): a copy with nothing beside it synthesizes, and
the tests that read the maintainers' `../shared/reference/` skip with a message saying it is absent. The full
check (`make check-standalone`: `make test` in the copy) runs in CI; here the copy runs `make synth`, the
README's `CONNECTORS_CONFIG=candidates/connectors.yaml make synth` and the tests that read the folder."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT_DIR

sys.path.insert(0, str(PROJECT_DIR / "scripts"))
import check_standalone  # noqa: E402
from check_standalone import ABSENT, check, files_naming_shared, skip_problems  # noqa: E402

SIBLING = "shared"
READERS = ["tests/constructs/test_lakeflow_job.py", "tests/stacks/test_environment_stack_bundle_schema.py"]
SEEDS = f"the reference seeds are {ABSENT}seeds): a maintainer-only check"
SCHEMA = f"the maintainers' reference schema is {ABSENT}databricks-bundle-jsonschema.json): a maintainer-only check"


@pytest.mark.slow
def test_a_copy_with_nothing_beside_it_synthesizes_and_skips_the_maintainer_checks_with_their_message():
    result = subprocess.run([sys.executable, "scripts/check_standalone.py", "--quick"], cwd=PROJECT_DIR,
                            capture_output=True, text=True, timeout=600)
    lines = result.stdout.splitlines()
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert f"test files that name ../shared (each must skip cleanly without it): {', '.join(READERS)}" in lines
    assert len([line for line in lines if re.fullmatch(r"synthesized .* into cdktf\.out/", line)]) == 2
    skipped = {(m["file"], m["reason"]) for m in map(check_standalone.SKIPPED.match, lines) if m}
    assert skipped == {(READERS[0], SEEDS), (READERS[1], SCHEMA)}
    assert not [line for line in lines if re.search(r"\b(failed|error)", line, re.IGNORECASE)]
    assert lines[-1] == ("standalone: `make synth` and the tests that name ../shared pass in a copy with nothing "
                         "beside it; the maintainer-only checks skip with their message")


def write(root: Path, name: str, text: str) -> None:
    (root / name).parent.mkdir(parents=True, exist_ok=True)
    (root / name).write_text(text)


def test_the_files_that_would_read_the_sibling_folder_are_found(tmp_path):
    # (The folder's name comes from SIBLING: this file itself must not read as building a path to it.)
    write(tmp_path, "tests/a/test_reads.py", f'SEEDS = Path(__file__).parents[3] / "{SIBLING}" / "reference"\n')
    write(tmp_path, "tests/a/test_reads_too.py", f'REFERENCE = Path("../{SIBLING}/reference/x.json")\n')
    write(tmp_path, "Makefile", "schema:\n\tcp ../shared/reference/x.json core/\n")
    write(tmp_path, ".ci/run", "cat ../shared/hooks/x\n")
    # Look-alikes: prose in a test, comments, a value named 'shared', the docs.
    write(tmp_path, "tests/a/test_talks.py", 'MESSAGE = "tests that name ../shared skip"\n# ../shared/reference\n')
    write(tmp_path, "scripts/baseline.py", 'cluster = JobCluster(job_cluster_key="shared")\n')
    write(tmp_path, "pyproject.toml", "# runs without ../shared\n")
    write(tmp_path, "docs/page.md", "kept in `../shared/reference/`\n")
    write(tmp_path, ".venv/lib/x.py", f'p = "../{SIBLING}"\n')  # the installs are not the repository's
    assert files_naming_shared(tmp_path) == [".ci/run", "Makefile", "tests/a/test_reads.py",
                                             "tests/a/test_reads_too.py"]


def test_a_file_outside_the_tests_that_names_the_folder_fails_the_check(tmp_path):
    clone = tmp_path / "alone" / "repository"
    write(clone, "Makefile", "schema:\n\tcp ../shared/reference/x.json core/\n")
    assert check(clone, quick=True) == [
        "Makefile names ../shared, which a repository of its own does not have: vendor what it needs (with its "
        "source named) or make it a test that skips without it"]


def test_a_copy_with_a_sibling_fails_the_check(tmp_path):
    clone = tmp_path / "repository"
    clone.mkdir()
    (tmp_path / SIBLING).mkdir()
    assert check(clone, quick=True) == [f"the copy is not alone in {tmp_path}: shared"]


SUMMARY = f"""\
........ss
=========================== short test summary info ============================
SKIPPED [1] {READERS[0]}:872: {SEEDS}
SKIPPED [2] {READERS[1]}:176: {SCHEMA}
"""


def test_each_test_that_reads_the_folder_must_skip_with_a_message_naming_it():
    assert skip_problems(SUMMARY, READERS) == []
    assert skip_problems(SUMMARY.replace(SCHEMA, "the reference schema is absent"), READERS) == [
        f"{READERS[1]}: no test skipped with a message saying ../shared/reference/ is absent (skips: "
        "['the reference schema is absent'])"]
    assert skip_problems(SUMMARY.replace(SCHEMA, "no ../shared here"), READERS) == [
        f"{READERS[1]}: no test skipped with a message saying ../shared/reference/ is absent (skips: "
        "['no ../shared here'])",
        f"{READERS[1]}: skipped for 'no ../shared here', which does not name the absent folder"]
    assert skip_problems("1 passed\n", READERS[:1]) == [
        f"{READERS[0]}: no test skipped with a message saying ../shared/reference/ is absent (skips: none)"]
