"""CP-CROSS-ENV: a stack names only its own environment's catalog, secret scope, workspace folder, workspace and
principals, never another environment's (whole names are compared: `appsec_dev` is not in `appsec_devx`)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from policy.rule import Item, PolicyContext, Rule, Stack
from policy.rules._helpers import strings


def _whole_name(name: str) -> re.Pattern:
    """`name` as a whole name: not inside a longer one (`appsec_dev` is not in `appsec_devx`), where a longer name
    may use the characters names have, and any `name` itself has (a scope may hold '.' or '@')."""
    inside = re.escape("".join(sorted({"_", "-", *(c for c in name if not c.isalnum())})))
    return re.compile(rf"(?<![A-Za-z0-9{inside}]){re.escape(name)}(?![A-Za-z0-9{inside}])")


def check(stack: Stack, context: PolicyContext) -> Iterator[tuple[Item, str]]:
    own = context.environment
    mine = {own.catalog, own.secret_scope, *own.principals, *own.connections}
    words: dict[str, str] = {}  # identifier -> what it is, for identifiers only another environment has
    paths: dict[str, str] = {}
    for other in context.others:
        for value, what in ((other.catalog, "catalog"), (other.secret_scope, "secret scope"),
                            *((p, "service principal") for p in other.principals),
                            *((c, "connection") for c in other.connections)):
            if value not in mine:
                words.setdefault(value, f"{other.name}'s {what} '{value}'")
        if other.workspace_dir != own.workspace_dir and not own.workspace_dir.startswith(other.workspace_dir + "/"):
            paths[other.workspace_dir] = f"{other.name}'s workspace folder '{other.workspace_dir}'"
        # A workspace given only by a CLI profile has no host to look for.
        if other.host and other.host.rstrip("/") != (own.host or "").rstrip("/"):
            paths[other.host.rstrip("/")] = f"{other.name}'s workspace '{other.host.rstrip('/')}'"
    patterns = [(_whole_name(value), what) for value, what in sorted(words.items())]
    seen: dict[str, list[str]] = {}  # text -> what it names: a stack repeats most of its strings many times

    def named_in(text: str) -> list[str]:
        if text not in seen:
            seen[text] = [what for pattern, what in patterns if pattern.search(text)] + [
                what for prefix, what in paths.items()
                if text == prefix or text.startswith(prefix + "/") or f"{prefix}/" in text]
        return seen[text]

    for item in stack.items:
        reported = set()
        for at, text in strings(item.body):
            for what in named_in(text):
                if what not in reported:
                    reported.add(what)
                    yield item, f"{at or 'value'} names {what}"


RULE = Rule("CP-CROSS-ENV", "no stack names another environment's catalog, secret scope, workspace folder, "
            "workspace or principal", "use the stack's own environment values (${env.*} in the jobs section)", check)
