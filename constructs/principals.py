"""Who gets access: one value type for users, groups and service principals, shared by every construct that
writes permissions, so a principal is named the same way in job permissions, folder permissions and ids."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from constructs.databricks import PermissionsAccessControl

PrincipalKind = Literal["group", "service_principal", "user"]


@dataclass(frozen=True, order=True)
class Principal:
    kind: PrincipalKind
    # Group display name, service principal application ID, or user e-mail: what Databricks uses in
    # permissions, secret ACLs and Unity Catalog grants alike.
    name: str

    @staticmethod
    def group(name: str) -> Principal:
        return Principal("group", name)

    @staticmethod
    def service_principal(application_id: str) -> Principal:
        return Principal("service_principal", application_id)

    def access_control(self, permission_level: str) -> PermissionsAccessControl:
        field = {"group": "group_name", "service_principal": "service_principal_name", "user": "user_name"}[self.kind]
        return PermissionsAccessControl(permission_level=permission_level, **{field: self.name})


def slug(name: str) -> str:
    """A readable, stable construct-id fragment for a principal or securable name."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "unnamed"


def unique_slugs(names: list[str]) -> dict[str, str]:
    """name -> slug, refusing two names that would share one construct id (e.g. 'a b' and 'a_b')."""
    result: dict[str, str] = {}
    seen: dict[str, str] = {}
    for name in sorted(set(names)):
        fragment = slug(name)
        if fragment in seen:
            raise ValueError(f"principals '{seen[fragment]}' and '{name}' map to the same construct id "
                             f"'{fragment}'; rename one of them")
        seen[fragment] = name
        result[name] = fragment
    return result
