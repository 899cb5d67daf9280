"""SecretScopeAccess: the secret scope connectors read credentials from, and exactly one ACL per principal.

Only secret *names* ever pass through this project; values are put into the scope out of band
(`databricks secrets put-secret`), so they appear in no config, synthesized JSON or Terraform state.
"""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct

from constructs.plain_resources import resource

from core.principals import unique_slugs


@dataclass(frozen=True)
class SecretScopeAccessProps:
    scope_name: str
    # Identities jobs run as: READ, never more, so a compromised job cannot rewrite credentials.
    readers: tuple[str, ...]
    # Groups that administer the scope's secrets: MANAGE.
    managers: tuple[str, ...]
    # Safe by default: the scope (and every secret in it) cannot be destroyed by a plan.
    prevent_destroy: bool = True

    def __post_init__(self) -> None:
        both = sorted(set(self.readers) & set(self.managers))
        if both:
            raise ValueError(f"SecretScopeAccessProps: {both} are both readers and managers; an identity a job "
                             "runs as gets READ only")
        if not self.scope_name:
            raise ValueError("SecretScopeAccessProps: scope_name must not be empty")


class SecretScopeAccess(Construct):
    """Construct ids: 'scope', and 'acl_<principal>' per principal (stable as long as the principal is)."""

    def __init__(self, scope: Construct, id: str, *, props: SecretScopeAccessProps) -> None:
        super().__init__(scope, id)
        self.scope = resource(self, "scope", "databricks_secret_scope", {"name": props.scope_name},
                              prevent_destroy=props.prevent_destroy)
        permissions = {**{p: "READ" for p in props.readers}, **{p: "MANAGE" for p in props.managers}}
        slugs = unique_slugs(list(permissions))
        self.acls = [
            resource(self, f"acl_{slugs[principal]}", "databricks_secret_acl", {
                "scope": self.scope.reference("name"), "principal": principal, "permission": permissions[principal]})
            for principal in sorted(permissions)
        ]
