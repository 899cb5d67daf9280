"""What the Databricks provider of CDK Terrain's bindings (cdktn-provider-databricks 18.11.0: provider 1.138.0) has
that cdktf's (cdktf-cdktf-provider-databricks 15.16.1: provider 1.99.0) has not, where the platform's tests hold
the code against the bindings. The tests that would differ read this (`newer(...)`), so they run unchanged and
exact under either toolchain (`make check-cdk-terrain` runs them under cdktn) instead of being skipped.

Plain data: the toolchain in use is core.toolchain.TOOLCHAIN, which the tests pass in.
"""

from __future__ import annotations

# grant / grants: securables the newer provider can grant on. The policy pack's privilege matrix
# (policy/privileges.py) does not map them yet: a grant on one alone is refused by CP-PRIVILEGE-SECURABLE as naming no
# securable, never let through.
GRANT_SECURABLES = frozenset({"mcp_service", "model_provider_service", "model_service", "secret"})
# grant / grants: an argument that is not a securable (the provider's per-resource provider configuration).
GRANT_META_ARGUMENTS = frozenset({"provider_config"})

# The provider version each toolchain's bindings declare in `required_providers`.
PROVIDER_VERSIONS = {"cdktf": "1.99.0", "cdktn": "1.138.0"}

NEWER: dict[str, frozenset[str]] = {"grant_securables": GRANT_SECURABLES, "grant_meta_arguments": GRANT_META_ARGUMENTS}


def newer(kind: str, toolchain: str) -> frozenset[str]:
    """The `kind` of NEWER under `toolchain` ('cdktn'), nothing under 'cdktf'."""
    return NEWER[kind] if toolchain == "cdktn" else frozenset()
