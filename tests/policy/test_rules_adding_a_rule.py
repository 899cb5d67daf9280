"""Adding a rule takes one new file, its entry in RULES and its tests (docs/adding-a-policy-rule.md), and
nothing else breaks.

The test copies the repository and writes the page's example rule (CP-JOB-NAME) and its test file there,
exactly as the page shows them. It adds the rule's entry to `RULES`, then runs in the copy:
- every policy test: each rule's own tests (the new rule's tests included, and the other rules' tests, which
  evaluate only their own rule), the engine's, the list's, the config's `policy` section, and the pack on a
  synth, the sample config included. The sample config therefore passes the new rule too;
- the import-graph test: the new file keeps to the layers;
- a probe showing the new rule runs in the pack by default and that connectors.yaml may suppress it.

What this does not prove: that the whole suite passes (it costs minutes). Outside tests/policy, tests meet the
rules only by synthesizing a config, as the sample config's test does here; a test config that the new rule flags
would still fail there. It also doesn't prove that the rules table in the docs lists the new rule (a hand-written table
needs its row, and a test of the docs checks it). And it doesn't prove that every rule is harmless: this one
flags nothing the sample config or the compliant builders of tests/policy/helpers.py make. A new rule that flags
them fails the two tests of tests/policy/test_aspect.py that hold a compliant stack and the sample config against
every rule, as it should. The other tests there run only the rules they are about.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import PROJECT_DIR

PAGE = PROJECT_DIR / "docs" / "adding-a-policy-rule.md"
SKIP = shutil.ignore_patterns(".git", ".venv", "node_modules", "cdktf.out", ".cdktf.out.*", "__pycache__",
                              ".pytest_cache", ".bench", "spark-warehouse", "metastore_db", "*.tfstate*",
                              ".terraform")


def files_on_the_page() -> dict[str, str]:
    """Each `<!-- file: path -->` and the python block after it."""
    found = dict(re.findall(r"<!-- file: (\S+) -->\n```python\n(.*?)```\n", PAGE.read_text(encoding="utf-8"), re.S))
    assert sorted(found) == ["policy/rules/job_name.py", "tests/policy/rules/test_job_name.py"]
    return found


def add_to_rules(text: str, module: str) -> str:
    """policy/rules/__init__.py with `module` imported and its RULE last in RULES: the list entry."""
    imports = re.search(r"^from policy\.rules import \((.*?)\)$", text, re.M | re.S)
    assert imports, "policy/rules/__init__.py imports the rules as 'from policy.rules import (...)'"
    names = sorted([*re.split(r"[\s,]+", imports.group(1).strip()), module])
    wrapped = textwrap.fill(", ".join(names), 120, initial_indent="from policy.rules import (",
                            subsequent_indent=" " * len("from policy.rules import ("))
    text = text[:imports.start()] + wrapped + ")" + text[imports.end():]
    head, found, tail = text.partition("\n)\nRULE_IDS")
    assert found, "RULES ends with ')' followed by RULE_IDS"
    return f"{head}\n    {module}.RULE,{found}{tail}"


def test_the_entry_in_rules_is_one_import_and_one_line():
    before = (PROJECT_DIR / "policy" / "rules" / "__init__.py").read_text(encoding="utf-8")
    after = add_to_rules(before, "job_name")
    assert "    job_name.RULE,\n)" in after
    # Taking the module out of the import and its line out of RULES leaves the file as it was (but for wrapping).
    assert words(after.replace(" job_name,", "").replace("job_name.RULE,", "")) == words(before)


def words(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.mark.slow
def test_a_new_rule_is_one_file_its_entry_in_the_list_and_its_tests_and_nothing_else_breaks(tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(PROJECT_DIR, repo, ignore=SKIP, symlinks=True)
    for path, text in files_on_the_page().items():
        assert not (repo / path).exists()
        (repo / path).write_text(text, encoding="utf-8")
    rules = repo / "policy" / "rules" / "__init__.py"
    rules.write_text(add_to_rules(rules.read_text(encoding="utf-8"), "job_name"), encoding="utf-8")
    assert changed_files(PROJECT_DIR, repo) == [
        "policy/rules/__init__.py", "policy/rules/job_name.py", "tests/policy/rules/test_job_name.py"]

    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", "tests/policy",
         "--ignore=tests/policy/test_rules_adding_a_rule.py", "tests/test_import_graph.py"],
        cwd=repo, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    passed = set(re.findall(r"^PASSED (\S+)", run.stdout, re.M))
    assert {"tests/policy/rules/test_job_name.py::test_a_named_job_passes",
            "tests/policy/rules/test_job_name.py::test_a_job_without_a_name_is_a_finding",
            "tests/policy/test_aspect.py::test_the_sample_config_passes_every_rule",
            "tests/policy/test_rules.py::test_every_rule_file_is_in_the_list_once_and_the_list_holds_only_them",
            "tests/test_import_graph.py::test_no_import_cycle"} <= passed

    probe = textwrap.dedent("""
        from connectors_config import parse_config, resolve
        from policy import RULE_IDS, evaluate
        from tests.policy.helpers import CONTEXT
        from tests.connectors_config.test_loader import VALID

        unnamed = {"resource": {"databricks_job": {"job": {"run_as": {"service_principal_name": "x"}}}}}
        print(RULE_IDS[-1], [f.rule for f in evaluate(unnamed, CONTEXT)])
        config = parse_config(VALID + "policy:\\n  suppressions:\\n    - rule: CP-JOB-NAME\\n"
                              "      resource: dev/jobs/x/job\\n      reason: a reviewed exception, ticket SEC-9\\n")
        print([s.rule for s in resolve(config, "dev").suppressions])
    """)
    probed = subprocess.run([sys.executable, "-c", probe], cwd=repo, capture_output=True, text=True, timeout=300)
    assert probed.returncode == 0, probed.stderr
    assert probed.stdout == "CP-JOB-NAME ['CP-JOB-NAME', 'CP-JOB-OWNER']\n['CP-JOB-NAME']\n"


def changed_files(original: Path, copy: Path) -> list[str]:
    """Files of `copy` that `original` does not have, or has with other bytes (what the copied tree skips aside)."""
    changed = []
    for path in sorted(copy.rglob("*")):
        if path.is_file() and not path.is_symlink():
            relative = path.relative_to(copy)
            before = original / relative
            if not before.is_file() or before.read_bytes() != path.read_bytes():
                changed.append(relative.as_posix())
    return changed
