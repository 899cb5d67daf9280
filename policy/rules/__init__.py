"""The policy pack's rules, one file each, and `RULES`: the one list of them, in the order the rules table and
error messages show them. `RULE_IDS` is derived from it: what connectors.yaml's suppressions may name.

Adding a rule: a file here defining `RULE = Rule(...)`, its entry in `RULES`, and its tests in
tests/policy/rules/ (docs/adding-a-policy-rule.md). A rule id is a public contract: never rename or reuse one.
"""

from __future__ import annotations

from policy.rule import Rule
from policy.rules import (all_privileges, broad_write, cross_env, job_owner, prevent_destroy, privilege_securable,
                          run_as, secret_literal, secret_read, workspace_path)

RULES: tuple[Rule, ...] = (
    run_as.RULE,
    secret_read.RULE,
    broad_write.RULE,
    all_privileges.RULE,
    privilege_securable.RULE,
    job_owner.RULE,
    workspace_path.RULE,
    prevent_destroy.RULE,
    cross_env.RULE,
    secret_literal.RULE,
)
RULE_IDS: tuple[str, ...] = tuple(rule.id for rule in RULES)
