"""policy.rules: RULES, the one list of the pack's rules, and the rule ids derived from it (a public contract:
suppressions in users' connectors.yaml name them)."""

from __future__ import annotations

import re
from pathlib import Path

import policy.rules
from policy import RULE_IDS, RULES

# Every id the pack has published, in the order it was published. Ids may be added, anywhere in RULES; one listed
# here is never renamed, removed or reused for another rule.
PUBLISHED = ("CP-RUN-AS", "CP-SECRET-READ", "CP-BROAD-WRITE", "CP-ALL-PRIVILEGES", "CP-PRIVILEGE-SECURABLE",
             "CP-JOB-OWNER", "CP-WORKSPACE-PATH", "CP-PREVENT-DESTROY", "CP-CROSS-ENV", "CP-SECRET-LITERAL")


def test_the_published_rule_ids_are_all_still_there_in_their_order():
    assert [rule_id for rule_id in RULE_IDS if rule_id in PUBLISHED] == list(PUBLISHED)


def test_the_rule_ids_are_the_rules_ids_in_order_each_once_and_shaped_alike():
    assert tuple(rule.id for rule in RULES) == RULE_IDS
    assert len(set(RULE_IDS)) == len(RULE_IDS)
    assert [rule_id for rule_id in RULE_IDS if not re.fullmatch(r"CP(-[A-Z]+)+", rule_id)] == []


def test_every_rule_file_is_in_the_list_once_and_the_list_holds_only_them():
    """A rule file left out of RULES would never run; the list names each file's RULE."""
    folder = Path(policy.rules.__file__).parent
    files = sorted(path.stem for path in folder.glob("*.py") if not path.stem.startswith("_"))
    listed = sorted(rule_module(rule) for rule in RULES)
    assert listed == files


def test_every_rule_says_what_it_guarantees_and_the_fix():
    assert [rule.id for rule in RULES if not (rule.guarantees.strip() and rule.fix.strip())] == []


def rule_module(rule) -> str:
    """The file (module name) under policy/rules/ whose check a rule runs."""
    module = rule.check.__module__
    assert module.startswith("policy.rules."), f"{rule.id}: its check is in {module}, not in a file of policy/rules/"
    return module.removeprefix("policy.rules.")


def test_every_rule_file_has_its_tests():
    """tests/policy/rules/test_<file>.py: the rule alone on compliant and non-compliant stacks."""
    folder = Path(policy.rules.__file__).parent
    tests = Path(__file__).parent / "rules"
    assert [path.name for path in sorted(folder.glob("[!_]*.py"))
            if not (tests / f"test_{path.name}").is_file()] == []
