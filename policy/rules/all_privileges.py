"""CP-ALL-PRIVILEGES: privileges are granted by name; ALL_PRIVILEGES widens as Databricks adds privileges."""

from __future__ import annotations

from collections.abc import Iterator

from policy.rule import Item, PolicyContext, Rule, Stack
from policy.rules._helpers import grant_blocks, privileges


def check(stack: Stack, context: PolicyContext) -> Iterator[tuple[Item, str]]:
    for item in stack.of("databricks_grant", "databricks_grants"):
        for block in grant_blocks(item):
            if "ALL_PRIVILEGES" in privileges(block):
                yield item, (f"'{stack.resolve(block.get('principal'))}' gets ALL_PRIVILEGES, which grows silently "
                             "as Databricks adds privileges")


RULE = Rule("CP-ALL-PRIVILEGES", "no ALL_PRIVILEGES grant: it widens silently as Databricks adds privileges",
            "grant the privileges needed, each by name", check)
