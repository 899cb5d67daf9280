"""The policy pack: rules every synthesized stack must pass (see docs/policy.md).

`rules` holds the rules and their checks over Terraform JSON; `aspect` runs them on every synth as a cdktf Aspect;
`privileges` is Unity Catalog's privilege matrix; `suppressions` what connectors.yaml may name (rule ids,
suppressions).
"""

from __future__ import annotations

from policy.rules import RULES, EnvironmentFacts, Finding, PolicyContext, evaluate
from policy.suppressions import RULE_IDS, Suppression

__all__ = ["RULES", "RULE_IDS", "EnvironmentFacts", "Finding", "PolicyContext", "PolicyError", "Suppression",
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
