"""A principal's entry in a `databricks_permissions` resource, for every construct that writes permissions."""

from __future__ import annotations

from core.principals import Principal


def access_control(principal: Principal, permission_level: str) -> dict[str, str]:
    """An `access_control` block, in Terraform's names (constructs/plain_resources.py)."""
    return {principal.key: principal.name, "permission_level": permission_level}
