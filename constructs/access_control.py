"""A principal's entry in a `databricks_permissions` resource, for every construct that writes permissions."""

from __future__ import annotations

from core.principals import Principal
from core.provider import PermissionsAccessControl


def access_control(principal: Principal, permission_level: str) -> PermissionsAccessControl:
    return PermissionsAccessControl(permission_level=permission_level, **{principal.key: principal.name})
