"""What connectors.yaml may say to the policy pack: the rule ids (a public contract: suppressions name them, so an
id is never renamed or reused) and a suppression. No project imports: the config model reads these."""

from __future__ import annotations

from dataclasses import dataclass

RULE_IDS: tuple[str, ...] = (
    "CP-RUN-AS", "CP-SECRET-READ", "CP-BROAD-WRITE", "CP-ALL-PRIVILEGES", "CP-PRIVILEGE-SECURABLE", "CP-JOB-OWNER",
    "CP-WORKSPACE-PATH", "CP-PREVENT-DESTROY", "CP-CROSS-ENV", "CP-SECRET-LITERAL",
)


@dataclass(frozen=True, order=True)
class Suppression:
    """A reviewed exception to one rule for one resource, written in connectors.yaml's `policy.suppressions`."""

    resource: str  # the construct path a finding names, e.g. prod/jobs/legacy_export/permissions
    rule: str
    reason: str
    origin: str = ""  # where it is written, e.g. 'policy.suppressions[0]'; '' when the platform adds it itself
