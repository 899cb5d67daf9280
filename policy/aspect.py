"""PolicyPack: the policy pack as a cdktf Aspect, run on every synth of the stack it is added to.

On its visit to the stack it evaluates every rule on the stack's resolved Terraform JSON (what would be deployed),
then applies the suppressions: each suppressed finding's reason is written into that resource's `//` comment block
(Terraform ignores it; review and `python -m review diff` show it). `PolicyGate`, an app validation, then fails
the synth after every stack was checked (so all violations are reported at once) and before the manifest that
`cdktf deploy` reads is written, if a finding is left, or if a suppression matches no finding (a stale exception
would silently cover the next, different violation).
"""

from __future__ import annotations

from dataclasses import dataclass

import jsii
from cdktf import Aspects, IAspect, TerraformStack
from constructs import IConstruct, IValidation

from policy import Suppression
from policy.rules import Finding, PolicyContext, evaluate


@dataclass(frozen=True, kw_only=True)
class PolicyProps:
    context: PolicyContext
    # This stack's reviewed exceptions (connectors.yaml `policy.suppressions`, and those the platform adds itself,
    # e.g. an acknowledged data loss); default: none, every finding fails the synth.
    suppressions: tuple[Suppression, ...] = ()


@jsii.implements(IAspect)
class PolicyPack:
    """Adds itself to `stack`; after a synth, `violations` and `suppressed` say what it found."""

    def __init__(self, stack: TerraformStack, *, props: PolicyProps) -> None:
        self._stack = stack
        self.props = props
        self.violations: list[str] = []
        self.suppressed: list[tuple[Finding, Suppression]] = []
        Aspects.of(stack).add(self)

    def visit(self, node: IConstruct) -> None:
        if node is not self._stack:
            return
        findings = evaluate(self._stack.to_terraform(), self.props.context)
        used: set[Suppression] = set()
        self.violations, self.suppressed = [], []
        for finding in findings:
            match = next((s for s in self.props.suppressions
                          if s.resource == finding.path and s.rule == finding.rule), None)
            if match is None:
                self.violations.append(finding.render())
            else:
                used.add(match)
                self.suppressed.append((finding, match))
        self.violations += [
            f"{s.origin or 'suppression'}: {s.rule} on {s.resource} matches no violation of this synth; remove it "
            "(if the resource was renamed, the suppression names its new path)"
            for s in sorted(set(self.props.suppressions) - used)]
        self._annotate()

    def _annotate(self) -> None:
        """Each suppressed resource's reasons, in its `//` block, so they are reviewed with the resource."""
        by_path: dict[str, dict[str, str]] = {}
        for finding, suppression in self.suppressed:
            by_path.setdefault(finding.path, {})[suppression.rule] = suppression.reason
        for path, reasons in sorted(by_path.items()):
            construct = self._find(path)
            if construct is not None:
                construct.add_override("//.policy_suppressions",
                                       [{"rule": rule, "reason": reason} for rule, reason in sorted(reasons.items())])

    def _find(self, path: str):
        """The resource at a construct path of this stack, or None (a provider or backend finding)."""
        parts = path.split("/")
        if parts[0] != self._stack.node.id:
            return None
        node = self._stack
        for part in parts[1:]:
            node = node.node.try_find_child(part)
            if node is None:
                return None
        return node if hasattr(node, "add_override") else None


@jsii.implements(IValidation)
class PolicyGate:
    """Add to the App (`app.node.add_validation`): fails its synth with every stack's violations."""

    def __init__(self, packs: tuple[PolicyPack, ...]) -> None:
        self.packs = packs

    @property
    def violations(self) -> list[str]:
        return sorted(violation for pack in self.packs for violation in pack.violations)

    def validate(self) -> list[str]:
        return self.violations
