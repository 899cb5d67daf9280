"""The engine: runs rules on one stack's Terraform JSON and says what they found, as `Finding`s a user reads.

Rules read the stack as Terraform JSON, exactly what `cdktf synth` writes and Terraform deploys, so they see every
resource whoever built it: the platform's constructs, escape hatches, overrides.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from policy.rule import PolicyContext, Rule, Stack
from policy.rules import RULES


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    rule: str
    message: str
    address: str
    fix: str

    def render(self) -> str:
        where = self.path if self.path == self.address else f"{self.path} ({self.address})"
        return f"{where}: {self.rule}: {self.message}; fix: {self.fix}"


def evaluate(document: Mapping[str, Any], context: PolicyContext,
             rules: Sequence[Rule] = RULES) -> list[Finding]:
    """Every finding of `rules` (by default the whole pack) on one stack's Terraform JSON, sorted by path, rule
    and message."""
    stack = Stack(document)
    return sorted({Finding(item.path, rule.id, message, item.address, rule.fix)
                   for rule in rules for item, message in rule.check(stack, context)})
