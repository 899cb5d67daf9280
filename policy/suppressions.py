"""What connectors.yaml may say to the policy pack about one finding: a suppression. It names a rule by its id
(`policy.rules.RULE_IDS`, a public contract: an id is never renamed or reused). No project imports: the config
model reads it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Suppression:
    """A reviewed exception to one rule for one resource, written in connectors.yaml's `policy.suppressions`."""

    resource: str  # the construct path a finding names, e.g. prod/jobs/legacy_export/permissions
    rule: str
    reason: str
    origin: str = ""  # where it is written, e.g. 'policy.suppressions[0]'; '' when the platform adds it itself
