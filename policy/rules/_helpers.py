"""What several rules read the same way: who an access entry names, nested blocks, grants, every string."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from core.principals import PRINCIPAL_KEYS
from policy.rule import Item, Stack


def principal(entry: Mapping[str, Any]) -> tuple[str, str]:
    """(kind in words, name) of the principal an access entry or run_as names: ('service principal', '3b0a...'),
    ('user', 'alice@...'), ('group', ...); ('nobody', '?') if it names none."""
    for key, kind in PRINCIPAL_KEYS.items():
        if entry.get(key):
            return kind.replace("_", " "), str(entry[key])
    return "nobody", "?"


def first(block: Any) -> dict:
    """A nested block as the provider writes it: an object, or a list of one."""
    if isinstance(block, list):
        return block[0] if block and isinstance(block[0], dict) else {}
    return block if isinstance(block, dict) else {}


def run_as_identities(stack: Stack) -> set[str]:
    """Who the stack's jobs and pipelines run as, resolved."""
    identities = set()
    for item in stack.of("databricks_job", "databricks_pipeline"):
        kind, name = principal(first(item.body.get("run_as")))
        if kind != "nobody":
            identities.add(str(stack.resolve(name)))
    return identities


def grant_blocks(item: Item) -> list[dict]:
    """The (principal, privileges) blocks of a databricks_grant (itself) or databricks_grants (its `grant`s)."""
    if item.kind == "databricks_grant":
        return [item.body]
    return [block for block in (item.body.get("grant") or []) if isinstance(block, dict)]


def privileges(block: Mapping[str, Any]) -> list[str]:
    """A grant block's privileges as the provider compares them: upper case, spaces as underscores; sorted."""
    return sorted(str(p).upper().replace(" ", "_") for p in (block.get("privileges") or []))


def strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(attribute path, string) for every string in a block; map keys count as strings too."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            at = f"{path}.{key}" if path else str(key)
            yield at, str(key)
            yield from strings(item, at)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from strings(item, f"{path}[{index}]")
