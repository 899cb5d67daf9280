"""CP-CROSS-ENV: a stack names only its own environment's catalog, secret scope, workspace folder, workspace,
connections, principals and groups, never another environment's. Whole names are compared as Databricks compares
them (core.uc_names): `APPSEC_DEV` is `appsec_dev`, but `appsec_dev` is not in `appsec_devx`."""

from __future__ import annotations

from collections.abc import Iterator

from core.uc_names import name_key, same_name, whole_name
from policy.rule import EnvironmentFacts, Item, PolicyContext, Rule, Stack
from policy.rules._helpers import strings


def _identities(env: EnvironmentFacts) -> list[tuple[str, str]]:
    """(name, what it is) for every name that identifies `env`."""
    return [(env.catalog, "catalog"), (env.secret_scope, "secret scope"),
            *((p, "service principal") for p in env.principals), *((c, "connection") for c in env.connections),
            *((g, "group") for g in env.groups)]


def check(stack: Stack, context: PolicyContext) -> Iterator[tuple[Item, str]]:
    own = context.environment
    mine = {name_key(value) for value, _ in _identities(own)}
    words: dict[str, tuple[str, str]] = {}  # key -> (name, what it is), for names only another environment has
    folders: dict[str, str] = {}
    hosts: dict[str, str] = {}
    for other in context.others:
        for value, what in _identities(other):
            # Another environment's own run-as principal is never this one's, even where this config also runs
            # something here as it: that is the hole, not a sharing.
            theirs = (what == "service principal" and other.run_as is not None and same_name(value, other.run_as)
                      and not (own.run_as is not None and same_name(value, own.run_as)))
            if name_key(value) not in mine or theirs:
                words.setdefault(name_key(value), (value, f"{other.name}'s {what} '{value}'"))
        if other.workspace_dir != own.workspace_dir and not own.workspace_dir.startswith(other.workspace_dir + "/"):
            folders[other.workspace_dir] = f"{other.name}'s workspace folder '{other.workspace_dir}'"
        # A workspace given only by a CLI profile has no host to look for. Host names are not case-sensitive.
        if other.host and name_key(other.host.rstrip("/")) != name_key((own.host or "").rstrip("/")):
            hosts[name_key(other.host.rstrip("/"))] = f"{other.name}'s workspace '{other.host.rstrip('/')}'"
    patterns = [(whole_name(value), what) for _, (value, what) in sorted(words.items())]
    seen: dict[str, list[str]] = {}  # text -> what it names: a stack repeats most of its strings many times

    def under(text: str, prefixes: dict[str, str]) -> list[str]:
        return [what for prefix, what in prefixes.items()
                if text == prefix or text.startswith(prefix + "/") or f"{prefix}/" in text]

    def named_in(text: str) -> list[str]:
        if text not in seen:
            seen[text] = ([what for pattern, what in patterns if pattern.search(text)] + under(text, folders)
                          + under(name_key(text), hosts))
        return seen[text]

    for item in stack.items:
        reported = set()
        for at, text in strings(item.body):
            for what in named_in(text):
                if what not in reported:
                    reported.add(what)
                    yield item, f"{at or 'value'} names {what}"


RULE = Rule("CP-CROSS-ENV", "no stack names another environment's catalog, secret scope, workspace folder, "
            "workspace, connection, principal or group (in any case)",
            "use the stack's own environment values (${env.*} in the jobs section)", check)
