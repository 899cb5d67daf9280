"""PolicyPack: the policy pack, run on every synth of the stack it is added to.

It is a cdktf Aspect on a node of its own (`<stack>/PolicyPack`), so it is visited once per synth, after every
construct of the stack exists (an Aspect on the stack itself would cost a node-to-Python callback for each of the
stack's thousands of constructs). Its visit writes each suppression's reason into that resource's `//` comment
block (Terraform ignores it; review and `python -m review diff` show it).

The rules run on the stack's Terraform JSON as cdktf wrote it (what would be deployed; resolving a big stack a
second time only to check it would cost as much as writing it). `PolicyGate`, an app validation, runs them: cdktf
calls it after every stack is written and before the manifest that `cdktf deploy` reads, so it fails the synth
with every stack's violations at once, if a finding is left, or if a suppression matches no finding (a stale
exception would silently cover the next, different violation; its comment, written before the check, never
reaches a deploy).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import jsii
from core.toolchain import App, Aspects, IAspect, TerraformStack
from constructs import Construct, IConstruct, IValidation

from core.synth_phase import prepared
from policy import Suppression
from policy.engine import Finding, evaluate
from policy.rule import PolicyContext, Rule
from policy.rules import RULES


@dataclass(frozen=True, kw_only=True)
class PolicyProps:
    context: PolicyContext
    # This stack's reviewed exceptions (connectors.yaml `policy.suppressions`, and those the platform adds itself,
    # e.g. an acknowledged data loss); default: none, every finding fails the synth.
    suppressions: tuple[Suppression, ...] = ()
    # The rules it runs: the whole pack. The pack's own tests run the few a test is about, so that a new rule
    # changes no test of suppressions or of the gate.
    rules: tuple[Rule, ...] = RULES


@jsii.implements(IAspect)
class PolicyPack:
    """Adds itself to `stack`; after a synth, `violations` and `suppressed` say what it found."""

    NODE_ID = "PolicyPack"  # not a connector or job name: those are lower-case

    def __init__(self, stack: TerraformStack, *, props: PolicyProps) -> None:
        self._stack = stack
        self.props = props
        self.violations: list[str] = []
        self.suppressed: list[tuple[Finding, Suppression]] = []
        Aspects.of(Construct(stack, self.NODE_ID)).add(self)

    def visit(self, node: IConstruct) -> None:
        """Each suppressed resource's reasons, in its `//` block, so they are reviewed with the resource. cdktf
        runs it once every stack is prepared, before it writes this one: that ends the preparing pass."""
        prepared()
        by_path: dict[str, dict[str, str]] = {}
        for suppression in self.props.suppressions:
            by_path.setdefault(suppression.resource, {})[suppression.rule] = suppression.reason
        for path, reasons in sorted(by_path.items()):
            construct = self._find(path)
            if construct is not None:
                construct.add_override("//.policy_suppressions",
                                       [{"rule": rule, "reason": reason} for rule, reason in sorted(reasons.items())])

    def check(self) -> None:
        """Runs the rules on the stack as synthesized and sets `violations` and `suppressed`."""
        findings = evaluate(self._synthesized(), self.props.context, self.props.rules)
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

    def _synthesized(self) -> dict:
        """The stack's cdk.tf.json as cdktf wrote it; resolved anew only where it wrote none (HCL output)."""
        written = Path(App.of(self._stack).outdir, "stacks", self._stack.node.id, "cdk.tf.json")
        if written.is_file():
            return json.loads(written.read_text(encoding="utf-8"))
        return self._stack.to_terraform()

    def _find(self, path: str):
        """The resource at a construct path of this stack, or None (a provider or backend finding)."""
        parts = path.split("/")
        if parts[0] != self._stack.node.id:
            return None
        node: IConstruct = self._stack
        for part in parts[1:]:
            child = node.node.try_find_child(part)
            if child is None:
                return None
            node = child
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
        for pack in self.packs:
            pack.check()
        return self.violations
