"""Who gets access, and how much: one value type for users, groups and service principals, the field that names
each kind in permissions, ACLs and run_as, and one ranking of permission levels. Every construct, check and
review reads these, so a principal is named, and a level compared, the same way everywhere."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

PrincipalKind = Literal["group", "service_principal", "user"]

# The field that names a principal of each kind in `databricks_permissions` access controls, bundle-style
# permissions, secret ACLs' run_as and grants' readers: the Jobs API's and the provider's spelling alike.
PRINCIPAL_KEYS: dict[str, PrincipalKind] = {
    "group_name": "group", "service_principal_name": "service_principal", "user_name": "user"}
KEY_OF_KIND: dict[PrincipalKind, str] = {kind: key for key, kind in PRINCIPAL_KEYS.items()}

# Workspace object permission levels, weakest first. Per kind of object Databricks ranks them: jobs CAN_VIEW <
# CAN_MANAGE_RUN < CAN_MANAGE < IS_OWNER; pipelines CAN_VIEW < CAN_RUN < CAN_MANAGE < IS_OWNER; notebooks,
# directories, files and repos CAN_READ < CAN_RUN < CAN_EDIT < CAN_MANAGE. One table agrees with all of them.
PERMISSION_RANK: dict[str, int] = {
    "CAN_VIEW": 1, "CAN_READ": 1, "CAN_ATTACH_TO": 2, "CAN_USE": 2, "CAN_RUN": 2, "CAN_MANAGE_RUN": 2,
    "CAN_QUERY": 2, "CAN_RESTART": 3, "CAN_EDIT": 3, "CAN_MONITOR": 3, "CAN_MANAGE": 4, "IS_OWNER": 5}
# The levels a job's permissions take, weakest first.
JOB_PERMISSION_LEVELS: tuple[str, ...] = ("CAN_VIEW", "CAN_MANAGE_RUN", "CAN_MANAGE", "IS_OWNER")
# Secret scope ACL permissions, weakest first.
SECRET_ACL_RANK: dict[str, int] = {"READ": 1, "WRITE": 2, "MANAGE": 3}

# Groups every workspace user belongs to: granting them anything beyond read is granting it to everyone.
BROAD_GROUPS = frozenset({"users", "account users", "all users"})


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

    @property
    def key(self) -> str:
        """The field that names this principal in permissions and run_as: 'group_name', 'user_name'..."""
        return KEY_OF_KIND[self.kind]


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
