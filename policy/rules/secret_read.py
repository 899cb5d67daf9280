"""CP-SECRET-READ: the identities jobs and pipelines run as may read secrets, never write or manage them."""

from __future__ import annotations

from collections.abc import Iterator

from policy.rule import Item, PolicyContext, Rule, Stack
from policy.rules._helpers import run_as_identities


def check(stack: Stack, context: PolicyContext) -> Iterator[tuple[Item, str]]:
    identities = run_as_identities(stack)
    for item in stack.of("databricks_secret_acl"):
        principal, permission = str(stack.resolve(item.body.get("principal"))), item.body.get("permission")
        if principal in identities and permission != "READ":
            yield item, (f"'{principal}' runs jobs or pipelines and gets {permission} on secret scope "
                         f"'{stack.resolve(item.body.get('scope'))}'")


RULE = Rule("CP-SECRET-READ", "identities that jobs and pipelines run as get at most READ on secret scopes",
            "give run-as identities READ; secrets are written by an admin group, outside the jobs", check)
