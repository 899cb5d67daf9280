"""CP-PRIVILEGE-SECURABLE: every privilege granted is one its securable takes (policy.privileges, the matrix)."""

from __future__ import annotations

from collections.abc import Iterator

from policy.privileges import misapplied, securable_of
from policy.rule import Item, PolicyContext, Rule, Stack
from policy.rules._helpers import grant_blocks, privileges


def check(stack: Stack, context: PolicyContext) -> Iterator[tuple[Item, str]]:
    for item in stack.of("databricks_grant", "databricks_grants"):
        found = securable_of(item.body)
        if found is None:
            yield item, "names no securable (catalog, schema, table, volume, connection...)"
            continue
        securable, name = found
        for block in grant_blocks(item):
            for privilege in privileges(block):
                if privilege == "ALL_PRIVILEGES":
                    continue  # its own rule
                problem = misapplied(securable, privilege)
                if problem is not None:
                    yield item, f"on '{stack.resolve(name)}': {problem}"


RULE = Rule("CP-PRIVILEGE-SECURABLE", "every Unity Catalog privilege is one that applies to its securable type",
            "grant the privilege on a securable it applies to, or the privilege this securable takes", check)
