"""CP-BROAD-WRITE: groups every user is in may read, use and run; nothing that writes, manages or owns."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from policy.rule import Item, PolicyContext, Rule, Stack
from policy.rules._helpers import grant_blocks, privileges

# What a group every user is in may have: reading, using and running; nothing that writes, manages or owns.
_READ_PRIVILEGES = frozenset({"BROWSE", "USE_CATALOG", "USE_SCHEMA", "SELECT", "READ_VOLUME", "READ_FILES",
                              "EXECUTE", "USE_CONNECTION", "USE_SHARE", "USE_PROVIDER", "USE_RECIPIENT",
                              "USE_MARKETPLACE_ASSETS"})
_WRITE_LEVEL = re.compile(r"MANAGE|EDIT|OWNER|WRITE")


def check(stack: Stack, context: PolicyContext) -> Iterator[tuple[Item, str]]:
    def broad(name: Any) -> bool:
        return str(stack.resolve(name)).strip().lower() in context.broad_groups

    for item in stack.of("databricks_secret_acl"):
        if broad(item.body.get("principal")) and item.body.get("permission") in ("WRITE", "MANAGE"):
            yield item, (f"broad group '{item.body['principal']}' gets {item.body['permission']} on secret scope "
                         f"'{stack.resolve(item.body.get('scope'))}'")
    for item in stack.of("databricks_permissions"):
        for entry in item.body.get("access_control") or []:
            level = str(entry.get("permission_level"))
            if entry.get("group_name") and broad(entry["group_name"]) and _WRITE_LEVEL.search(level):
                yield item, f"broad group '{entry['group_name']}' gets {level}"
    for item in stack.of("databricks_grant", "databricks_grants"):
        for block in grant_blocks(item):
            writes = [p for p in privileges(block) if p not in _READ_PRIVILEGES]
            if broad(block.get("principal")) and writes:
                yield item, f"broad group '{block['principal']}' gets {', '.join(writes)}"


RULE = Rule("CP-BROAD-WRITE", "groups every user is in (users, account users...) get no write, manage or owner "
            "rights on anything: secret ACLs, permissions, grants",
            "grant to a dedicated group instead (connectors.yaml: policy.broad_groups lists your own broad groups)",
            check)
