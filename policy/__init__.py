"""The policy pack: rules every synthesized stack must pass (see README, "Policy pack").

`rules` holds the rules and their checks over Terraform JSON; `aspect` runs them on every synth as a cdktf Aspect;
`privileges` is Unity Catalog's privilege matrix.
"""

from __future__ import annotations

from dataclasses import dataclass

from policy.rules import RULE_IDS, RULES, EnvironmentFacts, Finding, PolicyContext, evaluate

__all__ = ["RULES", "RULE_IDS", "EnvironmentFacts", "Finding", "PolicyContext", "PolicyError", "Suppression",
           "evaluate"]


@dataclass(frozen=True, order=True)
class Suppression:
    """A reviewed exception to one rule for one resource, written in connectors.yaml's `policy.suppressions`."""

    resource: str  # the construct path a finding names, e.g. prod/jobs/legacy_export/permissions
    rule: str
    reason: str
    origin: str = ""  # where it is written, e.g. 'policy.suppressions[0]'; '' when the platform adds it itself


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
