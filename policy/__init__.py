"""The policy pack: rules every synthesized stack must pass (see docs/policy.md).

`rule` says what a rule is and what it sees (a stack's Terraform JSON as items, the environment); `rules/` holds
one file per rule and `RULES`, the one ordered list of them; `engine` runs them (`evaluate`) into findings;
`aspect` runs the pack on every synth as a cdktf Aspect (the only part that loads jsii); `privileges` is Unity
Catalog's privilege matrix; `suppressions` what connectors.yaml may write to the pack.
"""

from __future__ import annotations

from policy.engine import Finding, evaluate
from policy.rule import EnvironmentFacts, PolicyContext, Rule
from policy.rules import RULE_IDS, RULES
from policy.suppressions import Suppression

__all__ = ["RULES", "RULE_IDS", "EnvironmentFacts", "Finding", "PolicyContext", "PolicyError", "Rule", "Suppression",
           "evaluate"]


class PolicyError(Exception):
    """One or more stacks break the policy pack; `problems` holds every rendered problem, sorted."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = sorted(set(problems))
        super().__init__(self.render())

    def render(self) -> str:
        count = len(self.problems)
        head = (f"policy: {count} violation{'s' if count != 1 else ''}; nothing was synthesized. Fix each, or "
                "suppress one in connectors.yaml (policy.suppressions: rule, resource, reason) once it is reviewed.")
        return "\n".join([head, *(f"  {problem}" for problem in self.problems)])
