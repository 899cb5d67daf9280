"""What a rule is and what it sees: one synthesized stack's Terraform JSON as items (`Stack`, `Item`), the
environment it is for (`PolicyContext`, `EnvironmentFacts`), and `Rule`: a stable id, what it guarantees, the fix,
and a check that yields (item, message) for each violation.

A rule file under `policy/rules/` imports what it needs from here (and `policy.rules._helpers`); `policy.engine`
runs the rules and turns what they yield into findings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from core.principals import BROAD_GROUPS
from core.stack_references import References, strip_metadata


@dataclass(frozen=True)
class EnvironmentFacts:
    """What identifies one environment: a stack that names any of these (and they are not also its own) refers
    to that environment."""

    name: str
    catalog: str
    secret_scope: str
    workspace_dir: str
    host: str | None  # None when the workspace is given only by a Databricks CLI profile
    principals: tuple[str, ...]  # the service principals its jobs and pipelines run as
    connections: tuple[str, ...] = ()  # the Unity Catalog connections its managed connectors read through
    # Its own identity (environments.<env>.run_as): never another environment's, even where that one also runs
    # something as it (a per-environment override naming it, which the config refuses).
    run_as: str | None = None
    groups: tuple[str, ...] = ()  # its admin and team groups


@dataclass(frozen=True)
class PolicyContext:
    environment: EnvironmentFacts
    others: tuple[EnvironmentFacts, ...] = ()
    # connectors.yaml `protect_data` (default on): data-bearing resources must carry prevent_destroy.
    protect_data: bool = True
    # Lower-case names of groups every user is in: the built-in ones plus connectors.yaml `policy.broad_groups`.
    broad_groups: frozenset[str] = BROAD_GROUPS


@dataclass(frozen=True)
class Item:
    """One block of the stack a finding can name: a resource, a data source, the provider or the backend."""

    path: str  # the construct path (what suppressions name), e.g. prod/github/job; the address if it has none
    address: str  # e.g. databricks_job.github_job_CE030D3F
    kind: str
    name: str
    body: dict  # without `//` metadata


class Stack:
    """One synthesized stack: its items in a stable order, with references resolvable."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.references = References(dict(document))
        self.items: list[Item] = []
        for section in ("resource", "data"):
            for kind, blocks in sorted((document.get(section) or {}).items()):
                for name, body in sorted((blocks or {}).items()):
                    prefix = "data." if section == "data" else ""
                    address = f"{prefix}{kind}.{name}"
                    path = ((body.get("//") or {}).get("metadata") or {}).get("path") or address
                    # A resource's body as the references hold it (stripped once: both only read it).
                    stripped = self.references.body(kind, name) if section == "resource" else None
                    self.items.append(Item(path, address, kind, name,
                                           strip_metadata(body) if stripped is None else stripped))
        for kind, blocks in sorted((document.get("provider") or {}).items()):
            for index, body in enumerate(blocks if isinstance(blocks, list) else [blocks]):
                address = f"provider.{kind}" + (f"[{index}]" if index else "")
                self.items.append(Item(address, address, "provider", kind, strip_metadata(body)))
        for kind, body in sorted(((document.get("terraform") or {}).get("backend") or {}).items()):
            self.items.append(Item(f"backend.{kind}", f"terraform.backend.{kind}", "backend", kind, body))

    def of(self, *kinds: str) -> list[Item]:
        return [item for item in self.items if item.kind in kinds]

    def resolve(self, value: Any) -> Any:
        return self.references.resolve(value)


@dataclass(frozen=True)
class Rule:
    id: str  # a public contract: suppressions in connectors.yaml name it, so it is never renamed or reused
    guarantees: str  # what holds when the rule passes, in one line (the rules table)
    fix: str  # what to change, in general; the message says what is wrong in this resource
    check: Callable[[Stack, PolicyContext], Iterator[tuple[Item, str]]]
